"""The init of the bounded fuzz run's private PID namespace (pidinit.py): it reaps orphans and
passes signals on (pid_namespaces(7): an orphan is re-parented to the namespace's init, which
must wait for it; the init gets from its parent namespace only the signals it handles)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from support.hosts import needs_hosts  # the same privilege (CAP_SYS_ADMIN) makes both

INIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pidinit.py")

#: orphans a grandchild that exits after its parent, then waits until /proc (the namespace's
#: own) lists only the init and itself: a zombie nobody reaps stays listed
ORPHAN = """
import os, sys, time
pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        time.sleep(0.1)
        os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
end = time.monotonic() + 5
while time.monotonic() < end:
    left = {int(p) for p in os.listdir("/proc") if p.isdigit()} - {1, os.getpid()}
    if not left:
        sys.exit(0)
    time.sleep(0.02)
sys.exit(f"not reaped: {sorted(left)}")
"""

WAIT_FOR_TERM = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))
print("ready", flush=True)
time.sleep(30)
"""


def _unshare(code: str) -> list[str]:
    return ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", sys.executable, INIT,
            sys.executable, "-c", code]


@needs_hosts
@pytest.mark.timeout(30)
def test_pidinit_reaps_an_orphan_of_the_namespace():
    res = subprocess.run(_unshare(ORPHAN), capture_output=True, text=True, timeout=20)
    assert res.returncode == 0, res.stderr


@needs_hosts
@pytest.mark.timeout(30)
def test_pidinit_passes_sigterm_on_and_exits_with_the_program(reaper):
    proc = reaper.popen(_unshare(WAIT_FOR_TERM), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    with open(f"/proc/{proc.pid}/task/{proc.pid}/children", encoding="ascii") as fh:
        (init,) = (int(p) for p in fh.read().split())  # unshare's one child: the init
    reaper.track(init)
    os.kill(init, signal.SIGTERM)
    assert proc.wait(timeout=10) == 42
