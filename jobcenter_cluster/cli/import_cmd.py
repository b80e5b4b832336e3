"""``jccluster import ADAPTER PATH... [-o FILE] [--force]``."""

from __future__ import annotations

from typing import Annotated

import typer

from jobcenter_cluster.cli.complete import adapter_names
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.model import DEFAULT_CONFIG


def import_(
    adapter: Annotated[str, typer.Argument(
        metavar="ADAPTER", help="The adapter whose artifacts these are.",
        autocompletion=adapter_names)],
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Files or directories of the artifacts.")],
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
    sites = len(result.data.get("site", []))
    if sites == 0:
        # a cluster file without a site is no migration: say what was read, what to give
        # instead, and write nothing (nothing to --force away next time)
        for line in result.report:
            typer.echo(line, err=True)
        raise UserError(f"import {adapter}: no JobCenter site found in {', '.join(paths)}; "
                        f"nothing written. Give {_reads(adapter)}", exit_code=1)
    write_new(output, result.text, force=force)
    for line in result.report:
        typer.echo(line, err=True)
    missing = len(result.missing)
    typer.echo(
        f"wrote {output}: {sites} site(s); {missing} value(s) to fill in (lines marked MISSING), "
        f"{len(result.report)} line(s) not carried over; then run 'jccluster validate -c {output}'",
        err=True,
    )


def _reads(adapter: str) -> str:
    """What the importer of `adapter` reads, in its own words (``READS``), else its docstring's
    first sentence."""
    from jobcenter_cluster.importing import importer_module

    module = importer_module(adapter)
    reads = getattr(module, "READS", None)
    if isinstance(reads, str) and reads:
        return reads + "."
    doc = " ".join((module.__doc__ or "").split())
    first = doc.split(". ", 1)[0].rstrip(".")
    return f"the files it reads ({first}); see docs/migrating.md." if first else \
        "the files that define the site's resource; see docs/migrating.md."
