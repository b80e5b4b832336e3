"""CLI conventions through the real CLI: --version, completion, --help on every command (agent
included), one meaning per short flag, one "unknown option" style, no <bool> metavars, help
text reflowed as paragraphs, tables fitting the terminal, `adapters ADAPTER`."""

from __future__ import annotations

import functools
import json
import re

import pytest

from jobcenter_cluster import __version__
from support import cli

jcc = functools.partial(cli.jcc, columns=100)


COMMANDS = [["init"], ["validate"], ["render"], ["adapters"], ["check"], ["demo"], ["doctor"],
            ["graph"], ["site"], ["site", "create"], ["site", "start"], ["site", "stop"],
            ["site", "status"], ["site", "ls"], ["site", "path"], ["site", "keep-port"]]


def test_version():
    res = jcc("--version")
    assert res.returncode == 0 and res.stdout == f"jccluster {__version__}\n"


def test_completion_is_on():
    res = jcc("--help")
    assert "--install-completion" in res.stdout and "--show-completion" in res.stdout
    res = jcc("--show-completion", set_env={"SHELL": "/bin/bash"})
    assert res.returncode == 0 and "complete" in res.stdout and "jccluster" in res.stdout
    res = jcc(set_env={"_JCCLUSTER_COMPLETE": "complete_bash", "COMP_WORDS": "jccluster site st",
                   "COMP_CWORD": "2"})
    assert res.returncode == 0 and res.stdout.split() == ["start", "stop", "status"]


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_help_on_every_command_without_bool_metavars(words):
    res = jcc(*words, "--help")
    assert res.returncode == 0, res.stderr
    assert "Usage: jccluster " + " ".join(words) in res.stdout
    assert "<bool>" not in res.stdout
    assert not re.search(r"\{[a-z_]+\}", res.stdout), "arguments are shown in capitals"


def test_agent_help_is_hand_parsed_and_lists_an_adapters_actions():
    res = jcc("agent", "--help")
    assert res.returncode == 0 and res.stdout.startswith(
        "Usage: jccluster agent ADAPTER ACTION SITE [DATABASE] [OPTIONS]\n")
    assert "Actions: see 'jccluster agent ADAPTER --help'." in res.stdout
    res = jcc("agent", "pacemaker", "-h")
    assert res.returncode == 0 and "\nActions of pacemaker (" in res.stdout
    assert re.search(r"^  monitor  ", res.stdout, re.M)
    assert "agent" in jcc("--help").stdout


def test_docstrings_are_reflowed_not_broken_mid_sentence():
    out = jcc("site", "start", "--help", columns=200).stdout
    assert ("Exits non-zero naming the daemon as soon as a watched daemon is gone or a zombie; "
            "exits 0 when jccluster site stop stops the site.") in out
    # rich markup would eat "[cluster]"
    assert "[cluster] product" in out


def test_one_meaning_per_short_flag():
    seen: dict[str, set[str]] = {}
    for words in COMMANDS:
        out = jcc(*words, "--help", columns=200).stdout
        for long, short in re.findall(r"(--[a-z-]+)\s+(-[a-zA-Z])\b", out):
            seen.setdefault(short, set()).add(long)
    assert seen.get("-c") == {"--config"}, seen
    assert all(len(longs) == 1 for longs in seen.values()), seen
    assert "--no-watch" in jcc("site", "start", "--help").stdout


@pytest.mark.parametrize(("words", "command"), [
    (["render", "--bogus"], "render"),
    (["site", "start", "--bogus"], "site start"),
    (["agent", "serviceguard", "status", "--bogus"], "agent"),
    (["site", "status", "--bogus", "x.example.com"], "site status"),
])
def test_one_unknown_option_style(words, command):
    res = jcc(*words)
    assert res.returncode == 2
    assert res.stderr == (f"jccluster: {command}: unknown option --bogus "
                          f"(see 'jccluster {command} --help')\n")


def test_other_usage_errors_are_one_line_too():
    res = jcc("render")
    assert res.returncode == 2
    assert res.stderr == ("jccluster: render: missing argument 'ADAPTER' "
                          "(see 'jccluster render --help')\n")
    res = jcc("nosuch")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert res.stderr.startswith("jccluster: unknown command 'nosuch'")


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_adapters_table_fits_the_terminal(columns):
    res = jcc("adapters", columns=columns)
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["ADAPTER", "PRODUCT", "ARTIFACTS"]
    assert max(len(line) for line in lines) <= columns, res.stdout
    names = [line.split()[0] for line in lines[1:] if not line.startswith(" ")]
    assert "serviceguard" in names and "pacemaker" in names


@pytest.mark.parametrize("columns", [70, 120])
def test_check_rules_table_fits_the_terminal(columns):
    res = jcc("check", "serviceguard", "--rules", columns=columns)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["RULE", "SEVERITY", "SUMMARY", "SOURCE"]
    assert max(len(line) for line in lines) <= columns, res.stdout
    assert any(line.startswith("CORE-SHELL-SYNTAX ") for line in lines)


def test_adapters_adapter_lists_its_option_keys():
    res = jcc("adapters", "serviceguard", columns=100)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "[serviceguard]: options for the whole cluster" in out
    assert "[site.serviceguard]: options for one site, right after its [[site]]" in out
    assert re.search(r"^auto_run\s+boolean\s+true\s+start the package", out, re.M)
    assert max(len(line) for line in out.splitlines()) <= 100
    data = json.loads(jcc("adapters", "serviceguard", "--json").stdout)
    keys = {o["key"]: o for o in data["options"]}
    assert keys["auto_run"] == {"key": "auto_run", "type": "boolean", "required": False,
                                "default": True, "computed": False,
                                "help": "start the package when the cluster starts"}
    assert keys["etc_dir"]["type"] == "string" and keys["etc_dir"]["default"] is None
    site = {o["key"]: o for o in data["site_options"]}
    assert site["package"]["computed"] and site["package"]["default"] == "jobcenter-orange"
    bad = jcc("adapters", "servicegard")
    assert bad.returncode == 2 and "did you mean 'serviceguard'?" in bad.stderr


def _walk(cmd, path):
    yield path, cmd
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield from _walk(sub, [*path, name])


def _words(text: str) -> str:
    text = re.sub(r"[│╭╮╰╯─]", " ", text).replace("`", "")
    return " ".join(text.split())


def test_every_docstring_and_option_help_survives_the_help_layout():
    """Nothing eaten by markup ("[cluster]", "<adapter>"), nothing split mid-word."""
    import typer

    from jobcenter_cluster.cli.app import app

    for path, cmd in _walk(typer.main.get_command(app), []):
        if path == ["agent"]:
            continue  # hand-parsed: its own --help (test above)
        out = _words(jcc(*path, "--help", columns=400).stdout)
        doc = _words(cmd.help or "")
        assert doc in out, (path, doc)
        for param in cmd.params:
            text = _words(getattr(param, "help", None) or "")
            if text:
                assert text in out, (path, param.name, text)
