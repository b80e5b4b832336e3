"""Use the emulated JobCenter installation in an adapter test.

Rendered scripts call JobCenter's commands under the cluster file's ``install_prefix``
(``PREFIX/cluster/cjcpw``, ``PREFIX/cluster/cjcls``, ``PREFIX/nqsportkpr``). `emulated_at`
installs the emulated commands (`jccluster simulator install`, docs/simulator.md) exactly there,
with a unique site name resolving through a private hosts file, its database made by the
emulated ``cjcmksite``, and the defaults baked into ``PREFIX/simulator.env`` -- so the scripts,
which run with an empty environment, drive real daemons, a real port holder and a real watcher.

Each emulated command first appends ``[command, *args]`` to a log (`Emulated.calls`), so a test
can assert on the order and the arguments of the calls while the behaviour (exit statuses, the
foreground watcher, ``cjcls``' table) is the emulation's, never a stub's. The command lines stay
the installation's own (``PYTHON -I PREFIX/cluster/cjcpw SITE DB``), so scripts that recognise
the watcher by its command line still do.

    with emulated_at(tmp_path / "nqs", tmp_path / "jc", reaper) as jc:
        ... render with install_prefix = tmp_path / "nqs", site = jc.site, database = jc.db ...
        assert jc.calls() == [["nqsportkpr", jc.site], ["cjcpw", jc.site, jc.db]]

At the end everything the installation started is killed by pid (identity-checked): the site's
daemons (``NQS_SITE``, through the reaper), ``nqsportkpr`` holders, watchers and any process
whose command line names the prefix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jobcenter_cluster.render import write_artifacts
from jobcenter_cluster.simulator.install import COMMANDS, install
from jobcenter_cluster.simulator.jobcenter import WATCHED
from support.disk import small_disk
from support.jobcenter import Installation
from support.sites import poll_for, unique_site

#: prepended to each emulated command's own code: one JSON line per call, then the emulation
_RECORD = """import json as _json
with open({log!r}, "a", encoding="utf-8") as _fh:
    _fh.write(_json.dumps([{name!r}, *sys.argv[1:]]) + "\\n")
"""


@dataclasses.dataclass
class Emulated:
    inst: Installation
    log: Path

    @property
    def site(self) -> str:
        return self.inst.site

    @property
    def short(self) -> str:
        return self.inst.site.split(".")[0]

    @property
    def db(self) -> str:
        return self.inst.db

    @property
    def prefix(self) -> str:
        return self.inst.prefix

    @property
    def address(self) -> str:
        return self.inst.address

    def calls(self) -> list[list[str]]:
        """Every call of an emulated command, ``[command, *args]``, in order (``cjcls`` too)."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.log.unlink()

    def run(self, command: str, *args: str) -> Any:
        """Run the emulated command directly (not recorded)."""
        self.inst.env["JCCLUSTER_SIM_NO_RECORD"] = "1"
        try:
            return self.inst.run(command, *args)
        finally:
            del self.inst.env["JCCLUSTER_SIM_NO_RECORD"]

    def daemon_pid(self, role: str = "nqsdaemon") -> int | None:
        """The pid of one of the site's daemons if it runs (as the emulated daemons record
        it; a zombie does not run)."""
        path = os.path.join(self.db, "nqs", "sim", f"{role}.pid")
        try:
            with open(path, encoding="ascii") as fh:
                pid = int(fh.read())
        except (OSError, ValueError):
            return None
        return pid if _stat(pid) not in (None, "Z") else None

    def running(self) -> list[str]:
        """The site's daemons (JobCenter's names, manual §2.10.4) that run now."""
        return [role for role in WATCHED if self.daemon_pid(role) is not None]

    def holders(self) -> list[int]:
        """Live ``nqsportkpr`` port holders of this installation."""
        return [pid for pid, _ in _holders(self.inst.root) if _stat(pid) not in (None, "Z")]

    def port_free(self) -> bool:
        """Whether the NQS port on the site address can be bound now."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((self.address, int(self.inst.env["JCCLUSTER_SIM_NQS_PORT"])))
            except OSError:
                return False
            return True

    def hold_port(self) -> socket.socket:
        """Take the NQS port on the site address (the caller closes it): nqsportkpr then
        really fails, as on a node where something else holds it."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.address, int(self.inst.env["JCCLUSTER_SIM_NQS_PORT"])))
        sock.listen(1)
        return sock

    def fill_disk(self) -> None:
        """Fill the database's disk (the tmpfs of ``emulated_at(disk_size=...)``) until the
        kernel answers ENOSPC."""
        disk = os.path.dirname(self.db)
        assert os.path.ismount(disk), f"{disk} is not the test's own tmpfs (use disk_size=)"
        chunk = b"\0" * 65536
        with open(os.path.join(disk, "filler"), "wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(chunk)
            except OSError as err:
                assert err.errno == errno.ENOSPC, err
        with open(os.path.join(disk, "filler-small"), "wb", buffering=0) as fh, \
                contextlib.suppress(OSError):
            while True:
                fh.write(b"\0")

    def wait_up(self, timeout: float = 30.0, settled: float = 0.5) -> None:
        """Wait until every daemon cjcpw watches has run for `settled` seconds. The emulated
        cjcpw starts watching once it has seen them all (it looks every 20 ms); a daemon killed
        before that is noticed only at its start deadline (``JCCLUSTER_SIM_START_SECONDS``, 15 s
        here), so a test that kills one waits until they have all run a while."""

        def up() -> bool:
            pids = [self.daemon_pid(role) for role in WATCHED]
            return all(pids) and min(_age(pid) for pid in pids if pid) >= settled

        poll_for(up, timeout=timeout, what=f"every daemon of {self.site}")


def _stat(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2:].split()[0].decode()


def _start(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return int(data[data.rfind(b")") + 2:].split()[19])


def _age(pid: int) -> float:
    """Seconds since `pid` started (0 if it is gone)."""
    start = _start(pid)
    if start is None:
        return 0.0
    with open("/proc/uptime", encoding="ascii") as fh:
        uptime = float(fh.read().split()[0])
    return uptime - start / os.sysconf("SC_CLK_TCK")


def _holders(root: str) -> list[tuple[int, int]]:
    kdir = os.path.join(root, ".nqsportkpr")
    out = []
    if os.path.isdir(kdir):
        for name in os.listdir(kdir):
            try:
                with open(os.path.join(kdir, name), encoding="ascii") as fh:
                    pid, start = (int(x) for x in fh.read().split())
            except (OSError, ValueError):
                continue
            out.append((pid, start))
    return out


def _kill(pid: int, start: int | None) -> None:
    if pid <= 1 or pid == os.getpid() or start is None or _start(pid) != start:
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _naming(prefix: str) -> list[tuple[int, int | None]]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().decode(errors="replace")
        except OSError:
            continue
        if prefix + "/" in cmd:
            out.append((int(entry), _start(int(entry))))
    return out


@contextlib.contextmanager
def emulated_at(prefix: Path, work: Path, reaper: Any, *, port: int | None = None,
                record: bool = True, disk_size: str | None = None,
                site: tuple[str, str] | None = None) -> Iterator[Emulated]:
    """The emulated installation under `prefix`, its hosts file, spool root and database under
    `work`, the site made with ``cjcmksite``. `reaper`: the conftest fixture (it kills the
    site's daemons by their ``NQS_SITE``). `port`: the NQS port (default 607, as JobCenter).
    `disk_size` (``"2m"``): the database's directory is a tmpfs of that size, mounted in the
    test session's private mount namespace (tests/conftest.py) and unmounted at the end, so
    `Emulated.fill_disk` gives a real ENOSPC. `site`: ``(name, address)`` from
    `support.sites.unique_site` when the caller renders before installing (the database is then
    ``work/disk/jobdb``)."""
    site, address = site or unique_site()
    reaper.site(site)
    work.mkdir(parents=True, exist_ok=True)
    disk = contextlib.ExitStack()  # the tmpfs, unmounted last (below)
    if disk_size:
        disk.enter_context(small_disk(work / "disk", disk_size))
    base = Installation.make(str(work), site, address)
    prefix = Path(os.path.abspath(prefix))
    # START_SECONDS: a daemon killed while cjcpw still waits for the others to come up is seen
    # only at that deadline (default 30 s); a test cannot see when cjcpw starts watching
    env = {**base.env, "JCCLUSTER_PREFIX": str(prefix),
           "JCCLUSTER_SIM_NQS_PORT": str(port or 607), "JCCLUSTER_SIM_START_SECONDS": "15"}
    defaults = {k: env[k] for k in ("JCCLUSTER_HOSTS", "JCCLUSTER_ROOT",
                                    "JCCLUSTER_SIM_STOP_SECONDS", "JCCLUSTER_SIM_NQS_PORT",
                                    "JCCLUSTER_SIM_START_SECONDS")}
    install(str(prefix), defaults=defaults)
    log = work / "jobcenter-calls.jsonl"
    if record:
        # the emulated commands themselves, each recording its call first: their command lines
        # stay ``PYTHON -I PREFIX/cluster/cjcpw SITE DB``, as scripts that look for the watcher
        # expect
        for name, rel in COMMANDS.items():
            path = prefix / rel
            text = path.read_text()
            assert "\nimport sys\n" in text, path
            path.write_text(text.replace(
                "\nimport sys\n", "\nimport sys\nif not __import__('os').environ.get("
                "'JCCLUSTER_SIM_NO_RECORD'):\n" + "".join(
                    "    " + line + "\n" for line in _RECORD.format(
                        log=str(log), name=name).splitlines()), 1))
    inst = dataclasses.replace(base, prefix=str(prefix), env=env)
    reaper.roots.add(inst.root)
    emulated = Emulated(inst, log)
    try:
        res = emulated.run("cjcmksite", site, str(inst.mid), inst.db)
        assert res.returncode == 0, res.stderr
        yield emulated
    finally:
        for pid, start in _naming(str(prefix)) + _naming(str(work.resolve())):
            _kill(pid, start)  # watchers (PREFIX/cluster/cjcpw), daemons (work/disk/jobdb)
        for pid, start in _holders(inst.root):
            _kill(pid, start)
        if disk_size:
            for pid in reaper.site_pids():  # nothing of the site may keep the tmpfs busy
                _kill(pid, _start(pid))
        disk.close()


@contextlib.contextmanager
def emulated_site(make: Callable[..., Any], tmp_path: Path, reaper: Any, storage: dict[str, Any],
                  *, monitor: bool = True, disk_size: str | None = None
                  ) -> Iterator[tuple[Emulated, Path, Path]]:
    """An adapter's files rendered for the site of the emulated installation `emulated_at`
    makes under ``tmp_path/nqs`` and ``tmp_path/jc``, with cjcpw as the supervisor: ``(jc, the
    site's directory under tmp_path/out, the watcher's pidfile under tmp_path/run)``.

    `make(tmp_path, supervisor=, monitor=, site=)` is the test module's adapter maker (its
    log_dir and run_dir ``tmp_path/log`` and ``tmp_path/run``, made here); `storage` is the
    site's table of the product, e.g. ``{"powerha": {"volume_group": "jobvg"}}``. `monitor`
    and `disk_size` as in `emulated_at` and the adapter's ``monitor`` option."""
    with emulated_at(tmp_path / "nqs", tmp_path / "jc", reaper, disk_size=disk_size) as jc:
        adapter = make(tmp_path, supervisor="cjcpw", monitor=monitor,
                       site=[{"name": jc.site, "database": jc.db, "monitor": monitor, **storage}])
        write_artifacts(adapter.render(), str(tmp_path / "out"))
        (tmp_path / "log").mkdir(exist_ok=True)
        (tmp_path / "run").mkdir(exist_ok=True)
        yield jc, tmp_path / "out" / jc.short, tmp_path / "run" / f"jobcenter-{jc.short}.cjcpw.pid"

