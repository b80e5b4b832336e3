"""``jccluster agent ADAPTER ACTION SITE [DATABASE] [--config FILE] [--root DIR]``.

The entry point a cluster product calls. It asks the engine, then exits with the product's code
for the outcome (`AdapterSpec.exit_code`). Standard library only: cluster products run monitor and
probe actions every few seconds, so this path imports neither typer, Jinja nor stevedore, nor the
adapter's class: only its spec (`jobcenter_cluster.entrypoints.load_spec`).

SITE and DATABASE may also come from the product's environment through the adapter's
spec's `agent_environment` (e.g. Pacemaker's ``OCF_RESKEY_site``); DATABASE may come from the
cluster file (``--config``) when omitted.
"""

from __future__ import annotations

import os
import sys

from jobcenter_cluster.argv import split
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

TYPE_CHECKING = False  # not typing's: see jobcenter_cluster.spec
if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobcenter_cluster.spec import AdapterSpec

#: exit code when the adapter itself cannot be loaded (no product table to consult).
EXIT_NO_ADAPTER = 2


USAGE = ("usage: jccluster agent ADAPTER ACTION SITE [DATABASE] [-c|--config FILE] [--root DIR] "
         "[--product NAME] [--timeout SECONDS] [--quiet]")
_VALUED = {"-c": "config", "--config": "config", "--root": "root", "--product": "product",
           "--timeout": "timeout"}


class Args:
    """The parsed command line (attributes as argparse would name them)."""

    def __init__(self) -> None:
        self.adapter = self.action = ""
        self.site: str | None = None
        self.database: str | None = None
        self.config: str | None = None
        self.root: str | None = None
        self.product: str | None = None
        self.timeout: float | None = None
        #: a --timeout that is not a number: reported once the action is known (a stop that
        #: cannot run is a failed stop, not a usage error the product may read as success)
        self.timeout_error: str | None = None
        self.quiet = False
        self.help = False


def parse(argv: Sequence[str]) -> Args:
    """Parse by hand (`jobcenter_cluster.argv`): argparse costs the monitor path milliseconds."""
    args = Args()
    opts, words = split(argv, valued=_VALUED,
                        flags={"--quiet": "quiet", "-h": "help", "--help": "help"},
                        command="agent", usage=USAGE)
    for key, value in opts.items():
        if key == "timeout":
            try:
                args.timeout = float(str(value))
            except ValueError:
                args.timeout_error = f"agent: --timeout: {value!r} is not a number of seconds"
        else:
            setattr(args, key, value)
    if args.help:
        args.adapter = words[0] if words else ""
        return args
    if len(words) < 2:
        raise UserError(f"agent: ADAPTER and ACTION are required ({USAGE})")
    if len(words) > 4:
        raise UserError(f"agent: unexpected argument {words[4]!r} ({USAGE})")
    args.adapter, args.action = words[0], words[1]
    args.site = words[2] if len(words) > 2 else None
    args.database = words[3] if len(words) > 3 else None
    return args


HELP = """\
Usage: jccluster agent ADAPTER ACTION SITE [DATABASE] [OPTIONS]

  The entry point a cluster product calls. Asks the engine, then exits with the
  product's own code for the outcome (see 'jccluster adapters ADAPTER').

  SITE and DATABASE may also come from the product's environment (e.g.
  Pacemaker's OCF_RESKEY_site); DATABASE may come from the cluster file.

Options:
  -c, --config FILE    The cluster file naming the site (for DATABASE, product).
  --root DIR           Spool root (default: $JCCLUSTER_ROOT, else the product's).
  --product NAME       Product profile (default: the cluster file's, else
                       jobcenter-linux).
  --timeout SECONDS    Start or stop deadline.
  --quiet              Say nothing when all is well.
  -h, --help           Show this message (with ADAPTER: its actions) and exit.
"""


def _help(adapter: AdapterSpec | None) -> int:
    out = [HELP]
    if adapter is not None:
        out.append(f"\nActions of {adapter.name} ({adapter.product}):\n")
        width = max((len(a) for a in adapter.actions), default=0)
        for verb, action in adapter.actions.items():
            out.append(f"  {verb.ljust(width)}  {action.help or action.operation}\n")
    else:
        out.append("\nActions: see 'jccluster agent ADAPTER --help'.\n")
    sys.stdout.write("".join(out))
    return 0


def main(argv: Sequence[str], *, debug: bool = False) -> int:
    """Run one agent call; return the product's exit code (never raise)."""
    try:
        args = parse(argv)
    except UserError as err:
        print(f"jccluster: {err}", file=sys.stderr)
        return EXIT_NO_ADAPTER
    if args.help and not args.adapter:
        return _help(None)
    from jobcenter_cluster.entrypoints import load_spec

    try:
        adapter = load_spec(args.adapter)
    except UserError as err:
        print(f"jccluster: {err}", file=sys.stderr)
        return EXIT_NO_ADAPTER
    if args.help:
        return _help(adapter)

    action = adapter.actions.get(args.action)
    if action is None:
        verbs = ", ".join(adapter.actions) or "none"
        print(
            f"jccluster: agent {adapter.name}: unknown action {args.action!r} (use one of: {verbs})",
            file=sys.stderr,
        )
        return adapter.exit_code(args.action, Outcome.UNSUPPORTED)

    operation = action.operation
    if operation == "meta-data":
        sys.stdout.write(adapter.meta_data())
        return adapter.exit_code(args.action, Outcome.SUCCESS)
    if operation == "unsupported":
        return adapter.exit_code(args.action, Outcome.UNSUPPORTED)

    details: dict[str, object] | None = None
    try:
        if args.timeout_error:
            raise UserError(args.timeout_error)
        outcome, message, details = _run(adapter, args, operation)
    except UserError as err:
        # A stop that could not run is a failed stop, never a user error: a product that maps
        # INVALID to success (Pacemaker's stop) would believe a live site stopped (issue 20).
        if operation == "stop":
            outcome, message = Outcome.FAILED, f"not stopped: {err}; the site may still run here"
        else:
            outcome, message = Outcome.INVALID, str(err)
    except Exception:  # noqa: BLE001 - the cluster must get an exit code, never a traceback
        if debug:
            import traceback

            traceback.print_exc()
        exc = sys.exc_info()[1]
        message = f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)"
        print(f"jccluster: agent {adapter.name} {args.action}: {message}", file=sys.stderr)
        return adapter.default_exit_code
    code = adapter.status_exit_code(args.action, outcome, details)
    # Monitors run every few seconds, also on standby nodes: say nothing while all is as expected
    # (healthy, or simply not running here), so the cluster's logs keep only what matters.
    quiet_ok = (outcome in (Outcome.SUCCESS, Outcome.RUNNING) and (args.quiet or operation == "status")
                or operation == "status" and outcome is Outcome.STOPPED)
    if message and not quiet_ok:
        site = args.site if not args.site or args.site.isprintable() else repr(args.site)  # one line
        what = " ".join(w for w in (adapter.name, args.action, site) if w)
        print(f"jccluster: {what}: {outcome}: {message}", file=sys.stderr)
    return code


def _run(adapter: AdapterSpec, args: Args, operation: str
         ) -> tuple[Outcome, str, dict[str, object]]:
    env = adapter.agent_environment(os.environ)
    site = args.site or env.get("site")
    database = args.database or env.get("database")
    root = args.root or env.get("root")
    product = args.product or env.get("product")
    config = args.config or env.get("config")
    timeout = args.timeout if args.timeout is not None else env.get("timeout")
    if timeout is not None:
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            raise UserError(f"agent {adapter.name} {args.action}: timeout {timeout!r} is not a "
                            "number of seconds") from None

    if not site:
        raise UserError(f"agent {adapter.name} {args.action}: SITE is required")
    if config and (database is None or product is None):
        from jobcenter_cluster.model import load_cluster

        cluster = load_cluster(config)
        found = cluster.site(site)
        database = database or found.database
        product = product or cluster.product.name

    from jobcenter_cluster.engine import api

    res: api.Result
    if operation in ("watch", "start", "background"):
        if not database:
            raise UserError(
                f"agent {adapter.name} {args.action}: DATABASE is required "
                "(give it after SITE, or --config FILE naming the site)"
            )
        mode = {"watch": "watch", "start": "no-watch", "background": "background"}[operation]
        hook = _on_failure(mode)
        if timeout is not None:
            res = api.start(site, database, root=root, product=product, mode=mode,
                            timeout=float(timeout), on_failure=hook)
        else:
            res = api.start(site, database, root=root, product=product, mode=mode,
                            on_failure=hook)
    elif operation == "stop":
        res = api.stop(site, root=root, product=product,
                       timeout=float(timeout) if timeout is not None else None)
    elif operation == "status":
        res = api.status(site, root=root, product=product, database=database)
    elif operation == "validate":
        res = api.validate(site, database, root=root, product=product)
    elif operation == "keep-port":
        res = api.keep_port(site, root=root, product=product)
    else:  # pragma: no cover - OPERATIONS is closed
        raise UserError(f"agent: unknown engine operation {operation!r}")
    return res.outcome, res.message, getattr(res, "details", None) or {}


#: the watcher's failure hook for ``agent ADAPTER start|watch``: a command line, shlex-split
ENV_ON_FAILURE = "JCCLUSTER_ON_FAILURE"


def _on_failure(mode: str) -> list[str] | None:
    """``$JCCLUSTER_ON_FAILURE`` split like a shell line (never run by a shell); None when
    unset or when nothing watches (``start`` without a watcher)."""
    value = os.environ.get(ENV_ON_FAILURE, "")
    if not value.strip() or mode == "no-watch":
        return None
    import shlex

    try:
        return shlex.split(value)
    except ValueError as err:
        raise UserError(f"${ENV_ON_FAILURE}: cannot split {value!r}: {err}") from None
