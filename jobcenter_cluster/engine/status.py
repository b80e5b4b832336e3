"""``status``: a site as seen from this node, from its run state *and the live processes*.

The hot path (cluster monitors every few seconds): reads two small files and ``/proc``; never
writes; standard library only. One function per stored state (`_BY_STATE`).

The rule it keeps: while any recorded process of the site lives, status never says stopped. A
STOPPING or STOPPED state with a live process is a half-stopped site and reads as failed, so the
cluster stops it again instead of starting it on another node; so does an unreadable run file
while processes of the site live.
"""

from __future__ import annotations

import os

from jobcenter_cluster.engine import members, procs, states, store
from jobcenter_cluster.engine.base import SiteStatus, ident, resolve_root
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.products import spool_hex

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def spool_link_path(root: str, address: str | None) -> str | None:
    if not address:
        return None
    try:
        return os.path.join(root, spool_hex(address))
    except ValueError:
        return None


def death(pid: int, start: int) -> str | None:
    """How the process `pid` started at `start` ended ("is gone", "is a zombie"), or None while
    it lives."""
    p = procs.same(pid, start)
    if p is None:
        return "is gone"
    if p.dead:
        return "is a zombie"
    return None


def status(
    site: str, *, root: str | None = None, product: str | None = None, database: str | None = None
) -> SiteStatus:
    """The site's state on this node. Reads two small files and ``/proc``; never writes."""
    key = store.require_site_name(site)
    root = resolve_root(root, product)
    run, unreadable = store.read_run_checked(root, key)
    reg = store.read_registry(root, key)
    info = run or reg or {}
    db = info.get("database") or (os.path.abspath(database) if database else None)
    st = SiteStatus(
        Outcome.STOPPED, site=key, database=db,
        spool_link=spool_link_path(root, info.get("address")),
        migrated=bool((run or {}).get("migrated")),
        known=bool(run or reg or unreadable),
    )
    if unreadable:
        return _unreadable(st, unreadable, (reg or {}).get("product") or product, reg or {})
    if run is None:
        st.details["state"] = "stopped"
        st.message = "not running on this node" if reg else "not known on this node"
        return st
    state = states.parse(run.get("state"))
    st.details["state"] = state.value if state else None
    if run.get("stop_failed") and state is states.FAILED:
        st.details["stop_failed"] = True  # a stop ran and left processes: half-stopped
    if store.stale_run(run):
        # The node crashed while running the site and has rebooted since: report it stopped,
        # never failed, or a cluster probing this node would think the site ran here too.
        st.migrated = False
        st.details["stale"] = True
        st.message = f"not running on this node (state {run.get('state')!r} is from before the last reboot)"
        return st
    watcher = ident(run.get("watcher"))
    st.watcher_pid = watcher[0] if watcher and procs.alive(*watcher) else None
    handler = _BY_STATE.get(state) if state else None
    if handler is None:
        return _failed(st, run, f"run state {run.get('state')!r} is not a state")
    return handler(st, run)


def _live_daemons(st: SiteStatus, run: dict[str, Any]) -> list[str]:
    """Fill ``st.daemons``/``st.missing`` from the recorded daemons; return how each died."""
    dead = []
    for name, value in (run.get("daemons") or {}).items():
        idt = ident(value)
        how = death(*idt) if idt else "is unknown"
        st.daemons[name] = None if how else (idt[0] if idt else None)
        if how:
            st.missing.append(name)
            dead.append(f"{name} (pid {idt[0] if idt else '?'}) {how}")
    return dead


def _left(st: SiteStatus, run: dict[str, Any]) -> list[tuple[int, int]]:
    """The recorded processes of the site that still live (daemons and members)."""
    _live_daemons(st, run)
    alive = set(members.live(run.get("members")))
    for value in (run.get("daemons") or {}).values():
        idt = ident(value)
        if idt and procs.alive(*idt):
            alive.add(idt)
    st.details["members"] = sorted([p, s] for p, s in alive)
    return sorted(alive)


def _half_stopped(st: SiteStatus, left: list[tuple[int, int]], why: str) -> SiteStatus:
    st.outcome = Outcome.FAILED
    st.state = "failed"
    pids = ", ".join(str(p) for p, _s in left[:10]) + (" ..." if len(left) > 10 else "")
    st.message = (f"{why}: {len(left)} process(es) of the site still run ({pids}); run "
                  f"`jccluster site stop {st.site}` again")
    return st


def _stopped(st: SiteStatus, run: dict[str, Any]) -> SiteStatus:
    left = _left(st, run)
    if left:
        return _half_stopped(st, left, "recorded as stopped")
    st.message = "stopped"
    return st


def _stopping(st: SiteStatus, run: dict[str, Any]) -> SiteStatus:
    left = _left(st, run)
    stopper = ident(run.get("stopper"))
    busy = bool(stopper and procs.alive(*stopper))
    if left:
        _half_stopped(st, left, "stop in progress" if busy else "stop was interrupted")
        st.state = "stopping" if busy else "failed"
        return st
    st.state = "stopping" if busy else "stopped"
    st.message = "stopping" if busy else "stopped (the stop was interrupted after everything ended)"
    return st


def _failed(st: SiteStatus, run: dict[str, Any], reason: str | None = None) -> SiteStatus:
    _left(st, run)
    st.outcome = Outcome.FAILED
    st.state = "failed"
    st.message = reason or run.get("reason") or "failed"
    for name in run.get("missing") or []:
        if name not in st.missing:
            st.missing.append(name)
    return st


def _database_gone(st: SiteStatus) -> SiteStatus | None:
    db = st.database
    if db and not os.path.exists(store.identity_path(db)):
        st.outcome = Outcome.UNRECOVERABLE
        st.state = "failed"
        st.message = f"database {db} is gone or not mounted on this node"
        return st
    return None


def _starting(st: SiteStatus, run: dict[str, Any]) -> SiteStatus:
    gone = _database_gone(st)
    if gone:
        return gone
    owner = ident(run.get("owner"))
    if owner and procs.alive(*owner):
        st.message = "starting"
        return st
    return _failed(st, run, "start was interrupted before the site came up")


def _maintenance(st: SiteStatus, run: dict[str, Any]) -> SiteStatus:
    gone = _database_gone(st)
    if gone:
        return gone
    st.maintenance = True
    watcher = ident(run.get("watcher"))
    if watcher and st.watcher_pid is None:
        return _failed(st, run, f"watcher (pid {watcher[0]}) died")
    st.outcome = Outcome.MAINTENANCE
    st.state = "maintenance"
    st.message = "maintenance=ON: daemons deliberately not started"
    return st


def _running(st: SiteStatus, run: dict[str, Any]) -> SiteStatus:
    gone = _database_gone(st)
    if gone:
        return gone
    dead = _live_daemons(st, run)
    if dead:
        st.outcome = Outcome.FAILED
        st.state = "failed"
        st.message = "; ".join(dead)
        return st
    watcher = ident(run.get("watcher"))
    if watcher and st.watcher_pid is None:
        st.outcome = Outcome.FAILED
        st.state = "failed"
        st.message = f"watcher (pid {watcher[0]}) died; the daemons run unwatched"
        return st
    st.outcome = Outcome.RUNNING
    st.state = "running"
    st.message = "running" + ("" if watcher else " (not watched: started with --no-watch)")
    return st


def _unreadable(st: SiteStatus, why: str, product: str | None, reg: dict[str, Any]
                ) -> SiteStatus:
    """No usable run state: failed if anything of the site lives, else stopped. Anything: the
    suspects, and the members of the last start by the token digest the registry keeps."""
    from jobcenter_cluster.engine import profiles
    from jobcenter_cluster.engine.base import node_name

    st.details["state"] = None
    st.details["unreadable"] = why
    try:
        profile = profiles.get(product or "jobcenter-linux")
    except UserError:  # an unknown recorded product: judge by the Linux names
        profile = profiles.get("jobcenter-linux")
    table = procs.scan()
    left = members.suspects(st.site, node_name(), table, profile, st.database)
    if reg.get("token") and isinstance(reg.get("since"), int):
        left |= members.members(st.site, node_name(), table, profile,
                                {"token": reg["token"], "since": reg["since"]},
                                exclude=procs.ancestors(os.getpid(), table))
    if left:
        st.details["members"] = sorted([pid, table[pid].start] for pid in left)
        return _half_stopped(st, sorted((p, table[p].start) for p in left),
                             f"run state unreadable ({why})")
    st.message = f"not running on this node (run state unreadable: {why})"
    return st


_BY_STATE: dict[states.State, Callable[[SiteStatus, dict[str, Any]], SiteStatus]] = {
    states.STOPPED: _stopped,
    states.STOPPING: _stopping,
    states.FAILED: _failed,
    states.STARTING: _starting,
    states.MAINTENANCE: _maintenance,
    states.RUNNING: _running,
}


def spool_links(root: str) -> list[tuple[str, str, dict | None]]:
    """``(path, database, identity)`` of each standard spool link in `root` (8 hex digits, a
    symlink to ``DATABASE/nqs``): the database it leads to and our identity beside it (None: a
    site made by hand with cjcmksite, or no database there)."""
    try:
        entries = os.listdir(root)
    except OSError:
        return []
    out = []
    for entry in entries:
        path = os.path.join(root, entry)
        if len(entry) == 8 and os.path.islink(path):
            database = os.path.dirname(os.readlink(path).rstrip("/"))
            out.append((path, database, store.read_identity(database)))
    return out


def list_sites(*, root: str | None = None, product: str | None = None) -> list[SiteStatus]:
    """Every site on this node (registered here, or with a spool link here), like ``cjcls``."""
    root = resolve_root(root, product)
    names = {s["name"] for s in store.known_sites(root)}
    links: dict[str, str] = {}
    link_of: dict[str, str] = {}
    for path, database, found in spool_links(root):
        name = found.get("name") if found else _reverse_name(os.path.basename(path))
        if name:  # a site made by hand with cjcmksite has no identity: its name is the
            names.add(name)  # official name of its address (manual §2.10.1)
            links[name] = database
            link_of[name] = path
    out = []
    for name in sorted(names):
        try:
            st = status(name, root=root, database=links.get(name))
        except (UserError, OSError) as err:  # one bad entry must not hide the others
            st = SiteStatus(Outcome.FAILED, f"cannot read: {err}", site=name, state="failed")
        if st.spool_link is None and name in links:
            found = store.read_identity(links[name]) or {}
            st.spool_link = spool_link_path(root, found.get("address")) or link_of.get(name)
        out.append(st)
    return out


def _reverse_name(hexname: str) -> str | None:
    """The official name of a spool link's address (``7F000A01`` -> 127.0.10.1 -> its name)."""
    try:
        address = ".".join(str(int(hexname[i:i + 2], 16)) for i in range(0, 8, 2))
        from jobcenter_cluster import hosts

        return store.require_site_name(hosts.gethostbyaddr(address)[0])
    except (OSError, ValueError, UserError):
        return None


def nqsdaemon_pid(st: SiteStatus) -> int | None:
    """The site's live nqsdaemon pid (also for a failed or half-stopped site), else None."""
    return st.daemons.get("nqsdaemon")
