"""A daemon that even SIGKILL cannot end, for the drill's ``stop-fails`` scenario.

In production that is a process stuck in the kernel (state D: hung I/O on a dead disk path or NFS
server): signals stay pending, no stop can end it, and only fencing the node does. The lab makes
one with a cgroup-v1 freezer: a frozen task does not die of SIGKILL until it is thawed. (cgroup
v2's ``cgroup.freeze`` lets SIGKILL through, so it cannot stand in; `available` says whether this
machine has the v1 freezer.)

One freezer group per lab, named from the lab's directory. Powering a node off (the PDU), the
drill's clean-up and ``lab down`` thaw it first: a frozen task would otherwise keep the node's
PID namespace, and its PID 1, from ever ending.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import time

from jobcenter_cluster.lab import layout

ROOT = "/sys/fs/cgroup/freezer"


def available() -> bool:
    """Whether the cgroup-v1 freezer is mounted and writable here."""
    return os.path.isfile(os.path.join(ROOT, "cgroup.procs")) and os.access(ROOT, os.W_OK)


def group(lab: layout.Lab) -> str:
    digest = hashlib.sha256(lab.dir.encode()).hexdigest()[:12]
    return os.path.join(ROOT, f"jccluster-lab-{digest}")


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as fh:
        fh.write(text)


def freeze(lab: layout.Lab, pid: int, timeout: float = 5.0) -> None:
    """Move `pid` into the lab's freezer group and freeze it; return once it is FROZEN."""
    path = group(lab)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o755)
    _write(os.path.join(path, "cgroup.procs"), str(pid))
    _write(os.path.join(path, "freezer.state"), "FROZEN")
    deadline = time.monotonic() + timeout
    while True:
        with open(os.path.join(path, "freezer.state"), encoding="ascii") as fh:
            if fh.read().strip() == "FROZEN":
                return
        if time.monotonic() > deadline:
            raise OSError(errno.ETIMEDOUT, f"{path}: not FROZEN after {timeout:g} s")
        time.sleep(0.01)


def thaw(lab: layout.Lab, timeout: float = 5.0) -> None:
    """Thaw the lab's group (a pending SIGKILL then takes effect), move what still lives back to
    the root group and remove the group. Nothing to do when there is none. (Moving a task out
    of a frozen group thaws it too; either step alone ends a killed task, and the move is what
    lets a task nobody killed leave, so that the group can go.)"""
    path = group(lab)
    if not os.path.isdir(path):
        return
    with contextlib.suppress(OSError):
        _write(os.path.join(path, "freezer.state"), "THAWED")
    deadline = time.monotonic() + timeout
    while True:
        with (contextlib.suppress(OSError),
              open(os.path.join(path, "cgroup.procs"), encoding="ascii") as fh):
            for pid in fh.read().split():
                with contextlib.suppress(OSError):
                    _write(os.path.join(ROOT, "cgroup.procs"), pid)
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as err:
            if err.errno != errno.EBUSY or time.monotonic() > deadline:
                raise
        time.sleep(0.01)
