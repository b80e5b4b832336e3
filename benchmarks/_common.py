"""Shared helpers for the engine benchmarks: a scratch simulator site and timing utilities.

Benchmarks print numbers and a ratio against a baseline measured in the same run; they are not
tests and assert nothing.
"""

from __future__ import annotations

import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

SITE = "bench-site.example.com"
ADDRESS = "127.0.87.1"


class Scratch:
    """A temporary spool root + database with a created simulator site."""

    def __init__(self, site: str = SITE, address: str = ADDRESS) -> None:
        self.tmp = tempfile.mkdtemp(prefix="jccluster-bench-")
        self.root = os.path.join(self.tmp, "spool")
        self.db = os.path.join(self.tmp, "jobdb")
        self.site = site
        os.environ["JCCLUSTER_ROOT"] = self.root
        os.environ["JCCLUSTER_DAEMON_CONF"] = os.path.join(self.tmp, "daemon.conf")
        os.environ["JCCLUSTER_NODE"] = "bench-node"
        os.environ.pop("NQS_SITE", None)
        from jobcenter_cluster.engine import api

        self.api = api
        api.create(site, 99, self.db, product="simulator", address=address)

    def start_watcher(self) -> tuple[subprocess.Popen[bytes], Any]:
        """``jccluster site start SITE DB`` in the foreground; returns (process, status)."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobcenter_cluster", "site", "start", self.site, self.db],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        st = wait_for(lambda: (s := self.api.status(self.site)).outcome.value == "running"
                      and s.watcher_pid == proc.pid and s, 30)
        return proc, st

    def stop(self, timeout: float = 10.0) -> Any:
        return self.api.stop(self.site, timeout=timeout)

    def close(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_for(cond: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark setup timed out")
        time.sleep(0.005)


def wait_exit(pid: int, timeout: float) -> float:
    """Block until ``pid`` exits (pidfd); return the monotonic time it was seen."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise TimeoutError(f"pid {pid} did not exit within {timeout}s")
        return time.monotonic()
    finally:
        os.close(fd)


def summary(values: list[float], unit: str = "ms") -> str:
    return (f"median {statistics.median(values):8.2f} {unit}  max {max(values):8.2f} {unit}  "
            f"min {min(values):8.2f} {unit}  (n={len(values)})")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        data = fh.read()
    fields = data[data.rfind(b")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wheel_venv(work: str, repo: str | None = None) -> str:
    """Build the project's wheel and install it, without its dependencies, into a fresh virtual
    environment under ``work``; return that environment's ``bin`` directory.

    Production nodes run a wheel, not this checkout's editable install: pip byte-compiles the
    wheel's modules at install time, while an editable checkout under PYTHONDONTWRITEBYTECODE=1
    (set on these machines) compiles every module it imports on every start, and its import
    finder costs more again. The hot path and the agent's start must run on the standard
    library alone, hence no dependencies."""
    import glob

    repo = repo or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    wheels = os.path.join(work, "wheels")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", wheels, repo],
                   check=True, stdout=subprocess.DEVNULL)
    venv = os.path.join(work, "venv")
    subprocess.run([sys.base_prefix + "/bin/python3", "-m", "venv", "--without-pip", venv],
                   check=True)
    wheel = glob.glob(os.path.join(wheels, "jobcenter_cluster-*.whl"))[0]
    subprocess.run([sys.executable, "-m", "pip", "--python", os.path.join(venv, "bin", "python"),
                    "install", "--quiet", "--no-deps", wheel], check=True)
    return os.path.join(venv, "bin")
