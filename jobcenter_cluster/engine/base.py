"""The engine's leaf module: result records, progress, defaults and small shared helpers.

Every other engine module imports from here; this module imports no other engine module (the
import-linter ``layers`` contract in pyproject.toml keeps it so). Standard library only and
cheap to import: ``status`` runs every few seconds from cluster monitors.
"""

from __future__ import annotations

import os

from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.products import DEFAULT_PRODUCT, PRODUCTS

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    #: what a long start or stop reports its steps to (None: nobody)
    ProgressFn = Callable[["Progress"], None] | None

#: Default stop deadline (seconds): after the product's own stop and SIGTERM, whatever of the
#: site is left is SIGKILLed at this point. JobCenter's ``cjcpw -stop`` needs 1-2 minutes
#: (manual §3.3.7), so this leaves it room; adapters render their cluster's stop timeout larger
#: (``jccluster check`` enforces it) so that we kill before the cluster gives up on us.
DEFAULT_STOP_TIMEOUT: float = 120.0

#: Default time start waits for every watched daemon to show up.
DEFAULT_START_TIMEOUT: float = 30.0

#: Longest stop or start deadline accepted (a day): beyond it a typo, not a plan.
MAX_TIMEOUT: float = 86400.0

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

#: spool root of every product profile
SPOOL_ROOTS: dict[str, str] = {name: p.spool_root for name, p in PRODUCTS.items()}

Ident = tuple[int, int]


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
        # `stop` data: every process that needed SIGKILL, as [pid, name] (the shared contract)
        if "killed" in self.details:
            data["killed"] = [list(k) for k in self.details["killed"]]
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

    ``state``: ``running``, ``failed``, ``stopping``, ``stopped`` or ``maintenance`` (what an
    operator reads; ``outcome`` is what a cluster acts on). ``known``: False when this node has
    never seen the site. ``daemons``: watched process name -> pid (None when it is not running);
    ``missing``: the watched processes that are gone or zombies; ``members``: live processes of
    the site as ``[pid, start]``.
    """

    _fields = (*Result._fields, "site", "watcher_pid", "daemons", "missing", "migrated",
               "maintenance", "database", "spool_link", "state", "known")

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
        state: str = "stopped",
        known: bool = True,
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
        self.state = state
        self.known = known


class Progress:
    """One step of a long start or stop, for a progress callback (a terminal line, a log).

    ``phase``: "starting", "waiting", "stopping", "terminating", "killing" or "done"; ``what``:
    what it waits for, in words; ``elapsed``: seconds since the operation began; ``deadline``:
    the operation's total seconds (None: no deadline); ``left``: ``(pid, name)`` of the site's
    processes still alive.
    """

    __slots__ = ("phase", "what", "elapsed", "deadline", "left")

    def __init__(self, phase: str, what: str, elapsed: float, deadline: float | None = None,
                 left: list[tuple[int, str]] | None = None) -> None:
        self.phase = phase
        self.what = what
        self.elapsed = elapsed
        self.deadline = deadline
        self.left: list[tuple[int, str]] = [] if left is None else left

    def __repr__(self) -> str:
        return (f"Progress(phase={self.phase!r}, what={self.what!r}, elapsed={self.elapsed:.3f}, "
                f"deadline={self.deadline!r}, left={self.left!r})")


def node_name() -> str:
    """This node's identity: ``$JCCLUSTER_NODE`` (tests simulate two nodes) or the host name."""
    return os.environ.get("JCCLUSTER_NODE") or os.uname().nodename


#: the cluster file engine commands read when ``$JCCLUSTER_CONFIG`` names none: a fixed path,
#: used only when it and its directories are root's (or yours) and nobody else can write them.
SYSTEM_CONFIG = "/etc/jccluster/jccluster.toml"


def config_for_engine(named: str | None, system_default: str) -> str | None:
    """The cluster file an engine command may read, by the one rule every command follows
    (`jobcenter_cluster.configfile.choose`): the one named (``-c``, ``$JCCLUSTER_CONFIG``: the
    operator's choice), else ``./jccluster.toml`` only when it passes the trust rule, else
    ``system_default`` when it exists and passes it (a `UserError` when it exists but does
    not), else None."""
    from jobcenter_cluster import configfile

    return configfile.choose(named, env={}, system=system_default).path


def default_product() -> str:
    """``[cluster] product`` of the cluster file (`config_for_engine`): ``$JCCLUSTER_CONFIG``,
    else a trusted ``./jccluster.toml``, else `SYSTEM_CONFIG`.

    A ``./jccluster.toml`` someone else could have planted is never read: root's current
    directory may be anybody's (such a file could turn the spool root into a relative path)."""
    path = config_for_engine(os.environ.get("JCCLUSTER_CONFIG"), SYSTEM_CONFIG)
    if path is None:
        return DEFAULT_PRODUCT
    from jobcenter_cluster.model import read_cluster_data  # lazily: only with a cluster file

    data = read_cluster_data(path)
    cluster = data.get("cluster")
    product = cluster.get("product") if isinstance(cluster, dict) else None
    return product if isinstance(product, str) and product else DEFAULT_PRODUCT


def product_name(product: str | None) -> str:
    """The product to use: ``product``, else the cluster file's; UserError if it is unknown."""
    name = product or default_product()
    if name not in SPOOL_ROOTS:
        known = ", ".join(sorted(SPOOL_ROOTS))
        raise UserError(f"--product: unknown product {name!r} (use one of: {known})")
    return name


def resolve_root(root: str | None, product: str | None = None) -> str:
    """The spool root: ``root``, else ``$JCCLUSTER_ROOT``, else the product's spool root --
    absolute, and trusted (`require_root`), or a one-line `UserError`.

    The product is checked in every case, so ``--root DIR --product bogus`` is refused too."""
    if product is not None:
        product_name(product)
    chosen = root or os.environ.get("JCCLUSTER_ROOT")
    if chosen and ("\n" in chosen or "\0" in chosen):
        raise UserError("--root: a spool root cannot contain a newline or NUL")
    return require_root(chosen or SPOOL_ROOTS[product_name(product)])


#: the spool root's state directory (= `store.META`; this leaf module cannot import store) and
#: the directories under it the engine reads and writes
STATE_META = ".jccluster"
STATE_DIRS = ("sites", "run", "lock", "keepport")


def require_root(root: str) -> str:
    """Refuse (`UserError`) a relative spool root or one a non-root user could write; check its
    ``.jccluster`` tree too. Missing directories are fine: they are created later, with explicit
    modes, below a directory that passed. Returns ``root``."""
    from jobcenter_cluster import fsio

    if not os.path.isabs(root):
        raise UserError(
            f"spool root {root!r} must be an absolute path (give --root /DIR or "
            "$JCCLUSTER_ROOT; a Windows product's spool root is not run by the engine here)"
        )
    fsio.require_trusted(root, what="spool root", missing_ok=True)
    meta = os.path.join(root, STATE_META)
    require_child(meta)
    for sub in STATE_DIRS:
        require_child(os.path.join(meta, sub))
    return root


def require_child(path: str, what: str = "spool root") -> None:
    """Like `fsio.require_trusted` for an entry whose parent has just passed: one ``lstat``
    (the status hot path runs this every few seconds)."""
    from jobcenter_cluster import fsio

    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if st.st_mode & 0o170000 == 0o120000 or not fsio.trusted_owner(st.st_uid) \
            or st.st_mode & 0o022:
        fsio.require_trusted(path, what=what, missing_ok=True)


def ident(value: Any) -> Ident | None:
    """A ``[pid, start]`` pair read from a state file, or None when it is not one."""
    if isinstance(value, list | tuple) and len(value) == 2:
        try:
            pid, start = int(value[0]), int(value[1])
        except (TypeError, ValueError):
            return None
        return (pid, start) if pid > 0 else None
    return None


def require_timeout(value: float | None, what: str) -> float | None:
    """A deadline in seconds: finite, positive, at most a day (``nan``/``inf``/``-1`` refused)."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{what}: {value!r} is not a number of seconds") from None
    if not (0 < v <= MAX_TIMEOUT):  # also false for nan
        raise UserError(f"{what}: {value!r} must be a number of seconds above 0 and at most "
                        f"{MAX_TIMEOUT:g}")
    return v
