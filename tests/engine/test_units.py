"""Small pieces of the engine: /proc reading, daemon.conf, profiles, states, store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from jobcenter_cluster.engine import daemonconf, procs, profiles, states, store
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.products import PRODUCTS


def test_read_self():
    me = procs.read(os.getpid())
    assert me is not None and me.pid == os.getpid() and me.ppid == os.getppid()
    assert procs.alive(os.getpid(), me.start)
    assert not procs.alive(os.getpid(), me.start + 1)  # another start time: another process


@pytest.mark.timeout(10)
def test_zombie_counts_as_dead(poll_for):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    pid = proc.pid
    poll_for(lambda: (p := procs.read(pid)) is not None and p.dead, what="zombie")
    assert not procs.alive(pid)
    proc.wait()
    assert procs.read(pid) is None


@pytest.mark.timeout(10)
def test_signal_ident_refuses_another_start(reaper):
    # it answers SIGWINCH: an answer after the refused call proves no signal went out before
    # it (a SIGKILL would have ended it; a pending lower signal is handled first), where an
    # immediate poll() would pass while a loaded machine has not yet delivered the signal
    code = ("import signal\nsignal.signal(signal.SIGWINCH, lambda *a: print('mark', flush=True))\n"
            "print('ok', flush=True)\nwhile True: signal.pause()")
    proc = reaper.popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ok\n"
    start = procs.read(proc.pid).start
    assert not procs.signal_ident(proc.pid, start + 7, signal.SIGKILL)
    proc.send_signal(signal.SIGWINCH)
    assert proc.stdout.readline() == "mark\n"
    assert procs.signal_ident(proc.pid, start, signal.SIGKILL)
    assert proc.wait(timeout=5) == -signal.SIGKILL


def test_ancestors_include_self_and_parent():
    a = procs.ancestors(os.getpid())
    assert os.getpid() in a and os.getppid() in a


def test_daemonconf_precedence(tmp_path, monkeypatch):
    common = tmp_path / "common.conf"
    common.write_text("maintenance=ON\nlocal_daemon=SITE\n# comment\nipcheck=OFF\n")
    monkeypatch.setenv("JCCLUSTER_DAEMON_CONF", str(common))
    db = tmp_path / "db"
    (db / "etc").mkdir(parents=True)
    (db / "etc" / "daemon.conf").write_text("maintenance=OFF  # back to work\n")
    conf = daemonconf.load("/nonexistent", str(tmp_path / "root"), str(db))
    assert not conf.maintenance  # the site's own file wins
    assert conf.local_daemon == "SITE" and not conf.ipcheck
    assert conf.sources["maintenance"] == str(db / "etc" / "daemon.conf")
    local = daemonconf.load("/nonexistent", str(tmp_path / "root"), None)
    assert local.maintenance  # the local site does not read the cluster site's file


@pytest.mark.parametrize(
    "text, word",
    [("maintenance=MAYBE\n", "maintenance"), ("local_daemon=YES\n", "local_daemon"),
     ("ipaddress=1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6\n", "at most 5"),
     ("garbage\n", "key=value")],
)
def test_daemonconf_rejects(tmp_path, monkeypatch, text, word):
    common = tmp_path / "common.conf"
    common.write_text(text)
    monkeypatch.setenv("JCCLUSTER_DAEMON_CONF", str(common))
    with pytest.raises(UserError, match=word):
        daemonconf.load("/x", str(tmp_path), None)


def test_every_product_has_a_profile_with_the_watched_processes():
    for name in PRODUCTS:
        prof = profiles.get(name)
        names = {s.name for s in prof.specs}
        assert {"nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "jnwengine-qwb",
                "jnwengine-trkrdr", "sclaunchd", "comagent"} <= names
    assert "jnwcaster" in {s.name for s in profiles.get("jobcenter-linux").specs}
    win = profiles.get("jobcenter-windows")
    assert not win.runs_here and win.spec("nqsdaemon").names == ("nsnqsd.exe",)
    with pytest.raises(UserError, match="unknown product"):
        profiles.get("jobcenter-amiga")


def test_linux_profile_starts_and_stops_with_cjcpw(monkeypatch):
    monkeypatch.delenv("JCCLUSTER_PREFIX", raising=False)
    prof = profiles.get("jobcenter-linux")
    assert prof.start_argv("orange.example.com", "/mnt/jobdb", "py") == [
        "/usr/lib/nqs/cluster/cjcpw", "-c", "orange.example.com", "/mnt/jobdb"]
    assert prof.stop_argv("orange.example.com", "/mnt/jobdb") == [
        "/usr/lib/nqs/cluster/cjcpw", "-stop", "orange.example.com"]
    monkeypatch.setenv("JCCLUSTER_PREFIX", "/opt/nqs")
    assert prof.missing_programs() == ["/opt/nqs/cluster/cjcpw"]


def test_state_transitions():
    assert states.allowed(None, states.STARTING)
    assert states.allowed(states.RUNNING, states.STOPPING)
    assert states.allowed(states.STOPPING, states.STOPPED)
    assert not states.allowed(states.STOPPED, states.RUNNING)
    assert not states.allowed(states.STOPPING, states.RUNNING)


@pytest.mark.parametrize("bad", ["", "-x.example.com", "a b", "../etc", "x" * 300, "a_b.com"])
def test_site_names_are_host_names(bad):
    with pytest.raises(UserError):
        store.require_site_name(bad)


def test_site_name_canonical():
    assert store.require_site_name("Orange.Example.COM.") == "orange.example.com"


def test_write_json_is_atomic_and_readable(tmp_path):
    path = str(tmp_path / "a" / "b.json")
    store.write_json(path, {"x": 1})
    assert store.read_json(path) == {"x": 1}
    assert [p for p in os.listdir(tmp_path / "a") if ".tmp." in p] == []
    (tmp_path / "a" / "c.json").write_text("{not json")
    assert store.read_json(str(tmp_path / "a" / "c.json")) is None


def test_status_path_imports_only_the_standard_library():
    code = ("import sys; from jobcenter_cluster.engine import fastcli, api;"
            "bad = {'typer', 'click', 'jinja2', 'stevedore', 'psutil', 'dataclasses', 'typing',"
            " 'argparse', 'subprocess', 'socket', 'inspect'} & set(sys.modules);"
            "print(sorted(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fastcli_parses_by_hand():
    from jobcenter_cluster.engine import fastcli

    assert fastcli.parse(["--json", "--root=/r", "x.example.com", "--database", "/db"]) == {
        "json": True, "root": "/r", "product": None, "database": "/db", "site": "x.example.com"}
    for bad in ([], ["a", "b"], ["--bogus", "a"], ["a", "--root"]):
        with pytest.raises(UserError, match="site status"):
            fastcli.parse(bad)


def test_records_behave_like_dataclasses():
    from jobcenter_cluster.engine.api import Result, SiteStatus
    from jobcenter_cluster.outcome import Outcome

    a = SiteStatus(Outcome.RUNNING, site="x", daemons={"nqsdaemon": 1})
    assert a == SiteStatus(Outcome.RUNNING, site="x", daemons={"nqsdaemon": 1})
    assert a != SiteStatus(Outcome.STOPPED, site="x")
    assert "site='x'" in repr(a) and Result(Outcome.SUCCESS).details == {}
    d = a.to_dict()
    assert d["outcome"] == "running" and d["daemons"] == {"nqsdaemon": 1}
    assert list(d) == ["outcome", "message", "details", "site", "watcher_pid", "daemons",
                       "missing", "migrated", "maintenance", "database", "spool_link", "state",
                       "known"]
