"""Watcher overhead: CPU time of the watcher over D seconds of watching a healthy site.

Beside it, in the same run and for the same time, a classic watcher that scans every process
with ``psutil.process_iter`` once a second. Target (issue 3): ≤ 0.1 % of one core.

    python benchmarks/bench_overhead.py [--duration 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Scratch, cpu_seconds  # noqa: E402

PSUTIL_WATCHER = r"""
import sys, time, psutil
site = sys.argv[1]
while True:
    found = 0
    for p in psutil.process_iter(["name", "cmdline", "status", "ppid", "environ"]):
        env = p.info.get("environ") or {}
        if env.get("NQS_SITE") == site and p.info["status"] != psutil.STATUS_ZOMBIE:
            found += 1
    time.sleep(1.0)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args()
    s = Scratch()
    try:
        watcher, st = s.start_watcher()
        scanner = subprocess.Popen([sys.executable, "-c", PSUTIL_WATCHER, s.site])
        time.sleep(1.0)  # both past their start-up
        w0, p0, t0 = cpu_seconds(watcher.pid), cpu_seconds(scanner.pid), time.monotonic()
        time.sleep(args.duration)
        w1, p1, t1 = cpu_seconds(watcher.pid), cpu_seconds(scanner.pid), time.monotonic()
        scanner.kill()
        scanner.wait()
        s.stop()
        watcher.wait()
    finally:
        s.close()
    wall = t1 - t0
    ours = (w1 - w0) / wall * 100
    theirs = (p1 - p0) / wall * 100
    tick = 100 / os.sysconf("SC_CLK_TCK") / wall
    print(f"watcher CPU over {wall:.1f} s of a healthy site ({len(st.daemons)} daemons)")
    print(f"  jccluster watcher (pidfd, idle poll):  {w1 - w0:.3f} s CPU = {ours:.4f} % of a core")
    print(f"  psutil.process_iter scan every 1 s:    {p1 - p0:.3f} s CPU = {theirs:.4f} % of a core")
    print(f"  (resolution: one clock tick = {tick:.4f} % over this run)")
    ratio = "inf" if ours == 0 else f"{theirs / ours:.0f}x"
    print(f"  ratio (scan / ours): {ratio}; target <= 0.1 %: {'met' if ours <= 0.1 else 'MISSED'}")


if __name__ == "__main__":
    main()
