"""``jccluster site ...``: the site lifecycle by hand (JobCenter's cjcmksite, cjcpw, cjcls,
nqspath, nqsportkpr). Thin commands over `jobcenter_cluster.engine.api`.

Exit status: 0 success/running, 1 failed, 2 user error, 3 stopped, 5 unrecoverable,
6 not installed, 7 unsupported (`api.EXIT_CODES`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer

from jobcenter_cluster.engine import api
from jobcenter_cluster.errors import UserError

app = typer.Typer(
    help="Create, start, watch, stop and list JobCenter sites on this node.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

RootOpt = Annotated[
    str | None,
    typer.Option("--root", help="Spool root (default: $JCCLUSTER_ROOT, else the product's, "
                 "/usr/spool/nqs).", envvar="JCCLUSTER_ROOT", show_envvar=True),
]
ProductOpt = Annotated[
    str | None,
    typer.Option("--product", help="Product profile: jobcenter-linux, jobcenter-hpux, "
                 "jobcenter-solaris, jobcenter-aix, jobcenter-windows, simulator (default: the "
                 "cluster file's "
                 "[cluster] product, else jobcenter-linux; a site keeps the one it was created "
                 "with)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(fn: F) -> F:
    """One line on stderr and a non-zero exit for a mistake the user can fix."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as err:
            typer.echo(f"jccluster: {err}", err=True)
            raise typer.Exit(err.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _finish(res: api.Result, *, as_json: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(res.to_dict(), indent=2))
    elif res.ok:
        typer.echo(res.message)
    else:
        typer.echo(f"jccluster: {res.outcome.value}: {res.message}", err=True)
    raise typer.Exit(api.exit_code(res.outcome))


@app.command("create")
@_user_errors
def create(
    site: Annotated[str, typer.Argument(help="Official host name of the site's floating address.")],
    machine_id: Annotated[int, typer.Argument(metavar="MID", help="NQS machine ID, unique.")],
    database: Annotated[str, typer.Argument(metavar="DBPATH", help="Database directory on "
                                            "the shared disk.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a site database already "
                                        "in DBPATH.")] = False,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Create the site database on the shared disk (cjcmksite SITE MID DBPATH)."""
    _finish(api.create(site, machine_id, database, root=root, product=product, force=force))


@app.command("start")
@_user_errors
def start(
    site: Annotated[str, typer.Argument(help="Site name.")],
    database: Annotated[str, typer.Argument(metavar="DBPATH", help="Site database directory.")],
    no_watch: Annotated[bool, typer.Option("--no-watch", "-c", help="Start and return "
                                           "(cjcpw -c); do not watch.")] = False,
    background: Annotated[bool, typer.Option("--background", help="Start a detached watcher "
                                             "and return once the site is up and watched.")
                          ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for every daemon "
                                           "to come up.")] = api.DEFAULT_START_TIMEOUT,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Start the site and watch it in the foreground (cjcpw [-c] SITE DBPATH).

    Exits non-zero naming the daemon as soon as a watched daemon is gone or a zombie; exits 0
    when `jccluster site stop` stops the site."""
    if no_watch and background:
        raise UserError("site start: --no-watch and --background exclude each other")
    mode = "no-watch" if no_watch else "background" if background else "watch"
    if mode == "watch":
        # Say it is up before blocking, so the operator (and the package log) see it.
        res = _start_watch(site, database, root, product, timeout)
        _exit_now(res)
    else:
        res = api.start(site, database, root=root, product=product, mode=mode, timeout=timeout)
    _finish(res)


def _start_watch(site: str, database: str, root: str | None, product: str | None,
                 timeout: float) -> api.Result:
    from jobcenter_cluster.engine import lifecycle, store

    def on_up(res: api.Result) -> None:
        if res.ok:
            typer.echo(f"{res.message}; watching (stop with `jccluster site stop {site}`)")
            sys.stdout.flush()

    return lifecycle.start(
        store.check_site_name(site), _abspath(database), root=api.resolve_root(root, product),
        product=product, mode="watch", timeout=timeout, on_up=on_up,
    )


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
@_user_errors
def stop(
    site: Annotated[str, typer.Argument(help="Site name.")],
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help=f"Deadline in seconds before what is left is SIGKILLed (default "
        f"{api.DEFAULT_STOP_TIMEOUT:g}).")] = None,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Stop the site and make sure nothing of it is left (cjcpw -stop SITE)."""
    _finish(api.stop(site, root=root, product=product, timeout=timeout))


@app.command("status")
@_user_errors
def status(
    site: Annotated[str, typer.Argument(help="Site name.")],
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


def ls_table(sites: list[api.SiteStatus]) -> str:
    """cjcls's layout: SITE-NAME, DAEMON-PID or SHUT, DB-PATH with (LINK) on a second line."""
    rows = [(s.site, str(api.nqsdaemon_pid(s) or "SHUT"), s.database or "-", s.spool_link)
            for s in sites]
    w0 = max([len("SITE-NAME"), *(len(r[0]) for r in rows)])
    w1 = max([len("DAEMON-PID"), *(len(r[1]) for r in rows)])
    out = [f"{'SITE-NAME'.ljust(w0)}  {'DAEMON-PID'.ljust(w1)}  DB-PATH(LINK)"]
    for name, pid, db, link in rows:
        out.append(f"{name.ljust(w0)}  {pid.ljust(w1)}  {db}")
        if link:
            out.append(f"{''.ljust(w0)}  {''.ljust(w1)}  ({link})")
    return "\n".join(out) + "\n"


@app.command("ls")
@_user_errors
def ls(as_json: JsonOpt = False, root: RootOpt = None, product: ProductOpt = None) -> None:
    """List the sites on this node (cjcls): name, nqsdaemon pid or SHUT, database and link."""
    sites = api.list_sites(root=root, product=product)
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in sites], indent=2))
    else:
        typer.echo(ls_table(sites), nl=False)


@app.command("path")
@_user_errors
def path(
    site: Annotated[str | None, typer.Argument(help="Site name (default: $NQS_SITE, else the "
                                               "local site).")] = None,
    root: RootOpt = None,
    product: ProductOpt = None,
) -> None:
    """Print the site's standard spool path (nqspath [SITE])."""
    typer.echo(api.site_path(site, root=root, product=product))


@app.command("keep-port")
@_user_errors
def keep_port(
    address: Annotated[str, typer.Argument(help="Site name or its IPv4 address.")],
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
