"""Helpers the test modules import (``from support.sites import poll_for``), not from
``conftest``: with several conftest.py files, the module named ``conftest`` is whichever pytest
loaded last (tests/pacemaker has one), so ``from conftest import`` breaks depending on order."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_for(cond: Callable[[], T], timeout: float = 5.0, interval: float = 0.005,
             what: str = "") -> T:
    """Wait until ``cond()`` is truthy and return it; fail the test after ``timeout`` seconds.
    Polls every `interval` at first, backing off to every 0.05 s (or `interval`, if longer)."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or cond}")
        time.sleep(delay)
        delay = min(delay * 1.5, max(interval, 0.05))


_COUNTER = itertools.count(1)


def unique_site() -> tuple[str, str]:
    """A site name and a 127.x address unique to this test process and test."""
    n = next(_COUNTER)
    pid = os.getpid()
    return f"s{n}-{pid}.example.com", f"127.{1 + pid % 200}.{n // 250}.{1 + n % 250}"
