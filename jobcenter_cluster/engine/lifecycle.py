"""``site start``: the counterpart of ``cjcpw [-c] SITE DBPATH`` (see `api.start`).

Order of work, under the per-site lock (`_bring_up`, one function per step):

1. `_check_database`: the database is here and is this site's (else UNRECOVERABLE: move the
   package elsewhere), and the product fits;
2. `_existing`: already running? the complete set of daemons of the recorded start (members by
   the recorded start token, `engine.members`) with a live watcher → SUCCESS, nothing started;
   without a watcher → adopted (watch mode) → SUCCESS; a partial set (a crashed earlier run, an
   interrupted stop) → its leftovers are terminated first, never a second copy; a copy of the
   site this engine did not start (root's daemons with the marker, no token) → FAILED;
3. `_register`: spool symlink created or repaired, site registered on this node;
4. `_daemon_conf`: ``local_daemon`` (a running local daemon, root's or the JobCenter user's,
   blocks the start unless ``local_daemon=SITE``), ``maintenance=ON`` (start nothing, stay up);
5. `_record_host`: migration: last host recorded in the database differs from this node →
   reported, recorded;
6. `_launch` and `_wait_up`: keep-port holders for the site address are released, the
   profile's start runs with the site's marker and a fresh secret start token in its
   environment, and every watched daemon must show up before the deadline (the error names the
   missing ones); the members' identities, the token's digest and the start time are recorded;
7. watch mode: `watcher.watch` until a daemon dies (FAILED) or ``stop`` ends it (SUCCESS).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import daemonconf, members, procs, profiles, spool, states, store
from jobcenter_cluster.engine.base import (
    DEFAULT_START_TIMEOUT,
    Ident,
    Progress,
    Result,
    default_product,
    ident,
    node_name,
)
from jobcenter_cluster.engine.status import status
from jobcenter_cluster.engine.watcher import FailureHook, WatchCtx, early_signals, watch
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

ProgressFn = Callable[[Progress], None] | None


def me() -> Ident:
    p = procs.read(os.getpid())
    return (os.getpid(), p.start if p else 0)


def _log_tail(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 2000))
            lines = fh.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


@dataclass
class Bring:
    """What one start knows while it brings the site up."""

    site: str
    database: str
    root: str
    watching: bool
    deadline: float
    timeout: float
    progress: ProgressFn = None
    on_failure: FailureHook = None
    product: str | None = None
    #: stop signals received since the start began (watch mode; see `watcher.early_signals`)
    pending: list[int] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)
    profile: profiles.Profile | None = None
    ident: dict[str, Any] = field(default_factory=dict)
    node: str = field(default_factory=node_name)
    me: Ident = field(default_factory=me)
    run: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    exclude: set[int] = field(default_factory=set)
    details: dict[str, Any] = field(default_factory=dict)
    migration: str = ""

    def say(self, phase: str, what: str, left: list[tuple[int, str]] | None = None) -> None:
        if self.progress is not None:
            self.progress(Progress(phase, what, time.monotonic() - self.t0, self.timeout, left))

    def ctx(self, daemons: dict[str, Ident], maintenance: bool = False) -> WatchCtx:
        return WatchCtx(self.site, self.root, self.database, daemons, maintenance=maintenance,
                        on_failure=self.on_failure)

    @property
    def prof(self) -> profiles.Profile:
        assert self.profile is not None
        return self.profile


Step = tuple[Result, WatchCtx | None] | None


def start(
    site: str,
    database: str,
    *,
    root: str,
    product: str | None,
    mode: str,
    timeout: float = DEFAULT_START_TIMEOUT,
    on_up: Callable[[Result], None] | None = None,
    progress: ProgressFn = None,
    on_failure: FailureHook = None,
) -> Result:
    spool.check_database(database)  # trusted state only (security; see base.check_root)
    if mode == "background":
        if on_failure is not None and not isinstance(on_failure, list):
            raise UserError("start --background: the failure hook must be a command (argv), "
                            "not a callback: it is handed to the detached watcher")
        return _background(site, database, root=root, product=product, timeout=timeout,
                           on_failure=on_failure)
    b = Bring(site, database, root, mode == "watch", time.monotonic() + timeout, timeout,
              progress, on_failure, product)
    if not b.watching:
        # a SIGTERM/SIGINT/SIGHUP during the bring-up ends it with a report -- what came up is
        # stopped, FAILED names the signal -- instead of killing the command silently while the
        # daemons come up unwatched (issue 28)
        with early_signals() as pending:
            b.pending = pending
            with store.site_lock(root, site, timeout):
                res, _ctx = _bring_up(b)
        if on_up is not None:
            on_up(res)
        return res
    with early_signals() as pending:
        b.pending = pending
        with store.site_lock(root, site, timeout):
            res, ctx = _bring_up(b)
        if on_up is not None:
            on_up(res)
        if ctx is None or not res.ok:
            return res
        ctx.pending = pending
        return watch(ctx)


def _bring_up(b: Bring) -> tuple[Result, WatchCtx | None]:
    """The steps of the module docstring, in order; the first that ends the start wins."""
    for step in (_check_database, _existing, _register, _daemon_conf, _record_host):
        done = step(b)
        if done is not None:
            return done
    return _launch(b)


# --- 1. the database and the product ----------------------------------------------------------


def _unrecoverable_database(site: str, database: str, product: str | None = None
                            ) -> Result | None:
    found = store.read_identity(database)
    if found is None and os.path.isdir(store.db_nqs(database)):
        # a site made by hand with JobCenter's cjcmksite: run it as it is (see create.adopt)
        from jobcenter_cluster.engine.create import adopt

        try:
            found = adopt(site, database, product or default_product())
        except UserError as err:
            return Result(Outcome.INVALID, f"{site}: {err}")
        except OSError as err:
            return Result(Outcome.UNRECOVERABLE,
                          f"cannot write to the database {database}: {err.strerror}")
    if found is not None:
        if found.get("state") == "building":
            return Result(
                Outcome.INVALID,
                f"site create of {found.get('name')} in {database} did not finish: run "
                "`jccluster site create` again with the same arguments",
            )
        if found.get("name") != site:
            return Result(
                Outcome.UNRECOVERABLE,
                f"{database} is the database of site {found.get('name')}, not {site}",
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


def _check_database(b: Bring) -> Step:
    product = b.product
    bad = _unrecoverable_database(b.site, b.database, product)
    if bad:
        return bad, None
    b.ident = store.read_identity(b.database) or {}
    product_name = b.ident.get("product") or product or default_product()
    if product and product != product_name:
        return Result(
            Outcome.INVALID, f"site {b.site} was created for product {product_name}, not {product}"
        ), None
    b.profile = profiles.get(product_name)
    if not b.profile.runs_here:
        return Result(Outcome.UNSUPPORTED, f"{product_name} sites are not run by the engine here"), None
    missing = b.profile.missing_programs()
    if missing:
        return Result(
            Outcome.NOT_INSTALLED, f"{product_name} is not installed: {', '.join(missing)} missing"
        ), None
    b.base = {"site": b.site, "database": b.database, "address": b.ident["address"],
              "product": product_name, "node": b.node}
    return None


# --- 2. what already runs ---------------------------------------------------------------------


def _existing(b: Bring) -> Step:
    b.run = store.read_run(b.root, b.site) or {}
    watcher = ident(b.run.get("watcher"))
    watcher_alive = bool(watcher and watcher != b.me and procs.alive(*watcher))
    if b.run.get("state") == states.MAINTENANCE and watcher_alive:
        return Result(
            Outcome.SUCCESS, f"site {b.site} is already up in maintenance mode (watcher pid "
            f"{watcher[0] if watcher else '?'})"
        ), None
    table = procs.scan()
    b.exclude = procs.ancestors(os.getpid(), table)
    mine = members.members(b.site, b.node, table, b.prof, b.run, exclude=b.exclude)
    found = b.prof.match(mine, table)
    complete = bool(found) and len(found) == len(b.prof.specs)
    if complete and watcher_alive and watcher:
        return Result(
            Outcome.SUCCESS, f"site {b.site} is already running (watched by pid {watcher[0]})",
            {"already": True, "watcher_pid": watcher[0]},
        ), None
    if complete and states.allowed(b.run.get("state"), states.RUNNING):
        return _adopt(b, found, mine, table)
    if mine:
        # leftovers of a crashed run or an interrupted stop: clear them, or the new start
        # would make a second copy
        from jobcenter_cluster.engine.stop import terminate

        b.say("stopping", f"leftovers of an earlier start: {len(mine)} processes")
        left = {pid: table[pid].start for pid in mine}
        terminate(left, time.monotonic() + min(5.0, max(b.deadline - time.monotonic(), 0.5)))
        table = procs.scan()
    other = members.foreign(b.site, b.node, table, b.prof, exclude=b.exclude, known=mine)
    if other:
        from jobcenter_cluster.engine.stop import foreign_origin

        listing = ", ".join(str(p) for p in sorted(other))
        origin = foreign_origin(b.site, other, b.root)
        return Result(
            Outcome.FAILED,
            f"daemons of site {b.site} that jccluster did not start run here (pids {listing}"
            f"{origin}); "
            f"stop them (`cjcpw -stop {b.site}`, or by pid: `jccluster site stop` signals only "
            "what its own start launched or what holds the database) and start again",
        ), None
    return None


def _adopt(b: Bring, found: dict[str, int], mine: set[int], table: dict[int, procs.Proc]
           ) -> Step:
    daemons = {n: [pid, table[pid].start] for n, pid in found.items()}
    spool.ensure_link(b.root, b.site, b.base["address"], b.database)
    ids = members.identities(mine, table)
    store.set_state(
        b.root, b.site, states.RUNNING, daemons=daemons, members=ids,
        watcher=list(b.me) if b.watching else None, reason=None, missing=[],
    )
    msg = f"site {b.site} is already running" + ("; now watched" if b.watching else "")
    ctx = b.ctx({n: (v[0], v[1]) for n, v in daemons.items()})
    ctx.members = {(p, s) for p, s in ids}
    return Result(Outcome.SUCCESS, msg, {"already": True}), ctx


# --- 3-5. link, registry, daemon.conf, migration ----------------------------------------------


def _register(b: Bring) -> Step:
    b.details["spool_link"] = spool.ensure_link(b.root, b.site, b.base["address"], b.database)
    store.write_registry(b.root, {**b.ident, "name": b.site, "database": b.database})
    return None


def _daemon_conf(b: Bring) -> Step:
    conf = daemonconf.load(b.prof.prefix(), b.root, b.database)
    local_conf = daemonconf.load(b.prof.prefix(), b.root, None)
    b.base["daemonconf"] = conf.files
    if local_conf.local_daemon is None:
        pid = members.local_daemon(b.prof, procs.scan())
        if pid:
            return Result(
                Outcome.FAILED,
                f"the local JobCenter daemon (pid {pid}) is running and daemon.conf sets no "
                f"local_daemon: stop it, or set local_daemon=SITE in "
                f"{daemonconf.common_path(b.prof.prefix())}",
            ), None
    b.base["maintenance_source"] = (
        conf.sources.get("maintenance", "daemon.conf") if conf.maintenance else None)
    return None


def _record_host(b: Bring) -> Step:
    last = b.ident.get("last_host")
    migrated = bool(last and last != b.node)
    try:
        store.write_json(
            store.identity_path(b.database),
            {**b.ident, "last_host": b.node, "previous_host": last, "last_start": time.time()},
            sync=True,
        )
    except OSError as err:
        return Result(
            Outcome.UNRECOVERABLE,
            f"cannot write to the database {b.database}: {err.strerror}",
        ), None
    b.base.update({
        "migrated": migrated,
        "migrated_from": last if migrated else None,
        "started": time.time(),
        "owner": list(b.me),
        "watcher": list(b.me) if b.watching else None,
        "reason": None,
        "missing": [],
    })
    b.migration = f"; migrated from {last} to {b.node}" if migrated else ""
    b.details["migrated"] = migrated
    return None


# --- 6. launch and wait -----------------------------------------------------------------------


def _launch(b: Bring) -> tuple[Result, WatchCtx | None]:
    store.set_state(b.root, b.site, states.STARTING, fresh={**b.base, "daemons": {}})
    if b.base.get("maintenance_source"):
        store.set_state(b.root, b.site, states.MAINTENANCE)
        return Result(
            Outcome.SUCCESS,
            f"site {b.site}: maintenance=ON ({b.base['maintenance_source']}): daemons not "
            f"started{b.migration}",
            {**b.details, "maintenance": True},
        ), b.ctx({}, maintenance=True)

    from jobcenter_cluster.engine import keepport

    keepport.release(b.root, b.base["address"])
    token, token_digest = members.new_token()
    since = procs.now_ticks() - 1
    b.base.update({"token": token_digest, "since": since})
    store.set_state(b.root, b.site, states.STARTING, token=token_digest, since=since)
    store.write_registry(b.root, {**(store.read_registry(b.root, b.site) or {}), "name": b.site,
                                  "database": b.database, "token": token_digest, "since": since})
    if b.watching:
        procs.set_subreaper()
    failed = _run_start(b, token)
    if failed:
        return _start_failed(b, failed), None
    return _wait_up(b)


def _run_start(b: Bring, token: str) -> str | None:
    """Run the profile's start command; None when it succeeded, else why not."""
    env = dict(os.environ)
    env[members.MARKER] = b.site
    env[members.NODE_MARKER] = b.node
    env[members.TOKEN] = token
    env["JCCLUSTER_ROOT"] = b.root  # the emulated installation's spool root; JobCenter ignores it
    argv = b.prof.start_argv(b.site, b.database, profiles.python())
    log_path = os.path.join(store.meta_dir(b.database), "start.log")
    b.say("starting", f"{' '.join(argv[:2])}")
    try:
        fsio.make_dirs(store.meta_dir(b.database), 0o755)
        log = open(  # noqa: SIM115 - closed below
            fsio.open_nofollow(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    except OSError as err:
        return f"cannot open {log_path}: {err.strerror}"
    with log:
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd="/"
            )
        except OSError as err:
            return f"cannot run {argv[0]}: {err.strerror}"
        try:
            rc = proc.wait(timeout=max(b.deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return f"{argv[0]} did not return within {b.timeout:g}s"
    if rc != 0:
        tail = _log_tail(log_path)
        return f"{' '.join(argv[:2])} exited with status {rc}" + (f": {tail}" if tail else "")
    return None


def _wait_up(b: Bring) -> tuple[Result, WatchCtx | None]:
    delay = 0.005
    run = {"token": b.base["token"], "since": b.base["since"]}
    while True:
        table = procs.scan()
        pids = members.members(b.site, b.node, table, b.prof, run, exclude=b.exclude)
        found = b.prof.match(pids, table)
        if len(found) == len(b.prof.specs):
            break
        missing = [s.name for s in b.prof.specs if s.name not in found]
        if time.monotonic() >= b.deadline or b.pending:
            from jobcenter_cluster.engine.stop import terminate

            def rescan() -> dict[int, int]:
                now = procs.scan()
                got = members.members(b.site, b.node, now, b.prof, run, exclude=b.exclude)
                return {pid: now[pid].start for pid in got}

            terminate({pid: table[pid].start for pid in pids}, time.monotonic() + 5.0, rescan)
            if b.pending:
                import signal

                why = f"start of site {b.site} interrupted by {signal.Signals(b.pending[0]).name}"
            else:
                why = f"site {b.site} did not come up within {b.timeout:g}s"
            return _start_failed(b, f"{why}: {', '.join(missing)} not running", missing), None
        b.say("waiting", f"waiting for {', '.join(missing)}")
        time.sleep(delay)  # no event tells us a daemon has started: poll /proc, backing off
        delay = min(delay * 1.5, 0.1)
    daemons = {n: [pid, table[pid].start] for n, pid in found.items()}
    ids = members.identities(pids, table)
    store.set_state(b.root, b.site, states.RUNNING, daemons=daemons, members=ids,
                    cgroup=members.own_cgroup(pids, table))
    ms = (time.monotonic() - b.t0) * 1000
    b.say("done", f"{len(daemons)} daemons up")
    ctx = b.ctx({n: (v[0], v[1]) for n, v in daemons.items()})
    ctx.members = {(p, s) for p, s in ids}
    return Result(
        Outcome.SUCCESS,
        f"site {b.site} started: {len(daemons)} daemons up in {ms:.0f} ms{b.migration}",
        {**b.details, "daemons": {n: v[0] for n, v in daemons.items()}},
    ), ctx


def _start_failed(b: Bring, reason: str, missing: list[str] | None = None) -> Result:
    store.set_state(b.root, b.site, states.FAILED, reason=reason, missing=missing or [],
                    watcher=None)
    return Result(Outcome.FAILED, reason, {"missing": missing or []})


# --- background mode --------------------------------------------------------------------------


def _background(
    site: str, database: str, *, root: str, product: str | None, timeout: float,
    on_failure: list[str] | None = None,
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
    _rotate(log_path)
    try:
        log = open(  # noqa: SIM115 - handed to the child, closed below
            fsio.open_nofollow(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    except OSError as err:
        raise UserError(f"cannot open the watcher log {log_path}: {err.strerror}") from None
    r, w = os.pipe()
    argv = [
        profiles.python(), "-m", "jobcenter_cluster.engine.background", "--report-fd", str(w),
        "--root", root, "--timeout", repr(timeout), site, database,
    ]
    if product:
        argv += ["--product", product]
    if on_failure:
        argv += ["--on-failure", json.dumps(list(on_failure))]
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


#: a background watcher's log is set aside (one old copy, ``watcher.log.1``) at the start that
#: finds it larger than this: it grew by every start and failure, forever (issue 28)
WATCHER_LOG_MAX = 1 << 20


def _rotate(path: str) -> None:
    """Keep ``path`` (a regular file, never followed if a symlink) under `WATCHER_LOG_MAX`."""
    import stat

    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_size > WATCHER_LOG_MAX:
            os.replace(path, path + ".1")
    except OSError:
        pass  # no log yet, or the disk refuses: the open below reports what matters


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
        except OSError as err:  # the caller is gone (killed while it waited): keep watching
            print(f"watcher {os.getpid()}: the start that launched it is gone ({err.strerror});"
                  " watching all the same", file=sys.stderr, flush=True)
        finally:
            os.close(fd)

    return on_up
