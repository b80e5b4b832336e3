"""Recovery time on a live single-node Pacemaker cluster: from ``kill -9`` of a site daemon to the
site running again, for monitor intervals 2, 10 and 30 s, three ways in one run:

1. ``push``    our agent with ``notify_cluster=true`` (the watcher reports the failure at once);
2. ``monitor`` our agent with ``notify_cluster=false`` (recovery waits for the next monitor);
3. ``dummy``   ClusterLabs' ``ocf:pacemaker:Dummy`` (state file removed), the baseline.

Target (issue 15): ``push`` median ≤ 1.5 s whatever the interval; the baseline is about
interval/2 plus the restart.

    python benchmarks/bench_recovery.py [--rounds 5] [--intervals 2,10,30] [--ways push,monitor,dummy]

Runs as root with Pacemaker installed (``./dev test`` installs it), one at a time (two corosyncs
on 127.0.0.1 collide). The measuring is done by tests/pacemaker/bench_recovery_case.py inside the
test suite's fixtures; this script runs it and prints the table. Takes about 15 minutes with the
defaults (the 30 s baseline rounds dominate).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--intervals", default="2,10,30")
    ap.add_argument("--ways", default="push,monitor,dummy")
    args = ap.parse_args()
    env = dict(os.environ, JCBENCH_ROUNDS=str(args.rounds), JCBENCH_INTERVALS=args.intervals,
               JCBENCH_WAYS=args.ways, JCCLUSTER_SIM_STOP_SECONDS="0")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         os.path.join("tests", "pacemaker", "bench_recovery_case.py")],
        cwd=TOP, env=env, capture_output=True, text=True)
    cases = [json.loads(line.split(" ", 1)[1]) for line in proc.stdout.splitlines()
             if line.startswith("RECOVERY ")]
    if proc.returncode != 0 or not cases:
        sys.stdout.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        return 1
    medians = {(c["way"], c["interval"]): statistics.median(c["times"]) for c in cases}
    worst = {(c["way"], c["interval"]): max(c["times"]) for c in cases}
    ways = args.ways.split(",")
    print(f"recovery after kill -9, seconds (median / max of {args.rounds} rounds)")
    print("interval  " + "  ".join(f"{w:>15}" for w in ways) + "   push vs dummy")
    for iv in (int(x) for x in args.intervals.split(",")):
        cells = "  ".join(f"{medians[(w, iv)]:7.2f} / {worst[(w, iv)]:5.2f}"
                          if (w, iv) in medians else f"{'-':>15}" for w in ways)
        ratio = (f"{medians[('dummy', iv)] / medians[('push', iv)]:6.1f}x faster"
                 if ("push", iv) in medians and ("dummy", iv) in medians else "")
        print(f"{iv:>6} s  {cells}   {ratio}")
    print("RESULT " + json.dumps({f"{w}@{iv}": round(m, 3) for (w, iv), m in medians.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
