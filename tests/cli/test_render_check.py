"""`jccluster render ADAPTER -o DIR --check`: the drift gate a CI job runs (issue 24).

The contract (docs/ci.md, like `git diff --exit-code` and `ruff format --check`): exit 0 when
DIR holds exactly what the cluster file renders, 1 on drift (a file missing, changed, with
another executable bit, or rendered earlier and no longer produced) with the unified diff on
stdout, 2 for a usage error; never writes anything.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support.cli import jcc

EXIT_OK, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2  # docs/ci.md
SCRIPT = "orange/modular/jobcenter-orange.sh"


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under `root`: content, mode and mtime (nothing may be written)."""
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p.relative_to(root))] = (p.read_bytes(), st.st_mode, st.st_mtime_ns)
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert jcc("init", cwd=tmp_path).returncode == 0
    res = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return tmp_path


def gate(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    before = snapshot(project)
    res = jcc("render", "serviceguard", "-o", "out", "--check", *extra, cwd=project)
    assert snapshot(project) == before, "render --check wrote something"
    assert "Traceback" not in res.stderr
    return res


def test_up_to_date_is_exit_0_and_silent_on_stdout(project):
    res = gate(project)
    assert res.returncode == EXIT_OK, res.stderr
    assert res.stdout == ""
    assert res.stderr == "out: up to date with jccluster.toml (5 file(s))\n"


def test_a_hand_edit_is_drift_with_its_diff(project):
    script = project / "out" / SCRIPT
    script.write_text(script.read_text().replace("return 0\n", "return 0 # mine\n", 1))
    res = gate(project)
    assert res.returncode == EXIT_DRIFT
    assert res.stdout.startswith(f"--- a/{SCRIPT}\n+++ b/{SCRIPT}\n")
    assert "\n-    return 0 # mine\n+    return 0\n" in res.stdout
    # the diff applies: patching DIR with it gives the render
    subprocess.run(["patch", "-s", "-p1", "-d", str(project / "out")], input=res.stdout,
                   text=True, check=True)
    assert gate(project).returncode == EXIT_OK
    lines = res.stderr.splitlines()
    assert lines[0] == f"     differs  out/{SCRIPT}: edited by hand (the manifest records other content)"
    assert lines[-1].startswith("out: 1 file(s) differ from what jccluster.toml renders for "
                                "serviceguard; run 'jccluster render serviceguard -o out'")


def test_a_stale_commit_is_drift(project):
    """The cluster file changed, the committed artifacts did not."""
    toml = project / "jccluster.toml"
    toml.write_text(toml.read_text().replace('database = "/mnt/jobdb"', 'database = "/mnt/jobdb2"'))
    res = gate(project)
    assert res.returncode == EXIT_DRIFT
    minus = [ln for ln in res.stdout.splitlines() if ln.startswith("-") and "/mnt/jobdb" in ln]
    plus = [ln for ln in res.stdout.splitlines() if ln.startswith("+") and "/mnt/jobdb2" in ln]
    assert minus and len(plus) == len(minus)
    assert "rendered from another cluster file (stale)" in res.stderr


def test_a_missing_file_an_extra_file_and_the_executable_bit_are_drift(project):
    (project / "out/orange/APPLY.txt").unlink()
    res = gate(project)
    assert res.returncode == EXIT_DRIFT
    assert "--- /dev/null\n+++ b/orange/APPLY.txt\n" in res.stdout
    assert "     missing  out/orange/APPLY.txt: not in DIR" in res.stderr
    assert jcc("render", "serviceguard", "-o", "out", cwd=project).returncode == 0

    # a file named like one of the adapter's artifacts that the render does not produce
    extra = project / "out/lemon/modular/jobcenter-lemon.sh"
    extra.parent.mkdir(parents=True)
    extra.write_text("#!/bin/sh\n")
    res = gate(project)
    assert res.returncode == EXIT_DRIFT
    assert "--- a/lemon/modular/jobcenter-lemon.sh\n+++ /dev/null\n" in res.stdout
    assert "       extra  out/lemon/modular/jobcenter-lemon.sh" in res.stderr
    extra.unlink()
    # a file that is not the adapter's does not count (a README beside the artifacts)
    (project / "out/README").write_text("ours\n")
    assert gate(project).returncode == EXIT_OK

    # the executable bit (all git records of the mode)
    os.chmod(project / "out" / SCRIPT, 0o644)
    res = gate(project)
    assert res.returncode == EXIT_DRIFT
    assert f"        mode  out/{SCRIPT}: mode 0644, rendered 0755" in res.stderr
    os.chmod(project / "out" / SCRIPT, 0o775)  # group write is not git's business
    assert gate(project).returncode == EXIT_OK


def test_a_file_rendered_earlier_and_no_longer_produced_is_extra(project):
    """The manifest lists a site's files; the site leaves the cluster file."""
    toml = project / "jccluster.toml"
    text = toml.read_text()
    second = text[text.index("[[site]]"):].split("\n[site.", 1)[0].replace(
        "orange", "lemon").replace("10.17.21.162", "10.17.21.163").replace(
        "machine_id = 162", "machine_id = 163").replace('"/mnt/jobdb"', '"/mnt/jobdb-lemon"')
    toml.write_text(text.replace("[[site]]", second.rstrip("\n") + "\n\n[[site]]", 1))
    res = jcc("render", "serviceguard", "-o", "out", cwd=project)
    assert res.returncode == 0, res.stderr
    assert (project / "out/lemon").is_dir()
    toml.write_text(text)
    res = gate(project)
    assert res.returncode == EXIT_DRIFT
    assert "       extra  out/lemon/APPLY.txt: rendered earlier, no longer produced" in res.stderr
    # (orange's files changed too: with one site left its service is cjc, not cjc-SITE)
    assert "     differs  out/orange/APPLY.txt: rendered from another cluster file" in res.stderr
    # one site only (--site) never calls another site's files extra
    toml.write_text(text.replace("[[site]]", second.rstrip("\n") + "\n\n[[site]]", 1))
    assert gate(project).returncode == EXIT_OK
    kiwi = project / "out/kiwi/modular/jobcenter-kiwi.sh"
    kiwi.parent.mkdir(parents=True)
    kiwi.write_text("#!/bin/sh\n")
    assert gate(project).returncode == EXIT_DRIFT
    assert gate(project, "--site", "orange.example.com").returncode == EXIT_OK


def test_a_missing_directory_is_drift_and_usage_errors_are_2(project):
    res = jcc("render", "serviceguard", "-o", "nowhere", "--check", cwd=project)
    assert res.returncode == EXIT_DRIFT and not (project / "nowhere").exists()
    assert len(res.stderr.splitlines()) == 1 and "render it first" in res.stderr
    for args in (["--check"], ["-o", "out", "--check", "--dry-run"],
                 ["-o", "out", "--check", "--force"], ["-o", "out", "--check", "--prune"]):
        before = snapshot(project)
        res = jcc("render", "serviceguard", *args, cwd=project)
        assert res.returncode == EXIT_USAGE, (args, res.stderr)
        assert res.stdout == "" and len(res.stderr.splitlines()) == 1, (args, res.stderr)
        assert snapshot(project) == before


def test_dry_run_is_unchanged(project):
    """--dry-run keeps its meaning: the diff, exit 0, nothing written."""
    script = project / "out" / SCRIPT
    script.write_text(script.read_text() + "# mine\n")
    before = snapshot(project)
    res = jcc("render", "serviceguard", "-o", "out", "--dry-run", cwd=project)
    assert res.returncode == 0, res.stderr
    assert f"--- a/{SCRIPT}\n+++ b/{SCRIPT}\n" in res.stdout
    assert "dry run: 1 file(s) would change; nothing written" in res.stderr
    assert snapshot(project) == before
