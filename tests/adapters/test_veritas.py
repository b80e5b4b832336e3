"""Veritas (VCS) adapter: main.cf parses with our grammar and agrees with the ha* command
script; every shell artifact runs under real shells with recording stubs; each check rule
catches its hand-broken artifact; hostile input is rejected or carried through unchanged; the
site script's monitor answers 110/100 against a real simulator site."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.adapters.veritas import maincf
from jobcenter_cluster.adapters.veritas.adapter import VeritasAdapter
from jobcenter_cluster.adapters.veritas.rules import maincf_groups, parse_command_script
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.cli.app import run as cli_run
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_data, parse_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.render import write_artifacts
from support import adapters, jobcenter_cmds
from support.adapters import stub_layout
from support.jobcenter_cmds import Emulated
from support.procs import gone
from support.shells import posix_shells, run_script, shellcheck
from support.sites import poll_for
from support.stubs import Recorder

SITE = "orange.example.com"
DB = "/mnt/jobdb"
GROUP = "jobcenter_orange"
VXVM = {"diskgroup": "jobdg", "volume": "jobvol"}
NO_STORAGE = {"storage": "none", "storage_reason": "mounted by group jobdisk"}

# --------------------------------------------------------------------------- helpers

_ARG_STUB = """#!{python}
import json, os, sys, time
name = os.path.basename(sys.argv[0])
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"cmd": name, "args": sys.argv[1:], "env": {{}},
                          "cwd": os.getcwd()}}) + "\\n")
exits = {exits!r}
first = sys.argv[1] if len(sys.argv) > 1 else ""
if {sleep!r} and first not in ("-stop", "-c"):
    time.sleep(600)
sys.exit(exits.get(first, exits.get("*", 0)))
"""


def arg_stub(rec: Recorder, path: Path, exits: dict[str, int] | None = None,
             sleep: bool = False) -> Path:
    """A recording stub whose exit code depends on its first argument (``"*"``: the others);
    with `sleep`, it stays alive (like the cjcpw watcher) unless called with -stop or -c."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_ARG_STUB.format(python=sys.executable, log=str(rec.log),
                                     exits=exits or {}, sleep=sleep))
    path.chmod(0o755)
    return path


def make(tmp_path: Path, supervisor: str = "jccluster", monitor: bool = True,
         site_opts: dict | None = None, opts: dict | None = None,
         cluster_product: str | None = None, **extra) -> VeritasAdapter:
    # storage is required: the VxVM disk group unless the test says otherwise
    overrides = stub_layout(tmp_path, supervisor, monitor,
                            {"veritas": VXVM if site_opts is None else site_opts})
    if cluster_product:
        overrides["cluster"]["product"] = cluster_product
    overrides["veritas"] = {"script_dir": str(tmp_path / "scripts"),
                            "log_dir": str(tmp_path / "log"), "run_dir": str(tmp_path / "run"),
                            "vcs_home": str(tmp_path / "vcs"), **(opts or {})}
    return adapters.make(VeritasAdapter, **{**overrides, **extra})


def rendered(tmp_path: Path, **kw) -> tuple[dict[str, Artifact], Recorder, Path]:
    out = tmp_path / "out"
    arts = adapters.rendered(make(tmp_path, **kw), out)
    (tmp_path / "log").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    rec = Recorder(tmp_path)
    rec.stub(tmp_path / "nqs" / "nqsportkpr")
    rec.stub(tmp_path / "nqs" / "cluster" / "cjcls")
    arg_stub(rec, tmp_path / "nqs" / "cluster" / "cjcpw", sleep=True)
    rec.stub(tmp_path / "bin" / "jccluster")
    for cmd in ("hares", "haconf"):
        rec.stub(tmp_path / "vcs" / "bin" / cmd)
    arg_stub(rec, tmp_path / "vcs" / "bin" / "hagrp", {"-display": 1})
    return arts, rec, out


def wait_dead(pid: int, timeout: float = 10.0) -> None:
    """Wait until `pid` is gone or a zombie; fail the test, naming the pid, if it is not."""
    poll_for(lambda: gone(pid), timeout=timeout, what=f"process {pid} to exit")


def recorded_groups(rec: Recorder) -> dict:
    """The group the command script created, rebuilt from the recorded ha* calls."""
    lines = []
    for cmd in rec.commands():
        if cmd[0] in ("hagrp", "hares") and cmd[1] != "-display":
            lines.append(" ".join(__import__("shlex").quote(w) for w in cmd))
    return parse_command_script("\n".join(lines))


# --------------------------------------------------------------------------- the main.cf parser


def test_parser_reads_the_grammar():
    text = r'''
include "types.cf"
/* a block
   comment */
cluster vcs1 ( UserNames = { admin = "xyz" } Administrators = { admin } )
system sysA ( )
system "sys-b" ( )
group g1 (
    SystemList = { sysA = 0, "sys-b" = 1 }
    AutoStartList = { sysA }
    )
    Application app1 (   // the app
        StartProgram = "/opt/x start \"quoted\" C:\\dir"
        PidFiles = { "/var/run/a.pid", "/var/run/b.pid" }
        Critical = 0
        Device@sysA = eth0
        )
    IP ip1 ( Address = "10.0.0.1" )
    app1 requires ip1
    requires group g0 online local firm
'''
    cf = maincf.parse(text)
    assert cf.includes == ["types.cf"]
    assert cf.clusters["vcs1"]["UserNames"].value == {"admin": "xyz"}
    assert list(cf.systems) == ["sysA", "sys-b"]
    g = cf.groups["g1"]
    assert g.get("SystemList") == {"sysA": "0", "sys-b": "1"}
    assert g.get("AutoStartList") == ["sysA"]
    app = g.resources["app1"]
    assert app.type == "Application" and app.line == 12
    assert app.get("StartProgram") == '/opt/x start "quoted" C:\\dir'
    assert app.get("PidFiles") == ["/var/run/a.pid", "/var/run/b.pid"]
    assert app.get("Device@sysA") == "eth0"
    assert g.links == [("app1", "ip1", 19)]
    assert g.group_links == [("g0", ["online", "local", "firm"], 20)]
    assert maincf.flatten({"a": "0", "b": "1"}) == ["a", "0", "b", "1"]


@pytest.mark.parametrize("text,line", [
    ('group g (\n  A = "open\n)', 2),
    ("group g (\n  A = 1\n  A = 2\n)", 3),
    ("App a ( )", 1),
    ("group g (\n A = { x = 1, y }\n)", 2),
    ("group g ( A = 1", 1),
    ("group g ( )\n  requires x", 2),
    ("include types.cf", 1),
    ("group g ( ) group g ( )", 1),
])
def test_parser_rejects_bad_syntax_naming_the_line(text, line):
    with pytest.raises(maincf.MainCfError) as err:
        maincf.parse(text)
    assert err.value.line == line
    assert str(err.value).startswith(f"line {line}: ")


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
@pytest.mark.parametrize("site_opts", [
    NO_STORAGE,
    {"diskgroup": "jobdg", "volume": "jobvol"},
    {"block_device": "/dev/sdb1", "fs_type": "ext4", "mount_point": "/mnt", "mount_opt": "rw"},
])
@pytest.mark.parametrize("monitor", [True, False])
def test_maincf_and_command_script_agree(tmp_path, supervisor, site_opts, monitor):
    adapter = make(tmp_path, supervisor=supervisor, monitor=monitor, site_opts=site_opts)
    arts = {a.path: a for a in adapter.render()}
    cf = maincf.parse(arts["main.cf"].content)
    assert cf.includes == ["types.cf"] and list(cf.systems) == ["spencer", "matto"]
    from_cf = maincf_groups(cf)
    from_sh = parse_command_script(arts["orange/vcs-commands.sh"].content)
    assert from_sh == from_cf
    g = cf.groups[GROUP]
    assert g.get("SystemList") == {"spencer": "0", "matto": "1"}
    assert g.get("AutoStartList") == ["spencer"]
    app = g.resources[f"{GROUP}_app"]
    # under cjcpw no deadline bounds JobCenter's 1-2 minute stop: Clean gets 2 x 120 + 60 s
    clean = "300" if supervisor == "cjcpw" else "180"
    assert app.get("OfflineTimeout") == "300" and app.get("CleanTimeout") == clean
    assert (app.get("Critical") == "0") is (not monitor)
    assert g.requires(f"{GROUP}_app", f"{GROUP}_ip")
    assert g.requires(f"{GROUP}_ip", f"{GROUP}_nic")
    if site_opts is not NO_STORAGE:
        assert g.requires(f"{GROUP}_app", f"{GROUP}_mnt")
    if "diskgroup" in site_opts:
        assert g.requires(f"{GROUP}_mnt", f"{GROUP}_vol")
        assert g.requires(f"{GROUP}_vol", f"{GROUP}_dg")
        assert g.resources[f"{GROUP}_mnt"].get("BlockDevice") == "/dev/vx/dsk/jobdg/jobvol"
    script = str(tmp_path / "scripts" / "jobcenter-orange.sh")
    assert app.get("StartProgram") == f"{script} start"
    if supervisor == "jccluster":
        jcc = str(tmp_path / "bin" / "jccluster")
        assert app.get("MonitorProgram") == f"{jcc} agent veritas monitor {SITE}"
        assert app.get("StopProgram") == f"{jcc} agent veritas offline {SITE}"
        assert app.get("CleanProgram") == f"{jcc} agent veritas clean {SITE}"
    else:
        assert app.get("MonitorProgram") == f"{script} monitor"
    errors = [f for f in run_checks(VeritasAdapter, cluster=adapter.cluster)
              if f.severity == "error"]
    assert errors == []


def test_example_renders_with_defaults_and_checks_clean(tmp_path):
    from jobcenter_cluster.model import example_cluster

    adapter = VeritasAdapter(example_cluster(VeritasAdapter.example_overrides()))
    arts = {a.path: (a.mode, a.language) for a in adapter.render()}
    assert arts == {"main.cf": (0o644, "maincf"), "orange/jobcenter-orange.sh": (0o755, "sh"),
                    "orange/vcs-commands.sh": (0o755, "sh"), "orange/APPLY.txt": (0o644, "text")}
    assert run_checks(VeritasAdapter, cluster=adapter.cluster) == []


def test_shell_artifacts_are_shellcheck_clean(tmp_path):
    for sup in ("jccluster", "cjcpw"):
        for monitor in (True, False):
            d = tmp_path / f"{sup}-{monitor}"
            adapter = make(d, supervisor=sup, monitor=monitor)
            write_artifacts(adapter.render(), str(d / "out"))
            for name in ("orange/jobcenter-orange.sh", "orange/vcs-commands.sh"):
                res = shellcheck(d / "out" / name, "sh")
                assert res.returncode == 0, (name, res.stdout)


def test_exit_table():
    code = VeritasAdapter.spec.exit_code
    assert code("monitor", Outcome.RUNNING) == 110
    assert code("monitor", Outcome.MAINTENANCE) == 110
    for o in (Outcome.STOPPED, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.NOT_INSTALLED):
        assert code("monitor", o) == 100
    assert code("monitor", Outcome.INVALID) == 99
    assert code("nonsense", Outcome.UNSUPPORTED) == 99
    for verb in ("online", "online-unwatched", "offline", "clean", "keep-port"):
        assert code(verb, Outcome.SUCCESS) == 0
        assert code(verb, Outcome.FAILED) == 1
    rows = {(v, o): c for v, o, c in VeritasAdapter.spec.exit_table()}
    assert rows[("monitor", Outcome.STOPPED)] == 100


# --------------------------------------------------------------------------- the site script


@pytest.mark.parametrize("shell", posix_shells())
def test_jccluster_start_runs_keep_port_first_then_online(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    script = out / "orange" / "jobcenter-orange.sh"
    jcc = ["jccluster", "agent", "veritas"]
    res = run_script(shell, script, "start")
    assert res.returncode == 0, res.stderr
    assert rec.commands() == [[*jcc, "keep-port", SITE], [*jcc, "online", SITE, DB]]
    rec.clear()
    rec.set_exit("jccluster", 1)
    res = run_script(shell, script, "start")
    assert res.returncode == 1
    assert rec.commands() == [[*jcc, "keep-port", SITE]]  # no start without the port
    assert "failed (exit 1)" in res.stderr
    for verb, code in (("monitor", 110), ("monitor", 100), ("stop", 0), ("clean", 1)):
        rec.clear()
        rec.set_exit("jccluster", code)
        res = run_script(shell, script, verb)
        assert res.returncode == code
        agent_verb = {"stop": "offline"}.get(verb, verb)
        assert rec.commands() == [[*jcc, agent_verb, SITE]]
    rec.clear()
    res = run_script(shell, script, "bogus")
    assert res.returncode == 1 and rec.commands() == [] and "usage" in res.stderr


def test_jccluster_unwatched_start(tmp_path):
    _, rec, out = rendered(tmp_path, monitor=False)
    res = run_script("dash", out / "orange" / "jobcenter-orange.sh", "start")
    assert res.returncode == 0
    assert rec.commands() == [["jccluster", "agent", "veritas", "keep-port", SITE],
                              ["jccluster", "agent", "veritas", "online-unwatched", SITE, DB]]


# supervisor = "cjcpw": JobCenter's own commands are the emulated installation's
# (tests/support/jobcenter_cmds.py) under the rendered install_prefix -- nqsportkpr really holds
# the port, cjcpw really starts the site's daemons and stays in the foreground until cjcpw -stop
# (exit 1 when a daemon dies), cjcls prints the manual's table; only the calls are recorded.


@contextlib.contextmanager
def emulated_site(tmp_path: Path, reaper, monitor: bool = True, disk_size: str | None = None
                  ) -> Iterator[tuple[Emulated, Path, Path]]:
    """The site script rendered for the emulated installation's site: ``(jc, script,
    pidfile)``."""
    with jobcenter_cmds.emulated_site(make, tmp_path, reaper, {"veritas": VXVM}, monitor=monitor,
                                      disk_size=disk_size) as (jc, d, pidfile):
        yield jc, d / f"jobcenter-{jc.short}.sh", pidfile


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", posix_shells())
def test_cjcpw_start_backgrounds_the_watcher_and_monitor_follows_it(tmp_path, shell, reaper):
    with emulated_site(tmp_path, reaper) as (jc, script, pidfile):
        res = run_script(shell, script, "start", timeout=20)
        assert res.returncode == 0, res.stderr
        pid = int(pidfile.read_text())
        poll_for(lambda: len(jc.calls()) == 2, what="the watcher to be called")
        assert jc.calls() == [["nqsportkpr", jc.site], ["cjcpw", jc.site, jc.db]]
        jc.wait_up()
        assert run_script(shell, script, "monitor").returncode == 110
        # a watched daemon dies: the emulated cjcpw exits (manual §2.10.4), the monitor says
        # offline, which VCS takes as a fault of an online resource
        os.kill(jc.inst.pid("nqsdaemon"), signal.SIGKILL)
        wait_dead(pid, timeout=30)
        assert run_script(shell, script, "monitor").returncode == 100
        jc.clear()
        res = run_script(shell, script, "stop", timeout=60)
        assert res.returncode == 0, res.stderr
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]]  # cjcls: the check
        assert not pidfile.exists()
        assert jc.running() == [], "the stop left daemons of the site running"
        assert run_script(shell, script, "monitor").returncode == 100


def test_cjcpw_monitor_ignores_a_stale_or_foreign_pidfile(tmp_path):
    _, rec, out = rendered(tmp_path, supervisor="cjcpw")
    script = out / "orange" / "jobcenter-orange.sh"
    pidfile = tmp_path / "run" / "jobcenter-orange.cjcpw.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # alive, but not cjcpw for this site
    assert run_script("dash", script, "monitor").returncode == 100
    pidfile.write_text("garbage\n")
    assert run_script("dash", script, "monitor").returncode == 100
    pidfile.unlink()
    assert run_script("dash", script, "monitor").returncode == 100


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", ["dash", "mksh"])
def test_cjcpw_clean_kills_the_watcher_then_stops(tmp_path, shell, reaper):
    with emulated_site(tmp_path, reaper) as (jc, script, pidfile):
        assert run_script(shell, script, "start").returncode == 0
        pid = int(pidfile.read_text())
        jc.wait_up()
        jc.clear()
        res = run_script(shell, script, "clean", timeout=60)
        assert res.returncode == 0, res.stderr
        wait_dead(pid)  # the watcher was killed (or exited once the stop was asked for)
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]]  # cjcls: the check
        assert jc.running() == [], "clean left daemons of the site running"
        assert not pidfile.exists()
        # clean without a watcher still stops (the emulated cjcpw -stop: "not running", exit 0)
        jc.clear()
        assert run_script(shell, script, "clean").returncode == 0
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]]
        # a failing cjcpw -stop with nothing of the site left does not fail the clean (issue 20:
        # a failing Clean blocks the failover)
        (Path(jc.db) / "nqs" / "sim" / "faults").write_text("cjcpw-stop=fail\n")
        jc.clear()
        res = run_script(shell, script, "clean")
        assert res.returncode == 0, res.stderr
        assert "emulated fault cjcpw-stop=fail" in res.stderr
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]]


@pytest.mark.timeout(120)
def test_cjcpw_clean_fails_when_the_stop_fails_on_a_full_disk(tmp_path, reaper):
    """A real failing ``cjcpw -stop``: the database's disk is full (a small tmpfs filled up), so
    the emulated cjcpw cannot record the stop and exits 1 with ENOSPC; clean must fail too."""
    with emulated_site(tmp_path, reaper, disk_size="2m") as (jc, script, pidfile):
        assert run_script("dash", script, "start").returncode == 0
        jc.wait_up()
        jc.fill_disk()
        jc.clear()
        res = run_script("dash", script, "clean", timeout=60)
        assert res.returncode == 1, res.stderr  # the site still runs (cjcls lists it)
        assert jc.calls() == [["cjcpw", "-stop", jc.site], ["cjcls"]]
        assert "No space left on device" in res.stderr and "failed (exit 1)" in res.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shell", posix_shells())
def test_cjcpw_start_stops_when_the_port_keeper_fails(tmp_path, shell, reaper):
    with emulated_site(tmp_path, reaper) as (jc, script, pidfile):
        with jc.hold_port():  # something else holds the NQS port: nqsportkpr really fails
            res = run_script(shell, script, "start")
        assert res.returncode == 1
        assert jc.calls() == [["nqsportkpr", jc.site]]
        assert "nqsportkpr" in res.stderr and "failed (exit 1)" in res.stderr
        assert not pidfile.exists()
        assert jc.daemon_pid() is None


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", posix_shells())
def test_cjcpw_unwatched_start_and_cjcls_monitor(tmp_path, shell, reaper):
    with emulated_site(tmp_path, reaper, monitor=False) as (jc, script, _):
        assert run_script(shell, script, "monitor").returncode == 100  # cjcls: not listed
        assert run_script(shell, script, "start", timeout=60).returncode == 0
        assert [c for c in jc.calls() if c[0] != "cjcls"] == [
            ["nqsportkpr", jc.site], ["cjcpw", "-c", jc.site, jc.db]]
        assert jc.daemon_pid() is not None
        assert run_script(shell, script, "monitor").returncode == 110  # cjcls: the daemon pid
        os.kill(jc.inst.pid("nqsdaemon"), signal.SIGKILL)
        poll_for(lambda: run_script(shell, script, "monitor").returncode == 100,
                 what="the monitor to see nqsdaemon gone (cjcls: SHUT)")


@pytest.mark.parametrize("shell", ["dash", "busybox"])
def test_cjcpw_unwatched_monitor_reads_cjcls_variants(tmp_path, shell):
    """cjcls listings the emulation does not print (it always lists the official name and
    succeeds): a site listed by its short name, another site's pid, cjcls failing. A
    recording stub answers here."""
    _, rec, out = rendered(tmp_path, supervisor="cjcpw", monitor=False)
    script = out / "orange" / "jobcenter-orange.sh"
    header = "SITE-NAME\tDAEMON-PID\tDB-PATH(LINK)\n"
    rec.set_stdout("cjcls", header + f"orange\t1320\t{DB}\n")  # listed by its short name
    assert run_script(shell, script, "monitor").returncode == 110
    rec.set_stdout("cjcls", header + f"{SITE}\tSHUT\t{DB}\nlemon.example.com\t77\t/x\n")
    assert run_script(shell, script, "monitor").returncode == 100
    rec.set_exit("cjcls", 1)
    rec.set_stdout("cjcls", "")
    assert run_script(shell, script, "monitor").returncode == 100
    assert rec.commands() == [["cjcls"]] * 3


# --------------------------------------------------------------------------- the command script


@pytest.mark.parametrize("shell", posix_shells())
def test_command_script_builds_the_maincf_group(tmp_path, shell):
    arts, rec, out = rendered(tmp_path, site_opts={"diskgroup": "jobdg", "volume": "jobvol"})
    res = run_script(shell, out / "orange" / "vcs-commands.sh")
    assert res.returncode == 0, res.stderr
    cmds = rec.commands()
    assert cmds[0] == ["hagrp", "-display", GROUP]
    assert cmds[1] == ["haconf", "-makerw"]
    assert cmds[2] == ["hagrp", "-add", GROUP]
    assert cmds[-1] == ["haconf", "-dump", "-makero"]
    enabled = [c for c in cmds if c[-2:] == ["Enabled", "1"]]
    assert len(enabled) == 6 and cmds[-7:-1] == enabled  # enabled last, after every link
    first_link = next(i for i, c in enumerate(cmds) if c[1] == "-link")
    assert all(c[1] != "-add" for c in cmds[first_link:])
    for i, c in enumerate(cmds):  # a static attribute is overridden before it is modified
        if c[:2] == ["hares", "-modify"] and c[3] in ("OfflineTimeout", "CleanTimeout"):
            assert cmds[i - 1] == ["hares", "-override", c[2], c[3]]
    # what the cluster received equals main.cf, attribute by attribute
    assert recorded_groups(rec) == maincf_groups(maincf.parse(arts["main.cf"].content))
    assert all(c["env"] == {} or "VCS_HOME" not in c["env"] for c in rec.calls())


def test_command_script_makes_the_documented_group(tmp_path):
    """The ha* calls written out here, not read back through the adapter's own main.cf and
    parser. Forms from Veritas Cluster Server documentation: ``haconf -makerw`` / ``haconf
    -dump -makero`` (haconf(1M)); ``hagrp -add GROUP``, ``hagrp -modify GROUP SystemList SYS
    PRIORITY ...`` (association) and ``AutoStartList SYS`` (keylist); ``hares -add RES TYPE
    GROUP``, ``hares -modify RES ATTR VALUE``, ``hares -link PARENT CHILD`` (the parent depends
    on the child) and ``hares -modify RES Enabled 1`` (a resource added with -add starts
    disabled) -- Administrator's/User's Guide, "Adding, modifying and linking resources"; a
    static attribute (OfflineTimeout, CleanTimeout) is overridden (``hares -override``) before it is
    modified per resource (Agent Developer's Guide, "Overriding static attributes"). Resource
    types and attributes: Bundled Agents Reference Guide (NIC, IP, DiskGroup, Volume, Mount,
    Application). Sources listed in docs/adapters/veritas.md. Names and values are this
    project's choices for the example cluster."""
    _, rec, out = rendered(tmp_path, site_opts={"diskgroup": "jobdg", "volume": "jobvol"})
    res = run_script("dash", out / "orange" / "vcs-commands.sh")
    assert res.returncode == 0, res.stderr
    g = GROUP
    script = tmp_path / "scripts" / "jobcenter-orange.sh"
    jcc = tmp_path / "bin" / "jccluster"
    enabled = [f"{g}_{r}" for r in ("nic", "ip", "dg", "vol", "mnt", "app")]
    assert rec.commands() == [
        ["hagrp", "-display", g],  # refuse to touch a group that exists
        ["haconf", "-makerw"],
        ["hagrp", "-add", g],
        ["hagrp", "-modify", g, "SystemList", "spencer", "0", "matto", "1"],
        ["hagrp", "-modify", g, "AutoStartList", "spencer"],
        ["hares", "-add", f"{g}_nic", "NIC", g],
        ["hares", "-modify", f"{g}_nic", "Device", "eth0"],
        ["hares", "-add", f"{g}_ip", "IP", g],
        ["hares", "-modify", f"{g}_ip", "Device", "eth0"],
        ["hares", "-modify", f"{g}_ip", "Address", "10.17.21.162"],
        ["hares", "-modify", f"{g}_ip", "NetMask", "255.255.255.0"],
        ["hares", "-add", f"{g}_dg", "DiskGroup", g],
        ["hares", "-modify", f"{g}_dg", "DiskGroup", "jobdg"],
        ["hares", "-add", f"{g}_vol", "Volume", g],
        ["hares", "-modify", f"{g}_vol", "DiskGroup", "jobdg"],
        ["hares", "-modify", f"{g}_vol", "Volume", "jobvol"],
        ["hares", "-add", f"{g}_mnt", "Mount", g],
        ["hares", "-modify", f"{g}_mnt", "MountPoint", DB],
        ["hares", "-modify", f"{g}_mnt", "BlockDevice", "/dev/vx/dsk/jobdg/jobvol"],
        ["hares", "-modify", f"{g}_mnt", "FSType", "vxfs"],
        ["hares", "-modify", f"{g}_mnt", "FsckOpt", "%-y"],
        ["hares", "-add", f"{g}_app", "Application", g],
        ["hares", "-modify", f"{g}_app", "StartProgram", f"{script} start"],
        ["hares", "-modify", f"{g}_app", "StopProgram", f"{jcc} agent veritas offline {SITE}"],
        ["hares", "-modify", f"{g}_app", "CleanProgram", f"{jcc} agent veritas clean {SITE}"],
        ["hares", "-modify", f"{g}_app", "MonitorProgram",
         f"{jcc} agent veritas monitor {SITE}"],
        ["hares", "-override", f"{g}_app", "OfflineTimeout"],
        ["hares", "-modify", f"{g}_app", "OfflineTimeout", "300"],
        ["hares", "-override", f"{g}_app", "CleanTimeout"],
        ["hares", "-modify", f"{g}_app", "CleanTimeout", "180"],
        ["hares", "-link", f"{g}_ip", f"{g}_nic"],
        ["hares", "-link", f"{g}_vol", f"{g}_dg"],
        ["hares", "-link", f"{g}_mnt", f"{g}_vol"],
        ["hares", "-link", f"{g}_app", f"{g}_ip"],
        ["hares", "-link", f"{g}_app", f"{g}_mnt"],
        *[["hares", "-modify", r, "Enabled", "1"] for r in enabled],
        ["haconf", "-dump", "-makero"],
    ]


def test_command_script_refuses_an_existing_group(tmp_path):
    _, rec, out = rendered(tmp_path)
    arg_stub(rec, tmp_path / "vcs" / "bin" / "hagrp", {"-display": 0})
    res = run_script("dash", out / "orange" / "vcs-commands.sh")
    assert res.returncode == 1
    assert "already exists" in res.stderr
    assert rec.commands() == [["hagrp", "-display", GROUP]]


@pytest.mark.parametrize("shell", ["dash", "bash", "ksh93"])
def test_command_script_stops_at_the_first_failure(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    rec.set_exit("hares", 4)
    res = run_script(shell, out / "orange" / "vcs-commands.sh")
    assert res.returncode == 1
    assert "failed (exit 4)" in res.stderr and "haconf -dump -makero" in res.stderr
    cmds = rec.commands()
    assert cmds[-1][:2] == ["hares", "-add"]  # nothing after the failed step
    assert ["haconf", "-dump", "-makero"] not in cmds


def test_command_script_continues_when_already_writable(tmp_path):
    _, rec, out = rendered(tmp_path)
    rec.set_exit("haconf", 1)  # -makerw fails; so will the final dump: exit 1, told why
    res = run_script("dash", out / "orange" / "vcs-commands.sh")
    assert "already writable" in res.stderr
    assert ["hagrp", "-add", GROUP] in rec.commands()
    assert res.returncode == 1


def test_command_script_needs_vcs(tmp_path):
    _, rec, out = rendered(tmp_path)
    res = run_script("dash", out / "orange" / "vcs-commands.sh",
                     env={"VCS_HOME": str(tmp_path / "nowhere")})
    assert res.returncode == 1 and "not found" in res.stderr and rec.commands() == []


# --------------------------------------------------------------------------- check rules


def check_dir(tmp_path: Path, edit, **kw) -> list:
    adapter = make(tmp_path, **kw)
    out = tmp_path / "chk"
    write_artifacts(adapter.render(), str(out))
    if edit is not None:
        edit(out)
    return run_checks(VeritasAdapter, directory=str(out), cluster=adapter.cluster)


def sub(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


JCC_MON = "agent veritas monitor orange.example.com"


@pytest.mark.parametrize("rule,edit,kw", [
    ("VCS-MAINCF-SYNTAX", lambda d: sub(d / "main.cf", "SystemList = {", "SystemList = {{"), {}),
    ("VCS-APP-PROGRAMS", lambda d: sub(d / "main.cf", "CleanProgram", "// CleanProgram"), {}),
    ("VCS-APP-PROGRAMS", lambda d: sub(d / "main.cf", "MonitorProgram", "// MonitorProgram"),
     {}),
    ("VCS-PROGRAM-ABSOLUTE", lambda d: sub(d / "main.cf", '"/opt', '"opt'),
     {"opts": {"script_dir": "/opt/jc"}}),
    ("VCS-PROGRAM-ABSOLUTE", lambda d: sub(d / "main.cf", "offline orange.example.com",
                                           "offline 'orange.example.com'"), {}),
    ("VCS-START-RETURNS", lambda d: sub(d / "main.cf", "jobcenter-orange.sh start",
                                        "../nqs/cluster/cjcpw orange.example.com /mnt/jobdb"),
     {"opts": {"script_dir": "/x"}}),
    ("VCS-MONITOR-AGENT", lambda d: sub(d / "main.cf", JCC_MON, "agent veritas status orange"),
     {}),
    ("VCS-PORTKEEPER-FIRST", lambda d: sub(d / "orange" / "jobcenter-orange.sh",
                                           "(manual §2.10.4).\n",
                                           "(manual §2.10.4).\n    /bin/true\n"), {}),
    ("VCS-PORTKEEPER-FIRST", lambda d: sub(d / "main.cf", "jobcenter-orange.sh start",
                                           "other.sh start"), {}),
    ("VCS-REQUIRES", lambda d: sub(d / "main.cf", "jobcenter_orange_app requires "
                                   "jobcenter_orange_ip", ""), {}),
    ("VCS-REQUIRES", lambda d: sub(d / "main.cf", "jobcenter_orange_app requires "
                                   "jobcenter_orange_mnt", ""),
     {"site_opts": {"block_device": "/dev/sdb1"}}),
    ("VCS-REQUIRES", lambda d: sub(d / "main.cf", "jobcenter_orange_vol requires "
                                   "jobcenter_orange_dg", ""),
     {"site_opts": {"diskgroup": "dg", "volume": "v"}}),
    ("VCS-AUTOSTART-SUBSET", lambda d: sub(d / "main.cf", "AutoStartList = { spencer }",
                                           "AutoStartList = { spencer, other }"), {}),
    ("VCS-NODES", lambda d: sub(d / "main.cf", ", matto = 1 }", " }"), {}),
    ("VCS-TIMEOUTS", lambda d: sub(d / "main.cf", "CleanTimeout = 180", "CleanTimeout = 100"),
     {}),
    ("VCS-TIMEOUTS", lambda d: sub(d / "main.cf", "CleanTimeout = 180", ""), {}),
    ("VCS-COMMANDS-MATCH", lambda d: sub(d / "orange" / "vcs-commands.sh", "NetMask "
                                         "255.255.255.0", "NetMask 255.255.0.0"), {}),
    ("VCS-COMMANDS-MATCH", lambda d: sub(d / "orange" / "vcs-commands.sh", "hares -link "
                                         "jobcenter_orange_ip jobcenter_orange_nic", ""), {}),
])
def test_each_rule_catches_its_broken_artifact(tmp_path, rule, edit, kw):
    clean = [f for f in check_dir(tmp_path / "a", None, **kw) if f.severity == "error"]
    assert clean == []
    found = check_dir(tmp_path / "b", edit, **kw)
    assert rule in {f.rule for f in found if f.severity == "error"}, found


def test_storage_opt_out_checks_clean_and_its_comment_is_what_the_rule_reads(tmp_path):
    assert check_dir(tmp_path / "a", None, site_opts=NO_STORAGE) == []
    found = check_dir(tmp_path / "b", lambda d: sub(d / "main.cf", '// storage = "none": '
                      "mounted by group jobdisk", "// nothing"), site_opts=NO_STORAGE)
    assert [(f.rule, f.severity) for f in found] == [("VCS-STORAGE", "error")]


def test_rules_work_on_a_directory_without_a_cluster_file(tmp_path):
    adapter = make(tmp_path, supervisor="cjcpw", site_opts={"block_device": "/dev/sdb1"})
    write_artifacts(adapter.render(), str(tmp_path / "d"))
    assert run_checks(VeritasAdapter, directory=str(tmp_path / "d")) == []


# --------------------------------------------------------------------------- bad and hostile input


@pytest.mark.parametrize("overrides,field", [
    ({"site": [{"veritas": {"group": "1bad"}}]}, "site[0].veritas.group"),
    ({"site": [{"veritas": {"group": "a b"}}]}, "site[0].veritas.group"),
    ({"site": [{"veritas": {"device": "eth0;rm"}}]}, "site[0].veritas.device"),
    ({"site": [{"veritas": {"netmask": "255.0.255.0"}}]}, "site[0].veritas.netmask"),
    ({"site": [{"veritas": {"diskgroup": "dg"}}]}, "site[0].veritas.diskgroup"),
    ({"site": [{"veritas": {"volume": "v"}}]}, "site[0].veritas.volume"),
    ({"site": [{"veritas": {**VXVM, "clean_timeout": 60}}]}, "site[0].veritas.clean_timeout"),
    ({}, "site[0].veritas.diskgroup"),  # no storage: refused (VCS would start without the disk)
    ({"site": [{"veritas": {"storage": "none"}}]}, "site[0].veritas.storage_reason"),
    ({"site": [{"veritas": {**VXVM, "storage": "none", "storage_reason": "x"}}]},
     "site[0].veritas.storage"),
    ({"site": [{"veritas": {**VXVM, "storage_reason": "x"}}]}, "site[0].veritas.storage_reason"),
    ({"site": [{"veritas": {"storage": "some", "storage_reason": "x"}}]},
     "site[0].veritas.storage"),
    ({"site": [{"veritas": {"mount_point": "/mnt/a b"}}]}, "site[0].veritas.mount_point"),
    ({"veritas": {"script_dir": "/opt/my scripts"}}, "veritas.script_dir"),
    ({"veritas": {"system_names": "upper"}}, "veritas.system_names"),
    ({"cluster": {"spool_root": "/var/spool nqs"}}, "cluster.spool_root"),
    ({"cluster": {"product": "jobcenter-windows"}, "site": [{"database": "Q:\\jobdb"}]},
     "cluster.product"),
])
def test_bad_options_are_one_line_errors_naming_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        VeritasAdapter(parse_cluster(example_data(overrides), adapter_names=["veritas"]))
    msg = str(err.value)
    assert "\n" not in msg and f": {field}: " in msg, msg


def test_duplicate_short_names_need_full_system_names():
    data = example_data({"node": [{}, {"name": "spencer.other.com"}],
                         "site": [{"veritas": VXVM}]})
    with pytest.raises(ConfigError, match="system_names"):
        VeritasAdapter(parse_cluster(data))
    data["veritas"] = {"system_names": "full"}
    arts = {a.path: a for a in VeritasAdapter(parse_cluster(data)).render()}
    cf = maincf.parse(arts["main.cf"].content)
    assert list(cf.systems) == ["spencer.example.com", "spencer.other.com"]


def test_cli_render_reports_a_bad_option_in_one_line(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    from jobcenter_cluster.model import EXAMPLE_TOML

    cfg.write_text(EXAMPLE_TOML + '\n[veritas]\nlog_dir = "relative/log"\n')
    code = cli_run(["render", "veritas", "-c", str(cfg), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "veritas.log_dir" in err[0], err
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
    @given(parts=st.lists(_PATH_CHARS, min_size=1, max_size=3))
    def check(parts):
        db = "/" + "/".join(parts)
        tmp = tmp_path_factory.mktemp("h")
        try:
            adapter = make(tmp, supervisor="cjcpw", monitor=False,
                           site=[{"database": db, "monitor": False,
                                  "veritas": {"block_device": "/dev/sdb1"}}])
        except ConfigError as err:  # the model refuses it: a one-line error naming the field
            assert "site[0].database" in str(err) and "\n" not in str(err)
            return
        arts = {a.path: a for a in adapter.render()}
        g = maincf.parse(arts["main.cf"].content).groups[GROUP]
        assert g.resources[f"{GROUP}_mnt"].get("MountPoint") == db  # main.cf carries it exactly
        assert parse_command_script(arts["orange/vcs-commands.sh"].content) == \
            maincf_groups(maincf.parse(arts["main.cf"].content))
        out = tmp / "out"
        write_artifacts(list(arts.values()), str(out))
        (tmp / "log").mkdir()
        # stubs of nqsportkpr and cjcpw here: the emulated cjcpw needs a database cjcmksite
        # built, and these paths lie anywhere under / (the test may not create them there)
        rec = Recorder(tmp)
        rec.stub(tmp / "nqs" / "nqsportkpr")
        rec.stub(tmp / "nqs" / "cluster" / "cjcpw")
        res = run_script("dash", out / "orange" / "jobcenter-orange.sh", "start")
        assert res.returncode == 0, res.stderr
        assert rec.commands() == [["nqsportkpr", SITE], ["cjcpw", "-c", SITE, db]]
        log = tmp / "ha.log"
        (tmp / "vcs" / "bin").mkdir(parents=True)
        for cmd in ("hagrp", "hares", "haconf"):  # fast sh stubs: NUL-separated words per call
            stub = tmp / "vcs" / "bin" / cmd
            stub.write_text("#!/bin/sh\n{ printf '%s\\0' \"${0##*/}\" \"$@\"; printf '\\036\\0'; } "
                            f">>'{log}'\n" + ("[ \"$1\" = -display ] && exit 1\n" if cmd == "hagrp"
                                             else "") + "exit 0\n")
            stub.chmod(0o755)
        assert run_script("dash", out / "orange" / "vcs-commands.sh").returncode == 0
        calls = [c.split("\0")[:-1] for c in log.read_text().split("\036\0") if c]
        mounts = [c for c in calls if c[:2] == ["hares", "-modify"] and c[3] == "MountPoint"]
        assert mounts == [["hares", "-modify", f"{GROUP}_mnt", "MountPoint", db]]
        carried.append(db)

    check()
    assert len(carried) >= MIN_CARRIED, (
        f"only {len(carried)} database paths were carried through: the test checked rejection only")


# --------------------------------------------------------------------------- against a real site


@pytest.mark.timeout(180)
def test_site_script_drives_a_simulator_site(tmp_path, sim_site, reaper, poll_for):
    """The rendered script, with the real jccluster, against a running/failed/stopped site."""
    jcc = Path(sys.executable).with_name("jccluster")
    if not jcc.exists():
        pytest.skip("jccluster is not installed next to the test interpreter")
    overrides = {
        "cluster": {"product": "simulator", "jccluster": str(jcc), "spool_root": sim_site.root},
        "site": [{"name": sim_site.name, "address": sim_site.address, "database": sim_site.db}],
        "veritas": {"script_dir": str(tmp_path / "s"), "log_dir": str(tmp_path)},
    }
    overrides["site"][0]["veritas"] = VXVM
    adapter = VeritasAdapter(parse_cluster(example_data(overrides)))
    arts = {a.path: a for a in adapter.render()}
    short = sim_site.name.split(".")[0]
    write_artifacts(list(arts.values()), str(tmp_path / "out"))
    script = tmp_path / "out" / short / f"jobcenter-{short}.sh"
    env = {k: v for k, v in os.environ.items() if k.startswith("JCCLUSTER_")}
    app = maincf.parse(arts["main.cf"].content).groups[f"jobcenter_{short}"] \
        .resources[f"jobcenter_{short}_app"]

    def program(key: str) -> int:  # what VCS does: split the line on spaces, run it
        return subprocess.run(str(app.get(key)).split(), env={**env, "PATH": "/usr/bin:/bin"},
                              capture_output=True, timeout=150).returncode

    assert program("MonitorProgram") == 100
    res = run_script("dash", script, "start", env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sim_site.status().outcome is Outcome.RUNNING
    assert program("MonitorProgram") == 110
    os.kill(sim_site.pid("nqsdaemon"), signal.SIGKILL)
    poll_for(lambda: sim_site.status().outcome is Outcome.FAILED, timeout=15, what="failed")
    assert program("MonitorProgram") == 100
    assert program("CleanProgram") == 0
    assert sim_site.status().outcome is Outcome.STOPPED
    assert program("MonitorProgram") == 100
    assert program("StopProgram") == 0  # offline of an offline site succeeds


def test_agent_monitor_codes_through_the_cli(sim_site):
    args = [sys.executable, "-m", "jobcenter_cluster", "agent", "veritas", "monitor",
            sim_site.name, "--root", sim_site.root, "--product", "simulator"]
    assert subprocess.run(args, capture_output=True, timeout=60).returncode == 100
    bad = subprocess.run([*args[:5], "monitor"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 99 and "SITE is required" in bad.stderr


# --------------------------------------------------------------------------- vendor review (issue 11)

# A stand-in for hares/hagrp that behaves as the real ones do with a value that begins with '-':
# they read it as an option and fail. It records every call like the other stubs.
_STRICT_HA = """#!/bin/sh
printf '%s\\n' "$0 $*" >>{log}
if [ "$1" = -display ]; then exit 1; fi
if [ "$1" = -modify ]; then
    shift 3
    for w in "$@"; do
        case "$w" in -*) echo "VCS ERROR V-16-1-10127 unknown option $w" >&2; exit 1 ;; esac
    done
fi
exit 0
"""


def test_values_beginning_with_a_dash_are_escaped_so_hares_accepts_them(tmp_path):
    arts, rec, out = rendered(tmp_path)  # VxVM storage: Mount FsckOpt -y
    script = arts["orange/vcs-commands.sh"].content
    assert f"hares -modify {GROUP}_mnt FsckOpt %-y\n" in script
    assert not any(w.startswith("-") for line in script.splitlines()
                   if line.startswith(("hares -modify", "hagrp -modify"))
                   for w in line.split()[4:])
    log = tmp_path / "ha.log"
    for cmd in ("hagrp", "hares"):
        stub = tmp_path / "vcs" / "bin" / cmd
        stub.write_text(_STRICT_HA.format(log=log))
        stub.chmod(0o755)
    res = run_script("dash", out / "orange" / "vcs-commands.sh")
    assert res.returncode == 0, res.stderr
    assert f"hares -modify {GROUP}_mnt FsckOpt %-y" in log.read_text()
    # the command script still describes main.cf's group once the escapes are read back
    assert parse_command_script(script) == maincf_groups(maincf.parse(arts["main.cf"].content))


def test_dash_value_rule_catches_a_hand_edited_unescaped_value(tmp_path):
    found = check_dir(tmp_path, lambda d: sub(d / "orange" / "vcs-commands.sh",
                                             "FsckOpt %-y", "FsckOpt -y"))
    assert [f.rule for f in found if f.severity == "error"] == ["VCS-DASH-VALUE"]


def test_storage_is_required_and_the_opt_out_is_rendered_with_its_reason(tmp_path):
    d = example_data()
    with pytest.raises(ConfigError, match=r": site\[0\]\.veritas\.diskgroup: is required"):
        VeritasAdapter(parse_cluster(d, adapter_names=["veritas"]))
    arts = {a.path: a.content for a in make(tmp_path, site_opts=NO_STORAGE).render()}
    assert '// storage = "none": mounted by group jobdisk' in arts["main.cf"]
    assert "# storage = \"none\": mounted by group jobdisk" in arts["orange/vcs-commands.sh"]
    assert "hagrp -link jobcenter_orange DISK-GROUP" in arts["orange/APPLY.txt"]
    g = maincf.parse(arts["main.cf"]).groups[GROUP]
    assert not g.of_type("Mount")


def test_solaris_scripts_run_under_the_posix_shell(tmp_path):
    adapter = make(tmp_path, cluster_product="jobcenter-solaris")
    arts = {a.path: a.content for a in adapter.render()}
    for name in ("orange/jobcenter-orange.sh", "orange/vcs-commands.sh"):
        assert arts[name].startswith("#!/usr/xpg4/bin/sh\n"), name
        assert "PATH=/usr/xpg4/bin:/usr/bin:/usr/sbin:/sbin:" in arts[name]
    linux = {a.path: a.content for a in make(tmp_path / "l").render()}
    assert linux["orange/jobcenter-orange.sh"].startswith("#!/bin/sh\n")
    hpux = {a.path: a.content for a in make(tmp_path / "h", cluster_product="jobcenter-hpux",
                                            supervisor="cjcpw").render()}
    assert hpux["orange/jobcenter-orange.sh"].startswith("#!/usr/bin/sh\n")


def test_posix_shell_rule_catches_a_bourne_shebang_on_solaris(tmp_path):
    clean = check_dir(tmp_path / "a", None, cluster_product="jobcenter-solaris")
    assert [f for f in clean if f.severity == "error"] == []
    found = check_dir(tmp_path / "b", lambda d: sub(d / "orange" / "jobcenter-orange.sh",
                                                   "#!/usr/xpg4/bin/sh", "#!/bin/sh"),
                      cluster_product="jobcenter-solaris")
    assert [f.rule for f in found if f.severity == "error"] == ["VCS-POSIX-SHELL"]
    # the same file is fine on Linux, where /bin/sh is POSIX
    linux = check_dir(tmp_path / "c", None)
    assert linux == []


def test_netmask_is_the_sites_and_required(tmp_path):
    d = example_data({"site": [{"veritas": VXVM}]})
    del d["site"][0]["netmask"]
    with pytest.raises(ConfigError) as err:
        VeritasAdapter(parse_cluster(d, adapter_names=["veritas"]))
    assert ": site[0].netmask: is required for the VCS IP resource's NetMask" in str(err.value)
    adapter = make(tmp_path, site=[{"netmask": "16", "veritas": VXVM}])
    arts = {a.path: a.content for a in adapter.render()}
    ip = maincf.parse(arts["main.cf"]).groups[GROUP].resources[f"{GROUP}_ip"]
    assert ip.get("NetMask") == "255.255.0.0"
    assert f"hares -modify {GROUP}_ip NetMask 255.255.0.0" in arts["orange/vcs-commands.sh"]


def test_netmask_rule_catches_a_hand_edited_mask(tmp_path):
    found = check_dir(tmp_path, lambda d: sub(d / "main.cf", 'NetMask = "255.255.255.0"',
                                             'NetMask = "255.255.0.0"'))
    assert "VCS-NETMASK" in {f.rule for f in found if f.severity == "error"}
    found = check_dir(tmp_path / "b", lambda d: sub(d / "main.cf", 'NetMask = "255.255.255.0"',
                                                   ""))
    assert "VCS-NETMASK" in {f.rule for f in found if f.severity == "error"}


# Commands the scripts run by name; an attacker plants them first in the caller's PATH.
PLANTED = ("date", "cat", "ps", "rm", "nohup", "awk", "printf", "kill", "logger", "sleep", "env",
           "sh", "test", "[", "echo", "mkdir", "hares", "hagrp", "haconf", "jccluster", "cjcpw")


def plant(tmp_path: Path) -> tuple[Path, Path]:
    """An attacker's directory of look-alike commands that each leave a marker."""
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    for name in PLANTED:
        p = evil / name
        p.write_text(f"#!/bin/sh\necho {name} >>{marker}\nexit 0\n")
        p.chmod(0o755)
    return evil, marker


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", posix_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_scripts_never_run_a_command_planted_in_the_callers_path(tmp_path, shell, supervisor,
                                                                  reaper):
    _, rec, out = rendered(tmp_path, supervisor=supervisor)
    evil, marker = plant(tmp_path)
    env = {"PATH": f"{evil}:/usr/bin:/bin"}
    short = "orange"
    with contextlib.ExitStack() as stack:
        script = out / "orange" / "jobcenter-orange.sh"
        jc = None
        if supervisor == "cjcpw":  # JobCenter's commands: the emulated installation's
            jc, script, _ = stack.enter_context(emulated_site(tmp_path, reaper))
            short = jc.short
        rec.set_exit("jccluster", 1)  # the failure path logs (date) as well
        run_script(shell, script, "start", env=env, timeout=30)
        rec.set_exit("jccluster", 0)
        for verb in ("start", "monitor", "clean", "stop", "monitor", "bogus"):
            run_script(shell, script, verb, env=env, timeout=60)
        res = run_script(shell, out / short / "vcs-commands.sh", env=env, timeout=30)
        assert res.returncode == 0, res.stderr
        assert not marker.exists(), marker.read_text()
        assert rec.commands()  # the real (absolute) commands did run
        if jc is not None:  # (the background watchers record their calls when they get to)
            assert {"nqsportkpr", "cjcpw"} <= {c[0] for c in jc.calls()}


def test_fixed_path_rule_catches_an_inherited_path(tmp_path):
    found = check_dir(tmp_path / "a", lambda d: sub(
        d / "orange" / "jobcenter-orange.sh", "PATH=/usr/sbin:/usr/bin:/sbin:/bin:",
        "PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin:"))
    assert [f.rule for f in found if f.severity == "error"] == ["CORE-FIXED-PATH"]
    found = check_dir(tmp_path / "b", lambda d: sub(
        d / "orange" / "vcs-commands.sh", "; export PATH\n", "\n"))
    # set but not exported: the programs it starts would search the caller's PATH
    assert [f.rule for f in found if f.severity == "error"] == ["CORE-FIXED-PATH"]
