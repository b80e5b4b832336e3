"""The wheel builds without setuptools warnings (issue 9): the license is an SPDX string and
every template directory is a declared package, so nothing is deprecated or shipped by accident."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_declares_the_license_and_every_template_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["license"] == "Apache-2.0"
    packages = set(data["tool"]["setuptools"]["packages"])
    for d in (ROOT / "templates").iterdir():
        if d.is_dir() and not d.name.startswith(("_", ".")):
            assert f"jobcenter_cluster.templates.{d.name}" in packages, d.name


@pytest.mark.timeout(600)
def test_the_wheel_builds_without_setuptools_warnings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w",
                          str(tmp_path), str(ROOT)], capture_output=True, text=True, env=env,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    noise = [line for line in (res.stdout + res.stderr).splitlines()
             if re.search(r"(?i)BuildBackendWarning|SetuptoolsDeprecationWarning|deprecat|"
                          r"is absent from the .packages. configuration|^\s*warning:", line)]
    assert noise == []
    (wheel,) = tmp_path.glob("jobcenter_cluster-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.endswith(".j2")}
    expected = {f"jobcenter_cluster/templates/{p.relative_to(ROOT / 'templates')}"
                for p in (ROOT / "templates").rglob("*.j2")}
    assert shipped == expected
