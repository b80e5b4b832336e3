"""``site keep-port`` (nqsportkpr): hold the NQS port until the site starts."""

from __future__ import annotations

import errno
import os
import socket
import time

import pytest

from jobcenter_cluster.engine import api, procs
from jobcenter_cluster.outcome import Outcome

pytestmark = pytest.mark.timeout(30)


def _port() -> int:
    return 20000 + os.getpid() % 20000


def _bind(addr: str, port: int, reuse: bool = False) -> int:
    with socket.socket() as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((addr, port))
        except OSError as err:
            return err.errno
    return 0


def test_holds_until_the_site_starts(sim_site, reaper, poll_for):
    port = _port()
    res = api.keep_port(sim_site.address, port=port, root=sim_site.root, hold=60)
    assert res.outcome == Outcome.SUCCESS, res.message
    holder = res.details["pid"]
    reaper.track(holder)
    assert holder != os.getpid() and procs.alive(holder)
    assert _bind(sim_site.address, port) == errno.EADDRINUSE
    assert _bind(sim_site.address, port, reuse=True) == errno.EADDRINUSE
    assert _bind("0.0.0.0", port, reuse=True) == errno.EADDRINUSE
    again = api.keep_port(sim_site.address, port=port, root=sim_site.root)
    assert again.outcome == Outcome.SUCCESS and "already held" in again.message
    assert sim_site.start().outcome == Outcome.SUCCESS  # releases it for the daemons
    poll_for(lambda: not procs.alive(holder), what="holder released")
    assert _bind(sim_site.address, port) == 0
    sim_site.stop(timeout=5)


def test_taken_port_fails(engine_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        res = api.keep_port("127.0.0.1", port=port)
    assert res.outcome == Outcome.FAILED and "cannot hold" in res.message


def test_hold_gives_up_by_itself(engine_env, reaper, poll_for):
    port, hold = _port() + 1, 2.0
    t0 = time.monotonic()
    res = api.keep_port("127.0.0.1", port=port, hold=hold)
    assert res.outcome == Outcome.SUCCESS, res.message
    holder = res.details["pid"]
    reaper.track(holder)
    # held first (a holder that never held, or let go at once, would pass the rest) ...
    assert _bind("127.0.0.1", port) == errno.EADDRINUSE
    # ... then given up by the holder itself (nobody releases it here), and not before its time
    poll_for(lambda: _bind("127.0.0.1", port) == 0, timeout=hold + 10, what="port given up")
    assert time.monotonic() - t0 >= hold, f"gave up after {time.monotonic() - t0:.2f}s"
    poll_for(lambda: not procs.alive(holder), timeout=5, what="holder gone")
