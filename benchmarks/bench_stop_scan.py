"""The stop's scan for holders of the database under a user's descriptor load (issue 22).

One pass of `procs.holders` as `site stop` makes it (bounded: `stop.HOLDER_BUDGET`) and as it
used to (every descriptor of every process), first on the quiet machine (the baseline), then
while ``nobody`` holds COPIES x N descriptors; then a whole stop of a simulator site, quiet and
loaded. Prints the times and their ratios against the quiet baseline of the same run. Needs
root (``setpriv`` to ``nobody``; reading other users' descriptors). Asserts nothing.

    python benchmarks/bench_stop_scan.py [--copies 6] [--fds 19000] [--trials 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Scratch  # noqa: E402

OPENER = ("import os, sys\n"
          "for _ in range(int(sys.argv[1])): os.dup(int(sys.argv[2]))\n"
          "print('ready', flush=True)\n"
          "sys.stdin.read()\n")


def load(copies: int, fds: int, path: str) -> list[subprocess.Popen[str]]:
    out = []
    fd = os.open(path, os.O_RDONLY)
    try:
        for _ in range(copies):
            p = subprocess.Popen(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 sys.executable, "-I", "-S", "-c", OPENER, str(fds), str(fd)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, pass_fds=(fd,), cwd="/")
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
            out.append(p)
    finally:
        os.close(fd)
    return out


def one_pass(db: str, bounded: bool, trials: int) -> tuple[float, int]:
    from jobcenter_cluster.engine import members, procs, stop

    best, entries = float("inf"), 0
    for _ in range(trials):
        table = procs.scan()
        scan = procs.HolderScan(stop.HOLDER_BUDGET if bounded else None)
        t0 = time.perf_counter()
        procs.holders(db, table, budget=scan.budget, scan=scan,
                      trusted=members.trusted_uids() if bounded else None)
        best = min(best, time.perf_counter() - t0)
        entries = scan.entries
    return best, entries


def timed_stop(s: Scratch) -> float:
    s.api.start(s.site, s.db, mode="no-watch")
    t0 = time.perf_counter()
    res = s.stop(timeout=20)
    assert res.ok, res.message
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=6)
    ap.add_argument("--fds", type=int, default=min(19_000,
                    resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 256))
    ap.add_argument("--trials", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_stop_scan: run as root (it reads other users' descriptors)")
    s = Scratch()
    filler = os.path.join(s.tmp, "elsewhere")
    with open(filler, "w", encoding="utf-8") as fh:
        fh.write("x")
    try:
        quiet_b, qe_b = one_pass(s.db, True, args.trials)
        quiet_u, qe_u = one_pass(s.db, False, args.trials)
        quiet_stop = timed_stop(s)
        procs_ = load(args.copies, args.fds, filler)
        try:
            busy_b, be_b = one_pass(s.db, True, args.trials)
            busy_u, be_u = one_pass(s.db, False, max(args.trials // 2, 1))
            busy_stop = timed_stop(s)
        finally:
            for p in procs_:
                p.kill()
                p.wait()
    finally:
        s.close()
    held = args.copies * args.fds
    print(f"load: {args.copies} processes of nobody x {args.fds} descriptors = {held}")
    print(f"one pass, bounded   : quiet {quiet_b * 1000:7.1f} ms ({qe_b} fds read), loaded "
          f"{busy_b * 1000:7.1f} ms ({be_b} fds read)  ratio {busy_b / quiet_b:6.1f}x")
    print(f"one pass, unbounded : quiet {quiet_u * 1000:7.1f} ms ({qe_u} fds read), loaded "
          f"{busy_u * 1000:7.1f} ms ({be_u} fds read)  ratio {busy_u / quiet_u:6.1f}x")
    print(f"whole stop (bounded): quiet {quiet_stop:6.2f} s, loaded {busy_stop:6.2f} s  "
          f"ratio {busy_stop / quiet_stop:5.2f}x")


if __name__ == "__main__":
    main()
