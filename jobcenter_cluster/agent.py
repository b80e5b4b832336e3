"""``jccluster agent ADAPTER ACTION SITE [DATABASE] [--config FILE] [--root DIR]``.

The entry point a cluster product calls. It asks the engine, then exits with the product's code
for the outcome (`Adapter.exit_code`). Standard library only: cluster products run monitor and
probe actions every few seconds, so this path imports neither typer, Jinja nor stevedore (the
adapter is resolved by entry-point name with `importlib.metadata`).

SITE and DATABASE may also come from the product's environment through the adapter's
`agent_environment` hook (e.g. Pacemaker's ``OCF_RESKEY_site``); DATABASE may come from the
cluster file (``--config``) when omitted.
"""

from __future__ import annotations

import argparse
import os
import sys

from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

TYPE_CHECKING = False  # not typing's: see jobcenter_cluster.adapter
if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobcenter_cluster.adapter import Adapter

#: exit code when the adapter itself cannot be loaded (no product table to consult).
EXIT_NO_ADAPTER = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"agent: {message}")


def _parser() -> _Parser:
    p = _Parser(
        prog="jccluster agent",
        description="Run one cluster-product action against a site; exit with the product's code.",
        add_help=True,
    )
    p.add_argument("adapter")
    p.add_argument("action")
    p.add_argument("site", nargs="?")
    p.add_argument("database", nargs="?")
    p.add_argument("-c", "--config", help="cluster file to take DATABASE and product from")
    p.add_argument("--root", help="spool root (default: $JCCLUSTER_ROOT, else the product's)")
    p.add_argument("--product", help="product profile (default: the cluster file's, or the site's)")
    p.add_argument("--timeout", type=float, help="start/stop deadline in seconds")
    p.add_argument("--quiet", action="store_true", help="say nothing on success")
    return p


def main(argv: Sequence[str], *, debug: bool = False) -> int:
    """Run one agent call; return the product's exit code (never raise)."""
    try:
        args = _parser().parse_args(list(argv))
    except UserError as err:
        print(f"jccluster: {err}", file=sys.stderr)
        return EXIT_NO_ADAPTER
    from jobcenter_cluster.entrypoints import load_adapter_fast

    try:
        adapter = load_adapter_fast(args.adapter)
    except UserError as err:
        print(f"jccluster: {err}", file=sys.stderr)
        return EXIT_NO_ADAPTER

    spec = adapter.agent_actions.get(args.action)
    if spec is None:
        verbs = ", ".join(adapter.agent_actions) or "none"
        print(
            f"jccluster: agent {adapter.name}: unknown action {args.action!r} (use one of: {verbs})",
            file=sys.stderr,
        )
        return adapter.exit_code(args.action, Outcome.UNSUPPORTED)

    operation = spec.operation
    if operation == "meta-data":
        sys.stdout.write(adapter.meta_data())
        return adapter.exit_code(args.action, Outcome.SUCCESS)
    if operation == "unsupported":
        return adapter.exit_code(args.action, Outcome.UNSUPPORTED)

    try:
        outcome, message = _run(adapter, args, operation)
    except UserError as err:
        outcome, message = Outcome.INVALID, str(err)
    except Exception:  # noqa: BLE001 - the cluster must get an exit code, never a traceback
        if debug:
            import traceback

            traceback.print_exc()
        exc = sys.exc_info()[1]
        message = f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)"
        print(f"jccluster: agent {adapter.name} {args.action}: {message}", file=sys.stderr)
        return adapter.default_exit_code
    code = adapter.exit_code(args.action, outcome)
    # Monitors run every few seconds, also on standby nodes: say nothing while all is as expected
    # (healthy, or simply not running here), so the cluster's logs keep only what matters.
    quiet_ok = (outcome in (Outcome.SUCCESS, Outcome.RUNNING) and (args.quiet or operation == "status")
                or operation == "status" and outcome is Outcome.STOPPED)
    if message and not quiet_ok:
        print(f"jccluster: {adapter.name} {args.action} {args.site or ''}: {outcome}: {message}"
              .replace("  ", " "), file=sys.stderr)
    return code


def _run(adapter: type[Adapter], args: argparse.Namespace, operation: str) -> tuple[Outcome, str]:
    env = adapter.agent_environment(os.environ)
    site = args.site or env.get("site")
    database = args.database or env.get("database")
    root = args.root or env.get("root")
    product = args.product or env.get("product")
    config = args.config or env.get("config")
    timeout = args.timeout if args.timeout is not None else env.get("timeout")

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
        if timeout is not None:
            res = api.start(site, database, root=root, product=product, mode=mode,
                            timeout=float(timeout))
        else:
            res = api.start(site, database, root=root, product=product, mode=mode)
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
    return res.outcome, res.message
