"""The long run of the engine's stateful fuzzer (issue 28): the machine of tests/fuzz/machine.py
on fresh random seeds until at least ``--steps`` steps (default 10 000) have run.

    sudo .dev-venv/bin/python benchmarks/fuzz_long.py [--steps N] [--seed S] [--examples E]

Opt-in (hours on 2 cores; not part of ``./dev test``, whose bounded run is
tests/fuzz/test_fuzz.py). Root and Linux: like the bounded run, it runs itself again as PID 2 of
a private PID namespace (``unshare --pid --fork --kill-child --mount-proc``, with
tests/fuzz/pidinit.py as the namespace's init), so ``/proc`` shows only the run's processes and
the kernel ends whatever is left when the run ends; then, like the test session, it moves itself
into a private mount namespace (tests/support/hosts.py), where each world's spool root is a
small tmpfs.
Every seed is printed before it runs; a failure prints the minimal program hypothesis shrank it
to and the path of the saved step script (``--replay PATH`` runs it again on a fresh world), and
the run goes on with the next seed. Exit status: 0 when no seed failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
#: set in the run again inside the private PID namespace
INNER = "JCCLUSTER_FUZZ_INNER"
if os.environ.get(INNER) != "1":
    _init = os.path.join(HERE, "..", "tests", "fuzz", "pidinit.py")
    os.environ[INNER] = "1"
    os.execvp("unshare", ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                          sys.executable, _init, sys.executable, *sys.argv])
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from fuzz.machine import SiteMachine, replay  # noqa: E402
from hypothesis import HealthCheck, Phase, seed, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

import support.hosts  # noqa: E402,F401 - the private mount namespace (and /etc/hosts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10_000, help="run until this many steps")
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: random)")
    ap.add_argument("--examples", type=int, default=20, help="worlds per seed")
    ap.add_argument("--length", type=int, default=50, help="at most this many steps per world")
    ap.add_argument("--no-shrink", action="store_true", help="report a failing world's whole "
                    "step script (at most --length steps) without shrinking it (faster)")
    ap.add_argument("--replay", metavar="STEPS_PY", help="run a saved step script (a failure's "
                    "failure-N.py) on a fresh world instead, and exit 0 if it passes")
    args = ap.parse_args()
    assert os.getpid() == 2, "the run is PID 2 of its own namespace (pidinit.py is 1)"
    os.environ["JCCLUSTER_NODE"] = "node-a"  # the machine's node (its in-process status too)
    base = tempfile.mkdtemp(prefix="jccluster-fuzz-")
    SiteMachine.base_dir = base
    if args.replay:
        replay(args.replay)
        print(f"fuzz_long: {args.replay} passed")
        return 0
    s = args.seed if args.seed is not None else random.randrange(2**32)
    failures: list[tuple[int, str]] = []
    phases = [Phase.explicit, Phase.generate] + ([] if args.no_shrink else [Phase.shrink])
    t0 = time.monotonic()
    print(f"fuzz_long: worlds under {base}; target {args.steps} steps", flush=True)
    while SiteMachine.totals["steps"] < args.steps:
        SiteMachine.seed = str(s)
        before = SiteMachine.totals["steps"]
        ts = time.monotonic()
        print(f"seed {s} ...", flush=True)
        try:
            run_state_machine_as_test(
                seed(s)(SiteMachine),
                settings=settings(max_examples=args.examples, stateful_step_count=args.length,
                                  deadline=None, database=None, print_blob=True,
                                  phases=phases,
                                  suppress_health_check=[HealthCheck.too_slow]),
            )
        except Exception:  # noqa: BLE001 - report it, go on with the next seed
            failures.append((s, traceback.format_exc()))
            print(f"seed {s} FAILED:\n{failures[-1][1]}", flush=True)
        print(f"seed {s}: {SiteMachine.totals['steps'] - before} steps in "
              f"{time.monotonic() - ts:.0f} s (total {SiteMachine.totals['steps']})", flush=True)
        s += 1
    took = time.monotonic() - t0
    print(f"fuzz_long: {SiteMachine.totals['steps']} steps, {SiteMachine.totals['examples']} "
          f"worlds, {took:.0f} s, {len(failures)} failing seed(s): "
          f"{[f for f, _ in failures] or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
