"""The fault suite of issue 10: every finding, with its fault really injected.

Each test names the finding it covers (10.N). Processes are real (the simulator), signals are
real (SIGKILL of a running ``site stop``), the read-only spool root is a real read-only mount
(the tests run in a private mount namespace, see conftest), the long name is really long.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from jobcenter_cluster import simulator
from jobcenter_cluster.engine import api, procs, states, store
from jobcenter_cluster.outcome import Outcome
from support.cli import jcc
from support.procs import site_processes as site_alive
from support.transitions import record_transitions

pytestmark = pytest.mark.timeout(120)


def one_line_error(res: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The command failed cleanly: the exit code, one line on stderr, no traceback."""
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert err.count("\n") == 0, err
    assert "Traceback" not in err and "internal error" not in err, err
    return err


# --- 10.1: a database path of / (and the other refused paths) ------------------------------


@pytest.mark.parametrize("path", ["/", "/usr", "/var", "/tmp", "/etc/jobdb", "/proc/1",
                                  "/run/jobdb", "/usr/local/jobdb"])
def test_refused_database_paths_at_create(engine_env, path):
    res = jcc("site", "create", "refused.example.com", "100", path, "--product", "simulator")
    err = one_line_error(res)
    assert "DBPATH" in err and path in err
    assert not os.path.exists(engine_env.root)  # nothing written


def test_spool_root_is_refused_as_database(engine_env):
    res = jcc("site", "create", "refused.example.com", "100", engine_env.root + "/db",
              "--product", "simulator")
    assert "spool root" in one_line_error(res)


def test_refused_path_at_start_and_in_the_agent(sim_site):
    one_line_error(sim_site.cli("site", "start", "--no-watch", sim_site.name, "/"))
    res = sim_site.cli("agent", "pacemaker", "start", sim_site.name, "/usr")
    assert res.returncode != 0 and "/usr" in res.stderr
    assert site_alive(sim_site.name) == []


def test_symlink_to_a_refused_path_is_refused(engine_env, tmp_path):
    link = tmp_path / "jobdb"
    link.symlink_to("/")
    err = one_line_error(jcc("site", "create", "refused.example.com", "100", str(link),
                             "--product", "simulator"))
    assert "resolves to /" in err


def test_cluster_file_refuses_the_same_paths(tmp_path):
    from jobcenter_cluster.errors import ConfigError
    from jobcenter_cluster.model import example_data, parse_cluster

    for bad in ("/usr", "/var", "/mnt"):
        data = example_data({"site": [{"database": bad}]})
        with pytest.raises(ConfigError, match="database"):
            parse_cluster(data)
    parse_cluster(example_data({"site": [{"database": "/mnt/jobdb"}]}))


def test_refuse_database_path_rule():
    from jobcenter_cluster.model import refuse_database_path as refuse

    for bad in ("/", "/usr", "/var", "/etc", "/tmp", "/home", "/root", "/opt", "/srv", "/mnt",
                "/media", "/usr/x", "/etc/x", "/proc/x", "/sys/x", "/dev/x", "/boot/x", "/bin/x",
                "/sbin/x", "/lib/x", "/lib64/x", "/run/x", "/mnt/"):
        assert refuse(bad), bad
    assert refuse("/srv/spool/nqs/x", spool_root="/srv/spool/nqs")
    assert refuse("/srv/spool/nqs", spool_root="/srv/spool/nqs")
    for good in ("/mnt/jobdb", "/tmp/x", "/var/x", "/srv/jobdb", "/data/jc/db", "/opt/db"):
        assert refuse(good, spool_root="/srv/spool/nqs") is None, good
    assert refuse("D:\\", windows=True)
    assert refuse("C:\\Windows\\db", windows=True)
    assert refuse("C:\\JobCenter\\SV\\spool\\x", windows=True,
                  spool_root="C:\\JobCenter\\SV\\spool")
    assert refuse("D:\\jobdb", windows=True, spool_root="C:\\JobCenter\\SV\\spool") is None


# --- 10.3: a half-stopped site is not stopped -------------------------------------------------


def _default_sigint() -> None:
    # A suite started in the background of a non-interactive shell (`./dev test &`) inherits
    # SIGINT ignored, and Python then installs no KeyboardInterrupt handler: Ctrl-C's SIGINT
    # would be lost on the stop. An operator's terminal gives it the default disposition.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_in_background(site, *extra: str) -> subprocess.Popen[str]:
    # its output goes to nameless files, not pipes that nobody reads while the stop runs
    return site.reaper.popen([sys.executable, "-m", "jobcenter_cluster", "site", "stop",
                              site.name, "--timeout", "60", *extra],
                             stdout=tempfile.TemporaryFile(), stderr=tempfile.TemporaryFile(),
                             preexec_fn=_default_sigint)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_stop_with_a_sigterm_ignoring_daemon_reads_failed(sim_site, poll_for, how):
    simulator.set_fault(sim_site.db, "nqsdaemon", "ignore-term")
    assert sim_site.start().outcome == Outcome.SUCCESS
    nqs = sim_site.status().daemons["nqsdaemon"]
    stopper = _stop_in_background(sim_site)
    # the stop has sent SIGTERM (the other daemons are gone) and waits for its deadline
    poll_for(lambda: procs.alive(nqs) and not procs.alive(sim_site.status().daemons.get(
        "comagent") or 0) and store.read_run(sim_site.root, sim_site.name).get("state")
        == "stopping", timeout=20, what="stop waiting for nqsdaemon")
    stopper.send_signal(how)
    stopper.wait(timeout=10)
    assert procs.alive(nqs)
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and st.state == "failed", st
    assert str(nqs) in st.message
    # what the clusters see: Pacemaker's monitor says "failed" (1), not "not running" (7)
    mon = sim_site.cli("agent", "pacemaker", "monitor", sim_site.name)
    assert mon.returncode == 1, mon.stderr
    # ls shows the live nqsdaemon, not SHUT
    ls = json.loads(sim_site.cli("site", "ls", "--json").stdout)
    assert [s for s in ls if s["site"] == sim_site.name][0]["daemons"]["nqsdaemon"] == nqs
    res = sim_site.stop(timeout=2)
    assert res.outcome == Outcome.SUCCESS and [nqs, "NQS nqsdaemon"] in res.to_dict()["killed"]
    assert sim_site.status().outcome == Outcome.STOPPED


@pytest.mark.parametrize("content", ["", "{corrupt", "[1, 2]"])
def test_unreadable_run_file_with_live_processes_reads_failed(sim_site, content):
    assert sim_site.start().outcome == Outcome.SUCCESS
    with open(store.run_path(sim_site.root, sim_site.name), "w") as fh:
        fh.write(content)
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and "unreadable" in st.message, st
    assert sim_site.cli("agent", "pacemaker", "monitor", sim_site.name).returncode == 1
    # stop still finds them (they hold the database) and then all reads stopped
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert site_alive(sim_site.name) == []
    assert sim_site.status().outcome == Outcome.STOPPED


def test_unreadable_run_file_with_nothing_alive_reads_stopped(sim_site):
    os.makedirs(os.path.dirname(store.run_path(sim_site.root, sim_site.name)), exist_ok=True)
    with open(store.run_path(sim_site.root, sim_site.name), "w") as fh:
        fh.write("{")
    st = sim_site.status()
    assert st.outcome == Outcome.STOPPED and "unreadable" in st.message


def test_recorded_stopped_but_a_member_lives_reads_failed(sim_site):
    assert sim_site.start().outcome == Outcome.SUCCESS
    run = store.read_run(sim_site.root, sim_site.name)
    run["state"] = "stopped"
    store._write_run(sim_site.root, sim_site.name, run)  # a lying record
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and "recorded as stopped" in st.message
    sim_site.stop(timeout=5)


# --- 10.4: keep-port holds something or fails -------------------------------------------------


@pytest.mark.parametrize("hold", ["nan", "-1", "1e12", "inf", "0"])
def test_keep_port_bad_hold_is_refused(engine_env, hold):
    err = one_line_error(jcc("site", "keep-port", "127.0.0.1", "--port", "40607",
                             "--hold", hold))
    assert "--hold" in err
    assert not os.path.exists(os.path.join(engine_env.root, ".jccluster", "keepport"))


@pytest.mark.parametrize("args", [["0.0.0.0"], ["127.0.0.1", "--port", "0"],
                                  ["127.0.0.1", "--port", "70000"], ["224.0.0.1"]])
def test_keep_port_bad_address_or_port_is_refused(engine_env, args):
    one_line_error(jcc("site", "keep-port", *args))


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_keep_port_after_a_dead_holder_really_holds(engine_env, reaper, poll_for):
    """A holder SIGKILLed leaves its record behind: the next keep-port must not answer
    "already held" -- it holds the port again, and the port really is taken."""
    port = 40611
    res = api.keep_port("127.0.0.1", port=port, hold=60)
    assert res.outcome == Outcome.SUCCESS and not _port_free(port)
    first = reaper.track(res.details["pid"])
    os.kill(first, signal.SIGKILL)
    poll_for(lambda: not procs.alive(first), what="holder dead")
    assert _port_free(port)
    again = jcc("site", "keep-port", "127.0.0.1", "--port", str(port), "--hold", "60")
    assert again.returncode == 0 and "holding" in again.stdout, again
    assert "already" not in again.stdout and not _port_free(port)


# --- 10.5: a long site name fails before anything is written ---------------------------------


def test_long_site_name_is_refused_before_anything_is_written(engine_env, tmp_path):
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57])
    assert len(name) == 249
    db = tmp_path / "jobdb"
    err = one_line_error(jcc("site", "create", name, "100", str(db), "--product", "simulator"))
    assert "249 characters" in err
    assert not db.exists() and not os.path.exists(engine_env.root)
    # the longest accepted name really works for every file the engine makes
    ok = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * (store.MAX_SITE_NAME - 192)])
    assert len(ok) == store.MAX_SITE_NAME
    assert store.require_site_name(ok) == ok
    assert len(os.path.basename(store.run_path("/r", ok)) + f".tmp.{2**22}") <= 255


# --- 10.6: no internal errors ------------------------------------------------------------------


def _cluster_file(tmp_path, data: bytes) -> str:
    path = tmp_path / "jccluster.toml"
    path.write_bytes(data)
    return str(path)


def test_cluster_file_not_utf8(tmp_path):
    path = _cluster_file(tmp_path, b'[cluster]\nproduct = "caf\xe9"\n')
    assert "not UTF-8" in one_line_error(jcc("validate", "-c", path))


def test_cluster_file_nested_too_deep(tmp_path):
    path = _cluster_file(tmp_path, b"x = " + b"[" * 100000 + b"]" * 100000 + b"\n")
    assert "nested too deep" in one_line_error(jcc("validate", "-c", path))


def test_cluster_file_dev_zero_is_refused_fast():
    t0 = time.monotonic()
    err = one_line_error(jcc("validate", "-c", "/dev/zero"))
    assert "not a regular file" in err and time.monotonic() - t0 < 10


def test_cluster_file_too_large(tmp_path):
    path = _cluster_file(tmp_path, b"# " + b"x" * (2 << 20) + b"\n")
    assert "larger than" in one_line_error(jcc("validate", "-c", path))


def test_read_only_spool_root(engine_env, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)], check=True)
    try:
        env = dict(os.environ, JCCLUSTER_ROOT=str(ro / "spool"))
        err = one_line_error(jcc("site", "create", "ro.example.com", "100",
                                 str(tmp_path / "jobdb"), "--product", "simulator", env=env))
        assert "not writable" in err
        assert not (tmp_path / "jobdb").exists()
        # stop still stops (nothing to stop here) and says the state is not recorded
        res = jcc("site", "stop", "ro.example.com", env=env)
        assert res.returncode == 1 and "not recorded" in res.stderr, res
        one_line_error(jcc("site", "keep-port", "127.0.0.1", "--port", "40612", env=env))
    finally:
        subprocess.run(["umount", str(ro)], check=True)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_stop_timeout_nan_is_refused_before_any_signal(sim_site, value):
    assert sim_site.start().outcome == Outcome.SUCCESS
    before = sorted(site_alive(sim_site.name))
    # a stop that cannot run is a failed stop (exit 1), never a user error (issue 20, finding 1)
    err = one_line_error(sim_site.cli("site", "stop", sim_site.name, "--timeout", value), code=1)
    assert "--timeout" in err
    assert sorted(site_alive(sim_site.name)) == before
    assert sim_site.status().outcome == Outcome.RUNNING
    sim_site.stop(timeout=5)


# --- 10.7: the CLI validates like the cluster file ---------------------------------------------


def test_cli_machine_id_is_capped_like_the_file(engine_env, tmp_path):
    err = one_line_error(jcc("site", "create", "mid.example.com", "99999999999",
                             str(tmp_path / "db"), "--product", "simulator"))
    assert "2147483647" in err


def test_cli_newline_in_database_path(engine_env, tmp_path):
    err = one_line_error(jcc("site", "create", "nl.example.com", "100",
                             str(tmp_path / "a\nb"), "--product", "simulator"))
    assert "newline" in err
    assert not (tmp_path / "a\nb").exists()


def test_agent_root_with_a_bogus_product_is_not_silent(tmp_path):
    res = jcc("agent", "pacemaker", "monitor", "orange.example.com", "--root",
              "/nonexistent", "--product", "bogus")
    assert res.returncode != 7 and "bogus" in res.stderr, res
    res = jcc("site", "status", "orange.example.com", "--root", str(tmp_path), "--product",
              "bogus")
    assert res.returncode == 2 and "bogus" in res.stderr


@pytest.mark.parametrize("path", ["D:\\..\\b", "D:\\CON", "D:\\a.", "D:\\x\\nul.txt",
                                  "D:\\a \\b"])
def test_windows_database_paths(path):
    from jobcenter_cluster.model import check_path

    assert check_path(path, windows=True), path
    assert check_path("D:\\jobdb\\site1", windows=True) is None


# --- 10.8: exit codes that match what happened -------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_watcher_ended_by_a_signal_says_so_and_fails(sim_site, poll_for, sig):
    watcher = sim_site.watch()
    poll_for(lambda: (st := sim_site.status()).outcome == Outcome.RUNNING and st.watcher_pid,
             timeout=20, what="up and watched")
    watcher.send_signal(sig)
    _out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 1 and f"ended by {sig.name}" in err
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and sig.name in st.message
    assert sim_site.cli("agent", "pacemaker", "monitor", sim_site.name).returncode == 1
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


def test_two_demos_at_once_both_succeed_and_count_only_their_own(reaper):
    demos = [reaper.popen([sys.executable, "-m", "jobcenter_cluster", "demo"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for d in demos:
        out, err = d.communicate(timeout=100)
        assert d.returncode == 0, out + err
        assert "processes of the site left: 0" in out


def test_stop_that_leaves_survivors_exits_non_zero(sim_site, monkeypatch):
    """A stop whose victims survive SIGKILL reports FAILED (exit 1) and status says failed."""
    from jobcenter_cluster.engine import stop as stop_mod

    assert sim_site.start().outcome == Outcome.SUCCESS
    monkeypatch.setattr(stop_mod.procs, "signal_ident", lambda *a: False)  # signals "lost"
    res = sim_site.stop(timeout=0.5)
    assert res.outcome == Outcome.FAILED and api.exit_code(res.outcome) == 1
    monkeypatch.undo()
    assert sim_site.status().outcome == Outcome.FAILED
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


def test_every_state_write_is_a_legal_transition(sim_site, monkeypatch, poll_for):
    """The run paths (start, adopt, maintenance, watcher failure, stop) all go through
    `store.set_state`; every move is in the table."""
    log = record_transitions(monkeypatch)
    assert sim_site.start().outcome == Outcome.SUCCESS
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert all(states.allowed(old, new) for _s, old, new in log)
    moves = [(old, new) for _s, old, new in log]
    assert moves[:3] == [(None, "starting"), ("starting", "starting"), ("starting", "running")]
    assert ("running", "stopping") in moves and ("stopping", "stopped") in moves
    assert ("stopped", "stopping") in moves


def test_stop_with_a_read_only_spool_root_still_stops_the_site(sim_site, tmp_path):
    """A spool root that turned read-only under a running site: stop kills the site anyway
    and fails, saying the state could not be recorded."""
    assert sim_site.start().outcome == Outcome.SUCCESS
    subprocess.run(["mount", "--bind", sim_site.root, sim_site.root], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", sim_site.root], check=True)
        res = sim_site.stop(timeout=5)
        assert res.outcome == Outcome.FAILED and "not recorded" in res.message
        assert site_alive(sim_site.name) == []
    finally:
        subprocess.run(["umount", sim_site.root], check=True)
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert sim_site.status().outcome == Outcome.STOPPED



def test_cluster_file_and_engine_agree_on_the_longest_site_name():
    from jobcenter_cluster.errors import ConfigError
    from jobcenter_cluster.model import MAX_SITE_NAME, example_data, parse_cluster

    assert MAX_SITE_NAME == store.MAX_SITE_NAME
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57])
    with pytest.raises(ConfigError, match="249 characters"):
        parse_cluster(example_data({"site": [{"name": name}]}))


def test_a_recorded_database_of_slash_never_makes_stop_signal_holders(sim_site, bystander):
    """A forged or ancient run record naming "/" as the database: stop still stops the site's
    members, and takes no "holder" of "/" (that was every process on the node)."""
    assert sim_site.start().outcome == Outcome.SUCCESS
    for read, path in ((store.read_run, store.run_path), (store.read_registry,
                                                           store.registry_path)):
        rec = read(sim_site.root, sim_site.name)
        rec["database"] = "/"
        store.write_json(path(sim_site.root, sim_site.name), rec)
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS, res.message
    assert site_alive(sim_site.name) == []
    bystander.assert_untouched()


def test_ctrl_c_while_the_daemons_come_up_ends_the_start(sim_site, poll_for):
    """A signal while start waits for its daemons ends the start at once (FAILED, exit 1),
    cleaning up what came up, instead of being lost or waiting for the deadline."""
    simulator.set_fault(sim_site.db, "comagent", "no-start")
    w = sim_site.watch("--timeout", "60")
    poll_for(lambda: (store.read_run(sim_site.root, sim_site.name) or {}).get("state")
             == "starting" and len(site_alive(sim_site.name)) >= 5, timeout=20,
             what="start waiting")
    t0 = time.monotonic()
    w.send_signal(signal.SIGINT)
    _out, err = w.communicate(timeout=20)
    assert w.returncode == 1 and "interrupted by SIGINT" in err, err
    assert time.monotonic() - t0 < 10
    poll_for(lambda: site_alive(sim_site.name) == [], timeout=10, what="cleaned up")
    assert sim_site.status().outcome == Outcome.FAILED
