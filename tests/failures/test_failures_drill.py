"""The drill matrix (issue 20): every POSIX adapter × both supervisors × every situation of the
failure table, run against a real site -- the simulator site (`sim_site`) under supervisor
"jccluster", a site of the emulated JobCenter installation (`jobcenter`) under "cjcpw" -- with
the adapter's rendered artifacts run as the product runs them (drivers.py).

Each case reads its expected exits from the failure table (`jobcenter_cluster.failures`): the
situation is set up, then the row's actions run in the row's order and each must exit what the
row says; rows that leave the site stopped also require that nothing of it is left. The table
and the tests cannot drift: there is no other list of expected codes here.

Faults: a killed daemon or watcher (SIGKILL); the site's lock held by another start past the
stop's deadline (jccluster) or ``JCCLUSTER_SIM_FAULTS=cjcpw-stop=fail`` (``cjcpw -stop`` exits 1
doing nothing) for a stop that cannot run; a process SIGKILL cannot end (frozen in a cgroup-v1 freezer, thawed in the
teardown); ``DAEMON=ignore-term`` and a stop killed half-way; ``maintenance=ON`` in the site's
daemon.conf; an empty spool root and a missing database for a node that never saw the site; a
site name that does not resolve.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from drivers import DRIVERS, Driver, kill_group

from jobcenter_cluster import failures
from jobcenter_cluster.engine import store
from jobcenter_cluster.failures import RUNS
from support.procs import alive as _alive
from support.sites import poll_for as wait_for

pytestmark = pytest.mark.timeout(150)

DRILLED = [a for a in failures.ADAPTERS if failures.PRODUCTS[a].drilled]
#: situations whose failure a monitor sees only once the watcher noticed it (cjcpw checks
#: its daemons periodically): the monitor is asked until it stops reading "running", as the
#: product asks it every interval
NOTICED = ("daemon-dies", "watcher-dies")
FREEZER = Path("/sys/fs/cgroup/freezer")
#: the daemon the drill makes unkillable, and the one that ignores SIGTERM
FROZEN, STUBBORN = "logdaemon", "logdaemon"

CASES = [pytest.param(a, s, sit, id=f"{a}-{s}-{sit}")
         for a in DRILLED for s in failures.SUPERVISORS for sit in failures.SITUATIONS]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(name="site")
def _site(request: pytest.FixtureRequest, reaper: Any) -> Any:
    """The case's site: the simulator's (jccluster) or the emulated installation's (cjcpw)."""
    if request.node.callspec.params["supervisor"] == "jccluster":
        return request.getfixturevalue("sim_site")
    from harness import E2ESite

    inst = request.getfixturevalue("jobcenter")
    inst.mksite()
    return E2ESite(inst.site, inst.address, inst.db, inst.root, inst.prefix, reaper, inst.mid)


class Freezer:
    """A cgroup-v1 freezer: its frozen tasks do not die of SIGKILL until thawed. (cgroup v2's
    ``cgroup.freeze`` lets SIGKILL through, so it cannot stand in: tried, the task died.)"""

    def __init__(self, name: str) -> None:
        if not FREEZER.is_dir():
            raise AssertionError(f"{FREEZER} is not mounted: the stop-leaves-processes drill "
                                 "needs cgroup v1's freezer (mount -t cgroup -o freezer)")
        self.top = FREEZER
        self.path = self.top / name
        self.path.mkdir()

    def _state(self, frozen: bool) -> None:
        (self.path / "freezer.state").write_text("FROZEN" if frozen else "THAWED")

    def freeze(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))
        self._state(True)

    def thaw(self) -> None:
        """Thaw (a pending SIGKILL then takes effect), move what lives back out, remove."""
        with contextlib.suppress(OSError):
            self._state(False)

        def removed() -> bool:
            with contextlib.suppress(OSError):
                for pid in (self.path / "cgroup.procs").read_text().split():
                    (self.top / "cgroup.procs").write_text(pid)
            try:
                self.path.rmdir()
            except OSError as err:
                return err.errno != errno.EBUSY
            return True

        wait_for(removed, timeout=10, interval=0.05, what=f"{self.path} removed")


def _left(drv: Driver) -> list[str]:
    return drv.case.left()


# --- the situations -----------------------------------------------------------------------------


def _start(drv: Driver) -> None:
    """Bring the site up as the product does (the "start" row's actions); the start row itself
    asserts their exits."""
    for action in drv.start_actions:
        want = failures.row(drv.adapter, drv.supervisor, "start").exits[action]
        got = drv.do(action, want)
        assert got == want, f"starting for the drill: {action} exited {got}, the table {want}"
    drv.wait_up()


def _kill_all(drv: Driver) -> None:
    """SIGKILL every process of the site -- not the product's stand-ins that watch them."""
    for line in _left(drv):
        if str(drv.case.rec.bin) in line:
            continue
        with contextlib.suppress(OSError):
            os.kill(int(line.split()[0]), signal.SIGKILL)


def _interrupt_stop(drv: Driver, poll_for: Any) -> None:
    """Run the planned stop and kill it once SIGTERM went out (nqsdaemon is gone) while the
    SIGTERM-ignoring daemon lives."""
    stubborn = drv.site.pid(STUBBORN)
    drv.stop_watching()
    proc = drv.popen(drv.argv(drv.stop_action), **drv.env_for(drv.stop_action))
    nqs = drv.site.pid("nqsdaemon")
    poll_for(lambda: not _alive(nqs) or proc.poll() is not None, timeout=30,
             what="the stop sent SIGTERM")
    kill_group(proc)
    assert _alive(stubborn), "the daemon that ignores SIGTERM must have outlived the stop"


def _noticed(drv: Driver, action: str, want: Any, running: frozenset[int], poll_for: Any) -> Any:
    """The monitor's first answer that is not "running" (within 10 s), else its last one."""
    seen: list[Any] = []

    def changed() -> bool:
        seen.append(drv.do(action, want))
        return seen[-1] not in running

    with contextlib.suppress(AssertionError):
        poll_for(changed, timeout=10, interval=0.1, what=f"{action} notices the failure")
    return seen[-1]


@pytest.mark.parametrize(("adapter", "supervisor", "situation"), CASES)
def test_drill(adapter, supervisor, situation, site, tmp_path, poll_for, reaper):
    row = failures.row(adapter, supervisor, situation)
    if not row.exits:  # the table says the adapter refuses this supervisor: rendering must
        from jobcenter_cluster.errors import ConfigError

        with pytest.raises(ConfigError):
            DRIVERS[adapter](supervisor, site, tmp_path, poll_for)
        return
    freezer, drv = None, None
    try:
        drv, freezer = _setup(adapter, supervisor, situation, site, tmp_path, poll_for)
        got: dict[str, Any] = {}
        product = failures.PRODUCTS[adapter]
        starts = [a for a in row.exits if a in drv.start_actions]
        last_start = starts[-1] if starts else None
        for action, want in row.exits.items():
            if action in product.monitors and situation in NOTICED:
                got[action] = _noticed(drv, action, want, product.running[action], poll_for)
            else:
                got[action] = drv.do(action, want)
            if action == last_start and want in (0, RUNS) and got[action] == want \
                    and situation != "bad-input":
                drv.wait_up()  # the product's monitor waits for the start to settle
        assert got == dict(row.exits), (
            f"{adapter}/{supervisor}/{situation}: got {got}, the failure table says "
            f"{dict(row.exits)}\n{drv.output()}")
        if any(row.exits[a] in product.stopped[a] for a in row.exits if a in product.stops):
            # a stop that reports success leaves nothing of the site (rule 1, checked live)
            poll_for(lambda: not _left(drv), timeout=15, what=f"nothing left: {_left(drv)}")
    finally:
        for undo in drv.cleanups if drv is not None else ():
            undo()
        if freezer is not None:
            freezer.thaw()
        _cleanup(site)


def _setup(adapter: str, supervisor: str, situation: str, site: Any, tmp: Path,
           poll_for: Any) -> tuple[Driver, Freezer | None]:
    cls = DRIVERS[adapter]
    freezer = None
    if situation == "bad-input":
        site = _Renamed(site, f"nosuch-{os.getpid()}-{time.monotonic_ns() % 10**6}.invalid.example")
    if situation == "never-seen":
        site = _NeverSeen(site, tmp)
    drv = cls(supervisor, site, tmp, poll_for)
    if supervisor == "cjcpw":  # a cjcpw -c that waits for daemons gives up sooner than 30 s
        drv.extra["JCCLUSTER_SIM_START_SECONDS"] = "10"
    if situation == "never-seen":
        drv.extra["JCCLUSTER_ROOT"] = site.root
    if situation == "maintenance":
        etc = Path(site.db) / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "daemon.conf").write_text("maintenance=ON\n")
        drv.maintenance = True
        return drv, None
    if situation == "half-stopped":
        drv.extra["JCCLUSTER_SIM_FAULTS"] = f"{STUBBORN}=ignore-term"
    if situation in ("start", "maintenance", "never-seen", "bad-input"):
        return drv, None
    _start(drv)
    if situation == "daemon-dies":
        drv.case.kill_daemon()
    elif situation == "watcher-dies":
        os.kill(drv.watcher(), signal.SIGKILL)
    elif situation == "stop-cannot-run":
        if supervisor == "cjcpw":
            drv.extra["JCCLUSTER_SIM_FAULTS"] = "cjcpw-stop=fail"
        else:  # another start holds the site's lock past the stop's deadline
            lock = store.site_lock(site.root, site.name, 5)
            lock.__enter__()
            drv.cleanups.append(lambda: lock.__exit__(None, None, None))
    elif situation == "stop-leaves-processes":
        freezer = Freezer(f"jcdrill-{os.getpid()}-{time.monotonic_ns()}")
        freezer.freeze(site.pid(FROZEN))
    elif situation == "down-cjcpw-stop-fails":
        _kill_all(drv)
        poll_for(lambda: not _left(drv), timeout=15, what="the site crashed")
        if drv.watched:
            poll_for(lambda: drv.watched_status() is not None, timeout=15, what="watched ends")
        drv.extra["JCCLUSTER_SIM_FAULTS"] = "cjcpw-stop=fail"
    elif situation == "half-stopped":
        _interrupt_stop(drv, poll_for)
    return drv, freezer


def _cleanup(site: Any) -> None:
    """Nothing of the site survives the case (the reaper and the fixtures do the rest)."""
    from harness import site_leftovers

    for line in site_leftovers(site.name, site.db):
        with contextlib.suppress(OSError):
            os.kill(int(line.split()[0]), signal.SIGKILL)


class _Renamed:
    """The case's site under a name that resolves nowhere (bad input)."""

    def __init__(self, site: Any, name: str) -> None:
        self._site, self.name = site, name

    def __getattr__(self, key: str) -> Any:
        return getattr(self._site, key)


class _NeverSeen:
    """The case's site as a node sees it that never saw it: an empty spool root, no database."""

    def __init__(self, site: Any, tmp: Path) -> None:
        self._site = site
        self.root = str(tmp / "other-node" / "spool")
        self.db = str(tmp / "other-node" / "disk" / "jobdb")
        os.makedirs(self.root, exist_ok=True)
        os.makedirs(os.path.dirname(self.db), exist_ok=True)

    def __getattr__(self, key: str) -> Any:
        return getattr(self._site, key)


def test_matrix_size():
    """The drill's size, as the issue asks it reported: adapters × supervisors × situations."""
    assert len(CASES) == len(DRILLED) * len(failures.SUPERVISORS) * len(failures.SITUATIONS)
    assert len(DRILLED) == 7 and len(CASES) == 154
    # sun22 renders for cjcpw only: its 11 jccluster cases check that rendering is refused
    refused = [c.values for c in CASES if not failures.row(*c.values).exits]
    assert len(refused) == 11 and {(a, s) for a, s, _ in refused} == {("sun22", "jccluster")}


#: where each rendered product file gives the stop its timeout (supervisor cjcpw): file, regex,
#: factor (GDS gives Stop_command 80 % of Stop_timeout)
TIMEOUTS = {
    "pacemaker": [("{site}/pcs.sh", r"op stop interval=0s timeout=(\d+)s", 1.0)],
    "veritas": [("main.cf", r"OfflineTimeout = (\d+)", 1.0), ("main.cf", r"CleanTimeout = (\d+)", 1.0)],
    "sungds": [("{site}/register.sh", r"Stop_timeout=(\d+)", 0.8)],
    "sun22": [("{site}/register.sh", r"STOP_NET=(\d+)", 1.0), ("{site}/register.sh", r"ABORT_NET=(\d+)", 1.0)],
    "serviceguard": [("{site}/modular/jobcenter-{site}.conf", r"halt_script_timeout\s+(\d+)", 1.0),
                     ("{site}/legacy/jobcenter-{site}.conf", r"HALT_SCRIPT_TIMEOUT\s+(\d+)", 1.0)],
    "clusterpro-linux": [("clpcfset.sh", r"parameters/timeout/stop (\d+)", 1.0)],
    "powerha": [],  # PowerHA gives a stop script no timeout (the table says so)
}


@pytest.mark.parametrize("adapter", DRILLED)
def test_rendered_stop_timeouts_keep_the_table(adapter, jobcenter, tmp_path, poll_for, reaper):
    """Rule 5 on the rendered files: under cjcpw nothing but the product's timeout bounds
    JobCenter's 1-2 minute stop, and every such timeout is at least the table's minimum."""
    import re

    from harness import E2ESite

    site = E2ESite(jobcenter.site, jobcenter.address, jobcenter.db, jobcenter.root,
                   jobcenter.prefix, reaper, jobcenter.mid)
    setting, minimum = failures.PRODUCTS[adapter].stop_timeout["cjcpw"]
    drv = DRIVERS[adapter]("cjcpw", site, tmp_path, poll_for)
    assert (minimum is None) == (not TIMEOUTS[adapter]), setting
    for relative, pattern, factor in TIMEOUTS[adapter]:
        text = drv.case.path(relative).read_text()
        found = re.findall(pattern, text)
        assert found, f"{relative}: no {pattern}"
        for value in found:
            assert int(value) * factor >= minimum, (
                f"{adapter}: {relative} gives the stop {value} s ({setting}); the failure table "
                f"wants at least {minimum} s under cjcpw")
