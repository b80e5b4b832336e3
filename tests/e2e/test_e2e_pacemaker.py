"""pacemaker end to end: the rendered OCF agent (ocf/jobcenter/site) under Pacemaker's own
conformance tool ``ocf-tester``, and the kill case driven through the agent as the cluster's
LRM calls it (``OCF_RESKEY_*`` environment, action as the only argument), against a real
simulator site. ocf-tester alone starts no corosync: no lock is needed.

Expected codes (OCF resource agent API, Linux-HA "Resource Agents" developer's guide,
"Return codes", http://www.linux-ha.org/doc/dev-guides/_return_codes.html):
- OCF_SUCCESS (0) for a successful start and stop, and from monitor for a running resource;
- OCF_NOT_RUNNING (7) from monitor "exclusively ... the resource has either gracefully shut
  down, or has never been started";
- "If the resource is not running due to an error condition, the monitor action should instead
  return one of the OCF_ERR_ exit codes" -- OCF_ERR_GENERIC (1), a soft error: restart or move
  (Pacemaker Explained, "OCF Return Codes").
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Case, _e2e_site, _supervisor, tool  # noqa: F401 - the e2e_site and supervisor fixtures

pytestmark = pytest.mark.timeout(240)

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_NOT_RUNNING = 0, 1, 7
AGENT = "ocf/jobcenter/site"


def ocf_env(case: Case) -> dict[str, str]:
    """The resource's parameters as Pacemaker hands them to the agent."""
    site = case.site
    env = {"OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "jctest",
           "OCF_RESKEY_site": site.name, "OCF_RESKEY_database": site.db}
    if case.supervisor == "cjcpw":
        (case.tmp / "state").mkdir(exist_ok=True)
        env["OCF_RESKEY_state_dir"] = str(case.tmp / "state")
    else:
        env["OCF_RESKEY_root"] = site.root
        env["OCF_RESKEY_product"] = "simulator"
    return env


@pytest.fixture(name="installed")
def _installed() -> Iterator[Path]:
    """A provider directory under OCF_ROOT, as APPLY.txt installs the agent: ocf-tester runs it as
    user nobody too, who cannot reach into pytest's private temporary directory."""
    directory = Path("/usr/lib/ocf/resource.d") / f"jce2e-{os.getpid()}"
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_ocf_tester_passes(e2e_site, supervisor, tmp_path, installed):
    case = Case("pacemaker", supervisor, e2e_site, tmp_path)
    agent = installed / "site"
    shutil.copy(case.path(AGENT), agent)
    agent.chmod(0o755)
    argv = [tool("ocf-tester"), "-n", "jctest"]
    for key, value in ocf_env(case).items():
        if key.startswith("OCF_RESKEY_"):
            argv += ["-o", f"{key.removeprefix('OCF_RESKEY_')}={value}"]
    res = case.run([*argv, str(agent)], timeout=200)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "passed all tests" in out and "* rc=" not in out, out
    assert case.left() == [] and case.listed() == "stopped"


def test_start_monitor_fail_stop_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("pacemaker", supervisor, e2e_site, tmp_path)
    agent = str(case.path(AGENT))
    env = ocf_env(case)

    def action(name: str) -> int:
        res = case.run([agent, name], **env, timeout=150)
        return res.returncode

    assert action("monitor") == OCF_NOT_RUNNING  # the probe before start
    # 1. start
    assert action("start") == OCF_SUCCESS
    # 2. running per the site list and per monitor
    case.wait_running(poll_for)
    assert action("monitor") == OCF_SUCCESS
    # 3. kill -9 a daemon
    os.kill(case.site.pid("jnwengine"), 9)
    # 4. monitor: a failure, not "cleanly stopped" and not "running"
    poll_for(lambda: action("monitor") == OCF_ERR_GENERIC, timeout=30, what="monitor failed")
    # 5. Pacemaker's recovery stops the resource first
    assert action("stop") == OCF_SUCCESS
    # 6. nothing left; monitor now reports cleanly stopped
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert action("monitor") == OCF_NOT_RUNNING and case.listed() == "stopped"
