"""The failure hook gets the reason as the watcher made it (``$JCCLUSTER_FAILURE``), passed
as data -- never cut back out of the result's message (issue 25 item 1)."""

from __future__ import annotations

from jobcenter_cluster.engine import watcher
from jobcenter_cluster.engine.base import Result
from jobcenter_cluster.outcome import Outcome


def test_a_command_hook_gets_the_reason_it_was_given(tmp_path):
    out = tmp_path / "failure"
    hook = ["/bin/sh", "-c", f'printf %s "$JCCLUSTER_SITE|$JCCLUSTER_FAILURE" > {out}']
    ctx = watcher.WatchCtx("orange.example.com", str(tmp_path), "/mnt/jobdb", {},
                           on_failure=hook)
    res = Result(Outcome.FAILED, "site orange.example.com: nqsdaemon (pid 42) was killed by "
                 "SIGKILL")
    watcher.run_hook(ctx, res, "nqsdaemon (pid 42) was killed by SIGKILL")
    assert out.read_text() == "orange.example.com|nqsdaemon (pid 42) was killed by SIGKILL"
    # without a reason the hook gets the whole message, as it is
    watcher.run_hook(ctx, res)
    assert out.read_text() == f"orange.example.com|{res.message}"


def test_a_daemons_death_reaches_the_hook_without_the_site_prefix(tmp_path):
    out = tmp_path / "failure"
    hook = ["/bin/sh", "-c", f'printf %s "$JCCLUSTER_FAILURE" > {out}']
    ctx = watcher.WatchCtx("orange.example.com", str(tmp_path), "/mnt/jobdb", {},
                           on_failure=hook)
    res = watcher._failed(ctx, "nqsdaemon", 42, "was killed by SIGKILL")
    assert res.message == "site orange.example.com: nqsdaemon (pid 42) was killed by SIGKILL"
    assert out.read_text() == "nqsdaemon (pid 42) was killed by SIGKILL"
