"""The ``jccluster`` typer application: thin commands over the library.

Data goes to stdout, diagnostics to stderr. A `UserError` becomes one line on stderr and a non-zero
exit; tracebacks appear only with ``--debug``. (``agent`` and ``site status`` are dispatched before
this module is imported; see `jobcenter_cluster.__main__`.)
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer
from typer.exceptions import TyperException

from jobcenter_cluster import __version__
from jobcenter_cluster.cli import (
    check_cmd,
    common,
    demo,
    doctor,
    graph_cmd,
    import_cmd,
    lab_cmd,
    render_cmds,
    simulator_cmd,
    site,
    words,
)
from jobcenter_cluster.errors import UserError

app = typer.Typer(
    name="jccluster",
    help="Make a JobCenter job server highly available on any HA cluster product.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode=common.MARKUP,
    context_settings=common.CONTEXT,
)
common.hide_flag_types()
words.patch_help()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jccluster {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True, callback=_version,
    )] = False,
) -> None:
    application: common.Application = ctx.ensure_object(common.Application)
    application.debug = debug


app.command("init")(render_cmds.init)
app.command("validate")(render_cmds.validate)
app.command("render")(render_cmds.render)
app.command("adapters")(render_cmds.adapters)
app.command("check")(check_cmd.check)
app.command("doctor")(doctor.doctor)
app.command("import")(import_cmd.import_)
app.command("graph")(graph_cmd.graph)


@app.command(
    "agent",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def agent(ctx: typer.Context) -> None:
    """The entry point a cluster calls; exits with the product's own code.

    jccluster agent ADAPTER ACTION SITE [DATABASE] [-c FILE] [--root DIR]. See 'jccluster agent
    --help' and 'jccluster agent ADAPTER --help' for the actions.
    """
    from jobcenter_cluster import agent as agent_mod

    application: common.Application = ctx.ensure_object(common.Application)
    raise typer.Exit(agent_mod.main(ctx.args, debug=application.debug))


app.add_typer(site.app, name="site")
app.command("demo")(demo.demo)
app.add_typer(simulator_cmd.app, name="simulator")
app.add_typer(lab_cmd.app, name="lab")


def debug_first(args: list[str]) -> list[str]:
    """``--debug`` anywhere before ``--`` (``jccluster site ls --debug``, as kubectl's and gh's
    global flags go anywhere) moves to the front, where the root takes it. ``agent`` keeps its
    arguments as they are: its command line is the cluster's, parsed by hand."""
    head = args[: args.index("--")] if "--" in args else args
    if "--debug" not in head or (args and args[0] == "agent") or "agent" in head[:1]:
        return args
    at = head.index("--debug")
    first_word = next((i for i, a in enumerate(head) if not a.startswith("-")), len(head))
    if at < first_word:
        return args  # already before the command
    if "agent" in head[:at]:
        return args
    return ["--debug", *args[:at], *args[at + 1:]]


def run(args: list[str]) -> int:
    """Run the CLI; return the exit code. All error reporting lives here: commands raise
    `UserError` (one line each, with its exit code) and never print their own errors."""
    args = debug_first(args)
    application = common.Application(debug="--debug" in args)  # --debug before a parse error too
    try:
        result = app(args=args, prog_name="jccluster", standalone_mode=False, obj=application)
    except UserError as err:
        if application.debug:
            traceback.print_exc()
        for line in common.error_lines(err):
            print(f"jccluster: {line}", file=sys.stderr)
        return err.exit_code
    except typer.Exit as err:
        return err.exit_code
    except common.USAGE_ERRORS as err:  # one line, in the hand-parsed commands' style
        if type(err).__name__ == "NoArgsIsHelpError":
            # a group typed alone (`jccluster site`): its help is the answer, as gh and
            # kubectl give it; nothing went wrong, so no error line after it
            shown = str(getattr(err, "format_message", lambda: "")())
            if shown.strip():
                print(shown)
            return 0
        print(f"jccluster: {words.usage_words(common.usage_line(err), err)}", file=sys.stderr)
        return int(getattr(err, "exit_code", 2))
    except TyperException as err:
        print(f"jccluster: {err}", file=sys.stderr)
        return int(getattr(err, "exit_code", 2))
    except typer.Abort:
        print("jccluster: aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("jccluster: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141
    except Exception as err:  # noqa: BLE001 - the top level turns bugs into one line too
        if application.debug:
            traceback.print_exc()
        else:
            print(
                f"jccluster: internal error: {type(err).__name__}: {err} "
                "(run again with --debug for the traceback, and please report it)",
                file=sys.stderr,
            )
        return 70
    return result if isinstance(result, int) else 0
