"""``jccluster site status SITE [--json] [--root DIR] [--product NAME] [--database DBPATH]``.

The hot path: cluster monitors run it every few seconds, so `jobcenter_cluster.__main__`
dispatches here before typer is imported. Standard library only (argparse, json). The typer
``site status`` command prints through `render_status`, so both paths print the same.

Exit status: 0 running (or maintenance), 3 stopped, 1 failed, 5 unrecoverable, 2 usage/user error
(`api.EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from jobcenter_cluster.errors import UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"site status: {message}")


def _parser() -> _Parser:
    p = _Parser(prog="jccluster site status", description="Show a site's state on this node.")
    p.add_argument("site")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--root", help="spool root (default: $JCCLUSTER_ROOT, else the product's)")
    p.add_argument("--product", help="product profile (default: the cluster file's)")
    p.add_argument("--database", help="database path, for a site not yet known on this node")
    return p


def render_status(st: object, as_json: bool) -> str:
    """The text (or JSON) ``site status`` prints for a `SiteStatus`."""
    from jobcenter_cluster.engine.api import SiteStatus

    assert isinstance(st, SiteStatus)
    if as_json:
        return json.dumps(st.to_dict(), indent=2) + "\n"
    yes_no = {True: "yes", False: "no"}
    lines = [
        f"site:        {st.site}",
        f"state:       {st.outcome.value}" + (f" ({st.message})" if st.message else ""),
        f"watcher:     {st.watcher_pid if st.watcher_pid else '-'}",
        f"database:    {st.database or '-'}",
        f"spool link:  {st.spool_link or '-'}",
        f"migrated:    {yes_no[bool(st.migrated)]}",
        f"maintenance: {yes_no[bool(st.maintenance)]}",
    ]
    if st.daemons:
        lines.append("daemons:")
        width = max(len(n) for n in st.daemons)
        for name, pid in st.daemons.items():
            lines.append(f"  {name.ljust(width)}  {pid if pid else 'DOWN'}")
    if st.missing:
        lines.append(f"missing:     {', '.join(st.missing)}")
    return "\n".join(lines) + "\n"


def run(site: str, *, root: str | None, product: str | None, database: str | None,
        as_json: bool) -> int:
    from jobcenter_cluster.engine import api

    st = api.status(site, root=root, product=product, database=database)
    sys.stdout.write(render_status(st, as_json))
    return api.exit_code(st.outcome)


def main(argv: Sequence[str], *, debug: bool = False) -> int:
    try:
        args = _parser().parse_args(list(argv))
        return run(args.site, root=args.root, product=args.product, database=args.database,
                   as_json=args.json)
    except UserError as err:
        if debug:
            raise
        print(f"jccluster: {err}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        if debug:
            raise
        print(f"jccluster: site status: {err}", file=sys.stderr)
        return 1
