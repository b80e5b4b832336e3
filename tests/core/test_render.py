"""Quoting filters (property-tested through real shells and parsers) and safe writing."""

from __future__ import annotations

import os
import stat
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.errors import RenderError
from jobcenter_cluster.render import (
    Renderer,
    bat_quote,
    bat_word,
    dq_escape,
    maincf_quote,
    ps_quote,
    sg_word,
    sh_join,
    sh_quote,
    write_artifacts,
    xml_escape,
)
from support.shells import posix_shells, shell_argv

HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(list("'\"$`\\!%^&|;<>(){}[]*?~#=\n\t -") + ["$(id)", "${X}", "é", "日本"]),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x1e"),
    ),
    max_size=12,
).map("".join)


def _roundtrip(shell: str, values: list[str], make) -> list[str]:
    script = "".join(f"{make(v)}\nprintf '\\036'\n" for v in values)
    out = subprocess.run([*shell_argv(shell), "-c", script], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8", "surrogateescape").split("\x1e")[:-1]


@pytest.mark.parametrize("shell", posix_shells())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(HOSTILE, min_size=1, max_size=8))
def test_sh_quote_carries_any_text_through_every_shell(shell, values):
    assert _roundtrip(shell, values, lambda v: f"printf '%s' {sh_quote(v)}") == values


@pytest.mark.parametrize("shell", posix_shells())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(HOSTILE, min_size=1, max_size=8))
def test_dq_escape_carries_any_text_inside_double_quotes(shell, values):
    assert _roundtrip(shell, values, lambda v: f'printf \'%s\' "{dq_escape(v)}"') == values


def test_sh_join_and_safe_words_stay_bare():
    assert sh_join(["/usr/lib/nqs/cluster/cjcpw", "-c", "orange.example.com", "/mnt/job db"]) == (
        "/usr/lib/nqs/cluster/cjcpw -c orange.example.com '/mnt/job db'")
    assert sh_quote("it's") == "'it'\\''s'"
    with pytest.raises(RenderError, match="NUL"):
        sh_quote("a\x00b")


@settings(max_examples=200, deadline=None)
@given(HOSTILE)
def test_xml_escape_round_trips_through_a_parser(value):
    try:
        text = xml_escape(value)
    except RenderError:
        assert any(ord(c) < 0x20 and c not in "\t\n\r" for c in value)
        return
    doc = ET.fromstring(f'<a b="{text}">{text}</a>')
    assert doc.text == value.replace("\r\n", "\n").replace("\r", "\n") or doc.text is None
    assert doc.get("b") is not None


def test_bat_quote_rules():
    assert bat_quote("x:\\vmdb") == '"x:\\vmdb"'
    assert bat_quote("50%") == '"50%%"'
    assert bat_quote("a&b^c|d") == '"a&b^c|d"'
    for bad in ['a"b', "a\nb"]:
        with pytest.raises(RenderError):
            bat_quote(bad)
    assert bat_word("JOBSTART") == "JOBSTART"
    with pytest.raises(RenderError):
        bat_word("JOB START")


def test_ps_quote_doubles_every_single_quote_form():
    assert ps_quote("it's") == "'it''s'"
    assert ps_quote("a\u2019b") == "'a\u2019\u2019b'"
    assert ps_quote("$env:x") == "'$env:x'"


def test_maincf_and_sgword():
    assert maincf_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert sg_word("/usr/lib/nqs/cluster/cjcpw") == "/usr/lib/nqs/cluster/cjcpw"
    with pytest.raises(RenderError):
        sg_word("/mnt/job db")


# --------------------------------------------------------------------------- renderer


def test_user_template_dir_wins_and_env_var_is_searched(tmp_path, monkeypatch):
    (tmp_path / "mine" / "serviceguard").mkdir(parents=True)
    (tmp_path / "mine" / "serviceguard" / "APPLY.txt.j2").write_text("custom {{ site }}\n")
    r = Renderer("serviceguard", [str(tmp_path / "mine")])
    assert r.render("APPLY.txt.j2", site="x") == "custom x\n"
    monkeypatch.setenv("JCCLUSTER_TEMPLATES", str(tmp_path / "mine"))
    assert Renderer("serviceguard").render("APPLY.txt.j2", site="y") == "custom y\n"


def test_strict_undefined_is_a_one_line_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "t.j2").write_text("{{ nope }}")
    with pytest.raises(RenderError, match="'nope' is undefined"):
        Renderer("a", [str(tmp_path)]).render("t.j2")
    with pytest.raises(RenderError, match="template a/missing.j2 not found"):
        Renderer("a", [str(tmp_path)]).render("missing.j2")


# --------------------------------------------------------------------------- writing


def arts(**files):
    return [Artifact(p, c, 0o755 if p.endswith(".sh") else 0o644) for p, c in files.items()]


def test_write_sets_modes_and_skips_identical(tmp_path):
    out = tmp_path / "out"
    res = write_artifacts(arts(**{"a/run.sh": "#!/bin/sh\n", "a/pkg.conf": "x\n"}), str(out))
    assert [r.action for r in res] == ["created", "created"]
    assert stat.S_IMODE(os.stat(out / "a/run.sh").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(out / "a/pkg.conf").st_mode) == 0o644
    os.chmod(out / "a/run.sh", 0o600)
    res = write_artifacts(arts(**{"a/run.sh": "#!/bin/sh\n"}), str(out))
    assert res[0].action == "unchanged"
    assert stat.S_IMODE(os.stat(out / "a/run.sh").st_mode) == 0o755


def test_refuses_to_overwrite_a_different_file_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.conf").write_text("old\n")  # not rendered by us: counts as edited by hand
    with pytest.raises(RenderError, match=r"1 file\(s\) were edited by hand .*\(b.conf\); .*--force"):
        write_artifacts(arts(**{"a.conf": "new a\n", "b.conf": "new b\n"}), str(out))
    assert not (out / "a.conf").exists(), "nothing may be half-written"
    assert (out / "b.conf").read_text() == "old\n"
    res = write_artifacts(arts(**{"a.conf": "new a\n", "b.conf": "new b\n"}), str(out), force=True)
    assert [r.action for r in res] == ["created", "updated"]
    assert (out / "b.conf").read_text() == "new b\n"
    assert not [p for p in os.listdir(out)
                if p.startswith(".jccluster-") and p != ".jccluster-manifest.json"]


def test_dry_run_writes_nothing(tmp_path):
    out = tmp_path / "out"
    res = write_artifacts(arts(**{"a.conf": "x\n"}), str(out), dry_run=True)
    assert res[0].action == "would create" and not out.exists()


@pytest.mark.parametrize("path", ["../evil.sh", "/etc/evil.sh", "a/../../evil.sh"])
def test_refuses_paths_outside_the_output_directory(tmp_path, path):
    with pytest.raises(RenderError, match="outside the output directory"):
        write_artifacts(arts(**{path: "x"}), str(tmp_path / "out"))


def test_refuses_to_write_through_a_symlink(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", out / "a")
    with pytest.raises(RenderError, match="symbolic link"):
        write_artifacts(arts(**{"a/x.conf": "x"}), str(out))
    assert not (tmp_path / "elsewhere" / "x.conf").exists()
