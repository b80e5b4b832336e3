"""Throwaway unprivileged users for tests that act as a local user against root (the security
tests, the stop's bounded scan, the Pacemaker watcher's identity, membership).

`throwaway_user(prefix)` creates ``PREFIXNNNN`` (``useradd --no-create-home --user-group``, no
login shell), yields its `pwd` entry and, at the end, kills what the user still runs -- by pid,
identity-checked with the start time, and the given popens first -- then removes it; a
``userdel`` that fails (processes still alive) fails the test rather than leaving users behind.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator

from support.procs import start_time

_COUNTER = itertools.count()


def pids_of(uid: int) -> list[tuple[int, int | None]]:
    """(pid, start time) of every process whose /proc entry belongs to ``uid``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    out.append((int(entry), start_time(int(entry))))
    return out


def end_processes_of(uid: int, popens: Iterable[subprocess.Popen[str]] = ()) -> None:
    """Kill and reap the popens, then SIGKILL what else ``uid`` runs (identity-checked) and wait
    until it is gone (zombies count as gone)."""
    for proc in popens:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    for pid, start in pids_of(uid):
        if start is not None and start_time(pid) == start:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_state(p) not in ("Z", "X", "")
                                               for p, _ in pids_of(uid)):
        time.sleep(0.02)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b") ", 1)[1][:1].decode()
    except (OSError, IndexError):
        return ""


@contextlib.contextmanager
def throwaway_user(prefix: str, popens: Iterable[subprocess.Popen[str]] = (),
                   *, strict: bool = True) -> Iterator[pwd.struct_passwd]:
    """A new unprivileged user ``PREFIXNNNN``; removed afterwards with everything it runs.
    ``popens``: the test's processes to end first (a live list: read at the end).
    ``strict``: a failing ``userdel`` fails the test."""
    name = f"{prefix}{(os.getpid() * 7 + next(_COUNTER)) % 10000:04d}"
    with contextlib.suppress(KeyError):
        pwd.getpwnam(name)
        subprocess.run(["userdel", name], capture_output=True, timeout=30, check=False)
    subprocess.run(["useradd", "--no-create-home", "--user-group", "--shell",
                    "/usr/sbin/nologin", name], check=True, capture_output=True, timeout=30)
    pw = pwd.getpwnam(name)
    try:
        yield pw
    finally:
        end_processes_of(pw.pw_uid, popens)
        gone = subprocess.run(["userdel", name], capture_output=True, text=True, timeout=30,
                              check=False)
        if strict:
            assert gone.returncode == 0, f"userdel {name}: {gone.stderr}"
