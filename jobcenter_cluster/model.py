"""The cluster file: a TOML description of one cluster, validated into typed objects.

Standard library only (tomllib). Every rejection is a `ConfigError` whose message names the file,
the field and the fix, e.g. ``jccluster.toml: site[0].name: "orange" is not a fully qualified host
name (write it as the official name with its domain, e.g. "orange.example.com")``.

The shape of the file is a public contract::

    [cluster]
    product = "jobcenter-linux"   # jobcenter-linux | jobcenter-hpux | jobcenter-solaris |
                                  # jobcenter-windows | simulator
    supervisor = "jccluster"      # or "cjcpw"

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
import re

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.products import PRODUCTS, Product, spool_hex, standard_spool_path
from jobcenter_cluster.records import LazyPattern, Record

# Adapter modules import this one for its validation helpers, on the monitor hot path: no
# typing, no dataclasses, and tomllib/ipaddress only where a file is read or an address checked.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

DEFAULT_CONFIG = "jccluster.toml"
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
                f"{source}: {self.where}.netmask: is required for {what}; write the site "
                f"address's netmask, e.g. netmask = \"255.255.255.0\" (jccluster does not "
                "guess it)")
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
                 "spool_root", "name", "adapter_options", "source")

    def __init__(self, product: Product, supervisor: str, nodes: tuple[Node, ...],
                 sites: tuple[Site, ...], install_prefix: str, jccluster: str,
                 spool_root: str | None = None, name: str = "jobcenter",
                 adapter_options: Mapping[str, Mapping[str, Any]] | None = None,
                 source: str = DEFAULT_CONFIG) -> None:
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
        raise ConfigError(f"{self.source}: no site named {name!r} (the file defines: {known})")

    def select_sites(self, name: str | None) -> tuple[Site, ...]:
        return self.sites if name is None else (self.site(name),)

    def error(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {message}")


# --------------------------------------------------------------------------- validation helpers


class _Checker:
    """Collects field paths for precise messages; raises on the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, code: str | None = None) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {message}", code=code)

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {_tname(value)}")
        return value

    def keys(self, table: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                hint = _closest(key, allowed)
                fix = f"did you mean {hint!r}?" if hint else f"allowed: {', '.join(allowed)}"
                raise self.fail(f"{where}.{key}" if where else key, f"unknown key ({fix})")

    def required(self, table: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in table:
            raise self.fail(f"{where}.{key}", "is required")
        return table[key]

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, not {_tname(value)}")
        if _CONTROL.search(value):
            raise self.fail(where, f"{value!r} contains a control character (remove it)")
        if not value:
            raise self.fail(where, "must not be empty")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {_tname(value)}")
        return value

    def integer(self, value: Any, where: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number, not {_tname(value)}")
        if not lo <= value <= hi:
            raise self.fail(where, f"{value} is out of range (use {lo}..{hi})")
        return value


def _tname(value: Any) -> str:
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


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


def read_cluster_data(path: str) -> dict[str, Any]:
    """The TOML data of a cluster file, read with limits: a regular file of at most
    `MAX_CLUSTER_FILE` bytes, UTF-8, tables and arrays nested at most `MAX_NESTING` deep.
    Every failure is one `ConfigError` line naming the file and the fix."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            import stat

            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ConfigError(f"{path}: not a regular file (name the cluster file itself)")
            raw = fh.read(MAX_CLUSTER_FILE + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such cluster file (write one with 'jccluster init' or pass -c FILE)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a cluster file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    if len(raw) > MAX_CLUSTER_FILE:
        raise ConfigError(f"{path}: larger than {MAX_CLUSTER_FILE // 1024} KiB: not a cluster "
                          "file (name the right file with -c)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (byte 0x{raw[err.start]:02x} at offset "
                          f"{err.start}): save the cluster file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        raise ConfigError(f"{path}: tables or arrays nested too deep (at most {MAX_NESTING})"
                          ) from None
    if _depth(data, MAX_NESTING) > MAX_NESTING:
        raise ConfigError(f"{path}: tables or arrays nested too deep (at most {MAX_NESTING})")
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
    return parse_cluster(data, source=path, adapter_names=adapter_names)


def parse_cluster(
    data: Mapping[str, Any],
    *,
    source: str = DEFAULT_CONFIG,
    adapter_names: Iterable[str] | None = None,
) -> Cluster:
    c = _Checker(source)
    names = set(adapter_names) if adapter_names is not None else None
    for key in data:
        if key in ("cluster", "node", "site"):
            continue
        if names is not None and key not in names:
            hint = _closest(key, [*sorted(names), "cluster", "node", "site"])
            fix = f"did you mean {hint!r}?" if hint else "known tables: cluster, node, site, " + (
                ", ".join(sorted(names))
            )
            raise c.fail(key, f"unknown table ({fix})")
        c.table(data[key], key)

    cluster = c.table(data.get("cluster", {}), "cluster")
    c.keys(cluster, "cluster", CLUSTER_KEYS)
    product_name = c.string(cluster.get("product", "jobcenter-linux"), "cluster.product")
    if product_name not in PRODUCTS:
        raise c.fail(
            "cluster.product",
            f"{product_name!r} is not a product profile (use one of: {', '.join(PRODUCTS)})",
        )
    product = PRODUCTS[product_name]
    supervisor = c.string(cluster.get("supervisor", "jccluster"), "cluster.supervisor")
    if supervisor not in SUPERVISORS:
        raise c.fail(
            "cluster.supervisor",
            f"{supervisor!r} is not a supervisor (use \"jccluster\" to call our engine, or "
            '"cjcpw" to call JobCenter\'s own watcher)',
        )
    prefix = c.string(cluster.get("install_prefix", product.install_prefix), "cluster.install_prefix")
    why = check_path(prefix, windows=product.windows)
    if why:
        raise c.fail("cluster.install_prefix", why)
    default_jcc = DEFAULT_JCCLUSTER_WINDOWS if product.windows else DEFAULT_JCCLUSTER
    jcc = c.string(cluster.get("jccluster", default_jcc), "cluster.jccluster")
    if not re.fullmatch(r"[A-Za-z0-9_./:\\-]+", jcc):
        raise c.fail(
            "cluster.jccluster",
            f"{jcc!r} must be a plain command name or path (letters, digits, . _ - / \\ :)",
        )

    raw_nodes = data.get("node", [])
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise c.fail("node", "at least one [[node]] is required (each cluster node by name)")
    nodes = tuple(_node(c, raw, i) for i, raw in enumerate(raw_nodes))

    raw_sites = data.get("site", [])
    if not isinstance(raw_sites, list) or not raw_sites:
        raise c.fail("site", "at least one [[site]] is required (name, address, machine_id, database)")
    sites = tuple(_site(c, raw, i, product, names) for i, raw in enumerate(raw_sites))

    _unique(c, [(f"node[{n.index}].name", n.name.lower()) for n in nodes]
            + [(f"site[{s.index}].name", s.name.lower()) for s in sites], "name")
    _unique(c, [(f"node[{n.index}].address", n.address) for n in nodes]
            + [(f"site[{s.index}].address", s.address) for s in sites], "address")
    _unique(c, [(f"node[{n.index}].machine_id", n.machine_id) for n in nodes]
            + [(f"site[{s.index}].machine_id", s.machine_id) for s in sites], "machine_id")
    _unique(c, [(f"site[{s.index}].database", s.database.lower() if product.windows else s.database)
                for s in sites], "database")
    short = [(f"site[{s.index}].name", s.short_name.lower()) for s in sites]
    _unique(c, short, "short name")

    spool_root = cluster.get("spool_root")
    if spool_root is not None:
        spool_root = c.string(spool_root, "cluster.spool_root")
        why = check_path(spool_root, windows=False)
        if why:
            raise c.fail("cluster.spool_root", why)
    name = c.string(cluster.get("name", "jobcenter"), "cluster.name")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,38}", name):
        raise c.fail("cluster.name", f"{name!r} must be 1-39 letters, digits, '.', '_' or '-'")

    adapter_options = {k: v for k, v in data.items() if k not in ("cluster", "node", "site")}
    return Cluster(
        product=product,
        supervisor=supervisor,
        nodes=nodes,
        sites=sites,
        install_prefix=prefix,
        jccluster=jcc,
        spool_root=spool_root,
        name=name,
        adapter_options=adapter_options,
        source=source,
    )


def _identity(c: _Checker, t: Mapping[str, Any], where: str, *, fqdn: bool
              ) -> tuple[str, str, int]:
    """The name, address and machine ID every node and site has, validated."""
    name = c.string(c.required(t, "name", where), f"{where}.name")
    why = check_hostname(name, fqdn=fqdn)
    if why:
        raise c.fail(f"{where}.name", why)
    address = c.string(c.required(t, "address", where), f"{where}.address")
    why = check_ipv4(address)
    if why:
        raise c.fail(f"{where}.address", why)
    mid = c.integer(c.required(t, "machine_id", where), f"{where}.machine_id", *MACHINE_ID_RANGE)
    return name, address, mid


def _node(c: _Checker, raw: Any, i: int) -> Node:
    where = f"node[{i}]"
    t = c.table(raw, where)
    c.keys(t, where, NODE_KEYS)
    name, address, mid = _identity(c, t, where, fqdn=False)
    return Node(name=name, address=address, machine_id=mid, index=i)


def _site(c: _Checker, raw: Any, i: int, product: Product, names: set[str] | None) -> Site:
    where = f"site[{i}]"
    t = c.table(raw, where)
    extra = {k: v for k, v in t.items() if k not in SITE_KEYS}
    for key, value in extra.items():
        if not isinstance(value, dict) or (names is not None and key not in names):
            c.keys({key: value}, where, SITE_KEYS if names is None else (*SITE_KEYS, *sorted(names)))
            raise c.fail(f"{where}.{key}", "must be a table of that adapter's site options")
    name, address, mid = _identity(c, t, where, fqdn=True)
    database = c.string(c.required(t, "database", where), f"{where}.database")
    why = check_path(database, windows=product.windows) or refuse_database_path(
        database, windows=product.windows, spool_root=product.spool_root)
    if why:
        raise c.fail(f"{where}.database", why)
    if product.windows:
        import ntpath

        database = ntpath.normpath(database)
    monitor = c.boolean(t.get("monitor", True), f"{where}.monitor")
    netmask = t.get("netmask")
    if netmask is not None:
        netmask = c.string(netmask, f"{where}.netmask")
        why = check_site_netmask(address, netmask)
        if why:
            raise c.fail(f"{where}.netmask", why)
        netmask = normal_netmask(netmask)
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


def _unique(c: _Checker, items: list[tuple[str, Any]], what: str) -> None:
    seen: dict[Any, str] = {}
    for where, value in items:
        if value in seen:
            raise c.fail(
                where,
                f"{value!r} is already used by {seen[value]} (every {what} must be unique "
                "across the nodes and sites that exchange jobs)"
                if what == "machine_id"
                else f"{value!r} is already used by {seen[value]} (each {what} must be unique)",
                code=f"unique-{what}",
            )
        seen[value] = where


# --------------------------------------------------------------------------- the example cluster

EXAMPLE_TOML = '''\
# jobcenter-cluster: one description of the cluster, from which every adapter renders its files.
# Reference: docs/cluster-file.md.  The values below are the manual's example cluster.

[cluster]
# Product profile: jobcenter-linux | jobcenter-hpux | jobcenter-solaris | jobcenter-windows | simulator
product = "jobcenter-linux"
# "jccluster": generated scripts call our engine (jccluster agent ...);
# "cjcpw": they call JobCenter's own watcher exactly as the manual shows.
supervisor = "jccluster"
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

# The veritas and powerha adapters need the site's shared disk (they refuse to render a group
# that would start JobCenter without it): uncomment and edit for those products, or write
# storage = "none" with storage_reason = "why" when another group mounts the disk.
# [site.veritas]
# diskgroup = "jobdg"     # the VxVM disk group and volume holding the database (or block_device)
# volume = "jobvol"
# [site.powerha]
# volume_group = "jobvg"  # the shared volume group holding the database

# One optional table per adapter for that product's own options, e.g.:
# [serviceguard]
# package = "jobcenter"

# The clusterpro-linux adapter needs the shared-disk partition that holds the database (it
# refuses to render a disk resource without it): uncomment and edit for that product. The
# table belongs to the last [[site]] above.
# [site.clusterpro-linux]
# disk_device = "/dev/sdb1"
# The Windows adapters (product = "jobcenter-windows", database = 'Q:\\jobdb') need the JobCenter
# administrator, a domain user named without the domain part:
# [mscs]                 (and [clusterpro-windows])
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
