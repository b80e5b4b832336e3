"""PowerHA adapter: start/stop/monitor scripts and the clmgr script run under real shells with
recording stubs (calls and order asserted, failure branches too), each check rule catches its
hand-broken artifact, hostile input is rejected or carried through, and the monitor script
answers 0 / non-zero against a real simulator site."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.adapters.powerha.adapter import PowerHaAdapter
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.cli.app import run as cli_run
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_data, parse_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.render import write_artifacts
from jobcenter_cluster.simulator.jobcenter import WATCHED
from support import adapters, jobcenter_cmds
from support.adapters import stub_layout
from support.procs import gone
from support.shells import posix_shells, run_script, shellcheck
from support.sites import poll_for
from support.stubs import Recorder

SITE = "orange.example.com"
DB = "/mnt/jobdb"

_WATCHER = """#!{python}
import json, os, sys, time
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"cmd": "cjcpw", "args": sys.argv[1:], "env": {{}},
                          "cwd": os.getcwd()}}) + "\\n")
code = {exits!r}.get(sys.argv[1] if len(sys.argv) > 1 else "", 0)
if sys.argv[1:2] not in (["-stop"], ["-c"]):
    time.sleep(600)
sys.exit(code)
"""


def watcher_stub(rec: Recorder, path: Path, exits: dict[str, int] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_WATCHER.format(python=sys.executable, log=str(rec.log), exits=exits or {}))
    path.chmod(0o755)


def make(tmp_path: Path, supervisor: str = "jccluster", monitor: bool = True,
         site_opts: dict | None = None, opts: dict | None = None, **extra) -> PowerHaAdapter:
    # the volume group is required: every test has one unless it says otherwise
    powerha = {"volume_group": "jobvg", **(site_opts or {})}
    if powerha.get("storage") == "none" or powerha.get("volume_group") is None:
        powerha.pop("volume_group")
    overrides = stub_layout(tmp_path, supervisor, monitor, {"powerha": powerha})
    overrides["powerha"] = {"script_dir": str(tmp_path / "scripts"),
                            "log_dir": str(tmp_path / "log"),
                            "run_dir": str(tmp_path / "run"), **(opts or {})}
    return adapters.make(PowerHaAdapter, **{**overrides, **extra})


def rendered(tmp_path: Path, **kw) -> tuple[dict[str, Artifact], Recorder, Path]:
    out = tmp_path / "out"
    arts = adapters.rendered(make(tmp_path, **kw), out)
    (tmp_path / "log").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    rec = Recorder(tmp_path)
    rec.stub(tmp_path / "nqs" / "nqsportkpr")
    watcher_stub(rec, tmp_path / "nqs" / "cluster" / "cjcpw")
    rec.stub(tmp_path / "bin" / "jccluster")
    rec.stub(tmp_path / "es" / "clmgr")
    return arts, rec, out


def script(out: Path, kind: str) -> Path:
    return out / "orange" / f"jobcenter-orange-{kind}.sh"


def kill_watcher(tmp_path: Path) -> None:
    pidfile = tmp_path / "run" / "jobcenter-orange.cjcpw.pid"
    if pidfile.exists():
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


wait_for = functools.partial(poll_for, timeout=10.0)


JCC = ["jccluster", "agent", "powerha"]


# --------------------------------------------------------------------------- rendering


def test_example_renders_and_checks_clean():
    from jobcenter_cluster.model import example_cluster

    adapter = PowerHaAdapter(example_cluster(PowerHaAdapter.example_overrides()))
    arts = {a.path: (a.mode, a.language) for a in adapter.render()}
    assert arts == {
        "orange/jobcenter-orange-start.sh": (0o755, "sh"),
        "orange/jobcenter-orange-stop.sh": (0o755, "sh"),
        "orange/jobcenter-orange-monitor.sh": (0o755, "sh"),
        "orange/clmgr-commands.sh": (0o755, "sh"),
        "orange/APPLY.txt": (0o644, "text"),
    }
    assert run_checks(PowerHaAdapter, cluster=adapter.cluster) == []


# The clmgr calls that make a resource group for the site, written here from IBM's PowerHA
# SystemMirror 7.2 documentation (www.ibm.com/docs/SSPHQG_7.2/...), never from the adapter:
# - command/clmgr.htm: `clmgr <ACTION> <CLASS> [<NAME>] [<ATTR>=<VALUE> ...]`; in scripts the full
#   action and class names (aliases and abbreviations are for the command line:
#   quickclmgr/clmgrref.htm).
# - develop/ha_sadev_modify_resource.html (clvt modify resource_group): the group's
#   SERVICE_LABEL, APPLICATIONS and VOLUME_GROUP name *defined* service labels, application
#   controllers and volume groups -- so `add service_ip` and `add application_controller` come
#   before `add resource_group`, and `sync cluster` (verify and synchronize) comes last.
# - concept/ha_concepts_gorup_start_fall.htm: the policies Online on Home Node Only, Fallover to
#   Next Priority Node in the List, Never Fallback; their clmgr spellings OHN / FNPN / NFB are the
#   clmgr man page's (unverified here: no public page of the attribute list was found, see
#   docs/adapters/powerha.md), as are STARTUP_MODE and the application_monitor attribute names.
# - the application controller's start and stop scripts: full paths, no arguments ("You cannot
#   specify arguments to the start script": PowerHA Director "Creating application controllers").
# The values (nodes, names, intervals) are this project's choices for the example cluster.


def documented_clmgr_calls(d: str, monitor: bool = True, netmask: str | None = None,
                           restart_count: int = 0, service_ip: bool = True,
                           volume_group: str | None = "jobvg") -> list[list[str]]:
    """The expected clmgr argv, call by call, for the example site with scripts under `d`."""
    calls = []
    if service_ip:
        calls.append(["add", "service_ip", SITE, "NETWORK=net_ether_01",
                      *([f"NETMASK={netmask}"] if netmask else [])])
    calls.append(["add", "application_controller", "jobcenter_orange_ctl",
                  f"STARTSCRIPT={d}/jobcenter-orange-start.sh",
                  f"STOPSCRIPT={d}/jobcenter-orange-stop.sh", "STARTUP_MODE=foreground"])
    if monitor:
        calls.append(["add", "application_monitor", "jobcenter_orange_mon", "TYPE=Custom",
                      "APPLICATIONS=jobcenter_orange_ctl", "MODE=longrunning",
                      f"MONITORMETHOD={d}/jobcenter-orange-monitor.sh", "MONITORINTERVAL=10",
                      "HUNGSIGNAL=9", "STABILIZATION=60", f"RESTARTCOUNT={restart_count}",
                      "FAILUREACTION=fallover", f"CLEANUPMETHOD={d}/jobcenter-orange-stop.sh",
                      f"RESTARTMETHOD={d}/jobcenter-orange-start.sh"])
    calls.append(["add", "resource_group", "jobcenter_orange", "NODES=spencer,matto",
                  "STARTUP=OHN", "FALLOVER=FNPN", "FALLBACK=NFB", f"SERVICE_LABEL={SITE}",
                  "APPLICATIONS=jobcenter_orange_ctl",
                  *([f"VOLUME_GROUP={volume_group}"] if volume_group else [])])
    calls.append(["sync", "cluster"])
    return calls


def as_clmgr(calls: list[list[str]]) -> list[tuple[list[str], dict[str, str]]]:
    """``(positional words, attributes)`` of each call: clmgr attributes are named, so their
    order within one call does not matter; the order of the calls does."""
    out = []
    for argv in calls:
        words = [w for w in argv if "=" not in w]
        attrs = dict(w.split("=", 1) for w in argv if "=" in w)
        out.append((words, attrs))
    return out


def run_clmgr_script(tmp_path: Path, out: Path, shell: str = "dash") -> list[list[str]]:
    """Run clmgr-commands.sh with a recording clmgr (the shell decodes its quoting, not the
    adapter); the recorded calls without the command name."""
    rec = Recorder(tmp_path / "clmgr-rec")
    rec.stub(tmp_path / "clmgr-rec" / "clmgr")
    res = run_script(shell, out / "orange" / "clmgr-commands.sh",
                     env={"CLMGR": str(tmp_path / "clmgr-rec" / "clmgr")})
    assert res.returncode == 0, res.stderr
    return [c[1:] for c in rec.commands()]


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
@pytest.mark.parametrize("monitor", [True, False])
def test_clmgr_calls_and_shellcheck(tmp_path, supervisor, monitor):
    adapter = make(tmp_path, supervisor=supervisor, monitor=monitor,
                   site_opts={"volume_group": "jobvg", "netmask": "255.255.255.0",
                              "startup_mode": "foreground", "restart_count": 2})
    arts = adapter.render()
    write_artifacts(arts, str(tmp_path / "out"))
    for a in arts:
        if a.language == "sh":
            res = shellcheck(tmp_path / "out" / a.path, "sh")
            assert res.returncode == 0, (a.path, res.stdout)
    expect = documented_clmgr_calls(str(tmp_path / "scripts"), monitor=monitor,
                                    netmask="255.255.255.0", restart_count=2)
    assert as_clmgr(run_clmgr_script(tmp_path, tmp_path / "out")) == as_clmgr(expect)
    assert any(a.path.endswith("-monitor.sh") for a in arts) is monitor
    assert [f for f in run_checks(PowerHaAdapter, cluster=adapter.cluster)] == []


def test_exit_table():
    code = PowerHaAdapter.spec.exit_code
    assert code("monitor", Outcome.RUNNING) == 0 and code("monitor", Outcome.MAINTENANCE) == 0
    assert {code("monitor", o) for o in (Outcome.STOPPED, Outcome.FAILED, Outcome.INVALID,
                                         Outcome.UNRECOVERABLE, Outcome.NOT_INSTALLED)} == \
        {3, 1, 2, 5, 6}
    for verb in ("start", "start-unwatched", "stop", "keep-port"):
        assert code(verb, Outcome.SUCCESS) == 0 and code(verb, Outcome.FAILED) == 1
    assert code("start", Outcome.UNRECOVERABLE) == 5
    assert code("nonsense", Outcome.UNSUPPORTED) == 7


# --------------------------------------------------------------------------- scripts, jccluster


@pytest.mark.parametrize("shell", posix_shells())
def test_jccluster_scripts(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    res = run_script(shell, script(out, "start"))
    assert res.returncode == 0, res.stderr
    assert rec.commands() == [[*JCC, "keep-port", SITE], [*JCC, "start", SITE, DB]]
    rec.clear()
    rec.set_exit("jccluster", 5)
    res = run_script(shell, script(out, "start"))
    assert res.returncode == 1 and "failed (exit 5)" in res.stderr
    assert rec.commands() == [[*JCC, "keep-port", SITE]]  # never started without the port
    for code in (0, 1, 3):
        rec.clear()
        rec.set_exit("jccluster", code)
        assert run_script(shell, script(out, "monitor")).returncode == code
        assert rec.commands() == [[*JCC, "monitor", SITE]]
    for code, want in ((0, 0), (1, 1)):
        rec.clear()
        rec.set_exit("jccluster", code)
        assert run_script(shell, script(out, "stop")).returncode == want
        assert rec.commands() == [[*JCC, "stop", SITE, "--timeout", "120"]]


def test_jccluster_unwatched_start(tmp_path):
    _, rec, out = rendered(tmp_path, monitor=False)
    assert run_script("dash", script(out, "start")).returncode == 0
    assert rec.commands() == [[*JCC, "keep-port", SITE], [*JCC, "start-unwatched", SITE, DB]]
    assert not script(out, "monitor").exists()


# --------------------------------------------------------------------------- scripts, cjcpw


# supervisor = "cjcpw": JobCenter's own commands are the emulated installation's
# (tests/support/jobcenter_cmds.py) under the rendered install_prefix: real daemons, a real port
# holder, cjcpw in the foreground until cjcpw -stop; the calls are recorded on the way.


#: the scripts rendered for the emulated installation's site: ``(jc, script directory,
#: pidfile)``
emulated_site = functools.partial(jobcenter_cmds.emulated_site, make,
                                  storage={"powerha": {"volume_group": "jobvg"}})


def site_script(d: Path, kind: str) -> Path:
    return d / f"jobcenter-{d.name}-{kind}.sh"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", posix_shells())
def test_cjcpw_start_returns_with_the_watcher_in_the_background(tmp_path, shell, reaper):
    with emulated_site(tmp_path, reaper) as (jc, d, pidfile):
        res = run_script(shell, site_script(d, "start"), timeout=20)
        assert res.returncode == 0, res.stderr
        pid = int(pidfile.read_text())
        poll_for(lambda: len(jc.calls()) == 2, what="the watcher to be called")
        assert jc.calls() == [["nqsportkpr", jc.site], ["cjcpw", jc.site, jc.db]]
        jc.wait_up()
        assert jc.holders() == [], "the port holder outlived cjcpw's start"
        assert run_script(shell, site_script(d, "monitor")).returncode == 0
        # a watched daemon dies: the emulated cjcpw exits (manual §2.10.4); the monitor fails
        os.kill(jc.inst.pid("comagent"), signal.SIGKILL)
        poll_for(lambda: gone(pid), timeout=30, what=f"the watcher {pid} to exit")
        res = run_script(shell, site_script(d, "monitor"))
        assert res.returncode == 1 and "not running" in res.stderr
        jc.clear()
        assert run_script(shell, site_script(d, "stop"), timeout=60).returncode == 0
        # cjcls: the stop judges what is left, not cjcpw -stop's status (issue 20)
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]] and not pidfile.exists()
        assert jc.running() == [], "the stop left daemons of the site running"


@pytest.mark.timeout(60)
def test_cjcpw_stop_fails_when_cjcpw_stop_fails_on_a_full_disk(tmp_path, reaper):
    """A real failing ``cjcpw -stop`` (ENOSPC: the database's small tmpfs is full): the stop
    script must fail, so that PowerHA does not release the disk under a running site."""
    with emulated_site(tmp_path, reaper, disk_size="2m") as (jc, d, pidfile):
        assert run_script("dash", site_script(d, "start")).returncode == 0
        jc.wait_up()
        jc.fill_disk()
        jc.clear()
        res = run_script("dash", site_script(d, "stop"), timeout=60)
        assert res.returncode == 1, res.stderr
        assert "No space left on device" in res.stderr and "failed (exit 1)" in res.stderr
        # cjcls lists the site's nqsdaemon: not stopped (and, asked again, still running as
        # before, so the stop mark goes: not half-stopped)
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"], ["cjcls"]]
        assert run_script("dash", site_script(d, "monitor")).returncode == 0


def test_cjcpw_stop_kills_a_watcher_that_outlives_the_stop(tmp_path):
    """A watcher that outlives ``cjcpw -stop`` (hung) and a ``-stop`` exiting 2: behaviours
    the emulated cjcpw does not give (its watcher always exits on the stop), so a stub cjcpw
    plays them here."""
    _, rec, out = rendered(tmp_path, supervisor="cjcpw")
    pidfile = tmp_path / "run" / "jobcenter-orange.cjcpw.pid"
    try:
        assert run_script("dash", script(out, "start")).returncode == 0
        pid = int(pidfile.read_text())
        wait_for(lambda: len(rec.commands()) == 2)
        res = run_script("dash", script(out, "stop"))  # the stub's -stop leaves the watcher
        assert res.returncode == 0 and "outlived" in res.stderr
        wait_for(lambda: gone(pid))
        watcher_stub(rec, tmp_path / "nqs" / "cluster" / "cjcpw", {"-stop": 2})
        rec.clear()
        # a failing cjcpw -stop with nothing of the site left is a done stop (issue 20)
        assert run_script("dash", script(out, "stop")).returncode == 0
        assert rec.commands()[:1] == [["cjcpw", "-stop", SITE]]
    finally:
        kill_watcher(tmp_path)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shell", posix_shells())
def test_cjcpw_start_fails_without_the_port(tmp_path, shell, reaper):
    with emulated_site(tmp_path, reaper) as (jc, d, pidfile):
        with jc.hold_port():  # something else holds the NQS port: nqsportkpr really fails
            res = run_script(shell, site_script(d, "start"))
        assert res.returncode == 1
        assert jc.calls() == [["nqsportkpr", jc.site]]
        assert jc.daemon_pid() is None and not pidfile.exists()


@pytest.mark.timeout(60)
def test_cjcpw_unwatched(tmp_path, reaper):
    with emulated_site(tmp_path, reaper, monitor=False) as (jc, d, _):
        assert run_script("mksh", site_script(d, "start"), timeout=60).returncode == 0
        assert jc.calls() == [["nqsportkpr", jc.site], ["cjcpw", "-c", jc.site, jc.db]]
        assert jc.running() == list(WATCHED), "cjcpw -c returned before the site was up"
        assert not site_script(d, "monitor").exists()
        jc.clear()
        assert run_script("mksh", site_script(d, "stop"), timeout=60).returncode == 0
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]] and jc.running() == []


# --------------------------------------------------------------------------- clmgr script


@pytest.mark.parametrize("shell", posix_shells())
def test_clmgr_script_runs_the_calls_in_order(tmp_path, shell):
    _, rec, out = rendered(tmp_path, site_opts={"volume_group": "jobvg"})
    env = {"CLMGR": str(tmp_path / "es" / "clmgr")}
    res = run_script(shell, out / "orange" / "clmgr-commands.sh", env=env)
    assert res.returncode == 0, res.stderr
    want = documented_clmgr_calls(str(tmp_path / "scripts"))
    got = [c[1:] for c in rec.commands()]
    assert [c[0] for c in rec.commands()] == ["clmgr"] * len(want)
    assert as_clmgr(got) == as_clmgr(want)
    rec.clear()
    rec.set_exit("clmgr", 3)
    res = run_script(shell, out / "orange" / "clmgr-commands.sh", env=env)
    assert res.returncode == 1 and "failed (exit 3)" in res.stderr
    # stops at the first failure; never syncs half a change
    assert as_clmgr([c[1:] for c in rec.commands()]) == as_clmgr(want[:1])
    rec.clear()
    res = run_script(shell, out / "orange" / "clmgr-commands.sh",
                     env={"CLMGR": str(tmp_path / "nowhere")})
    assert res.returncode == 1 and "not found" in res.stderr and rec.commands() == []


def test_existing_service_ip_is_not_added_again(tmp_path):
    adapter = make(tmp_path, site_opts={"add_service_ip": False})
    write_artifacts(adapter.render(), str(tmp_path / "out"))
    got = run_clmgr_script(tmp_path, tmp_path / "out")
    assert as_clmgr(got) == as_clmgr(documented_clmgr_calls(str(tmp_path / "scripts"),
                                                            service_ip=False))


# --------------------------------------------------------------------------- check rules


def check_dir(tmp_path: Path, edit, **kw) -> list:
    adapter = make(tmp_path, **kw)
    out = tmp_path / "chk"
    write_artifacts(adapter.render(), str(out))
    if edit is not None:
        edit(out / "orange")
    return run_checks(PowerHaAdapter, directory=str(out), cluster=adapter.cluster)


def sub(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


CL = "clmgr-commands.sh"
VG = {"site_opts": {"volume_group": "jobvg"}}


@pytest.mark.parametrize("rule,edit,kw", [
    ("PHA-MONITOR-CUSTOM", lambda d: sub(d / CL, "TYPE=Custom", "TYPE=Process"), VG),
    ("PHA-MONITOR-CUSTOM", lambda d: sub(d / CL, "MONITORMETHOD=/", "MONITORMETHOD=/x/"), VG),
    ("PHA-MONITOR-CUSTOM", lambda d: sub(d / CL, "clmgr add application_monitor", "# gone"), VG),
    ("PHA-SCRIPT-PATHS", lambda d: sub(d / CL, "STOPSCRIPT=/", "STOPSCRIPT=relative/"), VG),
    ("PHA-SCRIPT-PATHS", lambda d: sub(d / CL, "jobcenter-orange-start.sh STOPSCRIPT",
                       "'jobcenter-orange-start.sh now' STOPSCRIPT"), VG),
    ("PHA-START-RETURNS", lambda d: sub(d / "jobcenter-orange-start.sh",
                                        "    return 0\n}", "    /usr/lib/nqs/cluster/cjcpw "
                                        "orange.example.com /mnt/jobdb\n    return 0\n}"), VG),
    ("PHA-START-RETURNS", lambda d: sub(d / "jobcenter-orange-start.sh", "powerha start ",
                                        "serviceguard service "), VG),
    ("PHA-PORTKEEPER-FIRST", lambda d: sub(d / "jobcenter-orange-start.sh",
                                           "(manual §2.10.4).\n", "(manual §2.10.4).\n    "
                                           "/bin/true\n"), VG),
    ("PHA-STOP-TIMEOUT", lambda d: sub(d / "jobcenter-orange-stop.sh", "--timeout 120",
                                       "--timeout 400"), VG),
    ("PHA-REFERENCES", lambda d: sub(d / CL, "clmgr sync cluster", ""), VG),
    ("PHA-REFERENCES", lambda d: sub(d / CL, "APPLICATIONS=jobcenter_orange_ctl VOLUME",
                                     "VOLUME"), VG),
    ("PHA-NAMES", lambda d: sub(d / CL, "add resource_group jobcenter_orange ",
                                "add resource_group 9orange "), VG),
    ("PHA-NODES", lambda d: sub(d / CL, "NODES=spencer,matto", "NODES=spencer"), VG),
])
def test_each_rule_catches_its_broken_artifact(tmp_path, rule, edit, kw):
    assert [f for f in check_dir(tmp_path / "a", None, **kw)] == []
    found = check_dir(tmp_path / "b", edit, **kw)
    assert rule in {f.rule for f in found if f.severity == "error"}, found


NO_STORAGE = {"storage": "none", "storage_reason": "rg jobdisk holds the disk"}


def test_storage_opt_out_checks_clean_and_its_comment_is_what_the_rule_reads(tmp_path):
    assert check_dir(tmp_path / "a", None, site_opts=NO_STORAGE) == []
    found = check_dir(tmp_path / "b", lambda d: sub(d / CL, '# storage = "none": rg jobdisk '
                      "holds the disk", "# nothing"), site_opts=NO_STORAGE)
    assert [(f.rule, f.severity) for f in found] == [("PHA-STORAGE", "error")]


def test_stop_timeout_rule_for_cjcpw_and_a_short_event_time(tmp_path):
    adapter = make(tmp_path, supervisor="cjcpw", site_opts={"volume_group": "vg"})
    write_artifacts(adapter.render(), str(tmp_path / "o"))
    assert run_checks(PowerHaAdapter, directory=str(tmp_path / "o")) == []
    with pytest.raises(ConfigError, match=r"powerha\.max_event_time"):
        make(tmp_path, opts={"max_event_time": 100})


# --------------------------------------------------------------------------- bad and hostile input


@pytest.mark.parametrize("overrides,field", [
    ({"site": [{"powerha": {"resource_group": "9rg"}}]}, "site[0].powerha.resource_group"),
    ({"site": [{"powerha": {"application_controller": "a-b"}}]},
     "site[0].powerha.application_controller"),
    ({"site": [{"powerha": {"volume_group": "vg 1"}}]}, "site[0].powerha.volume_group"),
    ({"site": [{"powerha": {"service_label": "a b"}}]}, "site[0].powerha.service_label"),
    ({"site": [{"powerha": {"monitor_interval": 0}}]}, "site[0].powerha.monitor_interval"),
    ({"site": [{"powerha": {"failure_action": "reboot"}}]}, "site[0].powerha.failure_action"),
    ({"powerha": {"script_dir": "/opt/my dir"}}, "powerha.script_dir"),
    ({"cluster": {"product": "jobcenter-hpux"}}, "cluster.product"),
    ({"cluster": {"jccluster": "jccluster"}}, "cluster.jccluster"),
])
def test_bad_options_are_one_line_errors_naming_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        PowerHaAdapter(parse_cluster(example_data(overrides), adapter_names=["powerha"]))
    assert "\n" not in str(err.value) and f": {field}: " in str(err.value), str(err.value)


def test_cli_render_reports_a_bad_option_in_one_line(tmp_path, capsys):
    from jobcenter_cluster.model import EXAMPLE_TOML

    cfg = tmp_path / "c.toml"
    cfg.write_text(EXAMPLE_TOML + '\n[powerha]\nnode_names = "upper"\n')
    code = cli_run(["render", "powerha", "-c", str(cfg), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "powerha.node_names" in err[0], err
    assert not (tmp_path / "o").exists()


_PATH_CHARS = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF,
                                    blacklist_characters="/"), min_size=1, max_size=12)


#: most generated paths are valid (the model refuses '.'/'..' components and the system's own
#: trees): a run that carries fewer of its 30 examples than this tested the rejection only
MIN_CARRIED = 12


def test_hostile_database_paths_are_carried_through(tmp_path_factory):
    carried: list[str] = []

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(parts=st.lists(_PATH_CHARS, min_size=1, max_size=3),
           sup=st.sampled_from(["jccluster", "cjcpw"]))
    def check(parts, sup):
        db = "/" + "/".join(parts)
        tmp = tmp_path_factory.mktemp("h")
        try:
            adapter = make(tmp, supervisor=sup, monitor=False,
                           site=[{"database": db, "monitor": False,
                                  "powerha": {"volume_group": "jobvg"}}])
        except ConfigError as err:
            assert "site[0].database" in str(err) and "\n" not in str(err)
            return
        write_artifacts(adapter.render(), str(tmp / "out"))
        (tmp / "log").mkdir()
        # stubs of nqsportkpr and cjcpw here: the emulated cjcpw needs a database cjcmksite
        # built, and these paths lie anywhere under / (the test may not create them there)
        rec = Recorder(tmp)
        rec.stub(tmp / "nqs" / "nqsportkpr")
        rec.stub(tmp / "nqs" / "cluster" / "cjcpw")
        rec.stub(tmp / "bin" / "jccluster")
        assert run_script("dash", script(tmp / "out", "start")).returncode == 0
        last = rec.commands()[-1]
        assert last[-1] == db and last[-2] == SITE
        carried.append(db)

    check()
    assert len(carried) >= MIN_CARRIED, (
        f"only {len(carried)} database paths were carried through: the test checked rejection only")


# --------------------------------------------------------------------------- against a real site


@pytest.mark.timeout(180)
def test_scripts_drive_a_simulator_site(tmp_path, sim_site, poll_for):
    jcc = Path(sys.executable).with_name("jccluster")
    if not jcc.exists():
        pytest.skip("jccluster is not installed next to the test interpreter")
    overrides = {
        "cluster": {"product": "simulator", "jccluster": str(jcc), "spool_root": sim_site.root},
        "site": [{"name": sim_site.name, "address": sim_site.address, "database": sim_site.db,
                  "powerha": {"volume_group": "jobvg"}}],
        "powerha": {"script_dir": str(tmp_path / "s"), "log_dir": str(tmp_path)},
    }
    adapter = PowerHaAdapter(parse_cluster(example_data(overrides)))
    write_artifacts(adapter.render(), str(tmp_path / "out"))
    short = sim_site.name.split(".")[0]
    d = tmp_path / "out" / short
    env = {k: v for k, v in os.environ.items() if k.startswith("JCCLUSTER_")}

    def run(kind: str) -> int:
        return run_script("dash", d / f"jobcenter-{short}-{kind}.sh", env=env,
                          timeout=150).returncode

    assert run("monitor") == 3
    assert run("start") == 0
    assert sim_site.status().outcome is Outcome.RUNNING
    assert run("monitor") == 0
    os.kill(sim_site.pid("comagent"), signal.SIGKILL)
    poll_for(lambda: sim_site.status().outcome is Outcome.FAILED, timeout=15, what="failed")
    assert run("monitor") == 1
    assert run("stop") == 0
    assert sim_site.status().outcome is Outcome.STOPPED
    assert run("monitor") == 3


# --------------------------------------------------------------------------- vendor review (issue 11)


def test_controller_is_added_in_the_foreground(tmp_path):
    adapter = make(tmp_path)
    write_artifacts(adapter.render(), str(tmp_path / "out"))
    ctl = next(c for c in run_clmgr_script(tmp_path, tmp_path / "out")
               if c[:2] == ["add", "application_controller"])
    assert "STARTUP_MODE=foreground" in ctl
    text = {a.path: a.content for a in adapter.render()}
    assert "STARTUP_MODE=foreground" in text["orange/clmgr-commands.sh"]
    assert "STARTUP_MODE=foreground" in text["orange/jobcenter-orange-start.sh"]
    with pytest.raises(ConfigError) as err:
        make(tmp_path, site_opts={"startup_mode": "background"})
    assert ": site[0].powerha.startup_mode: 'background' is not allowed" in str(err.value)


def test_startup_rule_catches_a_background_or_missing_mode(tmp_path):
    for i, new in enumerate(("STARTUP_MODE=background", "")):
        found = check_dir(tmp_path / str(i), lambda d, new=new: sub(
            d / CL, "STARTUP_MODE=foreground", new))
        assert [f.rule for f in found if f.severity == "error"] == ["PHA-STARTUP-FOREGROUND"]


@pytest.mark.parametrize("site_opts,field", [
    ({"volume_group": None}, "site[0].powerha.volume_group"),
    ({"volume_group": None, "storage": "none"}, "site[0].powerha.storage_reason"),
    ({"storage": "none", "storage_reason": "x", "volume_group": "jobvg"},
     "site[0].powerha.storage"),
    ({"storage_reason": "x"}, "site[0].powerha.storage_reason"),
])
def test_volume_group_is_required_or_explicitly_opted_out(tmp_path, site_opts, field):
    opts = {"volume_group": "jobvg", **site_opts}
    if opts["volume_group"] is None:
        del opts["volume_group"]
    with pytest.raises(ConfigError) as err:
        PowerHaAdapter(parse_cluster(example_data({"site": [{"powerha": opts}]}),
                                     adapter_names=["powerha"]))
    assert f": {field}: " in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_storage_opt_out_is_rendered_with_its_reason(tmp_path):
    adapter = make(tmp_path, site_opts=NO_STORAGE)
    text = {a.path: a.content for a in adapter.render()}
    assert '# storage = "none": rg jobdisk holds the disk' in text["orange/clmgr-commands.sh"]
    assert "rg jobdisk holds the disk" in text["orange/APPLY.txt"]
    write_artifacts(adapter.render(), str(tmp_path / "out"))
    assert as_clmgr(run_clmgr_script(tmp_path, tmp_path / "out")) == as_clmgr(
        documented_clmgr_calls(str(tmp_path / "scripts"), volume_group=None))


def test_monitor_attribute_names_are_flagged_unverified_and_checked(tmp_path):
    text = {a.path: a.content for a in make(tmp_path).render()}
    assert "clmgr add application_monitor -h" in text["orange/APPLY.txt"]
    assert "unverified" in text["orange/clmgr-commands.sh"]
    found = check_dir(tmp_path / "a", lambda d: sub(d / CL, "MONITORINTERVAL=",
                                                   "MONITOR_INTERVAL="))
    errors = [f for f in found if f.severity == "error"]
    assert [f.rule for f in errors] == ["PHA-MONITOR-ATTRS"]
    assert "did you mean MONITORINTERVAL" in errors[0].message


def test_a_long_monitor_interval_is_warned_about(tmp_path):
    assert not [f for f in check_dir(tmp_path / "ok", None) if f.rule == "PHA-MONITOR-INTERVAL"]
    found = check_dir(tmp_path / "a", lambda d: sub(d / CL, "MONITORINTERVAL=10",
                                                   "MONITORINTERVAL=300"))
    (warning,) = [f for f in found if f.rule == "PHA-MONITOR-INTERVAL"]
    assert warning.severity == "warning"
    assert "waits up to 300 s" in warning.message
    assert not [f for f in check_dir(tmp_path / "b", lambda d: sub(
        d / CL, "MONITORINTERVAL=10", "MONITORINTERVAL=60")) if f.rule == "PHA-MONITOR-INTERVAL"]


PLANTED = ("date", "cat", "ps", "rm", "nohup", "printf", "kill", "logger", "sleep", "env", "sh",
           "test", "[", "echo", "clmgr", "jccluster", "cjcpw", "nqsportkpr", "clRGinfo")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", posix_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_scripts_never_run_a_command_planted_in_the_callers_path(tmp_path, shell, supervisor,
                                                                  reaper):
    _, rec, out = rendered(tmp_path, supervisor=supervisor)
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    for name in PLANTED:
        (evil / name).write_text(f"#!/bin/sh\necho {name} >>{marker}\nexit 0\n")
        (evil / name).chmod(0o755)
    env = {"PATH": f"{evil}:/usr/bin:/bin", "CLMGR": str(tmp_path / "es" / "clmgr")}
    with contextlib.ExitStack() as stack:
        d, jc = out / "orange", None
        if supervisor == "cjcpw":  # JobCenter's commands: the emulated installation's
            jc, d, _ = stack.enter_context(emulated_site(tmp_path, reaper))
        for kind in ("start", "monitor", "stop", "monitor"):
            run_script(shell, site_script(d, kind), env=env, timeout=60)
        rec.set_exit("jccluster", 1)
        if jc is not None:  # failure path (log, date): nqsportkpr really fails
            stack.enter_context(jc.hold_port())
        res = run_script(shell, site_script(d, "start"), env=env, timeout=30)
        assert res.returncode == 1, res.stderr
        res = run_script(shell, d / "clmgr-commands.sh", env=env, timeout=30)
        assert res.returncode == 0, res.stderr
        assert not marker.exists(), marker.read_text()
        assert rec.commands()
        if jc is not None:
            assert {"nqsportkpr", "cjcpw"} <= {c[0] for c in jc.calls()}


def test_fixed_path_rule_catches_an_inherited_path(tmp_path):
    found = check_dir(tmp_path, lambda d: sub(d / "jobcenter-orange-stop.sh", "PATH=/usr/bin:",
                                             "PATH=$PATH:/usr/bin:"))
    assert [f.rule for f in found if f.severity == "error"] == ["CORE-FIXED-PATH"]
    text = {a.path: a.content for a in make(tmp_path / "b").render()}
    for name in ("start", "stop", "monitor"):
        assert ("\nPATH=/usr/bin:/bin:/usr/sbin:/sbin:/usr/es/sbin/cluster/utilities; export "
                "PATH\n") in text[f"orange/jobcenter-orange-{name}.sh"]
