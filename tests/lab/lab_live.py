"""The live lab for the tests (imported as ``lab_live``, not from a conftest: see
tests/support/__init__.py): a real two-node corosync + Pacemaker lab, built by
`jobcenter_cluster.lab.control.up` and always removed by `control.down`, even when a test fails.

The live lab refuses to run when a corosync or Pacemaker that is not one of this lab's already
runs on the machine (a real cluster, or tests/pacemaker's single-node cluster of another test
session): it skips with the reason tests/skips.txt allows, and never touches daemons it did not
start. pytest runs test files one after the other, so tests/pacemaker and tests/lab never have
daemons up at the same time; the fixture's teardown waits until every process of the lab is gone
(zombies count as gone), so the next live test finds the machine as it was.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from jobcenter_cluster.lab import control, layout
from support.corosync import cluster_daemons

SKIP_REASON = "corosync/pacemaker already run on this machine; not touching them"


def foreign_cluster_daemons() -> list[int]:
    """corosync/Pacemaker processes (`support.corosync.cluster_daemons`) that belong to no lab:
    without the lab's marker in their environment (an unreadable one is skipped)."""
    mark = f"{layout.ENV_MARK}=".encode()
    out = []
    for pid in cluster_daemons():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                env = fh.read()
        except OSError:
            continue
        if mark not in env:
            out.append(pid)
    return out


def host_view() -> dict[str, str]:
    """What the lab must leave as it was: this machine's interfaces, addresses and mounts."""
    def out(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        mountinfo = fh.read().splitlines()
    links = "\n".join(sorted(line.split(":", 2)[1].strip()
                             for line in out("ip", "-o", "link").splitlines() if ":" in line))
    return {"links": links, "addrs": out("ip", "-o", "addr"),
            "mounts": "\n".join(sorted(line.split()[4] for line in mountinfo))}


def require_live() -> None:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    missing = control.missing_tools()
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} (./dev test installs pacemaker corosync "
                    "pacemaker-cli-utils resource-agents kmod)")
    if foreign_cluster_daemons():
        pytest.skip(SKIP_REASON)


@dataclass
class LiveLab:
    lab: layout.Lab
    before: dict[str, str]


@contextlib.contextmanager
def live_lab(tmp_path_factory: pytest.TempPathFactory, supervisor: str,
             **kw: object) -> Iterator[LiveLab]:
    require_live()
    directory = str(tmp_path_factory.mktemp(f"lab-{supervisor}"))
    before = host_view()
    try:
        lab = control.up(directory, 2, None, supervisor, **kw)  # type: ignore[arg-type]
        yield LiveLab(lab, before)
    finally:
        if os.environ.get("JCTEST_KEEP_LAB_LOGS"):
            subprocess.run(["cp", "-r", directory, f"{directory}.kept"], check=False)
        control.down(directory)
        assert not control.lab_pids(directory), "lab processes survived down"
