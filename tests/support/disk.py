"""A small, real disk for tests that need ENOSPC: a tmpfs mounted in the test session's private
mount namespace (tests/conftest.py unshares one), never in the machine's."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator

import pytest

from support.hosts import MARK


@contextlib.contextmanager
def small_disk(path: str | os.PathLike[str], size: str = "1m") -> Iterator[str]:
    """Mount a tmpfs of `size` on `path` (made if missing) for the block; unmount it after."""
    with open("/etc/hosts", encoding="utf-8") as fh:
        if MARK not in fh.read():  # conftest's bind mount: we are in the private namespace
            pytest.fail("a test tmpfs needs the session's private mount namespace "
                        "(tests/conftest.py makes it when run as root)")
    os.makedirs(path, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                          os.fspath(path)], capture_output=True, text=True)
    assert res.returncode == 0, f"mount tmpfs on {path}: {res.stderr}"
    try:
        yield os.fspath(path)
    finally:
        subprocess.run(["umount", "-l", os.fspath(path)], check=False, capture_output=True)


def fill(disk: str | os.PathLike[str], leave: int = 0) -> str:
    """Fill `disk` until the kernel answers ENOSPC, then free `leave` bytes again (a few pages
    for a command's first small writes); the filler's path (remove it to free the disk)."""
    filler = os.path.join(disk, "filler")
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0")
        if leave:
            fh.truncate(max(0, fh.tell() - leave))
    return filler
