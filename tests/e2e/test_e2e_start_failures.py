"""The failure exits of the rendered start paths: every adapter, both supervisors, started on a
node where the site's database is not there (the shared disk is not mounted here). Nothing may
report success for a site that did not start: the start script, or the process the product
watches, exits non-zero, and the product's monitor does not say "running". The product then
runs its stop (or clean) path, which succeeds, and nothing of the site is left -- also not the
NQS port holder (nqsportkpr / keep-port) that the start ran first.

Expected codes, from each product's documentation (cited in the adapter's own test file here):
- EXPRESSCLUSTER: start.sh ends (the PID monitor's failure) after logging the watcher's non-zero
  exit;
- SUNW.gds: the Start_command's process ends non-zero; Probe_command 100 or 201;
- VCS Application: StartProgram non-zero, MonitorProgram offline (1 or 100);
- PowerHA: the custom monitor non-zero; the start script non-zero when it runs the start in
  the foreground (jccluster); under cjcpw it leaves the watcher in the background (the monitor
  is the judge: "startup monitoring" mode);
- OCF: start returns an OCF_ERR_* code (1, 2, 5 or 6), never 0 or 7 (7 is for monitor only);
- Serviceguard: the service process exits (any exit is a failure; we require non-zero);
- Sun Cluster 2.2: the process under PMF exits non-zero; ``pmfadm -q`` then says not running.
"""

from __future__ import annotations

import os
import re

import pytest
from harness import Case, _e2e_site, _supervisor, tool, wait_exit  # noqa: F401 - the e2e_site and supervisor fixtures
from standins import Tracked, install

pytestmark = pytest.mark.timeout(120)


def _unmounted(case: Case) -> None:
    """The database is not on this node: move it out of the way (as an unmounted disk)."""
    os.rename(case.site.db, case.site.db + ".not-mounted")


def _nothing_left(case: Case, poll_for) -> None:
    """Nothing of the site is left but its NQS port holder (test_a_failed_start_..._holder)."""
    poll_for(lambda: not case.left(port_holder=False), timeout=30,
             what=f"nothing left: {case.left()}")
    assert case.listed() != "running"


def test_a_failed_start_leaves_no_port_holder(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("sungds", supervisor, e2e_site, tmp_path)
    _unmounted(case)
    wait_exit(case.spawn(["sh", str(case.path("{site}/start.sh"))]), 60)
    assert case.run(["sh", str(case.path("{site}/stop.sh"))]).returncode == 0
    _nothing_left(case, poll_for)
    try:
        poll_for(lambda: not case.left(), timeout=5, what=f"no port holder: {case.left()}")
    finally:
        for line in case.left():  # end the holder here, by pid: the reaper only knows the site
            case.site.reaper.track(int(line.split()[0]))


def test_clusterpro_linux(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("clusterpro-linux", supervisor, e2e_site, tmp_path)
    _unmounted(case)
    start = case.spawn(["sh", str(case.path("scripts/jobcenter-{site}/exec-{site}/start.sh"))],
                       CLP_EVENT="START", CLP_DISK="SUCCESS", CLP_SERVER="HOME")
    _code, out, err = wait_exit(start, timeout=60)
    assert re.search(r"the JobCenter watcher exited \(exit [1-9]", out), out + err
    stop = case.run(["sh", str(case.path("scripts/jobcenter-{site}/exec-{site}/stop.sh"))],
                    CLP_EVENT="START", CLP_DISK="SUCCESS", CLP_SERVER="HOME")
    assert stop.returncode == 0, stop.stdout + stop.stderr
    _nothing_left(case, poll_for)


def test_sungds(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("sungds", supervisor, e2e_site, tmp_path)
    _unmounted(case)
    code, _out, err = wait_exit(case.spawn(["sh", str(case.path("{site}/start.sh"))]), 60)
    assert code != 0, err
    probe = case.run(["sh", str(case.path("{site}/probe.sh"))])
    assert probe.returncode in (100, 201), probe.stderr
    assert case.run(["sh", str(case.path("{site}/stop.sh"))]).returncode == 0
    _nothing_left(case, poll_for)


def test_veritas(e2e_site, supervisor, tmp_path, poll_for):
    from test_e2e_veritas import OFFLINE, dirs, programs

    case = Case("veritas", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    prog = programs(case)
    _unmounted(case)
    start = case.run(prog["StartProgram"], timeout=60)
    if supervisor == "jccluster":  # cjcpw: started in the background, the monitor judges
        assert start.returncode != 0, start.stderr
    poll_for(lambda: case.run(prog["MonitorProgram"]).returncode in OFFLINE, timeout=60,
             what="monitor offline")
    assert case.run(prog["CleanProgram"]).returncode == 0  # VCS cleans a failed online
    _nothing_left(case, poll_for)


def test_powerha(e2e_site, supervisor, tmp_path, poll_for):
    from test_e2e_powerha import dirs

    case = Case("powerha", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    _unmounted(case)
    start = case.run(["sh", str(case.path("{site}/jobcenter-{site}-start.sh"))], timeout=60)
    if supervisor == "jccluster":
        assert start.returncode != 0, start.stderr
    monitor = ["sh", str(case.path("{site}/jobcenter-{site}-monitor.sh"))]
    poll_for(lambda: case.run(monitor).returncode != 0, timeout=60, what="monitor failure")
    stop = case.run(["sh", str(case.path("{site}/jobcenter-{site}-stop.sh"))])
    assert stop.returncode == 0, stop.stderr
    _nothing_left(case, poll_for)


def test_pacemaker(e2e_site, supervisor, tmp_path, poll_for):
    from test_e2e_pacemaker import AGENT, ocf_env

    case = Case("pacemaker", supervisor, e2e_site, tmp_path)
    _unmounted(case)
    res = case.run([str(case.path(AGENT)), "start"], **ocf_env(case), timeout=100)
    assert res.returncode in (1, 2, 5, 6), (res.returncode, res.stderr)
    # Pacemaker stops a resource whose start failed
    stop = case.run([str(case.path(AGENT)), "stop"], **ocf_env(case), timeout=100)
    assert stop.returncode == 0, stop.stderr
    _nothing_left(case, poll_for)


def test_serviceguard_service(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("serviceguard", supervisor, e2e_site, tmp_path)
    track = install(case.rec, "cmrunserv", "cmhaltserv")
    conf = case.path("{site}/modular/jobcenter-{site}.conf").read_text()
    service_cmd = re.search(r'^service_cmd\s+"(.*)"\s*$', conf, re.M).group(1)  # type: ignore[union-attr]
    _unmounted(case)
    external = str(case.path("{site}/modular/jobcenter-{site}.sh"))
    assert case.run(["sh", external, "start"]).returncode == 0  # the port keeper only
    assert case.run(["cmrunserv", "cjc", service_cmd]).returncode == 0
    service = Tracked(track, "cjc")
    poll_for(lambda: service.status is not None, timeout=60, what="the service exits")
    assert service.status != 0, service.output
    # the package halts: the external script's stop
    stop = case.run(["sh", external, "stop"])
    assert stop.returncode == 0, stop.stderr
    _nothing_left(case, poll_for)


@pytest.mark.parametrize("supervisor", ["cjcpw"])
def test_sun22(e2e_site, supervisor, tmp_path, poll_for):
    case = Case("sun22", supervisor, e2e_site, tmp_path)
    track = install(case.rec, "pmfadm")
    for name in ("fuser", "logger"):
        case.rec.stub(name)
    lh = re.search(r"\*,([^,*]+),\*\)", case.path("{site}/start_net.sh").read_text())
    assert lh
    _unmounted(case)
    case.run(["sh", str(case.path("{site}/start_net.sh")), lh.group(1), "", "60"])
    watcher = Tracked(track, "JobService")
    poll_for(lambda: watcher.status is not None, timeout=60, what="the watcher exits")
    assert watcher.status != 0, watcher.output
    assert case.run(["pmfadm", "-q", "JobService"]).returncode != 0
    stop = case.run(["sh", str(case.path("{site}/stop_net.sh")), "", lh.group(1), "60"])
    assert stop.returncode == 0, stop.stderr
    _nothing_left(case, poll_for)
