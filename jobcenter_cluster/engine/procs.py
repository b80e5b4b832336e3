"""Processes as the engine sees them: read straight from ``/proc`` (standard library only).

A process's identity is ``(pid, start)`` where ``start`` is its start time in clock ticks since
boot (field 22 of ``/proc/PID/stat``, what psutil's ``create_time`` is derived from). A bare pid is
never trusted: a pid read from a state file is only acted upon when its start time still matches,
so a pid reused by an unrelated process is never mistaken for a site daemon.

A zombie counts as dead (SPEC §3): the manual's watcher fails on a zombie, and on machines where
PID 1 reaps orphans late, ``kill -0`` succeeds on a dead process for a second or more.

Signals are sent through a pidfd (``pidfd_open`` + ``pidfd_send_signal``) after re-checking the
identity on the pidfd, which closes the window between "check the pid" and "kill the pid".
"""

from __future__ import annotations

import os
from collections import namedtuple

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


PROC = "/proc"


# (collections.namedtuple, not typing.NamedTuple: `typing` costs the status path ~3 ms)
class Proc(namedtuple("Proc", "pid ppid state start comm")):
    """One process, as read from ``/proc/PID/stat``: pid, ppid, state (R S D Z T X ...), start
    (clock ticks since boot), comm."""

    __slots__ = ()
    pid: int
    ppid: int
    state: str
    start: int
    comm: str

    @property
    def dead(self) -> bool:
        """Zombie or dead: the process has exited even if nobody reaped it yet."""
        return self.state in ("Z", "X", "x")


def read(pid: int) -> Proc | None:
    """``/proc/PID/stat`` parsed, or None when there is no such process."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    except OSError:
        return None
    # comm is in parentheses and may itself contain ") " -- split on the last one.
    lpar = data.find(b"(")
    rpar = data.rfind(b")")
    if lpar < 0 or rpar < 0:
        return None
    comm = data[lpar + 1 : rpar].decode("utf-8", "replace")
    rest = data[rpar + 2 :].split()
    try:
        return Proc(pid, int(rest[1]), rest[0].decode(), int(rest[19]), comm)
    except (IndexError, ValueError):
        return None


def alive(pid: int | None, start: int | None = None) -> bool:
    """True when ``pid`` exists, is not a zombie and (if given) started at ``start``."""
    if not pid:
        return False
    p = read(pid)
    if p is None or p.dead:
        return False
    return start is None or p.start == start


def same(pid: int, start: int | None) -> Proc | None:
    """The process ``pid`` if it is still the one that started at ``start`` (zombie or not)."""
    p = read(pid)
    if p is None or (start is not None and p.start != start):
        return None
    return p


def pids() -> list[int]:
    try:
        names = os.listdir(PROC)
    except OSError:
        return []
    return [int(n) for n in names if n.isdigit()]


def scan() -> dict[int, Proc]:
    """Every process now, by pid."""
    out: dict[int, Proc] = {}
    for pid in pids():
        p = read(pid)
        if p is not None:
            out[pid] = p
    return out


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"{PROC}/{pid}/cmdline", "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in data.split(b"\0")[:-1]] if data else []


def environ(pid: int) -> dict[str, str]:
    """The environment the process was started with (empty when unreadable or a zombie)."""
    try:
        with open(f"{PROC}/{pid}/environ", "rb") as fh:
            data = fh.read()
    except OSError:
        return {}
    env: dict[str, str] = {}
    for item in data.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return env


def env_value(pid: int, key: str) -> str | None:
    """One variable of the process's start environment, without building a dict."""
    try:
        with open(f"{PROC}/{pid}/environ", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    prefix = key.encode() + b"="
    for item in data.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :].decode("utf-8", "replace")
    return None


def uids(pid: int) -> tuple[int, int] | None:
    """Real and effective uid of ``pid`` (``/proc/PID/status``), or None when unreadable.

    Not the owner of ``/proc/PID``: that reads as root for any process that made itself
    non-dumpable, which an unprivileged user can do."""
    try:
        with open(f"{PROC}/{pid}/status", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    at = data.find(b"\nUid:")
    if at < 0:
        return None
    fields = data[at + 5 : data.find(b"\n", at + 5)].split()
    try:
        return int(fields[0]), int(fields[1])
    except (IndexError, ValueError):
        return None


def cgroup(pid: int) -> str | None:
    """The process's cgroup v2 path (the ``0::`` line of ``/proc/PID/cgroup``), or None."""
    try:
        with open(f"{PROC}/{pid}/cgroup", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    for line in data.splitlines():
        if line.startswith(b"0::"):
            return line[3:].decode("utf-8", "replace")
    return None


def now_ticks() -> int:
    """Now, in the unit of `Proc.start`: clock ticks since boot (``/proc/uptime``)."""
    with open(f"{PROC}/uptime", "rb") as fh:
        up = float(fh.read().split()[0])
    return int(up * os.sysconf("SC_CLK_TCK"))


def children(pid: int) -> list[int] | None:
    """The children of ``pid`` (every thread's ``/proc/PID/task/TID/children``), without a
    scan of ``/proc``; None where the kernel does not offer the file."""
    try:
        tids = os.listdir(f"{PROC}/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for tid in tids:
        try:
            with open(f"{PROC}/{pid}/task/{tid}/children", "rb") as fh:
                out.extend(int(x) for x in fh.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"{PROC}/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None
        except OSError:
            continue
    return out


def tree(roots: Iterable[int]) -> set[int] | None:
    """``roots`` and every live process below them, by walking `children` (cheap: no scan of
    ``/proc``); None where the kernel does not offer the children files."""
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        kids = children(pid)
        if kids is None:
            return None
        todo.extend(kids)
    return seen


def children_map(table: dict[int, Proc]) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for p in table.values():
        kids.setdefault(p.ppid, []).append(p.pid)
    return kids


def descendants(roots: Iterable[int], table: dict[int, Proc]) -> set[int]:
    """``roots`` and every process below them (by parent pid)."""
    kids = children_map(table)
    seen: set[int] = set()
    todo = [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(kids.get(pid, ()))
    return seen


def ancestors(pid: int, table: dict[int, Proc] | None = None) -> set[int]:
    """``pid`` and its parent chain up to PID 1 (never signalled: it is the caller)."""
    out: set[int] = set()
    cur: int | None = pid
    while cur and cur not in out:
        out.add(cur)
        p = table.get(cur) if table is not None else read(cur)
        cur = p.ppid if p else None
    return out


#: descriptors of one process every holder scan reads whatever the budget (a job's background
#: process has a handful); beyond them, untrusted processes share `HolderScan.budget`
FD_ALLOWANCE = 64


class HolderScan:
    """What one pass of `holders` did, for the caller to act on and the tests to check.

    ``found``: the holders; ``unknown``: processes whose descriptors the pass could not read to
    the end within the budget -- *unknown*, never "not a holder"; ``entries``: descriptors read
    in all; ``untrusted``: those of processes not owned by a trusted uid (what other users can
    make us read: at most `FD_ALLOWANCE` + 1 each, plus ``budget``); ``spent``: those charged to
    ``budget`` (untrusted processes beyond their allowance); ``budget``: the cap on ``spent``
    (None: no cap)."""

    __slots__ = ("budget", "entries", "found", "spent", "unknown", "untrusted")

    def __init__(self, budget: int | None = None) -> None:
        self.budget = budget
        self.entries = 0
        self.untrusted = 0
        self.spent = 0
        self.found: set[int] = set()
        self.unknown: set[int] = set()


def _under_fn(path: str, exclude: tuple[str, ...]) -> Callable[[str], bool]:
    path = os.path.realpath(path).rstrip("/") or "/"
    prefix = path + "/"
    others = tuple(os.path.realpath(e).rstrip("/") + "/" for e in exclude)

    def under(target: str) -> bool:
        target = target.removesuffix(" (deleted)")
        if not (target == path or target.startswith(prefix)):
            return False
        return not (target + "/").startswith(others) if others else True

    return under


def _fds_under(pid: int, under: Callable[[str], bool], limit: int | None
               ) -> tuple[bool | None, int]:
    """Whether an open descriptor of ``pid`` lies under the path: True, False, or None when
    ``limit`` descriptors were read without reaching the end (unknown). Also the number read.
    The directory is read lazily (``scandir``), so stopping early costs what was read."""
    n = 0
    try:
        with os.scandir(f"{PROC}/{pid}/fd") as it:
            for entry in it:
                if limit is not None and n >= limit:
                    return None, n
                n += 1
                try:
                    if under(os.readlink(entry.path)):
                        return True, n
                except OSError:
                    continue
    except OSError:
        return False, n  # gone, or a kernel thread: holds nothing
    return False, n


def _status_ids(pid: int) -> tuple[int, int, int] | None:
    """Real uid, effective uid and ``FDSize`` (the size of its descriptor table, at least its
    highest descriptor + 1) from one read of ``/proc/PID/status``; None when unreadable."""
    try:
        with open(f"{PROC}/{pid}/status", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    out = []
    for key in (b"\nUid:", b"\nFDSize:"):
        at = data.find(key)
        if at < 0:
            return None
        out.append(data[at + len(key) : data.find(b"\n", at + len(key))].split())
    try:
        return int(out[0][0]), int(out[0][1]), int(out[1][0])
    except (IndexError, ValueError):
        return None


def holders(path: str, table: dict[int, Proc], exclude: tuple[str, ...] = (), *,
            budget: int | None = None, trusted: frozenset[int] | None = None,
            scan: HolderScan | None = None) -> set[int]:
    """Processes with an open file or their working directory under ``path`` (the manual's
    ``fuser -k`` advice, §4.13). Never by root directory: a chroot under the path is not a
    reason, and ``/`` as everyone's root made every process a match.

    ``exclude``: directories under ``path`` that are not its own (another site's database
    nested inside it): a file or working directory there does not count.

    ``budget`` (None: read everything, as before) bounds what a pass costs whatever other
    users open (issue 22: a user's two million descriptors stretched a 20 s stop to 45 s):

    - every process: its working directory (one readlink) and its first `FD_ALLOWANCE`
      descriptors;
    - processes whose real or effective uid is in ``trusted`` (root, the engine's uid, the
      JobCenter user -- the owners of everything that writes the database for the site):
      every descriptor, always;
    - every other process: the descriptors beyond its allowance come out of ``budget``, shared
      by all of them, smallest descriptor table (``FDSize``) first, so a user's huge tables
      are read last and cannot crowd out a job's small one. A process not read to the end is
      put in ``scan.unknown`` -- never counted as "not a holder" (`stop` names it).

    ``scan``, when given, is filled in (`HolderScan`)."""
    under = _under_fn(path, exclude)
    scan = scan if scan is not None else HolderScan(budget)
    scan.budget = budget
    found = scan.found
    deferred: list[tuple[int, int]] = []
    for pid in table:
        try:
            if under(os.readlink(f"{PROC}/{pid}/cwd")):
                found.add(pid)
                continue
        except OSError:
            pass
        if budget is None:
            hit, n = _fds_under(pid, under, None)
            scan.entries += n
            ids = _status_ids(pid) if trusted is not None else None
            if trusted is None or ids is None or not (ids[0] in trusted or ids[1] in trusted):
                scan.untrusted += n
            if hit:
                found.add(pid)
            continue
        ids = _status_ids(pid)
        if ids is None:
            continue  # gone (its status is readable while /proc/PID exists)
        if trusted is not None and (ids[0] in trusted or ids[1] in trusted):
            hit, n = _fds_under(pid, under, None)
        else:
            hit, n = _fds_under(pid, under, FD_ALLOWANCE)
            scan.untrusted += n
            if hit is None:
                deferred.append((ids[2], pid))
        scan.entries += n
        if hit:
            found.add(pid)
    deferred.sort()
    for _size, pid in deferred:
        left = budget - scan.spent if budget is not None else 0
        if left <= FD_ALLOWANCE:  # no more than the allowance already read: no progress
            scan.unknown.add(pid)
            continue
        # re-read from the start (the allowance was not charged): at most `left` entries
        hit, n = _fds_under(pid, under, left)
        scan.entries += n
        scan.untrusted += n
        scan.spent += n
        if hit:
            found.add(pid)
        elif hit is None:
            scan.unknown.add(pid)
    return found


# --- signalling by identity ------------------------------------------------------------------


def pidfd(pid: int) -> int | None:
    """A pidfd for ``pid`` or None (no such process / kernel without pidfd)."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


def signal_ident(pid: int, start: int | None, sig: int) -> bool:
    """Send ``sig`` to ``pid`` only if it is still the process that started at ``start``.

    With pidfd the identity is checked after the pidfd is open, so the signal cannot reach a
    process that reused the pid in between. Returns True when the signal was delivered.
    """
    fd = pidfd(pid)
    if fd is not None:
        try:
            p = read(pid)
            if p is None or (start is not None and p.start != start):
                return False
            import signal  # here: the status path (this module's main user) sends no signals

            try:
                signal.pidfd_send_signal(fd, sig)
            except OSError:
                return False
            return True
        finally:
            os.close(fd)
    p = read(pid)
    if p is None or (start is not None and p.start != start):
        return False
    try:
        os.kill(pid, sig)
    except OSError:
        return False
    return True


def set_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux PR_SET_CHILD_SUBREAPER)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def close_quietly(fd: int) -> None:
    try:  # noqa: SIM105 - not contextlib.suppress: contextlib stays off the hot path
        os.close(fd)
    except OSError:
        pass


# The layer: this /proc reader on Linux; psutil on Solaris and AIX, or when JCCLUSTER_PROCS=psutil
# (how CI proves that layer on Linux). Only then is psutil imported: the hot path stays stdlib.
LAYER = "proc"
if os.environ.get("JCCLUSTER_PROCS") == "psutil" or os.uname().sysname != "Linux":
    from jobcenter_cluster.engine import procs_psutil

    procs_psutil.install(globals())
