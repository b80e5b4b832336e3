"""`jccluster check` rules for CLUSTERPRO X / EXPRESSCLUSTER X for Linux: clp.conf and
clpcfset.sh (read alike through `.clpconf`), the exec resource's start.sh / stop.sh, APPLY.txt
and PATCH.txt, as rendered or as edited by hand (sources: `.adapter`)."""

from __future__ import annotations

import os
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from jobcenter_cluster.adapter import Rule, RuleResult, stop_seconds
from jobcenter_cluster.adapters.clusterpro_linux.adapter import CJCPW_MIN_MARGIN, STOP_MARGIN
from jobcenter_cluster.adapters.clusterpro_linux.clpconf import (
    apply_clpcfset,
    conf_items,
    parse_conf,
    script_calls,
)
from jobcenter_cluster.checks import (
    CheckContext,
    SourceFile,
    keep_port_not_first,
    shell_function_body,
)

_START = re.compile(r"(?:^|/)scripts/([^/]+)/([^/]+)/start\.sh$|(?:^|/)start\.sh$")
_STOP_SH = re.compile(r"(?:^|/)stop\.sh$")


@dataclass(frozen=True)
class _Conf:
    """One configuration source (clp.conf or clpcfset.sh) as a clp.conf tree."""

    file: SourceFile
    root: ET.Element
    #: resource/monitor name -> first line mentioning it
    lines: dict[str, int]

    def line(self, name: str) -> int | None:
        return self.lines.get(name)

    def execs(self) -> dict[str, ET.Element]:
        return {e.get("name", ""): e for e in self.root.findall("resource/exec")}

    def group_kinds(self, group: str) -> dict[str, str]:
        """resource type -> resource name of one group's resources."""
        g = self.root.find(f"group[@name='{group}']")
        if g is None:
            return {}
        return {r.get("name", "").split("@", 1)[0]: r.get("name", "").split("@", 1)[1]
                for r in g.findall("resource") if "@" in r.get("name", "")}

    def group_of(self, rtype: str, name: str) -> str | None:
        for g in self.root.findall("group"):
            if g.find(f"resource[@name='{rtype}@{name}']") is not None:
                return g.get("name")
        return None


def _line_index(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        for name in re.findall(r"name=\"([^\"]+)\"|\b(?:exec|pidw|raww|disk|fip)\s+(\S+)", line):
            for part in name if isinstance(name, tuple) else (name,):
                if part:
                    out.setdefault(part, n)
    return out


def _confs(ctx: CheckContext) -> list[_Conf]:
    out = []
    for f in ctx.files:
        base = os.path.basename(f.path)
        if base == "clp.conf":
            try:
                root = parse_conf(f.text)
            except ET.ParseError:
                continue
            out.append(_Conf(f, root, _line_index(f.text)))
        elif base.startswith("clpcfset") and f.language in ("sh", "bash", "ksh"):
            root = ET.Element("root")
            lines: dict[str, int] = {}
            for n, argv in script_calls(f.text):
                try:
                    apply_clpcfset(root, argv)
                except ValueError:
                    continue
                for word in argv[2:4]:
                    lines.setdefault(word, n)
            out.append(_Conf(f, root, lines))
    return out


def _start_scripts(ctx: CheckContext) -> list[tuple[SourceFile, str | None]]:
    """(start.sh, exec resource name or None)."""
    out = []
    for f in ctx.files_of(("sh", "bash", "ksh")):
        m = _START.search(f.path)
        if m:
            out.append((f, m.group(2)))
    return out


_CONTROL_WORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until",
                            "for", "!", "{", "}", "(", ")", "esac", "in"})
_NEUTRAL = frozenset({"echo", "printf", "log", "clplogcmd", "command", "exit", "return", "[",
                      "test", ":", "true", "false", "set", "unset", "export", "readonly", "local",
                      "shift", "wait"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", ";;", "(", "{", "then", "do", "else", "elif",
                         "if", "while", "until", "!"})
_REDIRECT = re.compile(r"^\d*[<>]+&?$|^&>$")


def _commands(line: str) -> list[list[str]]:
    """The simple commands on one shell line, each as its words (assignments and redirections
    dropped). Case patterns, ``case ... in`` and function headers give no command."""
    text = line.strip()
    if not text or text.startswith("#") or text.startswith("case ") or text in ("esac", ";;"):
        return []
    if re.match(r"^[^\s()'\"]*\)\s*(;;)?$", text) or re.match(r"^[\w|*\"'$.-]+\)", text):
        text = re.sub(r"^[^)]*\)", "", text, count=1)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:
        return [text.split()]
    commands: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for i, tok in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        if _REDIRECT.match(tok):
            skip_next = True
            continue
        if tok.isdigit() and i + 1 < len(tokens) and _REDIRECT.match(tokens[i + 1]):
            continue  # the descriptor of "2>&1"
        if tok in _SEPARATORS or tok in _CONTROL_WORDS:
            if current:
                commands.append(current)
            current = []
            continue
        if not current and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tok):
            continue
        if not current and (tokens[i + 1: i + 3] == ["(", ")"] or tokens[i + 1: i + 2] == ["()"]):
            break  # function header
        current.append(tok)
    if current:
        commands.append(current)
    return commands


def _jobcenter_command(words: Sequence[str]) -> str | None:
    """'keep-port', 'watch', 'nowatch', 'stop' or 'other-jobcenter' for a JobCenter command."""
    if not words:
        return None
    prog = os.path.basename(words[0])
    if prog == "nqsportkpr":
        return "keep-port"
    if prog == "cjcpw":
        if "-stop" in words:
            return "stop"
        return "nowatch" if "-c" in words[1:] else "watch"
    if prog == "jccluster" and len(words) > 3 and words[1] == "agent":
        return {"keep-port": "keep-port", "start": "watch", "start-nowatch": "nowatch",
                "stop": "stop"}.get(words[3], "other-jobcenter")
    return None


def _script_commands(f: SourceFile, body: Iterable[tuple[int, str]] | None = None
                     ) -> Iterator[tuple[int, list[str]]]:
    lines = body if body is not None else enumerate(f.lines, 1)
    for n, text in lines:
        for words in _commands(text):
            yield n, words


def _exec_role(f: SourceFile) -> set[str]:
    return {r for _, w in _script_commands(f) if (r := _jobcenter_command(w))}


def _monitored_execs(confs: list[_Conf]) -> set[str]:
    out = set()
    for c in confs:
        for name, el in c.execs().items():
            if (el.findtext("parameters/act/sync") or "1").strip() == "0":
                out.add(name)
        for pid in c.root.findall("monitor/pidw"):
            out.add((pid.findtext("target") or "").strip())
    return out


def _rule_exec_async(ctx: CheckContext) -> Iterator[RuleResult]:
    confs = _confs(ctx)
    watched = {e for f, e in _start_scripts(ctx) if e and "watch" in _exec_role(f)}
    watched |= {(p.findtext("target") or "").strip() for c in confs
                for p in c.root.findall("monitor/pidw")}
    for c in confs:
        for name, el in c.execs().items():
            sync = (el.findtext("parameters/act/sync") or "1").strip()
            if name in watched and sync != "0":
                yield (f"exec resource {name}: its start script runs the JobCenter watcher in the "
                       f"foreground, so it must start asynchronously (parameters/act/sync = 0, "
                       f"found {sync})", c.file.path, c.line(name))


def _rule_pid_monitor(ctx: CheckContext) -> Iterator[RuleResult]:
    confs = _confs(ctx)
    scripts = {e: f for f, e in _start_scripts(ctx) if e}
    for c in confs:
        for name, el in c.execs().items():
            async_ = (el.findtext("parameters/act/sync") or "1").strip() == "0"
            role = _exec_role(scripts[name]) if name in scripts else set()
            if not (async_ or "watch" in role):
                continue
            group = c.group_of("exec", name)
            pids = [p for p in c.root.findall("monitor/pidw")
                    if (p.findtext("target") or "").strip() == name]
            if not pids:
                yield (f"exec resource {name}: no PID monitor (pidw) targets it, so nothing "
                       "fails the group over when the JobCenter watcher exits", c.file.path,
                       c.line(name))
                continue
            for p in pids:
                rtype = (p.findtext("relation/type") or "").strip()
                rname = (p.findtext("relation/name") or "").strip()
                if rtype != "grp" or rname != group:
                    yield (f"PID monitor {p.get('name')}: its recovery target must be the "
                           f"failover group {group} (relation/type grp, relation/name {group}), "
                           f"found {rtype or '-'} {rname or '-'}", c.file.path,
                           c.line(p.get("name", "")))


#: a hand-edited PID monitor interval above this is reported (issue 15): the PID monitor is the
#: only way CLUSTERPRO learns that the watcher exited, so its interval is the site's outage.
PID_INTERVAL_WARN = 5


def _rule_pid_interval(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for p in c.root.findall("monitor/pidw"):
            value = (p.findtext("polling/interval") or "").strip()
            if value.isdigit() and int(value) > PID_INTERVAL_WARN:
                yield (f"PID monitor {p.get('name')}: polling/interval {value}: a dead watcher "
                       f"waits up to {value} s before the group fails over; use "
                       f"{PID_INTERVAL_WARN} or less (the rendered default is 1)", c.file.path,
                       c.line(p.get("name", "")))


def _first_command(f: SourceFile) -> tuple[int, str] | None:
    """The first command of start_site(), or without that function the script's first
    JobCenter command: line number and words."""
    body = shell_function_body(f, "start_site")
    for n, words in _script_commands(f, body):
        if body is None and not _jobcenter_command(words):
            continue
        if os.path.basename(words[0]) in _NEUTRAL - {"command"}:
            continue
        return n, " ".join(words)
    return None


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _ in _start_scripts(ctx):
        finding = keep_port_not_first(_first_command(f), f.path, "start path")
        if finding:
            yield finding


def _rule_no_c_monitored(ctx: CheckContext) -> Iterator[RuleResult]:
    monitored = _monitored_execs(_confs(ctx))
    for f, e in _start_scripts(ctx):
        if e not in monitored:
            continue
        for n, words in _script_commands(f):
            if _jobcenter_command(words) == "nowatch":
                yield (f"exec resource {e} is monitored (asynchronous start / PID monitor): its "
                       f"start script must not start the site without watching "
                       f"({' '.join(words)!r})", f.path, n)


def _rule_start_only_jobcenter(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _ in _start_scripts(ctx):
        for n, words in _script_commands(f):
            if words[0] == "command" and len(words) > 1 and not words[1].startswith("-"):
                words = words[1:]  # "command PROG ..." runs PROG
            prog = os.path.basename(words[0])
            if prog in _NEUTRAL or _jobcenter_command(words):
                continue
            if prog in ("start_site", "stop_site"):
                continue
            yield (f"start.sh must contain nothing but the JobCenter start (the PID monitor "
                   f"watches this script); move {prog!r} to its own exec resource", f.path, n)


def _rule_stop_sync(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for name, el in c.execs().items():
            sync = (el.findtext("parameters/deact/sync") or "1").strip()
            if sync != "1":
                yield (f"exec resource {name}: the stop script must be synchronous "
                       f"(parameters/deact/sync = 1, found {sync}): cjcpw -stop takes 1-2 "
                       "minutes", c.file.path, c.line(name))


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _deadlines(ctx: CheckContext) -> dict[str | None, int]:
    """Stop deadline per exec resource (from stop.sh's --timeout), None: the default."""
    out: dict[str | None, int] = {None: stop_seconds(ctx.cluster)}
    for f in ctx.files_of(("sh", "bash", "ksh")):
        m = re.search(r"(?:^|/)scripts/[^/]+/([^/]+)/stop\.sh$", f.path)
        t = re.search(r"--timeout[= ]\s*(\d+)", f.text)
        if m and t:
            out[m.group(1)] = int(t.group(1))
    return out


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    deadlines = _deadlines(ctx)
    # cjcpw -stop in a stop.sh (or a cluster file that says so): no engine deadline behind it
    cjcpw = (ctx.cluster.supervisor == "cjcpw" if ctx.cluster is not None else
             any(re.search(r"cjcpw\S*['\"]?\s+-stop\b", f.text)
                 for f in ctx.files_of(("sh", "bash", "ksh"))))
    for c in _confs(ctx):
        for name, el in c.execs().items():
            deadline = deadlines.get(name, deadlines[None])
            stop = _int(el.findtext("parameters/timeout/stop")) or 1800
            if stop <= deadline:
                yield (f"exec resource {name}: stop script timeout {stop} s must be longer than "
                       f"the stop deadline ({deadline} s), e.g. {deadline + STOP_MARGIN}",
                       c.file.path, c.line(name))
            elif cjcpw and stop < deadline + CJCPW_MIN_MARGIN:
                yield (f"exec resource {name}: stop script timeout {stop} s leaves cjcpw -stop "
                       f"(1-2 minutes, no deadline of its own) less than {CJCPW_MIN_MARGIN} s "
                       f"of margin (use at least {deadline + CJCPW_MIN_MARGIN}, e.g. "
                       f"{deadline + STOP_MARGIN})", c.file.path, c.line(name))
            deact = _int(el.findtext("deact/timeout"))
            if deact is not None and deact <= stop:
                yield (f"exec resource {name}: deact/timeout {deact} s must exceed the stop "
                       f"script timeout {stop} s (EXPRESSCLUSTER: 180 + timeout/stop)",
                       c.file.path, c.line(name))


def _rule_event_guard(ctx: CheckContext) -> Iterator[RuleResult]:
    files = [f for f, _ in _start_scripts(ctx)]
    files += [f for f in ctx.files_of(("sh", "bash", "ksh")) if _STOP_SH.search(f.path)]
    for f in files:
        code = "\n".join(ln for ln in f.lines if not ln.lstrip().startswith("#"))
        missing = [w for w in ("CLP_EVENT", "START", "FAILOVER", "CLP_DISK", "SUCCESS")
                   if not re.search(rf"\b{w}\b", code)]
        if missing:
            yield (f"the script must act only when CLP_EVENT is START or FAILOVER and CLP_DISK "
                   f"is SUCCESS (missing: {', '.join(missing)})", f.path, None)


def _rule_stop_in_stop(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "bash", "ksh")):
        if _STOP_SH.search(f.path) and "stop" not in _exec_role(f):
            yield ("stop.sh does not stop the site (add cjcpw -stop SITE or jccluster agent "
                   "clusterpro-linux stop SITE)", f.path, None)


def _rule_stop_verify(ctx: CheckContext) -> Iterator[RuleResult]:
    """stop.sh decides its exit by what is left of the site (cjcls / the engine's status), never
    by the stop command's status alone, and can fail (issue 20)."""
    for f in ctx.files_of(("sh", "bash", "ksh")):
        if not _STOP_SH.search(f.path) or "stop" not in _exec_role(f):
            continue
        code = "\n".join(ln for ln in f.lines if not ln.lstrip().startswith("#"))
        asks = re.search(r"cjcls\b", code) or re.search(r"clusterpro-linux['\"]?\s+status\b",
                                                       code)
        if not asks:
            yield ("stop.sh does not check what is left of the site after the stop (cjcls, or "
                   "jccluster agent clusterpro-linux status): a failing stop command would "
                   "either block the failover or a live site would read as stopped", f.path,
                   None)
        elif not re.search(r"\breturn 1\b|\bexit 1\b", code):
            yield ("stop.sh never fails: a site still running here would read as stopped and "
                   "start on a second server", f.path, None)


def _rule_resources(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for name in c.execs():
            group = c.group_of("exec", name)
            if group is None:
                continue
            kinds = c.group_kinds(group)
            for kind, what in (("fip", "floating IP"), ("disk", "disk")):
                if kind not in kinds and not (kind == "disk" and "md" in kinds):
                    yield (f"group {group}: no {what} resource (JobCenter's group needs a "
                           "floating IP, the exec resource and a disk)", c.file.path,
                           c.line(group))


def _rule_disk_device(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        for disk in c.root.findall("resource/disk"):
            dev = (disk.findtext("parameters/device") or "").strip()
            if not dev:
                yield (f"disk resource {disk.get('name')}: no device (parameters/device): name "
                       "the shared-disk partition that holds the site database", c.file.path,
                       c.line(disk.get("name", "")))


def _rule_disk_monitor(ctx: CheckContext) -> Iterator[RuleResult]:
    for c in _confs(ctx):
        watched = {(m.findtext("parameters/device") or "").strip()
                   for m in c.root.findall("monitor/raww")}
        watched |= {(m.findtext("parameters/object") or "").strip()
                    for m in c.root.findall("monitor/diskw")}
        for m in c.root.findall("monitor/raww"):
            yield (f"RAW monitor {m.get('name')}: it needs a raw device "
                   f"({(m.findtext('parameters/object') or '?').strip()}), and the raw driver "
                   "was removed from Linux 5.14: watch the disk with a disk monitor (diskw) "
                   "instead", c.file.path, c.line(m.get("name", "")))
        for group in c.root.findall("group"):
            kinds = c.group_kinds(group.get("name", ""))
            if "disk" not in kinds:
                continue
            dev = (c.root.findtext(f"resource/disk[@name='{kinds['disk']}']/parameters/device")
                   or "").strip()
            if dev and dev not in watched:
                yield (f"group {group.get('name')}: no disk monitor (diskw, or raww) watches its "
                       f"disk {dev}", c.file.path, c.line(kinds["disk"]))


_PUSH = re.compile(r"\bclpcfctrl\s+--push\b")
_CREATE = re.compile(r"\bcjcmksite\b|\bsite\s+create\b")


def _rule_apply_order(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path) != "APPLY.txt":
            continue
        create = next((n for n, ln in enumerate(f.lines, 1) if _CREATE.search(ln)), None)
        for n, line in enumerate(f.lines, 1):
            if not _PUSH.search(line) or "bootstrap" in line:
                continue
            if create is None or n < create:
                yield ("the configuration with the exec resource is pushed before the site "
                       "database is created: push the groups without it (bootstrap/), create "
                       "the database (cjcmksite), stop the group, then push the exec resource",
                       f.path, n)
            break
    for c in _confs(ctx):
        if c.file.path.replace("\\", "/").split("/")[-2:-1] != ["bootstrap"]:
            continue
        for name in c.execs():
            yield (f"exec resource {name} in the bootstrap configuration: the group must start "
                   "without JobCenter until the site database exists", c.file.path,
                   c.line(name))


_RPM = re.compile(r"\brpm\s+-[A-Za-z]*[iU]")


def _rule_patch_order(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path) != "PATCH.txt":
            continue
        installs = [n for n, ln in enumerate(f.lines, 1) if _RPM.search(ln)]
        if not installs:
            yield ("PATCH.txt installs no patch (rpm -U / -i)", f.path, None)
            continue
        stops = [n for n, ln in enumerate(f.lines, 1) if re.search(r"\bclpgrp\s+-t\b", ln)]
        starts = [n for n, ln in enumerate(f.lines, 1) if re.search(r"\bclpgrp\s+-s\b", ln)]
        if not stops or min(stops) > installs[0]:
            yield ("the JobCenter group must be stopped (clpgrp -t GROUP) before the patch is "
                   "installed", f.path, installs[0])
        if not starts or max(starts) < installs[-1]:
            yield ("the JobCenter group must be started (clpgrp -s GROUP) only after both "
                   "servers are patched", f.path, installs[-1])
        elif min(starts) < installs[-1]:
            yield ("the JobCenter group is started before the last server is patched",
                   f.path, min(starts))


#: the WebUI's object count: clpcfset.sh does not set it (`clpconf.build_conf` counts)
_WEBMGR = re.compile(r"^/webmgr")


def _rule_conf_match(ctx: CheckContext) -> Iterator[RuleResult]:
    confs = _confs(ctx)
    xml = [c for c in confs if os.path.basename(c.file.path) == "clp.conf"]
    scripts = [c for c in confs if all(c is not x for x in xml)]
    for s in scripts:
        for x in xml:
            if os.path.dirname(s.file.path) != os.path.dirname(x.file.path):
                continue
            a = {i for i in conf_items(x.root) if not _WEBMGR.match(i[0])}
            b = {i for i in conf_items(s.root) if not _WEBMGR.match(i[0])}
            for path, text in sorted(a - b)[:5]:
                yield (f"clp.conf has {path} = {text!r} but {s.file.path} does not set it "
                       "(regenerate both with jccluster render)", x.file.path, None)
            for path, text in sorted(b - a)[:5]:
                yield (f"{s.file.path} sets {path} = {text!r} but clp.conf does not have it "
                       "(regenerate both with jccluster render)", x.file.path, None)


_M = "JobCenter manual "

RULES = [
    Rule("CPL-EXEC-ASYNC", "the exec resource that runs the watcher starts "
         "asynchronously (parameters/act/sync = 0)",
         _M + "§3.3.2 ② (cjcpw runs in the foreground: start script [asynchronous])",
         _rule_exec_async),
    Rule("CPL-PID-MONITOR", "a PID monitor watches that exec resource, recovery target "
         "the JobCenter failover group", _M + "§3.3.2 ③ (PID monitor, recovery target)",
         _rule_pid_monitor),
    Rule("CPL-PID-INTERVAL", f"the PID monitor checks the watcher at least every "
         f"{PID_INTERVAL_WARN} s (a dead watcher waits up to polling/interval before "
         "the group fails over)", _M + "§3.3.2 ③ (the PID monitor is what notices the "
         "watcher's exit); EXPRESSCLUSTER X Reference Guide, PID monitor resource "
         "(Interval)", _rule_pid_interval, severity="warning"),
    Rule("CPL-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
         "start path", _M + "§2.10.4 / SPEC §3 (nqsportkpr must run first)",
         _rule_keep_port_first),
    Rule("CPL-NO-C-MONITORED", "a monitored start script never starts the site with -c "
         "(no watching)", _M + "§3.3.7 ① (do not use -c in the cluster start script)",
         _rule_no_c_monitored),
    Rule("CPL-START-ONLY-JOBCENTER", "start.sh starts JobCenter and nothing else",
         _M + "§3.3.7 ① 注意事項 (the PID monitor watches start.sh itself)",
         _rule_start_only_jobcenter),
    Rule("CPL-STOP-SYNC", "the exec resource stops synchronously "
         "(parameters/deact/sync = 1)", _M + "§3.3.7 ② (cjcpw -stop takes 1-2 minutes)",
         _rule_stop_sync),
    Rule("CPL-STOP-TIMEOUT", "the exec stop timeout is longer than the stop deadline",
         _M + "§3.3.7 ②; engine stop deadline; clpcfset exec.md (deact/timeout = 180 + "
         "timeout/stop)", _rule_stop_timeout),
    Rule("CPL-EVENT-GUARD", "start.sh/stop.sh act only on CLP_EVENT START/FAILOVER with "
         "CLP_DISK = SUCCESS", _M + "§3.3.7 (start.sh / stop.sh samples)",
         _rule_event_guard),
    Rule("CPL-STOP-IN-STOP", "stop.sh stops the site (cjcpw -stop / agent stop)",
         _M + "§3.3.7 ②", _rule_stop_in_stop),
    Rule("CPL-STOP-VERIFY", "stop.sh exits by what is left of the site (cjcls / status), "
         "not by the stop command's status alone", _M + "§3.3.7 (the sample's stop always "
         "exits 0), §2.10.5 (cjcls); issue 20", _rule_stop_verify),
    Rule("CPL-RESOURCES", "the JobCenter group has a floating IP and a disk resource",
         _M + "§3.3.2 ① (floating IP, exec, disk, RAW monitor)", _rule_resources),
    Rule("CPL-DISK-DEVICE", "every disk resource names its device (no placeholder "
         "left to a default)", _M + "§3.3.2 ① (disk resource); clpcfset disk.md "
         "(parameters/device)", _rule_disk_device),
    Rule("CPL-DISK-MONITOR", "a disk monitor (diskw) watches the group's disk; no RAW "
         "monitor, which needs the raw driver gone since Linux 5.14",
         _M + "§3.3.2 ① (RAW monitor); CreateClusterOnLinux MonitorParameters_Linux "
         "(diskw)", _rule_disk_monitor, severity="warning"),
    Rule("CPL-APPLY-ORDER", "APPLY.txt creates the site database before it pushes the "
         "exec resource; the bootstrap configuration has no exec resource",
         _M + "§3.3.2 ① 注意事項, §3.3.6 ⑥, §3.3.7 (scripts after the database)",
         _rule_apply_order),
    Rule("CPL-PATCH-ORDER", "PATCH.txt stops the JobCenter group before the patch and "
         "starts it after both servers are patched", _M + "§3.3.11.2 ③, ⑦",
         _rule_patch_order),
    Rule("CPL-CONF-MATCH", "clp.conf and clpcfset.sh describe the same configuration",
         "EXPRESSCLUSTER X Reference Guide, clpcfset parameter list", _rule_conf_match),
]
