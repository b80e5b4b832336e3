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
    # the placeholders of the sample are reported with their lines, nothing else
    assert [line.split(": ", 1)[0].rsplit("/", 1)[1] for line in r.report] == [
        "jobcenter.cntl:12", "jobcenter.cntl:18"]
    assert all("以下" in line for line in r.report)
    assert {m.path for m in r.missing} == {("node",), ("site", 0, "address"),
                                           ("site", 0, "machine_id")}


def test_serviceguard_hpux_samples_report_the_short_site_name():
    r = run_import("serviceguard", [str(DATA / "serviceguard-hpux")])
    assert r.data["site"] == []
    refused = [line for line in r.report if "site name" in line]
    assert len(refused) == 2 and all("'jobserver1' is not a fully qualified" in line
                                     for line in refused)
    # the one-line SERVICE_NAME[0]=job1 SERVICE_CMD[0]=... of §2.10.4 is read as two settings
    assert not any("SERVICE_NAME" in line for line in r.report)
