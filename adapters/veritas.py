"""Veritas Cluster Server / InfoScale Availability (VCS): a service group per site.

The JobCenter manual names VCS but gives no procedure ("register the site start/stop command
(cjcpw) as a cluster resource following the product's manual", preface). Everything below comes
from the VCS documentation:

- Cluster Server Bundled Agents Reference Guide, "Application agent": StartProgram, StopProgram,
  CleanProgram, MonitorProgram, PidFiles, MonitorProcesses; "The executable ... Specify the
  complete path of the executable. Applicable command-line arguments follow the name of the
  executable and are separated by spaces"; MonitorProgram must return ONLINE to use the other
  methods; Clean kills the PidFiles/MonitorProcesses processes, then runs CleanProgram.
  State definitions: ONLINE, OFFLINE, UNKNOWN ("indeterminable application state or invalid
  configuration"), FAULTED ("MonitorProgram returns OFFLINE unexpectedly").
  (sort.veritas.com/public/documents/vie/7.2/solaris/productguides/html/vcs_bundled_agents/
  ch05s03s05.htm; VCS 4.1 guide services_app_agents_vcs231_356773.html / _233_290422.html)
- Cluster Server Agent Developer's Guide, "About the monitor script exit codes": 110 online,
  100 offline, any other value unknown ("typically a value of 99 is used")
  (sort.veritas.com/public/documents/vie/7.3/aix/productguides/html/vcs_gen_agent/apbs02.htm).
- Cluster Server Administrator's Guide, "About attribute data types": strings in double quotes,
  ``\\"`` and ``\\\\`` inside; bare words begin with a letter and hold letters, digits, ``-``,
  ``_`` (sort.veritas.com/public/documents/vie/7.0/linux/productguides/html/vcs_admin/
  ch03s05s01.htm). Command line: ``haconf -makerw`` / ``haconf -dump -makero`` (haconf(1M)),
  ``hares -add RES TYPE GROUP``, ``hares -modify RES ATTR VALUE...``, ``hares -link PARENT
  CHILD`` ("parent depends on child being online"), resources added on the command line have
  Enabled = 0 until ``hares -modify RES Enabled 1``; static attributes (OfflineTimeout,
  CleanTimeout) are set per resource with ``hares -override`` first ("Overriding Static
  Attributes", Agent Developer's Guide) (VCS 4.1 User's Guide 06admin_vcs_cli_vcs326/327).
- System names: the names in /etc/llthosts (llthosts(4): "lltconfig truncates the system name at
  the first dot"), so the default is each node's short name.
- Values beginning with ``-`` on the ha* command line: ``hares -modify RES FsckOpt %-y`` (the
  ``%`` keeps hares from reading ``-y`` as an option), as public VCS procedures write it (e.g.
  LINBIT's DRBD-under-VCS guide, ``hares -modify r0mount FsckOpt %-y``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

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
    command_lines,
    first_real_command,
    fixed_path_findings,
    keep_port_not_first,
    shell_function_body,
)
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Cluster, Site, check_netmask, check_plain_path
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

# typing stays off the monitor's import path (see jobcenter_cluster.adapter)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: VCS's own defaults for the Application type (Bundled Agents Reference Guide).
VCS_DEFAULT_OFFLINE_TIMEOUT = 300
VCS_DEFAULT_CLEAN_TIMEOUT = 60

#: Fixed system directories the rendered scripts set PATH to (never the caller's PATH), per OS;
#: VCS's own bin directory ($VCS_HOME/bin) is added after them.
SYSTEM_PATH = {
    "jobcenter-solaris": "/usr/xpg4/bin:/usr/bin:/usr/sbin:/sbin",
    "jobcenter-hpux": "/usr/bin:/usr/sbin:/sbin",
}
LINUX_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
#: The shell of the rendered scripts, per OS: Solaris 10's /bin/sh is the Bourne shell, which
#: rejects $(...); /usr/xpg4/bin/sh is its POSIX shell (as the sungds adapter uses).
SCRIPT_SHELL = {"jobcenter-solaris": "/usr/xpg4/bin/sh", "jobcenter-hpux": "/usr/bin/sh"}

#: Monitor exit codes of the Application agent's MonitorProgram.
VCS_ONLINE = 110
VCS_OFFLINE = 100
VCS_UNKNOWN = 99

# VCS object names (groups, resources, systems): a letter first, then letters, digits, - and _.
_VCS_NAME = LazyPattern(r"^[A-Za-z][A-Za-z0-9_-]{0,127}\Z")
# What may stand in a program command line: the Application agent splits it on spaces, so every
# word must be free of spaces, quotes and shell characters.
_WORD = LazyPattern(r"^[A-Za-z0-9_@%+=:,./-]+\Z")
_DEVICE = LazyPattern(r"^[A-Za-z0-9_.:-]{1,64}\Z")


def _vcs_name(value: str) -> str | None:
    if not _VCS_NAME.match(value):
        return (f"{value!r} is not a VCS object name (a letter first, then letters, digits, "
                "'-' or '_')")
    return None


def _abs_path(value: str) -> str | None:
    return check_plain_path(value, "no spaces or quotes: VCS splits program lines on spaces")


def _device(value: str) -> str | None:
    return None if _DEVICE.match(value) else f"{value!r} is not a network device name (e.g. eth0)"


def _text(value: str) -> str | None:
    return None if value.strip() == value and value else f"{value!r} must be non-empty, unpadded"


def _default_netmask(_c: Cluster | None, site: Site | None) -> str | None:
    return site.netmask if site is not None else None


def escape_ha_value(word: str) -> str:
    """One value word for ``hares -modify`` / ``hagrp -modify``: a leading ``-`` is written
    ``%-`` so that the command does not take the value for an option (``FsckOpt %-y``)."""
    if word.startswith("%"):
        # unreachable for the values we render (paths, names, numbers); refuse, not guess
        raise ValueError(f"{word!r}: a value starting with '%' has no documented escape")
    return "%" + word if word.startswith("-") else word


def unescape_ha_value(word: str) -> str:
    return word[1:] if word.startswith("%-") else word


def _default_group(_c: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return f"jobcenter_{site.short_name}"[:128]


def _default_device(cluster: Cluster | None, _s: Site | None) -> str:
    name = cluster.product.name if cluster else ""
    return {"jobcenter-hpux": "lan0", "jobcenter-solaris": "net0"}.get(name, "eth0")


class VeritasAdapter(Adapter):
    """A main.cf service group per site (NIC, IP, storage, Application) and the same group as
    ``haconf``/``hagrp``/``hares`` commands for a running cluster."""

    name = "veritas"
    product = "Veritas Cluster Server / InfoScale Availability (VCS) on UNIX and Linux"
    artifacts = (
        "main.cf",
        "{site}/jobcenter-{site}.sh",
        "{site}/vcs-commands.sh",
        "{site}/APPLY.txt",
    )
    options_schema = {
        "cluster_name": Option(str, lambda c, s: c.name if c else "jobcenter",
                               "the cluster name in main.cf's cluster block (use your cluster's)",
                               check=_vcs_name),
        "system_names": Option(str, "short", "VCS system names: the nodes' short names (as in "
                               "/etc/llthosts) or their full names", choices=("short", "full")),
        "script_dir": Option(str, "/opt/jobcenter-cluster/veritas", "where jobcenter-SITE.sh is "
                             "installed on every node", check=_abs_path),
        "log_dir": Option(str, "/var/VRTSvcs/log", "where the start program appends its messages "
                          "(and cjcpw's) to jobcenter-SITE.log", check=_abs_path),
        "run_dir": Option(str, "/var/VRTSvcs/lock", "where the cjcpw watcher's PID file is kept "
                          "(supervisor = \"cjcpw\")", check=_abs_path),
        "vcs_home": Option(str, "/opt/VRTSvcs", "VCS's install directory on the nodes (the "
                           "command script runs $VCS_HOME/bin/ha*)", check=_abs_path),
        "notify_cluster": Option(bool, True, "supervisor = \"jccluster\", watched sites: the "
                                 "watcher asks VCS to probe the site's Application resource at "
                                 "once (hares -probe) when the site fails, instead of waiting "
                                 "for the next MonitorInterval"),
    }
    site_options_schema = {
        "group": Option(str, _default_group, "the service group name", check=_vcs_name),
        "device": Option(str, _default_device, "the public network interface for the NIC and IP "
                         "resources (eth0, en0, net0, lan0 ...)", check=_device),
        "netmask": Option(str, _default_netmask, "the IP resource's NetMask (default: the "
                          "site's netmask, which is then required)", check=check_netmask),
        "auto_start": Option(bool, True, "AutoStartList = the first node: start the group when "
                             "the cluster starts"),
        "diskgroup": Option(str, None, "the VxVM disk group holding the database (DiskGroup and "
                            "Volume resources)", check=_vcs_name),
        "volume": Option(str, None, "the VxVM volume (default: none; with diskgroup: required)",
                         check=_vcs_name),
        "block_device": Option(str, None, "the Mount resource's BlockDevice (default with "
                               "diskgroup: /dev/vx/dsk/DG/VOL)", check=_abs_path),
        "mount_point": Option(str, lambda c, s: s.database if s else None, "where the shared "
                              "file system is mounted (default: the database path)",
                              check=_abs_path),
        "fs_type": Option(str, "vxfs", "the file system type (Mount FSType)",
                          check=lambda v: None if re.fullmatch(r"[a-z0-9]{1,16}", v)
                          else f"{v!r} is not a file-system type"),
        "fsck_opt": Option(str, "-y", "Mount FsckOpt (-y or -n)", choices=("-y", "-n")),
        "mount_opt": Option(str, "", "Mount MountOpt",
                            check=lambda v: None if re.fullmatch(r"[A-Za-z0-9=,_.-]*", v)
                            else f"{v!r}: use letters, digits and = , _ . -"),
        "storage": Option(str, None, 'storage = "none": the group has no storage resources '
                          "on purpose (another group mounts the disk); needs storage_reason",
                          choices=("none",)),
        "storage_reason": Option(str, None, 'why storage = "none" is safe (rendered into main.cf)',
                                 check=_text),
        "offline_timeout": Option(int, None, "OfflineTimeout of the Application resource "
                                  "(default: 300, VCS's, or more than the stop deadline)",
                                  minimum=1, maximum=86400),
        "clean_timeout": Option(int, None, "CleanTimeout of the Application resource (default: "
                                "the stop deadline plus 60 s)", minimum=1, maximum=86400),
    }
    agent_actions = {
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in the start program"),
        "online": AgentAction("background", "StartProgram: start the site with a detached "
                              "watcher and return once it is up"),
        "online-unwatched": AgentAction("start", "start without a watcher (monitor = false, "
                                        "cjcpw -c)"),
        "offline": AgentAction("stop", "StopProgram: stop the site (cjcpw -stop)"),
        "clean": AgentAction("stop", "CleanProgram: forced stop; kills whatever is left of the "
                             "site by the deadline"),
        "monitor": AgentAction("status", "MonitorProgram: 110 online, 100 offline, 99 unknown"),
    }
    exit_codes = {
        ("keep-port", Outcome.SUCCESS): 0,
        ("keep-port", Outcome.FAILED): 1,
        ("keep-port", Outcome.INVALID): 1,
        ("online", Outcome.SUCCESS): 0,
        ("online", Outcome.FAILED): 1,
        ("online", Outcome.UNRECOVERABLE): 1,
        ("online", Outcome.INVALID): 1,
        ("online", Outcome.NOT_INSTALLED): 1,
        ("online-unwatched", Outcome.SUCCESS): 0,
        ("online-unwatched", Outcome.FAILED): 1,
        ("online-unwatched", Outcome.UNRECOVERABLE): 1,
        ("online-unwatched", Outcome.INVALID): 1,
        ("online-unwatched", Outcome.NOT_INSTALLED): 1,
        ("offline", Outcome.SUCCESS): 0,
        ("offline", Outcome.FAILED): 1,
        ("offline", Outcome.INVALID): 1,
        ("clean", Outcome.SUCCESS): 0,
        ("clean", Outcome.FAILED): 1,
        ("clean", Outcome.INVALID): 1,
        ("monitor", Outcome.RUNNING): VCS_ONLINE,
        ("monitor", Outcome.MAINTENANCE): VCS_ONLINE,
        ("monitor", Outcome.STOPPED): VCS_OFFLINE,
        ("monitor", Outcome.FAILED): VCS_OFFLINE,
        ("monitor", Outcome.UNRECOVERABLE): VCS_OFFLINE,
        ("monitor", Outcome.NOT_INSTALLED): VCS_OFFLINE,
        ("monitor", Outcome.INVALID): VCS_UNKNOWN,
        ("monitor", Outcome.UNSUPPORTED): VCS_UNKNOWN,
    }
    #: anything unexpected (internal error, unknown verb): UNKNOWN for monitor, failure elsewhere.
    default_exit_code = VCS_UNKNOWN

    # ---- validation

    def validate(self) -> None:
        c = self.cluster
        if c.windows:
            raise ConfigError(
                f"{c.source}: cluster.product: this adapter renders VCS for UNIX and Linux, not "
                f"{c.product.name!r} (use jobcenter-linux, jobcenter-hpux or jobcenter-solaris)")
        for value, where in [(c.jccluster, "cluster.jccluster"),
                             (c.install_prefix, "cluster.install_prefix"),
                             (c.spool_root, "cluster.spool_root")]:
            if value is not None and _abs_path(value):
                raise ConfigError(
                    f"{c.source}: {where}: {value!r} cannot stand in a VCS program line (an "
                    "absolute path of letters, digits and _ @ % + = : , . / -; VCS splits "
                    "program lines on spaces)")
        seen: dict[str, str] = {}
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.veritas"
            group = opts["group"]
            if group in seen:
                raise ConfigError(f"{c.source}: {where}.group: {group!r} is already used by "
                                  f"{seen[group]} (group names are unique in the cluster)")
            seen[group] = f"{where}.group"
            if opts["volume"] and not opts["diskgroup"]:
                raise ConfigError(f"{c.source}: {where}.volume: needs diskgroup too (the "
                                  "Volume resource belongs to a disk group)")
            if opts["diskgroup"] and not opts["volume"]:
                raise ConfigError(f"{c.source}: {where}.diskgroup: needs volume too (the "
                                  "VxVM volume holding the file system)")
            self._validate_storage(site, opts, where)
            if opts["netmask"] is None:
                site.require_netmask(c.source, "the VCS IP resource's NetMask")
            t = self.timeouts(site)
            for key in ("offline_timeout", "clean_timeout"):
                if t[key] <= t["stop"]:
                    raise ConfigError(
                        f"{c.source}: {where}.{key}: {t[key]} s is too short: it must be longer "
                        f"than the stop deadline ({t['stop']} s), or VCS gives up before the "
                        f"site is stopped; use at least {t['stop'] + 1}")
        # node names are RFC 1123 host names already (the model checks them)
        names = [self.system_name(n.name) for n in c.nodes]
        if len(set(names)) != len(names):
            raise ConfigError(f"{c.source}: veritas.system_names: the nodes' short names are "
                              'not unique; use system_names = "full"')

    def _validate_storage(self, site: Site, opts: dict[str, Any], where: str) -> None:
        src = self.cluster.source
        has = bool(opts["diskgroup"] or opts["block_device"])
        if opts["storage"] == "none":
            if has:
                raise ConfigError(f"{src}: {where}.storage: \"none\" contradicts diskgroup/"
                                  "block_device (remove one of them)")
            if not opts["storage_reason"]:
                raise ConfigError(f"{src}: {where}.storage_reason: is required with storage = "
                                  f"\"none\" (say why VCS may start the site without mounting "
                                  f"{site.database}, e.g. \"mounted by group jobdisk\")")
        elif not has:
            raise ConfigError(
                f"{src}: {where}.diskgroup: is required: without storage resources VCS starts "
                f"JobCenter without its disk; set diskgroup and volume (VxVM) or block_device "
                f"for {site.database}, or storage = \"none\" with storage_reason when another "
                "group mounts it")
        elif opts["storage_reason"]:
            raise ConfigError(f"{src}: {where}.storage_reason: only goes with storage = \"none\"")

    def script_shell(self) -> str:
        return SCRIPT_SHELL.get(self.cluster.product.name, "/bin/sh")

    def script_path(self) -> str:
        """PATH of the rendered scripts: fixed system directories, then VCS's bin."""
        base = SYSTEM_PATH.get(self.cluster.product.name, LINUX_PATH)
        return f"{base}:{self.options['vcs_home'].rstrip('/')}/bin"

    # ---- the model of what is rendered

    def system_name(self, node_name: str) -> str:
        return node_name if self.options["system_names"] == "full" else node_name.split(".")[0]

    def timeouts(self, site: Site) -> dict[str, int]:
        opts = self.site_opts(site)
        stop = stop_seconds(self.cluster)
        return {
            "stop": stop,
            "offline_timeout": opts["offline_timeout"] or max(VCS_DEFAULT_OFFLINE_TIMEOUT,
                                                              stop + 60),
            "clean_timeout": opts["clean_timeout"] or stop + 60,
        }

    def paths(self, site: Site) -> dict[str, str]:
        o = self.options
        short = site.short_name
        return {
            "script": f"{o['script_dir'].rstrip('/')}/jobcenter-{short}.sh",
            "log": f"{o['log_dir'].rstrip('/')}/jobcenter-{short}.log",
            "pidfile": f"{o['run_dir'].rstrip('/')}/jobcenter-{short}.cjcpw.pid",
        }

    def commands(self, site: Site) -> dict[str, list[str]]:
        """Every command line the script and main.cf run, for the cluster's supervisor."""
        if self.cluster.supervisor == "cjcpw":
            return {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "watch": self.native_argv("cjcpw", site.name, site.database),
                "start": self.native_argv("cjcpw", "-c", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
                "cjcls": [self.cluster.command("cjcls")],
            }
        return {
            "keep_port": self.agent_argv("keep-port", site, database=False),
            "start": self.agent_argv("online" if site.monitor else "online-unwatched", site),
            "stop": self.agent_argv("offline", site, database=False),
            "clean": self.agent_argv("clean", site, database=False),
            "monitor": self.agent_argv("monitor", site, database=False),
        }

    def programs(self, site: Site) -> dict[str, str]:
        """The Application resource's program lines (space-separated words, as VCS wants)."""
        script = self.paths(site)["script"]
        if self.cluster.supervisor == "cjcpw":
            return {verb: f"{script} {verb}" for verb in ("start", "stop", "clean", "monitor")}
        cmd = self.commands(site)
        return {"start": f"{script} start", "stop": " ".join(cmd["stop"]),
                "clean": " ".join(cmd["clean"]), "monitor": " ".join(cmd["monitor"])}

    def notifies(self, site: Site) -> bool:
        """Whether the site's watcher pushes a failure to VCS (``hares -probe``): our engine's
        watcher only (cjcpw has no failure hook), and only for a watched site."""
        return bool(self.options["notify_cluster"] and site.monitor
                    and self.cluster.supervisor != "cjcpw")

    def storage(self, site: Site) -> str:
        opts = self.site_opts(site)
        if opts["diskgroup"]:
            return "vxvm"
        return "mount" if opts["block_device"] else "none"

    def group_spec(self, site: Site) -> dict[str, Any]:
        """The service group as data: both main.cf and the command script render from it."""
        opts = self.site_opts(site)
        g = opts["group"]
        systems = [self.system_name(n.name) for n in self.cluster.nodes]
        t = self.timeouts(site)
        prog = self.programs(site)
        res: list[dict[str, Any]] = []
        links: list[tuple[str, str]] = []
        nic, ip, app = f"{g}_nic", f"{g}_ip", f"{g}_app"
        res.append({"type": "NIC", "name": nic, "attrs": [("Device", opts["device"])],
                    "static": []})
        res.append({"type": "IP", "name": ip, "attrs": [
            ("Device", opts["device"]), ("Address", site.address), ("NetMask", opts["netmask"])],
            "static": []})
        links.append((ip, nic))
        storage = self.storage(site)
        mnt = None
        if storage == "vxvm":
            dg, vol, mnt = f"{g}_dg", f"{g}_vol", f"{g}_mnt"
            block = opts["block_device"] or f"/dev/vx/dsk/{opts['diskgroup']}/{opts['volume']}"
            res.append({"type": "DiskGroup", "name": dg,
                        "attrs": [("DiskGroup", opts["diskgroup"])], "static": []})
            res.append({"type": "Volume", "name": vol, "attrs": [
                ("DiskGroup", opts["diskgroup"]), ("Volume", opts["volume"])], "static": []})
            links.append((vol, dg))
        elif storage == "mount":
            mnt, vol, block = f"{g}_mnt", None, opts["block_device"]
        if mnt is not None:
            mattrs: list[tuple[str, Any]] = [
                ("MountPoint", opts["mount_point"]), ("BlockDevice", block),
                ("FSType", opts["fs_type"]), ("FsckOpt", opts["fsck_opt"])]
            if opts["mount_opt"]:
                mattrs.append(("MountOpt", opts["mount_opt"]))
            res.append({"type": "Mount", "name": mnt, "attrs": mattrs, "static": []})
            if vol:
                links.append((mnt, vol))
        aattrs: list[tuple[str, Any]] = [
            ("StartProgram", prog["start"]), ("StopProgram", prog["stop"]),
            ("CleanProgram", prog["clean"]), ("MonitorProgram", prog["monitor"])]
        if not site.monitor:
            # monitor = false (the manual's "no process monitoring"): VCS must still monitor,
            # but a fault of this resource does not fail the group over.
            aattrs.append(("Critical", 0))
        res.append({"type": "Application", "name": app, "attrs": aattrs,
                    "static": [("OfflineTimeout", t["offline_timeout"]),
                               ("CleanTimeout", t["clean_timeout"])]})
        links.append((app, ip))
        if mnt is not None:
            links.append((app, mnt))
        gattrs: list[tuple[str, Any]] = [("SystemList", {s: i for i, s in enumerate(systems)})]
        if opts["auto_start"]:
            gattrs.append(("AutoStartList", [systems[0]]))
        return {"name": g, "attrs": gattrs, "resources": res, "links": links,
                "storage": storage, "site": site, "storage_reason": opts["storage_reason"]}

    # ---- rendering

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer, maincf_quote

        def cfval(value: Any) -> str:
            """A main.cf value: a bare word when VCS allows one, else a quoted string."""
            if isinstance(value, bool):
                return "1" if value else "0"
            if isinstance(value, int):
                return str(value)
            if isinstance(value, dict):
                return "{ " + ", ".join(f"{cfval(k)} = {cfval(v)}" for k, v in value.items()) + " }"
            if isinstance(value, list):
                return "{ " + ", ".join(cfval(v) for v in value) + " }"
            text = str(value)
            return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", text) else maincf_quote(text)

        def words(value: Any) -> list[str]:
            """The value words of an ha* -modify line, each escaped (`escape_ha_value`)."""
            if isinstance(value, dict):
                out = [w for k, v in value.items() for w in (str(k), str(v))]
            elif isinstance(value, list):
                out = [str(v) for v in value]
            else:
                out = [str(value)]
            return [escape_ha_value(w) for w in out]

        r = Renderer(self.name, self.template_dirs)
        base = {"cluster": self.cluster, "global": self.options, "cfval": cfval, "words": words,
                "systems": [self.system_name(n.name) for n in self.cluster.nodes],
                "shell": self.script_shell(), "script_path": self.script_path()}
        groups = [self.group_spec(s) for s in self.sites]
        out = [Artifact("main.cf", r.render("main.cf.j2", groups=groups, **base), 0o644,
                        "maincf")]
        for site, spec in zip(self.sites, groups, strict=True):
            d = site.short_name
            ctx = {**base, "site": site, "group": spec, "opts": self.site_opts(site),
                   "cmd": self.commands(site), "paths": self.paths(site),
                   "notify": self.notifies(site),
                   "app_resource": f"{self.site_opts(site)['group']}_app",
                   "timeouts": self.timeouts(site), "codes": {
                       "online": VCS_ONLINE, "offline": VCS_OFFLINE}}
            out += [
                Artifact(f"{d}/jobcenter-{d}.sh", r.render("jobcenter.sh.j2", **ctx), 0o755,
                         "sh", site.name),
                Artifact(f"{d}/vcs-commands.sh", r.render("vcs-commands.sh.j2", **ctx), 0o755,
                         "sh", site.name),
                Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644, "text",
                         site.name),
            ]
        return out

    @classmethod
    def rules(cls) -> list[Rule]:
        app = "VCS Bundled Agents Reference Guide, Application agent"
        return [
            Rule("VCS-MAINCF-SYNTAX", "main.cf parses", "VCS Administrator's Guide, main.cf "
                 "and attribute data types", _rule_syntax),
            Rule("VCS-APP-PROGRAMS", "the Application resource has StartProgram, StopProgram, "
                 "CleanProgram and a monitor method", app + " (required and optional "
                 "attributes)", _rule_app_programs),
            Rule("VCS-PROGRAM-ABSOLUTE", "program lines start with an absolute path and hold "
                 "no shell quoting", app + " (complete path; arguments separated by spaces)",
                 _rule_program_absolute),
            Rule("VCS-START-RETURNS", "StartProgram and MonitorProgram return: neither runs "
                 "the foreground watcher (cjcpw SITE DB)", app + " (Online, Monitor entry "
                 "points); JobCenter manual §3.3 (cjcpw stays in the foreground)",
                 _rule_start_returns),
            Rule("VCS-MONITOR-AGENT", "MonitorProgram is jccluster agent veritas monitor or "
                 "the site's monitor script", app + " (MonitorProgram: 110 online, 100 offline)",
                 _rule_monitor_agent),
            Rule("VCS-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
                 "start program", "JobCenter manual §2.10.4 (nqsportkpr must run first)",
                 _rule_keep_port_first),
            Rule("VCS-REQUIRES", "resource links: app requires ip and mount, ip requires nic, "
                 "mount requires volume, volume requires diskgroup",
                 "VCS Administrator's Guide (resource dependencies); JobCenter manual §1 (the "
                 "site needs its address and shared disk)", _rule_requires),
            Rule("VCS-AUTOSTART-SUBSET", "AutoStartList is a subset of SystemList",
                 "VCS Administrator's Guide (service group attributes)", _rule_autostart),
            Rule("VCS-NODES", "SystemList names exactly the cluster file's nodes",
                 "cluster file; llthosts(4)", _rule_nodes),
            Rule("VCS-TIMEOUTS", "OfflineTimeout and CleanTimeout are longer than the stop "
                 "deadline", "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine stop "
                 "deadline; Application type defaults (OfflineTimeout 300, CleanTimeout 60)",
                 _rule_timeouts),
            Rule("VCS-COMMANDS-MATCH", "the ha* command script creates the same group as "
                 "main.cf", "VCS Administrator's Guide (administering VCS from the command "
                 "line)", _rule_commands_match),
            Rule("VCS-STORAGE", "the group manages the shared disk (a Mount resource the "
                 "application requires), or says why not (// storage = \"none\": REASON)",
                 "JobCenter manual §2 terms (the database lives on the shared disk); VCS "
                 "Bundled Agents Reference Guide (Mount agent)", _rule_storage),
            Rule("VCS-DASH-VALUE", "ha* -modify values that begin with '-' are written %-",
                 "VCS command line (hares -modify RES FsckOpt %-y); docs/adapters/veritas.md",
                 _rule_dash_value),
            Rule("VCS-NETMASK", "the IP resource has a NetMask, the cluster file's netmask of "
                 "the site", "VCS Bundled Agents Reference Guide, IP agent (NetMask); cluster "
                 "file [[site]] netmask", _rule_netmask),
            Rule("VCS-POSIX-SHELL", "on Solaris, scripts using $(...) run under /usr/xpg4/bin/sh, "
                 "not the Bourne /bin/sh", "Solaris 10 sh(1) (Bourne shell; xpg4 sh is POSIX)",
                 _rule_posix_shell),
            Rule("VCS-FIXED-PATH", "every script sets PATH to fixed directories first",
                 "docs/engine.md security model (scripts run as root never inherit PATH)",
                 _rule_fixed_path),
        ]

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        """The manual's example names no VxVM objects: the example uses a disk group ``jobdg``
        with volume ``jobvol`` (storage is required)."""
        return {"site": [{"veritas": {"diskgroup": "jobdg", "volume": "jobvol"}}]}

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The service group's resources and its ``requires`` links, as in main.cf (VCS
        brings a child online before its parent, and takes it offline after)."""
        spec = self.group_spec(site)
        kinds = {"NIC": "other", "IP": "address", "DiskGroup": "disk", "Volume": "disk",
                 "Mount": "disk", "Application": "jobcenter"}
        res = [(r["name"], f"{r['name']}\n{r['type']}", kinds.get(r["type"], "other"))
               for r in spec["resources"]]
        links = [(child, parent) for parent, child in spec["links"]]
        return f"service group {spec['name']} ({site.name})", res, links


# --------------------------------------------------------------------------- check rules

Result = tuple[str, "str | None", "int | None"]


def _maincfs(ctx: CheckContext) -> Iterator[tuple[SourceFile, Any]]:
    from jobcenter_cluster.adapters import _maincf

    for f in ctx.files_of("maincf"):
        try:
            yield f, _maincf.parse(f.text)
        except _maincf.MainCfError:
            continue


def _apps(ctx: CheckContext) -> Iterator[tuple[SourceFile, Any, Any]]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            for r in g.of_type("Application"):
                yield f, g, r


def _rule_syntax(ctx: CheckContext) -> Iterator[Result]:
    from jobcenter_cluster.adapters import _maincf

    for f in ctx.files_of("maincf"):
        try:
            _maincf.parse(f.text)
        except _maincf.MainCfError as err:
            yield f"main.cf syntax: {err}", f.path, err.line


def _rule_app_programs(ctx: CheckContext) -> Iterator[Result]:
    for f, _g, r in _apps(ctx):
        for key in ("StartProgram", "StopProgram", "CleanProgram"):
            if not r.get(key):
                yield (f"{r.name}: {key} is missing (the Application agent needs it to "
                       f"{'start' if key == 'StartProgram' else 'stop'} the site)", f.path,
                       r.line)
        if not (r.get("MonitorProgram") or r.get("PidFiles") or r.get("MonitorProcesses")):
            yield (f"{r.name}: no MonitorProgram, PidFiles or MonitorProcesses: VCS cannot tell "
                   "whether the site runs", f.path, r.line)


def _program_lines(r: Any) -> Iterator[tuple[str, str, int]]:
    for key in ("StartProgram", "StopProgram", "CleanProgram", "MonitorProgram"):
        a = r.attrs.get(key)
        if a is not None and isinstance(a.value, str) and a.value:
            yield key, a.value, a.line


def _rule_program_absolute(ctx: CheckContext) -> Iterator[Result]:
    for f, _g, r in _apps(ctx):
        for key, value, line in _program_lines(r):
            words = value.split()
            if not words or not words[0].startswith("/"):
                yield (f"{r.name}: {key} {value!r} must start with the complete path of the "
                       "executable", f.path, line)
            elif any(not _WORD.match(w) for w in words):
                yield (f"{r.name}: {key} {value!r} holds quotes or shell characters; VCS splits "
                       "the line on spaces and passes no shell quoting (put the command in a "
                       "script)", f.path, line)


_FOREGROUND_CJCPW = LazyPattern(r"(^|/)cjcpw$")


def _is_foreground_watcher(words: list[str]) -> bool:
    if not words:
        return False
    if _FOREGROUND_CJCPW.search(words[0]):
        return not any(w in ("-c", "-stop") for w in words[1:])
    return len(words) > 3 and words[1] == "agent" and words[3] in ("watch", "service")


def _rule_start_returns(ctx: CheckContext) -> Iterator[Result]:
    for f, _g, r in _apps(ctx):
        for key, value, line in _program_lines(r):
            if key in ("StartProgram", "MonitorProgram") and _is_foreground_watcher(value.split()):
                yield (f"{r.name}: {key} {value!r} runs the watcher in the foreground and never "
                       "returns (VCS times the program out and faults the resource); start it "
                       "in the background (jccluster agent veritas online, or the site script)",
                       f.path, line)


def _rule_monitor_agent(ctx: CheckContext) -> Iterator[Result]:
    for f, _g, r in _apps(ctx):
        a = r.attrs.get("MonitorProgram")
        if a is None or not isinstance(a.value, str):
            continue
        words = a.value.split()
        ours = (len(words) >= 5 and words[1:4] == ["agent", "veritas", "monitor"]) or (
            len(words) == 2 and words[1] == "monitor" and os.path.basename(words[0])
            .startswith("jobcenter-"))
        if not ours:
            yield (f"{r.name}: MonitorProgram {a.value!r} is neither 'jccluster agent veritas "
                   "monitor SITE' nor the site script's monitor (both exit 110 online, 100 "
                   "offline)", f.path, a.line)


def _script_for(ctx: CheckContext, program: str) -> SourceFile | None:
    base = os.path.basename(program.split()[0]) if program.split() else ""
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if os.path.basename(f.path) == base:
            return f
    return None


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[Result]:
    for f, _g, r in _apps(ctx):
        a = r.attrs.get("StartProgram")
        if a is None or not isinstance(a.value, str) or not a.value.split():
            continue
        script = _script_for(ctx, a.value)
        if script is None:
            if not os.path.basename(a.value.split()[0]).startswith("jobcenter-"):
                yield (f"{r.name}: StartProgram {a.value!r} does not run nqsportkpr first; use "
                       "the site script (jobcenter-SITE.sh start), which does", f.path, a.line)
            continue
        body = shell_function_body(script, "do_start")
        if body is None:
            yield ("no do_start function: cannot see the start path", script.path, None)
            continue
        first = first_real_command(body, skip=lambda t: t.startswith("return"))
        finding = keep_port_not_first(first, script.path, "do_start")
        if finding:
            yield finding


def _need(f: SourceFile, g: Any, parents: list[Any], ctype: str, why: str
          ) -> Iterator[Result]:
    children = g.of_type(ctype)
    for p in parents:
        if children and not any(g.requires(p.name, c.name) for c in children):
            yield (f"{g.name}: {p.name} does not require a {ctype} resource ({why}); add: "
                   f"{p.name} requires {children[0].name}", f.path, p.line)


def _rule_requires(ctx: CheckContext) -> Iterator[Result]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            apps = g.of_type("Application")
            if not apps:
                continue
            if not g.of_type("IP"):
                for a in apps:
                    yield (f"{g.name}: no IP resource for the site address ({a.name} must "
                           "require it)", f.path, a.line)
            yield from _need(f, g, apps, "IP", "the site must start after its address is up")
            yield from _need(f, g, apps, "Mount", "the database must be mounted first")
            yield from _need(f, g, g.of_type("IP"), "NIC", "the address needs its interface")
            yield from _need(f, g, g.of_type("Mount"), "Volume",
                             "the file system lives on the volume")
            yield from _need(f, g, g.of_type("Volume"), "DiskGroup",
                             "the volume lives in the disk group")


def _rule_autostart(ctx: CheckContext) -> Iterator[Result]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            systems = g.get("SystemList")
            auto = g.get("AutoStartList")
            if auto is None:
                continue
            known = set(systems) if isinstance(systems, dict | list) else set()
            extra = [s for s in (auto if isinstance(auto, list) else [auto]) if s not in known]
            if extra:
                a = g.attrs["AutoStartList"]
                yield (f"{g.name}: AutoStartList names {', '.join(extra)}, not in SystemList",
                       f.path, a.line)


def _rule_nodes(ctx: CheckContext) -> Iterator[Result]:
    if ctx.cluster is None:
        return
    full = ctx.adapter is not None and ctx.adapter.options.get("system_names") == "full"
    want = {n.name if full else n.short_name for n in ctx.cluster.nodes}
    groups = {_site_group_name(ctx, s) for s in ctx.cluster.sites}
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            if g.name not in groups:
                continue
            systems = g.get("SystemList")
            have = set(systems) if isinstance(systems, dict | list) else set()
            if have != want:
                line = g.attrs["SystemList"].line if "SystemList" in g.attrs else g.line
                yield (f"{g.name}: SystemList {sorted(have)} differs from the cluster file's "
                       f"nodes {sorted(want)}", f.path, line)


def _int_attr(r: Any, key: str, default: int) -> tuple[int | None, int]:
    a = r.attrs.get(key)
    if a is None:
        return default, r.line
    return (int(a.value) if isinstance(a.value, str) and a.value.isdigit() else None), a.line


def _rule_timeouts(ctx: CheckContext) -> Iterator[Result]:
    stop = stop_seconds(ctx.cluster)
    for f, _g, r in _apps(ctx):
        for key, default in (("OfflineTimeout", VCS_DEFAULT_OFFLINE_TIMEOUT),
                             ("CleanTimeout", VCS_DEFAULT_CLEAN_TIMEOUT)):
            value, line = _int_attr(r, key, default)
            if value is not None and value <= stop:
                yield (f"{r.name}: {key} {value} s is not longer than the stop deadline "
                       f"({stop} s): VCS gives up before the site is stopped"
                       + ("" if key in r.attrs else f" (VCS's default is {default} s; set "
                          f"{key} = {stop + 60})"), f.path, line)


def parse_command_script(text: str) -> dict[str, dict[str, Any]]:
    """The groups an ``ha*`` command script creates, in the shape of `_maincf.flatten` values:
    ``{group: {"attrs": {name: [words]}, "resources": {name: (type, {attr: [words]})},
    "links": {(parent, child)}}}``."""
    import shlex

    groups: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for line in text.split("\n"):  # not splitlines(): a value may hold U+0085 or U+2028
        s = line.strip(" \t")
        if not s.startswith(("hagrp ", "hares ")):
            continue
        try:
            words = shlex.split(s, comments=True)
        except ValueError:
            continue
        cmd, args = words[0], words[1:]
        if len(args) < 2:
            continue
        op = args[0]
        if cmd == "hagrp" and op == "-add":
            groups.setdefault(args[1], {"attrs": {}, "resources": {}, "links": set()})
        elif cmd == "hagrp" and op == "-modify" and args[1] in groups and len(args) >= 3:
            groups[args[1]]["attrs"][args[2]] = [unescape_ha_value(w) for w in args[3:]]
        elif cmd == "hares" and op == "-add" and len(args) >= 4 and args[3] in groups:
            groups[args[3]]["resources"][args[1]] = (args[2], {})
            owner[args[1]] = args[3]
        elif cmd == "hares" and op == "-modify" and args[1] in owner and len(args) >= 3:
            if args[2] != "Enabled":
                groups[owner[args[1]]]["resources"][args[1]][1][args[2]] = [
                    unescape_ha_value(w) for w in args[3:]]
        elif cmd == "hares" and op == "-link" and len(args) >= 3 and args[1] in owner:
            groups[owner[args[1]]]["links"].add((args[1], args[2]))
    return groups


def maincf_groups(cf: Any) -> dict[str, dict[str, Any]]:
    """A parsed main.cf in the shape of `parse_command_script`."""
    from jobcenter_cluster.adapters._maincf import flatten

    out: dict[str, dict[str, Any]] = {}
    for g in cf.groups.values():
        out[g.name] = {
            "attrs": {k: flatten(a.value) for k, a in g.attrs.items()},
            "resources": {r.name: (r.type, {k: flatten(a.value) for k, a in r.attrs.items()})
                          for r in g.resources.values()},
            "links": {(p, c) for p, c, _ in g.links},
        }
    return out


def _rule_commands_match(ctx: CheckContext) -> Iterator[Result]:
    cfs = [(f, maincf_groups(cf)) for f, cf in _maincfs(ctx)]
    if not cfs:
        return
    for f in ctx.files_of(("sh", "ksh", "bash")):
        script = parse_command_script(f.text)
        for name, g in script.items():
            match = next(((cf_file, groups[name]) for cf_file, groups in cfs if name in groups),
                         None)
            if match is None:
                yield (f"group {name} is created here but is not in main.cf", f.path, None)
                continue
            cf_file, m = match
            if g["attrs"] != m["attrs"]:
                yield (f"group {name}: attributes {g['attrs']} differ from {cf_file.path}'s "
                       f"{m['attrs']}", f.path, None)
            if set(g["resources"]) != set(m["resources"]):
                yield (f"group {name}: resources {sorted(g['resources'])} differ from "
                       f"{cf_file.path}'s {sorted(m['resources'])}", f.path, None)
            for rname in sorted(set(g["resources"]) & set(m["resources"])):
                if g["resources"][rname] != m["resources"][rname]:
                    yield (f"resource {rname}: {g['resources'][rname]} differs from "
                           f"{cf_file.path}'s {m['resources'][rname]}", f.path, None)
            if g["links"] != m["links"]:
                yield (f"group {name}: links {sorted(g['links'])} differ from {cf_file.path}'s "
                       f"{sorted(m['links'])}", f.path, None)


_STORAGE_NONE = LazyPattern(r'^\s*//\s*storage\s*=\s*"none"\s*:\s*\S')


def _group_text(f: SourceFile, cf: Any, g: Any) -> list[str]:
    """The lines of `g` in main.cf: from its ``group`` line to the next group's."""
    starts = sorted(x.line for x in cf.groups.values())
    later = [n for n in starts if n > g.line]
    return f.lines[g.line - 1:(later[0] - 1) if later else None]


def _rule_storage(ctx: CheckContext) -> Iterator[Result]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            if not g.of_type("Application") or g.of_type("Mount"):
                continue
            if any(_STORAGE_NONE.match(line) for line in _group_text(f, cf, g)):
                continue  # the opt-out, with its reason, is written down
            yield (f"{g.name}: no Mount resource: VCS starts JobCenter without mounting its "
                   "shared disk (set [site.veritas] diskgroup and volume, or block_device; or "
                   'storage = "none" with storage_reason, rendered as // storage = "none": '
                   "REASON)", f.path, g.line)


def _rule_dash_value(ctx: CheckContext) -> Iterator[Result]:
    import shlex

    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, text in command_lines(f.lines):
            if not text.startswith(("hares ", "hagrp ")):
                continue
            try:
                words = shlex.split(text, comments=True)
            except ValueError:
                continue
            if len(words) < 5 or words[1] != "-modify":
                continue
            for w in words[4:]:
                if w.startswith("-"):
                    yield (f"{words[0]} -modify {words[2]} {words[3]}: the value {w!r} begins "
                           f"with '-', which {words[0]} reads as an option; write %{w}", f.path, n)


def _rule_netmask(ctx: CheckContext) -> Iterator[Result]:
    from jobcenter_cluster.model import check_netmask, normal_netmask

    sites = {}
    if ctx.cluster is not None:
        sites = {_site_group_name(ctx, s): s for s in ctx.cluster.sites}
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            for r in g.of_type("IP"):
                a = r.attrs.get("NetMask")
                value = a.value if a is not None else None
                if not isinstance(value, str) or check_netmask(value):
                    yield (f"{r.name}: NetMask {value!r} is missing or not a netmask (VCS would "
                           "use the interface's; write the site's, never a guess)", f.path,
                           a.line if a is not None else r.line)
                    continue
                site = sites.get(g.name)
                want = site.netmask if site is not None else None
                if want is not None and normal_netmask(value) != want:
                    yield (f"{r.name}: NetMask {value} differs from the cluster file's netmask "
                           f"{want} of {site.name}", f.path, a.line)


_SUBSHELL = LazyPattern(r"\$\(")
_BOURNE = ("/bin/sh", "/sbin/sh", "/usr/bin/sh")


def _rule_posix_shell(ctx: CheckContext) -> Iterator[Result]:
    if ctx.cluster is None or ctx.cluster.product.name != "jobcenter-solaris":
        return
    for f in ctx.files_of(("sh", "ksh", "bash")):
        first = f.text.split("\n", 1)[0]
        if not first.startswith("#!"):
            continue
        shell = first[2:].strip().split()[0] if first[2:].strip() else ""
        if shell in _BOURNE and any(_SUBSHELL.search(t) for _, t in command_lines(f.lines)):
            yield (f"#!{shell} is Solaris 10's Bourne shell, which rejects $(...); use "
                   "#!/usr/xpg4/bin/sh", f.path, 1)


def _rule_fixed_path(ctx: CheckContext) -> Iterator[Result]:
    yield from fixed_path_findings(ctx.files_of(("sh", "ksh", "bash")))


def _site_group_name(ctx: CheckContext, site: Site) -> str:
    if ctx.adapter is not None:
        return str(ctx.adapter.site_opts(site)["group"])
    return _default_group(ctx.cluster, site)

