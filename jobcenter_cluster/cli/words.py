"""The CLI's words where typer would show Python: help and usage errors.

typer ≥ 0.2x labels every value in help with its Python annotation (``<str>``,
``<list[str]>``, ``<float range> [x>=0]``), writes required arguments as ``{ADAPTER}`` in the
usage line, and reports a bad value with pydantic's message (``Value error, 'png' is not one of
…``, ``Input should be a valid integer, unable to parse string as an integer``). `patch_help`
makes help say ``TEXT``, ``INTEGER``, ``NUMBER`` and ``at least 0``, and ``ADAPTER`` /
``[DIR]`` in the usage line, as click's own help does; `value_words` says a bad value in words,
naming the value given.
"""

from __future__ import annotations

import re
from typing import Any

#: a value's kind, as help shows it (click's words)
KINDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "bool": "BOOLEAN"}


def kind_word(label: str) -> str | None:
    """``<list[str]>`` → ``TEXT``, ``<float range>`` → ``NUMBER``, ``<dot|svg>`` → ``dot|svg``."""
    label = label.strip()
    if label.startswith("<") and label.endswith(">"):
        label = label[1:-1]
    while label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]  # repeatable: the help says so
    label = label.removesuffix(" range")
    if "|" in label:
        return label
    return KINDS.get(label, label.upper() if label else None)


def range_words(text: str | None) -> str | None:
    """``x>=0`` → ``at least 0``; ``x<=5`` → ``at most 5``; ``1<=x<=4`` → ``1 to 4``."""
    if not text:
        return text
    m = re.fullmatch(r"(\S+?)<=x<=(\S+)", text)
    if m:
        return f"{m[1]} to {m[2]}"
    m = re.fullmatch(r"x([<>]=?)(\S+)", text)
    if m:
        word = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}[m[1]]
        return f"{word} {m[2]}"
    return text


def patch_help() -> None:
    """Once per process: typer's parameter classes show click's words instead of Python's."""
    from typer import core

    base: Any = core._TyperParameter  # Any: its methods are replaced here (setattr)
    argument: Any = core.TyperArgument
    if getattr(base.display_type, "_jcc", False):
        return
    display_type = base.display_type

    def display_type_words(self: Any, ctx: Any) -> str | None:
        word = kind_word(display_type(self, ctx))
        if isinstance(self, core.TyperArgument) and word == "TEXT":
            return None  # the argument's name says it (ADAPTER, DIR)
        return word

    display_type_words._jcc = True  # type: ignore[attr-defined]
    setattr(base, "display_type", display_type_words)  # noqa: B010 - a patch, typed Any

    raw = base.display_name_raw

    def display_name_words(self: Any) -> str:
        name = raw.fget(self)
        if isinstance(self, core.TyperArgument) and self.metavar is None:
            return str(name).upper()  # an argument is named like a metavar: PATHS, not paths
        return str(name)

    setattr(base, "display_name_raw", property(display_name_words))  # noqa: B010

    def usage_name(self: Any) -> str:
        name = self.display_name_raw
        if not self.required:
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    setattr(argument, "_usage_display_name", usage_name)  # noqa: B010

    classes: tuple[Any, ...] = (core.TyperOption, core.TyperArgument)
    for cls in classes:
        number_range = cls._get_number_range_help_str

        def range_help(self: Any, _f: Any = number_range) -> str | None:
            return range_words(_f(self))

        setattr(cls, "_get_number_range_help_str", range_help)  # noqa: B010


def value_words(err: BaseException) -> str | None:
    """A bad value's message in words, from the pydantic error typer raised it from (None when
    it is not one): ``'abc' is not a whole number``, ``must be at least 200 (got 5)``."""
    cause = err.__cause__
    errors = getattr(cause, "errors", None)
    if errors is None:
        return None
    try:
        first = errors()[0]
    except (IndexError, TypeError, ValueError):
        return None
    kind = str(first.get("type", ""))
    given = first.get("input")
    limits = first.get("ctx") or {}
    shown = repr(given) if isinstance(given, str) else str(given)
    if kind.startswith("int_"):
        return f"{shown} is not a whole number"
    if kind.startswith("float_"):
        return f"{shown} is not a number"
    if kind.startswith("bool_"):
        return f"{shown} is not yes or no (true/false)"
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        word, key = bounds[kind]
        return f"must be {word} {limits.get(key)} (got {given})"
    msg = str(first.get("msg", ""))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if msg.startswith("Input should be "):
        msg = f"{shown}: must be " + msg.removeprefix("Input should be ")
    return msg or None


def usage_words(line: str, err: BaseException) -> str:
    """`line` (`common.usage_line`'s) with pydantic's message replaced by `value_words`."""
    words = value_words(err)
    cause = err.__cause__
    if words is None or cause is None:
        return line
    try:
        raw = str(cause.errors()[0]["msg"])  # type: ignore[attr-defined]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return line
    for text in (raw, raw.rstrip("."), raw[:1].lower() + raw[1:].rstrip(".")):
        if text and text in line:
            return line.replace(text, words.rstrip("."), 1)
    return line
