"""Failure detection: SIGKILL of a watched daemon → the watcher's exit.

Runs our watcher (``jccluster site start``: pidfd + poll) and, on the same site at the same
time, a classic watcher that checks the daemons' pids once a second; each trial SIGKILLs one
daemon and times both exits. Target (issue 3): median ≤ 50 ms, max ≤ 200 ms over 50 trials.

    python benchmarks/bench_detection.py [--trials 50]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Scratch, summary, wait_exit  # noqa: E402

POLLING_WATCHER = r"""
import os, sys, time
pids = [int(p) for p in sys.argv[1:]]
def dead(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True
while True:
    if any(dead(p) for p in pids):
        sys.exit(1)
    time.sleep(1.0)
"""

VICTIMS = ["comagent", "jnwengine", "nqsdaemon", "netdaemon", "jnwcaster", "sclaunchd",
           "logdaemon", "jnwengine-qwb", "jnwengine-trkrdr"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    args = ap.parse_args()
    s = Scratch()
    ours, classic = [], []
    try:
        for i in range(args.trials):
            watcher, st = s.start_watcher()
            poller = subprocess.Popen([sys.executable, "-c", POLLING_WATCHER,
                                       *map(str, st.daemons.values())])
            time.sleep(0.05)  # let the polling watcher enter its loop (it is the baseline)
            victim = VICTIMS[i % len(VICTIMS)]
            t0 = time.monotonic()
            os.kill(st.daemons[victim], signal.SIGKILL)
            ours.append((wait_exit(watcher.pid, 10) - t0) * 1000)
            classic.append((wait_exit(poller.pid, 10) - t0) * 1000)
            watcher.wait()
            poller.wait()
            s.stop()
    finally:
        s.close()
    import statistics

    print(f"failure detection, SIGKILL of a daemon -> watcher exit, {args.trials} trials")
    print(f"  jccluster watcher (pidfd):   {summary(ours)}")
    print(f"  1 s polling watcher:         {summary(classic)}")
    print(f"  ratio of medians (polling / ours): "
          f"{statistics.median(classic) / statistics.median(ours):.0f}x")
    print(f"  target median <= 50 ms: {'met' if statistics.median(ours) <= 50 else 'MISSED'}; "
          f"max <= 200 ms: {'met' if max(ours) <= 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
