"""MC/ServiceGuard (HP-UX) and Serviceguard for Linux: legacy and modular packages.

Sources: the JobCenter manual §2.10.4 (HP-UX) and §2.11.7 (Linux) for the service, run and halt
commands; "Managing Serviceguard", 17th/18th ed. (service_cmd: absolute path, no PATH passed, run
by /usr/bin/sh; service_halt_timeout: SIGTERM, then SIGKILL after the timeout;
halt_script_timeout greater than the sum of service_halt_timeout) and "About External Scripts"
(entry points start/stop/validate; exit 0 success, 1 halt and do not restart, 2 restart on
another node).
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


def _default_subnet(_cluster: Cluster | None, site: Site | None) -> str:
    import ipaddress

    assert site is not None
    return str(ipaddress.IPv4Network(f"{site.address}/24", strict=False).network_address)


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
        "etc_dir": Option(str, "/etc/cmcluster", "Serviceguard's configuration directory on "
                          "the nodes ($SGCONF)", check=_fs_path),
        "service_fail_fast_enabled": Option(bool, False, "halt the node when the service fails"),
        "auto_run": Option(bool, True, "start the package when the cluster starts"),
    }
    site_options_schema = {
        "package": Option(str, _default_package, "the package name", check=_sg_name),
        "service": Option(str, _default_service, "the service name (the manual's is cjc; "
                          "cjc-SITE when the file has several sites: Serviceguard wants service "
                          "names unique in the cluster)", check=_sg_name),
        "subnet": Option(str, _default_subnet, "the site address's subnet (ip_subnet / SUBNET); "
                         "default: its /24 network", check=_subnet),
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
        seen: dict[str, str] = {}
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.serviceguard"
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
        etc = self.options["etc_dir"].rstrip("/") or "/"
        return {
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
        ]

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The package in Serviceguard's run order: volume group, file system, IP address,
        then the service (halt in reverse)."""
        o = self.site_opts(site)
        res: list[tuple[str, str, str]] = []
        if o["vg"]:
            res.append(("vg", f"volume group\n{o['vg']}", "disk"))
        if o["fs_name"]:
            res.append(("fs", f"file system\n{o['fs_name']} on {o['fs_directory']}", "disk"))
        res.append(("ip", f"ip_address\n{site.address} (subnet {o['subnet']})", "address"))
        res.append(("service", f"service {o['service']}\njccluster agent serviceguard service",
                    "jobcenter"))
        links = [(a[0], b[0]) for a, b in zip(res, res[1:], strict=False)]
        if not (o["vg"] or o["fs_name"]):  # no vg/fs_name: the package does not mount it
            res.insert(0, ("disk", f"shared disk, not in the package\n{site.database}", "other"))
        return f"package {o['package']} ({site.name})", res, links


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
