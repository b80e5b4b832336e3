"""The ``clp.conf`` model: clpcfset calls applied to a clp.conf XML tree, as NEC's clpcfset does
(github.com/EXPRESSCLUSTER/clpcfset, src/v2/clpcfset.c), its serializer and parser, and the calls
a clpcfset.sh makes. The adapter renders with it; the check rules read both forms through it."""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

#: elements whose "@" key is an ``id`` attribute rather than ``name`` (clpcfset's set_value).
_ID_KEYED = frozenset({"device", "grp", "list"})


def _child(parent: ET.Element, segment: str) -> ET.Element:
    """The child for one clpcfset path segment (``tag`` or ``tag@key``), created if missing."""
    tag, _, key = segment.partition("@")
    attr = "id" if tag in _ID_KEYED else "name"
    for el in parent:
        if el.tag == tag and (el.get(attr) == key if key else not el.attrib):
            return el
    return ET.SubElement(parent, tag, {attr: key} if key else {})


def _set(root: ET.Element, path: str, value: str | None) -> None:
    el = root
    for segment in path.strip("/").split("/"):
        el = _child(el, segment)
    if value is not None:
        el.text = value or None


def apply_clpcfset(root: ET.Element, argv: Sequence[str]) -> None:
    """Apply one ``clpcfset`` call (without the command word) to a clp.conf tree, the way
    clpcfset does (NEC's clpcfset.c: create, add srv|device|hb|grp|rsc|rscparam|mon|monparam).
    Raises ValueError for a call it does not know."""
    a = list(argv)
    if a[:1] == ["create"] and len(a) == 5:
        _, name, charset, encode, os_ = a
        _set(root, "all/charset", charset)
        _set(root, "all/serveros", os_)
        _set(root, "all/encode", encode)
        _set(root, "cluster/name", name)
        _set(root, "cluster/comment", "")
        return
    if len(a) < 2 or a[0] != "add":
        raise ValueError(f"unknown clpcfset call: {' '.join(a)}")
    kind, rest = a[1], a[2:]
    if kind == "srv" and len(rest) == 2:
        _set(root, f"server@{rest[0]}/priority", rest[1])
    elif kind == "device" and len(rest) == 4 and rest[1] == "lan":
        srv, _, ident, addr = rest
        _set(root, f"server@{srv}/device@{ident}/type", "lan")
        _set(root, f"server@{srv}/device@{ident}/info", addr)
    elif kind == "hb" and len(rest) == 3 and rest[0] == "lankhb":
        n = sum(1 for el in root.iter("lankhb")) + 1
        _set(root, "heartbeat/types@lankhb", "")
        _set(root, f"heartbeat/lankhb@lankhb{n}/priority", rest[2])
        _set(root, f"heartbeat/lankhb@lankhb{n}/device", rest[1])
    elif kind == "grp" and len(rest) == 2:
        gid = str(len(root.findall("group")))
        _set(root, f"group@{rest[1]}/type", rest[0])
        _set(root, f"group@{rest[1]}/comment", "")
        _set(root, f"group@{rest[1]}/gid", gid)
    elif kind == "rsc" and len(rest) == 3:
        group, rtype, name = rest
        _set(root, f"group@{group}/resource@{rtype}@{name}", "")
        _set(root, f"resource/types@{rtype}", "")
        _set(root, f"resource/{rtype}@{name}/comment", "")
    elif kind == "rscparam" and len(rest) == 4:
        _set(root, f"resource/{rest[0]}@{rest[1]}/{rest[2]}", rest[3])
    elif kind == "mon" and len(rest) == 2:
        _set(root, f"monitor/types@{rest[0]}", "")
        _set(root, f"monitor/{rest[0]}@{rest[1]}/comment", "")
    elif kind == "monparam" and len(rest) == 4:
        _set(root, f"monitor/{rest[0]}@{rest[1]}/{rest[2]}", rest[3])
    else:
        raise ValueError(f"unknown clpcfset call: {' '.join(a)}")


def build_conf(calls: Iterable[Sequence[str]]) -> ET.Element:
    """A clp.conf tree from clpcfset calls, with the WebUI's object count as clpcfset adds it."""
    root = ET.Element("root")
    for argv in calls:
        apply_clpcfset(root, argv)
    servers = len(root.findall("server"))
    hbs = len([e for e in root.findall("heartbeat/*") if e.tag != "types"])
    objects = (4 + servers + len(root.findall("group"))
               + len([e for e in root.findall("resource/*") if e.tag != "types"])
               + len([e for e in root.findall("monitor/*") if e.tag != "types"]) + hbs * servers)
    _set(root, "webmgr/client/objectnumber", str(objects))
    return root


def serialize_conf(root: ET.Element, charset: str) -> str:
    """clp.conf as text: indented by two spaces, with the XML declaration naming `charset`."""
    tree = ET.ElementTree(root)
    ET.indent(tree, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="{charset}"?>\n{body}\n'


def conf_items(root: ET.Element) -> set[tuple[str, str]]:
    """Every element of a clp.conf as (path with keys, text): for comparing two configurations."""
    out: set[tuple[str, str]] = set()

    def walk(el: ET.Element, prefix: str) -> None:
        for child in el:
            key = child.get("name", child.get("id"))
            path = f"{prefix}/{child.tag}" + (f"@{key}" if key is not None else "")
            out.add((path, (child.text or "").strip()))
            walk(child, path)

    walk(root, "")
    return out


_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_CALL = re.compile(r"(?:cf|clpcfset|\"?\$\{?CLPCFSET\}?\"?)\s+(create|add)\b(.*)$")


def parse_conf(text: str) -> ET.Element:
    """Parse a clp.conf given as text. The XML declaration is dropped first: it names the file's
    byte encoding (EUC-JP for Japanese EXPRESSCLUSTER), which expat cannot decode itself and
    which no longer applies to decoded text. Raises ET.ParseError."""
    return ET.fromstring(_XML_DECLARATION.sub("", text))


def script_calls(text: str) -> list[tuple[int, list[str]]]:
    """The clpcfset calls a generated (or hand-edited) clpcfset.sh makes: lines ``cf ARGS``
    or ``clpcfset ARGS``, as (line number, argv without the command word)."""
    calls: list[tuple[int, list[str]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _CALL.match(line.strip())
        if not m:
            continue
        try:
            words = shlex.split(m.group(1) + m.group(2), comments=True)
        except ValueError:
            continue
        calls.append((n, words))
    return calls
