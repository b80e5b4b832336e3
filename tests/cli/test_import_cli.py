"""``jccluster import`` of the manual's samples (tests/data/manual, typed from the JobCenter
cluster guide R12.7) as a user runs it: the MSCS sample's ``cjcmksite SITE MID DBPATH`` line
(§5.4) gives a site; a GDS sample of wrapper scripts alone gives none, which exits 1, writes
nothing and says which files fill the gap; the manual's ``(以下省略)`` markers are not
reported as lines not carried over."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import jcc

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parents[1] / "data" / "manual"


def test_mscs_sample_carries_the_cjcmksite_line_over(tmp_path):
    res = jcc("import", "mscs", str(DATA / "mscs"), "-o", "c.toml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "c.toml").read_text()
    assert 'name = "matte.e3.mid.mt.nec.co.jp"' in text
    assert "machine_id = 126" in text and 'database = "Q:\\\\jobdb"' in text
    assert res.stderr.splitlines()[-1].startswith("wrote c.toml: 1 site(s); ")
    assert "0 line(s) not carried over" in res.stderr


def test_no_site_found_exits_1_writes_nothing_and_names_the_files_to_give(tmp_path):
    res = jcc("import", "sungds", str(DATA / "sungds"), "-o", "c.toml", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert not (tmp_path / "c.toml").exists()
    last = res.stderr.splitlines()[-1]
    assert last.startswith("jccluster: import sungds: no JobCenter site found in ")
    assert "nothing written" in last and "'clresource show -v'" in last
    # each wrapper line says what would have attached it
    assert "no resource group to attach it to: give the group's 'clresource show -v'" in \
        res.stderr


def test_the_manuals_omission_markers_are_not_lines_not_carried_over(tmp_path):
    res = jcc("import", "serviceguard", str(DATA / "serviceguard-linux"), "-o", "c.toml",
              cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "以下" not in res.stderr
    assert "0 line(s) not carried over" in res.stderr
