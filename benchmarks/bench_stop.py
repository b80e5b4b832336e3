"""Stop time: a healthy simulator site, and one whose daemon ignores SIGTERM.

Targets (issue 3): healthy ≤ 2 s; SIGTERM-ignoring ≤ deadline + 1 s. For scale, JobCenter's own
``cjcpw -stop`` takes 1-2 minutes (manual §3.3.7).

    python benchmarks/bench_stop.py [--trials 10] [--deadline 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Scratch, summary  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--deadline", type=float, default=2.0)
    args = ap.parse_args()
    from jobcenter_cluster import simulator

    s = Scratch()
    healthy, stubborn = [], []
    try:
        for _ in range(args.trials):
            s.api.start(s.site, s.db, mode="no-watch")
            t0 = time.monotonic()
            res = s.stop(timeout=args.deadline)
            healthy.append(time.monotonic() - t0)
            assert res.ok, res.message
        simulator.set_fault(s.db, "logdaemon", "ignore-term")
        for _ in range(max(args.trials // 3, 1)):
            s.api.start(s.site, s.db, mode="no-watch")
            t0 = time.monotonic()
            res = s.stop(timeout=args.deadline)
            stubborn.append(time.monotonic() - t0)
            assert res.ok and res.details["killed"], res.message
        simulator.clear_faults(s.db)
    finally:
        s.close()
    print("stop time, jccluster site stop")
    print(f"  healthy site:                 {summary(healthy, 's')}   target <= 2 s: "
          f"{'met' if max(healthy) <= 2 else 'MISSED'}")
    print(f"  a daemon ignores SIGTERM:     {summary(stubborn, 's')}   target <= "
          f"{args.deadline:g} + 1 s: {'met' if max(stubborn) <= args.deadline + 1 else 'MISSED'}")
    import statistics

    print(f"  vs cjcpw -stop's 60-120 s (manual): {60 / statistics.median(healthy):.0f}x "
          "to {:.0f}x faster when healthy".format(120 / statistics.median(healthy)))


if __name__ == "__main__":
    main()
