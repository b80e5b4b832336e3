"""Issue 27: `import` on the files real clusters contain. The samples in
`tests/data/import-real/` were written for these tests in each product's documented syntax (each
file names the vendor document it follows); none is copied from another project."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobcenter_cluster.adapters.veritas import maincf
from jobcenter_cluster.importing import run_import

REAL = Path(__file__).resolve().parents[1] / "data" / "import-real"


def report_text(r) -> str:
    return "\n".join(r.report)


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of `path` holding `needle`."""
    for n, line in enumerate(path.read_text().split("\n"), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


# --------------------------------------------------------------------------- 1. VCS localized


def test_maincf_reads_localized_attributes_in_both_spellings():
    cf = maincf.parse("group g (\n  SystemList = { a = 0, b = 1 }\n  )\n"
                      "  NIC n (\n    Device @a = bge0\n    Device@b = bge1\n"
                      "    NetworkHosts @a = { \"10.0.0.1\" }\n    NetworkHosts @b = { \"10.0.0.1\" }\n"
                      "    )\n  X y (\n    ActivationMode @a = { dg = sw }\n  )\n")
    nic = cf.groups["g"].resources["n"]
    assert nic.attrs["Device"].local == {"a": ("bge0", 5), "b": ("bge1", 6)}
    assert not nic.attrs["Device"].uniform and nic.get("Device") == "bge0"
    assert nic.attrs["NetworkHosts"].uniform and nic.get("NetworkHosts") == ["10.0.0.1"]
    assert cf.groups["g"].resources["y"].get("ActivationMode") == {"dg": "sw"}
    for bad in ("Device @a = x\n Device @a = y", "Device = x\n Device @a = y", "Device@ = x"):
        with pytest.raises(maincf.MainCfError):
            maincf.parse(f"group g (\n)\nNIC n (\n {bad}\n)\n")


def test_a_cvm_main_cf_with_localized_attributes_imports_its_site():
    path = REAL / "vcs-cvm" / "main.cf"
    r = run_import("veritas", [str(path)])
    (site,) = r.data["site"]
    assert site["name"] == "orange.example.com" and site["address"] == "10.17.21.162"
    assert [n["name"] for n in r.data["node"]] == ["node01", "node02"]
    # the device differs by node: reported on its first line, never the first node's for all
    assert "device" not in site["veritas"]
    text = report_text(r)
    where = f"{path}:{line_of(path, 'Device @node01 = bge0')}: "
    assert where + "not carried over: jcsg_nic Device: localized" in text, text
    assert "node01='bge0', node02='e1000g0'" in text
    # the same value on every node is read as that value (FSType vxfs: the default, no option)
    assert "fs_type" not in site["veritas"] and "FSType" not in text
    assert f"{path}:{line_of(path, 'NetworkHosts @node01')}: not carried over: jcsg_nic " \
           "NetworkHosts" in text
    # finding 4: the group dependency on the CVM group is reported with its line
    assert f"{path}:{line_of(path, '        requires group cvm')}: not carried over: group jcsg " \
           "requires group cvm online local firm" in text, text
