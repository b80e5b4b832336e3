"""The test session's private /etc/hosts (see tests/conftest.py, which imports this module
first, while pytest is still single-threaded): at import, the process moves into its own mount
namespace and bind-mounts a hosts file naming `TEST_HOSTS` over /etc/hosts. ``needs_hosts``
skips a test where that could not be done.

Test modules import ``needs_hosts`` from here, not from ``conftest`` (see support/sites.py).
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from typing import Any

import pytest

#: name → address entries of the private hosts file
TEST_HOSTS = [
    ("127.0.0.2", "orange.example.com orange"),  # "orange" is an alias
    ("127.0.0.3", "lemon.example.com"),
    ("127.0.0.4", "lime.example.com"),
    ("127.0.0.5", "melon.example.com"),
    ("127.0.0.6", "first.example.com"),  # reverse of .6 is first.example.com ...
    ("127.0.0.6", "second.example.com"),  # ... so second.example.com fails the reverse check
    ("192.0.2.10", "remote.example.com"),  # TEST-NET-1: resolves, never active here
]
MARK = "# jobcenter-cluster test hosts"
_HOSTS_STATE: dict[str, Any] = {"ok": False, "why": "not tried"}


def _private_hosts() -> None:
    try:
        with open("/etc/hosts", encoding="utf-8") as fh:
            current = fh.read()
    except OSError as err:
        _HOSTS_STATE["why"] = f"cannot read /etc/hosts: {err}"
        return
    if MARK in current:  # a parent test process already did it; we inherited the namespace
        _HOSTS_STATE["ok"] = True
        return
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newns, ms_rec, ms_private, ms_bind = 0x00020000, 0x4000, 1 << 18, 0x1000
    if libc.unshare(clone_newns) != 0:
        _HOSTS_STATE["why"] = f"unshare(CLONE_NEWNS): {os.strerror(ctypes.get_errno())}"
        return
    if libc.mount(b"none", b"/", None, ms_rec | ms_private, None) != 0:
        _HOSTS_STATE["why"] = f"mount --make-rprivate /: {os.strerror(ctypes.get_errno())}"
        return
    fd, path = tempfile.mkstemp(prefix="jccluster-hosts-")
    lines = [current.rstrip("\n"), MARK]
    lines += [f"{addr} {names}" for addr, names in TEST_HOSTS]
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o644)
    if libc.mount(path.encode(), b"/etc/hosts", None, ms_bind, None) != 0:
        _HOSTS_STATE["why"] = f"bind mount over /etc/hosts: {os.strerror(ctypes.get_errno())}"
        return
    _HOSTS_STATE["ok"] = True


if sys.platform.startswith("linux") and os.geteuid() == 0:
    _private_hosts()
else:
    _HOSTS_STATE["why"] = "needs root on Linux"

needs_hosts = pytest.mark.skipif(
    not _HOSTS_STATE["ok"], reason=f"no private /etc/hosts: {_HOSTS_STATE['why']}"
)
