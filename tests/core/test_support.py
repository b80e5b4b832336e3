"""The shared test helpers of tests/support/ do what the tests that use them rely on."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from jobcenter_cluster.adapters.serviceguard.adapter import ServiceGuardAdapter
from support import adapters, cli, procs
from support.perms import world_writable
from support.sites import poll_for, unique_site
from support.suite import root_conftest

SLEEPER = "import time; time.sleep(60)"


# --- support.procs ------------------------------------------------------------------------------


def test_site_processes_finds_marked_and_named_processes_only(reaper, tmp_path):
    site, _ = unique_site()
    other, _ = unique_site()
    db = str(tmp_path / "jobdb")
    base = {"PATH": "/usr/bin:/bin"}
    marked = reaper.popen([sys.executable, "-c", SLEEPER], env={**base, "NQS_SITE": site})
    by_name = reaper.popen([sys.executable, "-c", SLEEPER, site], env=base)
    by_db = reaper.popen([sys.executable, "-c", SLEEPER, db], env=base)
    not_ours = reaper.popen([sys.executable, "-c", SLEEPER, other, site + ".x"],
                            env={**base, "NQS_SITE": other})
    mine = {marked.pid, by_name.pid, by_db.pid}
    # the children have exec'd once /proc shows their argv
    poll_for(lambda: all(procs.argv(p.pid)[:1] == [sys.executable]
                         for p in (marked, by_name, by_db, not_ours)), what="children exec'd")
    assert sorted(procs.site_processes(site, db, named=True)) == sorted(mine)
    assert procs.site_processes(site) == [marked.pid]  # the marker alone without `named`
    assert sorted(procs.site_processes(site, named=True)) == sorted([marked.pid, by_name.pid])
    # `program`: an argv match counts only for processes whose command line names it
    assert procs.site_processes(site, db, named=True, program="no-such-program") == [marked.pid]
    assert not_ours.pid not in procs.site_processes(site, db, named=True, zombies=True)


def test_a_zombie_counts_as_gone(reaper):
    site, _ = unique_site()
    proc = reaper.popen([sys.executable, "-c", SLEEPER],
                        env={"PATH": "/usr/bin:/bin", "NQS_SITE": site})
    poll_for(lambda: procs.site_processes(site) == [proc.pid], what="the marked child")
    assert procs.alive(proc.pid) and not procs.gone(proc.pid)
    started = procs.start_time(proc.pid)
    assert started is not None and started > procs.start_time(os.getpid())  # started later
    os.kill(proc.pid, signal.SIGKILL)  # not waited for: a zombie until cleanup reaps it
    poll_for(lambda: procs.state(proc.pid) == "Z", what="a zombie")
    assert not procs.alive(proc.pid) and procs.gone(proc.pid)
    assert procs.site_processes(site) == []
    proc.wait()
    assert procs.state(proc.pid) == "X" and procs.gone(proc.pid)
    assert procs.start_time(proc.pid) is None


# --- support.cli ----------------------------------------------------------------------------------


def test_jcc_runs_the_installed_cli_and_returns_its_exit_code(engine_env, tmp_path):
    # `site status` of a name the node never saw exits 4 (SPEC: "unknown"; test_site_cli)
    res = cli.jcc("site", "status", "never-here.example.com")
    assert res.returncode == 4, res.stderr
    assert res.args[0] == cli.jccluster_path() == os.path.join(os.path.dirname(sys.executable),
                                                                "jccluster")
    assert cli.jcc("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "jccluster.toml").is_file()  # ran in `cwd`


def test_jcc_environment_arguments(tmp_path):
    # env replaces the environment, set_env adds to it, columns sets COLUMNS
    script = tmp_path / "env.py"
    script.write_text("import os, sys; print(os.environ.get('A'), os.environ.get('B'), "
                      "os.environ.get('COLUMNS'), sys.stdin.read() if sys.argv[1:] else '')\n")
    # jcc_argv is the one place the CLI's path comes from: swap it for a probe
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "jcc_argv", lambda *args: [sys.executable, str(script), *args])
        mp.setenv("A", "from-the-test")
        assert cli.jcc("-", input="in").stdout == "from-the-test None None in\n"
        assert cli.jcc(env={"B": "b"}).stdout == "None b None \n"
        assert cli.jcc(set_env={"B": "b"}, columns=40).stdout == "from-the-test b 40 \n"


# --- support.adapters -----------------------------------------------------------------------------


def test_make_merges_overrides_into_the_example_and_rendered_writes_every_artifact(tmp_path):
    adapter = adapters.make("serviceguard", **adapters.stub_layout(tmp_path, "cjcpw", False))
    assert isinstance(adapter, ServiceGuardAdapter)
    c = adapter.cluster
    assert (c.supervisor, c.install_prefix, c.jccluster) == (
        "cjcpw", str(tmp_path / "nqs"), str(tmp_path / "bin" / "jccluster"))
    assert [s.monitor for s in c.sites] == [False]
    assert c.sites[0].name == "orange.example.com"  # the rest is the example's
    same = adapters.make(ServiceGuardAdapter, site=[{"monitor": False}])
    assert same.cluster.sites[0].monitor is False and same.cluster.supervisor != "cjcpw"
    arts = adapters.rendered(adapter, tmp_path / "out")
    assert list(arts) == [a.path for a in adapter.render()]
    for path, art in arts.items():
        assert (tmp_path / "out" / path).read_text() == art.content


# --- support.sites.poll_for -----------------------------------------------------------------------


def test_poll_for_returns_the_value_and_fails_naming_what_it_waited_for():
    values = iter([0, "", "ready"])
    assert poll_for(lambda: next(values), timeout=5) == "ready"
    with pytest.raises(AssertionError, match="timed out after 0.05s waiting for the moon"):
        poll_for(lambda: False, timeout=0.05, what="the moon")


def test_poll_for_never_polls_more_often_than_a_long_interval():
    calls = []
    with pytest.raises(AssertionError):
        # a second of polls: ten at most, and at least two even on a loaded machine
        poll_for(lambda: calls.append(time.monotonic()), timeout=1.0, interval=0.1)
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps and min(gaps) >= 0.09, gaps


# --- support.suite --------------------------------------------------------------------------------


def test_root_conftest_is_tests_conftest_py():
    module = root_conftest()
    assert module.__file__ == os.path.join(os.path.dirname(os.path.dirname(__file__)),
                                           "conftest.py")
    assert module.SKIPS_FILE.endswith(os.path.join("tests", "skips.txt"))


# --- support.perms --------------------------------------------------------------------------------


def test_world_writable_lists_what_group_or_others_can_write_but_not_links(tmp_path):
    (tmp_path / "d").mkdir(mode=0o755)
    (tmp_path / "d" / "ok").write_text("")
    (tmp_path / "d" / "open").write_text("")
    os.chmod(tmp_path / "d" / "open", 0o664)
    os.chmod(tmp_path / "d", 0o757)
    os.symlink("/tmp", tmp_path / "d" / "link")  # a link's own mode (0777) means nothing
    assert world_writable(str(tmp_path / "d")) == [f"{tmp_path}/d 0757", f"{tmp_path}/d/open 0664"]
