"""``jccluster graph ADAPTER [-c FILE] [--site NAME] [--format dot|svg] [--example]``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from enum import StrEnum
from typing import Annotated

import typer

from jobcenter_cluster.cli.common import DEFAULT_CONFIG_PATH, ConfigOpt, load
from jobcenter_cluster.cli.complete import adapter_names
from jobcenter_cluster.errors import UserError


class Format(StrEnum):
    dot = "dot"
    svg = "svg"


def graph(
    adapter: Annotated[str, typer.Argument(
        metavar="ADAPTER", help="The adapter (see 'jccluster adapters').",
        autocompletion=adapter_names)],
    config: ConfigOpt = DEFAULT_CONFIG_PATH,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    fmt: Annotated[Format, typer.Option(
        "--format", help="dot: Graphviz source; svg: drawn by Graphviz's dot (installed).")
    ] = Format.dot,
    example: Annotated[
        bool, typer.Option("--example", help="Use the built-in example cluster (the manual's).")
    ] = False,
) -> None:
    """Draw each site's resources and their dependencies as the product orders them.

    The floating address, the shared disk or volume group, JobCenter, and the links between
    them; an arrow A -> B means B starts after A and stops before it. Prints Graphviz DOT, or
    SVG with --format svg (needs Graphviz's dot: apt-get install graphviz).
    """
    from jobcenter_cluster.model import example_cluster
    from jobcenter_cluster.plugins import load_adapter

    cls = load_adapter(adapter)
    cluster = example_cluster(cls.example_overrides()) if example else load(config)
    source = cls(cluster, site=site).graph()
    if fmt is Format.dot:
        sys.stdout.write(source)
        return
    dot = shutil.which("dot")
    if dot is None:
        raise UserError("graph --format svg: Graphviz's dot is not installed (apt-get install "
                        "graphviz), or use --format dot and draw it elsewhere")
    res = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, text=True,
                         timeout=60, check=False)
    if res.returncode != 0:
        raise UserError(f"graph: dot -Tsvg failed: {res.stderr.strip() or res.returncode}")
    sys.stdout.write(res.stdout)
