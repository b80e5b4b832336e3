"""`jccluster check` rules for Sun Cluster 2.2: the START_NET/STOP_NET/ABORT_NET methods, the
PMF action program and the hareg registration, as rendered or as edited by hand (sources:
`.adapter`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from jobcenter_cluster.adapter import Rule, RuleResult, stop_budget
from jobcenter_cluster.adapters.sun22.adapter import STOP_MARGIN
from jobcenter_cluster.adapters.sungds.rules import invocations, literal_exits, main_commands
from jobcenter_cluster.checks import (
    CheckContext,
    SourceFile,
    command_lines,
    is_keep_port,
    stop_status_decides,
)


def _methods(ctx: CheckContext, kind: str) -> list[SourceFile]:
    return [f for f in ctx.files_of(("sh", "ksh", "bash"))
            if re.search(rf"(^|/){kind}[^/]*\.sh$", f.path)]


_CAPTURE = re.compile(r"`[^`]*\bpmfadm\s+-q|\$\(\s*[^)]*\bpmfadm\s+-q")
_SPACE_ASSIGN = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*=\s+[`$\"'A-Za-z/]")


def _rule_pmf_exit_status(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, text in command_lines(f.lines):
            if _CAPTURE.search(text):
                yield ("pmfadm -q answers through its exit status and prints nothing useful: "
                       "write 'if pmfadm -q TAG; then', not a captured output", f.path, n)
            elif _SPACE_ASSIGN.match(text):
                yield ("a space after '=' sets the variable to empty for one command and runs "
                       "the rest as a command (the manual's 'ServStatus= `pmfadm -q ...`' bug)",
                       f.path, n)


def _tags(f: SourceFile, flag: str) -> list[tuple[int, str]]:
    out = []
    for n, args in invocations(f, "pmfadm"):
        if flag in args and args.index(flag) + 1 < len(args):
            out.append((n, args[args.index(flag) + 1]))
    return out


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "start"):
        body = main_commands(f)
        keep = next((n for n, t in body if is_keep_port(t)), None)
        starts = [n for n, t in body if re.search(r"\bpmfadm\b.*\s-c\s", t + " ")
                  or re.search(r"cjcpw\"?\s+(?!-stop)|\bagent\s+\S+\s+(watch|start)\b", t + " ")]
        if keep is None:
            yield ("the start method never runs nqsportkpr / keep-port", f.path,
                   starts[0] if starts else None)
        elif starts and min(starts) < keep:
            yield ("the watcher is started before nqsportkpr / keep-port holds the NQS port",
                   f.path, min(starts))


def _rule_unique_ids(ctx: CheckContext) -> Iterator[RuleResult]:
    for kind, finder, what in (
        ("start", lambda f: _tags(f, "-c"), "PMF nametag"),
        ("register", lambda f: _hareg_services(f), "data service name"),
    ):
        seen: dict[str, str] = {}
        for f in _methods(ctx, kind):
            for n, tag in finder(f):
                key = tag.lower()
                if key in seen and seen[key] != os.path.dirname(f.path):
                    yield (f"{what} {tag!r} is also used in {seen[key] or '.'}: each site needs "
                           "its own", f.path, n)
                seen.setdefault(key, os.path.dirname(f.path))


def _rule_same_tag(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "start"):
        start_tags = {t for _n, t in _tags(f, "-c")}
        folder = os.path.dirname(f.path)
        for g in _methods(ctx, "stop"):
            if os.path.dirname(g.path) != folder:
                continue
            for n, tag in _tags(g, "-q") + _tags(g, "-s"):
                if start_tags and tag not in start_tags:
                    yield (f"nametag {tag!r} differs from the start method's "
                           f"{sorted(start_tags)} ({f.path})", g.path, n)


def _rule_child_level(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, args in invocations(f, "pmfadm"):
            if "-c" not in args:
                continue
            level = args[args.index("-C") + 1] if "-C" in args and args.index("-C") + 1 < len(
                args) else None
            if level != "0":
                yield (f"pmfadm -c without -C 0 (found {level or 'none'}): PMF would also watch "
                       "the JobCenter daemons and miss the watcher's exit", f.path, n)


def _rule_pmf_stop_syntax(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, args in invocations(f, "pmfadm"):
            if "-s" not in args:
                continue
            rest = args[args.index("-s") + 2:]
            if rest[:1] == ["-w"]:
                rest = rest[2:]
            if len(rest) > 1 or (rest and not re.fullmatch(r"[A-Z0-9]+", rest[0])):
                yield (f"pmfadm -s takes a nametag and at most '-w SECONDS' and a signal, not "
                       f"{' '.join(rest)!r}: run the stop command on its own line", f.path, n)


_STOP = re.compile(r"cjcpw\"?\s+-stop\b|\bagent\s+\S+\s+stop\b")


def _rule_stop_command(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "stop"):
        stops = [n for n, t in main_commands(f) if _STOP.search(t)
                 and not re.search(r"\bpmfadm\b", t)]
        if not stops:
            yield ("the stop method does not run the stop command on its own (cjcpw -stop SITE "
                   "or jccluster agent sun22 stop SITE)", f.path, None)


def _hareg_services(f: SourceFile) -> list[tuple[int, str]]:
    return [(n, args[args.index("-r") + 1]) for n, args in invocations(f, "hareg")
            if "-r" in args and args.index("-r") + 1 < len(args)]


def _rule_method_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "register"):
        # without a cluster file: the stop method tells the supervisor (cjcpw -stop, or ours)
        stops = _methods(ctx, "stop_net")
        ours = bool(stops) and all(" agent sun22 stop" in m.text for m in stops)
        stop = stop_budget(ctx.cluster or ("jccluster" if ours else "cjcpw"))
        for n, args in invocations(f, "hareg"):
            if "-r" not in args:
                continue
            timeouts: dict[str, str] = {}
            if "-t" in args and args.index("-t") + 1 < len(args):
                for item in args[args.index("-t") + 1].split(","):
                    k, _, v = item.partition("=")
                    timeouts[k] = v
            for method in ("STOP_NET", "ABORT_NET"):
                value = timeouts.get(method)
                if value is None or not value.isdigit() or int(value) < stop + STOP_MARGIN:
                    yield (f"{method} timeout {value or 'unset'}: the stop's budget is {stop} s "
                           "(under cjcpw twice JobCenter's 2-minute stop, which no deadline "
                           "bounds) plus "
                           f"{STOP_MARGIN} s (set -t {method}={stop + STOP_MARGIN} or more)",
                           f.path, n)


def _rule_pmf_action(ctx: CheckContext) -> Iterator[RuleResult]:
    actions: set[str] = set()
    for f in _methods(ctx, "start"):
        for n, args in invocations(f, "pmfadm"):
            if "-c" not in args:
                continue
            if "-a" not in args or args.index("-a") + 1 >= len(args):
                yield ("pmfadm -c without -a ACTION: when the watcher exits nothing acts on it, "
                       "the site stays down and the logical host is never given up", f.path, n)
            else:
                actions.add(os.path.basename(args[args.index("-a") + 1].split()[0]))
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if os.path.basename(f.path) not in actions:
            continue
        body = main_commands(f)
        if not any(re.search(r"\bhactl\b.*\s-g\b", t) for _n, t in body):
            yield ("the PMF action program does not give the logical host up (hactl -g -s "
                   "SERVICE -l LOGHOST)", f.path, None)
        for n, code in literal_exits(f):
            if code == 0:
                yield ("the PMF action program exits 0: PMF would restart the watcher in place, "
                       "without nqsportkpr, instead of failing over", f.path, n)


def _rule_abort_unconditional(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "register"):
        for n, args in invocations(f, "hareg"):
            if "-r" not in args or "-m" not in args or args.index("-m") + 1 >= len(args):
                continue
            methods = dict(item.partition("=")[::2]
                           for item in args[args.index("-m") + 1].split(","))
            abort, stop = methods.get("ABORT_NET"), methods.get("STOP_NET")
            if not abort:
                yield ("hareg -r registers no ABORT_NET method: an aborting node would leave "
                       "the site running", f.path, n)
            elif abort == stop:
                yield ("ABORT_NET is the STOP_NET script, which stops the site only for a "
                       "logical host in its second argument: give ABORT_NET its own script "
                       "that stops unconditionally", f.path, n)
    for f in _methods(ctx, "abort"):
        for n, text in command_lines(f.lines):
            if re.search(r"\$\{?2\b|\$\{?#", text):
                yield ("ABORT_NET must stop the site whatever its arguments: do not test $2",
                       f.path, n)
        if not any(_STOP.search(t) for _n, t in main_commands(f)):
            yield ("the ABORT_NET method does not stop the site", f.path, None)


_METHOD_SCRIPT = re.compile(r"(^|/)(start|stop|abort|register|watcher)[^/]*\.sh$")


_MAN = "JobCenter manual §4.14"
_PMF = "pmfadm(1M)"


def _rule_stop_verifies(ctx: CheckContext) -> Iterator[RuleResult]:
    yield from stop_status_decides(ctx.files_of(("sh", "ksh", "bash")))


RULES = [
    Rule("SUN22-PMF-EXIT-STATUS", "pmfadm -q is tested by its exit status (not its output, "
         "not through an assignment with a space after '=')",
         _MAN + " (sample bugs); " + _PMF + " EXIT STATUS; Sun Cluster 3.1 Data Services "
         "Developer's Guide, Stopping the Monitor With Update", _rule_pmf_exit_status),
    Rule("SUN22-PORTKEEPER-FIRST", "nqsportkpr (keep-port) runs before the watcher is "
         "started", _MAN + "; §4.12.5 (nqsportkpr must run first)", _rule_keep_port_first),
    Rule("SUN22-UNIQUE-ID", "every site has its own PMF nametag and data service name",
         _PMF + " (nametag); Sun Cluster 2.2 API Developer's Guide, Registering a Data "
         "Service", _rule_unique_ids),
    Rule("SUN22-SAME-TAG", "start and stop methods use the same nametag",
         _MAN + " (JobService in both scripts)", _rule_same_tag),
    Rule("SUN22-PMF-CHILD-LEVEL", "pmfadm -c watches the watcher alone (-C 0)",
         _MAN + " (pmfadm -c JobService -C 0); " + _PMF + " -C", _rule_child_level),
    Rule("SUN22-PMF-STOP-SYNTAX", "pmfadm -s takes a nametag and at most -w and a "
         "signal; the stop command runs separately",
         _PMF + " (-s nametag [-w timeout] [signal]); " + _MAN + " (sample bug)",
         _rule_pmf_stop_syntax),
    Rule("SUN22-STOP-COMMAND", "the stop method stops the site (cjcpw -stop / agent "
         "stop)", _MAN + " (stop script)", _rule_stop_command),
    Rule("SUN22-METHOD-TIMEOUT", "the STOP_NET/ABORT_NET timeout covers the stop",
         "hareg(1M) -t; manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine stop "
         "deadline", _rule_method_timeout),
    Rule("SUN22-PMF-ACTION", "pmfadm -c names an action program (-a) that gives the "
         "logical host up when the watcher exits, and exits non-zero",
         _PMF + " -a (without it a dead watcher is never acted on); Sun Cluster 2.2 "
         "hactl -g", _rule_pmf_action),
    Rule("SUN22-ABORT-UNCONDITIONAL", "ABORT_NET is its own method that stops the site "
         "whatever its arguments", "Sun Cluster 2.2 API Developer's Guide (ABORT "
         "methods); " + _MAN + " (stop script)", _rule_abort_unconditional),
    Rule("SUN22-STOP-VERIFIES", "STOP_NET/ABORT_NET fail only while something of the site "
         "still runs, never on cjcpw -stop's exit status alone",
         "JobCenter manual's samples (Serviceguard ':' before test_return 52, CLUSTERPRO "
         "always exit 0); issue 20", _rule_stop_verifies),
]
