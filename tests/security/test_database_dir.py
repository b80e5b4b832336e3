"""Finding 3 (issue 16): a database directory the user can write.

- ``create`` adopted a pre-made ``nqs/`` ("already exists ... checked");
- at start root followed the user's symlinks (identity file, ``start.log``, a simulator log);
- a ``DBPATH/etc/daemon.conf`` symlink to a root-only file leaked its first line into the
  world-readable ``watcher.log``.

Each test lets a careless operator hand part of the database to a throwaway user, lets that user
plant what the finding describes, and shows root's command refuses and touches nothing.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from jobcenter_cluster.engine import daemonconf, store
from jobcenter_cluster.errors import UserError

pytestmark = pytest.mark.timeout(120)

SECRET = "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::"


def _victim(tmp: str) -> tuple[str, str, int]:
    path = os.path.join(tmp, "shadow-like")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(SECRET + "\n")
    os.chmod(path, 0o600)
    return path, SECRET + "\n", 0o600


def _intact(victim: tuple[str, str, int]) -> None:
    path, content, mode = victim
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == content, "root wrote through a planted symlink"
    assert stat.S_IMODE(os.stat(path).st_mode) == mode, "root chmod'ed through a planted symlink"


def test_create_does_not_adopt_an_nqs_the_user_made(engine_env, attacker, reaper):
    """The attacker owns DBPATH and pre-makes ``nqs/`` with an identity matching what root will
    ask for: create refuses instead of answering "already exists ... checked"."""
    from support.sites import unique_site

    name, address = unique_site()
    reaper.site(name)
    db = os.path.join(engine_env.tmp, "jobdb")
    os.mkdir(db, 0o755)
    attacker.give(db)
    ident = {"name": name, "address": address, "machine_id": 100, "product": "simulator"}
    attacker.run(
        "os.mkdir('nqs', 0o755, dir_fd=FD)\n"
        "os.mkdir('nqs/.jccluster', 0o755, dir_fd=FD)\n"
        "fd = os.open('nqs/.jccluster/site.json', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)\n"
        f"os.write(fd, json.dumps({ident!r}).encode())\n",
        fd=attacker.share(db))
    from jobcenter_cluster.engine import api

    with pytest.raises(UserError, match=rf"database directory {db} is not safe to use: {db} is "
                                        rf"owned by uid {attacker.uid}"):
        api.create(name, 100, db, root=engine_env.root, product="simulator", address=address)
    # DBPATH root's again, but nqs/ still the attacker's: still refused
    os.chown(db, 0, 0)
    with pytest.raises(UserError, match=rf"site database {db}/nqs is not safe to use"):
        api.create(name, 100, db, root=engine_env.root, product="simulator", address=address)
    assert store.read_registry(engine_env.root, name) is None


@pytest.mark.parametrize("planted", ["start.log", "site.json"])
def test_start_refuses_a_database_tree_the_user_can_write(engine_env, sim_site, attacker,
                                                          planted):
    """``DBPATH/.jccluster`` handed to the attacker, who replaces ``start.log`` or the identity
    file with a symlink to a root-only file: start refuses; the file is not overwritten,
    appended to or chmod'ed."""
    victim = _victim(engine_env.tmp)
    meta = store.meta_dir(sim_site.db)
    attacker.give(meta)
    attacker.run(f"""
try:
    os.unlink({planted!r}, dir_fd=FD)
except FileNotFoundError:
    pass
os.symlink({victim[0]!r}, {planted!r}, dir_fd=FD)
""", fd=attacker.share(meta))
    res = sim_site.cli("site", "start", "--no-watch", "--timeout", "5", sim_site.name,
                       sim_site.db, env=dict(os.environ))
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert f"database directory {meta} is not safe to use" in res.stderr
    _intact(victim)
    assert sim_site.status().outcome.value == "stopped"


def test_simulator_log_symlink_in_a_user_owned_sim_dir(engine_env, sim_site, attacker):
    """``nqs/sim`` left to the attacker, with ``nqsdaemon.log`` pointing at a root-only file:
    start refuses; nothing is appended to the file."""
    victim = _victim(engine_env.tmp)
    sim = os.path.join(sim_site.db, "nqs", "sim")
    os.mkdir(sim, 0o755)
    attacker.give(sim)
    attacker.run(f"os.symlink({victim[0]!r}, 'nqsdaemon.log', dir_fd=FD)", fd=attacker.share(sim))
    res = sim_site.cli("site", "start", "--no-watch", "--timeout", "5", sim_site.name,
                       sim_site.db, env=dict(os.environ))
    assert res.returncode == 2 and f"site database {sim} is not safe" in res.stderr, res.stderr
    _intact(victim)


def test_simulated_daemon_never_appends_through_a_symlink(engine_env, sim_site, reaper):
    """Below the engine's check: the daemon itself opens its log with O_NOFOLLOW (root put
    the symlink there, say by mistake): the daemon does not come up and the file is intact."""
    victim = _victim(engine_env.tmp)
    sim = os.path.join(sim_site.db, "nqs", "sim")
    os.mkdir(sim, 0o755)
    os.symlink(victim[0], os.path.join(sim, "comagent.log"))
    res = sim_site.start(timeout=3)
    assert res.outcome.value == "failed" and "comagent" in res.message, res.message
    _intact(victim)


def test_daemon_conf_symlink_does_not_leak_into_the_watcher_log(engine_env, sim_site, attacker):
    """``DBPATH/etc`` left to the attacker, ``daemon.conf`` a symlink to a root-only file whose
    first line is a password hash: the background start refuses, and neither its output nor
    ``watcher.log`` carries the hash."""
    victim = _victim(engine_env.tmp)
    etc = os.path.join(sim_site.db, "nqs", "..", "etc")
    etc = os.path.normpath(etc)
    os.makedirs(etc, exist_ok=True)
    attacker.give(etc)
    attacker.run(f"os.symlink({victim[0]!r}, 'daemon.conf', dir_fd=FD)", fd=attacker.share(etc))
    res = sim_site.cli("site", "start", "--background", "--timeout", "5", sim_site.name,
                       sim_site.db, env=dict(os.environ))
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert f"database directory {etc} is not safe to use" in res.stderr
    assert "$6$" not in res.stdout + res.stderr
    log = store.watcher_log(sim_site.db)
    if os.path.exists(log):
        with open(log, encoding="utf-8") as fh:
            assert "$6$" not in fh.read()
    _intact(victim)


def test_daemon_conf_is_read_without_following_symlinks_and_never_quoted_if_not_ours(tmp_path):
    """The parser itself: a symlink is refused (naming the path, not the content); a bad line
    of a file we do not own is not quoted; a bad line of our own file is."""
    victim = _victim(str(tmp_path))
    link = tmp_path / "daemon.conf"
    link.symlink_to(victim[0])
    with pytest.raises(UserError) as err:
        daemonconf.parse(str(link))
    assert "symbolic link" in str(err.value) and "$6$" not in str(err.value)
    own = tmp_path / "own.conf"
    own.write_text("this is not key value\n")
    with pytest.raises(UserError, match="got 'this is not key value'"):
        daemonconf.parse(str(own))


def test_forged_identity_does_not_redirect_a_run_state(sim_site):
    """A run state for a site not registered here is accepted only when its database's
    identity names the site: ``"database": "/"`` is refused."""
    os.unlink(store.registry_path(sim_site.root, sim_site.name))
    store.write_json(store.run_path(sim_site.root, sim_site.name),
                     {"site": sim_site.name, "state": "running", "database": "/"})
    with pytest.raises(UserError, match="that is not this site's database"):
        store.read_run(sim_site.root, sim_site.name)
    store.write_json(store.run_path(sim_site.root, sim_site.name),
                     {"site": sim_site.name, "state": "stopped", "database": sim_site.db})
    assert store.read_run(sim_site.root, sim_site.name)["database"] == sim_site.db
    assert json.loads(json.dumps(store.read_identity(sim_site.db)))["name"] == sim_site.name


def test_install_prefix_of_another_user_is_refused(engine_env, sim_site, attacker, monkeypatch):
    """``$JCCLUSTER_PREFIX`` naming a directory another user owns: its programs (and its
    ``rc/daemon.conf``) would be run or read as root. Start refuses, naming it."""
    prefix = os.path.join(engine_env.tmp, "nqs-prefix")
    os.mkdir(prefix, 0o755)
    attacker.give(prefix)
    env = {**os.environ, "JCCLUSTER_PREFIX": prefix}
    res = sim_site.cli("site", "start", "--no-watch", "--timeout", "5", sim_site.name,
                       sim_site.db, env=env)
    assert res.returncode != 0, res.stdout
    assert f"install prefix ($JCCLUSTER_PREFIX) {prefix} is not safe to use" in res.stderr
    assert sim_site.status().outcome.value == "stopped"
