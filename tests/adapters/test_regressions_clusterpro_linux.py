"""Issue 20 ("Failure semantics"), CLUSTERPRO X / EXPRESSCLUSTER X for Linux: named regression
tests for finding 3 (stop.sh) and the timeout rule.

- The manual's stop.sh sample (§3.3.7) always ends with ``exit 0``: a failing ``cjcpw -stop``
  never blocks the failover. It also means a site still running read as stopped. stop.sh now
  exits 0 when nothing of the site is left and 1 (an exec resource deactivation failure: a
  synchronous script's non-zero exit is a failure, ``__init__`` of the adapter) when something
  is.
- ``cjcpw -stop`` takes 1-2 minutes (§3.3.7) with no engine deadline behind it under
  supervisor cjcpw: the exec resource's stop timeout leaves a wide margin.

The scripts run against the emulated JobCenter installation (``jobcenter`` fixture) with
``JCCLUSTER_SIM_FAULTS=cjcpw-stop=fail`` (``cjcpw -stop`` exits 1 and does nothing).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from e2e.harness import Case, _e2e_site, _supervisor  # noqa: F401 - fixtures e2e_site, supervisor

from jobcenter_cluster.adapters.clusterpro_linux.adapter import ClusterProLinuxAdapter
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_data, parse_cluster

NAME = "clusterpro-linux"
START = "scripts/jobcenter-{site}/exec-{site}/start.sh"
STOP = "scripts/jobcenter-{site}/exec-{site}/stop.sh"
#: "cjcpw -stop ... 1-2 minutes" (manual §3.3.7)
JOBCENTER_STOP_MAX = 120


def _clp(case: Case, event: str = "START", **extra: str) -> dict[str, str]:
    return {"CLP_EVENT": event, "CLP_DISK": "SUCCESS", "CLP_SERVER": "HOME", **extra}


@pytest.mark.timeout(150)
def test_finding3_clusterpro_linux_stop_sh_verifies_instead_of_trusting_the_stop(
        e2e_site, supervisor, tmp_path, poll_for):
    case = Case(NAME, supervisor, e2e_site, tmp_path)
    stop = str(case.path(STOP))
    fault = _clp(case, JCCLUSTER_SIM_FAULTS="cjcpw-stop=fail")
    # the site is down and (cjcpw) cjcpw -stop fails: nothing is left, the group moves on
    res = case.run(["/bin/sh", stop], **fault, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    # running, started as the exec resource starts it (start.sh in the background)
    case.spawn(["/bin/sh", str(case.path(START))], **_clp(case))
    case.wait_running(poll_for)
    res = case.run(["/bin/sh", stop], **fault, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


@pytest.mark.timeout(150)
@pytest.mark.parametrize("supervisor", ["cjcpw"])  # jccluster: the engine's status decides
def test_finding3_clusterpro_linux_stop_sh_fails_while_a_process_of_the_site_lives(
        e2e_site, supervisor, tmp_path, reaper, poll_for):
    """A process of the site that keeps coming back (a respawner outside the site starts one
    with NQS_SITE=SITE every 50 ms): stop.sh must fail, never read as stopped."""
    case = Case(NAME, supervisor, e2e_site, tmp_path)
    script = ("import os, subprocess, sys, time\n"
              "env = dict(os.environ, NQS_SITE=sys.argv[1])\n"
              "while True:\n"
              "    subprocess.Popen(['sleep', '30'], env=env, cwd=sys.argv[2])\n"
              "    time.sleep(0.05)\n")
    clean = {k: v for k, v in os.environ.items() if k != "NQS_SITE"}
    respawner = reaper.popen([sys.executable, "-c", script, case.site.name, case.site.db],
                             env=clean, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        poll_for(lambda: case.left(), timeout=10, what="a process of the site")
        res = case.run(["/bin/sh", str(case.path(STOP))], **_clp(case), timeout=120)
        assert res.returncode == 1, res.stdout + res.stderr
    finally:
        respawner.kill()
        respawner.wait(timeout=10)
    res = case.run(["/bin/sh", str(case.path(STOP))], **_clp(case), timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


def _adapter(tmp_path: Path, supervisor: str, **site_opts: object) -> ClusterProLinuxAdapter:
    site: dict = {"clusterpro-linux": {"disk_device": "/dev/sdb1", **site_opts}}
    data = example_data({"cluster": {"supervisor": supervisor,
                                     "install_prefix": str(tmp_path / "nqs")},
                         "site": [site]})
    return ClusterProLinuxAdapter(parse_cluster(data, adapter_names=[NAME]))


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_finding3_clusterpro_linux_cjcpw_stop_timeout_has_margin(tmp_path, supervisor):
    """The exec resource's stop timeout: at least twice JobCenter's longest stop, under both
    supervisors; under cjcpw a hand-set one below stop + 120 s is refused, and CPL-STOP-TIMEOUT
    flags a clp.conf edited below it."""
    a = _adapter(tmp_path, supervisor)
    arts = {art.path: art.content for art in a.render()}
    root = ET.fromstring(arts["clp.conf"].split("?>", 1)[1])
    stop = int(root.findtext(".//resource/exec/parameters/timeout/stop") or 0)
    assert stop >= 2 * JOBCENTER_STOP_MAX
    if supervisor == "cjcpw":
        with pytest.raises(ConfigError, match="stop_timeout"):
            _adapter(tmp_path, supervisor, stop_timeout=200).render()
        out = tmp_path / "out"
        for path, text in arts.items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if path == "clp.conf":
                text = re.sub(r"<stop>\d+</stop>", "<stop>200</stop>", text)
            target.write_text(text)
        rules = [f for f in run_checks(ClusterProLinuxAdapter, directory=str(out))
                 if f.rule == "CPL-STOP-TIMEOUT"]
        assert rules and "margin" in rules[0].message, rules


def test_finding3_clusterpro_linux_stop_verify_rule(tmp_path):
    """CPL-STOP-VERIFY: the manual's always-exit-0 stop.sh (no check of what is left) is
    flagged; the rendered one passes."""
    out = tmp_path / "out"
    for art in _adapter(tmp_path, "cjcpw").render():
        target = out / art.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(art.content)

    def rules() -> set[str]:
        return {f.rule for f in run_checks(ClusterProLinuxAdapter, directory=str(out))
                if f.severity == "error"}

    assert "CPL-STOP-VERIFY" not in rules()
    stop = next(out.rglob("stop.sh"))
    stop.write_text("#!/bin/sh\ncase \"${CLP_EVENT:-}\" in\nSTART|FAILOVER)\n"
                    "    if [ \"${CLP_DISK:-}\" = \"SUCCESS\" ]; then\n"
                    f"        {tmp_path}/nqs/cluster/cjcpw -stop orange.example.com\n"
                    "    fi\n    ;;\nesac\nexit 0\n")
    assert "CPL-STOP-VERIFY" in rules()


@pytest.mark.timeout(150)
def test_maintenance_clusterpro_linux_start_stays_up_and_stop_succeeds(e2e_site, supervisor,
                                                                       tmp_path, poll_for):
    """maintenance=ON (§2.10.5: cjcpw runs, the daemons do not): the PID monitor watches
    start.sh, which must stay alive (no failover) while the daemons are down on purpose, and
    stop.sh must end it with 0."""
    case = Case(NAME, supervisor, e2e_site, tmp_path)
    etc = Path(case.site.db) / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "daemon.conf").write_text("maintenance=ON\n")
    proc = case.spawn(["/bin/sh", str(case.path(START))], **_clp(case))
    # the watcher is up in maintenance; start.sh (the PID monitor's target) keeps running
    poll_for(lambda: case.left(port_holder=False), timeout=20, what="the watcher")
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=3)
    res = case.run(["/bin/sh", str(case.path(STOP))], **_clp(case), timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    proc.wait(timeout=30)
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


def test_finding8_clusterpro_linux_failover_count_tag_is_cited_or_unverified(tmp_path):
    """The PID monitor's failover count is rendered as emergency/threshold/fo (NEC's Linux
    clpcfset parameter page); fo2 (X 4.x on NEC's Windows page) stays marked unverified in the
    docs and at the line that renders it."""
    arts = {a.path: a.content for a in _adapter(tmp_path, "cjcpw").render()}
    assert "emergency/threshold/fo 1" in arts["clpcfset.sh"]
    root = Path(__file__).resolve().parents[2]
    doc = " ".join((root / "docs/adapters/clusterpro-linux.md").read_text().split())
    assert "`emergency/threshold/fo2`" in doc and "X 4.x is unverified" in doc
    src = (root / "adapters/clusterpro_linux/adapter.py").read_text()
    assert "MonitorParameters_Linux_jp.md" in src and "unverified" in src
