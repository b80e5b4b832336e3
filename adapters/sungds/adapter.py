"""Oracle Solaris Cluster / Sun Cluster 3.x: JobCenter as a Generic Data Service (SUNW.gds).

What is rendered, per site: the registration commands for Sun Cluster 3.2 and later
(``clresourcetype``, ``clresourcegroup``, ``clreslogicalhostname``, ``clresource``), the same for
3.0/3.1 (``scrgadm``/``scswitch``), the GDS Start/Stop/Probe command wrappers and an APPLY.txt.

Sources (cited again in docs/adapters/sungds.md):

- JobCenter manual §4.11-4.13: resource group = LogicalHostname (site name + IPMP group) +
  HAStoragePlus (database path) + SUNW.gds (Start_command ``cjcpw SITE DB``, Stop_command
  ``cjcpw -stop SITE``, Port_list, Resource_dependencies, Network_resources_used); nqsportkpr
  first in the start; start/stop only by enabling/disabling the resource; kill what jobs left in
  the background on the shared disk at stop (``fuser -k``); the database is created while the
  logical host and the storage are online but before the JobCenter resource exists.
- Sun Cluster Data Services Developer's Guide for Solaris OS (819-2972), "Probe_command
  Property": probe status 0 = healthy ... 100 = complete failure; 201 = fail over at once unless
  Failover_mode is RESTART_ONLY or LOG_ONLY. "Stop_command Property": the stop command gets 80 %
  of Stop_timeout, SIGKILL follows at 15 %. "Child_mon_level Property": like ``pmfadm -C``; the default -1
  watches every descendant. "Required GDS Properties": Port_list and Start_command.
  "Using Sun Cluster Administration Commands to Create a Service That Uses the GDS" (the
  ``clresource create -t SUNW.gds`` and ``scrgadm -a -j ... -t SUNW.gds`` examples).
- pmfadm(1M) (Sun Cluster Reference Manual): "-C level#: ... the original process executes at
  level 0"; PMF acts only when the last monitored process exits.
- Failover_enabled is deprecated: "In future, use the Failover_mode property in place of the
  Failover_enabled extension property" (Sun Cluster Data Services Developer's Guide 820-2559,
  "Failover_enabled Property"); Failover_mode NONE/SOFT/HARD (r_properties(5), Sun Cluster 3.1
  Data Services Developer's Guide 819-2070, "Resource Properties"): SOFT relocates the group
  when Start fails; RESTART_ONLY/LOG_ONLY replace Failover_enabled=FALSE.

Child_mon_level is 0: the wrapper ``exec``s the watcher, so level 0 *is* the watcher. The
JobCenter daemons it starts are its descendants; with -1 PMF would keep the resource "alive" as
long as any daemon (or the nqsportkpr helper) lives, and a dead watcher would go unnoticed.
"""

from __future__ import annotations

import math
import re
from typing import Any

from jobcenter_cluster.adapter import Adapter, Artifact, GraphResources, Unique, stop_seconds
from jobcenter_cluster.adapters.sungds import SPEC
from jobcenter_cluster.checks import check_fixed_path
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Site, check_hostname, check_path
from jobcenter_cluster.options import Option, pattern_check

#: time the GDS stop wrapper needs besides the stop itself: fuser -ck of the shared file system
#: (which can wait on a busy disk), logging.
GDS_STOP_MARGIN = 60
#: GDS's own default Stop_timeout: never render less.
GDS_DEFAULT_STOP_TIMEOUT = 300
#: the PATH every rendered script sets first: POSIX tools (/usr/xpg4/bin: awk with -v and
#: tolower), the system's and Sun Cluster's own -- never the caller's: the scripts run as root.
SCRIPT_PATH = "/usr/xpg4/bin:/usr/bin:/usr/sbin:/usr/cluster/bin"
FAILOVER_MODES = ("NONE", "SOFT", "HARD", "RESTART_ONLY", "LOG_ONLY")
#: share of Stop_timeout GDS gives the Stop_command (Developer's Guide, Stop_command Property).
GDS_STOP_SHARE = 0.8
#: the nqs port, the one the manual names (nqsportkpr holds it, §4.12.5).
NQS_PORT = "607/tcp"

# Paths that stand unquoted in a GDS command property (passed to a shell by GDS) or in the
# HAStoragePlus FilesystemMountPoints list (comma-separated, from /etc/vfstab: no blanks).
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9_.+@%:=/-]*\Z")
_NETIF = re.compile(r"^[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.-]{1,64}\Z")
_PORT = re.compile(r"^([0-9]{1,5})/(tcp|udp)\Z")


# --------------------------------------------------------------------------- option checks

# Solaris Cluster resource and resource-group names: a letter, then letters, digits, '-', '_'
# (rg_properties(5)/r_properties(5) "names"); we cap the length at 64.

sc_name = pattern_check(r"[A-Za-z][A-Za-z0-9_-]{0,63}", "is not a Solaris Cluster resource "
                        "name (a letter, then up to 63 letters, digits, '-' or '_')")


def safe_path(value: str) -> str | None:
    why = check_path(value, windows=False)
    if why:
        return why
    if not _SAFE_PATH.match(value):
        return (f"{value!r} must be an absolute path of letters, digits and _ . + @ % : = / - "
                "(no blanks or quotes: the cluster passes it to a shell / splits it on commas)")
    return None


def _netif(values: list[str]) -> str | None:
    for v in values:
        if not _NETIF.match(v):
            return f"{v!r} is not GROUP@NODE (an IPMP group at a node, e.g. sc_ipmp0@spencer)"
    return None if values else "must name at least one GROUP@NODE"


def _ports(values: list[str]) -> str | None:
    for v in values:
        m = _PORT.match(v)
        if not m or not 1 <= int(m.group(1)) <= 65535:
            return f"{v!r} is not PORT/PROTOCOL (e.g. 607/tcp)"
    if NQS_PORT not in values:
        return f"must include the nqs port {NQS_PORT} (manual §4.12.5)"
    return None


def _nodes(values: list[str]) -> str | None:
    for v in values:
        why = check_hostname(v, fqdn=False)
        if why:
            return why
    return None


_ipmp = pattern_check(r"[A-Za-z0-9_.-]{1,64}", "is not an IPMP group name (letters, digits, "
                      "'_', '.', '-')")


def _prefix(site: Site | None) -> str:
    assert site is not None
    return f"jc-{site.short_name}"[:56].rstrip("-")


def min_stop_timeout(stop: int) -> int:
    """The smallest Stop_timeout whose Stop_command share (80 %) covers the stop and the
    clean-up margin, and never below GDS's default 300."""
    return max(GDS_DEFAULT_STOP_TIMEOUT,
               int(math.floor((stop + GDS_STOP_MARGIN) / GDS_STOP_SHARE)) + 1)


def default_stop_timeout(stop: int) -> int:
    """The Stop_timeout rendered when the cluster file gives none: `min_stop_timeout`, rounded
    up to whole tens of seconds."""
    return math.ceil(min_stop_timeout(stop) / 10) * 10


# --------------------------------------------------------------------------- the adapter


class SunGdsAdapter(Adapter):
    """Sun Cluster 3.0-3.2 / Oracle Solaris Cluster: LogicalHostname + HAStoragePlus + SUNW.gds."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.sungds.rules:RULES"
    artifacts = (
        "{site}/register.sh",
        "{site}/register-scrgadm.sh",
        "{site}/start.sh",
        "{site}/stop.sh",
        "{site}/probe.sh",
        "{site}/APPLY.txt",
    )
    options_schema = {
        "script_dir": Option(str, "/opt/jobcenter-cluster/sungds", "where the Start/Stop/Probe "
                             "wrappers are installed on every node (one sub-directory per site)",
                             check=safe_path),
        "nodes": Option(list, lambda c, s: [n.short_name for n in c.nodes] if c else [],
                        "the cluster node names that may run the sites (default: the [[node]] "
                        "short names)", check=_nodes),
        "ipmp_group": Option(str, "sc_ipmp0", "the IPMP group of the site addresses on every "
                             "node (used for the default netiflist)", check=_ipmp),
        "port_list": Option(list, [NQS_PORT], "GDS Port_list: the ports JobCenter listens on "
                            "(PORT/tcp; must include 607/tcp)", check=_ports),
        "start_timeout": Option(int, 300, "Start_timeout in seconds", minimum=60,
                                maximum=86400),
        "stop_timeout": Option(int, None, "Stop_timeout in seconds (default: long enough that "
                               "80 % of it covers the stop)", minimum=1, maximum=86400),
        "probe_timeout": Option(int, 30, "Probe_timeout in seconds", minimum=2, maximum=3600),
        "thorough_probe_interval": Option(int, 60, "Thorough_probe_interval: seconds between "
                                          "probes", minimum=1, maximum=3600),
        "retry_count": Option(int, 2, "Retry_count: local restarts before failing over",
                              minimum=-1, maximum=100),
        "retry_interval": Option(int, 370, "Retry_interval: the window Retry_count counts in",
                                 minimum=1, maximum=86400),
        "failover_mode": Option(str, "SOFT", "Failover_mode: SOFT relocates the group when the "
                                "start fails; RESTART_ONLY / LOG_ONLY never fail over (Sun "
                                "Cluster 3.2+); replaces the deprecated Failover_enabled",
                                choices=FAILOVER_MODES),
        "script_path": Option(str, SCRIPT_PATH, "the PATH the rendered scripts set first "
                              "(fixed absolute directories; never the caller's)",
                              check=check_fixed_path),
        "child_mon_level": Option(int, 0, "Child_mon_level: 0 watches the watcher alone (see "
                                  "the docs before changing it)", minimum=-1, maximum=20),
        "probe": Option(bool, True, "set Probe_command (false: GDS's own TCP probe of "
                        "Port_list)"),
        "kill_leftovers": Option(bool, lambda c, s: bool(c and c.supervisor == "cjcpw"),
                                 "at stop, kill processes still using the shared file system "
                                 "(fuser -ck; manual §4.13). Default: on with supervisor cjcpw; "
                                 "with jccluster the engine's stop kills them already"),
    }
    site_options_schema = {
        "resource_group": Option(str, lambda c, s: f"{_prefix(s)}-rg", "the resource group",
                                 check=sc_name),
        "lh_resource": Option(str, lambda c, s: f"{_prefix(s)}-lh", "the LogicalHostname "
                              "resource", check=sc_name),
        "hasp_resource": Option(str, lambda c, s: f"{_prefix(s)}-hasp", "the HAStoragePlus "
                                "resource", check=sc_name),
        "gds_resource": Option(str, lambda c, s: f"{_prefix(s)}-gds", "the SUNW.gds resource "
                               "running JobCenter", check=sc_name),
        "logical_hostname": Option(str, lambda c, s: s.name if s else None, "the host name of "
                                   "the LogicalHostname resource (default: the site name)",
                                   check=lambda v: check_hostname(v, fqdn=False)),
        "netiflist": Option(list, None, "GROUP@NODE for every node (default: ipmp_group at each "
                            "node)", check=_netif),
        "mount_point": Option(str, None, "the shared file system (HAStoragePlus "
                              "FilesystemMountPoints; default: the database path)",
                              check=safe_path),
    }
    # ---- validation

    def validate(self) -> None:
        c = self.cluster
        self.require_posix("Sun Cluster runs on Solaris, not {product} (use a POSIX product such "
                           "as jobcenter-solaris)")
        if c.supervisor == "jccluster":
            why = safe_path(c.jccluster)
            if why:
                raise ConfigError(f"{why} (GDS runs the commands "
                                  "without a known PATH: give the absolute path)",
                                  source=c.source, field="cluster.jccluster")
        opts = self.options
        names = Unique(c.source, "resource and group names must be unique in the cluster")
        for site in c.sites:
            where = f"{site.where}.{self.name}"
            s = self.site_opts(site)
            if not site.monitor:
                raise ConfigError(
                    "false cannot be represented with GDS "
                    "(PMF watches the Start_command's process, the JobCenter watcher); remove "
                    "'monitor = false'", source=c.source, field=f"{site.where}.monitor")
            for key in ("resource_group", "lh_resource", "hasp_resource", "gds_resource"):
                names.add(s[key], f"{where}.{key}")
            mount = s["mount_point"] or site.database
            if s["mount_point"] is None:
                why = safe_path(mount)
                if why:
                    raise ConfigError(
                        f"{why}; set {where}.mount_point to "
                        "the shared file system's mount point",
                        source=c.source, field=f"{site.where}.database")
            if site.database != mount and not site.database.startswith(mount.rstrip("/") + "/"):
                raise ConfigError(f"{mount!r} does not contain "
                                  f"the database {site.database!r} (give the mount point of the "
                                  "shared file system holding it)",
                                  source=c.source, field=f"{where}.mount_point")
        if not opts["nodes"]:
            raise ConfigError("must name at least one node", source=c.source, field=f"{self.name}.nodes")
        stop = stop_seconds(c)
        given = opts["stop_timeout"]
        if given is not None and given < min_stop_timeout(stop):
            raise ConfigError(
                f"{given} s is too short: GDS gives the "
                f"Stop_command 80 % of it, the stop needs {stop} s plus {GDS_STOP_MARGIN} s of "
                f"clean-up, and GDS's default is {GDS_DEFAULT_STOP_TIMEOUT}; use at least "
                f"{min_stop_timeout(stop)}", source=c.source, field=f"{self.name}.stop_timeout")

    # ---- rendering

    def timeouts(self) -> dict[str, int]:
        o = self.options
        stop = stop_seconds(self.cluster)
        return {"start": o["start_timeout"],
                "stop": o["stop_timeout"] or default_stop_timeout(stop),
                "probe": o["probe_timeout"], "stop_seconds": stop}

    def site_commands(self, site: Site) -> dict[str, list[str]]:
        """The wrappers' commands; under cjcpw (no agent probe) the probe reads ``cjcls`` and
        daemon.conf's maintenance setting (the install's, then the site's)."""
        cmd = self.commands(site, {"keep_port": "keep-port", "watch": "start", "stop": "stop",
                                   "probe": "probe"}, database=("probe",))
        if self.cluster.supervisor == "cjcpw":
            return {**cmd, "cjcls": self.native_argv("cjcls"), "daemon_conf": [
                f"{self.cluster.install_prefix.rstrip('/')}/rc/daemon.conf",
                f"{site.database.rstrip('/')}/etc/daemon.conf"]}
        return {**cmd, "cjcls": [], "daemon_conf": []}

    def context(self, site: Site) -> dict[str, Any]:
        o = self.options
        s = self.site_opts(site)
        script_dir = f"{o['script_dir'].rstrip('/')}/{site.short_name}"
        netif = s["netiflist"] or [f"{o['ipmp_group']}@{n}" for n in o["nodes"]]
        return {
            "cluster": self.cluster,
            "site": site,
            "opts": o,
            "s": s,
            "mount": s["mount_point"] or site.database,
            "netif": ",".join(netif),
            "nodes": ",".join(o["nodes"]),
            "script_dir": script_dir,
            "paths": {k: f"{script_dir}/{k}.sh" for k in ("start", "stop", "probe")},
            "cmd": self.site_commands(site),
            "t": self.timeouts(),
            "deps": f"{s['lh_resource']},{s['hasp_resource']}",
            "ports": ",".join(o["port_list"]),
            "shell": "/usr/xpg4/bin/sh",
            "setup": self.setup_commands(site),
        }

    def render(self) -> list[Artifact]:
        r = self.renderer()
        out: list[Artifact] = []
        for site in self.sites:
            ctx = self.context(site)
            for path in self.artifacts:  # each from its template NAME.j2; scripts are 0755
                script = path.endswith(".sh")
                out.append(Artifact(path.format(site=site.short_name),
                                    r.render(path.rsplit("/", 1)[1] + ".j2", **ctx),
                                    0o755 if script else 0o644, "sh" if script else "text",
                                    site.name))
        return out

    # ---- rules

    def graph_resources(self, site: Site) -> GraphResources:
        """The resource group: the SUNW.gds resource's Resource_dependencies are the
        LogicalHostname and the HAStoragePlus resources (register.sh)."""
        o = self.site_opts(site)
        res = [(o["lh_resource"], f"{o['lh_resource']}\nLogicalHostname {o['logical_hostname']}"
                f"\n{site.address}", "address"),
               (o["hasp_resource"], f"{o['hasp_resource']}\nSUNW.HAStoragePlus "
                f"{o['mount_point'] or site.database}", "disk"),
               (o["gds_resource"], f"{o['gds_resource']}\nSUNW.gds (start.sh, stop.sh, probe.sh)",
                "jobcenter")]
        links = [(o["lh_resource"], o["gds_resource"]), (o["hasp_resource"], o["gds_resource"])]
        return f"resource group {o['resource_group']} ({site.name})", res, links
