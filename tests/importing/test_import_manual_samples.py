"""The manual's own samples (tests/data/manual, typed from the manual) import, quirks and all."""

from __future__ import annotations

from pathlib import Path

from jobcenter_cluster.importing import run_import

DATA = Path(__file__).resolve().parents[1] / "data" / "manual"


def test_serviceguard_linux_sample():
    r = run_import("serviceguard", [str(DATA / "serviceguard-linux")])
    assert r.data["cluster"] == {"supervisor": "cjcpw"}
    (site,) = r.data["site"]
    assert site == {"name": "orange.xxx.xx.co.jp", "database": "/mnt/jobdb", "monitor": True,
                    "serviceguard": {"service": "cjc"}}
    # the manual's "(以下省略)" / "(以下略)" markers (lines 12 and 18) are the manual's, not
    # lines of the package: nothing is reported as not carried over
    assert r.report == []
    # no SUBNET in the sample: the netmask the adapter needs for it is missing, not guessed
    assert {m.path for m in r.missing} == {("node",), ("site", 0, "address"),
                                           ("site", 0, "machine_id"), ("site", 0, "netmask")}


def test_serviceguard_hpux_samples_keep_the_sites_without_their_short_name():
    r = run_import("serviceguard", [str(DATA / "serviceguard-hpux")])
    # one site: both control scripts name jobserver1; they are the manual's two alternatives
    # (job1-nomonitor.cntl, read first, says monitor false): the conflict is reported
    assert r.data["site"] == [{"database": "/mnt1/jobdb", "monitor": False,
                               "serviceguard": {"service": "job1"}}]
    refused = [line for line in r.report if "'jobserver1': not fully qualified" in line]
    assert len(refused) == 1
    assert any("monitor True (already False)" in line for line in r.report), r.report
    assert ("site", 0, "name") in {m.path for m in r.missing}
    # the one-line SERVICE_NAME[0]=job1 SERVICE_CMD[0]=... of §2.10.4 is read as two settings
    assert not any("SERVICE_NAME" in line for line in r.report)


def test_clusterpro_windows_sample_cp932_crlf_and_continued_armload():
    r = run_import("clusterpro-windows", [str(DATA / "clusterpro-windows")])
    assert r.data["cluster"] == {"product": "jobcenter-windows", "supervisor": "cjcpw",
                                 "install_prefix": "d:\\JobCenter"}
    assert r.data["clusterpro-windows"] == {"admin": "jcadmin"}
    assert r.data["site"] == [{"database": "x:\\vmdb", "monitor": True,
                               "clusterpro-windows": {"watch_id": "JOBSTART"}}]
    assert len(r.report) == 1 and "'orange': not fully qualified" in r.report[0]
    assert {m.path for m in r.missing} == {("node",), ("site", 0, "name"),
                                           ("site", 0, "address"), ("site", 0, "machine_id")}


def test_clusterpro_linux_sample_scripts_without_clp_conf():
    r = run_import("clusterpro-linux", [str(DATA / "clusterpro-linux")])
    assert r.data["cluster"] == {"supervisor": "cjcpw"}
    assert r.data["site"] == [{"database": "/mnt/vmdb", "monitor": True}]
    assert len(r.report) == 1 and "'orange': not fully qualified" in r.report[0]
    # the disk device the adapter requires is in clp.conf only
    assert {m.path for m in r.missing} == {("node",), ("site", 0, "name"),
                                           ("site", 0, "address"), ("site", 0, "machine_id"),
                                           ("site", 0, "clusterpro-linux", "disk_device")}


def test_clusterpro_linux_sample_with_a_clp_conf_gives_nodes_and_address(tmp_path):
    """The manual's scripts where clpcfctrl --pull puts them, with a clp.conf holding the
    group: nodes, the floating IP and the group's names come from clp.conf."""
    import shutil

    from jobcenter_cluster.adapters.clusterpro_linux.adapter import ClusterProLinuxAdapter
    from jobcenter_cluster.model import example_data, parse_cluster

    data = example_data()
    data["site"][0]["clusterpro-linux"] = {"disk_device": "/dev/sdb1"}  # required
    arts = ClusterProLinuxAdapter(parse_cluster(data, adapter_names=[
        "clusterpro-linux"])).render()
    (tmp_path / "clp.conf").write_text(next(a.content for a in arts if a.path == "clp.conf"))
    scripts = tmp_path / "scripts" / "jobcenter-orange" / "exec-orange"
    scripts.mkdir(parents=True)
    for name in ("start.sh", "stop.sh"):
        shutil.copy(DATA / "clusterpro-linux" / name, scripts / name)
    r = run_import("clusterpro-linux", [str(tmp_path)])
    assert [n["name"] for n in r.data["node"]] == ["spencer", "matto"]
    assert r.data["node"][0]["address"] == "10.17.21.160"
    (site,) = r.data["site"]
    assert site["address"] == "10.17.21.162" and site["database"] == "/mnt/vmdb"
    assert site["clusterpro-linux"]["disk_device"] == "/dev/sdb1"
    # the group's names were made for "orange.example.com"; the short name 'orange' gives the
    # same defaults, so they are not repeated in the file
    assert "clusterpro-linux" not in site or "group" not in site["clusterpro-linux"]


def test_clusterpro_windows_sample_with_resolv_def_names_the_site(tmp_path):
    import shutil

    for name in ("start.bat", "stop.bat"):
        shutil.copy(DATA / "clusterpro-windows" / name, tmp_path / name)
    (tmp_path / "resolv.def").write_bytes(b"10.17.21.160\tspencer.example.com\r\n"
                                          b"10.17.21.161\tmatto.example.com\r\n"
                                          b"10.17.21.162\torange.example.com\r\n")
    r = run_import("clusterpro-windows", [str(tmp_path)])
    assert [n["name"] for n in r.data["node"]] == ["spencer.example.com", "matto.example.com"]
    (site,) = r.data["site"]
    assert (site["name"], site["address"]) == ("orange.example.com", "10.17.21.162")
    assert len(r.report) == 1 and "gives its official name orange.example.com" in r.report[0]


def test_a_cjcmksite_record_gives_the_site_machine_id(tmp_path):
    import shutil

    shutil.copy(DATA / "serviceguard-linux" / "jobcenter.cntl", tmp_path / "jobcenter.cntl")
    (tmp_path / "notes.txt").write_text("created 2009-04-01:\n"
                                        "# /usr/lib/nqs/cluster/cjcmksite orange.xxx.xx.co.jp 162 "
                                        "/mnt/jobdb\ncjcmksite: Complete.\n")
    r = run_import("serviceguard", [str(tmp_path)])
    assert r.data["site"][0]["machine_id"] == 162
    assert ("site", 0, "machine_id") not in {m.path for m in r.missing}
    # notes.txt itself is not a package file: that is reported
    assert any("notes.txt: not carried over: not a Serviceguard" in line for line in r.report)
