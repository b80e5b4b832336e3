"""`jccluster check` rules for Sun Cluster GDS: the registration scripts and the Start, Stop and
Probe wrappers, as rendered or as edited by hand (sources: `.adapter`); and the shell-reading
helpers the sun22 adapter's rules share."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from jobcenter_cluster import checks
from jobcenter_cluster.adapter import Rule, RuleResult, stop_seconds
from jobcenter_cluster.adapters.sungds import PROBE_FAILED, PROBE_FAILOVER, PROBE_OK, SPEC
from jobcenter_cluster.adapters.sungds.adapter import (
    FAILOVER_MODES,
    GDS_DEFAULT_STOP_TIMEOUT,
    GDS_STOP_MARGIN,
    GDS_STOP_SHARE,
    NQS_PORT,
    min_stop_timeout,
)
from jobcenter_cluster.checks import CheckContext, SourceFile

# --------------------------------------------------------------------------- shell parsing helpers
# (shared with the sun22 adapter)


def logical_lines(f: SourceFile) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: backslash continuations joined,
    comments and blank lines dropped."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for i, raw in enumerate(f.lines):
        text = raw.strip()
        if not buf and (not text or text.startswith("#")):
            continue
        if not buf:
            start = i + 1
        if text.endswith("\\"):
            buf.append(text[:-1])
            continue
        buf.append(text)
        out.append((start, " ".join(buf)))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def words(text: str) -> list[str]:
    """Shell words of one logical line, with ``; | & ( )`` as separate tokens."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:
        return text.split()


_SEPARATORS = {";", ";;", "&&", "||", "|", "&", "(", ")", "then", "else", "do", "{", "}"}


def invocations(f: SourceFile, command: str) -> list[tuple[int, list[str]]]:
    """Every call of `command` (by basename, also after ``run``/``exec``): (line, arguments)."""
    out = []
    for n, text in logical_lines(f):
        if command not in text:
            continue
        toks = words(text)
        for i, tok in enumerate(toks):
            if tok.rsplit("/", 1)[-1] != command:
                continue
            if i and toks[i - 1].startswith(("-", "'")) and toks[i - 1] not in _SEPARATORS:
                continue
            args = []
            for t in toks[i + 1:]:
                if t in _SEPARATORS or t.startswith((">", "2>")):
                    break
                args.append(t)
            out.append((n, args))
    return out


_FUNC_START = re.compile(r"^(?:function\s+)?[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)\s*\{?\s*$|"
                         r"^function\s+[A-Za-z_][A-Za-z0-9_]*\s*\{?\s*$")
_SETUP = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*$|export\b|cd\s+/\s*(\|\|.*)?$|umask\b|"
                   r"set\s+-|unset\b|log\b|:\s*$|readonly\b)")


def main_commands(f: SourceFile) -> list[tuple[int, str]]:
    """The command lines of a script outside its function definitions, without set-up lines
    (assignments, export, ``cd /``, umask, set, log)."""
    out: list[tuple[int, str]] = []
    depth = 0
    in_func = False
    for n, text in checks.command_lines(f.lines):
        if not in_func and _FUNC_START.match(text):
            in_func = True
            depth = text.count("{")
            continue
        if in_func:
            code = text.split(" #", 1)[0]
            depth += code.count("{") - code.count("}")
            if depth <= 0 and "}" in code:
                in_func = False
            continue
        if _SETUP.match(text):
            continue
        out.append((n, text))
    return out


def literal_exits(f: SourceFile) -> list[tuple[int, int]]:
    """(line, code) of every ``exit N`` with a literal number."""
    out = []
    for n, text in checks.command_lines(f.lines):
        for m in re.finditer(r"\bexit\s+([0-9]+)\b", text):
            out.append((n, int(m.group(1))))
    return out


# --------------------------------------------------------------------------- check rules


def _props(args: Sequence[str], flags: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, a in enumerate(args[:-1]):
        if a in flags and "=" in args[i + 1]:
            k, v = args[i + 1].split("=", 1)
            out[k.rstrip("+")] = v
    return out


_VALUED = {"-g", "-t", "-p", "-x", "-y", "-h", "-N", "-n", "-j", "-l", "-R", "-Z", "-T"}


@dataclass
class GdsResource:
    """A resource a registration script creates: `kind` is lh, hasp, gds or other; `props` its
    ``-p`` (or ``-x``/``-y``) properties; `line` where it is created."""

    name: str
    kind: str
    props: dict[str, str]
    line: int


def resources(f: SourceFile) -> list[GdsResource]:
    """Resources a registration script creates."""
    out: list[GdsResource] = []
    for n, args in invocations(f, "clresource"):
        if args[:1] != ["create"]:
            continue
        rest = args[1:]
        rtype = next((rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "-t"), "")
        name = _last_operand(rest)
        out.append(GdsResource(name, _kind(rtype), _props(rest, ("-p",)), n))
    for n, args in invocations(f, "clreslogicalhostname"):
        if args[:1] == ["create"]:
            out.append(GdsResource(_last_operand(args[1:]), "lh", {}, n))
    for n, args in invocations(f, "scrgadm"):
        if "-a" not in args or "-j" not in args:
            continue
        name = args[args.index("-j") + 1] if args.index("-j") + 1 < len(args) else ""
        rtype = args[args.index("-t") + 1] if "-t" in args and args.index("-t") + 1 < len(
            args) else ""
        kind = "lh" if "-L" in args else _kind(rtype)
        out.append(GdsResource(name, kind, _props(args, ("-x", "-y")), n))
    return out


def _last_operand(args: Sequence[str]) -> str:
    i, last = 0, ""
    while i < len(args):
        if args[i] in _VALUED:
            i += 2
            continue
        if not args[i].startswith("-"):
            last = args[i]
        i += 1
    return last


def _kind(rtype: str) -> str:
    base = rtype.split(":", 1)[0]
    return {"SUNW.gds": "gds", "gds": "gds", "SUNW.HAStoragePlus": "hasp",
            "SUNW.LogicalHostname": "lh"}.get(base, "other")


def _registration_files(ctx: CheckContext) -> list[SourceFile]:
    return [f for f in ctx.files_of(("sh", "ksh", "bash"))
            if re.search(r"(^|/)register[^/]*\.sh$", f.path)]


def _gds_resources(ctx: CheckContext
                   ) -> Iterator[tuple[SourceFile, GdsResource, list[GdsResource]]]:
    for f in _registration_files(ctx):
        res = resources(f)
        for r in res:
            if r.kind == "gds":
                yield f, r, res


def _list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _rule_dependencies(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, res in _gds_resources(ctx):
        deps = set(_list(gds.props.get("Resource_dependencies")))
        for kind, what in (("lh", "LogicalHostname"), ("hasp", "HAStoragePlus")):
            names = [r.name for r in res if r.kind == kind]
            if not names:
                yield (f"the script creates no {what} resource for {gds.name} to depend on",
                       f.path, gds.line)
            for name in names:
                if name not in deps:
                    yield (f"{gds.name}: Resource_dependencies lacks the {what} resource "
                           f"{name!r}: JobCenter could start before its address / disk",
                           f.path, gds.line)


def _rule_network_resources(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, res in _gds_resources(ctx):
        used = set(_list(gds.props.get("Network_resources_used")))
        lhs = {r.name for r in res if r.kind == "lh"}
        if not used & lhs:
            yield (f"{gds.name}: Network_resources_used does not name the LogicalHostname "
                   f"resource ({', '.join(sorted(lhs)) or 'none created'})", f.path, gds.line)


def _rule_port_list(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        ports = _list(gds.props.get("Port_list"))
        if NQS_PORT not in ports:
            yield (f"{gds.name}: Port_list {ports or 'unset'} lacks the nqs port {NQS_PORT}",
                   f.path, gds.line)


def _rule_child_mon_level(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        level = gds.props.get("Child_mon_level", "-1 (default)")
        if level != "0":
            yield (f"{gds.name}: Child_mon_level is {level}: PMF would also watch the "
                   "JobCenter daemons and miss the watcher's death (use 0)", f.path, gds.line)


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    stop = stop_seconds(ctx.cluster)
    for f, gds, _res in _gds_resources(ctx):
        value = gds.props.get("Stop_timeout", "300")
        if not value.isdigit():
            yield f"{gds.name}: Stop_timeout {value!r} is not a number", f.path, gds.line
        elif int(value) < min_stop_timeout(stop):
            yield (f"{gds.name}: Stop_timeout {value} s gives the Stop_command only "
                   f"{int(int(value) * GDS_STOP_SHARE)} s; the stop needs {stop} s plus "
                   f"{GDS_STOP_MARGIN} s of clean-up, and GDS's default is "
                   f"{GDS_DEFAULT_STOP_TIMEOUT} (use at least {min_stop_timeout(stop)})",
                   f.path, gds.line)


def _rule_failover_mode(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        if "Failover_enabled" in gds.props:
            yield (f"{gds.name}: Failover_enabled is deprecated: set Failover_mode instead "
                   "(SOFT; RESTART_ONLY for Failover_enabled=FALSE)", f.path, gds.line)
        elif gds.props.get("Failover_mode", "SOFT").upper() not in FAILOVER_MODES:
            yield (f"{gds.name}: Failover_mode {gds.props['Failover_mode']!r} is not one "
                   f"of {', '.join(FAILOVER_MODES)}", f.path, gds.line)


def _rule_probe_maintenance(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "probe"):
        code = "\n".join(t for _n, t in checks.command_lines(f.lines))
        if "cjcls" in code and not ("daemon.conf" in code and "maintenance" in code):
            yield ("the probe reads cjcls but not daemon.conf's maintenance setting: a site in "
                   "maintenance (SHUT) would probe as failed and be restarted or failed over in "
                   "a loop", f.path, None)


def _rule_probe_bounded(ctx: CheckContext) -> Iterator[RuleResult]:
    """A probe reads daemon.conf only when it is a regular file: ``cat`` of a FIFO blocks until
    a writer comes, and a monitor must never block on a file (issue 20)."""
    for f in _wrappers(ctx, "probe"):
        code = "\n".join(t for _n, t in checks.command_lines(f.lines))
        if "daemon.conf" in code and re.search(r"\bcat\b", code) and not re.search(
                r"\[\s+-f\s", code):
            yield ("the probe reads daemon.conf without checking it is a regular file ([ -f ]): "
                   "a FIFO there would block the probe until GDS's Probe_timeout", f.path, None)


def _rule_stop_verify(ctx: CheckContext) -> Iterator[RuleResult]:
    """A cjcpw stop wrapper must not fail on cjcpw -stop's status alone: it asks cjcls whether
    the site is still here first (issue 20: a failed Stop_command blocks the failover)."""
    for f in _wrappers(ctx, "stop"):
        code = "\n".join(t for _n, t in checks.command_lines(f.lines))
        if re.search(r"cjcpw\S*['\"]?\s+-stop\b", code) and "cjcls" not in code:
            yield ("the stop wrapper exits with cjcpw -stop's status alone: ask cjcls whether the "
                   "site is still running and fail only then (a failed Stop_command leaves the "
                   "group STOP_FAILED)", f.path, None)


def _rule_absolute(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, gds, _res in _gds_resources(ctx):
        for key in ("Start_command", "Stop_command", "Probe_command"):
            value = gds.props.get(key)
            if value is not None and not value.startswith("/"):
                yield f"{gds.name}: {key} {value!r} must be an absolute path", f.path, gds.line


def _wrappers(ctx: CheckContext, name: str) -> list[SourceFile]:
    return [f for f in ctx.files_of(("sh", "ksh", "bash"))
            if re.search(rf"(^|/){name}\.sh$", f.path)]


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "start"):
        body = main_commands(f)
        finding = checks.keep_port_not_first(body[0] if body else None, f.path)
        if finding:
            yield finding


_WATCHER = re.compile(r"cjcpw\"?\s|\bagent\s+\S+\s+start\b")


def _rule_watcher_foreground(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "start"):
        body = main_commands(f)
        starts = [(n, t) for n, t in body if _WATCHER.search(t + " ")]
        if not starts:
            yield "the start wrapper does not run the watcher (cjcpw / agent start)", f.path, None
            continue
        n, text = starts[-1]
        if re.search(r"cjcpw\"?\s+(\S+\s+)*-c\b", text):
            yield ("the watcher is started with -c (no watching): PMF would see it exit",
                   f.path, n)
        elif text.rstrip().endswith("&"):
            yield "the watcher runs in the background: PMF watches the wrapper instead", f.path, n
        elif not text.startswith("exec "):
            yield ("the watcher is not exec'd: the wrapper shell, not the watcher, is PMF's "
                   "level 0 (write 'exec' before it)", f.path, n)


_STOP = re.compile(r"cjcpw\"?\s+-stop\b|\bagent\s+\S+\s+stop\b")


def _rule_stop_command(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _wrappers(ctx, "stop"):
        if not any(_STOP.search(t) for _n, t in main_commands(f)):
            yield ("the stop wrapper does not stop the site (add cjcpw -stop SITE or jccluster "
                   "agent sungds stop SITE)", f.path, None)


def _rule_probe_exit(ctx: CheckContext) -> Iterator[RuleResult]:
    allowed = {PROBE_OK, PROBE_FAILED, PROBE_FAILOVER}
    for f in _wrappers(ctx, "probe"):
        for n, code in literal_exits(f):
            if code not in allowed:
                yield (f"exit {code}: GDS reads probe statuses 0 (healthy), 100 (failed) and 201 "
                       "(fail over now) only", f.path, n)
    if ctx.adapter_name == SPEC.name:
        for action, outcome, code in SPEC.exit_table():
            if action == "probe" and code not in allowed:
                yield (f"exit table: probe {outcome} -> {code} is not a GDS probe status",
                       None, None)


_MAN = "JobCenter manual §4.12.5"
_GUIDE = "Sun Cluster Data Services Developer's Guide (819-2972)"
RULES = [
    Rule("GDS-DEPENDENCIES", "the GDS resource depends on the LogicalHostname and the "
         "HAStoragePlus resource", _MAN + " (Resource_dependencies)", _rule_dependencies),
    Rule("GDS-NETWORK-RESOURCES", "Network_resources_used names the LogicalHostname "
         "resource", _MAN + " (Network_resources_used)", _rule_network_resources),
    Rule("GDS-PORT-LIST", "Port_list includes the nqs port 607/tcp",
         _MAN + " (Port_list); " + _GUIDE + ", Required GDS Properties", _rule_port_list),
    Rule("GDS-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
         "start wrapper", _MAN + " (nqsportkpr must run first)", _rule_keep_port_first),
    Rule("GDS-WATCHER-FOREGROUND", "the start wrapper execs the watcher in the "
         "foreground (PMF watches it)", _MAN + " (cjcpw as the data service); " + _GUIDE
         + ", Child_mon_level Property", _rule_watcher_foreground),
    Rule("GDS-CHILD-MON-LEVEL", "Child_mon_level is 0 (the watcher alone)",
         _GUIDE + ", Child_mon_level Property; pmfadm(1M) -C", _rule_child_mon_level,
         severity="warning"),
    Rule("GDS-STOP-TIMEOUT", "Stop_timeout is at least GDS's default 300 s and 80 % of "
         "it covers the stop deadline and its clean-up",
         _GUIDE + ", Stop_command Property (80 % / 15 %); manual §3.3.7 (cjcpw -stop "
         "takes 1-2 minutes); engine stop deadline", _rule_stop_timeout),
    Rule("GDS-STOP-COMMAND", "the stop wrapper stops the site (cjcpw -stop / agent "
         "stop)", _MAN + " (Stop_command)", _rule_stop_command),
    Rule("GDS-STOP-VERIFY", "with cjcpw, the stop wrapper fails on cjcpw -stop's status only "
         "after cjcls shows the site still here", "manual §4.12.6 (cjcls), §3.3.7 (the "
         "CLUSTERPRO Linux sample's stop always exits 0); Developer's Guide, Stop_command "
         "Property (a failed stop: STOP_FAILED); issue 20", _rule_stop_verify),
    Rule("GDS-PROBE-BOUNDED", "the probe reads daemon.conf only as a regular file (a FIFO "
         "would block it)", "issue 20 (a monitor never blocks on a file)", _rule_probe_bounded),
    Rule("GDS-PROBE-EXIT", "the probe exits only 0, 100 or 201",
         _GUIDE + ", Probe_command Property", _rule_probe_exit),
    Rule("GDS-ABSOLUTE-COMMAND", "Start/Stop/Probe_command are absolute paths",
         _GUIDE + ", Start_command Property (passed to a shell, no PATH assumed)",
         _rule_absolute),
    Rule("GDS-FAILOVER-MODE", "the resource sets Failover_mode, not the deprecated "
         "Failover_enabled", "Sun Cluster Data Services Developer's Guide (820-2559), "
         "Failover_enabled Property (use Failover_mode); r_properties(5)",
         _rule_failover_mode),
    Rule("GDS-PROBE-MAINTENANCE", "a cjcls-based probe answers healthy for a site in "
         "maintenance (maintenance=ON in daemon.conf)", "JobCenter manual §4.12.6 "
         "(cjcls SHUT), §2.10.2 (daemon.conf); SPEC (maintenance=ON: the watcher "
         "starts, the daemons do not)", _rule_probe_maintenance),
]
