"""Shared test fixtures.

**Private /etc/hosts.** Site names must resolve forward and reverse to a local address
(``site create`` checks it through the real resolver). So that tests never touch the machine's
real ``/etc/hosts``, this module -- at import, while pytest is still single-threaded, through
support/hosts.py -- moves the test process into its own mount namespace
(``unshare(CLONE_NEWNS)``), makes every mount private (``mount --make-rprivate /``) and
bind-mounts a temporary hosts file over ``/etc/hosts``: the
machine's own lines plus `TEST_HOSTS`. Every process the tests start inherits the namespace, so
the CLI, the watcher and the simulated daemons see the same names. Nothing outside the test
session sees the change, and it disappears with the session. If the namespace cannot be made
(not root, no CAP_SYS_ADMIN), tests that need names are skipped (``support.hosts.needs_hosts``).

**Processes.** Every test that starts processes gets a hard timeout (``pytest.mark.timeout``)
and the ``reaper`` fixture, which at teardown SIGKILLs -- by pid, identity-checked -- whatever
the test started: processes carrying ``NQS_SITE=<a site the test used>``, watchers and CLI
processes it spawned (``reaper.popen``), keep-port holders under its root. Use ``poll_for``,
never a bare sleep.

Fixtures for other test files:

- ``engine_env``: a scratch spool root (``$JCCLUSTER_ROOT``), no common daemon.conf
  (``$JCCLUSTER_DAEMON_CONF``), node identity ``node-a`` (``$JCCLUSTER_NODE``); returns a
  namespace with ``root`` and ``tmp``.
- ``sim_site``: a created (not started) ``simulator`` site with a unique name and address per
  test (``SimSite``: ``.name``, ``.db``, ``.root``, ``.address``, ``.start()``, ``.stop()``,
  ``.status()``, ``.pid(role)``, ``.cli(...)``, ``.watch()`` (a foreground ``site start`` in a
  subprocess)). Adapter tests use it to run their generated scripts against a real site.
- ``bystander``: an unrelated process that records every catchable signal it receives; tests
  assert it was never signalled (``bystander.assert_untouched()``).
- ``poll_for(cond, timeout)``: wait for ``cond()`` to be truthy; returns its value.
**Skips fail the run.** A test that skips makes the session fail unless its node ID matches a
line of ``tests/skips.txt`` (``NODEID-OR-GLOB: reason``, ``#`` comments) whose reason is the
skip's reason, exactly; xfail and xpass likewise, on lines starting ``xfail `` / ``xpass ``.
CI prints the list: a skip is a test that did not run, and nobody reads ``-ra``. Set
``JCCLUSTER_SKIPS_FILE`` to use another list.

- ``jobcenter``: an emulated JobCenter installation (`jccluster simulator install`) with one
  unique site name resolving through its own ``$JCCLUSTER_HOSTS`` file
  (`support.jobcenter.Installation`); its environment is set in the test process too, so the
  engine runs it (``$JCCLUSTER_PREFIX``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from support.cli import jcc
from support.hosts import TEST_HOSTS, needs_hosts  # noqa: F401 - the private /etc/hosts
from support.procs import site_processes
from support.procs import start_time as _start_time
from support.sites import poll_for, unique_site  # shared with the test modules
from support.suite import register_root


@pytest.fixture(name="poll_for")
def _poll_for_fixture() -> Callable[..., Any]:
    return poll_for


# --- processes ---------------------------------------------------------------------------------


#: every process this session starts inherits this mark (the engine hands its environment on to
#: the daemons); with the session's private mount namespace (support/hosts.py), it tells the
#: session's processes from another run's on the same machine under the same site name (issue 28:
#: the reaper ended an operator's README tour of orange.example.com)
SESSION_MARK = "JCCTEST_SESSION"
os.environ.setdefault(SESSION_MARK, f"{os.getpid()}.{os.urandom(6).hex()}")


def _mount_ns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def of_this_session(pid: int) -> bool:
    """`pid` was started by this test session: it carries the session's mark, or it lives in the
    session's own private mount namespace (a process started with a scrubbed environment).
    Another run on the machine -- another clone's session, an operator's shell -- has neither."""
    from support.procs import environ

    if f"{SESSION_MARK}={os.environ[SESSION_MARK]}".encode() in environ(pid):
        return True
    own = _mount_ns(os.getpid())
    return own is not None and own != _mount_ns(1) and _mount_ns(pid) == own


def _kill_ident(pid: int, start: int | None) -> None:
    if pid <= 1 or pid == os.getpid():
        return
    if start is not None and _start_time(pid) != start:
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


@dataclass
class Reaper:
    """Kills what a test started, by pid, even when the test fails."""

    sites: set[str] = field(default_factory=set)
    roots: set[str] = field(default_factory=set)
    popens: list[subprocess.Popen[Any]] = field(default_factory=list)
    idents: list[tuple[int, int | None]] = field(default_factory=list)

    def site(self, name: str) -> str:
        self.sites.add(name)
        return name

    def track(self, pid: int) -> int:
        self.idents.append((pid, _start_time(pid)))
        return pid

    def popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(*args, **kwargs)
        self.popens.append(proc)
        return proc

    def site_pids(self) -> list[int]:
        """Processes of the tracked sites (by NQS_SITE marker, or the site name in the argv of a
        jobcenter_cluster process), zombies included -- this session's only (`of_this_session`):
        another run's processes under the same site name are none of the test's business."""
        found = (site_processes(s, zombies=True, named=True, program="jobcenter_cluster")
                 for s in self.sites)
        return [pid for pid in dict.fromkeys(pid for pids in found for pid in pids)
                if of_this_session(pid)]

    def cleanup(self) -> None:
        for proc in self.popens:
            if proc.poll() is None:
                proc.kill()
        for pid in self.site_pids():
            start = _start_time(pid)  # read before the check: a pid reused since is not killed
            if of_this_session(pid):
                _kill_ident(pid, start)
        for pid, start in self.idents:
            _kill_ident(pid, start)
        for root in self.roots:
            kp = os.path.join(root, ".jccluster", "keepport")
            if os.path.isdir(kp):
                import json

                for name in os.listdir(kp):
                    try:
                        with open(os.path.join(kp, name), encoding="utf-8") as fh:
                            rec = json.load(fh)
                        _kill_ident(int(rec["pid"]), int(rec["start"]))
                    except (OSError, ValueError, KeyError):
                        pass
        for proc in self.popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        # reap our own zombies (pytest may have become a parent of re-parented daemons)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    r = Reaper()
    try:
        yield r
    finally:
        r.cleanup()


@dataclass
class EngineEnv:
    tmp: str
    root: str
    node: str


@pytest.fixture
def engine_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, reaper: Reaper) -> EngineEnv:
    root = str(tmp_path / "spool")
    monkeypatch.setenv("JCCLUSTER_ROOT", root)
    monkeypatch.setenv("JCCLUSTER_DAEMON_CONF", str(tmp_path / "common-daemon.conf"))
    monkeypatch.setenv("JCCLUSTER_NODE", "node-a")
    monkeypatch.delenv("NQS_SITE", raising=False)
    monkeypatch.delenv("JCCLUSTER_SIM_FAULTS", raising=False)
    monkeypatch.delenv("JCCLUSTER_CONFIG", raising=False)
    reaper.roots.add(root)
    return EngineEnv(str(tmp_path), root, "node-a")


@dataclass
class SimSite:
    name: str
    address: str
    db: str
    root: str
    reaper: Reaper
    machine_id: int = 100

    def create(self, **kw: Any) -> Any:
        from jobcenter_cluster.engine import api

        return api.create(self.name, self.machine_id, self.db, root=self.root,
                          product="simulator", address=self.address, **kw)

    def start(self, mode: str = "no-watch", **kw: Any) -> Any:
        from jobcenter_cluster.engine import api

        return api.start(self.name, self.db, root=self.root, mode=mode, **kw)

    def stop(self, **kw: Any) -> Any:
        from jobcenter_cluster.engine import api

        return api.stop(self.name, root=self.root, **kw)

    def status(self) -> Any:
        from jobcenter_cluster.engine import api

        return api.status(self.name, root=self.root)

    def pid(self, role: str) -> int:
        """pid of a simulated daemon (as it recorded it under the database)."""
        path = os.path.join(self.db, "nqs", "sim", f"{role}.pid")
        return int(poll_for(lambda: os.path.exists(path) and open(path).read().strip(),
                            what=path))

    def cli(self, *args: str, env: dict[str, str] | None = None, **kw: Any
            ) -> subprocess.CompletedProcess[str]:
        """Run ``jccluster ARGS`` (support.cli.jcc) and wait for it."""
        return jcc(*args, env=env, timeout=60, **kw)

    def watch(self, *extra: str) -> subprocess.Popen[str]:
        """A foreground ``jccluster site start SITE DB`` (the watcher) in a subprocess."""
        return self.reaper.popen(
            [sys.executable, "-m", "jobcenter_cluster", "site", "start", *extra,
             self.name, self.db],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


@pytest.fixture
def sim_site(engine_env: EngineEnv, reaper: Reaper) -> SimSite:
    name, address = unique_site()
    reaper.site(name)
    site = SimSite(name, address, os.path.join(engine_env.tmp, "jobdb"), engine_env.root,
                   reaper)
    res = site.create()
    assert res.outcome.value == "success", res.message
    return site


@dataclass
class Bystander:
    """An unrelated process that records every catchable signal it receives."""

    proc: subprocess.Popen[bytes]
    log: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    def signals(self) -> list[str]:
        """The signals it recorded (not the test's markers)."""
        return [s for s in self._log() if s != "MARK"]

    def _log(self) -> list[str]:
        try:
            with open(self.log, encoding="utf-8") as fh:
                return fh.read().split()
        except FileNotFoundError:
            return []

    def assert_untouched(self) -> None:
        """Alive and never signalled -- proven, not hoped: it answers a marker signal (SIGWINCH)
        sent now. Pending signals are handled lowest number first and SIGWINCH is above every
        one the engine sends, so once the answer is in the log, a signal sent before it is too
        (or its default action killed the bystander), however late a loaded machine runs it."""
        marks = self._log().count("MARK")
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGWINCH)
        poll_for(lambda: self.proc.poll() is not None or self._log().count("MARK") > marks,
                 timeout=20, what=f"bystander {self.pid} answers the marker")
        assert self.proc.poll() is None, f"bystander {self.pid} died ({self.proc.returncode})"
        assert self.signals() == [], f"bystander {self.pid} got signals {self.signals()}"


_BYSTANDER = """
import signal, sys, os
log = sys.argv[1]
def rec(n, _f):
    with open(log, "a") as fh:
        fh.write(("MARK" if n == signal.SIGWINCH else signal.Signals(n).name) + "\\n")
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGQUIT, signal.SIGWINCH):  # SIGWINCH: the test's marker (assert_untouched)
    signal.signal(s, rec)
open(log + ".ready", "w").close()
while True:
    signal.pause()
"""


@pytest.fixture
def bystander(tmp_path: Any, reaper: Reaper) -> Iterator[Bystander]:
    log = str(tmp_path / "bystander.log")
    proc = reaper.popen([sys.executable, "-c", _BYSTANDER, log])
    poll_for(lambda: os.path.exists(log + ".ready"), what="bystander ready")
    b = Bystander(proc, log)
    yield b
    b.assert_untouched()


@pytest.fixture
def jobcenter(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, reaper: Reaper) -> Iterator[Any]:
    from support.jobcenter import Installation

    site, address = unique_site()
    reaper.site(site)
    inst = Installation.make(str(tmp_path), site, address)
    for key, value in inst.env.items():
        monkeypatch.setenv(key, value)
    for key in ("NQS_SITE", "JCCLUSTER_SIM_FAULTS", "JCCLUSTER_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("JCCLUSTER_NODE", "node-a")
    monkeypatch.setenv("JCCLUSTER_DAEMON_CONF", str(tmp_path / "common-daemon.conf"))
    reaper.roots.add(inst.root)
    yield inst
    kdir = os.path.join(inst.root, ".nqsportkpr")  # the emulated nqsportkpr's holders
    if os.path.isdir(kdir):
        for name in os.listdir(kdir):
            try:
                with open(os.path.join(kdir, name), encoding="ascii") as fh:
                    pid, start = (int(x) for x in fh.read().split())
                _kill_ident(pid, start)
            except (OSError, ValueError):
                pass


# --- skips, xfails and xpasses fail the run unless listed in tests/skips.txt ----------------------

SKIPS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "skips.txt")
#: what a line of the allow-list may allow: a skip (no prefix), an xfail, an xpass
KINDS = ("skip", "xfail", "xpass")
#: (kind, nodeid, reason) of every test that did not simply pass or fail, in this session
_NOT_RUN: list[tuple[str, str, str]] = []


def read_allowed_skips(path: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``(kind, pattern, reason)`` of every line of the allow-list, and the malformed lines.

    A line is ``[xfail |xpass ]NODEID-OR-GLOB: reason``: without a prefix it allows a skip. The
    reason is the outcome's exact reason text (``pytest.skip(REASON)``, ``xfail(reason=REASON)``):
    a line allows only that reason, so a test that starts skipping for another one fails the
    run even where a glob names it."""
    allowed: list[tuple[str, str, str]] = []
    bad: list[str] = []
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return [], []
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        kind, sep, rest = text.partition(" ")
        if not (sep and kind in KINDS[1:]):
            kind, rest = "skip", text
        nodeid, sep, reason = rest.partition(": ")
        if not sep or not nodeid.strip() or not reason.strip():
            bad.append(f"{path}:{n}: {text!r} (write '[xfail |xpass ]NODEID: reason')")
            continue
        allowed.append((kind, nodeid.strip(), reason.strip()))
    return allowed, bad


def _listed_reasons(allowed: list[tuple[str, str, str]], kind: str, nodeid: str) -> list[str]:
    """The reasons the allow-list gives for this kind of outcome of this test."""
    import fnmatch

    return [reason for k, pat, reason in allowed
            if k == kind and (nodeid == pat or fnmatch.fnmatchcase(nodeid, pat))]


def unlisted_skips(outcomes: list[tuple[str, str, str]], allowed: list[tuple[str, str, str]]
                   ) -> list[tuple[str, str, str]]:
    """The ``(kind, nodeid, reason)`` no line allows: a line allows one kind, node IDs matching
    its pattern (exactly or as a glob), and exactly its reason."""
    return [(kind, nodeid, why) for kind, nodeid, why in outcomes
            if why.strip() not in _listed_reasons(allowed, kind, nodeid)]


def _reason(report: Any) -> str:
    longrepr = report.longrepr
    why = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return str(why).removeprefix("Skipped: ")


def pytest_runtest_logreport(report: Any) -> None:
    wasxfail = getattr(report, "wasxfail", None)
    if wasxfail is not None:  # pytest.xfail("x") reports "reason: x"; the marker reports "x"
        why = str(wasxfail).removeprefix("reason: ")
        if report.skipped:
            _NOT_RUN.append(("xfail", report.nodeid, why))
        elif report.passed and report.when == "call":
            _NOT_RUN.append(("xpass", report.nodeid, why))
    elif report.skipped:
        _NOT_RUN.append(("skip", report.nodeid, _reason(report)))


def pytest_collectreport(report: Any) -> None:
    """A module that skips as a whole (``allow_module_level``, ``importorskip``); outside the
    rootdir its node ID is empty: the module's path stands for it."""
    if report.skipped:
        longrepr = report.longrepr
        where = longrepr[0] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
        _NOT_RUN.append(("skip", report.nodeid or str(where), _reason(report)))


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("JCCLUSTER_SKIPS_FILE") or SKIPS_FILE
    allowed, bad = read_allowed_skips(path)
    unlisted = unlisted_skips(_NOT_RUN, allowed)
    if not unlisted and not bad:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{len(unlisted)} test(s) skipped, xfailed or xpassed without being listed with "
             f"that reason in {path}:"]
    for kind, nodeid, why in unlisted:
        lines.append(f"  {kind} {nodeid}: {why}")
        lines += [f"    (listed with another reason: {r})"
                  for r in _listed_reasons(allowed, kind, nodeid)]
    lines += [f"malformed line {b}" for b in bad]
    lines.append("A skip is a test that did not run, an xfail or xpass one whose result is not "
                 "checked: make it run here, or list it with its exact reason in "
                 "tests/skips.txt.")
    if reporter is not None:
        reporter.write_sep("=", "unlisted skips", red=True)
        for line in lines:
            reporter.write_line(line)
    else:
        print("\n".join(lines), file=sys.stderr)
    if session.exitstatus == 0:
        session.exitstatus = 1


register_root(sys.modules[__name__])  # support.suite.root_conftest() finds this module
