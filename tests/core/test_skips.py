"""Skips fail the run unless listed in tests/skips.txt (issue 9)."""

from __future__ import annotations

import os
import subprocess
import sys

from support.suite import root_conftest

_conftest = root_conftest()
SKIPS_FILE, read_allowed_skips, unlisted_skips = (
    _conftest.SKIPS_FILE, _conftest.read_allowed_skips, _conftest.unlisted_skips)

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_allow_list_is_well_formed_and_every_line_has_a_reason():
    allowed, bad = read_allowed_skips(SKIPS_FILE)
    assert bad == []
    assert all(reason for _, reason in allowed)


def test_unlisted_skips_are_found_by_id_or_glob():
    skipped = [("tests/a.py::t1", "x"), ("tests/b.py::t2[1]", "y"), ("tests/c.py::t3", "z")]
    allowed = [("tests/a.py::t1", "why"), ("tests/b.py::*", "why")]
    assert unlisted_skips(skipped, allowed) == [("tests/c.py::t3", "z")]


def _run(tmp_path, skips: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "skips.txt").write_text(skips)
    test = tmp_path / "test_sample.py"
    test.write_text("import pytest\n\ndef test_runs():\n    pass\n\n"
                    "def test_skips():\n    pytest.skip('no frobnicator here')\n")
    env = {**os.environ, "JCCLUSTER_SKIPS_FILE": str(tmp_path / "skips.txt")}
    # run the sample under this suite's conftest (rootdir tests/), as CI would
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", TESTS,
         "-c", os.devnull, "--confcutdir", TESTS, "-p", "conftest", str(test)],
        capture_output=True, text=True, timeout=120, env=env, cwd=TESTS)


def test_a_skip_fails_the_run_unless_listed(tmp_path):
    res = _run(tmp_path, "# nothing allowed\n")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "skipped without being listed" in res.stdout and "no frobnicator here" in res.stdout
    listed = _run(tmp_path, "*::test_skips: the frobnicator is optional\n")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    malformed = _run(tmp_path, "*::test_skips\n")
    assert malformed.returncode == 1 and "malformed line" in malformed.stdout


def test_no_test_runs_a_program_from_outside_the_clone():
    """A fresh clone on a new machine runs the same suite: no test may depend on a path that
    exists only on the machine where it was written (a venv in /tmp, a home or work directory).
    Strings that are data (paths rendered into scripts, never run here) are fine."""
    import re

    # written with [x] classes so this line does not name such a path itself (the before-stop
    # hook greps the tests for them); the pattern is the same
    bad = re.compile(r"""["'](/tm[p]/\.?venv|/wor[k]/|/hom[e]/|/roo[t]/)""")
    found = []
    for root, _dirs, files in os.walk(TESTS):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        if bad.search(line) and "bad = re.compile" not in line:
                            found.append(f"{os.path.relpath(path, TESTS)}:{n}: {line.strip()}")
    assert found == []
