"""The adapter interface: one subclass per cluster product (standard library only).

Adapters are found through the entry-point group ``jobcenter_cluster.adapters`` (see
`jobcenter_cluster.plugins`). This module must stay importable without Jinja, typer or stevedore:
``jccluster agent ADAPTER monitor`` imports the adapter's module on every call of the cluster's
monitor, so adapter modules import `jobcenter_cluster.render` lazily, inside ``render()``.

A complete example adapter::

    from jobcenter_cluster.adapter import Adapter, AgentAction, Artifact, Option
    from jobcenter_cluster.outcome import Outcome

    class EchoAdapter(Adapter):
        '''Renders one shell script per site that starts the site under our engine.'''

        name = "echo"
        product = "Echo Cluster 1.0"
        artifacts = ("{site}/start.sh",)
        options = {"greeting": Option(str, "hello", "printed by start.sh")}
        agent_actions = {
            "start": AgentAction("watch", "start the site and watch it in the foreground"),
            "stop": AgentAction("stop", "stop the site"),
            "monitor": AgentAction("status", "0 running, 1 not running"),
        }
        exit_codes = {
            ("start", Outcome.SUCCESS): 0,
            ("stop", Outcome.SUCCESS): 0,
            ("monitor", Outcome.RUNNING): 0,
            ("monitor", Outcome.MAINTENANCE): 0,
        }
        default_exit_code = 1

        def render(self):
            from jobcenter_cluster.render import Renderer
            r = Renderer(self.name, self.template_dirs)
            return [
                Artifact(f"{site.short_name}/start.sh",
                         r.render("start.sh.j2", cluster=self.cluster, site=site,
                                  opts=self.options), mode=0o755)
                for site in self.sites
            ]

and in its ``pyproject.toml``::

    [project.entry-points."jobcenter_cluster.adapters"]
    echo = "echo_adapter:EchoAdapter"
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping

from jobcenter_cluster.errors import ConfigError, ConfigErrors
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import Record

# Not `typing.TYPE_CHECKING` and no dataclasses: this module is on the hot path of every cluster
# monitor call, and `typing` + `dataclasses` (which imports `inspect`) cost more start-up time than
# the rest of the call. mypy honours a module-level TYPE_CHECKING = False.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, ClassVar

    from jobcenter_cluster.model import Cluster, Site


# --------------------------------------------------------------------------- options


class Option(Record):
    """One key of an adapter's option table (``[serviceguard]`` or ``[site.serviceguard]``).

    `type` is ``str``, ``int``, ``bool`` or ``list``; `default` may be a callable taking
    ``(cluster, site)`` for per-site defaults (``site`` is None for cluster-wide options).
    `check` returns an error text (without the field name) or None; `choices` restricts a string.
    """

    __slots__ = ("type", "default", "help", "required", "choices", "check", "minimum", "maximum")

    def __init__(
        self,
        type: type,
        default: Any = None,
        help: str = "",
        required: bool = False,
        choices: tuple[Any, ...] | None = None,
        check: Callable[[Any], str | None] | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> None:
        self.type = type
        self.default = default
        self.help = help
        self.required = required
        self.choices = choices
        self.check = check
        self.minimum = minimum
        self.maximum = maximum


def parse_options(
    table: Mapping[str, Any] | None,
    schema: Mapping[str, Option],
    *,
    where: str,
    source: str,
    cluster: Cluster | None = None,
    site: Site | None = None,
    elsewhere: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Validate an option table against `schema`; return a dict with defaults filled in.

    Every mistake of the table is reported (`ConfigErrors` when there are several).
    `elsewhere` maps keys that belong in another table to that table's name, for the hint.
    """
    table = dict(table or {})
    errors: list[ConfigError] = []
    for key in table:
        if key not in schema:
            import difflib

            near = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
            home = (elsewhere or {}).get(key)
            fix = f"it belongs in {home}" if home else f"did you mean {near[0]!r}?" if near else (
                f"allowed: {', '.join(schema)}" if schema else "this table takes no keys"
            )
            errors.append(ConfigError(f"{source}: {where}.{key}: unknown key ({fix})"))
    out: dict[str, Any] = {}
    for key, opt in schema.items():
        try:
            _parse_option(table, key, opt, out, where=where, source=source, cluster=cluster,
                          site=site)
        except ConfigError as err:
            errors.append(err)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
    return out


def _parse_option(table: Mapping[str, Any], key: str, opt: Option, out: dict[str, Any], *,
                  where: str, source: str, cluster: Cluster | None, site: Site | None) -> None:
    """Validate one key of an option table into `out` (raises `ConfigError`)."""
    field_name = f"{where}.{key}"
    if key not in table:
        if opt.required:
            raise ConfigError(f"{source}: {field_name}: is required ({opt.help})")
        default = opt.default(cluster, site) if callable(opt.default) else opt.default
        out[key] = default
        return
    value = table[key]
    if opt.type is bool:
        ok = isinstance(value, bool)
    elif opt.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif opt.type is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, opt.type)
    if not ok:
        kind = {bool: "true or false", int: "a whole number", str: "a string",
                list: "a list of strings"}.get(opt.type, opt.type.__name__)
        raise ConfigError(f"{source}: {field_name}: must be {kind}, not {value!r}")
    if isinstance(value, str) and re.search(r"[\x00-\x1f\x7f]", value):
        raise ConfigError(f"{source}: {field_name}: {value!r} contains a control character")
    if opt.choices is not None and value not in opt.choices:
        import difflib

        near = difflib.get_close_matches(str(value), [str(c) for c in opt.choices], n=1,
                                         cutoff=0.6)
        raise ConfigError(
            f"{source}: {field_name}: {value!r} is not allowed ("
            + (f"did you mean {near[0]!r}? " if near else "")
            + f"use one of: {', '.join(map(str, opt.choices))})"
        )
    if opt.minimum is not None and value < opt.minimum:
        raise ConfigError(f"{source}: {field_name}: {value} is too small (at least {opt.minimum})")
    if opt.maximum is not None and value > opt.maximum:
        raise ConfigError(f"{source}: {field_name}: {value} is too large (at most {opt.maximum})")
    if opt.check is not None:
        why = opt.check(value)
        if why:
            raise ConfigError(f"{source}: {field_name}: {why}")
    out[key] = value


# --------------------------------------------------------------------------- artifacts & checks


class Artifact(Record):
    """One generated file: a path relative to the output directory, its text and its mode.

    `language` is for `jccluster check` (``sh``, ``ksh``, ``bash``, ``bat``, ``ps1``, ``xml``,
    ``maincf``, ``conf``, ``text``); `site` is the site it belongs to (None: cluster-wide).
    """

    __slots__ = ("path", "content", "mode", "language", "site")

    def __init__(self, path: str, content: str, mode: int = 0o644, language: str = "text",
                 site: str | None = None) -> None:
        self.path = path
        self.content = content
        self.mode = mode
        self.language = language
        self.site = site


class Finding(Record):
    """One result of a check rule: `source` is the manual section or product document."""

    __slots__ = ("rule", "severity", "message", "source", "file", "line")

    def __init__(self, rule: str, severity: str, message: str, source: str,
                 file: str | None = None, line: int | None = None) -> None:
        self.rule = rule
        self.severity = severity  # "error" or "warning"
        self.message = message
        self.source = source
        self.file = file
        self.line = line

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


#: what a rule function yields: (message, file or None, line or None).
RuleResult = tuple[str, "str | None", "int | None"]


class Rule(Record):
    """A vendor-specific check: `func(ctx)` yields `RuleResult`s for a
    `jobcenter_cluster.checks.CheckContext`; the framework makes them `Finding`s."""

    __slots__ = ("id", "summary", "source", "func", "severity")

    def __init__(self, id: str, summary: str, source: str,
                 func: Callable[[Any], Iterable[RuleResult]], severity: str = "error") -> None:
        self.id = id
        self.summary = summary
        self.source = source
        self.func = func
        self.severity = severity


class AgentAction(Record):
    """What one of the product's verbs asks of the engine.

    `operation` is one of: ``watch`` (start if needed, then watch in the foreground until the
    site fails or is stopped), ``start`` (start, return once up, no watcher: ``cjcpw -c``),
    ``background`` (start with a detached watcher, return once up), ``stop``, ``status``,
    ``validate``, ``keep-port`` (hold the NQS port on the site address), ``meta-data`` (print
    the adapter's `meta_data()`), ``unsupported``.
    """

    __slots__ = ("operation", "help")

    def __init__(self, operation: str, help: str = "") -> None:
        self.operation = operation
        self.help = help


OPERATIONS = ("watch", "start", "background", "stop", "status", "validate", "keep-port",
              "meta-data", "unsupported")


# --------------------------------------------------------------------------- the base class


class Adapter(abc.ABC):
    """Base class of every cluster-product adapter.

    Subclasses set the class attributes and implement `render`. They never start processes
    themselves; ``jccluster agent`` asks the engine and maps its `Outcome` through `exit_codes`.
    """

    #: short, user-visible name: the CLI word, the entry-point name and the option-table name.
    name: ClassVar[str]
    #: the cluster product(s) served, for ``jccluster adapters``.
    product: ClassVar[str]
    #: relative paths of the rendered artifacts (``{site}`` stands for the site's short name).
    artifacts: ClassVar[Sequence[str]] = ()
    #: the adapter's cluster-wide option table ``[name]``.
    options_schema: ClassVar[Mapping[str, Option]] = {}
    #: the adapter's per-site option table ``[site.name]``.
    site_options_schema: ClassVar[Mapping[str, Option]] = {}
    #: the verbs ``jccluster agent NAME VERB`` accepts, and what each asks of the engine.
    agent_actions: ClassVar[Mapping[str, AgentAction]] = {}
    #: ``(verb, outcome) -> exit code``; ``("*", outcome)`` applies to every verb.
    exit_codes: ClassVar[Mapping[tuple[str, Outcome], int]] = {}
    #: the exit code for any pair not in the table.
    default_exit_code: ClassVar[int] = 1
    #: the supervisors this product's nodes can use (``cluster.supervisor``); a file that leaves
    #: the supervisor to its default gets the first of these when the default is not one of them
    supervisors: ClassVar[tuple[str, ...]] = ("jccluster", "cjcpw")
    #: why the others cannot be used, for the one-line refusal
    supervisor_reason: ClassVar[str] = ""

    def __init__(
        self, cluster: Cluster, *, template_dirs: Sequence[str] = (), site: str | None = None
    ) -> None:
        if cluster.supervisor not in self.supervisors:
            if cluster.supervisor_explicit:
                raise ConfigError(
                    f'{cluster.source}: cluster.supervisor: "{cluster.supervisor}" cannot be used '
                    f"with {self.name}"
                    + (f": {self.supervisor_reason}" if self.supervisor_reason else "")
                    + f'; set supervisor = "{self.supervisors[0]}"'
                )
            cluster = cluster.with_supervisor(self.supervisors[0])
        self.cluster = cluster
        self.template_dirs = tuple(template_dirs)
        self.sites = cluster.select_sites(site)
        errors: list[ConfigError] = []
        self.options: dict[str, Any] = {}
        try:
            self.options = parse_options(
                cluster.adapter_options.get(self.name),
                self.options_schema,
                where=self.name,
                source=cluster.source,
                cluster=cluster,
                elsewhere={k: f"[site.{self.name}], right after its [[site]]"
                           for k in self.site_options_schema if k not in self.options_schema},
            )
        except ConfigError as err:
            errors.append(err)
        self.site_options: dict[str, dict[str, Any]] = {}
        for s in cluster.sites:
            try:
                self.site_options[s.name] = parse_options(
                    s.adapter_options.get(self.name),
                    self.site_options_schema,
                    where=f"{s.where}.{self.name}",
                    source=cluster.source,
                    cluster=cluster,
                    site=s,
                    elsewhere={k: f"[{self.name}]" for k in self.options_schema
                               if k not in self.site_options_schema},
                )
            except ConfigError as err:
                errors.append(err)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ConfigErrors(errors)
        self.validate()

    # ---- what subclasses implement

    def validate(self) -> None:  # noqa: B027 - optional hook
        """Raise `ConfigError` for anything this product cannot represent (before rendering)."""

    @abc.abstractmethod
    def render(self) -> list[Artifact]:
        """Return every artifact for the selected sites, fully rendered, in memory."""

    @classmethod
    def rules(cls) -> Sequence[Rule]:
        """This product's `jccluster check` rules (the core ones are added by the framework).

        A rule's function gets a `jobcenter_cluster.checks.CheckContext`; its ``adapter`` and
        ``cluster`` are None when only a directory is checked, without a cluster file.
        """
        return ()

    @classmethod
    def agent_environment(cls, environ: Mapping[str, str]) -> dict[str, str]:
        """Agent arguments the product passes in its environment instead of the command line.

        Keys: ``site``, ``database``, ``root``, ``product``, ``config``, ``timeout``. Command-line
        arguments win. Example: Pacemaker's ``OCF_RESKEY_site`` becomes ``site``.
        """
        return {}

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        """Changes to the built-in example cluster (as TOML data) that this product needs to
        render it, e.g. a Windows product and drive path; tables merge key-wise, ``site`` and
        ``node`` lists element-wise (see `jobcenter_cluster.model.example_data`)."""
        return {}

    @classmethod
    def meta_data(cls) -> str:
        """Text printed by a ``meta-data`` agent action (e.g. the OCF agent's XML)."""
        return ""

    # ---- shared behaviour

    @classmethod
    def exit_code(cls, action: str, outcome: Outcome) -> int:
        """Translate an engine outcome into this product's exit code for `action`."""
        table = cls.exit_codes
        if (action, outcome) in table:
            return table[(action, outcome)]
        if ("*", outcome) in table:
            return table[("*", outcome)]
        return cls.default_exit_code

    @classmethod
    def exit_table(cls) -> list[tuple[str, Outcome, int]]:
        """Every ``(action, outcome, code)`` a user may meet, for docs and ``jccluster adapters``."""
        from jobcenter_cluster.outcome import Outcome as O

        rows = []
        for action, spec in cls.agent_actions.items():
            for outcome in OUTCOMES_BY_OPERATION.get(spec.operation, tuple(O)):
                rows.append((action, outcome, cls.exit_code(action, outcome)))
        return rows

    def site_opts(self, site: Site) -> dict[str, Any]:
        return self.site_options[site.name]

    def agent_argv(self, action: str, site: Site, *, database: bool = True) -> list[str]:
        """The command line by which the product calls ``jccluster agent`` for `site`."""
        argv = [self.cluster.jccluster, "agent", self.name, action, site.name]
        if database:
            argv.append(site.database)
        from jobcenter_cluster.products import DEFAULT_PRODUCT

        if self.cluster.product.name != DEFAULT_PRODUCT:
            argv += ["--product", self.cluster.product.name]
        if self.cluster.spool_root:
            argv += ["--root", self.cluster.spool_root]
        return argv

    def native_argv(self, command: str, *args: str) -> list[str]:
        """A JobCenter command (``cjcpw``, ``nqsportkpr`` …) by its full path on the nodes."""
        return [self.cluster.command(command), *args]

    def setup_commands(self, site: Site) -> dict[str, list[str]]:
        """The manual's by-hand steps on the active node (create the database, try a start
        without watching, stop it), as argv lists for the ``shjoin`` filter: APPLY.txt prints
        them for pasting, quoted for the shell (a database path may hold a space)."""
        c = self.cluster
        if c.supervisor == "cjcpw":
            return {
                "create": self.native_argv("cjcmksite", site.name, str(site.machine_id),
                                           site.database),
                "try_start": self.native_argv("cjcpw", "-c", site.name, site.database),
                "try_stop": self.native_argv("cjcpw", "-stop", site.name),
            }
        from jobcenter_cluster.products import DEFAULT_PRODUCT

        extra = [] if c.product.name == DEFAULT_PRODUCT else ["--product", c.product.name]
        extra += ["--root", c.spool_root] if c.spool_root else []
        return {
            "create": [c.jccluster, "site", "create", site.name, str(site.machine_id),
                       site.database, *extra],
            "try_start": [c.jccluster, "site", "start", "--no-watch", site.name, site.database,
                          *extra],
            "try_stop": [c.jccluster, "site", "stop", site.name, *extra],
        }

    # ---- the picture (``jccluster graph``)

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The site's resources and their order, as this product sees them.

        Returns ``(title, resources, links)``: `resources` are ``(id, label, kind)`` with
        kind ``address``, ``disk``, ``jobcenter`` or ``other``; `links` are ``(first, then)``:
        ``then`` starts after ``first`` (it depends on it) and stops before it. The default is
        what every product does: the shared disk and the floating address, then JobCenter.
        An adapter overrides it with its product's own resource names and order.
        """
        return (
            f"site {site.name}",
            [("disk", f"shared disk\n{site.database}", "disk"),
             ("address", f"floating address\n{site.address}", "address"),
             ("jobcenter", f"JobCenter site\n{site.name}", "jobcenter")],
            [("disk", "jobcenter"), ("address", "jobcenter")],
        )

    def graph(self) -> str:
        """Graphviz DOT of each selected site's resources and their dependencies.

        One cluster (box) per site; an arrow ``A -> B`` means B starts after A and stops before
        it.
        """
        shapes = {"address": "ellipse", "disk": "cylinder", "jobcenter": "box", "other": "box"}
        out = [f"digraph {_dot(self.name)} {{",
               "  // an arrow A -> B: B starts after A (it depends on A) and stops before it",
               "  rankdir=LR;",
               '  node [fontname="Helvetica", fontsize=11];',
               '  edge [fontname="Helvetica", fontsize=9];']
        for n, site in enumerate(self.sites):
            title, resources, links = self.graph_resources(site)
            out.append(f"  subgraph cluster_{n} {{")
            out.append(f"    label={_dot(title)};")
            for rid, label, kind in resources:
                style = ', style="bold"' if kind == "jobcenter" else ""
                out.append(f"    {_dot(f'{n}/{rid}')} [label={_dot(label)}, "
                           f"shape={shapes.get(kind, 'box')}{style}];")
            for first, then in links:
                out.append(f"    {_dot(f'{n}/{first}')} -> {_dot(f'{n}/{then}')};")
            out.append("  }")
        out.append("}")
        return "\n".join(out) + "\n"


def _dot(text: str) -> str:
    """A Graphviz DOT string: double quotes, ``\\`` and ``"`` escaped, newlines as ``\\n``."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + body.replace("\r", "") + '"'


#: how long JobCenter's own ``cjcpw -stop`` may take: "1-2 minutes" (manual §3.3.7).
CJCPW_STOP_SECONDS = 120


def stop_seconds(cluster: Cluster | None) -> int:
    """How long stopping a site may take on this cluster's supervisor, in whole seconds.

    JobCenter's ``cjcpw -stop``: `CJCPW_STOP_SECONDS`; our engine: its stop deadline (after it,
    whatever is left of the site is SIGKILLed). Every adapter renders its product's stop timeouts
    longer than this, and its `jccluster check` rules hold hand-edited files to it. Without a
    cluster (a directory checked on its own) the longer of the two is assumed.
    """
    if cluster is None or cluster.supervisor == "cjcpw":
        return CJCPW_STOP_SECONDS
    from jobcenter_cluster.engine.api import DEFAULT_STOP_TIMEOUT

    return -int(-DEFAULT_STOP_TIMEOUT // 1)  # rounded up


#: Which outcomes each engine operation can end in (what an exit table must cover).
OUTCOMES_BY_OPERATION: dict[str, tuple[Outcome, ...]] = {
    "watch": (Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.INVALID,
              Outcome.NOT_INSTALLED),
    "start": (Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.INVALID,
              Outcome.NOT_INSTALLED),
    "background": (Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.INVALID,
                   Outcome.NOT_INSTALLED),
    "stop": (Outcome.SUCCESS, Outcome.FAILED, Outcome.INVALID),
    "status": (Outcome.RUNNING, Outcome.MAINTENANCE, Outcome.STOPPED, Outcome.FAILED,
               Outcome.UNRECOVERABLE, Outcome.INVALID, Outcome.NOT_INSTALLED),
    "validate": (Outcome.SUCCESS, Outcome.INVALID, Outcome.NOT_INSTALLED),
    "keep-port": (Outcome.SUCCESS, Outcome.FAILED, Outcome.INVALID),
    "meta-data": (Outcome.SUCCESS,),
    "unsupported": (Outcome.UNSUPPORTED,),
}
