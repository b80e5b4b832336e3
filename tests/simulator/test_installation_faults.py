"""Faults of the emulated JobCenter installation (docs/simulator.md "Faults"), switched by
``$JCCLUSTER_SIM_FAULTS`` or by the same variable in ``PREFIX/simulator.env``.

Expected behaviour comes from the manual, not from the emulation:

- ``cjcpw -stop SITE`` that fails: the manual's only word on cjcpw errors is that they go to
  stderr (§2.10.5 "エラーの確認": cjcpw はエラーを検出した場合、標準エラー出力にその情報を出力します);
  the fault's contract (exit 1, a line on stderr, nothing stopped, also when the site is down)
  is this project's, for the failure drill (issue 20);
- a daemon that does not start: ``cjcpw`` waits for every watched process (§2.10.4) and fails;
- maintenance mode (§2.10.5 "maintenance オプション"): ``maintenance=ON`` in daemon.conf →
  "cjcpw プロセスのみを起動し、JobCenter のデーモンを起動しない" (only cjcpw runs, no daemon),
  and ``cjcls`` shows ``SHUT`` for a site whose nqsdaemon does not run (§2.10.5 cjcls);
- a double-forking job (§4.13: processes a job starts in the background, e.g. with ``nqsbg``,
  are not ended by JobCenter's stop; "fuser -k 等" is the administrator's business).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from jobcenter_cluster.simulator import jobcenter as emu
from jobcenter_cluster.simulator.install import install
from support.jobcenter import Installation
from support.sites import poll_for

pytestmark = pytest.mark.timeout(90)

WATCHED = emu.WATCHED


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:][:1] not in b"ZX"


def _site_procs(site: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                env = fh.read()
        except OSError:
            continue
        if f"NQS_SITE={site}\0".encode() in env and _alive(int(entry)):
            out.append(int(entry))
    return out


def _cjcls_row(jc: Installation) -> list[str]:
    rows = [line.split() for line in jc.run("cjcls").stdout.splitlines()]
    return next(r for r in rows if r and r[0] == jc.site)


def _up(jc: Installation) -> dict[str, int]:
    res = jc.run("cjcpw", "-c", jc.site, jc.db)
    assert res.returncode == 0, res.stderr
    return {role: jc.pid(role) for role in WATCHED}


# --- cjcpw-stop=fail ---------------------------------------------------------------------------


def test_cjcpw_stop_fail_exits_1_and_leaves_the_running_site_running(jobcenter: Installation):
    jobcenter.mksite()
    pids = _up(jobcenter)
    res = jobcenter.run("cjcpw", "-stop", jobcenter.site,
                        env={"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"})
    assert res.returncode == 1
    assert "cjcpw-stop=fail" in res.stderr and jobcenter.site in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert all(_alive(pid) for pid in pids.values()), "the failing stop stopped something"
    assert _cjcls_row(jobcenter)[1] == str(pids["nqsdaemon"])
    # without the fault the same stop works
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0
    assert _site_procs(jobcenter.site) == []


def test_cjcpw_stop_fail_does_not_end_a_foreground_cjcpw(jobcenter: Installation, reaper):
    jobcenter.mksite()
    proc = reaper.popen([jobcenter.path("cjcpw"), jobcenter.site, jobcenter.db],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env=jobcenter.full_env())
    poll_for(lambda: len(_site_procs(jobcenter.site)) >= len(WATCHED), timeout=30,
             what="daemons up")
    res = jobcenter.run("cjcpw", "-stop", jobcenter.site,
                        env={"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"})
    assert res.returncode == 1
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=1.0)  # the watcher was not told to stop: it still watches
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0
    assert proc.wait(timeout=20) == 0


def test_cjcpw_stop_fail_exits_1_when_the_site_is_down(jobcenter: Installation):
    jobcenter.mksite()
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0  # down: 0
    res = jobcenter.run("cjcpw", "-stop", jobcenter.site,
                        env={"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"})
    assert res.returncode == 1 and "cjcpw-stop=fail" in res.stderr


def test_cjcpw_stop_fail_from_simulator_env_with_an_empty_environment(tmp_path, reaper):
    """Cluster products may run the stop script with no environment: the fault is baked into
    PREFIX/simulator.env (``JCCLUSTER_SIM_FAULTS=cjcpw-stop=fail``)."""
    from support.sites import unique_site

    site, address = unique_site()
    reaper.site(site)
    jc = Installation.make(str(tmp_path), site, address)
    install(jc.prefix, defaults={"JCCLUSTER_ROOT": jc.root, "JCCLUSTER_HOSTS": jc.hosts,
                                 "JCCLUSTER_SIM_STOP_SECONDS": "0.1",
                                 "JCCLUSTER_SIM_FAULTS": "cjcpw-stop=fail"})
    with open(os.path.join(jc.prefix, "simulator.env"), encoding="utf-8") as fh:
        assert "JCCLUSTER_SIM_FAULTS=cjcpw-stop=fail\n" in fh.read()

    def bare(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), capture_output=True, text=True, env={}, timeout=60)

    assert bare(jc.path("cjcmksite"), site, "7", jc.db).returncode == 0
    assert bare(jc.path("cjcpw"), "-c", site, jc.db).returncode == 0
    nqsdaemon = jc.pid("nqsdaemon")
    res = bare(jc.path("cjcpw"), "-stop", site)
    assert res.returncode == 1 and "cjcpw-stop=fail" in res.stderr
    assert _alive(nqsdaemon)
    # the caller's environment wins over simulator.env: an empty value switches it off
    ok = subprocess.run([jc.path("cjcpw"), "-stop", site], capture_output=True, text=True,
                        env={"JCCLUSTER_SIM_FAULTS": ""}, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert _site_procs(site) == []


def test_unknown_fault_names_change_nothing(jobcenter: Installation):
    jobcenter.mksite()
    _up(jobcenter)
    res = jobcenter.run("cjcpw", "-stop", jobcenter.site,
                        env={"JCCLUSTER_SIM_FAULTS": "cjcpw-stop=sometimes,cjcpw-stopx=fail"})
    assert res.returncode == 0, res.stderr
    assert _site_procs(jobcenter.site) == []


# --- a daemon that will not start --------------------------------------------------------------


@pytest.mark.parametrize("how", ["env", "simulator.env"])
def test_a_daemon_that_will_not_start_fails_a_foreground_cjcpw(jobcenter: Installation,
                                                               reaper, how):
    jobcenter.mksite()
    env = {"JCCLUSTER_SIM_START_SECONDS": "2"}
    if how == "env":
        env["JCCLUSTER_SIM_FAULTS"] = "jnwengine-trkrdr=no-start"
    else:
        install(jobcenter.prefix, defaults={"JCCLUSTER_ROOT": jobcenter.root,
                                            "JCCLUSTER_HOSTS": jobcenter.hosts,
                                            "JCCLUSTER_SIM_FAULTS": "jnwengine-trkrdr=no-start"})
    t0 = time.monotonic()
    proc = reaper.popen([jobcenter.path("cjcpw"), jobcenter.site, jobcenter.db],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env=jobcenter.full_env(**env))
    assert proc.wait(timeout=30) == 1
    assert time.monotonic() - t0 < 20
    err = proc.stderr.read()
    assert "jnwengine-trkrdr did not start" in err, err
    assert "netdaemon" not in err  # only the missing one is named
    assert _cjcls_row(jobcenter)[1] == str(jobcenter.pid("nqsdaemon"))  # a partial site
    # the rest of the site runs: -stop clears it
    assert _site_procs(jobcenter.site)
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0
    assert _site_procs(jobcenter.site) == []


# --- maintenance mode (manual §2.10.5) ---------------------------------------------------------


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


@pytest.mark.parametrize("where", ["site", "common", "common-mixed-case"])
def test_maintenance_on_cjcpw_runs_without_daemons_and_cjcls_says_shut(
        jobcenter: Installation, reaper, where):
    jobcenter.mksite()
    if where == "site":
        _write(os.path.join(jobcenter.db, "etc", "daemon.conf"), "# site\nmaintenance=ON\n")
    else:
        line = "maintenance=ON\n" if where == "common" else "Maintenance = on  # comment\n"
        _write(os.environ["JCCLUSTER_DAEMON_CONF"], line)
    proc = reaper.popen([jobcenter.path("cjcpw"), jobcenter.site, jobcenter.db],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env=jobcenter.full_env())
    poll_for(lambda: os.path.exists(os.path.join(jobcenter.db, "nqs", "sim", "cjcpw.pid")),
             timeout=20, what="cjcpw up")
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=1.0)  # "cjcpw プロセスのみを起動": cjcpw stays up
    assert _site_procs(jobcenter.site) == []  # "デーモンを起動しない": no daemon
    assert _cjcls_row(jobcenter)[1] == "SHUT"
    # -c returns at once with success, no daemon either
    res = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db)
    assert res.returncode == 0 and "maintenance=ON" in res.stderr
    assert _site_procs(jobcenter.site) == []
    stop = jobcenter.run("cjcpw", "-stop", jobcenter.site)
    assert stop.returncode == 0, stop.stderr
    assert proc.wait(timeout=10) == 0


def test_maintenance_off_in_the_site_file_wins_over_the_common_file(jobcenter: Installation):
    jobcenter.mksite()
    _write(os.environ["JCCLUSTER_DAEMON_CONF"], "maintenance=ON\n")
    _write(os.path.join(jobcenter.db, "etc", "daemon.conf"), "maintenance=OFF\n")
    pids = _up(jobcenter)
    assert _cjcls_row(jobcenter)[1] == str(pids["nqsdaemon"])
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0


def test_maintenance_daemon_conf_that_is_a_fifo_does_not_hang_cjcpw(jobcenter: Installation):
    jobcenter.mksite()
    os.makedirs(os.path.join(jobcenter.db, "etc"))
    os.mkfifo(os.path.join(jobcenter.db, "etc", "daemon.conf"))
    res = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db, timeout=30)
    assert res.returncode == 0, res.stderr
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0


# --- a double-forking job ----------------------------------------------------------------------


def _job(jc: Installation, role: str) -> int:
    path = os.path.join(jc.db, "nqs", "sim", f"{role}-job.pid")
    return int(poll_for(lambda: os.path.exists(path) and open(path).read().strip(),
                        timeout=20, what=path))


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        data = fh.read()
    return int(data[data.rfind(b")") + 2:].split()[1])


@pytest.mark.parametrize("fault, cwd_in_db", [("double-fork", True),
                                              ("double-fork=detach", False)])
def test_double_fork_leaves_a_job_outside_the_daemon_tree(jobcenter: Installation, reaper,
                                                          fault, cwd_in_db):
    jobcenter.mksite()
    res = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db,
                        env={"JCCLUSTER_SIM_FAULTS": f"jnwengine={fault}"})
    assert res.returncode == 0, res.stderr
    job = _job(jobcenter, "jnwengine")
    reaper.track(job)
    daemons = {jobcenter.pid(r) for r in WATCHED}
    assert _ppid(job) not in daemons | {jobcenter.pid("jnwengine")}
    with open(f"/proc/{job}/cmdline", "rb") as fh:
        assert fh.read().split(b"\0")[0] == b"jobcenter-sim-job"
    with open(f"/proc/{job}/environ", "rb") as fh:
        assert f"NQS_SITE={jobcenter.site}\0".encode() in fh.read()
    cwd = os.readlink(f"/proc/{job}/cwd")
    assert cwd.startswith(os.path.realpath(jobcenter.db)) is cwd_in_db, cwd
    # §4.13: JobCenter's own stop does not end what a job left in the background
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0
    assert all(not _alive(p) for p in daemons)
    assert _alive(job)
    os.kill(job, signal.SIGTERM)  # it keeps the default SIGTERM action
    poll_for(lambda: not _alive(job), timeout=10, what="job ended by SIGTERM")


def test_engine_and_emulated_cjcpw_read_maintenance_alike(jobcenter: Installation):
    """The same daemon.conf puts both supervisors in maintenance: the engine's start answers
    success with no daemon (status MAINTENANCE), as the emulated cjcpw does (§2.10.5)."""
    from jobcenter_cluster.engine import api
    from jobcenter_cluster.outcome import Outcome

    jobcenter.mksite()
    _write(os.path.join(jobcenter.db, "etc", "daemon.conf"), "MAINTENANCE=on\n")
    res = api.start(jobcenter.site, jobcenter.db, product="jobcenter-linux", mode="no-watch")
    assert res.outcome == Outcome.SUCCESS and res.details.get("maintenance"), res
    assert api.status(jobcenter.site, product="jobcenter-linux").outcome == Outcome.MAINTENANCE
    assert _site_procs(jobcenter.site) == []
    assert _cjcls_row(jobcenter)[1] == "SHUT"
    assert api.stop(jobcenter.site, product="jobcenter-linux").outcome == Outcome.SUCCESS
    cj = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db)
    assert cj.returncode == 0 and "maintenance=ON" in cj.stderr
    assert _site_procs(jobcenter.site) == []


def test_engine_stop_verifies_instead_of_trusting_a_failing_cjcpw_stop(jobcenter: Installation,
                                                                       monkeypatch):
    """With ``cjcpw-stop=fail`` the engine's stop (supervisor "jccluster") still ends the site:
    it terminates what is left and answers from what it verified, not from cjcpw's status."""
    from jobcenter_cluster.engine import api
    from jobcenter_cluster.outcome import Outcome

    jobcenter.mksite()
    assert api.start(jobcenter.site, jobcenter.db, product="jobcenter-linux",
                     mode="no-watch").ok
    assert len(_site_procs(jobcenter.site)) >= len(WATCHED)
    monkeypatch.setenv("JCCLUSTER_SIM_FAULTS", "cjcpw-stop=fail")
    res = api.stop(jobcenter.site, product="jobcenter-linux", timeout=5)
    assert res.outcome == Outcome.SUCCESS, res
    assert _site_procs(jobcenter.site) == []
