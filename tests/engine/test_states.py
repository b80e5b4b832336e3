"""One place where a site's state changes: `store.set_state` against `states.TRANSITIONS`.

The table is decided in `jobcenter_cluster.engine.states`; these tests pin it down, check that a
move outside it raises, that the moves the old code made without a check are now either in the
table (decided legitimate) or no longer made, and that no engine module writes a run file any
other way.
"""

from __future__ import annotations

import ast
import os
import pathlib

import pytest

from jobcenter_cluster.engine import states, store
from jobcenter_cluster.engine.states import State
from jobcenter_cluster.outcome import Outcome
from support.transitions import record_transitions

ENGINE = pathlib.Path(states.__file__).parent

S = State
LEGAL = {
    None: {S.STARTING, S.STOPPING},
    S.STOPPED: {S.STARTING, S.STOPPING},
    S.STARTING: {S.STARTING, S.RUNNING, S.MAINTENANCE, S.FAILED, S.STOPPING},
    S.RUNNING: {S.STARTING, S.RUNNING, S.FAILED, S.STOPPING},
    S.MAINTENANCE: {S.STARTING, S.MAINTENANCE, S.FAILED, S.STOPPING},
    S.FAILED: {S.STARTING, S.RUNNING, S.FAILED, S.STOPPING},
    S.STOPPING: {S.STARTING, S.STOPPING, S.STOPPED, S.FAILED},
}


def test_the_table_is_exactly_the_decided_one():
    assert {k: set(v) for k, v in states.TRANSITIONS.items()} == LEGAL


@pytest.mark.parametrize("old", [None, *State])
@pytest.mark.parametrize("new", list(State))
def test_every_pair(old, new):
    assert states.allowed(old, new) == (new in LEGAL[old])
    if new in LEGAL[old]:
        assert states.require_allowed(old, new) is new
    else:
        with pytest.raises(states.IllegalTransition):
            states.require_allowed(old, new)


def test_decisions_on_the_moves_the_old_code_made():
    # adoption from nothing or from stopped: no recorded token, nothing to adopt
    assert not states.allowed(None, "running") and not states.allowed("stopped", "running")
    # none -> maintenance goes through starting now
    assert not states.allowed(None, "maintenance") and states.allowed("starting", "maintenance")
    # a stop of a stopped site re-checks (stopped -> stopping -> stopped)
    assert states.allowed("stopped", "stopping") and states.allowed("stopping", "stopped")
    # stop of a site never started here, or made by cjcmksite (no run file)
    assert states.allowed(None, "stopping")
    # a new start after an interrupted stop, and recovery after a failure
    assert states.allowed("stopping", "starting") and states.allowed("failed", "starting")
    # a watcher adopting daemons after its predecessor was killed (state failed)
    assert states.allowed("failed", "running")
    assert not states.allowed(None, "bogus") and states.parse("bogus") is None


def test_set_state_refuses_an_illegal_move_and_writes_nothing(tmp_path):
    root = str(tmp_path)
    store.write_registry(root, {"name": "a.example.com", "database": "/mnt/x"})
    store.set_state(root, "a.example.com", states.STARTING, fresh={"database": "/mnt/x"})
    before = store.read_run(root, "a.example.com")
    with pytest.raises(states.IllegalTransition):
        store.set_state(root, "a.example.com", states.STOPPED)
    assert store.read_run(root, "a.example.com") == before
    with pytest.raises(states.IllegalTransition):
        store.set_state(root, "b.example.com", states.RUNNING)
    assert store.read_run(root, "b.example.com") is None


def test_update_run_cannot_change_the_state(tmp_path):
    with pytest.raises(ValueError, match="set_state"):
        store.update_run(str(tmp_path), "a.example.com", state="running")


def test_a_state_from_before_the_last_reboot_counts_as_none(tmp_path, monkeypatch):
    root = str(tmp_path)
    store._write_run(root, "a.example.com", {"state": "running"})
    run = store.read_run(root, "a.example.com")
    run["boot"] = "another-boot"
    store.write_json(store.run_path(root, "a.example.com"), run)
    log = record_transitions(monkeypatch)
    store.set_state(root, "a.example.com", states.STARTING)
    assert log == [("a.example.com", None, "starting")]


def _calls(tree: ast.AST, name: str) -> list[int]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if called == name:
                out.append(node.lineno)
    return out


def test_no_engine_module_writes_a_run_file_but_through_set_state():
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.name != "store.py":
            assert _calls(tree, "_write_run") == [], path.name
            assert _calls(tree, "write_run") == [], path.name
            src = path.read_text(encoding="utf-8")
            assert "run_path(" not in src, path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _calls(node, "update_run"):
                for kw in node.keywords:
                    assert kw.arg != "state", f"{path.name}:{node.lineno}"


def test_every_path_goes_through_set_state(sim_site, monkeypatch, poll_for):
    """start, adoption, maintenance, watcher failure, interrupted stop, stop: each move is
    recorded by set_state (the run file is never written another way) and is in the table."""
    log = record_transitions(monkeypatch)
    writes: list[str] = []
    real = store._write_run

    def spy(root, site, data):
        import inspect

        caller = inspect.stack()[1].function
        writes.append(caller)
        return real(root, site, data)

    monkeypatch.setattr(store, "_write_run", spy)
    assert sim_site.start().outcome == Outcome.SUCCESS        # none -> starting -> running
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS  # running -> stopping -> stopped
    os.makedirs(os.path.join(sim_site.db, "etc"), exist_ok=True)
    with open(os.path.join(sim_site.db, "etc", "daemon.conf"), "w") as fh:
        fh.write("maintenance=ON\n")
    assert sim_site.start().outcome == Outcome.SUCCESS        # stopped -> starting -> maint.
    os.unlink(os.path.join(sim_site.db, "etc", "daemon.conf"))
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert sim_site.start().outcome == Outcome.SUCCESS
    assert sim_site.start(mode="no-watch").details.get("already")  # nothing written
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert set(writes) <= {"set_state", "update_run"}, writes
    assert all(states.allowed(o, n) for _s, o, n in log)
    moves = {(o, n) for _s, o, n in log}
    assert {("starting", "maintenance"), ("maintenance", "stopping"), ("stopped", "starting"),
            ("running", "stopping"), ("stopping", "stopped")} <= moves


def test_recovery_by_adoption_after_the_watcher_was_killed(sim_site, poll_for, monkeypatch):
    """failed (the watcher was ended by a signal, the daemons live) -> running: a new start
    adopts the same start's daemons instead of starting a second copy."""
    import signal

    w = sim_site.watch()
    poll_for(lambda: (st := sim_site.status()).outcome == Outcome.RUNNING and st.watcher_pid,
             timeout=20, what="watched")
    before = sim_site.status().daemons
    w.send_signal(signal.SIGTERM)
    assert w.wait(timeout=10) == 1
    assert store.read_run(sim_site.root, sim_site.name)["state"] == "failed"
    log = record_transitions(monkeypatch)
    res = sim_site.start()
    assert res.outcome == Outcome.SUCCESS and res.details.get("already"), res.message
    assert [(o, n) for _s, o, n in log] == [("failed", "running")]
    assert sim_site.status().daemons == before
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
