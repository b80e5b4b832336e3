"""The engine on a JobCenter installation (the emulated one, `jccluster simulator install`):
``site create`` runs its cjcmksite, sites made by hand with cjcmksite are run as they are, and
no database is ever destroyed."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest

from jobcenter_cluster.engine import api, create, store
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome
from support.cli import jcc as _cli
from support.disk import fill, small_disk
from support.procs import site_processes as _alive
from support.sites import poll_for
from support.vendor_codes import VENDOR

pytestmark = pytest.mark.timeout(90)
PRODUCT = "jobcenter-linux"


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _create(inst, mid: int | None = None, **kw):
    return api.create(inst.site, mid or inst.mid, inst.db, product=PRODUCT, **kw)


def test_create_runs_the_installations_cjcmksite_with_a_755_umask(jobcenter):
    old = os.umask(0o077)
    try:
        res = _create(jobcenter)
    finally:
        os.umask(old)
    assert res.outcome == Outcome.SUCCESS, res.message
    assert "cjcmksite: Complete." in res.message
    nqs = os.path.join(jobcenter.db, "nqs")
    assert _mode(nqs) == 0o755
    with open(os.path.join(nqs, "sim", "site.conf"), encoding="utf-8") as fh:  # cjcmksite's
        assert f"site={jobcenter.site}\nmachine_id=162\n" in fh.read()
    assert not os.path.exists(os.path.join(nqs, ".jccluster"))  # nothing of ours inside nqs/
    ident = store.read_identity(jobcenter.db)
    assert ident["built"] == "cjcmksite" and ident["state"] == "complete"
    assert store.identity_path(jobcenter.db) == os.path.join(jobcenter.db, ".jccluster", "site.json")


def test_a_failing_cjcmksite_shows_its_own_line_and_can_be_run_again(jobcenter):
    # a real full disk (ENOSPC from the kernel), not a stub that prints the message: the
    # engine's own small record still fits, the installation's cjcmksite runs out of space while
    # it builds the spool tree, and its own line reaches the operator
    with small_disk(os.path.dirname(jobcenter.db), "1m") as disk:
        os.makedirs(jobcenter.db, exist_ok=True)
        filler = fill(disk, leave=4096)
        with pytest.raises(UserError) as err:
            _create(jobcenter)
        message = str(err.value)
        assert re.search(r"cjcmksite failed \(exit status [1-9][0-9]*\): cjcmksite: .*No space "
                         r"left on device", message), message
        assert err.value.exit_code == 1
        # the cause fixed (space freed), the same command again completes it
        os.unlink(filler)
        again = _create(jobcenter)
        assert again.outcome == Outcome.SUCCESS, again
        assert store.read_identity(jobcenter.db)["state"] == "complete"
        # the half-built tree of the failed run was moved aside and kept, not built over
        kept = [e for e in os.listdir(jobcenter.db) if e.startswith("nqs.replaced-")]
        assert len(kept) == 1, os.listdir(jobcenter.db)
        assert f"the tree of the failed earlier run was moved aside to " \
               f"{os.path.join(jobcenter.db, kept[0])} (kept)" in again.message


def test_missing_cjcmksite_is_not_installed(jobcenter, monkeypatch, tmp_path):
    monkeypatch.setenv("JCCLUSTER_PREFIX", str(tmp_path / "nothing"))
    with pytest.raises(UserError, match="cjcmksite not found") as err:
        _create(jobcenter)
    assert err.value.exit_code == 6


def test_same_arguments_again_is_idempotent_other_site_or_mid_refused(jobcenter):
    _create(jobcenter)
    record = os.path.join(jobcenter.db, "nqs", "sim", "site.conf")
    before = os.stat(record).st_mtime_ns
    again = _create(jobcenter)
    assert again.outcome == Outcome.SUCCESS and again.details["repaired"]
    assert os.stat(record).st_mtime_ns == before  # cjcmksite was not run over a complete site
    with pytest.raises(UserError, match=f"already holds site {jobcenter.site} .machine ID 162"):
        _create(jobcenter, mid=999)
    other = jobcenter.site.replace(".example.com", "-b.example.com")
    with pytest.raises(UserError, match="already holds site"):
        api.create(other, 163, jobcenter.db, product=PRODUCT, address=jobcenter.address)
    assert store.read_identity(jobcenter.db)["machine_id"] == 162


def test_force_moves_the_old_database_aside_and_keeps_it(jobcenter):
    _create(jobcenter)
    planted = os.path.join(jobcenter.db, "nqs", "private", "requests", "job-42")
    with open(planted, "w", encoding="utf-8") as fh:
        fh.write("a production job\n")
    res = _cli("site", "create", "--product", PRODUCT, "--force", jobcenter.site, "170",
               jobcenter.db)
    assert res.returncode == 0, res.stderr
    kept = [e for e in os.listdir(jobcenter.db) if e.startswith("nqs.replaced-")]
    assert len(kept) == 1 and len(kept[0]) == len("nqs.replaced-YYYYmmdd-HHMMSS")
    aside = os.path.join(jobcenter.db, kept[0])
    assert aside in res.stdout + res.stderr  # the path is printed
    with open(os.path.join(aside, "private", "requests", "job-42"), encoding="utf-8") as fh:
        assert fh.read() == "a production job\n"
    assert store.read_identity(jobcenter.db)["machine_id"] == 170
    # a later create (another --force, leftovers cleanup) never deletes it
    assert _create(jobcenter, mid=171, force=True).outcome == Outcome.SUCCESS
    assert os.path.isfile(os.path.join(aside, "private", "requests", "job-42"))
    assert len([e for e in os.listdir(jobcenter.db) if e.startswith("nqs.replaced-")]) == 2


def test_cleanup_leftovers_never_deletes_a_database(tmp_path):
    for name in ("nqs.replaced-20260101-000000", ".nqs.old-123", ".nqs.tmp-999"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "data").write_text("x")
    create._cleanup_leftovers(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == [".nqs.old-123", "nqs.replaced-20260101-000000"]


def test_force_refuses_a_running_site(jobcenter):
    _create(jobcenter)
    assert api.start(jobcenter.site, jobcenter.db, product=PRODUCT, mode="no-watch").ok
    try:
        with pytest.raises(UserError, match="stop it before replacing it"):
            _create(jobcenter, force=True)
        assert not [e for e in os.listdir(jobcenter.db) if e.startswith("nqs.replaced-")]
    finally:
        assert api.stop(jobcenter.site, product=PRODUCT).ok


def test_create_never_adopts_an_nqs_it_did_not_build(jobcenter):
    jobcenter.mksite()  # made by hand, the manual's way
    record = os.path.join(jobcenter.db, "nqs", "sim", "site.conf")
    with pytest.raises(UserError, match="was not built by `jccluster site create`.*site start"):
        _create(jobcenter)
    assert os.path.isfile(record) and not store.has_identity(jobcenter.db)
    empty = os.path.join(os.path.dirname(jobcenter.db), "other")
    os.makedirs(os.path.join(empty, "nqs"))
    with pytest.raises(UserError, match="not adopting it"):
        api.create(jobcenter.site, 162, empty, product=PRODUCT)


def test_an_untrusted_database_is_refused_on_rerun(jobcenter):
    _create(jobcenter)
    os.chmod(os.path.join(jobcenter.db, "nqs"), 0o777)
    with pytest.raises(UserError, match="writable by group or others"):
        _create(jobcenter)


def test_a_site_made_by_hand_is_started_listed_watched_and_stopped(jobcenter):
    jobcenter.mksite()
    res = api.start(jobcenter.site, jobcenter.db, product=PRODUCT, mode="no-watch")
    assert res.outcome == Outcome.SUCCESS, res.message
    st = api.status(jobcenter.site)
    assert st.outcome == Outcome.RUNNING and st.daemons["nqsdaemon"] == jobcenter.pid("nqsdaemon")
    ident = store.read_identity(jobcenter.db)
    assert ident["built"] == "cjcmksite" and ident["address"] == jobcenter.address
    listed = {s.site: s for s in api.list_sites()}
    assert listed[jobcenter.site].outcome == Outcome.RUNNING
    # the engine and the installation's own cjcls agree
    assert str(jobcenter.pid("nqsdaemon")) in jobcenter.run("cjcls").stdout
    os.kill(jobcenter.pid("comagent"), 9)
    poll_for(lambda: api.status(jobcenter.site).outcome == Outcome.FAILED, timeout=10)
    assert "comagent" in api.status(jobcenter.site).message
    stopped = api.stop(jobcenter.site, product=PRODUCT)
    assert stopped.outcome == Outcome.SUCCESS, stopped.message
    assert _alive(jobcenter.site) == []
    assert api.status(jobcenter.site).outcome == Outcome.STOPPED
    assert "SHUT" in jobcenter.run("cjcls").stdout


def test_a_site_made_by_hand_and_never_started_is_listed(jobcenter):
    jobcenter.mksite()
    listed = {s.site: s for s in api.list_sites()}
    assert listed[jobcenter.site].outcome == Outcome.STOPPED
    assert listed[jobcenter.site].database == jobcenter.db
    out = _cli("site", "ls")
    assert jobcenter.site in out.stdout, out.stderr


STATUS_VERBS = {"clusterpro-linux": "status", "pacemaker": "monitor", "powerha": "monitor",
                "serviceguard": "status", "sun22": "status", "sungds": "probe",
                "veritas": "monitor"}


def _agent(adapter: str, verb: str, inst, *extra: str) -> subprocess.CompletedProcess[str]:
    return _cli("agent", adapter, verb, inst.site, inst.db, "--product", PRODUCT, "--root",
                inst.root, *extra)


def _wrong_codes(inst, state: Outcome) -> dict[str, tuple[int, list[int]]]:
    """Status verbs whose exit is not the vendor's code for `state` (support.vendor_codes, never
    the adapter's own table)."""
    wrong = {}
    for adapter, verb in STATUS_VERBS.items():
        want = VENDOR[adapter][(verb, state)]
        res = _agent(adapter, verb, inst)
        if not want.matches(res.returncode):
            wrong[adapter] = (res.returncode, sorted(want.codes))
    return wrong


@pytest.mark.timeout(180)
def test_every_posix_agent_reports_a_site_made_by_hand(jobcenter):
    jobcenter.mksite()  # the manual's way, without `jccluster site create`
    start = _agent("pacemaker", "start", jobcenter)  # a background watcher
    assert start.returncode == 0, start.stderr
    poll_for(lambda: api.status(jobcenter.site).outcome == Outcome.RUNNING, timeout=30)
    assert _wrong_codes(jobcenter, Outcome.RUNNING) == {}
    os.kill(jobcenter.pid("jnwcaster"), 9)  # the other daemons live on
    poll_for(lambda: api.status(jobcenter.site).outcome == Outcome.FAILED, timeout=30)
    assert _wrong_codes(jobcenter, Outcome.FAILED) == {}
    stop = _agent("serviceguard", "stop", jobcenter)
    assert stop.returncode == 0, stop.stderr
    assert _alive(jobcenter.site) == []
    assert _wrong_codes(jobcenter, Outcome.STOPPED) == {}


@pytest.mark.parametrize("product", ["jobcenter-hpux", "jobcenter-solaris", "jobcenter-aix"])
def test_every_unix_profile_runs_the_installations_cjcmksite(jobcenter, product):
    res = api.create(jobcenter.site, jobcenter.mid, jobcenter.db, product=product)
    assert res.outcome == Outcome.SUCCESS and "cjcmksite: Complete." in res.message
    assert store.read_identity(jobcenter.db)["product"] == product


def test_a_windows_site_is_not_created_by_the_engine(jobcenter):
    with pytest.raises(UserError, match="created on their own node") as err:
        api.create(jobcenter.site, jobcenter.mid, jobcenter.db, product="jobcenter-windows")
    assert err.value.exit_code == 7
    assert not os.path.exists(jobcenter.db)


def test_the_engine_watches_a_site_started_through_the_installations_cjcpw(jobcenter, reaper):
    assert _create(jobcenter).ok
    watcher = reaper.popen([sys.executable, "-m", "jobcenter_cluster", "site", "start",
                            "--product", PRODUCT, jobcenter.site, jobcenter.db],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def watched() -> bool:
        st = api.status(jobcenter.site)
        return st.outcome == Outcome.RUNNING and st.watcher_pid == watcher.pid

    poll_for(watched, timeout=30, what="running and watched")
    os.kill(jobcenter.pid("logdaemon"), 9)  # a child of nqsdaemon: stays a zombie
    _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 1 and "logdaemon" in err
    assert api.stop(jobcenter.site, product=PRODUCT).ok
    assert _alive(jobcenter.site) == []
