"""Pacemaker/Corosync: the OCF resource agent ``ocf:jobcenter:site`` and the cluster
configuration of each site (pcs commands, a crm configure snippet, CIB XML), plus a systemd unit
for a site run on a single node without a cluster. The spec (actions, exit codes, environment)
is the package's ``__init__``, the agent's meta-data `.ocf`, the check rules `.rules`.

The manual predates Pacemaker; the facts here come from the product's own documents:

- "Pacemaker Administration" (ClusterLabs), ch. "Resource Agents": agents live in
  ``/usr/lib/ocf/resource.d/PROVIDER/``; required actions start, stop, monitor, meta-data
  ("not required to be performed as root"); optional validate-all; "How Are OCF Return Codes
  Interpreted?" (0 success, 1 generic, 2 args: hard, 3 unimplemented: hard, 5 not installed:
  hard, 6 not configured: fatal -- "prevent it from being started on any cluster node", 7 not
  running: "the cluster will not attempt to stop a resource that returns this"); probes are
  non-recurring monitors (``OCF_RESKEY_CRM_meta_interval`` = 0); ``OCF_RESKEY_CRM_meta_timeout``
  is the operation's timeout in milliseconds. Same table: RHEL 8 "Configuring and managing high
  availability clusters", ch. 35 "Interpreting resource agent OCF return codes".
- The OCF Resource Agent API 1.0 and its DTD ``ra-api-1.dtd`` (resource-agents), and
  ``ocf-tester`` (resource-agents ``tools/ocf-tester.in``: runs meta-data as user ``nobody``,
  validates it with ``xmllint --valid``, then validate-all, probe, start, start again, monitor,
  stop, stop again).
- ``heartbeat/IPaddr2`` and ``heartbeat/Filesystem`` meta-data (parameters ip, cidr_netmask, nic;
  device, directory, fstype, options; advised monitor 10 s/20 s and 20 s/40 s).
- pcs(8) (``pcs -f FILE resource create ... --group``, ``pcs cluster cib``/``cib-push``) and
  crm(8) (``crm configure load update FILE``); systemd.service(5), systemd.exec(5) (quoting of
  ExecStart=, ``%`` specifiers, ``$`` expansion; ExecStop= also runs when the main process
  exited on its own after a successful start).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from jobcenter_cluster.adapter import (
    CJCPW_STOP_SECONDS,
    Adapter,
    Artifact,
    GraphResources,
    Unique,
    stop_seconds,
)
from jobcenter_cluster.adapters.pacemaker import DEADLINE_FRACTION, SPEC
from jobcenter_cluster.adapters.pacemaker.ocf import (
    AGENT,
    AGENT_PATH,
    META_END,
    PROVIDER,
    advised_timeout,
    meta_data_xml,
)
from jobcenter_cluster.engine.api import DEFAULT_START_TIMEOUT
from jobcenter_cluster.errors import ConfigError, RenderError
from jobcenter_cluster.model import REQUIRED, Cluster, Site, check_path, check_plain_text
from jobcenter_cluster.options import Option, pattern_check

# Pacemaker IDs are XML IDs (NCName): a letter or '_' first, then letters, digits, '_', '-', '.'.
_pcmk_id = pattern_check(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}", "is not a Pacemaker ID (1-63 letters, "
                         "digits, '_', '-', '.', beginning with a letter or '_')")
_nic = pattern_check(r"[A-Za-z0-9_.:@-]{1,15}", "is not a network interface name")
_fstype = pattern_check(r"[a-z0-9][a-z0-9._+-]{0,31}", "is not a file-system type (e.g. ext4, xfs)")
_device = pattern_check(
    r"/[A-Za-z0-9_@%+=:,./-]+|(?:LABEL|UUID|PARTUUID)=[A-Za-z0-9_.-]+|"
    r"[A-Za-z0-9_.-]+:/[A-Za-z0-9_@%+=:,./-]*|tmpfs|none",
    "is not a device (an absolute path such as /dev/vg_job/lv_db, LABEL=..., UUID=..., or "
    "HOST:/export for NFS)")
_MOUNT_OPTS = re.compile(r"[A-Za-z0-9=,_.:/+-]{1,200}")
_QUOTE_OR_SPACE = re.compile(r'["\\\s]')
_SYSTEMD_PLAIN = re.compile(r"[A-Za-z0-9_@+=:,./-]+")

#: supervisor = "cjcpw": no engine deadline bounds the stop (the agent waits for ``cjcpw -stop``,
#: which takes 1-2 minutes, manual §3.3.7), and a stop that times out gets the node fenced. The
#: stop timeout is at least twice JobCenter's longest stop, and 300 s unless set.
CJCPW_STOP_TIMEOUT_MIN = 2 * CJCPW_STOP_SECONDS
CJCPW_STOP_TIMEOUT = 300


def _mount_opts(value: str) -> str | None:
    return None if _MOUNT_OPTS.fullmatch(value) else (
        f"{value!r}: mount options are letters, digits and = , _ . : / + - (e.g. noatime,rw)")


def _abs_path(value: str) -> str | None:
    """An absolute path that crm and pcs can carry (no spaces, quotes or backslashes)."""
    why = check_path(value, windows=False)
    if why:
        return why
    if _QUOTE_OR_SPACE.search(value):
        return f"{value!r} must not contain spaces, quotes or backslashes"
    return None


def _default_group(_cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return f"jobcenter-{site.short_name}"[:63]


# --------------------------------------------------------------------------- quoting


def systemd_quote(value: Any) -> str:
    """One argument of a systemd ``ExecStart=`` line (systemd.service(5), "Command lines").

    Double quotes with ``\\`` and ``"`` escaped; ``%`` (specifiers) doubled; ``$`` (variable
    expansion) doubled. A newline or other control character cannot be carried: rejected.
    """
    text = str(value)
    if check_plain_text(text):
        raise RenderError(f"{text!r} contains a control character, which a systemd unit cannot "
                          "carry")
    text = text.replace("%", "%%").replace("$", "$$")
    if _SYSTEMD_PLAIN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def crm_quote(value: Any) -> str:
    """A crm shell parameter value: double-quoted (crmsh splits lines like a POSIX shell)."""
    text = str(value)
    if check_plain_text(text) or '"' in text or "\\" in text:
        raise RenderError(f"{text!r} cannot be written into a crm configure snippet "
                          "(contains '\"', '\\' or a control character)")
    return '"' + text + '"'


# --------------------------------------------------------------------------- the adapter


@dataclass(frozen=True)
class Timeouts:
    """The site resource's operation timeouts and monitor interval (seconds), and the stop
    deadline they leave the site (`stop_seconds`)."""

    start: int
    stop: int
    monitor: int
    monitor_interval: int
    stop_seconds: int


@dataclass(frozen=True)
class Resource:
    """One member of a site's resource group, an OCF primitive ``ocf:PROVIDER:TYPE``; `ops` are
    ``(name, interval or None, timeout)`` in seconds."""

    id: str
    provider: str
    type: str
    params: dict[str, str]
    meta: dict[str, str]
    ops: list[tuple[str, int | None, int]]


class PacemakerAdapter(Adapter):
    """OCF agent ``ocf:jobcenter:site``, a resource group per site (pcs, crmsh, CIB XML) and a
    systemd unit for a site without a cluster."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.pacemaker.rules:RULES"
    artifacts = (
        "ocf/jobcenter/site",
        "APPLY.txt",
        "{site}/pcs.sh",
        "{site}/crm.txt",
        "{site}/cib.xml",
        "{site}/systemd/jobcenter-{site}.service",
    )
    options_schema = {
        "monitor_interval": Option(
            int, 2, "seconds between the site's monitor operations (detection latency; one "
            "monitor costs about 0.1 s of CPU)", minimum=1, maximum=3600),
        "monitor_timeout": Option(int, 20, "monitor operation timeout, seconds",
                                  minimum=5, maximum=3600),
        "start_timeout": Option(int, None, "start operation timeout, seconds (default: the "
                                "engine's start deadline / 0.8, rounded up)", minimum=5,
                                maximum=86400),
        "stop_timeout": Option(int, None, "stop operation timeout, seconds (default: "
                               "supervisor=jccluster: the engine's stop deadline / 0.8, rounded "
                               "up -- the engine kills what is left of the site at 80% of it; "
                               f"supervisor=cjcpw: {CJCPW_STOP_TIMEOUT}, at least "
                               f"{CJCPW_STOP_TIMEOUT_MIN}: nothing bounds cjcpw -stop)",
                               minimum=5, maximum=86400),
        "migration_threshold": Option(int, 3, "failures on one node before the site moves to "
                                      "another (1: move at the first failure, like the "
                                      "manual's Serviceguard service)", minimum=1,
                                      maximum=1000000),
        "failure_timeout": Option(int, 600, "seconds after which old failures are forgotten "
                                  "(0: never)", minimum=0, maximum=31536000),
        "resource_stickiness": Option(int, 100, "how strongly a running site stays where it is "
                                      "(no automatic fail-back after a node returns)",
                                      minimum=0, maximum=1000000),
        "ip_monitor_interval": Option(int, 10, "IPaddr2 monitor interval, seconds",
                                      minimum=1, maximum=3600),
        "fs_monitor_interval": Option(int, 20, "Filesystem monitor interval, seconds",
                                      minimum=1, maximum=3600),
        "notify_cluster": Option(bool, True, "supervisor=jccluster, watched sites: the watcher "
                                 "reports a failed site to Pacemaker at once (crm_resource "
                                 "--fail) instead of waiting for the next monitor"),
        "state_dir": Option(str, "/run/resource-agents", "supervisor=cjcpw: where the agent "
                            "keeps the watcher's pid file (cleared at boot)", check=_abs_path),
    }
    site_options_schema = {
        "group": Option(str, _default_group, "the resource group (and ID prefix) of the site",
                        check=_pcmk_id),
        "cidr_netmask": Option(int, None, "prefix length of the floating address (default: "
                               "IPaddr2 finds it from the routing table)", minimum=1,
                               maximum=32),
        "nic": Option(str, None, "interface for the floating address (default: IPaddr2 finds "
                      "it)", check=_nic),
        "fs_device": Option(str, None, "the shared disk's device; without it no Filesystem "
                            "resource is rendered (the disk is managed otherwise)",
                            check=_device),
        "fs_directory": Option(str, lambda c, s: s.database if s else None,
                               "mount point of the shared disk (default: the database path)",
                               check=_abs_path),
        "fs_type": Option(str, "ext4", "file-system type", check=_fstype),
        "fs_options": Option(str, None, "mount options", check=_mount_opts),
    }
    # ---- rendering

    def validate(self) -> None:
        c = self.cluster
        self.require_posix("Pacemaker runs on Linux; {product} is a Windows product (use "
                           "jobcenter-linux)")
        self.require_plain_paths("Pacemaker and systemd run agents with a minimal PATH")
        ids = Unique(c.source, "resource IDs must be unique in the CIB")
        for site in c.sites:
            opts = self.site_opts(site)
            for rid in self.ids(site).values():
                ids.add(rid, f"{site.where}.pacemaker.group")
            if '"' in site.database or "\\" in site.database:
                raise ConfigError(
                    f"{site.database!r} cannot be written into "
                    "a crm configure snippet (remove '\"' and '\\')",
                    source=c.source, field=f"{site.where}.database")
            given = site.adapter_options.get(self.name) or {}
            if opts["fs_device"] is None and ("fs_directory" in given or "fs_options" in given):
                raise ConfigError("is required "
                                  "when fs_directory or fs_options is set (the shared disk's "
                                  "device, e.g. /dev/vg_job/lv_db)",
                                  source=c.source, field=f"{site.where}.pacemaker.fs_device", code=REQUIRED)
        t = self.timeouts()
        if c.supervisor == "cjcpw" and t.stop < CJCPW_STOP_TIMEOUT_MIN:
            raise ConfigError(
                f"{t.stop} s leaves cjcpw -stop (1-2 "
                "minutes, manual §3.3.7, with no deadline of its own) no margin before "
                f"Pacemaker fences the node (use at least {CJCPW_STOP_TIMEOUT_MIN})",
                source=c.source, field="pacemaker.stop_timeout")
        if t.stop * DEADLINE_FRACTION < t.stop_seconds and self.options["stop_timeout"] is not None:
            raise ConfigError(
                f"{t.stop} s leaves the stop only "
                f"{t.stop * DEADLINE_FRACTION:.0f} s; the site needs {t.stop_seconds:.0f} s "
                f"(use at least {advised_timeout(t.stop_seconds)})",
                source=c.source, field="pacemaker.stop_timeout")

    def timeouts(self) -> Timeouts:
        """The site's operation timeouts: the options, or the engine's deadlines over
        DEADLINE_FRACTION, rounded up."""
        deadline = stop_seconds(self.cluster)
        stop = (CJCPW_STOP_TIMEOUT if self.cluster.supervisor == "cjcpw"
                else advised_timeout(deadline))
        return Timeouts(
            start=self.options["start_timeout"] or advised_timeout(DEFAULT_START_TIMEOUT),
            stop=self.options["stop_timeout"] or stop,
            monitor=self.options["monitor_timeout"],
            monitor_interval=self.options["monitor_interval"],
            stop_seconds=deadline)

    def ids(self, site: Site) -> dict[str, str]:
        group = self.site_opts(site)["group"]
        return {"group": group, "fs": f"{group}-fs", "ip": f"{group}-ip", "site": f"{group}-site"}

    def resources(self, site: Site) -> list[Resource]:
        """The group's members in start order."""
        opts, g, ids, t = self.site_opts(site), self.options, self.ids(site), self.timeouts()
        out: list[Resource] = []
        if opts["fs_device"]:
            params = {"device": opts["fs_device"], "directory": opts["fs_directory"],
                      "fstype": opts["fs_type"]}
            if opts["fs_options"]:
                params["options"] = opts["fs_options"]
            out.append(Resource(ids["fs"], "heartbeat", "Filesystem", params, {},
                                [("start", None, 60), ("stop", None, 60),
                                 ("monitor", g["fs_monitor_interval"], 40)]))
        ip = {"ip": site.address}
        if opts["cidr_netmask"] is not None:
            ip["cidr_netmask"] = str(opts["cidr_netmask"])
        if opts["nic"]:
            ip["nic"] = opts["nic"]
        out.append(Resource(ids["ip"], "heartbeat", "IPaddr2", ip, {},
                            [("monitor", g["ip_monitor_interval"], 20)]))
        c = self.cluster
        params = {"site": site.name, "database": site.database, "product": c.product.name}
        if c.spool_root:
            params["root"] = c.spool_root
        if c.supervisor == "cjcpw":
            params["supervisor"] = "cjcpw"
            params["install_prefix"] = c.install_prefix
        else:
            params["jccluster"] = c.jccluster
        if not site.monitor:
            params["watch"] = "false"
        elif not self.options["notify_cluster"] and c.supervisor == "jccluster":
            params["notify_cluster"] = "false"
        meta = {"migration-threshold": str(g["migration_threshold"])}
        if g["failure_timeout"]:
            meta["failure-timeout"] = f"{g['failure_timeout']}s"
        out.append(Resource(ids["site"], PROVIDER, AGENT, params, meta,
                            [("start", None, t.start), ("stop", None, t.stop),
                             ("monitor", t.monitor_interval, t.monitor)]))
        return out

    def cib_xml(self, site: Site) -> str:
        """The site's resource group as CIB XML (load with ``cibadmin --create -o resources``)."""
        ids = self.ids(site)
        group = ET.Element("group", id=ids["group"])
        ma = ET.SubElement(group, "meta_attributes", id=f"{ids['group']}-meta_attributes")
        ET.SubElement(ma, "nvpair", id=f"{ids['group']}-meta_attributes-resource-stickiness",
                      name="resource-stickiness",
                      value=str(self.options["resource_stickiness"]))
        for r in self.resources(site):
            prim = ET.SubElement(group, "primitive", {"id": r.id, "class": "ocf",
                                                      "provider": r.provider, "type": r.type})
            ia = ET.SubElement(prim, "instance_attributes", id=f"{r.id}-instance_attributes")
            for k, v in r.params.items():
                ET.SubElement(ia, "nvpair", id=f"{r.id}-instance_attributes-{k}", name=k,
                              value=v)
            if r.meta:
                rm = ET.SubElement(prim, "meta_attributes", id=f"{r.id}-meta_attributes")
                for k, v in r.meta.items():
                    ET.SubElement(rm, "nvpair", id=f"{r.id}-meta_attributes-{k}", name=k,
                                  value=v)
            ops = ET.SubElement(prim, "operations")
            for name, interval, timeout in r.ops:
                iv = f"{interval}s" if interval else "0s"
                ET.SubElement(ops, "op", id=f"{r.id}-{name}-interval-{iv}", name=name,
                              interval=iv, timeout=f"{timeout}s")
        ET.indent(group, space="  ")
        return ET.tostring(group, encoding="unicode") + "\n"

    def context(self, site: Site | None = None) -> dict[str, Any]:
        c = self.cluster
        t = self.timeouts()
        ctx: dict[str, Any] = {
            "cluster": c, "global": self.options, "timeouts": t, "provider": PROVIDER,
            "agent": AGENT, "agent_path": AGENT_PATH, "fraction": DEADLINE_FRACTION,
            "sites": [(s, self.ids(s)) for s in self.sites],
        }
        if site is not None:
            ctx.update(site=site, opts=self.site_opts(site), ids=self.ids(site),
                       resources=self.resources(site),
                       unit=f"jobcenter-{site.short_name}.service",
                       mounts_for=site.database
                       if _SYSTEMD_PLAIN.fullmatch(site.database) else None)
        return ctx

    def agent_script(self) -> str:
        c, t = self.cluster, self.timeouts()
        meta = meta_data_xml(product=c.product.name, root=c.spool_root or "",
                             jccluster=c.jccluster, supervisor=c.supervisor,
                             install_prefix=c.install_prefix,
                             notify_cluster=self.options["notify_cluster"],
                             timeouts={"start": t.start, "stop": t.stop, "monitor": t.monitor},
                             intervals={"monitor": t.monitor_interval})
        if META_END in meta.splitlines():  # pragma: no cover - values are validated above
            raise RenderError("the meta-data would end the agent's here-document early")
        r = self.renderer()
        return r.render("agent.sh.j2", meta_data=meta, meta_end=META_END, **self.context())

    def render(self) -> list[Artifact]:
        r = self.renderer()
        r.env.filters["systemd"] = systemd_quote
        r.env.filters["crm"] = crm_quote
        out = [
            Artifact("ocf/jobcenter/site", self.agent_script(), 0o755, "sh"),
            Artifact("APPLY.txt", r.render("APPLY.txt.j2", **self.context()), 0o644, "text"),
        ]
        for site in self.sites:
            ctx = self.context(site)
            d = site.short_name
            engine = self.engine_argv(site)
            out += [
                Artifact(f"{d}/pcs.sh", r.render("pcs.sh.j2", **ctx), 0o755, "sh", site.name),
                Artifact(f"{d}/crm.txt", r.render("crm.txt.j2", **ctx), 0o644, "text",
                         site.name),
                Artifact(f"{d}/cib.xml", self.cib_xml(site), 0o644, "xml", site.name),
                Artifact(f"{d}/systemd/{ctx['unit']}",
                         r.render("site.service.j2", engine=engine, **ctx), 0o644, "text",
                         site.name),
            ]
        return out

    def engine_argv(self, site: Site) -> dict[str, list[str]]:
        """The systemd unit's commands: the engine's foreground watcher, or cjcpw itself."""
        c = self.cluster
        if c.supervisor == "cjcpw":
            native = self.commands(site, {})
            return {"pre": native["keep_port"], "start": native["watch" if site.monitor else
                                                                 "start"],
                    "stop": native["stop"]}
        extra = self.where_args()
        mode = [] if site.monitor else ["--no-watch"]
        return {"pre": [],
                "start": [c.jccluster, "site", "start", site.name, site.database, *mode, *extra],
                "stop": [c.jccluster, "site", "stop", site.name, *extra]}

    def graph_resources(self, site: Site) -> GraphResources:
        """The group's members in start order (a Pacemaker group starts them one after another
        and stops them in reverse)."""
        kinds = {"Filesystem": "disk", "IPaddr2": "address", AGENT: "jobcenter"}
        res = []
        for r in self.resources(site):
            p = r.params
            detail = {"Filesystem": f"{p.get('device')} on {p.get('directory')}",
                      "IPaddr2": p.get("ip", ""), AGENT: p.get("site", "")}.get(r.type, "")
            res.append((r.id, f"{r.id}\nocf:{r.provider}:{r.type}\n{detail}",
                        kinds.get(r.type, "other")))
        links = [(a[0], b[0]) for a, b in zip(res, res[1:], strict=False)]
        if not any(kind == "disk" for _, _, kind in res):  # no fs_device: mounted otherwise
            res.insert(0, ("disk", f"shared disk, not in the group\n{site.database}", "other"))
        return f"group {self.site_opts(site)['group']} ({site.name})", res, links
