"""The engine's two process layers agree: the Linux ``/proc`` reader and the psutil layer used on
Solaris and AIX (and on Linux with ``JCCLUSTER_PROCS=psutil``). Each psutil function is checked
against the ``/proc`` one on the same live processes, and the selector is checked in fresh
interpreters: psutil is imported only when chosen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from jobcenter_cluster.engine import procs, procs_psutil

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(name="both")
def _both() -> tuple[dict[str, Any], dict[str, Any]]:
    """(linux, psutil): the two layers side by side, whichever one `procs` itself chose."""
    import importlib

    linux: dict[str, Any] = {}
    from pathlib import Path

    src = importlib.util.find_spec("jobcenter_cluster.engine.procs").origin  # type: ignore[union-attr]
    code = Path(src).read_text(encoding="utf-8").split("\nLAYER = ")[0]
    exec(compile(code, src, "exec"), linux)  # noqa: S102 - the module's own code, minus the hook
    ps = dict(linux)
    procs_psutil.install(ps)
    return linux, ps


def test_both_layers_read_every_process_the_same(both):
    linux, ps = both
    me = os.getpid()
    assert linux["read"](me) == ps["read"](me)
    table_l, table_p = linux["scan"](), ps["scan"]()
    common = set(table_l) & set(table_p)
    assert len(common) > 5
    for pid in common:  # identity (pid, start), parent, state letter and name agree
        a, b = table_l[pid], table_p[pid]
        assert (a.pid, a.start, a.ppid, a.dead) == (b.pid, b.start, b.ppid, b.dead), (a, b)
    assert ps["cmdline"](me) == linux["cmdline"](me)
    assert ps["environ"](me) == linux["environ"](me)
    assert ps["env_value"](me, "PATH") == os.environ.get("PATH")
    assert ps["ancestors"](me, None) == linux["ancestors"](me, None)
    assert ps["pidfd"](me) is None and ps["set_subreaper"]() is False


def test_zombies_count_as_dead_in_the_psutil_layer(both, poll_for):
    _linux, ps = both
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        poll_for(lambda: (p := ps["read"](child.pid)) is not None and p.dead, what="zombie")
        assert not ps["alive"](child.pid)
        assert ps["environ"](child.pid) == {}
    finally:
        child.wait(timeout=10)
    assert ps["read"](child.pid) is None and ps["same"](child.pid, None) is None


def test_psutil_signal_needs_the_same_identity(both, reaper, poll_for):
    _linux, ps = both
    # it answers SIGWINCH: its answer proves no signal went out before (not an immediate poll())
    code = ("import signal\nsignal.signal(signal.SIGWINCH, lambda *a: print('mark', flush=True))\n"
            "print('ok', flush=True)\nwhile True: signal.pause()")
    proc = reaper.popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ok\n"
    start = ps["read"](proc.pid).start
    assert not ps["signal_ident"](proc.pid, start + 1, signal.SIGKILL)  # another process
    proc.send_signal(signal.SIGWINCH)
    assert proc.stdout.readline() == "mark\n"
    assert ps["signal_ident"](proc.pid, start, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert not ps["signal_ident"](proc.pid, start, signal.SIGKILL)


def test_psutil_holders_find_cwd_and_open_files(both, reaper, tmp_path, poll_for):
    _linux, ps = both
    (tmp_path / "db" / "nqs").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    code = "import sys,time; f=open(sys.argv[1],'a'); open(sys.argv[2],'w').close(); time.sleep(60)"
    in_cwd = reaper.popen([sys.executable, "-c", code, os.devnull, str(tmp_path / "a.ready")],
                          cwd=tmp_path / "db" / "nqs")
    holds = reaper.popen([sys.executable, "-c", code, str(tmp_path / "db" / "log"),
                          str(tmp_path / "b.ready")], cwd=tmp_path / "other")
    poll_for(lambda: (tmp_path / "a.ready").exists() and (tmp_path / "b.ready").exists())
    table = ps["scan"]()
    assert ps["holders"](str(tmp_path / "db"), table) >= {in_cwd.pid, holds.pid}
    assert not ps["holders"](str(tmp_path / "db"), table) & {os.getpid()}


def _imports(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "JCCLUSTER_PROCS"}
    if env_value is not None:
        env["JCCLUSTER_PROCS"] = env_value
    code = ("import sys; from jobcenter_cluster.engine import procs;"
            "print(procs.LAYER, 'psutil' in sys.modules, procs.PROC)")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, timeout=30).stdout.split()


def test_selector_imports_psutil_only_when_chosen():
    assert _imports(None) == ["proc", "False", "/proc"]
    assert _imports("") == ["proc", "False", "/proc"]
    layer, loaded, proc_dir = _imports("psutil")
    assert (layer, loaded) == ("psutil", "True")
    assert not os.path.exists(proc_dir)  # nothing of the /proc reader can read /proc any more


def test_this_run_uses_the_layer_it_was_asked_for():
    layer = procs.LAYER
    assert layer == ("psutil" if os.environ.get("JCCLUSTER_PROCS") == "psutil" else "proc")
