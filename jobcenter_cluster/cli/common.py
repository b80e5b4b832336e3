"""Options and helpers shared by the CLI command modules."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from jobcenter_cluster.model import DEFAULT_CONFIG, Cluster, load_cluster


@dataclass
class _State:
    debug: bool = False


STATE = _State()

ConfigOpt = Annotated[
    str,
    typer.Option("-c", "--config", help="The cluster file.", envvar="JCCLUSTER_CONFIG"),
]
DEFAULT_CONFIG_PATH = DEFAULT_CONFIG
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TemplatesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--templates",
        help="A directory searched before the packaged templates (DIR/<adapter>/NAME). "
        "Repeatable; also $JCCLUSTER_TEMPLATES.",
    ),
]


def load(config: str) -> Cluster:
    """Load the cluster file, rejecting tables that name no installed adapter."""
    from jobcenter_cluster.plugins import adapter_names

    return load_cluster(config, adapter_names=adapter_names())


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines) + "\n"
