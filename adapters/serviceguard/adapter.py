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

import re
from typing import Any

from jobcenter_cluster.adapter import (
    Adapter,
    Artifact,
    GraphResources,
    Unique,
    stop_budget,
    stop_seconds,
)
from jobcenter_cluster.adapters.serviceguard import SPEC
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import REQUIRED, Cluster, Site, check_ipv4
from jobcenter_cluster.options import Option, pattern_check, plain_path_check

# Package and service names: "up to 39 characters; letters, digits, '.', '-', '_'; must begin
# and end with a letter or digit" (Managing Serviceguard, package_name, A.11.18 rules).
_sg_name = pattern_check(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,37}[A-Za-z0-9])?",
                         "is not a Serviceguard name (1-39 letters, digits, '.', '_', '-', "
                         "beginning and ending with a letter or digit)")
# What may stand unquoted in a Serviceguard configuration value and in a service command line.
_SG_PATH = re.compile(r"^/[A-Za-z0-9_@%+=:,./-]*\Z")
_fs_path = plain_path_check("Serviceguard configuration values take no quoting")
_vg_name = pattern_check(r"[A-Za-z0-9_.+-]+", "is not a volume group name")
_fs_type = pattern_check(r"[a-z0-9]+", "is not a file-system type")
#: one printable line (it is rendered into comments of the package files)
_one_line = pattern_check(r"[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?",
                          "must be one line of text, non-empty and unpadded")
_MOUNT_OPT = re.compile(r"[-A-Za-z0-9 =,_.]+")


def _mount_opt(value: str) -> str | None:
    return None if _MOUNT_OPT.fullmatch(value) else (
        f"{value!r}: use letters, digits, spaces and - = , _ .")


def _subnet(value: str) -> str | None:
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

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.serviceguard.rules:RULES"
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
        "vg": Option(str, None, "the LVM volume group holding the shared disk", check=_vg_name),
        "fs_name": Option(str, None, "the shared file system's device (e.g. /dev/vgjob/lvol1)",
                          check=_fs_path),
        "fs_directory": Option(str, lambda c, s: s.database if s else None,
                               "where the shared file system is mounted (default: the database "
                               "path)", check=_fs_path),
        "fs_type": Option(str, lambda c, s: "vxfs" if c and c.product.name == "jobcenter-hpux"
                          else "ext4", "the file system type",
                          check=_fs_type),
        "fs_mount_opt": Option(str, "-o rw", "mount options",
                               check=_mount_opt),
        "storage": Option(str, None, 'storage = "none": the package mounts no file system on '
                          "purpose (another package or the node mounts the disk); needs "
                          "storage_reason. Without fs_name or this, the files and APPLY.txt "
                          "carry a warning and SG-STORAGE warns", choices=("none",)),
        "storage_reason": Option(str, None, 'why storage = "none" is safe (rendered into the '
                                 "package files)", check=_one_line),
        "service_halt_timeout": Option(int, None, "seconds between SIGTERM and SIGKILL of the "
                                       "service (default: long enough for the stop)",
                                       minimum=1, maximum=4294),
        "halt_script_timeout": Option(int, None, "seconds the halt may take (default: the "
                                      "service halt timeout plus the stop)", minimum=1,
                                      maximum=4294),
        "run_script_timeout": Option(int, None, "seconds the run may take (default: none)",
                                     minimum=1, maximum=4294),
    }

    def validate(self) -> None:
        c = self.cluster
        self.require_posix("Serviceguard runs on HP-UX and Linux, not {product}")
        self.require_plain_paths("Serviceguard passes no PATH to service commands")
        self.dirs()  # refuses an etc_dir whose $SGSBIN it cannot tell
        names = Unique(c.source, "names must be unique in the cluster")
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.serviceguard"
            if opts["subnet"] is None:
                site.require_netmask(c.source, "Serviceguard's SUBNET / ip_subnet (the site "
                                     "address's network)")
            elif site.subnet is not None and opts["subnet"] != site.subnet:
                raise ConfigError(
                    f"{opts['subnet']} is not the network of "
                    f"{site.address} under its netmask {site.netmask} ({site.subnet}); remove "
                    "the key or fix the netmask", source=c.source, field=f"{where}.subnet")
            if not _SG_PATH.match(site.database):
                raise ConfigError(
                    f"{site.database!r} cannot stand in a "
                    "Serviceguard service command (no spaces or quotes; use letters, digits and "
                    "_ @ % + = : , . / -)", source=c.source, field=f"{site.where}.database"
                )
            for key in ("package", "service"):
                names.add(opts[key], f"{where}.{key}")
            self._validate_storage(site, opts, where)
            t = self.timeouts(site)
            if t["halt_script"] <= t["service_halt"] + t["budget"]:
                raise ConfigError(
                    f"{t['halt_script']} s is too short: "
                    f"it must exceed the service halt timeout ({t['service_halt']} s) plus the "
                    f"stop's budget ({t['budget']} s: the engine's deadline, or under cjcpw "
                    f"twice JobCenter's 2-minute stop); use at least "
                    f"{t['service_halt'] + t['budget'] + 1}",
                    source=c.source, field=f"{where}.halt_script_timeout"
                )

    def _validate_storage(self, site: Site, opts: dict[str, Any], where: str) -> None:
        """As the veritas and powerha adapters: ``storage = "none"`` is an explicit opt-out
        with a reason. A package with neither fs_name nor the opt-out still renders (older
        cluster files), with a warning in its files and APPLY.txt and from SG-STORAGE."""
        self.require_storage_opt_out(opts, where, ("fs_name", "vg"), "say why Serviceguard may "
                                     f"start the site without mounting {site.database}")

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
                    "is required with etc_dir = "
                    f"{etc!r} (give Serviceguard's command directory, $SGSBIN in "
                    "/etc/cmcluster.conf)",
                    source=self.cluster.source, field="serviceguard.sbin_dir", code=REQUIRED)
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
        """``stop``: the stop's own time; ``budget``: what the halt script must allow it
        (`stop_budget`: wider under cjcpw, where no deadline bounds JobCenter's stop)."""
        opts = self.site_opts(site)
        stop = stop_seconds(self.cluster)
        budget = stop_budget(self.cluster)
        service_halt = opts["service_halt_timeout"] or stop + 60
        halt_script = opts["halt_script_timeout"] or service_halt + budget + 60
        return {"stop": stop, "budget": budget, "service_halt": service_halt,
                "halt_script": halt_script, "run_script": opts["run_script_timeout"] or 0}

    def context(self, site: Site) -> dict[str, Any]:
        opts = self.site_opts(site)
        pkg = opts["package"]
        etc, sbin = self.dirs()
        c = self.cluster
        cmd = self.commands(site, {"keep_port": "keep-port", "watch": "service",
                                   "start": "start", "stop": "stop", "validate": "validate"})
        # what the external script's validate entry point requires on the node
        cmd["need"] = ([c.command("cjcpw"), c.command("nqsportkpr")] if c.supervisor == "cjcpw"
                       else [c.jccluster])
        if c.supervisor == "cjcpw":
            cmd["cjcls"] = self.native_argv("cjcls")  # the halt's check of what is left
        base = SYSTEM_PATH.get(c.product.name, LINUX_PATH)
        path = base if sbin in base.split(":") else f"{base}:{sbin}"
        return {
            "etc_dir": etc,
            "sleep": "/usr/bin/sleep" if c.product.name == "jobcenter-hpux"
            else "/bin/sleep",
            "script_path": path,
            "modules": [(m, MODULE_VERSION) for m in self.modules(site)],
            "cluster": c,
            "site": site,
            "opts": opts,
            "global": self.options,
            "package": pkg,
            "pkg_dir": f"{etc}/{pkg}",
            "script_name": f"jobcenter-{site.short_name}.sh",
            "cmd": cmd,
            "timeouts": self.timeouts(site),
            "nodes": [n.short_name for n in c.nodes],
            "shell": "/usr/bin/sh" if c.product.name == "jobcenter-hpux" else "/bin/sh",
        }

    def render(self) -> list[Artifact]:
        r = self.renderer()
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

    def graph_resources(self, site: Site) -> GraphResources:
        """The package in Serviceguard's run order: volume group, file system, IP address,
        then the service (halt in reverse)."""
        o = self.site_opts(site)
        res: list[tuple[str, str, str]] = []
        if o["vg"]:
            res.append(("vg", f"volume group\n{o['vg']}", "disk"))
        if o["fs_name"]:
            res.append(("fs", f"file system\n{o['fs_name']} on {o['fs_directory']}", "disk"))
        res.append(("ip", f"ip_address\n{site.address} (subnet {o['subnet']})", "address"))
        # customer_defined_run_cmds, once the address is up and before the service: nqsportkpr
        # holds the NQS port on the site address (manual §2.10.4)
        res.append(("keep-port", f"run command: keep-port (nqsportkpr)\nholds 607/tcp on "
                    f"{site.address}", "other"))
        res.append(("service", f"service {o['service']}\njccluster agent serviceguard service",
                    "jobcenter"))
        links = [(a[0], b[0]) for a, b in zip(res, res[1:], strict=False)]
        if not (o["vg"] or o["fs_name"]):  # no vg/fs_name: the package does not mount it
            res.insert(0, ("disk", f"shared disk, not in the package\n{site.database}", "other"))
        return f"package {o['package']} ({site.name})", res, links
