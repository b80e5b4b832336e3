"""Node crash -> the site running on the surviving node, in a real two-node lab (`jccluster lab`),
side by side with ClusterLabs' ``ocf:pacemaker:Dummy`` in the same lab and the same crashes.

    python benchmarks/bench_failover.py [--rounds 5] [--profiles default,fast] [--supervisor jccluster]

Each round powers off the node running the site (SIGKILL to every process of its namespaces,
as `jccluster lab drill node-crash` does) and measures from that moment to

- ``site``:  the first census sample (every 20 ms, from outside the nodes) with every JobCenter
  daemon of the site running on the survivor;
- ``dummy``: the start of a Dummy colocated with the site's group (the modification time of its
  state file on the survivor), i.e. what Pacemaker itself needs: detection, fencing, scheduling.

Profiles (corosync token and the fence devices' random delay, see docs/lab.md):

- ``default``: corosync's default token (3000 ms) and pcmk_delay_max=2s on the fence devices;
- ``fast``:    token 1000 ms (a LAN with a dedicated, quiet cluster network) and no fence delay.

The nodes' agent runs ``jccluster`` from the project's wheel installed in a fresh virtual
environment (`_common.wheel_venv`), as production nodes have it: byte-compiled at install time.
The checkout's editable install under PYTHONDONTWRITEBYTECODE=1 compiles every module it imports
on every start (``--editable`` measures that instead).

Target (issue 21): site <= dummy + 0.5 s at the default token; site median <= 3 s with ``fast``.
Runs as root with Pacemaker installed, never beside another corosync. About 2 minutes a profile.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)
sys.path.insert(0, os.path.join(TOP, "benchmarks"))
from _common import wheel_venv  # noqa: E402

PROFILES = {"default": {"token_ms": None, "fence_delay_max": "2s"},
            "fast": {"token_ms": 1000, "fence_delay_max": "0"}}
DUMMY = "bench-dummy"
STATE = "/run/bench-dummy.state"


def add_dummy(lab, group):  # type: ignore[no-untyped-def]
    from jobcenter_cluster.lab import control

    xml = (f'<primitive id="{DUMMY}" class="ocf" provider="pacemaker" type="Dummy">'
           f'<instance_attributes id="{DUMMY}-ia"><nvpair id="{DUMMY}-state" name="state" '
           f'value="{STATE}"/></instance_attributes>'
           f'<operations><op id="{DUMMY}-mon" name="monitor" interval="10s" timeout="20s"/>'
           '</operations></primitive>')
    control.run_on(lab, lab.nodes[0], "cibadmin", "--create", "--scope", "resources",
                   "--xml-text", xml)
    control.run_on(lab, lab.nodes[0], "cibadmin", "--create", "--scope", "constraints",
                   "--xml-text", f'<rsc_colocation id="{DUMMY}-with-site" rsc="{DUMMY}" '
                   f'with-rsc="{group}" score="INFINITY"/>')


def dummy_started(lab, node) -> float | None:  # type: ignore[no-untyped-def]
    from jobcenter_cluster.lab import control

    pid = control.init_pid(lab, node)
    try:
        return os.stat(f"/proc/{pid}/root{STATE}").st_mtime if pid else None
    except OSError:
        return None


def profile_run(name: str, rounds: int, supervisor: str,
                jccluster: str | None) -> dict[str, list[float]]:
    from jobcenter_cluster.lab import control, drill

    directory = tempfile.mkdtemp(prefix=f"jccluster-bench-lab-{name}-")
    out: dict[str, list[float]] = {"site": [], "dummy": []}
    try:
        lab = control.up(directory, 2, None, supervisor, say=lambda m: print(m, file=sys.stderr),
                         jccluster=jccluster, **PROFILES[name])  # type: ignore[arg-type]
        d = drill.Drill(lab, lambda _m: None)
        add_dummy(lab, d.site.group)
        d.census.start()
        try:
            for i in range(rounds):
                a = d.ready()
                control.wait_for(lambda a=a: dummy_started(lab, lab.node(a)), 60, "the dummy")
                time.sleep(2)  # let the cluster settle (monitors, attribute updates)
                b = d.other(a)
                t0 = time.time()
                control.power(lab, lab.node(a), False)
                _node, site = d.wait_recovered(t0, target=b.name)
                started = control.wait_for(lambda b=b: dummy_started(lab, b), 60, "the dummy")
                assert isinstance(started, float)
                out["site"].append(site)
                out["dummy"].append(started - t0)
                print(f"{name} round {i + 1}: site {site:.2f} s, dummy {started - t0:.2f} s",
                      file=sys.stderr)
        finally:
            d.census.stop()
    finally:
        control.down(directory)
        shutil.rmtree(directory, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profiles", default="default,fast")
    ap.add_argument("--supervisor", default="jccluster", choices=("jccluster", "cjcpw"))
    ap.add_argument("--editable", action="store_true", help="the nodes run this checkout's "
                    "jccluster instead of a wheel's")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="jccluster-bench-wheel-")
    jccluster = None if args.editable else os.path.join(wheel_venv(work, TOP), "jccluster")
    # the emulated JobCenter installation runs this checkout's simulator: compiled once, as an
    # installed product is, not again by every daemon it starts (PYTHONDONTWRITEBYTECODE=1)
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    os.path.join(TOP, "jobcenter_cluster")], check=True)
    rows = []
    try:
        results = {name: profile_run(name, args.rounds, args.supervisor, jccluster)
                   for name in args.profiles.split(",")}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, res in results.items():
        for what in ("site", "dummy"):
            times = res[what]
            rows.append((name, what, statistics.median(times), max(times), times))
    print(f"node crash -> running on the survivor ({args.rounds} rounds, supervisor "
          f"{args.supervisor}, jccluster from {'this checkout' if args.editable else 'a wheel'})")
    print(f"{'PROFILE':8}  {'WHAT':5}  {'MEDIAN':>7}  {'MAX':>7}  ROUNDS")
    for name, what, med, worst, times in rows:
        print(f"{name:8}  {what:5}  {med:6.2f}s  {worst:6.2f}s  "
              + " ".join(f"{t:.2f}" for t in times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
