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
    check_fixed_path,
    is_keep_port,
    path_not_fixed,
    shell_function_body,
)
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

# Module-level imports stay light: `jccluster agent clusterpro-linux status` imports this module
# on every call (see jobcenter_cluster.adapter); xml.etree and shlex load where they are used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import xml.etree.ElementTree as ET
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any

    from jobcenter_cluster.adapter import RuleResult
    from jobcenter_cluster.checks import CheckContext, SourceFile
    from jobcenter_cluster.model import Cluster, Site

#: seconds the exec resource's stop script may run beyond the stop deadline.
STOP_MARGIN = 60
#: EXPRESSCLUSTER's "activation/deactivation timeout = 180 + script timeout" (clpcfset exec.md).
RESOURCE_TIMEOUT_EXTRA = 180
#: the starter file's example disk device (`jccluster init`): `jccluster check` warns while a
#: configuration still names it, since nobody confirmed it is the shared disk.
EXAMPLE_DISK_DEVICE = "/dev/sdb1"
#: the PATH every rendered script sets first: fixed system directories and EXPRESSCLUSTER's
#: own (clplogcmd, clpcfset, clpgrp live in /usr/sbin; /opt/nec/clusterpro/bin), never the
#: caller's -- the scripts run as root.
SCRIPT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/opt/nec/clusterpro/bin"
DISK_MONITORS = ("diskw", "raww", "none")

# EXPRESSCLUSTER object names (cluster, group, resource, monitor): letters, digits, '-', '_',
# at most 31 characters; we also require a leading letter.
_ECX_NAME = LazyPattern(r"[A-Za-z][A-Za-z0-9_-]{0,30}\Z")
# Device files and mount points: absolute, no spaces, quotes or shell/XML-special characters.
_DEV_PATH = LazyPattern(r"/[A-Za-z0-9_.+:@%=,/-]*\Z")
FILESYSTEMS = ("ext3", "ext4", "xfs", "reiserfs", "vxfs", "zfs")
CHARSETS = ("ASCII", "EUC-JP", "GB2312")


def _ecx_name(value: str) -> str | None:
    if not _ECX_NAME.match(value):
        return (f"{value!r} is not an EXPRESSCLUSTER name (1-31 letters, digits, '-', '_', "
                "beginning with a letter)")
    return None


def _dev_path(value: str) -> str | None:
    if not _DEV_PATH.match(value) or "//" in value or (value != "/" and value.endswith("/")):
        return (f"{value!r} must be an absolute path in normal form of letters, digits and "
                "_ . + : @ % = , / -")
    return None


def _per_site(kind: str) -> Callable[[Cluster | None, Site | None], str]:
    def default(_cluster: Cluster | None, site: Site | None) -> str:
        assert site is not None
        return f"{kind}-{site.short_name}"[:31].rstrip("-_")

    return default


def stop_deadline(cluster: Cluster | None) -> int:
    """Seconds the site's stop may take on this cluster's supervisor (the engine's deadline)."""
    return stop_seconds(cluster)


# --------------------------------------------------------------------------- clpcfset <-> clp.conf

#: elements whose "@" key is an ``id`` attribute rather than ``name`` (clpcfset's set_value).
_ID_KEYED = frozenset({"device", "grp", "list"})


def _child(parent: ET.Element, segment: str) -> ET.Element:
    """The child for one clpcfset path segment (``tag`` or ``tag@key``), created if missing."""
    import xml.etree.ElementTree as ET

    tag, _, key = segment.partition("@")
    attr = "id" if tag in _ID_KEYED else "name"
    for el in parent:
        if el.tag == tag and (el.get(attr) == key if key else not el.attrib):
            return el
    el = ET.SubElement(parent, tag, {attr: key} if key else {})
    return el


def _set(root: ET.Element, path: str, value: str | None) -> None:
    el = root
    for segment in path.strip("/").split("/"):
        el = _child(el, segment)
    if value is not None:
        el.text = value or None


def apply_clpcfset(root: ET.Element, argv: Sequence[str]) -> None:
    """Apply one ``clpcfset`` call (without the command word) to a clp.conf tree, the way
    clpcfset does (NEC's clpcfset.c: create, add srv|device|hb|grp|rsc|rscparam|mon|monparam).
    Raises ValueError for a call it does not know."""
    a = list(argv)
    if a[:1] == ["create"] and len(a) == 5:
        _, name, charset, encode, os_ = a
        _set(root, "all/charset", charset)
        _set(root, "all/serveros", os_)
        _set(root, "all/encode", encode)
        _set(root, "cluster/name", name)
        _set(root, "cluster/comment", "")
        return
    if len(a) < 2 or a[0] != "add":
        raise ValueError(f"unknown clpcfset call: {' '.join(a)}")
    kind, rest = a[1], a[2:]
    if kind == "srv" and len(rest) == 2:
        _set(root, f"server@{rest[0]}/priority", rest[1])
    elif kind == "device" and len(rest) == 4 and rest[1] == "lan":
        srv, _, ident, addr = rest
        _set(root, f"server@{srv}/device@{ident}/type", "lan")
        _set(root, f"server@{srv}/device@{ident}/info", addr)
    elif kind == "hb" and len(rest) == 3 and rest[0] == "lankhb":
        n = sum(1 for el in root.iter("lankhb")) + 1
        _set(root, "heartbeat/types@lankhb", "")
        _set(root, f"heartbeat/lankhb@lankhb{n}/priority", rest[2])
        _set(root, f"heartbeat/lankhb@lankhb{n}/device", rest[1])
    elif kind == "grp" and len(rest) == 2:
        gid = str(len(root.findall("group")))
        _set(root, f"group@{rest[1]}/type", rest[0])
        _set(root, f"group@{rest[1]}/comment", "")
        _set(root, f"group@{rest[1]}/gid", gid)
    elif kind == "rsc" and len(rest) == 3:
        group, rtype, name = rest
        _set(root, f"group@{group}/resource@{rtype}@{name}", "")
        _set(root, f"resource/types@{rtype}", "")
        _set(root, f"resource/{rtype}@{name}/comment", "")
    elif kind == "rscparam" and len(rest) == 4:
        _set(root, f"resource/{rest[0]}@{rest[1]}/{rest[2]}", rest[3])
    elif kind == "mon" and len(rest) == 2:
        _set(root, f"monitor/types@{rest[0]}", "")
        _set(root, f"monitor/{rest[0]}@{rest[1]}/comment", "")
    elif kind == "monparam" and len(rest) == 4:
        _set(root, f"monitor/{rest[0]}@{rest[1]}/{rest[2]}", rest[3])
    else:
        raise ValueError(f"unknown clpcfset call: {' '.join(a)}")


def build_conf(calls: Iterable[Sequence[str]]) -> ET.Element:
    """A clp.conf tree from clpcfset calls, with the WebUI's object count as clpcfset adds it."""
    import xml.etree.ElementTree as ET

    root = ET.Element("root")
    for argv in calls:
        apply_clpcfset(root, argv)
    servers = len(root.findall("server"))
    hbs = len([e for e in root.findall("heartbeat/*") if e.tag != "types"])
    objects = (4 + servers + len(root.findall("group"))
               + len([e for e in root.findall("resource/*") if e.tag != "types"])
               + len([e for e in root.findall("monitor/*") if e.tag != "types"]) + hbs * servers)
    _set(root, "webmgr/client/objectnumber", str(objects))
    return root


def serialize_conf(root: ET.Element, charset: str) -> str:
    import xml.etree.ElementTree as ET

    tree = ET.ElementTree(root)
    ET.indent(tree, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="{charset}"?>\n{body}\n'


def conf_items(root: ET.Element) -> set[tuple[str, str]]:
    """Every element of a clp.conf as (path with keys, text): for comparing two configurations."""
    out: set[tuple[str, str]] = set()

    def walk(el: ET.Element, prefix: str) -> None:
        for child in el:
            key = child.get("name", child.get("id"))
            path = f"{prefix}/{child.tag}" + (f"@{key}" if key is not None else "")
            out.add((path, (child.text or "").strip()))
            walk(child, path)

    walk(root, "")
    return out


def parse_conf(text: str) -> ET.Element:
    """Parse a clp.conf given as text. The XML declaration is dropped first: it names the file's
    byte encoding (EUC-JP for Japanese EXPRESSCLUSTER), which expat cannot decode itself and
    which no longer applies to decoded text. Raises ET.ParseError."""
    import xml.etree.ElementTree as ET

    return ET.fromstring(re.sub(r"\A\s*<\?xml[^>]*\?>", "", text))


def script_calls(text: str) -> list[tuple[int, list[str]]]:
    """The clpcfset calls a generated (or hand-edited) clpcfset.sh makes: lines ``cf ARGS``
    or ``clpcfset ARGS``, as (line number, argv without the command word)."""
    import shlex

    calls = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"(?:cf|clpcfset|\"?\$\{?CLPCFSET\}?\"?)\s+(create|add)\b(.*)$", stripped)
        if not m:
            continue
        try:
            words = shlex.split(m.group(1) + m.group(2), comments=True)
        except ValueError:
            continue
        calls.append((n, words))
    return calls


# --------------------------------------------------------------------------- the adapter


class SiteConf:
    """What the adapter renders for one site (names, devices, timeouts, command lines)."""

    def __init__(self, site: Site, *, group: str, fip: str, disk: str, exec: str, pidw: str,
                 raww: str, diskw: str, disk_monitor: str, address: str, disk_device: str,
                 mount_point: str, fs: str, raw_device: str, start_timeout: int,
                 stop_timeout: int, deadline: int, monitor: bool,
                 commands: dict[str, list[str]], setup: dict[str, list[str]]) -> None:
        self.site = site
        self.group, self.fip, self.disk, self.exec = group, fip, disk, exec
        self.pidw, self.raww, self.diskw, self.disk_monitor = pidw, raww, diskw, disk_monitor
        self.setup = setup
        self.address, self.disk_device, self.mount_point = address, disk_device, mount_point
        self.fs, self.raw_device = fs, raw_device
        self.start_timeout, self.stop_timeout, self.deadline = start_timeout, stop_timeout, deadline
        self.monitor = monitor
        self.commands = commands


class ClusterProLinuxAdapter(Adapter):
    """CLUSTERPRO X / EXPRESSCLUSTER X for Linux (and CLUSTERPRO for Linux 3.x by hand)."""

    name = "clusterpro-linux"
    product = "CLUSTERPRO X / EXPRESSCLUSTER X for Linux (exec resource + PID monitor)"
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
                               "stop deadline + 60)", minimum=1, maximum=9999),
    }
    agent_actions = {
        "start": AgentAction("watch", "start.sh (asynchronous): start the site and watch it in "
                             "the foreground; its exit is what the PID monitor detects"),
        "start-nowatch": AgentAction("start", "start.sh without monitoring (synchronous, "
                                     "cjcpw -c): start and return"),
        "stop": AgentAction("stop", "stop.sh (synchronous): stop the site and everything left "
                            "of it (cjcpw -stop)"),
        "status": AgentAction("status", "0 running, 3 stopped, 1 failed (usable by a custom "
                              "monitor: any non-zero is an error)"),
        "validate": AgentAction("validate", "check this node can run the site"),
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in start.sh"),
    }
    # EXPRESSCLUSTER reads 0 as success and anything else as failure (synchronous scripts,
    # custom monitors); an asynchronous start script's exit is seen only by the PID monitor.
    exit_codes = {
        ("start", Outcome.SUCCESS): 0,
        ("start-nowatch", Outcome.SUCCESS): 0,
        ("stop", Outcome.SUCCESS): 0,
        ("keep-port", Outcome.SUCCESS): 0,
        ("validate", Outcome.SUCCESS): 0,
        ("status", Outcome.RUNNING): 0,
        ("status", Outcome.MAINTENANCE): 0,
        ("status", Outcome.STOPPED): 3,
        ("*", Outcome.INVALID): 2,
    }
    default_exit_code = 1

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        # disk_device is required: the example names the starter file's commented example
        return {"site": [{cls.name: {"disk_device": EXAMPLE_DISK_DEVICE}}]}

    # ---- validation

    def _fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.cluster.source}: {where}: {message}")

    def validate(self) -> None:
        c = self.cluster
        if c.windows:
            raise self._fail("cluster.product", f"CLUSTERPRO/EXPRESSCLUSTER for Linux runs "
                             f"JobCenter for Linux, not {c.product.name!r} (use the "
                             "clusterpro-windows adapter)")
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
        from jobcenter_cluster.model import check_ipv4

        seen: dict[str, str] = {}
        for node in c.nodes:
            server = self.server_name(node.name)
            if server in seen:
                raise self._fail(f"node[{node.index}].name", f"server name {server!r} is "
                                 f"already used by {seen[server]} (set [clusterpro-linux] "
                                 "server_names = \"fqdn\")")
            seen[server] = f"node[{node.index}]"
        names: dict[str, str] = {}
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
                if value.lower() in names:
                    raise self._fail(f"{where}.{key}", f"{value!r} is already used by "
                                     f"{names[value.lower()]} (names must be unique in the "
                                     "cluster)")
                names[value.lower()] = f"{where}.{key}"
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
            deadline = stop_deadline(c)
            if opts["stop_timeout"] is not None and opts["stop_timeout"] <= deadline:
                raise self._fail(f"{where}.stop_timeout", f"{opts['stop_timeout']} s must be "
                                 f"longer than the stop deadline ({deadline} s), e.g. "
                                 f"{deadline + STOP_MARGIN}")

    def server_name(self, node_name: str) -> str:
        name = node_name if self.options["server_names"] == "fqdn" else node_name.split(".")[0]
        return name.lower()

    # ---- what gets rendered

    def commands(self, site: Site, deadline: int) -> dict[str, list[str]]:
        if self.cluster.supervisor == "cjcpw":
            return {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "watch": self.native_argv("cjcpw", site.name, site.database),
                "nowatch": self.native_argv("cjcpw", "-c", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
            }
        return {
            "keep_port": self.agent_argv("keep-port", site, database=False),
            "watch": self.agent_argv("start", site),
            "nowatch": self.agent_argv("start-nowatch", site),
            "stop": [*self.agent_argv("stop", site, database=False), "--timeout", str(deadline)],
        }

    def site_conf(self, site: Site) -> SiteConf:
        o = self.site_opts(site)
        deadline = stop_deadline(self.cluster)
        return SiteConf(
            site, group=o["group"], fip=o["fip_resource"], disk=o["disk_resource"],
            exec=o["exec_resource"], pidw=o["pid_monitor"], raww=o["raw_monitor"],
            diskw=o["diskw_monitor"], disk_monitor=o["disk_monitor"],
            address=o["floating_ip"], disk_device=o["disk_device"],
            mount_point=o["mount_point"], fs=o["fs"], raw_device=o["raw_device"],
            start_timeout=o["start_timeout"],
            stop_timeout=o["stop_timeout"] or deadline + STOP_MARGIN,
            deadline=deadline, monitor=site.monitor, commands=self.commands(site, deadline),
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

    def group_calls(self, sc: SiteConf) -> list[list[str]]:
        """clpcfset calls for one site's failover group, resources and monitors."""
        return [*self.base_calls(sc), *self.exec_calls(sc)]

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
            dm = ["add", "monparam", "diskw", sc.diskw]
            calls += [
                ["add", "mon", "diskw", sc.diskw],
                [*dm, "parameters/object", sc.disk_device],
                [*dm, "polling/interval", str(o["diskw_interval"])],
                [*dm, "relation/type", "grp"],
                [*dm, "relation/name", g],
            ]
        elif sc.disk_monitor == "raww":
            rm = ["add", "monparam", "raww", sc.raww]
            calls += [
                ["add", "mon", "raww", sc.raww],
                [*rm, "parameters/object", sc.raw_device],
                [*rm, "parameters/device", sc.disk_device],
                [*rm, "polling/interval", str(o["raw_interval"])],
                [*rm, "relation/type", "grp"],
                [*rm, "relation/name", g],
            ]
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
            pm = ["add", "monparam", "pidw", sc.pidw]
            calls += [
                ["add", "mon", "pidw", sc.pidw],
                [*pm, "target", sc.exec],
                [*pm, "polling/interval", str(o["pid_interval"])],
                [*pm, "relation/type", "grp"],
                [*pm, "relation/name", g],
                [*pm, "emergency/threshold/restart", str(o["pid_restart"])],
                [*pm, "emergency/threshold/fo", str(o["pid_failover"])],
            ]
        return calls

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
        confs = [self.site_conf(s) for s in self.sites]
        cluster_calls = self.cluster_calls()
        base_calls = [self.base_calls(sc) for sc in confs]
        exec_calls = [self.exec_calls(sc) for sc in confs]
        group_calls = [b + e for b, e in zip(base_calls, exec_calls, strict=True)]
        root = build_conf([*cluster_calls, *(c for calls in group_calls for c in calls)])
        boot = build_conf([*cluster_calls, *(c for calls in base_calls for c in calls)])
        base = {"cluster": self.cluster, "opts": self.options, "confs": confs,
                "deadline": stop_deadline(self.cluster)}
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
            ctx = {**base, "site": sc.site, "sc": sc, "cmd": sc.commands}
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

    @classmethod
    def rules(cls) -> list[Rule]:
        m = "JobCenter manual "
        return [
            Rule("CPL-EXEC-ASYNC", "the exec resource that runs the watcher starts "
                 "asynchronously (parameters/act/sync = 0)",
                 m + "§3.3.2 ② (cjcpw runs in the foreground: start script [asynchronous])",
                 _rule_exec_async),
            Rule("CPL-PID-MONITOR", "a PID monitor watches that exec resource, recovery target "
                 "the JobCenter failover group", m + "§3.3.2 ③ (PID monitor, recovery target)",
                 _rule_pid_monitor),
            Rule("CPL-PID-INTERVAL", f"the PID monitor checks the watcher at least every "
                 f"{PID_INTERVAL_WARN} s (a dead watcher waits up to polling/interval before "
                 "the group fails over)", m + "§3.3.2 ③ (the PID monitor is what notices the "
                 "watcher's exit); EXPRESSCLUSTER X Reference Guide, PID monitor resource "
                 "(Interval)", _rule_pid_interval, severity="warning"),
            Rule("CPL-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
                 "start path", m + "§2.10.4 / SPEC §3 (nqsportkpr must run first)",
                 _rule_keep_port_first),
            Rule("CPL-NO-C-MONITORED", "a monitored start script never starts the site with -c "
                 "(no watching)", m + "§3.3.7 ① (do not use -c in the cluster start script)",
                 _rule_no_c_monitored),
            Rule("CPL-START-ONLY-JOBCENTER", "start.sh starts JobCenter and nothing else",
                 m + "§3.3.7 ① 注意事項 (the PID monitor watches start.sh itself)",
                 _rule_start_only_jobcenter),
            Rule("CPL-STOP-SYNC", "the exec resource stops synchronously "
                 "(parameters/deact/sync = 1)", m + "§3.3.7 ② (cjcpw -stop takes 1-2 minutes)",
                 _rule_stop_sync),
            Rule("CPL-STOP-TIMEOUT", "the exec stop timeout is longer than the stop deadline",
                 m + "§3.3.7 ②; engine stop deadline; clpcfset exec.md (deact/timeout = 180 + "
                 "timeout/stop)", _rule_stop_timeout),
            Rule("CPL-EVENT-GUARD", "start.sh/stop.sh act only on CLP_EVENT START/FAILOVER with "
                 "CLP_DISK = SUCCESS", m + "§3.3.7 (start.sh / stop.sh samples)",
                 _rule_event_guard),
            Rule("CPL-STOP-IN-STOP", "stop.sh stops the site (cjcpw -stop / agent stop)",
                 m + "§3.3.7 ②", _rule_stop_in_stop),
            Rule("CPL-RESOURCES", "the JobCenter group has a floating IP and a disk resource",
                 m + "§3.3.2 ① (floating IP, exec, disk, RAW monitor)", _rule_resources),
            Rule("CPL-DISK-DEVICE", "every disk resource names its device (no placeholder "
                 "left to a default)", m + "§3.3.2 ① (disk resource); clpcfset disk.md "
                 "(parameters/device)", _rule_disk_device),
            Rule("CPL-DISK-MONITOR", "a disk monitor (diskw) watches the group's disk; no RAW "
                 "monitor, which needs the raw driver gone since Linux 5.14",
                 m + "§3.3.2 ① (RAW monitor); CreateClusterOnLinux MonitorParameters_Linux "
                 "(diskw)", _rule_disk_monitor, severity="warning"),
            Rule("CPL-APPLY-ORDER", "APPLY.txt creates the site database before it pushes the "
                 "exec resource; the bootstrap configuration has no exec resource",
                 m + "§3.3.2 ① 注意事項, §3.3.6 ⑥, §3.3.7 (scripts after the database)",
                 _rule_apply_order),
            Rule("CPL-PATCH-ORDER", "PATCH.txt stops the JobCenter group before the patch and "
                 "starts it after both servers are patched", m + "§3.3.11.2 ③, ⑦",
                 _rule_patch_order),
            Rule("CPL-FIXED-PATH", "start.sh, stop.sh and clpcfset.sh set PATH to fixed "
                 "directories before any command", "issue 16 (scripts run as root must not "
                 "search the caller's PATH)", _rule_fixed_path),
            Rule("CPL-CONF-MATCH", "clp.conf and clpcfset.sh describe the same configuration",
                 "EXPRESSCLUSTER X Reference Guide, clpcfset parameter list", _rule_conf_match),
        ]

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The failover group: the exec resource is activated after the floating IP and the
        disk resource (CLUSTERPRO's default dependency of an exec resource)."""
        sc = self.site_conf(site)
        res = [(f"fip@{sc.fip}", f"fip {sc.fip}\n{sc.address}", "address"),
               (f"disk@{sc.disk}", f"disk {sc.disk}\n{sc.disk_device} on {sc.mount_point}", "disk"),
               (f"exec@{sc.exec}", f"exec {sc.exec}\nstart.sh / stop.sh", "jobcenter")]
        links = [(res[0][0], res[2][0]), (res[1][0], res[2][0])]
        return f"failover group {sc.group} ({site.name})", res, links


# --------------------------------------------------------------------------- check rules

_START = LazyPattern(r"(?:^|/)scripts/([^/]+)/([^/]+)/start\.sh$|(?:^|/)start\.sh$")
_STOP_SH = LazyPattern(r"(?:^|/)stop\.sh$")


class _Conf:
    """One configuration source (clp.conf or clpcfset.sh) as a clp.conf tree."""

    def __init__(self, file: SourceFile, root: ET.Element, lines: dict[str, int]) -> None:
        self.file = file
        self.root = root
        self.lines = lines  # resource/monitor name -> first line mentioning it

    def line(self, name: str) -> int | None:
        return self.lines.get(name)

    def execs(self) -> dict[str, ET.Element]:
        return {e.get("name", ""): e for e in self.root.findall("resource/exec")}

    def group_kinds(self, group: str) -> dict[str, str]:
        """resource type -> resource name of one group's resources."""
        g = self.root.find(f"group[@name='{group}']")
        if g is None:
            return {}
        return {r.get("name", "").split("@", 1)[0]: r.get("name", "").split("@", 1)[1]
                for r in g.findall("resource") if "@" in r.get("name", "")}

    def group_of(self, rtype: str, name: str) -> str | None:
        for g in self.root.findall("group"):
            if g.find(f"resource[@name='{rtype}@{name}']") is not None:
                return g.get("name")
        return None


def _line_index(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        for name in re.findall(r"name=\"([^\"]+)\"|\b(?:exec|pidw|raww|disk|fip)\s+(\S+)", line):
            for part in name if isinstance(name, tuple) else (name,):
                if part:
                    out.setdefault(part, n)
    return out


def _confs(ctx: CheckContext) -> list[_Conf]:
    import xml.etree.ElementTree as ET

    out = []
    for f in ctx.files:
        base = os.path.basename(f.path)
        if base == "clp.conf":
            try:
                root = parse_conf(f.text)
            except ET.ParseError:
                continue
            out.append(_Conf(f, root, _line_index(f.text)))
        elif base.startswith("clpcfset") and f.language in ("sh", "bash", "ksh"):
            root = ET.Element("root")
            lines: dict[str, int] = {}
            for n, argv in script_calls(f.text):
                try:
                    apply_clpcfset(root, argv)
                except ValueError:
                    continue
                for word in argv[2:4]:
                    lines.setdefault(word, n)
            out.append(_Conf(f, root, lines))
    return out


def _start_scripts(ctx: CheckContext) -> list[tuple[SourceFile, str | None]]:
    """(start.sh, exec resource name or None)."""
    out = []
    for f in ctx.files_of(("sh", "bash", "ksh")):
        m = _START.search(f.path)
        if m:
            out.append((f, m.group(2)))
    return out


_CONTROL_WORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
                            "for", "!", "{", "}", "(", ")", "esac", "in"})
_NEUTRAL = frozenset({"echo", "printf", "log", "clplogcmd", "command", "exit", "return", "[",
                      "test", ":", "true", "false", "set", "unset", "export", "readonly", "local",
                      "shift", "wait"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", ";;", "(", "{", "then", "do", "else", "elif",
                         "if", "while", "until", "!"})
_REDIRECT = LazyPattern(r"^\d*[<>]+&?$|^&>$")


def _commands(line: str) -> list[list[str]]:
    """The simple commands on one shell line, each as its words (assignments and redirections
    dropped). Case patterns, ``case ... in`` and function headers give no command."""
    import shlex

    text = line.strip()
    if not text or text.startswith("#") or text.startswith("case ") or text in ("esac", ";;"):
        return []
    if re.match(r"^[^\s()'\"]*\)\s*(;;)?$", text) or re.match(r"^[\w|*\"'$.-]+\)", text):
        text = re.sub(r"^[^)]*\)", "", text, count=1)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:
        return [text.split()]
    commands: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for i, tok in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        if _REDIRECT.match(tok):
            skip_next = True
            continue
        if tok.isdigit() and i + 1 < len(tokens) and _REDIRECT.match(tokens[i + 1]):
            continue  # the descriptor of "2>&1"
        if tok in _SEPARATORS or tok in _CONTROL_WORDS:
            if current:
                commands.append(current)
            current = []
            continue
        if not current and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tok):
            continue
        if not current and (tokens[i + 1: i + 3] == ["(", ")"] or tokens[i + 1: i + 2] == ["()"]):
            break  # function header
        current.append(tok)
    if current:
        commands.append(current)
    return commands


def _jobcenter_command(words: Sequence[str]) -> str | None:
    """'keep-port', 'watch', 'nowatch', 'stop' or 'other-jobcenter' for a JobCenter command."""
    if not words:
        return None
    prog = os.path.basename(words[0])
    if prog == "nqsportkpr":
        return "keep-port"
    if prog == "cjcpw":
        if "-stop" in words:
            return "stop"
        return "nowatch" if "-c" in words[1:] else "watch"
    if prog == "jccluster" and len(words) > 3 and words[1] == "agent":
        return {"keep-port": "keep-port", "start": "watch", "start-nowatch": "nowatch",
                "stop": "stop"}.get(words[3], "other-jobcenter")
    return None


def _script_commands(f: SourceFile, body: Iterable[tuple[int, str]] | None = None
                     ) -> Iterator[tuple[int, list[str]]]:
    lines = body if body is not None else enumerate(f.lines, 1)
    for n, text in lines:
        for words in _commands(text):
            yield n, words


def _exec_role(f: SourceFile) -> set[str]:
    return {r for _, w in _script_commands(f) if (r := _jobcenter_command(w))}


def _monitored_execs(confs: list[_Conf]) -> set[str]:
    out = set()
    for c in confs:
        for name, el in c.execs().items():
            if (el.findtext("parameters/act/sync") or "1").strip() == "0":
                out.add(name)
        for pid in c.root.findall("monitor/pidw"):
            out.add((pid.findtext("target") or "").strip())
    return out


def _rule_exec_async(ctx: CheckContext) -> Iterator[RuleResult]:
    confs = _confs(ctx)
    watched = {e for f, e in _start_scripts(ctx) if e and "watch" in _exec_role(f)}
    watched |= {(p.findtext("target") or "").strip() for c in confs
                for p in c.root.findall("monitor/pidw")}
    for c in confs:
        for name, el in c.execs().items():
            sync = (el.findtext("parameters/act/sync") or "1").strip()
            if name in watched and sync != "0":
                yield (f"exec resource {name}: its start script runs the JobCenter watcher in the "
                       f"foreground, so it must start asynchronously (parameters/act/sync = 0, "
                       f"found {sync})", c.file.path, c.line(name))


def _rule_pid_monitor(ctx: CheckContext) -> Iterator[RuleResult]:
    confs = _confs(ctx)
    scripts = {e: f for f, e in _start_scripts(ctx) if e}
    for c in confs:
        for name, el in c.execs().items():
            async_ = (el.findtext("parameters/act/sync") or "1").strip() == "0"
            role = _exec_role(scripts[name]) if name in scripts else set()
            if not (async_ or "watch" in role):
                continue
            group = c.group_of("exec", name)
            pids = [p for p in c.root.findall("monitor/pidw")
                    if (p.findtext("target") or "").strip() == name]
            if not pids:
                yield (f"exec resource {name}: no PID monitor (pidw) targets it, so nothing "
                       "fails the group over when the JobCenter watcher exits", c.file.path,
                       c.line(name))
                continue
            for p in pids:
                rtype = (p.findtext("relation/type") or "").strip()
                rname = (p.findtext("relation/name") or "").strip()
                if rtype != "grp" or rname != group:
                    yield (f"PID monitor {p.get('name')}: its recovery target must be the "
                           f"failover group {group} (relation/type grp, relation/name {group}), "
                           f"found {rtype or '-'} {rname or '-'}", c.file.path,
                           c.line(p.get("name", "")))


#: a hand-edited PID monitor interval above this is reported (issue 15): the PID monitor is the
#: only way CLUSTERPRO learns that the watcher exited, so its interval is the site's outage.
PID_INTERVAL_WARN = 5


def _rule_pid_interval(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for p in c.root.findall("monitor/pidw"):
            value = (p.findtext("polling/interval") or "").strip()
            if value.isdigit() and int(value) > PID_INTERVAL_WARN:
                yield (f"PID monitor {p.get('name')}: polling/interval {value}: a dead watcher "
                       f"waits up to {value} s before the group fails over; use "
                       f"{PID_INTERVAL_WARN} or less (the rendered default is 1)", c.file.path,
                       c.line(p.get("name", "")))


def _start_path(f: SourceFile) -> list[tuple[int, str]] | None:
    return shell_function_body(f, "start_site")


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _ in _start_scripts(ctx):
        body = _start_path(f)
        first: tuple[int, list[str]] | None = None
        for n, words in _script_commands(f, body):
            prog = os.path.basename(words[0])
            if body is None and not _jobcenter_command(words):
                continue  # no start_site(): the first JobCenter command counts
            if prog in _NEUTRAL and prog not in ("command",):
                continue
            first = (n, words)
            break
        if first is None or not is_keep_port(" ".join(first[1])):
            found = " ".join(first[1]) if first else "nothing"
            yield (f"the start path must begin with nqsportkpr SITE (or jccluster agent ... "
                   f"keep-port), found {found!r}", f.path, first[0] if first else None)


def _rule_no_c_monitored(ctx: CheckContext) -> Iterator[RuleResult]:
    monitored = _monitored_execs(_confs(ctx))
    for f, e in _start_scripts(ctx):
        if e not in monitored:
            continue
        for n, words in _script_commands(f):
            if _jobcenter_command(words) == "nowatch":
                yield (f"exec resource {e} is monitored (asynchronous start / PID monitor): its "
                       f"start script must not start the site without watching "
                       f"({' '.join(words)!r})", f.path, n)


def _rule_start_only_jobcenter(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _ in _start_scripts(ctx):
        for n, words in _script_commands(f):
            if words[0] == "command" and len(words) > 1 and not words[1].startswith("-"):
                words = words[1:]  # "command PROG ..." runs PROG
            prog = os.path.basename(words[0])
            if prog in _NEUTRAL or _jobcenter_command(words):
                continue
            if prog in ("start_site", "stop_site"):
                continue
            yield (f"start.sh must contain nothing but the JobCenter start (the PID monitor "
                   f"watches this script); move {prog!r} to its own exec resource", f.path, n)


def _rule_stop_sync(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for name, el in c.execs().items():
            sync = (el.findtext("parameters/deact/sync") or "1").strip()
            if sync != "1":
                yield (f"exec resource {name}: the stop script must be synchronous "
                       f"(parameters/deact/sync = 1, found {sync}): cjcpw -stop takes 1-2 "
                       "minutes", c.file.path, c.line(name))


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _deadlines(ctx: CheckContext) -> dict[str | None, int]:
    """Stop deadline per exec resource (from stop.sh's --timeout), None: the default."""
    out: dict[str | None, int] = {None: stop_deadline(ctx.cluster) if ctx.cluster
                                  else CJCPW_STOP_SECONDS}
    for f in ctx.files_of(("sh", "bash", "ksh")):
        m = re.search(r"(?:^|/)scripts/[^/]+/([^/]+)/stop\.sh$", f.path)
        t = re.search(r"--timeout[= ]\s*(\d+)", f.text)
        if m and t:
            out[m.group(1)] = int(t.group(1))
    return out


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    deadlines = _deadlines(ctx)
    for c in _confs(ctx):
        for name, el in c.execs().items():
            deadline = deadlines.get(name, deadlines[None])
            stop = _int(el.findtext("parameters/timeout/stop")) or 1800
            if stop <= deadline:
                yield (f"exec resource {name}: stop script timeout {stop} s must be longer than "
                       f"the stop deadline ({deadline} s), e.g. {deadline + STOP_MARGIN}",
                       c.file.path, c.line(name))
            deact = _int(el.findtext("deact/timeout"))
            if deact is not None and deact <= stop:
                yield (f"exec resource {name}: deact/timeout {deact} s must exceed the stop "
                       f"script timeout {stop} s (EXPRESSCLUSTER: 180 + timeout/stop)",
                       c.file.path, c.line(name))


def _rule_event_guard(ctx: CheckContext) -> Iterator[RuleResult]:
    files = [f for f, _ in _start_scripts(ctx)]
    files += [f for f in ctx.files_of(("sh", "bash", "ksh")) if _STOP_SH.search(f.path)]
    for f in files:
        code = "\n".join(ln for ln in f.lines if not ln.lstrip().startswith("#"))
        missing = [w for w in ("CLP_EVENT", "START", "FAILOVER", "CLP_DISK", "SUCCESS")
                   if not re.search(rf"\b{w}\b", code)]
        if missing:
            yield (f"the script must act only when CLP_EVENT is START or FAILOVER and CLP_DISK "
                   f"is SUCCESS (missing: {', '.join(missing)})", f.path, None)


def _rule_stop_in_stop(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "bash", "ksh")):
        if _STOP_SH.search(f.path) and "stop" not in _exec_role(f):
            yield ("stop.sh does not stop the site (add cjcpw -stop SITE or jccluster agent "
                   "clusterpro-linux stop SITE)", f.path, None)


def _rule_resources(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for name in c.execs():
            group = c.group_of("exec", name)
            if group is None:
                continue
            kinds = c.group_kinds(group)
            for kind, what in (("fip", "floating IP"), ("disk", "disk")):
                if kind not in kinds and not (kind == "disk" and "md" in kinds):
                    yield (f"group {group}: no {what} resource (JobCenter's group needs a "
                           "floating IP, the exec resource and a disk)", c.file.path,
                           c.line(group))


def _rule_disk_device(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for disk in c.root.findall("resource/disk"):
            dev = (disk.findtext("parameters/device") or "").strip()
            if not dev:
                yield (f"disk resource {disk.get('name')}: no device (parameters/device): name "
                       "the shared-disk partition that holds the site database", c.file.path,
                       c.line(disk.get("name", "")))


def _rule_disk_monitor(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        watched = {(m.findtext("parameters/device") or "").strip()
                   for m in c.root.findall("monitor/raww")}
        watched |= {(m.findtext("parameters/object") or "").strip()
                    for m in c.root.findall("monitor/diskw")}
        for m in c.root.findall("monitor/raww"):
            yield (f"RAW monitor {m.get('name')}: it needs a raw device "
                   f"({(m.findtext('parameters/object') or '?').strip()}), and the raw driver "
                   "was removed from Linux 5.14: watch the disk with a disk monitor (diskw) "
                   "instead", c.file.path, c.line(m.get("name", "")))
        for group in c.root.findall("group"):
            kinds = c.group_kinds(group.get("name", ""))
            if "disk" not in kinds:
                continue
            dev = (c.root.findtext(f"resource/disk[@name='{kinds['disk']}']/parameters/device")
                   or "").strip()
            if dev and dev not in watched:
                yield (f"group {group.get('name')}: no disk monitor (diskw, or raww) watches its "
                       f"disk {dev}", c.file.path, c.line(kinds["disk"]))


_PUSH = LazyPattern(r"\bclpcfctrl\s+--push\b")
_CREATE = LazyPattern(r"\bcjcmksite\b|\bsite\s+create\b")


def _rule_apply_order(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path) != "APPLY.txt":
            continue
        create = next((n for n, ln in enumerate(f.lines, 1) if _CREATE.search(ln)), None)
        for n, line in enumerate(f.lines, 1):
            if not _PUSH.search(line) or "bootstrap" in line:
                continue
            if create is None or n < create:
                yield ("the configuration with the exec resource is pushed before the site "
                       "database is created: push the groups without it (bootstrap/), create "
                       "the database (cjcmksite), stop the group, then push the exec resource",
                       f.path, n)
            break
    for c in _confs(ctx):
        if c.file.path.replace("\\", "/").split("/")[-2:-1] != ["bootstrap"]:
            continue
        for name in c.execs():
            yield (f"exec resource {name} in the bootstrap configuration: the group must start "
                   "without JobCenter until the site database exists", c.file.path,
                   c.line(name))


_RPM = LazyPattern(r"\brpm\s+-[A-Za-z]*[iU]")


def _rule_patch_order(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path) != "PATCH.txt":
            continue
        installs = [n for n, ln in enumerate(f.lines, 1) if _RPM.search(ln)]
        if not installs:
            yield ("PATCH.txt installs no patch (rpm -U / -i)", f.path, None)
            continue
        stops = [n for n, ln in enumerate(f.lines, 1) if re.search(r"\bclpgrp\s+-t\b", ln)]
        starts = [n for n, ln in enumerate(f.lines, 1) if re.search(r"\bclpgrp\s+-s\b", ln)]
        if not stops or min(stops) > installs[0]:
            yield ("the JobCenter group must be stopped (clpgrp -t GROUP) before the patch is "
                   "installed", f.path, installs[0])
        if not starts or max(starts) < installs[-1]:
            yield ("the JobCenter group must be started (clpgrp -s GROUP) only after both "
                   "servers are patched", f.path, installs[-1])
        elif min(starts) < installs[-1]:
            yield ("the JobCenter group is started before the last server is patched",
                   f.path, min(starts))


def _rule_fixed_path(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "bash", "ksh")):
        if _START.search(f.path) or _STOP_SH.search(f.path) or \
                os.path.basename(f.path).startswith("clpcfset"):
            finding = path_not_fixed(f)
            if finding:
                yield finding


def _rule_conf_match(ctx: CheckContext) -> Iterator[RuleResult]:
    confs = _confs(ctx)
    xml = [c for c in confs if os.path.basename(c.file.path) == "clp.conf"]
    scripts = [c for c in confs if all(c is not x for x in xml)]
    for s in scripts:
        for x in xml:
            if os.path.dirname(s.file.path) != os.path.dirname(x.file.path):
                continue
            ignore = re.compile(r"^/webmgr")
            a = {i for i in conf_items(x.root) if not ignore.match(i[0])}
            b = {i for i in conf_items(s.root) if not ignore.match(i[0])}
            for path, text in sorted(a - b)[:5]:
                yield (f"clp.conf has {path} = {text!r} but {s.file.path} does not set it "
                       "(regenerate both with jccluster render)", x.file.path, None)
            for path, text in sorted(b - a)[:5]:
                yield (f"{s.file.path} sets {path} = {text!r} but clp.conf does not have it "
                       "(regenerate both with jccluster render)", x.file.path, None)


