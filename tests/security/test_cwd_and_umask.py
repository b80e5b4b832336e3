"""Findings 4 and 5 (issue 16): root's current directory, and umask 000.

4. The engine commands read ``./jccluster.toml``: a planted file with ``product =
   "jobcenter-windows"`` made the spool root the *relative* path ``C:\\JobCenter\\SV\\spool`` below
   that directory, where a forged run file made ``site stop`` kill a bystander and ``status`` lie.
5. Under umask 000 the spool root, ``.jccluster``, ``watcher.log`` and ``sim/*.pid`` came out
   world-writable (``makedirs`` applies its mode only to the last directory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from jobcenter_cluster.engine import api, base, store
from jobcenter_cluster.errors import UserError
from support.perms import world_writable

pytestmark = pytest.mark.timeout(120)

WINDOWS_ROOT = "C:\\JobCenter\\SV\\spool"


def _start(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        data = fh.read()
    return int(data[data.rfind(b")") + 2:].split()[19])


def test_cluster_file_in_roots_cwd_is_never_read(tmp_path, attacker, bystander, monkeypatch):
    """The attacker's directory holds ``jccluster.toml`` (windows product) and, below the relative
    spool root it would give, a forged run record naming the bystander. Root runs ``site status``
    there: the file is ignored, nothing says "running"."""
    evil = tmp_path / "evil"
    evil.mkdir()
    attacker.give(str(evil))
    site = "victim.example.com"
    forged = json.dumps({"site": site, "state": "running", "database": str(tmp_path),
                         "daemons": {"nqsdaemon": [bystander.pid, _start(bystander.pid)]}})
    attacker.run(f"""
fd = os.open('jccluster.toml', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)
os.write(fd, b'[cluster]\\nproduct = "jobcenter-windows"\\n')
path = ''
for part in ({WINDOWS_ROOT!r}, '.jccluster', 'run'):
    path = os.path.join(path, part) if path else part
    os.mkdir(path, 0o755, dir_fd=FD)
fd = os.open(path + '/{site}.json', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)
os.write(fd, {forged!r}.encode())
""", fd=attacker.share(str(evil)))
    env = {k: v for k, v in os.environ.items()
           if k not in ("JCCLUSTER_ROOT", "JCCLUSTER_CONFIG")}
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "site", "status", site],
                         cwd=str(evil), env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 4, (res.stdout, res.stderr)  # never seen on this node
    assert "running" not in res.stdout
    assert "/usr/spool/nqs" not in res.stdout or "not known" in res.stdout
    monkeypatch.chdir(evil)
    monkeypatch.delenv("JCCLUSTER_CONFIG", raising=False)
    monkeypatch.delenv("JCCLUSTER_ROOT", raising=False)
    assert api.default_product() == "jobcenter-linux"
    assert api.resolve_root(None) == "/usr/spool/nqs"
    bystander.assert_untouched()


def test_spool_root_must_be_absolute(engine_env, monkeypatch):
    """A relative spool root (``--root``, ``$JCCLUSTER_ROOT`` or a product's Windows path)
    would depend on the current directory: refused in one line."""
    with pytest.raises(UserError, match="spool root 'spool' must be an absolute path"):
        api.resolve_root("spool")
    monkeypatch.delenv("JCCLUSTER_ROOT")
    with pytest.raises(UserError, match="must be an absolute path"):
        api.resolve_root(None, "jobcenter-windows")
    with pytest.raises(UserError, match="must be an absolute path"):
        api.status("orange.example.com", root="relative/spool")


def test_system_cluster_file_is_read_only_when_trusted(tmp_path, attacker, monkeypatch):
    """The fixed default (`base.SYSTEM_CONFIG`) is read when it is root's; in a directory another
    user owns it is refused, never silently used; ``$JCCLUSTER_CONFIG`` names one outright."""
    monkeypatch.delenv("JCCLUSTER_CONFIG", raising=False)
    good = tmp_path / "etc" / "jccluster.toml"
    good.parent.mkdir()
    good.write_text('[cluster]\nproduct = "simulator"\n')
    monkeypatch.setattr(base, "SYSTEM_CONFIG", str(good))
    assert api.default_product() == "simulator"
    attacker.give(str(good.parent))
    with pytest.raises(UserError, match=rf"cluster file {good} is not safe to use: {good.parent} "
                                        rf"is owned by uid {attacker.uid}"):
        api.default_product()
    monkeypatch.setattr(base, "SYSTEM_CONFIG", str(tmp_path / "none.toml"))
    assert api.default_product() == "jobcenter-linux"


def test_cli_under_umask_000_makes_nothing_writable_by_others(engine_env, reaper, poll_for):
    """create, start (background watcher), status and stop from a shell with umask 000: no
    directory or file under the spool root or the database is writable by group or others."""
    from support.sites import unique_site

    name, address = unique_site()
    reaper.site(name)
    db = os.path.join(engine_env.tmp, "jobdb")
    # create through the library (the CLI resolves the name; the test's address is private),
    # under umask 000 too: the library writes with explicit modes
    old = os.umask(0)
    try:
        res = api.create(name, 100, db, root=engine_env.root, product="simulator",
                         address=address)
    finally:
        os.umask(old)
    assert res.ok, res.message
    env = dict(os.environ)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jobcenter_cluster", *args], env=env,
                              capture_output=True, text=True, timeout=60,
                              preexec_fn=lambda: os.umask(0))

    res = cli("site", "start", "--background", "--timeout", "20", name, db)
    assert res.returncode == 0, res.stderr
    poll_for(lambda: os.path.exists(os.path.join(db, "nqs", "sim", "comagent.pid")),
             what="daemons' pid files")
    assert cli("site", "status", name).returncode == 0
    res = cli("site", "stop", "--timeout", "10", name)
    assert res.returncode == 0, res.stderr
    assert os.path.exists(store.watcher_log(db))
    assert world_writable(engine_env.root) == []
    assert world_writable(db) == []
