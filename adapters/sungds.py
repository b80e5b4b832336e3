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

import re
from collections.abc import Iterator, Sequence

from jobcenter_cluster.adapter import (
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
    check_fixed_path,
    command_lines,
    keep_port_not_first,
    path_not_fixed,
)
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Site, check_hostname, check_path
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

# typing stays off the monitor's import path (see jobcenter_cluster.adapter)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RuleResult = tuple[str, "str | None", "int | None"]

#: time the sun22 stop method needs besides the stop itself (logging).
STOP_MARGIN = 10
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
#: probe statuses GDS understands: 0..100 (100 = complete failure) and 201 (fail over now).
PROBE_OK, PROBE_FAILED, PROBE_FAILOVER = 0, 100, 201
#: the nqs port, the one the manual names (nqsportkpr holds it, §4.12.5).
NQS_PORT = "607/tcp"

# Solaris Cluster resource and resource-group names: a letter, then letters, digits, '-', '_'
# (rg_properties(5)/r_properties(5) "names"); we cap the length at 64.
_SC_NAME = LazyPattern(r"^[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
# Paths that stand unquoted in a GDS command property (passed to a shell by GDS) or in the
# HAStoragePlus FilesystemMountPoints list (comma-separated, from /etc/vfstab: no blanks).
_SAFE_PATH = LazyPattern(r"^/[A-Za-z0-9_.+@%:=/-]*\Z")
_NETIF = LazyPattern(r"^[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.-]{1,64}\Z")
_PORT = LazyPattern(r"^([0-9]{1,5})/(tcp|udp)\Z")


# --------------------------------------------------------------------------- option checks


def sc_name(value: str) -> str | None:
    if not _SC_NAME.match(value):
        return (f"{value!r} is not a Solaris Cluster resource name (a letter, then up to 63 "
                "letters, digits, '-' or '_')")
    return None


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


def _ipmp(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value) else (
        f"{value!r} is not an IPMP group name (letters, digits, '_', '.', '-')")


def _prefix(site: Site | None) -> str:
    assert site is not None
    return f"jc-{site.short_name}"[:56].rstrip("-")


def min_stop_timeout(stop: int) -> int:
    """The smallest Stop_timeout whose Stop_command share (80 %) covers the stop and the
    clean-up margin, and never below GDS's default 300."""
    import math

    return max(GDS_DEFAULT_STOP_TIMEOUT,
               int(math.floor((stop + GDS_STOP_MARGIN) / GDS_STOP_SHARE)) + 1)


# --------------------------------------------------------------------------- shell parsing helpers
# (shared with the sun22 adapter)


def logical_lines(f: SourceFile) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: backslash continuations joined,
    comments and blank lines dropped."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for i, raw in enumerate(f.lines):
        text = raw.strip()
        if not buf and (not text or text.startswith("#")):
            continue
        if not buf:
            start = i + 1
        if text.endswith("\\"):
            buf.append(text[:-1])
            continue
        buf.append(text)
        out.append((start, " ".join(buf)))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def words(text: str) -> list[str]:
    """Shell words of one logical line, with ``; | & ( )`` as separate tokens."""
    import shlex

    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:
        return text.split()


_SEPARATORS = {";", ";;", "&&", "||", "|", "&", "(", ")", "then", "else", "do", "{", "}"}


def invocations(f: SourceFile, command: str) -> list[tuple[int, list[str]]]:
    """Every call of `command` (by basename, also after ``run``/``exec``): (line, arguments)."""
    out = []
    for n, text in logical_lines(f):
        if command not in text:
            continue
        toks = words(text)
        for i, tok in enumerate(toks):
            if tok.rsplit("/", 1)[-1] != command:
                continue
            if i and toks[i - 1].startswith(("-", "'")) and toks[i - 1] not in _SEPARATORS:
                continue
            args = []
            for t in toks[i + 1:]:
                if t in _SEPARATORS or t.startswith((">", "2>")):
                    break
                args.append(t)
            out.append((n, args))
    return out


_FUNC_START = LazyPattern(r"^(?:function\s+)?[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)\s*\{?\s*$|"
                         r"^function\s+[A-Za-z_][A-Za-z0-9_]*\s*\{?\s*$")
_SETUP = LazyPattern(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*$|export\b|cd\s+/\s*(\|\|.*)?$|umask\b|"
                    r"set\s+-|unset\b|log\b|:\s*$|readonly\b)")


def main_commands(f: SourceFile) -> list[tuple[int, str]]:
    """The command lines of a script outside its function definitions, without set-up lines
    (assignments, export, ``cd /``, umask, set, log)."""
    out: list[tuple[int, str]] = []
    depth = 0
    in_func = False
    for n, text in command_lines(f.lines):
        if not in_func and _FUNC_START.match(text):
            in_func = True
            depth = text.count("{")
            continue
        if in_func:
            code = text.split(" #", 1)[0]
            depth += code.count("{") - code.count("}")
            if depth <= 0 and "}" in code:
                in_func = False
            continue
        if _SETUP.match(text):
            continue
        out.append((n, text))
    return out


def literal_exits(f: SourceFile) -> list[tuple[int, int]]:
    """(line, code) of every ``exit N`` with a literal number."""
    out = []
    for n, text in command_lines(f.lines):
        for m in re.finditer(r"\bexit\s+([0-9]+)\b", text):
            out.append((n, int(m.group(1))))
    return out


# --------------------------------------------------------------------------- the adapter


class SunGdsAdapter(Adapter):
    """Sun Cluster 3.0-3.2 / Oracle Solaris Cluster: LogicalHostname + HAStoragePlus + SUNW.gds."""

    name = "sungds"
    product = "Oracle Solaris Cluster / Sun Cluster 3.0-3.2 (Generic Data Service, SUNW.gds)"
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
    agent_actions = {
        "start": AgentAction("watch", "GDS Start_command (through start.sh): start the site "
                             "and watch it in the foreground; PMF watches this process"),
        "stop": AgentAction("stop", "GDS Stop_command (through stop.sh): stop the site and "
                            "whatever of it is left"),
        "probe": AgentAction("status", "GDS Probe_command: 0 healthy, 100 failed (restart or "
                             "fail over per Retry_count), 201 fail over at once"),
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in start.sh"),
        "validate": AgentAction("validate", "can this node run the site (for operators)"),
    }
    # GDS: Start/Stop_command 0 = success, anything else = failure; Probe_command 0..100 and 201.
    exit_codes = {
        ("start", Outcome.SUCCESS): 0,
        ("stop", Outcome.SUCCESS): 0,
        ("probe", Outcome.RUNNING): PROBE_OK,
        ("probe", Outcome.MAINTENANCE): PROBE_OK,
        ("probe", Outcome.STOPPED): PROBE_FAILED,
        ("probe", Outcome.FAILED): PROBE_FAILED,
        ("probe", Outcome.INVALID): PROBE_FAILED,
        ("probe", Outcome.UNRECOVERABLE): PROBE_FAILOVER,
        ("probe", Outcome.NOT_INSTALLED): PROBE_FAILOVER,
        ("keep-port", Outcome.SUCCESS): 0,
        ("validate", Outcome.SUCCESS): 0,
    }
    default_exit_code = 1

    # ---- validation

    def validate(self) -> None:
        c = self.cluster
        if c.windows:
            raise ConfigError(f"{c.source}: cluster.product: Sun Cluster runs on Solaris, not "
                              f"{c.product.name!r} (use a POSIX product such as jobcenter-solaris)")
        if c.supervisor == "jccluster":
            why = safe_path(c.jccluster)
            if why:
                raise ConfigError(f"{c.source}: cluster.jccluster: {why} (GDS runs the commands "
                                  "without a known PATH: give the absolute path)")
        opts = self.options
        seen: dict[str, str] = {}
        for site in c.sites:
            where = f"{site.where}.{self.name}"
            s = self.site_opts(site)
            if not site.monitor:
                raise ConfigError(
                    f"{c.source}: {site.where}.monitor: false cannot be represented with GDS "
                    "(PMF watches the Start_command's process, the JobCenter watcher); remove "
                    "'monitor = false'")
            for key in ("resource_group", "lh_resource", "hasp_resource", "gds_resource"):
                if s[key] in seen:
                    raise ConfigError(f"{c.source}: {where}.{key}: {s[key]!r} is already used by "
                                      f"{seen[s[key]]} (resource and group names must be unique "
                                      "in the cluster)")
                seen[s[key]] = f"{where}.{key}"
            mount = s["mount_point"] or site.database
            if s["mount_point"] is None:
                why = safe_path(mount)
                if why:
                    raise ConfigError(
                        f"{c.source}: {site.where}.database: {why}; set {where}.mount_point to "
                        "the shared file system's mount point")
            if site.database != mount and not site.database.startswith(mount.rstrip("/") + "/"):
                raise ConfigError(f"{c.source}: {where}.mount_point: {mount!r} does not contain "
                                  f"the database {site.database!r} (give the mount point of the "
                                  "shared file system holding it)")
        if not opts["nodes"]:
            raise ConfigError(f"{c.source}: {self.name}.nodes: must name at least one node")
        stop = stop_seconds(c)
        given = opts["stop_timeout"]
        if given is not None and given < min_stop_timeout(stop):
            raise ConfigError(
                f"{c.source}: {self.name}.stop_timeout: {given} s is too short: GDS gives the "
                f"Stop_command 80 % of it, the stop needs {stop} s plus {GDS_STOP_MARGIN} s of "
                f"clean-up, and GDS's default is {GDS_DEFAULT_STOP_TIMEOUT}; use at least "
                f"{min_stop_timeout(stop)}")

    # ---- rendering

    def timeouts(self) -> dict[str, int]:
        import math

        o = self.options
        stop = stop_seconds(self.cluster)
        default_stop = int(math.ceil(min_stop_timeout(stop) / 10.0)) * 10
        return {"start": o["start_timeout"], "stop": o["stop_timeout"] or default_stop,
                "probe": o["probe_timeout"], "stop_seconds": stop}

    def commands(self, site: Site) -> dict[str, list[str]]:
        if self.cluster.supervisor == "cjcpw":
            return {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "watch": self.native_argv("cjcpw", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
                "probe": [],
                "cjcls": self.native_argv("cjcls"),
                "daemon_conf": [f"{self.cluster.install_prefix.rstrip('/')}/rc/daemon.conf",
                                f"{site.database.rstrip('/')}/etc/daemon.conf"],
            }
        return {
            "keep_port": self.agent_argv("keep-port", site, database=False),
            "watch": self.agent_argv("start", site),
            "stop": self.agent_argv("stop", site, database=False),
            "probe": self.agent_argv("probe", site),
            "cjcls": [],
            "daemon_conf": [],
        }

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
            "cmd": self.commands(site),
            "t": self.timeouts(),
            "deps": f"{s['lh_resource']},{s['hasp_resource']}",
            "ports": ",".join(o["port_list"]),
            "shell": "/usr/xpg4/bin/sh",
            "setup": self.setup_commands(site),
        }

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
        out: list[Artifact] = []
        for site in self.sites:
            ctx = self.context(site)
            d = site.short_name
            for name, mode in (("register.sh", 0o755), ("register-scrgadm.sh", 0o755),
                               ("start.sh", 0o755), ("stop.sh", 0o755), ("probe.sh", 0o755)):
                out.append(Artifact(f"{d}/{name}", r.render(f"{name}.j2", **ctx), mode, "sh",
                                    site.name))
            out.append(Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644,
                                "text", site.name))
        return out

    # ---- rules

    @classmethod
    def rules(cls) -> list[Rule]:
        man = "JobCenter manual §4.12.5"
        guide = "Sun Cluster Data Services Developer's Guide (819-2972)"
        return [
            Rule("GDS-DEPENDENCIES", "the GDS resource depends on the LogicalHostname and the "
                 "HAStoragePlus resource", man + " (Resource_dependencies)", _rule_dependencies),
            Rule("GDS-NETWORK-RESOURCES", "Network_resources_used names the LogicalHostname "
                 "resource", man + " (Network_resources_used)", _rule_network_resources),
            Rule("GDS-PORT-LIST", "Port_list includes the nqs port 607/tcp",
                 man + " (Port_list); " + guide + ", Required GDS Properties", _rule_port_list),
            Rule("GDS-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
                 "start wrapper", man + " (nqsportkpr must run first)", _rule_keep_port_first),
            Rule("GDS-WATCHER-FOREGROUND", "the start wrapper execs the watcher in the "
                 "foreground (PMF watches it)", man + " (cjcpw as the data service); " + guide
                 + ", Child_mon_level Property", _rule_watcher_foreground),
            Rule("GDS-CHILD-MON-LEVEL", "Child_mon_level is 0 (the watcher alone)",
                 guide + ", Child_mon_level Property; pmfadm(1M) -C", _rule_child_mon_level,
                 severity="warning"),
            Rule("GDS-STOP-TIMEOUT", "Stop_timeout is at least GDS's default 300 s and 80 % of "
                 "it covers the stop deadline and its clean-up",
                 guide + ", Stop_command Property (80 % / 15 %); manual §3.3.7 (cjcpw -stop "
                 "takes 1-2 minutes); engine stop deadline", _rule_stop_timeout),
            Rule("GDS-STOP-COMMAND", "the stop wrapper stops the site (cjcpw -stop / agent "
                 "stop)", man + " (Stop_command)", _rule_stop_command),
            Rule("GDS-PROBE-EXIT", "the probe exits only 0, 100 or 201",
                 guide + ", Probe_command Property", _rule_probe_exit),
            Rule("GDS-ABSOLUTE-COMMAND", "Start/Stop/Probe_command are absolute paths",
                 guide + ", Start_command Property (passed to a shell, no PATH assumed)",
                 _rule_absolute),
            Rule("GDS-FAILOVER-MODE", "the resource sets Failover_mode, not the deprecated "
                 "Failover_enabled", "Sun Cluster Data Services Developer's Guide (820-2559), "
                 "Failover_enabled Property (use Failover_mode); r_properties(5)",
                 _rule_failover_mode),
            Rule("GDS-PROBE-MAINTENANCE", "a cjcls-based probe answers healthy for a site in "
                 "maintenance (maintenance=ON in daemon.conf)", "JobCenter manual §4.12.6 "
                 "(cjcls SHUT), §2.10.2 (daemon.conf); SPEC (maintenance=ON: the watcher "
                 "starts, the daemons do not)", _rule_probe_maintenance),
            Rule("GDS-FIXED-PATH", "every rendered script sets PATH to fixed directories "
                 "before any command", "issue 16 (scripts run as root must not search the "
                 "caller's PATH)", _rule_fixed_path),
        ]

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The resource group: the SUNW.gds resource's Resource_dependencies are the
        LogicalHostname and the HAStoragePlus resources (register.sh)."""
        o = self.site_opts(site)
        res = [(o["lh_resource"], f"{o['lh_resource']}\nLogicalHostname {o['logical_hostname']}",
                "address"),
               (o["hasp_resource"], f"{o['hasp_resource']}\nSUNW.HAStoragePlus "
                f"{o['mount_point'] or site.database}", "disk"),
               (o["gds_resource"], f"{o['gds_resource']}\nSUNW.gds (start.sh, stop.sh, probe.sh)",
                "jobcenter")]
        links = [(o["lh_resource"], o["gds_resource"]), (o["hasp_resource"], o["gds_resource"])]
        return f"resource group {o['resource_group']} ({site.name})", res, links


# --------------------------------------------------------------------------- check rules


def _props(args: Sequence[str], flags: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, a in enumerate(args[:-1]):
        if a in flags and "=" in args[i + 1]:
            k, v = args[i + 1].split("=", 1)
            out[k.rstrip("+")] = v
    return out


_VALUED = {"-g", "-t", "-p", "-x", "-y", "-h", "-N", "-n", "-j", "-l", "-R", "-Z", "-T"}


def resources(f: SourceFile) -> list[dict[str, Any]]:
    """Resources a registration script creates: name, kind (lh/hasp/gds/other), props, line."""
    out: list[dict[str, Any]] = []
    for n, args in invocations(f, "clresource"):
        if args[:1] != ["create"]:
            continue
        rest = args[1:]
        rtype = next((rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "-t"), "")
        name = _last_operand(rest)
        out.append({"name": name, "kind": _kind(rtype), "props": _props(rest, ("-p",)),
                    "line": n})
    for n, args in invocations(f, "clreslogicalhostname"):
        if args[:1] == ["create"]:
            out.append({"name": _last_operand(args[1:]), "kind": "lh", "props": {}, "line": n})
    for n, args in invocations(f, "scrgadm"):
        if "-a" not in args or "-j" not in args:
            continue
        name = args[args.index("-j") + 1] if args.index("-j") + 1 < len(args) else ""
        rtype = args[args.index("-t") + 1] if "-t" in args and args.index("-t") + 1 < len(
            args) else ""
        kind = "lh" if "-L" in args else _kind(rtype)
        out.append({"name": name, "kind": kind, "props": _props(args, ("-x", "-y")), "line": n})
    return out


def _last_operand(args: Sequence[str]) -> str:
    i, last = 0, ""
    while i < len(args):
        if args[i] in _VALUED:
            i += 2
            continue
        if not args[i].startswith("-"):
            last = args[i]
        i += 1
    return last


def _kind(rtype: str) -> str:
    base = rtype.split(":", 1)[0]
    return {"SUNW.gds": "gds", "gds": "gds", "SUNW.HAStoragePlus": "hasp",
            "SUNW.LogicalHostname": "lh"}.get(base, "other")


def _registration_files(ctx: CheckContext) -> list[SourceFile]:
    return [f for f in ctx.files_of(("sh", "ksh", "bash"))
            if re.search(r"(^|/)register[^/]*\.sh$", f.path)]


def _gds_resources(ctx: CheckContext) -> Iterator[tuple[SourceFile, dict[str, Any],
                                                        list[dict[str, Any]]]]:
    for f in _registration_files(ctx):
        res = resources(f)
        for r in res:
            if r["kind"] == "gds":
                yield f, r, res


def _list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _rule_dependencies(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, res in _gds_resources(ctx):
        deps = set(_list(gds["props"].get("Resource_dependencies")))
        for kind, what in (("lh", "LogicalHostname"), ("hasp", "HAStoragePlus")):
            names = [r["name"] for r in res if r["kind"] == kind]
            if not names:
                yield (f"the script creates no {what} resource for {gds['name']} to depend on",
                       f.path, gds["line"])
            for name in names:
                if name not in deps:
                    yield (f"{gds['name']}: Resource_dependencies lacks the {what} resource "
                           f"{name!r}: JobCenter could start before its address / disk",
                           f.path, gds["line"])


def _rule_network_resources(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, res in _gds_resources(ctx):
        used = set(_list(gds["props"].get("Network_resources_used")))
        lhs = {r["name"] for r in res if r["kind"] == "lh"}
        if not used & lhs:
            yield (f"{gds['name']}: Network_resources_used does not name the LogicalHostname "
                   f"resource ({', '.join(sorted(lhs)) or 'none created'})", f.path, gds["line"])


def _rule_port_list(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        ports = _list(gds["props"].get("Port_list"))
        if NQS_PORT not in ports:
            yield (f"{gds['name']}: Port_list {ports or 'unset'} lacks the nqs port {NQS_PORT}",
                   f.path, gds["line"])


def _rule_child_mon_level(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        level = gds["props"].get("Child_mon_level", "-1 (default)")
        if level != "0":
            yield (f"{gds['name']}: Child_mon_level is {level}: PMF would also watch the "
                   "JobCenter daemons and miss the watcher's death (use 0)", f.path, gds["line"])


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    stop = stop_seconds(ctx.cluster)
    for f, gds, _res in _gds_resources(ctx):
        value = gds["props"].get("Stop_timeout", "300")
        if not value.isdigit():
            yield f"{gds['name']}: Stop_timeout {value!r} is not a number", f.path, gds["line"]
        elif int(value) < min_stop_timeout(stop):
            yield (f"{gds['name']}: Stop_timeout {value} s gives the Stop_command only "
                   f"{int(int(value) * GDS_STOP_SHARE)} s; the stop needs {stop} s plus "
                   f"{GDS_STOP_MARGIN} s of clean-up, and GDS's default is "
                   f"{GDS_DEFAULT_STOP_TIMEOUT} (use at least {min_stop_timeout(stop)})",
                   f.path, gds["line"])


def _rule_failover_mode(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        if "Failover_enabled" in gds["props"]:
            yield (f"{gds['name']}: Failover_enabled is deprecated: set Failover_mode instead "
                   "(SOFT; RESTART_ONLY for Failover_enabled=FALSE)", f.path, gds["line"])
        elif gds["props"].get("Failover_mode", "SOFT").upper() not in FAILOVER_MODES:
            yield (f"{gds['name']}: Failover_mode {gds['props']['Failover_mode']!r} is not one "
                   f"of {', '.join(FAILOVER_MODES)}", f.path, gds["line"])


def _rule_probe_maintenance(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "probe"):
        code = "\n".join(t for _n, t in command_lines(f.lines))
        if "cjcls" in code and not ("daemon.conf" in code and "maintenance" in code):
            yield ("the probe reads cjcls but not daemon.conf's maintenance setting: a site in "
                   "maintenance (SHUT) would probe as failed and be restarted or failed over in "
                   "a loop", f.path, None)


def _rule_fixed_path(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if re.search(r"(^|/)(register[^/]*|start|stop|probe)\.sh$", f.path):
            finding = path_not_fixed(f)
            if finding:
                yield finding


def _rule_absolute(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        for key in ("Start_command", "Stop_command", "Probe_command"):
            value = gds["props"].get(key)
            if value is not None and not value.startswith("/"):
                yield f"{gds['name']}: {key} {value!r} must be an absolute path", f.path, gds["line"]


def _wrappers(ctx: CheckContext, name: str) -> list[SourceFile]:
    return [f for f in ctx.files_of(("sh", "ksh", "bash"))
            if re.search(rf"(^|/){name}\.sh$", f.path)]


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "start"):
        body = main_commands(f)
        finding = keep_port_not_first(body[0] if body else None, f.path)
        if finding:
            yield finding


_WATCHER = LazyPattern(r"cjcpw\"?\s|\bagent\s+\S+\s+start\b")


def _rule_watcher_foreground(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "start"):
        body = main_commands(f)
        starts = [(n, t) for n, t in body if _WATCHER.search(t + " ")]
        if not starts:
            yield "the start wrapper does not run the watcher (cjcpw / agent start)", f.path, None
            continue
        n, text = starts[-1]
        if re.search(r"cjcpw\"?\s+(\S+\s+)*-c\b", text):
            yield ("the watcher is started with -c (no watching): PMF would see it exit",
                   f.path, n)
        elif text.rstrip().endswith("&"):
            yield "the watcher runs in the background: PMF watches the wrapper instead", f.path, n
        elif not text.startswith("exec "):
            yield ("the watcher is not exec'd: the wrapper shell, not the watcher, is PMF's "
                   "level 0 (write 'exec' before it)", f.path, n)


_STOP = LazyPattern(r"cjcpw\"?\s+-stop\b|\bagent\s+\S+\s+stop\b")


def _rule_stop_command(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "stop"):
        if not any(_STOP.search(t) for _n, t in main_commands(f)):
            yield ("the stop wrapper does not stop the site (add cjcpw -stop SITE or jccluster "
                   "agent sungds stop SITE)", f.path, None)


def _rule_probe_exit(ctx: CheckContext) -> Iterator[RuleResult]:
    allowed = {PROBE_OK, PROBE_FAILED, PROBE_FAILOVER}
    for f in _wrappers(ctx, "probe"):
        for n, code in literal_exits(f):
            if code not in allowed:
                yield (f"exit {code}: GDS reads probe statuses 0 (healthy), 100 (failed) and 201 "
                       "(fail over now) only", f.path, n)
    if ctx.adapter_name == SunGdsAdapter.name:
        for action, outcome, code in SunGdsAdapter.exit_table():
            if action == "probe" and code not in allowed:
                yield (f"exit table: probe {outcome} -> {code} is not a GDS probe status",
                       None, None)
