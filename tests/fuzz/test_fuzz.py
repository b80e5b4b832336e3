"""The bounded run of the stateful fuzzer (issue 28; the machine and its invariants are in
machine.py): a few hundred steps on a fixed, derandomized sequence, so a failure reproduces on
every machine. The long run is ``benchmarks/fuzz_long.py``."""

from __future__ import annotations

import os
import time

import pytest
from fuzz.machine import SiteMachine
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from support.hosts import needs_hosts

#: worlds x steps per world: 250 steps, about 2 minutes on 2 idle cores
EXAMPLES = int(os.environ.get("JCCLUSTER_FUZZ_EXAMPLES", "10"))
STEPS = int(os.environ.get("JCCLUSTER_FUZZ_STEPS", "25"))


@needs_hosts
@pytest.mark.timeout(600)
def test_engine_under_the_stateful_fuzzer(tmp_path, reaper, monkeypatch):
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
