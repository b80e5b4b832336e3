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
from collections.abc import Iterator

from jobcenter_cluster.adapter import (
    CJCPW_STOP_SECONDS,
    Adapter,
    AgentAction,
    Artifact,
    Option,
    Rule,
    stop_seconds,
)
from jobcenter_cluster.checks import (
    CheckContext,
    SourceFile,
    first_real_command,
    fixed_path_findings,
    keep_port_not_first,
    shell_function_body,
)
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Site, check_netmask, check_plain_path
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

# typing stays off the monitor's import path (see jobcenter_cluster.adapter)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Fixed system directories of the rendered scripts' PATH (then PowerHA's utilities), never the
#: caller's PATH: the scripts run as root.
SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
PHA_UTILITIES = "/usr/es/sbin/cluster/utilities"
#: The application_monitor attributes the adapter renders (names unverified, see above).
MONITOR_ATTRS = ("TYPE", "APPLICATIONS", "MODE", "MONITORMETHOD", "MONITORINTERVAL",
                 "HUNGSIGNAL", "STABILIZATION", "RESTARTCOUNT", "FAILUREACTION",
                 "CLEANUPMETHOD", "RESTARTMETHOD")

#: PowerHA's default "Max. Event-only Duration" (seconds) before config_too_long is raised.
DEFAULT_MAX_EVENT_TIME = 180

# PowerHA object names: 1-64 of A-Z a-z 0-9 _, not beginning with a digit.
_PHA_NAME = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_LABEL = LazyPattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}\Z")


def _pha_name(value: str) -> str | None:
    if not _PHA_NAME.match(value):
        return (f"{value!r} is not a PowerHA name (1-64 letters, digits and '_', not beginning "
                "with a digit)")
    return None


def _abs_path(value: str) -> str | None:
    return check_plain_path(value, "PowerHA takes script paths without arguments or quoting")


def _label(value: str) -> str | None:
    return None if _LABEL.match(value) else f"{value!r} is not an IP label (a host name)"


def _names_list(value: str) -> str | None:
    parts = value.split(",")
    if all(_PHA_NAME.match(p) for p in parts):
        return None
    return f"{value!r} must be volume group names (letters, digits, '_'), separated by commas"


def _base(site: Site | None) -> str:
    assert site is not None
    return "jobcenter_" + re.sub(r"[^A-Za-z0-9_]", "_", site.short_name)


class PowerHaAdapter(Adapter):
    """Start/stop/monitor scripts per site and the ``clmgr`` commands that register them."""

    name = "powerha"
    product = "IBM PowerHA SystemMirror (HACMP) for AIX and Linux"
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
                                 check=_pha_name),
        "application_controller": Option(str, lambda c, s: _base(s) + "_ctl", "the application "
                                         "controller name", check=_pha_name),
        "application_monitor": Option(str, lambda c, s: _base(s) + "_mon", "the custom "
                                      "application monitor name", check=_pha_name),
        "service_label": Option(str, lambda c, s: s.name if s else None, "the service IP label "
                                "(resolves to the site address; default: the site name)",
                                check=_label),
        "network": Option(str, "net_ether_01", "the PowerHA network of the service IP",
                          check=_pha_name),
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
    agent_actions = {
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in the start script"),
        "start": AgentAction("background", "start script: start the site with a detached "
                             "watcher; return once it is up"),
        "start-unwatched": AgentAction("start", "start without a watcher (monitor = false, "
                                       "cjcpw -c)"),
        "stop": AgentAction("stop", "stop script (and cleanup method): stop the site"),
        "monitor": AgentAction("status", "custom monitor method: 0 healthy, non-zero failed"),
    }
    exit_codes = {
        ("keep-port", Outcome.SUCCESS): 0,
        ("keep-port", Outcome.FAILED): 1,
        ("keep-port", Outcome.INVALID): 2,
        ("start", Outcome.SUCCESS): 0,
        ("start-unwatched", Outcome.SUCCESS): 0,
        ("stop", Outcome.SUCCESS): 0,
        ("stop", Outcome.FAILED): 1,
        ("stop", Outcome.INVALID): 2,
        ("monitor", Outcome.RUNNING): 0,
        ("monitor", Outcome.MAINTENANCE): 0,
        ("monitor", Outcome.FAILED): 1,
        ("monitor", Outcome.INVALID): 2,
        ("monitor", Outcome.STOPPED): 3,
        ("monitor", Outcome.UNRECOVERABLE): 5,
        ("monitor", Outcome.NOT_INSTALLED): 6,
        ("*", Outcome.FAILED): 1,
        ("*", Outcome.INVALID): 2,
        ("*", Outcome.UNRECOVERABLE): 5,
        ("*", Outcome.NOT_INSTALLED): 6,
        ("*", Outcome.UNSUPPORTED): 7,
    }
    default_exit_code = 1

    def validate(self) -> None:
        c = self.cluster
        if c.product.name not in ("jobcenter-linux", "simulator"):
            raise ConfigError(
                f"{c.source}: cluster.product: PowerHA SystemMirror runs on AIX and Linux, not "
                f"{c.product.name!r} (use jobcenter-linux: JobCenter for AIX has the same "
                "/usr/lib/nqs layout)")
        for value, where in [(c.jccluster, "cluster.jccluster"),
                             (c.install_prefix, "cluster.install_prefix"),
                             (c.spool_root, "cluster.spool_root")]:
            if value is not None and _abs_path(value):
                raise ConfigError(f"{c.source}: {where}: {value!r} cannot stand in the "
                                  "generated scripts' command lines (an absolute path of "
                                  "letters, digits and _ @ % + = : , . / -)")
        seen: dict[str, str] = {}
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.powerha"
            for key in ("resource_group", "application_controller", "application_monitor"):
                if opts[key] in seen:
                    raise ConfigError(f"{c.source}: {where}.{key}: {opts[key]!r} is already "
                                      f"used by {seen[opts[key]]} (PowerHA names are unique)")
                seen[opts[key]] = f"{where}.{key}"
            if opts["storage"] == "none":
                if opts["volume_group"]:
                    raise ConfigError(f"{c.source}: {where}.storage: \"none\" contradicts "
                                      "volume_group (remove one of them)")
                if not opts["storage_reason"]:
                    raise ConfigError(
                        f"{c.source}: {where}.storage_reason: is required with storage = "
                        f"\"none\" (say why PowerHA may start the site without varying on "
                        f"the volume group of {site.database})")
            elif not opts["volume_group"]:
                raise ConfigError(
                    f"{c.source}: {where}.volume_group: is required: without it PowerHA starts "
                    f"JobCenter without its shared disk; name the volume group holding "
                    f"{site.database}, or set storage = \"none\" with storage_reason when "
                    "another resource group holds it")
            elif opts["storage_reason"]:
                raise ConfigError(f"{c.source}: {where}.storage_reason: only goes with "
                                  "storage = \"none\"")
        stop = stop_seconds(c)
        if self.options["max_event_time"] <= stop:
            raise ConfigError(
                f"{c.source}: powerha.max_event_time: {self.options['max_event_time']} s is not "
                f"longer than the stop deadline ({stop} s); a normal stop would raise "
                f"config_too_long: raise the cluster's event duration and this value above "
                f"{stop}")
        names = [self.node_name(n.name) for n in c.nodes]
        if len(set(names)) != len(names):
            raise ConfigError(f"{c.source}: powerha.node_names: the nodes' short names are not "
                              'unique; use node_names = "full"')

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

    def commands(self, site: Site) -> dict[str, list[str]]:
        if self.cluster.supervisor == "cjcpw":
            return {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "watch": self.native_argv("cjcpw", site.name, site.database),
                "start": self.native_argv("cjcpw", "-c", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
            }
        return {
            "keep_port": self.agent_argv("keep-port", site, database=False),
            "start": self.agent_argv("start" if site.monitor else "start-unwatched", site),
            "stop": self.agent_argv("stop", site, database=False)
            + ["--timeout", str(stop_seconds(self.cluster))],
            "monitor": self.agent_argv("monitor", site, database=False),
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
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
        out: list[Artifact] = []
        for site in self.sites:
            d = site.short_name
            ctx = {"script_path": self.script_path(),
                   "cluster": self.cluster, "site": site, "opts": self.site_opts(site),
                   "global": self.options, "cmd": self.commands(site), "paths": self.paths(site),
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
    def rules(cls) -> list[Rule]:
        clmgr = "PowerHA SystemMirror 7.2, clmgr command"
        mon = "PowerHA SystemMirror 7.2, Configuring a custom application monitor"
        return [
            Rule("PHA-MONITOR-CUSTOM", "a monitored site has a Custom application monitor "
                 "whose method is the site's monitor script", mon, _rule_monitor_custom),
            Rule("PHA-SCRIPT-PATHS", "start, stop and monitor scripts are absolute paths "
                 "without arguments", "PowerHA application controller and monitor fields "
                 "(\"You cannot specify arguments\")", _rule_script_paths),
            Rule("PHA-START-RETURNS", "the start script returns: the watcher runs in the "
                 "background, never in the foreground", "PowerHA application controller "
                 "scripts; JobCenter manual §3.3 (cjcpw stays in the foreground)",
                 _rule_start_returns),
            Rule("PHA-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
                 "start script", "JobCenter manual §2.10.4 (nqsportkpr must run first)",
                 _rule_keep_port_first),
            Rule("PHA-STOP-TIMEOUT", "the stop deadline is shorter than the cluster's event "
                 "duration", "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); PowerHA "
                 "config_too_long (Max. Event-only Duration)", _rule_stop_timeout),
            Rule("PHA-REFERENCES", "the resource group holds the application controller, the "
                 "monitor watches it, and the script ends with clmgr sync cluster", clmgr,
                 _rule_references),
            Rule("PHA-NAMES", "PowerHA object names are 1-64 letters, digits and _",
                 "PowerHA application controller and monitor fields", _rule_names),
            Rule("PHA-NODES", "the resource group's NODES are the cluster file's nodes",
                 "cluster file", _rule_nodes),
            Rule("PHA-STORAGE", "the resource group holds the shared volume group, or the "
                 "script says why not (# storage = \"none\": REASON)",
                 "JobCenter manual §2 terms (the database lives on the shared disk)",
                 _rule_storage),
            Rule("PHA-STARTUP-FOREGROUND", "the application controller starts in the foreground "
                 "(STARTUP_MODE=foreground), so a failed start script is seen",
                 "PowerHA application controller startup mode (background ignores the start "
                 "script's exit status); attribute name unverified", _rule_startup_foreground),
            Rule("PHA-MONITOR-ATTRS", "application_monitor uses only the attribute names the "
                 "adapter renders (a misspelt one is not the monitor setting you meant)",
                 "PowerHA custom application monitor fields; clmgr attribute names unverified "
                 "(docs/adapters/powerha.md)", _rule_monitor_attrs),
            Rule("PHA-MONITOR-INTERVAL", f"the custom monitor runs at least every "
                 f"{MONITOR_INTERVAL_WARN} s (a failed site waits up to MONITORINTERVAL before "
                 "PowerHA acts)", "PowerHA SystemMirror 7.2, Monitor modes (long-running custom "
                 "monitors are called periodically, every Monitor Interval)",
                 _rule_monitor_interval, severity="warning"),
            Rule("PHA-FIXED-PATH", "every script sets PATH to fixed directories first",
                 "docs/engine.md security model (scripts run as root never inherit PATH)",
                 _rule_fixed_path),
        ]

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        """The manual's example names no volume group: the example uses ``jobvg`` (required)."""
        return {"site": [{"powerha": {"volume_group": "jobvg"}}]}
    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The resource group: the application controller starts once the group holds its
        service IP label and volume group(s)."""
        o = self.site_opts(site)
        app = o["application_controller"]
        res = [("ip", f"service IP label {o['service_label']}\n{site.address}", "address")]
        if o["volume_group"]:
            res.append(("vg", f"volume group\n{o['volume_group']}", "disk"))
        else:
            res.append(("vg", f"shared disk, not in the group\n{site.database}", "other"))
        res.append((app, f"application controller {app}\nmonitor {o['application_monitor']}",
                    "jobcenter"))
        links = [(r[0], app) for r in res[:-1] if r[2] != "other"]
        return f"resource group {o['resource_group']} ({site.name})", res, links


# --------------------------------------------------------------------------- check rules

Result = tuple[str, "str | None", "int | None"]


def parse_clmgr(f: SourceFile) -> list[tuple[int, str, str, str, dict[str, str]]]:
    """``(line, action, class, name, {ATTR: value})`` for every ``clmgr`` line of a script."""
    import shlex

    out = []
    for i, line in enumerate(f.text.split("\n")):
        s = line.strip(" \t")
        if not s.startswith("clmgr "):
            continue
        try:
            words = shlex.split(s, comments=True)
        except ValueError:
            continue
        args = words[1:]
        if len(args) < 2:
            continue
        action, klass = args[0].lower(), args[1].lower()
        rest = args[2:]
        name = rest[0] if rest and "=" not in rest[0] else ""
        attrs: dict[str, str] = {}
        for w in rest[1:] if name else rest:
            key, _, value = w.partition("=")
            attrs[key.upper()] = value
        out.append((i + 1, action, klass, name, attrs))
    return out


def _clmgr_files(ctx: CheckContext) -> Iterator[tuple[SourceFile, list[Any]]]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        calls = parse_clmgr(f)
        if calls:
            yield f, calls


def _adds(calls: list[Any], klass: str) -> list[Any]:
    return [c for c in calls if c[1] == "add" and c[2] == klass]


def _script(ctx: CheckContext, path: str) -> SourceFile | None:
    base = os.path.basename(path)
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if os.path.basename(f.path) == base:
            return f
    return None


def _rule_monitor_custom(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        monitors = _adds(calls, "application_monitor")
        folder = os.path.dirname(f.path)
        monitor_files = [g for g in ctx.files_of(("sh", "ksh", "bash"))
                         if os.path.dirname(g.path) == folder and g.path.endswith("-monitor.sh")]
        if monitor_files and not monitors:
            yield ("no application monitor: PowerHA would not notice the site failing (add "
                   "clmgr add application_monitor ... TYPE=Custom MONITORMETHOD=...)", f.path,
                   None)
        for line, _a, _k, name, attrs in monitors:
            if attrs.get("TYPE", "").lower() != "custom":
                yield (f"application monitor {name}: TYPE={attrs.get('TYPE', '')!r}; use "
                       "TYPE=Custom with the site's monitor script (a process monitor cannot "
                       "tell which site a daemon belongs to)", f.path, line)
            method = attrs.get("MONITORMETHOD", "")
            if not method:
                yield (f"application monitor {name}: MONITORMETHOD is missing", f.path, line)
            elif isinstance(ctx.adapter, PowerHaAdapter) and method not in {
                    ctx.adapter.paths(s)["monitor"] for s in ctx.adapter.sites}:
                yield (f"application monitor {name}: MONITORMETHOD {method} is not the site's "
                       "monitor script as installed ([powerha] script_dir)", f.path, line)
            elif ctx.files_of(("sh", "ksh", "bash")) and _script(ctx, method) is None:
                yield (f"application monitor {name}: MONITORMETHOD {method} is not the site's "
                       "monitor script", f.path, line)


def _rule_script_paths(ctx: CheckContext) -> Iterator[Result]:
    keys = {"application_controller": ("STARTSCRIPT", "STOPSCRIPT"),
            "application_monitor": ("MONITORMETHOD", "CLEANUPMETHOD", "RESTARTMETHOD")}
    for f, calls in _clmgr_files(ctx):
        for line, action, klass, name, attrs in calls:
            if action != "add" or klass not in keys:
                continue
            for key in keys[klass]:
                value = attrs.get(key)
                if value is not None and (not value.startswith("/") or re.search(r"\s", value)):
                    yield (f"{klass} {name}: {key}={value!r} must be an absolute path without "
                           "arguments (PowerHA passes none)", f.path, line)


_FOREGROUND_CJCPW = LazyPattern(r"(^|[\s/])cjcpw\s+(?!-c\b|-stop\b)")


def _start_scripts(ctx: CheckContext) -> Iterator[SourceFile]:
    found = False
    for _f, calls in _clmgr_files(ctx):
        for _line, _a, _k, _n, attrs in _adds(calls, "application_controller"):
            s = _script(ctx, attrs.get("STARTSCRIPT", ""))
            if s is not None:
                found = True
                yield s
    if not found:
        yield from (f for f in ctx.files_of(("sh", "ksh", "bash")) if f.path.endswith("-start.sh"))


def _rule_start_returns(ctx: CheckContext) -> Iterator[Result]:
    for f in _start_scripts(ctx):
        for n, line in enumerate(f.lines, 1):
            code = line.split("#", 1)[0].strip()
            if not code:
                continue
            if _FOREGROUND_CJCPW.search(code) and not code.endswith("&"):
                yield ("the watcher (cjcpw SITE DB) runs in the foreground: the start script "
                       "never returns and PowerHA's event hangs; run it in the background "
                       "(nohup ... &)", f.path, n)
            if re.search(r"\bagent\s+\S+\s+(watch|service)\b", code):
                yield ("jccluster agent ... watch runs in the foreground; use agent powerha "
                       "start (background watcher)", f.path, n)


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[Result]:
    for f in _start_scripts(ctx):
        body = shell_function_body(f, "start_site")
        if body is None:
            yield ("no start_site function: cannot see the start path", f.path, None)
            continue
        first = first_real_command(body, skip=lambda t: t.startswith("return"))
        finding = keep_port_not_first(first, f.path, "start_site")
        if finding:
            yield finding


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[Result]:
    limit = (ctx.adapter.options["max_event_time"] if ctx.adapter is not None
             else DEFAULT_MAX_EVENT_TIME)
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if not f.path.endswith("-stop.sh"):
            continue
        for n, line in enumerate(f.lines, 1):
            code = line.split("#", 1)[0]
            deadline = None
            m = re.search(r"\bagent\s+\S+\s+stop\b.*?--timeout[= ](\d+)", code)
            if m:
                deadline = int(m.group(1))
            elif re.search(r"\bagent\s+\S+\s+stop\b", code):  # the engine's default deadline
                from jobcenter_cluster.engine.api import DEFAULT_STOP_TIMEOUT

                deadline = int(DEFAULT_STOP_TIMEOUT)
            elif re.search(r"cjcpw\s+-stop\b", code):
                deadline = CJCPW_STOP_SECONDS
            if deadline is not None and deadline >= limit:
                yield (f"the stop may take {deadline} s, not less than the cluster's event "
                       f"duration ({limit} s): PowerHA raises config_too_long during a normal "
                       "stop; raise MAX_EVENT_TIME (and [powerha] max_event_time) or lower the "
                       "deadline", f.path, n)


def _rule_references(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        controllers = {c[3] for c in _adds(calls, "application_controller")}
        in_groups: set[str] = set()
        for line, _a, _k, name, attrs in _adds(calls, "resource_group"):
            apps = [a for a in attrs.get("APPLICATIONS", "").split(",") if a]
            in_groups.update(apps)
            for a in apps:
                if a not in controllers:
                    yield (f"resource group {name}: APPLICATIONS names {a}, which this script "
                           "does not add", f.path, line)
        for c in _adds(calls, "application_controller"):
            if c[3] not in in_groups:
                yield (f"application controller {c[3]} is in no resource group (add it with "
                       "APPLICATIONS=)", f.path, c[0])
        for line, _a, _k, name, attrs in _adds(calls, "application_monitor"):
            for a in [a for a in attrs.get("APPLICATIONS", "").split(",") if a]:
                if a not in controllers:
                    yield (f"application monitor {name} watches {a}, which this script does not "
                           "add", f.path, line)
        last_add = max((c[0] for c in calls if c[1] == "add"), default=0)
        if not any(c[1] == "sync" and c[2] == "cluster" and c[0] > last_add for c in calls):
            yield ("no 'clmgr sync cluster' after the changes: the other nodes never see them",
                   f.path, None)


def _rule_names(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        for line, action, klass, name, _attrs in calls:
            if action == "add" and klass in ("application_controller", "application_monitor",
                                              "resource_group") and not _PHA_NAME.match(name):
                yield f"{klass} name {name!r}: {_pha_name(name)}", f.path, line


def _rule_nodes(ctx: CheckContext) -> Iterator[Result]:
    if ctx.cluster is None:
        return
    full = ctx.adapter is not None and ctx.adapter.options.get("node_names") == "full"
    want = [n.name if full else n.short_name for n in ctx.cluster.nodes]
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "resource_group"):
            have = [n for n in attrs.get("NODES", "").split(",") if n]
            if sorted(have) != sorted(want):
                yield (f"resource group {name}: NODES {have} differ from the cluster file's "
                       f"nodes {want}", f.path, line)


_STORAGE_NONE = LazyPattern(r'^\s*#\s*storage\s*=\s*"none"\s*:\s*\S')


def _rule_storage(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        opted_out = any(_STORAGE_NONE.match(line) for line in f.lines)
        for line, _a, _k, name, attrs in _adds(calls, "resource_group"):
            if not attrs.get("VOLUME_GROUP") and not opted_out:
                yield (f"resource group {name}: no VOLUME_GROUP: PowerHA starts JobCenter "
                       "without its shared disk (set [site.powerha] volume_group, or storage = "
                       '"none" with storage_reason, rendered as # storage = "none": REASON)',
                       f.path, line)


def _rule_startup_foreground(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "application_controller"):
            mode = attrs.get("STARTUP_MODE", "")
            if mode.lower() != "foreground":
                yield (f"application controller {name}: STARTUP_MODE={mode or '(unset)'}; "
                       "use STARTUP_MODE=foreground: in background mode PowerHA ignores the "
                       "start script's exit status, so a failed start is never seen", f.path,
                       line)


def _rule_monitor_attrs(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "application_monitor"):
            for key in attrs:
                if key not in MONITOR_ATTRS:
                    import difflib

                    near = difflib.get_close_matches(key, MONITOR_ATTRS, n=1)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    yield (f"application monitor {name}: unknown attribute {key}{hint}; the "
                           f"adapter uses {', '.join(MONITOR_ATTRS)}", f.path, line)


#: a hand-edited MONITORINTERVAL above this is reported (issue 15: a custom monitor is the only
#: way PowerHA learns of a failed site, so its interval is the site's outage before recovery).
MONITOR_INTERVAL_WARN = 60


def _rule_monitor_interval(ctx: CheckContext) -> Iterator[Result]:
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "application_monitor"):
            value = attrs.get("MONITORINTERVAL", "")
            if value.isdigit() and int(value) > MONITOR_INTERVAL_WARN:
                yield (f"application monitor {name}: MONITORINTERVAL={value}: a failed site "
                       f"waits up to {value} s before PowerHA acts; use {MONITOR_INTERVAL_WARN} "
                       "or less (the rendered default is 10)", f.path, line)


def _rule_fixed_path(ctx: CheckContext) -> Iterator[Result]:
    yield from fixed_path_findings(ctx.files_of(("sh", "ksh", "bash")))
