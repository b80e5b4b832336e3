"""``site start``: the counterpart of ``cjcpw [-c] SITE DBPATH`` (see `api.start`).

Order of work, under the per-site lock:

1. the database is here and is this site's (else UNRECOVERABLE: move the package elsewhere);
2. already running? a complete set of the site's daemons with a live watcher → SUCCESS, nothing
   started; a complete set without a watcher → adopted (watch mode) → SUCCESS; a partial set
   (a crashed earlier run) → its leftovers are terminated first, never a second copy;
3. spool symlink created or repaired, site registered on this node;
4. ``daemon.conf``: ``local_daemon`` (a running local daemon blocks the start unless
   ``local_daemon=SITE``), ``maintenance=ON`` (start nothing, stay up);
5. migration: last host recorded in the database differs from this node → reported, recorded;
6. keep-port holders for the site address are released, the profile's start runs, and every
   watched daemon must show up before the deadline (the error names the missing ones);
7. watch mode: `watcher.watch` until a daemon dies (FAILED) or ``stop`` ends it (SUCCESS).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import daemonconf, procs, profiles, spool, states, store
from jobcenter_cluster.engine.api import (
    DEFAULT_START_TIMEOUT,
    Result,
    _ident,
    default_product,
    node_name,
    status,
)
from jobcenter_cluster.engine.watcher import WatchCtx, watch
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

Ident = tuple[int, int]


def me() -> Ident:
    p = procs.read(os.getpid())
    return (os.getpid(), p.start if p else 0)


def _markers(pid: int) -> tuple[str | None, str | None]:
    env = procs.environ(pid)
    return env.get(profiles.MARKER), env.get(profiles.NODE_MARKER)


def site_processes(
    site: str, node: str, table: dict[int, procs.Proc], *, exclude: set[int] | None = None
) -> set[int]:
    """Processes of ``site`` on this node: the NQS_SITE marker (and not another node's), plus
    everything below them."""
    skip = exclude if exclude is not None else procs.ancestors(os.getpid(), table)
    marked = set()
    for pid, p in table.items():
        if pid in skip or p.dead or pid <= 2 or p.ppid == 2:
            continue
        s, n = _markers(pid)
        if s == site and (n is None or n == node):
            marked.add(pid)
    return procs.descendants(marked, table) - skip


def _log_tail(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 2000))
            lines = fh.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _local_daemon(profile: profiles.Profile, table: dict[int, procs.Proc]) -> int | None:
    """pid of a running *local* nqsdaemon (no NQS_SITE, or NQS_SITE = this host), if any."""
    spec = profile.spec("nqsdaemon")
    host = os.uname().nodename.lower()
    for pid, p in table.items():
        if p.dead or p.comm not in ("nqsdaemon", "NQS nqsdaemon"):
            continue
        argv = procs.cmdline(pid)
        if not spec.matches(argv[0] if argv else "", p.comm):
            continue
        site = (procs.env_value(pid, profiles.MARKER) or "").lower()
        now = procs.read(pid)
        if now is None or now.dead or now.start != p.start:
            continue  # gone meanwhile (a zombie's environment reads empty)
        if not site or site in (host, host.split(".")[0]):
            return pid
    return None


def start(
    site: str,
    database: str,
    *,
    root: str,
    product: str | None,
    mode: str,
    timeout: float = DEFAULT_START_TIMEOUT,
    on_up: Callable[[Result], None] | None = None,
) -> Result:
    spool.check_database(database)  # trusted state only (security; see spool.check_root)
    if mode == "background":
        return _background(site, database, root=root, product=product, timeout=timeout)
    watching = mode == "watch"
    deadline = time.monotonic() + timeout
    with store.site_lock(root, site, timeout):
        res, ctx = _bring_up(site, database, root, product, watching, deadline, timeout)
    if on_up is not None:
        on_up(res)
    if not watching or ctx is None or not res.ok:
        return res
    return watch(ctx)


def _unrecoverable_database(site: str, database: str, product: str | None = None
                            ) -> Result | None:
    ident = store.read_identity(database)
    if ident is None and os.path.isdir(store.db_nqs(database)):
        # a site made by hand with JobCenter's cjcmksite: run it as it is (see create.adopt)
        from jobcenter_cluster.engine.create import adopt

        try:
            ident = adopt(site, database, product or default_product())
        except UserError as err:
            return Result(Outcome.INVALID, f"{site}: {err}")
        except OSError as err:
            return Result(Outcome.UNRECOVERABLE,
                          f"cannot write to the database {database}: {err.strerror}")
    if ident is not None:
        if ident.get("state") == "building":
            return Result(
                Outcome.INVALID,
                f"site create of {ident.get('name')} in {database} did not finish: run "
                "`jccluster site create` again with the same arguments",
            )
        if ident.get("name") != site:
            return Result(
                Outcome.UNRECOVERABLE,
                f"{database} is the database of site {ident.get('name')}, not {site}",
            )
        return None
    nqs = store.db_nqs(database)
    if not os.path.isdir(database):
        msg = f"database directory {database} does not exist here: is the shared disk mounted?"
    elif not os.path.isdir(nqs):
        msg = (
            f"{database} holds no site database ({nqs} missing): is the shared disk mounted? "
            "(a new site needs `jccluster site create` first)"
        )
    else:
        msg = f"{nqs} is not a jccluster site database ({store.identity_path(database)} missing)"
    return Result(Outcome.UNRECOVERABLE, msg)


def _bring_up(
    site: str,
    database: str,
    root: str,
    product: str | None,
    watching: bool,
    deadline: float,
    timeout: float,
) -> tuple[Result, WatchCtx | None]:
    bad = _unrecoverable_database(site, database, product)
    if bad:
        return bad, None
    ident = store.read_identity(database) or {}
    pname = ident.get("product") or product or default_product()
    if product and product != pname:
        return Result(
            Outcome.INVALID, f"site {site} was created for product {pname}, not {product}"
        ), None
    profile = profiles.get(pname)
    if not profile.runs_here:
        return Result(Outcome.UNSUPPORTED, f"{pname} sites are not run by the engine here"), None
    missing_progs = profile.missing_programs()
    if missing_progs:
        return Result(
            Outcome.NOT_INSTALLED, f"{pname} is not installed: {', '.join(missing_progs)} missing"
        ), None
    address = ident["address"]
    node = node_name()
    self_ident = me()
    run = store.read_run(root, site) or {}
    watcher = _ident(run.get("watcher"))
    watcher_alive = bool(watcher and watcher != self_ident and procs.alive(*watcher))
    base: dict[str, Any] = {
        "site": site,
        "database": database,
        "address": address,
        "product": pname,
        "node": node,
    }

    if run.get("state") == states.MAINTENANCE and watcher_alive:
        return Result(
            Outcome.SUCCESS, f"site {site} is already up in maintenance mode (watcher pid "
            f"{watcher[0] if watcher else '?'})"
        ), None

    table = procs.scan()
    exclude = procs.ancestors(os.getpid(), table)
    found_pids = site_processes(site, node, table, exclude=exclude)
    found = profile.match(found_pids, table)
    if found and len(found) == len(profile.specs):
        daemons = {n: [pid, table[pid].start] for n, pid in found.items()}
        if watcher_alive and watcher:
            return Result(
                Outcome.SUCCESS, f"site {site} is already running (watched by pid {watcher[0]})",
                {"already": True, "watcher_pid": watcher[0]},
            ), None
        spool.ensure_link(root, site, address, database)
        store.write_run(root, site, {
            **run, **base, "state": states.RUNNING, "daemons": daemons,
            "watcher": list(self_ident) if watching else None, "reason": None,
        })
        msg = f"site {site} is already running" + ("; now watched" if watching else "")
        ctx = WatchCtx(site, root, database, {n: (v[0], v[1]) for n, v in daemons.items()})
        return Result(Outcome.SUCCESS, msg, {"already": True}), ctx
    if found_pids:
        # leftovers of a crashed run: clear them, or the new start would make a second copy
        from jobcenter_cluster.engine.stop import terminate

        left = {pid: table[pid].start for pid in found_pids}
        terminate(left, time.monotonic() + min(5.0, max(deadline - time.monotonic(), 0.5)))
        table = procs.scan()

    link = spool.ensure_link(root, site, address, database)
    store.write_registry(root, {**ident, "name": site, "database": database})
    conf = daemonconf.load(profile.prefix(), root, database)
    local_conf = daemonconf.load(profile.prefix(), root, None)
    if local_conf.local_daemon is None:
        pid = _local_daemon(profile, table)
        if pid:
            return Result(
                Outcome.FAILED,
                f"the local JobCenter daemon (pid {pid}) is running and daemon.conf sets no "
                f"local_daemon: stop it, or set local_daemon=SITE in "
                f"{daemonconf.common_path(profile.prefix())}",
            ), None

    last = ident.get("last_host")
    migrated = bool(last and last != node)
    try:
        store.write_json(
            store.identity_path(database),
            {**ident, "last_host": node, "previous_host": last, "last_start": time.time()},
            sync=True,
        )
    except OSError as err:
        return Result(
            Outcome.UNRECOVERABLE, f"cannot write to the database {database}: {err.strerror}"
        ), None
    base.update({
        "migrated": migrated,
        "migrated_from": last if migrated else None,
        "started": time.time(),
        "owner": list(self_ident),
        "watcher": list(self_ident) if watching else None,
        "daemonconf": conf.files,
        "reason": None,
        "missing": [],
    })
    migration = f"; migrated from {last} to {node}" if migrated else ""
    details: dict[str, Any] = {"migrated": migrated, "spool_link": link}

    if conf.maintenance:
        store.write_run(root, site, {**base, "state": states.MAINTENANCE, "daemons": {}})
        src = conf.sources.get("maintenance", "daemon.conf")
        ctx = WatchCtx(site, root, database, {}, maintenance=True)
        return Result(
            Outcome.SUCCESS,
            f"site {site}: maintenance=ON ({src}): daemons not started{migration}",
            {**details, "maintenance": True},
        ), ctx

    from jobcenter_cluster.engine import keepport

    keepport.release(root, address)
    store.write_run(root, site, {**base, "state": states.STARTING, "daemons": {}})
    if watching:
        procs.set_subreaper()
    t0 = time.monotonic()
    env = dict(os.environ)
    env[profiles.MARKER] = site
    env[profiles.NODE_MARKER] = node
    env["JCCLUSTER_ROOT"] = root  # the emulated installation's spool root; JobCenter ignores it
    argv = profile.start_argv(site, database, profiles.python())
    log_path = os.path.join(store.meta_dir(database), "start.log")
    fsio.make_dirs(store.meta_dir(database), 0o755)
    with open(fsio.open_nofollow(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab") as log:
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd="/"
            )
        except OSError as err:
            return _start_failed(root, site, base, f"cannot run {argv[0]}: {err.strerror}"), None
        try:
            rc = proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return _start_failed(
                root, site, base, f"{argv[0]} did not return within {timeout:g}s"
            ), None
    if rc != 0:
        tail = _log_tail(log_path)
        return _start_failed(
            root, site, base, f"{' '.join(argv[:2])} exited with status {rc}"
            + (f": {tail}" if tail else "")
        ), None

    delay = 0.005
    while True:
        table = procs.scan()
        pids = site_processes(site, node, table, exclude=exclude)
        found = profile.match(pids, table)
        if len(found) == len(profile.specs):
            break
        if time.monotonic() >= deadline:
            missing = [s.name for s in profile.specs if s.name not in found]
            from jobcenter_cluster.engine.stop import terminate

            terminate({pid: table[pid].start for pid in pids}, time.monotonic() + 5.0)
            return _start_failed(
                root, site, base,
                f"site {site} did not come up within {timeout:g}s: "
                f"{', '.join(missing)} not running",
                missing,
            ), None
        time.sleep(delay)  # no event tells us a daemon has started: poll /proc, backing off
        delay = min(delay * 1.5, 0.1)
    daemons = {n: [pid, table[pid].start] for n, pid in found.items()}
    store.write_run(root, site, {**base, "state": states.RUNNING, "daemons": daemons})
    ms = (time.monotonic() - t0) * 1000
    ctx = WatchCtx(site, root, database, {n: (v[0], v[1]) for n, v in daemons.items()})
    return Result(
        Outcome.SUCCESS,
        f"site {site} started: {len(daemons)} daemons up in {ms:.0f} ms{migration}",
        {**details, "daemons": {n: v[0] for n, v in daemons.items()}},
    ), ctx


def _start_failed(
    root: str, site: str, base: dict[str, Any], reason: str, missing: list[str] | None = None
) -> Result:
    store.write_run(root, site, {
        **base, "state": states.FAILED, "reason": reason, "missing": missing or [],
        "watcher": None,
    })
    return Result(Outcome.FAILED, reason, {"missing": missing or []})


# --- background mode --------------------------------------------------------------------------


def _background(
    site: str, database: str, *, root: str, product: str | None, timeout: float
) -> Result:
    st = status(site, root=root)
    if st.outcome in (Outcome.RUNNING, Outcome.MAINTENANCE) and st.watcher_pid:
        return Result(
            Outcome.SUCCESS, f"site {site} is already running (watched by pid {st.watcher_pid})",
            {"already": True, "watcher_pid": st.watcher_pid},
        )
    bad = _unrecoverable_database(site, database, product)
    if bad:
        return bad
    log_path = store.watcher_log(database)
    try:
        log = open(  # noqa: SIM115 - handed to the child, closed below
            fsio.open_nofollow(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    except OSError as err:
        raise UserError(f"cannot open the watcher log {log_path}: {err.strerror}") from None
    r, w = os.pipe()
    argv = [
        profiles.python(), "-m", "jobcenter_cluster.engine.watcher", "--report-fd", str(w),
        "--root", root, "--timeout", repr(timeout), site, database,
    ]
    if product:
        argv += ["--product", product]
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(w,),
            start_new_session=True, cwd="/",
        )
    finally:
        os.close(w)
        log.close()
    proc.wait()  # the intermediate process exits as soon as it has forked the watcher
    data = _read_all(r, time.monotonic() + timeout + 10.0)
    if not data:
        return Result(
            Outcome.FAILED,
            f"the background watcher of {site} exited before reporting; see {log_path}",
        )
    try:
        rep = json.loads(data)
        return Result(Outcome(rep["outcome"]), rep.get("message", ""), rep.get("details") or {})
    except (ValueError, KeyError):
        return Result(Outcome.FAILED, f"garbled report from the background watcher: {data[:80]!r}")


def _read_all(fd: int, deadline: float) -> bytes:
    import select

    chunks = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def report_to(fd: int) -> Callable[[Result], None]:
    """on_up callback for the background watcher: write the bring-up result to ``fd``, once."""
    done = False

    def on_up(res: Result) -> None:
        nonlocal done
        if done:
            return
        done = True
        data = res.to_dict()
        data["details"] = {**data.get("details", {}), "watcher_pid": os.getpid()}
        try:
            os.write(fd, json.dumps(data, default=str).encode())
        finally:
            os.close(fd)

    return on_up

