"""Property tests of the form "a hostile value is rejected with one clear line, or carried through
unchanged" (issue 26, item 5): such a test must fail when the validator rejects everything.

`rejected_or_carried` runs the check twice with Hypothesis: over the hostile strategies, where
either answer is fine, and over `plain` strategies -- values the product documents as valid,
with the characters a shell or cmd.exe treats specially -- where every example must be carried.
It returns how many examples each run rejected and carried.

    def test_hostile_paths_rejected_or_carried(tmp_path_factory):
        def check(tail: str) -> str:
            try:
                adapter = make(database="/mnt/" + tail)
            except ConfigError as err:
                assert "database" in str(err)
                return REJECTED
            ...  # render, run, assert the value arrived unchanged
            return CARRIED

        rejected_or_carried(check, hostile={"tail": HOSTILE}, plain={"tail": PLAIN})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CARRIED, REJECTED = "carried", "rejected"

# Folder names Windows keeps as written ("Naming Files, Paths, and Namespaces",
# https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file: none of < > : " / \ | ? *,
# no trailing space or period, no device name) with cmd.exe's special characters; ASCII only and
# no '%' by this project's design (cmd.exe reads batch files in the OEM code page and expands %).
_WINDOWS_FOLDER = st.text(alphabet=st.sampled_from(list("aZ09 _-&^!()',;=+[]{}~#$@")),
                          max_size=6).map(lambda s: "a" + s + "a")
#: the part of a Windows database path after "X:\" that must be carried
PLAIN_WINDOWS_TAIL = st.lists(_WINDOWS_FOLDER, min_size=1, max_size=3).map("\\".join)


def posix_tail(alphabet: str) -> st.SearchStrategy[str]:
    """Relative POSIX paths of 1-3 components made of `alphabet` (never '.' or '..', no empty
    component): POSIX lets a file name hold any byte but '/' and NUL (IEEE Std 1003.1, 3.170
    "Filename")."""
    component = st.text(alphabet=st.sampled_from(list(alphabet)), max_size=6).map(
        lambda s: "a" + s + "a")
    return st.lists(component, min_size=1, max_size=3).map("/".join)


#: what the generated scripts can put on a command line unquoted
#: (`jobcenter_cluster.model.PLAIN_PATH_CHARACTERS`: letters, digits and _ @ % + = : , . / -)
PLAIN_POSIX_TAIL = posix_tail("aZ09_@%+=:,.-")
#: file names full of what a shell treats specially (control characters are refused by design)
SHELL_HOSTILE_POSIX_TAIL = posix_tail("aZ09 _@%+=:,.-$`'\"\\;&|!*?(){}<>#~é")


def rejected_or_carried(check: Callable[..., str], *, hostile: Mapping[str, st.SearchStrategy],
                        plain: Mapping[str, st.SearchStrategy], max_examples: int = 40,
                        plain_examples: int = 15) -> dict[str, dict[str, int]]:
    """Run `check` (which returns `CARRIED` or `REJECTED`) over `hostile`, then over `plain`
    where a rejection fails; return the counts of both runs."""
    counts = {"hostile": {CARRIED: 0, REJECTED: 0}, "plain": {CARRIED: 0, REJECTED: 0}}
    suppress = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]

    def run(name: str, strategies: Mapping[str, st.SearchStrategy], examples: int) -> None:
        def one(**values: Any) -> None:
            result = check(**values)
            assert result in (CARRIED, REJECTED), result
            if name == "plain":
                assert result == CARRIED, f"a valid value was rejected: {values!r}"
            counts[name][result] += 1

        settings(max_examples=examples, deadline=None, suppress_health_check=suppress)(
            given(**strategies)(one))()

    run("hostile", hostile, max_examples)
    run("plain", plain, plain_examples)
    assert counts["plain"][CARRIED] > 0, counts  # never vacuous
    return counts
