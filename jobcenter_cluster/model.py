"""The cluster file: a TOML description of one cluster, validated into typed objects.

Standard library only (tomllib). Every rejection is a `ConfigError` that carries the file, the
field path and the fix as data (`source`, `field`, `detail`, and the `line` once placed in the
file's text by `place_errors`); its message is rendered from them, e.g. ``jccluster.toml:
site[0].name: "orange" is not a fully qualified host name (write it as the official name with its
domain, e.g. "orange.example.com")``.

The shape of the file is a public contract::

    [cluster]
    product = "jobcenter-linux"   # jobcenter-linux | jobcenter-hpux | jobcenter-solaris |
                                  # jobcenter-aix | jobcenter-windows | simulator
    supervisor = "jccluster"      # or "cjcpw"; default: "jccluster" where our engine runs
                                  # (Linux, Solaris, AIX), "cjcpw" elsewhere (Windows, HP-UX),
                                  # where "jccluster" is refused

    [[node]]
    name = "spencer.example.com"
    address = "10.17.21.160"
    machine_id = 160

    [[site]]
    name = "orange.example.com"
    address = "10.17.21.162"
    machine_id = 162
    database = "/mnt/jobdb"
    monitor = true
    netmask = "255.255.255.0"     # the site address's netmask (required where a subnet is rendered)

    [serviceguard]                # one optional table per adapter, for that product's options

Adapter option tables are validated by the adapter (`jobcenter_cluster.adapter.parse_options`);
per-site adapter options go in a sub-table of the site: ``[site.clusterpro-windows]`` right after
that ``[[site]]``.
"""

from __future__ import annotations

import os

from jobcenter_cluster.errors import ConfigError, ConfigErrors
from jobcenter_cluster.products import PRODUCTS, Product, spool_hex, standard_spool_path
from jobcenter_cluster.records import LazyPattern, Record

# Adapter modules import this one for its validation helpers, on the monitor hot path: no
# typing, no dataclasses, and tomllib/ipaddress only where a file is read or an address checked.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

DEFAULT_CONFIG = "jccluster.toml"
#: the `ConfigError.code` of a value the file leaves out and must give (``is required``)
REQUIRED = "required"
SUPERVISORS = ("jccluster", "cjcpw")
#: how generated scripts call our CLI: an absolute path, since cluster products pass no PATH
#: to the commands they run (Serviceguard: "neither the PATH variable nor any other environment
#: variable is passed", Managing Serviceguard 17th ed., service_cmd).
DEFAULT_JCCLUSTER = "/usr/local/bin/jccluster"
DEFAULT_JCCLUSTER_WINDOWS = "C:\\jccluster\\jccluster.exe"

# RFC 1123 label: letters, digits, hyphen; no leading/trailing hyphen; 1..63 chars.
_LABEL = LazyPattern(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
# An account name for Windows (sAMAccountName rules, no domain part: the manual says so, §3.2.2.4).
_ACCOUNT = LazyPattern(r"^[A-Za-z0-9._-]{1,20}\Z")
_CONTROL = LazyPattern(r"[\x00-\x1f\x7f]")
_JCCLUSTER_COMMAND = LazyPattern(r"[A-Za-z0-9_./:\\-]+\Z")
_CLUSTER_NAME = LazyPattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,38}\Z")
# Windows path: drive letter, then components without the characters Windows forbids.
_WIN_PATH = LazyPattern(r'^[A-Za-z]:\\(?:[^<>:"/\\|?*\x00-\x1f]+\\?)*\Z')


class Node(Record):
    __slots__ = ("name", "address", "machine_id", "index")

    def __init__(self, name: str, address: str, machine_id: int, index: int = 0) -> None:
        self.name = name
        self.address = address
        self.machine_id = machine_id
        self.index = index

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[0]


class Site(Record):
    __slots__ = ("name", "address", "machine_id", "database", "monitor", "index",
                 "adapter_options", "netmask")

    def __init__(self, name: str, address: str, machine_id: int, database: str,
                 monitor: bool = True, index: int = 0,
                 adapter_options: Mapping[str, Mapping[str, Any]] | None = None,
                 netmask: str | None = None) -> None:
        self.name = name
        self.address = address
        self.machine_id = machine_id
        self.database = database
        self.monitor = monitor
        self.index = index
        #: the site address's netmask, dotted (``255.255.255.0``), or None when the file has none:
        #: adapters that render a subnet or mask require it (`require_netmask`) and never guess.
        self.netmask = netmask
        #: per-adapter option sub-tables of this site, raw (the adapter validates them).
        self.adapter_options: Mapping[str, Mapping[str, Any]] = adapter_options or {}

    def __hash__(self) -> int:
        return hash((self.name, self.address, self.machine_id, self.database))

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def spool_hex(self) -> str:
        return spool_hex(self.address)

    def spool_path(self, root: str = "/usr/spool/nqs") -> str:
        return standard_spool_path(self.address, root)

    @property
    def where(self) -> str:
        return f"site[{self.index}]"

    @property
    def subnet(self) -> str | None:
        """The network address of the site address under its netmask (None without one)."""
        if self.netmask is None:
            return None
        import ipaddress

        net = ipaddress.IPv4Network(f"{self.address}/{self.netmask}", strict=False)
        return str(net.network_address)

    def require_netmask(self, source: str, what: str) -> str:
        """The netmask, or the one-line `ConfigError` naming ``site[N].netmask`` when the cluster
        file has none: `what` says which rendered value needs it. Never a guessed /24."""
        if self.netmask is None:
            raise ConfigError(
                f"is required for {what}; write the site address's netmask, e.g. netmask = "
                "\"255.255.255.0\" (jccluster does not guess it)",
                source=source, field=f"{self.where}.netmask", code=REQUIRED)
        return self.netmask


class Cluster(Record):
    """A validated cluster file.

    `install_prefix`: where JobCenter is installed on every node (``/usr/lib/nqs``,
    ``C:\\JobCenter``); `jccluster`: the absolute path of our CLI on the nodes; `spool_root`: the
    spool root the engine uses on the nodes (None: the product's), passed to every agent call as
    ``--root``; `name`: a name for the cluster where a product wants one; `adapter_options`: the
    raw adapter option tables, keyed by adapter name.
    """

    __slots__ = ("product", "supervisor", "nodes", "sites", "install_prefix", "jccluster",
                 "spool_root", "name", "adapter_options", "source", "supervisor_explicit")

    def __init__(self, product: Product, supervisor: str, nodes: tuple[Node, ...],
                 sites: tuple[Site, ...], install_prefix: str, jccluster: str,
                 spool_root: str | None = None, name: str = "jobcenter",
                 adapter_options: Mapping[str, Mapping[str, Any]] | None = None,
                 source: str = DEFAULT_CONFIG, supervisor_explicit: bool = True) -> None:
        self.product = product
        self.supervisor = supervisor
        self.nodes = nodes
        self.sites = sites
        self.install_prefix = install_prefix
        self.jccluster = jccluster
        self.spool_root = spool_root
        self.name = name
        self.adapter_options: Mapping[str, Mapping[str, Any]] = adapter_options or {}
        self.source = source
        #: False when the file leaves ``supervisor`` to its default (the product's, which an
        #: adapter that cannot use it replaces with its own: see `Adapter.supervisors`)
        self.supervisor_explicit = supervisor_explicit

    def with_supervisor(self, supervisor: str) -> Cluster:
        """This cluster with another (defaulted) supervisor."""
        values = {k: getattr(self, k) for k in self.__slots__}
        values["supervisor"] = supervisor
        values["supervisor_explicit"] = False
        return Cluster(**values)

    def __hash__(self) -> int:
        return hash((self.product.name, self.nodes, self.sites, self.source))

    @property
    def windows(self) -> bool:
        return self.product.windows

    def command(self, name: str) -> str:
        """Full path of a native JobCenter command (``cjcpw``, ``nqsportkpr`` …) on the nodes."""
        return self.product.command(name, self.install_prefix)

    def site(self, name: str) -> Site:
        for s in self.sites:
            if name in (s.name, s.short_name):
                return s
        known = ", ".join(s.name for s in self.sites)
        hint = _closest(name, [s.name for s in self.sites] + [s.short_name for s in self.sites])
        fix = f"did you mean {hint!r}? " if hint else ""
        raise ConfigError(f"no site named {name!r} ({fix}the file defines: {known})",
                          source=self.source)

    def select_sites(self, name: str | None) -> tuple[Site, ...]:
        return self.sites if name is None else (self.site(name),)


# --------------------------------------------------------------------------- validation helpers


class Checker:
    """Builds precise messages (file, field, fix) and collects every mistake of one file.

    Checks keep the one style ``raise c.fail(field, why)``. The parser runs each field (or each
    table) inside ``with c.guard():``, which records the `ConfigError` and carries on with the
    next field, so one run reports every mistake; `done` raises them all as `ConfigErrors`.
    A value assigned before the guard is the fallback the rest of the parse goes on with; a
    check that uses another field's value runs only ``if c.ok(that_field)``, so it never meets
    a fallback (``if c.ok(f"{where}.address"): ... check_site_netmask(address, ...)``).
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[ConfigError] = []

    def fail(self, where: str, message: str, code: str | None = None) -> ConfigError:
        """The mistake `message` of the field `where` (``site[0].name``) of this file."""
        return ConfigError(message, source=self.source, field=where, code=code)

    def guard(self) -> _Guard:
        """``with c.guard(): ...``: a `ConfigError` inside is recorded, and the parse goes on."""
        return _Guard(self)

    def ok(self, *fields: str) -> bool:
        """None of `fields` (``site[0].address``, or a table such as ``site[0]``) had a mistake."""
        failed = {e.field for e in self.errors if e.field}

        def within(inner: str, outer: str) -> bool:
            return inner == outer or inner.startswith((outer + ".", outer + "["))

        return not any(within(w, f) or within(f, w) for f in fields for w in failed)

    def done(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(self.errors)

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {_tname(value)}")
        return value

    def keys(self, table: Mapping[str, Any], where: str, allowed: Iterable[str],
             homes: Mapping[str, str] | None = None) -> None:
        """Every unknown key of `table` is one mistake (all of them are recorded). `homes` maps
        a key to the table it belongs in (default: the core tables' keys)."""
        allowed = list(allowed)
        bad = []
        for key in table:
            if key not in allowed:
                home = _home_of(key, where) if homes is None else homes.get(key)
                hint = _closest(key, allowed)
                fix = (f"it belongs in {home}" if home else
                       f"did you mean {hint!r}?" if hint else
                       f"allowed: {', '.join(allowed)}" if allowed else "this table takes no keys")
                bad.append(self.fail(f"{where}.{key}" if where else key, f"unknown key ({fix})"))
        if len(bad) > 1:
            self.errors.extend(bad[:-1])
        if bad:
            raise bad[-1]

    def required(self, table: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in table:
            raise self.fail(f"{where}.{key}", "is required", code=REQUIRED)
        return table[key]

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, not {_tname(value)}")
        why = check_plain_text(value)
        if why:
            raise self.fail(where, why)
        if not value:
            raise self.fail(where, "must not be empty")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {_tname(value)}")
        return value


class _Guard:
    """The context manager of `Checker.guard` (not contextlib's: model.py is on the hot path)."""

    __slots__ = ("checker",)

    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def __enter__(self) -> _Guard:
        return self

    def __exit__(self, kind: Any, err: Any, tb: Any) -> bool:
        if isinstance(err, ConfigError):
            self.checker.errors.append(err)
            return True
        return False


def _tname(value: Any) -> str:
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


#: the tables of the core keys, for "it belongs in …" when a key is in the wrong one.
_KEY_HOMES = {
    "cluster": "[cluster]",
    "node": "[[node]]",
    "site": "[[site]]",
}


def _home_of(key: str, where: str) -> str | None:
    """The table a core key belongs in, when `where` is not one of them."""
    here = where.split("[", 1)[0].split(".", 1)[0]
    homes = [t for t, keys in (("cluster", CLUSTER_KEYS), ("node", NODE_KEYS), ("site", SITE_KEYS))
             if key in keys and t != here]
    if not homes or (here in ("node", "site") and key in NODE_KEYS and key in SITE_KEYS):
        return None
    return " or ".join(_KEY_HOMES[t] for t in homes)


def _closest(word: str, choices: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def check_hostname(value: str, *, fqdn: bool) -> str | None:
    """Return why `value` is not an RFC 1123 host name (fully qualified if `fqdn`), or None."""
    name = value[:-1] if value.endswith(".") else value
    if len(name) > 253:
        return f"{value!r} is longer than 253 characters"
    labels = name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            return (
                f"{value!r} is not a valid host name (RFC 1123: letters, digits and hyphens, "
                "labels of 1-63 characters, no leading or trailing hyphen)"
            )
    if labels[-1].isdigit():
        return f"{value!r} looks like an address, not a host name"
    if fqdn and len(labels) < 2:
        return (
            f"{value!r} is not a fully qualified host name (write the official name with its "
            f"domain, e.g. \"{value}.example.com\"; the manual forbids aliases)"
        )
    return None


def check_ipv4(value: str) -> str | None:
    import ipaddress

    try:
        addr = ipaddress.IPv4Address(value)
    except ValueError:
        return f"{value!r} is not an IPv4 address (write it as four numbers, e.g. 10.17.21.162)"
    if addr.is_unspecified or addr.is_multicast or str(addr) == "255.255.255.255":
        return f"{value!r} cannot be a host address (use the node's or site's unicast address)"
    return None


def check_machine_id(value: Any) -> str | None:
    """Why `value` is not an NQS machine ID (a whole number in `MACHINE_ID_RANGE`), or None.
    The one home of the rule: the cluster file, the importer and ``site create`` call it."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a whole number, not {_tname(value)}"
    lo, hi = MACHINE_ID_RANGE
    if not lo <= value <= hi:
        return f"{value} is out of range (use {lo}..{hi})"
    return None


def check_plain_text(value: str) -> str | None:
    """Why `value` cannot stand in the cluster file as written (a control character), or None."""
    if _CONTROL.search(value):
        return f"{value!r} contains a control character (remove it)"
    return None


def check_jccluster_command(value: str) -> str | None:
    """Why `value` cannot be ``cluster.jccluster`` (how generated scripts call our CLI)."""
    if not _JCCLUSTER_COMMAND.match(value):
        return f"{value!r} must be a plain command name or path (letters, digits, . _ - / \\ :)"
    return None


def check_cluster_name(value: str) -> str | None:
    """Why `value` cannot be ``cluster.name``, or None."""
    if not _CLUSTER_NAME.match(value):
        return f"{value!r} must be 1-39 letters, digits, '.', '_' or '-'"
    return None


def check_supervisor(value: str) -> str | None:
    """Why `value` is not one of `SUPERVISORS`, or None."""
    if value in SUPERVISORS:
        return None
    hint = _closest(value, SUPERVISORS)
    return (f"{value!r} is not a supervisor ("
            + (f"did you mean {hint!r}? " if hint else "")
            + 'use "jccluster" to call our engine, or "cjcpw" to call JobCenter\'s own watcher)')


def check_path(value: str, *, windows: bool) -> str | None:
    """Return why `value` is not an absolute database path for the OS, or None."""
    if windows:
        if not _WIN_PATH.match(value):
            return (
                f"{value!r} is not an absolute Windows path (write it as X:\\folder, without "
                '< > : " / | ? *)'
            )
        if "%" in value:
            return f"{value!r} contains '%', which cmd.exe would expand (rename the folder)"
        return _windows_components(value)
    if not value.startswith("/"):
        return f"{value!r} is not an absolute path (start it with '/', e.g. /mnt/jobdb)"
    if value != "/" and (value.endswith("/") or "//" in value):
        return f"{value!r} is not in normal form (write it without doubled or trailing '/')"
    parts = value.split("/")
    if "." in parts or ".." in parts:
        return f"{value!r} contains '.' or '..' (write the real absolute path)"
    if value == "/":
        return "'/' cannot hold a site database (use a directory on the shared disk)"
    return None


#: names Windows reserves for devices, with or without an extension (CON, CON.txt, ...)
_WIN_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)


def _windows_components(value: str) -> str | None:
    """Why a drive-absolute Windows path has a component Windows would not keep as written."""
    for part in value[3:].split("\\"):
        if not part:
            continue
        if part in (".", ".."):
            return f"{value!r} contains '.' or '..' (write the real absolute path)"
        if part.endswith((".", " ")):
            return (f"{value!r}: the folder name {part!r} ends in '.' or a space, which Windows "
                    "drops (rename it)")
        if part.split(".", 1)[0].rstrip(" ").upper() in _WIN_DEVICES:
            return f"{value!r}: {part!r} is a Windows device name, not a folder (rename it)"
    return None


#: a database may not be one of these or hold one of them (stop would signal what uses them)
PROTECTED_TREES = ("/", "/usr", "/var", "/etc", "/tmp", "/home", "/root", "/opt", "/srv",
                   "/mnt", "/media")
#: a database may not lie inside one of these (the system's own files)
SYSTEM_TREES = ("/usr", "/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib",
                "/lib64", "/run")


def _inside(path: str, tree: str, sep: str) -> bool:
    return path == tree or path.startswith(tree.rstrip(sep) + sep)


def refuse_database_path(path: str, *, windows: bool = False,
                         spool_root: str | None = None) -> str | None:
    """Why ``path`` must not be a site database, or None.

    `site stop` signals every process with a file or working directory inside the database
    (the manual's ``fuser -k``), so a database that is or holds a system tree would stop the
    node. Refused: a path that equals or is an ancestor of one of `PROTECTED_TREES`, lies
    inside one of `SYSTEM_TREES`, or is (or lies inside) the spool root. On POSIX an existing
    path is checked as written and with its symlinks resolved. Paths inside /tmp, /mnt, /var
    and the like stay legal (/mnt/jobdb is the manual's example).
    """
    if windows:
        import ntpath

        norm = ntpath.normpath(path).lower()
        drive = ntpath.splitdrive(norm)[0]
        if norm.rstrip("\\") == drive:
            return f"{path!r} is a whole drive (use a folder on the shared disk, e.g. X:\\jobdb)"
        if _inside(norm, drive + "\\windows", "\\"):
            return f"{path!r} lies inside the Windows folder (use a folder on the shared disk)"
        if spool_root and _inside(norm, ntpath.normpath(spool_root).lower(), "\\"):
            return (f"{path!r} is or lies inside the spool root {spool_root} (use a folder on "
                    "the shared disk)")
        return None
    import posixpath

    candidates = [posixpath.normpath("/" + path.lstrip("/")) if path.startswith("/") else path]
    if os.path.lexists(path):
        candidates.append(os.path.realpath(path))
    for cand in candidates:
        why = _refused_posix(cand, spool_root)
        if why:
            shown = path if cand == candidates[0] else f"{path} (which resolves to {cand})"
            return f"{shown} {why} (use a directory of its own on the shared disk, e.g. /mnt/jobdb)"
    return None


def _refused_posix(path: str, spool_root: str | None) -> str | None:
    for tree in PROTECTED_TREES:
        if _inside(tree, path, "/"):
            return f"is or holds {tree}, which a stop of the site would signal"
    for tree in SYSTEM_TREES:
        if _inside(path, tree, "/"):
            return f"lies inside the system tree {tree}"
    if spool_root:
        import posixpath

        root = posixpath.normpath(spool_root)
        if _inside(path, root, "/"):
            return f"is or lies inside the spool root {root}"
    return None


#: the characters a POSIX path may hold to stand unquoted in every product's configuration and
#: command lines (Serviceguard service_cmd, VCS program lines, PowerHA script paths, ...).
PLAIN_PATH_CHARACTERS = "letters, digits and _ @ % + = : , . / -"
_PLAIN_PATH = LazyPattern(r"/[A-Za-z0-9_@%+=:,./-]*\Z")


def check_plain_path(value: str, why: str = "") -> str | None:
    """Why `value` is not an absolute POSIX path in normal form made only of characters that
    need no quoting (`PLAIN_PATH_CHARACTERS`), or None. `why` names what requires it."""
    reason = check_path(value, windows=False)
    if reason:
        return reason
    if not _PLAIN_PATH.match(value):
        return (f"{value!r} must be an absolute path of {PLAIN_PATH_CHARACTERS}"
                + (f" ({why})" if why else ""))
    return None


def check_netmask(value: str) -> str | None:
    """Why `value` is not an IPv4 netmask (dotted, e.g. 255.255.255.0, or a prefix length)."""
    import ipaddress

    try:
        ipaddress.IPv4Network(f"0.0.0.0/{value}")
    except ValueError:
        return f"{value!r} is not an IPv4 netmask (e.g. 255.255.255.0)"
    return None


def normal_netmask(value: str) -> str:
    """A netmask accepted by `check_netmask` in dotted form (``24`` -> ``255.255.255.0``)."""
    import ipaddress

    return str(ipaddress.IPv4Network(f"0.0.0.0/{value}").netmask)


def check_site_netmask(address: str, value: str) -> str | None:
    """Why `value` cannot be the netmask of the host `address`, or None."""
    why = check_netmask(value)
    if why:
        return why
    import ipaddress

    net = ipaddress.IPv4Network(f"{address}/{value}", strict=False)
    if net.prefixlen == 0:
        return f"{value!r} is not a usable netmask (write the site network's, e.g. 255.255.255.0)"
    if net.prefixlen < 31 and ipaddress.IPv4Address(address) in (net.network_address,
                                                                  net.broadcast_address):
        return (f"{value!r} makes the site address {address} its network's "
                f"{'network' if ipaddress.IPv4Address(address) == net.network_address else 'broadcast'}"
                " address (check the netmask)")
    return None


def check_account(value: str) -> str | None:
    if "\\" in value or "@" in value:
        return f"{value!r} has a domain part (give the account name alone, as the manual says)"
    if not _ACCOUNT.match(value):
        return f"{value!r} is not a plain account name (letters, digits, '.', '_', '-'; 1-20)"
    return None


# --------------------------------------------------------------------------- loading


CLUSTER_KEYS = ("product", "supervisor", "install_prefix", "jccluster", "spool_root", "name")
NODE_KEYS = ("name", "address", "machine_id")
SITE_KEYS = ("name", "address", "machine_id", "database", "monitor", "netmask")
MACHINE_ID_RANGE = (1, 2_147_483_647)
#: longest site name whose every engine file name fits in NAME_MAX (the engine's
#: `store.MAX_SITE_NAME`: 255 less room for ".json" and a temporary file's suffix)
MAX_SITE_NAME = 215


#: largest cluster file read (bytes): a real one is a few kilobytes
MAX_CLUSTER_FILE = 1 << 20
#: deepest nesting of tables and arrays in a cluster file (a real one uses three)
MAX_NESTING = 32


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of ``value``, stopping as soon as it passes ``limit``."""
    todo = [(value, 1)]
    deepest = 0
    while todo:
        item, d = todo.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            todo.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, d + 1) for v in item)
    return deepest


def open_regular(path: str) -> Any:
    """``path`` opened for binary reading, only when it is a regular file, without ever
    blocking: opened with ``O_NONBLOCK`` (a FIFO with no writer would block a plain open, and
    a monitor must never hang), checked with ``fstat`` after the open (no race with a rename),
    then switched back to blocking reads. Anything else (FIFO, device, socket, directory) is a
    one-line `ConfigError`; a missing file is ``FileNotFoundError``."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise ConfigError("is a directory, not a cluster file", source=path)
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "a device")
            raise ConfigError(f"not a regular file ({kind}); name the cluster file itself with "
                              "-c FILE", source=path)
        why = _untrusted_file(path, os.fstat(fd))
        if why:
            raise ConfigError(f"not trusted: {why}; a cluster file must be owned by root or you "
                              "and not writable by group or others, nor the directories above "
                              "it (see docs/security.md)", source=path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _untrusted_file(path: str, st: os.stat_result) -> str:
    """Why the cluster file at ``path`` (opened: its status ``st``) fails the trust rule, or
    "": the file, a symlink on the way to it, and every directory above it must be owned by
    root or the caller and not writable by group or others (a sticky directory such as /tmp
    may be). Every command applies it to every cluster file, named with -c or found (root must
    not let another user's file choose the program its agents run). Cheap: stat calls only."""
    import stat as st_mod

    me = os.geteuid()

    def bad(entry: str, s: os.stat_result, leaf: bool) -> str:
        mode = st_mod.S_IMODE(s.st_mode)
        if s.st_uid not in (0, me):
            return f"{entry} is owned by uid {s.st_uid} (mode {mode:04o}), not by root or you"
        if st_mod.S_ISLNK(s.st_mode):
            return ""
        sticky_dir = not leaf and st_mod.S_ISDIR(s.st_mode) and s.st_mode & st_mod.S_ISVTX
        if s.st_mode & 0o022 and not sticky_dir:
            who = "others" if s.st_mode & 0o002 else "its group"
            return f"{entry} is writable by {who} (mode {mode:04o})"
        return ""

    why = bad(path, st, True)
    if why:
        return why
    here = os.path.abspath(path)
    for _ in range(40):
        ls = os.lstat(here)
        if not st_mod.S_ISLNK(ls.st_mode):
            break
        why = bad(f"the symbolic link {here}", ls, True)
        if why:
            return why
        here = os.path.normpath(os.path.join(os.path.dirname(here), os.readlink(here)))
    parent = os.path.dirname(os.path.realpath(here))
    while True:
        why = bad(parent, os.stat(parent), False)
        if why:
            return why
        if parent == "/":
            return ""
        parent = os.path.dirname(parent)


def read_cluster_data(path: str) -> dict[str, Any]:
    """The TOML data of a cluster file, read with limits: a regular file of at most
    `MAX_CLUSTER_FILE` bytes, UTF-8, tables and arrays nested at most `MAX_NESTING` deep.
    Every failure is one `ConfigError` line naming the file and the fix."""
    import tomllib

    try:
        with open_regular(path) as fh:
            raw = fh.read(MAX_CLUSTER_FILE + 1)
    except FileNotFoundError:
        raise ConfigError(
            "no such cluster file (write one with 'jccluster init' or pass -c FILE)", source=path
        ) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a cluster file", source=path) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", source=path) from None
    if len(raw) > MAX_CLUSTER_FILE:
        raise ConfigError(f"larger than {MAX_CLUSTER_FILE // 1024} KiB: not a cluster file "
                          "(name the right file with -c)", source=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (byte 0x{raw[err.start]:02x} at offset "
                          f"{err.start}): save the cluster file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", source=path) from None
    except RecursionError:
        raise ConfigError(f"tables or arrays nested too deep (at most {MAX_NESTING})",
                          source=path) from None
    if _depth(data, MAX_NESTING) > MAX_NESTING:
        raise ConfigError(f"tables or arrays nested too deep (at most {MAX_NESTING})",
                          source=path)
    return data


def load_cluster(
    path: str | os.PathLike[str] | None = None,
    *,
    adapter_names: Iterable[str] | None = None,
) -> Cluster:
    """Read and validate a cluster file (default ``./jccluster.toml``).

    `adapter_names`: the names of the installed adapters; a top-level table or per-site sub-table
    with any other name is an error naming the key. Without it, any extra table is accepted as an
    adapter option table (its adapter validates it).
    """
    path = os.fspath(path) if path is not None else DEFAULT_CONFIG
    data = read_cluster_data(path)
    try:
        return parse_cluster(data, source=path, adapter_names=adapter_names)
    except ConfigError as err:
        errors = err.errors if isinstance(err, ConfigErrors) else [err]
        raise _as_raised(errors, path) from None


def _as_raised(errors: list[ConfigError], path: str) -> ConfigError:
    """The mistakes of the file at `path` (`file_errors`) as one error (`ConfigErrors` when
    several)."""
    placed = file_errors(errors, path)
    return placed[0] if len(placed) == 1 else ConfigErrors(placed)


def file_errors(errors: Iterable[ConfigError], path: str) -> list[ConfigError]:
    """The mistakes of the cluster file at `path`, each placed on its line and sorted by it
    (`place_errors`), their values hidden when the file is not yours (`_not_quoting`)."""
    return [_not_quoting(path, e) for e in place_errors(errors, read_text(path))]


def read_text(path: str) -> str:
    """The cluster file's text, for placing mistakes (empty when it cannot be read, or is no
    longer a regular file: `open_regular`)."""
    try:
        with open_regular(path) as fh:
            return fh.read(MAX_CLUSTER_FILE + 1).decode("utf-8", "replace")
    except (OSError, ConfigError):
        return ""


def _not_quoting(path: str, err: ConfigError) -> ConfigError:
    """``err`` as it is for a file of yours; for anybody else's (or one reached through their
    symlink) only the file and the field: a value is never quoted from a file you do not own
    (security: root must not copy a line of a file it was pointed to into a log)."""
    from jobcenter_cluster.fsio import may_echo

    if may_echo(path):
        return err
    return err.replace(detail="invalid (details not shown: the file is not yours; check it as its "
                       "owner with `jccluster validate -c FILE`)")


class Head(Record):
    """The ``[cluster]`` table, validated (a field with a mistake keeps its default)."""

    __slots__ = ("product", "supervisor", "install_prefix", "jccluster", "spool_root", "name",
                 "supervisor_explicit")

    def __init__(self, product: Product, supervisor: str, install_prefix: str, jccluster: str,
                 spool_root: str | None, name: str, supervisor_explicit: bool) -> None:
        self.product = product
        self.supervisor = supervisor
        self.install_prefix = install_prefix
        self.jccluster = jccluster
        self.spool_root = spool_root
        self.name = name
        self.supervisor_explicit = supervisor_explicit


class Checked(Record):
    """What `check_cluster` found: the `Cluster` the data describes -- complete when `errors`
    is empty; otherwise each field with a mistake holds a placeholder, so the adapters' own
    tables can still be checked in the same pass -- and every mistake, in the data's order."""

    __slots__ = ("cluster", "errors")

    def __init__(self, cluster: Cluster, errors: tuple[ConfigError, ...]) -> None:
        self.cluster = cluster
        self.errors = errors


def parse_cluster(
    data: Mapping[str, Any],
    *,
    source: str = DEFAULT_CONFIG,
    adapter_names: Iterable[str] | None = None,
) -> Cluster:
    """Validate TOML data into a `Cluster`; every mistake is reported (`ConfigErrors`)."""
    checked = check_cluster(data, source=source, adapter_names=adapter_names)
    if len(checked.errors) == 1:
        raise checked.errors[0]
    if checked.errors:
        raise ConfigErrors(list(checked.errors))
    return checked.cluster


def problems(data: Mapping[str, Any], *, source: str = DEFAULT_CONFIG,
             adapter_names: Iterable[str] | None = None) -> list[ConfigError]:
    """Every mistake of the cluster data (core tables only), as data: each names its `field`
    (``site[0].machine_id``), so a caller asks which fields are missing or invalid instead of
    reading messages (`jobcenter_cluster.importing`)."""
    return list(check_cluster(data, source=source, adapter_names=adapter_names).errors)


def check_cluster(
    data: Mapping[str, Any],
    *,
    source: str = DEFAULT_CONFIG,
    adapter_names: Iterable[str] | None = None,
) -> Checked:
    """Validate TOML data in named steps: the top-level tables, ``[cluster]``, the nodes, the
    sites, then what must be unique across them. Never raises for a mistake in the data."""
    c = Checker(source)
    names = set(adapter_names) if adapter_names is not None else None
    _check_tables(c, data, names)
    head = _check_head(c, data)
    nodes = _check_nodes(c, data)
    sites = _check_sites(c, data, head.product, names)
    _check_unique(c, nodes, sites, head.product)
    adapter_options = {k: v for k, v in data.items() if k not in ("cluster", "node", "site")}
    cluster = Cluster(
        product=head.product,
        supervisor=head.supervisor,
        nodes=tuple(nodes),
        sites=tuple(sites),
        install_prefix=head.install_prefix,
        jccluster=head.jccluster,
        spool_root=head.spool_root,
        name=head.name,
        adapter_options=adapter_options,
        source=source,
        supervisor_explicit=head.supervisor_explicit,
    )
    return Checked(cluster, tuple(c.errors))


def _check_tables(c: Checker, data: Mapping[str, Any], names: set[str] | None) -> None:
    """Every top-level key other than the core tables is an installed adapter's table."""
    for key in data:
        if key in ("cluster", "node", "site"):
            continue
        with c.guard():
            if names is not None and key not in names:
                home = _home_of(key, "")
                hint = _closest(key, [*sorted(names), "cluster", "node", "site"])
                fix = (f"a key of {home}, not a table" if home and not isinstance(data[key], dict)
                       else f"did you mean {hint!r}?" if hint
                       else "known tables: cluster, node, site, " + ", ".join(sorted(names)))
                raise c.fail(key, f"unknown table ({fix})")
            c.table(data[key], key)


def _check_head(c: Checker, data: Mapping[str, Any]) -> Head:
    """The ``[cluster]`` table: product, supervisor, install prefix, our CLI's path, spool
    root and name."""
    cluster: dict[str, Any] = {}
    with c.guard():
        cluster = c.table(data.get("cluster", {}), "cluster")
    with c.guard():
        c.keys(cluster, "cluster", CLUSTER_KEYS)
    product = PRODUCTS["jobcenter-linux"]
    with c.guard():
        product_name = c.string(cluster.get("product", "jobcenter-linux"), "cluster.product")
        if product_name not in PRODUCTS:
            hint = _closest(product_name, PRODUCTS)
            raise c.fail(
                "cluster.product",
                f"{product_name!r} is not a product profile ("
                + (f"did you mean {hint!r}? " if hint else "")
                + f"use one of: {', '.join(PRODUCTS)})",
            )
        product = PRODUCTS[product_name]
    supervisor = product.default_supervisor
    with c.guard():
        supervisor = c.string(cluster.get("supervisor", product.default_supervisor),
                              "cluster.supervisor")
        why = check_supervisor(supervisor)
        if why:
            raise c.fail("cluster.supervisor", why)
        if supervisor == "jccluster" and not product.engine_runs:
            raise c.fail(
                "cluster.supervisor",
                f'"jccluster" cannot supervise {product.name} sites: {product.no_engine_reason()}; '
                'set supervisor = "cjcpw" (JobCenter\'s own watcher)',
            )
    prefix = product.install_prefix
    with c.guard():
        prefix = c.string(cluster.get("install_prefix", product.install_prefix),
                          "cluster.install_prefix")
        why = check_path(prefix, windows=product.windows)
        if why:
            raise c.fail("cluster.install_prefix", why)
    default_jcc = DEFAULT_JCCLUSTER_WINDOWS if product.windows else DEFAULT_JCCLUSTER
    jcc = default_jcc
    with c.guard():
        jcc = c.string(cluster.get("jccluster", default_jcc), "cluster.jccluster")
        why = check_jccluster_command(jcc)
        if why:
            raise c.fail("cluster.jccluster", why)
    spool_root = cluster.get("spool_root")
    with c.guard():
        if spool_root is not None:
            spool_root = c.string(spool_root, "cluster.spool_root")
            why = check_path(spool_root, windows=False)
            if why:
                raise c.fail("cluster.spool_root", why)
    name = "jobcenter"
    with c.guard():
        name = c.string(cluster.get("name", "jobcenter"), "cluster.name")
        why = check_cluster_name(name)
        if why:
            raise c.fail("cluster.name", why)
    return Head(product, supervisor, prefix, jcc, spool_root, name, "supervisor" in cluster)


def _check_nodes(c: Checker, data: Mapping[str, Any]) -> list[Node]:
    nodes: list[Node] = []
    with c.guard():
        raw_nodes = data.get("node", [])
        if not isinstance(raw_nodes, list) or not raw_nodes:
            raise c.fail("node", "at least one [[node]] is required (each cluster node by name)",
                         code=REQUIRED)
        for i, raw in enumerate(raw_nodes):
            node = _node(c, raw, i)
            if node is not None:
                nodes.append(node)
    return nodes


def _check_sites(c: Checker, data: Mapping[str, Any], product: Product,
                 names: set[str] | None) -> list[Site]:
    sites: list[Site] = []
    with c.guard():
        raw_sites = data.get("site", [])
        if not isinstance(raw_sites, list) or not raw_sites:
            raise c.fail("site", "at least one [[site]] is required "
                         "(name, address, machine_id, database)", code=REQUIRED)
        for i, raw in enumerate(raw_sites):
            site = _site(c, raw, i, product, names)
            if site is not None:
                sites.append(site)
    return sites


def _check_unique(c: Checker, nodes: list[Node], sites: list[Site], product: Product) -> None:
    """Names, addresses and machine IDs unique across nodes and sites; databases and short
    names across sites."""
    with c.guard():
        _unique(c, [(f"node[{n.index}].name", n.name.lower()) for n in nodes]
                + [(f"site[{s.index}].name", s.name.lower()) for s in sites], "name")
    with c.guard():
        _unique(c, [(f"node[{n.index}].address", n.address) for n in nodes]
                + [(f"site[{s.index}].address", s.address) for s in sites], "address")
    with c.guard():
        _unique(c, [(f"node[{n.index}].machine_id", n.machine_id) for n in nodes]
                + [(f"site[{s.index}].machine_id", s.machine_id) for s in sites], "machine_id")
    with c.guard():
        _unique(c, [(f"site[{s.index}].database",
                     s.database.lower() if product.windows else s.database) for s in sites],
                "database")
    with c.guard():
        short = [(f"site[{s.index}].name", s.short_name.lower()) for s in sites]
        _unique(c, short, "short name")


def _identity(c: Checker, t: Mapping[str, Any], where: str, *, fqdn: bool
              ) -> tuple[str, str, int]:
    """The name, address and machine ID every node and site has, validated; each field's
    mistake is recorded on its own (the caller drops the node or site when any was)."""
    name, address, mid = "", "", 0  # placeholders, kept where the field has a mistake
    with c.guard():
        value = c.string(c.required(t, "name", where), f"{where}.name")
        why = check_hostname(value, fqdn=fqdn)
        if why:
            raise c.fail(f"{where}.name", why)
        name = value
    with c.guard():
        value = c.string(c.required(t, "address", where), f"{where}.address")
        why = check_ipv4(value)
        if why:
            raise c.fail(f"{where}.address", why)
        address = value
    with c.guard():
        value = c.required(t, "machine_id", where)
        why = check_machine_id(value)
        if why:
            raise c.fail(f"{where}.machine_id", why)
        mid = value
    return name, address, mid


def _node(c: Checker, raw: Any, i: int) -> Node | None:
    """The node, or None when its table is not a table; a field with a mistake keeps a
    placeholder value (the mistake is recorded, and `_unique` skips that field)."""
    where = f"node[{i}]"
    with c.guard():
        t = c.table(raw, where)
        with c.guard():
            c.keys(t, where, NODE_KEYS)
        name, address, mid = _identity(c, t, where, fqdn=False)
        return Node(name=name, address=address, machine_id=mid, index=i)
    return None


def _site(c: Checker, raw: Any, i: int, product: Product, names: set[str] | None) -> Site | None:
    where = f"site[{i}]"
    with c.guard():
        t = c.table(raw, where)
        extra = {k: v for k, v in t.items() if k not in SITE_KEYS}
        for key, value in extra.items():
            with c.guard():
                if not isinstance(value, dict) or (names is not None and key not in names):
                    c.keys({key: value}, where,
                           SITE_KEYS if names is None else (*SITE_KEYS, *sorted(names)))
                    raise c.fail(f"{where}.{key}", "must be a table of that adapter's site options")
        name, address, mid = _identity(c, t, where, fqdn=True)
        with c.guard():
            if len(name.rstrip(".")) > MAX_SITE_NAME:
                raise c.fail(f"{where}.name", f"is {len(name.rstrip('.'))} characters: at most "
                             f"{MAX_SITE_NAME} fit in the file names the engine makes from a site "
                             "name (use a shorter official host name)")
        database = ""
        with c.guard():
            value = c.string(c.required(t, "database", where), f"{where}.database")
            why = check_path(value, windows=product.windows) or refuse_database_path(
                value, windows=product.windows, spool_root=product.spool_root)
            if why:
                raise c.fail(f"{where}.database", why)
            if product.windows:
                import ntpath

                value = ntpath.normpath(value)
            database = value
        monitor = True
        with c.guard():
            monitor = c.boolean(t.get("monitor", True), f"{where}.monitor")
        netmask = None  # also where the netmask, or the address it is judged against, is wrong
        if t.get("netmask") is not None and c.ok(f"{where}.address"):
            with c.guard():
                value = c.string(t["netmask"], f"{where}.netmask")
                why = check_site_netmask(address, value)
                if why:
                    raise c.fail(f"{where}.netmask", why)
                netmask = normal_netmask(value)
        return Site(
            name=name,
            address=address,
            machine_id=mid,
            database=database,
            monitor=monitor,
            index=i,
            adapter_options=extra,
            netmask=netmask,
        )
    return None


def _unique(c: Checker, items: list[tuple[str, Any]], what: str) -> None:
    seen: dict[Any, str] = {}
    for where, value in items:
        if not c.ok(where):
            continue
        if value in seen:
            with c.guard():
                raise c.fail(
                    where,
                    f"{value!r} is already used by {seen[value]} (every {what} must be unique "
                    "across the nodes and sites that exchange jobs)"
                    if what == "machine_id"
                    else f"{value!r} is already used by {seen[value]} (each {what} must be unique)",
                    code=f"unique-{what}",
                )
            continue
        seen[value] = where


# --------------------------------------------------------------------------- sorting mistakes


def field_lines(text: str) -> dict[str, int]:
    """Field path (``site[0].name``, ``site[0].serviceguard.package``, ``cluster``) → line.

    tomllib keeps no line numbers, so this small scanner of TOML text maps each table header
    (``[cluster]``, ``[[site]]`` -- the N-th is ``site[N-1]`` --, ``[site.serviceguard]`` after
    a ``[[site]]``, nested arrays of tables) and each ``key =`` line (dotted keys too) to its
    line. A value is skipped as a whole, strings (multi-line ones too), arrays and inline
    tables across lines, so nothing inside a value is taken for a key; the keys of an inline
    table are not listed (`line_of` gives them the line of the key that holds the table)."""
    lines: dict[str, int] = {}
    arrays: dict[str, int] = {}
    prefix = ""
    rows = text.splitlines()
    n = 0
    while n < len(rows):
        row = rows[n]
        n += 1
        head = _header(row)
        if head is not None:
            double, parts = head
            path = ""
            for k, part in enumerate(parts):
                path = f"{path}.{part}" if path else part
                if double and k == len(parts) - 1:
                    arrays[path] = arrays.get(path, 0) + 1
                    lines.setdefault(path, n)  # the array as a whole: its first header
                if path in arrays:
                    path = f"{path}[{arrays[path] - 1}]"
                lines.setdefault(path, n)
            prefix = path
            continue
        key = _key(row)
        if key is None:
            continue
        parts, rest = key
        path = prefix
        for part in parts:
            path = f"{path}.{part}" if path else part
            lines.setdefault(path, n)
        n = _skip_value(rows, n - 1, rest)
    return lines


_BARE = LazyPattern(r"[A-Za-z0-9_-]+")


def _key_parts(text: str, i: int) -> tuple[list[str], int] | None:
    """The dotted key at ``text[i:]`` (bare, "basic" or 'literal' parts) and where it ends."""
    parts: list[str] = []
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            while quote == '"' and end > 0 and text[end - 1] == "\\":
                end = text.find(quote, end + 1)
            if end < 0:
                return None
            raw = text[i + 1:end]
            if quote == '"' and "\\" in raw:
                return None  # an escape in a key: not worth decoding, no line for it
            parts.append(raw)
            i = end + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                return None
            parts.append(m.group())
            i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return parts, i


def _header(row: str) -> tuple[bool, list[str]] | None:
    """``(is an array of tables, the key's parts)`` of a table header line, or None."""
    text = row.lstrip()
    if not text.startswith("["):
        return None
    double = text.startswith("[[")
    found = _key_parts(text, 2 if double else 1)
    if found is None:
        return None
    parts, i = found
    close = "]]" if double else "]"
    if not text.startswith(close, i):
        return None
    after = text[i + len(close):].lstrip()
    return (double, parts) if not after or after.startswith("#") else None


def _key(row: str) -> tuple[list[str], str] | None:
    """``(the key's parts, the text after '=')`` of a ``key = value`` line, or None."""
    found = _key_parts(row, 0)
    if found is None:
        return None
    parts, i = found
    if i >= len(row) or row[i] != "=":
        return None
    return parts, row[i + 1:]


def _skip_value(rows: list[str], n: int, text: str) -> int:
    """The index of the first row after the value that starts with `text` (row `n`): strings
    (multi-line ones across rows), arrays and inline tables are skipped as a whole."""
    depth = 0
    quote = ""  # the open multi-line string's delimiter, across rows
    while True:
        i = 0
        while i < len(text):
            if quote:
                if quote == '"""' and text[i] == "\\":
                    i += 2
                elif text.startswith(quote, i):
                    i += 3
                    quote = ""
                else:
                    i += 1
                continue
            ch = text[i]
            if text.startswith(('"""', "'''"), i):
                quote = text[i:i + 3]
                i += 3
            elif ch == '"':
                i += 1
                while i < len(text) and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
                i += 1
            elif ch == "'":
                end = text.find("'", i + 1)
                i = len(text) if end < 0 else end + 1
            elif ch == "#":
                break
            else:
                depth += (ch in "[{") - (ch in "]}")
                i += 1
        n += 1
        if (not quote and depth <= 0) or n >= len(rows):
            return n
        text = rows[n]


def field_parts(field: str) -> tuple[str | int, ...]:
    """The keys and indexes of a field path: ``site[0].serviceguard.package`` ->
    ``("site", 0, "serviceguard", "package")`` (the inverse of how `Checker` names fields)."""
    out: list[str | int] = []
    for dotted in field.split("."):
        name, _, rest = dotted.partition("[")
        if name:
            out.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            out.append(int(index))
            rest = rest.removeprefix("[")
    return tuple(out)


def line_of(field: str | None, lines: Mapping[str, int]) -> int | None:
    """The line of `field` in the text `lines` was made from (`field_lines`), or of the
    nearest table or key that holds it (a missing key: its table's header); None when not
    even that is in the text (a default left out, an element of an array of tables the text
    does not have, or no field at all)."""
    where = field or ""
    while where:
        if where in lines:
            return lines[where]
        cut = max(where.rfind("."), where.rfind("["))
        if cut <= 0 or where[cut] == "[":
            return None  # an element the text does not have: not its array's first line
        where = where[:cut]
    return None


def place_errors(errors: Iterable[ConfigError], text: str) -> list[ConfigError]:
    """Each mistake with the line of its field in `text` (the cluster file), sorted by line
    (mistakes without one last, in their order)."""
    lines = field_lines(text)
    placed = [e.placed(line_of(e.field, lines)) if e.line is None else e for e in errors]
    return sorted(placed, key=lambda e: (e.line is None, e.line or 0))


# --------------------------------------------------------------------------- the example cluster

EXAMPLE_TOML = '''\
# jobcenter-cluster: one description of the cluster, from which every adapter renders its files.
# Reference: docs/cluster-file.md.  The values below are the manual's example cluster.

[cluster]
# Product profile: jobcenter-linux | jobcenter-solaris | jobcenter-aix | jobcenter-hpux |
# jobcenter-windows | simulator
product = "jobcenter-linux"
# Who starts and watches the site on the nodes:
#   "jccluster": generated scripts call our engine (jccluster agent ...). It runs on Linux,
#                Solaris and AIX nodes (Python 3.11 or newer on every node); the default there.
#   "cjcpw":     they call JobCenter's own watcher exactly as the manual shows. The default, and
#                the only choice, for jobcenter-windows and jobcenter-hpux: our engine does not
#                run on Windows or HP-UX, so "jccluster" is refused there. On Windows
#                (clusterpro-windows, mscs) also set install_prefix to JobCenter's directory,
#                e.g. "C:\\JobCenter", site databases to drive paths (database = "X:\\vmdb"),
#                and the JobCenter admin account in the adapter's table ([clusterpro-windows]
#                admin = "jcadmin"); see docs/adapters/clusterpro-windows.md and mscs.md.
#   Sun Cluster 2.2 (sun22) always uses "cjcpw": its Solaris 8 nodes have no Python 3.11.
# supervisor = "jccluster"
# install_prefix = "/usr/lib/nqs"     # where JobCenter is installed on every node
# jccluster = "/usr/local/bin/jccluster"   # absolute path of our CLI on every node (the default)

# Every node of the cluster: its official host name, its own address and NQS machine ID.
[[node]]
name = "spencer.example.com"
address = "10.17.21.160"
machine_id = 160

[[node]]
name = "matto.example.com"
address = "10.17.21.161"
machine_id = 161

# Every site (one per cluster package): the official name of the relocatable address (a fully
# qualified name, not an alias), the address, a machine ID unique among everything that exchanges
# jobs, and the database path on the shared disk.
[[site]]
name = "orange.example.com"
address = "10.17.21.162"
machine_id = 162
database = "/mnt/jobdb"
monitor = true      # false: the manual's "no process monitoring" variants (cjcpw -c)
netmask = "255.255.255.0"   # the site address's netmask: Serviceguard SUBNET, VCS NetMask, MSCS SubnetMask

# Optional: each adapter's own options. Cluster-wide ones go in a table named after the adapter
# (see `jccluster adapters ADAPTER`), per-site ones in [site.ADAPTER] right after that site's
# [[site]], as here:
# [site.serviceguard]
# package = "jobcenter-orange"
'''


#: what `jccluster init` writes: the example cluster plus, for the site, the shared disk as each
#: product that needs it names it (examples to edit), so the file validates and renders every
#: POSIX adapter as written. The built-in example (`example_data`) leaves these tables out: each
#: adapter's ``example_overrides`` supplies them for ``--example``.
STARTER_TOML = EXAMPLE_TOML + '''
# The shared disk that holds the site's database, as each product names it -- examples: write
# your own. veritas and powerha refuse to render a group that would start JobCenter without its
# disk (when another group mounts it, write storage = "none" and a storage_reason instead);
# clusterpro-linux needs the disk partition. These tables belong to the last [[site]] above.
[site.veritas]
diskgroup = "jobdg"         # the VxVM disk group and volume holding the database (or block_device)
volume = "jobvol"

[site.powerha]
volume_group = "jobvg"      # the shared volume group holding the database

[site.clusterpro-linux]
disk_device = "/dev/sdb1"   # the shared-disk partition holding the database

# The Windows adapters (product = "jobcenter-windows", database = 'Q:\\jobdb', supervisor
# "cjcpw") need the JobCenter administrator, a domain user named without the domain part, in
# [mscs] and in [clusterpro-windows]:
# [mscs]
# admin = "Administrator"
'''


def merge_data(base: Any, overrides: Any) -> Any:
    """Merge TOML data: tables key-wise, lists of tables element-wise, anything else replaced."""
    if isinstance(base, dict) and isinstance(overrides, dict):
        out = dict(base)
        for key, value in overrides.items():
            out[key] = merge_data(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(overrides, list):
        out_list = list(base)
        for i, value in enumerate(overrides):
            if i < len(out_list):
                out_list[i] = merge_data(out_list[i], value)
            else:
                out_list.append(value)
        return out_list
    return overrides


def example_data(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The built-in example cluster (the manual's) as TOML data, with `overrides` merged in."""
    import tomllib

    data = tomllib.loads(EXAMPLE_TOML)
    return merge_data(data, dict(overrides)) if overrides else data


def example_cluster(overrides: Mapping[str, Any] | None = None) -> Cluster:
    return parse_cluster(example_data(overrides), source="(built-in example)")
