"""The engine under a stateful fuzzer (issue 28): a hypothesis ``RuleBasedStateMachine`` that
drives the real ``jccluster`` CLI (the console script), the real engine and the simulator through
random sequences of operations and faults, and checks the engine's safety and truth rules after
every step.

One example is one fresh *world*: a spool root on a small tmpfs of its own (so "the spool root is
full" is a real ENOSPC; mounted inside the test session's private mount namespace, see
tests/conftest.py), two simulator sites A and B with sibling databases, and bystanders -- a
process carrying site A's marker ``NQS_SITE`` without being a member, one dressed up with
JobCenter's daemon name and A's marker, and one whose working directory is the *parent* of A's
database and which holds open a file whose path only shares A's database path as a string
prefix (``jobdb-a`` vs ``jobdb-a-x``).

PID namespace: the bounded run (test_fuzz.py) runs once, as a whole, in a private PID namespace
(``unshare --pid --fork --mount-proc``, pidinit.py its init); a namespace per command cost an
``unshare`` helper per command, too slow for a bounded run on 2 cores. Within it, like the
suite's ``reaper``, the machine only ever signals processes it started itself or processes of its
own sites (by the site's marker *and* its unique name), identity-checked; the long run
(benchmarks/fuzz_long.py) runs in the caller's namespace under the same rule.

Invariants (after every step; the numbers are issue 28's):

1. no bystander was signalled or died; the other site's live processes survived a step that
   acted on one site only;
2. while any process of a site lives (the site's marker, bystanders excluded), ``site status``
   never says stopped, and Pacemaker's monitor never answers 7;
3. after a stop that reported success, nothing of the site lives (zombies count as gone);
4. every agent's exit agrees with the failure table (`jobcenter_cluster.failures.expected`,
   for the situation the site's status shows) and with the vendor's spec written here: the OCF
   codes (resource-agents' "OCF Resource Agent API", section "Monitor": 0 OCF_SUCCESS = running,
   7 OCF_NOT_RUNNING = cleanly stopped, 1 OCF_ERR_GENERIC = failed) and VCS's MonitorProgram
   codes (Cluster Server Agent Developer's Guide, "About the monitor script exit codes": 110
   online, 100 offline); where the two disagree for Pacemaker the machine fails;
5. no command exits 70 (internal error) or prints a traceback, and none outlives its deadline;
6. nothing leaks at the end: no process of either site, no foreground watcher, no temporary
   file under the spool root.

Every step is appended to ``steps.py`` in the example's directory as a line of Python calling
the machine (``m.start('A', 'background')``); a failure's message names that file and its seed,
and ``benchmarks/fuzz_long.py --replay PATH`` (``replay(path)``) runs it again on a fresh world.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from jobcenter_cluster import failures, simulator
from jobcenter_cluster.engine import api, store
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import is_half_stopped
from support.cli import jcc_argv
from support.procs import alive, argv, environ, site_processes, start_time
from support.sites import poll_for, unique_site

#: OCF monitor codes (OCF Resource Agent API, "Monitor"; resource-agents ocf-returncodes)
OCF_SUCCESS, OCF_ERR_GENERIC, OCF_NOT_RUNNING = 0, 1, 7
#: VCS MonitorProgram codes (Agent Developer's Guide, "About the monitor script exit codes")
VCS_ONLINE, VCS_OFFLINE = 110, 100
#: what ``jccluster`` exits with on an internal error (EX_SOFTWARE)
EX_SOFTWARE = 70

#: the product's own verb for the monitor, as the failure table names it
MONITOR_VERB = {"pacemaker": "monitor", "veritas": "MonitorProgram"}


def spec_code(agent: str, outcome: Outcome) -> int:
    """The monitor's code from the vendor's spec alone (module doc, invariant 4)."""
    if agent == "pacemaker":
        return {Outcome.RUNNING: OCF_SUCCESS, Outcome.MAINTENANCE: OCF_SUCCESS,
                Outcome.STOPPED: OCF_NOT_RUNNING}.get(outcome, OCF_ERR_GENERIC)
    return VCS_ONLINE if outcome in (Outcome.RUNNING, Outcome.MAINTENANCE) else VCS_OFFLINE


def situation_of(st: Any) -> str | None:
    """The failure table's situation (`jobcenter_cluster.failures.SITUATIONS`) a status shows,
    or None where the table has no row (an unrecoverable database, an unreadable run file with
    nothing of the site alive).

    Half-stopped is the spec's own rule (`jobcenter_cluster.spec.is_half_stopped`): a stop
    recorded or left processes, *or the run file is unreadable while members live* -- nothing
    then says the site was not being stopped, and VCS must not read OFFLINE while they live
    (found by the long run, seed 28401: an emptied run file after a killed start)."""
    state = st.details.get("state")
    if is_half_stopped(st.outcome, st.details):
        return "half-stopped"
    if st.outcome == Outcome.RUNNING:
        return "start"
    if st.outcome == Outcome.MAINTENANCE:
        return "maintenance"
    if st.outcome == Outcome.STOPPED:
        return "never-seen"  # planned-stop's monitor code is the same (asserted in the test)
    if st.outcome == Outcome.FAILED and state in ("stopping", "stopped"):
        return "half-stopped"
    if st.outcome == Outcome.FAILED and state in ("running", "failed", "maintenance"):
        return "daemon-dies"  # watcher-dies' monitor code is the same (asserted in the test)
    return None


SITES = ("A", "B")
ROLES = ("nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "sclaunchd", "jnwcaster",
         "comagent")
FAULTS = ("ignore-term", "no-start", "double-fork", "double-fork=detach", "delay=1")
START_TIMEOUT = 4.0  # --timeout of every start (a no-start fault costs this much)
SPOOL_BYTES = 1 << 20

_BYSTANDER = r"""
import os, signal, sys, time
log, ready = sys.argv[1], sys.argv[2]
hold = sys.argv[3] if len(sys.argv) > 3 else None
fh_hold = open(hold, "a") if hold else None
def rec(n, _f):
    with open(log, "a") as fh:
        fh.write(("MARK" if n == signal.SIGWINCH else signal.Signals(n).name) + "\n")
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGQUIT, signal.SIGWINCH, signal.SIGCONT):
    signal.signal(s, rec)
open(ready, "w").close()
while True:
    signal.pause()
"""


class FuzzFailure(AssertionError):
    pass


def _startup_interrupt(err: str) -> bool:
    """A SIGINT that reached the interpreter while it was still starting -- importing modules,
    before any of the program ran -- prints Python's own KeyboardInterrupt traceback. No
    program can handle a signal before it runs: every frame of ours is then a module's top
    level (an import), none is a function of the program."""
    frames = [line for line in err.splitlines() if line.lstrip().startswith("File ")]
    ours = [f for f in frames if "/jobcenter_cluster/" in f or "/adapters/" in f]
    return (err.rstrip().endswith("KeyboardInterrupt") and bool(frames)
            and all(" in <module>" in f for f in ours))


@dataclass
class Site:
    label: str
    name: str
    address: str
    db: str
    stopped_pids: set[int] = field(default_factory=set)  # SIGSTOPped by the machine
    watcher: subprocess.Popen[bytes] | None = None  # a foreground `site start`
    watcher_err: str = ""


@dataclass
class Bystander:
    what: str
    proc: subprocess.Popen[bytes]
    log: str

    def signals(self) -> list[str]:
        try:
            with open(self.log, encoding="utf-8") as fh:
                return [s for s in fh.read().split() if s != "MARK"]
        except FileNotFoundError:
            return []


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def mount_tmpfs(path: str, size: int) -> bool:
    """A tmpfs of `size` bytes on `path` (the session's private mount namespace); False if it
    cannot be made (then "full spool" steps are skipped by their precondition)."""
    opts = f"size={size},mode=755".encode()
    return _libc().mount(b"tmpfs", path.encode(), b"tmpfs", 0, opts) == 0


def remount(path: str, size: int, *, readonly: bool) -> None:
    """Remount the tmpfs on `path` read-only or read-write."""
    ms_rdonly, ms_remount = 1, 32
    flags = ms_remount | (ms_rdonly if readonly else 0)
    opts = f"size={size},mode=755".encode()
    if _libc().mount(b"tmpfs", path.encode(), b"tmpfs", flags, opts) != 0:
        raise OSError(ctypes.get_errno(), f"remount {path}")


def umount(path: str) -> None:
    _libc().umount2(path.encode(), 2)  # MNT_DETACH


class SiteMachine(RuleBasedStateMachine):
    """One world per example (see the module's doc)."""

    #: set by the runner: where worlds are made, and the seed (for the failure message)
    base_dir: str = tempfile.gettempdir()
    seed: str = "derandomized"
    counter = 0
    totals: dict[str, int] = {"steps": 0, "examples": 0}  # noqa: RUF012 - shared on purpose

    def __init__(self) -> None:
        super().__init__()
        SiteMachine.counter += 1
        SiteMachine.totals["examples"] += 1
        self.dir = os.path.join(self.base_dir, f"world-{SiteMachine.counter}")
        os.makedirs(self.dir)
        self.root = os.path.join(self.dir, "spool")
        os.makedirs(self.root)
        self.tmpfs = mount_tmpfs(self.root, SPOOL_BYTES)
        self.filler = os.path.join(self.root, "filler")
        self.popens: list[subprocess.Popen[bytes]] = []
        self.bystanders: list[Bystander] = []
        self.steps_path = os.path.join(self.dir, "steps.py")
        self.steps: list[str] = []
        self.t0 = time.monotonic()
        with open(self.steps_path, "w", encoding="utf-8") as fh:
            fh.write(f"# fuzz world {SiteMachine.counter}, seed {self.seed}\n")
        self.env = dict(os.environ)
        self.env.update(JCCLUSTER_ROOT=self.root, JCCLUSTER_NODE="node-a",
                        JCCLUSTER_DAEMON_CONF=os.path.join(self.dir, "common-daemon.conf"))
        for key in ("NQS_SITE", "JCCLUSTER_SIM_FAULTS", "JCCLUSTER_CONFIG"):
            self.env.pop(key, None)
        self.sites: dict[str, Site] = {}
        self.nested = unique_site()  # a third name, for the refused nested database
        hosts = os.path.join(self.dir, "hosts")  # $JCCLUSTER_HOSTS (docs/simulator.md)
        for label in SITES:
            name, address = unique_site()
            self.sites[label] = Site(label, name, address,
                                     os.path.join(self.dir, f"jobdb-{label.lower()}"))
        with open(hosts, "w", encoding="utf-8") as fh:
            fh.writelines(f"{a} {n}\n" for n, a in
                          [*((s.name, s.address) for s in self.sites.values()), self.nested])
        self.env["JCCLUSTER_HOSTS"] = hosts
        for label, site in self.sites.items():
            self._cli_ok("site", "create", site.name, "100" if label == "A" else "101", site.db,
                         "--product", "simulator", expect=(0,))
        a = self.sites["A"]
        self._bystander("marker", {"NQS_SITE": a.name}, cwd=self.dir)
        self._bystander("named", {"NQS_SITE": a.name, "JCCLUSTER_NODE": "node-a"},
                        argv0="NQS nqsdaemon", cwd="/")
        prefix_twin = a.db + "-x"
        os.makedirs(prefix_twin)
        self._bystander("prefix-twin", {}, cwd=prefix_twin,
                        hold=os.path.join(prefix_twin, "open-file"))
        self.last_stop_ok: dict[str, bool] = {}

    # --- helpers ---------------------------------------------------------------------------------

    def _record(self, line: str) -> None:
        SiteMachine.totals["steps"] += 1
        self.steps.append(line)
        with open(self.steps_path, "a", encoding="utf-8") as fh:
            fh.write(f"m.{line}  # t={time.monotonic() - self.t0:.2f}\n")

    def fail(self, what: str) -> None:
        tail = "\n".join(f"    m.{s}" for s in self.steps[-15:])
        saved = os.path.join(self.base_dir, f"failure-{SiteMachine.counter}.py")
        shutil.copyfile(self.steps_path, saved)  # the world's directory goes at teardown
        text = (f"{what}\n  seed: {self.seed}; replay the {len(self.steps)} steps: "
                f"benchmarks/fuzz_long.py --replay {saved}\n  last steps:\n{tail}")
        with open(saved[:-3] + ".txt", "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        raise FuzzFailure(text)

    def _bystander(self, what: str, env: dict[str, str], *, cwd: str, argv0: str | None = None,
                   hold: str | None = None) -> None:
        log = os.path.join(self.dir, f"bystander-{what}.log")
        ready = log + ".ready"
        full = {k: v for k, v in self.env.items() if k != "JCCLUSTER_ROOT"}
        full.update(env)
        args = [argv0 or sys.executable, "-c", _BYSTANDER, log, ready, *([hold] if hold else [])]
        proc = subprocess.Popen(args, executable=sys.executable, env=full, cwd=cwd,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.popens.append(proc)
        poll_for(lambda: os.path.exists(ready), timeout=20, what=f"bystander {what}")
        self.bystanders.append(Bystander(what, proc, log))

    def _check_output(self, args: tuple[str, ...], rc: int | None, err: str,
                      sig: str | None = None) -> None:
        if sig == "SIGINT" and _startup_interrupt(err):
            return
        if rc == EX_SOFTWARE or "Traceback (most recent call last)" in err:
            self.fail(f"internal error from jccluster {' '.join(args)} (exit {rc}):\n{err}")

    def _cli(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        try:
            res = subprocess.run(jcc_argv(*args), capture_output=True, text=True, env=self.env,
                                 timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail(f"jccluster {' '.join(args)} hung past {timeout}s")
            raise
        self._check_output(args, res.returncode, res.stderr)
        return res

    def _cli_ok(self, *args: str, expect: tuple[int, ...]) -> subprocess.CompletedProcess[str]:
        res = self._cli(*args)
        if res.returncode not in expect:
            self.fail(f"jccluster {' '.join(args)} exited {res.returncode}, not {expect}:\n"
                      f"{res.stdout}{res.stderr}")
        return res

    def _popen(self, *args: str, err: str) -> subprocess.Popen[bytes]:
        with open(err, "wb") as fh:
            proc = subprocess.Popen(jcc_argv(*args), env=self.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=fh)
        self.popens.append(proc)
        return proc

    def _live(self, site: Site) -> list[int]:
        """Live processes carrying the site's marker, bystanders left out."""
        mine = {b.proc.pid for b in self.bystanders}
        return [p for p in site_processes(site.name) if p not in mine]

    def _status(self, site: Site) -> Any:
        """The engine's status in-process, as the commands see it (their node identity)."""
        assert os.environ.get("JCCLUSTER_NODE") == self.env["JCCLUSTER_NODE"], \
            "run the machine with JCCLUSTER_NODE=node-a (test_fuzz.py, fuzz_long.py)"
        return api.status(site.name, root=self.root)

    def _own(self, site: Site, pid: int) -> bool:
        """`pid` is a live process of this machine's site (its marker), never a bystander."""
        return (pid > 1 and alive(pid) and f"NQS_SITE={site.name}".encode() in environ(pid)
                and pid not in {b.proc.pid for b in self.bystanders})

    def _daemon_pid(self, site: Site, role: str) -> int | None:
        try:
            with open(os.path.join(site.db, "nqs", "sim", f"{role}.pid"), encoding="ascii") as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if self._own(site, pid) else None

    def _others_snapshot(self, label: str) -> dict[str, list[tuple[int, int | None, str]]]:
        return {o: [(p, start_time(p), " ".join(argv(p)[:3])) for p in self._live(s)]
                for o, s in self.sites.items() if o != label}

    def _others_intact(self, snap: dict[str, list[tuple[int, int | None, str]]]) -> None:
        for other, idents in snap.items():
            gone = [(p, what) for p, t, what in idents
                    if (start_time(p) != t or not alive(p))
                    and "jobcenter_cluster.simulator" not in what]  # its launcher exits
            if gone:
                self.fail(f"site {other}'s processes {gone} died while the step acted on "
                          "another site")

    def _after_stop(self, site: Site, rc: int, out: str) -> None:
        self.last_stop_ok[site.label] = rc == 0
        if rc == 0:
            left = self._live(site)
            if left:
                desc = [(p, argv(p)[:1]) for p in left]
                self.fail(f"stop of {site.label} reported success but {desc} live\n{out}")
            site.stopped_pids.clear()
        self._reap_watcher(site)

    def _reap_watcher(self, site: Site, wait: float = 0.0) -> None:
        w = site.watcher
        if w is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            w.wait(timeout=wait)
        if w.returncode is not None:
            with open(site.watcher_err, encoding="utf-8", errors="replace") as fh:
                err = fh.read()
            self._check_output(("site", "start", site.name), w.returncode, err)
            site.watcher = None

    # --- rules: lifecycle --------------------------------------------------------------------------

    @rule(label=st.sampled_from(SITES), mode=st.sampled_from(("no-watch", "background")))
    def start(self, label: str, mode: str) -> None:
        self._record(f"start({label!r}, {mode!r})")
        site = self.sites[label]
        snap = self._others_snapshot(label)
        res = self._cli("site", "start", f"--{mode}", "--timeout", str(START_TIMEOUT), site.name,
                        site.db, timeout=START_TIMEOUT * 3 + 30)
        if res.returncode == 0:
            st_ = self._status(site)
            if st_.outcome not in (Outcome.RUNNING, Outcome.MAINTENANCE):
                self.fail(f"start --{mode} of {label} answered 0 but status says "
                          f"{st_.outcome.value}: {st_.message}\n{res.stdout}{res.stderr}")
        self._others_intact(snap)

    @precondition(lambda self: any(s.watcher is None for s in self.sites.values()))
    @rule(label=st.sampled_from(SITES))
    def start_foreground(self, label: str) -> None:
        site = self.sites[label]
        if site.watcher is not None:
            return
        self._record(f"start_foreground({label!r})")
        snap = self._others_snapshot(label)
        site.watcher_err = os.path.join(self.dir, f"watcher-{label}-{len(self.steps)}.err")
        site.watcher = self._popen("site", "start", "--timeout", str(START_TIMEOUT), site.name,
                                   site.db, err=site.watcher_err)
        w = site.watcher
        # until this watcher watches (status names it, the bring-up is over) or it has ended
        # ("already running": another watcher has the site); a status of RUNNING alone may be
        # another watcher's, and a step taken then would race this start's own bring-up. While
        # a start is under way (state starting, its starter alive) status says stopped by
        # design (docs/engine.md "Outcomes"): the machine checks between steps, not inside one.
        def settled() -> bool:
            st_ = self._status(site)
            return st_.watcher_pid == w.pid and st_.details.get("state") != "starting"

        poll_for(lambda: w.poll() is not None or settled(),
                 timeout=START_TIMEOUT + 30, what=f"foreground start of {label}")
        self._reap_watcher(site)
        self._others_intact(snap)

    @rule(label=st.sampled_from(SITES), timeout=st.sampled_from(("0.3", "2", "10")))
    def stop(self, label: str, timeout: str) -> None:
        self._record(f"stop({label!r}, {timeout!r})")
        site = self.sites[label]
        snap = self._others_snapshot(label)
        # the lock wait and the kill phase may each take the deadline, plus the interpreter
        res = self._cli("site", "stop", site.name, "--timeout", timeout,
                        timeout=2 * float(timeout) + 20)
        self._after_stop(site, res.returncode, res.stdout + res.stderr)
        if res.returncode == 0 and site.watcher is not None:
            self._reap_watcher(site, wait=10)
            if site.watcher is not None:
                self.fail(f"the foreground watcher of {label} outlived a successful stop")
        self._others_intact(snap)

    @rule(label=st.sampled_from(SITES), agent=st.sampled_from(("pacemaker", "veritas")))
    def monitor(self, label: str, agent: str) -> None:
        """Invariant 4: the agent's code is the failure table's for the situation the site is in
        (`jobcenter_cluster.failures.expected`), and the vendor's spec says the same: OCF 0/7/1,
        VCS 110 online / 100 offline (read around the call: a site that changed under the
        monitor gets no verdict)."""
        self._record(f"monitor({label!r}, {agent!r})")
        site = self.sites[label]
        before = self._status(site)
        res = self._cli("agent", agent, "monitor", site.name, "--root", self.root)
        after = self._status(site)
        if (before.outcome, before.details.get("state")) != (after.outcome,
                                                            after.details.get("state")):
            return
        situation = situation_of(before)
        spec = spec_code(agent, before.outcome)
        want = spec
        if situation is not None:
            want = failures.expected(agent, "jccluster", situation, MONITOR_VERB[agent])
            if agent == "pacemaker" and want != spec:
                self.fail(f"the failure table ({situation}: {want}) and the OCF spec ({spec}) "
                          f"disagree for pacemaker monitor of a {before.outcome.value} site")
        if res.returncode != want:
            self.fail(f"agent {agent} monitor {label} exited {res.returncode}; for a "
                      f"{before.outcome.value} site ({situation or 'no table row'}: "
                      f"{before.message}) the table and spec say {want}\n{res.stdout}{res.stderr}")

    @rule(label=st.sampled_from(SITES))
    def status(self, label: str) -> None:
        self._record(f"status({label!r})")
        site = self.sites[label]
        res = self._cli("site", "status", site.name, "--json")
        try:
            data = json.loads(res.stdout)
        except ValueError:
            self.fail(f"site status --json printed no JSON:\n{res.stdout}{res.stderr}")
            return
        codes = {"running": 0, "maintenance": 0, "stopped": 3, "failed": 1, "unrecoverable": 5}
        want = codes.get(data.get("outcome"))
        if want is not None and res.returncode != want:
            self.fail(f"site status said {data.get('outcome')} but exited {res.returncode}")

    @rule()
    def ls(self) -> None:
        self._record("ls()")
        self._cli("site", "ls")

    @rule(label=st.sampled_from(SITES))
    def create_again(self, label: str) -> None:
        """Re-running create with the same arguments repairs only (0); while running, too."""
        self._record(f"create_again({label!r})")
        site = self.sites[label]
        self._cli("site", "create", site.name, "100" if label == "A" else "101", site.db,
                  "--product", "simulator")

    @rule()
    def create_nested(self) -> None:
        """A database inside A's is refused (2) and touches nothing."""
        self._record("create_nested()")
        self._cli_ok("site", "create", self.nested[0], "102",
                     os.path.join(self.sites["A"].db, "inner"), "--product", "simulator",
                     expect=(2,))

    # --- rules: faults -----------------------------------------------------------------------------

    @rule(label=st.sampled_from(SITES), role=st.sampled_from(ROLES),
          sig=st.sampled_from(("SIGKILL", "SIGSTOP", "SIGCONT")))
    def signal_daemon(self, label: str, role: str, sig: str) -> None:
        self._record(f"signal_daemon({label!r}, {role!r}, {sig!r})")
        site = self.sites[label]
        pid = self._daemon_pid(site, role)
        if pid is None:
            return
        snap = self._others_snapshot(label)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, getattr(signal, sig))
        if sig == "SIGKILL":
            # delivered is not yet acted on: a daemon SIGKILL ends still reads as alive for a
            # moment, and dying inside the next step it would be blamed on that step (the long
            # run's seed 28416: "site A's processes [comagent] died while the step acted on
            # another site" right after this rule killed A's comagent)
            poll_for(lambda: not alive(pid), timeout=10, what=f"{role} {pid} ends on SIGKILL")
        if sig == "SIGSTOP":
            site.stopped_pids.add(pid)
        elif sig == "SIGCONT":
            site.stopped_pids.discard(pid)
        self._others_intact(snap)

    @rule(label=st.sampled_from(SITES),
          sig=st.sampled_from(("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGQUIT")))
    def signal_watcher(self, label: str, sig: str) -> None:
        """Any watcher of the site (recorded in the run file), identity-checked."""
        self._record(f"signal_watcher({label!r}, {sig!r})")
        site = self.sites[label]
        run = store.read_run(self.root, site.name) or {}
        w = run.get("watcher")
        if not (isinstance(w, list) and len(w) == 2 and all(isinstance(x, int) for x in w)):
            return
        pid, start = w
        if start_time(pid) != start or site.name not in argv(pid):
            return  # not (or no longer) our watcher: never signal it
        os.kill(pid, getattr(signal, sig))
        poll_for(lambda: not alive(pid) or sig not in ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP"),
                 timeout=15, what=f"watcher {pid} ends on {sig}")
        self._reap_watcher(site, wait=5 if site.watcher is not None else 0)

    @rule(label=st.sampled_from(SITES),
          command=st.sampled_from(("stop", "no-watch", "background")),
          sig=st.sampled_from(("SIGKILL", "SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGQUIT")),
          delay=st.sampled_from((0.05, 0.3, 0.8)))
    def interrupt_command(self, label: str, command: str, sig: str, delay: float) -> None:
        """A start or stop killed or signalled mid-way (an interrupted stop, a Ctrl-C...)."""
        self._record(f"interrupt_command({label!r}, {command!r}, {sig!r}, {delay!r})")
        site = self.sites[label]
        snap = self._others_snapshot(label)
        args = (("site", "stop", site.name, "--timeout", "5") if command == "stop" else
                ("site", "start", f"--{command}", "--timeout", str(START_TIMEOUT), site.name,
                 site.db))
        err = os.path.join(self.dir, f"interrupted-{len(self.steps)}.err")
        proc = self._popen(*args, err=err)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=delay)  # the fault's timing: let it get part-way
        if proc.returncode is None:
            proc.send_signal(getattr(signal, sig))
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.fail(f"jccluster {' '.join(args)} did not end within 30 s of {sig}")
            return
        with open(err, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        self._check_output(args, rc, text, sig)
        if command == "stop":
            self._after_stop(site, rc, text)
        self._others_intact(snap)

    @rule(label=st.sampled_from(SITES), a=st.sampled_from(("stop", "no-watch", "background")),
          b=st.sampled_from(("stop", "no-watch", "background", "status")))
    def concurrent(self, label: str, a: str, b: str) -> None:
        """Two commands on the same site at once: the lock orders them; nothing breaks."""
        self._record(f"concurrent({label!r}, {a!r}, {b!r})")
        site = self.sites[label]
        snap = self._others_snapshot(label)
        procs = []
        for i, cmd in enumerate((a, b)):
            args = (("site", "stop", site.name, "--timeout", "5") if cmd == "stop" else
                    ("site", "status", site.name) if cmd == "status" else
                    ("site", "start", f"--{cmd}", "--timeout", str(START_TIMEOUT), site.name,
                     site.db))
            err = os.path.join(self.dir, f"concurrent-{len(self.steps)}-{i}.err")
            procs.append((cmd, args, err, self._popen(*args, err=err)))
        last_stop = None
        for cmd, args, err, proc in procs:
            try:
                rc = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                self.fail(f"jccluster {' '.join(args)} hung (run concurrently)")
                return
            with open(err, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            self._check_output(args, rc, text)
            if cmd == "stop":
                last_stop = (rc, text)
        if last_stop is not None and not {a, b} - {"stop", "status"}:
            self._after_stop(site, *last_stop)  # only stops ran: their success must hold
        self._others_intact(snap)

    @rule(label=st.sampled_from(SITES), role=st.sampled_from(ROLES), fault=st.sampled_from(FAULTS))
    def set_fault(self, label: str, role: str, fault: str) -> None:
        """A simulator fault for the site's next start (docs/simulator.md, "Faults")."""
        self._record(f"set_fault({label!r}, {role!r}, {fault!r})")
        simulator.set_fault(self.sites[label].db, role, fault)

    @rule(label=st.sampled_from(SITES))
    def clear_faults(self, label: str) -> None:
        self._record(f"clear_faults({label!r})")
        simulator.clear_faults(self.sites[label].db)

    @rule(label=st.sampled_from(SITES), kind=st.sampled_from(("empty", "garbage", "forged")))
    def corrupt_run_file(self, label: str, kind: str) -> None:
        """An empty, corrupt or forged run file. The forged one names the bystanders as the
        site's watcher and daemons (with their true start times): no member proof, so nothing
        may signal them."""
        self._record(f"corrupt_run_file({label!r}, {kind!r})")
        site = self.sites[label]
        path = store.run_path(self.root, site.name)
        if kind == "forged":
            run = store.read_run(self.root, site.name) or {
                "site": site.name, "database": site.db, "state": "running"}
            fakes = [[b.proc.pid, start_time(b.proc.pid)] for b in self.bystanders]
            run["watcher"] = fakes[0]
            run["daemons"] = {r: fakes[i % len(fakes)] for i, r in enumerate(ROLES)}
            run["members"] = fakes
            data = json.dumps(run)
        else:
            data = "" if kind == "empty" else '{"state": "running", "daemons": [1, 2'
        with contextlib.suppress(OSError):  # a full spool root: the fault does not happen
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".fuzz", "w", encoding="utf-8") as fh:
                fh.write(data)
            os.replace(path + ".fuzz", path)

    @precondition(lambda self: self.tmpfs)
    @rule(full=st.booleans())
    def spool_full(self, full: bool) -> None:
        """Fill the spool root's tmpfs to the last byte (ENOSPC), or free it."""
        self._record(f"spool_full({full!r})")
        if not full:
            with contextlib.suppress(OSError):  # none, or read-only now: stays as it is
                os.unlink(self.filler)
            return
        try:
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError:  # read-only: it cannot be filled more than it is
            return
        try:
            for size in (65536, 1):  # to the last byte
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * size)
        finally:
            os.close(fd)

    @precondition(lambda self: self.tmpfs)
    @rule(readonly=st.booleans())
    def spool_readonly(self, readonly: bool) -> None:
        """Remount the spool root's tmpfs read-only (a file system turned read-only), or back."""
        self._record(f"spool_readonly({readonly!r})")
        remount(self.root, SPOOL_BYTES, readonly=readonly)

    # --- invariants --------------------------------------------------------------------------------

    @invariant()
    def bystanders_untouched(self) -> None:
        for b in self.bystanders:
            if b.proc.poll() is not None:
                self.fail(f"bystander {b.what} (pid {b.proc.pid}) died ({b.proc.returncode})")
            if b.signals():
                self.fail(f"bystander {b.what} (pid {b.proc.pid}) got signals {b.signals()}")

    @invariant()
    def never_stopped_while_alive(self) -> None:
        for label, site in self.sites.items():
            self._reap_watcher(site)
            live = self._live(site)
            if not live:
                continue
            st_ = self._status(site)
            if st_.details.get("state") == "starting" and st_.message == "starting":
                # a start under way (its starter lives: a detached watcher whose caller was
                # interrupted) reads stopped by design; judge once it has settled
                st_ = poll_for(lambda s=site: (t := self._status(s)).message != "starting" and t,
                               timeout=START_TIMEOUT + 20, what=f"the start of {label} settles")
                live = self._live(site)
            if st_.outcome == Outcome.STOPPED and live:
                if not self._live(site):  # ended between the reads
                    continue
                desc = [(p, argv(p)[:1]) for p in live]
                self.fail(f"status of {label} says stopped ({st_.message}) while {desc} live")

    @invariant()
    def no_temp_files(self) -> None:
        """No command runs between steps (a foreground watcher may be writing: give it 5 s)."""
        now = time.time()
        for dirpath, _dirs, files in os.walk(os.path.join(self.root, ".jccluster")):
            for name in files:
                path = os.path.join(dirpath, name)
                if ".tmp" in name:
                    with contextlib.suppress(FileNotFoundError):
                        if now - os.stat(path).st_mtime > 5:
                            self.fail(f"temporary file left behind: {path}")

    # --- the end of a world ------------------------------------------------------------------------

    def teardown(self) -> None:
        problems: list[str] = []
        try:
            if self.tmpfs:
                remount(self.root, SPOOL_BYTES, readonly=False)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.filler)
            for site in self.sites.values():
                for pid in list(site.stopped_pids):
                    if self._own(site, pid) or not alive(pid):
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGCONT)
                res = subprocess.run(jcc_argv("site", "stop", site.name, "--timeout", "10"),
                                     capture_output=True, text=True, env=self.env, timeout=60)
                if res.returncode == EX_SOFTWARE or "Traceback" in res.stderr:
                    problems.append(f"final stop of {site.label}: internal error {res.stderr}")
                if res.returncode != 0:
                    problems.append(f"final stop of {site.label} exited {res.returncode}: "
                                    f"{res.stdout}{res.stderr}")
                left = self._live(site)
                if left:
                    problems.append(f"{site.label}: {left} live after the final stop")
                self._reap_watcher(site, wait=10)
                if site.watcher is not None:
                    problems.append(f"{site.label}: foreground watcher outlived the final stop")
            for b in self.bystanders:
                if b.proc.poll() is not None or b.signals():
                    problems.append(f"bystander {b.what}: {b.proc.returncode} {b.signals()}")
            for dirpath, _dirs, files in os.walk(self.root):
                problems += [f"temporary file {os.path.join(dirpath, n)}" for n in files
                             if ".tmp" in n]
        finally:
            self._kill_everything()
        try:
            if problems:
                self.fail("at the end of the world (invariant 6):\n  " + "\n  ".join(problems))
        finally:
            if os.environ.get("JCCLUSTER_FUZZ_KEEP") != "1":
                shutil.rmtree(self.dir, ignore_errors=True)

    def _kill_everything(self) -> None:
        """The reaper's rule: only what this world started, identity-checked by its marker."""
        for proc in self.popens:
            if proc.poll() is None:
                proc.kill()
        for site in self.sites.values():
            for pid in site_processes(site.name, zombies=True, named=True,
                                      program="jobcenter_cluster"):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for proc in self.popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        while True:  # the session may have inherited re-parented daemons
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if self.tmpfs:
            umount(self.root)


def replay(path: str, base_dir: str | None = None) -> None:
    """Run a saved ``steps.py`` (one ``m.rule(args)`` per line) on a fresh world."""
    if base_dir is not None:
        SiteMachine.base_dir = base_dir
    m = SiteMachine()
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    exec(line, {"m": m})  # noqa: S102 - our own step log
                    m.bystanders_untouched()
                    m.never_stopped_while_alive()
                    m.no_temp_files()
    finally:
        m.teardown()
