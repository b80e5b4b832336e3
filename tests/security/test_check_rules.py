"""Finding 6 of issue 16, the `jccluster check` part: scripts run as root with an inherited PATH,
and ``log_dir``/``run_dir``/``state_dir`` in shared temporary or world-writable directories.

(The PATH line at the top of each rendered script is the vendor templates' part; these tests use
hand-made files, so they hold whatever the templates say.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from jobcenter_cluster.checks import (
    CheckContext,
    SourceFile,
    _rule_fixed_path,
    _rule_safe_dirs,
    run_checks,
)
from jobcenter_cluster.model import example_cluster
from jobcenter_cluster.plugins import load_adapters

pytestmark = pytest.mark.timeout(120)

ADAPTERS, _ = load_adapters()

GOOD = """#!/bin/sh
# a start script
set -u
umask 022
PATH=/usr/sbin:/usr/bin:/sbin:/bin:/opt/SUNWcluster/bin
export PATH
logger -t jobcenter "starting"
"""


def _path_findings(*files: tuple[str, str]) -> list[tuple[str, str | None, int | None]]:
    srcs = [SourceFile(p, t, "sh") for p, t in files]
    return list(_rule_fixed_path(CheckContext("pacemaker", None, None, srcs, None)))


def test_script_with_a_fixed_path_first_passes():
    assert _path_findings(("start.sh", GOOD)) == []
    assert _path_findings(("s.sh", "#!/bin/sh\nexport PATH=/usr/bin:/bin\nawk 1 </dev/null\n")) \
        == []


@pytest.mark.parametrize("text, expect, line", [
    ("#!/bin/sh\nset -e\nX=1\n", "sets no PATH", None),
    ("#!/bin/sh\nlogger hi\n", "runs 'logger hi' before setting PATH", 2),
    ("#!/bin/sh\nlogger hi\nPATH=/usr/bin:/bin\n", "runs 'logger hi' before setting PATH", 2),
    ("#!/bin/sh\nPATH=$PATH:/usr/cluster/bin:/usr/bin\nexport PATH\npmfadm -s x\n",
     "'$PATH' is not a fixed absolute directory", 2),
    ("#!/bin/sh\nPATH=/usr/bin:${PATH}\nfuser -k /db\n", "'${PATH}' is not a fixed", 2),
    ("#!/bin/sh\nPATH=/usr/bin::/bin\nawk 1\n", "'' is not a fixed absolute directory", 2),
    ("#!/bin/sh\nPATH=bin:/usr/bin\nawk 1\n", "'bin' is not a fixed absolute directory", 2),
    ("#!/bin/ksh\nX=$(id -u)\nPATH=/usr/bin\n", "before setting PATH", 2),
    # set but not exported: a PATH the product did not pass in stays the script's own, and the
    # programs it starts search whatever they inherited
    ("#!/bin/sh\nPATH=/usr/bin:/bin\nawk 1\n", "set but not exported", 2),
    ("#!/bin/sh\nreadonly PATH=/usr/bin:/bin\nawk 1\n", "set but not exported", 2),
    ("#!/bin/sh\nPATH=/usr/bin:/bin\nawk 1\nexport PATH\n", "set but not exported", 2),
])
def test_script_without_a_fixed_path_is_reported(text, expect, line):
    found = _path_findings(("scripts/start.sh", text))
    assert len(found) == 1, found
    message, path, lineno = found[0]
    assert expect in message and path == "scripts/start.sh" and lineno == line


@pytest.mark.parametrize("text", [
    "#!/bin/sh\nPATH=/usr/bin:/bin; export PATH\nawk 1\n",
    "#!/bin/sh\nPATH='/usr/bin:/bin'\nset -u\nexport LANG PATH\nawk 1\n",
    "#!/bin/sh\numask 022\nX=1\nexport PATH=/usr/bin\nawk 1\n",
])
def test_a_fixed_exported_path_before_the_first_command_passes(text):
    assert _path_findings(("s.sh", text)) == []


def test_fragments_without_a_shebang_are_not_scripts():
    """A fragment pasted into the vendor's own control script (which sets PATH) is skipped."""
    assert _path_findings(("legacy.cntl-customer-section", "IP[0]=10.0.0.1\nlogger x\n")) == []


def test_check_cli_reports_it_as_an_error_on_a_hand_made_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "start.sh").write_text("#!/bin/sh\nPATH=$PATH:/usr/sbin\nclplogcmd -m hi\n")
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "check", "pacemaker",
                          str(out), "--json"], capture_output=True, text=True, timeout=120,
                         cwd=str(tmp_path))
    assert "CORE-FIXED-PATH" in res.stdout and '"error"' in res.stdout, res.stdout
    assert res.returncode != 0


def test_fixed_path_defeats_a_planted_command(tmp_path, attacker):
    """Why the rule exists: root runs a script from a cluster product whose PATH starts with a
    directory the attacker writes. The script without a fixed PATH runs the attacker's
    ``logger`` as uid 0; with the PATH line (as the rule demands) it runs the system's."""
    evil = tmp_path / "evil"
    evil.mkdir()
    attacker.give(str(evil))
    marker = tmp_path / "ran-as-root"
    attacker.run(f"""
fd = os.open('logger', os.O_WRONLY | os.O_CREAT, 0o755, dir_fd=FD)
os.write(fd, b'#!/bin/sh\\nid -u > {marker}\\n')
""", fd=attacker.share(str(evil)))
    shell = shutil.which("dash") or "/bin/sh"
    env = {"PATH": f"{evil}:/usr/bin:/bin"}
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\nlogger -t jobcenter test\n")
    subprocess.run([shell, str(bad)], env=env, timeout=30, check=False)
    assert marker.read_text().strip() == "0"  # the attack works without the PATH line ...
    assert _path_findings(("bad.sh", bad.read_text()))  # ... and check reports that script
    marker.unlink()
    good = tmp_path / "good.sh"
    good.write_text(GOOD)
    subprocess.run([shell, str(good)], env=env, timeout=30, check=False)
    assert not marker.exists()
    assert _path_findings(("good.sh", GOOD)) == []


def _dir_findings(adapter: str, options: dict) -> list[str]:
    cls = ADAPTERS[adapter]
    cluster = example_cluster({**cls.example_overrides(), adapter: options})
    return [f.message for f in run_checks(cls, cluster=cluster)
            if f.rule == "CORE-SAFE-DIRS" and f.severity == "error"]


@pytest.mark.parametrize("adapter, key, value", [
    ("veritas", "log_dir", "/tmp"),
    ("veritas", "run_dir", "/var/tmp"),
    ("powerha", "log_dir", "/tmp"),
    ("powerha", "run_dir", "/dev/shm"),
    ("pacemaker", "state_dir", "/tmp"),
])
def test_shared_temporary_directories_are_errors(adapter, key, value):
    found = _dir_findings(adapter, {key: value})
    assert len(found) == 1 and f"{key} = {value!r} is a shared temporary directory" in found[0]


def test_world_writable_or_foreign_directory_is_an_error(tmp_path, attacker):
    """Where the directory exists here it must pass the trust check (below /tmp too: a private
    root-owned directory there is fine)."""
    d = tmp_path / "logs"
    d.mkdir()
    os.chmod(d, 0o777)
    found = _dir_findings("veritas", {"log_dir": str(d)})
    assert len(found) == 1 and f"{d} is writable by others (mode 0777)" in found[0], found
    os.chmod(d, 0o755)
    assert _dir_findings("veritas", {"log_dir": str(d)}) == []
    attacker.give(str(d))
    found = _dir_findings("powerha", {"run_dir": str(d)})
    assert len(found) == 1 and f"is owned by uid {attacker.uid}" in found[0], found


def test_safe_dirs_rule_needs_the_cluster_file():
    """On a directory alone (no cluster file) there are no options to check: no findings."""
    assert list(_rule_safe_dirs(CheckContext("veritas", None, None, [], None))) == []
