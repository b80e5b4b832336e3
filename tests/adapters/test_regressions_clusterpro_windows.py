"""Issue 20 ("Failure semantics"), CLUSTERPRO / EXPRESSCLUSTER for Windows: named regression
test for finding 3 -- stop.bat failed whenever ``cjcpw -stop`` exited non-zero, although the
manual's own samples never let that status block the failover (its CLUSTERPRO Linux stop.sh
sample ends with ``exit 0``, §3.3.7) and ``cjcls`` tells whether the site still runs (§2.10.5:
"DAEMON-PID ... SHUT と表示される場合は ... JobCenter が起動していない").

Expected exit codes of the group stop script: 0 lets the group move on, non-zero is a failed
stop (the manual's samples end with ``EXIT``; the ARM/EXPRESSCLUSTER reaction to a failing stop
script is the product's deactivation-failure handling). The script runs under ``wine cmd /c``
with recording stubs, and ``cjcls`` is a small program that prints a listing the test writes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jobcenter_cluster.adapters.clusterpro_windows.adapter import ClusterProWindowsAdapter
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.model import example_data, parse_cluster
from support.wine import MINGW, WineBox, wine  # noqa: F401  (the fixture)

NAME = "clusterpro-windows"
SITE = "orange.example.com"
DB = "X:\\vmdb"
BIN = "X:\\JobCenter\\SV\\bin"

#: prints the file cjcls.txt next to the program (the listing a test wants cjcls to show)
_CJCLS_C = r"""
#include <windows.h>
#include <stdio.h>
int main(void)
{
    char path[MAX_PATH], *slash;
    FILE *fh;
    int c;
    GetModuleFileNameA(NULL, path, MAX_PATH);
    slash = strrchr(path, '\\');
    strcpy(slash ? slash + 1 : path, "cjcls.txt");
    fh = fopen(path, "rb");
    if (!fh)
        return 1;
    while ((c = fgetc(fh)) != EOF)
        putchar(c);
    fclose(fh);
    return 0;
}
"""


def _adapter(flavour: str = "arm") -> ClusterProWindowsAdapter:
    data = example_data({
        "cluster": {"product": "jobcenter-windows", "supervisor": "cjcpw",
                    "install_prefix": "X:\\JobCenter"},
        "site": [{"database": DB, "monitor": True}],
        NAME: {"admin": "jcadmin", "flavour": flavour},
    })
    return ClusterProWindowsAdapter(parse_cluster(data, adapter_names=[NAME]))


@pytest.fixture(scope="module")
def cjcls_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("cjcls")
    src = where / "cjcls.c"
    src.write_text(_CJCLS_C)
    exe = where / "cjcls.exe"
    subprocess.run([MINGW, "-O2", "-o", str(exe), str(src)], check=True, capture_output=True,
                   timeout=120)
    return exe


def _listing(state: str | None) -> str:
    """cjcls as the manual shows it (§2.10.5): a header, then SITE  PID-or-SHUT  DBPATH."""
    if state is None:
        return ""  # cjcls printed nothing: it cannot tell
    lines = ["SITE-NAME          DAEMON-PID      DB-PATH(LINK)",
             f"{SITE:<18} {state:<15} {DB}", "                  (C:\\JobCenter\\SV\\spool\\x)"]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.wine
@pytest.mark.timeout(300)
@pytest.mark.parametrize("flavour", ["arm", "x"])
def test_finding3_clusterpro_windows_stop_bat_verifies_instead_of_trusting_cjcpw(
        wine, cjcls_exe, flavour):  # noqa: F811
    box: WineBox = wine
    paths = {}
    for art in _adapter(flavour).render():
        if art.path.split("/")[-1] == "stop.bat":
            paths["stop.bat"] = box.write("X:\\out\\" + art.path.replace("/", "\\"),
                                          art.content)
    box.stub("ARMLoad", "ARMLoadC", "ARMKILL", "ARMBCAST")
    box.stub_at(BIN, "cjcpw")
    shutil.copyfile(cjcls_exe, box.host_path(BIN + "\\cjcls.exe"))
    listing = box.host_path(BIN + "\\cjcls.txt")
    ev = "ARMS" if flavour == "arm" else "CLP"
    env = {f"{ev}_EVENT": "FAILOVER", f"{ev}_DISK": "SUCCESS", f"{ev}_SERVER": "HOME"}
    cases = [
        # (cjcpw -stop exit, what cjcls shows, stop.bat's exit)
        (0, "1320", 0),     # cjcpw -stop succeeded: its word is taken (as before)
        (1, "SHUT", 0),     # it failed, but the site is down: the failover goes on
        (1, "1320", 1),     # it failed and nqsdaemon still runs: a failed stop
        (1, None, 1),       # it failed and cjcls cannot tell: a failed stop
    ]
    for stop_rc, state, want in cases:
        listing.write_text(_listing(state), encoding="ascii")
        res = box.run(paths["stop.bat"], env=env, exits={"cjcpw": stop_rc})
        label = (flavour, stop_rc, state)
        names = [c[0] for c in res.commands() if c[0] in ("ARMLoadC", "cjcpw", "ARMKILL")]
        assert names == ["ARMLoadC", "cjcpw", "ARMKILL"], (label, res.calls, res.stdout, res.stderr)
        assert res.returncode == want, (label, res.stdout, res.stderr)


def test_finding3_clusterpro_windows_stop_verify_rule(tmp_path):
    """CPW-STOP-VERIFY: a stop path that fails on cjcpw -stop's status without asking cjcls is
    flagged; the rendered stop.bat passes."""
    out = tmp_path / "out"
    for art in _adapter().render():
        path = out / art.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(art.content)
    rules = {f.rule for f in run_checks(ClusterProWindowsAdapter, directory=str(out))
             if f.severity == "error"}
    assert "CPW-STOP-VERIFY" not in rules
    stop = out / "orange" / "stop.bat"
    text = stop.read_text()
    cut = "\n".join(ln for ln in text.splitlines() if "cjcls" not in ln or ln.startswith("rem"))
    stop.write_text(cut)
    found = [f for f in run_checks(ClusterProWindowsAdapter, directory=str(out))
             if f.rule == "CPW-STOP-VERIFY"]
    assert {f.message.split(":", 2)[1] for f in found} == {"NORMAL", "FAILOVER"}, found


def test_clusterpro_windows_x_stop_timeout_advice_has_margin():
    """EXPRESSCLUSTER X: APPLY.txt's stop script timeout leaves cjcpw -stop (1-2 minutes,
    §3.3.7, no deadline of its own) a wide margin: at least twice its longest stop."""
    text = {a.path: a.content for a in _adapter("x").render()}["orange/APPLY.txt"]
    m = re.search(r"stop script's timeout to at least (\d+) seconds", text)
    assert m and int(m.group(1)) >= 240, text
