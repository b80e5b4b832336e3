"""The stop's scan for holders of the database is bounded whatever other users open (issue 22).

A throwaway unprivileged user (``jccscnNNNN``, made and removed here) runs a few processes with
tens of thousands of open descriptors each (nothing of the database among them: what stretched a
20 s stop to 45 s), and one small process that does hold a file of the database. Each pass of
`procs.holders` must read at most the budget beyond a fixed allowance per process, still find
the small holder, and name the big ones *unknown* -- never "not a holder". Under
``JCCLUSTER_PROCS=psutil`` (the suite's second engine run) the psutil layer is held to the same
counts. Timings are benchmarks/bench_stop_scan.py's business, not a pass/fail test's.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from jobcenter_cluster.engine import procs, stop
from jobcenter_cluster.outcome import Outcome
from support.users import throwaway_user

pytestmark = pytest.mark.timeout(60)

PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
#: descriptors per hostile process (as many as RLIMIT_NOFILE lets a user have, at most 30 000),
#: and how many such processes: about 120 000 descriptors in all (dups of one regular file
#: outside the database: they cost the system no open-file structure)
BIG = min(30_000, resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 256)
COPIES = max(4, 120_000 // BIG)
#: the small holder's descriptors: above the allowance, so it competes for the budget
SMALL = 3 * procs.FD_ALLOWANCE
#: a budget far below what the hostile user opens
BUDGET = 2_000

#: N descriptors: dups of the file the test hands over (descriptor SRC), or with LAST=1 of
#: /dev/null and then one of SRC as the highest (read last: beyond any allowance); report,
#: wait for stdin to close
OPENER = ("import os, sys\n"
          "n, src, last = map(int, sys.argv[1:4])\n"
          "filler = os.open('/dev/null', os.O_RDONLY) if last else src\n"
          "for _ in range(n): os.dup(filler)\n"
          "if last: os.dup(src); os.close(src)\n"
          "print('ready', flush=True)\n"
          "sys.stdin.read()\n")


@pytest.fixture
def user(reaper):
    """A throwaway unprivileged user (`support.users.throwaway_user`)."""
    with throwaway_user('jccscn', reaper.popens) as pw:
        yield pw


def _raise_nofile() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def opener(reaper, who, count: int, path: str, last: bool = False) -> subprocess.Popen[str]:
    """A process of ``who`` holding ``count`` descriptors of ``path`` (opened by root and
    handed over: the user needs no access to it), or with ``last`` ``count`` of /dev/null and
    one of ``path``, the highest."""
    fd = os.open(path, os.O_RDONLY)
    try:
        p = reaper.popen(
            ["setpriv", f"--reuid={who.pw_uid}", f"--regid={who.pw_gid}", "--clear-groups",
             "--inh-caps=-all", PYTHON, "-I", "-S", "-c", OPENER, str(count), str(fd),
             str(int(last))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/", pass_fds=(fd,),
            env={"PATH": "/usr/bin:/bin"}, preexec_fn=_raise_nofile)
    finally:
        os.close(fd)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


@pytest.fixture
def hostile(reaper, user, tmp_path):
    """COPIES processes of the user with BIG descriptors each, none of them in a database."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("x")
    procs_ = [opener(reaper, user, BIG, str(elsewhere)) for _ in range(COPIES)]
    held = sum(len(os.listdir(f"/proc/{p.pid}/fd")) for p in procs_)
    assert held >= BIG * COPIES  # what a full scan would read, every pass
    return procs_


def test_one_pass_reads_at_most_the_budget_and_finds_the_small_holder(tmp_path, reaper, user,
                                                                       hostile):
    db = tmp_path / "db"
    db.mkdir()
    (db / "file").write_text("x")
    small = opener(reaper, user, SMALL, str(db / "file"), last=True)
    table = procs.scan()
    scan = procs.HolderScan(BUDGET)
    found = procs.holders(str(db), table, budget=BUDGET, trusted=frozenset({0}), scan=scan)
    assert small.pid in found
    big = {p.pid for p in hostile}
    assert not big & found
    assert big <= scan.unknown, "a process read only in part must be unknown"
    # the cost: the budget, plus a fixed allowance for each process -- not the 120 000
    # descriptors the user holds
    assert scan.spent <= BUDGET
    assert scan.untrusted <= BUDGET + (procs.FD_ALLOWANCE + 1) * len(table)
    assert scan.untrusted < BIG * COPIES // 2


def test_stop_meets_its_deadline_with_bounded_passes(sim_site, reaper, user, hostile,
                                                     monkeypatch):
    monkeypatch.setattr(stop, "HOLDER_BUDGET", BUDGET)
    assert sim_site.start().outcome == Outcome.SUCCESS
    holdme = os.path.join(sim_site.db, "nqs", "holdme")
    with open(holdme, "w", encoding="utf-8") as fh:
        fh.write("x")
    small = opener(reaper, user, SMALL, holdme, last=True)
    table = procs.scan()
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS, res.message
    scans = res.details["holder_scan"]
    assert scans["passes"] >= 2 and scans["budget"] == BUDGET
    assert scans["max_spent"] <= BUDGET
    assert scans["max_untrusted"] <= BUDGET + (procs.FD_ALLOWANCE + 1) * (len(table) + 50)
    assert scans["max_untrusted"] < BIG * COPIES // 2
    # the small holder was found and stopped (the manual's fuser -k); the big ones named
    assert small.wait(timeout=5) is not None
    big = {p.pid for p in hostile}
    assert big <= set(scans["unscanned"])
    assert "not fully checked" in res.message
    assert all(p.poll() is None for p in hostile), "the user's other processes were signalled"
    assert res.details["seconds"] < 5 + stop.KILL_GRACE
