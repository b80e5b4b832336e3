"""Whether corosync or Pacemaker runs on this machine, read from /proc. The live Pacemaker tests
(tests/pacemaker) and the live lab (tests/lab) start their own daemons and refuse to run next to
ones they did not start (a real cluster, or another test session's): only one corosync may run
on a machine."""

from __future__ import annotations

import os

from support import procs

#: the daemons of corosync and Pacemaker 2
DAEMONS = ("corosync", "pacemakerd", "pacemaker-based", "pacemaker-fenced", "pacemaker-execd",
           "pacemaker-attrd", "pacemaker-schedulerd", "pacemaker-controld")


def cluster_daemons() -> list[int]:
    """PIDs of the corosync and Pacemaker daemons (`DAEMONS`) running on this machine, whoever
    started them, in /proc order. A process is one by its command name, of which the kernel
    keeps 15 characters (pacemaker-schedulerd is "pacemaker-sched"); a zombie or a dead task
    counts as gone (PID 1 reaps late here)."""
    names = {n[:15] for n in DAEMONS}
    pids = (int(entry) for entry in os.listdir("/proc") if entry.isdigit())
    return [pid for pid in pids if _comm(pid) in names and procs.alive(pid)]


def _comm(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return None
