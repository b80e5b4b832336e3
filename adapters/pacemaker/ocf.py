"""The OCF agent's meta-data (OCF RA API 1.0, ``ra-api-1.dtd``): what the ``meta-data`` action
prints and what a rendered agent embeds. Imported only for that action and when rendering.

The ``<actions>`` are the spec's actions that have a timeout, in the spec's order, as
resource-agents' ``ocf.py`` builds them from ``add_action()``: the declaration that drives
``jccluster agent pacemaker ACTION`` is the one that is advertised.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from jobcenter_cluster.adapters.pacemaker import DEADLINE_FRACTION, SPEC

#: OCF provider and agent: the resource class is ``ocf:jobcenter:site``.
PROVIDER = "jobcenter"
AGENT = "site"
#: Where Pacemaker looks for OCF agents (``OCF_RA_PATH`` is not consulted by crm_resource).
OCF_ROOT = "/usr/lib/ocf"
AGENT_PATH = f"{OCF_ROOT}/resource.d/{PROVIDER}/{AGENT}"
#: The heredoc delimiter of the meta-data embedded in the agent.
META_END = "JOBCENTER_OCF_META_DATA_END"


def advertised_actions() -> list[str]:
    """The actions the meta-data lists: the spec's actions with a timeout."""
    return [name for name, action in SPEC.actions.items() if action.timeout is not None]


def advised_timeout(engine_seconds: float) -> int:
    """The Pacemaker operation timeout that gives the engine `engine_seconds` (its deadline is
    DEADLINE_FRACTION of the timeout), rounded up to 10 s."""
    return math.ceil(engine_seconds / DEADLINE_FRACTION / 10.0) * 10


@dataclass(frozen=True)
class Parameter:
    """One of the agent's parameters (``OCF_RESKEY_<name>``); its default, where it has one,
    comes from the cluster the agent is rendered for."""

    name: str
    short: str
    long: str
    kind: str = "string"
    required: bool = False
    unique: bool = False


PARAMETERS = (
    Parameter("site", "Site name (FQDN of the floating address)",
              "The site name: the official, fully qualified host name that resolves to the "
              "site's floating IP address on every node (not an alias).",
              required=True, unique=True),
    Parameter("database", "Site database path on the shared disk",
              "The site's database directory on the shared disk (cjcmksite's DBPATH), e.g. "
              "/mnt/jobdb. The same path on every node.", required=True, unique=True),
    Parameter("product", "Product profile",
              "The product profile that runs the site: jobcenter-linux, jobcenter-hpux, "
              "jobcenter-solaris or simulator (stand-in daemons, for tests and "
              "demonstrations)."),
    Parameter("root", "Spool root",
              "The spool root on the nodes (where the standard spool path symlink and the "
              "node's run state live). Empty: the product's, /usr/spool/nqs."),
    Parameter("config", "Cluster file",
              "Optional jobcenter-cluster file (TOML) to take the database and product from "
              "when they are not given."),
    Parameter("jccluster", "Path of jccluster",
              "Absolute path of the jccluster command on the nodes (supervisor=jccluster)."),
    Parameter("supervisor", "jccluster or cjcpw",
              "Who runs the site: 'jccluster' (the jobcenter-cluster engine: its stop kills what "
              "is left of the site at its deadline) or 'cjcpw' (JobCenter's own watcher and "
              "commands, exactly as the vendor manual shows; cjcpw -stop has no deadline of its "
              "own). The default is the supervisor of the cluster file the agent was rendered "
              "from."),
    Parameter("install_prefix", "JobCenter install prefix",
              "Where JobCenter is installed on every node (supervisor=cjcpw: cjcpw, cjcls and "
              "nqsportkpr are found below it)."),
    Parameter("watch", "Watch the site",
              "true: start the site with a detached watcher (the manual's monitored variant); "
              "false: start it without one (cjcpw -c), Pacemaker's monitor alone watches it.",
              kind="boolean"),
    Parameter("notify_cluster", "Report a failure at once",
              "supervisor=jccluster with watch=true: when the watcher sees the site fail, it "
              "tells Pacemaker at once ('crm_resource --fail' for this resource on this node), "
              "so recovery does not wait for the next monitor. Nothing is reported while the "
              "resource is unmanaged or in maintenance, or when Pacemaker itself stopped the "
              "site.", kind="boolean"),
    Parameter("state_dir", "State directory (supervisor=cjcpw)",
              "Where the agent keeps the cjcpw watcher's pid file (a tmpfs, cleared at boot)."),
)


def meta_data_xml(*, product: str = "jobcenter-linux", root: str = "",
                  jccluster: str = "/usr/local/bin/jccluster", supervisor: str = "jccluster",
                  install_prefix: str = "/usr/lib/nqs", notify_cluster: bool = True,
                  timeouts: Mapping[str, int] | None = None,
                  intervals: Mapping[str, int] | None = None) -> str:
    """The agent's meta-data, built with a real serializer. `timeouts` and `intervals` (seconds,
    by action) override the spec's: a rendered agent advertises its cluster's own."""
    ra = ET.Element("resource-agent", name=AGENT, version="1.0")
    ET.SubElement(ra, "version").text = "1.0"
    if supervisor == "cjcpw":
        how = ("By default (supervisor=cjcpw) it runs JobCenter's own commands: nqsportkpr, "
               "cjcpw SITE DBPATH as the watcher, cjcpw -stop SITE. cjcpw -stop takes 1-2 "
               "minutes and has no deadline of its own: keep the stop operation's timeout well "
               "above that (a stop that times out gets the node fenced). maintenance=ON in "
               "daemon.conf (cjcpw runs, the daemons do not) counts as running.")
    else:
        how = ("By default (supervisor=jccluster) it runs the jobcenter-cluster engine "
               "('jccluster agent pacemaker ACTION'); with supervisor=cjcpw, JobCenter's own "
               "cjcpw. The engine's stop deadline is "
               f"{int(DEADLINE_FRACTION * 100)}% of the stop operation's timeout: whatever is "
               "left of the site is killed before Pacemaker gives up on the stop.")
    ET.SubElement(ra, "longdesc", lang="en").text = (
        "Runs one JobCenter site (its daemons and watcher). " + how + " Put it in a group after "
        "the site's floating address (IPaddr2) and shared disk (Filesystem).")
    ET.SubElement(ra, "shortdesc", lang="en").text = "JobCenter cluster site"
    defaults = {"product": product, "root": root, "config": "", "jccluster": jccluster,
                "supervisor": supervisor, "install_prefix": install_prefix, "watch": "true",
                "notify_cluster": "true" if notify_cluster else "false",
                "state_dir": "/run/resource-agents"}
    params = ET.SubElement(ra, "parameters")
    for param in PARAMETERS:
        p = ET.SubElement(params, "parameter", name=param.name,
                          required="1" if param.required else "0",
                          unique="1" if param.unique else "0")
        ET.SubElement(p, "longdesc", lang="en").text = param.long
        ET.SubElement(p, "shortdesc", lang="en").text = param.short
        content = ET.SubElement(p, "content", type=param.kind)
        if param.name in defaults:
            content.set("default", defaults[param.name])
    actions = ET.SubElement(ra, "actions")
    for name in advertised_actions():
        declared = SPEC.actions[name]
        timeout = (timeouts or {}).get(name, declared.timeout)
        interval = (intervals or {}).get(name, declared.interval)
        a = ET.SubElement(actions, "action", name=name, timeout=f"{timeout}s")
        if interval is not None:
            a.set("interval", f"{interval}s")
            a.set("depth", "0")
    ET.indent(ra, space="  ")
    body = ET.tostring(ra, encoding="unicode")
    return ('<?xml version="1.0"?>\n<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">\n'
            + body + "\n")


def meta_data() -> str:
    """What ``jccluster agent pacemaker meta-data`` prints: the spec's advised timeouts."""
    return meta_data_xml()
