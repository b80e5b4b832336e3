"""start / watch / stop / status against real simulated daemons, with the issue's faults.

Every test here starts real processes: each has a hard timeout, the ``reaper`` fixture kills
what it started even on failure, and ``bystander`` (an unrelated process) must never receive a
signal from the engine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from jobcenter_cluster import simulator
from jobcenter_cluster.engine import api, procs, store
from jobcenter_cluster.outcome import Outcome
from support.procs import site_processes as _site_procs

pytestmark = pytest.mark.timeout(60)

WATCHED = ["nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "jnwengine-qwb",
           "jnwengine-trkrdr", "sclaunchd", "jnwcaster", "comagent"]


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _wait_watching(site, poll_for):
    return poll_for(lambda: (st := site.status()).outcome == Outcome.RUNNING
                    and st.watcher_pid and st, timeout=15, what="site watched")


def test_start_status_stop(sim_site, bystander, poll_for):
    assert sim_site.status().outcome == Outcome.STOPPED
    res = sim_site.start()
    assert res.outcome == Outcome.SUCCESS, res.message
    st = sim_site.status()
    assert st.outcome == Outcome.RUNNING
    assert sorted(st.daemons) == sorted(WATCHED) and all(st.daemons.values())
    # the process tree JobCenter has: netdaemon is nqsdaemon's child, nqsdaemon is at the top
    nqs = procs.read(st.daemons["nqsdaemon"])
    assert procs.read(st.daemons["netdaemon"]).ppid == nqs.pid
    assert procs.cmdline(nqs.pid)[0] == "NQS nqsdaemon" and nqs.comm == "nqsdaemon"
    assert procs.env_value(nqs.pid, "NQS_SITE") == sim_site.name
    assert len(_site_procs(sim_site.name)) == 10  # nine watched + the jnwcaster child
    res = sim_site.stop(timeout=10)
    assert res.outcome == Outcome.SUCCESS, res.message
    assert res.details["seconds"] < 2.0
    assert _site_procs(sim_site.name) == []
    assert sim_site.status().outcome == Outcome.STOPPED
    again = sim_site.stop()
    assert again.outcome == Outcome.SUCCESS and "not running" in again.message


def test_start_twice_is_one_site(sim_site):
    assert sim_site.start().outcome == Outcome.SUCCESS
    before = sorted(_site_procs(sim_site.name))
    res = sim_site.start()
    assert res.outcome == Outcome.SUCCESS and res.details.get("already")
    assert sorted(_site_procs(sim_site.name)) == before
    sim_site.stop(timeout=5)


def test_concurrent_starts_make_one_site(sim_site, reaper):
    code = ("import sys; from jobcenter_cluster.engine import api;"
            f"r = api.start({sim_site.name!r}, {sim_site.db!r}, mode='no-watch');"
            "print(r.outcome.value, r.message); sys.exit(0 if r.ok else 1)")
    runs = [reaper.popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for _ in range(3)]
    outs = [p.communicate(timeout=30)[0] for p in runs]
    assert [p.returncode for p in runs] == [0, 0, 0], outs
    assert sum("already running" in o for o in outs) == 2, outs
    names = [procs.cmdline(pid)[0] for pid in _site_procs(sim_site.name)]
    assert names.count("NQS nqsdaemon") == 1 and len(names) == 10
    sim_site.stop(timeout=5)


def test_watcher_names_a_killed_daemon(sim_site, bystander, poll_for):
    watcher = sim_site.watch()
    st = _wait_watching(sim_site, poll_for)
    assert st.watcher_pid == watcher.pid
    os.kill(st.daemons["comagent"], signal.SIGKILL)
    out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 1
    # with no subreaper (the psutil layer: Solaris, AIX) the daemon is init's child: no status
    how = ("killed by SIGKILL",) if procs.LAYER == "proc" else ("is a zombie", "is gone")
    assert "comagent" in err and any(h in err for h in how), err
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and st.missing == ["comagent"]
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert _site_procs(sim_site.name) == []


def test_watcher_names_a_zombie(sim_site, bystander, poll_for):
    watcher = sim_site.watch()
    st = _wait_watching(sim_site, poll_for)
    netd = st.daemons["netdaemon"]
    os.kill(netd, signal.SIGUSR1)  # exits; nqsdaemon never reaps it: a zombie
    out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 1
    assert f"netdaemon (pid {netd}) is a zombie" in err
    assert procs.read(netd) is not None and procs.read(netd).dead
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


def test_status_sees_a_dead_daemon_without_a_watcher(sim_site, poll_for):
    sim_site.start()
    os.kill(sim_site.status().daemons["jnwengine"], signal.SIGKILL)
    st = poll_for(lambda: (s := sim_site.status()).outcome == Outcome.FAILED and s)
    assert st.missing == ["jnwengine"]
    # a new start repairs it: leftovers are cleared first, so still one site
    res = sim_site.start()
    assert res.outcome == Outcome.SUCCESS, res.message
    assert sim_site.status().outcome == Outcome.RUNNING
    assert len(_site_procs(sim_site.name)) == 10
    sim_site.stop(timeout=5)


def test_stop_ends_the_watcher_with_success(sim_site, bystander, poll_for):
    watcher = sim_site.watch()
    _wait_watching(sim_site, poll_for)
    res = sim_site.stop(timeout=10)
    assert res.outcome == Outcome.SUCCESS
    out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 0, err
    assert "stopped" in out + err


def test_daemon_ignoring_sigterm_is_killed_at_the_deadline(sim_site, bystander):
    simulator.set_fault(sim_site.db, "logdaemon", "ignore-term")
    sim_site.start()
    t0 = time.monotonic()
    res = sim_site.stop(timeout=1.0)
    took = time.monotonic() - t0
    assert res.outcome == Outcome.SUCCESS, res.message
    assert "SIGKILL" in res.message and len(res.details["killed"]) == 1
    assert 1.0 <= took <= 2.0
    assert _site_procs(sim_site.name) == []


def test_watcher_sigkilled_then_stop(sim_site, bystander, poll_for):
    watcher = sim_site.watch()
    st = _wait_watching(sim_site, poll_for)
    os.kill(watcher.pid, signal.SIGKILL)
    watcher.wait(timeout=5)
    st = poll_for(lambda: (s := sim_site.status()).outcome == Outcome.FAILED and s)
    assert "watcher" in st.message
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert _site_procs(sim_site.name) == []


def test_stale_pids_of_unrelated_processes_are_never_signalled(sim_site, bystander):
    """PID reuse: the run state names pids that now belong to an unrelated process."""
    sim_site.start()
    run = store.read_run(sim_site.root, sim_site.name)
    real = dict(run["daemons"])
    stale_start = procs.read(bystander.pid).start - 1  # the bystander's pid, another start
    run["daemons"]["nqsdaemon"] = [bystander.pid, stale_start]
    run["watcher"] = [bystander.pid, stale_start]
    store._write_run(sim_site.root, sim_site.name, run)  # a forged record, not a transition
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and st.missing == ["nqsdaemon"]
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS
    assert not procs.alive(real["nqsdaemon"][0], real["nqsdaemon"][1])
    assert _site_procs(sim_site.name) == []
    bystander.assert_untouched()


def test_stop_kills_processes_holding_the_database(sim_site, reaper, bystander):
    sim_site.start()
    # a job's background process (nqsbg) without the marker, keeping the shared disk busy
    holder = reaper.popen([sys.executable, "-c", "import time; time.sleep(60)"],
                          cwd=os.path.join(sim_site.db, "nqs"),
                          env={k: v for k, v in os.environ.items() if k != "NQS_SITE"})
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS
    assert holder.wait(timeout=5) == -signal.SIGTERM


def test_spool_path_occupied_by_a_file_or_a_foreign_symlink(sim_site, tmp_path):
    link = sim_site.status().spool_link
    os.unlink(link)
    with open(link, "w") as fh:
        fh.write("not ours")
    from jobcenter_cluster.errors import UserError

    with pytest.raises(UserError, match="is a file, not a symlink"):
        sim_site.start()
    os.unlink(link)
    os.symlink(str(tmp_path / "elsewhere" / "nqs"), link)
    with pytest.raises(UserError, match="not site .* database"):
        sim_site.start()
    assert os.readlink(link) == str(tmp_path / "elsewhere" / "nqs")  # left alone
    assert _site_procs(sim_site.name) == []
    # our own stale link (site's database moved) is repaired
    os.unlink(link)
    os.symlink("/old/place/of/this/site/nqs", link)
    reg = store.read_registry(sim_site.root, sim_site.name)
    reg["database"] = "/old/place/of/this/site"
    store.write_json(store.registry_path(sim_site.root, sim_site.name), reg)
    assert sim_site.start().outcome == Outcome.SUCCESS
    assert os.readlink(link) == os.path.join(sim_site.db, "nqs")
    sim_site.stop(timeout=5)


def test_database_missing_at_start_is_unrecoverable(sim_site, tmp_path):
    moved = str(tmp_path / "unmounted")
    os.rename(sim_site.db, moved)  # as if the shared disk were not mounted
    res = sim_site.start()
    assert res.outcome == Outcome.UNRECOVERABLE and "is the shared disk mounted" in res.message
    os.makedirs(sim_site.db)  # the empty mount point
    res = sim_site.start()
    assert res.outcome == Outcome.UNRECOVERABLE and "holds no site database" in res.message
    assert _site_procs(sim_site.name) == []
    os.rmdir(sim_site.db)
    os.rename(moved, sim_site.db)
    assert sim_site.start().outcome == Outcome.SUCCESS
    # the disk goes away under a running site: unrecoverable here
    os.rename(sim_site.db, moved)
    try:
        assert sim_site.status().outcome == Outcome.UNRECOVERABLE
    finally:
        os.rename(moved, sim_site.db)
    sim_site.stop(timeout=5)


def test_missing_daemon_is_named(sim_site):
    simulator.set_fault(sim_site.db, "sclaunchd", "no-start")
    res = sim_site.start(timeout=1.5)
    assert res.outcome == Outcome.FAILED
    assert "sclaunchd not running" in res.message and res.details["missing"] == ["sclaunchd"]
    assert _site_procs(sim_site.name) == []  # what did start was cleaned up
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and st.missing == ["sclaunchd"]


def test_maintenance_starts_nothing_and_stays_up(sim_site, poll_for, bystander):
    os.makedirs(os.path.join(sim_site.db, "etc"), exist_ok=True)
    with open(os.path.join(sim_site.db, "etc", "daemon.conf"), "w") as fh:
        fh.write("maintenance=ON\n")
    watcher = sim_site.watch()
    st = poll_for(lambda: (s := sim_site.status()).outcome == Outcome.MAINTENANCE and s,
                  timeout=15)
    assert st.maintenance and st.watcher_pid == watcher.pid
    assert _site_procs(sim_site.name) == []
    # it stays up: the stop finds it still there and stops it (what the stop says), not an
    # immediate poll() that a slow-to-exit watcher on a loaded machine would pass
    said: list[str] = []
    res = sim_site.stop(timeout=5, progress=lambda p: said.append(p.what))
    assert res.outcome == Outcome.SUCCESS
    assert f"the watcher (pid {watcher.pid})" in said, said
    assert watcher.wait(timeout=5) == 0


def test_migration_between_two_node_identities(sim_site, tmp_path, monkeypatch):
    """Two node identities on one machine: separate spool roots, one shared database."""
    assert sim_site.start().outcome == Outcome.SUCCESS
    root_b = str(tmp_path / "spool-b")
    # node B does not know the site yet: a probe there says stopped, not an error
    monkeypatch.setenv("JCCLUSTER_NODE", "node-b")
    assert api.status(sim_site.name, root=root_b).outcome == Outcome.STOPPED
    monkeypatch.setenv("JCCLUSTER_NODE", "node-a")
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    monkeypatch.setenv("JCCLUSTER_NODE", "node-b")
    res = api.start(sim_site.name, sim_site.db, root=root_b, mode="no-watch")
    assert res.outcome == Outcome.SUCCESS and "migrated from node-a to node-b" in res.message
    st = api.status(sim_site.name, root=root_b)
    assert st.outcome == Outcome.RUNNING and st.migrated
    assert os.path.islink(st.spool_link) and st.spool_link.startswith(root_b)
    assert store.read_identity(sim_site.db)["last_host"] == "node-b"
    # node A's stop must not touch node B's processes
    monkeypatch.setenv("JCCLUSTER_NODE", "node-a")
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert api.status(sim_site.name, root=root_b).outcome == Outcome.RUNNING
    monkeypatch.setenv("JCCLUSTER_NODE", "node-b")
    assert api.stop(sim_site.name, root=root_b, timeout=5).outcome == Outcome.SUCCESS


def _background_start_from_a_caller(sim_site, prelude: str = ""):
    """``api.start(mode='background')`` from a caller process that first runs `prelude`; the
    status once it has exited. The caller's stdout must not be kept open by the watcher:
    run() returns at the caller's exit."""
    code = (f"{prelude}from jobcenter_cluster.engine import api\n"
            f"r = api.start({sim_site.name!r}, {sim_site.db!r}, mode='background')\n"
            "print(r.outcome.value, r.message)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)
    assert done.stdout.startswith("success"), done.stdout + done.stderr
    st = sim_site.status()
    assert st.outcome == Outcome.RUNNING and st.watcher_pid
    return st


def test_background_watcher_detaches(sim_site, poll_for, bystander):
    st = _background_start_from_a_caller(sim_site)
    # detached: its own session, not the caller's child (the caller has exited anyway)
    assert os.getsid(st.watcher_pid) != os.getsid(0)
    assert os.getsid(st.watcher_pid) != st.watcher_pid  # double fork: not a session leader
    os.kill(st.daemons["jnwcaster"], signal.SIGKILL)
    st = poll_for(lambda: (s := sim_site.status()).outcome == Outcome.FAILED and s, timeout=5)
    assert "jnwcaster" in st.message
    log = store.watcher_log(sim_site.db)
    poll_for(lambda: "jnwcaster" in _read(log), what="the watcher's log names the daemon")
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


def test_background_watcher_keeps_nothing_of_its_caller(sim_site, tmp_path):
    """The detached watcher holds no file of the caller that started it (a lock, a cluster
    file), and the signals a caller ignores (a product may run us with SIGCHLD or SIGTERM
    ignored) are not ignored by the watcher: a stop can still end it and it still sees its
    daemons die."""
    held = tmp_path / "caller-held"
    prelude = ("import os, signal\n"
               f"held = open({str(held)!r}, 'w')\n"
               "os.set_inheritable(held.fileno(), True)\n"  # as a shell's redirection is
               "for s in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):\n"
               "    signal.signal(s, signal.SIG_IGN)\n")
    pid = _background_start_from_a_caller(sim_site, prelude).watcher_pid
    fds = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    assert str(held) not in fds, fds
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        ignored = int(next(x for x in fh if x.startswith("SigIgn:")).split()[1], 16)
    for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        assert not ignored & (1 << (sig - 1)), f"{sig.name} ignored (SigIgn {ignored:x})"
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


def test_local_daemon_blocks_start_unless_local_daemon_site(sim_site, reaper, poll_for,
                                                           monkeypatch):
    """daemon.conf without local_daemon: a running local nqsdaemon blocks the cluster site.

    The fake local daemon carries ``NQS_SITE=<this node>`` (how JobCenter marks a local daemon
    too) under a node name unique to this test, which the engine in this process is given:
    another test run on the machine sees a daemon of some other host, not its local daemon
    (issue 28, two runs on one machine: a nameless fake blocked every start of the other run)."""
    node = f"jcc-local-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    real = os.uname()
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(
        (real.sysname, node, real.release, real.version, real.machine)))
    env = {k: v for k, v in os.environ.items() if k != "NQS_SITE"}
    env["NQS_SITE"] = node
    env["PYTHONHOME"] = sys.base_prefix  # argv[0] is not a path: tell python where it lives
    code = ("import ctypes, signal; ctypes.CDLL(None).prctl(15, b'nqsdaemon', 0, 0, 0);"
            "signal.signal(signal.SIGWINCH, lambda *a: print('mark', flush=True))\n"
            "while True: signal.pause()")
    local = reaper.popen(["NQS nqsdaemon", "-c", code], stdout=subprocess.PIPE, text=True,
                         executable=os.readlink("/proc/self/exe"), env=env)
    poll_for(lambda: (p := procs.read(local.pid)) is not None and p.comm == "nqsdaemon")
    res = sim_site.start()
    assert res.outcome == Outcome.FAILED
    assert f"local JobCenter daemon (pid {local.pid})" in res.message
    assert "local_daemon=SITE" in res.message
    with open(os.environ["JCCLUSTER_DAEMON_CONF"], "w") as fh:
        fh.write("local_daemon=SITE\n")
    assert sim_site.start().outcome == Outcome.SUCCESS
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    # the local daemon is not the site's: left alone. It answers SIGWINCH, so its answer
    # proves nothing was sent before it (an immediate poll() passes a late SIGTERM)
    local.send_signal(signal.SIGWINCH)
    assert local.stdout.readline() == "mark\n"


def test_run_state_is_json_with_identities(sim_site):
    res = sim_site.start()
    assert res.outcome == Outcome.SUCCESS, res.message
    with open(store.run_path(sim_site.root, sim_site.name)) as fh:
        run = json.load(fh)
    assert run["state"] == "running" and run["node"] == "node-a"
    for pid, start in run["daemons"].values():
        assert procs.read(pid).start == start
    sim_site.stop(timeout=5)


def test_watch_adopts_a_site_started_without_watcher(sim_site, poll_for, bystander):
    res = sim_site.start()
    assert res.outcome == Outcome.SUCCESS, res.message
    before = sorted(_site_procs(sim_site.name))
    watcher = sim_site.watch()
    st = _wait_watching(sim_site, poll_for)
    assert st.watcher_pid == watcher.pid
    assert sorted(_site_procs(sim_site.name)) == before  # adopted, not restarted
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert watcher.wait(timeout=5) == 0


def test_watcher_terminated_by_someone_else_fails_the_site(sim_site, poll_for):
    """Issue 10 finding 8: a watcher ended by a signal says so, exits non-zero, and status
    reads failed (not "running (not watched)") while the daemons keep running."""
    watcher = sim_site.watch()
    _wait_watching(sim_site, poll_for)
    watcher.send_signal(signal.SIGTERM)
    out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 1 and "ended by SIGTERM" in err
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and st.state == "failed" and st.watcher_pid is None
    assert "SIGTERM" in st.message and st.daemons["nqsdaemon"]
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
