"""Deterministic races: root's command runs under ``strace`` with one syscall held at its entry
(``-e inject=SYSCALL:delay_enter=USEC:when=N``), so the attacker makes its move exactly in the
window between root's check and root's act -- every run, not once in a thousand.

    proc = held(argv, "mkdirat", '"out"', tmp_path)   # root is now inside the held mkdirat
    attacker.run(...)                                  # the move
    res = finish(proc)                                 # root goes on; its exit, stdout, stderr

strace prints a syscall's entry before it holds it, so the test waits (`poll_for`) for the
entry line naming the file, then moves; the hold (2 s) only bounds how long the attacker has.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from support.sites import poll_for

HOLD_SECONDS = 2.0


def held(argv: Sequence[str], syscall: str, needle: str, tmp: Path, *, reaper,
         env: dict[str, str] | None = None, when: int = 1) -> tuple[subprocess.Popen[str], Path]:
    """Start ``argv`` under strace with the ``when``-th ``syscall`` held at entry; return once
    that call, naming ``needle``, has been entered (root is past its checks, before its act)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("the race tests need strace (./dev installs it)")
    log = tmp / f"strace-{syscall}.log"
    full_env = {**os.environ, **(env or {}), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = reaper.popen(
        [strace, "-f", "-qq", "-o", str(log), "-e", f"trace={syscall}",
         "-e", f"inject={syscall}:delay_enter={int(HOLD_SECONDS * 1e6)}:when={when}", *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)

    def entered() -> bool:
        try:
            text = log.read_text()
        except FileNotFoundError:
            return False
        if proc.poll() is not None:
            raise AssertionError(f"root's command ended before the held {syscall}: "
                                 f"{proc.stderr.read() if proc.stderr else ''}\n{text}")
        return needle in text

    poll_for(entered, timeout=30, what=f"root's command to enter {syscall}({needle})")
    return proc, log


def finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
