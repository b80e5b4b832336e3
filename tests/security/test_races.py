"""Issue 22, finding 1 (and 2's ``makedirs``): check, then create -- a race on every directory
root makes.

Root's command runs under strace with its ``mkdirat`` of the directory held at entry (root has
checked that the name is free and not yet made it, `security.racing.held`); in that window the throwaway
user makes the directory itself, mode 0777, in a shared sticky directory (``/tmp``'s case). The
old code took the user's directory as its own and wrote root's scripts into it; now the handle
root opens is checked (`jobcenter_cluster.fsio.open_dir`), the command stops with one line
naming the owner, and nothing of root's lands in the user's directory.

Each test takes about 2-4 s: the interpreter's start under strace plus the 2 s hold.
"""

from __future__ import annotations

import os
import sys

import pytest

from security.racing import finish, held

pytestmark = pytest.mark.timeout(120)


def _shared(tmp_path) -> str:
    base = tmp_path / "shared"
    base.mkdir()
    os.chmod(base, 0o1777)  # like /tmp: anyone may add an entry, nobody may move ours
    return str(base)


def _plant_dir(attacker, base: str, name: str) -> None:
    attacker.run(f"os.mkdir({name!r}, 0o777, dir_fd=FD)", fd=attacker.share(base), umask=0)


def _untouched(base: str, name: str, uid: int) -> None:
    path = os.path.join(base, name)
    assert os.stat(path).st_uid == uid
    assert os.listdir(path) == [], "root wrote into the attacker's directory"


def test_render_refuses_an_output_dir_another_user_made_in_the_window(tmp_path, attacker,
                                                                      reaper):
    base = _shared(tmp_path)
    out = os.path.join(base, "out")
    proc, _ = held([sys.executable, "-m", "jobcenter_cluster", "render", "pacemaker",
                    "--example", "-o", out], "mkdirat", '"out"', tmp_path, reaper=reaper)
    _plant_dir(attacker, base, "out")
    res = finish(proc)
    assert res.returncode != 0, res.stdout
    assert f"owned by uid {attacker.uid}" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    _untouched(base, "out", attacker.uid)


def test_site_create_refuses_a_database_dir_another_user_made_in_the_window(
        tmp_path, engine_env, attacker, reaper):
    from support.sites import unique_site

    name, address = unique_site()
    reaper.site(name)
    base = _shared(tmp_path)
    db = os.path.join(base, "jobdb")
    code = ("import sys\nfrom jobcenter_cluster.engine import api\n"
            "from jobcenter_cluster.errors import UserError\n"
            f"try:\n    r = api.create({name!r}, 100, {db!r}, root={engine_env.root!r}, "
            f"product='simulator', address={address!r})\n"
            "except UserError as e:\n    sys.exit(f'refused: {e}')\n"
            "print(r.outcome.value, r.message)\nsys.exit(0 if r.ok else 1)\n")
    proc, _ = held([sys.executable, "-c", code], "mkdirat", '"jobdb"', tmp_path,
                   reaper=reaper)
    _plant_dir(attacker, base, "jobdb")
    res = finish(proc)
    assert res.returncode != 0, res.stdout
    assert f"refused: database directory {db} is not trusted: owned by uid {attacker.uid}" \
        in res.stderr, res.stderr
    _untouched(base, "jobdb", attacker.uid)


def test_simulator_install_refuses_a_prefix_another_user_made_in_the_window(tmp_path, attacker,
                                                                           reaper):
    base = _shared(tmp_path)
    prefix = os.path.join(base, "nqs")
    code = ("import sys\nfrom jobcenter_cluster.simulator.install import install\n"
            "from jobcenter_cluster.errors import UserError\n"
            f"try:\n    install({prefix!r})\n"
            "except UserError as e:\n    sys.exit(f'refused: {e}')\n")
    proc, _ = held([sys.executable, "-c", code], "mkdirat", '"nqs"', tmp_path, reaper=reaper)
    _plant_dir(attacker, base, "nqs")
    res = finish(proc)
    assert res.returncode != 0, res.stdout
    assert f"refused: PREFIX {prefix} is not trusted: owned by uid {attacker.uid}" in res.stderr
    _untouched(base, "nqs", attacker.uid)


def test_engine_refuses_a_spool_root_another_user_made_in_the_window(tmp_path, engine_env,
                                                                     attacker, reaper):
    """The spool root passed `check_root` while missing (fine: it is made later); the user makes
    it in the window before root's ``mkdirat``. Every engine directory goes through
    `fsio.make_dirs`, now the same handle check: refused, no state or spool link in it."""
    from support.sites import unique_site

    name, address = unique_site()
    reaper.site(name)
    base = _shared(tmp_path)
    root = os.path.join(base, "spool")
    db = tmp_path / "jobdb"
    db.mkdir()
    code = ("import sys\nfrom jobcenter_cluster.engine import api\n"
            "from jobcenter_cluster.errors import UserError\n"
            f"try:\n    r = api.create({name!r}, 100, {str(db)!r}, root={root!r}, "
            f"product='simulator', address={address!r})\n"
            "except UserError as e:\n    sys.exit(f'refused: {e}')\n"
            "print(r.outcome.value, r.message)\nsys.exit(0 if r.ok else 1)\n")
    proc, _ = held([sys.executable, "-c", code], "mkdirat", '"spool"', tmp_path, reaper=reaper)
    _plant_dir(attacker, base, "spool")
    res = finish(proc)
    assert res.returncode != 0, res.stdout
    assert f"spool is not trusted: owned by uid {attacker.uid}" in res.stdout + res.stderr, \
        res.stdout + res.stderr
    _untouched(base, "spool", attacker.uid)
