"""The background watcher process (``site start --background``).

``python -m jobcenter_cluster.engine.background --report-fd FD --root ROOT SITE DBPATH`` forks
once more (so it is nobody's child and not a session leader), starts the site and watches it,
writing the bring-up result as JSON to ``FD``. ``--on-failure`` carries the caller's failure
hook (an argv, JSON-encoded) to the detached watcher.
"""

from __future__ import annotations

import json
import os
import sys
import time

from jobcenter_cluster.engine import lifecycle
from jobcenter_cluster.engine.base import Result, exit_code
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome


def _say(text: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} watcher {os.getpid()}: {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m jobcenter_cluster.engine.background")
    p.add_argument("site")
    p.add_argument("database")
    p.add_argument("--root", required=True)
    p.add_argument("--product")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--report-fd", type=int, required=True)
    p.add_argument("--on-failure", help="JSON list: the failure hook's argv")
    args = p.parse_args(argv)
    hook = json.loads(args.on_failure) if args.on_failure else None

    if os.fork():  # second fork: the watcher is nobody's child and not a session leader
        os._exit(0)
    os.chdir("/")
    os.umask(0o022)
    on_up = lifecycle.report_to(args.report_fd)
    _say(f"starting {args.site}")
    try:
        res = lifecycle.start(
            args.site, args.database, root=args.root, product=args.product, mode="watch",
            timeout=args.timeout, on_up=on_up, on_failure=hook,
        )
    except UserError as err:
        res = Result(Outcome.INVALID, str(err))
        on_up(res)
    except Exception as err:  # noqa: BLE001 - report, never leave the caller waiting
        res = Result(Outcome.FAILED, f"{type(err).__name__}: {err}")
        on_up(res)
    _say(f"{res.outcome}: {res.message}")
    sys.stdout.flush()
    return exit_code(res.outcome)


if __name__ == "__main__":
    raise SystemExit(main())
