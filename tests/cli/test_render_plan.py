"""``jccluster render -o DIR``'s write plan through the real CLI: the dry-run diff (exit 0, no
--force needed), the manifest telling a hand edit from a cluster-file change, stale files and
--prune, and `check` ignoring the manifest."""

from __future__ import annotations

import json

from jobcenter_cluster.manifest import NAME as MANIFEST
from jobcenter_cluster.model import EXAMPLE_TOML
from support.cli import jcc


def _setup(tmp_path):
    (tmp_path / "jccluster.toml").write_text(EXAMPLE_TOML)
    res = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return tmp_path / "out"


def test_manifest_records_the_hash_of_every_file_as_rendered(tmp_path):
    out = _setup(tmp_path)
    data = json.loads((out / MANIFEST).read_text())
    import hashlib

    rendered = sorted(str(p.relative_to(out)) for p in out.rglob("*")
                      if p.is_file() and p.name != MANIFEST)
    assert sorted(data["files"]) == rendered
    apply = data["files"]["orange/APPLY.txt"]
    assert apply["sha256"] == hashlib.sha256((out / "orange/APPLY.txt").read_bytes()).hexdigest()
    assert apply["adapter"] == "serviceguard" and apply["site"] == "orange.example.com"


def test_a_change_of_the_cluster_file_updates_without_force(tmp_path):
    out = _setup(tmp_path)
    cfg = tmp_path / "jccluster.toml"
    cfg.write_text(EXAMPLE_TOML.replace("machine_id = 162", "machine_id = 170"))
    res = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "     updated  out/orange/APPLY.txt\n" in res.stdout
    assert "170" in (out / "orange/APPLY.txt").read_text()


def test_dry_run_prints_the_diff_and_exits_0_even_with_a_hand_edit(tmp_path):
    out = _setup(tmp_path)
    script = out / "orange/modular/jobcenter-orange.sh"
    before = script.read_text()
    script.write_text(before + "# hand edit\n")
    (tmp_path / "jccluster.toml").write_text(EXAMPLE_TOML.replace("machine_id = 162",
                                                                  "machine_id = 170"))
    res = jcc("render", "serviceguard", "-o", "out", "--dry-run", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "--- a/orange/modular/jobcenter-orange.sh\n+++ b/orange/modular/jobcenter-orange.sh\n" \
        in res.stdout
    assert "\n-# hand edit\n" in res.stdout
    assert "--- a/orange/APPLY.txt" in res.stdout and "+++ b/orange/APPLY.txt" in res.stdout
    assert "would update  out/orange/modular/jobcenter-orange.sh  (edited by hand; needs --force)" \
        in res.stderr
    assert "out: dry run: 2 file(s) would change; nothing written" in res.stderr
    assert script.read_text() == before + "# hand edit\n"
    # the real run refuses the hand edit, names it, and writes nothing at all
    apply_before = (out / "orange/APPLY.txt").read_text()
    res = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == (
        "jccluster: out: 1 file(s) were edited by hand or not rendered by jccluster "
        "(orange/modular/jobcenter-orange.sh); use --dry-run to see the diff, --force to "
        "overwrite them\n")
    assert (out / "orange/APPLY.txt").read_text() == apply_before
    res = jcc("render", "serviceguard", "-o", "out", "--force", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert script.read_text() == before


def test_a_file_we_never_rendered_counts_as_hand_edited(tmp_path):
    out = _setup(tmp_path)
    (out / MANIFEST).unlink()
    (out / "orange/APPLY.txt").write_text("mine\n")
    res = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert res.returncode == 2 and "(orange/APPLY.txt)" in res.stderr


def test_renamed_site_leaves_stale_files_listed_and_prune_removes_them(tmp_path):
    out = _setup(tmp_path)
    (tmp_path / "jccluster.toml").write_text(EXAMPLE_TOML.replace("orange", "apple"))
    res = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert ("       stale  out/orange/APPLY.txt  (no longer rendered; --prune removes it)\n"
            in res.stdout)
    assert (out / "orange/APPLY.txt").exists() and (out / "apple/APPLY.txt").exists()
    dry = jcc("render", "serviceguard", "-o", "out", "--prune", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0 and "--- a/orange/APPLY.txt\n+++ /dev/null\n" in dry.stdout
    assert (out / "orange/APPLY.txt").exists()
    # a stale file edited by hand needs --force to go
    (out / "orange/APPLY.txt").write_text("notes\n")
    res = jcc("render", "serviceguard", "-o", "out", "--prune", cwd=tmp_path)
    assert res.returncode == 2 and "(orange/APPLY.txt)" in res.stderr
    res = jcc("render", "serviceguard", "-o", "out", "--prune", "--force", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "     removed  out/orange/modular/jobcenter-orange.sh\n" in res.stdout
    assert not (out / "orange").exists()
    assert not any("orange" in k for k in json.loads((out / MANIFEST).read_text())["files"])
    again = jcc("render", "serviceguard", "-o", "out", cwd=tmp_path)
    assert "stale" not in again.stdout


def test_one_site_render_never_calls_the_others_stale(tmp_path):
    _setup(tmp_path)
    res = jcc("render", "serviceguard", "-o", "out", "--site", "orange.example.com", cwd=tmp_path)
    assert res.returncode == 0 and "stale" not in res.stdout


def test_another_adapters_files_in_the_same_directory_are_not_stale(tmp_path):
    _setup(tmp_path)
    res = jcc("render", "pacemaker", "-o", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "stale" not in res.stdout


def test_check_ignores_the_manifest(tmp_path):
    _setup(tmp_path)
    res = jcc("check", "serviceguard", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert MANIFEST not in res.stdout + res.stderr
