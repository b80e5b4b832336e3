"""Options and helpers shared by the CLI command modules."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer

from jobcenter_cluster.model import DEFAULT_CONFIG, Cluster, load_cluster

#: help layout: typer's panels, docstrings reflowed as paragraphs (markdown keeps "[cluster]"
#: literal where rich markup would eat it).
MARKUP: Literal["markdown"] = "markdown"
CONTEXT = {"help_option_names": ["-h", "--help"]}


def hide_flag_types() -> None:
    """No ``<bool>`` after a flag in help: a flag takes no value.

    typer ≥ 0.2x shows every option's type in the rich help panels, flags included; flags get
    none, as in click's plain help.
    """
    from typer import core

    opt = getattr(core, "TyperOption", None)
    show = getattr(opt, "display_type_rich", None)
    if opt is None or show is None or getattr(show, "_jcc", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else show(self, ctx)

    display_type_rich._jcc = True  # type: ignore[attr-defined]
    opt.display_type_rich = display_type_rich


def _usage_errors() -> tuple[type[Exception], ...]:
    """click's UsageError: typer ≥ 0.2x vendors click as ``typer._click``; older ones use it."""
    found: list[type[Exception]] = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = __import__(name, fromlist=["UsageError"])
        except ImportError:
            continue
        found.append(module.UsageError)
    return tuple(found)


USAGE_ERRORS = _usage_errors()


def usage_line(err: Any) -> str:
    """A click usage error as one line: ``COMMAND: what is wrong (see 'jccluster COMMAND --help')``,
    the style of the hand-parsed commands (`jobcenter_cluster.argv`)."""
    ctx = getattr(err, "ctx", None)
    path = ctx.command_path if ctx is not None else "jccluster"
    words = path.split(" ", 1)
    command = words[1] if len(words) > 1 else ""
    message = err.format_message()
    if message.startswith("No such option: "):
        option = message[len("No such option: "):].rstrip(".").split()[0]
        from jobcenter_cluster.argv import group_option_hint

        message = "unknown option " + option + group_option_hint(command, option)
    elif message.startswith("No such command "):
        message = "unknown command " + message[len("No such command "):].rstrip(".")
    else:
        message = message[:1].lower() + message[1:]
    message = message.rstrip(".")
    where = f"{command}: " if command else ""
    return f"{where}{message} (see 'jccluster {command + ' ' if command else ''}--help')"


@dataclass
class Application:
    """What every command of one ``jccluster`` run shares, passed down as click's context object
    (``ctx.obj``, as hatch passes its ``Application``): made by `jobcenter_cluster.cli.app.run`,
    filled in by the root callback from the global options. Errors are not reported here: a
    command raises `jobcenter_cluster.errors.UserError` and ``run`` reports it, the one path."""

    debug: bool = False

def discover_config(ctx: Any, param: Any, value: Any) -> Any:
    """``-c/--config``'s callback: the cluster file by the one discovery rule
    (`jobcenter_cluster.configfile.choose`). A value given with ``-c`` or ``$JCCLUSTER_CONFIG``
    is kept; otherwise the rule picks a trusted ``./jccluster.toml`` or the system file, and a
    command that finds none stops with one line saying what it looked for. The choice is kept
    in ``ctx.meta["jccluster.config"]`` (``doctor`` prints it). A command run with
    ``--example`` reads no file and looks for none."""
    from jobcenter_cluster import configfile

    source = ctx.get_parameter_source(param.name)
    given = getattr(source, "name", "") in ("COMMANDLINE", "ENVIRONMENT")
    if given:
        choice = configfile.choose(value) if getattr(source, "name", "") == "COMMANDLINE" \
            else configfile.choose(None, env={configfile.ENV: value})
    elif ctx.params.get("example") or ctx.resilient_parsing:
        return value
    else:
        choice = configfile.choose(None, env={})
    ctx.meta["jccluster.config"] = choice
    return configfile.require(choice)


ConfigOpt = Annotated[
    str,
    typer.Option("-c", "--config", help="The cluster file (default: ./jccluster.toml when it is "
                 "root's or yours and nobody else can write it, else "
                 "/etc/jccluster/jccluster.toml; docs/security.md).",
                 envvar="JCCLUSTER_CONFIG", callback=discover_config),
]
DEFAULT_CONFIG_PATH = DEFAULT_CONFIG
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TemplatesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--templates",
        help="A directory searched before the packaged templates (DIR/ADAPTER/NAME). "
        "Repeatable; also $JCCLUSTER_TEMPLATES.",
    ),
]


def load(config: str) -> Cluster:
    """Load the cluster file, rejecting tables that name no installed adapter."""
    from jobcenter_cluster.plugins import adapter_names

    return load_cluster(config, adapter_names=adapter_names())


def error_lines(err: BaseException) -> list[str]:
    """The one-line messages of a user error: one per mistake, with a count when several."""
    from jobcenter_cluster.errors import ConfigErrors

    if isinstance(err, ConfigErrors):
        where = f"{err.source}: " if err.source else ""
        count = [f"{where}{len(err.errors)} mistakes"] if len(err.errors) > 1 else []
        return [*err.lines(), *count]
    return [str(err)]


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else 100 (output to a pipe or file)."""
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns)


def table(rows: list[list[str]], header: list[str], width: int | None = None) -> str:
    """Columns separated by two spaces, fitted to `width` (default: the terminal's).

    When the natural widths do not fit, the first column keeps its width and the widest of the
    others are narrowed, their cells wrapped at spaces onto continuation lines."""
    import textwrap

    width = terminal_width() if width is None else width
    cells = [[str(c) for c in r] for r in [header, *rows]]
    n = len(header)
    widths = [max(len(r[i]) for r in cells) for i in range(n)]
    # a column is never narrower than its longest word: words are not broken
    least = [widths[0]] + [max(len(w) for r in cells for w in r[i].split() or [""])
                           for i in range(1, n)]
    room = width - 2 * (n - 1)
    for floor in (least, [widths[0]] + [8] * (n - 1)):  # words are broken only as a last resort
        while sum(widths) > room:
            i = max(range(n), key=lambda k: widths[k] - floor[k])
            if widths[i] <= floor[i]:
                break
            widths[i] -= 1
    lines = []
    for r in cells:
        wrapped = [textwrap.wrap(c, widths[i], break_on_hyphens=False) or [""]
                   if len(c) > widths[i] else [c] for i, c in enumerate(r)]
        for k in range(max(len(w) for w in wrapped)):
            parts = [(w[k] if k < len(w) else "").ljust(widths[i])
                     for i, w in enumerate(wrapped)]
            lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"
