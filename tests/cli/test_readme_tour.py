"""The README's tour, run as written: every line of its ``sh`` block, in order, by bash with
``set -e``, in a scratch directory, with nothing but the installed ``jccluster`` on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]


def tour() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## A short tour", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_tour_runs_as_written(tmp_path, reaper):
    reaper.site("orange.example.com")
    reaper.roots.add(str(tmp_path / "tour" / "spool"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JCCLUSTER_", "NQS_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin:/usr/sbin:/sbin"
    env["COLUMNS"] = "100"
    script = "set -e\nset -x\n" + tour()
    res = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=240)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "jccluster.toml: ok (2 node(s), 1 site(s)" in res.stdout
    assert "[site.serviceguard]: options for one site" in res.stdout
    assert "created  out/orange/APPLY.txt" in res.stdout
    assert "out/: dry run: 0 file(s) would change; nothing written" in res.stderr
    assert 'digraph "serviceguard" {' in res.stdout
    rows = [line.split() for line in res.stdout.splitlines() if line.startswith("orange.")]
    assert rows and rows[0][1] == "running" and rows[0][2].isdigit(), res.stdout
    # the site got the tour's hosts file's address (127.0.10.1), not the one the test's private
    # /etc/hosts gives orange.example.com (127.0.0.2)
    assert "/tour/spool/7F000A01)" in res.stdout, res.stdout
    assert "state:       running" in res.stdout
    assert "stopped" in res.stdout.splitlines()[-1]
    # every daemon `site status` listed is gone after `site stop`
    status = res.stdout.split("state:       running", 1)[1].split("missing:", 1)[0]
    pids = [int(p) for p in re.findall(r"^  \S+\s+(\d+)$", status, re.M)]
    assert len(pids) >= 3, status
    from jobcenter_cluster.engine import procs

    assert not [p for p in pids if procs.alive(p)]
