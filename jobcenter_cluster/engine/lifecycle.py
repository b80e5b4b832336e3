"""``site start``: the counterpart of ``cjcpw [-c] SITE DBPATH`` (see `api.start`).

Order of work, under the per-site lock (`_bring_up`, one function per step; each step takes the
`Request` and the typed findings of the steps before it -- `Database`, `Leftovers`, `DaemonConf`,
`Host`, `Launched` -- and returns its own, or the `Ended` result that ends the start):

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
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from jobcenter_cluster.engine.base import ProgressFn



def require_absolute_hook(argv: list[str], what: str) -> None:
    """Refuse a failure hook whose program is not an absolute path: a bare name (``notify``)
    or a relative one (``bin/notify``) would be looked up on the PATH, or in the working
    directory, that root's caller happened to pass down -- whoever can write a directory there
    chooses what root runs. Raises `UserError` (one line: the option and the fix)."""
    program = argv[0] if argv else ""
    if not os.path.isabs(program):
        raise UserError(
            f"{what}: the program {program!r} is not an absolute path (it would be looked up on "
            f"root's inherited PATH); give its full path, e.g. "
            f"/usr/local/bin/{os.path.basename(program) or 'notify'}")


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


@dataclass(frozen=True)
class Request:
    """One start of one site, as the caller asked for it (the input of every step)."""

    site: str
    database: str
    root: str
    watching: bool
    deadline: float
    timeout: float
    product: str | None = None
    progress: ProgressFn = None
    on_failure: FailureHook = None
    #: stop signals received since the start began (watch mode; see `watcher.early_signals`):
    #: the list `early_signals` fills, shared, so the steps see a signal as it arrives
    pending: list[int] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)
    node: str = field(default_factory=node_name)
    me: Ident = field(default_factory=me)

    def say(self, phase: str, what: str, left: list[tuple[int, str]] | None = None) -> None:
        if self.progress is not None:
            self.progress(Progress(phase, what, time.monotonic() - self.t0, self.timeout, left))

    def ctx(self, daemons: dict[str, Ident], maintenance: bool = False) -> WatchCtx:
        return WatchCtx(self.site, self.root, self.database, daemons, maintenance=maintenance,
                        on_failure=self.on_failure)


@dataclass(frozen=True)
class Database:
    """Step 1: the site's identity (written beside its database) and the product that runs it."""

    identity: dict[str, Any]
    product: str
    profile: profiles.Profile

    @property
    def address(self) -> str:
        return str(self.identity["address"])


@dataclass(frozen=True)
class Leftovers:
    """Step 2: nothing of the site runs (any leftovers were terminated); our own ancestors,
    which are never members of the site."""

    exclude: set[int]


@dataclass(frozen=True)
class DaemonConf:
    """Step 4: the daemon.conf files read, and where ``maintenance=ON`` comes from (None: off)."""

    files: list[str]
    maintenance_source: str | None


@dataclass(frozen=True)
class Host:
    """Step 5: this node is now the database's last host; the one before, whether the site
    moved, and when."""

    last_host: str | None
    migrated: bool
    started: float


@dataclass(frozen=True)
class Prepared:
    """Steps 3-5 together: what the run record and the result report."""

    spool_link: str
    conf: DaemonConf
    host: Host

    @property
    def migrated(self) -> bool:
        return self.host.migrated

    def migration(self, node: str) -> str:
        return f"; migrated from {self.host.last_host} to {node}" if self.migrated else ""

    def details(self) -> dict[str, Any]:
        return {"spool_link": self.spool_link, "migrated": self.migrated}


@dataclass(frozen=True)
class Launched:
    """Step 6: the start command ran; the token digest and start time its members carry."""

    token: str
    since: int


#: a step that ends the start: its result, and what to watch (None: nothing)
Ended = tuple[Result, WatchCtx | None]


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
    if isinstance(on_failure, list):
        # before anything is checked or started; the CLI refused it already at parse time,
        # this covers $JCCLUSTER_ON_FAILURE (agents) and the library
        require_absolute_hook(on_failure, "the failure hook (--on-failure, "
                              "$JCCLUSTER_ON_FAILURE)")
    spool.require_trusted_database(database)  # trusted state only (security; see base.require_root)
    if mode == "background":
        if on_failure is not None and not isinstance(on_failure, list):
            raise UserError("start --background: the failure hook must be a command (argv), "
                            "not a callback: it is handed to the detached watcher")
        return _background(site, database, root=root, product=product, timeout=timeout,
                           on_failure=on_failure)
    watching = mode == "watch"
    # a SIGTERM/SIGINT/SIGHUP during the bring-up ends it with a report -- what came up is
    # stopped, FAILED names the signal -- instead of killing the command silently while the
    # daemons come up unwatched (issue 28)
    with early_signals() as pending:
        r = Request(site, database, root, watching, time.monotonic() + timeout, timeout,
                    product, progress, on_failure, pending)
        with store.site_lock(root, site, timeout):
            res, ctx = _bring_up(r)
        if watching:
            if on_up is not None:
                on_up(res)
            if ctx is None or not res.ok:
                return res
            ctx.pending = pending
            return watch(ctx)
    if on_up is not None:
        on_up(res)
    return res


def _bring_up(r: Request) -> Ended:
    """The steps of the module docstring, in order; the first that ends the start wins."""
    db = _check_database(r)
    if isinstance(db, tuple):
        return db
    left = _existing(r, db)
    if isinstance(left, tuple):
        return left
    link = _register(r, db)
    conf = _daemon_conf(r, db)
    if isinstance(conf, tuple):
        return conf
    host = _record_host(r, db)
    if isinstance(host, tuple):
        return host
    return _launch(r, db, left, Prepared(link, conf, host))


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


def _check_database(r: Request) -> Database | Ended:
    bad = _unrecoverable_database(r.site, r.database, r.product)
    if bad:
        return bad, None
    identity = store.read_identity(r.database) or {}
    product_name = identity.get("product") or r.product or default_product()
    if r.product and r.product != product_name:
        return Result(
            Outcome.INVALID, f"site {r.site} was created for product {product_name}, not {r.product}"
        ), None
    profile = profiles.get(product_name)
    if not profile.runs_here:
        return Result(Outcome.UNSUPPORTED, f"{product_name} sites are not run by the engine here"), None
    missing = profile.missing_programs()
    if missing:
        return Result(
            Outcome.NOT_INSTALLED, f"{product_name} is not installed: {', '.join(missing)} missing"
        ), None
    return Database(identity, product_name, profile)


# --- 2. what already runs ---------------------------------------------------------------------


def _existing(r: Request, db: Database) -> Leftovers | Ended:
    run = store.read_run(r.root, r.site) or {}
    watcher = ident(run.get("watcher"))
    watcher_alive = bool(watcher and watcher != r.me and procs.alive(*watcher))
    if run.get("state") == states.MAINTENANCE and watcher_alive:
        return Result(
            Outcome.SUCCESS, f"site {r.site} is already up in maintenance mode (watcher pid "
            f"{watcher[0] if watcher else '?'})"
        ), None
    table = procs.scan()
    exclude = procs.ancestors(os.getpid(), table)
    mine = members.members(r.site, r.node, table, db.profile, run, exclude=exclude)
    found = db.profile.match(mine, table)
    complete = bool(found) and len(found) == len(db.profile.specs)
    if complete and watcher_alive and watcher:
        return Result(
            Outcome.SUCCESS, f"site {r.site} is already running (watched by pid {watcher[0]})",
            {"already": True, "watcher_pid": watcher[0]},
        ), None
    if complete and states.allowed(run.get("state"), states.RUNNING):
        return _adopt(r, db, found, mine, table)
    if mine:
        # leftovers of a crashed run or an interrupted stop: clear them, or the new start
        # would make a second copy
        from jobcenter_cluster.engine.stop import terminate

        r.say("stopping", f"leftovers of an earlier start: {len(mine)} processes")
        left = {pid: table[pid].start for pid in mine}
        terminate(left, time.monotonic() + min(5.0, max(r.deadline - time.monotonic(), 0.5)))
        table = procs.scan()
    other = members.foreign(r.site, r.node, table, db.profile, exclude=exclude, known=mine)
    if other:
        from jobcenter_cluster.engine.stop import foreign_origin

        listing = ", ".join(str(p) for p in sorted(other))
        origin = foreign_origin(r.site, other, r.root)
        return Result(
            Outcome.FAILED,
            f"daemons of site {r.site} that jccluster did not start run here (pids {listing}"
            f"{origin}); "
            f"stop them (`cjcpw -stop {r.site}`, or by pid: `jccluster site stop` signals only "
            "what its own start launched or what holds the database) and start again",
        ), None
    return Leftovers(exclude)


def _adopt(r: Request, db: Database, found: dict[str, int], mine: set[int],
           table: dict[int, procs.Proc]) -> Ended:
    daemons = {n: [pid, table[pid].start] for n, pid in found.items()}
    spool.ensure_link(r.root, r.site, db.address, r.database)
    ids = members.identities(mine, table)
    store.set_state(
        r.root, r.site, states.RUNNING, daemons=daemons, members=ids,
        watcher=list(r.me) if r.watching else None, reason=None, missing=[],
    )
    msg = f"site {r.site} is already running" + ("; now watched" if r.watching else "")
    ctx = r.ctx({n: (v[0], v[1]) for n, v in daemons.items()})
    ctx.members = {(p, s) for p, s in ids}
    return Result(Outcome.SUCCESS, msg, {"already": True}), ctx


# --- 3-5. link, registry, daemon.conf, migration ----------------------------------------------


def _register(r: Request, db: Database) -> str:
    """The spool link (returned) and this node's registry entry."""
    link = spool.ensure_link(r.root, r.site, db.address, r.database)
    store.write_registry(r.root, {**db.identity, "name": r.site, "database": r.database})
    return link


def _daemon_conf(r: Request, db: Database) -> DaemonConf | Ended:
    conf = daemonconf.load(db.profile.prefix(), r.root, r.database)
    local_conf = daemonconf.load(db.profile.prefix(), r.root, None)
    if local_conf.local_daemon is None:
        pid = members.local_daemon(db.profile, procs.scan())
        if pid:
            return Result(
                Outcome.FAILED,
                f"the local JobCenter daemon (pid {pid}) is running and daemon.conf sets no "
                f"local_daemon: stop it, or set local_daemon=SITE in "
                f"{daemonconf.common_path(db.profile.prefix())}",
            ), None
    return DaemonConf(conf.files, (
        conf.sources.get("maintenance", "daemon.conf") if conf.maintenance else None))


def _record_host(r: Request, db: Database) -> Host | Ended:
    last = db.identity.get("last_host")
    migrated = bool(last and last != r.node)
    try:
        store.write_json(
            store.identity_path(r.database),
            {**db.identity, "last_host": r.node, "previous_host": last, "last_start": time.time()},
            sync=True,
        )
    except OSError as err:
        return Result(
            Outcome.UNRECOVERABLE,
            f"cannot write to the database {r.database}: {err.strerror}",
        ), None
    return Host(last, migrated, time.time())


# --- 6. launch and wait -----------------------------------------------------------------------


def _run_record(r: Request, db: Database, p: Prepared) -> dict[str, Any]:
    """The run file a start begins with (`store.set_state`'s ``fresh``)."""
    return {"site": r.site, "database": r.database, "address": db.address,
            "product": db.product, "node": r.node, "daemonconf": p.conf.files,
            "maintenance_source": p.conf.maintenance_source, "migrated": p.migrated,
            "migrated_from": p.host.last_host if p.migrated else None, "started": p.host.started,
            "owner": list(r.me), "watcher": list(r.me) if r.watching else None,
            "reason": None, "missing": [], "daemons": {}}


def _launch(r: Request, db: Database, left: Leftovers, p: Prepared) -> Ended:
    store.set_state(r.root, r.site, states.STARTING, fresh=_run_record(r, db, p))
    if p.conf.maintenance_source:
        store.set_state(r.root, r.site, states.MAINTENANCE)
        return Result(
            Outcome.SUCCESS,
            f"site {r.site}: maintenance=ON ({p.conf.maintenance_source}): daemons not "
            f"started{p.migration(r.node)}",
            {**p.details(), "maintenance": True},
        ), r.ctx({}, maintenance=True)

    from jobcenter_cluster.engine import keepport

    keepport.release(r.root, db.address)
    token, token_digest = members.new_token()
    since = procs.now_ticks() - 1
    store.set_state(r.root, r.site, states.STARTING, token=token_digest, since=since)
    store.write_registry(r.root, {**(store.read_registry(r.root, r.site) or {}), "name": r.site,
                                  "database": r.database, "token": token_digest, "since": since})
    if r.watching:
        procs.set_subreaper()
    failed = _run_start(r, db, token)
    if failed:
        return _start_failed(r, failed), None
    return _wait_up(r, db, left, p, Launched(token_digest, since))


def _run_start(b: Request, db: Database, token: str) -> str | None:
    """Run the profile's start command; None when it succeeded, else why not."""
    env = dict(os.environ)
    env[members.MARKER] = b.site
    env[members.NODE_MARKER] = b.node
    env[members.TOKEN] = token
    env["JCCLUSTER_ROOT"] = b.root  # the emulated installation's spool root; JobCenter ignores it
    argv = db.profile.start_argv(b.site, b.database, profiles.python())
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


def _wait_up(r: Request, db: Database, left: Leftovers, p: Prepared, launched: Launched
             ) -> Ended:
    delay = 0.005
    run = {"token": launched.token, "since": launched.since}
    prof = db.profile
    while True:
        table = procs.scan()
        pids = members.members(r.site, r.node, table, prof, run, exclude=left.exclude)
        found = prof.match(pids, table)
        if len(found) == len(prof.specs):
            break
        missing = [s.name for s in prof.specs if s.name not in found]
        if time.monotonic() >= r.deadline or r.pending:
            from jobcenter_cluster.engine.stop import terminate

            def rescan() -> dict[int, int]:
                now = procs.scan()
                got = members.members(r.site, r.node, now, prof, run, exclude=left.exclude)
                return {pid: now[pid].start for pid in got}

            terminate({pid: table[pid].start for pid in pids}, time.monotonic() + 5.0, rescan)
            if r.pending:
                import signal

                why = f"start of site {r.site} interrupted by {signal.Signals(r.pending[0]).name}"
            else:
                why = f"site {r.site} did not come up within {r.timeout:g}s"
            return _start_failed(r, f"{why}: {', '.join(missing)} not running", missing), None
        r.say("waiting", f"waiting for {', '.join(missing)}")
        time.sleep(delay)  # no event tells us a daemon has started: poll /proc, backing off
        delay = min(delay * 1.5, 0.1)
    daemons = {n: [pid, table[pid].start] for n, pid in found.items()}
    ids = members.identities(pids, table)
    store.set_state(r.root, r.site, states.RUNNING, daemons=daemons, members=ids,
                    cgroup=members.own_cgroup(pids, table))
    ms = (time.monotonic() - r.t0) * 1000
    r.say("done", f"{len(daemons)} daemons up")
    ctx = r.ctx({n: (v[0], v[1]) for n, v in daemons.items()})
    ctx.members = {(p, s) for p, s in ids}
    return Result(
        Outcome.SUCCESS,
        f"site {r.site} started: {len(daemons)} daemons up in {ms:.0f} ms{p.migration(r.node)}",
        {**p.details(), "daemons": {n: v[0] for n, v in daemons.items()}},
    ), ctx


def _start_failed(r: Request, reason: str, missing: list[str] | None = None) -> Result:
    store.set_state(r.root, r.site, states.FAILED, reason=reason, missing=missing or [],
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
        # the log lives in the database: one that cannot be written here is the situation a
        # foreground or --no-watch start reports as unrecoverable (_record_host), and so is it
        # here -- one situation, one outcome (issue 28: this answered 2 and they 5)
        return Result(Outcome.UNRECOVERABLE,
                      f"cannot write to the database {database}: cannot open the watcher log "
                      f"{log_path}: {err.strerror}")
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
