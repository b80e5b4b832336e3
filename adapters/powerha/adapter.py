"""IBM PowerHA SystemMirror (formerly HACMP), AIX and Linux: an application controller, a custom
application monitor and a resource group per site, created with ``clmgr``.

The JobCenter manual names PowerHA but gives no procedure (preface). Sources, IBM PowerHA
SystemMirror 7.2 documentation (www.ibm.com/docs/SSPHQG_7.2):

- "clmgr command" (command/clmgr.htm): ``clmgr <ACTION> <CLASS> [<NAME>] [ATTR=VALUE ...]``;
  actions and classes are case-insensitive; aliases and abbreviations are for the command line
  only, "do not use abbreviations in scripts". Classes used here: ``service_ip``,
  ``application_controller`` (STARTSCRIPT, STOPSCRIPT, STARTUP_MODE), ``application_monitor``
  (TYPE=Custom, APPLICATIONS, MODE, MONITORMETHOD, MONITORINTERVAL, HUNGSIGNAL, STABILIZATION,
  RESTARTCOUNT, FAILUREACTION, CLEANUPMETHOD, RESTARTMETHOD), ``resource_group`` (NODES,
  STARTUP, FALLOVER, FALLBACK, SERVICE_LABEL, VOLUME_GROUP, APPLICATIONS) and ``sync cluster``
  (verify and synchronize). Quick reference: quickclmgr/clmgrref.htm.
- "Configuring a custom application monitor" (admin/ha_admin_config_custom_appmon2.htm): the
  monitor method is an executable that "exits, returning an integer value ... zero if the
  application is healthy, and must be a non zero value if the application has failed"; its
  output goes to /var/hacmp/log/clappmond.*.log. "Monitor modes" (admin/ha_admin_monitor_modes):
  long-running monitoring starts after the stabilization interval.
- Application controller and monitor fields (PowerHA SystemMirror for IBM Systems Director
  7.1.2 help): names of 1-64 characters A-Z a-z 0-9 _, not beginning with a digit; "You cannot
  specify arguments to the start script / stop script / monitor script"; the hung-monitor
  signal defaults to 9; if the application monitor does not return within the monitor interval
  the application is considered hung.
- "Application automation: minimizing manual intervention" (plan/ha_plan_application_auto):
  the start script runs as root with no interaction, and commands started in the background
  may need ``nohup``.
- "Planning and configuring for measuring application availability": restart count default 3,
  action on failure notify or fallover.
- Unverified here (no public clmgr reference text was found with the search tool): the clmgr
  attribute *names* of application_monitor (TYPE, APPLICATIONS, MODE, MONITORMETHOD,
  MONITORINTERVAL, HUNGSIGNAL, STABILIZATION, RESTARTCOUNT, FAILUREACTION, CLEANUPMETHOD,
  RESTARTMETHOD) and STARTUP_MODE of application_controller; their meanings are the SMIT /
  Systems Director fields cited above. docs/adapters/powerha.md says so and APPLY.txt has the
  operator confirm them with ``clmgr add application_monitor -h`` before running the script.
"""

from __future__ import annotations

import os
import re
from typing import Any

from jobcenter_cluster.adapter import Adapter, Artifact, GraphResources, Unique, stop_seconds
from jobcenter_cluster.adapters.powerha import SPEC
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import REQUIRED, Site, check_netmask
from jobcenter_cluster.options import Option, pattern_check, plain_path_check

#: Fixed system directories of the rendered scripts' PATH (then PowerHA's utilities), never the
#: caller's PATH: the scripts run as root.
SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
PHA_UTILITIES = "/usr/es/sbin/cluster/utilities"
#: the products PowerHA can run a site of: AIX (its home) and Linux, and the simulator
PRODUCTS = ("jobcenter-aix", "jobcenter-linux", "simulator")
#: The application_monitor attributes the adapter renders (names unverified, see above).
MONITOR_ATTRS = ("TYPE", "APPLICATIONS", "MODE", "MONITORMETHOD", "MONITORINTERVAL",
                 "HUNGSIGNAL", "STABILIZATION", "RESTARTCOUNT", "FAILUREACTION",
                 "CLEANUPMETHOD", "RESTARTMETHOD")

#: PowerHA's default "Max. Event-only Duration" (seconds) before config_too_long is raised.
DEFAULT_MAX_EVENT_TIME = 180

# PowerHA object names: 1-64 of A-Z a-z 0-9 _, not beginning with a digit.
PHA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
pha_name = pattern_check(PHA_NAME.pattern, "is not a PowerHA name (1-64 letters, digits and "
                         "'_', not beginning with a digit)")
_abs_path = plain_path_check("PowerHA takes script paths without arguments or quoting")
_label = pattern_check(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}", "is not an IP label (a host name)")


def _names_list(value: str) -> str | None:
    parts = value.split(",")
    if all(PHA_NAME.match(p) for p in parts):
        return None
    return f"{value!r} must be volume group names (letters, digits, '_'), separated by commas"


def _base(site: Site | None) -> str:
    assert site is not None
    return "jobcenter_" + re.sub(r"[^A-Za-z0-9_]", "_", site.short_name)


class PowerHaAdapter(Adapter):
    """Start/stop/monitor scripts per site and the ``clmgr`` commands that register them."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.powerha.rules:RULES"
    importer = "jobcenter_cluster.adapters.importers.powerha"
    artifacts = (
        "{site}/jobcenter-{site}-start.sh",
        "{site}/jobcenter-{site}-stop.sh",
        "{site}/jobcenter-{site}-monitor.sh",
        "{site}/clmgr-commands.sh",
        "{site}/APPLY.txt",
    )
    options_schema = {
        "clmgr": Option(str, "/usr/es/sbin/cluster/utilities/clmgr", "the clmgr command on the "
                        "nodes", check=_abs_path),
        "script_dir": Option(str, "/opt/jobcenter-cluster/powerha", "where the start, stop and "
                             "monitor scripts are installed on every node", check=_abs_path),
        "log_dir": Option(str, "/var/hacmp/log", "where the scripts append their messages (and "
                          "cjcpw's) to jobcenter-SITE.log", check=_abs_path),
        "run_dir": Option(str, "/var/run", "where the cjcpw watcher's PID file is kept "
                          "(supervisor = \"cjcpw\")", check=_abs_path),
        "node_names": Option(str, "short", "PowerHA node names: the nodes' short names or "
                             "their full names", choices=("short", "full")),
        "max_event_time": Option(int, DEFAULT_MAX_EVENT_TIME, "the cluster's \"Max. Event-only "
                                 "Duration\" (seconds): the stop must finish within it",
                                 minimum=1, maximum=86400),
    }
    site_options_schema = {
        "resource_group": Option(str, lambda c, s: _base(s), "the resource group name",
                                 check=pha_name),
        "application_controller": Option(str, lambda c, s: _base(s) + "_ctl", "the application "
                                         "controller name", check=pha_name),
        "application_monitor": Option(str, lambda c, s: _base(s) + "_mon", "the custom "
                                      "application monitor name", check=pha_name),
        "service_label": Option(str, lambda c, s: s.name if s else None, "the service IP label "
                                "(resolves to the site address; default: the site name)",
                                check=_label),
        "network": Option(str, "net_ether_01", "the PowerHA network of the service IP",
                          check=pha_name),
        "netmask": Option(str, None, "the service IP's netmask (default: the network's)",
                          check=check_netmask),
        "add_service_ip": Option(bool, True, "add the service IP label (clmgr add service_ip); "
                                 "false when it exists already"),
        "volume_group": Option(str, None, "the shared volume group(s) holding the database, "
                               "comma-separated", check=_names_list),
        "startup": Option(str, "OHN", "startup policy (OHN: online on home node only)",
                          choices=("OHN", "OFAN", "OAAN", "OUDP")),
        "fallover": Option(str, "FNPN", "fallover policy (FNPN: next priority node)",
                           choices=("FNPN", "FUDNP", "BO")),
        "fallback": Option(str, "NFB", "fallback policy (NFB: never fall back)",
                           choices=("NFB", "FBHPN")),
        "startup_mode": Option(str, "foreground", "application controller STARTUP_MODE: "
                               "foreground, so that PowerHA waits for the start script and "
                               "a non-zero exit puts the resource group in ERROR (in background "
                               "mode PowerHA ignores the exit status)", choices=("foreground",)),
        "storage": Option(str, None, 'storage = "none": no VOLUME_GROUP on purpose (another '
                          "resource group holds the disk); needs storage_reason",
                          choices=("none",)),
        "storage_reason": Option(str, None, 'why storage = "none" is safe (rendered into '
                                 "clmgr-commands.sh)",
                                 check=lambda v: None if v.strip() == v and v
                                 else f"{v!r} must be non-empty, unpadded"),
        "monitor_interval": Option(int, 10, "seconds between monitor runs (a failed site waits "
                                   "up to this long before PowerHA acts); a monitor that takes "
                                   "longer is hung", minimum=1, maximum=1024),
        "hung_signal": Option(int, 9, "signal for a hung monitor", minimum=1, maximum=63),
        "stabilization": Option(int, 60, "seconds after start before monitoring begins",
                                minimum=1, maximum=3600),
        "restart_count": Option(int, 0, "local restarts before the failure action (0: fall "
                                "over at once, like the manual's watcher service)", minimum=0,
                                maximum=100),
        "failure_action": Option(str, "fallover", "what PowerHA does when restarts are used up",
                                 choices=("fallover", "notify")),
    }
    def validate(self) -> None:
        c = self.cluster
        if c.product.name not in PRODUCTS:
            raise ConfigError(
                "PowerHA SystemMirror runs on AIX and Linux, not "
                f"{c.product.name!r} (use jobcenter-aix or jobcenter-linux)",
                source=c.source, field="cluster.product")
        self.require_plain_paths("PowerHA runs the scripts as root, with a fixed PATH")
        objects = Unique(c.source, "PowerHA names are unique")
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.powerha"
            for key in ("resource_group", "application_controller", "application_monitor"):
                objects.add(opts[key], f"{where}.{key}")
            if opts["storage"] == "none":
                if opts["volume_group"]:
                    raise ConfigError("\"none\" contradicts "
                                      "volume_group (remove one of them)",
                                      source=c.source, field=f"{where}.storage")
                if not opts["storage_reason"]:
                    raise ConfigError(
                        "is required with storage = "
                        f"\"none\" (say why PowerHA may start the site without varying on "
                        f"the volume group of {site.database})",
                        source=c.source, field=f"{where}.storage_reason", code=REQUIRED)
            elif not opts["volume_group"]:
                raise ConfigError(
                    "is required: without it PowerHA starts "
                    f"JobCenter without its shared disk; name the volume group holding "
                    f"{site.database}, or set storage = \"none\" with storage_reason when "
                    "another resource group holds it",
                    source=c.source, field=f"{where}.volume_group", code=REQUIRED)
            elif opts["storage_reason"]:
                raise ConfigError("only goes with "
                                  "storage = \"none\"", source=c.source, field=f"{where}.storage_reason")
        stop = stop_seconds(c)
        if self.options["max_event_time"] <= stop:
            raise ConfigError(
                f"{self.options['max_event_time']} s is not "
                f"longer than the stop deadline ({stop} s); a normal stop would raise "
                f"config_too_long: raise the cluster's event duration and this value above "
                f"{stop}", source=c.source, field="powerha.max_event_time")
        nodes = [self.node_name(n.name) for n in c.nodes]
        if len(set(nodes)) != len(nodes):
            raise ConfigError("the nodes' short names are not "
                              'unique; use node_names = "full"', source=c.source, field="powerha.node_names")

    def script_path(self) -> str:
        """PATH of the rendered scripts: fixed system directories, then PowerHA's utilities."""
        dirs = [*SYSTEM_PATH.split(":"), PHA_UTILITIES]
        clmgr_dir = os.path.dirname(self.options["clmgr"])
        if clmgr_dir not in dirs:
            dirs.append(clmgr_dir)
        return ":".join(dirs)

    def node_name(self, name: str) -> str:
        return name if self.options["node_names"] == "full" else name.split(".")[0]

    def paths(self, site: Site) -> dict[str, str]:
        o = self.options
        short = site.short_name
        d = o["script_dir"].rstrip("/")
        return {
            "start": f"{d}/jobcenter-{short}-start.sh",
            "stop": f"{d}/jobcenter-{short}-stop.sh",
            "monitor": f"{d}/jobcenter-{short}-monitor.sh",
            "log": f"{o['log_dir'].rstrip('/')}/jobcenter-{short}.log",
            "pidfile": f"{o['run_dir'].rstrip('/')}/jobcenter-{short}.cjcpw.pid",
        }

    def clmgr_calls(self, site: Site) -> list[list[str]]:
        """The clmgr command lines (without the clmgr path), in order."""
        o = self.site_opts(site)
        p = self.paths(site)
        calls: list[list[str]] = []
        if o["add_service_ip"]:
            ip = ["add", "service_ip", o["service_label"], f"NETWORK={o['network']}"]
            if o["netmask"]:
                ip.append(f"NETMASK={o['netmask']}")
            calls.append(ip)
        ctl = ["add", "application_controller", o["application_controller"],
               f"STARTSCRIPT={p['start']}", f"STOPSCRIPT={p['stop']}"]
        ctl.append(f"STARTUP_MODE={o['startup_mode']}")
        calls.append(ctl)
        if site.monitor:
            calls.append([
                "add", "application_monitor", o["application_monitor"], "TYPE=Custom",
                f"APPLICATIONS={o['application_controller']}", "MODE=longrunning",
                f"MONITORMETHOD={p['monitor']}", f"MONITORINTERVAL={o['monitor_interval']}",
                f"HUNGSIGNAL={o['hung_signal']}", f"STABILIZATION={o['stabilization']}",
                f"RESTARTCOUNT={o['restart_count']}", f"FAILUREACTION={o['failure_action']}",
                f"CLEANUPMETHOD={p['stop']}", f"RESTARTMETHOD={p['start']}"])
        rg = ["add", "resource_group", o["resource_group"],
              "NODES=" + ",".join(self.node_name(n.name) for n in self.cluster.nodes),
              f"STARTUP={o['startup']}", f"FALLOVER={o['fallover']}",
              f"FALLBACK={o['fallback']}", f"SERVICE_LABEL={o['service_label']}",
              f"APPLICATIONS={o['application_controller']}"]
        if o["volume_group"]:
            rg.append(f"VOLUME_GROUP={o['volume_group']}")
        calls.append(rg)
        calls.append(["sync", "cluster"])
        return calls

    def render(self) -> list[Artifact]:
        r = self.renderer()
        out: list[Artifact] = []
        for site in self.sites:
            d = site.short_name
            cmd = self.commands(
                site, {"keep_port": "keep-port",
                       "start": "start" if site.monitor else "start-unwatched",
                       "stop": "stop", "monitor": "monitor"},
                stop_timeout=stop_seconds(self.cluster))
            if self.cluster.supervisor == "cjcpw":
                cmd["cjcls"] = self.native_argv("cjcls")  # the stop's check of what is left
            ctx = {"script_path": self.script_path(),
                   "cluster": self.cluster, "site": site, "opts": self.site_opts(site),
                   "global": self.options, "cmd": cmd, "paths": self.paths(site),
                   "calls": self.clmgr_calls(site), "stop": stop_seconds(self.cluster),
                   "nodes": [self.node_name(n.name) for n in self.cluster.nodes]}
            out += [
                Artifact(f"{d}/jobcenter-{d}-start.sh", r.render("start.sh.j2", **ctx), 0o755,
                         "sh", site.name),
                Artifact(f"{d}/jobcenter-{d}-stop.sh", r.render("stop.sh.j2", **ctx), 0o755,
                         "sh", site.name),
            ]
            if site.monitor:
                out.append(Artifact(f"{d}/jobcenter-{d}-monitor.sh",
                                    r.render("monitor.sh.j2", **ctx), 0o755, "sh", site.name))
            out += [
                Artifact(f"{d}/clmgr-commands.sh", r.render("clmgr-commands.sh.j2", **ctx),
                         0o755, "sh", site.name),
                Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644, "text",
                         site.name),
            ]
        return out

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        """The manual's example names no volume group: the example uses ``jobvg`` (required)."""
        return {"site": [{"powerha": {"volume_group": "jobvg"}}]}

    def graph_resources(self, site: Site) -> GraphResources:
        """The resource group: the application controller starts once the group holds its
        service IP label and volume group(s)."""
        o = self.site_opts(site)
        app = o["application_controller"]
        res = [("ip", f"service IP label {o['service_label']}\n{site.address}", "address")]
        if o["volume_group"]:
            res.append(("vg", f"volume group\n{o['volume_group']} ({site.database})", "disk"))
        else:
            res.append(("vg", f"shared disk, not in the group\n{site.database}", "other"))
        res.append((app, f"application controller {app}\nmonitor {o['application_monitor']}",
                    "jobcenter"))
        links = [(r[0], app) for r in res[:-1] if r[2] != "other"]
        return f"resource group {o['resource_group']} ({site.name})", res, links
