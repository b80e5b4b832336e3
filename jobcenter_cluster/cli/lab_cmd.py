"""``jccluster lab up|down|status|drill``: a real multi-node Pacemaker cluster on this machine.

See `jobcenter_cluster.lab` and docs/lab.md. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from jobcenter_cluster.cli import common
from jobcenter_cluster.cli.progress import StepClock
from jobcenter_cluster.errors import UserError

app = typer.Typer(
    help="A real multi-node Pacemaker cluster in namespaces on this machine, and the failover "
         "drill run on it (root; see docs/lab.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=common.MARKUP,
    context_settings=common.CONTEXT,
)

DirOpt = Annotated[str, typer.Option(
    "--dir", help="The lab's directory (its nodes' private files, the shared disk, logs).",
    envvar="JCCLUSTER_LAB_DIR")]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _default_dir() -> str:
    from jobcenter_cluster.lab.layout import DEFAULT_DIR

    return DEFAULT_DIR


@app.command("up")
def up(
    nodes: Annotated[int | None, typer.Option(
        "--nodes", help="How many nodes (2 to 4; default 2, or the cluster file's).")] = None,
    directory: DirOpt = "",
    config: Annotated[str | None, typer.Option(
        "--config", "-c", help="Rehearse this cluster file (its names, machine IDs, databases "
        "and options; the lab gives every node and site an address in 192.0.2.0/24).")] = None,
    supervisor: Annotated[str | None, typer.Option(
        "--supervisor", help="jccluster or cjcpw (default: the cluster file's).")] = None,
    token: Annotated[int | None, typer.Option(
        "--token", min=200, help="corosync's token timeout in ms (default: corosync's, "
        "3000).")] = None,
) -> None:
    """Build the lab and start the site the way APPLY.txt tells an administrator to.

    Removes what an earlier lab in the same directory left first. Prints each node and where
    the site runs.
    """
    from jobcenter_cluster.lab import control

    if supervisor not in (None, "jccluster", "cjcpw"):
        raise UserError(f"--supervisor {supervisor!r}: use jccluster or cjcpw")
    with StepClock() as say:
        lab = control.up(directory or _default_dir(), nodes, config, supervisor, token, say=say)
    _print_status(lab)


@app.command("down")
def down(directory: DirOpt = "") -> None:
    """Remove the lab: processes, namespaces, mounts, interfaces, files (idempotent)."""
    from jobcenter_cluster.lab import control

    path = directory or _default_dir()
    with StepClock() as say:
        removed = control.down(path, say=say)
    _say(f"lab: {os.path.abspath(path)} removed" + (f" ({', '.join(removed)} powered off)"
                                                    if removed else ""))


@app.command("status")
def status(directory: DirOpt = "") -> None:
    """Each node (power, Pacemaker's view) and where the site's daemons run (the census)."""
    from jobcenter_cluster.lab import layout

    _print_status(layout.Lab.load(directory or _default_dir()))


def _print_status(lab: object) -> None:
    from jobcenter_cluster.lab import census, control, layout

    assert isinstance(lab, layout.Lab)
    state = control.crm_state(lab)
    rows = []
    for node in lab.nodes:
        on = bool(control.init_pid(lab, node))
        site_here = []
        for site in lab.sites:
            s = census.Census(lab, site).sample()
            daemons = s.running.get(node.name, frozenset())
            if daemons:
                site_here.append(f"{site.name} ({len(daemons)} daemons)")
        rows.append([node.short, node.address, "on" if on else "off",
                     ("online" if node.name in state.online else "offline") if on else "-",
                     "DC" if state.dc == node.name else "", ", ".join(site_here) or "-"])
    typer.echo(common.table(rows, ["NODE", "ADDRESS", "POWER", "PACEMAKER", "DC", "SITE"]))


@app.command("drill")
def drill(
    scenarios: Annotated[list[str] | None, typer.Argument(
        metavar="[SCENARIO...]", help="Which scenarios (default: all, in the manual's order): "
        "daemon-dies, node-crash, node-returns, planned-move, network-cut, stop-fails.")] = None,
    directory: DirOpt = "",
    svg: Annotated[str | None, typer.Option(
        "--svg", help="Also draw the drill as a timeline (one lane per node) into FILE.")] = None,
) -> None:
    """Run the manual's failover drill on the lab; print what happened and a verdict each.

    A census samples every node's processes every 20 ms throughout: a scenario fails when the
    site ever runs on two nodes at once, or runs nowhere once the recovery is done. Exits 1
    when a scenario fails.
    """
    from jobcenter_cluster.lab import drill as drill_mod
    from jobcenter_cluster.lab import layout

    lab = layout.Lab.load(directory or _default_dir())
    names = list(scenarios or [])
    unknown = [n for n in names if n not in drill_mod.SCENARIOS]
    if unknown:
        raise UserError(f"unknown scenario {unknown[0]!r} (use: {', '.join(drill_mod.SCENARIOS)})")
    with StepClock() as say:
        report = drill_mod.run(lab, names or list(drill_mod.SCENARIOS), say=say)
    typer.echo(common.table([r.row() for r in report.results],
                            ["SCENARIO", "WHAT HAPPENED", "RECOVERY", "VERDICT"]))
    typer.echo(f"census: {len(report.census.samples)} samples, largest gap "
               f"{report.census.max_gap * 1000:.0f} ms, "
               f"{len(report.census.split_brain())} with the site on two nodes")
    if svg:
        from jobcenter_cluster.lab import timeline

        with open(svg, "w", encoding="utf-8") as fh:
            fh.write(timeline.svg(report))
        _say(f"lab: timeline written to {svg}")
    if not report.passed:
        raise typer.Exit(1)
