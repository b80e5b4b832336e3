"""The rendered Pacemaker configuration of a simulator site, made safe for the live
single-node cluster of tests/pacemaker (used by its tests and by benchmarks/bench_recovery.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from jobcenter_cluster.engine import api
from jobcenter_cluster.model import parse_cluster


def site_cib(sim_site: Any, installed_agent: Any, jccluster: str, monitor_interval: int = 2,
             **pacemaker: Any) -> tuple[str, dict[str, str]]:
    """The rendered resource group of `sim_site` as CIB XML, its address and disk replaced by
    ocf:pacemaker:Dummy, its site primitive run by `installed_agent`; and the resource IDs."""
    from jobcenter_cluster.adapters.pacemaker.adapter import PacemakerAdapter

    data = {
        "cluster": {"product": "simulator", "jccluster": jccluster,
                    "spool_root": sim_site.root},
        "node": [{"name": "jctest-node1", "address": "127.0.0.1", "machine_id": 1}],
        "site": [{"name": sim_site.name, "address": sim_site.address, "machine_id": 100,
                  "database": sim_site.db,
                  "pacemaker": {"fs_device": "/dev/jctest-shared-disk"}}],
        # enough restarts in place for every round (the production default moves after 3)
        "pacemaker": {"monitor_interval": monitor_interval, "migration_threshold": 100,
                      **pacemaker},
    }
    adapter = PacemakerAdapter(parse_cluster(data, adapter_names=["pacemaker"]))
    site = adapter.sites[0]
    group = ET.fromstring(adapter.cib_xml(site))
    for prim in group.iter("primitive"):
        if prim.get("type") in ("IPaddr2", "Filesystem"):
            # loopback-safe stand-ins: no interface or mount is touched
            prim.set("provider", "pacemaker")
            prim.set("type", "Dummy")
            for ia in prim.findall("instance_attributes"):
                prim.remove(ia)
        elif prim.get("type") == "site":
            prim.set("provider", installed_agent.provider)
    return ET.tostring(group, encoding="unicode"), adapter.ids(site)


def nqsdaemon(sim_site: Any) -> int | None:
    st = api.status(sim_site.name, root=sim_site.root)
    return st.daemons.get("nqsdaemon") if st.outcome.value == "running" else None
