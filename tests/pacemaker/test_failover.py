"""The manual's failover (§1.3): the node running the site fails; the standby starts the site
from the shared database and carries on.

Two node identities on one machine, driven through the rendered OCF agent exactly as
Pacemaker would call it: node A and node B each have their own spool root (``root``
parameter) and identity (``JCCLUSTER_NODE``), and share one database directory.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from jobcenter_cluster.engine import api
from support.procs import alive as _alive

pytestmark = [pytest.mark.pacemaker, pytest.mark.timeout(120)]


def _agent(installed_agent, action: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([installed_agent.path, action], capture_output=True, text=True,
                          env=env, timeout=60)


def test_standby_node_takes_over_from_the_shared_database(installed_agent, sim_site, tmp_path,
                                                          poll_for, reaper):
    base = {**os.environ, "OCF_RESKEY_site": sim_site.name, "OCF_RESKEY_database": sim_site.db,
            "OCF_RESKEY_product": "simulator", "OCF_RESKEY_CRM_meta_timeout": "40000"}
    root_a, root_b = sim_site.root, str(tmp_path / "node-b-spool")
    node_a = {**base, "OCF_RESKEY_root": root_a, "JCCLUSTER_NODE": "node-a"}
    node_b = {**base, "OCF_RESKEY_root": root_b, "JCCLUSTER_NODE": "node-b"}
    probe_b = {**node_b, "OCF_RESKEY_CRM_meta_interval": "0"}

    # node B is a standby: its probe says "not running"
    assert _agent(installed_agent, "monitor", probe_b).returncode == 7
    # node A runs the site
    res = _agent(installed_agent, "start", node_a)
    assert res.returncode == 0, res.stderr
    st_a = api.status(sim_site.name, root=root_a)
    assert st_a.outcome.value == "running"
    a_pids = [st_a.watcher_pid, *[p for p in st_a.daemons.values() if p]]
    assert all(a_pids) and len(a_pids) >= 2
    for pid in a_pids:
        reaper.track(pid)

    # node A fails: its watcher and every daemon die at once (a power cut, not a stop)
    for pid in a_pids:
        os.kill(pid, 9)
    poll_for(lambda: not any(_alive(p) for p in a_pids), 10, what="node A's processes dead")

    # the cluster starts the site on node B, from the same database
    res = _agent(installed_agent, "start", node_b)
    assert res.returncode == 0, res.stderr
    assert "migrated from node-a to node-b" in res.stderr, res.stderr
    st_b = api.status(sim_site.name, root=root_b)
    assert st_b.outcome.value == "running", st_b.message
    assert st_b.migrated is True
    assert st_b.database == os.path.abspath(sim_site.db)
    assert os.path.realpath(str(st_b.spool_link)) == os.path.realpath(
        os.path.join(sim_site.db, "nqs"))
    assert _agent(installed_agent, "monitor", node_b).returncode == 0
    b_pids = [st_b.watcher_pid, *[p for p in st_b.daemons.values() if p]]
    assert not set(b_pids) & set(a_pids)

    # nothing of node A is left running ...
    assert not any(_alive(p) for p in a_pids)
    # ... node A, back, cleans up its stale state without touching node B's site
    assert _agent(installed_agent, "stop", node_a).returncode == 0
    assert api.status(sim_site.name, root=root_a).outcome.value == "stopped"
    assert _agent(installed_agent, "monitor", {**node_a, "OCF_RESKEY_CRM_meta_interval": "0"}
                  ).returncode == 7
    assert all(_alive(p) for p in b_pids), "stopping on node A must not touch node B"
    assert _agent(installed_agent, "monitor", node_b).returncode == 0

    assert _agent(installed_agent, "stop", node_b).returncode == 0
    assert not any(_alive(p) for p in b_pids)
    assert _agent(installed_agent, "monitor", node_b).returncode == 7
