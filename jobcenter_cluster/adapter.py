"""The adapter interface: one subclass per cluster product, off the hot path.

An adapter is two things. Its **spec** (`jobcenter_cluster.spec.AdapterSpec`, named by the entry
point in group ``jobcenter_cluster.adapters``) is what ``jccluster agent`` needs on every monitor
call: actions, exit codes, environment, meta-data. Its **class**, a subclass of `Adapter` here,
is loaded only to render or check: option tables, validation, artifacts, check rules, the graph.
This module is ordinary typed Python; only the spec side keeps the hot-path style.

A complete example adapter (a package ``echo_adapter``)::

    # echo_adapter/__init__.py: the spec (what the entry point names)
    from jobcenter_cluster.outcome import Outcome
    from jobcenter_cluster.spec import LSB_LIKE, AdapterSpec, AgentAction

    SPEC = AdapterSpec(
        "echo", "Echo Cluster 1.0",
        actions={
            "start": AgentAction("watch", "start the site and watch it in the foreground"),
            "stop": AgentAction("stop", "stop the site"),
            "monitor": AgentAction("status", "0 running, 3 stopped, 1 failed"),
        },
        exit_codes=LSB_LIKE,
        adapter="echo_adapter.adapter:EchoAdapter",
    )

    # echo_adapter/adapter.py: rendering
    from jobcenter_cluster.adapter import Adapter, Artifact, Option
    from echo_adapter import SPEC

    class EchoAdapter(Adapter):
        '''Renders one shell script per site that starts the site under our engine.'''

        spec = SPEC
        artifacts = ("{site}/start.sh",)
        options_schema = {"greeting": Option(str, "hello", "printed by start.sh")}

        def render(self) -> list[Artifact]:
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
    echo = "echo_adapter:SPEC"

(An entry point may also name the `Adapter` subclass itself: its `spec` is read from the class,
and the hot path then imports the whole class.)
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

from jobcenter_cluster.artifact import Artifact
from jobcenter_cluster.engine.api import DEFAULT_STOP_TIMEOUT
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import REQUIRED, Checker, Cluster, Site, check_plain_path
from jobcenter_cluster.options import Option, parse_options, pattern_check, plain_path_check
from jobcenter_cluster.products import DEFAULT_PRODUCT
from jobcenter_cluster.render import Renderer
from jobcenter_cluster.spec import (
    OPERATIONS,
    OUTCOMES_BY_OPERATION,
    AdapterSpec,
    AgentAction,
    resolve,
)

__all__ = ["OPERATIONS", "OUTCOMES_BY_OPERATION", "Adapter", "AdapterSpec", "AgentAction",
           "Artifact", "Finding", "GraphResources", "Option", "Rule", "RuleResult", "Unique",
           "parse_options",
           "pattern_check", "plain_path_check", "stop_budget", "stop_seconds"]

T = TypeVar("T")

# --------------------------------------------------------------------------- artifacts & checks


@dataclass(frozen=True)
class Finding:
    """One result of a check rule: `source` is the manual section or product document."""

    rule: str
    severity: str  # "error" or "warning"
    message: str
    source: str
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: What a rule function yields: (message, file or None, line or None).
RuleResult = tuple[str, str | None, int | None]


@dataclass(frozen=True)
class Rule:
    """A vendor-specific check: `func(ctx)` yields `RuleResult`s for a
    `jobcenter_cluster.checks.CheckContext`; the framework makes them `Finding`s."""

    id: str
    summary: str
    source: str
    func: Callable[[Any], Iterable[RuleResult]]
    severity: str = "error"


class Unique:
    """Values that must not repeat across a cluster file (package names, resource IDs ...).

    ``names = Unique(cluster.source, "Serviceguard package names are unique")``, then
    ``names.add(value, "site[0].serviceguard.package")`` for each; the second use of a value is a
    `ConfigError` naming both places. `fold` maps a value to its comparison key (``str.upper``
    for names the product compares without case).
    """

    def __init__(self, source: str, why: str, *, fold: Callable[[str], str] = str) -> None:
        self.source = source
        self.why = why
        self.fold = fold
        self.first: dict[str, str] = {}

    def add(self, value: str, where: str) -> None:
        key = self.fold(value)
        if key in self.first:
            raise ConfigError(f"{value!r} is already used by "
                              f"{self.first[key]} ({self.why})", source=self.source, field=where)
        self.first[key] = where


#: what `Adapter.graph_resources` returns: ``(title, [(id, label, kind)], [(first, then)])``
GraphResources = tuple[str, list[tuple[str, str, str]], list[tuple[str, str]]]


# --------------------------------------------------------------------------- the base class


class _FromSpec(Generic[T]):
    """A class attribute of an `Adapter` subclass read from its `spec` (one source of truth)."""

    def __init__(self, attr: str) -> None:
        self.attr = attr

    def __get__(self, obj: object, owner: type[Adapter]) -> T:
        return cast(T, getattr(owner.spec, self.attr))


class Adapter(abc.ABC):
    """Base class of every cluster-product adapter.

    A subclass sets `spec` (its `AdapterSpec`: name, product, actions, exit codes) and the
    rendering attributes below, and implements `render`. It never starts processes; ``jccluster
    agent`` asks the engine and maps its `Outcome` through the spec's exit codes.
    """

    #: what the hot path knows of this adapter: its actions (``spec.actions``), exit codes
    #: (``spec.exit_code``, ``spec.exit_table``), environment and meta-data
    spec: ClassVar[AdapterSpec]
    #: short, user-visible name: the CLI word, the entry-point name and the option-table name
    #: (the spec's)
    name = _FromSpec[str]("name")
    #: the cluster product(s) served, for ``jccluster adapters`` (the spec's)
    product = _FromSpec[str]("product")
    #: relative paths of the rendered artifacts (``{site}`` stands for the site's short name).
    artifacts: ClassVar[Sequence[str]] = ()
    #: the adapter's cluster-wide option table ``[name]``.
    options_schema: ClassVar[Mapping[str, Option]] = {}
    #: the adapter's per-site option table ``[site.name]``.
    site_options_schema: ClassVar[Mapping[str, Option]] = {}
    #: the supervisors this product's nodes can use (``cluster.supervisor``); a file that leaves
    #: the supervisor to its default gets the first of these when the default is not one of them
    supervisors: ClassVar[tuple[str, ...]] = ("jccluster", "cjcpw")
    #: why the others cannot be used, for the one-line refusal
    supervisor_reason: ClassVar[str] = ""
    #: ``module:ATTR`` of this product's check rules (a list of `Rule`), see `rules`
    rules_from: ClassVar[str | None] = None

    def __init__(
        self, cluster: Cluster, *, template_dirs: Sequence[str] = (), site: str | None = None
    ) -> None:
        if cluster.supervisor not in self.supervisors:
            if cluster.supervisor_explicit:
                raise ConfigError(
                    f'"{cluster.supervisor}" cannot be used with {self.name}'
                    + (f": {self.supervisor_reason}" if self.supervisor_reason else "")
                    + f'; set supervisor = "{self.supervisors[0]}"',
                    source=cluster.source, field="cluster.supervisor",
                )
            cluster = cluster.with_supervisor(self.supervisors[0])
        self.cluster = cluster
        self.template_dirs = tuple(template_dirs)
        self.sites = cluster.select_sites(site)
        self.options, self.site_options = self.option_tables(cluster)
        self.validate()

    @classmethod
    def option_tables(cls, cluster: Cluster
                      ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """``[NAME]`` and every site's ``[site.NAME]``, validated with defaults filled in:
        ``(options, {site name: site options})``. Every mistake of every table is raised at
        once (`ConfigErrors`). ``jccluster validate`` calls it on a cluster file with core
        mistakes too, so one run reports the tables' mistakes with the core ones."""
        c = Checker(cluster.source)
        options: dict[str, Any] = {}
        with c.guard():
            options = parse_options(
                cluster.adapter_options.get(cls.name),
                cls.options_schema,
                where=cls.name,
                source=cluster.source,
                cluster=cluster,
                elsewhere={k: f"[site.{cls.name}], right after its [[site]]"
                           for k in cls.site_options_schema if k not in cls.options_schema},
            )
        site_options: dict[str, dict[str, Any]] = {}
        for s in cluster.sites:
            with c.guard():
                site_options[s.name] = parse_options(
                    s.adapter_options.get(cls.name),
                    cls.site_options_schema,
                    where=f"{s.where}.{cls.name}",
                    source=cluster.source,
                    cluster=cluster,
                    site=s,
                    elsewhere={k: f"[{cls.name}]" for k in cls.options_schema
                               if k not in cls.site_options_schema},
                )
        c.done()
        return options, site_options

    # ---- what subclasses implement

    def validate(self) -> None:  # noqa: B027 - optional hook
        """Raise `ConfigError` for anything this product cannot represent (before rendering)."""

    @abc.abstractmethod
    def render(self) -> list[Artifact]:
        """Return every artifact for the selected sites, fully rendered, in memory."""

    @classmethod
    def rules(cls) -> Sequence[Rule]:
        """This product's `jccluster check` rules (the core ones are added by the framework):
        the list `rules_from` names, imported now (a rules module imports its adapter's module
        for names and constants, so the adapter cannot import it at its top).

        A rule's function gets a `jobcenter_cluster.checks.CheckContext`; its ``adapter`` and
        ``cluster`` are None when only a directory is checked, without a cluster file.
        """
        if cls.rules_from is None:
            return ()
        return resolve(cls.rules_from)  # type: ignore[return-value]

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        """Changes to the built-in example cluster (as TOML data) that this product needs to
        render it, e.g. a Windows product and drive path; tables merge key-wise, ``site`` and
        ``node`` lists element-wise (see `jobcenter_cluster.model.example_data`)."""
        return {}

    # ---- shared behaviour

    def site_opts(self, site: Site) -> dict[str, Any]:
        return self.site_options[site.name]

    def where_args(self) -> list[str]:
        """``--product`` and ``--root`` as every generated jccluster command line needs them
        (each only when it is not the default)."""
        c = self.cluster
        out = [] if c.product.name == DEFAULT_PRODUCT else ["--product", c.product.name]
        return out + (["--root", c.spool_root] if c.spool_root else [])

    def agent_argv(self, action: str, site: Site, *, database: bool = True) -> list[str]:
        """The command line by which the product calls ``jccluster agent`` for `site`."""
        argv = [self.cluster.jccluster, "agent", self.name, action, site.name]
        if database:
            argv.append(site.database)
        return argv + self.where_args()

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
        extra = self.where_args()
        return {
            "create": [c.jccluster, "site", "create", site.name, str(site.machine_id),
                       site.database, *extra],
            "try_start": [c.jccluster, "site", "start", "--no-watch", site.name, site.database,
                          *extra],
            "try_stop": [c.jccluster, "site", "stop", site.name, *extra],
        }

    def commands(self, site: Site, verbs: Mapping[str, str], *, database: Collection[str] = (),
                 stop_timeout: int | None = None) -> dict[str, list[str]]:
        """Each step's command line under the cluster's supervisor, for the templates.

        `verbs` maps a step to the agent verb that does it under ``supervisor = "jccluster"``;
        the verb gets the site's database when its operation starts or validates the site, or
        when the step is in `database`; `stop_timeout` adds ``--timeout`` to the ``stop`` step.
        Under ``supervisor = "cjcpw"`` the steps are JobCenter's own commands: ``keep_port``
        (``nqsportkpr SITE``), ``watch`` (``cjcpw SITE DB``, the foreground watcher), ``start``
        (``cjcpw -c SITE DB``, no watcher) and ``stop`` (``cjcpw -stop SITE``); any other step
        of `verbs` has no command there (an empty list).
        """
        if self.cluster.supervisor == "cjcpw":
            native = {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "watch": self.native_argv("cjcpw", site.name, site.database),
                "start": self.native_argv("cjcpw", "-c", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
            }
            return {**{step: [] for step in verbs}, **native}
        out = {}
        for step, verb in verbs.items():
            starts = self.spec.actions[verb].operation in _WITH_DATABASE
            out[step] = self.agent_argv(verb, site, database=starts or step in database)
        if stop_timeout is not None and "stop" in out:
            out["stop"] += ["--timeout", str(stop_timeout)]
        return out

    def require_posix(self, message: str) -> None:
        """Refuse a Windows product with ``cluster.product: MESSAGE``; ``{product}`` in
        `message` stands for the product's name, quoted (``"Pacemaker runs on Linux; {product}
        is a Windows product (use jobcenter-linux)"``)."""
        c = self.cluster
        if c.windows:
            raise ConfigError(message.format(product=repr(c.product.name)),
                              source=c.source, field="cluster.product")

    def require_plain_paths(self, why: str) -> None:
        """The paths the generated scripts put on command lines (`cluster.jccluster`, the install
        prefix, the spool root) must be absolute and need no quoting; under our engine a relative
        `cluster.jccluster` gets its own message. `why` says who runs the scripts (``"Pacemaker
        runs agents with a minimal PATH"``)."""
        c = self.cluster
        if c.supervisor == "jccluster" and not c.jccluster.startswith("/"):
            raise ConfigError(f"{c.jccluster!r} must be an "
                              f"absolute path ({why}), e.g. /usr/local/bin/jccluster",
                              source=c.source, field="cluster.jccluster")
        for where, value in (("cluster.jccluster", c.jccluster),
                             ("cluster.install_prefix", c.install_prefix),
                             ("cluster.spool_root", c.spool_root)):
            if value and check_plain_path(value):
                raise ConfigError(f"{value!r} cannot stand in the "
                                  "generated scripts' command lines (an absolute path of "
                                  "letters, digits and _ @ % + = : , . / -)", source=c.source, field=where)

    def require_storage_opt_out(self, opts: Mapping[str, Any], where: str, keys: Sequence[str],
                                reason_hint: str, *, missing: tuple[str, str] | None = None
                                ) -> None:
        """The site table's ``storage = "none"``: an explicit opt-out from the shared disk, with
        a reason. `keys` are the options that put the disk in the cluster's hands (``("fs_name",
        "vg")``): "none" contradicts them, and needs ``storage_reason`` (`reason_hint` says what
        to write, in its message); ``storage_reason`` goes only with "none". `missing`, ``(key,
        message)``: without `keys` or the opt-out the site is refused (``WHERE.KEY: MESSAGE``,
        code `REQUIRED`); without it the site renders (the adapter warns). `where` is the site
        table's path (``site[0].veritas``)."""
        src = self.cluster.source
        has = any(opts[k] for k in keys)
        if opts["storage"] == "none":
            if has:
                raise ConfigError(f"\"none\" contradicts {'/'.join(keys)} (remove one of them)",
                                  source=src, field=f"{where}.storage")
            if not opts["storage_reason"]:
                raise ConfigError(f"is required with storage = \"none\" ({reason_hint})",
                                  source=src, field=f"{where}.storage_reason", code=REQUIRED)
        elif missing is not None and not has:
            raise ConfigError(missing[1], source=src, field=f"{where}.{missing[0]}", code=REQUIRED)
        elif opts["storage_reason"]:
            raise ConfigError("only goes with storage = \"none\"",
                              source=src, field=f"{where}.storage_reason")

    # ---- the picture (``jccluster graph``)

    def renderer(self) -> Renderer:
        """The Jinja renderer of this adapter's templates (the user's directories first)."""
        return Renderer(self.name, self.template_dirs)

    def graph_resources(self, site: Site) -> GraphResources:
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


#: the engine operations whose agent verb is given the site's database
_WITH_DATABASE = ("watch", "start", "background", "validate")

#: how long JobCenter's own ``cjcpw -stop`` may take: "1-2 minutes" (manual §3.3.7).
CJCPW_STOP_SECONDS = 120


def stop_seconds(cluster: Cluster | str | None) -> int:
    """How long stopping a site may take on this cluster's supervisor, in whole seconds.

    JobCenter's ``cjcpw -stop``: `CJCPW_STOP_SECONDS`; our engine: its stop deadline (after it,
    whatever is left of the site is SIGKILLed). Every adapter renders its product's stop timeouts
    longer than this, and its `jccluster check` rules hold hand-edited files to it. `cluster` may
    be the supervisor's name alone (an importer has no cluster yet); without either (a directory
    checked on its own) the longer of the two is assumed.
    """
    supervisor = cluster if isinstance(cluster, str) or cluster is None else cluster.supervisor
    if supervisor is None or supervisor == "cjcpw":
        return CJCPW_STOP_SECONDS
    return math.ceil(DEFAULT_STOP_TIMEOUT)


def stop_budget(cluster: Cluster | str | None) -> int:
    """How long a product must allow one stop (or clean, halt) of a site, in seconds: the
    engine's stop deadline (after it the engine kills what is left), or under ``supervisor =
    "cjcpw"`` -- where no deadline bounds JobCenter's own stop of "1-2 minutes" (manual §3.3.7)
    -- twice its two minutes (issue 20: a stop timeout means fencing or a blocked failover).
    `cluster` may be the supervisor's name; None (a directory checked alone) is cjcpw's."""
    supervisor = cluster if isinstance(cluster, str) or cluster is None else cluster.supervisor
    stop = stop_seconds(supervisor)
    return 2 * stop if supervisor in (None, "cjcpw") else stop
