"""``jccluster site ...``: the site lifecycle by hand (JobCenter's cjcmksite, cjcpw, cjcls,
nqspath, nqsportkpr). Thin commands over `jobcenter_cluster.engine.api`.

Exit status: 0 success/running, 1 failed, 2 user error, 3 stopped, 4 (site status) a site this
node has never seen, 5 unrecoverable,
6 not installed, 7 unsupported (`api.EXIT_CODES`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from jobcenter_cluster.cli.common import CONTEXT, MARKUP
from jobcenter_cluster.cli.complete import product_names, site_names
from jobcenter_cluster.cli.progress import ProgressLine, killed_processes
from jobcenter_cluster.engine import api
from jobcenter_cluster.errors import UserError

app = typer.Typer(
    help="Create, start, watch, stop and list JobCenter sites on this node.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=MARKUP,
    context_settings=CONTEXT,
)

RootOpt = Annotated[
    str | None,
    typer.Option("--root", help="Spool root (default: $JCCLUSTER_ROOT, else the product's, "
                 "/usr/spool/nqs).", envvar="JCCLUSTER_ROOT", show_envvar=True),
]
ProductOpt = Annotated[
    str | None,
    typer.Option("--product", autocompletion=product_names,
                 help="Product profile: jobcenter-linux, jobcenter-hpux, "
                 "jobcenter-solaris, jobcenter-aix, jobcenter-windows, simulator (default: the "
                 "cluster file's "
                 "[cluster] product, else jobcenter-linux; a site keeps the one it was created "
                 "with)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.callback()
def _site_options(
    config: Annotated[str | None, typer.Option(
        "-c", "--config", metavar="FILE",
        help="The cluster file the site commands read (its [cluster] product is the default "
        "--product): as `jccluster site -c FILE COMMAND ...`; also $JCCLUSTER_CONFIG. Default: "
        "a trusted ./jccluster.toml, else /etc/jccluster/jccluster.toml (docs/security.md).")
    ] = None,
) -> None:
    if config:  # the engine reads it where every engine command does (configfile.choose)
        os.environ["JCCLUSTER_CONFIG"] = config

def _finish(res: api.Result, *, as_json: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(res.to_dict(), indent=2))
    elif res.ok:
        typer.echo(res.message)
    else:
        typer.echo(f"jccluster: {res.outcome.value}: {res.message}", err=True)
    raise typer.Exit(api.exit_code(res.outcome))


@app.command("create")
def create(
    site: Annotated[str, typer.Argument(
        metavar="SITE", help="Official host name of the site's floating address.")],
    machine_id: Annotated[int, typer.Argument(metavar="MID", help="NQS machine ID, unique.")],
    database: Annotated[str, typer.Argument(metavar="DBPATH", help="Database directory on "
                                            "the shared disk.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a site database already "
                                        "in DBPATH.")] = False,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Create the site database on the shared disk (cjcmksite SITE MID DBPATH)."""
    with ProgressLine(site, phase="creating", what="cjcmksite", delay=1.0):
        res = api.create(site, machine_id, database, root=root, product=product, force=force)
    _finish(res)


@app.command("start")
def start(
    site: Annotated[str, typer.Argument(metavar="SITE", help="Site name.",
                                               autocompletion=site_names)],
    database: Annotated[str, typer.Argument(metavar="DBPATH", help="Site database directory.")],
    no_watch: Annotated[bool, typer.Option("--no-watch", help="Start and return "
                                           "(cjcpw -c); do not watch.")] = False,
    background: Annotated[bool, typer.Option("--background", help="Start a detached watcher "
                                             "and return once the site is up and watched.")
                          ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for every daemon "
                                           "to come up.")] = api.DEFAULT_START_TIMEOUT,
    on_failure: Annotated[str | None, typer.Option(
        "--on-failure", metavar="CMD", help="Command the watcher runs when it sees the site "
        "fail, before it exits (split like a shell line, run without a shell; "
        "$JCCLUSTER_SITE and $JCCLUSTER_FAILURE are set; at most 10 s).")] = None,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Start the site and watch it in the foreground (cjcpw [-c] SITE DBPATH).

    Exits non-zero naming the daemon as soon as a watched daemon is gone or a zombie; exits 0
    when `jccluster site stop` stops the site."""
    if no_watch and background:
        raise UserError("site start: --no-watch and --background exclude each other")
    mode = "no-watch" if no_watch else "background" if background else "watch"
    hook = split_hook(on_failure, "--on-failure")
    if hook and mode == "no-watch":
        raise UserError("site start: --on-failure needs a watcher (drop --no-watch)")
    if hook:
        from jobcenter_cluster.engine.lifecycle import require_absolute_hook

        require_absolute_hook(hook, "--on-failure")
    poll = _bring_up(site, root, product) if mode == "background" else None
    line = ProgressLine(site, phase="starting", what="the site", deadline=timeout, poll=poll)

    def on_up(res: api.Result) -> None:
        # Say it is up before blocking, so the operator (and the package log) see it.
        line.finish()
        if res.ok and mode == "watch":
            typer.echo(f"{res.message}; watching: this terminal stays with the watcher until "
                       f"the site stops or fails (from another terminal: jccluster site stop "
                       f"{site})")
            sys.stdout.flush()

    with line:
        res = api.start(site, _abspath(database), root=root, product=product, mode=mode,
                        timeout=timeout, on_up=on_up, progress=line, on_failure=hook)
    if mode == "watch":
        _exit_now(res)
    _finish(res)


def _bring_up(site: str, root: str | None, product: str | None
              ) -> Callable[[], tuple[str, str] | None]:
    """For ``--background``'s progress line: the detached watcher brings the site up in
    another process, so count the site's daemons up so far, as a stop would find them."""
    from jobcenter_cluster.engine import procs, profiles, store
    from jobcenter_cluster.engine import stop as engine_stop

    where = api.resolve_root(root, product)

    def poll() -> tuple[str, str] | None:
        run = store.read_run(where, site) or {}
        name = run.get("product") or product or api.default_product()
        prof = profiles.get(name if isinstance(name, str) else api.default_product())
        database = run.get("database") if isinstance(run.get("database"), str) else None
        pids = engine_stop.collect(site, run, database, api.node_name(), prof)
        up = len(prof.match(set(pids), procs.scan()))
        return ("starting", f"{up} of {len(prof.specs)} daemons up (background watcher)")

    return poll


def split_hook(value: str | None, what: str) -> list[str] | None:
    """A failure-hook command line, split like a shell line (no shell runs it)."""
    if value is None or not value.strip():
        return None
    import shlex

    try:
        argv = shlex.split(value)
    except ValueError as err:
        raise UserError(f"{what}: cannot split {value!r}: {err}") from None
    return argv


def _exit_now(res: api.Result) -> None:
    """The watcher's exit *is* the failure signal to the cluster: report, then leave at once.

    Everything the engine wrote is already on disk (atomic replaces), so skip the interpreter's
    tear-down of typer/click (tens of milliseconds). Not under CliRunner (tests).
    """
    if sys.stdout is not sys.__stdout__ or sys.stderr is not sys.__stderr__:
        return
    if res.ok:
        print(res.message, flush=True)
    else:
        print(f"jccluster: {res.outcome.value}: {res.message}", file=sys.stderr, flush=True)
    os._exit(api.exit_code(res.outcome))


def _abspath(path: str) -> str:
    return os.path.abspath(path)


@app.command("stop")
def stop(
    site: Annotated[str, typer.Argument(metavar="SITE", help="Site name.",
                                               autocompletion=site_names)],
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help=f"Deadline in seconds before what is left is SIGKILLed (default "
        f"{api.DEFAULT_STOP_TIMEOUT:g}).")] = None,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Stop the site and make sure nothing of it is left (cjcpw -stop SITE).

    On a terminal it shows what it waits for, the time used against the deadline and the
    processes left; at the end it names every process that needed SIGKILL.
    """
    limit = api.DEFAULT_STOP_TIMEOUT if timeout is None else timeout
    known = _known_here(site, root, product)
    with ProgressLine(site, phase="stopping", what="the site", deadline=limit) as line:
        res = api.stop(site, root=root, product=product, timeout=timeout, progress=line)
    killed = killed_processes(res.to_dict())
    if killed:
        typer.echo(f"jccluster: site stop {site}: needed SIGKILL: {', '.join(killed)}", err=True)
    if not known and res.ok and not res.details.get("terminated"):
        # still 0: nothing of a site this node has never seen runs here, so it is stopped --
        # what a cluster's stop must hear (docs/failures.md); the person typing hears why
        from jobcenter_cluster.engine.fastcli import near_sites, unknown_hint

        near = near_sites(site, root=root, product=product)
        typer.echo(f"jccluster: site stop: {site}: {unknown_hint(near)}", err=True)
    _finish(res)


def _known_here(site: str, root: str | None, product: str | None) -> bool:
    """Has this node seen `site` (created, started or stopped here)? True when that cannot be
    told (the stop reports what is wrong)."""
    try:
        return bool(getattr(api.status(site, root=root, product=product), "known", True))
    except (UserError, OSError):
        return True


@app.command("status")
def status(
    site: Annotated[str, typer.Argument(metavar="SITE", help="Site name.",
                                               autocompletion=site_names)],
    as_json: JsonOpt = False,
    database: Annotated[str | None, typer.Option("--database", help="Database path, for a "
                                                 "site not yet known on this node.")] = None,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Running / maintenance / stopped / failed (which daemon) / unrecoverable, on this node."""
    from jobcenter_cluster.engine import fastcli

    raise typer.Exit(fastcli.run(site, root=root, product=product, database=database,
                                 as_json=as_json))


def site_state(st: api.SiteStatus) -> str:
    """running, failed, stopping, stopped or maintenance: the engine's ``state``."""
    return st.state


def ls_table(sites: list[api.SiteStatus]) -> str:
    """cjcls's layout with a state column: SITE-NAME, STATE, DAEMON-PID (the live nqsdaemon,
    whatever the state) or SHUT, DB-PATH with (LINK) on a second line."""
    rows = [(s.site, site_state(s), str(s.daemons.get("nqsdaemon") or "SHUT"),
             s.database or "-", s.spool_link) for s in sites]
    w0 = max([len("SITE-NAME"), *(len(r[0]) for r in rows)])
    w1 = max([len("STATE"), *(len(r[1]) for r in rows)])
    w2 = max([len("DAEMON-PID"), *(len(r[2]) for r in rows)])
    out = [f"{'SITE-NAME'.ljust(w0)}  {'STATE'.ljust(w1)}  {'DAEMON-PID'.ljust(w2)}  DB-PATH(LINK)"]
    for name, state, pid, db, link in rows:
        out.append(f"{name.ljust(w0)}  {state.ljust(w1)}  {pid.ljust(w2)}  {db}")
        if link:
            out.append(f"{''.ljust(w0)}  {''.ljust(w1)}  {''.ljust(w2)}  ({link})")
    return "\n".join(out) + "\n"


@app.command("ls")
def ls(as_json: JsonOpt = False, root: RootOpt = None, product: ProductOpt = None) -> None:
    """List the sites on this node (cjcls): name, state, nqsdaemon pid or SHUT, database, link.

    STATE is running, failed, stopping, stopped or maintenance.
    """
    sites = api.list_sites(root=root, product=product)
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in sites], indent=2))
    else:
        typer.echo(ls_table(sites), nl=False)


@app.command("path")
def path(
    site: Annotated[str | None, typer.Argument(
        metavar="SITE", help="Site name (default: $NQS_SITE, else the local site).",
        autocompletion=site_names)] = None,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Print the site's standard spool path (nqspath [SITE])."""
    typer.echo(api.site_path(site, root=root, product=product))


@app.command("keep-port")
def keep_port(
    address: Annotated[str, typer.Argument(metavar="ADDRESS", help="Site name or its IPv4 address.")],
    port: Annotated[int, typer.Option("--port", help="TCP port to hold (NQS: 607).")] = 607,
    hold: Annotated[float | None, typer.Option("--hold", help="Give the port up after this "
                                               "many seconds anyway (default 600).")] = None,
    foreground: Annotated[bool, typer.Option("--foreground", help="Hold in this process "
                                             "instead of a detached holder.")] = False,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Hold the NQS port on the site address until the site starts (nqsportkpr ADDRESS).

    Make it the package's first start command. A small race remains between the release by
    `site start` and the daemon's own bind."""
    _finish(api.keep_port(address, port=port, hold=hold, root=root, product=product,
                          foreground=foreground))
