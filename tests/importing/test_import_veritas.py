"""Veritas importer: a hand-written main.cf, and a main.cf that does not parse."""

from __future__ import annotations

from jobcenter_cluster.importing import run_import

MAIN_CF = """\
include "types.cf"

cluster prodvcs (
        UserNames = { admin = xxx }
        )

system spencer (
        )

system matto (
        )

group jcsg (
        SystemList = { spencer = 0, matto = 1 }
        AutoStartList = { spencer }
        )

        IP jcsg_ip (
                Device = bge0
                Address = "10.17.21.162"
                NetMask = "255.255.255.0"
                )

        Mount jcsg_mnt (
                MountPoint = "/mnt/jobdb"
                BlockDevice = "/dev/vx/dsk/jcdg/jcvol"
                FSType = vxfs
                FsckOpt = "-y"
                )

        Application jcsg_app (
                StartProgram = "/usr/lib/nqs/cluster/cjcpw -c orange.example.com /mnt/jobdb"
                StopProgram = "/usr/lib/nqs/cluster/cjcpw -stop orange.example.com"
                MonitorProcesses = { "/usr/lib/nqs/cluster/cjcpw" }
                )

        Process other_app (
                PathName = "/usr/bin/other"
                )

        jcsg_app requires jcsg_ip
"""


def test_hand_written_main_cf(tmp_path):
    p = tmp_path / "main.cf"
    p.write_text(MAIN_CF)
    r = run_import("veritas", [str(p)])
    assert [n["name"] for n in r.data["node"]] == ["spencer", "matto"]
    assert r.data["cluster"]["supervisor"] == "cjcpw"
    (site,) = r.data["site"]
    assert site["name"] == "orange.example.com" and site["address"] == "10.17.21.162"
    assert site["database"] == "/mnt/jobdb" and site["monitor"] is False
    assert site["veritas"] == {"group": "jcsg", "device": "bge0",
                               "block_device": "/dev/vx/dsk/jcdg/jcvol"}
    assert r.data["veritas"] == {"cluster_name": "prodvcs"}
    text = "\n".join(r.report)
    for what in ("cluster attribute UserNames", "MonitorProcesses", "other_app (Process)"):
        assert what in text, text


def test_main_cf_that_does_not_parse_is_one_report_line(tmp_path):
    p = tmp_path / "main.cf"
    p.write_text('group g (\n  SystemList = { a = 0\n')
    r = run_import("veritas", [str(p)])
    assert len(r.report) == 1 and "does not parse" in r.report[0]
    assert r.data["site"] == []
