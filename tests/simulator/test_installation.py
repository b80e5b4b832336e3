"""The emulated JobCenter installation (`jccluster simulator install`) against the manual.

Manual references: cjcmksite §2.10.3 / §2.11.6 (phases, "cjcmksite: Complete.", the address
must be active here, the umask warning §2.12), cjcpw §2.10.4 (foreground watcher, exits
abnormally when a watched process disappears or turns zombie; -c; -stop), cjcls and nqspath
§2.10.5, nqsportkpr §2.10.4.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from jobcenter_cluster.simulator import jobcenter as emu
from jobcenter_cluster.simulator.install import COMMANDS, install
from support.jobcenter import Installation
from support.procs import site_processes as _site_procs
from support.sites import poll_for

pytestmark = pytest.mark.timeout(90)

WATCHED = ("nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "jnwengine-qwb",
           "jnwengine-trkrdr", "sclaunchd", "jnwcaster", "comagent")


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            st = fh.read()
    except OSError:
        return "X"
    return st[st.rfind(b")") + 2 :].split()[0].decode()


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            st = fh.read()
    except OSError:
        return 0
    return int(st[st.rfind(b")") + 2 :].split()[1])


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def test_install_writes_five_executables_with_a_fixed_interpreter(tmp_path):
    written = install(str(tmp_path / "nqs"))
    assert sorted(os.path.relpath(p, tmp_path / "nqs") for p in written) == sorted(
        ["cluster/cjcpw", "cluster/cjcmksite", "cluster/cjcls", "nqsportkpr", "nqspath"])
    for path in written:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755
        with open(path, encoding="utf-8") as fh:
            assert fh.readline() == f"#!{sys.executable} -I\n"
    before = [_read(p) for p in written]
    assert install(str(tmp_path / "nqs")) == written  # re-install rewrites in place
    assert [_read(p) for p in written] == before


def test_cli_install_with_a_local_address(tmp_path):
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "simulator", "install",
                          str(tmp_path / "p"), "--host", "rehearsal.example.com=127.0.77.1"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    hosts = tmp_path / "p" / "hosts"
    assert "127.0.77.1 rehearsal.example.com" in hosts.read_text()
    assert f"export JCCLUSTER_HOSTS={hosts}" in res.stderr
    for rel in COMMANDS.values():
        assert os.access(tmp_path / "p" / rel, os.X_OK)
    # nqspath of that name through the hosts file, no /etc/hosts edit
    env = {**os.environ, "JCCLUSTER_HOSTS": str(hosts), "JCCLUSTER_ROOT": str(tmp_path / "spool")}
    os.makedirs(tmp_path / "spool" / "7F004D01")
    out = subprocess.run([str(tmp_path / "p" / "nqspath"), "rehearsal.example.com"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert out.stdout == f"{tmp_path}/spool/7F004D01\n", out.stderr


@pytest.mark.parametrize("spec", ["nope", "x=1.2.3.4.5", "bad name=127.0.0.1", "=127.0.0.1"])
def test_cli_install_refuses_a_bad_host(tmp_path, spec):
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "simulator", "install",
                          str(tmp_path / "p"), "--host", spec],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "--host" in res.stderr, res.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o077, 0o700), (0o027, 0o750)])
def test_cjcmksite_builds_the_database_and_the_spool_link_with_the_callers_umask(
        jobcenter: Installation, umask, mode):
    res = jobcenter.run("cjcmksite", jobcenter.site, "162", jobcenter.db,
                        preexec_fn=lambda: os.umask(umask))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "Phase 1: Make NQS spool directories." and lines[-1] == "cjcmksite: Complete."
    nqs = os.path.join(jobcenter.db, "nqs")
    assert stat.S_IMODE(os.stat(nqs).st_mode) == mode  # the manual's §2.12 warning, reproduced
    link = os.path.join(jobcenter.root, emu.spool_hex(jobcenter.address))
    assert os.readlink(link) == nqs
    # run it again (the manual: after an error, fix it and run again) → still fine
    again = jobcenter.run("cjcmksite", jobcenter.site, "162", jobcenter.db)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("case, args, words", [
    ("unknown name", ["nosuch.invalid", "162", "{db}"], "unknown host"),
    ("inactive address", ["inactive.example.com", "162", "{db}"], "not active on this machine"),
    ("alias", ["{short}-alias.example.com", "162", "{db}"], "alias"),
    ("parent missing", ["{site}", "162", "{tmp}/no/such/jobdb"], "No such directory"),
    ("bad machine id", ["{site}", "0", "{db}"], "machine ID"),
    ("relative path", ["{site}", "162", "jobdb"], "full path"),
    ("usage", ["{site}", "162"], "usage"),
])
def test_cjcmksite_fails_with_one_clear_line(jobcenter: Installation, tmp_path, case, args, words):
    fill = {"db": jobcenter.db, "site": jobcenter.site, "tmp": str(tmp_path),
            "short": jobcenter.site.split(".")[0]}
    res = jobcenter.run("cjcmksite", *[a.format(**fill) for a in args])
    assert res.returncode != 0, case
    assert res.stderr.count("\n") == 1 and words in res.stderr, res.stderr
    assert not os.path.exists(os.path.join(jobcenter.db, "nqs"))


def test_cjcmksite_refuses_another_site_on_an_existing_database(jobcenter: Installation):
    jobcenter.mksite()
    res = jobcenter.run("cjcmksite", jobcenter.site, "999", jobcenter.db)
    assert res.returncode == 1 and "already holds site" in res.stderr


def test_nqspath_with_site_with_nqs_site_and_errors(jobcenter: Installation):
    jobcenter.mksite()
    want = os.path.join(jobcenter.root, emu.spool_hex(jobcenter.address)) + "\n"
    assert jobcenter.run("nqspath", jobcenter.site).stdout == want
    assert jobcenter.run("nqspath", env={"NQS_SITE": jobcenter.site}).stdout == want
    bad = jobcenter.run("nqspath", "nosuch.invalid")
    assert bad.returncode == 1 and "Unable to setup NQS rootdir" in bad.stderr
    elsewhere = jobcenter.run("nqspath", "inactive.example.com")
    assert elsewhere.returncode == 1 and "Unable to chdir() to the NQS root directory." in elsewhere.stderr


def test_cjcpw_c_starts_returns_and_stop_takes_the_configured_time(jobcenter: Installation):
    jobcenter.mksite()
    res = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db)
    assert res.returncode == 0, res.stderr
    for role in WATCHED:
        pid = jobcenter.pid(role)
        assert f"NQS_SITE={jobcenter.site}".encode() in _read(f"/proc/{pid}/environ").encode()
    table = jobcenter.run("cjcls").stdout.splitlines()
    assert table[1].split() == ["SITE-NAME", "DAEMON-PID", "DB-PATH(LINK)"]
    row = next(i for i, line in enumerate(table) if line.startswith(jobcenter.site))
    assert table[row].split() == [jobcenter.site, str(jobcenter.pid("nqsdaemon")), jobcenter.db]
    assert table[row + 1].strip() == f"({jobcenter.root}/{emu.spool_hex(jobcenter.address)})"

    t0 = time.monotonic()
    stop = jobcenter.run("cjcpw", "-stop", jobcenter.site, env={"JCCLUSTER_SIM_STOP_SECONDS": "1"})
    took = time.monotonic() - t0
    assert stop.returncode == 0, stop.stderr
    assert 1.0 <= took < 8.0
    assert _site_procs(jobcenter.site) == []
    shut = [line.split() for line in jobcenter.run("cjcls").stdout.splitlines()]
    assert [jobcenter.site, "SHUT", jobcenter.db] in shut
    # stopping a stopped site is fine (a halt script on a standby node)
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0


def test_stop_delay_defaults_to_three_seconds(monkeypatch):
    monkeypatch.delenv("JCCLUSTER_SIM_STOP_SECONDS", raising=False)
    assert emu.stop_seconds() == 3.0
    monkeypatch.setenv("JCCLUSTER_SIM_STOP_SECONDS", "soon")
    with pytest.raises(emu.Failure, match="JCCLUSTER_SIM_STOP_SECONDS"):
        emu.stop_seconds()


@contextlib.contextmanager
def _subreaper(keep: list[subprocess.Popen[str]]) -> Iterator[None]:
    """This process as the child subreaper (prctl PR_SET_CHILD_SUBREAPER) for the block: the
    daemons the emulated cjcpw detaches become its children, so the test can reap one itself
    (cjcpw then finds it gone, not a zombie, whatever PID 1 does). At the end the flag is
    cleared and the zombies left to this process are reaped (never one of ``keep``, whose
    Popen objects wait for their own)."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(36, 1, 0, 0, 0) == 0, os.strerror(ctypes.get_errno())  # PR_SET_CHILD_SUBREAPER
    try:
        yield
    finally:
        libc.prctl(36, 0, 0, 0, 0)
        popens = {p.pid for p in keep}
        for entry in os.listdir("/proc"):
            pid = int(entry) if entry.isdigit() else 0
            if pid and pid not in popens and _ppid(pid) == os.getpid() and _state(pid) == "Z":
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)


@pytest.mark.parametrize("victim, how", [("netdaemon", "is a zombie"), ("comagent", "is gone")])
def test_cjcpw_watches_in_the_foreground_and_fails_when_a_daemon_dies(
        jobcenter: Installation, reaper, victim, how):
    jobcenter.mksite()
    with _subreaper(reaper.popens):
        proc = jobcenter.popen("cjcpw", jobcenter.site, jobcenter.db)
        reaper.popens.append(proc)
        nqs = os.path.join(jobcenter.db, "nqs")
        # every watched daemon up and ready, as cjcpw itself checks before it starts watching
        poll_for(lambda: all(emu._up(nqs, jobcenter.site, r) for r in WATCHED), timeout=30,
                 what="daemons up")
        time.sleep(0.3)  # cjcpw polls every 20 ms: make sure it is past its start-up wait
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        pid = jobcenter.pid(victim)
        # the watcher is held still while the victim dies and reaches the state named: a zombie
        # (netdaemon: its parent nqsdaemon never reaps it) or gone (comagent: reaped here)
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            os.kill(pid, signal.SIGKILL)
            if how == "is gone":
                assert _ppid(pid) == os.getpid(), "comagent is not this test's child"
                assert os.waitpid(pid, 0)[0] == pid
            else:
                poll_for(lambda: _state(pid) == "Z", timeout=10, what=f"{victim} a zombie")
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        assert proc.wait(timeout=10) == 1
        assert proc.stderr.read() == f"cjcpw: {jobcenter.site}: {victim} (pid {pid}) {how}\n"
        stop = jobcenter.run("cjcpw", "-stop", jobcenter.site)
        assert stop.returncode == 0, stop.stderr
        poll_for(lambda: _site_procs(jobcenter.site) == [], timeout=10, what="site gone")


def test_cjcpw_exits_zero_when_stopped(jobcenter: Installation, reaper):
    jobcenter.mksite()
    proc = jobcenter.popen("cjcpw", jobcenter.site, jobcenter.db)
    reaper.popens.append(proc)
    poll_for(lambda: jobcenter.run("cjcls").stdout.count("SHUT") == 0, timeout=30)
    poll_for(lambda: len(_site_procs(jobcenter.site)) >= 10, timeout=30, what="daemons up")
    stop = jobcenter.run("cjcpw", "-stop", jobcenter.site)
    assert stop.returncode == 0, stop.stderr
    assert proc.wait(timeout=20) == 0, proc.stderr.read() if proc.stderr else ""
    assert _site_procs(jobcenter.site) == []


def test_cjcpw_refuses_a_database_cjcmksite_did_not_build(jobcenter: Installation):
    os.makedirs(os.path.join(jobcenter.db, "nqs"))
    res = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db)
    assert res.returncode == 1 and "not a site database" in res.stderr
    assert _site_procs(jobcenter.site) == []


def test_faults_apply_to_the_daemons_cjcpw_starts(jobcenter: Installation):
    jobcenter.mksite()
    res = jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db,
                        env={"JCCLUSTER_SIM_FAULTS": "comagent=no-start",
                             "JCCLUSTER_SIM_START_SECONDS": "1"})
    assert res.returncode == 1 and "comagent did not start" in res.stderr, res.stderr
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0
    assert _site_procs(jobcenter.site) == []


def test_nqsportkpr_holds_the_port_until_cjcpw_starts_the_daemons(jobcenter: Installation):
    jobcenter.mksite()
    env = {"JCCLUSTER_SIM_NQS_PORT": "607"}
    res = jobcenter.run("nqsportkpr", jobcenter.site, env=env)
    assert res.returncode == 0, res.stderr

    def can_bind() -> bool:
        with socket.socket() as s:
            try:
                s.bind((jobcenter.address, 607))
            except OSError:
                return False
            return True

    assert not can_bind()
    second = jobcenter.run("nqsportkpr", jobcenter.address, env=env)
    assert second.returncode == 1 and "cannot hold" in second.stderr
    assert jobcenter.run("cjcpw", "-c", jobcenter.site, jobcenter.db, env=env).returncode == 0
    poll_for(can_bind, timeout=5, what="port released")
    assert jobcenter.run("cjcpw", "-stop", jobcenter.site).returncode == 0


def test_baked_defaults_serve_scripts_run_with_an_empty_environment(tmp_path, reaper):
    """Cluster products often run their scripts with no environment (Serviceguard's
    SERVICE_CMD): `install --root --host --stop-seconds` bakes the defaults in."""
    from support.sites import unique_site

    site, address = unique_site()
    reaper.site(site)
    prefix, root = tmp_path / "p", tmp_path / "spool"
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "simulator", "install",
                          str(prefix), "--root", str(root), "--host", f"{site}={address}",
                          "--stop-seconds", "0.1"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    (tmp_path / "disk").mkdir()
    db = str(tmp_path / "disk" / "jobdb")

    def bare(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), capture_output=True, text=True, env={}, timeout=60)

    assert bare(str(prefix / "cluster/cjcmksite"), site, "7", db).returncode == 0
    assert os.path.islink(root / emu.spool_hex(address))
    assert bare(str(prefix / "nqspath"), site).stdout == f"{root}/{emu.spool_hex(address)}\n"
    assert bare(str(prefix / "cluster/cjcpw"), "-c", site, db).returncode == 0
    assert site in bare(str(prefix / "cluster/cjcls")).stdout
    t0 = time.monotonic()
    assert bare(str(prefix / "cluster/cjcpw"), "-stop", site).returncode == 0
    assert time.monotonic() - t0 < 3.0  # the baked 0.1 s, not the default 3
    assert _site_procs(site) == []
    # the environment still wins over the baked defaults
    other = tmp_path / "other-spool"
    out = subprocess.run([str(prefix / "nqspath")], capture_output=True, text=True, timeout=30,
                         env={"JCCLUSTER_ROOT": str(other)})
    assert out.returncode == 1  # the local site: other-spool does not exist
    other.mkdir()
    out = subprocess.run([str(prefix / "nqspath")], capture_output=True, text=True, timeout=30,
                         env={"JCCLUSTER_ROOT": str(other)})
    assert out.stdout == f"{other}\n"
