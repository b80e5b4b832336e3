"""The end-to-end matrix's common steps: render an adapter for a real simulator site, run the
rendered artifacts as their product runs them, and check the six steps of every case:

1. start; 2. the site runs (per the site list and per the product's own monitor code);
3. ``kill -9`` a daemon; 4. the product sees the failure (its monitor code, or its watched
process exits); 5. stop; 6. nothing of the site is left (zombies count as gone).

Expected exit codes are written in each test file from the vendor's documentation, never read
from the adapter classes. Vendor commands that cannot be installed here are recording stubs
(`support.stubs`); JobCenter's commands come from the emulated installation when the case runs
under the ``cjcpw`` supervisor.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jobcenter_cluster.simulator.jobcenter import STOP_MARK, WATCHER_PID
from support import procs as support_procs
from support.sites import poll_for
from support.stubs import Recorder

#: where the matrix counts its cases (docs/end-to-end.md gives the table)
SUPERVISORS = ("jccluster", "cjcpw")
#: the daemon every case kills (any watched one would do; this one has children of its own)
VICTIM = "jnwengine"
#: the environment a cluster product would hand down, plus the test's engine settings
PASS_ENV = ("JCCLUSTER_ROOT", "JCCLUSTER_NODE", "JCCLUSTER_DAEMON_CONF", "JCCLUSTER_PROCS",
            "JCCLUSTER_PREFIX", "JCCLUSTER_HOSTS")


def jccluster_bin() -> str:
    """The installed CLI (``./dev`` installs the package into its venv with this entry point)."""
    path = Path(sys.executable).with_name("jccluster")
    if not path.is_file():
        raise AssertionError(f"{path} is missing: run the README's test command (./dev test)")
    return str(path)


@dataclass
class Case:
    """One adapter × supervisor case against one simulator site."""

    adapter: str
    supervisor: str
    site: Any  # conftest.SimSite, or E2ESite for an emulated installation
    tmp: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    out: Path = field(init=False)
    rec: Recorder = field(init=False)
    prefix: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out = self.tmp / "rendered"
        self.rec = Recorder(self.tmp / "rec")
        self.prefix = Path(getattr(self.site, "prefix", None) or self.tmp / "jobcenter")
        self.render()

    @property
    def product(self) -> str:
        """cjcpw: JobCenter's own commands (the emulated installation); jccluster: the engine
        with the simulator product."""
        return "jobcenter-linux" if self.supervisor == "cjcpw" else "simulator"

    # ------------------------------------------------------------------ rendering
    @property
    def short(self) -> str:
        return self.site.name.split(".")[0]

    def render(self) -> None:
        from jobcenter_cluster.model import example_cluster, merge_data
        from jobcenter_cluster.plugins import load_adapters

        data = {
            "cluster": {"product": self.product, "supervisor": self.supervisor,
                        "jccluster": jccluster_bin(), "install_prefix": str(self.prefix)},
            "site": [{"name": self.site.name, "address": self.site.address,
                      "machine_id": self.site.machine_id, "database": self.site.db,
                      # what the products require of a site (none of it is touched here: the
                      # scripts run, the storage resources they depend on are the product's)
                      "netmask": "255.0.0.0",
                      "veritas": {"diskgroup": "jobdg", "volume": "jobvol"},
                      "powerha": {"volume_group": "jobvg"},
                      "clusterpro-linux": {"disk_device": "/dev/sdb1"}}],
        }
        if self.adapter == "sun22":
            # the scripts' fixed PATH, with the recording pmfadm/hactl stand-ins first (on a node
            # they are in /usr/cluster/bin, which the default puts first)
            data["sun22"] = {"script_path": f"{self.rec.bin}:/usr/sbin:/usr/bin:/sbin:/bin"}
        cluster = example_cluster(merge_data(data, self.overrides))
        adapters, broken = load_adapters()
        assert not broken, broken
        for art in adapters[self.adapter](cluster).render():
            path = self.out / art.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(art.content, encoding="utf-8")
            path.chmod(art.mode)

    def path(self, relative: str) -> Path:
        path = self.out / relative.format(site=self.short)
        assert path.is_file(), f"not rendered: {relative} ({sorted(self.out.rglob('*'))})"
        return path

    # ------------------------------------------------------------------ running
    def env(self, **extra: str) -> dict[str, str]:
        env = {"PATH": f"{self.rec.bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
               "LANG": "C.UTF-8", "JCCLUSTER_SIM_STOP_SECONDS": "0"}
        env.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
        if self.adapter == "serviceguard":
            env["SG_UTILS"] = str(self._sg_utils())
        env.update(extra)
        return env

    def _sg_utils(self) -> Path:
        """Serviceguard runs an external script with ``SG_UTILS`` naming its utils.sh; this
        stand-in's ``sg_log`` writes to ``sg.log`` in the case's directory."""
        utils = self.tmp / "sgconf" / "scripts" / "mscripts" / "utils.sh"
        if not utils.exists():
            utils.parent.mkdir(parents=True, exist_ok=True)
            utils.write_text(f"sg_log() {{ shift; printf '%s\\n' \"$*\" >>'{self.tmp / 'sg.log'}'; }}\n")
        return utils

    def run(self, argv: list[str], *, timeout: float = 120, **extra: str
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=self.env(**extra), cwd="/", capture_output=True,
                              text=True, timeout=timeout)

    def spawn(self, argv: list[str], **extra: str) -> subprocess.Popen[str]:
        """A long-running process the product watches (the test's reaper kills it at the end).
        Its output goes to files (``output(proc)``): a pipe would be held open by whatever it
        leaves behind."""
        name = Path(argv[-1] if len(argv) < 3 else argv[1]).name
        n = len(list(self.tmp.glob("spawn-*.out")))
        out = open(self.tmp / f"spawn-{n}-{name}.out", "w", encoding="utf-8")  # noqa: SIM115
        err = open(self.tmp / f"spawn-{n}-{name}.err", "w", encoding="utf-8")  # noqa: SIM115
        with out, err:
            proc = self.site.reaper.popen(argv, env=self.env(**extra), cwd="/", stdout=out,
                                          stderr=err, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        proc.outfiles = (out.name, err.name)  # type: ignore[attr-defined]
        return proc

    # ------------------------------------------------------------------ the steps
    def listed(self) -> str:
        """The site's state as the node lists it: ``cjcls`` of the installation under the cjcpw
        supervisor ("running" while nqsdaemon lives, else "stopped": cjcls shows the
        nqsdaemon's pid or SHUT, manual §2.12), else ``jccluster site status``."""
        if self.supervisor == "cjcpw":
            res = self.run([str(self.prefix / "cluster" / "cjcls")], timeout=30)
            assert res.returncode == 0, res.stderr
            line = next((ln for ln in res.stdout.splitlines() if ln.startswith(self.site.name)),
                        "")
            return "running" if line and "SHUT" not in line else "stopped"
        res = self.run([jccluster_bin(), "site", "status", self.site.name], timeout=30)
        state = [ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith("state:")]
        return state[0] if state else f"? {res.stdout}{res.stderr}"

    def wait_running(self, poll_for: Any, timeout: float = 30) -> None:
        """Step 2's "the site runs": listed as running, and every watched daemon up."""
        poll_for(lambda: self.listed() == "running", timeout=timeout, what="site listed running")
        if self.supervisor == "cjcpw":
            poll_for(lambda: all(_alive_pid(self.site.pid(r)) for r in WATCHED), timeout=timeout,
                     what="every watched daemon up")
            # cjcpw checks for its daemons every 20 ms before it starts watching and shows no
            # sign of the switch; a daemon killed before then reads as "did not start" after
            # its 30 s start deadline. 0.3 s is fifteen of its checks.
            time.sleep(0.3)

    def failed(self) -> bool:
        """The node sees the site failed. jccluster: ``jccluster site status`` says "failed".
        cjcpw: ``cjcls`` lists nqsdaemon only (a dead jnwengine still lists as running), so
        the failure JobCenter shows is its foreground ``cjcpw SITE DBPATH`` ending: the
        manual's watcher exits when a watched daemon dies (manual §2.10.4, §4.12.5; the
        emulation exits 1 with ``cjcpw: SITE: DAEMON (pid N) is gone|is a zombie``). Failed
        means such a watcher was started for the site, has ended, and no ``cjcpw -stop`` asked
        it to (after a stop it ends with 0 and the site is stopped, not failed)."""
        if self.supervisor == "jccluster":
            return self.listed() == "failed"
        watcher = self.watcher_pid()
        return (watcher is not None and not self.watcher_alive(watcher)
                and not (Path(self.site.db) / "nqs" / STOP_MARK).exists())

    def watcher_pid(self) -> int | None:
        """cjcpw only: the pid of the last foreground ``cjcpw SITE DBPATH`` of the site, as the
        emulated installation records it (``DBPATH/nqs/sim/cjcpw.pid``); None if none ran."""
        try:
            text = (Path(self.site.db) / "nqs" / WATCHER_PID).read_text(encoding="ascii")
        except OSError:
            return None
        return int(text.strip())

    def watcher_alive(self, pid: int) -> bool:
        """The foreground cjcpw of this site runs as ``pid`` (not a zombie, not a reused pid)."""
        if not _alive_pid(pid):
            return False
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
        except OSError:
            return False
        return (any(Path(a).name == "cjcpw" for a in argv[:3]) and self.site.name in argv
                and "-c" not in argv and "-stop" not in argv)

    def watcher_death(self, role: str, pid: int) -> str:
        """cjcpw only: the line the foreground cjcpw prints on stderr when it sees ``role``
        (pid ``pid``) die, up to the way it died ("is gone" or "is a zombie")."""
        return f"cjcpw: {self.site.name.rstrip('.').lower()}: {role} (pid {pid}) is "

    def kill_daemon(self, role: str = VICTIM) -> int:
        pid = self.site.pid(role)
        os.kill(pid, signal.SIGKILL)
        return pid

    def left(self, *, port_holder: bool = True) -> list[str]:
        """Live (non-zombie) processes of the site: its daemons and anything running for it;
        without the NQS port holder (nqsportkpr / keep-port) when ``port_holder`` is False."""
        found = site_leftovers(self.site.name, self.site.db)
        if not port_holder:
            found = [p for p in found if not is_port_holder(p)]
        return found


WATCHED = ("nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "jnwengine-qwb",
           "jnwengine-trkrdr", "sclaunchd", "jnwcaster", "comagent")


def _alive_pid(pid: int) -> bool:
    return support_procs.alive(pid)


def _stat_state(pid: int) -> str:
    return support_procs.state(pid)


def site_leftovers(site: str, database: str) -> list[str]:
    return [f"{pid} {' '.join(support_procs.argv(pid))[:120]}"
            for pid in support_procs.site_processes(site, database, named=True)]


def is_port_holder(line: str) -> bool:
    argv = line.split()[1:]
    return any(a.endswith("/nqsportkpr") for a in argv[:3]) or "keep-port" in argv


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed: run the README's test command")
    return path


def output(proc: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = proc.outfiles  # type: ignore[attr-defined]
    return Path(out).read_text(encoding="utf-8"), Path(err).read_text(encoding="utf-8")


def wait_exit(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    """Wait for a spawned process; its exit status, stdout and stderr."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        out, err = output(proc)
        raise AssertionError(f"still running after {timeout}s: {out}{err}") from None
    return (proc.returncode, *output(proc))


# --- fixtures (imported by each test module: a conftest.py here would shadow tests/conftest.py
# for the modules that import from it) ----------------------------------------------------------


@dataclass
class E2ESite:
    """A site of an emulated installation, with the attributes the harness uses of SimSite."""

    name: str
    address: str
    db: str
    root: str
    prefix: str
    reaper: Any
    machine_id: int

    def pid(self, role: str) -> int:
        """pid of a daemon as the emulated installation recorded it (within 10 s)."""
        path = os.path.join(self.db, "nqs", "sim", f"{role}.pid")

        def recorded() -> int | None:
            with contextlib.suppress(OSError, ValueError), open(path, encoding="ascii") as fh:
                return int(fh.read().strip())
            return None

        return poll_for(recorded, timeout=10, interval=0.02, what=f"{path} (pid of {role})")


@pytest.fixture(name="e2e_site")
def _e2e_site(request: pytest.FixtureRequest, supervisor: str, reaper: Any) -> Any:
    if supervisor == "jccluster":
        return request.getfixturevalue("sim_site")
    inst = request.getfixturevalue("jobcenter")
    inst.mksite()
    return E2ESite(inst.site, inst.address, inst.db, inst.root, inst.prefix, reaper, inst.mid)


@pytest.fixture(params=["jccluster", "cjcpw"], name="supervisor")
def _supervisor(request: pytest.FixtureRequest) -> str:
    return str(request.param)
