"""The commands clusters call every few seconds (`jccluster agent ADAPTER monitor|probe`,
`jccluster site status`) import only the standard library and our small modules: never typer,
Jinja, stevedore, importlib.metadata's scan, or the heavy helpers (timings are in benchmarks/).

An agent call stops at the adapter's spec (its package ``__init__``): the adapter class, the
cluster-file model and the check framework are never imported, nor `re`, `typing` or
`dataclasses`, which they use freely."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobcenter_cluster.plugins import load_adapters

ADAPTERS, _ = load_adapters()

FORBIDDEN = {
    "typer", "click", "jinja2", "stevedore", "pydantic", "rich", "importlib.metadata",
    "jobcenter_cluster.render", "jobcenter_cluster.cli", "jobcenter_cluster.plugins",
    "psutil", "typing", "dataclasses", "inspect", "subprocess", "tomllib", "ipaddress",
    "contextlib", "signal", "argparse", "shutil", "warnings", "importlib.util",
    "hashlib", "jobcenter_cluster.manifest", "re", "jobcenter_cluster.adapter",
    "jobcenter_cluster.checks", "jobcenter_cluster.model", "jobcenter_cluster.windows",
}


def _imports(argv: list[str]) -> set[str]:
    res = subprocess.run([sys.executable, "-X", "importtime", *argv],
                         capture_output=True, text=True, timeout=60)
    names = set()
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, res.stderr
    return names


#: what the interpreter imports before our code runs (site, and an editable install's finder,
#: which pulls in pathlib and friends): not ours to count.
STARTUP = _imports(["-c", "pass"])


def imported(*args: str) -> set[str]:
    return _imports(["-m", "jobcenter_cluster", *args]) - STARTUP


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_agent_status_verbs_stay_on_the_standard_library(name, tmp_path):
    cls = ADAPTERS[name]
    for verb, spec in cls.spec.actions.items():
        if spec.operation != "status":
            continue
        names = imported("agent", name, verb, "orange.example.com", "/mnt/jobdb",
                         "--root", str(tmp_path))
        assert not names & FORBIDDEN, f"{name} {verb} imports {sorted(names & FORBIDDEN)}"


def test_site_status_stays_on_the_standard_library(tmp_path):
    names = imported("site", "status", "orange.example.com", "--root", str(tmp_path))
    assert not names & FORBIDDEN, sorted(names & FORBIDDEN)
