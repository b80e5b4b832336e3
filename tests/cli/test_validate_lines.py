"""``jccluster validate`` in one pass, each mistake as ``FILE:LINE: field: message`` (issue 23
item 5, issue 25 item 1): the core tables' mistakes and those of the adapters' own tables
(``[site.serviceguard]``, ``[veritas]``) come in the same run, sorted by line."""

from __future__ import annotations

import tomllib

from jobcenter_cluster.cli.render_cmds import validation
from jobcenter_cluster.model import EXAMPLE_TOML
from jobcenter_cluster.plugins import adapter_names
from support.cli import jcc

CORE = EXAMPLE_TOML.replace('name = "orange.example.com"', 'name = "orange"')
SG_TABLE = '\n[site.serviceguard]\npackge = "jc-orange"\n'
VERITAS = '\n[veritas]\nsystem_names = "fulll"\n'


def _lines(text: str, tmp_path) -> list[str]:
    path = tmp_path / "c.toml"
    path.write_text(text)
    _, errors, _ = validation(tomllib.loads(text), str(path), adapter_names())
    return [e.located().replace(str(path), "c.toml") for e in errors]


def _line(text: str, starts: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(starts))


def test_a_core_mistake_names_its_line(tmp_path):
    n = _line(CORE, 'name = "orange"')
    assert _lines(CORE, tmp_path) == [
        f"c.toml:{n}: site[0].name: 'orange' is not a fully qualified host name (write the "
        "official name with its domain, e.g. \"orange.example.com\"; the manual forbids aliases)"]


def test_an_adapter_tables_mistake_names_its_line(tmp_path):
    text = EXAMPLE_TOML + SG_TABLE + VERITAS
    assert _lines(text, tmp_path) == [
        f"c.toml:{_line(text, 'packge')}: site[0].serviceguard.packge: unknown key (did you "
        "mean 'package'?)",
        f"c.toml:{_line(text, 'system_names')}: veritas.system_names: 'fulll' is not allowed "
        "(did you mean 'full'? use one of: short, full)"]


def test_core_and_adapter_mistakes_come_in_one_pass_sorted_by_line(tmp_path):
    # found in the order core, [veritas], then the sites' tables; printed in the file's order
    text = CORE + SG_TABLE + VERITAS
    got = _lines(text, tmp_path)
    assert [g.split(": ")[1] for g in got] == [
        "site[0].name", "site[0].serviceguard.packge", "veritas.system_names"]
    assert [int(g.split(": ")[0].split(":")[1]) for g in got] == [
        _line(text, 'name = "orange"'), _line(text, "packge"), _line(text, "system_names")]


def test_a_nested_array_of_tables_is_placed_on_its_own_header(tmp_path):
    second = ('\n[[site]]\nname = "lemon.example.com"\naddress = "10.17.21.163"\n'
              'machine_id = 163\ndatabase = "/mnt/jobdb2"\nnetmask = "255.255.255.0"\n'
              '[[site.bogus]]\nx = 1\n')
    text = EXAMPLE_TOML + second
    got = _lines(text, tmp_path)
    assert len(got) == 1
    assert got[0].startswith(f"c.toml:{_line(text, '[[site.bogus]]')}: site[1].bogus: ")


def test_validate_prints_every_mistake_with_its_line_and_exits_non_zero(tmp_path):
    """The one end-to-end run: what the user sees."""
    text = CORE + SG_TABLE + VERITAS
    (tmp_path / "c.toml").write_text(text)
    res = jcc("validate", "-c", "c.toml", cwd=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    name = _line(text, 'name = "orange"')
    assert res.stderr.splitlines() == [
        f"jccluster: c.toml:{name}: site[0].name: 'orange' is not "
        "a fully qualified host name (write the official name with its domain, e.g. "
        "\"orange.example.com\"; the manual forbids aliases)",
        f"jccluster: c.toml:{_line(text, 'packge')}: site[0].serviceguard.packge: unknown key "
        "(did you mean 'package'?)",
        f"jccluster: c.toml:{_line(text, 'system_names')}: veritas.system_names: 'fulll' is not "
        "allowed (did you mean 'full'? use one of: short, full)",
        "jccluster: c.toml: 3 mistakes",
    ]


def test_an_adapter_table_is_checked_even_when_a_value_its_defaults_use_is_wrong(tmp_path):
    # Serviceguard's subnet default is computed from the site's address and netmask: with the
    # address wrong it must see a placeholder, not the wrong value (or the table is lost)
    text = EXAMPLE_TOML.replace('address = "10.17.21.162"', 'address = "10.17.21.999"')
    text += SG_TABLE
    assert [g.split(": ")[1] for g in _lines(text, tmp_path)] == [
        "site[0].address", "site[0].serviceguard.packge"]
