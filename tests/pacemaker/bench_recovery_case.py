"""The measuring half of benchmarks/bench_recovery.py (not a test: pytest collects it only when
named, as the benchmark does, because its file name does not start with ``test_``).

It runs inside the test suite's fixtures (private mount namespace and /etc/hosts, a live
single-node cluster, a simulator site) and prints one ``RECOVERY {json}`` line per case:

- ``push``: our agent, ``notify_cluster=true`` (the watcher reports the failure at once);
- ``monitor``: our agent, ``notify_cluster=false`` (the next monitor finds it);
- ``dummy``: ClusterLabs' ``ocf:pacemaker:Dummy``; its "daemon" is its state file, so the failure
  is the state file's removal and recovery is the file's return -- the monitor-only baseline.

Each round kills at a random point of the monitor cycle (a fixed phase would measure one point of
the 0..interval detection delay). Environment: JCBENCH_INTERVALS (default "2,10,30"),
JCBENCH_ROUNDS (default 5), JCBENCH_WAYS (default "push,monitor,dummy").
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import pytest

from jobcenter_cluster.engine import api
from support.pacemaker_cib import nqsdaemon, site_cib

INTERVALS = [int(x) for x in os.environ.get("JCBENCH_INTERVALS", "2,10,30").split(",")]
WAYS = os.environ.get("JCBENCH_WAYS", "push,monitor,dummy").split(",")
ROUNDS = int(os.environ.get("JCBENCH_ROUNDS", "5"))

pytestmark = [pytest.mark.pacemaker, pytest.mark.timeout(60 + ROUNDS * (3 * max(INTERVALS) + 30))]

DUMMY = """<primitive id="bench-dummy" class="ocf" provider="pacemaker" type="Dummy">
  <instance_attributes id="bench-dummy-ia">
    <nvpair id="bench-dummy-ia-state" name="state" value="{state}"/>
  </instance_attributes>
  <meta_attributes id="bench-dummy-meta">
    <nvpair id="bench-dummy-meta-mt" name="migration-threshold" value="100"/>
  </meta_attributes>
  <operations>
    <op id="bench-dummy-monitor" name="monitor" interval="{interval}s" timeout="20s"/>
  </operations>
</primitive>
"""


def _load(cluster: Any, tmp_path: Any, xml: str) -> None:
    path = tmp_path / "rsc.xml"
    path.write_text(xml)
    cluster.run("cibadmin", "--create", "--scope", "resources", "--xml-file", str(path))


def _rounds(kill: Any, recovered: Any, interval: int, poll_for: Any) -> list[float]:
    rng = random.Random(os.getpid())
    times = []
    for _ in range(ROUNDS):
        time.sleep(rng.uniform(0.0, interval))
        token = kill()
        t0 = time.monotonic()
        poll_for(lambda token=token: recovered(token), 3 * interval + 20, interval=0.01,
                 what="recovery")
        times.append(time.monotonic() - t0)
    return times


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("way", WAYS)
def test_recovery(way, interval, live_cluster, installed_agent, sim_site, poll_for, tmp_path,
                  jccluster_bin):
    if way == "dummy":
        state = str(tmp_path / "dummy.state")
        _load(live_cluster, tmp_path, DUMMY.format(state=state, interval=interval))
        poll_for(lambda: os.path.exists(state), 60, what="Dummy started")

        def kill() -> int:
            os.unlink(state)
            return 0

        times = _rounds(kill, lambda _t: os.path.exists(state), interval, poll_for)
    else:
        xml, ids = site_cib(sim_site, installed_agent, jccluster_bin,
                            monitor_interval=interval, notify_cluster=(way == "push"))
        _load(live_cluster, tmp_path, xml)
        poll_for(lambda: nqsdaemon(sim_site), 60, what="site running")

        def kill() -> int:
            pid = poll_for(lambda: nqsdaemon(sim_site), 3 * interval + 20, what="site up")
            os.kill(pid, 9)
            return int(pid)

        times = _rounds(kill, lambda old: (nqsdaemon(sim_site) or old) != old, interval,
                        poll_for)
        live_cluster.run("crm_resource", "--resource", ids["group"], "--set-parameter",
                         "target-role", "--meta", "--parameter-value", "Stopped", check=False)
        poll_for(lambda: api.status(sim_site.name, root=sim_site.root).outcome.value
                 == "stopped", 90, what="site stopped")
    print("\nRECOVERY " + json.dumps({"way": way, "interval": interval,
                                      "times": [round(t, 3) for t in times]}))
