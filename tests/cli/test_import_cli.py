"""``jccluster import`` of the manual's samples (tests/data/manual, typed from the JobCenter
cluster guide R12.7) as a user runs it: the MSCS sample's ``cjcmksite SITE MID DBPATH`` line
(§5.4) gives a site; a GDS sample of wrapper scripts alone gives none, which exits 1, writes
nothing and says which files fill the gap; the manual's ``(以下省略)`` markers are not
reported as lines not carried over."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobcenter_cluster.cli.app import run

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parents[1] / "data" / "manual"


@pytest.fixture
def jcc(tmp_path, monkeypatch, capsys):
    """``jccluster ARGS`` as the console script runs it (`app.run`), in process: the import
    commands start no process, and a subprocess each cost a second of CI time."""
    from types import SimpleNamespace

    def call(*args, cwd=None):
        monkeypatch.chdir(cwd or tmp_path)
        code = run(list(args))
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return call


def test_mscs_sample_carries_the_cjcmksite_line_over(tmp_path, jcc):
    res = jcc("import", "mscs", str(DATA / "mscs"), "-o", "c.toml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "c.toml").read_text()
    assert 'name = "matte.e3.mid.mt.nec.co.jp"' in text
    assert "machine_id = 126" in text and 'database = "Q:\\\\jobdb"' in text
    assert res.stderr.splitlines()[-1].startswith("wrote c.toml: 1 site(s); ")
    assert "0 line(s) not carried over" in res.stderr


def test_no_site_found_exits_1_writes_nothing_and_names_the_files_to_give(tmp_path, jcc):
    res = jcc("import", "sungds", str(DATA / "sungds"), "-o", "c.toml", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert not (tmp_path / "c.toml").exists()
    last = res.stderr.splitlines()[-1]
    assert last.startswith("jccluster: import sungds: no JobCenter site found in ")
    assert "nothing written" in last and "'clresource show -v'" in last
    # each wrapper line says what would have attached it
    assert "no resource group to attach it to: give the group's 'clresource show -v'" in \
        res.stderr


def test_the_manuals_omission_markers_are_not_lines_not_carried_over(tmp_path, jcc):
    res = jcc("import", "serviceguard", str(DATA / "serviceguard-linux"), "-o", "c.toml",
              cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "以下" not in res.stderr
    assert "0 line(s) not carried over" in res.stderr


def test_sun22_manual_sample_gives_the_site_its_database_and_nametag(tmp_path, jcc):
    res = jcc("import", "sun22", str(DATA / "sun22"), "-o", "c.toml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "c.toml").read_text()
    # §4.14: JobSiteName=sitename.domain, JobDir=/SharediskMountPoint/JobDB, pmfadm -c JobService
    assert 'name = "sitename.domain"' in text
    assert 'database = "/SharediskMountPoint/JobDB"' in text
    assert 'nametag = "JobService"' in text and 'supervisor = "cjcpw"' in text
    # the sample's ':' placeholders, echo/if/exit structure are not lines not carried over
    assert "0 line(s) not carried over" in res.stderr, res.stderr


def test_powerha_an_operators_scripts_and_clmgr_commands(tmp_path, jcc):
    (tmp_path / "jc-start.sh").write_text(
        "#!/bin/ksh\nSITE=orange.example.com\n/usr/lib/nqs/cluster/cjcpw $SITE /mnt/jobdb &\n"
        "exit 0\n")
    (tmp_path / "jc-stop.sh").write_text(
        "#!/bin/ksh\n/usr/lib/nqs/cluster/cjcpw -stop orange.example.com\n")
    (tmp_path / "define.sh").write_text(
        "clmgr add application_controller jc_ctl STARTSCRIPT=/usr/local/jc-start.sh "
        "STOPSCRIPT=/usr/local/jc-stop.sh\n"
        "clmgr add resource_group jc_rg NODES=a,b SERVICE_LABEL=orange.example.com "
        "APPLICATIONS=jc_ctl VOLUME_GROUP=jcvg\nclmgr sync cluster\n")
    res = jcc("import", "powerha", "jc-start.sh", "jc-stop.sh", "define.sh", "-o", "c.toml",
              cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "c.toml").read_text()
    assert 'name = "orange.example.com"' in text and 'database = "/mnt/jobdb"' in text
    assert 'application_controller = "jc_ctl"' in text and 'resource_group = "jc_rg"' in text
    assert 'volume_group = "jcvg"' in text
    assert "0 line(s) not carried over" in res.stderr, res.stderr
