"""Failure push on a live single-node Pacemaker cluster (issue 15): with a 30 s monitor interval,
a killed site daemon is recovered long before the next monitor, because the watcher reports the
failure at once (``crm_resource --fail`` through the agent's notify-failure action).

These are not timing tests. What proves the push is Pacemaker's own record: the failure that
triggered the recovery is the ``asyncmon`` operation that ``crm_resource --fail`` injects
("Simulated failure"), not a failed ``monitor``, and the fail count says one failure. The timings
are measured by benchmarks/bench_recovery.py.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from jobcenter_cluster.engine import api
from support.pacemaker_cib import nqsdaemon, site_cib

pytestmark = [pytest.mark.pacemaker, pytest.mark.timeout(300)]

INTERVAL = 30


def _failures(cluster: Any, rsc: str) -> list[dict[str, str]]:
    out = cluster.run("crm_mon", "--one-shot", "--inactive", "--output-as=xml",
                      "--include=failures", check=False).stdout
    try:
        root = ET.fromstring(out)
    except ET.ParseError:
        return []
    return [dict(f.attrib) for f in root.iter("failure")
            if f.get("op_key", "").startswith(f"{rsc}_")]


def _failcount(cluster: Any, rsc: str) -> int:
    out = cluster.run("crm_failcount", "--query", "--quiet", "--resource", rsc, "--node",
                      cluster.node, check=False).stdout.strip()
    return int(out) if out.isdigit() else 0


def _load(cluster: Any, tmp_path: Any, xml: str) -> None:
    path = tmp_path / "group.xml"
    path.write_text(xml)
    cluster.run("cibadmin", "--create", "--scope", "resources", "--xml-file", str(path))


def _stop_group(cluster: Any, ids: dict[str, str], sim_site: Any, poll_for: Any) -> None:
    cluster.run("crm_resource", "--resource", ids["site"], "--meta", "--set-parameter",
                "is-managed", "--parameter-value", "true", check=False)
    cluster.run("crm_resource", "--resource", ids["group"], "--set-parameter", "target-role",
                "--meta", "--parameter-value", "Stopped", check=False)
    poll_for(lambda: api.status(sim_site.name, root=sim_site.root).outcome.value == "stopped",
             90, what="site stopped by Pacemaker")


def test_a_killed_daemon_is_reported_at_once_and_recovered(live_cluster, installed_agent,
                                                             sim_site, poll_for, tmp_path,
                                                             jccluster_bin):
    xml, ids = site_cib(sim_site, installed_agent, jccluster_bin, monitor_interval=INTERVAL)
    _load(live_cluster, tmp_path, xml)
    try:
        poll_for(lambda: live_cluster.resource_state(ids["site"]) == "Started", 60,
                 what=f"{ids['site']} started: {live_cluster.log_tail()}")
        old = poll_for(lambda: nqsdaemon(sim_site), 30, what="site running")
        assert _failcount(live_cluster, ids["site"]) == 0
        os.kill(old, 9)
        # recovered while the next monitor is still far away (it runs every 30 s; the test
        # allows a third of that, which only the push can meet)
        new = poll_for(lambda: (nqsdaemon(sim_site) or old) != old and nqsdaemon(sim_site),
                       INTERVAL / 3, interval=0.05,
                       what=f"the site running again: {live_cluster.log_tail()}")
        assert new != old
        poll_for(lambda: live_cluster.resource_state(ids["site"]) == "Started", 30,
                 what="Pacemaker reports it Started")
        failures = _failures(live_cluster, ids["site"])
        assert [f["task"] for f in failures] == ["asyncmon"], failures
        assert failures[0]["exitreason"] == "Simulated failure"
        assert _failcount(live_cluster, ids["site"]) >= 1
        # the watcher said what it reported (its log is the site's watcher log)
    finally:
        _stop_group(live_cluster, ids, sim_site, poll_for)


def test_an_unmanaged_resource_is_not_reported(live_cluster, installed_agent, sim_site,
                                               poll_for, tmp_path, jccluster_bin):
    xml, ids = site_cib(sim_site, installed_agent, jccluster_bin, monitor_interval=INTERVAL)
    _load(live_cluster, tmp_path, xml)
    try:
        poll_for(lambda: live_cluster.resource_state(ids["site"]) == "Started", 60,
                 what=f"{ids['site']} started: {live_cluster.log_tail()}")
        old = poll_for(lambda: nqsdaemon(sim_site), 30, what="site running")
        live_cluster.run("crm_resource", "--resource", ids["site"], "--meta",
                         "--set-parameter", "is-managed", "--parameter-value", "false")
        poll_for(lambda: 'managed="false"' in subprocess.run(
            ["crm_mon", "-1", "--output-as=xml"], capture_output=True, text=True,
            env=live_cluster.env).stdout, 30, what="the resource unmanaged")
        os.kill(old, 9)
        # the watcher exits at once (the site failed); what it must not do is report it
        poll_for(lambda: api.status(sim_site.name, root=sim_site.root).outcome.value
                 != "running", 10, what="the engine to see the failure")
        # give a report every chance to arrive: crm_resource --fail takes ~0.1 s here
        with pytest.raises(AssertionError):
            poll_for(lambda: _failures(live_cluster, ids["site"]), 3, interval=0.2,
                     what="no failure recorded")
        assert _failcount(live_cluster, ids["site"]) == 0
    finally:
        api.stop(sim_site.name, root=sim_site.root)
        _stop_group(live_cluster, ids, sim_site, poll_for)
