"""``site start``/``site stop`` on a terminal (through ``script``), quiet without one; stop
names what needed SIGKILL; ``site ls`` state column and the live nqsdaemon pid; ``site status``
of a never-seen name exits 4."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from jobcenter_cluster.cli.progress import format_progress, killed_processes
from jobcenter_cluster.simulator import set_fault
from support.cli import jcc_argv as jcc  # the argv: these tests run it on a pty

pytestmark = pytest.mark.timeout(120)

def under_script(argv: list[str], env: dict[str, str] | None = None, timeout: float = 90
                 ) -> subprocess.CompletedProcess[str]:
    """Run `argv` with a pseudo-terminal as stdin/stdout/stderr (util-linux `script`)."""
    cmd = " ".join(shlex.quote(a) for a in argv)
    res = subprocess.run(["script", "-qefc", cmd, "/dev/null"], capture_output=True,
                         timeout=timeout, env=dict(os.environ, COLUMNS="150", **(env or {})),
                         stdin=subprocess.DEVNULL)
    # bytes, decoded without newline translation: the "\r" of the progress line stays
    return subprocess.CompletedProcess(res.args, res.returncode,
                                       res.stdout.decode(errors="replace").replace("\r\n", "\n"),
                                       res.stderr.decode(errors="replace"))


def P(phase, what, elapsed, deadline=None, left=()):  # noqa: N802 - a record, like the engine's
    return SimpleNamespace(phase=phase, what=what, elapsed=elapsed, deadline=deadline,
                           left=list(left))


def test_format_progress_shows_what_time_against_deadline_and_whats_left():
    line = format_progress(P("terminating", "waiting for the daemons to exit after SIGTERM",
                             12.44, 120.0, [(4242, "nqsdaemon"), (4250, "jnwengine")]),
                           "orange.example.com", 200)
    assert line == ("terminating orange.example.com: waiting for the daemons to exit after "
                    "SIGTERM  12.4 s / 120 s  left: nqsdaemon 4242, jnwengine 4250")
    assert format_progress(P("starting", "nqsdaemon", 0.5), "o.example.com", 200) == \
        "starting o.example.com: nqsdaemon  0.5 s"
    many = [(i, f"d{i}") for i in range(9)]
    assert "(+3)" in format_progress(P("killing", "x", 1, 2, many), "o", 500)
    assert len(format_progress(P("killing", "x" * 300, 1, 2), "o", 80)) == 80


def test_killed_processes_reads_the_contract_and_older_engines():
    assert killed_processes({"killed": [[4242, "nqsdaemon"]]}) == ["nqsdaemon (pid 4242)"]
    assert killed_processes({"details": {"killed": [4242]}}) == ["pid 4242"]
    assert killed_processes({}) == []


DRIVER = textwrap.dedent("""
    import sys
    from types import SimpleNamespace as P
    from jobcenter_cluster.cli.progress import ProgressLine
    line = ProgressLine("orange.example.com")
    print("enabled" if line.enabled else "disabled", flush=True)
    line(P(phase="stopping", what="cjcpw -stop", elapsed=0.2, deadline=120.0, left=[(7, "nqsdaemon")]))
    line(P(phase="killing", what="SIGKILL", elapsed=120.0, deadline=120.0, left=[(7, "nqsdaemon")]))
    line.finish()
    print("done", file=sys.stderr)
""")


def test_progress_line_on_a_terminal_and_nothing_without_one(tmp_path):
    (tmp_path / "drive.py").write_text(DRIVER)
    tty = under_script([sys.executable, str(tmp_path / "drive.py")])
    assert tty.returncode == 0, tty.stdout
    assert "enabled" in tty.stdout
    assert ("\r\x1b[Kstopping orange.example.com: cjcpw -stop  0.2 s / 120 s  left: nqsdaemon 7"
            in tty.stdout)
    assert "\r\x1b[Kkilling orange.example.com: SIGKILL  120.0 s / 120 s" in tty.stdout
    assert "\r\x1b[Kdone" in tty.stdout  # the line is cleared before what follows
    pipe = subprocess.run([sys.executable, str(tmp_path / "drive.py")], capture_output=True,
                          text=True, timeout=60)
    assert pipe.stdout == "disabled\n" and pipe.stderr == "done\n"


def test_stop_of_a_daemon_ignoring_sigterm_on_a_terminal(sim_site):
    set_fault(sim_site.db, "nqsdaemon", "ignore-term")
    assert sim_site.start().ok
    pid = sim_site.pid("nqsdaemon")
    res = under_script(jcc("site", "stop", sim_site.name, "--timeout", "2"))
    out = res.stdout
    assert res.returncode == 0, out
    assert "needed SIGKILL: " in out
    # nqsdaemon's command line is "NQS nqsdaemon", as JobCenter's is
    assert re.search(rf"needed SIGKILL: (NQS )?nqsdaemon \(pid {pid}\)\n", out), out
    # the progress line came first: the site, the time against --timeout, what is left
    progress = out.split("needed SIGKILL")[0]
    assert f"{sim_site.name}: " in progress and " s / 2 s" in progress, out
    assert re.search(rf"left: (NQS )?nqsdaemon {pid}\b", progress), out
    assert sim_site.status().outcome.value == "stopped"


def test_stop_without_a_terminal_stays_quiet(sim_site):
    set_fault(sim_site.db, "nqsdaemon", "ignore-term")
    assert sim_site.start().ok
    res = sim_site.cli("site", "stop", sim_site.name, "--timeout", "2")
    assert res.returncode == 0, res.stderr
    assert "\r" not in res.stderr and "\x1b" not in res.stderr
    assert res.stderr.startswith(f"jccluster: site stop {sim_site.name}: needed SIGKILL: ")
    assert res.stderr.count("\n") == 1
    assert res.stdout.count("\n") == 1


def test_start_on_a_terminal_then_says_it_watches(sim_site, reaper, poll_for):
    res = under_script(jcc("site", "start", "--no-watch", sim_site.name, sim_site.db))
    assert res.returncode == 0, res.stdout
    assert "started" in res.stdout
    assert f"\r\x1b[Kstarting {sim_site.name}: " in res.stdout or \
        f"\r\x1b[Kwaiting {sim_site.name}: " in res.stdout, res.stdout
    assert sim_site.stop(timeout=5).ok


def test_foreground_start_says_the_terminal_stays_with_the_watcher(sim_site, poll_for):
    proc = sim_site.watch()
    line = proc.stdout.readline()
    assert "watching: this terminal stays with the watcher until the site stops or fails" in line
    assert f"jccluster site stop {sim_site.name}" in line
    assert sim_site.cli("site", "stop", sim_site.name, "--timeout", "5").returncode == 0
    assert proc.wait(timeout=30) == 0


def test_ls_state_column_and_the_live_nqsdaemon_pid(sim_site, engine_env):
    set_fault(sim_site.db, "nqsdaemon", "ignore-term")
    assert sim_site.start().ok
    pid = sim_site.pid("nqsdaemon")
    out = sim_site.cli("site", "ls").stdout.splitlines()
    assert out[0].split() == ["SITE-NAME", "STATE", "DAEMON-PID", "DB-PATH(LINK)"]
    row = next(line for line in out if line.startswith(sim_site.name))
    assert row.split()[1:] == ["running", str(pid), sim_site.db]
    # a daemon dies: failed, and the still-live nqsdaemon keeps its pid (not SHUT)
    os.kill(sim_site.pid("jnwengine"), 9)
    from support.sites import poll_for

    poll_for(lambda: sim_site.status().outcome.value == "failed", timeout=10, what="failed")
    out = sim_site.cli("site", "ls").stdout.splitlines()
    row = next(line for line in out if line.startswith(sim_site.name))
    assert row.split()[1:3] == ["failed", str(pid)]  # partly running: not SHUT
    data = json.loads(sim_site.cli("site", "ls", "--json").stdout)
    assert any(d["site"] == sim_site.name for d in data)
    assert sim_site.stop(timeout=2).ok
    out = sim_site.cli("site", "ls").stdout.splitlines()
    row = next(line for line in out if line.startswith(sim_site.name))
    assert row.split()[1:3] == ["stopped", "SHUT"]


def test_status_of_a_name_never_seen_exits_4_and_says_so(engine_env):
    res = subprocess.run(jcc("site", "status", "never-here.example.com"), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 4
    assert res.stderr == ("jccluster: site status: never-here.example.com: this node has never "
                          "seen this site (check the name with 'jccluster site ls')\n")
    as_json = subprocess.run(jcc("site", "status", "--json", "never-here.example.com"),
                             capture_output=True, text=True, timeout=60)
    assert as_json.returncode == 4 and json.loads(as_json.stdout)["site"]


def test_agents_keep_their_codes_for_a_never_seen_site(engine_env):
    res = subprocess.run(jcc("agent", "pacemaker", "monitor", "never-here.example.com"),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 7  # OCF_NOT_RUNNING, not 4
