"""The lab (issue 21): a real two-node Pacemaker cluster in namespaces, the failover drill on it
for both supervisors, a census that can catch a split brain, and a `down` that leaves nothing.

What the drill expects of Pacemaker is Pacemaker's documented behaviour, not this project's:
- a node that is lost is fenced before its resources start elsewhere when stonith-enabled=true
  ("Pacemaker Explained", Cluster Options: stonith-enabled; Fencing: "a node is fenced when
  it ... becomes unresponsive"), and a fence device's agent reports success by exiting 0
  (fence-agents API, doc/FenceAgentAPI.md);
- resource-stickiness keeps a running resource where it is when a node returns (Pacemaker
  Explained, Resource Meta-Attributes: resource-stickiness), and the rendered group sets 100;
- with stonith-enabled=false Pacemaker assumes a lost node is down and starts its resources
  elsewhere (Pacemaker Explained, Cluster Options: "If false, unresponsive nodes are immediately
  assumed to be harmless"), which is what the split-brain census test relies on.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from lab_live import host_view, live_lab

from jobcenter_cluster.lab import control, drill, layout, timeline


def _table(report: drill.Report) -> str:
    return "\n".join(" | ".join(r.row()) for r in report.results)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_drill_every_scenario(tmp_path_factory, supervisor):
    with live_lab(tmp_path_factory, supervisor) as live:
        lab = live.lab
        # the rendered configuration, applied as APPLY.txt says: the adapter's group runs
        state = control.crm_state(lab)
        members = control.group_members(lab, lab.sites[0])
        assert any(m.endswith("-fs") for m in members) and any(m.endswith("-ip") for m in members)
        assert state.group_on(members) in {n.name for n in lab.nodes}
        with open(lab.path("cluster.toml"), encoding="utf-8") as fh:
            text = fh.read()
        assert f'"supervisor" = "{supervisor}"' in text

        report = drill.run(lab, list(drill.SCENARIOS))
        assert [r.scenario for r in report.results] == list(drill.SCENARIOS)
        assert report.passed, _table(report)
        assert not report.census.split_brain()
        # every sample at most 0.1 s apart wherever the site moved (per-scenario check too); a
        # late sample while nothing moved is the loaded machine's, bounded here
        assert not report.census.blind_gaps(0.0, float("inf")), report.census.gaps
        assert report.census.max_gap < 1.0, report.census.max_gap
        crash = report.results[1]
        assert crash.scenario == "node-crash" and "fenced it" in crash.what, _table(report)
        # a stop that cannot end the site fails, and Pacemaker escalates to fencing (stop's
        # on-fail is fence when stonith-enabled=true: Pacemaker Explained, Resource
        # Operations, "on-fail"); the census (above) saw no double run before the fence
        stop = report.results[-1]
        assert stop.scenario == "stop-fails" and "Pacemaker fenced" in stop.what, _table(report)
        picture = timeline.svg(report)
        assert picture.startswith("<svg") and all(n.short in picture for n in lab.nodes)
    # `down` leaves nothing: no process, namespace, mount or interface of the lab
    assert not os.path.exists(lab.dir)
    assert not control.lab_pids(lab.dir)
    after = host_view()
    assert after == live.before


@pytest.mark.timeout(300)
def test_census_catches_a_split_brain(tmp_path_factory):
    """Fencing off and the network cut: each side thinks the other dead and runs the site. The
    drill must report it (and must not pass the scenario)."""
    with live_lab(tmp_path_factory, "jccluster", fencing=False) as live:
        report = drill.run(live.lab, ["network-cut"])
        result = report.results[0]
        assert not result.ok
        assert "two nodes at once" in result.why, _table(report)
        assert report.census.split_brain()


# --------------------------------------------------------------------------- without a cluster

def test_corosync_conf_keys_each_on_its_own_line(tmp_path):
    lab, _ = layout.plan(str(tmp_path), 3, None, None, "/usr/local/bin/jccluster")
    conf = layout.corosync_conf(lab, None)
    assert "two_node" not in conf  # three nodes: plain majority
    for n in lab.nodes:
        assert f"        ring0_addr: {n.address}\n        name: {n.name}\n" \
               f"        nodeid: {n.nodeid}\n" in conf
    lab2, _ = layout.plan(str(tmp_path), 2, None, None, "/usr/local/bin/jccluster")
    assert "two_node: 1" in layout.corosync_conf(lab2, 1000)
    assert "token: 1000" in layout.corosync_conf(lab2, 1000)


def test_plan_keeps_your_names_and_moves_addresses_to_test_net(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[cluster]\nproduct = "jobcenter-linux"\nsupervisor = "cjcpw"\n'
        '[[node]]\nname = "a.example.org"\naddress = "10.0.0.1"\nmachine_id = 1\n'
        '[[node]]\nname = "b.example.org"\naddress = "10.0.0.2"\nmachine_id = 2\n'
        '[[site]]\nname = "s.example.org"\naddress = "10.0.0.9"\nmachine_id = 9\n'
        'database = "/mnt/sdb"\n', encoding="utf-8")
    lab, data = layout.plan(str(tmp_path / "lab"), None, str(cfg), None, "/x/jccluster")
    assert [n.name for n in lab.nodes] == ["a.example.org", "b.example.org"]
    assert lab.supervisor == "cjcpw"
    assert all(n.address.startswith(layout.NET + ".") for n in lab.nodes)
    assert lab.sites[0].address.startswith(layout.NET + ".")
    own = data["site"][0]["pacemaker"]
    assert own["fs_type"] == "none" and own["fs_options"] == "bind" and own["nic"] == "eth0"
    out = tmp_path / "lab.toml"
    layout.write_toml(data, str(out))
    import tomllib

    assert tomllib.loads(out.read_text(encoding="utf-8"))["site"][0]["database"] == "/mnt/sdb"


@pytest.mark.parametrize("args, message", [
    (["lab", "up", "--nodes", "5", "--dir", "/nonexistent/x"], "2 to 4 nodes"),
    (["lab", "status", "--dir", "/nonexistent/lab"], "no lab here"),
    (["lab", "drill", "nonsense", "--dir", "/nonexistent/lab"], "no lab here"),
])
def test_cli_errors_are_one_line(args, message):
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", *args], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode != 0 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jccluster: ") and message in lines[0], lines


def test_down_is_idempotent(tmp_path):
    target = tmp_path / "never-built"
    assert control.down(str(target)) == []
    target.mkdir()
    assert control.down(str(target)) == []  # an empty directory is a lab that never started
    assert not target.exists()
    other = tmp_path / "not-a-lab"
    other.mkdir()
    (other / "precious").write_text("x", encoding="utf-8")
    with pytest.raises(Exception, match="not a lab directory"):
        control.down(str(other))
    assert (other / "precious").exists()


def test_blind_gaps_are_the_late_samples_across_which_the_site_moved():
    """A late census sample fails a scenario only where the site's placement changed across
    it (a double run could hide there), not while nothing moved."""
    from jobcenter_cluster.lab import census

    up, down = frozenset({"nqsdaemon"}), frozenset()
    c = census.Census.__new__(census.Census)
    c.samples = [census.Sample(t, {"n1": n1, "n2": n2}, frozenset({"n1", "n2"}))
                 for t, n1, n2 in ((0.0, up, down), (0.3, up, down),  # late, same placement
                                   (0.35, up, down), (0.6, down, up),  # late, the site moved
                                   (0.65, down, up))]
    assert c.blind_gaps(0.0, 1.0) == [pytest.approx(0.25)]
    assert c.blind_gaps(0.0, 0.5) == []


def test_a_frozen_task_outlives_sigkill_until_thawed(tmp_path, reaper, poll_for):
    """stop-fails' stuck daemon (`lab.freeze`): SIGKILL stays pending on a task in the lab's
    cgroup-v1 freezer group, and `thaw` lets it take effect and removes the group (the PDU's
    power-off and `lab down` rely on that to end a node)."""
    from jobcenter_cluster.lab import freeze

    assert freeze.available(), "the stop-fails drill needs cgroup v1's freezer"
    lab = layout.Lab(str(tmp_path), [], [], "jccluster", "jobcenter-linux")
    proc = reaper.popen(["sleep", "60"])
    freeze.freeze(lab, proc.pid)
    os.kill(proc.pid, 9)
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.3)  # frozen: the SIGKILL waits
    freeze.thaw(lab)
    assert proc.wait(timeout=5) == -9
    assert not os.path.exists(freeze.group(lab))
    freeze.thaw(lab)  # nothing left to thaw: a no-op
