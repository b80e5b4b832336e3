"""``jccluster doctor [-c FILE] [--site NAME] [--json]``: this node's preconditions, all at once.

For the node: our CLI at the ``[cluster] jccluster`` path, the JobCenter install prefix and its
``cjcpw``, the ``nqs`` port in ``/etc/services`` (manual §2.2: "/etc/services への nqs ポートの
登録", on every machine that may run a site), the spool root. For each site of the file: its name
resolves forward and back to its address (§2.10.1), its machine ID is not used by another site
this node knows, and its database's file system is mounted where the site is active (on a standby
node an unmounted shared disk is normal, and reported as such). Every check runs; the command
exits 1 when any failed.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from jobcenter_cluster.cli.common import DEFAULT_CONFIG_PATH, ConfigOpt, JsonOpt, load, print_json
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.model import Cluster, Site

NQS_PORT = 607


@dataclass
class Check:
    """One result: ``result`` is ok, FAIL, standby (fine on this node) or skip."""

    site: str
    check: str
    result: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.result == "FAIL"


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _ours() -> str:
    import shutil

    return shutil.which("jccluster") or "$(command -v jccluster)"


def node_checks(cluster: Cluster, root: str) -> list[Check]:
    out: list[Check] = []
    node = "(this node)"
    if cluster.windows:
        return [Check(node, "platform", "skip", f"{cluster.product.name}: run doctor on the "
                      "Windows nodes' own tools; the POSIX checks do not apply")]
    jcc = cluster.jccluster
    if _executable(jcc):
        out.append(Check(node, "[cluster] jccluster", "ok", jcc))
    else:
        out.append(Check(node, "[cluster] jccluster", "FAIL",
                         f"{jcc} is not an executable file here; the generated scripts call it by "
                         f"that path (install it there, e.g. ln -s {_ours()} {jcc}, or set "
                         "[cluster] jccluster)"))
    simulated = cluster.product.name == "simulator"
    prefix, cjcpw = cluster.install_prefix, cluster.command("cjcpw")
    if simulated and cluster.supervisor == "jccluster":
        out.append(Check(node, "install prefix", "skip",
                         "product simulator: the stand-in daemons need no JobCenter installation"))
    elif not os.path.isdir(prefix):
        out.append(Check(node, "install prefix", "FAIL",
                         f"{prefix} does not exist (install JobCenter, or set [cluster] "
                         "install_prefix)"))
    else:
        out.append(Check(node, "install prefix", "ok", prefix))
        out.append(Check(node, "cjcpw", "ok", cjcpw) if _executable(cjcpw) else
                   Check(node, "cjcpw", "FAIL", f"{cjcpw} is missing or not executable "
                         "(JobCenter's cluster commands are not installed)"))
    try:
        port = socket.getservbyname("nqs", "tcp")
    except OSError:
        port = None
    if simulated:
        out.append(Check(node, "/etc/services", "skip", "product simulator: no nqs port needed"))
    elif port == NQS_PORT:
        out.append(Check(node, "/etc/services", "ok", f"nqs {NQS_PORT}/tcp"))
    else:
        found = "no nqs entry" if port is None else f"nqs is {port}/tcp"
        out.append(Check(node, "/etc/services", "FAIL",
                         f"{found}; add 'nqs {NQS_PORT}/tcp' on every node that may run a site "
                         "(manual §2.2)"))
    out.append(_spool_root(node, root, simulated))
    return out


def _spool_root(node: str, root: str, simulated: bool) -> Check:
    try:
        st = os.stat(root)
    except FileNotFoundError:
        if simulated:
            return Check(node, "spool root", "ok",
                         f"{root} does not exist yet ('jccluster site create' makes it)")
        return Check(node, "spool root", "FAIL",
                     f"{root} does not exist (JobCenter's installation makes it; or set "
                     "[cluster] spool_root)")
    except OSError as err:
        return Check(node, "spool root", "FAIL", f"{root}: {err.strerror}")
    if not stat.S_ISDIR(st.st_mode):
        return Check(node, "spool root", "FAIL", f"{root} is not a directory")
    if st.st_uid not in (0, os.geteuid()) or st.st_mode & 0o022:
        return Check(node, "spool root", "FAIL",
                     f"{root} is writable by others or owned by uid {st.st_uid} (chown root and "
                     "chmod go-w: the engine trusts what it finds there)")
    return Check(node, "spool root", "ok", root)


def site_checks(cluster: Cluster, site: Site, root: str) -> list[Check]:
    from jobcenter_cluster.engine import names, store

    out: list[Check] = []
    name = site.name
    try:
        address = names.resolve(name)
    except UserError as err:
        out.append(Check(name, "name resolves", "FAIL", str(err)))
    else:
        if address == site.address:
            out.append(Check(name, "name resolves", "ok", f"{name} <-> {address}"))
        else:
            out.append(Check(name, "name resolves", "FAIL",
                             f"{name} resolves to {address}, but the cluster file says "
                             f"{site.address} (fix DNS or /etc/hosts, or the file)"))
    others = [s for s in store.known_sites(root)
              if s.get("machine_id") == site.machine_id and s.get("name") != name]
    if others:
        out.append(Check(name, "machine ID", "FAIL",
                         f"{site.machine_id} is already used by site {others[0]['name']} on this "
                         "node (every machine ID must be unique)"))
    else:
        out.append(Check(name, "machine ID", "ok", f"{site.machine_id} not used by another site "
                         "here"))
    out.append(_database(site, root))
    return out


def _database(site: Site, root: str) -> Check:
    from jobcenter_cluster.engine import api, names, store

    st = api.status(site.name, root=root)
    active = st.outcome.value != "stopped" or st.details.get("state") == "stopping"
    db = site.database
    present = os.path.isdir(db) and os.path.exists(store.identity_path(db))
    where = names.mount_point(db) if os.path.exists(db) else None
    if active:
        if present:
            return Check(site.name, "database mounted", "ok",
                         f"{db} on {where} (the site is {st.outcome.value} here)")
        return Check(site.name, "database mounted", "FAIL",
                     f"the site is {st.outcome.value} on this node but {db} holds no site "
                     "database: mount the shared disk")
    if present:
        return Check(site.name, "database mounted", "ok",
                     f"{db} on {where} (the site is not running here)")
    return Check(site.name, "database mounted", "standby",
                 f"{db} is not mounted here: normal on a standby node (the site is not active "
                 "here)")


def doctor(
    ctx: typer.Context,
    config: ConfigOpt = DEFAULT_CONFIG_PATH,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check this node's preconditions for every site of the cluster file.

    Name resolution forward and back, /etc/services, the JobCenter install prefix and cjcpw,
    the [cluster] jccluster path, the spool root, machine IDs, and the database's file system
    where the site is active. Lists every failure and exits 1 when any check failed.
    """
    from jobcenter_cluster import configfile
    from jobcenter_cluster.engine import api

    # which cluster file was read, and why (the discovery rule: docs/security.md)
    chosen = ctx.meta.get("jccluster.config") or configfile.Choice(config, "given with -c")
    cluster = load(config)
    sites = cluster.select_sites(site)
    root = api.resolve_root(cluster.spool_root, cluster.product.name)
    checks = node_checks(cluster, root)
    if not cluster.windows:
        for s in sites:
            checks += site_checks(cluster, s, root)
    failed = [c for c in checks if c.failed]
    if json_out:
        print_json({"config": config, "config_choice": chosen.to_dict(), "ok": not failed,
                    "checks": [{"site": c.site, "check": c.check, "result": c.result,
                                "detail": c.detail} for c in checks]})
    else:
        from jobcenter_cluster.cli.common import table

        sys.stdout.write(table([[c.site, c.check, c.result, c.detail] for c in checks],
                               ["SITE", "CHECK", "RESULT", "DETAIL"]))
        typer.echo(f"cluster file: {chosen.describe()}")
        typer.echo(f"doctor: {len(checks)} check(s), {len(failed)} failed", err=True)
    if failed:
        raise typer.Exit(1)
