"""``jccluster validate`` through the real CLI: every mistake in one run, one line each, in the
order of the file; "did you mean"; a key in the wrong table names the right one; the starter
file's commented examples are valid where they stand."""

from __future__ import annotations

import re

import pytest

from jobcenter_cluster.model import EXAMPLE_TOML
from support.cli import jcc

FIVE_MISTAKES = """\
[cluster]
product = "jobcenter-linx"
database = "/mnt/jobdb"

[[node]]
name = "spencer.example.com"
address = "10.17.21.300"
machine_id = 160

[[node]]
name = "matto.example.com"
address = "10.17.21.161"
machine_id = 160

[[site]]
name = "orange"
address = "10.17.21.162"
machine_id = 162
database = "/mnt/jobdb"
"""


def test_every_mistake_in_one_run_sorted_by_place(tmp_path):
    (tmp_path / "c.toml").write_text(FIVE_MISTAKES)
    res = jcc("validate", "-c", "c.toml", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert lines[0].startswith(
        "jccluster: c.toml:2: cluster.product: 'jobcenter-linx' is not a product profile (did you "
        "mean 'jobcenter-linux'? use one of: jobcenter-linux, ")
    assert lines[1:] == [
        "jccluster: c.toml:3: cluster.database: unknown key (it belongs in [[site]])",
        "jccluster: c.toml:7: node[0].address: '10.17.21.300' is not an IPv4 address (write it as "
        "four numbers, e.g. 10.17.21.162)",
        "jccluster: c.toml:13: node[1].machine_id: 160 is already used by node[0].machine_id (every "
        "machine_id must be unique across the nodes and sites that exchange jobs)",
        "jccluster: c.toml:16: site[0].name: 'orange' is not a fully qualified host name (write the "
        "official name with its domain, e.g. \"orange.example.com\"; the manual forbids aliases)",
        "jccluster: c.toml: 5 mistakes",
    ]


def test_order_follows_the_file_not_the_checks(tmp_path):
    # the site comes before the nodes and the cluster table in this file
    text = FIVE_MISTAKES.split("[[site]]")[1]
    body = "[[site]]" + text + "\n" + FIVE_MISTAKES.split("[[site]]")[0]
    (tmp_path / "c.toml").write_text(body)
    lines = jcc("validate", "-c", "c.toml", cwd=tmp_path).stderr.splitlines()
    fields = [ln.split(": ")[2] for ln in lines[:-1]]
    numbers = [int(ln.split(": ")[1].split(":")[1]) for ln in lines[:-1]]
    assert numbers == sorted(numbers)
    assert fields == ["site[0].name", "cluster.product", "cluster.database", "node[0].address",
                      "node[1].machine_id"]


def test_adapter_tables_report_every_mistake_and_where_a_key_belongs(tmp_path):
    (tmp_path / "c.toml").write_text(EXAMPLE_TOML + '\n[serviceguard]\npackage = "jc"\n'
                                     'auto_run = "yes"\netc_dirr = "/etc/cmcluster"\n')
    res = jcc("validate", "-c", "c.toml", cwd=tmp_path)
    assert res.returncode == 2
    n = EXAMPLE_TOML.count("\n")  # the [serviceguard] header is on line n + 2, its keys follow
    assert res.stderr.splitlines() == [
        f"jccluster: c.toml:{n + 3}: serviceguard.package: unknown key (it belongs in "
        "[site.serviceguard], right after its [[site]])",
        f"jccluster: c.toml:{n + 4}: serviceguard.auto_run: must be true or false, not 'yes'",
        f"jccluster: c.toml:{n + 5}: serviceguard.etc_dirr: unknown key (did you mean 'etc_dir'?)",
        "jccluster: c.toml: 3 mistakes",
    ]


def test_a_single_mistake_is_still_one_line(tmp_path):
    text = re.sub(r"(?m)^supervisor = .*\n", "", EXAMPLE_TOML)
    (tmp_path / "c.toml").write_text(text.replace("[cluster]\n",
                                                  '[cluster]\nsupervisor = "cjcwp"\n'))
    res = jcc("validate", "-c", "c.toml", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == (
        "jccluster: c.toml:5: cluster.supervisor: 'cjcwp' is not a supervisor (did you mean "
        "'cjcpw'? use \"jccluster\" to call our engine, or \"cjcpw\" to call JobCenter's own "
        "watcher)\n")


def test_did_you_mean_for_a_site_and_an_adapter_name(tmp_path):
    (tmp_path / "jccluster.toml").write_text(EXAMPLE_TOML)
    res = jcc("render", "serviceguard", "--site", "ornage.example.com", cwd=tmp_path)
    assert res.returncode == 2 and "did you mean 'orange.example.com'?" in res.stderr
    res = jcc("render", "serviceguar", cwd=tmp_path)
    assert res.returncode == 2 and "did you mean 'serviceguard'?" in res.stderr


def _commented_blocks(text: str) -> list[tuple[int, int]]:
    """Runs of consecutive commented TOML lines (``# key = value`` or ``# [table]``)."""
    toml_line = re.compile(r"^# (\[\[?[A-Za-z0-9_.-]+\]\]?|[A-Za-z_][A-Za-z0-9_-]* = \S.*)$")
    blocks, start = [], None
    lines = text.splitlines()
    for i, line in enumerate([*lines, ""]):
        if toml_line.match(line):
            start = i if start is None else start
        elif start is not None:
            blocks.append((start, i))
            start = None
    return blocks


def test_the_starter_files_examples_are_valid_where_they_stand(tmp_path):
    lines = EXAMPLE_TOML.splitlines()
    blocks = _commented_blocks(EXAMPLE_TOML)
    assert any("[site.serviceguard]" in lines[a] for a, _ in blocks)
    for a, b in blocks:
        changed = lines[:a] + [ln[2:] for ln in lines[a:b]] + lines[b:]
        (tmp_path / "jccluster.toml").write_text("\n".join(changed) + "\n")
        res = jcc("validate", cwd=tmp_path)
        assert res.returncode == 0, ("\n".join(lines[a:b]), res.stderr)


@pytest.mark.parametrize("adapter", ["serviceguard"])
def test_check_lists_every_config_mistake_as_a_finding(tmp_path, adapter):
    (tmp_path / "c.toml").write_text(FIVE_MISTAKES)
    res = jcc("check", adapter, "-c", "c.toml", cwd=tmp_path)
    assert res.returncode == 1
    assert res.stdout.count("error CORE-CONFIG") == 4
    assert res.stdout.count("error CORE-UNIQUE-MID") == 1


def test_checker_ok_tells_which_fields_had_a_mistake():
    from jobcenter_cluster.model import Checker

    c = Checker("f.toml")
    with c.guard():
        raise c.fail("site[0].address", "bad")
    with c.guard():
        raise c.fail("node[1]", "must be a table")
    assert not c.ok("site[0].address") and not c.ok("site[0]")
    assert c.ok("site[0].name", "site[1].address", "site[0].addresses")
    assert not c.ok("node[1].name") and c.ok("node[10].name")
    with pytest.raises(Exception, match="f.toml: site\\[0\\].address: bad\nf.toml: node\\[1\\]"):
        c.done()
