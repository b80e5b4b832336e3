"""support.corosync.cluster_daemons: what the live Pacemaker tests (and the live lab) check
before starting corosync, the only one a machine may run."""

from __future__ import annotations

import os
import shutil
import signal

from support import corosync, procs
from support.sites import poll_for


def test_cluster_daemons_finds_live_daemons_by_their_kernel_name(reaper, tmp_path, monkeypatch):
    # names unique to this test, never corosync's: a live test of another session on the
    # machine must not see a "corosync" of ours and refuse to run
    short = f"jct{os.getpid() % 100000}-co"  # under 15 characters
    long = f"jct{os.getpid()}-pacemaker-schedulerd"  # the kernel keeps its first 15 characters
    monkeypatch.setattr(corosync, "DAEMONS", (short, long))
    sleep = shutil.which("sleep")
    assert sleep
    started = []
    for name in (short, long, "jct-other"):
        os.symlink(sleep, tmp_path / name)  # the command name is the link's
        started.append(reaper.popen([str(tmp_path / name), "60"]))
    poll_for(lambda: all(procs.argv(p.pid)[:1] == [str(tmp_path / n)]
                         for p, n in zip(started, (short, long, "jct-other"), strict=True)),
             what="the children exec'd")
    a, b, other = started
    assert sorted(corosync.cluster_daemons()) == sorted([a.pid, b.pid])
    os.kill(a.pid, signal.SIGKILL)  # not waited for: a zombie, which counts as gone
    poll_for(lambda: procs.state(a.pid) == "Z", what="a zombie")
    assert corosync.cluster_daemons() == [b.pid]
    monkeypatch.setattr(corosync, "DAEMONS", ("jct-none",))
    assert corosync.cluster_daemons() == []
