"""No Python leaks through the CLI: every command of the typer app (found by walking it, so a
new command is covered without a line here) is run as a user types it -- ``--help``, nothing,
an unknown option, and a bad value for each typed option and argument -- and what it prints
must hold no Python type name, pydantic phrase, traceback, ``{ARG}`` usage notation or empty
message. In process (`jobcenter_cluster.cli.app.run`, what the console script calls): every
case stops at the parser, before a command body runs."""

from __future__ import annotations

import re

import pytest
import typer

from jobcenter_cluster.cli import app as appmod

pytestmark = pytest.mark.timeout(60)

LEAKS = [
    re.compile(p) for p in (
        r"<(str|int|float|bool|path|list\[[^>]*\]|[a-z]+ range)>", r"\bstr\b", r"\bint\b",
        r"\blist\[", r"\bdict\[", r"float range", r"int range", r"Value error",
        r"Input should be", r"Traceback", r"\{[A-Z][A-Z_]*\}", r"\bx[<>]=",
        r"validation error", r"pydantic",
    )
]
EMPTY = re.compile(r"^jccluster: [^:\n]*:\s*(\(see .*)?$", re.M)
BAD = "@bad@"


def leaks(text: str) -> list[str]:
    found = [p.pattern for p in LEAKS if p.search(text)]
    if EMPTY.search(text):
        found.append("an empty message")
    return found


def walk(cmd, path=()):
    subs = getattr(cmd, "commands", None)
    if subs is not None:
        yield path, cmd
        for name, sub in sorted(subs.items()):
            yield from walk(sub, (*path, name))
    else:
        yield path, cmd


ROOT = typer.main.get_command(appmod.app)
COMMANDS = [(p, c) for p, c in walk(ROOT) if p and p != ("agent",)]


def kind(param) -> str:
    """What a value of `param` must be: choice, int, float, str, bool, list[...]."""
    desc = param.type_descriptor
    if desc.is_choice:
        return "choice"
    return param.bare_type()


def dummy(param) -> str:
    return "1" if kind(param) in ("int", "float") else "x.example.com"


def cases(path, cmd):
    """(argv, expected exit) for one command."""
    out = [([*path, "--help"], 0)]
    if getattr(cmd, "commands", None) is not None:
        return [*out, (list(path), 0)]  # a group typed alone: its help
    params = [p for p in cmd.params if p.name != "help"]
    args = [p for p in params if p.param_type_name == "argument"]
    if any(p.required for p in params):
        out.append((list(path), 2))
    fill = [dummy(a) for a in args if a.required]
    out.append(([*path, "--no-such-option", *fill], 2))
    for p in params:
        if kind(p) not in ("int", "float", "choice") or getattr(p, "is_flag", False):
            continue
        if p.param_type_name == "option":
            out.append(([*path, p.opts[0], BAD, *fill], 2))
        else:
            i = [a for a in args if a.required].index(p) if p.required else None
            given = list(fill)
            if i is None:
                given.append(BAD)
            else:
                given[i] = BAD
            out.append(([*path, *given], 2))
    return out


ALL = [case for path, cmd in COMMANDS for case in cases(path, cmd)] + [
    (["--help"], 0), ([], 0),
    (["agent"], 2), (["agent", "nosuch", "monitor", "x.example.com"], 2),
    (["agent", "pacemaker", "--help"], 0),
]


def test_the_walk_covers_every_command():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"site stop", "site status", "render", "check", "import", "graph", "lab up",
            "simulator install", "doctor", "demo"} <= names, names
    assert len(ALL) > 60


@pytest.mark.parametrize("argv,code", ALL, ids=[" ".join(a) or "(nothing)" for a, _ in ALL])
def test_no_python_in_what_the_user_sees(argv, code, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("JCCLUSTER_CONFIG", raising=False)
    got = appmod.run(list(argv))
    out = capsys.readouterr()
    text = out.out + out.err
    assert got == code, text
    assert not leaks(text), (leaks(text), text)
    if BAD in argv and code == 2:
        assert BAD in out.err, out.err  # the message names the value given


def test_debug_works_after_the_command_too(capsys):
    assert appmod.run(["check", "no-such-adapter", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err
    assert appmod.run(["check", "no-such-adapter"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_bad_values_in_words(capsys):
    assert appmod.run(["graph", "serviceguard", "--format", "png"]) == 2
    assert capsys.readouterr().err == ("jccluster: graph: invalid value for '--format': 'png' is "
                                       "not one of 'dot', 'svg' (see 'jccluster graph --help')\n")
    assert appmod.run(["site", "create", "x.example.com", "abc", "/tmp/db"]) == 2
    assert "invalid value for 'MID': 'abc' is not a whole number" in capsys.readouterr().err
    assert appmod.run(["lab", "up", "--token", "5"]) == 2
    assert "'--token': must be at least 200 (got 5)" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["site", "status", "-c", "/x", "s.example.com"],
                                  ["site", "create", "-c", "/x", "s.example.com", "1", "/db"],
                                  ["site", "stop", "--config=/x", "s.example.com"]])
def test_config_after_a_site_command_says_where_it_goes(argv, capsys):
    """-c is the site group's option (`jccluster site -c FILE status …`); typed after the
    command, as most users first try, the one-line error says where it goes (issue 23, 2)."""
    assert appmod.run(argv) == 2
    err = capsys.readouterr().err
    assert f"give the cluster file before the command: jccluster site -c FILE {argv[1]} " in err
    assert len(err.strip().splitlines()) == 1, err
