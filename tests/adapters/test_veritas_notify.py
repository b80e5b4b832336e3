"""Failure push for VCS (issue 15): with `supervisor = "jccluster"` and a watched site, the start
program hands the engine's watcher a failure hook; its ``notify-failure`` action runs
``hares -probe APP -sys SYSTEM`` so VCS monitors (and faults) the Application resource at once
instead of at the next MonitorInterval (60 s by default). Run under every POSIX shell with
recording stubs for ``jccluster`` and ``hares``."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from test_veritas import make, rendered

from jobcenter_cluster.checks import run_checks
from support.shells import posix_shells, run_script

SCRIPT = "orange/jobcenter-orange.sh"
APP = "jobcenter_orange_app"


def _short_node() -> str:
    return os.uname().nodename.split(".")[0]


@pytest.mark.parametrize("shell", posix_shells())
def test_start_hands_the_watcher_the_probe_hook(tmp_path: Path, shell: str) -> None:
    arts, rec, out = rendered(tmp_path)
    res = run_script(shell, out / SCRIPT, "start")
    assert res.returncode == 0, res.stderr
    (start,) = [c for c in rec.calls() if c["cmd"] == "jccluster" and "online" in c["args"]]
    hook = shlex.split(start["env"]["JCCLUSTER_ON_FAILURE"])
    assert hook == [str(tmp_path / "scripts" / "jobcenter-orange.sh"), "notify-failure"]


@pytest.mark.parametrize("kw", [
    {"opts": {"notify_cluster": False}},
    {"monitor": False},
])
def test_no_hook_when_not_asked_or_not_watched(tmp_path: Path, kw: dict) -> None:
    arts, rec, out = rendered(tmp_path, **kw)
    assert "notify-failure" not in arts[SCRIPT].content
    res = run_script("dash", out / SCRIPT, "start")
    assert res.returncode == 0, res.stderr
    starts = [c for c in rec.calls() if c["cmd"] == "jccluster" and c["args"][:2] == ["agent",
                                                                                     "veritas"]]
    assert starts and all("JCCLUSTER_ON_FAILURE" not in c["env"] for c in starts)


def test_cjcpw_supervisor_has_no_hook(tmp_path: Path) -> None:
    arts, _, _ = rendered(tmp_path, supervisor="cjcpw")
    assert "JCCLUSTER_ON_FAILURE" not in arts[SCRIPT].content
    assert "notify-failure" not in arts[SCRIPT].content


@pytest.mark.parametrize("shell", posix_shells())
def test_notify_failure_probes_the_application_resource_here(tmp_path: Path,
                                                             shell: str) -> None:
    _, rec, out = rendered(tmp_path)
    res = run_script(shell, out / SCRIPT, "notify-failure",
                     env={"JCCLUSTER_FAILURE": "nqsdaemon (pid 42) was killed by SIGKILL"})
    assert res.returncode == 0, res.stderr
    assert rec.commands() == [["hares", "-probe", APP, "-sys", _short_node()]]
    assert "asked VCS to probe jobcenter_orange_app" in res.stderr
    assert "nqsdaemon (pid 42) was killed by SIGKILL" in (tmp_path / "log" /
                                                         "jobcenter-orange.log").read_text()


def test_full_system_names_probe_with_the_full_node_name(tmp_path: Path) -> None:
    _, rec, out = rendered(tmp_path, opts={"system_names": "full"})
    res = run_script("dash", out / SCRIPT, "notify-failure")
    assert res.returncode == 0, res.stderr
    assert rec.commands() == [["hares", "-probe", APP, "-sys", os.uname().nodename]]


def test_a_failed_probe_is_logged_and_exits_zero(tmp_path: Path) -> None:
    _, rec, out = rendered(tmp_path)
    rec.set_exit("hares", 1)
    res = run_script("bash", out / SCRIPT, "notify-failure")
    assert res.returncode == 0
    assert "hares -probe jobcenter_orange_app" in res.stderr and "failed" in res.stderr


def test_a_planted_hares_in_the_callers_path_is_not_run(tmp_path: Path) -> None:
    _, rec, out = rendered(tmp_path)
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    for tool in ("hares", "cat", "uname"):
        (evil / tool).write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n")
        (evil / tool).chmod(0o755)
    res = run_script("dash", out / SCRIPT, "notify-failure",
                     env={"PATH": f"{evil}:/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert not marker.exists()
    assert rec.commands() == [["hares", "-probe", APP, "-sys", _short_node()]]


def test_the_rendered_hook_passes_check(tmp_path: Path) -> None:
    adapter = make(tmp_path)
    findings = run_checks(type(adapter), cluster=adapter.cluster)
    assert [f for f in findings if f.severity == "error"] == []
