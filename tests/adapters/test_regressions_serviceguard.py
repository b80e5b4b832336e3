"""Regression tests of issue 20 ("Failure semantics") for the serviceguard adapter: the modular
external script and the legacy control-script section, run as Serviceguard runs them, against a
real simulator site (the engine under ``supervisor = "jccluster"``, the emulated JobCenter
installation under ``"cjcpw"``).

Expected codes come from the Serviceguard documentation and the JobCenter manual, not from the
adapter: external script entry points exit 0 on success, 1 for a failure ("Managing
Serviceguard", About External Scripts); in a legacy control script ``test_return N`` fails the
halt when the previous command's status is non-zero, and a failed halt disables the package's
switching; the manual's own sample puts ``:`` before ``test_return 52`` so that cjcpw -stop's
status never fails the halt (manual §2.10.4). The service (SERVICE_CMD / service_cmd) is the
watcher: "When the command exits, Serviceguard determines that a failure has occurred".
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess

import pytest
from e2e.harness import Case, E2ESite, _e2e_site, _supervisor, site_leftovers  # noqa: F401

from jobcenter_cluster.adapters.serviceguard.adapter import ServiceGuardAdapter
from jobcenter_cluster.checks import SourceFile
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_cluster, merge_data
from support.checking import rendered_files, rule_ids

pytestmark = pytest.mark.timeout(120)

FAIL_STOP = {"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"}
STORAGE = {"vg": "vgjob", "fs_name": "/dev/vgjob/lvol1"}
#: the parts of a legacy control script that call the customer section's halt: test_return
#: records its code and the status before it, and fails the halt as Serviceguard's does
LEGACY_HALT = r"""
test_return() {
    rc=$?
    printf 'test_return %s %s\n' "$1" "$rc" >>"$TEST_RETURN_LOG"
    if [ "$rc" -ne 0 ]; then exit 1; fi
}
. "$1"
customer_defined_halt_cmds
exit 0
"""


def cjcpw_case(jobcenter, reaper, tmp_path, **overrides) -> Case:
    jobcenter.mksite()
    site = E2ESite(jobcenter.site, jobcenter.address, jobcenter.db, jobcenter.root,
                   jobcenter.prefix, reaper, jobcenter.mid)
    return Case("serviceguard", "cjcpw", site, tmp_path, overrides)


def start(case: Case, poll_for):
    """external_script start, then the service as Serviceguard runs it."""
    conf = case.path("{site}/modular/jobcenter-{site}.conf").read_text()
    service_cmd = re.search(r'^service_cmd\s+"(.*)"\s*$', conf, re.M).group(1)  # type: ignore[union-attr]
    res = case.run(["sh", str(case.path("{site}/modular/jobcenter-{site}.sh")), "start"])
    assert res.returncode == 0, res.stderr
    service = case.spawn(shlex.split(service_cmd))
    return service


def halt_service(service) -> None:
    """cmhaltserv: SIGTERM to the service (SIGKILL after service_halt_timeout)."""
    if service.poll() is None:
        os.killpg(service.pid, signal.SIGTERM)
        try:
            service.wait(timeout=30)
        except Exception:  # noqa: BLE001 - past the halt timeout: SIGKILL, as Serviceguard
            os.killpg(service.pid, signal.SIGKILL)
            service.wait(timeout=10)


def crash(case: Case, poll_for) -> None:
    for line in site_leftovers(case.site.name, case.site.db):
        os.kill(int(line.split()[0]), signal.SIGKILL)
    poll_for(lambda: not case.left(port_holder=False), timeout=20, what="site gone")


def modular_stop(case: Case, **env: str):
    return case.run(["sh", str(case.path("{site}/modular/jobcenter-{site}.sh")), "stop"], **env)


def legacy_halt(case: Case, tmp_path, **env: str):
    harness = tmp_path / "halt.ksh"
    harness.write_text(LEGACY_HALT)
    log = tmp_path / "test_return.log"
    section = case.path("{site}/legacy/jobcenter-{site}.cntl-customer-section")
    res = case.run(["ksh93", str(harness), str(section)], TEST_RETURN_LOG=str(log), **env)
    return res, log.read_text().splitlines()[-1]


def test_finding3_sg_cjcpw_halt_after_a_crash_does_not_disable_the_package(
        jobcenter, reaper, tmp_path, poll_for):
    """The site crashed, cjcpw -stop fails: nothing of the site is left, so neither the modular
    stop_command nor the legacy halt (test_return 52) fails."""
    case = cjcpw_case(jobcenter, reaper, tmp_path)
    service = start(case, poll_for)
    case.wait_running(poll_for)
    crash(case, poll_for)
    halt_service(service)
    res = modular_stop(case, **FAIL_STOP)
    assert res.returncode == 0, res.stderr
    res, last = legacy_halt(case, tmp_path, **FAIL_STOP)
    assert res.returncode == 0 and last == "test_return 52 0", res.stderr


def test_finding3_sg_cjcpw_failing_halt_while_daemons_run_fails(jobcenter, reaper, tmp_path,
                                                                poll_for):
    """cjcpw -stop fails and the daemons still run: both halts fail (the disk must not be
    taken away under a running site); with a working cjcpw -stop they succeed."""
    case = cjcpw_case(jobcenter, reaper, tmp_path)
    service = start(case, poll_for)
    case.wait_running(poll_for)
    halt_service(service)
    res = modular_stop(case, **FAIL_STOP)
    assert res.returncode == 1, res.stderr
    res, last = legacy_halt(case, tmp_path, **FAIL_STOP)
    assert res.returncode != 0 and last == "test_return 52 1", res.stderr
    res, last = legacy_halt(case, tmp_path)
    assert res.returncode == 0 and last == "test_return 52 0", res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


def _cjcpw_adapter(**site: object) -> ServiceGuardAdapter:
    return ServiceGuardAdapter(example_cluster(merge_data({}, {
        "cluster": {"supervisor": "cjcpw"}, "site": [{"serviceguard": {**STORAGE, **site}}]})))


@pytest.mark.parametrize(("path", "old", "new"), [
    # the halt of the old template: cjcpw -stop's status straight into test_return 52
    (".cntl-customer-section", "    jobcenter_stopped $?\n", ""),
    ("modular/jobcenter-orange.sh", "    run /usr/lib/nqs/cluster/cjcpw -stop orange.example.com\n",
     "    run /usr/lib/nqs/cluster/cjcpw -stop orange.example.com || return 1\n"),
])
def test_finding3_sg_rule_catches_a_halt_decided_by_cjcpw_status(path, old, new):
    adapter = _cjcpw_adapter()
    files = rendered_files(adapter)
    assert "SG-HALT-VERIFIES" not in rule_ids(ServiceGuardAdapter, files, adapter.cluster, adapter)
    broken = []
    for f in files:
        text = f.text
        if f.path.endswith(path):
            assert old in text, (old, f.path)
            text = text.replace(old, new, 1)
        broken.append(SourceFile(f.path, text, f.language, f.site))
    assert "SG-HALT-VERIFIES" in rule_ids(ServiceGuardAdapter, broken, adapter.cluster, adapter)


def test_finding8_sg_package_without_storage_is_not_silent():
    """VCS and PowerHA refuse a site without storage, Pacemaker warns: Serviceguard warns in the
    files, in APPLY.txt and through SG-STORAGE, unless storage = "none" says why."""
    bare = ServiceGuardAdapter(example_cluster())
    arts = {a.path: a.content for a in bare.render()}
    assert "WARNING: the package mounts no storage" in arts["orange/APPLY.txt"]
    assert "WARNING: this package mounts no storage" in arts["orange/modular/jobcenter-orange.conf"]
    found = rule_ids(ServiceGuardAdapter, rendered_files(bare), bare.cluster, bare)
    assert found.count("SG-STORAGE") == 2  # the legacy section and the modular package
    rule = next(r for r in ServiceGuardAdapter.rules() if r.id == "SG-STORAGE")
    assert rule.severity == "warning"
    for ok in (_cjcpw_adapter(), ServiceGuardAdapter(example_cluster({"site": [{"serviceguard": {
            "storage": "none", "storage_reason": "mounted by package jobdisk"}}]}))):
        arts = {a.path: a.content for a in ok.render()}
        assert "WARNING" not in arts["orange/APPLY.txt"]
        assert "SG-STORAGE" not in rule_ids(ServiceGuardAdapter, rendered_files(ok),
                                            ok.cluster, ok)


@pytest.mark.parametrize(("site", "field"), [
    ({"storage": "none"}, "storage_reason"),
    ({"storage_reason": "why"}, "storage_reason"),
    ({"storage": "none", "storage_reason": "x", "fs_name": "/dev/vgjob/lvol1"}, "storage"),
    ({"storage": "none", "storage_reason": "two\nlines"}, "storage_reason"),
])
def test_finding8_sg_storage_opt_out_is_validated(site, field):
    with pytest.raises(ConfigError) as err:
        ServiceGuardAdapter(example_cluster({"site": [{"serviceguard": site}]}))
    assert f".serviceguard.{field}: " in str(err.value), str(err.value)


def test_maintenance_sg_start_service_halt(e2e_site, supervisor, tmp_path, poll_for):
    """maintenance=ON (manual §2.10.5: the watcher runs, the daemons do not): the start
    succeeds, the service keeps running (Serviceguard sees the package up), the halt succeeds
    and leaves nothing."""
    case = Case("serviceguard", supervisor, e2e_site, tmp_path)
    os.makedirs(os.path.join(case.site.db, "etc"), exist_ok=True)
    with open(os.path.join(case.site.db, "etc", "daemon.conf"), "a", encoding="utf-8") as fh:
        fh.write("maintenance=ON\n")
    service = start(case, poll_for)
    case.site.reaper.track(service.pid)
    with pytest.raises(subprocess.TimeoutExpired):  # it must not end on its own (a failure)
        service.wait(timeout=2.0)
    halt_service(service)
    res = modular_stop(case)
    assert res.returncode == 0, res.stderr
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


@pytest.mark.parametrize("verb", ["stop"])
@pytest.mark.parametrize("outcome", ["failed", "invalid"])
def test_finding1_serviceguard_a_stop_that_could_not_do_its_work_is_never_success(verb, outcome,
                                                                         monkeypatch):
    """The product reads exit 0 of a stop as "stopped" (0 = success for every stop method of
    this product; see the module docstring): a stop that failed or could not run (the engine's
    FAILED, or INVALID from an older engine) must exit non-zero."""
    import types

    from jobcenter_cluster import agent
    from jobcenter_cluster.engine import api
    from jobcenter_cluster.outcome import Outcome

    monkeypatch.setattr(api, "stop", lambda site, **kw: types.SimpleNamespace(
        outcome=Outcome(outcome), message=outcome, details={}))
    assert agent.main(["serviceguard", verb, "orange.example.com"]) != 0
