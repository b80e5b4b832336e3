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
stop           SUCCESS (also: already stopped), FAILED (something survived SIGKILL, or the
               stop could not run: never INVALID, never a raised `UserError`)
status         RUNNING, MAINTENANCE, STOPPED, FAILED, UNRECOVERABLE
validate       SUCCESS, INVALID, NOT_INSTALLED, UNSUPPORTED
keep_port      SUCCESS, FAILED (the port is taken)
=============  =======================================================================
"""

from __future__ import annotations

import os

from jobcenter_cluster.engine import store
from jobcenter_cluster.engine.base import (
    DEFAULT_START_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    EXIT_CODES,
    MODES,
    SPOOL_ROOTS,
    Progress,
    Result,
    SiteStatus,
    default_product,
    exit_code,
    node_name,
    product_name,
    require_timeout,
    resolve_root,
)
from jobcenter_cluster.engine.status import list_sites, nqsdaemon_pid, spool_link_path, status
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.products import spool_hex

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from jobcenter_cluster.engine.create import CreateSteps
    from jobcenter_cluster.engine.watcher import FailureHook

__all__ = [
    "DEFAULT_START_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "EXIT_CODES",
    "MODES",
    "SPOOL_ROOTS",
    "Progress",
    "Result",
    "SiteStatus",
    "require_database",
    "create",
    "default_product",
    "exit_code",
    "keep_port",
    "list_sites",
    "node_name",
    "nqsdaemon_pid",
    "resolve_root",
    "site_path",
    "spool_link_path",
    "start",
    "status",
    "stop",
    "validate",
]

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
        key = store.require_site_name(name)
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


# --- checks shared by the operations --------------------------------------------------------


def require_database(database: str, root: str, *, what: str = "DBPATH") -> str:
    """The database path, absolute and normalised, after the model's refusal rule
    (`jobcenter_cluster.model.refuse_database_path`); one-line `UserError` otherwise."""
    from jobcenter_cluster.model import check_path, refuse_database_path  # lazily: hot path

    if not isinstance(database, str) or not database:
        raise UserError(f"{what}: a database path is required (e.g. /mnt/jobdb)")
    if "\n" in database or "\0" in database:
        raise UserError(f"{what}: {database!r} contains a newline or NUL (rename the directory)")
    if not os.path.isabs(database):
        raise UserError(f"{what}: database path {database!r} must be absolute (e.g. /mnt/jobdb)")
    database = os.path.normpath(database)
    why = check_path(database, windows=False) or refuse_database_path(database, spool_root=root)
    if why:
        raise UserError(f"{what}: {why}")
    return database


def require_machine_id(machine_id: object) -> int:
    """MID as the cluster file's machine_id must be (`jobcenter_cluster.model.MACHINE_ID_RANGE`):
    the engine's one check of it (`engine.create` trusts what passed here)."""
    from jobcenter_cluster.model import MACHINE_ID_RANGE  # lazily: this module is on the hot path

    lo, hi = MACHINE_ID_RANGE
    if isinstance(machine_id, bool) or not isinstance(machine_id, int) or not lo <= machine_id <= hi:
        raise UserError(f"MID: machine ID {machine_id!r} must be a positive whole number from {lo} "
                        f"to {hi}")
    return machine_id


def trusted_database(database: str) -> None:
    """Refuse a database tree that a non-root user could write (`spool.require_trusted_database`)."""
    from jobcenter_cluster.engine.spool import require_trusted_database

    require_trusted_database(database)


def _unwritable(root: str) -> str | None:
    """The directory that makes the spool root unwritable for this process, or None."""
    path = root
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    meta = os.path.join(root, store.META)
    check = meta if os.path.isdir(meta) else path
    return None if os.access(check, os.W_OK) else check


def _writable(root: str) -> None:
    """Refuse, before anything is written, a spool root this process cannot write."""
    bad = _unwritable(root)
    if bad:
        raise UserError(f"spool root {root}: {bad} is not writable (a read-only file system, "
                        "or not root?): fix it or give another --root")


def _os_errors(what: str, err: OSError) -> UserError:
    where = f"{err.filename}: " if err.filename else ""
    return UserError(f"{what}: {where}{err.strerror or err} (check the spool root and the "
                     "database directory)")


# --- validate -----------------------------------------------------------------------------------


def validate(
    site: str, database: str | None, *, root: str | None = None, product: str | None = None
) -> Result:
    """Can this node run the site at all? Cheap: names, product, paths; no processes started."""
    from jobcenter_cluster.engine import profiles

    try:
        key = store.require_site_name(site)
        root = resolve_root(root, product)
        if database is not None:
            require_database(database, root)
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
    steps: CreateSteps | None = None,
) -> Result:
    """``cjcmksite``: create the site database and the spool link (see `engine.create`).

    Every argument is validated like the cluster file's before anything is written.
    ``address`` skips name resolution (the demo's hook; the CLI does not expose it);
    ``steps`` is a test's seam into the simulator build (`engine.create.CreateSteps`).
    """
    from jobcenter_cluster.engine import create as _create

    key = store.require_site_name(site)
    machine_id = require_machine_id(machine_id)
    root = resolve_root(root, product)
    database = require_database(database, root)
    trusted_database(database)
    pname = product_name(product)
    _writable(root)
    try:
        return _create.create(key, machine_id, database, root=root, product=pname, force=force,
                              address=address, steps=steps or _create.NO_STEPS)
    except OSError as err:
        raise _os_errors(f"site create {key}", err) from None


def start(
    site: str,
    database: str,
    *,
    root: str | None = None,
    product: str | None = None,
    mode: str = "watch",
    timeout: float = DEFAULT_START_TIMEOUT,
    on_up: Callable[[Result], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_failure: FailureHook = None,
) -> Result:
    """``cjcpw [-c]``: start the site, then (mode ``watch``) watch it in the foreground.

    - ``watch``: start if needed, then block; FAILED naming the daemon that died or turned zombie
      (or the signal that ended the watcher), SUCCESS when ``stop`` stopped the site.
    - ``no-watch``: return once every watched daemon is up (``cjcpw -c``).
    - ``background``: start a detached watcher; return once the site is up and watched.
    Start of a running site is SUCCESS and never a second copy (per-site lock).

    ``on_up(result)`` is called once the bring-up has ended (before watching); ``progress``
    gets a `Progress` at each step; ``on_failure`` (an argv or a callback) is the watcher's
    failure hook (see `engine.watcher`).
    """
    if mode not in MODES:
        raise UserError(f"unknown start mode {mode!r} (use one of: {', '.join(MODES)})")
    from jobcenter_cluster.engine import lifecycle

    key = store.require_site_name(site)
    root = resolve_root(root, product)
    database = require_database(database, root)
    limit = require_timeout(timeout, "--timeout")
    if on_failure is not None and not callable(on_failure):
        if not isinstance(on_failure, list | tuple) or not on_failure or not all(
                isinstance(a, str) and a and "\0" not in a for a in on_failure):
            raise UserError("--on-failure: give a command, e.g. '/usr/local/bin/notify --site X'")
        on_failure = list(on_failure)
    _writable(root)
    try:
        return lifecycle.start(
            key, database, root=root, product=product, mode=mode,
            timeout=DEFAULT_START_TIMEOUT if limit is None else limit,
            on_up=on_up, progress=progress, on_failure=on_failure,
        )
    except OSError as err:
        raise _os_errors(f"site start {key}", err) from None


def stop(
    site: str,
    *,
    root: str | None = None,
    product: str | None = None,
    timeout: float | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Result:
    """``cjcpw -stop``: stop the site and make sure nothing of it survives the deadline.

    Never raises `UserError`: a stop that could not do its work -- a bad argument, the lock
    held past the deadline, a spool root it cannot write or read -- ends in FAILED with the
    reason in the message (an argument error says so), because the cluster must never read a
    stop that did not happen as a successful one (issue 20). Its data (``to_dict()``) lists
    every process that needed SIGKILL as ``killed``."""
    from jobcenter_cluster.engine import stop as _stop

    try:
        key = store.require_site_name(site)
    except UserError as err:
        if not isinstance(site, str) or not store.is_host_name(site):
            # Verified, not trusted: a site name is an official host name (manual §2.10.1), so
            # nothing of a site by a name that is none can run here (create, start and
            # cjcmksite refuse it). A failed stop would have the cluster fence the node over a
            # typo whose start failed already.
            return Result(Outcome.SUCCESS, f"nothing to stop: {err}; no site of that name can "
                          "run on this node", {"argument_error": True})
        return _stop.not_stopped(str(site)[:80], str(err), argument=True)  # e.g. too long
    try:
        root = resolve_root(root, product)
        limit = require_timeout(timeout, "--timeout")
    except UserError as err:
        return _stop.not_stopped(key, str(err), argument=True)
    try:
        # a read-only spool root does not save the site from being stopped: stop it anyway
        # (no lock, no state written) and say so with FAILED
        return _stop.stop(
            key, root=root, product=product,
            timeout=DEFAULT_STOP_TIMEOUT if limit is None else limit, progress=progress,
            record=_unwritable(root) is None,
        )
    except UserError as err:  # e.g. a run state naming another database, a planted lock
        return _stop.not_stopped(key, str(err), partial=True)
    except OSError as err:
        return _stop.not_stopped(key, str(_os_errors(f"site stop {key}", err)), partial=True)


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

    keepport.require_args(address, port, hold)
    root = resolve_root(root, product)
    _writable(root)
    try:
        return keepport.keep_port(address, port=port, hold=hold, root=root,
                                  foreground=foreground)
    except OSError as err:
        raise _os_errors("site keep-port", err) from None
