"""Failure push for Pacemaker (issue 15): the rendered OCF agent hands the watcher a failure hook
(``JCCLUSTER_ON_FAILURE``) at start, and its ``notify-failure`` action tells Pacemaker at once with
``crm_resource --fail`` -- unless the resource is unmanaged or in maintenance.

The agent sets a fixed PATH (it runs as root), so Pacemaker's tools cannot be stubbed through
PATH: each call runs in its own mount namespace (``unshare -m``) where recording stubs are
bind-mounted over /usr/sbin/crm_mon, crm_resource and crm_node; the machine's files are never
touched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from jobcenter_cluster.adapters.pacemaker.adapter import PacemakerAdapter
from jobcenter_cluster.model import example_data, parse_cluster
from support.stubs import Recorder

TOOLS = ("crm_mon", "crm_resource", "crm_node")

CRM_MON = """<pacemaker-result api-version="2.20" request="crm_mon --output-as=xml">
  <resources>
    <group id="jobcenter_orange" number_resources="3" managed="{managed}" disabled="false">
      <resource id="jobcenter_orange-site" resource_agent="ocf:jobcenter:site" role="Started" \
active="true" orphaned="false" blocked="false" managed="{managed}" failed="false" \
failure_ignored="false" nodes_running_on="1"/>
    </group>
    <resource id="other" resource_agent="ocf:pacemaker:Dummy" role="Started" active="true" \
orphaned="false" blocked="false" managed="false" failed="false" failure_ignored="false" \
nodes_running_on="1"/>
  </resources>
</pacemaker-result>
"""


def adapter(**pacemaker: object) -> PacemakerAdapter:
    data = example_data()
    if pacemaker:
        data["pacemaker"] = dict(pacemaker)
    return PacemakerAdapter(parse_cluster(data, adapter_names=["pacemaker"]))


@pytest.fixture
def agent(tmp_path: Path) -> Path:
    path = tmp_path / "ocf" / "site"
    path.parent.mkdir()
    path.write_text(adapter().agent_script())
    path.chmod(0o755)
    return path


@pytest.fixture
def rec(tmp_path: Path) -> Recorder:
    for tool in TOOLS:
        if not os.path.exists(f"/usr/sbin/{tool}"):
            pytest.fail(f"/usr/sbin/{tool} is missing (the test command installs "
                        "pacemaker-cli-utils)")
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.fail("these tests bind-mount stubs in a private mount namespace: need root "
                    "and unshare (util-linux)")
    r = Recorder(tmp_path)
    for tool in TOOLS:
        r.stub(tool)
    r.set_stdout("crm_mon", CRM_MON.format(managed="true"))
    r.set_stdout("crm_node", "node1\n")
    return r


def run_agent(agent: Path, rec: Recorder, action: str, env: dict[str, str],
              path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    binds = " && ".join(
        f"mount --bind {shlex.quote(str(rec.bin / t))} /usr/sbin/{t}" for t in TOOLS)
    script = f"{binds} && exec {shlex.quote(str(agent))} {shlex.quote(action)}"
    full = {"PATH": path, **env}
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          env=full, capture_output=True, text=True, timeout=30)


BASE_ENV = {"OCF_ROOT": "/usr/lib/ocf", "OCF_RESKEY_site": "orange.example.com",
            "OCF_RESKEY_database": "/mnt/jobdb", "OCF_RESOURCE_INSTANCE": "jobcenter_orange-site",
            "JCCLUSTER_FAILURE": "nqsdaemon (pid 42) was killed by SIGKILL"}


# ------------------------------------------------------------------ meta-data and rendering


def test_meta_data_declares_notify_cluster_default_true() -> None:
    root = ET.fromstring(PacemakerAdapter.spec.meta_data().split("\n", 2)[2])
    params = {p.get("name"): p for p in root.iter("parameter")}
    content = params["notify_cluster"].find("content")
    assert content is not None
    assert (content.get("type"), content.get("default")) == ("boolean", "true")
    assert "crm_resource --fail" in (params["notify_cluster"].findtext("longdesc") or "")


def test_notify_cluster_false_is_rendered_into_the_cib_and_the_agent_default() -> None:
    a = adapter(notify_cluster=False)
    site = a.sites[0]
    prim = [p for p in ET.fromstring(a.cib_xml(site)).iter("primitive")
            if p.get("type") == "site"][0]
    assert {n.get("name"): n.get("value") for n in prim.iter("nvpair")}["notify_cluster"] \
        == "false"
    assert ': "${OCF_RESKEY_notify_cluster=false}"' in a.agent_script()
    # the default stays out of the CIB: the agent's own default is true
    prim = [p for p in ET.fromstring(adapter().cib_xml(site)).iter("primitive")
            if p.get("type") == "site"][0]
    assert "notify_cluster" not in {n.get("name") for n in prim.iter("nvpair")}


def test_agent_sets_a_fixed_path_before_anything_runs() -> None:
    lines = adapter().agent_script().splitlines()
    first_cmd = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    assert lines[first_cmd] == "PATH=/usr/sbin:/usr/bin:/sbin:/bin"


# ------------------------------------------------------------------ the hook handed to the engine


def _start_env(tmp_path: Path, rec: Recorder, **extra: str) -> dict[str, str]:
    jcc = rec.stub(tmp_path / "bin" / "jccluster")
    return {**BASE_ENV, "OCF_RESKEY_jccluster": str(jcc), **extra}


def test_start_hands_the_watcher_a_hook_that_calls_this_agent(agent: Path, rec: Recorder,
                                                             tmp_path: Path) -> None:
    res = run_agent(agent, rec, "start", _start_env(tmp_path, rec))
    assert res.returncode == 0, res.stderr
    (call,) = [c for c in rec.calls() if c["cmd"] == "jccluster"]
    assert call["args"] == ["agent", "pacemaker", "start"]
    assert shlex.split(call["env"]["JCCLUSTER_ON_FAILURE"]) == [str(agent), "notify-failure"]


@pytest.mark.parametrize("extra", [
    {"OCF_RESKEY_notify_cluster": "false"},
    {"OCF_RESKEY_watch": "false"},
    {"OCF_RESOURCE_INSTANCE": ""},
])
def test_no_hook_without_notify_watch_or_resource(agent: Path, rec: Recorder, tmp_path: Path,
                                                  extra: dict[str, str]) -> None:
    res = run_agent(agent, rec, "start", _start_env(tmp_path, rec, **extra))
    assert res.returncode == 0, res.stderr
    (call,) = [c for c in rec.calls() if c["cmd"] == "jccluster"]
    assert "JCCLUSTER_ON_FAILURE" not in call["env"]


def test_hook_path_with_spaces_and_quotes_survives_shell_quoting(rec: Recorder,
                                                                 tmp_path: Path) -> None:
    odd = tmp_path / "it's a dir" / "site"
    odd.parent.mkdir()
    odd.write_text(adapter().agent_script())
    odd.chmod(0o755)
    res = run_agent(odd, rec, "start", _start_env(tmp_path, rec))
    assert res.returncode == 0, res.stderr
    (call,) = [c for c in rec.calls() if c["cmd"] == "jccluster"]
    assert shlex.split(call["env"]["JCCLUSTER_ON_FAILURE"]) == [str(odd), "notify-failure"]


# ------------------------------------------------------------------ notify-failure


def test_notify_failure_reports_with_crm_resource_fail(agent: Path, rec: Recorder) -> None:
    res = run_agent(agent, rec, "notify-failure",
                    {**BASE_ENV, "OCF_RESKEY_CRM_meta_on_node": "jctest-node1"})
    assert res.returncode == 0
    assert rec.commands() == [
        ["crm_mon", "--one-shot", "--inactive", "--output-as=xml"],
        ["crm_resource", "--fail", "--resource", "jobcenter_orange-site",
         "--node", "jctest-node1"],
    ]
    assert "reported to Pacemaker: nqsdaemon (pid 42) was killed by SIGKILL" in res.stderr


def test_notify_failure_asks_crm_node_when_pacemaker_gave_no_node(agent: Path,
                                                                  rec: Recorder) -> None:
    res = run_agent(agent, rec, "notify-failure", BASE_ENV)
    assert res.returncode == 0
    assert rec.commands()[1:] == [
        ["crm_node", "--name"],
        ["crm_resource", "--fail", "--resource", "jobcenter_orange-site", "--node", "node1"],
    ]


def test_unmanaged_or_maintenance_resource_is_not_reported(agent: Path, rec: Recorder) -> None:
    rec.set_stdout("crm_mon", CRM_MON.format(managed="false"))
    res = run_agent(agent, rec, "notify-failure", BASE_ENV)
    assert res.returncode == 0
    assert [c[0] for c in rec.commands()] == ["crm_mon"]
    assert "unmanaged or in maintenance" in res.stderr


def test_another_unmanaged_resource_does_not_silence_ours(agent: Path, rec: Recorder) -> None:
    # "other" is unmanaged in the fixture's crm_mon output; ours is managed
    res = run_agent(agent, rec, "notify-failure", {**BASE_ENV, "OCF_RESKEY_CRM_meta_on_node": "n"})
    assert res.returncode == 0
    assert rec.commands()[-1][:2] == ["crm_resource", "--fail"]


@pytest.mark.parametrize("extra", [{"OCF_RESKEY_notify_cluster": "no"},
                                   {"OCF_RESOURCE_INSTANCE": ""}])
def test_notify_failure_does_nothing_when_not_asked(agent: Path, rec: Recorder,
                                                    extra: dict[str, str]) -> None:
    res = run_agent(agent, rec, "notify-failure", {**BASE_ENV, **extra})
    assert res.returncode == 0
    assert rec.commands() == []


def test_a_failed_report_is_logged_and_exits_zero(agent: Path, rec: Recorder) -> None:
    rec.set_exit("crm_resource", 1)
    res = run_agent(agent, rec, "notify-failure", {**BASE_ENV, "OCF_RESKEY_CRM_meta_on_node": "n"})
    assert res.returncode == 0
    assert "crm_resource --fail --resource jobcenter_orange-site --node n failed" in res.stderr


def test_a_planted_command_in_the_callers_path_is_not_run(agent: Path, rec: Recorder,
                                                          tmp_path: Path) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    for tool in (*TOOLS, "grep", "sed"):
        (evil / tool).write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n")
        (evil / tool).chmod(0o755)
    res = run_agent(agent, rec, "notify-failure", {**BASE_ENV, "OCF_RESKEY_CRM_meta_on_node": "n"},
                    path=f"{evil}:/usr/bin:/bin")
    assert res.returncode == 0
    assert not marker.exists()
    assert rec.commands()[-1][:2] == ["crm_resource", "--fail"]
