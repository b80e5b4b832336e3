"""``jccluster demo``: runs end to end, readable, in well under 15 seconds, leaves nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.timeout(60)


def test_demo_runs_and_cleans_up(reaper, tmp_path):
    reaper.site("demo-orange.example.com")
    env = dict(os.environ, TMPDIR=str(tmp_path))
    env.pop("JCCLUSTER_ROOT", None)
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "demo"],
                         capture_output=True, text=True, env=env, timeout=45)
    took = time.monotonic() - t0
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert took < 15
    for expected in ("[1] create the site", "SITE-NAME", "DAEMON-PID", "DB-PATH(LINK)",
                     "NQS nqsdaemon", "was killed by SIGKILL", "watcher exited with status 1",
                     "processes of the site left: 0", "status demo-orange.example.com: stopped"):
        assert expected in out, expected
    assert "[5] what each installed adapter hands its cluster now" in out
    assert os.listdir(tmp_path) == []  # the scratch directory is gone
    assert reaper.site_pids() == []
