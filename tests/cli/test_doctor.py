"""``jccluster doctor`` through the real CLI: every failure listed, not the first; the database
check tells the active node from a standby; --site and --json; exit 1 when anything failed."""

from __future__ import annotations

import functools
import json
import os

import pytest

from support import cli
from support.hosts import needs_hosts
from support.sites import unique_site

pytestmark = [pytest.mark.timeout(120), needs_hosts]


@pytest.fixture(autouse=True)
def _no_local_daemon_check(engine_env):
    """Other test sessions on this machine run simulator daemons; one caught between fork and
    exec looks like a local nqsdaemon to `site start`. These tests are about doctor: say the
    local daemon may run beside the sites (daemon.conf local_daemon=SITE)."""
    with open(os.environ["JCCLUSTER_DAEMON_CONF"], "w") as fh:
        fh.write("local_daemon=SITE\n")

JCC = cli.jccluster_path()
jcc = functools.partial(cli.jcc, columns=200)


def cluster_file(tmp: str, root: str, sites: str, jccluster: str = JCC) -> str:
    path = os.path.join(tmp, "c.toml")
    with open(path, "w") as fh:
        fh.write(f"""\
[cluster]
product = "simulator"
spool_root = "{root}"
jccluster = "{jccluster}"

[[node]]
name = "spencer.example.com"
address = "10.17.21.160"
machine_id = 160
{sites}""")
    return path


def site(name: str, address: str, mid: int, db: str) -> str:
    return (f'\n[[site]]\nname = "{name}"\naddress = "{address}"\nmachine_id = {mid}\n'
            f'database = "{db}"\n')


def by_check(data):
    return {(c["site"], c["check"]): c for c in data["checks"]}


@pytest.fixture
def active(engine_env, reaper, monkeypatch) -> tuple[str, str]:
    """The name and address of the site these tests start: unique to the test, resolving through
    a private hosts file (``$JCCLUSTER_HOSTS``). A fixed name (orange.example.com) collided with
    another test run on the machine starting it too: `site start` refuses to run a second copy
    of a site by one name on one node (issue 28, two runs on one machine)."""
    name, address = unique_site()
    reaper.site(name)
    hosts = os.path.join(engine_env.tmp, "hosts")
    with open(hosts, "w", encoding="utf-8") as fh:
        fh.write(f"{address} {name}\n")
    monkeypatch.setenv("JCCLUSTER_HOSTS", hosts)
    return name, address


def test_active_site_on_a_healthy_node_passes(engine_env, active):
    name, address = active
    db = os.path.join(engine_env.tmp, "site-db")
    assert jcc("site", "create", "--product", "simulator", name, "162", db).returncode == 0
    assert jcc("site", "start", "--no-watch", name, db).returncode == 0
    cfg = cluster_file(engine_env.tmp, engine_env.root, site(name, address, 162, db))
    res = jcc("doctor", "-c", cfg)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stderr == "doctor: 7 check(s), 0 failed\n"
    data = json.loads(jcc("doctor", "-c", cfg, "--json").stdout)
    checks = by_check(data)
    assert data["ok"] is True
    assert checks[(name, "name resolves")]["detail"] == f"{name} <-> {address}"
    assert checks[(name, "database mounted")]["result"] == "ok"
    assert "(the site is running here)" in checks[(name, "database mounted")]["detail"]
    assert jcc("site", "stop", name, "--timeout", "5").returncode == 0


def test_every_failure_is_listed_and_standby_is_normal(engine_env, reaper):
    other_db = os.path.join(engine_env.tmp, "melon-db")
    assert jcc("site", "create", "--product", "simulator", "melon.example.com", "40",
               other_db).returncode == 0
    cfg = cluster_file(
        engine_env.tmp, engine_env.root,
        site("lemon.example.com", "10.9.9.9", 163, "/mnt/lemon")       # resolves elsewhere
        + site("nowhere.example.invalid", "10.9.9.10", 164, "/mnt/nowhere")  # no name
        + site("lime.example.com", "127.0.0.4", 40, "/mnt/lime"),       # machine ID taken
        jccluster="/nonexistent/bin/jccluster")
    res = jcc("doctor", "-c", cfg, "--json")
    assert res.returncode == 1
    checks = by_check(json.loads(res.stdout))
    failed = sorted(k for k, c in checks.items() if c["result"] == "FAIL")
    assert failed == [
        ("(this node)", "[cluster] jccluster"),
        ("lemon.example.com", "name resolves"),
        ("lime.example.com", "machine ID"),
        ("nowhere.example.invalid", "name resolves"),
    ]
    assert "resolves to 127.0.0.3, but the cluster file says 10.9.9.9" in \
        checks[("lemon.example.com", "name resolves")]["detail"]
    assert "already used by site melon.example.com" in \
        checks[("lime.example.com", "machine ID")]["detail"]
    standby = checks[("lime.example.com", "database mounted")]
    assert standby["result"] == "standby" and "normal on a standby node" in standby["detail"]
    text = jcc("doctor", "-c", cfg)
    assert text.returncode == 1 and text.stderr == "doctor: 13 check(s), 4 failed\n"
    assert text.stdout.splitlines()[0].split() == ["SITE", "CHECK", "RESULT", "DETAIL"]
    one = jcc("doctor", "-c", cfg, "--site", "lime.example.com", "--json")
    sites = {c["site"] for c in json.loads(one.stdout)["checks"]}
    assert sites == {"(this node)", "lime.example.com"}


def test_active_site_without_its_database_fails(engine_env, active, tmp_path):
    name, address = active
    db = os.path.join(engine_env.tmp, "site-db")
    assert jcc("site", "create", "--product", "simulator", name, "162", db).returncode == 0
    assert jcc("site", "start", "--no-watch", name, db).returncode == 0
    moved = db + "-unmounted"
    os.rename(db, moved)  # the shared disk is gone from under a running site
    try:
        cfg = cluster_file(engine_env.tmp, engine_env.root, site(name, address, 162, db))
        res = jcc("doctor", "-c", cfg, "--json")
        assert res.returncode == 1
        check = by_check(json.loads(res.stdout))[(name, "database mounted")]
        assert check["result"] == "FAIL" and "mount the shared disk" in check["detail"]
    finally:
        os.rename(moved, db)
        jcc("site", "stop", name, "--timeout", "5")
