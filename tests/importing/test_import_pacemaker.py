"""Pacemaker importer: CIB XML and crm configure show, alone or together; a whole CIB."""

from __future__ import annotations

from jobcenter_cluster.adapters.pacemaker.adapter import PacemakerAdapter
from jobcenter_cluster.importing import run_import
from support import adapters


def rendered(tmp_path, **pcmk):
    adapter = adapters.make(PacemakerAdapter, site=[{"pacemaker": {"fs_device": "/dev/vg/lv", **pcmk}}])
    adapters.rendered(adapter, tmp_path / "out")
    return tmp_path / "out"


def test_cib_xml_and_crm_text_each_give_the_same_site(tmp_path):
    out = rendered(tmp_path, nic="eth1")
    by_xml = run_import("pacemaker", [str(out / "orange" / "cib.xml")])
    by_crm = run_import("pacemaker", [str(out / "orange" / "crm.txt")])
    assert by_xml.report == [] and by_crm.report == []
    assert by_xml.data == by_crm.data
    (site,) = by_xml.data["site"]
    assert site == {"name": "orange.example.com", "address": "10.17.21.162",
                    "database": "/mnt/jobdb", "monitor": True,
                    "pacemaker": {"nic": "eth1", "fs_device": "/dev/vg/lv"}}
    assert {m.path for m in by_xml.missing} == {("node",), ("site", 0, "machine_id")}


WHOLE_CIB = """\
<cib crm_feature_set="3.0" validate-with="pacemaker-3.0" epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="spencer"/>
      <node id="2" uname="matto"/>
    </nodes>
    <resources>
      <primitive id="web" class="ocf" provider="heartbeat" type="apache"/>
      <group id="jc">
        <primitive id="jc-ip" class="ocf" provider="heartbeat" type="IPaddr2">
          <instance_attributes id="a"><nvpair id="a1" name="ip" value="10.17.21.162"/></instance_attributes>
        </primitive>
        <primitive id="jc-site" class="ocf" provider="jobcenter" type="site">
          <instance_attributes id="b">
            <nvpair id="b1" name="site" value="orange.example.com"/>
            <nvpair id="b2" name="database" value="/mnt/jobdb"/>
            <nvpair id="b3" name="supervisor" value="cjcpw"/>
            <nvpair id="b4" name="install_prefix" value="/opt/nqs"/>
            <nvpair id="b5" name="secret" value="x"/>
          </instance_attributes>
        </primitive>
      </group>
    </resources>
    <constraints><rsc_location id="loc" rsc="web" node="spencer" score="10"/></constraints>
  </configuration>
</cib>
"""


def test_whole_cib_gives_nodes_and_reports_the_rest(tmp_path):
    p = tmp_path / "cib.xml"
    p.write_text(WHOLE_CIB)
    r = run_import("pacemaker", [str(p)])
    assert [n["name"] for n in r.data["node"]] == ["spencer", "matto"]
    assert r.data["cluster"] == {"product": "jobcenter-linux", "supervisor": "cjcpw",
                                 "install_prefix": "/opt/nqs"}
    assert r.data["site"][0]["pacemaker"] == {"group": "jc"}
    text = "\n".join(r.report)
    for what in ("primitive web", "rsc_location loc", "parameter secret=x", "jc-site"):
        assert what in text, text


def test_doctype_and_broken_xml_are_reported_not_read(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><group id="&a;"/>')
    broken = tmp_path / "broken.xml"
    broken.write_text("<group id='x'><primitive></group>")
    r = run_import("pacemaker", [str(bomb), str(broken)])
    assert len(r.report) == 2
    assert "DOCTYPE" in r.report[0] and "not well-formed" in r.report[1]
    assert r.data["site"] == []
