"""Membership: which processes are the site's (issue 10 "membership you can defend", issue 16.1).

Real faults, no mocks: a root bystander carrying ``NQS_SITE=<site>`` (an operator's shell), and
an unprivileged throwaway user (``jccengNNNN``, made and removed here) running processes with
JobCenter's names, the site's marker, this node's identity and a forged start token. None of
them may be adopted, watched, signalled, counted as "the local daemon" or fool ``start``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from jobcenter_cluster.engine import api, procs, store
from jobcenter_cluster.outcome import Outcome
from support import procs as support_procs
from support.users import throwaway_user

pytestmark = pytest.mark.timeout(90)


#: one fake daemon: JobCenter's argv[0] and kernel name, starts its children (argv[0]s after its
#: own kernel name) like JobCenter's tree, and reports each signal it gets on stdout; SIGWINCH
#: is the test's marker (MARKER), answered with MARK
FAKE = r"""
import ctypes, os, signal, subprocess, sys
name, children = sys.argv[1], sys.argv[2:]
ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)
def rec(n, _f):
    os.write(1, f"SIG {os.getpid()} {signal.Signals(n).name}\n".encode())
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGQUIT):
    signal.signal(s, rec)
signal.signal(signal.SIGWINCH, lambda _n, _f: os.write(1, f"MARK {os.getpid()}\n".encode()))
for child in children:
    comm = child.rsplit("/", 1)[-1].replace("NQS ", "")
    subprocess.Popen([child, "-c", os.environ["FAKE"], comm],
                     executable=os.readlink("/proc/self/exe"))
os.write(1, f"READY {os.getpid()}\n".encode())
while True:
    signal.pause()
"""

#: JobCenter's process tree (see jobcenter_cluster.simulator): top name -> children
TREE = {"NQS nqsdaemon": ["NQS netdaemon", "NQSlogdaemon"],
        "/usr/lib/nqs/gui/bin/jnwengine": ["jnwengine-qwb", "jnwengine-trkrdr"],
        "/usr/lib/nqs/gui/bin/sclaunchd": [],
        "/usr/lib/nqs/jnwcaster": ["/usr/lib/nqs/jnwcaster"],
        "/usr/lib/nqs/combase/comagent": []}

#: starts the fakes (the top ones detached from it: the tree JobCenter shows), all reporting
#: on the same stdout
LAUNCH = r"""
import json, os, subprocess, sys
tree = json.loads(sys.argv[1])
for top, children in tree.items():
    comm = top.rsplit("/", 1)[-1].replace("NQS ", "")
    subprocess.Popen([top, "-c", os.environ["FAKE"], comm, *children],
                     executable=sys.executable)
"""

#: the marker signal: numbered above every signal the engine sends (SIGTERM 15, SIGKILL 9, and
#: SIGHUP/SIGINT/SIGQUIT/SIGUSR1/SIGUSR2), so a process that answers it has handled (or died
#: of) any of those sent before it: pending standard signals are delivered lowest number first,
#: and Python runs its handlers in that order too. The answer is the positive point after
#: which "nothing was sent" is a fact, however loaded the machine.
MARKER = signal.SIGWINCH

PYTHON = "/usr/bin/python3"
TOKEN = "JCCLUSTER_START_TOKEN"


def _comm(pid: int) -> str:
    with open(f"/proc/{pid}/comm", encoding="utf-8") as fh:
        return fh.read().strip()


def _uid(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        return int(next(ln for ln in fh if ln.startswith("Uid:")).split()[1])


class Fakes:
    """Fake JobCenter daemons, all started by one launcher; signals they got are collected."""

    def __init__(self, proc: subprocess.Popen[bytes], count: int) -> None:
        self.proc = proc
        self.buf = b""
        self.pids: list[int] = []
        self.got: list[str] = []
        self.marks: set[int] = set()
        deadline = time.monotonic() + 20
        while len(self.pids) < count:
            assert time.monotonic() < deadline, f"fakes not ready: {self.buf!r}"
            self._read(0.2)

    def _read(self, timeout: float) -> None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if ready:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            words = line.decode().split()
            if words and words[0] == "READY":
                self.pids.append(int(words[1]))
            elif words and words[0] == "SIG":
                self.got.append(f"{words[1]} {words[2]}")
            elif words and words[0] == "MARK":
                self.marks.add(int(words[1]))

    def assert_untouched(self) -> None:
        """No fake got a signal or died: each answers MARKER, sent now, and nothing came
        before the answer."""
        self.marks.clear()
        for pid in self.pids:
            try:
                os.kill(pid, MARKER)
            except ProcessLookupError:
                raise AssertionError(f"fake daemon {pid} died") from None
        deadline = time.monotonic() + 20
        while not self.marks >= set(self.pids) and not self.got:
            assert time.monotonic() < deadline, (
                f"fake daemons {sorted(set(self.pids) - self.marks)} did not answer (died?)")
            self._read(0.2)
        assert self.got == [], f"fake daemons were signalled: {self.got}"

    def kill(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def attacker():
    """A throwaway unprivileged user (`support.users.throwaway_user`)."""
    with throwaway_user('jcceng') as pw:
        yield pw


def run_fakes(tree: dict[str, list[str]], env: dict[str, str],
              user: pwd.struct_passwd | None = None) -> Fakes:
    argv = [PYTHON, "-c", LAUNCH, json.dumps(tree)]
    if user is not None:
        argv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                "--inh-caps=-all", *argv]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env={**env, "FAKE": FAKE}, cwd="/",
                            start_new_session=True)
    return Fakes(proc, len(tree) + sum(len(c) for c in tree.values()))


def forged_env(site: str) -> dict[str, str]:
    """Everything a member carries -- except the real token, which only root can read."""
    return {"PATH": "/usr/bin:/bin", "NQS_SITE": site, "JCCLUSTER_NODE": "node-a",
            TOKEN: "0" * 32}


def test_user_processes_with_jobcenter_names_do_not_fool_start(sim_site, attacker, bystander,
                                                              poll_for):
    """16.1: another user's full set of fake daemons with the marker: start is not fooled
    ("already running"), status names root's daemons, stop never signals the fakes."""
    fakes = run_fakes(TREE, forged_env(sim_site.name), attacker)
    try:
        assert all(_uid(pid) == attacker.pw_uid for pid in fakes.pids)
        res = sim_site.start()
        assert res.outcome == Outcome.SUCCESS and not res.details.get("already"), res.message
        st = sim_site.status()
        assert st.outcome == Outcome.RUNNING
        assert not set(st.daemons.values()) & set(fakes.pids)
        assert all(_uid(pid) == 0 for pid in st.daemons.values() if pid)
        # a watcher adopts root's daemons, never the fakes; killing a fake is not a failure
        watcher = sim_site.watch()
        poll_for(lambda: sim_site.status().watcher_pid or watcher.poll() is not None,
                 timeout=15, what="watcher adopted the site")
        assert watcher.poll() is None
        run = store.read_run(sim_site.root, sim_site.name)
        assert not {p for p, _s in run["members"]} & set(fakes.pids)
        # never watched: a fake "nqsdaemon" dying is nothing to the watcher. Then the real
        # nqsdaemon dies: the watcher, which has had the fake's death first, must report the
        # real one (a watcher that had adopted the fake in its place reports the fake's pid)
        fake = next(pid for pid in fakes.pids if _comm(pid) == "nqsdaemon")
        real = st.daemons["nqsdaemon"]
        os.kill(fake, signal.SIGKILL)
        fakes.pids.remove(fake)
        assert sim_site.status().outcome == Outcome.RUNNING
        os.kill(real, signal.SIGKILL)
        assert watcher.wait(timeout=15) != 0
        reason = store.read_run(sim_site.root, sim_site.name)["reason"]
        assert re.fullmatch(rf"nqsdaemon \(pid {real}\) (is gone|is a zombie)", reason), reason
        res = sim_site.stop(timeout=5)
        assert res.outcome == Outcome.SUCCESS, res.message
        fakes.assert_untouched()
    finally:
        fakes.kill()


def test_user_nqsdaemon_does_not_block_start(sim_site, attacker):
    """16.1: a user's process named nqsdaemon is not "the local JobCenter daemon"."""
    env = {"PATH": "/usr/bin:/bin"}
    fakes = run_fakes({"NQS nqsdaemon": []}, env, attacker)
    try:
        res = sim_site.start()
        assert res.outcome == Outcome.SUCCESS, res.message
        sim_site.stop(timeout=5)
        fakes.assert_untouched()
    finally:
        fakes.kill()


def test_roots_nqsdaemon_still_blocks_start(sim_site):
    """The same fake as root *is* a local daemon: the local_daemon rule still holds."""
    fakes = run_fakes({"NQS nqsdaemon": []}, {"PATH": "/usr/bin:/bin"})
    try:
        res = sim_site.start()
        assert res.outcome == Outcome.FAILED and "local JobCenter daemon" in res.message
        fakes.assert_untouched()
    finally:
        fakes.kill()


def test_marker_alone_is_never_a_target(sim_site, reaper):
    """10.2: ``NQS_SITE=SITE sleep 1000`` started from / (an operator's shell): start and stop
    leave it alone."""
    env = dict(os.environ, NQS_SITE=sim_site.name)
    env.pop(TOKEN, None)
    shell = run_fakes({"sleep": []}, env)
    try:
        assert sim_site.start().outcome == Outcome.SUCCESS
        assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
        shell.assert_untouched()
    finally:
        shell.kill()


def test_roots_untokened_copy_of_the_site_blocks_start_and_is_not_signalled(sim_site):
    """Root's daemons with the site's marker but no token (``cjcpw`` by hand): start refuses
    to run a second copy beside them, and signals none of them."""
    env = {"PATH": "/usr/bin:/bin", "NQS_SITE": sim_site.name}
    fakes = run_fakes({"NQS nqsdaemon": []}, env)
    try:
        res = sim_site.start()
        assert res.outcome == Outcome.FAILED and "did not start" in res.message, res.message
        assert str(fakes.pids[0]) in res.message
        fakes.assert_untouched()
    finally:
        fakes.kill()


def test_start_records_token_since_and_identities(sim_site):
    from jobcenter_cluster.engine import members

    assert sim_site.start().outcome == Outcome.SUCCESS
    run = store.read_run(sim_site.root, sim_site.name)
    assert len(run["token"]) == 64 and isinstance(run["since"], int)
    nqs = run["daemons"]["nqsdaemon"][0]
    token = procs.environ(nqs)[members.TOKEN]
    with open(store.run_path(sim_site.root, sim_site.name), encoding="utf-8") as fh:
        assert members.digest(token) == run["token"] and token not in fh.read()
    idents = {tuple(x) for x in run["members"]}
    assert len(idents) == 10 and all(procs.read(p).start == s for p, s in idents)
    assert all(procs.read(p).start >= run["since"] for p, _s in idents)
    # status reports the live members' identities too
    st = sim_site.status()
    assert st.state == "running" and st.known
    sim_site.stop(timeout=5)
    # a second start gets a new token
    assert sim_site.start().outcome == Outcome.SUCCESS
    assert store.read_run(sim_site.root, sim_site.name)["token"] != run["token"]
    sim_site.stop(timeout=5)


def test_adoption_requires_the_recorded_token(sim_site, poll_for):
    """A site started unwatched is adopted by a watcher only through the recorded token: with
    the token in the run file replaced, its daemons are not the site's (start refuses to make
    a second copy beside them; the holder rule of stop still clears them)."""
    from jobcenter_cluster.engine import members

    assert sim_site.start().outcome == Outcome.SUCCESS
    run = store.read_run(sim_site.root, sim_site.name)
    run["token"] = members.digest("forged")
    store._write_run(sim_site.root, sim_site.name, run)
    res = sim_site.start()
    assert res.outcome == Outcome.FAILED and "did not start" in res.message
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert support_procs.site_processes(sim_site.name) == []  # read by the test, not the engine


def test_stop_never_goes_by_root_directory(sim_site, reaper):
    """10.1: a process whose root directory is inside the database but holds nothing there is
    not signalled (the old rule took every process whose root was under the path)."""
    jail = os.path.join(sim_site.db, "jail")
    os.makedirs(jail)
    # chroot into the database, then fchdir back to the real "/" (an fd opened before): its
    # root directory is inside the database, its cwd and files are not
    code = ("import os, sys, signal; fd = os.open('/', os.O_RDONLY); os.chroot(sys.argv[1]); "
            "os.fchdir(fd); os.close(fd); "
            "signal.signal(signal.SIGTERM, lambda *a: os._exit(9)); "
            "signal.signal(signal.SIGWINCH, lambda *a: print('mark', flush=True)); "
            "print('ok', flush=True)\n"
            "while True: signal.pause()")
    p = reaper.popen([sys.executable, "-c", code, jail], stdout=subprocess.PIPE,
                     text=True, cwd="/", env={k: v for k, v in os.environ.items()
                                              if k != "NQS_SITE"})
    assert p.stdout.readline().strip() == "ok"
    assert os.readlink(f"/proc/{p.pid}/root") == jail
    assert p.pid not in procs.holders(sim_site.db, procs.scan())
    sim_site.start()
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    # it answers the marker: alive, and no SIGTERM came before it (see MARKER)
    os.kill(p.pid, MARKER)
    assert p.stdout.readline().strip() == "mark", "a process was signalled for its root directory"
    p.kill()


def test_own_cgroup_is_recorded_only_when_it_holds_nothing_else():
    from jobcenter_cluster.engine import members

    table = procs.scan()
    me = os.getpid()
    # our cgroup holds other processes (pytest's parent at least, or "/"): never the site's own
    assert members.own_cgroup({me}, table) is None


def test_members_rule_unit(sim_site):
    """The rule itself: a daemon name, the marker, the token, the start time and the owner are
    each required."""
    from jobcenter_cluster.engine import members

    assert sim_site.start().outcome == Outcome.SUCCESS
    run = store.read_run(sim_site.root, sim_site.name)
    from jobcenter_cluster.engine import profiles

    prof = profiles.get("simulator")
    table = procs.scan()
    ex = procs.ancestors(os.getpid(), table)
    found = members.members(sim_site.name, "node-a", table, prof, run, exclude=ex)
    assert len(found) == 10
    assert members.members(sim_site.name, "node-b", table, prof, run, exclude=ex) == set()
    late = dict(run, since=procs.now_ticks() + 100000)
    assert members.members(sim_site.name, "node-a", table, prof, late, exclude=ex) == set()
    assert members.members(sim_site.name, "node-a", table, prof, dict(run, token=None),
                           exclude=ex) == set()
    only_nobody = frozenset({65534})
    assert members.roots(sim_site.name, "node-a", table, prof, token_digest=run["token"],
                         since=run["since"], exclude=ex, trusted=only_nobody) == set()
    sim_site.stop(timeout=5)


def test_zombies_count_as_gone_in_status_and_stop(sim_site, poll_for):
    """A member that turned zombie is gone for status (failed, named) and for stop (nothing to
    kill, success)."""
    from jobcenter_cluster import simulator

    simulator.set_fault(sim_site.db, "netdaemon", "exit=0.3")  # its parent never reaps it
    assert sim_site.start().outcome == Outcome.SUCCESS
    st = poll_for(lambda: (s := sim_site.status()).outcome == Outcome.FAILED and s, timeout=10)
    assert "netdaemon" in st.message and "zombie" in st.message
    res = sim_site.stop(timeout=5)
    assert res.outcome == Outcome.SUCCESS and res.details["killed"] == []


def test_jobcenter_user_is_trusted_when_configured(monkeypatch, attacker):
    from jobcenter_cluster.engine import members

    monkeypatch.setenv(members.ENV_USER, attacker.pw_name)
    assert attacker.pw_uid in members.trusted_uids()
    monkeypatch.setenv(members.ENV_USER, "no-such-user-jcc")
    from jobcenter_cluster.errors import UserError

    with pytest.raises(UserError, match="no such user"):
        members.trusted_uids()


def test_api_status_known(sim_site, engine_env):
    assert sim_site.status().known
    assert not api.status("never.example.com", root=engine_env.root).known


ORPHAN = r"""
import os, sys, time
from jobcenter_cluster.engine import procs, watcher
site, root, db = sys.argv[1:4]
assert procs.set_subreaper()
r, w = os.pipe()
if os.fork() == 0:                      # a job forks its background part and exits ...
    if os.fork() == 0:
        os.close(r)
        os.write(w, str(os.getpid()).encode())
        os.close(w)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execvp("sleep", ["sleep", "120"])
    os._exit(0)
os.close(w)
orphan = int(os.read(r, 32))
os.wait()                               # ... the orphan is now ours (we are the subreaper)
assert procs.read(orphan).ppid == os.getpid()
ctx = watcher.WatchCtx(site, root, db, {})
watcher.refresh_members(ctx)
print(orphan, flush=True)
"""


def test_watcher_records_orphans_so_stop_finds_them_after_reparenting(sim_site, reaper):
    """The daemons re-parent to PID 1 and leave no tree: the watcher (a subreaper) records
    what lands below it, and stop takes those identities even after the watcher is gone."""
    assert sim_site.start().outcome == Outcome.SUCCESS
    env = {k: v for k, v in os.environ.items() if k != "NQS_SITE"}
    out = subprocess.run([sys.executable, "-c", ORPHAN, sim_site.name, sim_site.root,
                          sim_site.db], capture_output=True, text=True, env=env, cwd="/",
                         timeout=30)
    assert out.returncode == 0, out.stderr
    orphan = reaper.track(int(out.stdout))
    assert procs.alive(orphan) and procs.read(orphan).ppid != os.getpid()
    run = store.read_run(sim_site.root, sim_site.name)
    assert [orphan, procs.read(orphan).start] in run["members"]
    assert sim_site.stop(timeout=5).outcome == Outcome.SUCCESS
    assert not procs.alive(orphan)
