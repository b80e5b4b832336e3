"""Import CLUSTERPRO / EXPRESSCLUSTER for Windows group scripts: start.bat and stop.bat in the
ActiveRecoveryManager flavour (``%ARMS_EVENT%``, ``ARMLoad``; the manual's samples, §3.2.2.4)
and the EXPRESSCLUSTER X flavour (``%CLP_EVENT%``, ``armload``), plus resolv.def (``ADDRESS
NAME`` lines: the nodes' and sites' addresses) when present.

Batch keywords are matched without regard to case (cmd.exe does so); ``^`` continues a line.
ARMLoad's options: ``/M`` (monitor), ``/U ACCOUNT``, ``/WINDOW hide`` are read; any other
option is reported (ExpressCluster SRE Installation & Configuration Guide ch. 8, ARMLOAD).
Files are Shift_JIS (cp932) or UTF-8.
"""

from __future__ import annotations

import ntpath
import re
from typing import Any

from jobcenter_cluster.importing import (
    Command,
    Draft,
    InputFile,
    Report,
    Where,
    batch_words,
    command,
    is_ours,
    site_label,
)

AGENT_WORDS = {"watch": "watch", "start": "start", "stop": "stop"}

# Lines of the samples' structure: they branch on the cluster's variables, broadcast, end.
_STRUCTURE = re.compile(
    r"(?i)^(@?echo\b|rem\b|::|:[A-Za-z0-9_]+\s*\Z|goto\b|exit\b|set\s+\"?JC_RC=|"
    r"if\s+\"%(ARMS|CLP)_(EVENT|DISK|SERVER)%\"|if\s+errorlevel\b|if\s+\"%JC_RC%\"|"
    r"armbcast\b|armbroadcast\b|clplogcmd\b)")


def read(files: list[InputFile], draft: Draft, report: Report) -> None:
    draft.set_cluster("product", "jobcenter-windows", Where(files[0], None))
    resolv: list[InputFile] = []
    for f in files:
        if is_ours(f):
            continue
        if f.name.lower() == "resolv.def":
            resolv.append(f)
        elif f.name.lower().endswith((".bat", ".cmd")):
            _read_batch(f, draft, report)
        else:
            report.skip(f, None, "not a group script (.bat) or resolv.def")
    for f in resolv:
        _read_resolv(f, draft, report)


def _read_batch(f: InputFile, draft: Draft, report: Report) -> None:
    flavour = None
    if re.search(r"(?i)%ARMS_EVENT%", f.text):
        flavour = "arm"
    elif re.search(r"(?i)%CLP_EVENT%", f.text):
        flavour = "x"
    for n, line in f.logical("^"):
        text = line.strip()
        if not text or _STRUCTURE.match(text):
            continue
        at = Where(f, n)
        words = batch_words(text)
        if not words:
            continue
        verb = words[0].lower()
        if verb == "armload":
            if flavour:
                _set_flavour(draft, flavour, words[0], at)
            _armload(words, at, draft, report)
        elif verb in ("armloadc", "armkill"):
            if flavour:
                _set_flavour(draft, flavour, words[0], at)
            _control(words, at, draft, report)
        elif ntpath.basename(words[0]).lower().removesuffix(".exe") in ("cjcinit", "cjccopy"):
            _native(words, at, draft, report)
        else:
            cmd = command(words, draft, at, agent_words=AGENT_WORDS)
            if cmd is None:
                report.skip(f, n, repr(text))
            else:
                _apply(cmd, None, at, draft)


def _set_flavour(draft: Draft, flavour: str, word: str, at: Where) -> None:
    if flavour == "x":
        draft.set_option(None, "flavour", "x", at)


def _armload(words: list[str], at: Where, draft: Draft, report: Report) -> None:
    if len(words) < 3:
        report.skip(at.file, at.line, f"{' '.join(words)!r} (ARMLoad WATCHID ... PROGRAM)")
        return
    watch_id = words[1]
    rest = words[2:]
    monitor = False
    admin = None
    hide = False
    while rest and rest[0].startswith("/"):
        opt = rest.pop(0)
        low = opt.lower()
        if low == "/m":
            monitor = True
        elif low == "/u" and rest:
            admin = rest.pop(0)
        elif low == "/window" and rest:
            value = rest.pop(0)
            if value.lower() == "hide":
                hide = True
            else:
                report.skip(at.file, at.line, f"ARMLoad /WINDOW {value}")
        elif low in ("/r", "/h", "/fov", "/wait", "/at") and rest and rest[0].isdigit():
            report.skip(at.file, at.line, f"ARMLoad {opt} {rest.pop(0)} (the adapter renders "
                        "no restart or failover counts)")
        else:
            report.skip(at.file, at.line, f"ARMLoad {opt}")
    cmd = command(rest, draft, at, agent_words=AGENT_WORDS)
    if cmd is None:
        report.skip(at.file, at.line, f"ARMLoad {watch_id}: {' '.join(rest)!r} (not cjcpw or "
                    "jccluster)")
        return
    # cjcpw -u ADMIN: the same account as /U (the manual's sample gives both)
    if "-u" in rest:
        i = rest.index("-u")
        if i + 1 < len(rest) and admin and rest[i + 1] != admin:
            report.skip(at.file, at.line, f"cjcpw -u {rest[i + 1]} (differs from ARMLoad /U "
                        f"{admin}; the adapter uses one account for both)")
    if admin:
        draft.set_option(None, "admin", admin, at)
    if hide:
        draft.set_option(None, "window_hide", True, at)
    site = _apply(cmd, watch_id, at, draft)
    if site is not None:
        draft.set_site(site, "monitor", monitor and cmd.action == "watch", at)


def _control(words: list[str], at: Where, draft: Draft, report: Report) -> None:
    verb = words[0].lower()
    rest = [w.lower() for w in words[2:]]
    if verb == "armkill" and rest:
        report.skip(at.file, at.line, f"{' '.join(words)} (the manual forbids ARMKILL /C: "
                    "stop with ARMLoadC /W PAUSE, the stop, then ARMKILL ID)")
    elif verb == "armloadc" and rest not in (["/w", "pause"], ["/w", "continue"]):
        report.skip(at.file, at.line, " ".join(words))


def _native(words: list[str], at: Where, draft: Draft, report: Report) -> None:
    exe = words[0]
    parts = exe.replace("/", "\\").split("\\")
    if len(parts) >= 4 and [p.lower() for p in parts[-3:-1]] == ["sv", "bin"]:
        draft.set_cluster("install_prefix", "\\".join(parts[:-3]), at)


def _apply(cmd: Command, watch_id: str | None, at: Where, draft: Draft
           ) -> dict[str, Any] | None:
    if not cmd.site:
        return None
    site = draft.site(cmd.site, at)
    if site is None:
        return None
    if cmd.database:
        draft.set_site(site, "database", cmd.database, at)
    if watch_id is not None:
        draft.set_option(site, "watch_id", watch_id, at)
    return site


def _read_resolv(f: InputFile, draft: Draft, report: Report) -> None:
    order: list[str] = []
    for n, line in f.lines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        at = Where(f, n)
        if len(parts) < 2:
            report.skip(f, n, repr(text))
            continue
        address, name = parts[0], parts[1]
        for extra in parts[2:]:
            report.skip(f, n, f"alias {extra} of {name} (the cluster file takes official names)")
        site = draft.find_site(name) or draft.find_site(name.split(".")[0])
        if site is not None and "name" not in site:
            draft.name_site(site, name, at)  # the official name of a site the scripts
            # call by its short name, as the manual's samples do
        if site is not None and site_label(site).lower() == name.lower():
            draft.set_site(site, "address", address, at)
            order.append(site_label(site))
            continue
        node = draft.node(name, at)
        if node is not None:
            draft.set_node(node, "address", address, at)
    if order:
        draft.order_fixed = True
        draft.sites.sort(key=lambda s: order.index(site_label(s)) if site_label(s) in order
                         else len(order))
