"""The bounded run of the stateful fuzzer (issue 28; the machine and its invariants are in
machine.py): a few hundred steps on a fixed, derandomized sequence, so a failure reproduces on
every machine. The long run is ``benchmarks/fuzz_long.py``.

The run has a PID namespace of its own (issue 28): the test re-runs itself once under
``unshare --pid --fork --mount-proc`` with pidinit.py as the namespace's init (it reaps orphans
and forwards signals), guarded by `INNER`. Inside, ``/proc`` shows only the run's processes, and
the kernel kills whatever is left when the run ends. One namespace for the whole run, not one
per command: a helper per command was too slow for the suite's budget."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from fuzz.machine import SiteMachine
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from support.hosts import needs_hosts

#: worlds x steps per world: 250 steps, about 2 minutes on 2 idle cores
EXAMPLES = int(os.environ.get("JCCLUSTER_FUZZ_EXAMPLES", "10"))
STEPS = int(os.environ.get("JCCLUSTER_FUZZ_STEPS", "25"))
#: set in the re-run inside the private PID namespace
INNER = "JCCLUSTER_FUZZ_INNER"
HERE = os.path.dirname(os.path.abspath(__file__))


def _in_private_pid_namespace(tmp_path) -> subprocess.CompletedProcess[str]:
    """This test, run again as PID 2 of a new PID namespace (pidinit.py is PID 1)."""
    repo = os.path.dirname(os.path.dirname(HERE))
    node = f"tests/fuzz/test_fuzz.py::{test_engine_under_the_stateful_fuzzer.__name__}"
    argv = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
            sys.executable, os.path.join(HERE, "pidinit.py"),
            sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
            f"--basetemp={tmp_path / 'inner'}", node]
    return subprocess.run(argv, cwd=repo, env={**os.environ, INNER: "1"}, capture_output=True,
                          text=True, timeout=570)


@needs_hosts
@pytest.mark.timeout(600)
def test_engine_under_the_stateful_fuzzer(tmp_path, reaper, monkeypatch):
    if os.environ.get(INNER) != "1":
        res = _in_private_pid_namespace(tmp_path)
        print(res.stdout[-3000:], res.stderr[-2000:])
        assert res.returncode == 0, f"the fuzz run failed (exit {res.returncode}); see above"
        return
    assert os.getpid() == 2, "the inner run is PID 2 of its own namespace (pidinit.py is 1)"
    # the machine asks the engine in-process too (status around a monitor, invariant 2): with
    # the node identity its commands get, or the daemons read as another node's
    monkeypatch.setenv("JCCLUSTER_NODE", "node-a")
    SiteMachine.base_dir = str(tmp_path)
    SiteMachine.seed = "derandomize=True (hypothesis' fixed sequence)"
    SiteMachine.totals.update(steps=0, examples=0)
    t0 = time.monotonic()
    # too_slow: every step runs real processes (a start takes ~1 s), which hypothesis' health
    # check reads as slow data generation. No shrink phase here: each replay of a world costs
    # seconds, so shrinking would outlast the suite's budget; a failing world's whole step
    # script (at most STEPS lines) is saved and named in the failure instead. The long run
    # (benchmarks/fuzz_long.py) shrinks.
    run_state_machine_as_test(
        SiteMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                          derandomize=True, database=None, print_blob=True,
                          phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow]),
    )
    took = time.monotonic() - t0
    print(f"fuzz: {SiteMachine.totals['steps']} steps in {SiteMachine.totals['examples']} "
          f"worlds, {took:.0f} s")


def test_the_situations_the_machine_merges_have_the_same_monitor_codes():
    """The machine reads a stopped site as `never-seen` and a failed running one as
    `daemon-dies` (machine.situation_of); the failure table must give the rows it stands for
    the same monitor codes, or the machine would judge some of them wrongly."""
    from fuzz.machine import MONITOR_VERB

    from jobcenter_cluster import failures

    for agent, verb in MONITOR_VERB.items():
        for one, other in (("never-seen", "planned-stop"), ("daemon-dies", "watcher-dies")):
            assert (failures.expected(agent, "jccluster", one, verb)
                    == failures.expected(agent, "jccluster", other, verb)), (agent, one, other)


def test_an_unreadable_run_file_with_members_alive_is_half_stopped():
    """The long run's seed 28401 (an emptied run file after a killed start, the site's daemons
    alive): the machine expected VCS's OFFLINE (100) where the agent answered ONLINE (110), the
    half-stopped row, as the spec's own rule says (`spec.is_half_stopped`: nothing tells a stop
    that was under way from none, and VCS must not read OFFLINE while members live). The
    machine now reads the status the spec's way; nothing alive is still no table row."""
    from fuzz.machine import situation_of

    from jobcenter_cluster import failures
    from jobcenter_cluster.engine.base import SiteStatus as Status
    from jobcenter_cluster.outcome import Outcome

    unreadable = {"unreadable": "empty", "members": [[4218, 1]], "state": "failed"}
    st = Status(Outcome.FAILED, "run state unreadable", dict(unreadable))
    assert situation_of(st) == "half-stopped"
    assert failures.expected("veritas", "jccluster", "half-stopped", "MonitorProgram") == 110
    nothing = Status(Outcome.FAILED, "run state unreadable", {"unreadable": "empty", "members": []})
    assert situation_of(nothing) is None
