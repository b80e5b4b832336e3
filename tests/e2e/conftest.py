"""Fixtures of the end-to-end matrix: ``e2e_site`` is the site a case runs against, by the
``supervisor`` parameter -- a ``simulator`` site the engine runs (``jccluster``), or a site made
with ``cjcmksite`` of an emulated JobCenter installation (``cjcpw``; the ``jobcenter`` fixture)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class E2ESite:
    """A site of an emulated installation, with the attributes the harness uses of SimSite."""

    name: str
    address: str
    db: str
    root: str
    prefix: str
    reaper: Any
    machine_id: int

    def pid(self, role: str) -> int:
        """pid of a daemon as the emulated installation recorded it (within 10 s)."""
        path = os.path.join(self.db, "nqs", "sim", f"{role}.pid")
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError, ValueError), open(path, encoding="ascii") as fh:
                return int(fh.read().strip())
            if time.monotonic() > deadline:
                raise AssertionError(f"no {path} after 10 s")
            time.sleep(0.02)


@pytest.fixture(name="e2e_site")
def _e2e_site(request: pytest.FixtureRequest, supervisor: str, reaper: Any) -> Any:
    if supervisor == "jccluster":
        return request.getfixturevalue("sim_site")
    inst = request.getfixturevalue("jobcenter")
    inst.mksite()
    return E2ESite(inst.site, inst.address, inst.db, inst.root, inst.prefix, reaper, inst.mid)


@pytest.fixture(params=["jccluster", "cjcpw"], name="supervisor")
def _supervisor(request: pytest.FixtureRequest) -> str:
    return str(request.param)
