"""``site create`` (cjcmksite): the manual's preconditions, layout, crash safety."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from jobcenter_cluster.engine import api, store
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from support.hosts import needs_hosts


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@needs_hosts
def test_create_checks_names_through_the_resolver(engine_env):
    db = os.path.join(engine_env.tmp, "jobdb")
    res = api.create("lemon.example.com", 11, db, product="simulator")
    assert res.outcome == Outcome.SUCCESS
    ident = store.read_identity(db)
    assert ident["address"] == "127.0.0.3" and ident["machine_id"] == 11
    assert ident["product"] == "simulator" and ident["created_by"] == "node-a"
    link = os.path.join(engine_env.root, "7F000003")
    assert os.readlink(link) == os.path.join(db, "nqs")
    assert res.details["mount"]  # the file system it is on was determined


@needs_hosts
@pytest.mark.parametrize(
    "site, words",
    [
        ("orange", "alias of orange.example.com"),
        ("second.example.com", "reverse lookup of 127.0.0.6 gives first.example.com"),
        ("remote.example.com", "not active on this machine"),
        ("nowhere.invalid", "does not resolve"),
    ],
)
def test_create_refuses_bad_names(engine_env, site, words):
    with pytest.raises(UserError, match=words):
        api.create(site, 12, os.path.join(engine_env.tmp, "db"), product="simulator")
    assert not os.path.exists(os.path.join(engine_env.tmp, "db"))


def test_machine_id_must_be_unused(engine_env):
    api.create("a1.example.com", 20, os.path.join(engine_env.tmp, "a"), product="simulator",
               address="127.0.0.20")
    with pytest.raises(UserError, match="machine ID 20 is already used by site a1.example.com"):
        api.create("a2.example.com", 20, os.path.join(engine_env.tmp, "b"),
                   product="simulator", address="127.0.0.21")


def test_parent_of_database_must_exist(engine_env):
    with pytest.raises(UserError, match="is the shared disk mounted"):
        api.create("a3.example.com", 21, os.path.join(engine_env.tmp, "nomount", "jobdb"),
                   product="simulator", address="127.0.0.22")


def test_relative_database_and_bad_mid(engine_env):
    with pytest.raises(UserError, match="absolute"):
        api.create("a4.example.com", 1, "jobdb", product="simulator", address="127.0.0.23")
    with pytest.raises(UserError, match="positive"):
        api.create("a4.example.com", 0, "/tmp/x", product="simulator", address="127.0.0.23")


def test_mode_755_whatever_the_umask(engine_env):
    old = os.umask(0o077)
    try:
        db = os.path.join(engine_env.tmp, "jobdb")
        api.create("a5.example.com", 22, db, product="simulator", address="127.0.0.24")
    finally:
        os.umask(old)
    assert _mode(db) == 0o755
    for sub in ("nqs", "nqs/etc", ".jccluster"):
        assert _mode(os.path.join(db, sub)) == 0o755, sub


def test_existing_site_needs_force_and_rerun_is_idempotent(engine_env):
    db = os.path.join(engine_env.tmp, "jobdb")
    kw = {"product": "simulator", "address": "127.0.0.25"}
    api.create("a6.example.com", 23, db, **kw)
    again = api.create("a6.example.com", 23, db, **kw)  # same site again: repairs, no error
    assert again.outcome == Outcome.SUCCESS and again.details["repaired"]
    with pytest.raises(UserError, match="already holds site a6.example.com .*--force"):
        api.create("a6.example.com", 24, db, **kw)
    res = api.create("a6.example.com", 24, db, force=True, **kw)
    assert res.outcome == Outcome.SUCCESS
    assert store.read_identity(db)["machine_id"] == 24
    kept = res.details["replaced"]  # the old database is moved aside and kept, never deleted
    assert kept in res.message and os.path.basename(kept).startswith("nqs.replaced-")
    assert sorted(os.listdir(db)) == sorted([".jccluster", "nqs", os.path.basename(kept)])


@pytest.mark.timeout(30)
@pytest.mark.parametrize("point", ["after-build", "after-rename"])
def test_create_interrupted_then_rerun(engine_env, point):
    db = os.path.join(engine_env.tmp, "jobdb")
    # a crash at `point`: the test's CreateSteps ends the process there, as a kill would
    code = (
        "import os\n"
        "from jobcenter_cluster.engine import api, create\n"
        "class Crash(create.CreateSteps):\n"
        f"    def {'built' if point == 'after-build' else 'renamed'}(self, _path):\n"
        "        os._exit(70)\n"
        f"api.create('a7.example.com', 25, {db!r}, product='simulator', address='127.0.0.26',"
        " steps=Crash())\n"
    )
    crashed = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert crashed.returncode == 70, crashed.stderr
    # our identity says "building" until the end: the site is not started from it
    assert store.read_identity(db)["state"] == "building"
    if point == "after-build":  # crashed before the rename: no database at all
        assert not os.path.exists(os.path.join(db, "nqs"))
    else:  # crashed after: a complete database, to be marked complete by the re-run
        assert os.path.isdir(os.path.join(db, "nqs"))
    half = api.start("a7.example.com", db, product="simulator", mode="no-watch")
    assert half.outcome == Outcome.INVALID and "create" in half.message
    res = api.create("a7.example.com", 25, db, product="simulator", address="127.0.0.26")
    assert res.outcome == Outcome.SUCCESS and store.read_identity(db)["state"] == "complete"
    assert sorted(os.listdir(db)) == [".jccluster", "nqs"]
    assert os.path.islink(os.path.join(engine_env.root, "7F00001A"))


def test_unknown_product(engine_env):
    with pytest.raises(UserError, match="unknown product"):
        api.create("a8.example.com", 26, os.path.join(engine_env.tmp, "d"), product="nope",
                   address="127.0.0.27")


def test_validate_is_cheap_and_says_why(engine_env, monkeypatch, tmp_path):
    monkeypatch.setenv("JCCLUSTER_PREFIX", str(tmp_path / "no-jobcenter"))
    ok = api.validate("localhost", "/mnt/jobdb", product="simulator")
    assert ok.outcome == Outcome.SUCCESS
    assert api.validate("bad name", None).outcome == Outcome.INVALID
    assert api.validate("localhost", "relative/db", product="simulator").outcome == Outcome.INVALID
    missing = api.validate("localhost", None, product="jobcenter-linux")
    assert missing.outcome == Outcome.NOT_INSTALLED and "cjcpw" in missing.message
    assert api.validate("localhost", None, product="jobcenter-windows").outcome == \
        Outcome.UNSUPPORTED
    assert api.validate("nowhere.invalid", None, product="simulator").outcome == Outcome.INVALID
