"""`.pre-commit-hooks.yaml` run by the real pre-commit tool against a scratch git repository
(issue 24): a good commit passes, a commit that breaks a rule is refused with the rule ID.

pre-commit installs a hook repository by cloning it at a revision and `pip install`ing it into
a venv of its own (PyPI is reached for our dependencies). The hook repository here is a copy of
this checkout's files as they are now (tracked and new, not ignored) committed in tmp_path, so
the test runs the code under test from a fresh clone or a dirty worktree alike; PRE_COMMIT_HOME
is in tmp_path too, nothing of the user's cache is touched.

Refusal is the contract of pre-commit itself: a hook that exits non-zero fails, and `git commit`
run through the installed hook exits non-zero and records no commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import jcc

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "orange/modular/jobcenter-orange.sh"
SKIP_DIRS = {".git", ".dev-venv", ".tox", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache",
             ".pytest_cache", "build", "dist", ".hypothesis"}


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True, timeout=60).stdout


def source_files() -> list[str]:
    """This checkout's files: git's tracked and untracked-not-ignored ones, or a walk."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True, timeout=60).stdout
        return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for dirpath, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
            found += [os.path.relpath(os.path.join(dirpath, n), ROOT) for n in names]
        return found


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return dict(os.environ, HOME=str(home), PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
                GIT_CONFIG_GLOBAL=str(home / "gitconfig"), GIT_CONFIG_NOSYSTEM="1",
                GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
                PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")


@pytest.fixture
def hook_repo(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    repo = tmp_path / "hooks"
    for rel in source_files():
        dest = repo / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    assert (repo / ".pre-commit-hooks.yaml").is_file()
    git("init", "-q", cwd=repo, env=env)
    git("add", "-A", cwd=repo, env=env)
    git("commit", "-q", "-m", "the checkout under test", cwd=repo, env=env)
    return repo, git("rev-parse", "HEAD", cwd=repo, env=env).strip()


def jcc_ok(*args: str, cwd: Path) -> None:
    res = jcc(*args, cwd=cwd)
    assert res.returncode == 0, res.stderr


@pytest.mark.timeout(600)
def test_the_hooks_pass_a_good_commit_and_refuse_a_broken_one(tmp_path, env, hook_repo):
    repo, rev = hook_repo
    proj = tmp_path / "proj"
    proj.mkdir()
    git("init", "-q", cwd=proj, env=env)
    jcc_ok("init", cwd=proj)
    jcc_ok("render", "serviceguard", "-o", "deploy/serviceguard", cwd=proj)
    (proj / ".pre-commit-config.yaml").write_text(f"""\
repos:
  - repo: {repo}
    rev: {rev}
    hooks:
      - id: jccluster-validate
      - id: jccluster-check
        args: [serviceguard, deploy/serviceguard]
      - id: jccluster-render-check
        args: [serviceguard, -o, deploy/serviceguard]
""")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    res = subprocess.run([*pre_commit, "validate-manifest", str(repo / ".pre-commit-hooks.yaml")],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    subprocess.run([*pre_commit, "install"], cwd=proj, env=env, check=True, capture_output=True,
                   timeout=60)

    git("add", "-A", cwd=proj, env=env)
    res = subprocess.run(["git", "commit", "-m", "good"], cwd=proj, env=env, capture_output=True,
                         text=True, timeout=540)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    for name in ("jccluster validate", "jccluster check", "jccluster render --check"):
        assert any(ln.startswith(name) and ln.endswith("Passed") for ln in out.splitlines()), out

    # break a rule by hand: a command before nqsportkpr in the start path
    script = proj / "deploy/serviceguard" / SCRIPT
    lines = script.read_text().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if "keep-port" in ln and "run " in ln)
    lines.insert(at, "    /bin/true || return 2\n")
    script.write_text("".join(lines))
    git("add", "-A", cwd=proj, env=env)
    res = subprocess.run(["git", "commit", "-m", "bad"], cwd=proj, env=env, capture_output=True,
                         text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert f"{SCRIPT}:{at + 1}: error SG-PORTKEEPER-FIRST:" in out
    assert f"differs  deploy/serviceguard/{SCRIPT}" in out  # the drift gate too
    # the cluster file was not staged: its hook had nothing to check
    assert any(ln.startswith("jccluster validate") and ln.endswith("Skipped")
               for ln in out.splitlines()), out
    assert git("rev-list", "--count", "HEAD", cwd=proj, env=env).strip() == "1"

    # a cluster file that breaks a rule: the site reuses a node's NQS machine ID
    git("checkout", "--", ".", cwd=proj, env=env)
    git("reset", "-q", "--hard", cwd=proj, env=env)
    toml = proj / "jccluster.toml"
    toml.write_text(toml.read_text().replace("machine_id = 162", "machine_id = 160"))
    git("add", "-A", cwd=proj, env=env)
    res = subprocess.run(["git", "commit", "-m", "bad too"], cwd=proj, env=env,
                         capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "error CORE-UNIQUE-MID:" in out
    assert any(ln.startswith("jccluster validate") and ln.endswith("Failed")
               for ln in out.splitlines()), out
    assert git("rev-list", "--count", "HEAD", cwd=proj, env=env).strip() == "1"
