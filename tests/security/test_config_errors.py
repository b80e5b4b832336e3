"""Issue 16, safe file I/O: config errors never echo content of a file the user does not own.

Root pointed at another user's cluster file -- or at a root-only file through that user's
symlink -- says which field is wrong, never what the file says there.
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
    assert str(err.value).startswith(f"{path}: cluster.product: invalid (details not shown")
    res = _validate(path)
    assert res.returncode == 2 and "TOKEN" not in res.stdout + res.stderr
    assert "cluster.product" in res.stderr


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
