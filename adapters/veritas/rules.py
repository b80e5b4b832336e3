"""`jccluster check` rules for Veritas Cluster Server: main.cf (parsed by `.maincf`), the
site script and the ``ha*`` command script, as rendered or as edited by hand (sources:
`.adapter`)."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from typing import Any

from jobcenter_cluster import checks
from jobcenter_cluster.adapter import Rule, RuleResult, stop_budget
from jobcenter_cluster.adapters.veritas import maincf
from jobcenter_cluster.adapters.veritas.adapter import (
    VCS_DEFAULT_CLEAN_TIMEOUT,
    VCS_DEFAULT_OFFLINE_TIMEOUT,
    WORD,
    default_group,
    unescape_ha_value,
)
from jobcenter_cluster.checks import CJCPW_STOP, CheckContext, SourceFile, stop_status_decides
from jobcenter_cluster.model import Site, check_netmask, normal_netmask


def _maincfs(ctx: CheckContext) -> Iterator[tuple[SourceFile, maincf.MainCf]]:
    for f in ctx.files_of("maincf"):
        try:
            yield f, maincf.parse(f.text)
        except maincf.MainCfError:
            continue


def _apps(ctx: CheckContext) -> Iterator[tuple[SourceFile, maincf.Group, maincf.Resource]]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            for r in g.of_type("Application"):
                yield f, g, r


def _rule_syntax(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of("maincf"):
        try:
            maincf.parse(f.text)
        except maincf.MainCfError as err:
            yield f"main.cf syntax: {err}", f.path, err.line


def _rule_app_programs(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _g, r in _apps(ctx):
        for key in ("StartProgram", "StopProgram", "CleanProgram"):
            if not r.get(key):
                yield (f"{r.name}: {key} is missing (the Application agent needs it to "
                       f"{'start' if key == 'StartProgram' else 'stop'} the site)", f.path,
                       r.line)
        if not (r.get("MonitorProgram") or r.get("PidFiles") or r.get("MonitorProcesses")):
            yield (f"{r.name}: no MonitorProgram, PidFiles or MonitorProcesses: VCS cannot tell "
                   "whether the site runs", f.path, r.line)


def _program_lines(r: maincf.Resource) -> Iterator[tuple[str, str, int]]:
    for key in ("StartProgram", "StopProgram", "CleanProgram", "MonitorProgram"):
        a = r.attrs.get(key)
        if a is not None and isinstance(a.value, str) and a.value:
            yield key, a.value, a.line


def _rule_program_absolute(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _g, r in _apps(ctx):
        for key, value, line in _program_lines(r):
            words = value.split()
            if not words or not words[0].startswith("/"):
                yield (f"{r.name}: {key} {value!r} must start with the complete path of the "
                       "executable", f.path, line)
            elif any(not WORD.match(w) for w in words):
                yield (f"{r.name}: {key} {value!r} holds quotes or shell characters; VCS splits "
                       "the line on spaces and passes no shell quoting (put the command in a "
                       "script)", f.path, line)


_FOREGROUND_CJCPW = re.compile(r"(^|/)cjcpw$")


def _is_foreground_watcher(words: list[str]) -> bool:
    if not words:
        return False
    if _FOREGROUND_CJCPW.search(words[0]):
        return not any(w in ("-c", "-stop") for w in words[1:])
    return len(words) > 3 and words[1] == "agent" and words[3] in ("watch", "service")


def _rule_start_returns(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _g, r in _apps(ctx):
        for key, value, line in _program_lines(r):
            if key in ("StartProgram", "MonitorProgram") and _is_foreground_watcher(value.split()):
                yield (f"{r.name}: {key} {value!r} runs the watcher in the foreground and never "
                       "returns (VCS times the program out and faults the resource); start it "
                       "in the background (jccluster agent veritas online, or the site script)",
                       f.path, line)


def _rule_monitor_agent(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _g, r in _apps(ctx):
        a = r.attrs.get("MonitorProgram")
        if a is None or not isinstance(a.value, str):
            continue
        words = a.value.split()
        ours = (len(words) >= 5 and words[1:4] == ["agent", "veritas", "monitor"]) or (
            len(words) == 2 and words[1] == "monitor" and os.path.basename(words[0])
            .startswith("jobcenter-"))
        if not ours:
            yield (f"{r.name}: MonitorProgram {a.value!r} is neither 'jccluster agent veritas "
                   "monitor SITE' nor the site script's monitor (both exit 110 online, 100 "
                   "offline)", f.path, a.line)


def _script_for(ctx: CheckContext, program: str) -> SourceFile | None:
    base = os.path.basename(program.split()[0]) if program.split() else ""
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if os.path.basename(f.path) == base:
            return f
    return None


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _g, r in _apps(ctx):
        a = r.attrs.get("StartProgram")
        if a is None or not isinstance(a.value, str) or not a.value.split():
            continue
        script = _script_for(ctx, a.value)
        if script is None:
            if not os.path.basename(a.value.split()[0]).startswith("jobcenter-"):
                yield (f"{r.name}: StartProgram {a.value!r} does not run nqsportkpr first; use "
                       "the site script (jobcenter-SITE.sh start), which does", f.path, a.line)
            continue
        body = checks.shell_function_body(script, "do_start")
        if body is None:
            yield ("no do_start function: cannot see the start path", script.path, None)
            continue
        first = checks.first_real_command(body, skip=lambda t: t.startswith("return"))
        finding = checks.keep_port_not_first(first, script.path, "do_start")
        if finding:
            yield finding


def _need(f: SourceFile, g: maincf.Group, parents: list[maincf.Resource], ctype: str, why: str
          ) -> Iterator[RuleResult]:
    children = g.of_type(ctype)
    for p in parents:
        if children and not any(g.requires(p.name, c.name) for c in children):
            yield (f"{g.name}: {p.name} does not require a {ctype} resource ({why}); add: "
                   f"{p.name} requires {children[0].name}", f.path, p.line)


def _rule_requires(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            apps = g.of_type("Application")
            if not apps:
                continue
            if not g.of_type("IP"):
                for a in apps:
                    yield (f"{g.name}: no IP resource for the site address ({a.name} must "
                           "require it)", f.path, a.line)
            yield from _need(f, g, apps, "IP", "the site must start after its address is up")
            yield from _need(f, g, apps, "Mount", "the database must be mounted first")
            yield from _need(f, g, g.of_type("IP"), "NIC", "the address needs its interface")
            yield from _need(f, g, g.of_type("Mount"), "Volume",
                             "the file system lives on the volume")
            yield from _need(f, g, g.of_type("Volume"), "DiskGroup",
                             "the volume lives in the disk group")


def _rule_autostart(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            systems = g.get("SystemList")
            auto = g.get("AutoStartList")
            if auto is None:
                continue
            known = set(systems) if isinstance(systems, dict | list) else set()
            extra = [s for s in (auto if isinstance(auto, list) else [auto]) if s not in known]
            if extra:
                a = g.attrs["AutoStartList"]
                yield (f"{g.name}: AutoStartList names {', '.join(map(str, extra))}, not in "
                       "SystemList",
                       f.path, a.line)


def _rule_nodes(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is None:
        return
    full = ctx.adapter is not None and ctx.adapter.options.get("system_names") == "full"
    want = {n.name if full else n.short_name for n in ctx.cluster.nodes}
    groups = {_site_group_name(ctx, s) for s in ctx.cluster.sites}
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            if g.name not in groups:
                continue
            systems = g.get("SystemList")
            have = set(systems) if isinstance(systems, dict | list) else set()
            if have != want:
                line = g.attrs["SystemList"].line if "SystemList" in g.attrs else g.line
                yield (f"{g.name}: SystemList {sorted(have)} differs from the cluster file's "
                       f"nodes {sorted(want)}", f.path, line)


def _int_attr(r: maincf.Resource, key: str, default: int) -> tuple[int | None, int]:
    a = r.attrs.get(key)
    if a is None:
        return default, r.line
    return (int(a.value) if isinstance(a.value, str) and a.value.isdigit() else None), a.line


def _rule_timeouts(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, _g, r in _apps(ctx):
        # without a cluster file: the program lines tell the supervisor (our agent's verbs, or
        # the site script that runs cjcpw)
        prog = r.attrs.get("StopProgram")
        ours = prog is not None and " agent veritas " in str(prog.value)
        stop = stop_budget(ctx.cluster or ("jccluster" if ours else "cjcpw"))
        for key, default in (("OfflineTimeout", VCS_DEFAULT_OFFLINE_TIMEOUT),
                             ("CleanTimeout", VCS_DEFAULT_CLEAN_TIMEOUT)):
            value, line = _int_attr(r, key, default)
            if value is not None and value <= stop:
                yield (f"{r.name}: {key} {value} s is not longer than the stop's budget "
                       f"({stop} s; under cjcpw twice JobCenter's 2-minute stop, which no "
                       "deadline bounds): VCS gives up before the site is stopped"
                       + ("" if key in r.attrs else f" (VCS's default is {default} s; set "
                          f"{key} = {stop + 60})"), f.path, line)


def parse_command_script(text: str) -> dict[str, dict[str, Any]]:
    """The groups an ``ha*`` command script creates, in the shape of `maincf.flatten` values:
    ``{group: {"attrs": {name: [words]}, "resources": {name: (type, {attr: [words]})},
    "links": {(parent, child)}}}``."""
    groups: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for line in text.split("\n"):  # not splitlines(): a value may hold U+0085 or U+2028
        s = line.strip(" \t")
        if not s.startswith(("hagrp ", "hares ")):
            continue
        try:
            words = shlex.split(s, comments=True)
        except ValueError:
            continue
        cmd, args = words[0], words[1:]
        if len(args) < 2:
            continue
        op = args[0]
        if cmd == "hagrp" and op == "-add":
            groups.setdefault(args[1], {"attrs": {}, "resources": {}, "links": set()})
        elif cmd == "hagrp" and op == "-modify" and args[1] in groups and len(args) >= 3:
            groups[args[1]]["attrs"][args[2]] = [unescape_ha_value(w) for w in args[3:]]
        elif cmd == "hares" and op == "-add" and len(args) >= 4 and args[3] in groups:
            groups[args[3]]["resources"][args[1]] = (args[2], {})
            owner[args[1]] = args[3]
        elif cmd == "hares" and op == "-modify" and args[1] in owner and len(args) >= 3:
            if args[2] != "Enabled":
                groups[owner[args[1]]]["resources"][args[1]][1][args[2]] = [
                    unescape_ha_value(w) for w in args[3:]]
        elif cmd == "hares" and op == "-link" and len(args) >= 3 and args[1] in owner:
            groups[owner[args[1]]]["links"].add((args[1], args[2]))
    return groups


def maincf_groups(cf: maincf.MainCf) -> dict[str, dict[str, Any]]:
    """A parsed main.cf in the shape of `parse_command_script`."""
    out: dict[str, dict[str, Any]] = {}
    for g in cf.groups.values():
        out[g.name] = {
            "attrs": {k: maincf.flatten(a.value) for k, a in g.attrs.items()},
            "resources": {r.name: (r.type, {k: maincf.flatten(a.value) for k, a in r.attrs.items()})
                          for r in g.resources.values()},
            "links": {(p, c) for p, c, _ in g.links},
        }
    return out


def _rule_commands_match(ctx: CheckContext) -> Iterator[RuleResult]:
    cfs = [(f, maincf_groups(cf)) for f, cf in _maincfs(ctx)]
    if not cfs:
        return
    for f in ctx.files_of(("sh", "ksh", "bash")):
        script = parse_command_script(f.text)
        for name, g in script.items():
            match = next(((cf_file, groups[name]) for cf_file, groups in cfs if name in groups),
                         None)
            if match is None:
                yield (f"group {name} is created here but is not in main.cf", f.path, None)
                continue
            cf_file, m = match
            if g["attrs"] != m["attrs"]:
                yield (f"group {name}: attributes {g['attrs']} differ from {cf_file.path}'s "
                       f"{m['attrs']}", f.path, None)
            if set(g["resources"]) != set(m["resources"]):
                yield (f"group {name}: resources {sorted(g['resources'])} differ from "
                       f"{cf_file.path}'s {sorted(m['resources'])}", f.path, None)
            for rname in sorted(set(g["resources"]) & set(m["resources"])):
                if g["resources"][rname] != m["resources"][rname]:
                    yield (f"resource {rname}: {g['resources'][rname]} differs from "
                           f"{cf_file.path}'s {m['resources'][rname]}", f.path, None)
            if g["links"] != m["links"]:
                yield (f"group {name}: links {sorted(g['links'])} differ from {cf_file.path}'s "
                       f"{sorted(m['links'])}", f.path, None)


_STORAGE_NONE = re.compile(r'^\s*//\s*storage\s*=\s*"none"\s*:\s*\S')


def _group_text(f: SourceFile, cf: maincf.MainCf, g: maincf.Group) -> list[str]:
    """The lines of `g` in main.cf: from its ``group`` line to the next group's."""
    starts = sorted(x.line for x in cf.groups.values())
    later = [n for n in starts if n > g.line]
    return f.lines[g.line - 1:(later[0] - 1) if later else None]


def _rule_storage(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            if not g.of_type("Application") or g.of_type("Mount"):
                continue
            if any(_STORAGE_NONE.match(line) for line in _group_text(f, cf, g)):
                continue  # the opt-out, with its reason, is written down
            yield (f"{g.name}: no Mount resource: VCS starts JobCenter without mounting its "
                   "shared disk (set [site.veritas] diskgroup and volume, or block_device; or "
                   'storage = "none" with storage_reason, rendered as // storage = "none": '
                   "REASON)", f.path, g.line)


def _rule_dash_value(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, text in checks.command_lines(f.lines):
            if not text.startswith(("hares ", "hagrp ")):
                continue
            try:
                words = shlex.split(text, comments=True)
            except ValueError:
                continue
            if len(words) < 5 or words[1] != "-modify":
                continue
            for w in words[4:]:
                if w.startswith("-"):
                    yield (f"{words[0]} -modify {words[2]} {words[3]}: the value {w!r} begins "
                           f"with '-', which {words[0]} reads as an option; write %{w}", f.path, n)


def _rule_netmask(ctx: CheckContext) -> Iterator[RuleResult]:
    sites = {}
    if ctx.cluster is not None:
        sites = {_site_group_name(ctx, s): s for s in ctx.cluster.sites}
    for f, cf in _maincfs(ctx):
        for g in cf.groups.values():
            for r in g.of_type("IP"):
                a = r.attrs.get("NetMask")
                value = a.value if a is not None else None
                if not isinstance(value, str) or check_netmask(value):
                    yield (f"{r.name}: NetMask {value!r} is missing or not a netmask (VCS would "
                           "use the interface's; write the site's, never a guess)", f.path,
                           a.line if a is not None else r.line)
                    continue
                site = sites.get(g.name)
                if site is not None and site.netmask is not None and \
                        normal_netmask(value) != site.netmask:
                    yield (f"{r.name}: NetMask {value} differs from the cluster file's netmask "
                           f"{site.netmask} of {site.name}", f.path,
                           a.line if a is not None else r.line)


_SUBSHELL = re.compile(r"\$\(")
_BOURNE = ("/bin/sh", "/sbin/sh", "/usr/bin/sh")


def _rule_posix_shell(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is None or ctx.cluster.product.name != "jobcenter-solaris":
        return
    for f in ctx.files_of(("sh", "ksh", "bash")):
        first = f.text.split("\n", 1)[0]
        if not first.startswith("#!"):
            continue
        shell = first[2:].strip().split()[0] if first[2:].strip() else ""
        if shell in _BOURNE and any(_SUBSHELL.search(t) for _, t in checks.command_lines(f.lines)):
            yield (f"#!{shell} is Solaris 10's Bourne shell, which rejects $(...); use "
                   "#!/usr/xpg4/bin/sh", f.path, 1)


def _site_group_name(ctx: CheckContext, site: Site) -> str:
    if ctx.adapter is not None:
        return str(ctx.adapter.site_opts(site)["group"])
    return default_group(ctx.cluster, site)


_APP = "VCS Bundled Agents Reference Guide, Application agent"


def _shell_function(f: SourceFile, name: str) -> list[str]:
    """The body lines of the POSIX shell function `name` (``name() {`` to the ``}`` that closes
    it at the start of a line)."""
    out: list[str] = []
    inside = False
    for line in f.lines:
        if not inside and re.match(rf"^{name}\(\)\s*\{{", line):
            inside = True
        elif inside:
            if line.startswith("}"):
                break
            out.append(line)
    return out


def _rule_half_stopped(ctx: CheckContext) -> Iterator[RuleResult]:
    """supervisor = "cjcpw": the site script marks a stop before cjcpw -stop, and its monitor
    answers ONLINE while the mark is there and something of the site lives, so a half-stopped
    site never reads OFFLINE (VCS would take the offline as done)."""
    for f in ctx.files_of(("sh",)):
        monitor = _shell_function(f, "do_monitor")
        if not any(CJCPW_STOP.search(ln) for ln in f.lines) or not monitor:
            continue  # not the site script of a cjcpw site
        if not any("$STOPMARK" in ln for ln in monitor):
            yield ("the monitor never looks at the stop mark: a half-stopped site (watcher gone, "
                   "a daemon alive) would read OFFLINE", f.path, None)
        for verb in ("do_stop", "do_clean"):
            body = [ln.strip() for ln in _shell_function(f, verb)]
            first_stop = next((i for i, ln in enumerate(body) if CJCPW_STOP.search(ln)), None)
            marked = next((i for i, ln in enumerate(body) if re.search(r'>\s*"\$STOPMARK"', ln)),
                          None)
            if first_stop is not None and (marked is None or marked > first_stop):
                yield (f"{verb} does not write the stop mark before cjcpw -stop: an interrupted "
                       "stop would read OFFLINE", f.path, None)


def _rule_stop_verifies(ctx: CheckContext) -> Iterator[RuleResult]:
    yield from stop_status_decides(ctx.files_of(("sh", "ksh", "bash")))


RULES = [
    Rule("VCS-MAINCF-SYNTAX", "main.cf parses", "VCS Administrator's Guide, main.cf "
         "and attribute data types", _rule_syntax),
    Rule("VCS-APP-PROGRAMS", "the Application resource has StartProgram, StopProgram, "
         "CleanProgram and a monitor method", _APP + " (required and optional "
         "attributes)", _rule_app_programs),
    Rule("VCS-PROGRAM-ABSOLUTE", "program lines start with an absolute path and hold "
         "no shell quoting", _APP + " (complete path; arguments separated by spaces)",
         _rule_program_absolute),
    Rule("VCS-START-RETURNS", "StartProgram and MonitorProgram return: neither runs "
         "the foreground watcher (cjcpw SITE DB)", _APP + " (Online, Monitor entry "
         "points); JobCenter manual §3.3 (cjcpw stays in the foreground)",
         _rule_start_returns),
    Rule("VCS-MONITOR-AGENT", "MonitorProgram is jccluster agent veritas monitor or "
         "the site's monitor script", _APP + " (MonitorProgram: 110 online, 100 offline)",
         _rule_monitor_agent),
    Rule("VCS-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of the "
         "start program", "JobCenter manual §2.10.4 (nqsportkpr must run first)",
         _rule_keep_port_first),
    Rule("VCS-REQUIRES", "resource links: app requires ip and mount, ip requires nic, "
         "mount requires volume, volume requires diskgroup",
         "VCS Administrator's Guide (resource dependencies); JobCenter manual §1 (the "
         "site needs its address and shared disk)", _rule_requires),
    Rule("VCS-AUTOSTART-SUBSET", "AutoStartList is a subset of SystemList",
         "VCS Administrator's Guide (service group attributes)", _rule_autostart),
    Rule("VCS-NODES", "SystemList names exactly the cluster file's nodes",
         "cluster file; llthosts(4)", _rule_nodes),
    Rule("VCS-TIMEOUTS", "OfflineTimeout and CleanTimeout are longer than the stop "
         "deadline", "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine stop "
         "deadline; Application type defaults (OfflineTimeout 300, CleanTimeout 60)",
         _rule_timeouts),
    Rule("VCS-COMMANDS-MATCH", "the ha* command script creates the same group as "
         "main.cf", "VCS Administrator's Guide (administering VCS from the command "
         "line)", _rule_commands_match),
    Rule("VCS-STORAGE", "the group manages the shared disk (a Mount resource the "
         "application requires), or says why not (// storage = \"none\": REASON)",
         "JobCenter manual §2 terms (the database lives on the shared disk); VCS "
         "Bundled Agents Reference Guide (Mount agent)", _rule_storage),
    Rule("VCS-DASH-VALUE", "ha* -modify values that begin with '-' are written %-",
         "VCS command line (hares -modify RES FsckOpt %-y); docs/adapters/veritas.md",
         _rule_dash_value),
    Rule("VCS-NETMASK", "the IP resource has a NetMask, the cluster file's netmask of "
         "the site", "VCS Bundled Agents Reference Guide, IP agent (NetMask); cluster "
         "file [[site]] netmask", _rule_netmask),
    Rule("VCS-POSIX-SHELL", "on Solaris, scripts using $(...) run under /usr/xpg4/bin/sh, "
         "not the Bourne /bin/sh", "Solaris 10 sh(1) (Bourne shell; xpg4 sh is POSIX)",
         _rule_posix_shell),
    Rule("VCS-HALF-STOPPED", "the cjcpw site script marks a stop before cjcpw -stop and its "
         "monitor answers ONLINE while the mark is there and the site lives",
         "Cluster Server 4.1 Agent Developer's Guide (clean_reason 1: the offline entry point "
         "was ineffective); issue 20", _rule_half_stopped),
    Rule("VCS-STOP-VERIFIES", "StopProgram and CleanProgram (site script, cjcpw) fail only "
         "while something of the site still runs, never on cjcpw -stop's exit status alone",
         "Cluster Server 4.1 Agent Developer's Guide (clean: 0 successful, else the group "
         "does not fail over); JobCenter manual's samples (Serviceguard ':' before "
         "test_return 52, CLUSTERPRO always exit 0)", _rule_stop_verifies),
]
