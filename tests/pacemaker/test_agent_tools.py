"""The rendered agent against Pacemaker's own tools and a real simulator site:
ocf-tester (the OCF conformance run) and crm_resource --force-* (no cluster needed)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

pytestmark = [pytest.mark.pacemaker, pytest.mark.timeout(180)]


def _ocf_options(sim_site) -> list[str]:
    return [f"site={sim_site.name}", f"database={sim_site.db}", f"root={sim_site.root}",
            "product=simulator"]


def test_ocf_tester_passes_against_a_simulator_site(installed_agent, sim_site):
    argv = ["ocf-tester", "-n", "jctest"]
    for opt in _ocf_options(sim_site):
        argv += ["-o", opt]
    started = time.monotonic()
    proc = subprocess.run([*argv, installed_agent.path], capture_output=True, text=True,
                          timeout=150)
    elapsed = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"{installed_agent.path} passed all tests" in out, out
    assert "* rc=" not in out, out
    assert sim_site.status().outcome.value == "stopped"
    print(f"ocf-tester: passed in {elapsed:.1f} s")


def test_start_returns_without_holding_the_callers_pipes(installed_agent, sim_site):
    """The detached watcher must not keep stdout/stderr open: a caller that reads them to EOF
    (Pacemaker, ocf-tester's `...`) would hang until the site stops."""
    env = {**os.environ, **{f"OCF_RESKEY_{o.split('=', 1)[0]}": o.split("=", 1)[1]
                            for o in _ocf_options(sim_site)}}
    proc = subprocess.run([installed_agent.path, "start"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    try:
        assert sim_site.status().outcome.value == "running"
        assert sim_site.status().watcher_pid is not None
    finally:
        stop = subprocess.run([installed_agent.path, "stop"], capture_output=True, text=True,
                              env=env, timeout=60)
        assert stop.returncode == 0, stop.stderr


def _crm(installed_agent, action: str, sim_site) -> subprocess.CompletedProcess[str]:
    argv = ["crm_resource", f"--force-{action}", "--class", "ocf", "--provider",
            installed_agent.provider, "--agent", "site"]
    for opt in _ocf_options(sim_site):
        name, value = opt.split("=", 1)
        argv += ["--option", f"{name}={value}"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_crm_resource_force_actions_without_a_cluster(installed_agent, sim_site, poll_for):
    meta = subprocess.run(["crm_resource", "--show-metadata", installed_agent.spec],
                          capture_output=True, text=True, timeout=60)
    assert meta.returncode == 0 and '<resource-agent name="site"' in meta.stdout
    check = _crm(installed_agent, "check", sim_site)
    assert check.returncode == 7, check.stdout + check.stderr  # not running
    start = _crm(installed_agent, "start", sim_site)
    assert start.returncode == 0, start.stdout + start.stderr
    assert sim_site.status().outcome.value == "running"
    assert _crm(installed_agent, "check", sim_site).returncode == 0
    assert _crm(installed_agent, "start", sim_site).returncode == 0  # idempotent
    # a daemon dies: the check reports a failure (1), not "stopped"
    os.kill(sim_site.pid("netdaemon"), 9)
    poll_for(lambda: _crm(installed_agent, "check", sim_site).returncode == 1, 20,
             what="check = 1 after a daemon died")
    stop = _crm(installed_agent, "stop", sim_site)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert _crm(installed_agent, "check", sim_site).returncode == 7
    assert _crm(installed_agent, "stop", sim_site).returncode == 0  # idempotent
    assert sim_site.status().outcome.value == "stopped"


def test_probe_on_a_standby_node_without_the_database_is_not_running(installed_agent,
                                                                       sim_site, tmp_path):
    """A standby node: its own spool root knows nothing of the site, the shared disk is not
    mounted. The probe must say 7 (not 5 or 6, which would ban or stop the resource)."""
    env = {**os.environ, "OCF_RESKEY_site": sim_site.name,
           "OCF_RESKEY_database": str(tmp_path / "not-mounted" / "jobdb"),
           "OCF_RESKEY_root": str(tmp_path / "standby-spool"), "OCF_RESKEY_product": "simulator",
           "OCF_RESKEY_CRM_meta_interval": "0", "JCCLUSTER_NODE": "node-b"}
    for interval in ("0", "2000"):
        proc = subprocess.run([installed_agent.path, "monitor"], capture_output=True, text=True,
                              env={**env, "OCF_RESKEY_CRM_meta_interval": interval}, timeout=60)
        assert proc.returncode == 7, proc.stderr
    stop = subprocess.run([installed_agent.path, "stop"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert stop.returncode == 0, stop.stderr
