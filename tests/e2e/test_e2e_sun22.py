"""sun22 end to end: the START_NET and STOP_NET methods as Sun Cluster 2.2 calls them
(``METHOD MASTERED NOT_MASTERED TIMEOUT``, comma-separated logical hosts; Sun Cluster 2.2 API
Developer's Guide, in.named samples -- see docs/adapters/sun22.md), with a ``pmfadm`` stand-in
that really runs and tracks the watcher, against a site of the emulated JobCenter installation.

Only the ``cjcpw`` supervisor: Sun Cluster 2.2 nodes (Solaris 8 and older) have no Python 3.11,
so the issue refuses ``supervisor = "jccluster"`` for sun22 (docs/end-to-end.md).

Expected codes: pmfadm(1M): "-q nametag: indicates whether nametag is registered and running
under PMF" -- exit 0 when it is (Sun's own samples test ``if pmfadm -q $TAG``; Sun Cluster 3.1
Data Services Developer's Guide). The methods exit 0 on success; a method that fails exits
non-zero and the framework treats the logical host's transition as failed (unverified: the 2.2
API guide is not in the public material we found; the adapter page states the same).
"""

from __future__ import annotations

import re

import pytest
from harness import Case, _e2e_site, _supervisor, tool  # noqa: F401 - the e2e_site and supervisor fixtures
from standins import Tracked, calls, install

pytestmark = pytest.mark.timeout(120)

TAG = "JobService"


def _case(e2e_site, tmp_path):
    case = Case("sun22", "cjcpw", e2e_site, tmp_path)
    track = install(case.rec, "pmfadm")
    case.rec.stub("logger")  # never log for real: recorded only
    # the stop's own check (fuser DB/nqs) sees the truth; fuser -ck is recorded, never run
    case.rec.spy("fuser", tool("fuser"), blocked=("-k", "-ck"))
    text = case.path("{site}/start_net.sh").read_text()
    logical = re.search(r"\*,([^,*]+),\*\)", text)
    assert logical, text
    return case, Tracked(track, TAG), logical.group(1)


@pytest.mark.parametrize("supervisor", ["cjcpw"])
def test_start_net_pmf_fail_stop_net_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    case, watcher, lh = _case(e2e_site, tmp_path)
    start_net, stop_net = str(case.path("{site}/start_net.sh")), str(case.path("{site}/stop_net.sh"))
    # a node that does not master the logical host does nothing
    assert case.run(["sh", start_net, "", lh, "60"]).returncode == 0 and watcher.pid is None
    # 1. START_NET on the master: nqsportkpr, then the watcher under PMF
    res = case.run(["sh", start_net, lh, "", "60"])
    assert res.returncode == 0, res.stderr
    pmf = [c for c in calls(case.rec) if c[0] == "pmfadm"]
    assert pmf == [["pmfadm", "-q", TAG],
                   ["pmfadm", "-c", TAG, "-a",
                    f"/opt/jobcenter-cluster/sun22/{case.short}/watcher_exited.sh", "-C", "0",
                    str(case.prefix / "cluster" / "cjcpw"), e2e_site.name, e2e_site.db]]
    case.site.reaper.track(watcher.pid)
    # 2. running per cjcls, and PMF has it
    case.wait_running(poll_for)
    assert case.run(["pmfadm", "-q", TAG]).returncode == 0
    # START_NET again (idempotent): already running under PMF, nothing started
    assert case.run(["sh", start_net, lh, "", "60"]).returncode == 0
    assert len([c for c in calls(case.rec) if c[:2] == ["pmfadm", "-c"]]) == 1
    # 3. kill -9 a daemon; 4. PMF's process exits with a failure status
    case.kill_daemon()
    poll_for(lambda: watcher.status is not None, timeout=30, what="the watcher exits")
    assert watcher.status != 0, watcher.output
    assert case.run(["pmfadm", "-q", TAG]).returncode != 0
    # 5. STOP_NET as the logical host is released
    res = case.run(["sh", stop_net, "", lh, "60"])
    assert res.returncode == 0, res.stderr
    # 6. nothing left
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped"
    # df: the db is not a mount, so no fuser -ck (the stop's own check is fuser DB/nqs)
    assert not [c for c in calls(case.rec) if c[:2] == ["fuser", "-ck"]]


@pytest.mark.parametrize("supervisor", ["cjcpw"])
def test_switchover_of_a_healthy_site(e2e_site, supervisor, tmp_path, poll_for):
    case, watcher, lh = _case(e2e_site, tmp_path)
    assert case.run(["sh", str(case.path("{site}/start_net.sh")), lh, "", "60"]).returncode == 0
    case.site.reaper.track(watcher.pid)
    case.wait_running(poll_for)
    res = case.run(["sh", str(case.path("{site}/stop_net.sh")), "", lh, "60"])
    assert res.returncode == 0, res.stderr
    assert ["pmfadm", "-s", TAG] in calls(case.rec)  # monitoring off before the stop
    poll_for(lambda: watcher.status is not None, timeout=30, what="the watcher ends")
    assert watcher.status == 0, watcher.output  # cjcpw -stop: a clean end
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


def test_the_jccluster_cell_of_the_matrix_is_a_refusal(sim_site, tmp_path):
    """No Python 3.11 on Sun Cluster 2.2 nodes: rendering sun22 for the engine is refused, in
    one line naming the supervisor key and the fix."""
    from jobcenter_cluster.errors import ConfigError

    with pytest.raises(ConfigError, match=r'supervisor.*"cjcpw"'):
        Case("sun22", "jccluster", sim_site, tmp_path)
