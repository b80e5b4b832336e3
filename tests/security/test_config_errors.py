"""Issue 16, safe file I/O: config errors never echo content of a file the user does not own;
issue 22: root does not read such a file at all.

Root pointed at another user's cluster file -- or at a root-only file through that user's
symlink -- refuses it in one line naming the owner (every command, -c or not: the file chooses
the program root's agents run), and never says what the file says.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import load_cluster
from support.cli import jcc

pytestmark = pytest.mark.timeout(60)

BAD = '[cluster]\nproduct = "TOKEN-s3cr3t"\n'


def _validate(path: str) -> subprocess.CompletedProcess[str]:
    return jcc("validate", "-c", path, timeout=60)


def test_own_file_errors_quote_the_value(tmp_path):
    path = tmp_path / "jccluster.toml"
    path.write_text(BAD)
    with pytest.raises(ConfigError, match="TOKEN-s3cr3t"):
        load_cluster(str(path))


def test_another_users_file_is_not_quoted(tmp_path, attacker):
    d = tmp_path / "theirs"
    d.mkdir()
    attacker.give(str(d))
    attacker.run("fd = os.open('c.toml', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)\n"
                 f"os.write(fd, {BAD.encode()!r})", fd=attacker.share(str(d)))
    path = str(d / "c.toml")
    with pytest.raises(ConfigError) as err:
        load_cluster(path)
    assert "TOKEN" not in str(err.value)
    assert str(err.value).startswith(f"{path}: not trusted: {path} is owned by uid "
                                     f"{attacker.uid} (mode 0644), not by root or you"), err.value
    res = _validate(path)
    assert res.returncode == 2 and "TOKEN" not in res.stdout + res.stderr
    assert "not trusted" in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_own_file_writable_by_others_is_refused(tmp_path):
    path = tmp_path / "jccluster.toml"
    path.write_text(BAD)
    os.chmod(path, 0o666)
    with pytest.raises(ConfigError, match=r"not trusted: .* is writable by others \(mode 0666\)"):
        load_cluster(str(path))
    os.chmod(path, 0o644)
    os.chmod(tmp_path, 0o777)  # a directory above it that anybody may change
    with pytest.raises(ConfigError, match=r"not trusted: .* is writable by others"):
        load_cluster(str(path))


def test_root_file_through_another_users_symlink_is_not_quoted(tmp_path, attacker):
    """The attacker's symlink to a root-only file: root reads it (it may), but quotes nothing."""
    secret = tmp_path / "root-only.toml"
    secret.write_text(BAD)
    os.chmod(secret, 0o600)
    d = tmp_path / "theirs"
    d.mkdir()
    attacker.give(str(d))
    attacker.run(f"os.symlink({str(secret)!r}, 'c.toml', dir_fd=FD)", fd=attacker.share(str(d)))
    res = _validate(str(d / "c.toml"))
    assert res.returncode == 2 and "TOKEN" not in res.stdout + res.stderr, res.stderr
    assert f"the symbolic link {d / 'c.toml'} is owned by uid {attacker.uid}" in res.stderr
