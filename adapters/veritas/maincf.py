"""A small parser for the VCS configuration language (``main.cf``), standard library only.

Used by the ``veritas`` adapter's ``jccluster check`` rules on rendered or hand-edited files, and
by its tests to prove the rendered ``main.cf`` and the ``ha*`` command script agree. No parser
for this grammar exists on PyPI (the only VCS package there, ``hcvcs``, is a 2011 health check).

The grammar, as the Veritas Cluster Server Administrator's Guide describes ``main.cf``
("About the main.cf file", "About attribute data types")::

    file      := statement*
    statement := 'include' STRING
               | 'cluster' NAME '(' attribute* ')'
               | 'system' NAME '(' attribute* ')'
               | 'group' NAME '(' attribute* ')'
               | TYPE NAME '(' attribute* ')'          -- a resource of the last group
               | NAME 'requires' NAME                   -- resource dependency (parent child)
               | 'requires' 'group' NAME WORD*          -- group dependency (rest of the line)
               | 'type' NAME '(' ... ')'               -- types.cf: skipped, balanced
    attribute := NAME ['@' SYSTEM] '=' value           -- '@SYSTEM': a localized value
    value     := scalar | '{' [item (',' item)*] '}'
    item      := scalar ['=' scalar]                    -- association pairs use '='
    scalar    := STRING | WORD | NUMBER

Strings are double-quoted; inside them ``\\"`` is a quote and ``\\\\`` a backslash ("A string can
also contain double quotes, but the quotes must be immediately preceded by a backslash. A
backslash is represented in a string as \\\\"). A word needs no quotes when it begins with a
letter and holds only letters, digits, ``-`` and ``_``. Comments: ``//`` to the end of the line
and ``/* ... */``.

A localized attribute ("About attribute scope across systems": a local attribute may hold a
different value on each system, written ``Device@sysa = bge0`` or ``Device @sysa = bge0``, one
line per system) comes back as one `Attribute` whose ``local`` maps each system to its value
(and its line); its ``value`` is the first system's, so that code reading one value still works,
and `Attribute.uniform` says whether every system has the same one.

Values come back as ``str`` (scalars, numbers included, as written), ``list[str]`` (vector and
keylist) or ``dict[str, str]`` (association, in order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Value = str | list[str] | dict[str, str]


class MainCfError(ValueError):
    """A syntax error: the message names the line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class Attribute:
    value: Value
    line: int
    #: a localized attribute: system -> (value, line), in the file's order; empty when global
    local: dict[str, tuple[Value, int]] = field(default_factory=dict)

    @property
    def uniform(self) -> bool:
        """Whether the attribute has one value for every system (global, or localized alike)."""
        values = [v for v, _ in self.local.values()]
        return all(v == values[0] for v in values)


def _get(attrs: dict[str, Attribute], key: str, default: Value | None) -> Value | None:
    """An attribute's value; ``NAME@SYSTEM`` asks for a localized attribute's value on SYSTEM."""
    name, _, system = key.partition("@")
    a = attrs.get(name)
    if a is None:
        return default
    if not system:
        return a.value
    return a.local[system][0] if system in a.local else default


@dataclass
class Resource:
    type: str
    name: str
    line: int
    attrs: dict[str, Attribute] = field(default_factory=dict)

    def get(self, key: str, default: Value | None = None) -> Value | None:
        return _get(self.attrs, key, default)


@dataclass
class Group:
    name: str
    line: int
    attrs: dict[str, Attribute] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    #: resource dependencies as ``(parent, child, line)``: "parent requires child".
    links: list[tuple[str, str, int]] = field(default_factory=list)
    #: group dependencies as ``(child_group, rest_of_line_words, line)``.
    group_links: list[tuple[str, list[str], int]] = field(default_factory=list)

    def get(self, key: str, default: Value | None = None) -> Value | None:
        return _get(self.attrs, key, default)

    def of_type(self, rtype: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type == rtype]

    def requires(self, parent: str, child: str) -> bool:
        return any(p == parent and c == child for p, c, _ in self.links)


@dataclass
class MainCf:
    includes: list[str] = field(default_factory=list)
    clusters: dict[str, dict[str, Attribute]] = field(default_factory=dict)
    systems: dict[str, dict[str, Attribute]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    types: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<punct>[(){}=,])
  | (?P<word>[A-Za-z0-9_@./:+\-\[\]$]+)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "word", "punct"
    text: str
    line: int


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\([\\\"])", r"\1", body)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch == '"':
                raise MainCfError("unterminated string (strings end on the same line)", line)
            if text.startswith("/*", pos):
                raise MainCfError("unterminated /* comment", line)
            raise MainCfError(f"unexpected character {ch!r}", line)
        kind = m.lastgroup or ""
        chunk = m.group(0)
        if kind == "string":
            out.append(Token("string", _unquote(chunk), line))
        elif kind in ("punct", "word"):
            out.append(Token(kind, chunk, line))
        line += chunk.count("\n")
        pos = m.end()
    return out


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def next(self, what: str) -> Token:
        tok = self.peek()
        if tok is None:
            last = self.t[-1].line if self.t else 1
            raise MainCfError(f"unexpected end of file (expected {what})", last)
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next(repr(text))
        if tok.kind == "string" or tok.text != text:
            raise MainCfError(f"expected {text!r}, found {tok.text!r}", tok.line)
        return tok

    def name(self, what: str) -> Token:
        tok = self.next(what)
        if tok.kind == "punct":
            raise MainCfError(f"expected {what}, found {tok.text!r}", tok.line)
        return tok

    def scalar(self) -> str:
        tok = self.next("a value")
        if tok.kind == "punct":
            raise MainCfError(f"expected a value, found {tok.text!r}", tok.line)
        return tok.text

    def value(self) -> Value:
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == "{":
            self.i += 1
            items: list[str] = []
            pairs: dict[str, str] = {}
            while True:
                tok = self.peek()
                if tok is None:
                    raise MainCfError("unterminated { list", self.t[-1].line)
                if tok.kind == "punct" and tok.text == "}":
                    self.i += 1
                    break
                if tok.kind == "punct" and tok.text == ",":
                    self.i += 1
                    continue
                key = self.scalar()
                nxt = self.peek()
                if nxt is not None and nxt.kind == "punct" and nxt.text == "=":
                    self.i += 1
                    if items:
                        raise MainCfError("mixes plain values and key = value pairs", nxt.line)
                    if key in pairs:
                        raise MainCfError(f"duplicate key {key!r}", nxt.line)
                    pairs[key] = self.scalar()
                else:
                    if pairs:
                        raise MainCfError("mixes key = value pairs and plain values", tok.line)
                    items.append(key)
            return pairs if pairs else items
        return self.scalar()

    def attributes(self) -> dict[str, Attribute]:
        self.expect("(")
        attrs: dict[str, Attribute] = {}
        while True:
            tok = self.next("an attribute or ')'")
            if tok.kind == "punct" and tok.text == ")":
                return attrs
            if tok.kind != "word":
                raise MainCfError(f"expected an attribute name, found {tok.text!r}", tok.line)
            name, _, system = tok.text.partition("@")
            nxt = self.peek()
            if not system and nxt is not None and nxt.kind == "word" and \
                    nxt.text.startswith("@"):
                system = nxt.text[1:]  # 'Device @sysa = ...'
                self.i += 1
            if "@" in tok.text and not system or "@" in system or not name:
                raise MainCfError(f"expected ATTRIBUTE@SYSTEM, found {tok.text!r}", tok.line)
            self.expect("=")
            value = self.value()
            have = attrs.get(name)
            if not system:
                if have is not None:
                    raise MainCfError(f"attribute {name} given twice", tok.line)
                attrs[name] = Attribute(value, tok.line)
            elif have is None:
                attrs[name] = Attribute(value, tok.line, {system: (value, tok.line)})
            elif not have.local or system in have.local:
                raise MainCfError(f"attribute {name} given twice"
                                  + (f" for system {system}" if have.local else
                                     " (global, then localized)"), tok.line)
            else:
                have.local[system] = (value, tok.line)

    def skip_balanced(self) -> None:
        self.expect("(")
        depth = 1
        while depth:
            tok = self.next("')'")
            if tok.kind == "punct" and tok.text == "(":
                depth += 1
            elif tok.kind == "punct" and tok.text == ")":
                depth -= 1

    def parse(self) -> MainCf:
        cf = MainCf()
        group: Group | None = None
        while self.peek() is not None:
            tok = self.next("a statement")
            if tok.kind != "word":
                raise MainCfError(f"expected a statement, found {tok.text!r}", tok.line)
            word = tok.text
            if word == "include":
                s = self.next("a file name")
                if s.kind != "string":
                    raise MainCfError("include wants a quoted file name", s.line)
                cf.includes.append(s.text)
            elif word in ("cluster", "system"):
                name = self.name(f"a {word} name").text
                table = cf.clusters if word == "cluster" else cf.systems
                if name in table:
                    raise MainCfError(f"{word} {name} defined twice", tok.line)
                table[name] = self.attributes()
            elif word == "group":
                name = self.name("a group name").text
                if name in cf.groups:
                    raise MainCfError(f"group {name} defined twice", tok.line)
                group = Group(name, tok.line, self.attributes())
                cf.groups[name] = group
            elif word == "type":
                cf.types.append(self.name("a type name").text)
                self.skip_balanced()
            elif word == "requires":
                kw = self.name("'group'")
                if kw.text != "group":
                    raise MainCfError("a line cannot start with 'requires' (write PARENT "
                                      "requires CHILD)", tok.line)
                child = self.name("a group name")
                rest = []
                while (nxt := self.peek()) is not None and nxt.line == child.line and \
                        nxt.kind == "word":
                    rest.append(nxt.text)
                    self.i += 1
                if group is None:
                    raise MainCfError("group dependency outside a group", tok.line)
                group.group_links.append((child.text, rest, tok.line))
            else:
                nxt = self.peek()
                if nxt is not None and nxt.kind == "word" and nxt.text == "requires":
                    self.i += 1
                    child = self.name("a resource name")
                    if group is None:
                        raise MainCfError("resource dependency outside a group", tok.line)
                    group.links.append((word, child.text, tok.line))
                    continue
                rname = self.name("a resource name").text
                if group is None:
                    raise MainCfError(f"resource {rname} ({word}) outside a group", tok.line)
                if rname in group.resources:
                    raise MainCfError(f"resource {rname} defined twice", tok.line)
                group.resources[rname] = Resource(word, rname, tok.line, self.attributes())
        return cf


def parse(text: str) -> MainCf:
    """Parse main.cf text; raise `MainCfError` naming the line on a syntax error."""
    return _Parser(tokenize(text)).parse()


def flatten(value: Value) -> list[str]:
    """A value as the word list ``hares -modify`` / ``hagrp -modify`` take for it."""
    if isinstance(value, dict):
        out: list[str] = []
        for k, v in value.items():
            out += [k, v]
        return out
    if isinstance(value, list):
        return list(value)
    return [value]
