"""Migration end to end: the manual's ServiceGuard sample, imported, becomes a Pacemaker
resource group that a live single-node cluster runs.

1. ``jccluster import serviceguard`` reads the manual's control-script sample (§2.11.7, typed
   in tests/data/manual/serviceguard-linux);
2. the test fills in what the sample cannot hold (machine IDs, the node) and points the site at
   its own resolvable name, local address and scratch database -- the simulator plays JobCenter,
   so the engine supervises it (``supervisor = "jccluster"``, ``product = "simulator"``);
3. ``jccluster validate`` accepts the file, ``jccluster render pacemaker`` renders it, and the
   rendered group (the floating address swapped for ocf:pacemaker:Dummy, so no interface is
   touched) is loaded into the live cluster, which starts the site, then stops it.

Run only under ``flock /work/coord/pacemaker.lock`` (one corosync on 127.0.0.1 at a time).
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jobcenter_cluster.engine import api
from support.cli import jcc

pytestmark = [pytest.mark.pacemaker, pytest.mark.timeout(300)]

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "manual" / "serviceguard-linux"


def _toml(data: dict) -> str:
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = ["[cluster]"] + [f"{k} = {value(v)}" for k, v in data["cluster"].items()]
    for node in data["node"]:
        out += ["", "[[node]]"] + [f"{k} = {value(v)}" for k, v in node.items()]
    for site in data["site"]:
        out += ["", "[[site]]"]
        out += [f"{k} = {value(v)}" for k, v in site.items() if not isinstance(v, dict)]
        for name, table in site.items():
            if isinstance(table, dict):
                out += [f"[site.{name}]"] + [f"{k} = {value(v)}" for k, v in table.items()]
    return "\n".join(out) + "\n"


def test_manual_serviceguard_sample_runs_on_pacemaker(live_cluster, installed_agent, sim_site,
                                                      poll_for, tmp_path, jccluster_bin):
    imported = jcc("import", "serviceguard", str(SAMPLE), "-o", "imported.toml", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    data = tomllib.loads((tmp_path / "imported.toml").read_text())
    assert data["cluster"]["supervisor"] == "cjcpw"
    (site,) = data["site"]
    assert (site["name"], site["database"], site["monitor"]) == ("orange.xxx.xx.co.jp",
                                                                 "/mnt/jobdb", True)
    assert site["serviceguard"] == {"service": "cjc"}
    # What the sample cannot hold, and the test's own site.
    data["cluster"].update({"product": "simulator", "supervisor": "jccluster",
                            "jccluster": jccluster_bin, "spool_root": sim_site.root})
    data["node"] = [{"name": live_cluster.node, "address": "127.0.0.1", "machine_id": 1}]
    site.update({"name": sim_site.name, "address": sim_site.address, "machine_id": 100,
                 "database": sim_site.db, "netmask": "255.0.0.0"})
    (tmp_path / "jccluster.toml").write_text(_toml(data))
    v = jcc("validate", cwd=tmp_path)
    assert v.returncode == 0, v.stderr
    r = jcc("render", "pacemaker", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    group_dir = [p for p in (tmp_path / "out").iterdir() if (p / "cib.xml").exists()]
    assert len(group_dir) == 1
    group = ET.fromstring((group_dir[0] / "cib.xml").read_text())
    site_rsc = None
    for prim in group.iter("primitive"):
        if prim.get("type") in ("IPaddr2", "Filesystem"):
            prim.set("provider", "pacemaker")
            prim.set("type", "Dummy")
            for ia in prim.findall("instance_attributes"):
                prim.remove(ia)
        elif prim.get("type") == "site":
            prim.set("provider", installed_agent.provider)
            site_rsc = prim.get("id")
    assert site_rsc is not None
    path = tmp_path / "group.xml"
    path.write_text(ET.tostring(group, encoding="unicode"))
    live_cluster.run("cibadmin", "--create", "--scope", "resources", "--xml-file", str(path))
    try:
        poll_for(lambda: live_cluster.resource_state(site_rsc) == "Started", 60,
                 what=f"{site_rsc} started: {live_cluster.log_tail()}")
        st = poll_for(lambda: (s := api.status(sim_site.name, root=sim_site.root))
                      .outcome.value == "running" and s, 30, what="the site running")
        assert st.daemons.get("nqsdaemon")
    finally:
        live_cluster.run("crm_resource", "--resource", group.get("id"), "--set-parameter",
                         "target-role", "--meta", "--parameter-value", "Stopped", check=False)
        poll_for(lambda: api.status(sim_site.name, root=sim_site.root).outcome.value
                 == "stopped", 60, what="site stopped by Pacemaker")
