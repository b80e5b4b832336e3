"""The real shells generated scripts must run under, and a helper to run them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: id -> argv prefix. POSIX shells run ``sh`` artifacts; ksh-dialect artifacts (arrays,
#: ``function name``) run under KSH_SHELLS.
_CANDIDATES = {
    "dash": ["dash"],
    "bash": ["bash"],
    "ksh93": ["ksh93"],
    "mksh": ["mksh"],
    "busybox": ["busybox", "sh"],
}
KSH_IDS = ("ksh93", "bash", "mksh")


def shell_argv(shell_id: str) -> list[str]:
    argv = _CANDIDATES[shell_id]
    if shutil.which(argv[0]) is None:
        pytest.fail(f"{argv[0]} is not installed: run the README's test command, which installs "
                    "every shell the tests need")
    return argv


def posix_shells() -> list[str]:
    return list(_CANDIDATES)


def ksh_shells() -> list[str]:
    return list(KSH_IDS)


def run_script(shell_id: str, script: str | os.PathLike[str], *args: str,
               env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
               timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `script` (a file) under the given shell with a clean environment plus `env`."""
    base = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"}
    base.update(env or {})
    return subprocess.run([*shell_argv(shell_id), str(script), *args], env=base, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, input=input)


def shellcheck(path: str | os.PathLike[str], dialect: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed: run the README's test command")
    return subprocess.run(["shellcheck", "-s", dialect, "-S", "style", str(Path(path))],
                          capture_output=True, text=True, timeout=60)
