"""Errors as data (issue 25 item 1, issue 23 item 5): a `ConfigError` carries its file, field
path, detail and line, and every message is rendered from them; the line locator maps a field
path to the line of its key or table header in the TOML text; `model.problems` lists every
mistake with its field, so callers never read a field back out of a message."""

from __future__ import annotations

import pytest

from jobcenter_cluster.errors import ConfigError, ConfigErrors
from jobcenter_cluster.model import (
    EXAMPLE_TOML,
    REQUIRED,
    check_machine_id,
    example_data,
    field_lines,
    field_parts,
    line_of,
    place_errors,
    problems,
)


def test_a_config_error_is_data_and_its_message_is_rendered_from_it():
    err = ConfigError('"orange" is not a fully qualified host name', source="jccluster.toml",
                      field="site[0].name", code="x")
    assert (err.source, err.field, err.detail, err.line, err.code) == (
        "jccluster.toml", "site[0].name", '"orange" is not a fully qualified host name', None,
        "x")
    # the text users and tests read is unchanged ...
    assert str(err) == 'jccluster.toml: site[0].name: "orange" is not a fully qualified host name'
    assert err.located() == str(err)  # no line known yet
    # ... and the line is added only where asked for (validate)
    placed = err.placed(21)
    assert placed.line == 21 and str(placed) == str(err)
    assert placed.located() == ('jccluster.toml:21: site[0].name: "orange" is not a fully '
                                "qualified host name")
    # a mistake about the whole file has no field; a message without a source is its detail
    assert str(ConfigError("no such cluster file", source="c.toml")) == "c.toml: no such cluster file"
    assert str(ConfigError("c.toml: free text")) == "c.toml: free text"


def test_config_errors_render_each_mistake_and_name_the_first_file():
    a = ConfigError("bad", source="c.toml", field="cluster.product", line=2)
    b = ConfigError("worse", source="c.toml", field="site[0].name", line=9)
    both = ConfigErrors([a, b])
    assert both.source == "c.toml" and both.errors == [a, b]
    assert both.lines() == ["c.toml: cluster.product: bad", "c.toml: site[0].name: worse"]
    assert ConfigErrors([a, b], with_lines=True).lines() == [
        "c.toml:2: cluster.product: bad", "c.toml:9: site[0].name: worse"]


def test_the_machine_id_rule_has_one_home():
    assert check_machine_id(162) is None
    assert check_machine_id(0) == "0 is out of range (use 1..2147483647)"
    assert check_machine_id(True) == "must be a whole number, not a boolean"
    assert check_machine_id("162") == "must be a whole number, not a string"


TOML = '''\
[cluster]
product = "jobcenter-linux"   # a comment
note = """
name = "inside a string"
[[site]]
"""
list = [
  { name = "in an array" },
  "x = 1",
]

[[node]]
name = "a.example.com"

[[site]]
name = "orange.example.com"
serviceguard.package = "p"
inline = { a = 1, b = [1,
  2] }
[site.veritas]
volume = "v"

[[site]]
"quoted key" = 1
[[site.extra]]
x = 1
[[site.extra]]
y = 2
'''


def test_the_locator_maps_field_paths_to_lines():
    lines = field_lines(TOML)
    assert lines["cluster"] == 1 and lines["cluster.product"] == 2
    assert lines["cluster.note"] == 3 and lines["cluster.list"] == 7
    # nothing inside a multi-line string or array is taken for a key or a header
    assert "cluster.name" not in lines and "site[2]" not in lines
    assert lines["node[0]"] == 12 and lines["node[0].name"] == 13
    assert lines["site[0]"] == 15 and lines["site[0].name"] == 16
    # a dotted key, an inline table (its keys: the line that holds it), a sub-table
    assert lines["site[0].serviceguard.package"] == 17 and lines["site[0].serviceguard"] == 17
    assert line_of("site[0].inline.b", lines) == 18
    assert lines["site[0].veritas"] == 20 and lines["site[0].veritas.volume"] == 21
    assert lines["site[1]"] == 23 and lines["site[1].quoted key"] == 24
    # arrays of tables inside an array of tables count per parent
    assert lines["site[1].extra[0].x"] == 26 and lines["site[1].extra[1].y"] == 28


def test_a_missing_key_falls_back_to_its_table_never_to_a_wrong_line():
    lines = field_lines(TOML)
    assert line_of("site[0].database", lines) == 15        # the [[site]] header
    assert line_of("site[0].veritas.diskgroup", lines) == 20
    assert line_of("cluster.supervisor", lines) == 1
    assert line_of("site[7].name", lines) is None           # no such table: no line at all
    assert line_of("serviceguard.package", lines) is None
    assert line_of(None, lines) is None


def test_field_parts_is_the_inverse_of_a_field_path():
    assert field_parts("site[0].serviceguard.package") == ("site", 0, "serviceguard", "package")
    assert field_parts("node") == ("node",)


def test_problems_name_every_field_and_say_which_are_missing():
    data = example_data()
    del data["site"][0]["machine_id"]
    data["site"][0]["name"] = "orange"
    data["node"][1]["address"] = "10.17.21.300"
    found = problems(data, source="c.toml")
    assert [(e.field, e.code) for e in found] == [
        ("node[1].address", None), ("site[0].name", None), ("site[0].machine_id", REQUIRED)]
    assert all(e.source == "c.toml" for e in found)


def test_mistakes_are_placed_on_their_lines_and_sorted():
    text = EXAMPLE_TOML.replace('name = "orange.example.com"', 'name = "orange"')
    text = text.replace('product = "jobcenter-linux"', 'product = "jobcenter-linx"')
    import tomllib

    found = problems(tomllib.loads(text), source="c.toml")
    placed = place_errors(list(reversed(found)), text)
    rows = text.splitlines()
    assert [e.field for e in placed] == ["cluster.product", "site[0].name"]
    for e in placed:
        assert e.line is not None
        assert rows[e.line - 1].startswith(str(e.field).rsplit(".", 1)[1] + " =")


@pytest.mark.parametrize("bad", ["[cluster]\nname = 'x'\nname = 'y'\n"])
def test_the_locator_never_raises_on_text_tomllib_refuses(bad):
    assert field_lines(bad)["cluster.name"] == 2
