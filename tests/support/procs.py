"""The processes of a site, read from /proc by the tests themselves (not through the engine's
``procs`` module, which is what many of these tests check).

A process belongs to site S when it carries ``NQS_SITE=S`` in the environment it was started
with (the engine's and the emulated JobCenter's marker) or, asked for with ``named=True``, when
one of its arguments is S or the site's database. A zombie counts as gone (PID 1 here reaps
orphans late; PLAN: zombies count as gone): the kernel hides a zombie's environment and
arguments, and the state check drops one that died between the reads (``zombies=True`` keeps
those, for a reaper that kills whatever it found).
"""

from __future__ import annotations

import os


def _stat(pid: int) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name (state first); None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2 :].split()


def state(pid: int) -> str:
    """The state letter of /proc/PID/stat ("R", "S", "Z", ...); "X" when there is no such
    process (or it cannot be read)."""
    fields = _stat(pid)
    return "X" if fields is None else fields[0].decode()


def start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks after boot): with the pid, the identity of a process
    (a reused pid starts later); None if there is no such process."""
    fields = _stat(pid)
    return None if fields is None else int(fields[19])


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    return state(pid) not in ("Z", "X")


def gone(pid: int) -> bool:
    """The process is a zombie or no longer exists."""
    return not alive(pid)


def environ(pid: int) -> list[bytes]:
    """The NAME=VALUE entries of the environment `pid` was started with (empty if unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []


def argv(pid: int) -> list[str]:
    """The arguments of `pid` (empty if unreadable, or for a zombie)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return []


def site_processes(site: str, database: str | None = None, *, zombies: bool = False,
                   named: bool = False, program: str = "") -> list[int]:
    """PIDs of the processes of `site` (never this test process), in /proc order.

    Marked ones (``NQS_SITE=site``) always; with `named`, also those with `site` or `database`
    as one of their arguments, when their command line contains `program` ("" = any). Zombies
    are left out unless `zombies`.
    """
    marker = f"NQS_SITE={site}".encode()
    names = {site} if database is None else {site, database}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        pid = int(entry)
        mine = marker in environ(pid)
        if not mine and named:
            args = argv(pid)
            mine = program in " ".join(args) and any(a in names for a in args)
        if mine and (zombies or alive(pid)):
            found.append(pid)
    return found
