"""``jccluster import``: read a cluster product's existing artifacts back into a cluster file.

The framework every importer uses (``jobcenter_cluster.adapters.importers.<product>``):

- `read_inputs` reads the files and directories given on the command line, with limits: a file
  larger than `MAX_BYTES`, a binary file or too many files is one clean `UserError` line. CRLF
  and lone CR line ends are normalised; `InputFile.logical` joins continuation lines (``\\`` for
  shells and Serviceguard/crm files, ``^`` for batch files) and keeps the first line's number.
- `Draft` collects what the artifacts say: ``[cluster]`` keys, ``[[node]]``, ``[[site]]`` and the
  adapter's tables. Every value is validated as the cluster file would validate it before it is
  taken; a value our validation refuses is reported, never imported. Values the artifacts
  cannot hold (machine IDs, for one) are listed as `Missing`, each with where to find it.
- `Report` collects the ``FILE:LINE: not carried over: ...`` lines for stderr; an importer
  marks the settings that change failover behaviour (``skip(..., failover=True)``), which come
  first as ``... not carried over: failover setting: ...``.
- `run_import` refuses files of several clusters (`Draft.clusters`: files naming nodes, none
  in common) unless ``merge`` (``--merge``).
- `to_toml` writes the cluster file, with a commented line for every missing value.
- `command` interprets one command line of an artifact: JobCenter's own commands (``cjcpw``,
  ``nqsportkpr``) or ours (``jccluster agent ADAPTER ACTION SITE ...``).

Which importer serves which adapter: `IMPORTERS`, a mapping from adapter name to module name,
resolved only when ``jccluster import`` runs (the agent's hot path never imports an importer);
an adapter class may also name its importer module in an optional ``importer`` attribute.
An importer module has ``read(files: list[InputFile], draft: Draft, report: Report) -> None``.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster.errors import ConfigError, ConfigErrors, UserError
from jobcenter_cluster.model import (
    DEFAULT_JCCLUSTER,
    DEFAULT_JCCLUSTER_WINDOWS,
    REQUIRED,
    SUPERVISORS,
    check_cluster_name,
    check_hostname,
    check_ipv4,
    check_jccluster_command,
    check_machine_id,
    check_path,
    check_plain_text,
    field_parts,
)
from jobcenter_cluster.products import PRODUCTS

#: the largest artifact we read (a Serviceguard control script is ~30 KiB; a CIB a few MiB).
MAX_BYTES = 8 * 1024 * 1024
#: at most this many files from all the paths together.
MAX_FILES = 500
#: files in an output directory that are ours, not the product's (the render manifest).
IGNORED_NAMES = frozenset({".jccluster-manifest.json"})

#: adapter name -> importer module (resolved lazily).
IMPORTERS: dict[str, str] = {
    "serviceguard": "jobcenter_cluster.adapters.importers.serviceguard",
    "pacemaker": "jobcenter_cluster.adapters.importers.pacemaker",
    "clusterpro-windows": "jobcenter_cluster.adapters.importers.clusterpro_windows",
    "clusterpro-linux": "jobcenter_cluster.adapters.importers.clusterpro_linux",
    "sungds": "jobcenter_cluster.adapters.importers.sungds",
    "veritas": "jobcenter_cluster.adapters.importers.veritas",
    "mscs": "jobcenter_cluster.adapters.importers.mscs",
}

# Where to find what the artifacts cannot hold.
HINT_SITE_MID = ("the site's NQS machine ID is in no cluster artifact: it is the MID given to "
                 "'cjcmksite SITE MID DBPATH' when the site was created (the site's cjcmksite "
                 "record: a file holding that line, given to the import, fills it in); 'cjcls' "
                 "and 'nqspath SITE' on the active node confirm the site (docs/migrating.md)")
HINT_NODE_MID = ("the node's NQS machine ID is in no cluster artifact: the one chosen when "
                 "JobCenter was installed on that node (docs/migrating.md)")
HINT_NODE_ADDRESS = "the node's own address: 'getent hosts NODE' on any node"
HINT_SITE_ADDRESS = "the site's relocatable address: 'getent hosts SITE' on any node"


# --------------------------------------------------------------------------- reading


@dataclass
class InputFile:
    """One artifact: its path as given (for messages), its text with ``\\n`` line ends."""

    path: str
    text: str

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def lines(self) -> list[tuple[int, str]]:
        return list(enumerate(self.text.split("\n"), 1))

    def logical(self, continuation: str = "\\") -> list[tuple[int, str]]:
        """Lines with continuations joined (a line ending in `continuation` goes on in the next
        one); each with the number of its first physical line. Shell comments are kept."""
        out: list[tuple[int, str]] = []
        buf: list[str] = []
        start = 0
        for n, line in self.lines():
            if not buf:
                start = n
            stripped = line.rstrip(" \t")
            if stripped.endswith(continuation) and not stripped.lstrip().startswith("#"):
                buf.append(stripped[: -len(continuation)])
                continue
            buf.append(line)
            out.append((start, " ".join(p.strip() if i else p.rstrip() for i, p in
                                        enumerate(buf))))
            buf = []
        if buf:
            out.append((start, " ".join(buf)))
        return out


def _decode(path: str, data: bytes) -> str:
    if b"\x00" in data:
        raise UserError(f"{path}: is a binary file, not a cluster artifact (give the text "
                        "files: scripts, configuration, CIB XML)")
    for codec in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp932 decodes nearly everything; latin-1 always does
        text = data.decode("latin-1")
    text = text.rstrip("\x1a")  # a DOS end-of-file mark (old batch files end with ^Z)
    if re.search(r"[\x01-\x08\x0e-\x1a\x1c-\x1f]", text):
        raise UserError(f"{path}: is a binary file, not a cluster artifact (control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_file(path: str) -> InputFile:
    """One artifact, read by the trust rule (`jobcenter_cluster.fsio.open_trusted`: a regular
    file of root's or yours that nobody else can write, below directories nobody else can
    write; a symlink only when root or you own it): import runs as root and repeats lines of
    what it reads in its messages and output."""
    from jobcenter_cluster import fsio

    try:
        fd = fsio.open_trusted(path, what="import input")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file or directory") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UserError(f"{path}: is larger than {MAX_BYTES // (1024 * 1024)} MiB; not a cluster "
                        "artifact (give the product's scripts and configuration files)")
    return InputFile(path, _decode(path, data))


def read_inputs(paths: Sequence[str]) -> list[InputFile]:
    """Read every file named, and every file below every directory named (sorted, recursive,
    without hidden directories and our render manifest). Below a directory nothing is reached
    through a symbolic link (a link there is refused: it could lead out of the directory, to a
    file whose lines the import would repeat)."""
    if not paths:
        raise UserError("give at least one file or directory of the product's artifacts")
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for top, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):  # links to directories: not walked (os.walk)
                    if name in IGNORED_NAMES:
                        continue
                    found = os.path.join(top, name)
                    if os.path.islink(found):
                        raise UserError(f"{found}: is a symbolic link; import does not follow "
                                        f"links below {path} (give the file it points to by "
                                        "name, if it is one of the product's artifacts)")
                    files.append(found)
                    if len(files) > MAX_FILES:
                        raise UserError(f"{path}: holds more than {MAX_FILES} files; give the "
                                        "directory of the product's artifacts only")
        else:
            files.append(path)
    if not files:
        raise UserError(f"{', '.join(paths)}: no files to import")
    return [read_file(p) for p in files]


def parse_xml(text: str) -> tuple[Any, dict[int, int]]:
    """An XML artifact's element tree (`xml.etree.ElementTree`), and each element's line by
    ``id(element)``: expat gives the line of every start tag, in one pass, so an element is
    reported with its line even without an ``id`` or ``name`` (searching the text for each one
    is quadratic). Raises ``ElementTree.ParseError``. Callers refuse DOCTYPEs first."""
    import xml.etree.ElementTree as ET
    from xml.parsers import expat

    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[id(builder.start(tag, attrs))] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as err:
        error = ET.ParseError(f"{expat.errors.messages[err.code]}: line {err.lineno}, "
                              f"column {err.offset}")
        error.code, error.position = err.code, (err.lineno, err.offset)  # as ElementTree's
        raise error from None
    return builder.close(), lines


class _Token:
    """A token being built by `LinearShlex`: appends go to a list (``+=`` on a ``str``
    attribute copies the whole token each time: quadratic in its length)."""

    __slots__ = ("parts", "size")

    def __init__(self, first: str = "") -> None:
        self.parts = [first] if first else []
        self.size = len(first)

    def __iadd__(self, more: str) -> _Token:
        self.parts.append(more)
        self.size += len(more)
        return self

    def __bool__(self) -> bool:
        return self.size > 0

    def __eq__(self, other: object) -> bool:
        return str(self) == other if isinstance(other, str) else other is self

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "".join(self.parts)


class LinearShlex(shlex.shlex):
    """`shlex.shlex` in time linear in its input. The standard one builds each token with
    ``self.token += char``, which copies the token at every character: a 7 MB quoted word took
    minutes (issue 22). Here ``token`` is a `_Token` list; `read_token` hands out a ``str``."""

    @property  # type: ignore[override]
    def token(self) -> _Token:
        return self._tok

    @token.setter
    def token(self, value: str | _Token) -> None:
        self._tok = value if isinstance(value, _Token) else _Token(value)

    def read_token(self) -> str | None:
        out = super().read_token()
        return str(out) if isinstance(out, _Token) else out


# --------------------------------------------------------------------------- reporting


@dataclass
class Report:
    """The ``FILE:LINE: not carried over: ...`` lines, in the order found; those that change
    failover behaviour (stickiness, thresholds, fencing, quorum policy, dependencies) first, as
    ``FILE:LINE: not carried over: failover setting: ...``, so the operator cannot miss them."""

    lines: list[str] = field(default_factory=list)
    failover: list[str] = field(default_factory=list)

    def skip(self, file: InputFile | str, line: int | None, what: str, *,
             failover: bool = False) -> None:
        if failover:
            self.failover.append(self.line(file, line, f"failover setting: {what}"))
        else:
            self.lines.append(self.line(file, line, what))

    @staticmethod
    def line(file: InputFile | str, line: int | None, what: str) -> str:
        """``FILE:LINE: not carried over: WHAT``."""
        path = file.path if isinstance(file, InputFile) else file
        where = f"{path}:{line}" if line else path
        return f"{where}: not carried over: {what}"

    def __iter__(self) -> Iterator[str]:
        return iter(self.failover + self.lines)


@dataclass
class Missing:
    """A value the artifacts cannot hold: `path` into the TOML data, and where to find it."""

    path: tuple[str | int, ...]
    hint: str


# --------------------------------------------------------------------------- the draft


@dataclass
class Where:
    """Where a value came from: the file and line, for the report."""

    file: InputFile
    line: int | None


class Values(dict[str, Any]):
    """A table of the draft (``[cluster]``, a node, a site, an option table): a dict, and where
    each of its values came from, kept with the table however the importer reorders the sites
    (`Draft.origin` names them by field path)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: key -> (the order it was found in, where)
        self.found: dict[str, tuple[int, Where]] = {}
        #: a site known by its short name: where that was reported, and the report line's index
        self.short_note: tuple[Where, int] | None = None


class Draft:
    """What the artifacts say, as cluster-file data being built."""

    def __init__(self, adapter: str) -> None:
        self.adapter = adapter
        self.cluster: Values = Values()
        self.nodes: list[dict[str, Any]] = []
        self.sites: list[dict[str, Any]] = []
        self.table: Values = Values()
        self._found = 0
        self.report = Report()
        self._adapter_cls: Any = None
        #: adapter options the adapter requires and the artifacts did not give
        self.extra_missing: list[Missing] = []
        #: set by an importer whose artifacts give the sites' order (resolv.def, clp.conf)
        self.order_fixed = False
        #: file path -> the indexes of the nodes it names (to tell several clusters apart)
        self._node_files: dict[str, set[int]] = {}
        #: node name, and short name, lower-cased -> the first node's index (a file naming
        #: N nodes is read in linear time)
        self._node_full: dict[str, int] = {}
        self._node_short: dict[str, int] = {}

    def clusters(self) -> list[list[str]]:
        """The files that name nodes, grouped into the clusters they describe: two files are
        of one cluster when they name a node in common (directly or through other files).
        More than one group: the inputs describe several clusters."""
        groups: list[tuple[set[int], list[str]]] = []
        for path, nodes in self._node_files.items():
            joined = [g for g in groups if g[0] & nodes]
            merged: tuple[set[int], list[str]] = (set(nodes), [path])
            for g in joined:
                merged[0].update(g[0])
                merged[1][:0] = g[1]
                groups.remove(g)
            groups.append(merged)
        return [sorted(paths) for _, paths in groups]

    # ---- cluster-wide keys

    @property
    def supervisor(self) -> str:
        """The supervisor the artifacts named so far (the cluster file's default otherwise)."""
        return str(self.cluster.get("supervisor", "jccluster"))

    @property
    def windows(self) -> bool:
        product = self.cluster.get("product", "jobcenter-linux")
        return PRODUCTS[product].windows if product in PRODUCTS else False

    def set_cluster(self, key: str, value: Any, at: Where) -> bool:
        """Set a ``[cluster]`` key; a value that differs from one already found is reported."""
        if key in self.cluster:
            if self.cluster[key] != value:
                self.report.skip(at.file, at.line, f"cluster {key} {value!r} (already "
                                 f"{self.cluster[key]!r} from an earlier file)")
                return False
            return True
        why = _check_cluster_key(key, value, self.windows)
        if why:
            self.report.skip(at.file, at.line, f"cluster {key}: {why}")
            return False
        self.cluster[key] = value
        self._note(self.cluster, key, at)
        return True

    def _note(self, table: dict[str, Any], key: str, at: Where) -> None:
        if isinstance(table, Values):
            self._found += 1
            table.found[key] = (self._found, at)

    @property
    def origin(self) -> dict[str, Where]:
        """Where each value came from, by its field path (``site[0].address``,
        ``site[0].serviceguard.package``, ``cluster.product``), in the order found."""
        tables: list[tuple[str, Any]] = [("cluster", self.cluster), (self.adapter, self.table)]
        tables += [(f"node[{i}]", n) for i, n in enumerate(self.nodes)]
        for i, s in enumerate(self.sites):
            tables += [(f"site[{i}]", s), (f"site[{i}].{self.adapter}", s.get(self.adapter))]
        found = [(seq, f"{path}.{key}", at) for path, t in tables if isinstance(t, Values)
                 for key, (seq, at) in t.found.items()]
        return {path: at for _, path, at in sorted(found, key=lambda x: x[0])}

    def origin_of(self, field: str) -> Where | None:
        """Where the value of a field path came from, or None (`origin`)."""
        return self.origin.get(field)

    # ---- nodes and sites

    def node(self, name: str, at: Where) -> dict[str, Any] | None:
        """The node of that name (created on first sight), or None if the name is refused."""
        key = name.lower()
        hits = [i for i in (self._node_full.get(key), self._node_short.get(key)) if i is not None]
        if hits:  # the first node whose name, or short name, is this one
            i = min(hits)
            self._node_files.setdefault(at.file.path, set()).add(i)
            return self.nodes[i]
        why = check_hostname(name, fqdn=False)
        if why:
            self.report.skip(at.file, at.line, f"node name: {why}")
            return None
        n = Values(name=name)
        self.nodes.append(n)
        self._node_full.setdefault(key, len(self.nodes) - 1)
        self._node_short.setdefault(key.split(".")[0], len(self.nodes) - 1)
        self._node_files.setdefault(at.file.path, set()).add(len(self.nodes) - 1)
        return n

    def set_node(self, node: dict[str, Any], key: str, value: Any, at: Where) -> bool:
        why = check_ipv4(value) if key == "address" else check_machine_id(value) \
            if key == "machine_id" else None
        return self._set(node, f"node {node['name']} {key}", key, value, why, at)

    def site(self, name: str, at: Where) -> dict[str, Any] | None:
        """The site of that name (created on first sight), or None if the name is refused.

        A short name (the manual's samples use ``orange``) is not a site name the cluster file
        takes; the site is kept without one, its name left MISSING, so that the rest of what
        the artifacts say about it is carried over."""
        for s in self.sites:
            if site_label(s).lower() == name.lower():
                return s
        why = check_hostname(name, fqdn=True)
        if why and check_hostname(name, fqdn=False) is None:
            self.report.skip(at.file, at.line, f"site name {name!r}: not fully qualified (the "
                             "manual forbids aliases); the site is imported without a name: "
                             "fill in its official name")
            short = Values(_short=name)
            short.short_note = (at, len(self.report.lines) - 1)
            self.sites.append(short)
            return short
        if why:
            self.report.skip(at.file, at.line, f"site name: {why}")
            return None
        new = Values(name=name)
        self.sites.append(new)
        return new

    def name_site(self, site: dict[str, Any], name: str, at: Where) -> bool:
        """Give a site known by its short name the official name another artifact holds
        (resolv.def's ``ADDRESS NAME`` line)."""
        if "name" in site:
            return site["name"].lower() == name.lower()
        why = check_hostname(name, fqdn=True)
        if why or name.split(".")[0].lower() != str(site.get("_short", "")).lower():
            return False
        note = site.short_note if isinstance(site, Values) else None
        if isinstance(site, Values) and note is not None:
            (first, index), site.short_note = note, None
            self.report.lines[index] = Report.line(
                first.file, first.line, f"site name {site['_short']!r} (not fully qualified); "
                f"{at.file.path}:{at.line} gives its official name {name}, imported instead")
        rest = {k: v for k, v in site.items() if k != "_short"}
        site.clear()
        site.update({"name": name, **rest})  # in place: callers hold this dict
        return True

    def find_site(self, name: str) -> dict[str, Any] | None:
        for s in self.sites:
            label = site_label(s).lower()
            if name.lower() in (label, label.split(".")[0]):
                return s
        return None

    def set_site(self, site: dict[str, Any], key: str, value: Any, at: Where) -> bool:
        if key == "address":
            why = check_ipv4(value)
        elif key == "database":
            why = check_path(value, windows=self.windows)
            if not why and self.windows:
                value = ntpath.normpath(value)
        elif key == "machine_id":
            why = check_machine_id(value)
        elif key == "monitor":
            why = None if isinstance(value, bool) else "must be true or false"
        elif key == "netmask":
            from jobcenter_cluster.model import check_netmask

            why = check_netmask(value) if isinstance(value, str) else "must be text"
        else:  # pragma: no cover - programming error
            raise KeyError(key)
        return self._set(site, f"site {site_label(site)} {key}", key, value, why, at)

    def _set(self, table: dict[str, Any], label: str, key: str, value: Any, why: str | None,
             at: Where) -> bool:
        if why:
            self.report.skip(at.file, at.line, f"{label}: {why}")
            return False
        if key in table and table[key] != value:
            self.report.skip(at.file, at.line, f"{label} {value!r} (already {table[key]!r})")
            return False
        table[key] = value
        self._note(table, key, at)
        return True

    def option_default(self, site: dict[str, Any] | None, key: str) -> Any:
        """What the adapter would use for option `key` of `site` (None: ``[ADAPTER]``) if the
        file left it out, given everything found so far; None when that cannot be told yet.
        Importers leave out values equal to it, so the file follows the adapter's defaults."""
        from jobcenter_cluster.model import parse_cluster
        from jobcenter_cluster.options import parse_options

        cls = self.adapter_class()
        schema = cls.options_schema if site is None else cls.site_options_schema
        if key not in schema or site is not None and site not in self.sites:
            return None
        data = _placeheld(self)
        data.pop(self.adapter, None)
        for s in data["site"]:
            s.pop(self.adapter, None)
        try:
            cluster = parse_cluster(data, source="import", adapter_names=[self.adapter])
            opt = schema[key]
            one = {key: opt} if not opt.required else {}
            where = self.adapter if site is None else f"site.{self.adapter}"
            target = None if site is None else cluster.sites[self.sites.index(site)]
            return parse_options({}, one, where=where, source="import", cluster=cluster,
                                 site=target).get(key)
        except (ConfigError, AssertionError, TypeError, ValueError):
            return None

    # ---- adapter options

    def adapter_class(self) -> Any:
        if self._adapter_cls is None:
            self._adapter_cls = _load_adapter(self.adapter)
        return self._adapter_cls

    def set_option(self, site: dict[str, Any] | None, key: str, value: Any, at: Where) -> bool:
        """Set a key of ``[ADAPTER]`` (site None) or ``[site.ADAPTER]``, validated by the
        adapter's own option schema; a refused value is reported, not imported."""
        from jobcenter_cluster.options import parse_options

        cls = self.adapter_class()
        schema = cls.options_schema if site is None else cls.site_options_schema
        where = self.adapter if site is None else f"site {site_label(site)} {self.adapter}"
        if key not in schema:
            self.report.skip(at.file, at.line, f"{where}.{key} = {value!r} (the adapter has no "
                             "such option)")
            return False
        try:
            parse_options({key: value}, {key: schema[key]}, where=where, source="import")
        except ConfigError as err:
            self.report.skip(at.file, at.line, _unsourced(err))
            return False
        table = self.table if site is None else site.setdefault(self.adapter, Values())
        if key in table and table[key] != value:
            self.report.skip(at.file, at.line, f"{where}.{key} = {value!r} (already "
                             f"{table[key]!r})")
            return False
        table[key] = value
        self._note(table, key, at)
        return True

    # ---- result

    def data(self) -> dict[str, Any]:
        """The TOML data found (without the missing values)."""
        out: dict[str, Any] = {}
        if self.cluster:
            out["cluster"] = dict(self.cluster)
        out["node"] = [dict(n) for n in self.nodes]
        out["site"] = [{k: v for k, v in s.items() if k != "_short"} for s in self.sites]
        if self.table:
            out[self.adapter] = dict(self.table)
        return out

    def missing(self) -> list[Missing]:
        """What the cluster file needs and the artifacts did not hold."""
        out: list[Missing] = []
        if not self.nodes:
            out.append(Missing(("node",), "the cluster's nodes are in no artifact read: list "
                               "them with the product's own tool (cmviewcl, clpstat, "
                               "crm_node -l, clnode list, hasys -list)"))
        for i, n in enumerate(self.nodes):
            if "address" not in n:
                out.append(Missing(("node", i, "address"), HINT_NODE_ADDRESS))
            if "machine_id" not in n:
                out.append(Missing(("node", i, "machine_id"), HINT_NODE_MID))
        if not self.sites:
            out.append(Missing(("site",), "no JobCenter site was found in the artifacts"))
        for i, s in enumerate(self.sites):
            if "name" not in s:
                out.append(Missing(("site", i, "name"), f"the official, fully qualified name "
                                   f"of the site the artifacts call {s.get('_short')!r}: "
                                   f"'getent hosts {s.get('_short')}' on a node"))
            if "address" not in s:
                out.append(Missing(("site", i, "address"), HINT_SITE_ADDRESS))
            if "machine_id" not in s:
                out.append(Missing(("site", i, "machine_id"), HINT_SITE_MID))
            if "database" not in s:
                out.append(Missing(("site", i, "database"), "the site's database path on the "
                                   "shared disk: the DBPATH argument of cjcpw, shown by 'cjcls'"))
        return out + self.extra_missing


_ADAPTERS: dict[str, Any] = {}


def _load_adapter(name: str) -> Any:
    if name not in _ADAPTERS:
        from jobcenter_cluster.plugins import load_adapter

        _ADAPTERS[name] = load_adapter(name)
    return _ADAPTERS[name]


def site_label(site: Mapping[str, Any]) -> str:
    """The site's name, or the short name it was given where it has none yet."""
    return str(site.get("name") or site.get("_short"))


def _check_cluster_key(key: str, value: Any, windows: bool) -> str | None:
    """Why `value` cannot be ``[cluster]`` `key` (the model's rules), or None."""
    if not isinstance(value, str):
        return f"{value!r} is not plain text"
    why = check_plain_text(value)
    if why:
        return why
    if key == "product":
        return None if value in PRODUCTS else f"{value!r} is not a product profile"
    if key == "supervisor":
        return None if value in SUPERVISORS else f"{value!r} is not a supervisor"
    if key == "install_prefix":
        return check_path(value, windows=windows)
    if key == "spool_root":
        return check_path(value, windows=False)
    if key == "jccluster":
        return check_jccluster_command(value)
    if key == "name":
        return check_cluster_name(value)
    return f"unknown key {key!r}"  # pragma: no cover


def _unsourced(err: ConfigError) -> str:
    """The mistakes of `err` without the source (``field: detail``, one per line)."""
    errors = err.errors if isinstance(err, ConfigErrors) else [err]
    return "\n".join(str(e.replace(source=None)) for e in errors)


# --------------------------------------------------------------------------- command lines


@dataclass
class Command:
    """What one command line of an artifact does for a site.

    `action`: ``watch`` (cjcpw SITE DB, or an agent action that watches), ``start`` (cjcpw -c),
    ``stop``, ``keep-port``, or the agent's own action word (`agent_action`)."""

    action: str
    site: str | None = None
    database: str | None = None
    supervisor: str = "cjcpw"
    agent_action: str | None = None
    timeout: str | None = None


_WIN_EXE = re.compile(r"(?i)\.exe\Z")


def command(argv: Sequence[str], draft: Draft, at: Where, *,
            agent_words: Mapping[str, str] | None = None) -> Command | None:
    """Interpret `argv` (the command and its words); record what it says about the cluster
    (supervisor, install prefix, jccluster path, product, spool root) in `draft`.

    `agent_words`: the adapter's agent verbs and the `Command.action` each stands for, e.g.
    ``{"service": "watch", "start": "start", "stop": "stop", "keep-port": "keep-port"}``.
    Returns None when the line is not a JobCenter or jccluster command.
    """
    if not argv:
        return None
    exe = argv[0]
    windows = "\\" in exe or bool(re.match(r"[A-Za-z]:", exe))
    pathmod: Any = ntpath if windows else posixpath
    base = _WIN_EXE.sub("", pathmod.basename(exe)).lower()
    args = list(argv[1:])
    if base == "cjcpw":
        prefix = _prefix(exe, windows, "cjcpw")
        if prefix:
            draft.set_cluster("install_prefix", prefix, at)
        draft.set_cluster("supervisor", "cjcpw", at)
        if args[:1] == ["-stop"]:
            return Command("stop", site=args[1] if len(args) > 1 else None)
        nowatch = False
        rest = []
        i = 0
        while i < len(args):
            a = args[i]
            if a == "-c":
                nowatch = True
            elif a == "-u" and i + 1 < len(args):
                i += 1  # the Windows admin; the importer takes it from its own context
            else:
                rest.append(a)
            i += 1
        if len(rest) != 2:
            return None
        return Command("start" if nowatch else "watch", site=rest[0], database=rest[1])
    if base == "nqsportkpr":
        prefix = _prefix(exe, windows, "nqsportkpr")
        if prefix:
            draft.set_cluster("install_prefix", prefix, at)
        draft.set_cluster("supervisor", "cjcpw", at)
        return Command("keep-port", site=args[0] if args else None)
    if len(args) >= 3 and args[0] == "agent" and base in ("jccluster", "jccluster.exe") \
            or (len(args) >= 3 and args[0] == "agent" and args[1] == draft.adapter):
        if args[1] != draft.adapter:
            draft.report.skip(at.file, at.line, f"a call of another adapter's agent ({args[1]})")
            return None
        draft.set_cluster("supervisor", "jccluster", at)
        default = DEFAULT_JCCLUSTER_WINDOWS if windows else DEFAULT_JCCLUSTER
        if exe != default:
            draft.set_cluster("jccluster", exe, at)
        verb = args[2]
        pos: list[str] = []
        timeout = None
        i = 3
        while i < len(args):
            a = args[i]
            if a in ("--product", "--root", "--timeout", "--config") and i + 1 < len(args):
                value = args[i + 1]
                if a == "--product":
                    draft.set_cluster("product", value, at)
                elif a == "--root":
                    draft.set_cluster("spool_root", value, at)
                elif a == "--timeout":
                    timeout = value
                else:
                    draft.report.skip(at.file, at.line, f"--config {value} (the agent reads "
                                      "the cluster file; the import writes a new one)")
                i += 2
                continue
            pos.append(a)
            i += 1
        words = agent_words or {}
        action = words.get(verb, verb)
        return Command(action, site=pos[0] if pos else None,
                       database=pos[1] if len(pos) > 1 else None, supervisor="jccluster",
                       agent_action=verb, timeout=timeout)
    return None


def _prefix(exe: str, windows: bool, name: str) -> str | None:
    """The install prefix from the full path of a JobCenter command, or None (a bare name)."""
    if windows:
        parts = re.split(r"[\\]", _WIN_EXE.sub("", exe))
        if len(parts) >= 4 and [p.lower() for p in parts[-3:-1]] == ["sv", "bin"]:
            return "\\".join(parts[:-3]) or None
        return None
    if not exe.startswith("/"):
        return None
    d = posixpath.dirname(exe)
    if name in ("cjcpw", "cjcmksite", "cjcls"):
        if posixpath.basename(d) != "cluster":
            return None
        d = posixpath.dirname(d)
    return d or None


def apply_site_command(cmd: Command, draft: Draft, at: Where) -> dict[str, Any] | None:
    """Record a `Command`'s site (and database, monitor) in the draft; return the site."""
    if not cmd.site:
        return None
    site = draft.site(cmd.site, at)
    if site is None:
        return None
    if cmd.database:
        draft.set_site(site, "database", cmd.database, at)
    return site


def site_of(commands: Iterable[tuple[Command, Where]],
            draft: Draft) -> tuple[dict[str, Any] | None, bool]:
    """Apply every command that names a site (`apply_site_command`): ``(the last site named or
    None, whether the draft took every one)``. A site the draft refused is reported already;
    the caller stops reading that resource."""
    site = None
    for cmd, at in commands:
        if cmd.site:
            found = apply_site_command(cmd, draft, at)
            if found is None:
                return None, False
            site = found
    return site, True


# --------------------------------------------------------------------------- TOML


def toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")  # pragma: no cover


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def to_toml(draft: Draft, sources: Iterable[str]) -> str:
    """The cluster file: the values found, and a commented line for each missing one."""
    missing = {m.path: m.hint for m in draft.missing()}
    out = [
        f"# Imported by 'jccluster import {draft.adapter}' from:",
        *(f"#   {s}" for s in sources),
        "# Check every value, fill in the ones marked MISSING, then run 'jccluster validate'.",
        "# Reference: docs/cluster-file.md.",
        "",
        "[cluster]",
    ]
    for key in ("product", "supervisor", "install_prefix", "jccluster", "spool_root", "name"):
        if key in draft.cluster:
            out.append(f"{key} = {toml_value(draft.cluster[key])}")
    out.append("")
    if ("node",) in missing:
        out += [f"# MISSING [[node]]: {missing[('node',)]}", "# [[node]]",
                '# name = "NODE.example.com"', '# address = "192.0.2.1"', "# machine_id = 0", ""]
    for i, node in enumerate(draft.nodes):
        out.append("[[node]]")
        for key in ("name", "address", "machine_id"):
            if key in node:
                out.append(f"{key} = {toml_value(node[key])}")
            elif ("node", i, key) in missing:
                out.append(f"# {key} =    # MISSING: {missing[('node', i, key)]}")
        out.append("")
    if ("site",) in missing:
        out += [f"# MISSING [[site]]: {missing[('site',)]}", ""]
    for i, site in enumerate(draft.sites):
        out.append("[[site]]")
        for key in SITE_ORDER:
            if key in site and key != "_short":
                out.append(f"{key} = {toml_value(site[key])}")
            elif ("site", i, key) in missing:
                out.append(f"# {key} =    # MISSING: {missing[('site', i, key)]}")
        for key, value in site.items():  # core keys beyond these
            if key not in ("_short", *SITE_ORDER) and not isinstance(value, dict):
                out.append(f"{toml_key(key)} = {toml_value(value)}")
        sub = site.get(draft.adapter)
        need = [(p[3], h) for p, h in missing.items() if len(p) == 4 and p[:3] == (
            "site", i, draft.adapter)]
        if sub or need:
            out.append(f"[site.{toml_key(draft.adapter)}]")
            out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in (sub or {}).items()]
            out += [f"# {k} =    # MISSING: {h}" for k, h in need]
        out.append("")
    need = [(p[1], h) for p, h in missing.items() if len(p) == 2 and p[0] == draft.adapter]
    if draft.table or need:
        out.append(f"[{toml_key(draft.adapter)}]")
        out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in draft.table.items()]
        out += [f"# {k} =    # MISSING: {h}" for k, h in need]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- running


@dataclass
class Imported:
    """The result of an import: the file's text, its data, what was not carried over, and
    what is missing."""

    text: str
    data: dict[str, Any]
    report: list[str]
    missing: list[Missing]


def importer_module(adapter: str) -> Any:
    """The importer module of `adapter`, loaded now (never on the agent's hot path)."""
    import importlib

    name = IMPORTERS.get(adapter)
    if name is None:
        from jobcenter_cluster.plugins import load_adapter

        cls = load_adapter(adapter)  # an unknown adapter: a clean AdapterLoadError
        name = getattr(cls, "importer", None)
        if not name:
            known = ", ".join(sorted(IMPORTERS))
            raise UserError(f"adapter {adapter!r} has no importer (import from: {known})")
    return importlib.import_module(name)


def run_import(adapter: str, paths: Sequence[str], *, merge: bool = False) -> Imported:
    """Read the artifacts at `paths` with `adapter`'s importer. Artifacts of several clusters
    (files naming disjoint sets of nodes) are refused, unless `merge` (``--merge``): then
    they are read into one file, and the report says so."""
    module = importer_module(adapter)
    files = read_inputs(paths)
    draft = Draft(adapter)
    module.read(files, draft, draft.report)
    clusters = draft.clusters()
    if len(clusters) > 1:
        names = "; ".join(f"{', '.join(c)} ({len(_nodes_of(draft, c))} node(s): "
                          f"{', '.join(_nodes_of(draft, c))})" for c in clusters)
        if not merge:
            raise UserError(f"the files describe {len(clusters)} clusters with no node in "
                            f"common: {names}; import each cluster on its own, or give --merge "
                            "if they are one cluster (say, packages of one cluster that run on "
                            "different nodes) to read them into one cluster file")
        draft.report.skip(clusters[1][0], None, f"merged with --merge: the files describe "
                          f"{len(clusters)} clusters with no node in common ({names}); check "
                          "that they are one cluster", failover=True)
        draft.report.failover.insert(0, draft.report.failover.pop())  # the first line
    _from_our_notes(files, draft)
    _from_cjcmksite_records(files, draft)
    _trial(draft, files)
    product = PRODUCTS[draft.cluster.get("product", "jobcenter-linux")]
    if draft.cluster.get("install_prefix") == product.install_prefix:
        del draft.cluster["install_prefix"]  # the product's own: no need to say it
    for i, site in enumerate(draft.sites):
        draft.sites[i] = _ordered(site, SITE_ORDER)
    return Imported(to_toml(draft, [f.path for f in files]), draft.data(), list(draft.report),
                    draft.missing())


def _nodes_of(draft: Draft, paths: Sequence[str]) -> list[str]:
    idx = sorted(set().union(*(draft._node_files[p] for p in paths)))
    return [draft.nodes[i]["name"] for i in idx]


_GENERATED = "Generated by jobcenter-cluster"
#: the [[site]] keys, in the order the file gives them
SITE_ORDER = ("name", "address", "netmask", "machine_id", "database", "monitor")


def _placeheld(draft: Draft) -> dict[str, Any]:
    """The draft's data with a stand-in for every value `Draft.missing` lists (a node, a site's
    address, machine ID, netmask, database): the adapter's own checks (`_adapter_problems`)
    and `Draft.option_default` need a complete cluster. Stand-ins are never judged: the core
    tables are judged without them (`_core_problems`)."""
    data = draft.data()
    n = 0
    for m in draft.missing():
        n += 1
        if m.path == ("node",):
            data["node"] = [{"name": "stand-in-node", "address": "192.0.2.254",
                             "machine_id": 2_147_483_000}]
        elif m.path == ("site",) or m.path[-1] == "name" or len(m.path) != 3:
            continue
        else:
            table, i, key = m.path
            value: Any = {"address": f"192.0.2.{n}", "machine_id": 2_147_483_000 + n,
                          "netmask": "255.255.255.0",
                          "database": f"Z:\\stand-in{n}" if draft.windows
                          else f"/stand-in/{n}"}[str(key)]
            data[str(table)][int(i)][str(key)] = value
    for i, site in enumerate(data["site"]):
        site.setdefault("name", f"stand-in-{i}.invalid")
    return data


def _core_problems(draft: Draft) -> list[ConfigError]:
    """What the model finds wrong with the draft's core tables (`model.problems`), less the
    values the draft already lists as missing (they are MISSING lines in the file)."""
    from jobcenter_cluster.model import problems

    missing = {m.path for m in draft.missing()}
    return [e for e in problems(draft.data(), source="import", adapter_names=[draft.adapter])
            if not (e.code == REQUIRED and e.field and field_parts(e.field) in missing)]


def _adapter_problems(draft: Draft) -> list[ConfigError]:
    """What the adapter finds wrong (its tables and its own cross-checks), on the draft
    completed with stand-ins for the missing core values (`_placeheld`)."""
    from jobcenter_cluster.model import parse_cluster

    try:
        draft.adapter_class()(parse_cluster(_placeheld(draft), source="import",
                                            adapter_names=[draft.adapter]))
    except ConfigError as err:
        return err.errors if isinstance(err, ConfigErrors) else [err]
    return []


def _trial(draft: Draft, files: Sequence[InputFile]) -> None:
    """Validate what was found as the cluster file and the adapter will. The mistakes are data
    (`ConfigError.field`, `.code`): a value the adapter requires and no artifact holds is
    listed as missing (`_required`); any other refused value is taken out of the draft and
    reported with the file and line it came from. Each round takes a value out or lists a
    netmask as missing (its stand-in then lets the adapter judge what it hid), so the rounds
    end; a mistake that names no value of the draft ends them with one report line."""
    if not draft.sites:
        return
    while True:
        errors = _core_problems(draft) or _adapter_problems(draft)
        progress = False
        for one in errors:
            known = len(draft.extra_missing)
            if one.code == REQUIRED and _required(draft, one):
                new = draft.extra_missing[known:]
                progress = progress or any(x.path[-1] == "netmask" for x in new)
                continue
            found = _locate(draft, one.field)
            if found is None:
                draft.report.skip(files[0], None, f"the imported settings do not validate "
                                  f"({_unsourced(one)}): check them")
                return
            table, key = found
            at = draft.origin_of(str(one.field)) or Where(files[0], None)
            del table[key]
            progress = True
            draft.report.skip(at.file, at.line, f"{one.field}: {one.detail}")
        if not progress:
            return


HINT_NETMASK = ("the site address's netmask, which no artifact read holds (jccluster does not "
                "guess it): the prefix of the site's network on a node ('ip -o -4 addr show' on "
                "Linux, 'ifconfig -a' on HP-UX and Solaris, 'ipconfig' on Windows)")


def _required(draft: Draft, err: ConfigError) -> bool:
    """List a value the model or the adapter requires (``code == REQUIRED``) and the artifacts
    did not give as missing: a site's netmask, or a key of the adapter's tables (its hint: the
    option's help, from the adapter's schema). False when `err` names no such value. Whether
    it was new: `extra_missing` grew."""
    parts = field_parts(err.field) if err.field else ()
    path: tuple[str | int, ...]
    if len(parts) == 3 and parts[0] == "site" and parts[2] == "netmask":
        path, hint = parts, HINT_NETMASK
    elif len(parts) == 2 and parts[0] == draft.adapter:
        path, hint = parts, _option_help(draft, None, str(parts[1]))
    elif len(parts) == 4 and parts[0] == "site" and parts[2] == draft.adapter:
        path, hint = parts, _option_help(draft, "site", str(parts[3]))
    else:
        return False
    if path not in {m.path for m in draft.extra_missing}:
        draft.extra_missing.append(Missing(path, hint))
    return True


def _option_help(draft: Draft, table: str | None, key: str) -> str:
    cls = draft.adapter_class()
    schema = cls.options_schema if table is None else cls.site_options_schema
    return schema[key].help if key in schema else ""


def _locate(draft: Draft, field: str | None) -> tuple[dict[str, Any], str] | None:
    """The draft table and key a field path names, if the draft holds that value (a name is
    never taken out: the rest of the site hangs on it)."""
    parts = list(field_parts(field)) if field else []
    table: Any
    if not parts:
        return None
    head = parts[0]
    rest = parts[1:]
    if head == "cluster" and len(rest) == 1:
        table = draft.cluster
    elif head in ("site", "node") and rest and isinstance(rest[0], int):
        items = draft.sites if head == "site" else draft.nodes
        i = rest[0]
        if i >= len(items):
            return None
        table = items[i]
        rest = rest[1:]
        if len(rest) == 2 and rest[0] == draft.adapter:
            table = table.get(draft.adapter, {})
            rest = rest[1:]
    elif head == draft.adapter and len(rest) == 1:
        table = draft.table
    else:
        return None
    if len(rest) != 1 or not isinstance(rest[0], str) or rest[0] not in table \
            or rest[0] == "name":
        return None
    return table, rest[0]


def is_ours(f: InputFile) -> bool:
    """Whether `f` is one of our own notes (APPLY.txt) rather than a product artifact."""
    return f.name == "APPLY.txt" and _GENERATED in f.text


def _from_our_notes(files: Sequence[InputFile], draft: Draft) -> None:
    """Our APPLY.txt names the install prefix even where no command holds it (the jccluster
    supervisor calls only our agent), and lists the sites in the cluster file's order."""
    notes = [f for f in files if is_ours(f)]
    for f in notes:
        m = re.search(r"(?:install\s+(?:path|folder)|the\s+same\s+folder)\s+\(([^()\n]+)\)",
                      f.text)
        if m and "install_prefix" not in draft.cluster:
            draft.set_cluster("install_prefix", m.group(1), Where(f, None))
    text = "\n".join(f.text for f in notes)

    def position(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        m = re.search(r"(?<![\w.-])" + re.escape(site_label(item[1])) + r"(?![\w-])", text)
        return (m.start() if m else len(text), item[0])

    if not draft.order_fixed:
        draft.sites[:] = [s for _, s in sorted(enumerate(draft.sites), key=position)]


_CJCMKSITE = re.compile(r"(?<![\w-])(?:cjcmksite(?:\.exe)?|jccluster(?:\.exe)?\s+site\s+create)"
                        r"\s+([A-Za-z0-9.-]+)\s+(\d{1,10})\s+(\S+)")


def _from_cjcmksite_records(files: Sequence[InputFile], draft: Draft) -> None:
    """A site's machine ID from its cjcmksite record: a ``cjcmksite SITE MID DBPATH`` (or
    ``jccluster site create SITE MID DBPATH``) line in any file given -- the operator's notes,
    a saved shell history, our APPLY.txt."""
    for f in files:
        for m in _CJCMKSITE.finditer(f.text):
            site = draft.find_site(m.group(1))
            if site is None or "machine_id" in site:
                continue
            if site_label(site).lower() not in (m.group(1).lower(),
                                                 m.group(1).lower().split(".")[0]):
                continue
            line = f.text.count("\n", 0, m.start()) + 1
            draft.set_site(site, "machine_id", int(m.group(2)), Where(f, line))


def _ordered(table: dict[str, Any], first: Sequence[str]) -> dict[str, Any]:
    out = {k: table[k] for k in first if k in table}
    out.update({k: v for k, v in table.items() if k not in out})
    return out


def write_new(path: str, text: str, *, force: bool) -> None:
    """Write `text` to `path` atomically; without `force` never replace an existing file. The
    directory must pass the trust rule on its open handle (`jobcenter_cluster.fsio.open_dir`:
    not another user's, not writable by others) and the file is written relative to it
    (`fsio.write_at`), so nobody can swap it before or after."""
    from jobcenter_cluster import fsio

    folder, name = os.path.split(os.path.abspath(path))
    if not force and os.path.lexists(path):
        raise UserError(f"{path}: already exists; not overwriting it (use --force, or -o FILE)")
    if not os.path.isdir(folder):
        raise UserError(f"{path}: cannot write in {folder}: no such directory")
    dfd = fsio.open_dir(folder, what="import output directory", holds_file=True)
    try:
        if force:
            try:
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                pass
            else:
                if st.st_mode & 0o170000 == 0o040000:
                    raise UserError(f"{path}: is a directory; give the cluster file's name")
        fsio.write_at(dfd, name, text, 0o644, replace=force, sync=True)
    except FileExistsError:
        raise UserError(f"{path}: already exists; not overwriting it (use --force)") from None
    except OSError as err:
        raise UserError(f"{path}: cannot write in {folder}: {err.strerror}") from None
    finally:
        os.close(dfd)


# --------------------------------------------------------------------------- shell helpers

_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?=(.*)\Z", re.S)


def shell_words(text: str) -> list[str] | None:
    """A POSIX shell line as words, ``;`` as a word of its own; None if it does not parse."""
    try:
        lex = LinearShlex(text, posix=True, punctuation_chars=";&|<>")
        lex.whitespace_split = True
        lex.commenters = "#"
        raw = list(lex)
    except ValueError:
        return None
    # drop redirections: [N]> FILE, [N]>> FILE, < FILE, [N]>&M
    out: list[str] = []
    i = 0
    while i < len(raw):
        w = raw[i]
        if w in (">", ">>", "<", ">&", "<&", "&>", "&>>"):
            if out and out[-1] in ("0", "1", "2"):
                out.pop()  # the descriptor of 2>&1 (shlex splits it off)
            i += 2
            continue
        out.append(w)
        i += 1
    return out


def assignments(words: Sequence[str]) -> list[tuple[str, int | None, str]] | None:
    """``NAME=value`` / ``NAME[i]=value`` words (separated by ``;`` or blanks) as (name, index,
    value); None if any word is not an assignment."""
    out: list[tuple[str, int | None, str]] = []
    for w in words:
        if w == ";":
            continue
        m = _ASSIGN.match(w)
        if not m:
            return None
        out.append((m.group(1), int(m.group(2)) if m.group(2) is not None else None, m.group(3)))
    return out


def commands_of(words: Sequence[str]) -> list[list[str]]:
    """Split words at ``;``, ``&&``, ``||``, ``|`` and ``&`` into simple commands."""
    out: list[list[str]] = [[]]
    for w in words:
        if w in (";", "&&", "||", "|", "&"):
            out.append([])
        else:
            out[-1].append(w)
    return [c for c in out if c]


# --------------------------------------------------------------------------- batch helpers


def batch_words(text: str) -> list[str]:
    """A cmd.exe command line of a batch file as words: blanks (space, tab) separate words
    outside double quotes, the quotes are removed, ``%%`` is one ``%``; redirections
    (``> NUL``, ``2>&1``, ``1>&2``) are dropped."""
    words: list[str] = []
    cur: list[str] = []
    quoted = False
    started = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
            started = True
        elif ch in " \t" and not quoted:
            if started:
                words.append("".join(cur))
            cur, started = [], False
        elif ch == "%" and text[i:i + 2] == "%%":
            cur.append("%")
            started = True
            i += 1
        else:
            cur.append(ch)
            started = True
        i += 1
    if started:
        words.append("".join(cur))
    out: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        if re.fullmatch(r"[12]?>>?", w):
            skip = True
            continue
        if re.fullmatch(r"[12]?>>?&?[12]|[12]?>>?\S+", w):
            continue
        out.append(w)
    return out
