"""Sun Cluster 2.2: JobCenter as a data service with START_NET/STOP_NET methods around PMF.

What is rendered, per site: the START_NET, STOP_NET and ABORT_NET method scripts, the PMF action
program that gives up the logical host when the watcher dies, the ``hareg`` registration script
and an APPLY.txt.

Sources (cited again in docs/adapters/sun22.md):

- JobCenter manual §4.14: the start script starts the watcher under PMF when ``pmfadm -q
  JobService`` says it is not running (``pmfadm -c JobService -C 0 cjcpw SITE DB``, exit 1 with a
  message if pmfadm fails); the stop script stops it when it runs. The manual's samples have shell
  bugs, fixed here: ``ServStatus= `pmfadm -q JobService``` (a space after ``=``: the variable is
  set empty for the command, whose *output* is then run as a command) and a test of the output
  where pmfadm answers through its exit status; and ``pmfadm -s JobService cjcpw -stop SITE``,
  although ``pmfadm -s nametag [-w timeout] [signal]`` takes no command: PMF monitoring is stopped
  first, then ``cjcpw -stop SITE`` runs by itself.
- pmfadm(1M): ``-c nametag ... [-C level#] command``, ``-q nametag``, ``-s nametag [-w timeout]
  [signal]``; "-C level#: ... the original process executes at level 0".
- Sun Cluster 3.1 Data Services Developer's Guide, "Stopping the Monitor With Update" (816-3385):
  ``if pmfadm -q TAG; then pmfadm -s TAG TERM`` -- pmfadm -q answers by exit status.
- Sun Cluster 2.2 API Developer's Guide (806-5344): methods are registered with hareg(1M);
  START_NET/STOP_NET get the logical hosts this node masters ($1) and does not master ($2),
  comma-separated, and a timeout ($3); methods must be idempotent; a data service is registered
  "off" and turned on with ``hareg -y``; "Setting Timeout Values": a method's timeout must be less
  than half the logical-host takeover timeout (180 s by default; raise it with scconf(1M)).
- JobCenter manual §4.13: kill what jobs left in the background on the shared disk at stop.
- pmfadm(1M) ``-a action``: "called when the number of failures allowed has been reached" with
  two more arguments, the event (``failed``) and the nametag; exit 0 restarts the process, any
  other status removes the nametag; "if -a is not specified, the result is the same as if there
  were an action script specified which always exits non-zero" -- so the manual's ``pmfadm -c
  JobService -C 0`` leaves a dead watcher dead and nothing fails over. The action program here
  gives the logical host up (``hactl -g -s SERVICE -l LOGHOST``, as public Sun Cluster 2.2
  client code calls it; hactl(1M) itself not found: docs page, unverified) and exits 1.
- ABORT_NET runs on a node that is aborting its services: it stops the site unconditionally
  (STOP_NET acts only for a logical host in its second argument).

START_NET and STOP_NET (not START/STOP) because nqsportkpr binds the site address, which is up
only once the logical host's network is configured; the stop runs while it still is.
"""

from __future__ import annotations

from typing import Any

from jobcenter_cluster.adapter import (
    Adapter,
    Artifact,
    GraphResources,
    Unique,
    stop_budget,
)
from jobcenter_cluster.adapters.sun22 import SPEC
from jobcenter_cluster.adapters.sungds.adapter import safe_path
from jobcenter_cluster.checks import check_fixed_path
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Cluster, Site, check_hostname
from jobcenter_cluster.options import Option, pattern_check

_nametag = pattern_check(r"[A-Za-z][A-Za-z0-9_.-]{0,63}", "is not a PMF nametag (a letter, then "
                         "up to 63 letters, digits, '_', '.', '-')")
_service = pattern_check(r"[A-Za-z][A-Za-z0-9_]{0,31}", "is not a data service name for hareg "
                         "(a letter, then up to 31 letters, digits or '_')")
#: logical-host takeover timeout of Sun Cluster 2.2 by default; methods get less than half.
TAKEOVER_TIMEOUT = 180
#: the PATH every rendered script sets first: POSIX tools, the system's and Sun Cluster 2.2's
#: own (pmfadm, hareg, hactl) -- never the caller's: the scripts run as root.
SCRIPT_PATH = "/usr/xpg4/bin:/usr/bin:/usr/sbin:/opt/SUNWcluster/bin"


def _one_site(cluster: Cluster | None) -> bool:
    return bool(cluster and len(cluster.sites) == 1)


def _default_tag(cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return "JobService" if _one_site(cluster) else f"JobService_{site.short_name}"[:64]


def _default_service(cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    if _one_site(cluster):
        return "jobcenter"
    return f"jobcenter_{site.short_name.replace('-', '_')}"[:32]


#: time the stop method needs besides the stop itself (logging)
STOP_MARGIN = 10



class Sun22Adapter(Adapter):
    """Sun Cluster 2.2: pmfadm-based START_NET/STOP_NET methods registered with hareg."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.sun22.rules:RULES"
    importer = "jobcenter_cluster.adapters.importers.sun22"
    # issue 9: Sun Cluster 2.2 nodes (Solaris 8 and older) have no Python 3.11 for our engine
    supervisors = ("cjcpw",)
    supervisor_reason = "Sun Cluster 2.2 nodes (Solaris 8 and older) have no Python 3.11 for our engine"
    artifacts = (
        "{site}/start_net.sh",
        "{site}/stop_net.sh",
        "{site}/abort_net.sh",
        "{site}/watcher_exited.sh",
        "{site}/register.sh",
        "{site}/APPLY.txt",
    )
    options_schema = {
        "script_dir": Option(str, "/opt/jobcenter-cluster/sun22", "where the method scripts are "
                             "installed on every node (one sub-directory per site)",
                             check=safe_path),
        "start_timeout": Option(int, 60, "START_NET method timeout in seconds", minimum=10,
                                maximum=3600),
        "stop_timeout": Option(int, None, "STOP_NET / ABORT_NET method timeout in seconds "
                               "(default: the stop plus a margin)", minimum=10, maximum=3600),
        "kill_leftovers": Option(bool, lambda c, s: bool(c and c.supervisor == "cjcpw"),
                                 "at stop, kill processes still using the shared file system "
                                 "(fuser -ck; manual §4.13). Default: on with supervisor cjcpw; "
                                 "with jccluster the engine's stop kills them already"),
        "script_path": Option(str, SCRIPT_PATH, "the PATH the rendered scripts set first "
                              "(fixed absolute directories; never the caller's)",
                              check=check_fixed_path),
    }
    site_options_schema = {
        "nametag": Option(str, _default_tag, "the PMF nametag of the watcher (the manual's "
                          "JobService; JobService_SITE when the file has several sites)",
                          check=_nametag),
        "service": Option(str, _default_service, "the data service name registered with hareg",
                          check=_service),
        "logical_host": Option(str, lambda c, s: s.short_name if s else None, "the Sun Cluster "
                               "2.2 logical host that carries the site address (default: the "
                               "site's short name)",
                               check=lambda v: check_hostname(v, fqdn=False)),
        "mount_point": Option(str, None, "the shared file system (default: the database path)",
                              check=safe_path),
    }

    def validate(self) -> None:
        c = self.cluster
        self.require_posix("Sun Cluster runs on Solaris, not {product} (use a POSIX product "
                           "such as jobcenter-solaris)")
        ids = {key: Unique(c.source, "each site needs its own", fold=str.lower)
               for key in ("nametag", "service")}
        for site in c.sites:
            where = f"{site.where}.{self.name}"
            s = self.site_opts(site)
            if not site.monitor:
                raise ConfigError(
                    "false cannot be represented on Sun "
                    "Cluster 2.2 (the site runs under PMF, which watches the watcher); remove "
                    "'monitor = false'", source=c.source, field=f"{site.where}.monitor")
            for key, names in ids.items():
                names.add(s[key], f"{where}.{key}")
            mount = s["mount_point"] or site.database
            if s["mount_point"] is None and self.options["kill_leftovers"]:
                why = safe_path(mount)
                if why:
                    raise ConfigError(f"{why}; set "
                                      f"{where}.mount_point to the shared file system's mount "
                                      "point", source=c.source, field=f"{site.where}.database")
            if site.database != mount and not site.database.startswith(mount.rstrip("/") + "/"):
                raise ConfigError(f"{mount!r} does not contain "
                                  f"the database {site.database!r}",
                                  source=c.source, field=f"{where}.mount_point")
        stop = stop_budget(c)
        given = self.options["stop_timeout"]
        if given is not None and given < stop + STOP_MARGIN:
            raise ConfigError(f"{given} s is shorter than "
                              f"the stop's budget ({stop} s: the engine's deadline, or under "
                              f"cjcpw twice JobCenter's 2-minute stop) plus {STOP_MARGIN} s; use "
                              f"at least {stop + STOP_MARGIN}",
                              source=c.source, field=f"{self.name}.stop_timeout")

    def timeouts(self) -> dict[str, int]:
        stop = stop_budget(self.cluster)
        return {"start": self.options["start_timeout"],
                "stop": self.options["stop_timeout"] or stop + 30, "stop_seconds": stop}

    def context(self, site: Site) -> dict[str, Any]:
        s = self.site_opts(site)
        script_dir = f"{self.options['script_dir'].rstrip('/')}/{site.short_name}"
        t = self.timeouts()
        return {
            "cluster": self.cluster,
            "site": site,
            "opts": self.options,
            "s": s,
            "mount": s["mount_point"] or site.database,
            "script_dir": script_dir,
            "paths": {k: f"{script_dir}/{k}.sh" for k in ("start_net", "stop_net", "abort_net",
                                                          "watcher_exited")},
            "setup": self.setup_commands(site),
            "cmd": self._commands(site),
            "t": t,
            "takeover": max(TAKEOVER_TIMEOUT, 2 * max(t["start"], t["stop"]) + 10),
            "shell": "/usr/xpg4/bin/sh",
        }

    def _commands(self, site: Site) -> dict[str, list[str]]:
        cmd = self.commands(site, {"keep_port": "keep-port", "watch": "watch", "stop": "stop"})
        if self.cluster.supervisor == "cjcpw":
            cmd["cjcls"] = self.native_argv("cjcls")  # the stop's check of what is left
        return cmd

    def render(self) -> list[Artifact]:
        r = self.renderer()
        out: list[Artifact] = []
        for site in self.sites:
            ctx = self.context(site)
            d = site.short_name
            for name, template, extra in (
                    ("start_net.sh", "start_net.sh.j2", {}),
                    ("stop_net.sh", "stop_net.sh.j2", {"abort": False}),
                    ("abort_net.sh", "stop_net.sh.j2", {"abort": True}),
                    ("watcher_exited.sh", "watcher_exited.sh.j2", {}),
                    ("register.sh", "register.sh.j2", {})):
                out.append(Artifact(f"{d}/{name}", r.render(template, **ctx, **extra), 0o755,
                                    "sh", site.name))
            out.append(Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644,
                                "text", site.name))
        return out

    def graph_resources(self, site: Site) -> GraphResources:
        """The logical host brings its disk group and address up before the data service's
        START_NET method runs the watcher under PMF (stopped in reverse by STOP_NET)."""
        o = self.site_opts(site)
        res = [("disk", f"logical host {o['logical_host']}: disk group\n"
                f"{o['mount_point'] or site.database}", "disk"),
               ("address", f"logical host {o['logical_host']}: address\n{site.address}",
                "address"),
               ("service", f"data service {o['service']}\nSTART_NET: pmfadm -c {o['nametag']}",
                "jobcenter")]
        return (f"logical host {o['logical_host']} ({site.name})", res,
                [("disk", "service"), ("address", "service")])
