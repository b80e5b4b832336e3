"""Regression tests of issue 20 ("Failure semantics") for the veritas adapter, run as VCS's
Application agent runs the rendered programs, against a real simulator site (the engine under
``supervisor = "jccluster"``, the emulated JobCenter installation under ``"cjcpw"``).

Expected codes come from the VCS documentation, not from the adapter:
- MonitorProgram: 110 online, 100 offline, other values unknown (typically 99) (Cluster Server
  Agent Developer's Guide, "About the monitor script exit codes").
- After the offline entry point, VCS keeps monitoring; a resource still ONLINE means "the
  offline entry point was ineffective" and VCS runs Clean (clean_reason 1); an OFFLINE resource
  is done and the group may come online elsewhere (Cluster Server 4.1 Agent Developer's Guide,
  clean entry point, clean_reason 0-5).
- Clean: 0 successful, non-zero not; VCS fails a faulted group over only after Clean succeeds.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess

import pytest
from e2e.harness import Case, _e2e_site, _supervisor, site_leftovers  # noqa: F401 - fixtures

from jobcenter_cluster import simulator
from support.procs import alive as _alive

pytestmark = pytest.mark.timeout(120)

ONLINE, OFFLINE = 110, 100
#: where APPLY.txt installs the site script (main.cf's programs name it there)
INSTALLED = "/opt/jobcenter-cluster/veritas/"
FAIL_STOP = {"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"}


def dirs(tmp_path) -> dict:
    (tmp_path / "log").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    return {"veritas": {"log_dir": str(tmp_path / "log"), "run_dir": str(tmp_path / "run")}}


def programs(case: Case) -> dict[str, list[str]]:
    """The Application resource's *Program attributes from main.cf, as argv (the rendered site
    script stands in for the installed one)."""
    text = case.path("main.cf").read_text()
    found = dict(re.findall(r'^\s*(\w+Program) = "(.*)"\s*$', text, re.M))
    out = {}
    for key, value in found.items():
        argv = shlex.split(value)
        if argv[0].startswith(INSTALLED):
            argv[0] = str(case.path("{site}/" + argv[0][len(INSTALLED):]))
        out[key] = argv
    return out


def started(case: Case, poll_for) -> dict[str, list[str]]:
    prog = programs(case)
    res = case.run(prog["StartProgram"])
    assert res.returncode == 0, res.stderr
    case.wait_running(poll_for)
    poll_for(lambda: case.run(prog["MonitorProgram"]).returncode == ONLINE, timeout=30,
             what="monitor online")
    return prog


def kill_everything(case: Case, poll_for) -> None:
    """The site crashed on this node: every process of it is gone (its disk is still here)."""
    for line in site_leftovers(case.site.name, case.site.db):
        os.kill(int(line.split()[0]), signal.SIGKILL)
    poll_for(lambda: not case.left(port_holder=False), timeout=20, what="site gone")


def test_finding2_vcs_monitor_half_stopped_is_not_offline(e2e_site, supervisor, tmp_path,
                                                           poll_for):
    """An interrupted stop (a daemon ignores SIGTERM) leaves the daemon alive: the monitor must
    not say OFFLINE (VCS would take the stop as done); ONLINE makes VCS run Clean, and Clean
    leaves nothing."""
    case = Case("veritas", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    simulator.set_fault(case.site.db, "nqsdaemon", "ignore-term")
    prog = started(case, poll_for)
    nqs = case.site.pid("nqsdaemon")
    # the StopProgram, interrupted while it waits (VCS kills it, the operator presses ^C ...)
    slow = {"JCCLUSTER_SIM_STOP_SECONDS": "0"} if supervisor == "jccluster" else {}
    stopper = subprocess.Popen(prog["StopProgram"], env=case.env(**slow), cwd="/",
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        comagent = case.site.pid("comagent")
        # the stop has sent SIGTERM: the other daemons are gone, nqsdaemon ignores it
        poll_for(lambda: not _alive(comagent), timeout=30, what="the stop's SIGTERM")
        os.killpg(stopper.pid, signal.SIGKILL)
    finally:
        stopper.wait(timeout=10)
    assert _alive(nqs)
    pidfile = tmp_path / "run" / f"jobcenter-{case.short}.cjcpw.pid"
    if supervisor == "cjcpw" and pidfile.exists():
        # cjcpw's watcher ends once the stop began (here within 15 s): it is gone already
        os.kill(int(pidfile.read_text()), signal.SIGKILL)
    mon = case.run(prog["MonitorProgram"])
    assert mon.returncode == ONLINE, (mon.returncode, mon.stderr)
    # VCS: the offline was ineffective -> Clean (the engine's clean kills at its deadline:
    # a short one here, the same code path)
    short = ["--timeout", "3"] if supervisor == "jccluster" else []
    clean = case.run(prog["CleanProgram"] + short)
    assert clean.returncode == 0, clean.stderr
    assert not _alive(nqs)
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")
    assert case.run(prog["MonitorProgram"]).returncode == OFFLINE


def test_finding2_vcs_monitor_failed_running_site_stays_offline(e2e_site, supervisor, tmp_path,
                                                                 poll_for):
    """A daemon that dies while the site runs is still a fault (OFFLINE): VCS must fault the
    resource, Clean it and fail over; ONLINE here would never fail over."""
    case = Case("veritas", supervisor, e2e_site, tmp_path, dirs(tmp_path))
    prog = started(case, poll_for)
    case.kill_daemon()
    poll_for(lambda: case.run(prog["MonitorProgram"]).returncode == OFFLINE, timeout=30,
             what="monitor offline after the kill")
    assert case.run(prog["CleanProgram"]).returncode == 0
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


@pytest.mark.parametrize("verb", ["StopProgram", "CleanProgram"])
def test_finding3_vcs_cjcpw_failing_stop_with_nothing_left_succeeds(jobcenter, reaper, tmp_path,
                                                                     poll_for, verb):
    """supervisor = "cjcpw": the site crashed, and cjcpw -stop fails; nothing of the site is
    left, so Stop/Clean succeed (a failing Clean keeps the group from failing over)."""
    case = _cjcpw_case(jobcenter, reaper, tmp_path)
    prog = started(case, poll_for)
    kill_everything(case, poll_for)
    res = case.run(prog[verb], **FAIL_STOP)
    assert res.returncode == 0, res.stderr
    assert "cjcpw -stop failed" in res.stderr
    assert case.run(prog["MonitorProgram"]).returncode == OFFLINE


@pytest.mark.parametrize("verb", ["StopProgram", "CleanProgram"])
def test_finding3_vcs_cjcpw_failing_stop_with_daemons_alive_fails(jobcenter, reaper, tmp_path,
                                                                   poll_for, verb):
    """supervisor = "cjcpw": cjcpw -stop fails and the daemons still run: Stop/Clean fail, and
    the monitor never says OFFLINE while they run."""
    case = _cjcpw_case(jobcenter, reaper, tmp_path)
    prog = started(case, poll_for)
    nqs = case.site.pid("nqsdaemon")
    res = case.run(prog[verb], **FAIL_STOP)
    assert res.returncode != 0, res.stderr
    assert _alive(nqs)
    assert case.run(prog["MonitorProgram"]).returncode == ONLINE
    # the next Clean, with a working cjcpw -stop, stops everything
    assert case.run(prog["CleanProgram"]).returncode == 0
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


@pytest.mark.parametrize("monitor", [True, False])
def test_maintenance_vcs_start_monitor_stop(e2e_site, supervisor, tmp_path, poll_for, monitor):
    """maintenance=ON (manual §2.10.5: the watcher runs, the daemons do not): StartProgram
    succeeds, the monitor says ONLINE, StopProgram succeeds and the monitor says OFFLINE; also
    with monitor = false (no watcher: cjcpw -c starts nothing in maintenance)."""
    over = dirs(tmp_path)
    if not monitor:
        over["site"] = [{"monitor": False}]
    case = Case("veritas", supervisor, e2e_site, tmp_path, over)
    os.makedirs(os.path.join(case.site.db, "etc"), exist_ok=True)
    with open(os.path.join(case.site.db, "etc", "daemon.conf"), "a", encoding="utf-8") as fh:
        fh.write("maintenance=ON\n")
    prog = programs(case)
    res = case.run(prog["StartProgram"])
    assert res.returncode == 0, res.stderr
    poll_for(lambda: case.run(prog["MonitorProgram"]).returncode == ONLINE, timeout=30,
             what="monitor online in maintenance")
    assert case.run(prog["MonitorProgram"]).returncode == ONLINE  # and stays online
    res = case.run(prog["StopProgram"])
    assert res.returncode == 0, res.stderr
    poll_for(lambda: case.run(prog["MonitorProgram"]).returncode == OFFLINE, timeout=30,
             what="monitor offline after the stop")
    poll_for(lambda: not case.left(), timeout=30, what=f"nothing left: {case.left()}")


# ---------------------------------------------------------------------------------------------


def _cjcpw_case(jobcenter, reaper, tmp_path) -> Case:
    from e2e.harness import E2ESite

    jobcenter.mksite()
    site = E2ESite(jobcenter.site, jobcenter.address, jobcenter.db, jobcenter.root,
                   jobcenter.prefix, reaper, jobcenter.mid)
    return Case("veritas", "cjcpw", site, tmp_path, dirs(tmp_path))



def test_monitor_rule_vcs_cjcpw_monitor_never_blocks_on_a_fifo(tmp_path):
    """A monitor is bounded: a FIFO where the PID file, the stop mark or the log should be
    (no writer, no reader) must not hang the site script's monitor; it answers OFFLINE."""
    from jobcenter_cluster.adapters.veritas.adapter import VeritasAdapter
    from jobcenter_cluster.model import example_cluster, merge_data

    adapter = VeritasAdapter(example_cluster(merge_data(VeritasAdapter.example_overrides(), {
        "cluster": {"supervisor": "cjcpw"}, **dirs(tmp_path)})))
    script = tmp_path / "jobcenter-orange.sh"
    script.write_text(next(a.content for a in adapter.render()
                           if a.path.endswith("jobcenter-orange.sh")))
    for name in ("run/jobcenter-orange.cjcpw.pid", "run/jobcenter-orange.stopping",
                 "log/jobcenter-orange.log"):
        os.mkfifo(tmp_path / name)
    res = subprocess.run(["sh", str(script), "monitor"], capture_output=True, text=True,
                         timeout=20, cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert res.returncode == OFFLINE, res.stderr


@pytest.mark.parametrize(("old", "new", "rule"), [
    ('    if [ -f "$STOPMARK" ] && site_left 2>/dev/null; then', "    if false; then",
     "VCS-HALF-STOPPED"),
    ('do_stop() {\n    (: >"$STOPMARK") 2>/dev/null || log "cannot write $STOPMARK"\n',
     "do_stop() {\n", "VCS-HALF-STOPPED"),
    ("    run /usr/lib/nqs/cluster/cjcpw -stop orange.example.com\n    stopped",
     "    run /usr/lib/nqs/cluster/cjcpw -stop orange.example.com || return 1\n    stopped",
     "VCS-STOP-VERIFIES"),
])
def test_finding2_finding3_vcs_rules_catch_a_hand_broken_site_script(old, new, rule):
    from jobcenter_cluster.adapters.veritas.adapter import VeritasAdapter
    from jobcenter_cluster.checks import SourceFile
    from jobcenter_cluster.model import example_cluster, merge_data
    from support.checking import rendered_files, rule_ids

    adapter = VeritasAdapter(example_cluster(merge_data(VeritasAdapter.example_overrides(), {
        "cluster": {"supervisor": "cjcpw"}})))
    files = rendered_files(adapter)
    assert rule not in rule_ids(VeritasAdapter, files, adapter.cluster, adapter)
    broken = []
    for f in files:
        text = f.text
        if f.path.endswith("jobcenter-orange.sh"):
            assert old in text, old
            text = text.replace(old, new, 1)
        broken.append(SourceFile(f.path, text, f.language, f.site))
    assert rule in rule_ids(VeritasAdapter, broken, adapter.cluster, adapter)


@pytest.mark.parametrize("verb", ["offline", "clean"])
@pytest.mark.parametrize("outcome", ["failed", "invalid"])
def test_finding1_veritas_a_stop_that_could_not_do_its_work_is_never_success(verb, outcome,
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
    assert agent.main(["veritas", verb, "orange.example.com"]) != 0


@pytest.mark.parametrize("verb", ["stop", "clean"])
def test_finding3_vcs_cjcpw_stop_without_its_run_directory_still_verifies(tmp_path, verb):
    """The stop mark cannot be written (no run directory): the stop goes on and is judged by
    what is left (here nothing: no JobCenter, no site), never ended by the shell (a redirection
    error of ':' would end a POSIX shell)."""
    from jobcenter_cluster.adapters.veritas.adapter import VeritasAdapter
    from jobcenter_cluster.model import example_cluster, merge_data

    adapter = VeritasAdapter(example_cluster(merge_data(VeritasAdapter.example_overrides(), {
        "cluster": {"supervisor": "cjcpw", "install_prefix": str(tmp_path / "nqs")},
        "veritas": {"log_dir": str(tmp_path / "nolog"), "run_dir": str(tmp_path / "norun")}})))
    script = tmp_path / "jobcenter-orange.sh"
    script.write_text(next(a.content for a in adapter.render()
                           if a.path.endswith("jobcenter-orange.sh")))
    res = subprocess.run(["dash", str(script), verb], capture_output=True, text=True,
                         timeout=20, cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert "nothing of the site runs on this node" in res.stderr
