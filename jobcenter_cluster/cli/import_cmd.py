"""``jccluster import ADAPTER PATH... [-o FILE] [--force]``."""

from __future__ import annotations

from typing import Annotated

import typer

from jobcenter_cluster.model import DEFAULT_CONFIG


def import_(
    adapter: Annotated[str, typer.Argument(help="The adapter whose artifacts these are.")],
    paths: Annotated[list[str], typer.Argument(help="Files or directories of the artifacts.")],
    output: Annotated[
        str, typer.Option("-o", "--output", help="The cluster file to write.")
    ] = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    merge: Annotated[bool, typer.Option("--merge", help="Read files of several clusters "
                                        "into one cluster file.")] = False,
) -> None:
    """Read a cluster product's existing artifacts (hand-written the manual's way, or rendered)
    and write a cluster file. Everything not carried over is listed on stderr as
    'FILE:LINE: not carried over: ...'; values the artifacts cannot hold (machine IDs) are left
    as commented MISSING lines: fill them in, then run 'jccluster validate'."""
    from jobcenter_cluster.importing import run_import, write_new

    result = run_import(adapter, paths, merge=merge)
    write_new(output, result.text, force=force)
    for line in result.report:
        typer.echo(line, err=True)
    missing = len(result.missing)
    sites = len(result.data.get("site", []))
    typer.echo(
        f"wrote {output}: {sites} site(s); {missing} value(s) to fill in (lines marked MISSING), "
        f"{len(result.report)} line(s) not carried over; then run 'jccluster validate -c {output}'",
        err=True,
    )
