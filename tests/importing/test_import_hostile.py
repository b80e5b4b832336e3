"""Hostile artifacts, for every importing adapter: values our validation refuses are reported
with their file and line and never reach the cluster file; odd files are one clean line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobcenter_cluster.importing import IMPORTERS, run_import
from jobcenter_cluster.model import example_data
from jobcenter_cluster.plugins import load_adapter
from support import adapters

SITE = "orange.example.com"


def rendered(adapter: str, out: Path) -> None:
    adapters.rendered(adapters.make(adapter, **load_adapter(adapter).example_overrides()), out)


def tamper(out: Path, old: str, new: str) -> int:
    n = 0
    for path in out.rglob("*"):
        if path.is_file() and path.name != ".jccluster-manifest.json":
            data = path.read_bytes()
            if old.encode() in data:
                path.write_bytes(data.replace(old.encode(), new.encode()))
                n += 1
    return n


@pytest.mark.parametrize("adapter", sorted(IMPORTERS))
def test_an_invalid_site_name_is_reported_not_imported(adapter, tmp_path):
    out = tmp_path / "out"
    rendered(adapter, out)
    assert tamper(out, SITE, "or_ange.example.com")
    r = run_import(adapter, [str(out)])
    assert any("site name" in line and "or_ange" in line for line in r.report), r.report
    assert "or_ange" not in r.text.split("# Reference")[1]


@pytest.mark.parametrize("adapter", sorted(IMPORTERS))
def test_an_invalid_database_is_reported_not_imported(adapter, tmp_path):
    out = tmp_path / "out"
    rendered(adapter, out)
    cls = load_adapter(adapter)
    old = example_data(cls.example_overrides())["site"][0]["database"]
    windows = ":" in old
    new = old[:3] + "%PATH%" + old[3:] if windows else old.replace("/mnt/", "/mnt/../")
    assert tamper(out, old, new)
    r = run_import(adapter, [str(out)])
    assert any("database" in line and ("%PATH%" in line or "'..'" in line)
               for line in r.report), r.report
    body = r.text.split("# Reference")[1]
    assert "%PATH%" not in body and "/.." not in body
    assert ("site", 0, "database") in {m.path for m in r.missing}


@pytest.mark.parametrize("adapter", sorted(IMPORTERS))
def test_a_fifo_and_a_binary_file_are_one_clean_line(adapter, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "import", adapter, str(fifo)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "is not a regular file" in r.stderr
    blob = tmp_path / "blob"
    blob.write_bytes(bytes(range(256)) * 10)
    r = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "import", adapter, str(blob)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "is a binary file" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "jccluster.toml").exists()


def test_the_agent_hot_path_never_loads_an_importer():
    code = (
        "import sys\n"
        "import jobcenter_cluster.agent\n"
        "from jobcenter_cluster.entrypoints import load_spec\n"
        "for name in ('serviceguard', 'pacemaker', 'clusterpro-linux', 'clusterpro-windows',"
        " 'sungds', 'veritas'):\n"
        "    load_spec(name)\n"
        "bad = [m for m in sys.modules if 'importing' in m or 'importers' in m]\n"
        "print(bad)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


# Issue 27's new readers: each stays linear on large and malformed input, and ends with report
# lines, never a traceback. Each case is a function of its size N; the test times N/4 and N:
# linear work takes about 4 times as long, quadratic work 16 times.
N = 20_000
HOSTILE = {
    "pacemaker-pcs": ("pacemaker", "pcs.sh", lambda N: "".join(
        f"pcs resource create r{i} ocf:heartbeat:IPaddr2 ip=10.0.{i % 250}.1 op monitor "
        f"--group g{i % 3}\npcs resource meta r{i} a=b\n" for i in range(N))
        + "pcs resource create\npcs -f\n"),
    "pacemaker-crm-heredoc": ("pacemaker", "crm.sh", lambda N: "crm configure <<EOF\n" + "".join(
        f"node {i}: n{i}\nprimitive p{i} stonith:fence_x params a=\"{'x' * 50}\n"
        for i in range(N)) + "property " + "a=b " * N + "\n"),
    "pacemaker-cib-deep": ("pacemaker", "cib.xml", lambda N: "<cib><configuration><constraints>"
                           + "<rsc_location id='l'>" * 2000 + "</rsc_location>" * 2000
                           + "</constraints><crm_config>" + "".join(
                               f"<nvpair name='stonith-{i}' value='1'/>" for i in range(N))
                           + "</crm_config></configuration></cib>"),
    "mscs-ps1": ("mscs", "build.ps1", lambda N: "".join(
        f"Add-ClusterResourceDependency -Resource R{i} -Provider P{i}\n"
        f"Get-ClusterResource R{i} | Set-ClusterParameter -Multiple @{{a=1;b='2';{'c' * 200}}}\n"
        for i in range(N)) + ' "`' * N + "\n" + "(Get-ClusterResource " + "a" * N + "\n"
        + "$x = '" + "'" * N + "\n"),
    "sungds-scrgadm": ("sungds", "setup.sh", lambda N: "".join(
        f"scrgadm -a -j r{i} -g g -t SUNW.gds -x Start_command=x\n"
        f"clrs set -p Retry_count={i} r{i}\nclrs set -p X=1 missing{i}\n" for i in range(N))),
    "clusterpro-linux-clp-conf": ("clusterpro-linux", "clp.conf", lambda N: "<root><heartbeat>" + "".join(
        f'<diskhb name="d{i}"><priority>1</priority></diskhb>\n' for i in range(N))
        + "</heartbeat><networkpartition>" + "".join(
            f'<pingnp name="p{i}"/>\n' for i in range(N)) + "</networkpartition>" + "".join(
            f'<server name="s{i}"><priority>{i}</priority></server>\n' for i in range(N))
        + "".join(f"<x{i}/>" for i in range(N)) + "</root>"),
    "veritas-localized": ("veritas", "main.cf", lambda N: "group g (\n SystemList = { a = 0 }\n)\n"
                          "NIC n (\n" + "".join(f" A{i} @s{i % 7} = {{ k = v }}\n"
                                                for i in range(N)) + ")\n"
                          + "".join(f"X x{i} (\n D @a = 1\n D @b = 2\n)\n" for i in range(N))),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_new_readers_stay_linear_on_hostile_input(case, tmp_path):
    import time

    adapter, name, make = HOSTILE[case]
    took = []
    for n in (N // 4, N):
        p = tmp_path / str(n) / name
        p.parent.mkdir()
        p.write_text(make(n))
        began = time.monotonic()
        r = run_import(adapter, [str(p)])
        took.append(time.monotonic() - began)
        assert all(": not carried over: " in line for line in r.report)
    assert took[1] < 60, f"{case}: {took[1]:.1f}s"
    assert took[1] < 8 * took[0] + 1.0, f"{case}: not linear: {took[0]:.2f}s, then {took[1]:.2f}s"
