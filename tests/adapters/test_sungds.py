"""The sungds adapter (Oracle Solaris Cluster / Sun Cluster 3.x, SUNW.gds).

Every rendered shell artifact is run under dash, bash, ksh93, mksh and busybox sh with recording
stubs for the Sun Cluster commands, JobCenter's commands and ``jccluster``; the recorded calls and
their order are asserted, including the branches that must do nothing and the failure branches.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jobcenter_cluster import agent
from jobcenter_cluster.adapter import stop_seconds
from jobcenter_cluster.adapters.sungds.adapter import SunGdsAdapter, min_stop_timeout
from jobcenter_cluster.checks import SourceFile
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_cluster, example_data, merge_data, parse_cluster
from jobcenter_cluster.outcome import Outcome
from support.checking import rendered_files, rule_ids
from support.jobcenter_cmds import Emulated, emulated_at
from support.shells import posix_shells, run_script, shell_argv, shellcheck
from support.sites import poll_for, unique_site
from support.stubs import Recorder, set_sub, sub_stub

SHELLS = posix_shells()
SITE = "orange.example.com"

# GDS probe statuses (Sun Cluster Data Services Developer's Guide, "Probe_command Property",
# docs.oracle.com/cd/E19263-01/817-4227/gds-15): 0 the application is OK; up to 100 complete
# failure (GDS restarts it or fails it over, scds_fm_action(3HA)); 201 immediate failover.
PROBE_OK, PROBE_FAILED, PROBE_FAILOVER = 0, 100, 201

# A stub whose exit status and output can be set per sub-command (its first argument), so that
# "clresource show" and "clresource create" answer differently. Same log format as Recorder's.
class Env:
    """A rendered site with stubs: ``run(script, *args)`` runs one artifact under a shell."""

    def __init__(self, tmp: Path, supervisor: str, overrides: dict[str, Any] | None = None):
        self.tmp = tmp
        self.rec = Recorder(tmp / "rec")
        self.prefix = tmp / "nqs"
        self.db = tmp / "db"
        data = {"cluster": {"supervisor": supervisor, "install_prefix": str(self.prefix),
                            "jccluster": str(tmp / "bin" / "jccluster")},
                "site": [{"database": str(self.db)}],
                # the scripts set a fixed PATH: the tests' one holds the stub directory
                "sungds": {"script_path": f"{self.rec.bin}:/usr/bin:/bin"}}
        self.cluster = example_cluster(merge_data(data, overrides or {}))
        self.adapter = SunGdsAdapter(self.cluster)
        self.out = tmp / "out"
        for art in self.adapter.render():
            path = self.out / art.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(art.content)
            path.chmod(art.mode)
        for name in ("cluster/cjcpw", "nqsportkpr", "cluster/cjcls"):
            sub_stub(self.rec, self.prefix / name)
        sub_stub(self.rec, tmp / "bin" / "jccluster")
        for name in ("clresourcetype", "clresourcegroup", "clreslogicalhostname", "clresource",
                     "scrgadm", "scswitch", "fuser", "df", "logger"):
            sub_stub(self.rec, name)

    def path(self, name: str) -> Path:
        return self.out / "orange" / name

    def run(self, shell: str, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        self.rec.clear()
        return run_script(shell, self.path(name), *args, env={"PATH": self.rec.path_env()})

    def calls(self) -> list[list[str]]:
        return [c for c in self.rec.commands() if c[0] != "logger"]


@pytest.fixture(params=["jccluster", "cjcpw"])
def supervisor(request: pytest.FixtureRequest) -> str:
    return request.param


def findings(files: list[SourceFile], cluster=None, adapter=None) -> list[str]:
    return rule_ids(SunGdsAdapter, files, cluster, adapter)


# --------------------------------------------------------------------------- rendering


def test_example_renders_without_options_and_passes_its_rules() -> None:
    adapter = SunGdsAdapter(example_cluster(SunGdsAdapter.example_overrides()))
    arts = adapter.render()
    assert sorted(a.path for a in arts) == sorted(
        p.format(site="orange") for p in SunGdsAdapter.artifacts)
    assert findings(rendered_files(adapter), adapter.cluster, adapter) == []
    reg = next(a for a in arts if a.path == "orange/register.sh").content
    for needle in ("clresourcetype register", "clresourcegroup create -n spencer,matto jc-orange-rg",
                   "-h orange.example.com -N sc_ipmp0@spencer,sc_ipmp0@matto jc-orange-lh",
                   "-p FilesystemMountPoints=/mnt/jobdb", "-p Port_list=607/tcp",
                   "-p Resource_dependencies=jc-orange-lh,jc-orange-hasp",
                   "-p Network_resources_used=jc-orange-lh", "-p Child_mon_level=0",
                   "clresourcegroup online -eM jc-orange-rg"):
        assert needle in reg


def test_stop_timeout_is_derived_from_the_engine_deadline(supervisor: str, tmp_path: Path) -> None:
    env = Env(tmp_path, supervisor)
    t = env.adapter.timeouts()
    assert t["stop_seconds"] == stop_seconds(env.cluster) >= 120
    # GDS's default (300) at least; 80 % of it covers the stop and a 60 s clean-up (fuser -ck)
    assert t["stop"] >= 300 and t["stop"] * 0.8 >= t["stop_seconds"] + 60
    assert f"-p Stop_timeout={t['stop']}" in env.path("register.sh").read_text()


@pytest.mark.parametrize("name", ["register.sh", "register-scrgadm.sh", "start.sh", "stop.sh",
                                  "probe.sh"])
def test_shellcheck_clean(supervisor: str, name: str, tmp_path: Path) -> None:
    env = Env(tmp_path, supervisor, {"sungds": {"kill_leftovers": True}})
    proc = shellcheck(env.path(name), "sh")
    assert proc.returncode == 0, proc.stdout


# --------------------------------------------------------------------------- start.sh


# supervisor = "cjcpw": JobCenter's own commands are the emulated installation's
# (tests/support/jobcenter_cmds.py) under the rendered install_prefix -- nqsportkpr really holds
# the port, cjcpw really starts the site's daemons and stays in the foreground until cjcpw -stop
# (exit 1 when a daemon dies), cjcls prints the manual's table; only their calls are recorded.
# The Sun Cluster commands, df and fuser stay recording stubs.


@contextlib.contextmanager
def emulated(tmp_path: Path, reaper, overrides: dict[str, Any] | None = None,
             disk_size: str | None = None) -> Iterator[tuple[Env, Emulated]]:
    """The site rendered with supervisor cjcpw for the emulated installation's site."""
    name, address = unique_site()
    db = tmp_path / "jc" / "disk" / "jobdb"  # where emulated_at's cjcmksite builds it
    env = Env(tmp_path, "cjcpw", merge_data({"site": [{"name": name, "database": str(db)}]},
                                            overrides or {}))
    with emulated_at(tmp_path / "nqs", tmp_path / "jc", reaper, site=(name, address),
                     disk_size=disk_size) as jc:
        assert jc.db == str(db)
        yield env, jc


def artifact(env: Env, jc: Emulated, name: str) -> Path:
    return env.out / jc.short / name


def run_art(env: Env, jc: Emulated, shell: str, name: str, *args: str
            ) -> subprocess.CompletedProcess[str]:
    env.rec.clear()
    return run_script(shell, artifact(env, jc, name), *args, env={"PATH": env.rec.path_env()},
                      timeout=60)


def start_watcher(env: Env, jc: Emulated, shell: str, reaper) -> subprocess.Popen[str]:
    """start.sh as GDS runs it: it stays in the foreground as the watcher."""
    proc = reaper.popen([*shell_argv(shell), str(artifact(env, jc, "start.sh"))],
                        env={"PATH": env.rec.path_env()}, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    jc.wait_up()
    return proc


@pytest.mark.parametrize("shell", SHELLS)
def test_start_keeps_the_port_then_execs_the_watcher(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    proc = env.run(shell, "start.sh")
    assert proc.returncode == 0, proc.stderr
    assert env.calls() == [["jccluster", "agent", "sungds", "keep-port", SITE],
                           ["jccluster", "agent", "sungds", "start", SITE, str(env.db)]]
    assert all(c["cwd"] == "/" for c in env.rec.calls())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_start_with_cjcpw_keeps_the_port_then_becomes_the_watcher(shell: str, tmp_path: Path,
                                                                  reaper) -> None:
    """nqsportkpr first, then start.sh replaces itself with ``cjcpw SITE DB``: PMF watches the
    process GDS started (Child_mon_level=0), so it must be the watcher, and it must end when
    a daemon of the site dies (manual §4.12.5)."""
    with emulated(tmp_path, reaper) as (env, jc):
        proc = start_watcher(env, jc, shell, reaper)
        assert jc.calls() == [["nqsportkpr", jc.site], ["cjcpw", jc.site, jc.db]]
        assert jc.holders() == [], "the port holder outlived cjcpw's start"
        assert proc.poll() is None, proc.communicate()
        argv = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert f"{jc.prefix}/cluster/cjcpw".encode() in argv and jc.site.encode() in argv
        assert os.readlink(f"/proc/{proc.pid}/cwd") == "/"
        os.kill(jc.inst.pid("logdaemon"), signal.SIGKILL)
        assert proc.wait(timeout=30) == 1


@pytest.mark.parametrize("shell", SHELLS)
def test_start_stops_when_the_port_cannot_be_kept(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    env.rec.set_exit("jccluster", 1)
    proc = env.run(shell, "start.sh")
    assert proc.returncode == 1
    assert len(env.calls()) == 1 and "keep-port failed" in proc.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_start_with_cjcpw_stops_when_the_port_cannot_be_kept(shell: str, tmp_path: Path,
                                                             reaper) -> None:
    with emulated(tmp_path, reaper) as (env, jc):
        with jc.hold_port():  # something else holds the NQS port: nqsportkpr really fails
            proc = run_art(env, jc, shell, "start.sh")
        assert proc.returncode == 1
        assert jc.calls() == [["nqsportkpr", jc.site]] and "keep-port failed" in proc.stderr
        assert jc.daemon_pid() is None


# --------------------------------------------------------------------------- stop.sh


@pytest.mark.parametrize("shell", SHELLS)
def test_stop_stops_the_site(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    proc = env.run(shell, "stop.sh")
    assert proc.returncode == 0, proc.stderr
    # the engine's stop kills leftovers itself
    assert env.calls() == [["jccluster", "agent", "sungds", "stop", SITE]]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_stop_with_cjcpw_stops_the_site(shell: str, tmp_path: Path, reaper) -> None:
    with emulated(tmp_path, reaper) as (env, jc):
        watcher = start_watcher(env, jc, shell, reaper)
        jc.clear()
        proc = run_art(env, jc, shell, "stop.sh")
        assert proc.returncode == 0, proc.stderr
        assert jc.calls() == [["cjcpw", "-stop", jc.site]]
        # kill_leftovers defaults to on: df says the database is not a mount point here
        assert env.calls() == [["df", "-k", jc.db]]
        assert jc.running() == [], "the stop left daemons of the site running"
        assert watcher.wait(timeout=30) == 0  # cjcpw -stop ends the watcher with success


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_stop_kills_leftovers_on_the_mounted_disk_even_when_the_stop_failed(
        shell: str, tmp_path: Path, reaper) -> None:
    """A real failing ``cjcpw -stop``: the database's disk (a small tmpfs) is full, ENOSPC."""
    with emulated(tmp_path, reaper, disk_size="2m") as (env, jc):
        start_watcher(env, jc, shell, reaper)
        jc.fill_disk()
        jc.clear()
        env.rec.set_stdout("df", f"Filesystem kbytes used avail capacity Mounted on\n"
                                 f"/dev/dsk/c1t1d0s0 100 1 99 1% {jc.db}\n")
        proc = run_art(env, jc, shell, "stop.sh")
        # cjcpw -stop failed and the site still runs (cjcls lists its nqsdaemon): a failed stop
        assert proc.returncode == 1, proc.stderr
        assert "No space left on device" in proc.stderr and "stop failed (exit 1)" in proc.stderr
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]]
        assert env.calls() == [["df", "-k", jc.db], ["fuser", "-ck", jc.db]]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shell", SHELLS)
def test_stop_never_runs_fuser_on_an_unmounted_directory(shell: str, tmp_path: Path,
                                                         reaper) -> None:
    with emulated(tmp_path, reaper) as (env, jc):
        env.rec.set_stdout("df", "Filesystem kbytes used avail capacity Mounted on\n"
                                 "/dev/dsk/c0t0d0s0 100 1 99 1% /\n")
        proc = run_art(env, jc, shell, "stop.sh")  # the site is not running: cjcpw -stop: 0
        assert proc.returncode == 0, proc.stderr
        assert jc.calls() == [["cjcpw", "-stop", jc.site]]
        assert [c[0] for c in env.calls()] == ["df"]
        assert "nothing to kill" in proc.stderr


# --------------------------------------------------------------------------- probe.sh


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("listing", "code"), [
    ("SITE-NAME  DAEMON-PID  DB-PATH(LINK)\norange.example.com 1320 /db\n   (/usr/spool/nqs/X)\n",
     PROBE_OK),
    ("SITE-NAME  DAEMON-PID  DB-PATH(LINK)\nORANGE 1320 /db\n", PROBE_OK),
    ("SITE-NAME  DAEMON-PID  DB-PATH(LINK)\norange.example.com SHUT /db\n", PROBE_FAILED),
    ("SITE-NAME  DAEMON-PID  DB-PATH(LINK)\nlemon.example.com 77 /db2\n", PROBE_FAILED),
    ("", PROBE_FAILED),
])
def test_probe_with_cjcpw_reads_cjcls(shell: str, listing: str, code: int, tmp_path: Path) -> None:
    """cjcls listings the emulated cjcls never prints (it lists the official name as
    cjcmksite recorded it, and always succeeds): a stub cjcls answers here; the probe against
    the emulated installation is the next test."""
    env = Env(tmp_path, "cjcpw")
    (env.db / "nqs").mkdir(parents=True)
    env.rec.set_stdout("cjcls", listing)
    with _watcher(env):
        proc = env.run(shell, "probe.sh")
    assert proc.returncode == code, proc.stderr
    assert env.calls() == [["cjcls"]]


@contextlib.contextmanager
def _watcher(env: Env) -> Iterator[None]:
    """A live process that looks like the watcher start.sh execs (``cjcpw SITE DBPATH``)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                             str(env.prefix / "cluster" / "cjcpw"), "orange.example.com",
                             str(env.db)])
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_probe_with_cjcpw_against_the_emulated_site(shell: str, tmp_path: Path, reaper) -> None:
    with emulated(tmp_path, reaper) as (env, jc):
        assert run_art(env, jc, shell, "probe.sh").returncode == PROBE_FAILED  # cjcls: SHUT
        watcher = start_watcher(env, jc, shell, reaper)
        proc = run_art(env, jc, shell, "probe.sh")
        assert proc.returncode == PROBE_OK, proc.stderr
        os.kill(jc.inst.pid("nqsdaemon"), signal.SIGKILL)  # cjcls: SHUT, the watcher exits
        assert watcher.wait(timeout=30) == 1
        proc = run_art(env, jc, shell, "probe.sh")
        assert proc.returncode == PROBE_FAILED
        assert "nqsdaemon is not running" in proc.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_probe_with_cjcpw_fails_when_the_watcher_is_gone(shell: str, tmp_path: Path,
                                                         reaper) -> None:
    """cjcls lists nqsdaemon alone; another daemon's death ends cjcpw (manual §4.12.5): a probe
    that saw only cjcls would answer healthy until PMF noticed. Here the daemons run (``cjcpw
    -c``) but no watcher does."""
    with emulated(tmp_path, reaper) as (env, jc):
        res = jc.run("cjcpw", "-c", jc.site, jc.db)
        assert res.returncode == 0, res.stderr
        assert jc.daemon_pid() is not None
        proc = run_art(env, jc, shell, "probe.sh")
        assert proc.returncode == PROBE_FAILED
        assert "the cjcpw watcher of the site is gone" in proc.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_probe_with_cjcpw_fails_over_when_the_database_is_gone(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "cjcpw")
    proc = env.run(shell, "probe.sh")
    assert proc.returncode == PROBE_FAILOVER
    assert env.calls() == []


@pytest.mark.parametrize("shell", SHELLS)
def test_probe_fails_over_when_jobcenter_is_not_installed(shell: str, supervisor: str,
                                                          tmp_path: Path) -> None:
    env = Env(tmp_path, supervisor)
    (env.db / "nqs").mkdir(parents=True)
    os.unlink(env.prefix / "cluster" / "cjcls")
    os.unlink(tmp_path / "bin" / "jccluster")
    proc = env.run(shell, "probe.sh")
    assert proc.returncode == PROBE_FAILOVER
    assert env.calls() == []


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("code", [PROBE_OK, PROBE_FAILED, PROBE_FAILOVER])
def test_probe_with_jccluster_execs_the_agent(shell: str, code: int, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    env.rec.set_exit("jccluster", code)
    proc = env.run(shell, "probe.sh")
    assert proc.returncode == code
    assert env.calls() == [["jccluster", "agent", "sungds", "probe", SITE, str(env.db)]]


# --------------------------------------------------------------------------- registration


PREPARE_32 = [
    ["clresourcetype", "show", "SUNW.HAStoragePlus"],
    ["clresourcetype", "register", "SUNW.HAStoragePlus"],
    ["clresourcetype", "show", "SUNW.gds"],
    ["clresourcetype", "register", "SUNW.gds"],
    ["clresourcegroup", "show", "jc-orange-rg"],
    ["clresourcegroup", "create", "-n", "spencer,matto", "jc-orange-rg"],
    ["clresource", "show", "jc-orange-lh"],
    ["clreslogicalhostname", "create", "-g", "jc-orange-rg", "-h", SITE, "-N",
     "sc_ipmp0@spencer,sc_ipmp0@matto", "jc-orange-lh"],
    ["clresource", "show", "jc-orange-hasp"],
    ["clresource", "create", "-g", "jc-orange-rg", "-t", "SUNW.HAStoragePlus", "-p",
     "FilesystemMountPoints={db}", "-p", "AffinityOn=TRUE", "jc-orange-hasp"],
    ["clresourcegroup", "online", "-eM", "jc-orange-rg"],
]


def _fmt(calls: list[list[str]], **kw: str) -> list[list[str]]:
    return [[a.format(**kw) for a in c] for c in calls]


@pytest.mark.parametrize("shell", SHELLS)
def test_register_prepare_creates_everything_in_order(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    for cmd in ("clresourcetype", "clresourcegroup", "clresource"):
        set_sub(env.rec, cmd, "show", exit_code=1)
    proc = env.run(shell, "register.sh", "prepare")
    assert proc.returncode == 0, proc.stderr
    assert env.calls() == _fmt(PREPARE_32, db=str(env.db))


@pytest.mark.parametrize("shell", SHELLS)
def test_register_prepare_skips_what_exists(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    proc = env.run(shell, "register.sh", "prepare")
    assert proc.returncode == 0, proc.stderr
    assert env.calls() == [c for c in _fmt(PREPARE_32, db=str(env.db))
                           if c[1] in ("show", "online")]


@pytest.mark.parametrize("shell", SHELLS)
def test_register_stops_at_the_first_failure(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    for cmd in ("clresourcetype", "clresourcegroup", "clresource"):
        set_sub(env.rec, cmd, "show", exit_code=1)
    set_sub(env.rec, "clresourcegroup", "create", exit_code=5)
    proc = env.run(shell, "register.sh", "prepare")
    assert proc.returncode == 5
    assert env.calls()[-1][:2] == ["clresourcegroup", "create"]
    assert "failed (exit 5): clresourcegroup create" in proc.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_register_service_creates_the_gds_resource(shell: str, supervisor: str,
                                                   tmp_path: Path) -> None:
    env = Env(tmp_path, supervisor)
    set_sub(env.rec, "clresource", "show", exit_code=1)
    proc = env.run(shell, "register.sh", "service")
    assert proc.returncode == 0, proc.stderr
    calls = env.calls()
    assert calls[0] == ["clresource", "show", "jc-orange-gds"]
    assert calls[-1] == ["clresourcegroup", "online", "-eM", "jc-orange-rg"]
    create = calls[1]
    assert create[:6] == ["clresource", "create", "-g", "jc-orange-rg", "-t", "SUNW.gds"]
    assert create[-1] == "jc-orange-gds"
    props = dict(a.split("=", 1) for a in create[7:-1:2])
    d = "/opt/jobcenter-cluster/sungds/orange"
    # Stop_timeout: GDS's default, 300 s, covers either supervisor's 120 s stop plus the 60 s
    # clean-up within the 80 % GDS leaves to Stop_command ((120 + 60) / 0.8 = 225 <= 300)
    assert props == {
        "Scalable": "false", "Start_command": f"{d}/start.sh", "Stop_command": f"{d}/stop.sh",
        "Probe_command": f"{d}/probe.sh", "Port_list": "607/tcp",
        "Resource_dependencies": "jc-orange-lh,jc-orange-hasp",
        "Network_resources_used": "jc-orange-lh", "Child_mon_level": "0",
        "Start_timeout": "300", "Stop_timeout": "300", "Probe_timeout": "30",
        "Thorough_probe_interval": "60", "Retry_count": "2", "Retry_interval": "370",
        "Failover_mode": "SOFT"}
    assert len(calls) == 3


@pytest.mark.parametrize("shell", SHELLS)
def test_register_without_a_step_does_nothing(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster")
    for name in ("register.sh", "register-scrgadm.sh"):
        proc = env.run(shell, name)
        assert proc.returncode == 2 and "usage" in proc.stderr
        assert env.calls() == []


@pytest.mark.parametrize("shell", SHELLS)
def test_register_scrgadm_for_sun_cluster_3_0_and_3_1(shell: str, tmp_path: Path) -> None:
    env = Env(tmp_path, "cjcpw", {"sungds": {"probe": False, "ipmp_group": "nafo0"}})
    set_sub(env.rec, "scrgadm", "-p", exit_code=1)
    proc = env.run(shell, "register-scrgadm.sh", "prepare")
    assert proc.returncode == 0, proc.stderr
    db = str(env.db)
    assert env.calls() == [
        ["scrgadm", "-p", "-t", "SUNW.HAStoragePlus"], ["scrgadm", "-a", "-t", "SUNW.HAStoragePlus"],
        ["scrgadm", "-p", "-t", "SUNW.gds"], ["scrgadm", "-a", "-t", "SUNW.gds"],
        ["scrgadm", "-p", "-g", "jc-orange-rg"],
        ["scrgadm", "-a", "-g", "jc-orange-rg", "-h", "spencer,matto"],
        ["scrgadm", "-p", "-j", "jc-orange-lh"],
        ["scrgadm", "-a", "-L", "-g", "jc-orange-rg", "-j", "jc-orange-lh", "-l", SITE, "-n",
         "nafo0@spencer,nafo0@matto"],
        ["scrgadm", "-p", "-j", "jc-orange-hasp"],
        ["scrgadm", "-a", "-j", "jc-orange-hasp", "-g", "jc-orange-rg", "-t",
         "SUNW.HAStoragePlus", "-x", f"FilesystemMountPoints={db}", "-x", "AffinityOn=TRUE"],
        ["scswitch", "-Z", "-g", "jc-orange-rg"],
    ]
    proc = env.run(shell, "register-scrgadm.sh", "service")
    assert proc.returncode == 0, proc.stderr
    calls = env.calls()
    assert calls[0] == ["scrgadm", "-p", "-j", "jc-orange-gds"]
    create = calls[1]
    assert create[:7] == ["scrgadm", "-a", "-j", "jc-orange-gds", "-g", "jc-orange-rg", "-t"]
    pairs = list(zip(create[8::2], create[9::2], strict=True))
    assert ("-y", "Resource_dependencies=jc-orange-lh,jc-orange-hasp") in pairs
    assert ("-y", "Network_resources_used=jc-orange-lh") in pairs
    assert ("-x", "Child_mon_level=0") in pairs and ("-y", "Port_list=607/tcp") in pairs
    assert not any(v.startswith("Probe_command") for _f, v in pairs)  # probe = false
    assert calls[2:] == [["scswitch", "-Z", "-g", "jc-orange-rg"]]


# --------------------------------------------------------------------------- rules


def _broken(tmp_path: Path, name: str, old: str, new: str, supervisor: str = "jccluster",
            count: int = 1) -> list[str]:
    env = Env(tmp_path, supervisor)
    files = rendered_files(env.adapter)
    assert findings(files, env.cluster, env.adapter) == []
    out = []
    for f in files:
        if f.path.endswith("/" + name):
            assert old in f.text, old
            f = SourceFile(f.path, f.text.replace(old, new, count), f.language, f.site)
        out.append(f)
    return findings(out, env.cluster, env.adapter)


@pytest.mark.parametrize(("rule", "name", "old", "new"), [
    ("GDS-DEPENDENCIES", "register.sh", "Resource_dependencies=jc-orange-lh,jc-orange-hasp",
     "Resource_dependencies=jc-orange-lh"),
    ("GDS-DEPENDENCIES", "register-scrgadm.sh",
     "Resource_dependencies=jc-orange-lh,jc-orange-hasp", "Resource_dependencies=jc-orange-hasp"),
    ("GDS-NETWORK-RESOURCES", "register.sh", "-p Network_resources_used=jc-orange-lh \\\n", ""),
    ("GDS-PORT-LIST", "register.sh", "Port_list=607/tcp", "Port_list=611/tcp"),
    ("GDS-CHILD-MON-LEVEL", "register.sh", "-p Child_mon_level=0", "-p Child_mon_level=-1"),
    ("GDS-STOP-TIMEOUT", "register-scrgadm.sh", "Stop_timeout=300", "Stop_timeout=120"),
    # 80 % of 250 covers the 120 s stop, but not its clean-up margin, and GDS's default is 300
    ("GDS-STOP-TIMEOUT", "register.sh", "Stop_timeout=300", "Stop_timeout=250"),
    ("GDS-FAILOVER-MODE", "register.sh", "-p Failover_mode=SOFT", "-p Failover_enabled=TRUE"),
    ("GDS-FAILOVER-MODE", "register-scrgadm.sh", "-y Failover_mode=SOFT",
     "-x Failover_enabled=FALSE"),
    ("CORE-FIXED-PATH", "start.sh", "\nexport PATH\n", ":$PATH\nexport PATH\n"),
    ("CORE-FIXED-PATH", "register.sh", "# Fixed PATH", "logger x\n# Fixed PATH"),
    ("GDS-ABSOLUTE-COMMAND", "register.sh", "Stop_command=/opt/jobcenter-cluster/sungds/orange/",
     "Stop_command="),
    ("GDS-PORTKEEPER-FIRST", "start.sh", "# Hold the NQS port",
     "/usr/bin/true\n# Hold the NQS port"),
    ("GDS-WATCHER-FOREGROUND", "start.sh", "exec /", "/"),
    ("GDS-STOP-COMMAND", "stop.sh", "agent sungds stop", "agent sungds status"),
    ("GDS-PROBE-EXIT", "probe.sh", "exit 201", "exit 1"),
])
def test_each_rule_catches_a_broken_artifact(rule: str, name: str, old: str, new: str,
                                             tmp_path: Path) -> None:
    assert rule in _broken(tmp_path, name, old, new)


def test_watcher_rule_catches_c_and_background(tmp_path: Path) -> None:
    args = (tmp_path, "start.sh")
    assert "GDS-WATCHER-FOREGROUND" in _broken(
        *args, "cjcpw orange.example.com", "cjcpw -c orange.example.com", supervisor="cjcpw")
    assert "GDS-WATCHER-FOREGROUND" in _broken(tmp_path / "b", "start.sh", "/db\n", "/db &\n",
                                               supervisor="cjcpw")


def test_every_rule_has_a_test() -> None:
    tested = {"GDS-DEPENDENCIES", "GDS-NETWORK-RESOURCES", "GDS-PORT-LIST", "GDS-CHILD-MON-LEVEL",
              "GDS-STOP-TIMEOUT", "GDS-ABSOLUTE-COMMAND", "GDS-PORTKEEPER-FIRST",
              "GDS-WATCHER-FOREGROUND", "GDS-STOP-COMMAND", "GDS-PROBE-EXIT",
              "GDS-FAILOVER-MODE", "GDS-PROBE-MAINTENANCE",
              # issue 20: tests/adapters/test_regressions_sungds.py
              "GDS-STOP-VERIFY", "GDS-PROBE-BOUNDED"}
    assert {r.id for r in SunGdsAdapter.rules()} == tested


def test_rules_work_on_a_directory_without_cluster_file(tmp_path: Path) -> None:
    env = Env(tmp_path, "cjcpw")
    from jobcenter_cluster.checks import run_checks

    found = run_checks(SunGdsAdapter, directory=str(env.out))
    assert [f.as_dict() for f in found] == []


# --------------------------------------------------------------------------- exit table


EXPECTED_PROBE = {
    Outcome.RUNNING: 0, Outcome.MAINTENANCE: 0, Outcome.STOPPED: 100, Outcome.FAILED: 100,
    Outcome.INVALID: 100, Outcome.UNRECOVERABLE: 201, Outcome.NOT_INSTALLED: 201,
}


def test_probe_exit_table_uses_gds_probe_statuses_only() -> None:
    table = {o: c for a, o, c in SunGdsAdapter.spec.exit_table() if a == "probe"}
    assert table == EXPECTED_PROBE
    for action, outcome, code in SunGdsAdapter.spec.exit_table():
        if action != "probe":
            assert code == (0 if outcome == Outcome.SUCCESS else 1), (action, outcome)


@pytest.mark.parametrize(("outcome", "code"), sorted(EXPECTED_PROBE.items()))
def test_agent_probe_answers_in_gds_codes(outcome: Outcome, code: int, capsys, monkeypatch) -> None:
    from jobcenter_cluster.engine import api

    seen: dict[str, Any] = {}

    def fake_status(site: str, **kw: Any) -> types.SimpleNamespace:
        seen.update(site=site, **kw)
        return types.SimpleNamespace(outcome=outcome, message=f"it is {outcome}")

    monkeypatch.setattr(api, "status", fake_status)
    assert agent.main(["sungds", "probe", SITE, "/mnt/jobdb", "--root", "/tmp/x"]) == code
    assert seen == {"site": SITE, "database": "/mnt/jobdb", "root": "/tmp/x", "product": None}


def test_agent_unknown_action_is_not_a_probe_status(capsys) -> None:
    assert agent.main(["sungds", "monitor", SITE]) == 1
    assert "use one of: start, stop, probe" in capsys.readouterr().err


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("change", "field"), [
    ({"cluster": {"product": "jobcenter-windows"}, "site": [{"database": "Q:\\jobdb"}]},
     "cluster.product"),
    ({"site": [{"monitor": False}]}, "site[0].monitor"),
    ({"site": [{"sungds": {"resource_group": "1rg"}}]}, "site[0].sungds.resource_group"),
    ({"site": [{"sungds": {"gds_resource": "jc gds"}}]}, "site[0].sungds.gds_resource"),
    ({"site": [{"sungds": {"lh_resource": "jc-orange-rg"}}]}, "site[0].sungds.lh_resource"),
    ({"site": [{"sungds": {"mount_point": "/srv"}}]}, "site[0].sungds.mount_point"),
    ({"site": [{"sungds": {"mount_point": "/mnt,x"}}]}, "site[0].sungds.mount_point"),
    ({"site": [{"sungds": {"netiflist": ["sc_ipmp0"]}}]}, "site[0].sungds.netiflist"),
    ({"site": [{"database": "/mnt/job db"}]}, "site[0].database"),
    ({"sungds": {"stop_timeout": 150}}, "sungds.stop_timeout"),
    ({"sungds": {"port_list": ["611/tcp"]}}, "sungds.port_list"),
    ({"sungds": {"port_list": ["607/tcp", "70000/tcp"]}}, "sungds.port_list"),
    ({"sungds": {"script_dir": "/opt/my scripts"}}, "sungds.script_dir"),
    ({"sungds": {"nodes": ["bad_node"]}}, "sungds.nodes"),
    ({"sungds": {"child_mon_level": -2}}, "sungds.child_mon_level"),
    ({"sungds": {"stop_timout": 300}}, "sungds.stop_timout"),
])
def test_bad_options_are_one_line_errors_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        SunGdsAdapter(example_cluster(change))
    msg = str(err.value)
    assert "\n" not in msg and f": {field}:" in msg, msg


def test_stop_timeout_minimum_is_accepted() -> None:
    stop = stop_seconds(example_cluster())
    SunGdsAdapter(example_cluster({"sungds": {"stop_timeout": min_stop_timeout(stop)}}))


def test_cli_render_reports_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[node]]\nname = "spencer"\naddress = "10.17.21.160"\nmachine_id = 160\n'
                   '[[site]]\nname = "orange.example.com"\naddress = "10.17.21.162"\n'
                   'machine_id = 162\ndatabase = "/mnt/jobdb"\n'
                   '[site.sungds]\nresource_group = "rg;rm"\n')
    proc = subprocess.run([str(Path(sys.executable).parent / "jccluster"), "render", "sungds",
                           "-c", str(cfg), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "site[0].sungds.resource_group" in lines[0]
    assert not (tmp_path / "out").exists()


def test_several_sites_get_their_own_names() -> None:
    data = example_data({"site": [{}, {"name": "lemon.example.com", "address": "10.17.21.163",
                                      "machine_id": 163, "database": "/mnt/lemondb"}]})
    adapter = SunGdsAdapter(parse_cluster(data))
    files = rendered_files(adapter)
    assert {f.path.split("/")[0] for f in files} == {"orange", "lemon"}
    assert findings(files, adapter.cluster, adapter) == []
    assert "jc-lemon-gds" in next(f.text for f in files if f.path == "lemon/register.sh")


# --------------------------------------------------------------------------- hostile values

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                       blacklist_characters="/\x00"), min_size=1, max_size=20)


#: a run that carries fewer examples than this checked the rejection path only (most generated
#: names are valid: the model refuses control characters and '.'/'..')
MIN_CARRIED = 12


def test_hostile_database_paths_reach_the_watcher_unchanged(tmp_path_factory) -> None:
    carried: list[str] = []

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(name=_TEXT, supervisor=st.sampled_from(["jccluster", "cjcpw"]))
    def check(name: str, supervisor: str) -> None:
        assume(name not in (".", ".."))
        tmp = tmp_path_factory.mktemp("h")
        database = f"{tmp}/{name}"
        try:
            env = Env(tmp, supervisor,
                      {"site": [{"database": database, "sungds": {"mount_point": str(tmp)}}]})
        except ConfigError as err:
            assert "site[0].database" in str(err) and "\n" not in str(err)
            return
        env.db = Path(database)
        for f in ("start.sh", "stop.sh", "probe.sh"):
            assert subprocess.run(["dash", "-n", str(env.path(f))]).returncode == 0
        # stub nqsportkpr and cjcpw here (Env's): what is checked is the argument the watcher
        # receives; the emulated cjcpw would refuse a database cjcmksite did not build
        proc = env.run("dash", "start.sh")
        assert proc.returncode == 0, proc.stderr
        assert env.calls()[-1][-1] == database
        if supervisor == "jccluster":
            env.run("dash", "probe.sh")
            assert env.calls()[-1][-1] == database
        carried.append(database)

    check()
    assert len(carried) >= MIN_CARRIED, (
        f"only {len(carried)} database paths were carried through: the test checked rejection only")


def test_calls_are_recorded_as_json(tmp_path: Path) -> None:
    env = Env(tmp_path, "cjcpw")
    env.run("dash", "start.sh")
    assert all(json.loads(line) for line in env.rec.log.read_text().splitlines())


#: names Solaris Cluster accepts ("must begin with an ASCII character": Sun Cluster Data Services
#: Planning and Administration Guide, "How to Create a Failover Resource Group") are a small part
#: of arbitrary text, so half the examples are drawn from such names; at least this many of the
#: run's examples must be carried
MIN_NAMES_CARRIED = 6


def test_hostile_resource_names_are_rejected_or_carried_through(tmp_path_factory) -> None:
    carried: list[str] = []

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=st.one_of(st.text(min_size=1, max_size=30),
                           st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,20}\Z")))
    def check(value: str) -> None:
        tmp = tmp_path_factory.mktemp("n")
        try:
            env = Env(tmp, "jccluster", {"site": [{"sungds": {"resource_group": value}}]})
        except ConfigError as err:
            msg = str(err)
            assert "\n" not in msg and "site[0].sungds.resource_group" in msg
            return
        set_sub(env.rec, "clresource", "show", exit_code=1)
        proc = env.run("dash", "register.sh", "service")
        assert proc.returncode == 0, proc.stderr
        assert env.calls()[1][3] == value and env.calls()[-1][-1] == value
        carried.append(value)

    check()
    assert len(carried) >= MIN_NAMES_CARRIED, (
        f"only {len(carried)} resource group names were carried: the test checked rejection only")


# --------------------------------------------------------------------------- vendor review


def test_stop_timeout_grows_with_a_longer_stop_and_is_never_below_300(tmp_path: Path) -> None:
    assert min_stop_timeout(120) == 300
    assert min_stop_timeout(300) == 451  # (300 + 60) / 0.8, + 1
    with pytest.raises(ConfigError, match="sungds.stop_timeout: 250 s is too short"):
        Env(tmp_path, "jccluster", {"sungds": {"stop_timeout": 250}})


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("common", "own", "code"), [
    (None, "maintenance=ON\n", PROBE_OK),
    ("maintenance=ON\n", None, PROBE_OK),
    ("maintenance=ON\n", "maintenance=OFF", PROBE_FAILED),  # the site's file wins
    (None, "local_daemon=SITE\n", PROBE_FAILED),
])
def test_probe_with_cjcpw_answers_healthy_in_maintenance(shell: str, common: str | None,
                                                         own: str | None, code: int,
                                                         tmp_path: Path, reaper) -> None:
    """maintenance=ON: the (emulated) cjcpw runs, the daemons do not, cjcls says SHUT. GDS must
    not restart the site in a loop: healthy, as the engine's probe answers in jccluster mode.
    Not in maintenance: the daemons run; once nqsdaemon dies the probe must fail."""
    with emulated(tmp_path, reaper) as (env, jc):
        for path, text in ((Path(jc.prefix) / "rc" / "daemon.conf", common),
                           (Path(jc.db) / "etc" / "daemon.conf", own)):
            if text is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        log = tmp_path / "start.err"
        with open(log, "w") as err:
            proc = reaper.popen([*shell_argv(shell), str(artifact(env, jc, "start.sh"))],
                                env={"PATH": env.rec.path_env()}, stdout=subprocess.DEVNULL,
                                stderr=err)
        if code == PROBE_OK:  # the watcher idles without daemons
            poll_for(lambda: "maintenance=ON: daemons not started" in log.read_text(),
                     what="the emulated cjcpw to see maintenance=ON")
            assert proc.poll() is None and jc.daemon_pid() is None
        else:
            jc.wait_up()
            os.kill(jc.inst.pid("nqsdaemon"), signal.SIGKILL)
            assert proc.wait(timeout=30) == 1
        res = run_art(env, jc, shell, "probe.sh")
        assert res.returncode == code, res.stderr
        assert ("maintenance=ON" in res.stderr) == (code == PROBE_OK)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("common", "own", "code"), [
    ("# shared\nMaintenance = on\n", None, PROBE_OK),
    (None, "Maintenance=ON # for the upgrade\n", PROBE_OK),
])
def test_probe_with_cjcpw_reads_maintenance_in_any_case(shell: str, common: str | None,
                                                        own: str | None, code: int,
                                                        tmp_path: Path) -> None:
    """Spellings of the key the emulated cjcpw does not read (it matches 'maintenance' exactly):
    a stub cjcls saying SHUT stands in for a cjcpw that honoured them."""
    env = Env(tmp_path, "cjcpw")
    (env.db / "nqs").mkdir(parents=True)
    for path, text in ((env.prefix / "rc" / "daemon.conf", common),
                       (env.db / "etc" / "daemon.conf", own)):
        if text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    env.rec.set_stdout("cjcls", "SITE-NAME  DAEMON-PID  DB-PATH(LINK)\n"
                                "orange.example.com SHUT /db\n")
    proc = env.run(shell, "probe.sh")
    assert proc.returncode == code, proc.stderr
    assert ("maintenance=ON" in proc.stderr) == (code == PROBE_OK)


def test_a_probe_blind_to_maintenance_is_caught(tmp_path: Path) -> None:
    assert "GDS-PROBE-MAINTENANCE" in _broken(tmp_path, "probe.sh", "daemon.conf", "conf",
                                              supervisor="cjcpw", count=3)


def test_failover_enabled_is_gone(tmp_path: Path) -> None:
    env = Env(tmp_path, "jccluster", {"sungds": {"failover_mode": "RESTART_ONLY"}})
    for name in ("register.sh", "register-scrgadm.sh"):
        text = env.path(name).read_text()
        assert "Failover_enabled" not in text and "Failover_mode=RESTART_ONLY" in text
    with pytest.raises(ConfigError, match="sungds.failover_enabled: unknown key"):
        Env(tmp_path / "x", "jccluster", {"sungds": {"failover_enabled": False}})


@pytest.mark.parametrize("shell", SHELLS)
def test_a_command_planted_first_in_the_callers_path_is_not_run(shell: str,
                                                                 tmp_path: Path) -> None:
    """Issue 16: GDS runs the wrappers as root; a logger, fuser, awk or clresource an attacker
    put first in root's PATH must not run -- every script sets a fixed PATH."""
    env = Env(tmp_path, "cjcpw", {"sungds": {"kill_leftovers": True}})
    (env.db / "nqs").mkdir(parents=True)
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "planted-ran"
    for name in ("logger", "fuser", "df", "awk", "clresource", "clresourcetype",
                 "clresourcegroup", "clreslogicalhostname", "cat"):
        (evil / name).write_text(f"#!/bin/sh\necho \"$0\" >> '{marker}'\nexit 0\n")
        (evil / name).chmod(0o755)
    path = f"{evil}:{env.rec.path_env()}"
    env.rec.set_stdout("df", f"Filesystem kbytes used avail capacity Mounted on\n"
                             f"/dev/dsk/c1t0d0s0 100 1 99 1% {env.db}\n")
    env.rec.set_stdout("cjcls", "SITE-NAME  DAEMON-PID  DB-PATH(LINK)\n"
                                "orange.example.com SHUT /db\n")
    for name, args in (("stop.sh", ()), ("probe.sh", ()), ("register.sh", ("prepare",))):
        env.rec.clear()
        proc = run_script(shell, env.path(name), *args, env={"PATH": path})
        assert proc.returncode in (0, PROBE_FAILED), proc.stderr
        assert env.rec.commands(), name  # the real (stub) commands ran
    assert not marker.exists(), marker.read_text()
