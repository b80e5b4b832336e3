"""veritas end to end: the Application resource's StartProgram, MonitorProgram, StopProgram and
CleanProgram exactly as main.cf names them, run as VCS's Application agent runs them, against a
real simulator site.

Expected codes (script-based agents and the Application agent's custom monitor):
- MonitorProgram: "1 or 100 - indicates that the resource is offline ... 0 or 110 - indicates that
  the resource is online" (InfoScale 9.0 Cluster Server Generic Application Agent Configuration
  Guide, "About the monitor script exit codes", https://www.veritas.com/support/en_US/doc/
  84647421-166315438-0/v85253300-166315438); "100 - Offline, 101-110 - Online, 99 - Unknown"
  (Cluster Server 5.0 Agent Developer's Guide, "Return values for entry points").
- Clean: "0 if successful; non-zero value if not successful" (same table); VCS runs Clean after
  a resource faults, before it fails the group over.
- StartProgram / StopProgram: VCS judges them by the monitor that follows (Online/Offline return
  "number of seconds to wait before monitor"); we still require exit 0 on success.
"""

from __future__ import annotations

import re
import shlex

import pytest
from harness import Case, _e2e_site, _supervisor  # noqa: F401 - the e2e_site and supervisor fixtures


def dirs(tmp_path) -> dict:
    """The product's log and run directories (/var/...) exist on a node; here they are tmp's."""
    (tmp_path / "log").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    return {"veritas": {"log_dir": str(tmp_path / "log"), "run_dir": str(tmp_path / "run")}}

pytestmark = pytest.mark.timeout(120)

ONLINE = (0, *range(101, 111))
OFFLINE = (1, 100)
CLEAN_OK = 0
#: where APPLY.txt installs the script (main.cf's StartProgram names it there)
INSTALLED = "/opt/jobcenter-cluster/veritas/"


def programs(case: Case) -> dict[str, list[str]]:
    """The Application resource's *Program attributes from main.cf, as argv."""
    text = case.path("main.cf").read_text()
    found = dict(re.findall(r'^\s*(\w+Program) = "(.*)"\s*$', text, re.M))
    assert set(found) == {"StartProgram", "StopProgram", "CleanProgram", "MonitorProgram"}, found
    out = {}
    for key, value in found.items():
        argv = shlex.split(value)
        if argv[0].startswith(INSTALLED):  # the rendered copy stands in for the installed one
            argv[0] = str(case.path("{site}/" + argv[0][len(INSTALLED):]))
        out[key] = argv
    return out


def test_start_monitor_fault_clean_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("veritas", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    prog = programs(case)
    monitor = lambda: case.run(prog["MonitorProgram"]).returncode  # noqa: E731
    assert monitor() in OFFLINE  # the probe before online
    # 1. online
    start = case.run(prog["StartProgram"])
    assert start.returncode == 0, start.stderr
    # 2. running per the site list and per the monitor
    case.wait_running(poll_for)
    assert monitor() in ONLINE
    # 3. kill -9 a daemon
    case.kill_daemon()
    # 4. the monitor reports offline (the resource faulted)
    poll_for(lambda: monitor() in OFFLINE, timeout=30, what="monitor offline after the kill")
    # 5. VCS cleans a faulted resource
    clean = case.run(prog["CleanProgram"])
    assert clean.returncode == CLEAN_OK, clean.stderr
    # 6. nothing left, and the monitor stays offline
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert monitor() in OFFLINE and case.listed() == "stopped"


def test_start_monitor_offline_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("veritas", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    prog = programs(case)
    assert case.run(prog["StartProgram"]).returncode == 0
    poll_for(lambda: case.run(prog["MonitorProgram"]).returncode in ONLINE, timeout=30,
             what="online")
    case.wait_running(poll_for)
    stop = case.run(prog["StopProgram"])
    assert stop.returncode == 0, stop.stderr
    assert case.run(prog["MonitorProgram"]).returncode in OFFLINE
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
