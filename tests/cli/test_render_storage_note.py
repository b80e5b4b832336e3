"""``render`` says what ``check`` says when a package mounts no shared disk: JobCenter would
start without its database's disk. The starter file (``jccluster init``) gives Serviceguard no
fs_name and PowerHA a volume group."""

from __future__ import annotations

import pytest

from jobcenter_cluster.cli.app import run

pytestmark = pytest.mark.timeout(60)


def test_render_warns_of_a_package_without_its_shared_disk(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JCCLUSTER_CONFIG", raising=False)
    assert run(["init"]) == 0
    capsys.readouterr()
    assert run(["render", "serviceguard", "-o", "sg"]) == 0  # written all the same
    err = capsys.readouterr().err
    assert ("jccluster: render: warning: orange/modular/jobcenter-orange.conf: the package "
            "mounts no storage") in err
    assert "[SG-STORAGE; see 'jccluster check serviceguard']" in err
    assert (tmp_path / "sg/orange/APPLY.txt").is_file()
    assert run(["render", "powerha", "-o", "ph"]) == 0
    assert "warning" not in capsys.readouterr().err
