"""Running the ``jccluster`` CLI from a test: the console script the venv installed (what users
and cluster products run), never ``python -m``.

    from support.cli import jcc
    res = jcc("site", "status", site, env=env)
    assert res.returncode == 3, res.stderr
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping

import pytest


def jccluster_path() -> str:
    """The ``jccluster`` of the interpreter running the tests, absolute (agents get no PATH)."""
    candidate = os.path.join(os.path.dirname(sys.executable), "jccluster")
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("jccluster")
    if found is None:
        pytest.fail("jccluster is not installed next to the test interpreter")
    return os.path.abspath(found)


def jcc_argv(*args: str) -> list[str]:
    """The argv of ``jccluster ARGS``, for a test that runs it some other way (a pty, Popen)."""
    return [jccluster_path(), *args]


def jcc(*args: str, cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None, set_env: Mapping[str, str] | None = None,
        columns: int | None = None, input: str | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    """Run ``jccluster ARGS`` and wait for it; its exit code, stdout and stderr (text).

    `env` is the whole environment (None: the test process's); `set_env` sets variables on top
    of it; `columns` sets ``COLUMNS`` (the width tables and help are laid out for).
    """
    full = dict(os.environ if env is None else env)
    full.update(set_env or {})
    if columns is not None:
        full["COLUMNS"] = str(columns)
    return subprocess.run(jcc_argv(*args), capture_output=True, text=True, cwd=cwd, env=full,
                          input=input, timeout=timeout)
