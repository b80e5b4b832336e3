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
#: where this process's addresses start within 127.A.0.1-127.A.255.250 (A from the pid): random,
#: so that two test processes whose pids agree modulo 200 -- or that are both PID 2 of a PID
#: namespace of their own (the bounded fuzz run) -- do not hand out the same addresses at once;
#: a keep-port on the same address and port in another test run would fail (issue 28)
_BASE = int.from_bytes(os.urandom(4), "big") % (256 * 250)


def unique_site() -> tuple[str, str]:
    """A site name and a 127.x address unique to this test process and test. The name holds the
    pid (unique on the machine outside PID namespaces); the address, the pid and a random
    offset. Short, so the names the adapters make from it stay within the products' limits."""
    n = next(_COUNTER)
    pid = os.getpid()
    at = (_BASE + n) % (256 * 250)
    return f"s{n}-{pid}.example.com", f"127.{1 + pid % 200}.{at // 250}.{1 + at % 250}"
