"""``site stop``: the counterpart of ``cjcpw -stop SITE`` -- and sure about it.

1. the run state becomes STOPPING and the watcher (identity-checked) gets SIGTERM, so it ends
   with success instead of reporting the daemons' deaths as a failure;
2. the product's own stop runs (``cjcpw -stop SITE`` for JobCenter; none for the simulator);
3. whatever of the site is left is terminated: the recorded daemons (by ``(pid, start)``), every
   process carrying ``NQS_SITE=<site>`` (not another node identity's), everything below them,
   and every process holding a file, cwd or root under the database path (``fuser -k``, manual
   §4.12: jobs' background processes keep the shared disk busy);
4. SIGTERM, wait on pidfds until all are gone or the deadline, SIGKILL the rest (re-scanning for
   new ones), re-check for up to 1 s, and report FAILED naming any survivor.

Never signalled: this process and its ancestors, PID 1, kernel threads, and any pid whose start
time no longer matches (a stale pid reused by an unrelated process). Signals go through pidfds
after the identity check, so a pid reused in between cannot be hit either.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from typing import Any

from jobcenter_cluster.engine import procs, profiles, states, store
from jobcenter_cluster.engine.api import DEFAULT_STOP_TIMEOUT, Result, _ident, node_name
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.products import DEFAULT_PRODUCT

#: time allowed after SIGKILL for the kernel to finish the processes
KILL_GRACE = 1.0
#: how often the site is re-scanned for new processes while waiting (s)
RESCAN = 0.25


def collect(
    site: str, run: dict[str, Any], database: str | None, node: str
) -> dict[int, int]:
    """The site's processes now: ``{pid: start}``."""
    from jobcenter_cluster.engine.lifecycle import site_processes

    table = procs.scan()
    exclude = procs.ancestors(os.getpid(), table) | {1}
    roots: set[int] = set()
    for value in (run.get("daemons") or {}).values():
        ident = _ident(value)
        if ident:
            p = table.get(ident[0])
            if p is not None and p.start == ident[1]:
                roots.add(ident[0])
    pids = procs.descendants(roots, table) | site_processes(site, node, table, exclude=exclude)
    if database and os.path.isdir(database):
        for pid in procs.holders(database, table):
            other = procs.env_value(pid, profiles.NODE_MARKER)
            if other is None or other == node:
                pids.add(pid)
    pids -= exclude
    return {pid: table[pid].start for pid in pids if pid in table and table[pid].ppid != 2}


def _wait_gone(victims: dict[int, int], until: float, rescan: Any = None) -> dict[int, int]:
    """Wait (on pidfds) until every victim is dead or ``until``; return the ones alive."""
    alive = {p: s for p, s in victims.items() if procs.alive(p, s)}
    next_scan = time.monotonic() + RESCAN
    while alive:
        now = time.monotonic()
        if now >= until:
            break
        fds: dict[int, int] = {}
        poller = select.poll()
        for pid in alive:
            fd = procs.pidfd(pid)
            if fd is not None:
                fds[fd] = pid
                poller.register(fd, select.POLLIN)
        try:
            wait = min(until, next_scan) - now
            if fds and len(fds) == len(alive):
                poller.poll(max(int(wait * 1000), 1))
            else:
                time.sleep(min(max(wait, 0.001), 0.02))  # no pidfd: poll /proc
        finally:
            for fd in fds:
                procs.close_quietly(fd)
        if rescan is not None and time.monotonic() >= next_scan:
            next_scan = time.monotonic() + RESCAN
            for pid, start in rescan().items():
                if pid not in victims and procs.signal_ident(pid, start, signal.SIGTERM):
                    victims[pid] = start
        alive = {p: s for p, s in victims.items() if procs.alive(p, s)}
    return alive


def terminate(
    victims: dict[int, int], deadline: float, rescan: Any = None
) -> tuple[dict[int, int], dict[int, int]]:
    """SIGTERM → wait → SIGKILL at ``deadline`` → re-check. Returns (killed, survivors)."""
    victims = dict(victims)
    for pid, start in list(victims.items()):
        procs.signal_ident(pid, start, signal.SIGTERM)
    alive = _wait_gone(victims, deadline, rescan)
    if rescan is not None:
        for pid, start in rescan().items():
            if pid not in victims:
                victims[pid] = start
                alive[pid] = start
    killed: dict[int, int] = {}
    for pid, start in alive.items():
        if procs.signal_ident(pid, start, signal.SIGKILL):
            killed[pid] = start
    survivors = _wait_gone(alive, time.monotonic() + KILL_GRACE) if alive else {}
    return killed, survivors


def stop(site: str, *, root: str, product: str | None, timeout: float = DEFAULT_STOP_TIMEOUT
         ) -> Result:
    t0 = time.monotonic()
    deadline = t0 + timeout
    node = node_name()
    with store.site_lock(root, site, max(timeout, 0.1)):
        run = store.read_run(root, site) or {}
        reg = store.read_registry(root, site) or {}
        database = run.get("database") or reg.get("database")
        pname = run.get("product") or reg.get("product") or product or DEFAULT_PRODUCT
        profile = profiles.get(pname)
        was = run.get("state")
        if run:
            store.update_run(root, site, state=states.STOPPING, stop_started=time.time())

        # 1. the watcher: told first, so it does not report the daemons' deaths as a failure
        watcher = _ident(run.get("watcher"))
        mine = procs.ancestors(os.getpid())
        if watcher and watcher[0] not in mine and procs.signal_ident(*watcher, signal.SIGTERM):
            _wait_gone({watcher[0]: watcher[1]}, min(deadline, time.monotonic() + 2.0))

        victims = collect(site, run, database, node)
        # 2. the product's own stop
        argv = profile.stop_argv(site, database or "")
        note = ""
        if argv and victims and os.access(argv[0], os.X_OK):
            env = dict(os.environ)
            env[profiles.MARKER] = site
            env["JCCLUSTER_ROOT"] = root  # the emulated installation's; JobCenter ignores it
            try:
                subprocess.run(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, env=env, cwd="/", check=False,
                    timeout=max(deadline - time.monotonic() - KILL_GRACE, 0.1),
                )
            except subprocess.TimeoutExpired:
                note = f"; {argv[0]} -stop did not finish in time"
            victims = collect(site, run, database, node)

        # 3. whatever is left
        def rescan() -> dict[int, int]:
            return collect(site, run, database, node)

        killed, survivors = terminate(victims, deadline, rescan)
        elapsed = time.monotonic() - t0
        if survivors:
            listing = ", ".join(str(p) for p in sorted(survivors))
            store.update_run(root, site, state=states.FAILED,
                             reason=f"stop left processes alive: {listing}")
            return Result(
                Outcome.FAILED,
                f"site {site}: {len(survivors)} process(es) survived SIGKILL: {listing}",
                {"survivors": sorted(survivors)},
            )
        if run or reg:
            store.write_run(root, site, {
                **{k: v for k, v in run.items() if k in ("database", "address", "product")},
                **({} if run else {k: reg.get(k) for k in ("database", "address", "product")}),
                "site": site, "state": states.STOPPED, "node": node, "stopped": time.time(),
            })
    details = {
        "terminated": len(victims), "killed": sorted(killed), "seconds": round(elapsed, 3),
    }
    if not victims and was in (None, states.STOPPED):
        return Result(Outcome.SUCCESS, f"site {site} is not running on this node", details)
    extra = f"; {len(killed)} needed SIGKILL" if killed else ""
    return Result(
        Outcome.SUCCESS,
        f"site {site} stopped in {elapsed:.2f}s ({len(victims)} processes{extra}){note}",
        details,
    )
