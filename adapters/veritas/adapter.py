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

import re
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster.adapter import (
    Adapter,
    Artifact,
    GraphResources,
    Unique,
    stop_budget,
)
from jobcenter_cluster.adapters.veritas import SPEC, VCS_OFFLINE, VCS_ONLINE
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Cluster, Site, check_netmask
from jobcenter_cluster.options import Option, pattern_check, plain_path_check
from jobcenter_cluster.render import maincf_quote

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

# VCS object names (groups, resources, systems): a letter first, then letters, digits, - and _.
_vcs_name = pattern_check(r"[A-Za-z][A-Za-z0-9_-]{0,127}", "is not a VCS object name (a letter "
                          "first, then letters, digits, '-' or '_')")
#: What may stand in a program command line: the Application agent splits it on spaces, so every
#: word must be free of spaces, quotes and shell characters.
WORD = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+\Z")
#: A main.cf value that needs no quotes (a bare word).
_BARE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_abs_path = plain_path_check("no spaces or quotes: VCS splits program lines on spaces")
_device = pattern_check(r"[A-Za-z0-9_.:-]{1,64}", "is not a network device name (e.g. eth0)")
_fs_type = pattern_check(r"[a-z0-9]{1,16}", "is not a file-system type")
# (str.strip() and the \S of a str pattern agree on what is white space)
_unpadded = pattern_check(r"\S(.*\S)?", "must be non-empty, unpadded", re.DOTALL)


def _mount_opt(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9=,_.-]*", value) else (
        f"{value!r}: use letters, digits and = , _ . -")


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
    return text if _BARE.fullmatch(text) else maincf_quote(text)


def ha_words(value: Any) -> list[str]:
    """The value words of an ha* -modify line, each escaped (`escape_ha_value`)."""
    if isinstance(value, dict):
        out = [w for k, v in value.items() for w in (str(k), str(v))]
    elif isinstance(value, list):
        out = [str(v) for v in value]
    else:
        out = [str(value)]
    return [escape_ha_value(w) for w in out]


def group_name(short_name: str) -> str:
    """The default service group name of the site with this short name."""
    return f"jobcenter_{short_name}"[:128]


def default_group(_c: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return group_name(site.short_name)


#: The public network interface's usual name per OS (Linux's otherwise).
DEVICE = {"jobcenter-hpux": "lan0", "jobcenter-solaris": "net0"}


def _default_device(cluster: Cluster | None, _s: Site | None) -> str:
    return DEVICE.get(cluster.product.name if cluster else "", "eth0")



def default_timeouts(stop: int) -> dict[str, int]:
    """The Application resource's OfflineTimeout and CleanTimeout when the cluster file gives
    none: a minute more than the stop budget `stop` (`stop_budget`), and never below VCS's
    own."""
    return {"offline_timeout": max(VCS_DEFAULT_OFFLINE_TIMEOUT, stop + 60),
            "clean_timeout": stop + 60}


#: ``(attribute, value)`` pairs of a group or resource, in main.cf's order; a value is a word,
#: a number, a list (vector, keylist) or a dict (association).
Attrs = list[tuple[str, Any]]


@dataclass
class VcsResource:
    """One resource of the service group: its type, name and attributes; `static` are the
    type's static attributes overridden for this resource (``hares -override`` first)."""

    type: str
    name: str
    attrs: Attrs
    static: Attrs = field(default_factory=list)


@dataclass
class ServiceGroup:
    """A site's service group as data: both main.cf and the command script render from it.

    `links` are ``(parent, child)``: the parent requires the child. `storage` is ``vxvm``,
    ``mount`` or ``none`` (then `storage_reason` says why).
    """

    name: str
    site: Site
    attrs: Attrs
    resources: list[VcsResource]
    links: list[tuple[str, str]]
    storage: str
    storage_reason: str | None


class VeritasAdapter(Adapter):
    """A main.cf service group per site (NIC, IP, storage, Application) and the same group as
    ``haconf``/``hagrp``/``hares`` commands for a running cluster."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.veritas.rules:RULES"
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
        "group": Option(str, default_group, "the service group name", check=_vcs_name),
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
                          check=_fs_type),
        "fsck_opt": Option(str, "-y", "Mount FsckOpt (-y or -n)", choices=("-y", "-n")),
        "mount_opt": Option(str, "", "Mount MountOpt",
                            check=_mount_opt),
        "storage": Option(str, None, 'storage = "none": the group has no storage resources '
                          "on purpose (another group mounts the disk); needs storage_reason",
                          choices=("none",)),
        "storage_reason": Option(str, None, 'why storage = "none" is safe (rendered into main.cf)',
                                 check=_unpadded),
        "offline_timeout": Option(int, None, "OfflineTimeout of the Application resource "
                                  "(default: 300, VCS's, or more than the stop deadline)",
                                  minimum=1, maximum=86400),
        "clean_timeout": Option(int, None, "CleanTimeout of the Application resource (default: "
                                "the stop deadline plus 60 s)", minimum=1, maximum=86400),
    }
    # ---- validation

    def validate(self) -> None:
        c = self.cluster
        self.require_posix("this adapter renders VCS for UNIX and Linux, not {product} (use "
                           "jobcenter-linux, jobcenter-hpux or jobcenter-solaris)")
        self.require_plain_paths("VCS splits program lines on spaces")
        groups = Unique(c.source, "group names are unique in the cluster")
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.veritas"
            groups.add(opts["group"], f"{where}.group")
            if opts["volume"] and not opts["diskgroup"]:
                raise ConfigError("needs diskgroup too (the "
                                  "Volume resource belongs to a disk group)",
                                  source=c.source, field=f"{where}.volume")
            if opts["diskgroup"] and not opts["volume"]:
                raise ConfigError("needs volume too (the "
                                  "VxVM volume holding the file system)",
                                  source=c.source, field=f"{where}.diskgroup")
            self._validate_storage(site, opts, where)
            if opts["netmask"] is None:
                site.require_netmask(c.source, "the VCS IP resource's NetMask")
            t = self.timeouts(site)
            for key in ("offline_timeout", "clean_timeout"):
                if t[key] <= t["stop"]:
                    raise ConfigError(
                        f"{t[key]} s is too short: it must be longer "
                        f"than the stop's budget ({t['stop']} s: the engine's deadline, or "
                        f"under cjcpw twice JobCenter's 2-minute stop), or VCS gives up before "
                        f"the site is stopped; use at least {t['stop'] + 1}",
                        source=c.source, field=f"{where}.{key}")
        # node names are RFC 1123 host names already (the model checks them)
        names = [self.system_name(n.name) for n in c.nodes]
        if len(set(names)) != len(names):
            raise ConfigError("the nodes' short names are "
                              'not unique; use system_names = "full"',
                              source=c.source, field="veritas.system_names")

    def _validate_storage(self, site: Site, opts: dict[str, Any], where: str) -> None:
        self.require_storage_opt_out(
            opts, where, ("diskgroup", "block_device"), "say why VCS may start the site without "
            f"mounting {site.database}, e.g. \"mounted by group jobdisk\"",
            missing=("diskgroup", "is required: without storage resources VCS starts JobCenter "
                     "without its disk; set diskgroup and volume (VxVM) or block_device for "
                     f"{site.database}, or storage = \"none\" with storage_reason when another "
                     "group mounts it"))

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
        stop = stop_budget(self.cluster)
        default = default_timeouts(stop)
        return {"stop": stop, **{key: opts[key] or default[key] for key in default}}

    def paths(self, site: Site) -> dict[str, str]:
        o = self.options
        short = site.short_name
        return {
            "script": f"{o['script_dir'].rstrip('/')}/jobcenter-{short}.sh",
            "log": f"{o['log_dir'].rstrip('/')}/jobcenter-{short}.log",
            "pidfile": f"{o['run_dir'].rstrip('/')}/jobcenter-{short}.cjcpw.pid",
            # supervisor = "cjcpw": present from the start of a stop until it is verified done
            "stopmark": f"{o['run_dir'].rstrip('/')}/jobcenter-{short}.stopping",
            # supervisor = "cjcpw", monitor = false: present from a start until the stop
            "started": f"{o['run_dir'].rstrip('/')}/jobcenter-{short}.started",
        }

    def site_commands(self, site: Site) -> dict[str, list[str]]:
        """Every command line the script and main.cf run, for the cluster's supervisor (under
        cjcpw also ``cjcls``, which the site script's monitor reads)."""
        cmd = self.commands(site, {"keep_port": "keep-port",
                                   "start": "online" if site.monitor else "online-unwatched",
                                   "stop": "offline", "clean": "clean", "monitor": "monitor"})
        if self.cluster.supervisor == "cjcpw":
            cmd["cjcls"] = self.native_argv("cjcls")
        return cmd

    def programs(self, site: Site) -> dict[str, str]:
        """The Application resource's program lines (space-separated words, as VCS wants)."""
        script = self.paths(site)["script"]
        if self.cluster.supervisor == "cjcpw":
            return {verb: f"{script} {verb}" for verb in ("start", "stop", "clean", "monitor")}
        cmd = self.site_commands(site)
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

    def group_spec(self, site: Site) -> ServiceGroup:
        """The service group as data: both main.cf and the command script render from it."""
        opts = self.site_opts(site)
        g = opts["group"]
        systems = [self.system_name(n.name) for n in self.cluster.nodes]
        t = self.timeouts(site)
        prog = self.programs(site)
        nic, ip, app = f"{g}_nic", f"{g}_ip", f"{g}_app"
        res = [VcsResource("NIC", nic, [("Device", opts["device"])]),
               VcsResource("IP", ip, [("Device", opts["device"]), ("Address", site.address),
                                      ("NetMask", opts["netmask"])])]
        links = [(ip, nic)]
        storage = self.storage(site)
        mnt = None
        if storage == "vxvm":
            dg, vol, mnt = f"{g}_dg", f"{g}_vol", f"{g}_mnt"
            block = opts["block_device"] or f"/dev/vx/dsk/{opts['diskgroup']}/{opts['volume']}"
            res.append(VcsResource("DiskGroup", dg, [("DiskGroup", opts["diskgroup"])]))
            res.append(VcsResource("Volume", vol, [("DiskGroup", opts["diskgroup"]),
                                                   ("Volume", opts["volume"])]))
            links.append((vol, dg))
        elif storage == "mount":
            mnt, vol, block = f"{g}_mnt", None, opts["block_device"]
        if mnt is not None:
            mattrs: Attrs = [("MountPoint", opts["mount_point"]), ("BlockDevice", block),
                             ("FSType", opts["fs_type"]), ("FsckOpt", opts["fsck_opt"])]
            if opts["mount_opt"]:
                mattrs.append(("MountOpt", opts["mount_opt"]))
            res.append(VcsResource("Mount", mnt, mattrs))
            if vol:
                links.append((mnt, vol))
        aattrs: Attrs = [("StartProgram", prog["start"]), ("StopProgram", prog["stop"]),
                         ("CleanProgram", prog["clean"]), ("MonitorProgram", prog["monitor"])]
        if not site.monitor:
            # monitor = false (the manual's "no process monitoring"): VCS must still monitor,
            # but a fault of this resource does not fail the group over.
            aattrs.append(("Critical", 0))
        res.append(VcsResource("Application", app, aattrs,
                               [("OfflineTimeout", t["offline_timeout"]),
                                ("CleanTimeout", t["clean_timeout"])]))
        links.append((app, ip))
        if mnt is not None:
            links.append((app, mnt))
        gattrs: Attrs = [("SystemList", {s: i for i, s in enumerate(systems)})]
        if opts["auto_start"]:
            gattrs.append(("AutoStartList", [systems[0]]))
        return ServiceGroup(g, site, gattrs, res, links, storage, opts["storage_reason"])

    # ---- rendering

    def render(self) -> list[Artifact]:
        r = self.renderer()
        base = {"cluster": self.cluster, "global": self.options, "cfval": cfval, "words": ha_words,
                "systems": [self.system_name(n.name) for n in self.cluster.nodes],
                "shell": self.script_shell(), "script_path": self.script_path()}
        groups = [self.group_spec(s) for s in self.sites]
        out = [Artifact("main.cf", r.render("main.cf.j2", groups=groups, **base), 0o644,
                        "maincf")]
        for site, spec in zip(self.sites, groups, strict=True):
            d = site.short_name
            ctx = {**base, "site": site, "group": spec, "opts": self.site_opts(site),
                   "cmd": self.site_commands(site), "paths": self.paths(site),
                   "notify": self.notifies(site),
                   "app_resource": f"{self.site_opts(site)['group']}_app",
                   "timeouts": self.timeouts(site), "codes": {
                       "online": VCS_ONLINE, "offline": VCS_OFFLINE}}
            out += [
                Artifact(f"{d}/jobcenter-{d}.sh",
                         r.render(f"jobcenter-{self.cluster.supervisor}.sh.j2", **ctx), 0o755,
                         "sh", site.name),
                Artifact(f"{d}/vcs-commands.sh", r.render("vcs-commands.sh.j2", **ctx), 0o755,
                         "sh", site.name),
                Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644, "text",
                         site.name),
            ]
        return out

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        """The manual's example names no VxVM objects: the example uses a disk group ``jobdg``
        with volume ``jobvol`` (storage is required)."""
        return {"site": [{"veritas": {"diskgroup": "jobdg", "volume": "jobvol"}}]}

    def graph_resources(self, site: Site) -> GraphResources:
        """The service group's resources and its ``requires`` links, as in main.cf (VCS
        brings a child online before its parent, and takes it offline after)."""
        spec = self.group_spec(site)
        kinds = {"NIC": "other", "IP": "address", "DiskGroup": "disk", "Volume": "disk",
                 "Mount": "disk", "Application": "jobcenter"}
        # the address and the mount point on their nodes, as every product's graph shows them
        shown = {"IP": site.address}
        res = [(r.name, f"{r.name}\n{r.type}" + (
            f"\n{shown[r.type]}" if r.type in shown else
            f"\n{dict(r.attrs).get('MountPoint')}" if r.type == "Mount" else ""),
            kinds.get(r.type, "other")) for r in spec.resources]
        links = [(child, parent) for parent, child in spec.links]
        return f"service group {spec.name} ({site.name})", res, links
