"""serviceguard end to end, against a real simulator site:

- legacy: the rendered control-script section inside a stand-in of the legacy control script,
  under ksh93 and bash (the template's shell is ksh; bash also runs it on Serviceguard for
  Linux). ``test_return`` is stubbed; ``SERVICE_CMD[0]`` is run as the service by a working
  ``cmrunserv`` stand-in, halted by ``cmhaltserv``.
- modular: ``external_script`` start/stop around ``service_cmd`` run as the service.

How the product runs them ("Managing Serviceguard", service_cmd, e.g. Fifteenth Edition p. 298):
"Serviceguard monitors the process ID (PID) of the process the run command creates. When the
command exits, Serviceguard determines that a failure has occurred and takes appropriate action
... If a run command is a shell script that runs some other command and then exits,
Serviceguard will consider this normal exit as a failure." The service must live as long as the
site and end when it fails. Run script exits ("Managing HP Serviceguard for Linux", "Normal and
Abnormal Exits from the Run Script"): "0—normal exit ... 1—abnormal exit ... 2—alternative exit";
the halt script likewise 0 on success. The package halts its services first, then runs the halt
commands (legacy control script template; docs/adapters/serviceguard.md).
"""

from __future__ import annotations

import re
import shlex

import pytest
from harness import VICTIM, Case, _e2e_site, _supervisor, jccluster_bin, tool  # noqa: F401 - the e2e_site and supervisor fixtures
from standins import Tracked, calls, install

pytestmark = pytest.mark.timeout(120)

RUN_OK, HALT_OK = 0, 0

# A stand-in for the parts of the legacy control script that call the customer section: it
# sources the section, runs customer_defined_run_cmds and starts each service with cmrunserv;
# at halt it halts the services with cmhaltserv, then runs customer_defined_halt_cmds.
# test_return (stubbed) records its code and the previous command's status, and ends the run
# with exit 1 on a failure, as the template's does.
LEGACY = r"""
function test_return
{
    rc=$?
    print_rc="test_return $1 $rc"
    printf '%s\n' "$print_rc" >>"$TEST_RETURN_LOG"
    if [ "$rc" -ne 0 ]; then exit 1; fi
}
. "$1"
case "$2" in
start)
    customer_defined_run_cmds
    i=0
    while [ "$i" -lt "${#SERVICE_NAME[@]}" ]; do
        cmrunserv ${SERVICE_RESTART[$i]} "${SERVICE_NAME[$i]}" "${SERVICE_CMD[$i]}" || exit 1
        i=$((i + 1))
    done ;;
halt)
    i=0
    while [ "$i" -lt "${#SERVICE_NAME[@]}" ]; do cmhaltserv "${SERVICE_NAME[$i]}"; i=$((i + 1)); done
    customer_defined_halt_cmds ;;
esac
exit 0
"""


def _case(e2e_site, supervisor, tmp_path):
    case = Case("serviceguard", supervisor, e2e_site, tmp_path)
    track = install(case.rec, "cmrunserv", "cmhaltserv")
    return case, Tracked(track, "cjc")


def _fail_and_check(case, service, poll_for):
    # 2. running per the site list; the service (what Serviceguard watches) is alive
    case.site.reaper.track(service.pid)
    case.wait_running(poll_for)
    assert service.status is None
    assert not case.failed()
    # 3. kill -9 a daemon; 4. the service exits, and not with 0
    pid = case.kill_daemon()
    poll_for(lambda: service.status is not None, timeout=30, what="the service exits")
    assert service.status != 0, service.output
    assert case.failed()
    if case.supervisor == "cjcpw":  # the service is the watcher: it saw the daemon die
        assert case.watcher_death(VICTIM, pid) in service.output, service.output


@pytest.mark.parametrize("shell", ["ksh93", "bash"])
def test_legacy_control_script(e2e_site, supervisor, tmp_path, poll_for, shell):
    case, service = _case(e2e_site, supervisor, tmp_path)
    harness = tmp_path / "control.sh"
    harness.write_text(LEGACY)
    section = str(case.path("{site}/legacy/jobcenter-{site}.cntl-customer-section"))
    log = tmp_path / "test_return.log"
    # 1. start: run commands, then the service
    res = case.run([tool(shell), str(harness), section, "start"], TEST_RETURN_LOG=str(log))
    assert res.returncode == RUN_OK, res.stdout + res.stderr
    assert log.read_text().split("\n")[0] == "test_return 51 0"
    cmrunserv = [c for c in calls(case.rec) if c[0] == "cmrunserv"]
    assert len(cmrunserv) == 1 and cmrunserv[0][-2] == "cjc"
    if supervisor == "cjcpw":  # the manual's service: cjcpw SITE DBPATH in the foreground
        want = [str(case.prefix / "cluster" / "cjcpw"), e2e_site.name, e2e_site.db]
    else:
        want = [jccluster_bin(), "agent", "serviceguard", "service", e2e_site.name, e2e_site.db]
    assert shlex.split(cmrunserv[0][-1])[: len(want)] == want
    _fail_and_check(case, service, poll_for)
    # 5. the package halts: services, then the halt commands
    res = case.run([tool(shell), str(harness), section, "halt"], TEST_RETURN_LOG=str(log))
    assert res.returncode == HALT_OK, res.stdout + res.stderr
    assert log.read_text().splitlines()[-1] == "test_return 52 0"
    assert [c[0] for c in calls(case.rec)][-1] == "cmhaltserv"
    # 6. nothing left
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped" and not case.failed()  # stopped, not failed


def test_modular_external_script_and_service_cmd(e2e_site, supervisor, tmp_path, poll_for):
    case, service = _case(e2e_site, supervisor, tmp_path)
    conf = case.path("{site}/modular/jobcenter-{site}.conf").read_text()
    external = case.path("{site}/modular/jobcenter-{site}.sh")
    match = re.search(r'^service_cmd\s+"(.*)"\s*$', conf, re.M)
    assert match, conf
    service_cmd = match.group(1)
    assert re.search(r"^service_name\s+cjc\s*$", conf, re.M)
    # 1. start: the external script's start, then the service (cmrunserv runs it with sh)
    res = case.run(["sh", str(external), "start"])
    assert res.returncode == RUN_OK, res.stderr
    res = case.run(["cmrunserv", "cjc", service_cmd])
    assert res.returncode == 0, res.stderr
    _fail_and_check(case, service, poll_for)
    # 5. the package halts: services (already gone), then the external script's stop
    assert case.run(["cmhaltserv", "cjc"]).returncode == 0
    res = case.run(["sh", str(external), "stop"])
    assert res.returncode == HALT_OK, res.stderr
    # 6. nothing left
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped" and not case.failed()  # stopped, not failed


def test_modular_halt_of_a_healthy_package_leaves_nothing(e2e_site, supervisor, tmp_path, poll_for):
    """A planned halt: SIGTERM to the running service first, then the stop."""
    case, service = _case(e2e_site, supervisor, tmp_path)
    conf = case.path("{site}/modular/jobcenter-{site}.conf").read_text()
    external = case.path("{site}/modular/jobcenter-{site}.sh")
    service_cmd = re.search(r'^service_cmd\s+"(.*)"\s*$', conf, re.M).group(1)  # type: ignore[union-attr]
    assert case.run(["sh", str(external), "start"]).returncode == RUN_OK
    assert case.run(["cmrunserv", "cjc", service_cmd]).returncode == 0
    case.wait_running(poll_for)
    assert case.run(["cmhaltserv", "cjc"]).returncode == 0
    assert service.status is not None
    res = case.run(["sh", str(external), "stop"])
    assert res.returncode == HALT_OK, res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.listed() == "stopped" and not case.failed()  # stopped, not failed
