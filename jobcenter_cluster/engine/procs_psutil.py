"""The engine's process layer through psutil: Solaris and AIX, and Linux when forced.

`jobcenter_cluster.engine.procs` reads Linux's ``/proc`` directly (standard library only: the
monitor's hot path). Where that cannot work -- Solaris and AIX, whose ``/proc`` is binary and laid
out differently -- or when ``JCCLUSTER_PROCS=psutil`` is set (how CI proves this layer on Linux),
``procs`` calls `install` at import and every function below replaces its ``/proc`` counterpart;
callers keep calling ``procs.read``, ``procs.scan`` ... and never know which layer answers.

What each Linux-only piece becomes here (docs/end-to-end.md, "What a Linux run proves for Solaris
and AIX"):

- identity ``(pid, start)``: psutil's ``create_time()``. On Linux it is turned back into clock
  ticks since boot, so both layers give the same identity for the same process (a state file
  written under one layer reads the same under the other); elsewhere it is the start time in
  hundredths of a second since the epoch, which is stable for the life of the process.
- pidfd (`pidfd`): none. The watcher and ``stop`` fall back to polling (100 ms / 20 ms).
  `signal_ident` checks the identity and then signals through psutil, which re-checks pid and
  create time right before ``kill(2)``: the window between check and kill is microseconds instead
  of none.
- ``PR_SET_CHILD_SUBREAPER`` (`set_subreaper`): none (Solaris and AIX have no equivalent). A
  daemon that double-forks is re-parented to init, which reaps it when it dies; until then it is a
  zombie, and a zombie already counts as dead.
- the ``/proc/PID/{cwd,root,fd}`` scan (`holders`): psutil's ``cwd()`` and ``open_files()``
  (regular files only). A process whose root directory, or only an open directory or socket,
  lies under the database is not found by this layer. Under a budget, the descriptors of an
  untrusted process are first *counted* on ``/proc/PID/fd`` where it exists (lazily, so a
  huge table costs no more than the budget), ``open_files()`` only for a table that fits.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import psutil

#: psutil's status names → the one-letter states of ``/proc/PID/stat``
_STATES = {
    "running": "R", "sleeping": "S", "disk-sleep": "D", "stopped": "T", "tracing-stop": "t",
    "zombie": "Z", "dead": "X", "wake-kill": "K", "waking": "W", "idle": "I", "parked": "P",
    "locked": "L", "waiting": "S", "suspended": "T",
}

#: the `procs` functions this module replaces (the rest of `procs` is built on these)
EXPORTS = ("read", "alive", "same", "pids", "scan", "cmdline", "environ", "env_value", "holders",
           "pidfd", "signal_ident", "set_subreaper", "uids", "cgroup", "now_ticks", "children",
           "tree")

_proc_type: Any = None  # procs.Proc, handed over by `install` (procs imports this module)
_procs_ns: dict[str, Any] = {}  # procs's namespace (HolderScan, FD_ALLOWANCE), from `install`
_LINUX = sys.platform.startswith("linux")
_boot: list[float] = []


def install(namespace: dict[str, Any]) -> None:
    """Replace the ``/proc`` readers in ``procs``'s namespace with this module's functions."""
    global _proc_type
    _proc_type = namespace["Proc"]
    _procs_ns.update({k: namespace[k] for k in ("HolderScan", "FD_ALLOWANCE") if k in namespace})
    for name in EXPORTS:
        namespace[name] = globals()[name]
    # anything in procs still reading /proc directly finds nothing, as it would on Solaris or AIX
    namespace["PROC"] = "/nonexistent/psutil-layer-reads-no-proc"
    namespace["LAYER"] = "psutil"


def _start(create_time: float) -> int:
    if _LINUX:
        if not _boot:
            _boot.append(psutil.boot_time())  # the same btime psutil adds to create_time
        return round((create_time - _boot[0]) * os.sysconf("SC_CLK_TCK"))
    return round(create_time * 100)


def _make(pid: int, info: dict[str, Any]) -> Any:
    if info.get("create_time") is None or info.get("ppid") is None:
        return None
    state = _STATES.get(info.get("status") or "", "S")
    return _proc_type(pid, info["ppid"], state, _start(info["create_time"]), info.get("name") or "")


_FIELDS = ["ppid", "status", "create_time", "name"]


def read(pid: int) -> Any:
    """The process ``pid`` (a `procs.Proc`), or None when there is no such process."""
    if not pid or pid < 0:
        return None
    try:
        proc = psutil.Process(pid)
        return _make(pid, proc.as_dict(_FIELDS, ad_value=None))
    except (psutil.Error, OSError, ValueError):
        return None


def alive(pid: int | None, start: int | None = None) -> bool:
    """True when ``pid`` exists, is not a zombie and (if given) started at ``start``."""
    if not pid:
        return False
    p = read(pid)
    if p is None or p.dead:
        return False
    return start is None or p.start == start


def same(pid: int, start: int | None) -> Any:
    """The process ``pid`` if it is still the one that started at ``start`` (zombie or not)."""
    p = read(pid)
    if p is None or (start is not None and p.start != start):
        return None
    return p


def pids() -> list[int]:
    try:
        return psutil.pids()
    except (psutil.Error, OSError):
        return []


def scan() -> dict[int, Any]:
    """Every process now, by pid."""
    out: dict[int, Any] = {}
    for proc in psutil.process_iter(_FIELDS, ad_value=None):
        p = _make(proc.pid, proc.info)
        if p is not None:
            out[proc.pid] = p
    return out


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except (psutil.Error, OSError, ValueError):
        return None


def cmdline(pid: int) -> list[str]:
    proc = _process(pid)
    if proc is None:
        return []
    try:
        return list(proc.cmdline())
    except (psutil.Error, OSError):
        return []


def environ(pid: int) -> dict[str, str]:
    """The environment the process was started with (empty when unreadable or a zombie)."""
    proc = _process(pid)
    if proc is None:
        return {}
    try:
        return dict(proc.environ())
    except (psutil.Error, OSError):
        return {}


def env_value(pid: int, key: str) -> str | None:
    """One variable of the process's start environment."""
    return environ(pid).get(key)


def _fd_count(pid: int, proc: psutil.Process, limit: int) -> int | None:
    """How many descriptors ``pid`` has, read no further than ``limit`` + 1 entries (so a
    result above ``limit`` means "more than ``limit``"); None when unreadable. Counted on
    ``/proc/PID/fd`` where the system has it (Linux, Solaris; AIX 6.1 and later, unverified),
    lazily: psutil's ``num_fds()`` lists the whole directory, the cost the budget avoids."""
    n = 0
    try:
        with os.scandir(f"/proc/{pid}/fd") as it:
            for _entry in it:
                n += 1
                if n > limit:
                    break
        return n
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError:
        return None
    try:
        return int(proc.num_fds())
    except (psutil.Error, OSError, AttributeError):
        return None


def _fd_size(pid: int) -> int:
    """``FDSize`` of ``/proc/PID/status`` where that file is text (Linux): the size of the
    process's descriptor table; a very large number where it is not known."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            data = fh.read()
        at = data.index(b"\nFDSize:")
        return int(data[at + 8 : data.index(b"\n", at + 8)])
    except (OSError, ValueError):
        return 1 << 62


def holders(path: str, table: dict[int, Any], exclude: tuple[str, ...] = (), *,
            budget: int | None = None, trusted: frozenset[int] | None = None,
            scan: Any = None) -> set[int]:
    """Processes whose working directory or an open regular file lies under ``path`` and not
    under one of ``exclude`` (see `procs.holders`, whose ``budget``/``trusted``/``scan`` rule
    this follows): untrusted processes beyond their allowance are read smallest table first
    where the system tells the size (``FDSize``, Linux), else in pid order -- there a user's
    big tables can use up the budget before a small one, which is then *unknown* and named;
    ``open_files()`` -- psutil reads every descriptor -- is called only for a table counted
    to its end within what is left."""
    path = os.path.realpath(path).rstrip("/") or "/"
    prefix = path + "/"
    others = tuple(os.path.realpath(e).rstrip("/") + "/" for e in exclude)
    allowance = int(_procs_ns.get("FD_ALLOWANCE", 64))
    scan = scan if scan is not None else _procs_ns["HolderScan"](budget)
    scan.budget = budget

    def under(target: str) -> bool:
        if not (target == path or target.startswith(prefix)):
            return False
        return not (target + "/").startswith(others) if others else True

    def files_under(proc: psutil.Process, charged: bool) -> bool | None:
        try:
            files = proc.open_files()
        except (psutil.Error, OSError):
            return None
        scan.entries += len(files)
        if charged:
            scan.untrusted += len(files)
        return any(under(f.path) for f in files)

    found: set[int] = scan.found
    deferred: list[tuple[int, psutil.Process]] = []
    for pid in table:
        proc = _process(pid)
        if proc is None:
            continue
        try:
            if under(proc.cwd()):
                found.add(pid)
                continue
        except (psutil.Error, OSError):
            pass
        charged = False
        if budget is not None:
            ids = uids(pid)
            if ids is None:
                continue
            if trusted is None or not (ids[0] in trusted or ids[1] in trusted):
                charged = True
                n = _fd_count(pid, proc, allowance)
                if n is None:
                    continue
                scan.entries += min(n, allowance)
                scan.untrusted += min(n, allowance)
                if n > allowance:
                    deferred.append((pid, proc))
                    continue
        if files_under(proc, charged):
            found.add(pid)
    # smallest tables first where the system says how big they are (Linux's FDSize), so a
    # user's huge tables are read last; elsewhere in pid order
    deferred.sort(key=lambda item: (_fd_size(item[0]), item[0]))
    for pid, proc in deferred:
        left = (budget or 0) - scan.spent
        # counting and then open_files() read the table twice: count to half of what is left
        room = left // 2
        if room <= allowance:
            scan.unknown.add(pid)
            continue
        n = _fd_count(pid, proc, room)
        if n is None:
            continue
        scan.entries += min(n, room)
        scan.untrusted += min(n, room)
        scan.spent += min(n, room)
        if n > room:
            scan.unknown.add(pid)
            continue
        before = scan.entries
        hit = files_under(proc, True)
        scan.spent += scan.entries - before
        if hit:
            found.add(pid)
    return found


def pidfd(pid: int) -> int | None:  # noqa: ARG001 - same signature as procs.pidfd
    """No pidfd in this layer: callers poll."""
    return None


def signal_ident(pid: int, start: int | None, sig: int) -> bool:
    """Send ``sig`` to ``pid`` only if it is still the process that started at ``start``.

    psutil re-checks the pid's create time right before ``kill(2)`` (``Process.send_signal``).
    Returns True when the signal was delivered.
    """
    proc = _process(pid)
    if proc is None:
        return False
    if start is not None:
        try:
            if _start(proc.create_time()) != start:
                return False
        except (psutil.Error, OSError):
            return False
    try:
        proc.send_signal(sig)
    except (psutil.Error, OSError):
        return False
    return True


def set_subreaper() -> bool:
    """No subreaper outside Linux: orphans go to init (a zombie already counts as dead)."""
    return False


# --- the membership readers (engine safety): owner, cgroup, the clock, the process tree -------


def uids(pid: int) -> tuple[int, int] | None:
    """Real and effective uid (``Process.uids()``), or None when unreadable."""
    proc = _process(pid)
    if proc is None:
        return None
    try:
        real, effective, _saved = proc.uids()
    except (psutil.Error, OSError):
        return None
    return int(real), int(effective)


def cgroup(pid: int) -> str | None:  # noqa: ARG001 - same signature as procs.cgroup
    """None: cgroups are Linux's, and psutil offers no reader (the site-cgroup rule of
    membership does not apply where this layer runs)."""
    return None


def now_ticks() -> int:
    """Now, in the unit `_start` gives `Proc.start` (clock ticks since boot on Linux,
    hundredths of a second since the epoch elsewhere)."""
    import time

    if _LINUX:
        # the boot-time clock, which process start times count in; not time.time() minus
        # psutil's boot_time(): that boot time is whole seconds, so "now" would run up to a
        # second ahead and a daemon started just after a start began would look older than it
        return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))
    return round(time.time() * 100)


def children(pid: int) -> list[int] | None:
    """The children of ``pid`` (``Process.children()``); [] when it is gone."""
    proc = _process(pid)
    if proc is None:
        return []
    try:
        return [c.pid for c in proc.children()]
    except (psutil.Error, OSError):
        return []


def tree(roots: Any) -> set[int] | None:
    """``roots`` and every live process below them (``Process.children(recursive=True)``)."""
    seen: set[int] = set()
    for pid in roots:
        seen.add(pid)
        proc = _process(pid)
        if proc is None:
            continue
        try:
            seen.update(c.pid for c in proc.children(recursive=True))
        except (psutil.Error, OSError):
            continue
    return seen
