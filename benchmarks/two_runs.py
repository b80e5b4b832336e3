"""Two runs on one machine (issue 28): two copies of timing-sensitive test files at once.

    sudo .dev-venv/bin/python benchmarks/two_runs.py [--rounds N] [TEST_FILE ...]

A fresh clone's ``./dev test`` once failed while another run on the machine used the same site
names; this runs two pytest sessions of the same files side by side, each with a basetemp of
its own (so spool roots and databases differ, and the site names the tests share -- the fixed
ones -- are the only thing in common), and reports pass/fail of both. Each session has its own
private mount namespace and session mark (tests/conftest.py), and its reaper ends only what that
session started. Default files: tests/engine/test_lifecycle.py and tests/e2e/test_e2e_pacemaker.py.

Opt-in (several minutes on 2 cores), not part of ``./dev test``. Exit status: 0 when both
sessions passed in every round, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["tests/engine/test_lifecycle.py", "tests/e2e/test_e2e_pacemaker.py"]


def _session(files: list[str], basetemp: str, log: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--basetemp={basetemp}", *files]
    with open(log, "wb") as out:
        return subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def _summary(log: str) -> str:
    with open(log, encoding="utf-8", errors="replace") as fh:
        lines = [line.strip() for line in fh if line.strip()]
    return lines[-1] if lines else "(no output)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", default=DEFAULT, help="test files (from the repository)")
    ap.add_argument("--rounds", type=int, default=1, help="run the pair this many times")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per round")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("two_runs.py: run it as root, like the test suite", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="two-runs-") as tmp:
        for n in range(1, args.rounds + 1):
            t0 = time.monotonic()
            runs = []
            for copy in ("a", "b"):
                log = os.path.join(tmp, f"round{n}-{copy}.log")
                runs.append((copy, log, _session(args.files, os.path.join(tmp, f"{n}{copy}"), log)))
            for copy, log, proc in runs:
                try:
                    rc = proc.wait(timeout=max(1.0, args.timeout - (time.monotonic() - t0)))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    rc = proc.wait()
                    print(f"round {n} copy {copy}: timed out after {args.timeout:g} s")
                verdict = "PASS" if rc == 0 else f"FAIL (exit {rc})"
                print(f"round {n} copy {copy}: {verdict}: {_summary(log)}", flush=True)
                if rc != 0:
                    failed += 1
                    with open(log, encoding="utf-8", errors="replace") as fh:
                        sys.stdout.write(fh.read()[-4000:])
            print(f"round {n}: {time.monotonic() - t0:.0f} s", flush=True)
    print("two runs: " + ("both passed" if not failed else f"{failed} session(s) failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
