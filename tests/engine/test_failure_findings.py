"""Issue 20 ("Failure semantics"), the engine's findings, each with its fault really injected.

Test names carry the finding's number (``test_findingN_...``). The rules they keep (issue 20,
"The rules every row must keep"):

- a stop that could not do its work is a failed stop (FAILED), never a user error that reads
  as success (finding 1);
- two sites never touch each other: nested databases are refused at create, and another
  registered site's database is out of a stop's reach (finding 5);
- a monitor is bounded: it never blocks on a file, a lock or a peer (finding 6 and "monitor");
- a SIGSTOPped daemon does not make a stop last its whole deadline (finding 7).

Expected exit codes of the agent come from the OCF resource-agent API (ClusterLabs OCF-spec,
ra/1.1 "Return codes"): 0 OCF_SUCCESS, 1 OCF_ERR_GENERIC, 2 OCF_ERR_ARGS, 7 OCF_NOT_RUNNING; a
stop answers 0 only when the resource is stopped. ``jccluster site`` commands exit 1 for a
failure and 2 for a user error (docs/cli: "Exit status"; LSB init-script actions: 1 "generic or
unspecified error").
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from jobcenter_cluster.engine import api, create, procs, store
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from support import procs as support_procs
from support.cli import jcc
from support.disk import fill, small_disk
from support.sites import poll_for, unique_site

pytestmark = pytest.mark.timeout(120)


def site_alive(name: str) -> list[int]:
    """The live processes marked NQS_SITE=name, read from /proc by the test itself (never by
    the engine's procs module, whose stop these tests judge)."""
    return sorted(support_procs.site_processes(name))


# --- finding 1: a stop that could not run answers "stopped" -------------------------------------


def test_finding1_stop_with_full_spool_is_failed(engine_env, tmp_path, reaper):
    """The spool root is a real, small tmpfs (in the test session's private mount namespace)
    filled to the last byte while the site runs. The stop cannot record anything: it must
    still stop the site, and say FAILED (never INVALID, never SUCCESS)."""
    with small_disk(tmp_path / "full", "1m") as mnt:
        name, address = unique_site()
        reaper.site(name)
        root = os.path.join(mnt, "spool")
        reaper.roots.add(root)
        db = str(tmp_path / "jobdb")
        assert api.create(name, 100, db, root=root, product="simulator",
                          address=address).outcome == Outcome.SUCCESS
        assert api.start(name, db, root=root, mode="no-watch").outcome == Outcome.SUCCESS
        assert site_alive(name)
        filler = fill(mnt)
        res = api.stop(name, root=root, timeout=5)
        assert res.outcome == Outcome.FAILED, res
        assert "No space left on device" in res.message and "not recorded" in res.message
        assert site_alive(name) == []  # stopped all the same
        os.unlink(filler)
        again = api.stop(name, root=root, timeout=5)
        assert again.outcome == Outcome.SUCCESS, again
        assert api.status(name, root=root).outcome == Outcome.STOPPED


def test_finding1_stop_while_a_start_holds_the_lock_is_failed(sim_site):
    assert sim_site.start().outcome == Outcome.SUCCESS
    before = site_alive(sim_site.name)
    with store.site_lock(sim_site.root, sim_site.name, 1.0):  # another start holds it
        t0 = time.monotonic()
        res = sim_site.stop(timeout=0.5)
        took = time.monotonic() - t0
    assert res.outcome == Outcome.FAILED, res
    assert "lock" in res.message and "nothing was signalled" in res.message
    assert took < 5
    assert site_alive(sim_site.name) == before  # nothing was touched
    assert sim_site.status().outcome == Outcome.RUNNING
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert site_alive(sim_site.name) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 0.0, 1e9, "soon"])
def test_finding1_stop_with_a_deadline_out_of_range_is_failed(sim_site, value):
    assert sim_site.start().outcome == Outcome.SUCCESS
    before = site_alive(sim_site.name)
    res = sim_site.stop(timeout=value)
    assert res.outcome == Outcome.FAILED, res
    assert "argument error" in res.message and "--timeout" in res.message
    assert site_alive(sim_site.name) == before
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


def test_finding1_a_site_name_that_no_site_can_have_is_nothing_to_stop(engine_env):
    """Verified, not trusted: a site name is a host name (manual §2.10.1); nothing of a site
    named otherwise can run, so that stop has nothing to do (it is not a user error either)."""
    res = api.stop("not a host name!", root=engine_env.root)
    assert res.outcome == Outcome.SUCCESS and "nothing to stop" in res.message
    long = ".".join(["a" * 60] * 4)  # a host name, too long for the engine's file names
    res = api.stop(long, root=engine_env.root)
    assert res.outcome == Outcome.FAILED and "argument error" in res.message


def test_finding1_cli_and_agent_stop_that_could_not_run_exit_failed(sim_site):
    """`site stop` exits 1 (a failure), not 2 (a user error); the Pacemaker agent's stop exits
    1 (OCF_ERR_GENERIC), never 0 (OCF_SUCCESS): the site still runs."""
    assert sim_site.start().outcome == Outcome.SUCCESS
    before = site_alive(sim_site.name)
    cli = sim_site.cli("site", "stop", sim_site.name, "--timeout", "-1")
    assert cli.returncode == 1, cli
    assert "argument error" in cli.stderr and "--timeout" in cli.stderr
    for bad in ("-1", "nan", "soon"):
        agent = sim_site.cli("agent", "pacemaker", "stop", sim_site.name, "--timeout", bad)
        assert agent.returncode == 1, (bad, agent)
        assert "--timeout" in agent.stderr
    # the environment's timeout (OCF_RESKEY_CRM_meta_timeout is the product's business; here
    # the stop's own argument) that is not a number: also a failed stop, not an internal error
    assert site_alive(sim_site.name) == before
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


# --- finding 5: stopping one site can kill another ---------------------------------------------


@pytest.mark.parametrize("inner", ["sub", "nqs/sub", ".jccluster/sub", "nqs"])
def test_finding5_create_refuses_a_database_inside_another_sites(sim_site, inner):
    name, address = unique_site()
    target = os.path.join(sim_site.db, inner)
    with pytest.raises(UserError) as err:
        api.create(name, 101, target, root=sim_site.root, product="simulator", address=address)
    msg = str(err.value)
    assert "\n" not in msg and sim_site.name in msg and "inside" in msg
    assert "directory of its own" in msg
    assert store.read_registry(sim_site.root, name) is None


def test_finding5_create_refuses_a_nested_database_through_a_symlink(sim_site, tmp_path):
    link = tmp_path / "innocent"
    os.symlink(sim_site.db, link)
    name, address = unique_site()
    with pytest.raises(UserError, match=sim_site.name):
        api.create(name, 101, str(link / "sub"), root=sim_site.root, product="simulator",
                   address=address)


def test_finding5_create_refuses_a_database_inside_a_site_unknown_on_this_node(sim_site, tmp_path):
    """The outer site was created on another node (another spool root): its identity file in
    an ancestor directory is enough to refuse."""
    other_root = str(tmp_path / "other-node-spool")
    name, address = unique_site()
    with pytest.raises(UserError, match=sim_site.name):
        api.create(name, 101, os.path.join(sim_site.db, "nqs", "x"), root=other_root,
                   product="simulator", address=address)


def test_finding5_create_refuses_a_database_holding_another_sites(engine_env, tmp_path):
    outer = tmp_path / "outer"
    outer.mkdir()
    a, a_addr = unique_site()
    assert api.create(a, 100, str(outer / "a"), root=engine_env.root, product="simulator",
                      address=a_addr).outcome == Outcome.SUCCESS
    b, b_addr = unique_site()
    with pytest.raises(UserError) as err:
        api.create(b, 101, str(outer), root=engine_env.root, product="simulator",
                   address=b_addr)
    assert "holds" in str(err.value) and a in str(err.value)
    # the CLI: one line, exit 2 (a user error: nothing was created)
    res = jcc("site", "create", b, "101", str(outer), "--product", "simulator")
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res


def test_finding5_create_beside_another_site_is_fine(sim_site, tmp_path):
    name, address = unique_site()
    beside = str(tmp_path / "jobdb2")  # sim_site.db is tmp_path/jobdb: a prefix, not a parent
    assert api.create(name, 101, beside, root=sim_site.root, product="simulator",
                      address=address).outcome == Outcome.SUCCESS


def test_finding5_stop_never_takes_a_nested_sites_processes(sim_site, reaper, monkeypatch):
    """Sites nested before create refused it: stopping the outer one leaves every process of
    the inner one alone (they hold files only under the inner database); a process holding a
    file in the outer database outside the inner one is still the outer site's (fuser -k)."""
    name, address = unique_site()
    reaper.site(name)
    inner = os.path.join(sim_site.db, "inner")
    monkeypatch.setattr(create, "nested_database", lambda *a: None)  # as before the refusal
    assert api.create(name, 101, inner, root=sim_site.root, product="simulator",
                      address=address).outcome == Outcome.SUCCESS
    monkeypatch.undo()
    assert sim_site.start().outcome == Outcome.SUCCESS
    assert api.start(name, inner, root=sim_site.root, mode="no-watch").outcome == Outcome.SUCCESS
    inner_procs = site_alive(name)
    assert len(inner_procs) >= 10
    # a plain process holding the outer database (not the inner one)
    holder = reaper.popen([sys.executable, "-c", "import signal; signal.pause()"],
                          cwd=sim_site.db)
    poll_for(lambda: os.readlink(f"/proc/{holder.pid}/cwd") == os.path.realpath(sim_site.db),
             what="holder in the outer database")
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS, res
    assert site_alive(sim_site.name) == []
    assert holder.wait(timeout=10) is not None  # the outer site's: stopped
    assert site_alive(name) == inner_procs  # the inner site's: untouched
    assert api.status(name, root=sim_site.root).outcome == Outcome.RUNNING
    assert api.stop(name, root=sim_site.root, timeout=5).outcome == Outcome.SUCCESS
    assert site_alive(name) == []


# --- finding 6: a cluster file that is a FIFO hangs validate and monitor --------------------------


def _fifo(tmp_path) -> str:
    path = str(tmp_path / "jccluster.toml")
    os.mkfifo(path)
    return path


def test_finding6_validate_with_a_fifo_cluster_file_returns_promptly(tmp_path):
    path = _fifo(tmp_path)
    t0 = time.monotonic()
    res = jcc("validate", "-c", path, timeout=30)
    assert time.monotonic() - t0 < 5
    assert res.returncode == 2, res  # a user error (docs/cli "Exit status")
    err = res.stderr.strip()
    assert "\n" not in err and "FIFO" in err and path in err, err


def test_finding6_agent_monitor_with_a_fifo_config_returns_promptly(tmp_path, engine_env):
    path = _fifo(tmp_path)
    t0 = time.monotonic()
    res = jcc("agent", "pacemaker", "monitor", "fifo.example.com", "--config", path,
              timeout=30)
    assert time.monotonic() - t0 < 5
    assert res.returncode == 2, res  # OCF_ERR_ARGS: the agent was given a wrong argument
    assert "FIFO" in res.stderr
    # a stop with the same argument could not run: OCF_ERR_GENERIC, never OCF_SUCCESS
    stop = jcc("agent", "pacemaker", "stop", "fifo.example.com", "--config", path, timeout=30)
    assert stop.returncode == 1, stop
    assert "not stopped" in stop.stderr


def test_finding6_read_cluster_data_refuses_without_opening_for_long(tmp_path):
    from jobcenter_cluster.model import ConfigError, read_cluster_data

    path = _fifo(tmp_path)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_cluster_data(path)


# --- finding 7: a SIGSTOPped daemon makes every stop last the whole deadline ----------------------


def test_finding7_sigstopped_daemon_stops_promptly(sim_site):
    assert sim_site.start().outcome == Outcome.SUCCESS
    victim = sim_site.pid("netdaemon")
    os.kill(victim, signal.SIGSTOP)
    poll_for(lambda: procs.read(victim) and procs.read(victim).state in "Tt",
             what="daemon stopped")
    t0 = time.monotonic()
    res = sim_site.stop(timeout=20)
    took = time.monotonic() - t0
    assert res.outcome == Outcome.SUCCESS, res
    assert took < 5, f"stop took {took:.1f}s of its 20 s deadline"
    assert res.details["killed"] == []  # ended by SIGTERM, no SIGKILL needed
    assert site_alive(sim_site.name) == []


# --- a monitor is bounded: never blocks on a file, a lock or a peer --------------------------------


def test_monitor_is_bounded_while_the_site_lock_is_held(sim_site):
    assert sim_site.start().outcome == Outcome.SUCCESS
    with store.site_lock(sim_site.root, sim_site.name, 1.0):
        t0 = time.monotonic()
        res = sim_site.cli("agent", "pacemaker", "monitor", sim_site.name, "--root",
                           sim_site.root)
        assert time.monotonic() - t0 < 5
    assert res.returncode == 0, res  # OCF_SUCCESS: running
    sim_site.stop(timeout=5)


@pytest.mark.parametrize("which", ["run", "registry"])
def test_monitor_is_bounded_when_a_state_file_is_a_fifo(sim_site, which):
    assert sim_site.start().outcome == Outcome.SUCCESS
    path = (store.run_path if which == "run" else store.registry_path)(sim_site.root,
                                                                       sim_site.name)
    saved = path + ".saved"
    os.rename(path, saved)
    os.mkfifo(path, 0o644)
    try:
        t0 = time.monotonic()
        st = jcc("site", "status", sim_site.name, "--root", sim_site.root, timeout=30)
        mon = sim_site.cli("agent", "pacemaker", "monitor", sim_site.name, "--root",
                           sim_site.root)
        assert time.monotonic() - t0 < 8
        # never "not running" (3 / OCF 7) while the daemons run
        assert st.returncode not in (0, 3), st
        assert mon.returncode not in (0, 7), mon
        if which == "run":  # an unusable run state with the site's processes alive: failed
            assert st.returncode == 1 and "not a regular file" in st.stdout, st
            assert mon.returncode == 1, mon  # OCF_ERR_GENERIC: the cluster stops it again
    finally:
        os.unlink(path)
        os.rename(saved, path)
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS


# --- the double-forking job (the emulated installation's fault) ----------------------------------


@pytest.mark.parametrize("fault", ["double-fork", "double-fork=detach"])
@pytest.mark.parametrize("mode", ["no-watch", "background"])
def test_double_forked_job_is_stopped_with_its_site(sim_site, reaper, monkeypatch, fault, mode):
    monkeypatch.setenv("JCCLUSTER_SIM_FAULTS", f"jnwengine={fault}")
    assert sim_site.start(mode=mode).outcome == Outcome.SUCCESS
    job = sim_site.pid("jnwengine-job")
    reaper.track(job)
    assert procs.alive(job)
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS, res
    poll_for(lambda: not procs.alive(job), timeout=5, what="the job ended with its site")
    assert site_alive(sim_site.name) == []
