"""MSCS importer: the manual's command samples, '/priv' listings, an operator's own script."""

from __future__ import annotations

from pathlib import Path

from jobcenter_cluster.importing import run_import

DATA = Path(__file__).resolve().parents[1] / "data" / "manual" / "mscs"

# 'cluster res "JC-RESOURCE" /priv' and 'cluster res "IP Address 10.17.21.126" /priv' as
# cluster.exe lists private properties (T, resource, name, value columns); the manual's site.
PRIV = """\
Listing private properties for 'JC-RESOURCE':

T  Resource             Name                           Value
-- -------------------- ------------------------------ -----------------------
S  JC-RESOURCE          SiteName                       matte.e3.mid.mt.nec.co.jp
S  JC-RESOURCE          SiteDirectory                  Q:\\jobdb
"""


def test_the_manuals_commands_and_a_priv_listing(tmp_path):
    (tmp_path / "priv.txt").write_text(PRIV)
    r = run_import("mscs", [str(DATA), str(tmp_path / "priv.txt")])
    (site,) = r.data["site"]
    assert site["name"] == "matte.e3.mid.mt.nec.co.jp" and site["database"] == "Q:\\jobdb"
    # cjcmksite.cmd is the site's cjcmksite record: the machine ID comes from it
    assert site["machine_id"] == 126
    assert r.data["cluster"] == {"product": "jobcenter-windows", "supervisor": "cjcpw"}
    # the type and extension registration hold nothing of the site and are not reported;
    # the cjcmksite line is the site's (name, machine ID, database): carried over, not reported
    assert r.report == []


def test_an_operators_own_cluster_commands(tmp_path):
    script = tmp_path / "make-jc.cmd"
    script.write_bytes(
        b'cluster /cluster:prodcl group "JobCenter" /create\r\n'
        b'cluster /cluster:prodcl res "JC IP" /create /group:"JobCenter" /type:"IP Address"\r\n'
        b'cluster /cluster:prodcl res "JC IP" /priv Address=10.17.21.126 SubnetMask=255.255.0.0 '
        b'Network="Public LAN"\r\n'
        b'cluster /cluster:prodcl res "JC" /create /group:"JobCenter" /type:JobCenterCluster\r\n'
        b'cluster /cluster:prodcl res "JC" /priv SiteName="matte.e3.mid.mt.nec.co.jp" '
        b'SiteDirectory="Q:\\jobdb"\r\n'
        b'cluster /cluster:prodcl res "JC" /adddep:"JC IP"\r\n'
        b'cluster /cluster:prodcl res "JC" /prop RestartThreshold=3\r\n')
    r = run_import("mscs", [str(script)])
    (site,) = r.data["site"]
    # the SubnetMask is the site's netmask now (the adapter renders it from [[site]] netmask)
    assert site["address"] == "10.17.21.126" and site["netmask"] == "255.255.0.0"
    assert site["mscs"] == {"resource": "JC", "ip_resource": "JC IP"}
    assert r.data["mscs"] == {"cluster": "prodcl", "group": "JobCenter", "network": "Public LAN"}
    assert len(r.report) == 1 and "RestartThreshold=3" in r.report[0]
