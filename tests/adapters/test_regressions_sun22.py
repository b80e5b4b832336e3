"""Regression tests of issue 20 ("Failure semantics") for the sun22 adapter: START_NET, STOP_NET
and ABORT_NET as Sun Cluster 2.2 calls them (``METHOD MASTERED NOT_MASTERED TIMEOUT``), with a
``pmfadm`` stand-in that really runs the watcher, against a site of the emulated JobCenter
installation. Only ``supervisor = "cjcpw"``: the adapter refuses ours for Sun Cluster 2.2
(docs/adapters/sun22.md).

Expected codes: methods exit 0 on success and non-zero on failure (Sun Cluster 2.2 API; the
framework treats the logical host's transition as failed: unverified, see the adapter page);
JobCenter's own stop takes "1-2 minutes" (manual §3.3.7) and nothing bounds it under cjcpw.
"""

from __future__ import annotations

import os
import signal

import pytest
from e2e.harness import Case, E2ESite, site_leftovers
from e2e.standins import Tracked, install

from jobcenter_cluster.adapters.sun22.adapter import Sun22Adapter
from jobcenter_cluster.checks import SourceFile
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_cluster, merge_data
from support.checking import rendered_files, rule_ids

pytestmark = pytest.mark.timeout(120)

TAG = "JobService"
FAIL_STOP = {"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"}
#: JobCenter's own stop: "1-2 minutes" (manual §3.3.7); a wide margin is at least twice that
JOBCENTER_STOP = 120


def sun22_case(jobcenter, reaper, tmp_path) -> tuple[Case, Tracked, str]:
    jobcenter.mksite()
    site = E2ESite(jobcenter.site, jobcenter.address, jobcenter.db, jobcenter.root,
                   jobcenter.prefix, reaper, jobcenter.mid)
    # kill_leftovers off: the stop's own check of what is left is under test, not fuser -ck
    case = Case("sun22", "cjcpw", site, tmp_path, {"sun22": {"kill_leftovers": False}})
    track = install(case.rec, "pmfadm")
    case.rec.stub("logger")
    lh = case.path("{site}/start_net.sh").read_text()
    import re

    found = re.search(r"\*,([^,*]+),\*\)", lh)
    assert found, lh
    return case, Tracked(track, TAG), found.group(1)


def method(case: Case, name: str, *args: str, **env: str):
    return case.run(["sh", str(case.path("{site}/" + name)), *args], **env)


def started(case: Case, watcher: Tracked, lh: str, poll_for) -> None:
    res = method(case, "start_net.sh", lh, "", "60")
    assert res.returncode == 0, res.stderr
    case.site.reaper.track(watcher.pid)
    case.wait_running(poll_for)


@pytest.mark.parametrize("name", ["stop_net.sh", "abort_net.sh"])
def test_finding3_sun22_cjcpw_stop_after_a_crash_succeeds(jobcenter, reaper, tmp_path,
                                                          poll_for, name):
    """The site crashed and cjcpw -stop fails: nothing of the site is left, so STOP_NET and
    ABORT_NET succeed and the logical host can move."""
    case, watcher, lh = sun22_case(jobcenter, reaper, tmp_path)
    started(case, watcher, lh, poll_for)
    for line in site_leftovers(case.site.name, case.site.db):
        os.kill(int(line.split()[0]), signal.SIGKILL)
    poll_for(lambda: not case.left(port_holder=False), timeout=20, what="site gone")
    res = method(case, name, "", lh, "60", **FAIL_STOP)
    assert res.returncode == 0, res.stderr
    assert "cjcpw -stop failed" in res.stderr


@pytest.mark.parametrize("name", ["stop_net.sh", "abort_net.sh"])
def test_finding3_sun22_cjcpw_failing_stop_while_daemons_run_fails(jobcenter, reaper, tmp_path,
                                                                   poll_for, name):
    case, watcher, lh = sun22_case(jobcenter, reaper, tmp_path)
    started(case, watcher, lh, poll_for)
    res = method(case, name, "", lh, "60", **FAIL_STOP)
    assert res.returncode != 0, res.stderr
    assert case.left(port_holder=False)
    assert method(case, name, "", lh, "60").returncode == 0
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


def _adapter(**sun22: object) -> Sun22Adapter:
    return Sun22Adapter(example_cluster(merge_data(Sun22Adapter.example_overrides(), {
        "cluster": {"supervisor": "cjcpw"}, "sun22": sun22})))


def test_finding8_sun22_stop_timeout_leaves_jobcenters_stop_a_wide_margin():
    adapter = _adapter()
    text = next(a.content for a in adapter.render() if a.path.endswith("register.sh"))
    stop = int(text.split("STOP_NET=", 2)[2].split(",")[0])  # the -t value (after -m's path)
    abort = int(text.split("ABORT_NET=", 2)[2].split()[0])
    assert stop >= 2 * JOBCENTER_STOP and abort == stop, text
    assert rule_ids(Sun22Adapter, rendered_files(adapter), adapter.cluster, adapter) == []


def test_finding8_sun22_rule_and_validation_refuse_the_old_150_s():
    adapter = _adapter()
    files = [SourceFile(f.path, f.text.replace("STOP_NET=270", "STOP_NET=150"), f.language,
                        f.site) for f in rendered_files(adapter)]
    assert "SUN22-METHOD-TIMEOUT" in rule_ids(Sun22Adapter, files, adapter.cluster, adapter)
    # a directory checked without its cluster file: cjcpw's stop_net tells the supervisor
    assert "SUN22-METHOD-TIMEOUT" in rule_ids(Sun22Adapter, files)
    with pytest.raises(ConfigError) as err:
        _adapter(stop_timeout=150)
    assert "sun22.stop_timeout: 150 s" in str(err.value)


def test_maintenance_sun22_start_net_stop_net(jobcenter, reaper, tmp_path, poll_for):
    """maintenance=ON (manual §2.10.5: cjcpw runs, the daemons do not): START_NET succeeds, the
    watcher stays under PMF (no failover), STOP_NET succeeds and leaves nothing."""
    case, watcher, lh = sun22_case(jobcenter, reaper, tmp_path)
    os.makedirs(os.path.join(case.site.db, "etc"), exist_ok=True)
    with open(os.path.join(case.site.db, "etc", "daemon.conf"), "a", encoding="utf-8") as fh:
        fh.write("maintenance=ON\n")
    res = method(case, "start_net.sh", lh, "", "60")
    assert res.returncode == 0, res.stderr
    case.site.reaper.track(watcher.pid)
    poll_for(lambda: case.run(["pmfadm", "-q", TAG]).returncode == 0, timeout=10,
             what="the watcher under PMF")
    assert watcher.status is None
    res = method(case, "stop_net.sh", "", lh, "60")
    assert res.returncode == 0, res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


@pytest.mark.parametrize("verb", ["stop"])
@pytest.mark.parametrize("outcome", ["failed", "invalid"])
def test_finding1_sun22_a_stop_that_could_not_do_its_work_is_never_success(verb, outcome,
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
    assert agent.main(["sun22", verb, "orange.example.com"]) != 0
