"""Hot path cold start: ``jccluster site status`` (and ``jccluster agent ADAPTER monitor``)
against ``python -c pass``, from a wheel installed in a fresh virtual environment.

Cluster products run monitor/probe commands every few seconds; the target (issue 3) is
≤ 2.5x the interpreter's own start-up, measured in the same run. The wheel is installed without
dependencies on purpose: the hot path must run on the standard library alone.

    python benchmarks/bench_hotpath.py [--runs 30] [--repo .]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Scratch, wheel_venv  # noqa: E402


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    rc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return (time.perf_counter() - t0) * 1000, rc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="jccluster-hotpath-")
    bindir = wheel_venv(work, args.repo)
    py = os.path.join(bindir, "python")
    jcc = os.path.join(bindir, "jccluster")

    s = Scratch()
    try:
        s.api.start(s.site, s.db, mode="no-watch")
        env = dict(os.environ)
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "jccluster site status": [jcc, "site", "status", s.site],
            "jccluster agent pacemaker monitor": [jcc, "agent", "pacemaker", "monitor", s.site,
                                                  s.db],
        }
        rcs = {name: timed(argv, env)[1] for name, argv in cases.items()}  # warm the page cache
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():  # interleaved: same conditions for all
                times[name].append(timed(argv, env)[0])
    finally:
        s.close()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(times["python -c pass"])
    print(f"hot path cold start, wheel in a fresh venv (no dependencies installed), "
          f"{args.runs} runs each, interleaved")
    for name, values in times.items():
        med = statistics.median(values)
        note = f"exit {rcs[name]}"
        print(f"  {name:<36} median {med:7.1f} ms  max {max(values):7.1f} ms  "
              f"ratio {med / base:4.2f}x  ({note})")
    print("  target <= 2.5x python -c pass")


if __name__ == "__main__":
    main()
