"""The manual's failover drill, run on a lab (`jccluster lab drill`).

Every scenario starts from a healthy lab (all nodes on and online, the network whole, no failures
or move constraints left, the whole site running on one node), injects one failure from outside
the nodes, and waits for Pacemaker to recover. A `census.Census` samples every node's processes
throughout; a scenario fails when the site's daemons are ever seen on two nodes at once, or when
the whole site does not run on exactly one node once the recovery is done.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from jobcenter_cluster.engine import members, procs
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.lab import census as census_mod
from jobcenter_cluster.lab import control, freeze, layout

#: how long a scenario may take to recover before it fails
RECOVERY_SECONDS = 90.0
#: the stop operation's timeout during stop-fails (s): the engine gives up at 80% of it
STOP_FAILS_TIMEOUT = 12


@dataclass
class Result:
    scenario: str
    what: str = ""
    recovery: float | None = None
    ok: bool = False
    why: str = ""
    start: float = 0.0
    end: float = 0.0
    marks: list[tuple[float, str, str]] = field(default_factory=list)  # (t, kind, label)

    def row(self) -> list[str]:
        rec = f"{self.recovery:.1f} s" if self.recovery is not None else "-"
        return [self.scenario, self.what, rec, "PASS" if self.ok else f"FAIL: {self.why}"]


@dataclass
class Report:
    lab: layout.Lab
    census: census_mod.Census
    results: list[Result] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)


class Failed(Exception):
    pass


class Drill:
    def __init__(self, lab: layout.Lab, say: Callable[[str], None]) -> None:
        self.lab = lab
        self.site = lab.sites[0]
        self.members = control.group_members(lab, self.site)
        self.say = say
        self.census = census_mod.Census(lab, self.site, interval=0.02)
        self.result = Result("")

    # ------------------------------------------------------------------ helpers
    def mark(self, kind: str, label: str) -> float:
        t = time.time()
        self.result.marks.append((t, kind, label))
        return t

    def short(self, name: str) -> str:
        return self.lab.node(name).short if name else "nowhere"

    def where(self) -> str:
        return self.census.running_on(self.census.sample())

    def other(self, name: str) -> layout.Node:
        return next(n for n in self.lab.nodes if n.name != name and control.init_pid(self.lab, n))

    def crm(self, *argv: str, check: bool = True, timeout: float = 60) -> str:
        for node in self.lab.nodes:
            if control.init_pid(self.lab, node):
                return control.run_on(self.lab, node, *argv, check=check, timeout=timeout).stdout
        raise Failed("no node is on")

    def events_since(self, t: float, kinds: tuple[str, ...] = ("on", "off", "cut", "heal")
                     ) -> list[dict[str, object]]:
        out = []
        try:
            with open(self.lab.path("events.jsonl"), encoding="utf-8") as fh:
                for line in fh:
                    ev = json.loads(line)
                    if float(ev["t"]) >= t and ev.get("event") in kinds:
                        out.append(ev)
        except (OSError, ValueError):
            pass
        return out

    def fences_since(self, t: float) -> list[tuple[float, str, str]]:
        """(time, target, by) of each fence request a node made that the switch carried out:
        Pacemaker's fencing, not the drill's own power cuts."""
        out = []
        for ev in self.events_since(t, ("request",)):
            req = ev.get("request") or {}
            reply = ev.get("reply") or {}
            assert isinstance(req, dict) and isinstance(reply, dict)
            if (req.get("action") in ("off", "reboot") and req.get("from") not in ("drill", None)
                    and reply.get("ok")):
                out.append((float(str(ev["t"])), str(req.get("plug")), str(req.get("from"))))
        return out

    def fenced_since(self, t: float) -> list[str]:
        return [target for _t, target, _by in self.fences_since(t)]

    def require_split(self, t0: float) -> None:
        """Fail at once when the census has seen the site on two nodes since `t0`."""
        twice = self.census.split_brain(t0)
        if twice:
            nodes = ", ".join(self.short(n) for n in self.census.where(twice[0]))
            raise Failed(f"the site ran on two nodes at once ({nodes})")

    def wait_recovered(self, t0: float, target: str | None = None,
                       timeout: float = RECOVERY_SECONDS,
                       disrupted: bool = True) -> tuple[str, float]:
        """Wait until the whole site runs on one node (``target`` if given), as the census and
        Pacemaker both see it; return the node and the census time it started running there."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.census.last()
            node = self.census.running_on(s)
            # a recovery follows a disruption the census saw: the site not whole on `node`
            seen = not disrupted or any(self.census.running_on(x) != node
                                        for x in self.census.samples if x.t > t0)
            if (node and seen and (target is None or node == target) and s.t > t0
                    and control.crm_state(self.lab).group_on(self.members) == node):
                break
            self.require_split(t0)
            if time.monotonic() > deadline:
                now = self.census.last()
                census = "; ".join(f"{self.short(n)}: {len(d)} daemons"
                                   for n, d in now.running.items())
                crm = control.crm_state(self.lab).resources
                raise Failed(f"the site does not run on "
                             f"{self.short(target) if target else 'any node'} {timeout:g} s after "
                             f"the failure (census: {census}; Pacemaker: "
                             + ", ".join(f"{r} {v[0]} {self.short(v[1])}{' FAILED' if v[2] else ''}"
                                         for r, v in crm.items() if r in self.members) + ")")
            time.sleep(0.1)
        # the first sample of the run that is still going on
        first = s.t
        for sample in reversed(self.census.samples):
            if self.census.running_on(sample) != node:
                break
            first = sample.t
        return node, max(0.0, first - t0)

    def ready(self) -> str:
        """Bring the lab back to healthy: network whole, every node on and online, failures
        and move constraints cleared, the whole site running on one node."""
        for node in self.lab.nodes:
            control.cut(self.lab, node, heal=True)
        for node in self.lab.nodes:
            if not control.init_pid(self.lab, node):
                control.power(self.lab, node, True)
        control.wait_nodes(self.lab, [n.name for n in self.lab.nodes], 120)
        self.crm("crm_resource", "--clear", "--resource", self.site.group, check=False)
        self.crm("crm_resource", "--cleanup", "--resource", self.site.group, check=False)
        # let the re-probes the cleanup asked for finish: a failure injected into a transition
        # still in flight is not the scenario's
        self.crm("crm_resource", "--wait", "--timeout", "120s", check=False, timeout=150)
        running, _ = self.wait_recovered(0.0, timeout=120, disrupted=False)
        return running

    def daemon_pid(self, node: str, name: str) -> int:
        """The pid (in this machine's PID namespace) of the site's daemon `name` on `node`,
        found in this machine's /proc by the node's PID namespace."""
        names = census_mod.watched(self.lab.product)
        init = control.init_pid(self.lab, self.lab.node(node))
        try:
            ns = os.readlink(f"/proc/{init}/ns/pid")
        except OSError:
            raise Failed(f"{self.short(node)} is off") from None
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            p = procs.read(int(entry))
            if p is None or p.dead or names.get(p.comm) != name:
                continue
            try:
                if (os.readlink(f"/proc/{entry}/ns/pid") == ns
                        and procs.env_value(int(entry), members.MARKER) == self.site.name):
                    return int(entry)
            except OSError:
                continue
        raise Failed(f"no {name} of the site on {self.short(node)}")

    def kill_daemon(self, node: str, name: str) -> int:
        """SIGKILL the site's daemon `name` on `node`."""
        pid = self.daemon_pid(node, name)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            raise Failed(f"{name} of the site on {self.short(node)} ended before the kill") from None
        return pid

    def stop_timeout(self, value: str) -> str:
        """Set the timeout of the site resource's stop operation (the CIB's ``op``, as an
        administrator would with ``crm configure edit``); return the one it had."""
        rsc = self.members[-1]
        xml = self.crm("cibadmin", "--query", "--xpath",
                       f"//primitive[@id='{rsc}']/operations/op[@name='stop']")
        op = ET.fromstring(xml)
        op_id, old = op.get("id"), op.get("timeout") or "20s"
        self.crm("cibadmin", "--modify", "--xml-text", f'<op id="{op_id}" timeout="{value}"/>')
        return old

    # ------------------------------------------------------------------ scenarios
    def daemon_dies(self) -> None:
        a = self.where()
        t0 = self.mark("fault", f"nqsdaemon killed on {self.short(a)}")
        self.kill_daemon(a, "nqsdaemon")
        node, rec = self.wait_recovered(t0)
        self.mark("recovered", f"running on {self.short(node)}")
        self.result.recovery = rec
        self.result.what = (f"nqsdaemon SIGKILLed on {self.short(a)}; Pacemaker "
                            + (f"restarted the site on {self.short(node)}" if node == a
                               else f"moved the site to {self.short(node)}"))

    def node_crash(self) -> None:
        a = self.where()
        t0 = self.mark("fault", f"{self.short(a)} powered off")
        control.power(self.lab, self.lab.node(a), False)
        node, rec = self.wait_recovered(t0)
        fenced = self.fenced_since(t0)
        self.mark("recovered", f"running on {self.short(node)}")
        self.result.recovery = rec
        if a not in fenced:
            raise Failed(f"{self.short(a)} was never fenced")
        self.result.what = (f"{self.short(a)} powered off; {self.short(node)} fenced it "
                            "(fence_jclab) and started the site")

    def node_returns(self) -> None:
        off = [n for n in self.lab.nodes if not control.init_pid(self.lab, n)]
        if not off:  # run alone: take a standby node down first, as a crash would
            a = self.where()
            standby = self.other(a)
            control.power(self.lab, standby, False)
            control.wait_for(lambda: standby.name not in control.crm_state(self.lab).online,
                             60, f"{standby.short} to leave the cluster")
            off = [standby]
        before = self.where()
        node = off[0]
        t0 = self.mark("fault", f"{node.short} powered on")
        control.power(self.lab, node, True)
        control.wait_nodes(self.lab, [n.name for n in self.lab.nodes], 120)
        rec = time.time() - t0
        self.mark("recovered", f"{node.short} online")
        t1 = time.time()
        while time.time() - t1 < 5.0:  # resource-stickiness: the site stays where it is
            time.sleep(0.2)
        after = self.where()
        self.result.recovery = rec
        if after != before:
            raise Failed(f"the site moved from {self.short(before)} to {self.short(after)}")
        self.result.what = (f"{node.short} booted and rejoined; the site stayed on "
                            f"{self.short(after)}")

    def planned_move(self) -> None:
        a = self.where()
        b = self.other(a)
        t0 = self.mark("fault", f"move to {b.short}")
        self.crm("crm_resource", "--move", "--resource", self.site.group, "--node", b.name)
        try:
            node, rec = self.wait_recovered(t0, target=b.name)
        finally:
            self.crm("crm_resource", "--clear", "--resource", self.site.group, check=False)
        self.mark("recovered", f"running on {self.short(node)}")
        self.result.recovery = rec
        self.result.what = f"crm_resource --move {self.short(a)} -> {self.short(node)}"

    def network_cut(self) -> None:
        a = self.where()
        t0 = self.mark("fault", f"{self.short(a)} cut off the network")
        control.cut(self.lab, self.lab.node(a))
        deadline = time.monotonic() + RECOVERY_SECONDS
        while not self.fenced_since(t0):
            self.require_split(t0)
            if time.monotonic() > deadline:
                raise Failed("nobody was fenced")
            time.sleep(0.1)
        fenced = self.fenced_since(t0)
        stays = fenced[0] != a
        node, rec = self.wait_recovered(t0, disrupted=not stays)
        if stays:  # the site never stopped: the cluster is whole again once the fence is done
            rec = self.fences_since(t0)[0][0] - t0
        fenced = self.fenced_since(t0)
        self.mark("recovered", f"running on {self.short(node)}")
        self.result.recovery = rec
        if len(set(fenced)) != 1:
            raise Failed(f"fenced: {', '.join(self.short(f) for f in fenced) or 'nobody'}")
        self.result.what = (f"{self.short(a)} cut off; {self.short(fenced[0])} fenced; the site "
                            f"runs on {self.short(node)}")
        control.cut(self.lab, self.lab.node(a), heal=True)

    def stop_fails(self) -> None:
        """A stop that cannot end the site: nqsdaemon ignores SIGTERM, and is stuck where
        SIGKILL cannot reach it (`freeze`: a process in state D on a dead disk or NFS path).
        The stop fails at its timeout (the engine reports what is left at 80% of it; under
        cjcpw Pacemaker's timeout ends the stop) and Pacemaker escalates: stop's ``on-fail``
        is ``fence`` when fencing is enabled, so the node is fenced and the site starts on the
        other one -- never before the fence, which the census checks. The scenario gives the
        stop operation `STOP_FAILS_TIMEOUT` (an administrator's edit, undone afterwards) so
        the drill does not wait out the production timeout. Without a cgroup-v1 freezer a
        SIGKILL ends nqsdaemon, the stop succeeds and the drill says Pacemaker never had to
        escalate."""
        faults = os.path.join(self.lab.shared(self.site), "nqs", "sim", "faults")
        a = self.where()
        with open(faults, "w", encoding="utf-8") as fh:
            fh.write("nqsdaemon=ignore-term\n")
        stuck = freeze.available()
        old_timeout = None
        try:
            # restart the daemons in place so that they carry the fault
            t = time.time()
            self.kill_daemon(a, "nqsdaemon")
            a, _ = self.wait_recovered(t)  # in place, normally
            self.crm("crm_resource", "--cleanup", "--resource", self.site.group, check=False)
            self.crm("crm_resource", "--wait", "--timeout", "120s", check=False, timeout=150)
            # where the cleanup's transition left the site, not where the restart put it: a
            # restart that failed moves the site, and --move to the node it already runs on
            # exits 108 ("Requested item already exists"; seen on a loaded machine)
            a, _ = self.wait_recovered(t)
            b = self.other(a)
            if stuck:
                old_timeout = self.stop_timeout(f"{STOP_FAILS_TIMEOUT}s")
                freeze.freeze(self.lab, self.daemon_pid(a, "nqsdaemon"))
            how = "stuck (SIGKILL cannot end it)" if stuck else "ignores SIGTERM"
            t0 = self.mark("fault", f"move to {b.short}; nqsdaemon {how}")
            self.crm("crm_resource", "--move", "--resource", self.site.group, "--node", b.name)
            try:
                node, rec = self.wait_recovered(t0, target=b.name)
            finally:
                self.crm("crm_resource", "--clear", "--resource", self.site.group, check=False)
        finally:
            freeze.thaw(self.lab)
            with contextlib.suppress(OSError):
                os.unlink(faults)
            if old_timeout is not None:
                self.stop_timeout(old_timeout)
        fences = [(ft, target) for ft, target, _by in self.fences_since(t0)]
        self.mark("recovered", f"running on {self.short(node)}")
        self.result.recovery = rec
        if stuck:
            if a not in [target for _ft, target in fences]:
                raise Failed(f"the stop on {self.short(a)} could not end nqsdaemon, and "
                             f"Pacemaker did not fence {self.short(a)}")
            fence_t = next(ft for ft, target in fences if target == a)
            self.result.what = (f"move with nqsdaemon stuck: the stop on {self.short(a)} "
                                f"failed; Pacemaker fenced {self.short(a)} "
                                f"{fence_t - t0:.1f} s after the move; site on "
                                f"{self.short(node)}")
            return
        gone = next((x.t for x in self.census.samples if x.t > t0 and not x.running.get(a)),
                    None)
        done = (f"stop on {self.short(a)} took {gone - t0:.1f} s (SIGKILL after SIGTERM)"
                if gone else "stop")
        self.result.what = (f"move with nqsdaemon ignoring SIGTERM: {done}; site on "
                            f"{self.short(node)} (no cgroup-v1 freezer here: a SIGKILL ended "
                            "it, so Pacemaker never had to escalate)")


SCENARIOS: dict[str, Callable[[Drill], None]] = {
    "daemon-dies": Drill.daemon_dies,
    "node-crash": Drill.node_crash,
    "node-returns": Drill.node_returns,
    "planned-move": Drill.planned_move,
    "network-cut": Drill.network_cut,
    "stop-fails": Drill.stop_fails,
}


def run(lab: layout.Lab, names: list[str], say: Callable[[str], None] = lambda _m: None,
        census_check: bool = True) -> Report:
    drill = Drill(lab, say)
    report = Report(lab, drill.census)
    drill.census.start()
    try:
        for name in names:
            drill.result = result = Result(name, start=time.time())
            report.results.append(result)
            say(f"drill: {name}")
            try:
                if name != "node-returns" or all(control.init_pid(lab, n) for n in lab.nodes):
                    drill.ready()
                result.start = time.time()
                SCENARIOS[name](drill)
                result.ok = True
            except (Failed, UserError) as err:
                result.why = str(err)
            result.end = time.time()
            if census_check:
                twice = drill.census.split_brain(result.start)
                twice = [s for s in twice if s.t <= result.end]
                if twice:
                    result.ok = False
                    nodes = ", ".join(drill.short(n) for n in drill.census.where(twice[0]))
                    result.why = (f"the site ran on two nodes at once ({nodes}; "
                                  f"{len(twice)} samples)")
                gaps = drill.census.blind_gaps(result.start, result.end)
                if gaps and result.ok:
                    result.ok = False
                    result.why = (f"the census missed {max(gaps) * 1000:.0f} ms (> 100 ms) "
                                  "while the site moved")
            say(f"drill: {name}: {'PASS' if result.ok else 'FAIL: ' + result.why}")
        # once recovery is done the site must run somewhere
        if report.results and not drill.census.running_on(drill.census.sample()):
            last = report.results[-1]
            if last.ok and last.scenario != "node-returns":
                last.ok = False
                last.why = "the site runs nowhere at the end"
    finally:
        drill.census.stop()
    try:
        with open(lab.path("events.jsonl"), encoding="utf-8") as fh:
            report.events = [json.loads(line) for line in fh]
    except (OSError, ValueError):
        pass
    return report
