"""How each product runs its actions, for the drill: one small driver per POSIX adapter, built on
the end-to-end harness (tests/e2e/harness.py `Case`: it renders the adapter for a real site and
runs the rendered artifacts as the product does). The knowledge is the end-to-end tests' (see
tests/e2e/test_e2e_*.py for each product's citations): which file is which action, the
environment the product hands down, the stand-ins for the vendor commands we cannot install.

A driver's ``do(action, want)`` runs one of the product's actions (the failure table's names)
and returns what it exited, in the table's terms (`failures.RUNS`, `ENDS`, `KILLED` or an int).
Watched actions (the process the product watches) are started by their first ``do`` and read
by the later ones.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from harness import Case, jccluster_bin, output  # noqa: E402
from standins import Tracked, install  # noqa: E402

from jobcenter_cluster.failures import ENDS, KILLED, RUNS  # noqa: E402

#: the engine's stop deadline in the drill (s): a product gives it (Pacemaker's operation
#: timeout, as CRM_meta_timeout); for the others the wrapper below passes it, so that a stop
#: that must SIGKILL does not wait the default 120 s
DEADLINE = 3
#: how long a watched process may take to end after the failure
END_SECONDS = 30

WRAPPER = """#!/bin/sh
# The drill's jccluster: the real one, with a short stop deadline on the agent's stop verbs (a
# product that gives no operation timeout gets the engine's default, 120 s; see drivers.py).
if [ "$1" = agent ]; then
    case "$3" in
        stop|clean|offline) exec {real} "$@" --timeout {deadline} ;;
    esac
fi
exec {real} "$@"
"""


class Driver:
    """The common part: a Case, the extra environment of the situation, watched processes."""

    adapter = ""
    #: the actions of a start and of a planned stop, in order
    start_actions: tuple[str, ...] = ()
    stop_action = ""
    #: the watched action, if the product watches a process
    watched = ""

    def __init__(self, supervisor: str, site: Any, tmp: Path, poll_for: Any,
                 overrides: dict[str, Any] | None = None) -> None:
        self.supervisor, self.site, self.tmp, self.poll_for = supervisor, site, tmp, poll_for
        self.extra: dict[str, str] = {}
        self.cleanups: list[Any] = []
        self.maintenance = False
        data: dict[str, Any] = dict(overrides or {})
        if supervisor == "jccluster" and self.adapter != "pacemaker":
            wrapper = tmp / "jccluster-drill"
            wrapper.write_text(WRAPPER.format(real=shlex.quote(jccluster_bin()),
                                              deadline=DEADLINE))
            wrapper.chmod(0o755)
            data.setdefault("cluster", {})["jccluster"] = str(wrapper)
        self.case = Case(self.adapter, supervisor, site, tmp, {**self.dirs(), **data})
        self.handle: Any = None

    def dirs(self) -> dict[str, Any]:
        return {}

    # --- running -----------------------------------------------------------------------------
    def run(self, argv: list[str], **env: str) -> int:
        res = self.case.run(argv, timeout=90, **{**self.extra, **env})
        self.log(argv, res.returncode, res.stdout + res.stderr)
        return res.returncode

    def log(self, argv: list[str], code: int, text: str) -> None:
        with open(self.tmp / "drill.log", "a", encoding="utf-8") as fh:
            fh.write(f"$ {' '.join(argv)}\n-> {code}\n{text}\n")

    def popen(self, argv: list[str], **env: str) -> subprocess.Popen[str]:
        """An action the drill interrupts (its process group is killed)."""
        return self.site.reaper.popen(argv, env=self.case.env(**{**self.extra, **env}), cwd="/",
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)

    def argv(self, action: str) -> list[str]:
        raise NotImplementedError

    def do(self, action: str, want: Any) -> Any:
        if action == self.watched:
            return self.do_watched(want)
        return self.run(self.argv(action), **self.env_for(action))

    def env_for(self, action: str) -> dict[str, str]:
        return {}

    # --- the watched process -----------------------------------------------------------------
    def start_watched(self) -> None:
        self.handle = self.case.spawn(self.argv(self.watched), **self.extra)
        self.site.reaper.track(self.handle.pid)

    def watched_status(self) -> int | None:
        return self.handle.poll()

    def watched_pid(self) -> int | None:
        return self.handle.pid

    def do_watched(self, want: Any) -> Any:
        if self.handle is None:
            self.start_watched()
            if want == RUNS:
                self.wait_up()
        if want == RUNS:
            return RUNS if self.watched_status() is None else self.watched_status()
        self.poll_for(lambda: self.watched_status() is not None, timeout=END_SECONDS,
                      what=f"{self.watched} ends")
        code = self.watched_status()
        if want == ENDS:
            return ENDS
        if want == KILLED and code in (-9, 128 + 9):
            return KILLED
        return code

    def stop_watching(self) -> None:
        """What the product does to its watched process before its planned stop."""

    # --- the site ----------------------------------------------------------------------------
    def wait_up(self) -> None:
        """The site is up as far as the product can see (normal or maintenance)."""
        if not self.maintenance:
            self.case.wait_running(self.poll_for)
            return
        if self.supervisor == "jccluster":
            self.poll_for(lambda: self.case.listed() == "maintenance", timeout=30,
                          what="site listed in maintenance")
        else:
            self.poll_for(lambda: cjcpw_watchers(self.site.name), timeout=30,
                          what="cjcpw runs (maintenance)")
            time.sleep(0.3)  # cjcpw checks maintenance before it watches; see harness.wait_running

    def watcher(self) -> int:
        """The pid of the site's watcher: the engine's (its run record) or cjcpw."""
        if self.supervisor == "cjcpw":
            pids = cjcpw_watchers(self.site.name)
            assert len(pids) == 1, pids
            return pids[0]
        import json

        from jobcenter_cluster.engine import store

        with open(store.run_path(self.site.root, self.site.name), encoding="utf-8") as fh:
            return int(json.load(fh)["watcher"][0])

    def output(self) -> str:
        text = (self.tmp / "drill.log").read_text(encoding="utf-8") if (
            self.tmp / "drill.log").exists() else ""
        if self.handle is not None and hasattr(self.handle, "outfiles"):
            out, err = output(self.handle)
            text += f"\n[watched]\n{out}{err}"
        return text[-6000:]


def cjcpw_watchers(site: str) -> list[int]:
    """Live ``cjcpw SITE DB`` processes (the watcher: not ``-stop``, not ``-c``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        if stat[stat.rfind(b")") + 2:].split()[0] in (b"Z", b"X"):
            continue
        names = [os.path.basename(a) for a in argv[:3]]
        if "cjcpw" in names and site in argv and "-stop" not in argv and "-c" not in argv:
            found.append(int(entry))
    return found


# --- the products -------------------------------------------------------------------------------


class Pacemaker(Driver):
    """The rendered OCF agent, called as the LRM calls it (tests/e2e/test_e2e_pacemaker.py)."""

    adapter = "pacemaker"
    start_actions = ("start",)
    stop_action = "stop"
    TIMEOUT_MS = {"start": 30000, "monitor": 20000, "stop": int(DEADLINE * 1000 / 0.8)}

    def argv(self, action: str) -> list[str]:
        return [str(self.case.path("ocf/jobcenter/site")), action]

    def env_for(self, action: str) -> dict[str, str]:
        site = self.site
        env = {"OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "jcdrill",
               "OCF_RESKEY_site": site.name, "OCF_RESKEY_database": site.db,
               "OCF_RESKEY_CRM_meta_timeout": str(self.TIMEOUT_MS[action])}
        if self.supervisor == "cjcpw":
            (self.tmp / "state").mkdir(exist_ok=True)
            env["OCF_RESKEY_state_dir"] = str(self.tmp / "state")
        else:
            env["OCF_RESKEY_root"] = site.root
            env["OCF_RESKEY_product"] = "simulator"
        return env


class Veritas(Driver):
    """The Application resource's programs as main.cf names them (test_e2e_veritas.py)."""

    adapter = "veritas"
    start_actions = ("StartProgram",)
    stop_action = "StopProgram"
    INSTALLED = "/opt/jobcenter-cluster/veritas/"

    def dirs(self) -> dict[str, Any]:
        for d in ("log", "run"):
            (self.tmp / d).mkdir(exist_ok=True)
        return {"veritas": {"log_dir": str(self.tmp / "log"), "run_dir": str(self.tmp / "run")}}

    def argv(self, action: str) -> list[str]:
        text = self.case.path("main.cf").read_text()
        value = dict(re.findall(r'^\s*(\w+Program) = "(.*)"\s*$', text, re.M))[action]
        argv = shlex.split(value)
        if argv[0].startswith(self.INSTALLED):
            argv[0] = str(self.case.path("{site}/" + argv[0][len(self.INSTALLED):]))
        return argv


class PowerHa(Driver):
    """Start and stop scripts, the custom monitor (test_e2e_powerha.py)."""

    adapter = "powerha"
    start_actions = ("start",)
    stop_action = "stop"

    def dirs(self) -> dict[str, Any]:
        for d in ("log", "run"):
            (self.tmp / d).mkdir(exist_ok=True)
        return {"powerha": {"log_dir": str(self.tmp / "log"), "run_dir": str(self.tmp / "run")}}

    def argv(self, action: str) -> list[str]:
        return ["sh", str(self.case.path(f"{{site}}/jobcenter-{{site}}-{action}.sh"))]


class SunGds(Driver):
    """Start_command under PMF, Probe_command, Stop_command (test_e2e_sungds.py)."""

    adapter = "sungds"
    start_actions = ("Start_command",)
    stop_action = "Stop_command"
    watched = "Start_command"
    FILES = {"Start_command": "start.sh", "Probe_command": "probe.sh", "Stop_command": "stop.sh"}

    def argv(self, action: str) -> list[str]:
        return ["sh", str(self.case.path("{site}/" + self.FILES[action]))]


class Sun22(Driver):
    """START_NET / STOP_NET with the working pmfadm stand-in (test_e2e_sun22.py)."""

    adapter = "sun22"
    start_actions = ("START_NET", "watcher")
    stop_action = "STOP_NET"
    watched = "watcher"
    TAG = "JobService"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.track = install(self.case.rec, "pmfadm")
        for name in ("fuser", "logger", "hactl"):
            self.case.rec.stub(name)
        text = self.case.path("{site}/start_net.sh").read_text()
        self.lh = re.search(r"\*,([^,*]+),\*\)", text).group(1)  # type: ignore[union-attr]
        self.tracked = Tracked(self.track, self.TAG)

    def argv(self, action: str) -> list[str]:
        if action == "START_NET":
            return ["sh", str(self.case.path("{site}/start_net.sh")), self.lh, "", "60"]
        return ["sh", str(self.case.path("{site}/stop_net.sh")), "", self.lh, "60"]

    def start_watched(self) -> None:
        # START_NET started it (pmfadm -c): the stand-in tracks it
        self.handle = self.tracked
        if self.tracked.pid is not None:
            self.site.reaper.track(self.tracked.pid)

    def watched_status(self) -> int | None:
        if self.tracked.pid is None:
            return 1  # PMF never ran it
        return self.tracked.status

    def watched_pid(self) -> int | None:
        return self.tracked.pid

    def output(self) -> str:
        return super().output() + f"\n[pmf]\n{self.tracked.output}"


class ServiceGuard(Driver):
    """Modular package: external script start/stop around service_cmd, run by the cmrunserv
    stand-in; cmhaltserv halts the service before the halt (test_e2e_serviceguard.py)."""

    adapter = "serviceguard"
    start_actions = ("start", "service")
    stop_action = "halt"
    watched = "service"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.track = install(self.case.rec, "cmrunserv", "cmhaltserv")
        self.tracked = Tracked(self.track, "cjc")

    def external(self) -> str:
        return str(self.case.path("{site}/modular/jobcenter-{site}.sh"))

    def argv(self, action: str) -> list[str]:
        if action == "start":
            return ["sh", self.external(), "start"]
        if action == "halt":
            return ["sh", self.external(), "stop"]
        conf = self.case.path("{site}/modular/jobcenter-{site}.conf").read_text()
        return ["cmrunserv", "cjc", re.search(r'^service_cmd\s+"(.*)"\s*$', conf, re.M).group(1)]  # type: ignore[union-attr]

    def start_watched(self) -> None:
        self.run(self.argv("service"))
        self.handle = self.tracked
        if self.tracked.pid is not None:
            self.site.reaper.track(self.tracked.pid)

    def watched_status(self) -> int | None:
        if self.tracked.pid is None:
            return 1
        return self.tracked.status

    def watched_pid(self) -> int | None:
        return self.tracked.pid

    def do(self, action: str, want: Any) -> Any:
        if action == "halt":
            self.stop_watching()
        return super().do(action, want)

    def stop_watching(self) -> None:
        if self.tracked.pid is not None:  # the package halts its services first
            self.run(["cmhaltserv", "cjc"])

    def output(self) -> str:
        return super().output() + f"\n[service]\n{self.tracked.output}"


class ClusterProLinux(Driver):
    """start.sh (asynchronous, what pidw watches) and stop.sh with the CLP_* variables
    (test_e2e_clusterpro_linux.py)."""

    adapter = "clusterpro-linux"
    start_actions = ("start.sh",)
    stop_action = "stop.sh"
    watched = "start.sh"
    CLP = {"CLP_EVENT": "START", "CLP_DISK": "SUCCESS", "CLP_SERVER": "HOME"}

    def argv(self, action: str) -> list[str]:
        name = "start.sh" if action == "start.sh" else "stop.sh"
        return ["sh", str(self.case.path(f"scripts/jobcenter-{{site}}/exec-{{site}}/{name}"))]

    def env_for(self, action: str) -> dict[str, str]:
        return dict(self.CLP)

    def start_watched(self) -> None:
        self.handle = self.case.spawn(self.argv(self.watched), **{**self.extra, **self.CLP})
        self.site.reaper.track(self.handle.pid)


DRIVERS: dict[str, type[Driver]] = {d.adapter: d for d in (
    Pacemaker, Veritas, PowerHa, SunGds, Sun22, ServiceGuard, ClusterProLinux)}


def kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
