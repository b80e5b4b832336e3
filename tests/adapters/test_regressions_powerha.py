"""Regression tests of issue 20 ("Failure semantics") for the powerha adapter: the application
controller's start/stop scripts and the custom monitor, run as PowerHA runs them (no
arguments), against a real simulator site (the engine under ``supervisor = "jccluster"``, the
emulated JobCenter installation under ``"cjcpw"``).

Expected codes come from the PowerHA documentation, not from the adapter: the custom monitor
"must be zero if the application is healthy, and must be a non zero value if the application
has failed" (IBM PowerHA SystemMirror 7.2, "Configuring a custom application monitor"); start and
stop scripts exit 0 on success, and a failed stop script leaves the event in error and the
resource group for manual recovery (unverified beyond "0 = success"; docs/adapters/powerha.md).
"""

from __future__ import annotations

import os
import signal

import pytest
from e2e.harness import Case, E2ESite, _e2e_site, _supervisor, site_leftovers  # noqa: F401

from jobcenter_cluster.adapters.powerha.adapter import PowerHaAdapter
from jobcenter_cluster.checks import SourceFile
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_cluster, merge_data
from support.checking import rendered_files, rule_ids

pytestmark = pytest.mark.timeout(120)

HEALTHY = 0
FAIL_STOP = {"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"}


def dirs(tmp_path) -> dict:
    (tmp_path / "log").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    return {"powerha": {"log_dir": str(tmp_path / "log"), "run_dir": str(tmp_path / "run")}}


class Scripts:
    def __init__(self, case: Case) -> None:
        self.case = case

    def run(self, verb: str, **env: str):
        return self.case.run(["sh", str(self.case.path("{site}/jobcenter-{site}-" + verb
                                                        + ".sh"))], timeout=60, **env)


def started(case: Case, poll_for) -> Scripts:
    s = Scripts(case)
    res = s.run("start")
    assert res.returncode == 0, res.stderr
    case.wait_running(poll_for)
    poll_for(lambda: s.run("monitor").returncode == HEALTHY, timeout=30, what="healthy")
    return s


def cjcpw_case(jobcenter, reaper, tmp_path) -> Case:
    jobcenter.mksite()
    site = E2ESite(jobcenter.site, jobcenter.address, jobcenter.db, jobcenter.root,
                   jobcenter.prefix, reaper, jobcenter.mid)
    return Case("powerha", "cjcpw", site, tmp_path, dirs(tmp_path))


def test_finding3_powerha_cjcpw_stop_after_a_crash_does_not_need_recovery(jobcenter, reaper,
                                                                          tmp_path, poll_for):
    """supervisor = "cjcpw": the site crashed and cjcpw -stop fails; nothing of the site is
    left, so the stop script (also the cleanup method) succeeds and the group can move."""
    case = cjcpw_case(jobcenter, reaper, tmp_path)
    s = started(case, poll_for)
    for line in site_leftovers(case.site.name, case.site.db):
        os.kill(int(line.split()[0]), signal.SIGKILL)
    poll_for(lambda: not case.left(port_holder=False), timeout=20, what="site gone")
    res = s.run("stop", **FAIL_STOP)
    assert res.returncode == 0, res.stderr
    assert "cjcpw -stop failed" in res.stderr
    assert s.run("monitor").returncode != HEALTHY


def test_finding3_powerha_cjcpw_failing_stop_with_daemons_alive_fails(jobcenter, reaper,
                                                                      tmp_path, poll_for):
    """supervisor = "cjcpw": cjcpw -stop fails and the daemons still run: the stop fails (the
    volume group must not be released under a running site)."""
    case = cjcpw_case(jobcenter, reaper, tmp_path)
    s = started(case, poll_for)
    nqs = case.site.pid("nqsdaemon")
    res = s.run("stop", **FAIL_STOP)
    assert res.returncode != 0, res.stderr
    assert os.path.exists(f"/proc/{nqs}")
    assert s.run("stop").returncode == 0
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


def test_finding3_powerha_rule_catches_a_stop_decided_by_cjcpw_status():
    adapter = PowerHaAdapter(example_cluster(merge_data(
        PowerHaAdapter.example_overrides(), {"cluster": {"supervisor": "cjcpw"}})))
    files = rendered_files(adapter)
    assert "PHA-STOP-VERIFIES" not in rule_ids(PowerHaAdapter, files, adapter.cluster, adapter)
    broken = []
    for f in files:
        text = f.text
        if f.path.endswith("-stop.sh"):
            text = text.replace(" -stop orange.example.com\n", " -stop orange.example.com"
                                " || return 1\n", 1)
            assert text != f.text
        broken.append(SourceFile(f.path, text, f.language, f.site))
    assert "PHA-STOP-VERIFIES" in rule_ids(PowerHaAdapter, broken, adapter.cluster, adapter)


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_finding8_powerha_accepts_jobcenter_aix(supervisor):
    """AIX is PowerHA's home: product jobcenter-aix renders and passes every rule."""
    cluster = example_cluster(merge_data(PowerHaAdapter.example_overrides(), {
        "cluster": {"product": "jobcenter-aix", "supervisor": supervisor}}))
    adapter = PowerHaAdapter(cluster)
    assert adapter.render()
    assert rule_ids(PowerHaAdapter, rendered_files(adapter), cluster, adapter) == []


def test_finding8_powerha_refuses_other_products_without_contradiction():
    cluster = example_cluster(merge_data(PowerHaAdapter.example_overrides(), {
        "cluster": {"product": "jobcenter-hpux"}}))
    with pytest.raises(ConfigError) as err:
        PowerHaAdapter(cluster)
    assert "jobcenter-aix or jobcenter-linux" in str(err.value)


def test_maintenance_powerha_start_monitor_stop(e2e_site, supervisor, tmp_path, poll_for):
    """maintenance=ON (manual §2.10.5: the watcher runs, the daemons do not): the start script
    succeeds, the monitor says healthy, the stop script succeeds and leaves nothing."""
    case = Case("powerha", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    os.makedirs(os.path.join(case.site.db, "etc"), exist_ok=True)
    with open(os.path.join(case.site.db, "etc", "daemon.conf"), "a", encoding="utf-8") as fh:
        fh.write("maintenance=ON\n")
    s = Scripts(case)
    res = s.run("start")
    assert res.returncode == 0, res.stderr
    poll_for(lambda: s.run("monitor").returncode == HEALTHY, timeout=30, what="healthy")
    res = s.run("stop")
    assert res.returncode == 0, res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert s.run("monitor").returncode != HEALTHY


def test_monitor_rule_powerha_cjcpw_monitor_never_blocks_on_a_fifo(tmp_path):
    """A monitor is bounded: FIFOs where the PID file and the log should be must not hang the
    custom monitor; it answers "failed" (non-zero)."""
    import subprocess

    adapter = PowerHaAdapter(example_cluster(merge_data(PowerHaAdapter.example_overrides(), {
        "cluster": {"supervisor": "cjcpw"}, **dirs(tmp_path)})))
    script = tmp_path / "monitor.sh"
    script.write_text(next(a.content for a in adapter.render()
                           if a.path.endswith("-monitor.sh")))
    for name in ("run/jobcenter-orange.cjcpw.pid", "log/jobcenter-orange.log"):
        os.mkfifo(tmp_path / name)
    res = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=20,
                         cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert res.returncode != HEALTHY, res.stderr


@pytest.mark.parametrize("verb", ["stop"])
@pytest.mark.parametrize("outcome", ["failed", "invalid"])
def test_finding1_powerha_a_stop_that_could_not_do_its_work_is_never_success(verb, outcome,
                                                                         monkeypatch):
    """The product reads exit 0 of a stop as "stopped" (0 = success for every stop method of
    this product; see the module docstring): a stop that failed or could not run (the engine's
    FAILED, or INVALID from an older engine) must exit non-zero."""
    import types

    from jobcenter_cluster import agent
    from jobcenter_cluster.engine import api
    from jobcenter_cluster.outcome import Outcome

    monkeypatch.setattr(api, "stop", lambda site, **kw: types.SimpleNamespace(
        outcome=Outcome(outcome), message=outcome, details={}))
    assert agent.main(["powerha", verb, "orange.example.com"]) != 0
