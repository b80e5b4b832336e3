"""Finding 2 (issue 16): a state directory writable by others gave that user root's pen.

The attacker is a throwaway local account. Each test lets a careless operator open a door
(a spool root with mode 1777, a ``.jccluster`` tree left to another user), lets the attacker plant
what the finding describes, then runs root's command and shows nothing happens: the command
refuses in one line naming the path, the bystander process gets no signal, and no file outside
the state tree is created, overwritten or chmod'ed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import store
from jobcenter_cluster.errors import UserError

pytestmark = pytest.mark.timeout(120)


def _start(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        data = fh.read()
    return int(data[data.rfind(b")") + 2:].split()[19])


def _victim(tmp: str) -> tuple[str, bytes, int]:
    path = os.path.join(tmp, "root-only.conf")
    with open(path, "wb") as fh:
        fh.write(b"secret=1\n")
    os.chmod(path, 0o640)
    return path, b"secret=1\n", 0o640


def _assert_victim_intact(victim: tuple[str, bytes, int]) -> None:
    path, content, mode = victim
    with open(path, "rb") as fh:
        assert fh.read() == content, "root wrote through the planted symlink"
    assert stat.S_IMODE(os.stat(path).st_mode) == mode, "root chmod'ed through the symlink"


PLANT = """
site, victim, forged = SITE, VICTIM, FORGED
for sub in (".jccluster", ".jccluster/run", ".jccluster/lock", ".jccluster/keepport",
            ".jccluster/sites"):
    try:
        os.mkdir(sub, 0o777, dir_fd=FD)
    except FileExistsError:
        pass
def put(rel, data):
    fd = os.open(rel, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666, dir_fd=FD)
    os.write(fd, data.encode())
    os.close(fd)
put(f".jccluster/run/{site}.json", forged)
put(".jccluster/keepport/127.0.0.9-607.json", KEEP)
os.symlink(victim, f".jccluster/lock/{site}.lock", dir_fd=FD)
os.symlink(victim, f".jccluster/run/{site}.json.tmp.1", dir_fd=FD)
"""


def _plant(attacker, root: str, site: str, victim: str, bystander) -> None:
    forged = json.dumps({
        "site": site, "state": "running", "database": "/",
        "daemons": {"nqsdaemon": [bystander.pid, _start(bystander.pid)]},
    })
    keep = json.dumps({"pid": bystander.pid, "start": _start(bystander.pid),
                       "address": "127.0.0.9", "port": 607})
    fd = attacker.share(root)
    code = (f"SITE={site!r}\nVICTIM={victim!r}\nFORGED={forged!r}\nKEEP={keep!r}\n" + PLANT)
    attacker.run(code, fd=fd)


def test_world_writable_spool_root_is_refused_and_nothing_is_signalled_or_written(
        engine_env, sim_site, attacker, bystander):
    """Spool root 1777: the attacker forges a run record (bystander's pid, ``"database": "/"``),
    a keep-port record and symlinks at the lock and at the old temp-file name."""
    root = sim_site.root
    shutil.rmtree(os.path.join(root, store.META))  # a node where the site has not run yet: no .jccluster
    os.chmod(root, 0o1777)  # the careless operator
    victim = _victim(engine_env.tmp)
    _plant(attacker, root, sim_site.name, victim[0], bystander)
    env = dict(os.environ)
    for args in (["site", "stop", sim_site.name],
                 ["site", "start", "--no-watch", "--timeout", "5", sim_site.name, sim_site.db],
                 ["site", "status", sim_site.name],
                 ["site", "keep-port", "127.0.0.9", "--port", "60799"],
                 ["agent", "pacemaker", "monitor", sim_site.name, sim_site.db]):
        res = sim_site.cli(*args, env=env)
        assert res.returncode != 0, (args, res.stdout)
        assert f"spool root {root} is not safe to use" in res.stderr, (args, res.stderr)
        assert "writable by others (mode 1777)" in res.stderr
        assert "Traceback" not in res.stderr
    bystander.assert_untouched()
    _assert_victim_intact(victim)


def test_state_tree_of_another_user_is_refused(engine_env, sim_site, attacker, bystander):
    """The spool root is root's again, but ``.jccluster`` stayed the attacker's (it made it while
    the root was open): still refused, naming the directory and its owner."""
    root = sim_site.root
    shutil.rmtree(os.path.join(root, store.META))
    os.chmod(root, 0o1777)
    victim = _victim(engine_env.tmp)
    _plant(attacker, root, sim_site.name, victim[0], bystander)
    os.chmod(root, 0o755)  # the operator "fixed" it
    res = sim_site.cli("site", "stop", sim_site.name, env=dict(os.environ))
    assert res.returncode == 1, res.stderr  # a stop that cannot run is a failed stop (issue 20)
    assert f"{os.path.join(root, store.META)} is owned by uid {attacker.uid}" in res.stderr
    res = sim_site.cli("site", "status", sim_site.name, env=dict(os.environ))
    assert res.returncode == 2 and "running" not in res.stdout, (res.stdout, res.stderr)
    bystander.assert_untouched()
    _assert_victim_intact(victim)


def test_forged_run_record_naming_another_database_is_never_acted_on(sim_site, bystander):
    """Defence in depth: a run record whose database is not the registered one (``/`` would make
    stop signal every process holding a file) is refused by status and stop alike."""
    path = store.run_path(sim_site.root, sim_site.name)
    store.write_json(path, {
        "site": sim_site.name, "state": "running", "database": "/",
        "daemons": {"nqsdaemon": [bystander.pid, _start(bystander.pid)]},
    })
    with pytest.raises(UserError, match="names database '/', but the site is registered with"):
        sim_site.status()
    res = sim_site.stop(timeout=2)  # a stop that cannot run is FAILED, not a user error
    assert res.outcome.value == "failed" and "names database '/'" in res.message
    res = sim_site.cli("site", "stop", sim_site.name, env=dict(os.environ))
    assert res.returncode == 1 and "names database '/'" in res.stderr
    bystander.assert_untouched()


def test_record_writable_by_others_is_not_believed(sim_site, bystander):
    """A run record anybody could have written (mode 0666) is refused, not read: status does
    not report the bystander as a running daemon."""
    path = store.run_path(sim_site.root, sim_site.name)
    store.write_json(path, {
        "site": sim_site.name, "state": "running", "database": sim_site.db,
        "daemons": {"nqsdaemon": [bystander.pid, _start(bystander.pid)]},
    }, mode=0o666)
    res = sim_site.cli("site", "status", sim_site.name, env=dict(os.environ))
    assert res.returncode == 2, res.stdout
    assert f"{path} is writable by group or others (mode 0666)" in res.stderr
    bystander.assert_untouched()


def test_planted_symlinks_at_temp_names_are_never_followed(tmp_path, attacker):
    """Even in a directory the attacker can write (the primitive itself, below every check):
    symlinks at every name the old code used (``<file>.tmp.<pid>``) change nothing."""
    d = tmp_path / "open"
    d.mkdir()
    os.chmod(d, 0o777)
    victim = _victim(str(tmp_path))
    fd = attacker.share(str(d))
    pid = os.getpid()
    attacker.run(f"os.symlink({victim[0]!r}, 'run.json.tmp.{pid}', dir_fd=FD)\n"
                 f"os.symlink({victim[0]!r}, 'x.lock', dir_fd=FD)", fd=fd)
    fsio.atomic_write(str(d / "run.json"), "{}\n", 0o644)
    assert (d / "run.json").read_text() == "{}\n"
    assert stat.S_IMODE(os.lstat(d / "run.json").st_mode) == 0o644
    with pytest.raises(UserError, match="is a symbolic link"):
        fsio.open_nofollow(str(d / "x.lock"), os.O_RDWR | os.O_CREAT)
    _assert_victim_intact(victim)
