"""CLUSTERPRO X / EXPRESSCLUSTER X for Linux adapter: the exec resource's scripts run under every
POSIX shell with the product's CLP_* variables and recording stubs, clpcfset.sh builds exactly
the rendered clp.conf, each check rule catches a hand-broken artifact, and hostile input is
rejected or carried through."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.adapters.clusterpro_linux.adapter import ClusterProLinuxAdapter
from jobcenter_cluster.adapters.clusterpro_linux.clpconf import (
    build_conf,
    conf_items,
    parse_conf,
    script_calls,
)
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_cluster, example_data, merge_data, parse_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.render import write_artifacts
from support import adapters
from support.adapters import stub_layout
from support.carried import (
    CARRIED,
    PLAIN_POSIX_TAIL,
    REJECTED,
    SHELL_HOSTILE_POSIX_TAIL,
    rejected_or_carried,
)
from support.shells import posix_shells, run_script, shell_argv, shellcheck
from support.stubs import Recorder

SITE = "orange.example.com"
DB = "/mnt/jobdb"
GROUP = "jobcenter-orange"
SCRIPTS = f"scripts/{GROUP}/exec-orange"
START = f"{SCRIPTS}/start.sh"
STOP = f"{SCRIPTS}/stop.sh"
NAME = "clusterpro-linux"
HOSTILE = list("ab/._-+@%=:,$`'\" \\;&|\n!*?(){}<>#~é")


def make(tmp_path: Path, supervisor: str = "jccluster", monitor: bool = True,
         site: dict | None = None, **extra) -> ClusterProLinuxAdapter:
    overrides = {**stub_layout(tmp_path, supervisor, monitor, site), **extra}
    # The scripts set a fixed PATH: the tests' one holds the stub directory (Recorder.bin).
    overrides = merge_data({NAME: {"script_path": stub_path(tmp_path)},
                            **ClusterProLinuxAdapter.example_overrides()}, overrides)
    return adapters.make(ClusterProLinuxAdapter, **overrides)


#: the example's required disk_device (the adapter's example overrides)
EX = ClusterProLinuxAdapter.example_overrides()


def ex_data(overrides: dict | None = None) -> dict:
    """The example cluster's data with the adapter's required keys, and `overrides`."""
    return example_data(merge_data(EX, overrides or {}))


def stub_path(tmp_path: Path) -> str:
    return f"{tmp_path / 'stub-bin'}:/usr/bin:/bin"


def rendered(tmp_path: Path, **kw) -> tuple[dict[str, Artifact], Recorder, Path]:
    out = tmp_path / "out"
    arts = adapters.rendered(make(tmp_path, **kw), out)
    rec = Recorder(tmp_path)
    for cmd in ("cluster/cjcpw", "nqsportkpr"):
        rec.stub(tmp_path / "nqs" / cmd)
    # stop.sh checks what is left after the stop (issue 20): cjcls lists the site as SHUT, the
    # engine's status answers 3 (stopped); neither is recorded as a JobCenter call
    shut = f"SITE-NAME  DAEMON-PID  DB-PATH(LINK)\n{SITE}  SHUT  {DB}\n"
    (tmp_path / "nqs" / "cluster" / "cjcls").write_text(f"#!/bin/sh\nprintf '%s' '{shut}'\n")
    (tmp_path / "nqs" / "cluster" / "cjcls").chmod(0o755)
    rec.stub(tmp_path / "bin" / "rec" / "jccluster")
    (tmp_path / "bin" / "jccluster").write_text(
        f'#!/bin/sh\n[ "$3" = status ] && exit 3\nexec {tmp_path / "bin" / "rec" / "jccluster"} "$@"\n')
    (tmp_path / "bin" / "jccluster").chmod(0o755)
    rec.stub("clplogcmd")
    fast_clpcfset(rec)
    return arts, rec, out


def fast_clpcfset(rec: Recorder) -> None:
    """A recording clpcfset in sh (clpcfset.sh makes ~40 calls; a Python stub each time is slow):
    each call appends 'CALL' and its arguments, NUL-terminated; the exit status comes from
    the Recorder's control file, as for the other stubs."""
    stub = rec.bin / "clpcfset"
    log, ctl = rec.workdir / "clpcfset-calls", rec.ctl / "clpcfset.exit"
    stub.write_text(f"""#!/bin/sh
printf 'CALL\\0' >> '{log}'
printf '%s\\0' "$@" >> '{log}'
[ -f '{ctl}' ] && exit "$(cat '{ctl}')"
exit 0
""")
    stub.chmod(0o755)


def clpcfset_calls(rec: Recorder) -> list[list[str]]:
    log = rec.workdir / "clpcfset-calls"
    if not log.exists():
        return []
    calls: list[list[str]] = []
    for word in log.read_text().split("\0")[:-1]:
        if word == "CALL":
            calls.append([])
        else:
            calls[-1].append(word)
    return calls


def clp_env(rec: Recorder, event: str | None, disk: str | None = "SUCCESS",
            server: str = "HOME") -> dict[str, str]:
    env = {"PATH": rec.path_env(), "CLP_SERVER": server}
    if event is not None:
        env["CLP_EVENT"] = event
    if disk is not None:
        env["CLP_DISK"] = disk
    return env


def jobcenter_calls(rec: Recorder) -> list[list[str]]:
    return [c for c in rec.commands() if c[0] != "clplogcmd"]


def log_levels(rec: Recorder) -> list[str]:
    return [c[c.index("-l") + 1] for c in rec.commands() if c[0] == "clplogcmd"]


def expected(tmp_path: Path, supervisor: str) -> dict[str, list[str]]:
    if supervisor == "cjcpw":
        return {"keep": ["nqsportkpr", SITE], "watch": ["cjcpw", SITE, DB],
                "nowatch": ["cjcpw", "-c", SITE, DB], "stop": ["cjcpw", "-stop", SITE]}
    agent = ["jccluster", "agent", NAME]
    return {"keep": [*agent, "keep-port", SITE], "watch": [*agent, "start", SITE, DB],
            "nowatch": [*agent, "start-nowatch", SITE, DB],
            "stop": [*agent, "stop", SITE, "--timeout", "120"]}


# --------------------------------------------------------------------------- what is rendered


def test_layout_is_what_clpcfctrl_push_reads(tmp_path):
    arts, _, _ = rendered(tmp_path)
    assert {p: (a.mode, a.language) for p, a in arts.items()} == {
        "clp.conf": (0o644, "xml"),
        "bootstrap/clp.conf": (0o644, "xml"),
        "clpcfset.sh": (0o755, "sh"),
        START: (0o755, "sh"),
        STOP: (0o755, "sh"),
        "APPLY.txt": (0o644, "text"),
        "PATCH.txt": (0o644, "text"),
    }
    apply = arts["APPLY.txt"].content
    assert "clpcfctrl --push -l -x" in apply and "-w instead of -l" in apply
    assert "clpcfset.sh --add-groups --bootstrap" in apply and "--add-exec" in apply


def test_example_cluster_renders_with_its_disk_device():
    adapter = ClusterProLinuxAdapter(example_cluster(ClusterProLinuxAdapter.example_overrides()))
    assert ClusterProLinuxAdapter.example_overrides() == {
        "site": [{NAME: {"disk_device": "/dev/sdb1"}}]}
    assert len(adapter.render()) == 7


def must(el: ET.Element | None) -> ET.Element:
    assert el is not None
    return el


def conf(arts) -> ET.Element:
    return parse_conf(arts["clp.conf"].content)


def test_clp_conf_is_well_formed_and_has_the_manuals_resources(tmp_path):
    arts, _, out = rendered(tmp_path)
    assert subprocess.run(["xmllint", "--noout", str(out / "clp.conf")]).returncode == 0
    root = conf(arts)
    group = must(root.find(f"group[@name='{GROUP}']"))
    assert [r.get("name") for r in group.findall("resource")] == [
        "fip@fip-orange", "disk@disk-orange", "exec@exec-orange"]
    assert root.findtext("resource/fip[@name='fip-orange']/parameters/ip") == "10.17.21.162"
    disk = must(root.find("resource/disk[@name='disk-orange']/parameters"))
    assert (disk.findtext("disktype"), disk.findtext("device"), disk.findtext("mount/point"),
            disk.findtext("fs")) == ("disk", "/dev/sdb1", DB, "ext4")
    ex = must(root.find("resource/exec[@name='exec-orange']"))
    assert ex.findtext("parameters/act/path") == "start.sh"
    assert ex.findtext("parameters/deact/path") == "stop.sh"
    assert ex.findtext("parameters/act/sync") == "0"  # asynchronous start (manual §3.3.2 ②)
    assert ex.findtext("parameters/deact/sync") == "1"  # synchronous stop (§3.3.7 ②)
    assert ex.findtext("parameters/timeout/stop") == "300"  # stop 120 + 180 (issue 20)
    assert ex.findtext("deact/timeout") == "480"  # 180 + timeout/stop (clpcfset exec.md)
    pid = must(root.find("monitor/pidw[@name='pidw-orange']"))
    assert pid.findtext("target") == "exec-orange"
    assert (pid.findtext("relation/type"), pid.findtext("relation/name")) == ("grp", GROUP)
    assert root.find("monitor/raww") is None  # no raw driver since Linux 5.14: diskw
    dw = must(root.find("monitor/diskw[@name='diskw-orange']"))
    assert dw.findtext("parameters/object") == "/dev/sdb1"
    assert (dw.findtext("relation/type"), dw.findtext("relation/name")) == ("grp", GROUP)
    servers = [(s.get("name"), s.findtext("priority"), s.findtext("device[@id='0']/info"))
               for s in root.findall("server")]
    assert servers == [("spencer", "0", "10.17.21.160"), ("matto", "1", "10.17.21.161")]


def test_without_monitoring_the_start_is_synchronous_and_unwatched(tmp_path):
    arts, _, _ = rendered(tmp_path, monitor=False)
    root = conf(arts)
    assert root.findtext("resource/exec/parameters/act/sync") == "1"
    assert root.find("monitor/pidw") is None and root.find("monitor/diskw") is not None


def test_shellcheck_clean(tmp_path):
    for supervisor in ("jccluster", "cjcpw"):
        for monitor in (True, False):
            d = tmp_path / f"{supervisor}-{monitor}"
            _, _, out = rendered(d, supervisor=supervisor, monitor=monitor)
            for path in ("clpcfset.sh", START, STOP):
                res = shellcheck(out / path, "sh")
                assert res.returncode == 0, res.stdout


# --------------------------------------------------------------------------- start.sh / stop.sh


@pytest.mark.parametrize("shell", posix_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_scripts_act_only_on_start_and_failover_with_the_disk(tmp_path, shell, supervisor):
    _, rec, out = rendered(tmp_path, supervisor=supervisor)
    want = expected(tmp_path, supervisor)
    for event in ("START", "FAILOVER", "RECOVER", "", None):
        for disk in ("SUCCESS", "FAILURE"):
            acts = event in ("START", "FAILOVER") and disk == "SUCCESS"
            rec.clear()
            res = run_script(shell, out / START, env=clp_env(rec, event, disk))
            assert res.returncode == 0, (event, disk, res.stderr)
            assert jobcenter_calls(rec) == ([want["keep"], want["watch"]] if acts else []), (
                event, disk)
            # the watcher's exit reaches the alert log; a missing disk is an error there
            assert log_levels(rec) == (["WARN"] if acts else ["ERR"] if event in (
                "START", "FAILOVER") else []), (event, disk)
            rec.clear()
            res = run_script(shell, out / STOP, env=clp_env(rec, event, disk))
            assert res.returncode == 0, (event, disk, res.stderr)
            assert jobcenter_calls(rec) == ([want["stop"]] if acts else []), (event, disk)


@pytest.mark.parametrize("shell", posix_shells())
def test_start_script_lives_exactly_as_long_as_the_watcher(tmp_path, shell, poll_for):
    """The PID monitor watches start.sh's process: it must stay alive while the watcher runs
    in the foreground and end (exit 0, after logging) as soon as the watcher exits."""
    _, rec, out = rendered(tmp_path)
    release = tmp_path / "release"
    watcher = tmp_path / "bin" / "jccluster"
    watcher.write_text(f"""#!{sys.executable}
import os, sys, time, json
with open({str(rec.log)!r}, "a") as fh:
    fh.write(json.dumps({{"cmd": "jccluster", "args": sys.argv[1:], "env": {{}}, "cwd": ""}}) + "\\n")
if sys.argv[3] == "start":
    while not os.path.exists({str(release)!r}):
        time.sleep(0.02)
    sys.exit(1)
""")
    env = {"PATH": rec.path_env(), "CLP_EVENT": "START", "CLP_DISK": "SUCCESS",
           "LANG": "C.UTF-8"}
    proc = subprocess.Popen([*shell_argv(shell), str(out / START)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        poll_for(lambda: len(jobcenter_calls(rec)) >= 2, timeout=20, interval=0.02,
                 what="start.sh ran keep-port and the watcher")
        assert [c[3] for c in jobcenter_calls(rec)] == ["keep-port", "start"]
        time.sleep(0.2)
        assert proc.poll() is None, "start.sh ended while the watcher was still running"
        release.touch()
        stdout, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "the JobCenter watcher exited (exit 1)" in stdout
    assert log_levels(rec) == ["WARN"]


@pytest.mark.parametrize("shell", posix_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_failed_keep_port_does_not_start_the_site(tmp_path, shell, supervisor):
    _, rec, out = rendered(tmp_path, supervisor=supervisor)
    rec.set_exit("nqsportkpr" if supervisor == "cjcpw" else "jccluster", 3)
    res = run_script(shell, out / START, env=clp_env(rec, "FAILOVER"))
    assert res.returncode == 1
    assert jobcenter_calls(rec) == [expected(tmp_path, supervisor)["keep"]]
    assert log_levels(rec) == ["ERR"] and "keeping the NQS port failed (exit 3)" in res.stdout


@pytest.mark.parametrize("shell", posix_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_without_monitoring_start_uses_c_and_reports_failure(tmp_path, shell, supervisor):
    _, rec, out = rendered(tmp_path, supervisor=supervisor, monitor=False)
    want = expected(tmp_path, supervisor)
    res = run_script(shell, out / START, env=clp_env(rec, "START"))
    assert res.returncode == 0, res.stderr
    assert jobcenter_calls(rec) == [want["keep"], want["nowatch"]]
    if supervisor == "cjcpw":  # the synchronous start's failure fails the resource
        rec.clear()
        rec.set_exit("cjcpw", 2)
        res = run_script(shell, out / START, env=clp_env(rec, "START"))
        assert res.returncode == 1 and jobcenter_calls(rec) == [want["keep"], want["nowatch"]]
        assert log_levels(rec) == ["ERR"]


@pytest.mark.parametrize("shell", posix_shells())
def test_failed_stop_is_logged_and_the_group_moves_on(tmp_path, shell):
    _, rec, out = rendered(tmp_path, supervisor="cjcpw")
    rec.set_exit("cjcpw", 1)
    res = run_script(shell, out / STOP, env=clp_env(rec, "START"))
    assert res.returncode == 0  # cjcls shows the site SHUT: nothing is left (issue 20)
    assert jobcenter_calls(rec) == [["cjcpw", "-stop", SITE]]
    assert log_levels(rec) == ["WARN"] and "stop command exited 1, but nothing" in res.stdout


def test_scripts_work_without_clplogcmd(tmp_path):
    _, rec, out = rendered(tmp_path, supervisor="cjcpw")
    (rec.bin / "clplogcmd").unlink()
    res = run_script("dash", out / START, env=clp_env(rec, "START", "FAILURE"))
    assert res.returncode == 0 and "the disk is not available" in res.stdout
    assert rec.commands() == []


# --------------------------------------------------------------------------- clpcfset.sh


def replay(rec: Recorder) -> ET.Element:
    return build_conf(clpcfset_calls(rec))


@pytest.mark.parametrize("shell", posix_shells())
def test_clpcfset_script_builds_exactly_the_rendered_clp_conf(tmp_path, shell):
    arts, rec, out = rendered(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    res = run_script(shell, out / "clpcfset.sh", env={"PATH": rec.path_env()}, cwd=work)
    assert res.returncode == 0, res.stderr
    assert "clpcfctrl --push -l -x" in res.stdout
    assert conf_items(replay(rec)) == conf_items(conf(arts))
    assert clpcfset_calls(rec)[0] == ["create", "jobcenter", "ASCII", "ASCII", "linux"]
    for name in ("start.sh", "stop.sh"):
        assert (work / SCRIPTS / name).read_text() == arts[f"{SCRIPTS}/{name}"].content
    # the static reading `jccluster check` uses agrees with what the shell really ran
    static = [argv for _, argv in script_calls(arts["clpcfset.sh"].content)]
    assert static == clpcfset_calls(rec)


@pytest.mark.parametrize("shell", posix_shells())
def test_clpcfset_script_modes_and_refusals(tmp_path, shell):
    arts, rec, out = rendered(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": rec.path_env()}
    res = run_script(shell, out / "clpcfset.sh", "--add-groups", env=env, cwd=work)
    assert res.returncode == 1 and "clpcfctrl --pull" in res.stderr
    assert clpcfset_calls(rec) == []
    (work / "clp.conf").write_text("<root/>")
    res = run_script(shell, out / "clpcfset.sh", env=env, cwd=work)
    assert res.returncode == 1 and "exists" in res.stderr and clpcfset_calls(rec) == []
    res = run_script(shell, out / "clpcfset.sh", "--add-groups", env=env, cwd=work)
    assert res.returncode == 0, res.stderr
    cmds = clpcfset_calls(rec)
    assert cmds[0] == ["add", "grp", "failover", GROUP]
    assert not any(c[0] == "create" or c[1] in ("srv", "device", "hb") for c in cmds)
    res = run_script(shell, out / "clpcfset.sh", "--bogus", env=env, cwd=work)
    assert res.returncode == 2 and "usage" in res.stderr
    (rec.workdir / "clpcfset-calls").unlink()
    rec.set_exit("clpcfset", 4)
    (work / "clp.conf").unlink()
    res = run_script(shell, out / "clpcfset.sh", env=env, cwd=work)
    assert res.returncode == 1 and "failed (exit 4)" in res.stderr
    assert len(clpcfset_calls(rec)) == 1


def test_running_clpcfset_in_the_rendered_directory_keeps_the_scripts(tmp_path):
    _, rec, out = rendered(tmp_path)
    (out / "clp.conf").rename(tmp_path / "clp.conf.rendered")
    res = run_script("dash", out / "clpcfset.sh", env={"PATH": rec.path_env()}, cwd=out)
    assert res.returncode == 0, res.stderr
    assert (out / START).exists()


def test_several_sites_get_their_own_groups(tmp_path):
    d = ex_data({"cluster": {"install_prefix": str(tmp_path)}})
    d["site"].append({"name": "lemon.example.com", "address": "10.17.21.163", "machine_id": 163,
                      "database": "/mnt/jobdb2", NAME: {"disk_device": "/dev/sdc1"}})
    arts = {a.path: a for a in ClusterProLinuxAdapter(parse_cluster(d)).render()}
    root = conf(arts)
    assert [(g.get("name"), g.findtext("gid")) for g in root.findall("group")] == [
        (GROUP, "0"), ("jobcenter-lemon", "1")]
    assert [r.findtext("parameters/object") for r in root.findall("monitor/diskw")] == [
        "/dev/sdb1", "/dev/sdc1"]
    assert "scripts/jobcenter-lemon/exec-lemon/start.sh" in arts
    d["site"][1][NAME] = {"exec_resource": "exec-orange", "disk_device": "/dev/sdc1"}
    with pytest.raises(ConfigError, match=r"site\[1\].clusterpro-linux.exec_resource: "
                       "'exec-orange' is already used"):
        ClusterProLinuxAdapter(parse_cluster(d))


def test_options_reach_the_configuration(tmp_path):
    arts, _, _ = rendered(tmp_path, site={NAME: {
        "group": "jc", "disk_device": "/dev/mapper/jobdb", "mount_point": "/mnt", "fs": "xfs",
        "floating_ip": "10.17.21.170", "stop_timeout": 600}},
        **{NAME: {"cluster_name": "prod", "charset": "EUC-JP", "server_names": "fqdn",
                  "pid_restart": 1, "pid_failover": 2}})
    root = conf(arts)
    assert arts["clp.conf"].content.startswith('<?xml version="1.0" encoding="EUC-JP"?>')
    assert root.findtext("cluster/name") == "prod" and root.findtext("all/encode") == "EUC-JP"
    assert [s.get("name") for s in root.findall("server")] == ["spencer.example.com",
                                                              "matto.example.com"]
    assert root.findtext("resource/disk/parameters/mount/point") == "/mnt"
    assert root.findtext("resource/disk/parameters/fs") == "xfs"
    assert root.findtext("resource/exec/parameters/timeout/stop") == "600"
    assert root.findtext("resource/exec/deact/timeout") == "780"
    assert root.findtext("monitor/pidw/emergency/threshold/restart") == "1"
    assert root.findtext("monitor/pidw/relation/name") == "jc"
    assert "scripts/jc/exec-orange/start.sh" in arts
    out = tmp_path / "out-euc"
    write_artifacts(list(arts.values()), str(out))
    assert subprocess.run(["xmllint", "--noout", str(out / "clp.conf")]).returncode == 0
    assert run_checks(ClusterProLinuxAdapter, directory=str(out)) == []  # EUC-JP is read too


def test_exit_table():
    code = ClusterProLinuxAdapter.spec.exit_code
    assert code("start", Outcome.SUCCESS) == 0 and code("start", Outcome.FAILED) == 1
    assert code("stop", Outcome.FAILED) == 1 and code("stop", Outcome.INVALID) == 2
    assert [code("status", o) for o in (Outcome.RUNNING, Outcome.MAINTENANCE, Outcome.STOPPED,
                                         Outcome.FAILED, Outcome.UNRECOVERABLE)] == [0, 0, 3, 1, 1]
    assert code("bogus", Outcome.UNSUPPORTED) == 1
    ops = {v: a.operation for v, a in ClusterProLinuxAdapter.spec.actions.items()}
    assert ops == {"start": "watch", "start-nowatch": "start", "stop": "stop",
                   "status": "status", "validate": "validate", "keep-port": "keep-port"}


def test_unknown_agent_action_exits_with_the_tables_code():
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "agent", NAME, "monitor",
                          SITE], capture_output=True, text=True)
    assert res.returncode == 1 and "unknown action 'monitor'" in res.stderr


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "expected_text"),
    [
        ({"cluster": {"product": "jobcenter-windows"}, "site": [{"database": "Q:\\jobdb"}]},
         "cluster.product: CLUSTERPRO/EXPRESSCLUSTER for Linux runs JobCenter for Linux"),
        ({"cluster": {"jccluster": "jccluster"}},
         "cluster.jccluster: 'jccluster' must be an absolute path"),
        ({"site": [{NAME: {"mount_point": "/srv"}}]},
         "site[0].clusterpro-linux.mount_point: '/srv' must be the database '/mnt/jobdb' or a "
         "directory above it"),
        ({"site": [{"database": "/mnt/job db"}]},
         "site[0].clusterpro-linux.mount_point: '/mnt/job db' must be an absolute path"),
        ({"site": [{NAME: {"disk_device": "/dev/sdb1 /dev/sdc1"}}]},
         "site[0].clusterpro-linux.disk_device: '/dev/sdb1 /dev/sdc1' must be an absolute path"),
        ({"site": [{NAME: {"group": "1st-group"}}]},
         "site[0].clusterpro-linux.group: '1st-group' is not an EXPRESSCLUSTER name"),
        ({"site": [{NAME: {"stop_timeout": 100}}]},
         "site[0].clusterpro-linux.stop_timeout: 100 s must be longer than the stop deadline "
         "(120 s)"),
        ({"site": [{NAME: {"floating_ip": "10.17.21"}}]},
         "site[0].clusterpro-linux.floating_ip: '10.17.21' is not an IPv4 address"),
        ({"site": [{NAME: {"fs": "btrfs"}}]},
         "site[0].clusterpro-linux.fs: 'btrfs' is not allowed"),
        ({NAME: {"charset": "UTF-8"}}, "clusterpro-linux.charset: 'UTF-8' is not allowed"),
        ({NAME: {"clustername": "x"}},
         "clusterpro-linux.clustername: unknown key (did you mean 'cluster_name'?)"),
        ({"cluster": {"name": "job.center"}},
         "clusterpro-linux.cluster_name: the default (cluster.name 'job.center') is not an "
         "EXPRESSCLUSTER name"),
    ],
)
def test_bad_input_is_one_precise_line(overrides, expected_text):
    with pytest.raises(ConfigError) as exc:
        ClusterProLinuxAdapter(parse_cluster(ex_data(overrides), adapter_names=[NAME]))
    assert expected_text in str(exc.value) and "\n" not in str(exc.value)


def test_cli_rejects_without_traceback_and_writes_nothing(tmp_path):
    cfg = tmp_path / "c.toml"
    data = ex_data({"site": [{NAME: {"mount_point": "/srv"}}]})
    cfg.write_text(_toml(data))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "render", NAME, "-c",
                          str(cfg), "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"jccluster: {cfg}: site[0].clusterpro-linux.mount_point:")
    assert not out.exists()


def test_hostile_database_paths_are_rejected_or_carried_through(tmp_path_factory):
    def check(tail: str) -> str:
        tmp = tmp_path_factory.mktemp("hostile")
        db = "/mnt/" + tail
        try:
            adapter = make(tmp, supervisor="cjcpw",
                           site={"database": db, NAME: {"mount_point": "/mnt"}})
        except ConfigError as err:
            assert "\n" not in str(err) and "database" in str(err)
            return REJECTED
        out = tmp / "out"
        write_artifacts(adapter.render(), str(out))
        rec = Recorder(tmp)
        rec.stub(tmp / "nqs/cluster/cjcpw")
        rec.stub(tmp / "nqs/nqsportkpr")
        for path in (START, STOP):
            assert subprocess.run([*shell_argv("dash"), "-n", str(out / path)]).returncode == 0
        res = run_script("dash", out / START, env=clp_env(rec, "START"))
        assert res.returncode == 0, res.stderr
        assert rec.commands()[-1] == ["cjcpw", SITE, db]
        return CARRIED

    # the scripts quote the database: a path full of shell syntax must be carried
    rejected_or_carried(check, hostile={"tail": st.text(alphabet=st.sampled_from(HOSTILE),
                                                        min_size=1, max_size=12)},
                        plain={"tail": SHELL_HOSTILE_POSIX_TAIL})


def test_hostile_devices_are_rejected_or_carried_into_xml_and_clpcfset(tmp_path_factory):
    def check(value: str) -> str:
        tmp = tmp_path_factory.mktemp("device")
        device = "/dev/" + value
        try:
            adapter = make(tmp, site={NAME: {"disk_device": device}})
        except ConfigError as err:
            assert "\n" not in str(err) and "disk_device" in str(err)
            return REJECTED
        arts = {a.path: a for a in adapter.render()}
        root = conf(arts)
        assert root.findtext("resource/disk/parameters/device") == device
        assert root.findtext("monitor/diskw/parameters/object") == device
        out = tmp / "out"
        write_artifacts(list(arts.values()), str(out))
        rec = Recorder(tmp)
        fast_clpcfset(rec)
        work = tmp / "work"
        work.mkdir()
        res = run_script("dash", out / "clpcfset.sh", env={"PATH": rec.path_env()}, cwd=work)
        assert res.returncode == 0, res.stderr
        assert conf_items(replay(rec)) == conf_items(root)
        return CARRIED

    # a device path of the plain characters (what clpcfset.sh writes unquoted) is carried
    rejected_or_carried(check, hostile={"value": st.text(alphabet=st.sampled_from(HOSTILE),
                                                         min_size=1, max_size=12)},
                        plain={"value": PLAIN_POSIX_TAIL})


# --------------------------------------------------------------------------- check rules


def _value(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return str(v) if isinstance(v, int) else json.dumps(v)


def _toml(d) -> str:
    """The TOML shapes the cluster file uses: tables, arrays of tables, per-site sub-tables."""
    lines = []
    for key, table in d.items():
        if isinstance(table, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    for table in ("node", "site"):
        for item in d[table]:
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {_value(v)}" for k, v in item.items() if not isinstance(v, dict)]
            for k, v in item.items():
                if isinstance(v, dict):
                    lines.append(f'[{table}."{k}"]')
                    lines += [f"{kk} = {_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def write_config(tmp_path: Path, site_opts: dict | None = None) -> Path:
    cfg = tmp_path / "c.toml"
    site = {NAME: site_opts} if site_opts is not None else {}
    cfg.write_text(_toml(ex_data({"cluster": {
        "install_prefix": str(tmp_path / "nqs"), "jccluster": str(tmp_path / "bin/jccluster")},
        "site": [site]})))
    return cfg


def check_dir(tmp_path, out, site_opts: dict | None = None):
    cfg = write_config(tmp_path, site_opts if site_opts is not None else {
        "disk_device": "/dev/sdb1"})
    return run_checks(ClusterProLinuxAdapter, config=str(cfg), directory=str(out),
                      adapter_names=[NAME])


def ids(findings):
    return sorted({f.rule for f in findings if f.severity == "error"})


def test_clean_render_passes_every_rule(tmp_path):
    for supervisor in ("jccluster", "cjcpw"):
        for monitor in (True, False):
            d = tmp_path / f"{supervisor}-{monitor}"
            _, _, out = rendered(d, supervisor=supervisor, monitor=monitor)
            assert run_checks(ClusterProLinuxAdapter, directory=str(out)) == []
    _, _, out = rendered(tmp_path / "cfg")
    assert check_dir(tmp_path / "cfg", out) == []


def test_cluster_file_alone_is_checked_in_memory(tmp_path):
    cfg = write_config(tmp_path, {"disk_device": "/dev/sdc1"})
    assert run_checks(ClusterProLinuxAdapter, config=str(cfg), adapter_names=[NAME]) == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("rule", "path", "old", "new"),
    [
        ("CPL-EXEC-ASYNC", "clp.conf", "<sync>0</sync>", "<sync>1</sync>"),
        ("CPL-EXEC-ASYNC", "clpcfset.sh", "parameters/act/sync 0", "parameters/act/sync 1"),
        ("CPL-PID-MONITOR", "clp.conf", "<target>exec-orange</target>",
         "<target>exec-lemon</target>"),
        ("CPL-PID-MONITOR", "clpcfset.sh", "pidw-orange relation/name jobcenter-orange",
         "pidw-orange relation/name jobcenter-lemon"),
        ("CPL-PORTKEEPER-FIRST", START, "clusterpro-linux keep-port orange.example.com ||",
         "clusterpro-linux validate orange.example.com /mnt/jobdb ||"),
        ("CPL-NO-C-MONITORED", START, "clusterpro-linux start orange",
         "clusterpro-linux start-nowatch orange"),
        ("CPL-START-ONLY-JOBCENTER", START, 'case "${CLP_EVENT:-}" in',
         '/opt/app/bin/appstart &\ncase "${CLP_EVENT:-}" in'),
        ("CPL-STOP-SYNC", "clp.conf", "<path>stop.sh</path>\n          <sync>1</sync>",
         "<path>stop.sh</path>\n          <sync>0</sync>"),
        ("CPL-STOP-TIMEOUT", "clpcfset.sh", "parameters/timeout/stop 300",
         "parameters/timeout/stop 100"),
        # a longer deadline in stop.sh makes clp.conf's stop timeout too short: found there
        ("CPL-STOP-TIMEOUT", STOP, "--timeout 120", "--timeout 400"),
        ("CPL-EVENT-GUARD", STOP, '[ "${CLP_DISK:-}" = "SUCCESS" ]', '[ -n "${CLP_DISK:-}" ]'),
        ("CPL-EVENT-GUARD", START, "START|FAILOVER)", "START)"),
        ("CPL-STOP-IN-STOP", STOP, "@JCC@ agent clusterpro-linux stop orange.example.com "
         "--timeout 120", ":"),
        ("CPL-DISK-DEVICE", "clpcfset.sh",
         "cf add rscparam disk disk-orange parameters/device /dev/sdb1", "# (device removed)"),
        ("CPL-APPLY-ORDER", "APPLY.txt", "clpcfctrl --push -l -x <this directory>/bootstrap",
         "clpcfctrl --push -l -x <this directory>"),
        ("CPL-PATCH-ORDER", "PATCH.txt", " 3. Stop the JobCenter groups (the sites stop with "
         "them):\n      clpgrp -t jobcenter-orange", " 3. (group left running)"),
        ("CPL-PATCH-ORDER", "PATCH.txt", "On SV2,", "      clpgrp -s jobcenter-orange\nOn SV2,"),
        ("CORE-FIXED-PATH", START, "/usr/bin:/bin\nexport PATH", "/usr/bin:/bin:$PATH\nexport PATH"),
        ("CORE-FIXED-PATH", "clpcfset.sh", "\nPATH=", "\nclpcfset --version\nPATH="),
        ("CPL-RESOURCES", "clpcfset.sh", "cf add rsc jobcenter-orange fip fip-orange",
         "# (floating IP removed)"),
        ("CPL-CONF-MATCH", "clp.conf", "<interval>60</interval>", "<interval>30</interval>"),
        ("CORE-DATABASE-SAME", START, "orange.example.com /mnt/jobdb\n",
         "orange.example.com /mnt/jobdb2\n"),
    ],
)
def test_each_rule_catches_a_hand_broken_artifact(tmp_path, rule, path, old, new):
    _, _, out = rendered(tmp_path)
    jcc = str(tmp_path / "bin/jccluster")
    _edit(out / path, old.replace("@JCC@", jcc), new.replace("@JCC@", jcc))
    found = check_dir(tmp_path, out)
    assert rule in ids(found), found
    hit = next(f for f in found if f.rule == rule)
    assert hit.file == ("clp.conf" if old == "--timeout 120" else path) and hit.source


def _warned(findings, rule):
    return [f for f in findings if f.rule == rule and f.severity == "warning"]


def test_pid_monitor_checks_every_second_and_a_long_interval_is_warned_about(tmp_path):
    _, _, out = rendered(tmp_path)
    assert "pidw-orange polling/interval 1\n" in (out / "clpcfset.sh").read_text()
    assert not _warned(check_dir(tmp_path, out), "CPL-PID-INTERVAL")
    _edit(out / "clp.conf", "<interval>1</interval>", "<interval>5</interval>")
    assert not _warned(check_dir(tmp_path, out), "CPL-PID-INTERVAL")
    _edit(out / "clp.conf", "<interval>5</interval>", "<interval>30</interval>")
    (hit,) = _warned(check_dir(tmp_path, out), "CPL-PID-INTERVAL")
    assert hit.file == "clp.conf" and "waits up to 30 s" in hit.message


def test_no_c_rule_also_catches_cjcpw_c(tmp_path):
    _, _, out = rendered(tmp_path, supervisor="cjcpw")
    _edit(out / START, f"cluster/cjcpw {SITE} {DB}", f"cluster/cjcpw -c {SITE} {DB}")
    assert "CPL-NO-C-MONITORED" in ids(run_checks(ClusterProLinuxAdapter, directory=str(out)))


MANUAL_START_SH = """#!/bin/sh

if [ "$CLP_EVENT" = "START" ]
then
  if [ "$CLP_DISK" = "SUCCESS" ]
  then
    echo "NORMAL CJCPW STARTUP"
    /usr/lib/nqs/cluster/cjcpw orange /mnt/vmdb
  fi
elif [ "$CLP_EVENT" = "FAILOVER" ]
then
  if [ "$CLP_DISK" = "SUCCESS" ]
  then
    echo "FAILOVER CJCPW STARTUP"
    /usr/lib/nqs/cluster/cjcpw orange /mnt/vmdb
  fi
else
  :
fi
exit 0
"""


def test_the_manuals_own_start_sh_lacks_only_nqsportkpr(tmp_path):
    """The manual's sample (§3.3.7, with its empty else branch made valid) passes every rule
    except the port keeper, which the manual's own sample forgets."""
    _, _, out = rendered(tmp_path, supervisor="cjcpw")
    (out / START).write_text(MANUAL_START_SH)
    found = run_checks(ClusterProLinuxAdapter, directory=str(out))
    # ... and a fixed PATH: the manual's sample runs with the PATH EXPRESSCLUSTER passes it
    assert ids(found) == ["CORE-FIXED-PATH", "CPL-PORTKEEPER-FIRST"], found
    assert next(f for f in found if f.rule == "CPL-PORTKEEPER-FIRST").line == 8


# --------------------------------------------------------------------------- vendor review


def test_disk_device_is_required_and_the_starter_file_names_the_key():
    """The placeholder default /dev/sdb1 is gone: a cluster file must name the disk. The
    built-in example does not, and is refused naming the key; the starter file (jccluster init)
    names one as an example to edit, and renders."""
    with pytest.raises(ConfigError, match=r"site\[0\]\.clusterpro-linux\.disk_device: is "
                       "required") as err:
        ClusterProLinuxAdapter(parse_cluster(example_data(), adapter_names=[NAME]))
    assert "\n" not in str(err.value)
    import tomllib

    from jobcenter_cluster.model import STARTER_TOML

    cluster = parse_cluster(tomllib.loads(STARTER_TOML))
    arts = {a.path: a for a in ClusterProLinuxAdapter(cluster).render()}
    assert parse_conf(arts["clp.conf"].content).findtext(
        "resource/disk/parameters/device") == "/dev/sdb1"


def test_a_disk_resource_without_a_device_is_caught(tmp_path):
    _, _, out = rendered(tmp_path)
    _edit(out / "clp.conf", "<device>/dev/sdb1</device>", "")
    assert "CPL-DISK-DEVICE" in ids(run_checks(ClusterProLinuxAdapter, directory=str(out)))


def apply_steps(text: str) -> list[tuple[int, str]]:
    return [(n, ln.strip()) for n, ln in enumerate(text.splitlines()) if ln.startswith("      ")]


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_apply_creates_the_database_before_the_exec_resource_exists(tmp_path, supervisor):
    """Manual §3.3.6-3.3.8: the group runs with its floating IP and disk only, cjcmksite,
    cjcpw tried by hand, the group stopped, and only then the exec resource is pushed."""
    arts, _, _ = rendered(tmp_path, supervisor=supervisor)
    lines = [ln for _, ln in apply_steps(arts["APPLY.txt"].content)]
    first_push = next(i for i, ln in enumerate(lines) if ln.startswith("clpcfctrl --push"))
    assert lines[first_push].endswith("/bootstrap")
    create = next(i for i, ln in enumerate(lines) if "cjcmksite" in ln or "site create" in ln)
    full_push = next(i for i, ln in enumerate(lines)
                     if ln.startswith("clpcfctrl --push") and "bootstrap" not in ln)
    assert first_push < create < full_push
    order = lines[create - 1: create + 5]
    assert order[0] == f"clpgrp -s {GROUP}" and order[-1] == f"clpgrp -t {GROUP}"
    if supervisor == "cjcpw":
        nqs = str(tmp_path / "nqs")
        assert order[1:5] == [f"{nqs}/cluster/cjcmksite {SITE} 162 {DB}",
                              f"{nqs}/cluster/cjcpw -c {SITE} {DB}", "ps -ef | grep nqs",
                              f"{nqs}/cluster/cjcpw -stop {SITE}"]
    assert lines[-1] == f"clpgrp -s {GROUP}"
    boot = parse_conf(arts["bootstrap/clp.conf"].content)
    assert boot.find("resource/exec") is None and boot.find("monitor/pidw") is None
    group = must(boot.find(f"group[@name='{GROUP}']"))
    assert [r.get("name") for r in group.findall("resource")] == [
        "fip@fip-orange", "disk@disk-orange"]
    assert boot.find("monitor/diskw[@name='diskw-orange']") is not None


def test_apply_quotes_every_pasted_command(tmp_path):
    db = "/mnt/job db"
    arts, _, _ = rendered(tmp_path, supervisor="cjcpw", site={"database": db, NAME: {
        "mount_point": "/mnt"}})
    create = next(ln for _, ln in apply_steps(arts["APPLY.txt"].content) if "cjcmksite" in ln)
    assert create.endswith(f"cjcmksite {SITE} 162 '/mnt/job db'")


def test_a_bootstrap_configuration_with_the_exec_resource_is_caught(tmp_path):
    _, _, out = rendered(tmp_path)
    (out / "bootstrap/clp.conf").write_text((out / "clp.conf").read_text())
    found = run_checks(ClusterProLinuxAdapter, directory=str(out))
    assert "CPL-APPLY-ORDER" in ids(found)
    assert next(f for f in found if f.rule == "CPL-APPLY-ORDER").file == "bootstrap/clp.conf"


@pytest.mark.parametrize("shell", posix_shells())
def test_clpcfset_bootstrap_then_add_exec(tmp_path, shell):
    arts, rec, out = rendered(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": rec.path_env()}
    res = run_script(shell, out / "clpcfset.sh", "--bootstrap", env=env, cwd=work)
    assert res.returncode == 0, res.stderr
    assert "--add-exec" in res.stdout and not (work / "scripts").exists()
    boot = parse_conf(arts["bootstrap/clp.conf"].content)
    assert conf_items(replay(rec)) == conf_items(boot)
    (work / "clp.conf").write_text(arts["bootstrap/clp.conf"].content)
    res = run_script(shell, out / "clpcfset.sh", "--add-exec", env=env, cwd=work)
    assert res.returncode == 0, res.stderr
    assert conf_items(replay(rec)) == conf_items(conf(arts))  # both phases = the whole
    assert (work / START).read_text() == arts[START].content
    calls = clpcfset_calls(rec)
    assert calls[-1][:3] == ["add", "monparam", "pidw"]
    for bad in (["--add-exec", "--bootstrap"], ["--add-groups", "--add-exec"]):
        res = run_script(shell, out / "clpcfset.sh", *bad, env=env, cwd=work)
        assert res.returncode == 2 and "usage" in res.stderr


@pytest.mark.parametrize(("choice", "kinds"), [("diskw", ["diskw"]), ("raww", ["raww"]),
                                               ("none", [])])
def test_the_raw_monitor_is_optional_and_diskw_the_default(tmp_path, choice, kinds):
    arts, _, out = rendered(tmp_path, site={NAME: {"disk_monitor": choice}})
    root = conf(arts)
    assert sorted({m.tag for m in must(root.find("monitor"))} - {"types", "pidw"}) == kinds
    found = run_checks(ClusterProLinuxAdapter, directory=str(out))
    assert ids(found) == []
    warned = [f.message for f in found if f.rule == "CPL-DISK-MONITOR"]
    assert (choice == "diskw") == (warned == []), warned
    if choice == "raww":
        assert "raw driver" in warned[0] and "diskw" in warned[0]
        assert root.findtext("monitor/raww/parameters/object") == "/dev/raw/raw1"


def test_patch_txt_is_the_manuals_procedure(tmp_path):
    """Manual §3.3.11: SV1 -- local daemon stopped, the group stopped, no process left, the
    patch; SV2 -- the patch; then the group started, once both are patched."""
    arts, _, out = rendered(tmp_path)
    steps = [ln for _, ln in apply_steps(arts["PATCH.txt"].content)]
    nqsstop = f"{tmp_path / 'nqs'}/nqsstop"
    assert steps == [nqsstop, f"clpgrp -t {GROUP}", "ps -ef | grep nqs",
                     "rpm -ivh NECJCpt-xx.x.x-1.ARCH.rpm", nqsstop,
                     "rpm -ivh NECJCpt-xx.x.x-1.ARCH.rpm", f"clpgrp -s {GROUP}",
                     "ps -ef | grep nqs"]
    assert "NQS_SITE" in arts["PATCH.txt"].content
    assert "CPL-PATCH-ORDER" not in ids(run_checks(ClusterProLinuxAdapter, directory=str(out)))


@pytest.mark.parametrize("shell", posix_shells())
def test_a_command_planted_first_in_the_callers_path_is_not_run(tmp_path, shell):
    """Issue 16: the scripts run as root; a clplogcmd or clpcfset an attacker put first in
    root's PATH must not run -- the scripts set a fixed PATH."""
    arts, rec, out = rendered(tmp_path)
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "planted-ran"
    for name in ("clplogcmd", "clpcfset", "printf", "mkdir", "cp"):
        (evil / name).write_text(f"#!/bin/sh\necho \"$0\" >> '{marker}'\n")
        (evil / name).chmod(0o755)
    env = clp_env(rec, "START")
    env["PATH"] = f"{evil}:{rec.path_env()}"
    res = run_script(shell, out / START, env=env)
    assert res.returncode == 0, res.stderr
    assert any(c[0] == "clplogcmd" for c in rec.commands())  # the real one logged the exit
    res = run_script(shell, out / STOP, env=env)
    assert res.returncode == 0, res.stderr
    work = tmp_path / "work"
    work.mkdir()
    res = run_script(shell, out / "clpcfset.sh", env={"PATH": env["PATH"]}, cwd=work)
    assert res.returncode == 0, res.stderr
    assert clpcfset_calls(rec) and (work / START).exists()
    assert not marker.exists(), marker.read_text()


def test_script_path_must_be_fixed(tmp_path):
    for bad in ("$PATH:/usr/bin", "/usr/bin::/bin", "bin:/usr/bin", "/usr/bin:."):
        with pytest.raises(ConfigError, match="clusterpro-linux.script_path"):
            make(tmp_path, **{NAME: {"script_path": bad}})
    arts = {a.path: a for a in ClusterProLinuxAdapter(example_cluster(EX)).render()}
    for name in (START, STOP, "clpcfset.sh"):
        assert ("\nPATH=/usr/sbin:/usr/bin:/sbin:/bin:/opt/nec/clusterpro/bin\nexport PATH\n"
                in arts[name].content), name


def test_check_cli_exit_codes(tmp_path):
    _, _, out = rendered(tmp_path)
    jccluster = shutil.which("jccluster") or os.path.join(os.path.dirname(sys.executable),
                                                          "jccluster")
    res = subprocess.run([jccluster, "check", NAME, str(out), "--json"], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    _edit(out / "clp.conf", "<sync>0</sync>", "<sync>1</sync>")
    res = subprocess.run([jccluster, "check", NAME, str(out), "--json"], capture_output=True,
                         text=True)
    assert res.returncode == 1 and "CPL-EXEC-ASYNC" in res.stdout


# --------------------------------------------------------------------------- end to end


def _e2e(tmp_path: Path, sim_site) -> tuple[Path, dict[str, str]]:
    """Render for the simulator site with the real jccluster, as EXPRESSCLUSTER would run it."""
    jcc = os.path.join(os.path.dirname(sys.executable), "jccluster")
    data = ex_data({
        "cluster": {"product": "simulator", "jccluster": jcc, "spool_root": sim_site.root},
        "site": [{"name": sim_site.name, "address": sim_site.address, "database": sim_site.db,
                  "machine_id": sim_site.machine_id}],
    })
    out = tmp_path / "e2e"
    write_artifacts(ClusterProLinuxAdapter(parse_cluster(data)).render(), str(out))
    env = {k: v for k, v in os.environ.items() if k.startswith("JCCLUSTER_")}
    env.update({"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8",
                "CLP_EVENT": "START", "CLP_DISK": "SUCCESS", "CLP_SERVER": "HOME"})
    return out / "scripts" / f"jobcenter-{sim_site.name.split('.')[0]}", env


@pytest.mark.timeout(180)
def test_end_to_end_stop_sh_ends_the_asynchronous_start_sh(tmp_path, sim_site, reaper, poll_for):
    scripts, env = _e2e(tmp_path, sim_site)
    exec_dir = next(scripts.iterdir())
    start = reaper.popen(["/bin/sh", str(exec_dir / "start.sh")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    poll_for(lambda: sim_site.status().outcome is Outcome.RUNNING, timeout=60, what="running")
    assert start.poll() is None  # the PID monitor sees start.sh alive
    res = subprocess.run(["/bin/sh", str(exec_dir / "stop.sh")], env=env, capture_output=True,
                         text=True, timeout=150)
    assert res.returncode == 0, res.stdout + res.stderr
    assert sim_site.status().outcome is Outcome.STOPPED
    start.communicate(timeout=30)
    assert start.returncode == 0


@pytest.mark.timeout(180)
def test_end_to_end_a_dead_daemon_ends_start_sh(tmp_path, sim_site, reaper, poll_for):
    """What the PID monitor detects: a JobCenter daemon dies, the watcher exits, start.sh ends."""
    scripts, env = _e2e(tmp_path, sim_site)
    exec_dir = next(scripts.iterdir())
    start = reaper.popen(["/bin/sh", str(exec_dir / "start.sh")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    poll_for(lambda: sim_site.status().outcome is Outcome.RUNNING, timeout=60, what="running")
    os.kill(sim_site.pid("jnwengine"), 9)
    stdout, stderr = start.communicate(timeout=60)
    assert start.returncode == 0, stderr
    assert "the JobCenter watcher exited (exit 1)" in stdout, stdout + stderr
    res = subprocess.run(["/bin/sh", str(exec_dir / "stop.sh")], env=env, capture_output=True,
                         text=True, timeout=150)
    assert res.returncode == 0 and sim_site.status().outcome is Outcome.STOPPED
