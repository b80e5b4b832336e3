"""`pip install .` gives a working jccluster from the built wheel (not only from an editable
install), and a separately installed package adds an adapter through the entry-point group."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIRDPARTY = ROOT / "tests" / "data" / "thirdparty"


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    # built from a copy of the checkout's files only: the editable install's egg-info and a
    # build/ directory in the tree would slip packages into the wheel that pyproject.toml omits
    src = tmp / "src"
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True, capture_output=True).stdout
    for rel in filter(None, listed.decode().split("\0")):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp / "dist"), str(src)], check=True, capture_output=True,
                   timeout=600)
    (wheel,) = (tmp / "dist").glob("jobcenter_cluster-*.whl")
    venv.EnvBuilder(with_pip=True).create(tmp / "venv")
    py = tmp / "venv" / "bin" / "python"
    # Installing the wheel pulls typer, jinja2, stevedore, psutil from the package index.
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    return tmp / "venv"


def run(venv_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(venv_dir / "bin" / "jccluster"), *args], capture_output=True,
                          text=True, cwd=cwd or venv_dir, env=env, timeout=120)


@pytest.mark.timeout(900)
def test_wheel_install_renders_with_packaged_templates(wheel_venv, tmp_path):
    files = subprocess.run([str(wheel_venv / "bin" / "python"), "-c",
                            "import jobcenter_cluster, jobcenter_cluster.adapters; "
                            "print(jobcenter_cluster.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert "site-packages" in files and str(ROOT) not in files
    res = run(wheel_venv, "render", "serviceguard", "--example", "-o", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out/orange/modular/jobcenter-orange.sh").stat().st_mode & 0o777 == 0o755
    res = run(wheel_venv, "adapters", "--json")
    names = {a["name"] for a in json.loads(res.stdout)["adapters"]}
    assert "serviceguard" in names


def _source_packages() -> set[str]:
    """Every package of the source tree, named as installed (./adapters is
    jobcenter_cluster.adapters)."""
    found = set()
    for top, name in ((ROOT / "jobcenter_cluster", "jobcenter_cluster"),
                      (ROOT / "adapters", "jobcenter_cluster.adapters")):
        for init in top.rglob("__init__.py"):
            rel = init.parent.relative_to(top).parts
            found.add(".".join((name, *rel)))
    return found


@pytest.mark.timeout(900)
def test_every_package_of_the_source_tree_is_in_the_wheel(wheel_venv, tmp_path):
    """setuptools' packages list is explicit: a new package missing from it works from the
    editable install and is missing from every real one (jobcenter_cluster.failures was)."""
    script = ("import sys, importlib\n"
              "for name in sys.argv[1:]:\n"
              "    importlib.import_module(name)\n")
    wanted = sorted(_source_packages())
    assert "jobcenter_cluster.failures" in wanted and "jobcenter_cluster.adapters.sun22" in wanted
    res = subprocess.run([str(wheel_venv / "bin" / "python"), "-c", script, *wanted],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr


@pytest.mark.timeout(900)
def test_third_party_adapter_is_found_through_its_entry_point(wheel_venv, tmp_path):
    subprocess.run([str(wheel_venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--no-deps", str(THIRDPARTY)],
                   check=True, capture_output=True, timeout=600)
    res = run(wheel_venv, "adapters", "--json")
    data = json.loads(res.stdout)
    echo = next(a for a in data["adapters"] if a["name"] == "echo")
    assert echo["product"] == "Echo Cluster 1.0"
    assert echo["actions"] == {"start": "watch", "stop": "stop", "monitor": "status"}
    res = run(wheel_venv, "render", "echo", "--example")
    assert res.returncode == 0, res.stderr
    assert "exec /usr/local/bin/jccluster agent echo start orange.example.com /mnt/jobdb" in res.stdout
    # The agent resolves it too (the hot path uses importlib.metadata, not stevedore).
    res = run(wheel_venv, "agent", "echo", "reboot", "orange.example.com")
    assert res.returncode == 1 and "unknown action 'reboot'" in res.stderr
