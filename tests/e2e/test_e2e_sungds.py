"""sungds end to end: the SUNW.gds Start_command, Probe_command and Stop_command as Oracle
Solaris Cluster runs them, against a real simulator site.

How the product runs them:
- Start_command runs under PMF; with Child_mon_level=0 (rendered by register.sh) PMF watches the
  process GDS started, so start.sh must become the watcher (it execs it) and its ending is the
  failure PMF sees.
- Probe_command: "The probe command returns with an exit status of 0 if the application is
  running correctly ... must be an integer between 0 (for success) and 100 (for complete
  failure) ... a special value of 201, which causes the application to immediately fail over"
  (Sun Cluster Data Services Developer's Guide, "Probe_command Property",
  https://docs.oracle.com/cd/E19787-01/820-2559/gds-15/index.html).
- Stop_command: exit 0 is a successful stop (same guide, "Stop_command Property"; a non-zero
  exit makes GDS fall back to signals: unverified here beyond the exit-0 success).
"""

from __future__ import annotations

import pytest
from harness import Case, _e2e_site, _supervisor, wait_exit  # noqa: F401 - the e2e_site and supervisor fixtures

pytestmark = pytest.mark.timeout(120)

PROBE_OK = 0  # GDS: success
PROBE_FAILED = (100, 201)  # GDS: complete failure (restart/fail over) or immediate failover
STOP_OK = 0


def test_start_probe_fail_stop_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("sungds", supervisor, e2e_site, tmp_path)
    # 1. start under PMF (the started process is what PMF watches)
    start = case.spawn(["sh", str(case.path("{site}/start.sh"))])
    # 2. running per the site list and per the probe
    case.wait_running(poll_for)
    probe = case.run(["sh", str(case.path("{site}/probe.sh"))])
    assert probe.returncode == PROBE_OK, probe.stderr
    assert start.poll() is None, "the started process must live while the site runs"
    # 3. kill -9 a daemon
    case.kill_daemon()
    # 4. PMF sees its process end (and not with exit 0); the probe says failed
    code, _out, err = wait_exit(start, timeout=30)
    assert code != 0, f"the watched process exited 0 after the site died: {err}"
    if supervisor == "jccluster":  # under cjcpw: test_probe_fails_once_a_daemon_died
        probe = case.run(["sh", str(case.path("{site}/probe.sh"))])
        assert probe.returncode in PROBE_FAILED, (probe.returncode, probe.stderr)
    # 5. stop
    stop = case.run(["sh", str(case.path("{site}/stop.sh"))])
    assert stop.returncode == STOP_OK, stop.stderr
    # 6. nothing left; the probe on a stopped site is not a success either
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped"
    probe = case.run(["sh", str(case.path("{site}/probe.sh"))])
    assert probe.returncode != PROBE_OK


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_probe_fails_once_a_daemon_died(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("sungds", supervisor, e2e_site, tmp_path)
    start = case.spawn(["sh", str(case.path("{site}/start.sh"))])
    case.wait_running(poll_for)
    case.kill_daemon()
    wait_exit(start, timeout=30)
    probe = case.run(["sh", str(case.path("{site}/probe.sh"))])
    try:
        assert probe.returncode in PROBE_FAILED, (probe.returncode, probe.stderr)
    finally:
        assert case.run(["sh", str(case.path("{site}/stop.sh"))]).returncode == STOP_OK
        poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
