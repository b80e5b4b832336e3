"""Progress that moves: on a terminal the line of ``site stop`` and ``site start --background``
is repainted by a timer -- the clock runs and the count of processes left falls as they exit,
between the engine's reports (which come only at each phase); quiet without a terminal."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from jobcenter_cluster.cli.progress import ProgressLine, live
from jobcenter_cluster.simulator import set_fault
from support.cli import jcc_argv as jcc

pytestmark = pytest.mark.timeout(60)


def P(phase, what, elapsed, deadline=None, left=()):  # noqa: N802 - a record, like the engine's
    return SimpleNamespace(phase=phase, what=what, elapsed=elapsed, deadline=deadline,
                           left=list(left))


def test_live_moves_the_clock_and_drops_the_gone_from_the_count():
    p = P("terminating", "3 process(es) left", 0.1, 5.0, [(1, "a"), (2, "b"), (3, "c")])
    now = live(p, 2.0, alive=lambda pid: pid == 2)
    assert now.what == "1 process(es) left" and now.left == [(2, "b")]
    assert now.elapsed == pytest.approx(2.1) and now.deadline == 5.0
    # other texts are kept
    assert live(P("stopping", "cjcpw -stop", 0.0), 1.0, alive=lambda pid: True).what == \
        "cjcpw -stop"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_follows_a_process_that_exits_without_a_new_report(poll_for, reaper):
    child = reaper.popen([sys.executable, "-c", "import time; time.sleep(30)"])
    out = Tty()
    line = ProgressLine("orange.example.com", out)
    line.TICK = 0.05
    try:
        line(P("terminating", "1 process(es) left", 0.1, 5.0, [(child.pid, "sleeper")]))
        assert f"1 process(es) left  0.1 s / 5 s  left: sleeper {child.pid}" in out.getvalue()
        child.kill()
        child.wait()
        poll_for(lambda: "0 process(es) left" in out.getvalue(), timeout=5, what="repaint")
        clocks = set(re.findall(r"left  (\d+\.\d) s / 5 s", out.getvalue()))
        assert len(clocks) >= 2, out.getvalue()  # the clock moved on its own
    finally:
        line.finish()
    assert out.getvalue().endswith("\r\x1b[K")  # cleared at the end
    painted = out.getvalue()
    import time

    time.sleep(3 * line.TICK)
    assert out.getvalue() == painted  # the timer stopped with finish()


def test_no_terminal_no_timer_no_output():
    out = io.StringIO()
    with ProgressLine("o.example.com", out, phase="creating", what="cjcmksite") as line:
        assert line._thread is None
        line(P("stopping", "x", 0.1))
    assert out.getvalue() == ""


def _pty(argv: list[str]) -> subprocess.CompletedProcess[str]:
    from test_site_progress import under_script

    return under_script(argv, timeout=40)


def test_stop_on_a_terminal_shows_the_clock_running(sim_site):
    for role in ("nqsdaemon", "jnwengine"):
        set_fault(sim_site.db, role, "ignore-term")
    assert sim_site.start().ok
    res = _pty(jcc("site", "stop", sim_site.name, "--timeout", "2"))
    assert res.returncode == 0, res.stdout
    terminating = re.findall(rf"\r\x1b\[Kterminating {re.escape(sim_site.name)}: "
                             r"(\d+) process\(es\) left  (\d+\.\d) s / 2 s", res.stdout)
    # the engine reports "terminating" once; the timer repainted it while the deadline ran
    assert len({clock for _, clock in terminating}) >= 3, res.stdout
    # reported once with every process of the site; the count fell as the others exited, to
    # the two that ignore SIGTERM, without another report
    counts = [int(n) for n, _ in terminating]
    assert counts[0] > 2 and counts[-1] == 2, res.stdout
    assert counts == sorted(counts, reverse=True), counts
    assert "needed SIGKILL" in res.stdout


def test_background_start_on_a_terminal_counts_the_daemons_up(sim_site):
    set_fault(sim_site.db, "comagent", "no-start")
    res = _pty(jcc("site", "start", "--background", "--timeout", "1.5", sim_site.name,
                   sim_site.db))
    assert res.returncode != 0, res.stdout  # comagent never came up
    shown = re.findall(rf"\r\x1b\[Kstarting {re.escape(sim_site.name)}: (\d+) of (\d+) daemons "
                       r"up \(background watcher\)  \d+\.\d s / 1.5 s", res.stdout)
    assert shown, res.stdout
    assert all(int(up) < int(total) for up, total in shown), shown
    assert "comagent" in res.stdout
    assert sim_site.stop(timeout=5).ok


def test_background_start_without_a_terminal_stays_quiet(sim_site):
    res = sim_site.cli("site", "start", "--background", sim_site.name, sim_site.db)
    assert res.returncode == 0, res.stderr
    assert "\r" not in res.stderr + res.stdout and "\x1b" not in res.stderr
    assert sim_site.stop(timeout=5).ok


def test_step_clock_of_the_lab_commands(poll_for):
    from jobcenter_cluster.cli.progress import StepClock

    out = Tty()
    with StepClock(out, delay=0.1) as say:
        say.TICK = 0.05
        say("lab: starting corosync on 2 nodes")
        poll_for(lambda: "s since: lab: starting corosync on 2 nodes" in out.getvalue(),
                 timeout=5, what="the step's clock")
        say("lab: pacemaker is up")
    text = out.getvalue()
    # the clock's line is cleared before the next message and at the end
    assert "\r\x1b[Klab: pacemaker is up\n" in text
    assert text.endswith(("\n", "\r\x1b[K")), text  # nothing of a clock is left standing
    plain = io.StringIO()
    with StepClock(plain, delay=0.0) as say:
        say("lab: one")
        say("lab: two")
    assert plain.getvalue() == "lab: one\nlab: two\n"  # no terminal: the lines, nothing else
