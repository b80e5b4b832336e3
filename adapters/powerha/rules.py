"""`jccluster check` rules for PowerHA SystemMirror: the clmgr script and the start, stop and
monitor scripts, as rendered or as edited by hand (sources: `.adapter`)."""

from __future__ import annotations

import difflib
import os
import re
import shlex
from collections.abc import Iterator
from typing import Any

from jobcenter_cluster.adapter import CJCPW_STOP_SECONDS, Rule, RuleResult
from jobcenter_cluster.adapters.powerha.adapter import (
    DEFAULT_MAX_EVENT_TIME,
    MONITOR_ATTRS,
    PHA_NAME,
    PowerHaAdapter,
    pha_name,
)
from jobcenter_cluster.checks import (
    CheckContext,
    SourceFile,
    first_real_command,
    keep_port_not_first,
    shell_function_body,
    stop_status_decides,
)
from jobcenter_cluster.engine.api import DEFAULT_STOP_TIMEOUT


def parse_clmgr(f: SourceFile) -> list[tuple[int, str, str, str, dict[str, str]]]:
    """``(line, action, class, name, {ATTR: value})`` for every ``clmgr`` line of a script."""
    out = []
    for i, line in enumerate(f.text.split("\n")):
        s = line.strip(" \t")
        if not s.startswith("clmgr "):
            continue
        try:
            words = shlex.split(s, comments=True)
        except ValueError:
            continue
        args = words[1:]
        if len(args) < 2:
            continue
        action, klass = args[0].lower(), args[1].lower()
        rest = args[2:]
        name = rest[0] if rest and "=" not in rest[0] else ""
        attrs: dict[str, str] = {}
        for w in rest[1:] if name else rest:
            key, _, value = w.partition("=")
            attrs[key.upper()] = value
        out.append((i + 1, action, klass, name, attrs))
    return out


def _clmgr_files(ctx: CheckContext) -> Iterator[tuple[SourceFile, list[Any]]]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        calls = parse_clmgr(f)
        if calls:
            yield f, calls


def _adds(calls: list[Any], klass: str) -> list[Any]:
    return [c for c in calls if c[1] == "add" and c[2] == klass]


def _script(ctx: CheckContext, path: str) -> SourceFile | None:
    base = os.path.basename(path)
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if os.path.basename(f.path) == base:
            return f
    return None


def _rule_monitor_custom(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        monitors = _adds(calls, "application_monitor")
        folder = os.path.dirname(f.path)
        monitor_files = [g for g in ctx.files_of(("sh", "ksh", "bash"))
                         if os.path.dirname(g.path) == folder and g.path.endswith("-monitor.sh")]
        if monitor_files and not monitors:
            yield ("no application monitor: PowerHA would not notice the site failing (add "
                   "clmgr add application_monitor ... TYPE=Custom MONITORMETHOD=...)", f.path,
                   None)
        for line, _a, _k, name, attrs in monitors:
            if attrs.get("TYPE", "").lower() != "custom":
                yield (f"application monitor {name}: TYPE={attrs.get('TYPE', '')!r}; use "
                       "TYPE=Custom with the site's monitor script (a process monitor cannot "
                       "tell which site a daemon belongs to)", f.path, line)
            method = attrs.get("MONITORMETHOD", "")
            if not method:
                yield (f"application monitor {name}: MONITORMETHOD is missing", f.path, line)
            elif isinstance(ctx.adapter, PowerHaAdapter) and method not in {
                    ctx.adapter.paths(s)["monitor"] for s in ctx.adapter.sites}:
                yield (f"application monitor {name}: MONITORMETHOD {method} is not the site's "
                       "monitor script as installed ([powerha] script_dir)", f.path, line)
            elif ctx.files_of(("sh", "ksh", "bash")) and _script(ctx, method) is None:
                yield (f"application monitor {name}: MONITORMETHOD {method} is not the site's "
                       "monitor script", f.path, line)


def _rule_script_paths(ctx: CheckContext) -> Iterator[RuleResult]:
    keys = {"application_controller": ("STARTSCRIPT", "STOPSCRIPT"),
            "application_monitor": ("MONITORMETHOD", "CLEANUPMETHOD", "RESTARTMETHOD")}
    for f, calls in _clmgr_files(ctx):
        for line, action, klass, name, attrs in calls:
            if action != "add" or klass not in keys:
                continue
            for key in keys[klass]:
                value = attrs.get(key)
                if value is not None and (not value.startswith("/") or re.search(r"\s", value)):
                    yield (f"{klass} {name}: {key}={value!r} must be an absolute path without "
                           "arguments (PowerHA passes none)", f.path, line)


_FOREGROUND_CJCPW = re.compile(r"(^|[\s/])cjcpw\s+(?!-c\b|-stop\b)")


def _start_scripts(ctx: CheckContext) -> Iterator[SourceFile]:
    found = False
    for _f, calls in _clmgr_files(ctx):
        for _line, _a, _k, _n, attrs in _adds(calls, "application_controller"):
            s = _script(ctx, attrs.get("STARTSCRIPT", ""))
            if s is not None:
                found = True
                yield s
    if not found:
        yield from (f for f in ctx.files_of(("sh", "ksh", "bash")) if f.path.endswith("-start.sh"))


def _rule_start_returns(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _start_scripts(ctx):
        for n, line in enumerate(f.lines, 1):
            code = line.split("#", 1)[0].strip()
            if not code:
                continue
            if _FOREGROUND_CJCPW.search(code) and not code.endswith("&"):
                yield ("the watcher (cjcpw SITE DB) runs in the foreground: the start script "
                       "never returns and PowerHA's event hangs; run it in the background "
                       "(nohup ... &)", f.path, n)
            if re.search(r"\bagent\s+\S+\s+(watch|service)\b", code):
                yield ("jccluster agent ... watch runs in the foreground; use agent powerha "
                       "start (background watcher)", f.path, n)


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _start_scripts(ctx):
        body = shell_function_body(f, "start_site")
        if body is None:
            yield ("no start_site function: cannot see the start path", f.path, None)
            continue
        first = first_real_command(body, skip=lambda t: t.startswith("return"))
        finding = keep_port_not_first(first, f.path, "start_site")
        if finding:
            yield finding


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    limit = (ctx.adapter.options["max_event_time"] if ctx.adapter is not None
             else DEFAULT_MAX_EVENT_TIME)
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if not f.path.endswith("-stop.sh"):
            continue
        for n, line in enumerate(f.lines, 1):
            code = line.split("#", 1)[0]
            deadline = None
            m = re.search(r"\bagent\s+\S+\s+stop\b.*?--timeout[= ](\d+)", code)
            if m:
                deadline = int(m.group(1))
            elif re.search(r"\bagent\s+\S+\s+stop\b", code):  # the engine's default deadline
                deadline = int(DEFAULT_STOP_TIMEOUT)
            elif re.search(r"cjcpw\s+-stop\b", code):
                deadline = CJCPW_STOP_SECONDS
            if deadline is not None and deadline >= limit:
                yield (f"the stop may take {deadline} s, not less than the cluster's event "
                       f"duration ({limit} s): PowerHA raises config_too_long during a normal "
                       "stop; raise MAX_EVENT_TIME (and [powerha] max_event_time) or lower the "
                       "deadline", f.path, n)


def _rule_references(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        controllers = {c[3] for c in _adds(calls, "application_controller")}
        in_groups: set[str] = set()
        for line, _a, _k, name, attrs in _adds(calls, "resource_group"):
            apps = [a for a in attrs.get("APPLICATIONS", "").split(",") if a]
            in_groups.update(apps)
            for a in apps:
                if a not in controllers:
                    yield (f"resource group {name}: APPLICATIONS names {a}, which this script "
                           "does not add", f.path, line)
        for c in _adds(calls, "application_controller"):
            if c[3] not in in_groups:
                yield (f"application controller {c[3]} is in no resource group (add it with "
                       "APPLICATIONS=)", f.path, c[0])
        for line, _a, _k, name, attrs in _adds(calls, "application_monitor"):
            for a in [a for a in attrs.get("APPLICATIONS", "").split(",") if a]:
                if a not in controllers:
                    yield (f"application monitor {name} watches {a}, which this script does not "
                           "add", f.path, line)
        last_add = max((c[0] for c in calls if c[1] == "add"), default=0)
        if not any(c[1] == "sync" and c[2] == "cluster" and c[0] > last_add for c in calls):
            yield ("no 'clmgr sync cluster' after the changes: the other nodes never see them",
                   f.path, None)


def _rule_names(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        for line, action, klass, name, _attrs in calls:
            if action == "add" and klass in ("application_controller", "application_monitor",
                                              "resource_group") and not PHA_NAME.match(name):
                yield f"{klass} name {name!r}: {pha_name(name)}", f.path, line


def _rule_nodes(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is None:
        return
    full = ctx.adapter is not None and ctx.adapter.options.get("node_names") == "full"
    want = [n.name if full else n.short_name for n in ctx.cluster.nodes]
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "resource_group"):
            have = [n for n in attrs.get("NODES", "").split(",") if n]
            if sorted(have) != sorted(want):
                yield (f"resource group {name}: NODES {have} differ from the cluster file's "
                       f"nodes {want}", f.path, line)


_STORAGE_NONE = re.compile(r'^\s*#\s*storage\s*=\s*"none"\s*:\s*\S')


def _rule_storage(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        opted_out = any(_STORAGE_NONE.match(line) for line in f.lines)
        for line, _a, _k, name, attrs in _adds(calls, "resource_group"):
            if not attrs.get("VOLUME_GROUP") and not opted_out:
                yield (f"resource group {name}: no VOLUME_GROUP: PowerHA starts JobCenter "
                       "without its shared disk (set [site.powerha] volume_group, or storage = "
                       '"none" with storage_reason, rendered as # storage = "none": REASON)',
                       f.path, line)


def _rule_startup_foreground(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "application_controller"):
            mode = attrs.get("STARTUP_MODE", "")
            if mode.lower() != "foreground":
                yield (f"application controller {name}: STARTUP_MODE={mode or '(unset)'}; "
                       "use STARTUP_MODE=foreground: in background mode PowerHA ignores the "
                       "start script's exit status, so a failed start is never seen", f.path,
                       line)


def _rule_monitor_attrs(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "application_monitor"):
            for key in attrs:
                if key not in MONITOR_ATTRS:
                    near = difflib.get_close_matches(key, MONITOR_ATTRS, n=1)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    yield (f"application monitor {name}: unknown attribute {key}{hint}; the "
                           f"adapter uses {', '.join(MONITOR_ATTRS)}", f.path, line)


#: a hand-edited MONITORINTERVAL above this is reported (issue 15: a custom monitor is the only
#: way PowerHA learns of a failed site, so its interval is the site's outage before recovery).
MONITOR_INTERVAL_WARN = 60


def _rule_monitor_interval(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, calls in _clmgr_files(ctx):
        for line, _a, _k, name, attrs in _adds(calls, "application_monitor"):
            value = attrs.get("MONITORINTERVAL", "")
            if value.isdigit() and int(value) > MONITOR_INTERVAL_WARN:
                yield (f"application monitor {name}: MONITORINTERVAL={value}: a failed site "
                       f"waits up to {value} s before PowerHA acts; use {MONITOR_INTERVAL_WARN} "
                       "or less (the rendered default is 10)", f.path, line)


_CLMGR = "PowerHA SystemMirror 7.2, clmgr command"
_MONITOR = "PowerHA SystemMirror 7.2, Configuring a custom application monitor"


def _rule_stop_verifies(ctx: CheckContext) -> Iterator[RuleResult]:
    yield from stop_status_decides(ctx.files_of(("sh", "ksh", "bash")))


RULES = [
    Rule("PHA-MONITOR-CUSTOM", "a monitored site has a Custom application monitor "
         "whose method is the site's monitor script", _MONITOR, _rule_monitor_custom),
    Rule("PHA-SCRIPT-PATHS", "start, stop and monitor scripts are absolute paths "
         "without arguments", "PowerHA application controller and monitor fields "
         "(\"You cannot specify arguments\")", _rule_script_paths),
    Rule("PHA-START-RETURNS", "the start script returns: the watcher runs in the "
         "background, never in the foreground", "PowerHA application controller "
         "scripts; JobCenter manual §3.3 (cjcpw stays in the foreground)",
         _rule_start_returns),
    Rule("PHA-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
         "start script", "JobCenter manual §2.10.4 (nqsportkpr must run first)",
         _rule_keep_port_first),
    Rule("PHA-STOP-TIMEOUT", "the stop deadline is shorter than the cluster's event "
         "duration", "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); PowerHA "
         "config_too_long (Max. Event-only Duration)", _rule_stop_timeout),
    Rule("PHA-REFERENCES", "the resource group holds the application controller, the "
         "monitor watches it, and the script ends with clmgr sync cluster", _CLMGR,
         _rule_references),
    Rule("PHA-NAMES", "PowerHA object names are 1-64 letters, digits and _",
         "PowerHA application controller and monitor fields", _rule_names),
    Rule("PHA-NODES", "the resource group's NODES are the cluster file's nodes",
         "cluster file", _rule_nodes),
    Rule("PHA-STORAGE", "the resource group holds the shared volume group, or the "
         "script says why not (# storage = \"none\": REASON)",
         "JobCenter manual §2 terms (the database lives on the shared disk)",
         _rule_storage),
    Rule("PHA-STARTUP-FOREGROUND", "the application controller starts in the foreground "
         "(STARTUP_MODE=foreground), so a failed start script is seen",
         "PowerHA application controller startup mode (background ignores the start "
         "script's exit status); attribute name unverified", _rule_startup_foreground),
    Rule("PHA-MONITOR-ATTRS", "application_monitor uses only the attribute names the "
         "adapter renders (a misspelt one is not the monitor setting you meant)",
         "PowerHA custom application monitor fields; clmgr attribute names unverified "
         "(docs/adapters/powerha.md)", _rule_monitor_attrs),
    Rule("PHA-MONITOR-INTERVAL", f"the custom monitor runs at least every "
         f"{MONITOR_INTERVAL_WARN} s (a failed site waits up to MONITORINTERVAL before "
         "PowerHA acts)", "PowerHA SystemMirror 7.2, Monitor modes (long-running custom "
         "monitors are called periodically, every Monitor Interval)",
         _rule_monitor_interval, severity="warning"),

    Rule("PHA-STOP-VERIFIES", "the stop script (also the cleanup method) fails only while "
         "something of the site still runs, never on cjcpw -stop's exit status alone",
         "PowerHA application controller stop script (a failed stop leaves the resource "
         "group in ERROR for manual recovery); JobCenter manual's samples (Serviceguard "
         "':' before test_return 52)", _rule_stop_verifies),
]
