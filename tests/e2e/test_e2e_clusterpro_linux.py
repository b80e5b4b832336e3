"""clusterpro-linux end to end: the exec resource's start.sh / stop.sh with the CLP_* variables,
as EXPRESSCLUSTER X runs them, against a real simulator site.

How the product runs them (docs/adapters/clusterpro-linux.md; JobCenter manual §3.3.7):
- start.sh is the asynchronous exec resource's start script; the PID monitor (pidw) watches the
  process EXPRESSCLUSTER started for it, i.e. start.sh itself. Its ending is the failure the
  product sees ("since CLUSTERPRO for Linux 3.1 process monitoring watches start.sh itself",
  manual §3.3.7); its exit status is not what the PID monitor reads (unverified in NEC's public
  reference: we found no statement on how an asynchronous script's exit status is used).
- stop.sh runs synchronously; exit 0 is success, non-zero triggers the deactivation failure's
  final action (NEC reference guide, "exec resource": unverified here, see the adapter page).
- CLP_EVENT=START|FAILOVER and CLP_DISK=SUCCESS are the variables EXPRESSCLUSTER sets for a group
  start on a node whose shared disk is up.
"""

from __future__ import annotations

import pytest
from harness import VICTIM, Case, _e2e_site, _supervisor, wait_exit  # noqa: F401 - the e2e_site and supervisor fixtures

pytestmark = pytest.mark.timeout(120)

START = "scripts/jobcenter-{site}/exec-{site}/start.sh"
STOP = "scripts/jobcenter-{site}/exec-{site}/stop.sh"
CLP = {"CLP_EVENT": "START", "CLP_DISK": "SUCCESS", "CLP_SERVER": "HOME"}


@pytest.mark.parametrize("event", ["START", "FAILOVER"])
def test_start_watch_fail_stop_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for, event):
    case = Case("clusterpro-linux", supervisor, e2e_site, tmp_path)
    clp = {**CLP, "CLP_EVENT": event}
    # 1. start: the exec resource runs start.sh asynchronously (sh: the script's own #!)
    start = case.spawn(["sh", str(case.path(START))], **clp)
    # 2. running per the site list, and start.sh (what pidw watches) stays alive
    case.wait_running(poll_for)
    assert start.poll() is None, "start.sh must live as long as the watcher (pidw watches it)"
    assert not case.failed()
    # 3. kill -9 a daemon
    pid = case.kill_daemon()
    # 4. the PID monitor sees start.sh end; the watcher's own exit was a failure, and logged
    code, out, err = wait_exit(start, timeout=30)
    assert "the JobCenter watcher exited (exit 0)" not in out, out
    assert "the JobCenter watcher exited (exit" in out, out + err
    assert case.failed()
    if supervisor == "cjcpw":  # start.sh's child is the watcher: it saw the daemon die
        assert case.watcher_death(VICTIM, pid) in err, out + err
    # 5. stop: the synchronous stop script succeeds (0)
    stop = case.run(["sh", str(case.path(STOP))], **clp)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert "stopping the site failed" not in stop.stdout
    # 6. nothing of the site is left
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped" and not case.failed()  # stopped, not failed


def test_start_without_the_disk_starts_nothing(e2e_site, supervisor, tmp_path):
    case = Case("clusterpro-linux", supervisor, e2e_site, tmp_path)
    res = case.run(["sh", str(case.path(START))], **{**CLP, "CLP_DISK": "FAILURE"})
    assert res.returncode == 0 and "not starting" in res.stdout
    assert case.left() == [] and case.listed() == "stopped"
