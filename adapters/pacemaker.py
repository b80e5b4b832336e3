"""Pacemaker/Corosync: the OCF resource agent ``ocf:jobcenter:site`` and the cluster
configuration of each site (pcs commands, a crm configure snippet, CIB XML), plus a systemd unit
for a site run on a single node without a cluster.

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

import os
import re
from collections.abc import Iterator, Mapping

from jobcenter_cluster.adapter import Adapter, AgentAction, Artifact, Option, Rule, stop_seconds
from jobcenter_cluster.checks import CheckContext, SourceFile
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Cluster, Site
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

TYPE_CHECKING = False  # not typing's: see jobcenter_cluster.adapter (hot path)
if TYPE_CHECKING:  # typing, and ElementTree (imported where XML is built), stay off the hot path
    import xml.etree.ElementTree as ET
    from typing import Any

#: OCF provider and agent: the resource class is ``ocf:jobcenter:site``.
PROVIDER = "jobcenter"
AGENT = "site"
#: Where Pacemaker looks for OCF agents (``OCF_RA_PATH`` is not consulted by crm_resource).
OCF_ROOT = "/usr/lib/ocf"
AGENT_PATH = f"{OCF_ROOT}/resource.d/{PROVIDER}/{AGENT}"
#: How long JobCenter's own ``cjcpw -stop`` may take: "1-2 minutes" (manual §3.3.7).
#: The engine's deadline is this fraction of Pacemaker's operation timeout, so the engine
#: SIGKILLs what is left of the site before Pacemaker gives up on the stop (a failed stop means
#: fencing). ``jccluster agent pacemaker`` reads the timeout from OCF_RESKEY_CRM_meta_timeout.
DEADLINE_FRACTION = 0.8
#: The heredoc delimiter of the meta-data embedded in the agent.
META_END = "JOBCENTER_OCF_META_DATA_END"

# OCF exit codes (OCF RA API 1.0; Pacemaker Administration, "OCF Return Codes").
OCF_SUCCESS = 0
OCF_ERR_GENERIC = 1
OCF_ERR_ARGS = 2
OCF_ERR_UNIMPLEMENTED = 3
OCF_ERR_INSTALLED = 5
OCF_ERR_CONFIGURED = 6
OCF_NOT_RUNNING = 7

# Pacemaker IDs are XML IDs (NCName): a letter or '_' first, then letters, digits, '_', '-', '.'.
_PCMK_ID = LazyPattern(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,62}\Z")
_NIC = LazyPattern(r"\A[A-Za-z0-9_.:@-]{1,15}\Z")
_FSTYPE = LazyPattern(r"\A[a-z0-9][a-z0-9._+-]{0,31}\Z")
_MOUNT_OPTS = LazyPattern(r"\A[A-Za-z0-9=,_.:/+-]{1,200}\Z")
_DEVICE = LazyPattern(r"\A(?:/[A-Za-z0-9_@%+=:,./-]+|(?:LABEL|UUID|PARTUUID)=[A-Za-z0-9_.-]+|"
                     r"[A-Za-z0-9_.-]+:/[A-Za-z0-9_@%+=:,./-]*|tmpfs|none)\Z")


def _pcmk_id(value: str) -> str | None:
    if not _PCMK_ID.match(value):
        return (f"{value!r} is not a Pacemaker ID (1-63 letters, digits, '_', '-', '.', "
                "beginning with a letter or '_')")
    return None


def _nic(value: str) -> str | None:
    return None if _NIC.match(value) else f"{value!r} is not a network interface name"


def _fstype(value: str) -> str | None:
    return None if _FSTYPE.match(value) else f"{value!r} is not a file-system type (e.g. ext4, xfs)"


def _mount_opts(value: str) -> str | None:
    return None if _MOUNT_OPTS.match(value) else (
        f"{value!r}: mount options are letters, digits and = , _ . : / + - (e.g. noatime,rw)")


def _device(value: str) -> str | None:
    return None if _DEVICE.match(value) else (
        f"{value!r} is not a device (an absolute path such as /dev/vg_job/lv_db, LABEL=..., "
        "UUID=..., or HOST:/export for NFS)")


def _abs_path(value: str) -> str | None:
    from jobcenter_cluster.model import check_path

    why = check_path(value, windows=False)
    if why:
        return why
    if re.search(r'["\\\s]', value):
        return f"{value!r} must not contain spaces, quotes or backslashes"
    return None


def _default_group(_cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return f"jobcenter-{site.short_name}"[:63]


def engine_stop_seconds(cluster: Cluster | None) -> float:
    """How long the site's stop may take under this cluster's supervisor."""
    return float(stop_seconds(cluster))


def engine_start_seconds() -> float:
    from jobcenter_cluster.engine.api import DEFAULT_START_TIMEOUT

    return float(DEFAULT_START_TIMEOUT)


def advised_timeout(engine_seconds: float) -> int:
    """The Pacemaker operation timeout that gives the engine `engine_seconds` (its deadline is
    DEADLINE_FRACTION of the timeout), rounded up to 10 s."""
    import math

    return int(math.ceil(engine_seconds / DEADLINE_FRACTION / 10.0) * 10)


# --------------------------------------------------------------------------- quoting


def systemd_quote(value: Any) -> str:
    """One argument of a systemd ``ExecStart=`` line (systemd.service(5), "Command lines").

    Double quotes with ``\\`` and ``"`` escaped; ``%`` (specifiers) doubled; ``$`` (variable
    expansion) doubled. A newline or other control character cannot be carried: rejected.
    """
    from jobcenter_cluster.errors import RenderError

    text = str(value)
    if re.search(r"[\x00-\x1f\x7f]", text):
        raise RenderError(f"{text!r} contains a control character, which a systemd unit cannot "
                          "carry")
    text = text.replace("%", "%%").replace("$", "$$")
    if re.fullmatch(r"[A-Za-z0-9_@+=:,./-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def crm_quote(value: Any) -> str:
    """A crm shell parameter value: double-quoted (crmsh splits lines like a POSIX shell)."""
    from jobcenter_cluster.errors import RenderError

    text = str(value)
    if re.search(r'["\\\x00-\x1f\x7f]', text):
        raise RenderError(f"{text!r} cannot be written into a crm configure snippet "
                          "(contains '\"', '\\' or a control character)")
    return '"' + text + '"'


# --------------------------------------------------------------------------- meta-data


def _param(parent: ET.Element, name: str, short: str, long: str, *, kind: str = "string",
           default: str | None = None, required: bool = False, unique: bool = False) -> None:
    import xml.etree.ElementTree as ET

    p = ET.SubElement(parent, "parameter", name=name, required="1" if required else "0",
                      unique="1" if unique else "0")
    ET.SubElement(p, "longdesc", lang="en").text = long
    ET.SubElement(p, "shortdesc", lang="en").text = short
    content = ET.SubElement(p, "content", type=kind)
    if default is not None:
        content.set("default", default)


def meta_data_xml(*, product: str = "jobcenter-linux", root: str = "",
                  jccluster: str = "/usr/local/bin/jccluster", supervisor: str = "jccluster",
                  install_prefix: str = "/usr/lib/nqs", start_timeout: int = 40,
                  stop_timeout: int = 150, monitor_interval: int = 2,
                  monitor_timeout: int = 20, notify_cluster: bool = True) -> str:
    """The agent's meta-data (OCF RA API 1.0, ``ra-api-1.dtd``), built with a real serializer."""
    import xml.etree.ElementTree as ET

    ra = ET.Element("resource-agent", name=AGENT, version="1.0")
    ET.SubElement(ra, "version").text = "1.0"
    ET.SubElement(ra, "longdesc", lang="en").text = (
        "Runs one JobCenter site (its daemons and watcher) through the jobcenter-cluster engine "
        "('jccluster agent pacemaker ACTION') or through JobCenter's own cjcpw. Put it in a group "
        "after the site's floating address (IPaddr2) and shared disk (Filesystem). "
        f"The stop deadline is {int(DEADLINE_FRACTION * 100)}% of the stop operation's timeout: "
        "whatever is left of the site is killed before Pacemaker gives up on the stop.")
    ET.SubElement(ra, "shortdesc", lang="en").text = "JobCenter cluster site"
    params = ET.SubElement(ra, "parameters")
    _param(params, "site", "Site name (FQDN of the floating address)",
           "The site name: the official, fully qualified host name that resolves to the site's "
           "floating IP address on every node (not an alias).", required=True, unique=True)
    _param(params, "database", "Site database path on the shared disk",
           "The site's database directory on the shared disk (cjcmksite's DBPATH), e.g. "
           "/mnt/jobdb. The same path on every node.", required=True, unique=True)
    _param(params, "product", "Product profile",
           "The product profile that runs the site: jobcenter-linux, jobcenter-hpux, "
           "jobcenter-solaris or simulator (stand-in daemons, for tests and demonstrations).",
           default=product)
    _param(params, "root", "Spool root",
           "The spool root on the nodes (where the standard spool path symlink and the node's "
           "run state live). Empty: the product's, /usr/spool/nqs.", default=root)
    _param(params, "config", "Cluster file",
           "Optional jobcenter-cluster file (TOML) to take the database and product from when "
           "they are not given.", default="")
    _param(params, "jccluster", "Path of jccluster",
           "Absolute path of the jccluster command on the nodes (supervisor=jccluster).",
           default=jccluster)
    _param(params, "supervisor", "jccluster or cjcpw",
           "Who runs the site: 'jccluster' (our engine; the default) or 'cjcpw' (JobCenter's own "
           "watcher and commands, exactly as the vendor manual shows).", default=supervisor)
    _param(params, "install_prefix", "JobCenter install prefix",
           "Where JobCenter is installed on every node (supervisor=cjcpw: cjcpw, cjcls and "
           "nqsportkpr are found below it).", default=install_prefix)
    _param(params, "watch", "Watch the site",
           "true: start the site with a detached watcher (the manual's monitored variant); "
           "false: start it without one (cjcpw -c), Pacemaker's monitor alone watches it.",
           kind="boolean", default="true")
    _param(params, "notify_cluster", "Report a failure at once",
           "supervisor=jccluster with watch=true: when the watcher sees the site fail, it tells "
           "Pacemaker at once ('crm_resource --fail' for this resource on this node), so recovery "
           "does not wait for the next monitor. Nothing is reported while the resource is "
           "unmanaged or in maintenance, or when Pacemaker itself stopped the site.",
           kind="boolean", default="true" if notify_cluster else "false")
    _param(params, "state_dir", "State directory (supervisor=cjcpw)",
           "Where the agent keeps the cjcpw watcher's pid file (a tmpfs, cleared at boot).",
           default="/run/resource-agents")
    actions = ET.SubElement(ra, "actions")
    for name, timeout, interval in (
        ("start", start_timeout, None),
        ("stop", stop_timeout, None),
        ("monitor", monitor_timeout, monitor_interval),
        ("validate-all", 30, None),
        ("meta-data", 5, None),
    ):
        a = ET.SubElement(actions, "action", name=name, timeout=f"{timeout}s")
        if interval is not None:
            a.set("interval", f"{interval}s")
            a.set("depth", "0")
    ET.indent(ra, space="  ")
    body = ET.tostring(ra, encoding="unicode")
    return ('<?xml version="1.0"?>\n<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">\n'
            + body + "\n")


# --------------------------------------------------------------------------- the adapter


class PacemakerAdapter(Adapter):
    """OCF agent ``ocf:jobcenter:site``, a resource group per site (pcs, crmsh, CIB XML) and a
    systemd unit for a site without a cluster."""

    name = "pacemaker"
    product = "Pacemaker/Corosync (OCF resource agent ocf:jobcenter:site; pcs, crmsh, CIB XML); " \
              "systemd for a single node"
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
        "stop_timeout": Option(int, None, "stop operation timeout, seconds (default: the "
                               "engine's stop deadline / 0.8, rounded up); the engine kills what "
                               "is left of the site at 80% of it", minimum=5, maximum=86400),
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
    agent_actions = {
        "start": AgentAction("background", "start the site with a detached watcher; return "
                             "once it is up and watched"),
        "start-unwatched": AgentAction("start", "watch=false: start without a watcher (cjcpw -c)"),
        "stop": AgentAction("stop", "stop the site; kill what is left at the deadline"),
        "monitor": AgentAction("status", "0 running, 7 stopped (also: unknown on this node), "
                               "1 failed"),
        "validate-all": AgentAction("validate", "can this node run the site?"),
        "meta-data": AgentAction("meta-data", "the agent's OCF meta-data"),
        "promote": AgentAction("unsupported"),
        "demote": AgentAction("unsupported"),
        "notify": AgentAction("unsupported"),
        "reload": AgentAction("unsupported"),
        "migrate_to": AgentAction("unsupported"),
        "migrate_from": AgentAction("unsupported"),
    }
    # The reasoning for every row is in docs/adapters/pacemaker.md ("Exit codes").
    exit_codes = {
        ("start", Outcome.SUCCESS): OCF_SUCCESS,
        ("start", Outcome.FAILED): OCF_ERR_GENERIC,
        ("start", Outcome.UNRECOVERABLE): OCF_ERR_INSTALLED,
        ("start", Outcome.INVALID): OCF_ERR_ARGS,
        ("start", Outcome.NOT_INSTALLED): OCF_ERR_INSTALLED,
        ("start-unwatched", Outcome.SUCCESS): OCF_SUCCESS,
        ("start-unwatched", Outcome.FAILED): OCF_ERR_GENERIC,
        ("start-unwatched", Outcome.UNRECOVERABLE): OCF_ERR_INSTALLED,
        ("start-unwatched", Outcome.INVALID): OCF_ERR_ARGS,
        ("start-unwatched", Outcome.NOT_INSTALLED): OCF_ERR_INSTALLED,
        ("stop", Outcome.SUCCESS): OCF_SUCCESS,
        ("stop", Outcome.FAILED): OCF_ERR_GENERIC,
        # A site whose name is invalid was never started: it is stopped. Failing the stop would
        # make Pacemaker fence the node after the (equally invalid) start failed.
        ("stop", Outcome.INVALID): OCF_SUCCESS,
        ("monitor", Outcome.RUNNING): OCF_SUCCESS,
        ("monitor", Outcome.MAINTENANCE): OCF_SUCCESS,
        ("monitor", Outcome.STOPPED): OCF_NOT_RUNNING,
        ("monitor", Outcome.FAILED): OCF_ERR_GENERIC,
        ("monitor", Outcome.UNRECOVERABLE): OCF_ERR_INSTALLED,
        ("monitor", Outcome.INVALID): OCF_ERR_ARGS,
        ("monitor", Outcome.NOT_INSTALLED): OCF_ERR_INSTALLED,
        ("validate-all", Outcome.SUCCESS): OCF_SUCCESS,
        ("validate-all", Outcome.INVALID): OCF_ERR_ARGS,
        ("validate-all", Outcome.NOT_INSTALLED): OCF_ERR_INSTALLED,
        ("meta-data", Outcome.SUCCESS): OCF_SUCCESS,
        ("*", Outcome.UNSUPPORTED): OCF_ERR_UNIMPLEMENTED,
    }
    default_exit_code = OCF_ERR_GENERIC

    # ---- the agent side (hot path: standard library only)

    @classmethod
    def agent_environment(cls, environ: Mapping[str, str]) -> dict[str, str]:
        """Pacemaker passes the resource's parameters as ``OCF_RESKEY_<name>`` and the
        operation's timeout (ms) as ``OCF_RESKEY_CRM_meta_timeout``; the engine's deadline is
        `DEADLINE_FRACTION` of it."""
        out: dict[str, str] = {}
        for key in ("site", "database", "root", "product", "config"):
            value = environ.get(f"OCF_RESKEY_{key}", "")
            if value:
                out[key] = value
        ms = environ.get("OCF_RESKEY_CRM_meta_timeout", "")
        if ms.isdigit() and int(ms) > 0:
            out["timeout"] = f"{max(1.0, int(ms) / 1000.0 * DEADLINE_FRACTION):.3f}"
        return out

    @classmethod
    def meta_data(cls) -> str:
        try:
            start = advised_timeout(engine_start_seconds())
            stop = advised_timeout(engine_stop_seconds(None))
        except ImportError:  # pragma: no cover - the engine is part of the package
            start, stop = 40, 150
        return meta_data_xml(start_timeout=start, stop_timeout=stop)

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        return {}

    # ---- rendering

    def validate(self) -> None:
        c = self.cluster
        if c.windows:
            raise ConfigError(f"{c.source}: cluster.product: Pacemaker runs on Linux; "
                              f"{c.product.name!r} is a Windows product (use jobcenter-linux)")
        if c.supervisor == "jccluster" and not c.jccluster.startswith("/"):
            raise ConfigError(
                f"{c.source}: cluster.jccluster: {c.jccluster!r} must be an absolute path "
                "(Pacemaker and systemd run agents with a minimal PATH), e.g. "
                "/usr/local/bin/jccluster")
        for where, value in (("cluster.jccluster", c.jccluster),
                             ("cluster.install_prefix", c.install_prefix),
                             ("cluster.spool_root", c.spool_root or "/")):
            why = _abs_path(value) if value != "/" else None
            if why:
                raise ConfigError(f"{c.source}: {where}: {why}")
        seen: dict[str, str] = {}
        for site in c.sites:
            opts = self.site_opts(site)
            where = f"{site.where}.pacemaker.group"
            for rid in self.ids(site).values():
                if rid in seen:
                    raise ConfigError(f"{c.source}: {where}: resource ID {rid!r} is already used "
                                      f"by {seen[rid]} (IDs must be unique in the CIB)")
                seen[rid] = f"{site.where} ({site.name})"
            for key in ("database",):
                value = getattr(site, key)
                if re.search(r'["\\]', value):
                    raise ConfigError(
                        f"{c.source}: {site.where}.{key}: {value!r} cannot be written into a crm "
                        "configure snippet (remove '\"' and '\\')")
            if opts["fs_device"] is None and (
                "fs_directory" in (site.adapter_options.get(self.name) or {})
                or "fs_options" in (site.adapter_options.get(self.name) or {})
            ):
                raise ConfigError(f"{c.source}: {site.where}.pacemaker.fs_device: is required "
                                  "when fs_directory or fs_options is set (the shared disk's "
                                  "device, e.g. /dev/vg_job/lv_db)")
        t = self.timeouts()
        if t["stop"] * DEADLINE_FRACTION < t["engine_stop"] and \
                self.options["stop_timeout"] is not None:
            raise ConfigError(
                f"{c.source}: pacemaker.stop_timeout: {t['stop']} s leaves the stop only "
                f"{t['stop'] * DEADLINE_FRACTION:.0f} s; the site needs {t['engine_stop']:.0f} s "
                f"(use at least {advised_timeout(t['engine_stop'])})")

    def timeouts(self) -> dict[str, Any]:
        engine_stop = engine_stop_seconds(self.cluster)
        engine_start = engine_start_seconds()
        return {
            "engine_stop": engine_stop,
            "engine_start": engine_start,
            "start": self.options["start_timeout"] or advised_timeout(engine_start),
            "stop": self.options["stop_timeout"] or advised_timeout(engine_stop),
            "monitor_interval": self.options["monitor_interval"],
            "monitor": self.options["monitor_timeout"],
        }

    def ids(self, site: Site) -> dict[str, str]:
        group = self.site_opts(site)["group"]
        return {"group": group, "fs": f"{group}-fs", "ip": f"{group}-ip", "site": f"{group}-site"}

    def resources(self, site: Site) -> list[dict[str, Any]]:
        """The group's members in start order: (id, class, provider, type, params, ops, meta)."""
        opts, g, ids, t = self.site_opts(site), self.options, self.ids(site), self.timeouts()
        out: list[dict[str, Any]] = []
        if opts["fs_device"]:
            params = {"device": opts["fs_device"], "directory": opts["fs_directory"],
                      "fstype": opts["fs_type"]}
            if opts["fs_options"]:
                params["options"] = opts["fs_options"]
            out.append({"id": ids["fs"], "provider": "heartbeat", "type": "Filesystem",
                        "params": params, "meta": {},
                        "ops": [("start", None, 60), ("stop", None, 60),
                                ("monitor", g["fs_monitor_interval"], 40)]})
        ip = {"ip": site.address}
        if opts["cidr_netmask"] is not None:
            ip["cidr_netmask"] = str(opts["cidr_netmask"])
        if opts["nic"]:
            ip["nic"] = opts["nic"]
        out.append({"id": ids["ip"], "provider": "heartbeat", "type": "IPaddr2", "params": ip,
                    "meta": {}, "ops": [("monitor", g["ip_monitor_interval"], 20)]})
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
        out.append({"id": ids["site"], "provider": PROVIDER, "type": AGENT, "params": params,
                    "meta": meta,
                    "ops": [("start", None, t["start"]), ("stop", None, t["stop"]),
                            ("monitor", t["monitor_interval"], t["monitor"])]})
        return out

    def cib_xml(self, site: Site) -> str:
        import xml.etree.ElementTree as ET
        """The site's resource group as CIB XML (load with ``cibadmin --create -o resources``)."""
        ids = self.ids(site)
        group = ET.Element("group", id=ids["group"])
        ma = ET.SubElement(group, "meta_attributes", id=f"{ids['group']}-meta_attributes")
        ET.SubElement(ma, "nvpair", id=f"{ids['group']}-meta_attributes-resource-stickiness",
                      name="resource-stickiness",
                      value=str(self.options["resource_stickiness"]))
        for r in self.resources(site):
            prim = ET.SubElement(group, "primitive", {"id": r["id"], "class": "ocf",
                                                      "provider": r["provider"],
                                                      "type": r["type"]})
            ia = ET.SubElement(prim, "instance_attributes", id=f"{r['id']}-instance_attributes")
            for k, v in r["params"].items():
                ET.SubElement(ia, "nvpair", id=f"{r['id']}-instance_attributes-{k}", name=k,
                              value=v)
            if r["meta"]:
                rm = ET.SubElement(prim, "meta_attributes", id=f"{r['id']}-meta_attributes")
                for k, v in r["meta"].items():
                    ET.SubElement(rm, "nvpair", id=f"{r['id']}-meta_attributes-{k}", name=k,
                                  value=v)
            ops = ET.SubElement(prim, "operations")
            for name, interval, timeout in r["ops"]:
                iv = f"{interval}s" if interval else "0s"
                ET.SubElement(ops, "op", id=f"{r['id']}-{name}-interval-{iv}", name=name,
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
                       if re.fullmatch(r"[A-Za-z0-9_@+=:,./-]+", site.database) else None)
        return ctx

    def agent_script(self) -> str:
        from jobcenter_cluster.errors import RenderError
        from jobcenter_cluster.render import Renderer

        c, t = self.cluster, self.timeouts()
        meta = meta_data_xml(product=c.product.name, root=c.spool_root or "",
                             jccluster=c.jccluster, supervisor=c.supervisor,
                             install_prefix=c.install_prefix, start_timeout=t["start"],
                             stop_timeout=t["stop"], monitor_interval=t["monitor_interval"],
                             monitor_timeout=t["monitor"],
                             notify_cluster=self.options["notify_cluster"])
        if META_END in meta.splitlines():  # pragma: no cover - values are validated above
            raise RenderError("the meta-data would end the agent's here-document early")
        r = Renderer(self.name, self.template_dirs)
        return r.render("agent.sh.j2", meta_data=meta, meta_end=META_END, **self.context())

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
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
            start = self.native_argv("cjcpw", site.name, site.database) if site.monitor else \
                self.native_argv("cjcpw", "-c", site.name, site.database)
            return {"pre": self.native_argv("nqsportkpr", site.name), "start": start,
                    "stop": self.native_argv("cjcpw", "-stop", site.name)}
        extra: list[str] = []
        from jobcenter_cluster.products import DEFAULT_PRODUCT

        if c.product.name != DEFAULT_PRODUCT:
            extra += ["--product", c.product.name]
        if c.spool_root:
            extra += ["--root", c.spool_root]
        mode = [] if site.monitor else ["--no-watch"]
        return {"pre": [],
                "start": [c.jccluster, "site", "start", site.name, site.database, *mode, *extra],
                "stop": [c.jccluster, "site", "stop", site.name, *extra]}

    # ---- check rules

    @classmethod
    def rules(cls) -> list[Rule]:
        pa = "Pacemaker Administration, Resource Agents"
        return [
            Rule("PCMK-METADATA", "the agent's embedded meta-data is valid against ra-api-1.dtd "
                 "and advises start, stop, monitor, meta-data and validate-all",
                 "OCF RA API 1.0 (ra-api-1.dtd); " + pa + " (required actions); ocf-tester",
                 _rule_metadata),
            Rule("PCMK-STOP-TIMEOUT", "the site's stop timeout leaves the engine its stop "
                 "deadline (a stop that times out gets the node fenced)",
                 "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine DEFAULT_STOP_TIMEOUT; "
                 + pa + " (stop must not report success until fully stopped)", _rule_stop_timeout),
            Rule("PCMK-SITE-LAST", "the site is the last member of its group, after the "
                 "floating address and the shared disk", "manual §2.10.4 (nqsportkpr first on "
                 "the site address; the database on the mounted shared disk); Pacemaker "
                 "Explained, Groups (members start in order)", _rule_site_last),
            Rule("PCMK-MONITOR", "the site has a recurring monitor operation (Pacemaker learns of "
                 "a failed site only from it)", pa + " (monitor action); SPEC §5",
                 _rule_monitor),
            Rule("PCMK-SHARED-DISK", "the group mounts the shared disk (Filesystem) before the "
                 "site", "manual §2 terms (the shared disk is mounted only on the node running "
                 "the package)", _rule_shared_disk, severity="warning"),
            Rule("PCMK-SYSTEMD", "the systemd unit restarts a failed site and stops it with the "
                 "engine", "systemd.service(5) (Restart=, ExecStop=, TimeoutStopSec=)",
                 _rule_systemd),
        ]

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The group's members in start order (a Pacemaker group starts them one after another
        and stops them in reverse)."""
        kinds = {"Filesystem": "disk", "IPaddr2": "address", AGENT: "jobcenter"}
        res = []
        for r in self.resources(site):
            p = r["params"]
            detail = {"Filesystem": f"{p.get('device')} on {p.get('directory')}",
                      "IPaddr2": p.get("ip", ""), AGENT: p.get("site", "")}.get(r["type"], "")
            res.append((r["id"], f"{r['id']}\nocf:{r['provider']}:{r['type']}\n{detail}",
                        kinds.get(r["type"], "other")))
        links = [(a[0], b[0]) for a, b in zip(res, res[1:], strict=False)]
        return f"group {self.site_opts(site)['group']} ({site.name})", res, links


# --------------------------------------------------------------------------- check rules

RuleResult = tuple[str, "str | None", "int | None"]


def _agent_files(ctx: CheckContext) -> list[SourceFile]:
    return [f for f in ctx.files if f.language in ("sh", "bash")
            and "<resource-agent" in f.text and META_END in f.text]


def _embedded_meta(f: SourceFile) -> tuple[str, int] | None:
    lines = f.lines
    for i, line in enumerate(lines):
        if META_END in line and "<<" in line:
            for j in range(i + 1, len(lines)):
                if lines[j] == META_END:
                    return "\n".join(lines[i + 1:j]) + "\n", i + 2
    return None


def _rule_metadata(ctx: CheckContext) -> Iterator[RuleResult]:
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET

    for f in _agent_files(ctx):
        found = _embedded_meta(f)
        if found is None:
            yield "no meta-data here-document found", f.path, None
            continue
        text, line = found
        try:
            root = ET.fromstring(text.split("\n", 2)[2] if text.startswith("<?xml") else text)
        except ET.ParseError as err:
            yield f"meta-data is not well-formed XML: {err}", f.path, line
            continue
        advised = {a.get("name") for a in root.iter("action")}
        for need in ("start", "stop", "monitor", "meta-data", "validate-all"):
            if need not in advised:
                yield f"meta-data does not advise the {need} action", f.path, line
        names = {p.get("name"): p for p in root.iter("parameter")}
        for need in ("site", "database"):
            if need not in names or names[need].get("required") != "1":
                yield f"meta-data must declare the required parameter {need!r}", f.path, line
        dtd = "/usr/share/resource-agents/ra-api-1.dtd"
        if shutil.which("xmllint") and os.path.exists(dtd):
            proc = subprocess.run(["xmllint", "--noout", "--dtdvalid", dtd, "-"], input=text,
                                  capture_output=True, text=True, timeout=30)
            if proc.returncode != 0:
                msg = (proc.stderr.strip().splitlines() or ["invalid"])[0]
                yield f"meta-data is not valid against ra-api-1.dtd: {msg}", f.path, line


def _site_primitives(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter("primitive")
            if p.get("provider") == PROVIDER and p.get("type") == AGENT]


def _xml_files(ctx: CheckContext) -> Iterator[tuple[SourceFile, ET.Element]]:
    import xml.etree.ElementTree as ET
    for f in ctx.files_of("xml"):
        try:
            root = ET.fromstring(f.text)
        except ET.ParseError:
            continue
        yield f, root


def _seconds(value: str | None) -> float | None:
    """A Pacemaker time (``150``, ``150s``, ``2min``, ``1h``, ``500ms``) in seconds."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(ms|msec|s|sec|m|min|h|hr)?\s*", value)
    if not m:
        return None
    n = int(m.group(1))
    unit = m.group(2) or "s"
    return n * {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600,
                "hr": 3600}[unit]


def _line_of(f: SourceFile, needle: str) -> int | None:
    for i, line in enumerate(f.lines):
        if needle in line:
            return i + 1
    return None


def _text_ops(f: SourceFile) -> Iterator[tuple[int, str, dict[str, str]]]:
    """``op NAME k=v ...`` clauses of the site resource in pcs/crm text: (line, name, attrs)."""
    text = f.text.replace("\\\n", " ")
    for m in re.finditer(r"ocf:jobcenter:site\b(.*?)(?:\n\s*\n|--group|\Z|\nprimitive|\ngroup)",
                         text, re.S):
        block = m.group(1)
        for op in re.finditer(r"\bop\s+([a-z-]+)((?:\s+[a-z_-]+=\S+)+)", block):
            attrs = dict(re.findall(r"([a-z_-]+)=(\S+)", op.group(2)))
            attrs = {k: v.strip("'\"") for k, v in attrs.items()}
            yield _line_of(f, op.group(0).split()[0] + " " + op.group(1)) or 1, op.group(1), attrs


_DEFINES_SITE = LazyPattern(r"(?:resource\s+create|^\s*primitive)\s+\S+\s+ocf:jobcenter:site\b",
                           re.M)


def _config_texts(ctx: CheckContext) -> list[SourceFile]:
    """pcs scripts and crm snippets that define a site resource."""
    return [f for f in ctx.files if f.language != "xml" and _DEFINES_SITE.search(f.text)]


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    need = engine_stop_seconds(ctx.cluster)
    for f, root in _xml_files(ctx):
        for prim in _site_primitives(root):
            for op in prim.iter("op"):
                if op.get("name") != "stop":
                    continue
                secs = _seconds(op.get("timeout"))
                if secs is not None and secs * DEADLINE_FRACTION < need:
                    yield (f"{prim.get('id')}: stop timeout {op.get('timeout')} gives the engine "
                           f"{secs * DEADLINE_FRACTION:.0f} s; the site needs {need:.0f} s (use "
                           f"at least {advised_timeout(need)}s)", f.path,
                           _line_of(f, 'name="stop"'))
    for f in _config_texts(ctx):
        for line, name, attrs in _text_ops(f):
            secs = _seconds(attrs.get("timeout"))
            if name == "stop" and secs is not None and secs * DEADLINE_FRACTION < need:
                yield (f"stop timeout {attrs['timeout']} gives the engine "
                       f"{secs * DEADLINE_FRACTION:.0f} s; the site needs {need:.0f} s (use at "
                       f"least {advised_timeout(need)}s)", f.path, line)


def _rule_site_last(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, root in _xml_files(ctx):
        for group in root.iter("group"):
            members = [p for p in group if p.tag == "primitive"]
            for i, prim in enumerate(members):
                if prim in _site_primitives(group) and i != len(members) - 1:
                    yield (f"group {group.get('id')}: {prim.get('id')} must be the last member "
                           f"(after {', '.join(str(p.get('id')) for p in members[i + 1:])})",
                           f.path, _line_of(f, f'id="{prim.get("id")}"'))
    for f in ctx.files:
        for i, line in enumerate(f.lines):
            m = re.match(r"^\s*group\s+(\S+)\s+(.*)$", line)
            if m and f.language == "text":
                words = [w for w in m.group(2).split() if w != "\\" and "=" not in w
                         and w != "meta"]
                sites = [w for w in words if w.endswith("-site")]
                if sites and words[-1] not in sites:
                    yield (f"group {m.group(1)}: {sites[0]} must be the last member", f.path,
                           i + 1)


def _rule_monitor(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, root in _xml_files(ctx):
        for prim in _site_primitives(root):
            ok = any(op.get("name") == "monitor" and (_seconds(op.get("interval")) or 0) > 0
                     for op in prim.iter("op"))
            if not ok:
                yield (f"{prim.get('id')}: no recurring monitor operation: a failed site would "
                       "never be noticed", f.path, _line_of(f, f'id="{prim.get("id")}"'))
    for f in _config_texts(ctx):
        ops = list(_text_ops(f))
        if not any(name == "monitor" and (_seconds(a.get("interval")) or 0) > 0
                   for _, name, a in ops):
            yield ("the site resource has no recurring monitor operation (op monitor "
                   "interval=...)", f.path, _line_of(f, "ocf:jobcenter:site"))


def _rule_shared_disk(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, root in _xml_files(ctx):
        for group in root.iter("group"):
            if not _site_primitives(group):
                continue
            if not any(p.get("type") == "Filesystem" for p in group.iter("primitive")):
                yield (f"group {group.get('id')} has no Filesystem resource: make sure the "
                       "shared disk holding the database is mounted by other means (set "
                       "[site.pacemaker] fs_device to have it rendered)", f.path, None)


def _rule_systemd(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if not f.path.endswith(".service"):
            continue
        keys: dict[str, tuple[int, str]] = {}
        for i, line in enumerate(f.lines):
            m = re.match(r"^\s*([A-Za-z]+)\s*=\s*(.*)$", line)
            if m:
                keys[m.group(1)] = (i + 1, m.group(2).strip())
        restart = keys.get("Restart", (None, ""))[1]
        if restart not in ("on-failure", "on-abnormal", "always"):
            yield ("Restart= must be on-failure (the watcher exits abnormally when a daemon dies)",
                   f.path, keys.get("Restart", (None, ""))[0])
        if "ExecStop" not in keys or not re.search(r"(site\s+stop|cjcpw\S*\s+-stop)\b",
                                                   keys["ExecStop"][1]):
            yield ("ExecStop= must stop the site (jccluster site stop SITE / cjcpw -stop SITE): "
                   "it also cleans up after a watcher that died", f.path,
                   keys.get("ExecStop", (None, ""))[0])
        need = engine_stop_seconds(ctx.cluster)
        tss = _seconds(keys.get("TimeoutStopSec", (None, None))[1])
        if tss is None or tss < need:
            yield (f"TimeoutStopSec= must be at least the stop deadline ({need:.0f} s)", f.path,
                   keys.get("TimeoutStopSec", (None, ""))[0])
