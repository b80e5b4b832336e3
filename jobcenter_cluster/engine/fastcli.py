"""``jccluster site status SITE [--json] [--root DIR] [--product NAME] [--database DBPATH]``.

The hot path: cluster monitors run it every few seconds, so `jobcenter_cluster.__main__`
dispatches here before typer is imported. Standard library only (json; the command line is
parsed by hand). The typer ``site status`` command prints through `render_status`, so both
paths print the same.

Exit status: 0 running (or maintenance), 3 stopped, 1 failed, 5 unrecoverable, 2 usage/user error
(`api.EXIT_CODES`), 4 a site this node has never seen.
"""

from __future__ import annotations

import json
import sys

from jobcenter_cluster.argv import split
from jobcenter_cluster.errors import UserError

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


USAGE = "usage: jccluster site status [--json] [--root DIR] [--product NAME] [--database DB] SITE"
_VALUED = ("--root", "--product", "--database")


def parse(argv: Sequence[str]) -> dict[str, Any]:
    """The command line, parsed by hand (`jobcenter_cluster.argv`): argparse (with gettext,
    locale and shutil) would cost the hot path several milliseconds."""
    opts: dict[str, Any] = {"json": False, "root": None, "product": None, "database": None}
    given, sites = split(argv, valued={name: name[2:] for name in _VALUED},
                         flags={"--json": "json"}, command="site status", usage=USAGE)
    opts.update(given)
    if len(sites) != 1:
        what = "SITE is required" if not sites else f"one SITE only, got {' '.join(sites)}"
        raise UserError(f"site status: {what} ({USAGE})")
    opts["site"] = sites[0]
    return opts


#: ``state`` of a site this node has never seen, in ``site status``'s text and JSON (its
#: ``outcome`` stays ``stopped``: what a cluster acts on; the exit code is `EXIT_UNKNOWN`)
UNKNOWN_STATE = "unknown"


def render_status(st: object, as_json: bool, near: Sequence[str] = ()) -> str:
    """The text (or JSON) ``site status`` prints for a `SiteStatus`. A site this node has never
    seen is ``unknown``, not ``stopped``: a mistyped name must not read like a stopped site;
    ``near``: known site names like it (``did_you_mean`` in the JSON)."""
    from jobcenter_cluster.engine.api import SiteStatus

    assert isinstance(st, SiteStatus)
    known = _known(st)
    if as_json:
        data = st.to_dict()
        if not known:
            data["state"] = UNKNOWN_STATE
            data["did_you_mean"] = list(near)
        return json.dumps(data, indent=2) + "\n"
    yes_no = {True: "yes", False: "no"}
    if not known:
        state = "unknown site (this node has never seen it)"
    else:
        # "running (running)" said nothing twice: the message only when it adds something
        state = st.outcome.value + (f" ({st.message})" if st.message and st.message not in (
            st.outcome.value, st.state) else "")
    lines = [
        f"site:        {st.site}",
        f"state:       {state}",
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
    if _known(st):
        sys.stdout.write(render_status(st, as_json))
        return api.exit_code(st.outcome)
    # LSB "unknown" (4), for this command only: agents keep their codes, since a probe on a
    # standby node must answer "not running".
    near = near_sites(st.site, root=root, product=product)
    sys.stdout.write(render_status(st, as_json, near))
    if not as_json:
        print(f"jccluster: site status: {st.site}: {unknown_hint(near)}", file=sys.stderr)
    return EXIT_UNKNOWN


def near_sites(site: str, *, root: str | None, product: str | None) -> list[str]:
    """Sites this node knows whose names are like `site` (a typo's likely meaning)."""
    import difflib

    from jobcenter_cluster.engine import api

    try:
        names = [s.site for s in api.list_sites(root=root, product=product)]
    except (UserError, OSError):
        return []
    near = difflib.get_close_matches(site, names, n=3, cutoff=0.6)
    if not near:  # the short name of a known site ("orange" for orange.example.com)
        near = [n for n in names if n.split(".", 1)[0] == site.split(".", 1)[0]][:3]
    return near


def unknown_hint(near: Sequence[str]) -> str:
    """The words for a site this node has never seen, with a "did you mean" when one is near."""
    if near:
        return ("this node has never seen this site; did you mean "
                + " or ".join(repr(n) for n in near) + "? (the sites here: 'jccluster site ls')")
    return "this node has never seen this site (check the name with 'jccluster site ls')"


#: ``site status`` of a name this node has never seen (LSB: "program or service status is
#: unknown").
EXIT_UNKNOWN = 4


def _known(st: Any) -> bool:
    known = getattr(st, "known", None)
    if isinstance(known, bool):
        return known
    return st.message != "not known on this node"  # engines before SiteStatus.known


def main(argv: Sequence[str], *, debug: bool = False) -> int:
    try:
        o = parse(argv)
        return run(o["site"], root=o["root"], product=o["product"], database=o["database"],
                   as_json=o["json"])
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
