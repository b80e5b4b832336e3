"""Named regression tests for what the stateful fuzzer (machine.py) and issue 28's probe found,
one test per bug, each failing on the code before its fix."""

from __future__ import annotations

import os

import pytest
from fuzz.machine import _startup_interrupt

from support.cli import jcc


def _keep_port(tmp_path, *args: str):
    return jcc("site", "keep-port", *args, "--root", str(tmp_path / "spool"), "--port", "40613",
               timeout=30)


@pytest.mark.parametrize("address", ["127.000.010.001", "127.1", "0x7f000001", "2130706433"])
def test_keep_port_refuses_a_numeric_address_that_is_no_dotted_quad(tmp_path, reaper, address):
    """Issue 28: ``127.000.010.001`` went to the resolver, whose inet_aton reads the parts as
    octal, and 127.0.8.1 was held. A host name is never all-numeric (RFC 1123 section 2.1), so
    such an ADDRESS is a mistyped address: refused, one line, exit 2 (bad input)."""
    res = _keep_port(tmp_path, address, "--hold", "5")
    assert res.returncode == 2, res
    assert "not a dotted IPv4 address" in res.stderr
    assert not os.path.isdir(tmp_path / "spool" / ".jccluster" / "keepport")  # nothing written


@pytest.mark.parametrize("hold", ["1e-300", "0.5"])
def test_keep_port_refuses_a_hold_too_short_to_hold_anything(tmp_path, reaper, hold):
    """Issue 28: ``--hold 1e-300`` was accepted: a holder that gives up at once holds nothing a
    start could release."""
    res = _keep_port(tmp_path, "127.0.0.1", "--hold", hold)
    assert res.returncode == 2, res
    assert "--hold" in res.stderr


def test_fuzzer_exempts_only_an_interrupt_before_the_program_runs():
    """The fuzzer's first find was no engine bug: SIGINT 50 ms after a CLI started landed while
    the interpreter imported its site module; Python printed its own KeyboardInterrupt. The
    exemption must not cover an interrupt inside the program's functions."""
    startup = ('Traceback (most recent call last):\n  File "<frozen site>", line 616, in <module>'
               '\n  File "/x/jobcenter_cluster/cli/__init__.py", line 3, in <module>\n'
               'KeyboardInterrupt\n')
    inside = ('Traceback (most recent call last):\n  File "/x/jobcenter_cluster/engine/stop.py",'
              ' line 9, in stop\nKeyboardInterrupt\n')
    assert _startup_interrupt(startup)
    assert not _startup_interrupt(inside)
    assert not _startup_interrupt("Traceback (most recent call last):\nValueError: x\n")
