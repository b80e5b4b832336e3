"""CLUSTERPRO X / EXPRESSCLUSTER X for Linux: a failover group per site with a floating IP, a
shared-disk resource, an exec resource running JobCenter's watcher, a PID monitor and a RAW
monitor -- as ``clp.conf`` (a real XML serializer), as the equivalent ``clpcfset`` commands, and
the exec resource's ``start.sh`` / ``stop.sh`` in the layout ``clpcfctrl --push -x DIR`` reads.

Sources:

- JobCenter manual §3.3 (R12.7): §3.3.2 ① the resources a JobCenter group needs (floating IP,
  exec, disk, RAW monitor), ② the exec resource's start script must be *asynchronous* because
  ``cjcpw`` stays in the foreground, ③ a PID monitor on that exec resource with the JobCenter
  failover group as recovery target; §3.3.7 the start.sh/stop.sh samples (``$CLP_EVENT`` START /
  FAILOVER, act only on ``$CLP_DISK`` = SUCCESS, ``exit 0``), "no other applications in this
  start.sh: since CLUSTERPRO for Linux 3.1 process monitoring watches start.sh itself", never
  ``-c`` when monitoring, stop script *synchronous* (``cjcpw -stop`` takes 1-2 minutes), and
  ``clpcfctrl --push -l|-w [-x DIR]``.
- NEC's clpcfset documentation (github.com/EXPRESSCLUSTER/clpcfset, doc/linux/exec.md, pidw.md,
  disk.md, resource.md; github.com/EXPRESSCLUSTER/CreateClusterOnLinux,
  doc/jp/CommandUsage_v2_Linux_jp.md, ResourceParameters_Linux_jp.md,
  MonitorParameters_Linux_jp.md, template_scripts/clpcreate_v2/clp.conf, src/v2/clpcfset.c),
  which point to the EXPRESSCLUSTER X 4.3 Reference Guide "Parameters list (clpcfset command)":
  command forms ``clpcfset create CLUSTER CHARSET ENCODE OS``, ``add srv NAME PRIORITY``,
  ``add device SRV lan ID IP``, ``add hb lankhb ID PRIORITY``, ``add grp failover NAME``,
  ``add rsc GROUP TYPE NAME``, ``add rscparam TYPE NAME PATH VALUE``, ``add mon TYPE NAME``,
  ``add monparam TYPE NAME PATH VALUE``; exec ``parameters/act/path`` start.sh,
  ``parameters/act/sync`` (0 asynchronous, 1 synchronous, default 1), ``parameters/deact/sync``,
  ``parameters/timeout/start|stop`` (default 1800) with ``act/timeout`` / ``deact/timeout`` =
  180 + the script timeout; pidw ``target`` = the asynchronous exec resource, recovery target
  ``relation/type`` grp + ``relation/name`` GROUP, ``emergency/threshold/restart|fo``; disk
  ``parameters/disktype|device|mount/point|fs``; fip ``parameters/ip``; each path maps to nested
  elements of ``clp.conf`` (``/root/resource/exec@NAME/parameters/act/sync``); built-in scripts go
  to ``scripts/GROUP/RESOURCE/start.sh`` next to clp.conf.
- RAW monitor: type ``raww``; ``parameters/object`` (the raw device) and ``parameters/device``
  (the disk partition it is bound to), as in the Reference Guide's parameter list -- the one
  part not shown in NEC's samples: check it against the guide of your version (docs page).
  Optional since the raw driver left the Linux kernel (5.14); the default is a disk monitor:
  type ``diskw``, ``parameters/object`` the disk's device (CreateClusterOnLinux,
  doc/jp/MonitorParameters_Linux_jp.md, "ディスクRWモニタリソース / タイプ名: diskw").
- JobCenter manual §3.3.6-3.3.8 (the order: the group runs with its floating IP and disk only,
  cjcmksite, cjcpw tried by hand, the group stopped, then the exec resource and its scripts) and
  §3.3.11 (the patch procedure), rendered as APPLY.txt and PATCH.txt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobcenter_cluster.adapter import Adapter, Artifact, GraphResources, Unique, stop_seconds
from jobcenter_cluster.adapters.clusterpro_linux import SPEC
from jobcenter_cluster.adapters.clusterpro_linux.clpconf import build_conf, serialize_conf
from jobcenter_cluster.checks import check_fixed_path
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Cluster, Site, check_ipv4
from jobcenter_cluster.options import Option, pattern_check

#: seconds the exec resource's stop script may run beyond the stop deadline: JobCenter's own
#: stop (``cjcpw -stop``, 1-2 minutes, manual §3.3.7) has no deadline of its own, and the script
#: checks what is left afterwards (issue 20). With either supervisor: 120 + 180 = 300 s.
STOP_MARGIN = 180
#: supervisor = "cjcpw": the smallest margin a hand-set stop timeout must leave beyond the stop.
CJCPW_MIN_MARGIN = 120
#: EXPRESSCLUSTER's "activation/deactivation timeout = 180 + script timeout" (clpcfset exec.md).
RESOURCE_TIMEOUT_EXTRA = 180
#: the example's disk device (`--example`); the starter file of `jccluster init` names the same
#: one in a commented-out table, to be replaced by the real shared-disk partition.
EXAMPLE_DISK_DEVICE = "/dev/sdb1"
#: the PATH every rendered script sets first: fixed system directories and EXPRESSCLUSTER's
#: own (clplogcmd, clpcfset, clpgrp live in /usr/sbin; /opt/nec/clusterpro/bin), never the
#: caller's -- the scripts run as root.
SCRIPT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/opt/nec/clusterpro/bin"
DISK_MONITORS = ("diskw", "raww", "none")

# EXPRESSCLUSTER object names (cluster, group, resource, monitor): letters, digits, '-', '_',
# at most 31 characters; we also require a leading letter.
_ecx_name = pattern_check(r"[A-Za-z][A-Za-z0-9_-]{0,30}", "is not an EXPRESSCLUSTER name "
                          "(1-31 letters, digits, '-', '_', beginning with a letter)")
# Device files and mount points: absolute, no spaces, quotes or shell/XML-special characters.
_DEV_PATH = re.compile(r"/[A-Za-z0-9_.+:@%=,/-]*")
FILESYSTEMS = ("ext3", "ext4", "xfs", "reiserfs", "vxfs", "zfs")
CHARSETS = ("ASCII", "EUC-JP", "GB2312")


def _dev_path(value: str) -> str | None:
    if not _DEV_PATH.fullmatch(value) or "//" in value or (value != "/" and value.endswith("/")):
        return (f"{value!r} must be an absolute path in normal form of letters, digits and "
                "_ . + : @ % = , / -")
    return None


def _per_site(kind: str) -> Callable[[Cluster | None, Site | None], str]:
    def default(_cluster: Cluster | None, site: Site | None) -> str:
        assert site is not None
        return f"{kind}-{site.short_name}"[:31].rstrip("-_")

    return default


def _monitor_calls(kind: str, name: str, group: str, interval: int, what: dict[str, str],
                   recovery: dict[str, str] | None = None) -> list[list[str]]:
    """clpcfset calls adding a monitor of `kind`: `what` it watches, its polling interval, the
    failover `group` as its recovery target, then the `recovery` thresholds."""
    param = ["add", "monparam", kind, name]
    return [["add", "mon", kind, name],
            *([*param, path, value] for path, value in what.items()),
            [*param, "polling/interval", str(interval)],
            [*param, "relation/type", "grp"],
            [*param, "relation/name", group],
            *([*param, path, value] for path, value in (recovery or {}).items())]


#: the steps of start.sh and stop.sh and the agent verb of each (`Adapter.commands`)
STEPS = {"keep_port": "keep-port", "watch": "start", "start": "start-nowatch", "stop": "stop",
         "status": "status"}


@dataclass(frozen=True)
class SiteConf:
    """What the adapter renders for one site (names, devices, timeouts, command lines)."""

    site: Site
    group: str
    fip: str
    disk: str
    exec: str
    pidw: str
    raww: str
    diskw: str
    disk_monitor: str
    address: str
    disk_device: str
    mount_point: str
    fs: str
    raw_device: str
    start_timeout: int
    #: the exec resource's stop script timeout
    stop_timeout: int
    #: how long the stop itself may take (`stop_seconds`)
    stop_seconds: int
    monitor: bool
    #: the `STEPS` as command lines
    commands: dict[str, list[str]]
    #: APPLY.txt's by-hand steps (`Adapter.setup_commands`)
    setup: dict[str, list[str]]


class ClusterProLinuxAdapter(Adapter):
    """CLUSTERPRO X / EXPRESSCLUSTER X for Linux (and CLUSTERPRO for Linux 3.x by hand)."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.clusterpro_linux.rules:RULES"
    artifacts = (
        "clp.conf",
        "bootstrap/clp.conf",
        "clpcfset.sh",
        "scripts/{group}/{exec}/start.sh",
        "scripts/{group}/{exec}/stop.sh",
        "APPLY.txt",
        "PATCH.txt",
    )
    options_schema = {
        "cluster_name": Option(str, lambda c, s: c.name if c else "jobcenter",
                               "the EXPRESSCLUSTER cluster name (default: cluster.name)",
                               check=_ecx_name),
        "charset": Option(str, "ASCII", "clp.conf character set: ASCII (English), EUC-JP "
                          "(Japanese), GB2312 (Chinese) -- the language of EXPRESSCLUSTER",
                          choices=CHARSETS),
        "encode": Option(str, None, "the Cluster WebUI encoding (default: the charset; SJIS when "
                         "the WebUI runs on Windows)", choices=(*CHARSETS, "SJIS")),
        "server_names": Option(str, "short", "server names in clp.conf: the nodes' short names "
                               "or their full names (what 'hostname' prints on each node)",
                               choices=("short", "fqdn")),
        "pid_interval": Option(int, 1, "PID monitor interval (seconds): a dead watcher waits up "
                               "to this long before the group fails over (the PID monitor only "
                               "checks that one process exists)", minimum=1, maximum=999),
        "pid_restart": Option(int, 0, "PID monitor: how often to restart the group on the same "
                              "server before failing over", minimum=0, maximum=99),
        "pid_failover": Option(int, 1, "PID monitor: how often to fail the group over",
                               minimum=0, maximum=99),
        "raw_interval": Option(int, 60, "RAW monitor interval (seconds)", minimum=1,
                               maximum=999),
        "diskw_interval": Option(int, 60, "disk monitor (diskw) interval (seconds)",
                                 minimum=1, maximum=999),
        "script_path": Option(str, SCRIPT_PATH, "the PATH the rendered scripts set first "
                              "(fixed absolute directories; never the caller's)",
                              check=check_fixed_path),
    }
    site_options_schema = {
        "group": Option(str, _per_site("jobcenter"), "the failover group", check=_ecx_name),
        "fip_resource": Option(str, _per_site("fip"), "floating IP resource name",
                               check=_ecx_name),
        "disk_resource": Option(str, _per_site("disk"), "disk resource name", check=_ecx_name),
        "exec_resource": Option(str, _per_site("exec"), "exec resource name", check=_ecx_name),
        "pid_monitor": Option(str, _per_site("pidw"), "PID monitor name", check=_ecx_name),
        "raw_monitor": Option(str, _per_site("raww"), "RAW monitor name", check=_ecx_name),
        "diskw_monitor": Option(str, _per_site("diskw"), "disk monitor (diskw) name",
                                check=_ecx_name),
        "disk_monitor": Option(str, "diskw", "what watches the disk: diskw (a disk monitor on "
                               "disk_device), raww (a RAW monitor: needs the raw driver, gone "
                               "since Linux 5.14) or none", choices=DISK_MONITORS),
        "floating_ip": Option(str, lambda c, s: s.address if s else None,
                              "the floating IP (default: the site address)"),
        "disk_device": Option(str, None, "the shared-disk partition holding the database, e.g. "
                              "disk_device = \"/dev/sdb1\" in [site.clusterpro-linux]",
                              required=True, check=_dev_path),
        "mount_point": Option(str, lambda c, s: s.database if s else None,
                              "where the disk resource mounts it (default: the database path; "
                              "the database must be this directory or under it)",
                              check=_dev_path),
        "fs": Option(str, "ext4", "the file system", choices=FILESYSTEMS),
        "raw_device": Option(str, lambda c, s: f"/dev/raw/raw{(s.index if s else 0) + 1}",
                             "the raw device the RAW monitor binds to the disk device",
                             check=_dev_path),
        "start_timeout": Option(int, 300, "exec start script timeout (seconds; it matters "
                                "only without monitoring, when the start is synchronous)",
                                minimum=1, maximum=9999),
        "stop_timeout": Option(int, None, "exec stop script timeout (seconds; default: the "
                               "stop deadline + 180; supervisor=cjcpw: at least + 120)",
                               minimum=1, maximum=9999),
    }

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        # disk_device is required: the example names the starter file's commented example
        return {"site": [{cls.name: {"disk_device": EXAMPLE_DISK_DEVICE}}]}

    # ---- validation

    def _fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(message, source=self.cluster.source, field=where)

    def validate(self) -> None:
        c = self.cluster
        self.require_posix("CLUSTERPRO/EXPRESSCLUSTER for Linux runs JobCenter for Linux, not "
                           "{product} (use the clusterpro-windows adapter)")
        if c.supervisor == "jccluster" and not c.jccluster.startswith("/"):
            raise self._fail("cluster.jccluster", f"{c.jccluster!r} must be an absolute path "
                             "(exec resource scripts cannot rely on PATH), e.g. "
                             "/usr/local/bin/jccluster")
        if self.options["encode"] is None:
            self.options["encode"] = self.options["charset"]
        name_default = "cluster_name" not in (c.adapter_options.get(self.name) or {})
        if name_default and _ecx_name(self.options["cluster_name"]):
            raise self._fail(f"{self.name}.cluster_name", f"the default (cluster.name "
                             f"{c.name!r}) is not an EXPRESSCLUSTER name; set "
                             "[clusterpro-linux] cluster_name (1-31 letters, digits, '-', '_')")
        servers = Unique(c.source, "server names must be unique; set [clusterpro-linux] "
                         "server_names = \"fqdn\"")
        for node in c.nodes:
            servers.add(self.server_name(node.name), f"node[{node.index}].name")
        names = Unique(c.source, "names must be unique in the cluster", fold=str.lower)
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.{self.name}"
            names_used = ["group", "fip_resource", "disk_resource", "exec_resource"]
            names_used += ["pid_monitor"] if site.monitor else []
            names_used += {"diskw": ["diskw_monitor"], "raww": ["raw_monitor"]}.get(
                opts["disk_monitor"], [])
            for key in names_used:
                value = opts[key]
                default = key not in (site.adapter_options.get(self.name) or {})
                if default and _ecx_name(value):
                    raise self._fail(f"{where}.{key}", f"the default {value!r} (from the site "
                                     f"name) is not an EXPRESSCLUSTER name; set {key}")
                names.add(value, f"{where}.{key}")
            why = check_ipv4(opts["floating_ip"])
            if why:
                raise self._fail(f"{where}.floating_ip", why)
            mp = opts["mount_point"]
            why = _dev_path(mp)
            if why:
                raise self._fail(f"{where}.mount_point", f"{why} (the default is the database "
                                 "path: set mount_point to the file system's mount point)")
            if mp == "/" or not (site.database == mp or site.database.startswith(mp + "/")):
                raise self._fail(f"{where}.mount_point", f"{mp!r} must be the database "
                                 f"{site.database!r} or a directory above it on the shared disk "
                                 "(and not '/')")
            seconds = stop_seconds(c)
            least = seconds + (CJCPW_MIN_MARGIN if c.supervisor == "cjcpw" else 1)
            if opts["stop_timeout"] is not None and opts["stop_timeout"] < least:
                why = (f"at least {least} s: cjcpw -stop takes 1-2 minutes (manual §3.3.7) "
                       "with no deadline of its own" if c.supervisor == "cjcpw" else
                       f"longer than the stop deadline ({seconds} s)")
                raise self._fail(f"{where}.stop_timeout", f"{opts['stop_timeout']} s must be "
                                 f"{why}, e.g. {seconds + STOP_MARGIN}")

    def server_name(self, node_name: str) -> str:
        name = node_name if self.options["server_names"] == "fqdn" else node_name.split(".")[0]
        return name.lower()

    # ---- what gets rendered

    def site_conf(self, site: Site) -> SiteConf:
        o = self.site_opts(site)
        seconds = stop_seconds(self.cluster)
        return SiteConf(
            site, group=o["group"], fip=o["fip_resource"], disk=o["disk_resource"],
            exec=o["exec_resource"], pidw=o["pid_monitor"], raww=o["raw_monitor"],
            diskw=o["diskw_monitor"], disk_monitor=o["disk_monitor"],
            address=o["floating_ip"], disk_device=o["disk_device"],
            mount_point=o["mount_point"], fs=o["fs"], raw_device=o["raw_device"],
            start_timeout=o["start_timeout"],
            stop_timeout=o["stop_timeout"] or seconds + STOP_MARGIN,
            stop_seconds=seconds, monitor=site.monitor,
            commands=self.commands(site, STEPS, stop_timeout=seconds),
            setup=self.setup_commands(site),
        )

    def cluster_calls(self) -> list[list[str]]:
        """clpcfset calls for the cluster itself: servers, their LAN and a kernel heartbeat."""
        o = self.options
        calls = [["create", o["cluster_name"], o["charset"], o["encode"], "linux"]]
        for prio, node in enumerate(self.cluster.nodes):
            calls.append(["add", "srv", self.server_name(node.name), str(prio)])
        for node in self.cluster.nodes:
            calls.append(["add", "device", self.server_name(node.name), "lan", "0", node.address])
        calls.append(["add", "hb", "lankhb", "0", "0"])
        return calls

    def base_calls(self, sc: SiteConf) -> list[list[str]]:
        """The group without JobCenter: floating IP, disk and the disk monitor -- what runs
        while the site database is created (manual §3.3.6: the exec resource's scripts are
        written only afterwards, §3.3.2 ① 注意事項, §3.3.7)."""
        o = self.options
        g = sc.group
        calls = [
            ["add", "grp", "failover", g],
            ["add", "rsc", g, "fip", sc.fip],
            ["add", "rscparam", "fip", sc.fip, "parameters/ip", sc.address],
            ["add", "rsc", g, "disk", sc.disk],
            ["add", "rscparam", "disk", sc.disk, "parameters/disktype", "disk"],
            ["add", "rscparam", "disk", sc.disk, "parameters/device", sc.disk_device],
            ["add", "rscparam", "disk", sc.disk, "parameters/mount/point", sc.mount_point],
            ["add", "rscparam", "disk", sc.disk, "parameters/fs", sc.fs],
        ]
        if sc.disk_monitor == "diskw":
            # CreateClusterOnLinux MonitorParameters_Linux_jp.md: diskw, parameters/object.
            calls += _monitor_calls("diskw", sc.diskw, g, o["diskw_interval"],
                                    {"parameters/object": sc.disk_device})
        elif sc.disk_monitor == "raww":
            calls += _monitor_calls("raww", sc.raww, g, o["raw_interval"],
                                    {"parameters/object": sc.raw_device,
                                     "parameters/device": sc.disk_device})
        return calls

    def exec_calls(self, sc: SiteConf) -> list[list[str]]:
        """The exec resource that runs JobCenter and its PID monitor: added once the site
        database exists."""
        o = self.options
        g = sc.group
        calls = [["add", "rsc", g, "exec", sc.exec]]
        ex = ["add", "rscparam", "exec", sc.exec]
        calls += [
            [*ex, "parameters/act/path", "start.sh"],
            [*ex, "parameters/deact/path", "stop.sh"],
            # 0: asynchronous -- the watcher stays in the foreground (manual §3.3.2 ②).
            [*ex, "parameters/act/sync", "0" if sc.monitor else "1"],
            # 1: synchronous -- cjcpw -stop takes 1-2 minutes (manual §3.3.7 ②).
            [*ex, "parameters/deact/sync", "1"],
            [*ex, "parameters/timeout/start", str(sc.start_timeout)],
            [*ex, "act/timeout", str(sc.start_timeout + RESOURCE_TIMEOUT_EXTRA)],
            [*ex, "parameters/timeout/stop", str(sc.stop_timeout)],
            [*ex, "deact/timeout", str(sc.stop_timeout + RESOURCE_TIMEOUT_EXTRA)],
        ]
        if sc.monitor:
            # The failover count's tag on X 4.x for Linux: NEC's MonitorParameters_Linux_jp.md
            # (github.com/EXPRESSCLUSTER/CreateClusterOnLinux, doc/jp) gives
            # emergency/threshold/fo with no X 4.x variant, although the same page tells X 3.x
            # and 4.x apart for userw; its Windows counterpart (MonitorParameters_Windows_jp.md)
            # names fo for X 3.x and fo2 for X 4.x. The Reference Guide's clpcfset parameter
            # list itself was not found: "fo" on Linux X 4.x is unverified (issue 20, finding 8;
            # docs/adapters/clusterpro-linux.md).
            calls += _monitor_calls("pidw", sc.pidw, g, o["pid_interval"], {"target": sc.exec},
                                    {"emergency/threshold/restart": str(o["pid_restart"]),
                                     "emergency/threshold/fo": str(o["pid_failover"])})
        return calls

    def render(self) -> list[Artifact]:
        r = self.renderer()
        confs = [self.site_conf(s) for s in self.sites]
        cluster_calls = self.cluster_calls()
        base_calls = [self.base_calls(sc) for sc in confs]
        exec_calls = [self.exec_calls(sc) for sc in confs]
        group_calls = [b + e for b, e in zip(base_calls, exec_calls, strict=True)]
        root = build_conf([*cluster_calls, *(c for calls in group_calls for c in calls)])
        boot = build_conf([*cluster_calls, *(c for calls in base_calls for c in calls)])
        base = {"cluster": self.cluster, "opts": self.options, "confs": confs}
        charset = self.options["charset"]
        out = [
            Artifact("clp.conf", serialize_conf(root, charset), 0o644, "xml"),
            Artifact("bootstrap/clp.conf", serialize_conf(boot, charset), 0o644, "xml"),
            Artifact("clpcfset.sh", r.render(
                "clpcfset.sh.j2", **base, cluster_calls=cluster_calls,
                base_calls=list(zip(confs, base_calls, strict=True)),
                exec_calls=list(zip(confs, exec_calls, strict=True))), 0o755, "sh"),
        ]
        for sc in confs:
            cmd = {**sc.commands, "cjcls": self.cluster.command("cjcls")}
            ctx = {**base, "site": sc.site, "sc": sc, "cmd": cmd}
            d = f"scripts/{sc.group}/{sc.exec}"
            out += [
                Artifact(f"{d}/start.sh", r.render("start.sh.j2", **ctx), 0o755, "sh",
                         sc.site.name),
                Artifact(f"{d}/stop.sh", r.render("stop.sh.j2", **ctx), 0o755, "sh",
                         sc.site.name),
            ]
        out.append(Artifact("APPLY.txt", r.render("APPLY.txt.j2", **base), 0o644, "text"))
        out.append(Artifact("PATCH.txt", r.render("PATCH.txt.j2", **base), 0o644, "text"))
        return out

    def graph_resources(self, site: Site) -> GraphResources:
        """The failover group: the exec resource is activated after the floating IP and the
        disk resource (CLUSTERPRO's default dependency of an exec resource)."""
        sc = self.site_conf(site)
        res = [(f"fip@{sc.fip}", f"fip {sc.fip}\n{sc.address}", "address"),
               (f"disk@{sc.disk}", f"disk {sc.disk}\n{sc.disk_device} on {sc.mount_point}", "disk"),
               (f"exec@{sc.exec}", f"exec {sc.exec}\nstart.sh / stop.sh", "jobcenter")]
        links = [(res[0][0], res[2][0]), (res[1][0], res[2][0])]
        return f"failover group {sc.group} ({site.name})", res, links
