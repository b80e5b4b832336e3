"""powerha end to end: the application controller's start and stop scripts and the custom
application monitor, as PowerHA SystemMirror runs them, against a real simulator site.

Expected codes: "The monitor method must be an executable program (it can be a shell script)
that tests the application and exits, returning an integer value that indicates the
application's status. The return value must be zero if the application is healthy, and must be
a non zero value if the application has failed." (IBM PowerHA SystemMirror 7.2, "Configuring a
custom application monitor", https://www.ibm.com/docs/SSPHQG_7.2/admin/
ha_admin_config_custom_appmon2.htm). Start and stop scripts: exit 0 on success; a non-zero exit
is an event failure (unverified beyond "0 = success" here; see docs/adapters/powerha.md).
"""

from __future__ import annotations

import pytest
from harness import Case, _e2e_site, _supervisor  # noqa: F401 - the e2e_site and supervisor fixtures


def dirs(tmp_path) -> dict:
    """The product's log and run directories (/var/...) exist on a node; here they are tmp's."""
    (tmp_path / "log").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    return {"powerha": {"log_dir": str(tmp_path / "log"), "run_dir": str(tmp_path / "run")}}

pytestmark = pytest.mark.timeout(120)

HEALTHY = 0


def test_start_monitor_fail_stop_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("powerha", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    start, stop = case.path("{site}/jobcenter-{site}-start.sh"), case.path(
        "{site}/jobcenter-{site}-stop.sh")
    monitor = lambda: case.run(["sh", str(case.path("{site}/jobcenter-{site}-monitor.sh"))])  # noqa: E731
    # 1. start (PowerHA waits for the start script; it must return once the site is up)
    res = case.run(["sh", str(start)], timeout=60)
    assert res.returncode == 0, res.stderr
    # 2. running per the site list and per the custom monitor (after its stabilization interval:
    # under cjcpw the start script leaves the watcher bringing the site up in the background)
    case.wait_running(poll_for)
    assert monitor().returncode == HEALTHY
    # 3. kill -9 a daemon
    case.kill_daemon()
    # 4. the monitor returns non-zero: the application failed
    poll_for(lambda: monitor().returncode != HEALTHY, timeout=30, what="monitor failure")
    # 5. stop
    res = case.run(["sh", str(stop)])
    assert res.returncode == 0, res.stderr
    # 6. nothing left; the monitor on a stopped site is not healthy either
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped" and monitor().returncode != HEALTHY
