"""Issue 20 ("Failure semantics"), MSCS / Microsoft Failover Cluster: named regression test for
finding 8 -- the JobCenter resource kept the default PendingTimeout of 180 s against a 1-2 minute
JobCenter stop (manual §3.3.7).

Microsoft, "PendingTimeout" (Resources common properties, learn.microsoft.com/previous-versions/
windows/desktop/mscs/resources-pendingtimeout): "the number of milliseconds that a Resource Monitor
will wait for a resource DLL to update the status of a resource in an OnlinePending or
OfflinePending state before terminating the resource", default 180000; "the PendingTimeout
property cannot be greater than the DeadlockTimeout property -- the lower of the two values will
be used"; DeadlockTimeout's default is 300000.
"""

from __future__ import annotations

import re

import pytest

from jobcenter_cluster.adapters.mscs.adapter import MscsAdapter
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.model import example_data, parse_cluster
from support.wine import wine  # noqa: F401  (the fixture)

NAME = "mscs"
#: "cjcpw -stop ... 1-2 minutes" (manual §3.3.7); a wide margin is at least twice that
JOBCENTER_STOP_MAX_MS = 120_000
DEADLOCK_TIMEOUT_DEFAULT_MS = 300_000


def _adapter() -> MscsAdapter:
    data = example_data({"cluster": {"product": "jobcenter-windows", "supervisor": "cjcpw"},
                         "site": [{"database": "Q:\\jobdb"}], NAME: {"admin": "jcadmin"}})
    return MscsAdapter(parse_cluster(data, adapter_names=[NAME]))


def _pending(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"PendingTimeout\s*=\s*(\d+)", text)]


def test_finding8_mscs_pending_timeout_has_margin(tmp_path):
    arts = {a.path: a.content for a in _adapter().render()}
    for name in ("orange/create-group.cmd", "orange/create-group.ps1",
                 "orange/create-generic-app.cmd", "orange/create-generic-app.ps1"):
        values = _pending(arts[name])
        assert len(values) == 1, name
        assert 2 * JOBCENTER_STOP_MAX_MS <= values[0] <= DEADLOCK_TIMEOUT_DEFAULT_MS, name
    # MSCS-PENDING-TIMEOUT: the rendered scripts pass; without the line (the 180 s default),
    # with 180000, or above the DeadlockTimeout, they do not
    out = tmp_path / "out"
    for path, text in arts.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def hits() -> set[str]:
        return {f"{f.file}".rsplit("/", 1)[-1] for f in
                run_checks(MscsAdapter, directory=str(out)) if f.rule == "MSCS-PENDING-TIMEOUT"}

    assert hits() == set()
    cmd, ps1 = out / "orange/create-group.cmd", out / "orange/create-group.ps1"
    cmd.write_text("\n".join(ln for ln in cmd.read_text().splitlines()
                             if "PendingTimeout" not in ln))
    ps1.write_text(ps1.read_text().replace("PendingTimeout = 300000", "PendingTimeout = 180000"))
    gen = out / "orange/create-generic-app.cmd"
    gen.write_text(gen.read_text().replace("PendingTimeout=300000", "PendingTimeout=600000"))
    assert hits() == {"create-group.cmd", "create-group.ps1", "create-generic-app.cmd"}


@pytest.mark.wine
def test_finding8_mscs_create_group_sets_pending_timeout_under_cmd(wine):  # noqa: F811
    arts = {a.path: a.content for a in _adapter().render()}
    script = wine.write("X:\\out\\create-group.cmd", arts["orange/create-group.cmd"])
    wine.stub("cluster")
    res = wine.run(script)
    assert res.returncode == 0, res.stdout + res.stderr
    props = [c[2:] for c in res.commands() if "/prop" in c]
    assert ["JC-RESOURCE", "/prop", "PendingTimeout=300000"] in props, props
