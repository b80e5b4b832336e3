"""MC/ServiceGuard (HP-UX) and Serviceguard for Linux: legacy and modular packages.

Sources: the JobCenter manual §2.10.4 (HP-UX) and §2.11.7 (Linux) for the service, run and halt
commands; "Managing Serviceguard", 17th/18th ed. (service_cmd: absolute path, no PATH passed, run
by /usr/bin/sh; service_halt_timeout: SIGTERM, then SIGKILL after the timeout;
halt_script_timeout greater than the sum of service_halt_timeout) and "About External Scripts"
(entry points start/stop/validate; exit 0 success, 1 halt and do not restart, 2 restart on
another node; the script "can also call a function to source in a logging function and other
utility functions", template $SGCONF/examples/external_script.template). module_name and
module_version: "The module name ... Do not change it" / "The module version. Do not change it"
(Managing Serviceguard 17th-19th ed., Package Parameter Explanations). $SGCONF per OS: HP-UX
/etc/cmcluster (SGSBIN /usr/sbin); Linux "The different distributions may use different
locations": Red Hat /usr/local/cmcluster/conf, SUSE /opt/cmcluster/conf (SGSBIN .../bin)
(Managing HP Serviceguard for Linux, 6th ed., "Understanding the Location of Serviceguard Files").
"""

from __future__ import annotations

import os
import re

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
from jobcenter_cluster.model import check_plain_path
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

# Module-level imports stay light: `jccluster agent serviceguard status` imports this module on
# every call (see jobcenter_cluster.adapter).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from jobcenter_cluster.model import Cluster, Site

# Package and service names: "up to 39 characters; letters, digits, '.', '-', '_'; must begin
# and end with a letter or digit" (Managing Serviceguard, package_name, A.11.18 rules).
_SG_NAME = LazyPattern(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,37}[A-Za-z0-9])?\Z")
# What may stand unquoted in a Serviceguard configuration value and in a service command line.
_SG_PATH = LazyPattern(r"^/[A-Za-z0-9_@%+=:,./-]*\Z")



def _sg_name(value: str) -> str | None:
    if not _SG_NAME.match(value):
        return (f"{value!r} is not a Serviceguard name (1-39 letters, digits, '.', '_', '-', "
                "beginning and ending with a letter or digit)")
    return None


def _fs_path(value: str) -> str | None:
    return check_plain_path(value, "Serviceguard configuration values take no quoting")


def _subnet(value: str) -> str | None:
    from jobcenter_cluster.model import check_ipv4

    if value == "0.0.0.0":
        return None
    why = check_ipv4(value)
    return why and f"{value!r} is not an IPv4 subnet address (e.g. 10.17.21.0)"


def _default_package(_cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return f"jobcenter-{site.short_name}"[:39].rstrip("-._")


def _default_service(cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None and cluster is not None
    return "cjc" if len(cluster.sites) == 1 else f"cjc-{site.short_name}"[:39].rstrip("-._")


def _default_subnet(_cluster: Cluster | None, site: Site | None) -> str | None:
    """The site address's network under the cluster file's netmask; None (then refused) without
    one: never a guessed /24."""
    return site.subnet if site is not None else None


#: $SGCONF and $SGSBIN per OS / Linux distribution (see the module docstring).
SG_DIRS = {
    "hpux": ("/etc/cmcluster", "/usr/sbin"),
    "redhat": ("/usr/local/cmcluster/conf", "/usr/local/cmcluster/bin"),
    "suse": ("/opt/cmcluster/conf", "/opt/cmcluster/bin"),
}
#: Fixed system directories of the external script's PATH (then $SGSBIN), never the caller's.
SYSTEM_PATH = {"jobcenter-hpux": "/usr/bin:/usr/sbin:/sbin"}
LINUX_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
#: Module versions rendered in the modular package file. Unverified: no public cmmakepkg output
#: with versions was found; APPLY.txt has the operator compare with cmmakepkg's own lines.
MODULE_VERSION = 1


class ServiceGuardAdapter(Adapter):
    """Legacy (control script + ASCII configuration) and modular (A.11.18+) packages."""

    name = "serviceguard"
    product = "HP MC/ServiceGuard (HP-UX), Serviceguard for Linux (legacy and modular packages)"
    artifacts = (
        "{site}/legacy/{package}.conf",
        "{site}/legacy/{package}.cntl-customer-section",
        "{site}/modular/{package}.conf",
        "{site}/modular/jobcenter-{site}.sh",
        "{site}/APPLY.txt",
    )
    options_schema = {
        "distribution": Option(str, "redhat", "Linux only: the distribution's Serviceguard "
                               "layout ($SGCONF /usr/local/cmcluster/conf on Red Hat, "
                               "/opt/cmcluster/conf on SUSE)", choices=("redhat", "suse")),
        "etc_dir": Option(str, None, "Serviceguard's configuration directory on the nodes "
                          "($SGCONF; default: /etc/cmcluster on HP-UX, the distribution's on "
                          "Linux)", check=_fs_path),
        "sbin_dir": Option(str, None, "Serviceguard's command directory ($SGSBIN; default: "
                           "/usr/sbin on HP-UX, the distribution's on Linux)", check=_fs_path),
        "service_fail_fast_enabled": Option(bool, False, "halt the node when the service fails"),
        "auto_run": Option(bool, True, "start the package when the cluster starts"),
    }
    site_options_schema = {
        "package": Option(str, _default_package, "the package name", check=_sg_name),
        "service": Option(str, _default_service, "the service name (the manual's is cjc; "
                          "cjc-SITE when the file has several sites: Serviceguard wants service "
                          "names unique in the cluster)", check=_sg_name),
        "subnet": Option(str, _default_subnet, "the site address's subnet (ip_subnet / SUBNET); "
                         "default: its network under the site's netmask (then required)",
                         check=_subnet),
        "vg": Option(str, None, "the LVM volume group holding the shared disk",
                     check=lambda v: None if re.fullmatch(r"[A-Za-z0-9_.+-]+", v)
                     else f"{v!r} is not a volume group name"),
        "fs_name": Option(str, None, "the shared file system's device (e.g. /dev/vgjob/lvol1)",
                          check=_fs_path),
        "fs_directory": Option(str, lambda c, s: s.database if s else None,
                               "where the shared file system is mounted (default: the database "
                               "path)", check=_fs_path),
        "fs_type": Option(str, lambda c, s: "vxfs" if c and c.product.name == "jobcenter-hpux"
                          else "ext4", "the file system type",
                          check=lambda v: None if re.fullmatch(r"[a-z0-9]+", v)
                          else f"{v!r} is not a file-system type"),
        "fs_mount_opt": Option(str, "-o rw", "mount options",
                               check=lambda v: None if re.fullmatch(r"[-A-Za-z0-9 =,_.]+", v)
                               else f"{v!r}: use letters, digits, spaces and - = , _ ."),
        "service_halt_timeout": Option(int, None, "seconds between SIGTERM and SIGKILL of the "
                                       "service (default: long enough for the stop)",
                                       minimum=1, maximum=4294),
        "halt_script_timeout": Option(int, None, "seconds the halt may take (default: the "
                                      "service halt timeout plus the stop)", minimum=1,
                                      maximum=4294),
        "run_script_timeout": Option(int, None, "seconds the run may take (default: none)",
                                     minimum=1, maximum=4294),
    }
    agent_actions = {
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in every start path"),
        "service": AgentAction("watch", "SERVICE_CMD: start the site and watch it in the "
                               "foreground; its exit makes Serviceguard fail the package over"),
        "start": AgentAction("start", "start without watching (the no-monitoring variant, "
                             "cjcpw -c)"),
        "stop": AgentAction("stop", "stop the site and everything left of it (cjcpw -stop)"),
        "validate": AgentAction("validate", "external script 'validate' (cmcheckconf)"),
        "status": AgentAction("status", "0 running, 1 failed, 3 stopped (for operators)"),
    }
    # External-script codes: 0 success, 1 halt and do not restart, 2 restart on another node.
    exit_codes = {
        ("service", Outcome.SUCCESS): 0,
        ("keep-port", Outcome.SUCCESS): 0,
        ("keep-port", Outcome.FAILED): 2,
        ("keep-port", Outcome.INVALID): 1,
        ("start", Outcome.SUCCESS): 0,
        ("start", Outcome.FAILED): 2,
        ("start", Outcome.UNRECOVERABLE): 2,
        ("start", Outcome.NOT_INSTALLED): 2,
        ("start", Outcome.INVALID): 1,
        ("stop", Outcome.SUCCESS): 0,
        ("stop", Outcome.FAILED): 1,
        ("stop", Outcome.INVALID): 1,
        ("validate", Outcome.SUCCESS): 0,
        ("status", Outcome.RUNNING): 0,
        ("status", Outcome.MAINTENANCE): 0,
        ("status", Outcome.STOPPED): 3,
        ("status", Outcome.INVALID): 2,
    }
    default_exit_code = 1

    def validate(self) -> None:
        c = self.cluster
        if c.windows:
            raise ConfigError(f"{c.source}: cluster.product: Serviceguard runs on HP-UX and "
                              f"Linux, not {c.product.name!r}")
        if c.supervisor == "jccluster" and not c.jccluster.startswith("/"):
            raise ConfigError(
                f"{c.source}: cluster.jccluster: {c.jccluster!r} must be an absolute path "
                "(Serviceguard passes no PATH to service commands), e.g. /usr/local/bin/jccluster"
            )
        for path, where in [(c.install_prefix, "cluster.install_prefix"),
                            (c.jccluster, "cluster.jccluster")]:
            if not _SG_PATH.match(path):
                raise ConfigError(f"{c.source}: {where}: {path!r} cannot stand in a Serviceguard "
                                  "command line (use letters, digits and _ @ % + = : , . / -)")
        self.dirs()  # refuses an etc_dir whose $SGSBIN it cannot tell
        seen: dict[str, str] = {}
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.serviceguard"
            if opts["subnet"] is None:
                site.require_netmask(c.source, "Serviceguard's SUBNET / ip_subnet (the site "
                                     "address's network)")
            elif site.subnet is not None and opts["subnet"] != site.subnet:
                raise ConfigError(
                    f"{c.source}: {where}.subnet: {opts['subnet']} is not the network of "
                    f"{site.address} under its netmask {site.netmask} ({site.subnet}); remove "
                    "the key or fix the netmask")
            if not _SG_PATH.match(site.database):
                raise ConfigError(
                    f"{c.source}: {site.where}.database: {site.database!r} cannot stand in a "
                    "Serviceguard service command (no spaces or quotes; use letters, digits and "
                    "_ @ % + = : , . / -)"
                )
            for key in ("package", "service"):
                if opts[key] in seen:
                    raise ConfigError(f"{c.source}: {where}.{key}: {opts[key]!r} is already used "
                                      f"by {seen[opts[key]]} (names must be unique in the cluster)")
                seen[opts[key]] = f"{site.where}.serviceguard.{key}"
            t = self.timeouts(site)
            if t["halt_script"] <= t["service_halt"] + t["stop"]:
                raise ConfigError(
                    f"{c.source}: {where}.halt_script_timeout: {t['halt_script']} s is too short: "
                    f"it must exceed the service halt timeout ({t['service_halt']} s) plus the "
                    f"stop ({t['stop']} s); use at least {t['service_halt'] + t['stop'] + 1}"
                )

    def dirs(self) -> tuple[str, str]:
        """($SGCONF, $SGSBIN) on the nodes: the options, else the OS's / distribution's."""
        o = self.options
        key = "hpux" if self.cluster.product.name == "jobcenter-hpux" else o["distribution"]
        etc_default, sbin_default = SG_DIRS[key]
        etc = (o["etc_dir"] or etc_default).rstrip("/") or "/"
        sbin = o["sbin_dir"]
        if sbin is None:
            if o["etc_dir"] is None:
                sbin = sbin_default
            elif etc.endswith("/conf"):
                sbin = etc[: -len("/conf")] + "/bin"
            elif key == "hpux":
                sbin = sbin_default
            else:
                raise ConfigError(
                    f"{self.cluster.source}: serviceguard.sbin_dir: is required with etc_dir = "
                    f"{etc!r} (give Serviceguard's command directory, $SGSBIN in "
                    "/etc/cmcluster.conf)")
        return etc, sbin.rstrip("/") or "/"

    def modules(self, site: Site) -> list[str]:
        """The modular package's modules, as cmmakepkg -m names them."""
        opts = self.site_opts(site)
        mods = ["sg/basic", "sg/failover", "sg/package_ip"]
        if site.monitor:
            mods.append("sg/service")
        if opts["vg"] and opts["fs_name"]:
            mods.append("sg/volume_group")
        if opts["fs_name"]:
            mods.append("sg/filesystem")
        mods.append("sg/external")
        return mods

    def timeouts(self, site: Site) -> dict[str, int]:
        opts = self.site_opts(site)
        stop = stop_seconds(self.cluster)
        service_halt = opts["service_halt_timeout"] or stop + 60
        halt_script = opts["halt_script_timeout"] or service_halt + stop + 60
        return {"stop": stop, "service_halt": service_halt, "halt_script": halt_script,
                "run_script": opts["run_script_timeout"] or 0}

    def commands(self, site: Site) -> dict[str, list[str]]:
        """The command lines of each step, for the supervisor chosen in the cluster file."""
        if self.cluster.supervisor == "cjcpw":
            return {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "service": self.native_argv("cjcpw", site.name, site.database),
                "start": self.native_argv("cjcpw", "-c", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
                "validate": [],
                "need": [self.cluster.command("cjcpw"), self.cluster.command("nqsportkpr")],
            }
        return {
            "keep_port": self.agent_argv("keep-port", site, database=False),
            "service": self.agent_argv("service", site),
            "start": self.agent_argv("start", site),
            "stop": self.agent_argv("stop", site, database=False),
            "validate": self.agent_argv("validate", site),
            "need": [self.cluster.jccluster],
        }

    def context(self, site: Site) -> dict[str, Any]:
        opts = self.site_opts(site)
        pkg = opts["package"]
        etc, sbin = self.dirs()
        base = SYSTEM_PATH.get(self.cluster.product.name, LINUX_PATH)
        path = base if sbin in base.split(":") else f"{base}:{sbin}"
        return {
            "etc_dir": etc,
            "sleep": "/usr/bin/sleep" if self.cluster.product.name == "jobcenter-hpux"
            else "/bin/sleep",
            "script_path": path,
            "modules": [(m, MODULE_VERSION) for m in self.modules(site)],
            "cluster": self.cluster,
            "site": site,
            "opts": opts,
            "global": self.options,
            "package": pkg,
            "pkg_dir": f"{etc}/{pkg}",
            "script_name": f"jobcenter-{site.short_name}.sh",
            "cmd": self.commands(site),
            "timeouts": self.timeouts(site),
            "nodes": [n.short_name for n in self.cluster.nodes],
            "shell": "/usr/bin/sh" if self.cluster.product.name == "jobcenter-hpux" else "/bin/sh",
        }

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
        out: list[Artifact] = []
        for site in self.sites:
            ctx = self.context(site)
            pkg, d = ctx["package"], site.short_name
            out += [
                Artifact(f"{d}/legacy/{pkg}.conf", r.render("legacy.conf.j2", **ctx),
                         0o644, "conf", site.name),
                Artifact(f"{d}/legacy/{pkg}.cntl-customer-section",
                         r.render("legacy.cntl.j2", **ctx), 0o644, "ksh", site.name),
                Artifact(f"{d}/modular/{pkg}.conf", r.render("modular.conf.j2", **ctx),
                         0o644, "conf", site.name),
                Artifact(f"{d}/modular/{ctx['script_name']}",
                         r.render("external_script.sh.j2", **ctx), 0o755, "sh", site.name),
                Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644, "text",
                         site.name),
            ]
        return out

    @classmethod
    def rules(cls) -> list[Rule]:
        src_manual = "JobCenter manual §2.10.4, §2.11.7"
        return [
            Rule("SG-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of every "
                 "start path", src_manual + " (nqsportkpr must run first)", _rule_keep_port_first),
            Rule("SG-NO-C-MONITORED", "a monitored package does not start the site with -c "
                 "(no-watch) as well", src_manual + " (cjcpw as a service vs as a command)",
                 _rule_no_c_when_monitored),
            Rule("SG-STOP-IN-HALT", "the halt path stops the site (cjcpw -stop / agent stop)",
                 src_manual + " (customer_defined_halt_cmds kills leftovers)", _rule_stop_in_halt),
            Rule("SG-HALT-TIMEOUT", "halt timeouts are longer than the stop deadline",
                 "Managing Serviceguard (halt_script_timeout > sum of service_halt_timeout); "
                 "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine stop deadline",
                 _rule_halt_timeout),
            Rule("SG-SERVICE-MATCH", "the legacy configuration and control script name the same "
                 "service", "Managing Serviceguard, Configuring a Legacy Package",
                 _rule_service_match),
            Rule("SG-ABSOLUTE-COMMAND", "service commands are absolute paths",
                 "Managing Serviceguard, service_cmd (no PATH is passed)", _rule_absolute),
            Rule("SG-MODULES", "the modular package file names (module_name + module_version) "
                 "every module whose parameters it uses", "Managing Serviceguard, Package "
                 "Parameter Explanations (module_name, module_version: \"Do not change it\"); "
                 "cmmakepkg -m", _rule_modules),
            Rule("SG-CONF-DIR", "package files live in the nodes' $SGCONF (HP-UX /etc/cmcluster; "
                 "Linux /usr/local/cmcluster/conf or /opt/cmcluster/conf)", "Managing HP "
                 "Serviceguard for Linux (Understanding the Location of Serviceguard Files)",
                 _rule_conf_dir),
            Rule("SG-UTILS-SOURCED", "the external script sources Serviceguard's utils.sh "
                 "($SG_UTILS) unconditionally, as HP's template does", "Managing Serviceguard, "
                 "About External Scripts ($SGCONF/examples/external_script.template)",
                 _rule_utils_sourced),
            Rule("SG-SUBNET", "SUBNET / ip_subnet is the site address's network under the "
                 "cluster file's netmask", "Managing Serviceguard (ip_subnet); cluster file "
                 "[[site]] netmask", _rule_subnet),
            Rule("SG-APPLY-BOOTSTRAP", "APPLY.txt follows the manual: local_daemon, a package "
                 "with a dummy service, cjcmksite, cjcpw by hand, halt, then the JobCenter lines",
                 "JobCenter manual §2.10.1-2.10.4, §2.11.2-2.11.7", _rule_apply_bootstrap),
            Rule("SG-FIXED-PATH", "the external script sets PATH to fixed directories first",
                 "docs/engine.md security model (scripts run as root never inherit PATH)",
                 _rule_fixed_path),
        ]


# --------------------------------------------------------------------------- check rules

_CONF_LINE = LazyPattern(r"^\s*([A-Za-z_]+)(\[\d+\])?\s*(=\s*|\s+)(.*?)\s*$")


def _conf_values(f: SourceFile, key: str) -> list[tuple[int, str]]:
    """Values of `key` in a Serviceguard configuration or control script (case-insensitive)."""
    out = []
    for i, line in enumerate(f.lines):
        if line.lstrip().startswith("#"):
            continue
        m = _CONF_LINE.match(line)
        if m and m.group(1).lower() == key.lower():
            out.append((i + 1, m.group(4).strip().strip('"')))
    return out


def _start_paths(ctx: CheckContext) -> Iterator[tuple[SourceFile, list[tuple[int, str]], str]]:
    for f in ctx.files_of(("ksh", "sh", "bash")):
        for func in ("customer_defined_run_cmds", "start_command"):
            body = shell_function_body(f, func)
            if body is not None:
                yield f, [(n, re.sub(r"^run\s+", "", t)) for n, t in body], func


def _monitored(ctx: CheckContext, f: SourceFile) -> bool:
    """Whether the package of `f` (same directory) runs the watcher as a service."""
    folder = os.path.dirname(f.path)
    site_dir = os.path.dirname(folder)
    for g in ctx.files:
        if os.path.dirname(os.path.dirname(g.path)) != site_dir and os.path.dirname(g.path) != folder:
            continue
        if _conf_values(g, "SERVICE_NAME") or _conf_values(g, "service_name"):
            return True
    return False


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f, body, func in _start_paths(ctx):
        first = first_real_command(body, skip=lambda t: t.startswith(("test_return", "return")))
        finding = keep_port_not_first(first, f.path, func)
        if finding:
            yield finding


_NO_WATCH = LazyPattern(r"cjcpw(\.exe)?\"?\s+(\S+\s+)*-c\b|\bagent\s+serviceguard\s+start\b")


def _rule_no_c_when_monitored(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f, body, func in _start_paths(ctx):
        if not _monitored(ctx, f):
            continue
        for n, text in body:
            if _NO_WATCH.search(text):
                yield (f"{func}: the package runs the watcher as a service, so the start path must "
                       "not also start the site without watching (-c)", f.path, n)


_STOP = LazyPattern(r"cjcpw(\.exe)?\"?\s+-stop\b|\bagent\s+serviceguard\s+stop\b")


def _rule_stop_in_halt(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f in ctx.files_of(("ksh", "sh", "bash")):
        for func in ("customer_defined_halt_cmds", "stop_command"):
            body = shell_function_body(f, func)
            if body is not None and not any(_STOP.search(t) for _, t in body):
                yield (f"{func}: does not stop the site (add the stop command: cjcpw -stop SITE "
                       "or jccluster agent serviceguard stop SITE)", f.path, body[0][0] if body
                       else None)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _rule_halt_timeout(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    stop = stop_seconds(ctx.cluster) if ctx.cluster else CJCPW_STOP_SECONDS
    for f in ctx.files_of("conf"):
        services = [(_int(v), n) for n, v in _conf_values(f, "service_halt_timeout")]
        halts = [(_int(v), n) for n, v in _conf_values(f, "halt_script_timeout")]
        total = sum(v or 0 for v, _ in services)
        for value, n in services:
            if value is not None and value < stop:
                yield (f"service_halt_timeout {value} s is shorter than the stop ({stop} s): "
                       f"the watcher may be killed before the site stops", f.path, n)
        for value, n in halts:
            if value is not None and value <= total + stop:
                yield (f"halt_script_timeout {value} s must exceed the service halt timeouts "
                       f"({total} s) plus the stop ({stop} s)", f.path, n)


def _rule_service_match(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f in ctx.files_of("ksh"):
        control = {v for _, v in _conf_values(f, "SERVICE_NAME")}
        if not control:
            continue
        folder = os.path.dirname(f.path)
        for g in ctx.files_of("conf"):
            if os.path.dirname(g.path) != folder:
                continue
            conf = _conf_values(g, "SERVICE_NAME")
            names = {v for _, v in conf}
            if names and names != control:
                yield (f"SERVICE_NAME {sorted(names)} differs from the control script's "
                       f"{sorted(control)} ({f.path})", g.path, conf[0][0])


def _rule_absolute(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f in ctx.files:
        for key in ("SERVICE_CMD", "service_cmd"):
            for n, value in _conf_values(f, key):
                if value and not value.startswith("/"):
                    yield (f"{key} {value!r} must start with an absolute path", f.path, n)


_MODULE_PARAMS = {  # a parameter of the modular file -> the module that defines it
    "package_type": "sg/failover", "node_name": "sg/basic", "ip_subnet": "sg/package_ip",
    "ip_address": "sg/package_ip", "service_name": "sg/service", "service_cmd": "sg/service",
    "vg": "sg/volume_group", "fs_name": "sg/filesystem", "fs_directory": "sg/filesystem",
    "external_script": "sg/external",
}


def _modular_confs(ctx: CheckContext) -> list[SourceFile]:
    """Modular package files: parameters in lower case (legacy files use upper case)."""
    return [f for f in ctx.files_of("conf") if _conf_values(f, "package_name")
            and any(re.match(r"^\s*package_name\b", line) for line in f.lines)]


def _rule_modules(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f in _modular_confs(ctx):
        lines = [(n, t) for n, t in enumerate(f.lines, 1) if t.strip()
                 and not t.lstrip().startswith("#")]
        have: set[str] = set()
        for i, (n, t) in enumerate(lines):
            m = re.match(r"^\s*module_name\s+(\S+)", t)
            if not m:
                continue
            have.add(m.group(1))
            nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
            if not re.match(r"^\s*module_version\s+\d+\s*$", nxt):
                yield (f"module_name {m.group(1)} is not followed by its module_version (copy "
                       "both lines from cmmakepkg's output; do not change them)", f.path, n)
        for key, module in _MODULE_PARAMS.items():
            found = _conf_values(f, key)
            if found and module not in have:
                yield (f"{key} needs module_name {module} (and its module_version), as "
                       f"cmmakepkg -m {module} writes them", f.path, found[0][0])


_SCRIPT_KEYS = ("external_script", "external_pre_script", "RUN_SCRIPT", "HALT_SCRIPT")


def _rule_conf_dir(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    if ctx.cluster is None:
        return
    if isinstance(ctx.adapter, ServiceGuardAdapter):
        want = ctx.adapter.dirs()[0].rstrip("/") + "/"
    elif ctx.cluster.product.name == "jobcenter-hpux":
        want = SG_DIRS["hpux"][0] + "/"
    else:
        want = None
    for f in ctx.files_of("conf"):
        for key in _SCRIPT_KEYS:
            for n, value in _conf_values(f, key):
                if want is not None and not value.startswith(want):
                    yield (f"{key} {value} is not under the nodes' $SGCONF ({want[:-1]})",
                           f.path, n)
                elif want is None and value.startswith("/etc/cmcluster/"):
                    yield (f"{key} {value}: /etc/cmcluster is HP-UX's $SGCONF; on Linux it is "
                           "/usr/local/cmcluster/conf (Red Hat) or /opt/cmcluster/conf (SUSE)",
                           f.path, n)


_SOURCE_UTILS = LazyPattern(r'^\.\s+"?\$\{?SG_UTILS\}?"?\s*(\|\||&&|;|$)')


def _rule_utils_sourced(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if shell_function_body(f, "start_command") is None:
            continue  # not an external script
        depth = 0
        ok = False
        for line in f.lines:
            code = line.split("#", 1)[0].strip()
            if re.match(r"^if\b.*-z\s+\"?\$\{?SG_UTILS", code):
                depth += 1  # sourcing inside "if SG_UTILS is unset" never runs under SG
                continue
            if depth and re.match(r"^fi\b", code):
                depth -= 1
                continue
            if not depth and _SOURCE_UTILS.match(code):
                ok = True
        if not ok:
            yield ('the external script never sources Serviceguard\'s utils.sh: add '
                   '. "$SG_UTILS" outside any "if [ -z "$SG_UTILS" ]" (Serviceguard sets '
                   "SG_UTILS, so a guarded source never runs and sg_log is missing)", f.path,
                   None)


def _rule_subnet(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    if ctx.cluster is None:
        return
    for site in ctx.cluster.sites:
        if site.subnet is None:
            continue
        for f in ctx.files:
            if not f.path.startswith(site.short_name + "/"):
                continue
            for key in ("ip_subnet", "SUBNET"):
                for n, value in _conf_values(f, key):
                    value = value.strip("'\"")
                    if value and value != site.subnet:
                        yield (f"{key} {value} is not {site.address}'s network under the "
                               f"cluster file's netmask {site.netmask} ({site.subnet})", f.path, n)


_BOOTSTRAP = (
    ("local_daemon", "the local daemon setting (local_daemon=SITE or OFF, §2.10.2 / §2.11.5)"),
    ("dummy", "a first package run with only the IP, the disk and a dummy service (§2.11.2)"),
    ("cjcmksite", "creating the site database (cjcmksite, §2.10.3 / §2.11.6)"),
    ("cjcpw -stop", "starting and stopping the site by hand (cjcpw, cjcpw -stop, §2.11.6)"),
    ("cmhaltpkg", "halting the package before the JobCenter lines are added (§2.11.6)"),
    ("cmapplyconf", "applying the package with the JobCenter lines (§2.10.4 / §2.11.7)"),
)


def _rule_apply_bootstrap(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    for f in ctx.files:
        if os.path.basename(f.path) != "APPLY.txt":
            continue
        text = f.text
        pos = 0
        for marker, what in _BOOTSTRAP:
            i = text.find(marker, pos)
            if i < 0:
                yield (f"APPLY.txt misses, or has out of the manual's order, {what}", f.path, None)
                break
            pos = i + len(marker)


def _rule_fixed_path(ctx: CheckContext) -> Iterator[tuple[str, str | None, int | None]]:
    yield from fixed_path_findings(ctx.files_of(("sh", "ksh", "bash")))
