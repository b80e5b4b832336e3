"""The engine's public API: what the CLI and every adapter's agent call.

Importing this module loads only the standard library and the engine's small modules: ``status``
runs every few seconds from cluster monitors, so the heavy parts (create, start/watch, stop,
keep-port) are imported by the functions that need them.

Every operation ends in an `Outcome` (see docs/engine.md for which operation ends in which):

=============  =======================================================================
operation      outcomes
=============  =======================================================================
create         SUCCESS; user mistakes raise `UserError`
start          SUCCESS (also: already running), FAILED (daemons did not come up, or --
               in watch mode -- a watched daemon died later), UNRECOVERABLE (database not
               here), INVALID, NOT_INSTALLED, UNSUPPORTED
stop           SUCCESS (also: already stopped), FAILED (something survived SIGKILL)
status         RUNNING, MAINTENANCE, STOPPED, FAILED, UNRECOVERABLE
validate       SUCCESS, INVALID, NOT_INSTALLED, UNSUPPORTED
keep_port      SUCCESS, FAILED (the port is taken)
=============  =======================================================================
"""

from __future__ import annotations

import os

from jobcenter_cluster.engine import procs, states, store
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.products import DEFAULT_PRODUCT, PRODUCTS, spool_hex

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


#: spool root of every product profile
SPOOL_ROOTS: dict[str, str] = {name: p.spool_root for name, p in PRODUCTS.items()}

__all__ = [
    "DEFAULT_START_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "EXIT_CODES",
    "Result",
    "SiteStatus",
    "create",
    "default_product",
    "exit_code",
    "keep_port",
    "list_sites",
    "node_name",
    "resolve_root",
    "site_path",
    "start",
    "status",
    "stop",
    "validate",
]

#: Default stop deadline (seconds): after the product's own stop and SIGTERM, whatever of the
#: site is left is SIGKILLed at this point. JobCenter's ``cjcpw -stop`` needs 1-2 minutes
#: (manual §3.3.7), so this leaves it room; adapters render their cluster's stop timeout larger
#: (``jccluster check`` enforces it) so that we kill before the cluster gives up on us.
DEFAULT_STOP_TIMEOUT: float = 120.0

#: Default time start waits for every watched daemon to show up.
DEFAULT_START_TIMEOUT: float = 30.0

#: Exit status of the ``jccluster site`` commands for each outcome (LSB-like: 0 running/ok,
#: 1 failed, 3 not running). Adapters have their own tables; these are for humans and scripts.
EXIT_CODES: dict[Outcome, int] = {
    Outcome.SUCCESS: 0,
    Outcome.RUNNING: 0,
    Outcome.MAINTENANCE: 0,
    Outcome.FAILED: 1,
    Outcome.INVALID: 2,
    Outcome.STOPPED: 3,
    Outcome.UNRECOVERABLE: 5,
    Outcome.NOT_INSTALLED: 6,
    Outcome.UNSUPPORTED: 7,
}

MODES = ("watch", "no-watch", "background")
def exit_code(outcome: Outcome) -> int:
    return EXIT_CODES.get(outcome, 1)


class Result:
    """What an engine operation ended in, with a one-line message for humans.

    A plain record class with the fields, order, defaults, ``repr`` and ``==`` of the
    equivalent ``@dataclass`` -- written out because importing `dataclasses` costs the status
    hot path ~10 ms (it imports inspect, ast and tokenize).
    """

    _fields: tuple[str, ...] = ("outcome", "message", "details")
    __hash__ = None  # type: ignore[assignment]  # mutable record, like a dataclass

    def __init__(self, outcome: Outcome, message: str = "",
                 details: dict[str, Any] | None = None) -> None:
        self.outcome = outcome
        self.message = message
        self.details: dict[str, Any] = {} if details is None else details

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.SUCCESS, Outcome.RUNNING, Outcome.MAINTENANCE)

    def to_dict(self) -> dict[str, Any]:
        data = {f: getattr(self, f) for f in self._fields}
        data["outcome"] = self.outcome.value
        for key in ("details", "daemons"):
            if key in data:
                data[key] = dict(data[key])
        if "missing" in data:
            data["missing"] = list(data["missing"])
        return data

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)


class SiteStatus(Result):
    """A site as seen from this node.

    ``daemons``: watched process name -> pid (None when it is not running); ``missing``: the
    watched processes that are gone or zombies.
    """

    _fields = (*Result._fields, "site", "watcher_pid", "daemons", "missing", "migrated",
               "maintenance", "database", "spool_link")

    def __init__(
        self,
        outcome: Outcome,
        message: str = "",
        details: dict[str, Any] | None = None,
        site: str = "",
        watcher_pid: int | None = None,
        daemons: dict[str, int | None] | None = None,
        missing: list[str] | None = None,
        migrated: bool = False,
        maintenance: bool = False,
        database: str | None = None,
        spool_link: str | None = None,
    ) -> None:
        super().__init__(outcome, message, details)
        self.site = site
        self.watcher_pid = watcher_pid
        self.daemons: dict[str, int | None] = {} if daemons is None else daemons
        self.missing: list[str] = [] if missing is None else missing
        self.migrated = migrated
        self.maintenance = maintenance
        self.database = database
        self.spool_link = spool_link


# --- small shared helpers ---------------------------------------------------------------------


def node_name() -> str:
    """This node's identity: ``$JCCLUSTER_NODE`` (tests simulate two nodes) or the host name."""
    return os.environ.get("JCCLUSTER_NODE") or os.uname().nodename


#: the cluster file engine commands read when ``$JCCLUSTER_CONFIG`` names none: a fixed path,
#: used only when it and its directories are root's (or yours) and nobody else can write them.
SYSTEM_CONFIG = "/etc/jccluster/jccluster.toml"


def default_product() -> str:
    """``[cluster] product`` of the cluster file: ``$JCCLUSTER_CONFIG``, else `SYSTEM_CONFIG`.

    Never ``./jccluster.toml``: root's current directory may be anybody's (a planted file there
    could turn the spool root into a relative path). See `spool.config_for_engine`."""
    from jobcenter_cluster.engine.spool import config_for_engine

    path = config_for_engine(os.environ.get("JCCLUSTER_CONFIG"), SYSTEM_CONFIG)
    if path is None:
        return DEFAULT_PRODUCT
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"{path}: cannot read the cluster file: {err}") from None
    cluster = data.get("cluster")
    product = cluster.get("product") if isinstance(cluster, dict) else None
    return product if isinstance(product, str) and product else DEFAULT_PRODUCT


def _product_name(product: str | None) -> str:
    name = product or default_product()
    if name not in SPOOL_ROOTS:
        known = ", ".join(sorted(SPOOL_ROOTS))
        raise UserError(f"unknown product {name!r} (use one of: {known})")
    return name


def resolve_root(root: str | None, product: str | None = None) -> str:
    """The spool root: ``root``, else ``$JCCLUSTER_ROOT``, else the product's spool root --
    absolute, and trusted (`spool.check_root`), or a one-line `UserError`."""
    from jobcenter_cluster.engine.spool import check_root

    chosen = root or os.environ.get("JCCLUSTER_ROOT")
    return check_root(chosen or SPOOL_ROOTS[_product_name(product)])


def spool_link_path(root: str, address: str | None) -> str | None:
    if not address:
        return None
    try:
        return os.path.join(root, spool_hex(address))
    except ValueError:
        return None


def _ident(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        try:
            return int(value[0]), int(value[1])
        except (TypeError, ValueError):
            return None
    return None


def _death(pid: int, start: int) -> str | None:
    """None if alive; else how it died ("is gone" / "is a zombie")."""
    p = procs.same(pid, start)
    if p is None:
        return "is gone"
    if p.dead:
        return "is a zombie"
    return None


# --- status (the hot path) --------------------------------------------------------------------


def status(
    site: str, *, root: str | None = None, product: str | None = None, database: str | None = None
) -> SiteStatus:
    """The site's state on this node. Reads two small files and ``/proc``; never writes."""
    key = store.check_site_name(site)
    root = resolve_root(root, product)
    run = store.read_run(root, key)
    reg = store.read_registry(root, key) if run is None else None
    info = run or reg or {}
    db = info.get("database") or (os.path.abspath(database) if database else None)
    st = SiteStatus(
        Outcome.STOPPED,
        site=key,
        database=db,
        spool_link=spool_link_path(root, info.get("address")),
        migrated=bool((run or {}).get("migrated")),
    )
    state = (run or {}).get("state", states.STOPPED)
    st.details["state"] = state
    if run is None:
        st.message = "not running on this node" if reg else "not known on this node"
        return st
    if store.stale_run(run):
        # The node crashed while running the site and has rebooted since: report it stopped,
        # never failed, or a cluster probing this node would think the site ran here too.
        st.migrated = False
        st.details["stale"] = True
        st.message = f"not running on this node (state {state!r} is from before the last reboot)"
        return st
    watcher = _ident(run.get("watcher"))
    st.watcher_pid = watcher[0] if watcher and procs.alive(*watcher) else None
    if state == states.STOPPED:
        st.message = "stopped"
        return st
    if state == states.STOPPING:
        st.message = "stopping"
        return st
    if state == states.FAILED:
        st.outcome = Outcome.FAILED
        st.message = run.get("reason") or "failed"
        st.missing = list(run.get("missing") or [])
        return st
    if db and not store.has_identity(db):
        st.outcome = Outcome.UNRECOVERABLE
        st.message = f"database {db} is gone or not mounted on this node"
        return st
    if state == states.STARTING:
        owner = _ident(run.get("owner"))
        if owner and procs.alive(*owner):
            st.message = "starting"
            return st
        st.outcome = Outcome.FAILED
        st.message = "start was interrupted before the site came up"
        return st
    if state == states.MAINTENANCE:
        st.maintenance = True
        if watcher and st.watcher_pid is None:
            st.outcome = Outcome.FAILED
            st.message = f"watcher (pid {watcher[0]}) died"
            return st
        st.outcome = Outcome.MAINTENANCE
        st.message = "maintenance=ON: daemons deliberately not started"
        return st
    # RUNNING
    dead: list[str] = []
    for name, value in (run.get("daemons") or {}).items():
        ident = _ident(value)
        how = _death(*ident) if ident else "is unknown"
        st.daemons[name] = None if how else (ident[0] if ident else None)
        if how:
            st.missing.append(name)
            dead.append(f"{name} (pid {ident[0] if ident else '?'}) {how}")
    if dead:
        st.outcome = Outcome.FAILED
        st.message = "; ".join(dead)
        return st
    if watcher and st.watcher_pid is None:
        st.outcome = Outcome.FAILED
        st.message = f"watcher (pid {watcher[0]}) died; the daemons run unwatched"
        return st
    st.outcome = Outcome.RUNNING
    st.message = "running" + ("" if watcher else " (not watched: started with --no-watch)")
    return st


def list_sites(*, root: str | None = None, product: str | None = None) -> list[SiteStatus]:
    """Every site on this node (registered here, or with a spool link here), like ``cjcls``."""
    root = resolve_root(root, product)
    names = {s["name"] for s in store.known_sites(root)}
    links: dict[str, str] = {}
    link_of: dict[str, str] = {}
    try:
        entries = os.listdir(root)
    except OSError:
        entries = []
    for entry in entries:
        path = os.path.join(root, entry)
        if len(entry) == 8 and os.path.islink(path):
            target = os.readlink(path)
            database = os.path.dirname(target.rstrip("/"))
            ident = store.read_identity(database)
            name = ident.get("name") if ident else _reverse_name(entry)
            if name:  # a site made by hand with cjcmksite has no identity: its name is the
                names.add(name)  # official name of its address (manual §2.10.1)
                links[name] = database
                link_of[name] = path
    out = []
    for name in sorted(names):
        st = status(name, root=root, database=links.get(name))
        if st.spool_link is None and name in links:
            ident = store.read_identity(links[name]) or {}
            st.spool_link = spool_link_path(root, ident.get("address")) or link_of.get(name)
        out.append(st)
    return out


def _reverse_name(hexname: str) -> str | None:
    try:
        address = ".".join(str(int(hexname[i:i + 2], 16)) for i in range(0, 8, 2))
        from jobcenter_cluster import hosts

        return store.check_site_name(hosts.gethostbyaddr(address)[0])
    except (OSError, ValueError, UserError):
        return None


def nqsdaemon_pid(st: SiteStatus) -> int | None:
    return st.daemons.get("nqsdaemon") if st.outcome == Outcome.RUNNING else None


# --- site path (nqspath) ----------------------------------------------------------------------


def site_path(site: str | None, *, root: str | None = None, product: str | None = None) -> str:
    """The standard spool path of SITE, else of ``$NQS_SITE``, else of the local site.

    Errors are the manual's two (§2.4): a name that does not resolve / is not a site →
    "Unable to setup NQS rootdir"; a site that is not on this machine → "Unable to chdir() to
    the NQS root directory."
    """
    root = resolve_root(root, product)
    name = site or os.environ.get("NQS_SITE") or ""
    host = os.uname().nodename.lower()
    if not name or name.lower() in (host, host.split(".")[0]):
        if not os.path.isdir(root):
            raise UserError(
                f"Unable to chdir() to the NQS root directory. ({root}: the local site is not "
                "installed on this machine)"
            )
        return root
    try:
        key = store.check_site_name(name)
    except UserError:
        raise UserError(f"Unable to setup NQS rootdir ({name!r} is not a site name)") from None
    reg = store.read_registry(root, key)
    address = reg.get("address") if reg else None
    if not address:
        from jobcenter_cluster import hosts

        try:
            address = hosts.gethostbyname(key)
        except OSError:
            raise UserError(
                f"Unable to setup NQS rootdir ({key} does not resolve; check DNS or /etc/hosts)"
            ) from None
    path = os.path.join(root, spool_hex(address))
    if not os.path.isdir(path):
        raise UserError(
            f"Unable to chdir() to the NQS root directory. ({path}: site {key} is not on this "
            "machine -- run `jccluster site start` here or use the node where it runs)"
        )
    return path


# --- validate -----------------------------------------------------------------------------------


def validate(
    site: str, database: str | None, *, root: str | None = None, product: str | None = None
) -> Result:
    """Can this node run the site at all? Cheap: names, product, paths; no processes started."""
    from jobcenter_cluster.engine import profiles

    try:
        key = store.check_site_name(site)
        root = resolve_root(root, product)
    except UserError as err:
        return Result(Outcome.INVALID, str(err))
    reg = store.read_registry(root, key) or {}
    name = product or reg.get("product") or default_product()
    if name not in SPOOL_ROOTS:
        return Result(Outcome.INVALID, f"unknown product {name!r}")
    profile = profiles.get(name)
    if not profile.runs_here:
        return Result(Outcome.UNSUPPORTED, f"{name} sites are not run by the engine on this OS")
    missing = profile.missing_programs()
    if missing:
        return Result(Outcome.NOT_INSTALLED, f"{name} is not installed: {', '.join(missing)} missing")
    if database is not None and not os.path.isabs(database):
        return Result(Outcome.INVALID, f"database path {database!r} must be absolute")
    if not reg.get("address"):
        from jobcenter_cluster import hosts

        try:
            hosts.gethostbyname(key)
        except OSError:
            return Result(Outcome.INVALID, f"site name {key} does not resolve on this node")
    return Result(Outcome.SUCCESS, f"{key} can run here ({name})")


# --- the heavier operations (imported on demand) ----------------------------------------------


def create(
    site: str,
    machine_id: int,
    database: str,
    *,
    root: str | None = None,
    product: str | None = None,
    force: bool = False,
    address: str | None = None,
) -> Result:
    """``cjcmksite``: create the site database and the spool link (see `engine.create`).

    ``address`` skips name resolution (the demo's hook; the CLI does not expose it).
    """
    from jobcenter_cluster.engine import create as _create
    from jobcenter_cluster.engine.spool import check_database

    check_database(database)
    return _create.create(
        site, machine_id, database, root=resolve_root(root, product),
        product=_product_name(product), force=force, address=address,
    )


def start(
    site: str,
    database: str,
    *,
    root: str | None = None,
    product: str | None = None,
    mode: str = "watch",
    timeout: float = DEFAULT_START_TIMEOUT,
) -> Result:
    """``cjcpw [-c]``: start the site, then (mode ``watch``) watch it in the foreground.

    - ``watch``: start if needed, then block; FAILED naming the daemon that died or turned zombie,
      SUCCESS when ``stop`` stopped the site.
    - ``no-watch``: return once every watched daemon is up (``cjcpw -c``).
    - ``background``: start a detached watcher; return once the site is up and watched.
    Start of a running site is SUCCESS and never a second copy (per-site lock).
    """
    if mode not in MODES:
        raise UserError(f"unknown start mode {mode!r} (use one of: {', '.join(MODES)})")
    from jobcenter_cluster.engine import lifecycle

    return lifecycle.start(
        store.check_site_name(site), os.path.abspath(database), root=resolve_root(root, product),
        product=product, mode=mode, timeout=timeout,
    )


def stop(
    site: str,
    *,
    root: str | None = None,
    product: str | None = None,
    timeout: float | None = None,
) -> Result:
    """``cjcpw -stop``: stop the site and make sure nothing of it survives the deadline."""
    from jobcenter_cluster.engine import stop as _stop

    return _stop.stop(
        store.check_site_name(site), root=resolve_root(root, product), product=product,
        timeout=DEFAULT_STOP_TIMEOUT if timeout is None else timeout,
    )


def keep_port(
    address: str,
    *,
    port: int = 607,
    hold: float | None = None,
    root: str | None = None,
    product: str | None = None,
    foreground: bool = False,
) -> Result:
    """``nqsportkpr``: hold the NQS port on the site address until the site's start releases it."""
    from jobcenter_cluster.engine import keepport

    return keepport.keep_port(
        address, port=port, hold=hold, root=resolve_root(root, product), foreground=foreground
    )
