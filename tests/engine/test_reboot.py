"""A node that crashed while running a site and rebooted: its leftover run state must read as
stopped (a probe answering 'failed' there would make a cluster think the site ran on two nodes),
and a start there must work."""

from __future__ import annotations

import json

import pytest

from jobcenter_cluster.engine import store
from jobcenter_cluster.outcome import Outcome


@pytest.mark.timeout(60)
def test_run_state_from_before_a_reboot_reads_as_stopped(sim_site, reaper):
    assert sim_site.start(mode="background").outcome is Outcome.SUCCESS
    run_file = store.run_path(sim_site.root, sim_site.name)
    with open(run_file) as fh:
        run = json.load(fh)
    assert run["boot"] == store.boot_id()
    assert sim_site.stop().outcome is Outcome.SUCCESS
    # The crash: the node lost every process of the site, and the state says "running" with
    # pids from the previous boot.
    run["boot"] = "00000000-0000-0000-0000-000000000000"
    with open(run_file, "w") as fh:
        json.dump(run, fh)
    st = sim_site.status()
    assert st.outcome is Outcome.STOPPED
    assert "before the last reboot" in st.message
    assert sim_site.start(mode="background").outcome is Outcome.SUCCESS
    assert sim_site.status().outcome is Outcome.RUNNING
    assert sim_site.stop().outcome is Outcome.SUCCESS
