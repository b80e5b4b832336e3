"""The watcher's failure hook and the progress callback (the contracts in COMMON.md).

- ``on_failure``: an argv (no shell; ``JCCLUSTER_SITE``/``JCCLUSTER_FAILURE`` in its
  environment) or a callback, run when the watcher sees the site fail, before it exits; bounded
  (10 s); its failure is logged and never changes the watcher's exit; not run on ``stop``.
  From the CLI: ``site start --on-failure CMD``; from an agent: ``$JCCLUSTER_ON_FAILURE``.
- ``progress``: `Progress` records from start and stop; stop's data lists ``killed``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from jobcenter_cluster.engine import api, watcher
from jobcenter_cluster.engine.base import Progress, Result
from jobcenter_cluster.outcome import Outcome

pytestmark = pytest.mark.timeout(90)

#: a hook that records its argv and the two variables as JSON lines
RECORD = ("import json, os, sys; open(sys.argv[1], 'a').write(json.dumps({'argv': sys.argv[2:], "
          "'site': os.environ.get('JCCLUSTER_SITE'), "
          "'failure': os.environ.get('JCCLUSTER_FAILURE')}) + '\\n')")


def hook_cmd(out: str, *extra: str) -> str:
    return shlex.join([sys.executable, "-c", RECORD, out, *extra])


def records(path: str) -> list[dict[str, object]]:
    try:
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]
    except FileNotFoundError:
        return []


def _watched(site, poll_for) -> None:
    poll_for(lambda: (st := site.status()).outcome == Outcome.RUNNING and st.watcher_pid,
             timeout=20, what="site up and watched")


def test_cli_on_failure_runs_when_a_daemon_dies(sim_site, tmp_path, poll_for):
    out = str(tmp_path / "hook.jsonl")
    w = sim_site.watch("--on-failure", hook_cmd(out, "two words"))
    _watched(sim_site, poll_for)
    os.kill(sim_site.pid("comagent"), signal.SIGKILL)
    _o, err = w.communicate(timeout=30)
    assert w.returncode == 1 and "comagent" in err
    (rec,) = records(out)  # ran once, before the watcher exited
    assert rec["site"] == sim_site.name and rec["argv"] == ["two words"]
    assert "comagent" in str(rec["failure"]) and "\n" not in str(rec["failure"])
    sim_site.stop(timeout=5)


def test_on_failure_runs_when_the_watcher_is_signalled(sim_site, tmp_path, poll_for):
    out = str(tmp_path / "hook.jsonl")
    w = sim_site.watch("--on-failure", hook_cmd(out))
    _watched(sim_site, poll_for)
    w.send_signal(signal.SIGTERM)
    w.communicate(timeout=30)
    assert w.returncode == 1
    (rec,) = records(out)
    assert "SIGTERM" in str(rec["failure"])
    sim_site.stop(timeout=5)


def test_on_failure_is_not_run_by_stop(sim_site, tmp_path, poll_for):
    out = str(tmp_path / "hook.jsonl")
    w = sim_site.watch("--on-failure", hook_cmd(out))
    _watched(sim_site, poll_for)
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert w.wait(timeout=30) == 0
    assert records(out) == []


def test_a_failing_hook_is_logged_and_does_not_change_the_exit(sim_site, poll_for):
    w = sim_site.watch("--on-failure", shlex.join([sys.executable, "-c", "raise SystemExit(3)"]))
    _watched(sim_site, poll_for)
    os.kill(sim_site.pid("logdaemon"), signal.SIGKILL)
    _o, err = w.communicate(timeout=30)
    assert w.returncode == 1 and "failure hook" in err and "status 3" in err
    sim_site.stop(timeout=5)


def test_a_hanging_hook_is_bounded(sim_site, poll_for, monkeypatch):
    w = sim_site.watch("--on-failure", shlex.join([shutil.which("sleep") or "/bin/sleep", "60"]))
    _watched(sim_site, poll_for)
    t0 = time.monotonic()
    os.kill(sim_site.pid("sclaunchd"), signal.SIGKILL)
    _o, err = w.communicate(timeout=40)
    took = time.monotonic() - t0
    assert w.returncode == 1 and "failure hook failed" in err and "TimeoutExpired" in err
    assert watcher.HOOK_SECONDS - 1 <= took < watcher.HOOK_SECONDS + 10
    sim_site.stop(timeout=5)


def test_a_missing_hook_program_is_logged(sim_site, poll_for):
    w = sim_site.watch("--on-failure", "/nonexistent/notify --x")
    _watched(sim_site, poll_for)
    os.kill(sim_site.pid("jnwengine"), signal.SIGKILL)
    _o, err = w.communicate(timeout=30)
    assert w.returncode == 1 and "failure hook failed" in err
    sim_site.stop(timeout=5)


def test_background_watcher_gets_the_hook(sim_site, tmp_path, poll_for):
    out = str(tmp_path / "hook.jsonl")
    res = sim_site.cli("site", "start", "--background", "--on-failure", hook_cmd(out),
                       sim_site.name, sim_site.db)
    assert res.returncode == 0, res.stderr
    _watched(sim_site, poll_for)
    sim_site.reaper.track(sim_site.status().watcher_pid)
    os.kill(sim_site.pid("nqsdaemon"), signal.SIGKILL)
    (rec,) = poll_for(lambda: records(out), timeout=20, what="hook ran")
    assert "nqsdaemon" in str(rec["failure"])
    sim_site.stop(timeout=5)


def test_agent_takes_the_hook_from_the_environment(sim_site, tmp_path, poll_for):
    out = str(tmp_path / "hook.jsonl")
    env = dict(os.environ, JCCLUSTER_ON_FAILURE=hook_cmd(out, "from-env"))
    w = sim_site.reaper.popen([sys.executable, "-m", "jobcenter_cluster", "agent", "pacemaker",
                               "start", sim_site.name, sim_site.db], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    w.communicate(timeout=60)
    assert w.returncode == 0
    _watched(sim_site, poll_for)
    sim_site.reaper.track(sim_site.status().watcher_pid)
    os.kill(sim_site.pid("netdaemon"), signal.SIGKILL)
    (rec,) = poll_for(lambda: records(out), timeout=20, what="hook ran")
    assert rec["argv"] == ["from-env"] and "netdaemon" in str(rec["failure"])
    sim_site.stop(timeout=5)


def test_bad_on_failure_values_are_refused(sim_site):
    res = sim_site.cli("site", "start", "--on-failure", "'unclosed", sim_site.name, sim_site.db)
    assert res.returncode == 2 and "--on-failure" in res.stderr
    res = sim_site.cli("site", "start", "--no-watch", "--on-failure", "x", sim_site.name, sim_site.db)
    assert res.returncode == 2 and "needs a watcher" in res.stderr
    with pytest.raises(Exception, match="callback"):
        api.start(sim_site.name, sim_site.db, root=sim_site.root, mode="background",
                  on_failure=lambda r: None)


def test_a_bare_program_name_is_refused_before_anything_starts(sim_site, tmp_path):
    """A bare name in --on-failure would be looked up on root's inherited PATH (issue 22):
    refused at parse time, one line naming the option and the fix, nothing started."""
    planted = tmp_path / "notify"  # what a PATH entry a user controls could hold
    planted.write_text("#!/bin/sh\ntouch \"$0.ran\"\n")
    planted.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ.get('PATH', '')}"}
    for value in ("notify --site x", "bin/notify"):
        res = sim_site.cli("site", "start", "--background", "--on-failure", value,
                           sim_site.name, sim_site.db, set_env=env)
        assert res.returncode == 2, res.stderr  # a user error: one line, exit 2 (docs/engine.md)
        (line,) = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert "--on-failure" in line and "absolute path" in line and "/usr/local/bin/" in line
        assert sim_site.status().outcome == Outcome.STOPPED
    # the engine refuses it too (an agent's $JCCLUSTER_ON_FAILURE), before any start
    with pytest.raises(Exception, match="absolute path"):
        api.start(sim_site.name, sim_site.db, root=sim_site.root, mode="background",
                  on_failure=["notify"])
    assert sim_site.status().outcome == Outcome.STOPPED
    assert not (tmp_path / "notify.ran").exists()


def test_callback_hook_in_process(sim_site):
    """A callback hook, through `watcher.run_hook` directly (watch mode blocks the caller)."""
    got: list[Result] = []
    ctx = watcher.WatchCtx(sim_site.name, sim_site.root, sim_site.db, {},
                           on_failure=got.append)
    res = Result(Outcome.FAILED, f"site {sim_site.name}: x died")
    watcher.run_hook(ctx, res)
    assert got == [res]

    def boom(_r: Result) -> None:
        raise RuntimeError("hook broke")

    watcher.run_hook(watcher.WatchCtx(sim_site.name, sim_site.root, sim_site.db, {},
                                      on_failure=boom), res)  # logged, not raised


def test_progress_of_start_and_stop(sim_site, monkeypatch):
    # a daemon that ignores SIGTERM (a SIGSTOPped one no longer does: stop sends SIGCONT)
    monkeypatch.setenv("JCCLUSTER_SIM_FAULTS", "logdaemon=ignore-term")
    seen: list[Progress] = []
    res = api.start(sim_site.name, sim_site.db, root=sim_site.root, mode="no-watch",
                    progress=seen.append)
    assert res.outcome == Outcome.SUCCESS
    phases = [p.phase for p in seen]
    assert phases[0] == "starting" and phases[-1] == "done" and "waiting" in phases
    assert all(p.deadline == api.DEFAULT_START_TIMEOUT and p.elapsed >= 0 for p in seen)
    st = api.status(sim_site.name, root=sim_site.root)
    ignoring = st.daemons["logdaemon"]
    seen.clear()
    res = api.stop(sim_site.name, root=sim_site.root, timeout=1, progress=seen.append)
    assert res.outcome == Outcome.SUCCESS
    phases = [p.phase for p in seen]
    assert "terminating" in phases and "killing" in phases and phases[-1] == "done"
    killing = [p for p in seen if p.phase == "killing"][0]
    assert (ignoring, "NQSlogdaemon") in killing.left
    assert res.to_dict()["killed"] == [[ignoring, "NQSlogdaemon"]]
