"""Attack tests: a throwaway unprivileged user (``jccsecNNNN``) does what a local account could.

The ``attacker`` fixture creates the user (``useradd --no-create-home``) and removes it at
teardown (``userdel``), killing by pid -- identity-checked -- any process of its uid that is
still alive. ``attacker.run(code, fd=...)`` runs Python code as that user through
``setpriv --reuid U --regid G --clear-groups``. pytest's temporary directories are root's and
mode 0700, so the attacker cannot reach them by name: the test hands it an open directory
descriptor (``attacker.share(path)``) and the code works relative to it (``dir_fd=FD``), exactly
as far as the directory's own permissions allow -- no further.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from support.users import throwaway_user

PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
_COUNTER = itertools.count()

@dataclass
class Attacker:
    name: str
    uid: int
    gid: int
    fds: list[int] = field(default_factory=list)

    def share(self, path: str) -> int:
        """An open descriptor of directory ``path`` the attacker's code may use as ``FD``."""
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        self.fds.append(fd)
        return fd

    def run(self, code: str, *, fd: int | None = None, umask: int = 0o022,
            cwd: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``code`` (Python; ``FD`` is the shared directory descriptor) as the attacker."""
        prelude = f"import os, sys, json\nos.umask({umask:#o})\nFD = {fd if fd is not None else -1}\n"
        proc = subprocess.run(
            ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
             PYTHON, "-I", "-S", "-c", prelude + code],
            capture_output=True, text=True, timeout=30, pass_fds=tuple(self.fds),
            cwd=cwd or "/", env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        if check:
            assert proc.returncode == 0, f"attacker code failed: {proc.stderr}"
        return proc

    def give(self, path: str) -> str:
        """chown ``path`` to the attacker (what a careless operator did)."""
        os.chown(path, self.uid, self.gid)
        return path


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("useradd"):
        pytest.fail("attack tests need root, setpriv and useradd")
    with throwaway_user("jccsec", strict=False) as pw:
        who = Attacker(pw.pw_name, pw.pw_uid, pw.pw_gid)
        try:
            yield who
        finally:
            for fd in who.fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
