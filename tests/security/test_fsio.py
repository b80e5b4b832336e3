"""`jobcenter_cluster.fsio`, the safe-I/O contract every writer uses, against a real
unprivileged user where another user matters."""

from __future__ import annotations

import os
import stat

import pytest

from jobcenter_cluster import fsio
from jobcenter_cluster.errors import UserError

pytestmark = pytest.mark.timeout(60)


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_make_dirs_gives_every_level_its_mode_under_umask_000(tmp_path):
    old = os.umask(0)
    try:
        fsio.make_dirs(str(tmp_path / "a" / "b" / "c"), 0o755)
        fsio.atomic_write(str(tmp_path / "a" / "f"), "x", 0o640)
        fd = fsio.open_nofollow(str(tmp_path / "a" / "log"), os.O_WRONLY | os.O_CREAT, 0o644)
        os.close(fd)
    finally:
        os.umask(old)
    assert [_mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o755] * 3
    assert _mode(tmp_path / "a" / "f") == 0o640
    assert _mode(tmp_path / "a" / "log") == 0o644
    fsio.make_dirs(str(tmp_path / "a" / "b"), 0o700)  # existing: left alone
    assert _mode(tmp_path / "a" / "b") == 0o755


def test_make_dirs_refuses_a_file_on_the_way(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(UserError, match="exists and is not a directory"):
        fsio.make_dirs(str(tmp_path / "f" / "d"))


def test_check_trusted_accepts_ours_and_a_sticky_parent(tmp_path):
    d = tmp_path / "state"
    d.mkdir()
    fsio.require_trusted(str(d), what="state")
    fsio.require_trusted(str(d / "missing" / "deeper"), what="state", missing_ok=True)
    with pytest.raises(UserError, match="does not exist"):
        fsio.require_trusted(str(d / "missing"), what="state")
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    (sticky / "mine").mkdir()
    fsio.require_trusted(str(sticky / "mine"), what="state")  # like /tmp/x
    with pytest.raises(UserError, match=r"writable by others \(mode 1777\)"):
        fsio.require_trusted(str(sticky), what="state")  # the leaf itself never
    with pytest.raises(UserError, match="must be an absolute path"):
        fsio.require_trusted("relative", what="state")


def test_check_trusted_refuses_group_writable_and_non_sticky_parents(tmp_path):
    d = tmp_path / "g"
    d.mkdir()
    os.chmod(d, 0o775)
    with pytest.raises(UserError, match=r"writable by its group \(mode 0775\)"):
        fsio.require_trusted(str(d / "x"), what="spool root", missing_ok=True)
    os.chmod(d, 0o777)
    with pytest.raises(UserError, match=rf"spool root {d}/x is not safe to use: {d} is writable"):
        fsio.require_trusted(str(d / "x"), what="spool root", missing_ok=True)


def test_check_trusted_follows_symlinks_only_of_trusted_owners(tmp_path, attacker):
    """In a sticky world-writable directory the attacker plants ``link -> /``; a path through it
    is refused (the link is theirs). A root-owned link to a trusted place is fine; a root-owned
    link into the attacker's directory is not."""
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    attacker.run("os.symlink('/', 'link', dir_fd=FD)", fd=attacker.share(str(sticky)))
    with pytest.raises(UserError, match=rf"{sticky}/link is owned by uid {attacker.uid}"):
        fsio.require_trusted(str(sticky / "link" / "etc"), what="database directory")
    good = tmp_path / "good"
    good.mkdir()
    os.symlink(good, tmp_path / "alias")
    fsio.require_trusted(str(tmp_path / "alias" / "x"), what="state", missing_ok=True)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    attacker.give(str(theirs))
    os.symlink(theirs, tmp_path / "to-theirs")
    with pytest.raises(UserError, match=f"{theirs} is owned by uid {attacker.uid}"):
        fsio.require_trusted(str(tmp_path / "to-theirs" / "x"), what="state", missing_ok=True)


def test_open_nofollow_refuses_symlinks_others_files_and_writable_records(tmp_path, attacker):
    target = tmp_path / "target"
    target.write_text("keep\n")
    os.symlink(target, tmp_path / "link")
    with pytest.raises(UserError, match="is a symbolic link"):
        fsio.open_nofollow(str(tmp_path / "link"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    theirs = tmp_path / "theirs"
    theirs.write_text("{}")
    attacker.give(str(theirs))
    with pytest.raises(UserError, match=f"owned by uid {attacker.uid}"):
        fsio.open_nofollow(str(theirs), os.O_RDONLY)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UserError, match="not a regular file"):
        fsio.open_nofollow(str(tmp_path / "fifo"), os.O_RDONLY | os.O_NONBLOCK)
    loose = tmp_path / "loose"
    loose.write_text("{}")
    os.chmod(loose, 0o666)
    with pytest.raises(UserError, match=r"writable by group or others \(mode 0666\)"):
        fsio.open_nofollow(str(loose), os.O_RDONLY)
    os.close(fsio.open_nofollow(str(loose), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
    assert _mode(loose) == 0o644  # ours, opened to write: repaired
    assert target.read_text() == "keep\n"


def test_atomic_write_leaves_no_temp_file_and_replaces_a_symlink_not_its_target(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep\n")
    os.symlink(target, tmp_path / "rec.json")
    fsio.atomic_write(str(tmp_path / "rec.json"), b"{}\n", 0o600, sync=True)
    assert not os.path.islink(tmp_path / "rec.json")
    assert (tmp_path / "rec.json").read_text() == "{}\n" and _mode(tmp_path / "rec.json") == 0o600
    assert target.read_text() == "keep\n"
    assert sorted(os.listdir(tmp_path)) == ["rec.json", "target"]


def test_trusted_prefix(tmp_path, attacker):
    assert fsio.trusted_prefix("C:\\JobCenter") == "C:\\JobCenter"
    assert fsio.trusted_prefix(str(tmp_path / "none")) == str(tmp_path / "none")
    p = tmp_path / "nqs"
    p.mkdir()
    attacker.give(str(p))
    with pytest.raises(UserError, match="install prefix"):
        fsio.trusted_prefix(str(p))
