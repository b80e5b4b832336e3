"""The README as a new user meets it: a fresh copy of the repository, ``./dev demo``, then the
README's tour block, literally, in a new ``sh`` with nothing of ours in its environment
(``env -i``, PATH=/usr/bin:/bin) but a node identity of the test's own (``$JCCLUSTER_NODE``: the
tour's site name is fixed, and another run's tour on the machine must not make its start refuse).
Its first line must put ``jccluster`` on PATH by itself.

Installing the copy again (pip, setuptools ≥ 77 in an isolated build) would need the package
index and ~20 s; so the copy gets a ``.dev-venv`` of its own that *is* an editable install of
the copy, made in milliseconds from the running editable install (the same finder and metadata,
pointed at the copy; the dependencies are those of the running venv), and ``./dev`` is told to
use it as it is ($JCCLUSTER_DEV_NO_INSTALL). Everything after pip is ``./dev``'s own path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
NOT_EDITABLE = "jobcenter-cluster is not an editable install here (tox): the copy cannot reuse it"


def tour() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## A short tour", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def fresh_copy(dest: Path) -> None:
    """The repository's files as a clone has them (tracked, plus new ones not ignored), with
    their working-tree content; none of the venv, caches or tour directories."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, timeout=30, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def editable_venv(repo: Path) -> None:
    """``repo/.dev-venv``: the running editable install, pointed at `repo`."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    finders = list(purelib.glob("__editable___jobcenter_cluster_*_finder.py"))
    if not finders or str(ROOT) not in finders[0].read_text():
        pytest.skip(NOT_EDITABLE)
    venv = repo / ".dev-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    lib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    for path in [*finders, *purelib.glob("__editable__.jobcenter_cluster-*.pth"),
                 *purelib.glob("jobcenter_cluster-*.dist-info/*")]:
        target = lib / path.relative_to(purelib)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text().replace(str(ROOT), str(repo)))
    # the dependencies: the running venv's site-packages, after the copy's own (its .pth files
    # are not run, so the running install's finder stays out)
    (lib / "zz_dev_dependencies.pth").write_text(f"{purelib}\n")
    script = venv / "bin" / "jccluster"
    script.write_text(f"#!{venv}/bin/python\nimport sys\nfrom jobcenter_cluster.__main__ "
                      "import main\nsys.exit(main())\n")
    script.chmod(0o755)


def test_a_fresh_copy_dev_demo_then_the_readme_tour_in_an_untouched_shell(tmp_path, reaper):
    t0 = time.monotonic()
    repo = tmp_path / "repo"
    fresh_copy(repo)
    editable_venv(repo)
    reaper.site("orange.example.com")
    reaper.site("demo-orange.example.com")
    reaper.roots.add(str(repo / "tour" / "spool"))
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "100"}

    demo = subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in bare.items()),
                           "JCCLUSTER_DEV_NO_INSTALL=1", "./dev", "demo"],
                          cwd=repo, capture_output=True, text=True, timeout=90)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    lines = demo.stdout.splitlines()
    # a screenful, ending with how to get jccluster on PATH; no pip or setuptools chatter
    assert len(lines) < 70, demo.stdout
    assert "Editable installation" not in demo.stdout + demo.stderr
    assert lines[-2].strip() == ". .dev-venv/bin/activate", lines[-4:]
    assert "orange/APPLY.txt" in demo.stdout
    assert (repo / ".dev-venv/demo-render/serviceguard/orange/APPLY.txt").is_file()
    assert "[6] stop the site" in demo.stdout

    # the tour, as a new user pastes it: a new sh, nothing but the system's PATH -- and a node
    # identity of this test's own ($JCCLUSTER_NODE, docs/engine.md; the demo makes one per run
    # too): the README's site name is fixed, and a site name runs once per node, so with the
    # host name as the node the tour's start refused to run beside another test run's tour, or
    # an operator's, on this machine (issue 28, two runs on one machine)
    node = f"tour-{os.getpid()}-{time.monotonic_ns()}"
    res = subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in bare.items()),
                          f"JCCLUSTER_NODE={node}", "sh", "-ec", tour()],
                         cwd=repo, capture_output=True, text=True, timeout=90)
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
    # the copy's own code ran, not this checkout's
    assert str(repo) in (repo / ".dev-venv/bin/jccluster").read_text()
    assert time.monotonic() - t0 < 30
