"""``jccluster simulator install PREFIX``: the emulated JobCenter installation (a rehearsal tool).

See `jobcenter_cluster.simulator.install` and docs/simulator.md.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer

from jobcenter_cluster.errors import UserError

app = typer.Typer(
    help="The emulated JobCenter installation: rehearse a cluster before JobCenter is installed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _host_line(spec: str) -> str:
    name, sep, address = spec.partition("=")
    if not sep or not name or not address:
        raise UserError(f"--host {spec!r}: give NAME=ADDRESS, e.g. orange.example.com=127.0.10.1")
    from jobcenter_cluster.engine.store import require_site_name

    try:
        key = require_site_name(name)
    except UserError:
        raise UserError(f"--host {spec!r}: {name!r} is not a host name") from None
    try:
        addr = ipaddress.IPv4Address(address)
    except ValueError:
        raise UserError(f"--host {spec!r}: {address!r} is not an IPv4 address") from None
    return f"{addr} {key}"


@app.command("install")
def install(
    prefix: Annotated[str, typer.Argument(help="Where to write JobCenter's layout "
                                          "(PREFIX/cluster/cjcpw, PREFIX/nqsportkpr ...).")],
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="NAME=ADDRESS: also write PREFIX/hosts with this line (a "
                     "local 127.x address for a simulator site; repeatable). Point "
                     "$JCCLUSTER_HOSTS at that file instead of editing /etc/hosts."),
    ] = None,
    root: Annotated[
        str | None,
        typer.Option("--root", help="The spool root the commands use when $JCCLUSTER_ROOT is not "
                     "set (default /usr/spool/nqs): cluster products often run scripts with an "
                     "empty environment."),
    ] = None,
    stop_seconds: Annotated[
        float | None,
        typer.Option("--stop-seconds", min=0, help="How long `cjcpw -stop` takes when "
                     "$JCCLUSTER_SIM_STOP_SECONDS is not set (default 3)."),
    ] = None,
) -> None:
    """Write an emulated JobCenter installation: cjcpw, cjcmksite, cjcls, nqsportkpr, nqspath."""
    from jobcenter_cluster.simulator.install import install as do_install

    lines = [_host_line(h) for h in host or []]
    prefix_abs = os.path.abspath(prefix)
    defaults: dict[str, str] = {}
    if root:
        defaults["JCCLUSTER_ROOT"] = os.path.abspath(root)
    if lines:
        defaults["JCCLUSTER_HOSTS"] = os.path.join(prefix_abs, "hosts")
    if stop_seconds is not None:
        defaults["JCCLUSTER_SIM_STOP_SECONDS"] = repr(stop_seconds)
    try:
        written = do_install(prefix, defaults=defaults)
    except OSError as err:
        raise UserError(f"{err.filename or prefix}: cannot write: {err.strerror}") from None
    for path in written:
        typer.echo(path)
    prefix = os.path.abspath(prefix)
    if lines:
        hosts_path = os.path.join(prefix, "hosts")
        from jobcenter_cluster import fsio  # PREFIX passed the trust rule in do_install

        fsio.atomic_write(hosts_path, "# site names for the emulated installation "
                          "($JCCLUSTER_HOSTS)\n" + "\n".join(lines) + "\n", 0o644)
        typer.echo(hosts_path)
        typer.echo(f"export JCCLUSTER_HOSTS={hosts_path}", err=True)
    typer.echo(f"export JCCLUSTER_PREFIX={prefix}   # the engine runs this installation", err=True)
