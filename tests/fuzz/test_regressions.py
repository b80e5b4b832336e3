"""Named regression tests for what the stateful fuzzer (machine.py) and issue 28's probe found,
one test per bug, each failing on the code before its fix."""

from __future__ import annotations

import contextlib
import os

import pytest
from fuzz.machine import _startup_interrupt

from support.cli import jcc
from support.hosts import needs_hosts


def _keep_port(tmp_path, *args: str):
    return jcc("site", "keep-port", *args, "--root", str(tmp_path / "spool"), "--port", "40613",
               timeout=30)


@pytest.mark.parametrize("address", ["127.000.010.001", "127.1", "0x7f000001", "2130706433"])
def test_keep_port_refuses_a_numeric_address_that_is_no_dotted_quad(tmp_path, reaper, address):
    """Issue 28: ``127.000.010.001`` went to the resolver, whose inet_aton reads the parts as
    octal, and 127.0.8.1 was held. A host name is never all-numeric (RFC 1123 section 2.1), so
    such an ADDRESS is a mistyped address: refused, one line, exit 2 (bad input)."""
    res = _keep_port(tmp_path, address, "--hold", "5")
    assert res.returncode == 2, res
    assert "not a dotted IPv4 address" in res.stderr
    assert not os.path.isdir(tmp_path / "spool" / ".jccluster" / "keepport")  # nothing written


@pytest.mark.parametrize("hold", ["1e-300", "0.5"])
def test_keep_port_refuses_a_hold_too_short_to_hold_anything(tmp_path, reaper, hold):
    """Issue 28: ``--hold 1e-300`` was accepted: a holder that gives up at once holds nothing a
    start could release."""
    res = _keep_port(tmp_path, "127.0.0.1", "--hold", hold)
    assert res.returncode == 2, res
    assert "--hold" in res.stderr


def test_fuzzer_exempts_only_an_interrupt_before_the_program_runs():
    """The fuzzer's first find was no engine bug: SIGINT 50 ms after a CLI started landed while
    the interpreter imported its site module; Python printed its own KeyboardInterrupt. The
    exemption must not cover an interrupt inside the program's functions."""
    startup = ('Traceback (most recent call last):\n  File "<frozen site>", line 616, in <module>'
               '\n  File "/x/jobcenter_cluster/cli/__init__.py", line 3, in <module>\n'
               'KeyboardInterrupt\n')
    inside = ('Traceback (most recent call last):\n  File "/x/jobcenter_cluster/engine/stop.py",'
              ' line 9, in stop\nKeyboardInterrupt\n')
    assert _startup_interrupt(startup)
    assert not _startup_interrupt(inside)
    assert not _startup_interrupt("Traceback (most recent call last):\nValueError: x\n")


# --- fuzzer find: a forged run file made the stop kill unrelated processes -------------------------


def _forge(sim_site, victims, *, keep_since: bool = True) -> None:
    """The run file names `victims` -- by their true pid and start time -- as the site's
    watcher, daemons and members (what ``corrupt_run_file(..., 'forged')`` does)."""
    from jobcenter_cluster.engine import store
    from support.procs import start_time

    run = store.read_run(sim_site.root, sim_site.name) or {}
    if not keep_since:
        run.pop("since", None)
    fakes = [[p.pid, start_time(p.pid)] for p in victims]
    run.update(watcher=fakes[0], daemons={"nqsdaemon": fakes[-1]}, members=fakes)
    store._write_run(sim_site.root, sim_site.name, run)  # forged: no transition


@pytest.mark.parametrize("keep_since", [True, False])
@pytest.mark.parametrize("running", [True, False])
def test_forged_run_file_never_gets_an_unrelated_process_signalled(
        sim_site, bystander, reaper, keep_since, running):
    """Found by the fuzzer (replay: set_fault, start --background interrupted by SIGQUIT,
    watcher SIGHUP, corrupt_run_file('A', 'forged'), stop('A', '10')): a run file naming a
    bystander -- older than the start, no engine process, no token -- as the watcher and a
    daemon made ``site stop`` SIGTERM it as the watcher and then SIGKILL it as a member.
    Membership (docs/engine.md) is proven by the process, never by the file alone; the site
    itself is still stopped."""
    from jobcenter_cluster.outcome import Outcome
    from support.procs import site_processes

    if running:
        assert sim_site.start().outcome == Outcome.SUCCESS
    _forge(sim_site, [bystander.proc], keep_since=keep_since)
    res = sim_site.stop(timeout=3)
    assert res.outcome == Outcome.SUCCESS, res
    bystander.assert_untouched()
    assert site_processes(sim_site.name) == []


# --- fuzzer find: Ctrl-C while the CLI still imports printed Python's traceback ---------------------


def test_sigint_while_the_cli_imports_ends_by_the_signal_without_a_traceback():
    """Found by the fuzzer (``interrupt_command('A', 'stop', 'SIGINT', 0.05)``): SIGINT 50 ms
    into ``jccluster site stop`` landed while ``main`` imported typer; Python printed a
    KeyboardInterrupt traceback (invariant 5). Now it ends by SIGINT (what a shell expects of
    Ctrl-C: exit status 128+2), silently. Made deterministic: the dispatch raises it."""
    import signal
    import subprocess
    import sys

    code = ("import jobcenter_cluster.__main__ as m\n"
            "def boom(argv):\n    raise KeyboardInterrupt\n"
            "m._dispatch = boom\nm.main(['site', 'stop', 'x.example.com'])\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == -signal.SIGINT, res
    assert "Traceback" not in res.stderr, res.stderr


# --- issue 28, the probe's findings: signals during bring-up and to the watcher ------------------


def _start_cli(sim_site, *extra: str):
    import subprocess

    from support.cli import jcc_argv

    return sim_site.reaper.popen(jcc_argv("site", "start", *extra, "--timeout", "20",
                                          sim_site.name, sim_site.db),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _starting(sim_site) -> bool:
    from jobcenter_cluster.engine import store

    run = store.read_run(sim_site.root, sim_site.name) or {}
    return run.get("state") == "starting" and bool(run.get("since"))


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_signal_during_no_watch_bring_up_is_reported_and_cleaned_up(sim_site, sig):
    """Issue 28: SIGTERM/SIGINT/SIGHUP to ``start --no-watch`` during bring-up ended it silently
    (143/130/129) while the daemons came up unwatched. Now the bring-up ends with FAILED naming
    the signal (exit 1, like a watching start: docs/engine.md "A watcher that ends tells") and
    what came up is stopped, so nothing runs that nobody started successfully."""
    import signal

    from jobcenter_cluster import simulator
    from support.procs import site_processes
    from support.sites import poll_for

    simulator.set_fault(sim_site.db, "comagent", "delay=3")  # a bring-up that takes a while
    proc = _start_cli(sim_site, "--no-watch")
    poll_for(lambda: _starting(sim_site), timeout=20, what="bring-up under way")
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, (proc.returncode, out, err)
    assert f"interrupted by {sig}" in out + err
    assert "Traceback" not in err
    poll_for(lambda: site_processes(sim_site.name) == [], timeout=15, what="nothing left")
    assert sim_site.status().outcome.value in ("stopped", "failed")


def test_sigterm_to_background_start_leaves_the_site_watched(sim_site):
    """Issue 28: SIGTERM to ``start --background`` while it waited for the detached watcher's
    report made the watcher die of a BrokenPipeError when it reported, leaving the daemons up
    unwatched. The watcher now keeps watching (and says in its log that its caller is gone)."""
    import signal

    from jobcenter_cluster import simulator
    from jobcenter_cluster.engine import store
    from jobcenter_cluster.outcome import Outcome
    from support.procs import alive
    from support.sites import poll_for

    simulator.set_fault(sim_site.db, "comagent", "delay=2")
    proc = _start_cli(sim_site, "--background")
    poll_for(lambda: _starting(sim_site), timeout=20, what="bring-up under way")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)

    def log() -> str:
        with open(store.watcher_log(sim_site.db), encoding="utf-8") as fh:
            return fh.read()

    # the watcher has reported (to nobody) once it says so, or once it has died of it
    poll_for(lambda: "is gone" in log() or "failed:" in log(), timeout=20, what="report")
    st = sim_site.status()
    assert st.outcome == Outcome.RUNNING and st.watcher_pid and alive(st.watcher_pid), st
    assert "BrokenPipeError" not in log() and "Traceback" not in log(), log()
    assert sim_site.stop(timeout=10).outcome == Outcome.SUCCESS


@pytest.mark.parametrize("sig", ["SIGUSR1", "SIGUSR2", "SIGALRM", "SIGQUIT"])
def test_any_terminating_signal_to_the_watcher_runs_the_failure_hook(sim_site, tmp_path, sig):
    """Issue 28: SIGUSR1/USR2/ALRM/QUIT killed the foreground watcher without running the
    failure hook (their default action ends the process). Like SIGTERM from anyone but
    ``stop``, each now ends it with exit 1 naming the signal, the run state failed, and the
    hook run (docs/engine.md "The failure hook")."""
    import signal

    from jobcenter_cluster.outcome import Outcome
    from support.sites import poll_for

    mark = tmp_path / "hook-ran"
    w = sim_site.watch("--on-failure", f"/bin/sh -c 'echo \"$JCCLUSTER_FAILURE\" > {mark}'")
    poll_for(lambda: sim_site.status().outcome == Outcome.RUNNING, timeout=20, what="watched")
    w.send_signal(getattr(signal, sig))
    out, err = w.communicate(timeout=30)
    assert w.returncode == 1, (w.returncode, out, err)
    poll_for(lambda: mark.exists() and mark.read_text(), timeout=15, what="hook ran")
    assert sig in mark.read_text()
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED and sig in st.message, st
    assert sim_site.stop(timeout=10).outcome == Outcome.SUCCESS


# --- issue 28: a site name with a newline or U+202E, echoed raw, split ocf-exit-reason ---------------


@pytest.mark.parametrize("name", ["evil\nocf-exit-reason:forged.example.com",
                                  "a\u202eb.example.com", "tab\there.example.com"])
@pytest.mark.parametrize("action", ["monitor", "start", "stop"])
def test_agent_never_echoes_a_control_character_of_the_site_name(tmp_path, name, action):
    """Issue 28: the agent's one-line report (which Pacemaker's agent turns into its
    ``ocf-exit-reason:`` line; OCF Resource Agent API: the exit reason is one line on stderr)
    named the site raw, so a newline in SITE split it and U+202E reversed what an operator
    reads. The report is still one line, with the name escaped."""
    res = jcc("agent", "pacemaker", action, name, str(tmp_path / "db"), "--root",
              str(tmp_path / "spool"), timeout=60)
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert "\u202e" not in res.stderr and "\t" not in res.stderr


# --- issue 28: watcher.log grew forever ---------------------------------------------------------------


def test_background_start_sets_a_large_watcher_log_aside(sim_site):
    """Issue 28: every background start and failure appended to
    ``DBPATH/.jccluster/watcher.log`` on the shared disk, forever. A start that finds it above
    1 MiB keeps it as ``watcher.log.1`` (one old copy, like logrotate's ``rotate 1``) and
    starts a new one."""
    from jobcenter_cluster.engine import lifecycle, store
    from jobcenter_cluster.outcome import Outcome

    log = store.watcher_log(sim_site.db)
    with open(log, "wb") as fh:
        fh.write(b"old line\n" * (lifecycle.WATCHER_LOG_MAX // 9 + 10))
    assert sim_site.start(mode="background").outcome == Outcome.SUCCESS
    assert os.path.getsize(log) < 4096
    assert os.path.getsize(log + ".1") > lifecycle.WATCHER_LOG_MAX
    assert sim_site.stop(timeout=10).outcome == Outcome.SUCCESS


# --- issue 28: start refused and advised a stop that said only "not running" ------------------------


def test_stop_names_the_daemons_start_refuses_to_run_beside(sim_site, reaper, tmp_path):
    """Issue 28 (the PID-reuse dead end): ``start`` refuses to run beside root's daemons with
    the site's marker that no start of ours launched, and advised ``site stop``, which -- never
    signalling them (docs/engine.md, membership) -- answered only "not running". The stop now
    names them and how to stop them; start no longer promises that its stop would."""
    import shutil
    import subprocess
    import sys

    from support.procs import site_processes
    from support.sites import poll_for

    copy = str(tmp_path / "copy")  # a copy of the site started by hand, on another database
    shutil.copytree(sim_site.db, copy, symlinks=True)
    subprocess.run([sys.executable, "-m", "jobcenter_cluster.simulator", "start", sim_site.name,
                    copy], env=dict(os.environ, NQS_SITE=sim_site.name), timeout=60, check=True)
    pids = poll_for(lambda: len(site_processes(sim_site.name)) >= 9 and site_processes(
        sim_site.name), timeout=20, what="the copy's daemons")
    start = sim_site.cli("site", "start", "--no-watch", "--timeout", "5", sim_site.name,
                         sim_site.db)
    assert start.returncode == 1, start
    assert "jccluster did not start" in start.stderr
    stop = sim_site.cli("site", "stop", sim_site.name, "--timeout", "5")
    assert stop.returncode == 0, stop
    assert "cjcpw -stop" in stop.stdout and str(min(pids)) in stop.stdout, stop
    assert set(pids) <= set(site_processes(sim_site.name))  # named, never signalled


# --- issue 28: a full disk during create --force did not say where the old database went ------------


def test_create_force_on_a_full_disk_says_where_the_old_database_is(engine_env, reaper, tmp_path):
    """Issue 28: ``create --force`` moves the old ``nqs/`` aside first; when building the new
    one then failed (a full shared disk), the error did not say where the old database now
    is -- the operator's data, out of its place, unnamed. Every failure after the move now
    names it (docs/engine.md: "nothing of ours ever deletes it")."""
    from fuzz.machine import mount_tmpfs, umount

    from jobcenter_cluster.engine import api
    from jobcenter_cluster.errors import UserError
    from support.sites import unique_site

    disk = tmp_path / "disk"
    disk.mkdir()
    if not mount_tmpfs(str(disk), 256 * 1024):
        pytest.fail("cannot mount a tmpfs in the test session's mount namespace")
    try:
        name, address = unique_site()
        reaper.site(name)
        db = str(disk / "jobdb")
        kw = {"root": engine_env.root, "product": "simulator", "address": address}
        assert api.create(name, 100, db, **kw).ok
        fd = os.open(str(disk / "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (65536, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)
        with pytest.raises(UserError) as err:
            api.create(name, 100, db, force=True, **kw)
        moved = [n for n in os.listdir(db) if n.startswith("nqs.replaced-")]
        assert moved, os.listdir(db)
        assert os.path.join(db, moved[0]) in str(err.value), err.value
        assert "No space left" in str(err.value)
    finally:
        umount(str(disk))


# --- fuzzer find: an unreadable run file lost the proof of membership of a detached job ------------


@pytest.mark.parametrize("recreate", [False, True])
@pytest.mark.parametrize("content", ["", "{corrupt"])
def test_detached_job_is_found_when_the_run_file_is_unreadable(sim_site, content, recreate):
    """Found by the long run (seed 28104: corrupt_run_file('B', 'empty') after a start whose
    logdaemon had the fault double-fork=detach, then stop('B', ...)): the detached job (cwd /,
    no open file: only the start's token ties it to the site) was no suspect, and the token's
    digest was only in the run file. Status said stopped while it lived and the stop left it.
    The registry now keeps the last start's token digest and start time as well -- also
    through a ``create`` run again meanwhile, which re-registers the site (seed 28202: that
    lost it again)."""
    from jobcenter_cluster import simulator
    from jobcenter_cluster.engine import store
    from jobcenter_cluster.outcome import Outcome
    from support.procs import alive
    from support.sites import poll_for

    simulator.set_fault(sim_site.db, "logdaemon", "double-fork=detach")
    assert sim_site.start().outcome == Outcome.SUCCESS
    job = sim_site.pid("logdaemon-job")
    assert alive(job)
    if recreate:
        assert sim_site.create().outcome == Outcome.SUCCESS  # same arguments: repairs only
    path = store.run_path(sim_site.root, sim_site.name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content)
    # the daemons hold the database; the job does not: stop them by hand first (kill -9 by
    # identity), so only the job is left, as after a stop that ended the daemons
    for role in ("nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "sclaunchd", "jnwcaster",
                 "comagent"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(sim_site.pid(role), 9)
    st = sim_site.status()
    assert st.outcome == Outcome.FAILED, st  # never "stopped" while the job lives
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS, res
    poll_for(lambda: not alive(job), timeout=5, what="the detached job ended by the stop")


# --- issue 28: the same missing watcher log gave 2 from one start mode and 5 from another ---------


@contextlib.contextmanager
def _read_only(path: str):
    """``path`` bind-mounted read-only over itself: a shared disk mounted read-only on this node.
    The session runs in a private mount namespace (tests/conftest.py), so nothing else sees it."""
    import subprocess

    subprocess.run(["mount", "--bind", path, path], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", path], check=True)
        yield
    finally:
        subprocess.run(["umount", path], check=True)


def test_missing_watcher_log_gives_one_outcome_in_every_start_mode(sim_site, tmp_path):
    """Issue 28's probe: with the database read-only on this node, the watcher log
    (``DBPATH/.jccluster/watcher.log``) is missing and cannot be created. ``start`` and
    ``start --no-watch`` answered unrecoverable (5: they cannot write the database), while
    ``start --background`` and the Pacemaker agent's start answered invalid (2) from the failed
    open of the log. One situation, one outcome: unrecoverable in every mode. For the agent that
    is OCF_ERR_INSTALLED (5), the failure table's start exit when this node cannot run the site
    (docs/failures.md, pacemaker bad-input; ClusterLabs, Pacemaker Administration, "How are OCF
    return codes interpreted?": 5 is a hard error, the resource is tried on another node)."""
    from jobcenter_cluster.engine import store
    from jobcenter_cluster.outcome import Outcome
    from support.procs import site_processes

    with contextlib.suppress(FileNotFoundError):
        os.unlink(store.watcher_log(sim_site.db))
    with _read_only(sim_site.db):
        outcomes = {mode: sim_site.start(mode=mode, timeout=20).outcome
                    for mode in ("no-watch", "background")}
        agent = jcc("agent", "pacemaker", "start", sim_site.name, sim_site.db, "--root",
                    sim_site.root, timeout=60)
    assert outcomes == {"no-watch": Outcome.UNRECOVERABLE, "background": Outcome.UNRECOVERABLE}
    assert agent.returncode == 5, agent
    assert "watcher log" in agent.stderr and "Traceback" not in agent.stderr
    assert site_processes(sim_site.name) == []  # nothing came up that nobody watches


# --- issue 28: two runs on one machine: the reaper ended another run's site of the same name ------


@needs_hosts
def test_reaper_spares_another_runs_process_with_the_same_site_name(reaper):
    """Issue 28: a clone's ``./dev test`` failed while another run on the machine used the same
    site name; the suite's reaper ended processes by ``NQS_SITE`` machine-wide, so it could kill
    another run's site. It now ends only what this session started (its mark, its private mount
    namespace): a process of the name in another mount namespace without the mark survives."""
    import subprocess

    from support.procs import alive, environ, gone
    from support.sites import poll_for

    name = reaper.site("orange.example.com")  # the fixed name both runs used
    env = {k: v for k, v in os.environ.items() if k != "JCCTEST_SESSION"}
    other = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sleep", "60"],
                             env={**env, "NQS_SITE": name})
    mine = subprocess.Popen(["sleep", "60"], env={**os.environ, "NQS_SITE": name})
    try:
        poll_for(lambda: f"NQS_SITE={name}".encode() in environ(other.pid)
                 and os.readlink(f"/proc/{other.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt"),
                 timeout=10, what="the other run's process in its own mount namespace")
        reaper.cleanup()
        poll_for(lambda: gone(mine.pid), timeout=10, what="this session's process ended")
        assert alive(other.pid), "the reaper killed another run's process"
    finally:
        other.kill()
        other.wait(timeout=10)
        mine.kill()
