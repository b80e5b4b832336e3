"""Hostile artifacts, for every importing adapter: values our validation refuses are reported
with their file and line and never reach the cluster file; odd files are one clean line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobcenter_cluster.importing import IMPORTERS, run_import
from jobcenter_cluster.model import example_data
from jobcenter_cluster.plugins import load_adapter
from support import adapters

SITE = "orange.example.com"


def rendered(adapter: str, out: Path) -> None:
    adapters.rendered(adapters.make(adapter, **load_adapter(adapter).example_overrides()), out)


def tamper(out: Path, old: str, new: str) -> int:
    n = 0
    for path in out.rglob("*"):
        if path.is_file() and path.name != ".jccluster-manifest.json":
            data = path.read_bytes()
            if old.encode() in data:
                path.write_bytes(data.replace(old.encode(), new.encode()))
                n += 1
    return n


@pytest.mark.parametrize("adapter", sorted(IMPORTERS))
def test_an_invalid_site_name_is_reported_not_imported(adapter, tmp_path):
    out = tmp_path / "out"
    rendered(adapter, out)
    assert tamper(out, SITE, "or_ange.example.com")
    r = run_import(adapter, [str(out)])
    assert any("site name" in line and "or_ange" in line for line in r.report), r.report
    assert "or_ange" not in r.text.split("# Reference")[1]


@pytest.mark.parametrize("adapter", sorted(IMPORTERS))
def test_an_invalid_database_is_reported_not_imported(adapter, tmp_path):
    out = tmp_path / "out"
    rendered(adapter, out)
    cls = load_adapter(adapter)
    old = example_data(cls.example_overrides())["site"][0]["database"]
    windows = ":" in old
    new = old[:3] + "%PATH%" + old[3:] if windows else old.replace("/mnt/", "/mnt/../")
    assert tamper(out, old, new)
    r = run_import(adapter, [str(out)])
    assert any("database" in line and ("%PATH%" in line or "'..'" in line)
               for line in r.report), r.report
    body = r.text.split("# Reference")[1]
    assert "%PATH%" not in body and "/.." not in body
    assert ("site", 0, "database") in {m.path for m in r.missing}


@pytest.mark.parametrize("adapter", sorted(IMPORTERS))
def test_a_fifo_and_a_binary_file_are_one_clean_line(adapter, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "import", adapter, str(fifo)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "is not a regular file" in r.stderr
    blob = tmp_path / "blob"
    blob.write_bytes(bytes(range(256)) * 10)
    r = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "import", adapter, str(blob)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "is a binary file" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "jccluster.toml").exists()


def test_the_agent_hot_path_never_loads_an_importer():
    code = (
        "import sys\n"
        "import jobcenter_cluster.agent\n"
        "from jobcenter_cluster.entrypoints import load_spec\n"
        "for name in ('serviceguard', 'pacemaker', 'clusterpro-linux', 'clusterpro-windows',"
        " 'sungds', 'veritas'):\n"
        "    load_spec(name)\n"
        "bad = [m for m in sys.modules if 'importing' in m or 'importers' in m]\n"
        "print(bad)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
