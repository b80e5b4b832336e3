"""`jccluster import`: reading with limits, reporting, writing, hostile artifacts."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from jobcenter_cluster import importing
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.importing import InputFile, read_inputs, run_import
from support.cli import jcc

DATA = Path(__file__).resolve().parents[1] / "data" / "manual"


def test_logical_lines_join_continuations_and_normalise_line_ends(tmp_path):
    p = tmp_path / "a.cntl"
    p.write_bytes(b"A=1\r\nB=two \\\r\n\tthree\r\n# comment \\\r\nC=4\rD=5")
    (f,) = read_inputs([str(p)])
    assert f.logical() == [(1, "A=1"), (2, "B=two three"), (4, "# comment \\"), (5, "C=4"),
                           (6, "D=5")]
    bat = InputFile("x.bat", 'ARMLoad W /U a ^\n   "x" ^\n "y"\nrem end')
    assert bat.logical("^") == [(1, 'ARMLoad W /U a "x" "y"'), (4, "rem end")]


def test_huge_file_is_one_clean_line(tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "MAX_BYTES", 1000)
    big = tmp_path / "big.cntl"
    big.write_text("A=1\n" * 400)
    with pytest.raises(UserError, match=r"big\.cntl: is larger than"):
        read_inputs([str(big)])


def test_cli_refuses_a_binary_file_in_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "pkg.cntl").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50)
    r = jcc("import", "serviceguard", str(tmp_path / "pkg.cntl"), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "is a binary file" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "jccluster.toml").exists()


def test_cli_unknown_adapter_and_missing_path_are_one_line(tmp_path):
    r = jcc("import", "nosuch", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    r = jcc("import", "serviceguard", str(tmp_path / "nope"), cwd=tmp_path)
    assert r.returncode == 2 and "no such file or directory" in r.stderr, r.stderr


def test_never_overwrites_without_force_and_writes_atomically(tmp_path):
    src = DATA / "serviceguard-linux"
    target = tmp_path / "jccluster.toml"
    target.write_text("# mine\n")
    r = jcc("import", "serviceguard", str(src), cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr
    assert target.read_text() == "# mine\n"
    r = jcc("import", "serviceguard", str(src), "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "orange.xxx.xx.co.jp" in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["jccluster.toml"]  # no temporary file left
    r = jcc("import", "serviceguard", str(src), "-o", "other.toml", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "other.toml").exists()
    assert oct((tmp_path / "other.toml").stat().st_mode & 0o777) == "0o644"


def test_missing_values_are_commented_and_validate_names_them(tmp_path):
    r = jcc("import", "serviceguard", str(DATA / "serviceguard-linux"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "jccluster.toml").read_text()
    data = tomllib.loads(text)
    assert "machine_id" not in data["site"][0]
    assert "# machine_id =    # MISSING:" in text and "cjcls" in text and "cjcmksite" in text
    assert "# address =    # MISSING:" in text
    v = jcc("validate", cwd=tmp_path)
    assert v.returncode == 2 and "node" in v.stderr, v.stderr  # no [[node]] in the control script
    # The sample has no SUBNET, and jccluster does not guess a netmask: it is missing too.
    assert "# netmask =    # MISSING:" in text
    # With the nodes, address, netmask and machine ID filled in, the file validates.
    filled = text.replace("[[site]]", '[[node]]\nname = "spencer"\naddress = "10.17.21.160"\n'
                          'machine_id = 160\n\n[[site]]\naddress = "10.17.21.162"\n'
                          'netmask = "255.255.255.0"\nmachine_id = 162', 1)
    (tmp_path / "jccluster.toml").write_text(filled)
    v = jcc("validate", cwd=tmp_path)
    assert v.returncode == 0, v.stderr


HOSTILE = [
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw \'orange.example.com;reboot\' /mnt/jobdb"',
     "site name"),
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/../etc"',
     "database"),
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com relative/db"',
     "database"),
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com \'/mnt/job db\'"\n'
     "SERVICE_NAME[0]=cjc", "database"),
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/jobdb"\n'
     "SERVICE_NAME[0]='cjc; reboot'", "service"),
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/jobdb"\n'
     "IP[0]=10.0.0.999", "address"),
    ('SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/jobdb"\n'
     "LV[0]='/dev/vg/lv$(reboot)'", "fs_name"),
    ('SERVICE_CMD[0]="/bin/sh -c reboot"', "not a JobCenter"),
]


@pytest.mark.parametrize(("line", "field"), HOSTILE)
def test_hostile_values_are_reported_not_imported(tmp_path, line, field):
    cntl = tmp_path / "pkg.cntl"
    cntl.write_text(line + "\n")
    result = run_import("serviceguard", [str(cntl)])
    assert any(field in r and "not carried over" in r for r in result.report), result.report
    text = result.text
    for bad in ("reboot", "..", "relative/db", "job db", "999"):
        assert bad not in text.split("# Check every value")[1], text


def test_the_render_manifest_and_hidden_directories_are_not_read(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    (tmp_path / ".jccluster-manifest.json").write_text("{}")
    (tmp_path / "pkg.cntl").write_text("SERVICE_NAME[0]=cjc\n")
    assert [f.name for f in read_inputs([str(tmp_path)])] == ["pkg.cntl"]


def test_an_option_the_adapter_requires_and_the_artifacts_lack_is_a_missing_line(tmp_path):
    bat = tmp_path / "start.bat"
    bat.write_bytes(b'IF "%ARMS_EVENT%" == "START" GOTO NORMAL\r\n:NORMAL\r\n'
                    b'ARMLoad JOBSTART /M "C:\\JobCenter\\SV\\bin\\cjcpw" "orange.example.com" '
                    b'"X:\\vmdb"\r\n')
    r = run_import("clusterpro-windows", [str(bat)])
    assert ("clusterpro-windows", "admin") in {m.path for m in r.missing}
    assert "[clusterpro-windows]\n# admin =    # MISSING: the JobCenter administrator" in r.text
    assert r.report == []


def test_a_full_legacy_control_script_reports_its_own_functions_once_each(tmp_path):
    cntl = tmp_path / "jobcenter.cntl"
    cntl.write_text(
        "#!/usr/bin/ksh\n"
        "PATH=/usr/bin:/usr/sbin:/etc:/bin\n"
        'VGCHANGE="vgchange -a e"\n'
        "VG[0]=vgjob\n"
        "LV[0]=/dev/vgjob/lvol1; FS[0]=/mnt/jobdb; FS_TYPE[0]=\"vxfs\"\n"
        "IP[0]=10.17.21.162\nSUBNET[0]=10.17.21.0\n"
        "SERVICE_NAME[0]=cjc\n"
        'SERVICE_CMD[0]="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/jobdb"\n'
        'SERVICE_RESTART[0]=""\n'
        "function activate_volume_group\n{\n    vgchange -a e $1\n    if [ $? -ne 0 ]\n"
        "    then\n        exit 1\n    fi\n}\n"
        "function customer_defined_run_cmds\n{\n    /usr/lib/nqs/nqsportkpr orange.example.com\n"
        "    test_return 51\n}\n"
        "function customer_defined_halt_cmds\n{\n"
        "    /usr/lib/nqs/cluster/cjcpw -stop orange.example.com\n    test_return 52\n}\n")
    r = run_import("serviceguard", [str(cntl)])
    (site,) = r.data["site"]
    assert site["address"] == "10.17.21.162" and site["monitor"] is True
    # SUBNET is carried over as it is: without a netmask the adapter no longer computes it
    assert site["serviceguard"] == {"service": "cjc", "vg": "vgjob", "fs_name": "/dev/vgjob/lvol1",
                                    "fs_type": "vxfs", "subnet": "10.17.21.0"}
    assert [line.split("not carried over: ")[1] for line in r.report] == [
        "PATH=/usr/bin:/usr/sbin:/etc:/bin", "VGCHANGE=vgchange -a e",
        "function activate_volume_group (the control script's own; not read)"]


def test_output_problems_are_one_line(tmp_path):
    src = str(DATA / "serviceguard-linux")
    (tmp_path / "adir").mkdir()
    for args, what in ((["-o", "adir", "--force"], "is a directory"),
                       (["-o", "adir"], "already exists"),
                       (["-o", "nodir/x.toml"], "cannot write")):
        r = jcc("import", "serviceguard", src, *args, cwd=tmp_path)
        assert r.returncode == 2 and what in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["adir"] and os.listdir(tmp_path / "adir") == []


def test_a_dos_end_of_file_mark_is_not_binary(tmp_path):
    bat = tmp_path / "stop.bat"
    bat.write_bytes(b"ARMLoadC JOBSTART /W PAUSE\r\nARMKILL JOBSTART\r\n\x1a")
    (f,) = read_inputs([str(bat)])
    assert f.text == "ARMLoadC JOBSTART /W PAUSE\nARMKILL JOBSTART\n"
