"""`jccluster check` rules for CLUSTERPRO / EXPRESSCLUSTER for Windows: the group scripts
(start.bat, stop.bat, the patch scripts) and resolv.def, as rendered or as edited by hand
(sources: `.adapter`)."""

from __future__ import annotations

import ntpath
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from jobcenter_cluster.adapter import Rule, RuleResult
from jobcenter_cluster.adapters.clusterpro_windows import SPEC
from jobcenter_cluster.adapters.clusterpro_windows.adapter import (
    SOURCE_MANUAL,
    check_watch_id,
    default_watch_id,
)
from jobcenter_cluster.checks import CheckContext, SourceFile, batch_label_body, command_lines
from jobcenter_cluster.model import check_account

# --------------------------------------------------------------------------- batch parsing

_OPTS_WITH_VALUE = {"/U", "/WINDOW", "/R", "/H", "/WAIT", "/INT", "/PL", "/PRI", "/CMD"}


#: one word of a batch command line: quoted runs (blanks inside them too) and other non-blanks
_BAT_WORD = re.compile(r'(?:"[^"]*"?|[^ \t"])+')


def bat_tokens(text: str) -> list[str]:
    """Split a batch command line into words: blanks (space, tab) outside double quotes
    separate them; the quotes group and are removed."""
    return [w.replace('"', "") for w in _BAT_WORD.findall(text)]


def command_name(word: str) -> str:
    """``"C:\\x\\cjcpw.exe"`` -> ``cjcpw`` (lower case)."""
    base = ntpath.basename(word).lower()
    return base[:-4] if base.endswith((".exe", ".bat", ".cmd", ".com")) else base


@dataclass
class ArmLoad:
    """One parsed ARMLoad line: watch ID, options, the program and its arguments."""

    watch_id: str
    opts: dict[str, str | None] = field(default_factory=dict)
    program: str = ""
    args: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, words: list[str]) -> ArmLoad:
        opts: dict[str, str | None] = {}
        i = 2
        while i < len(words) and words[i].startswith("/"):
            opt = words[i].upper()
            if opt in _OPTS_WITH_VALUE and i + 1 < len(words):
                opts[opt] = words[i + 1]
                i += 2
            else:
                opts[opt] = None
                i += 1
        return cls(words[1] if len(words) > 1 else "", opts,
                   words[i] if i < len(words) else "", words[i + 1:])

    @property
    def monitored(self) -> bool:
        return "/M" in self.opts

    def starts_unwatched(self) -> bool:
        """Whether the program starts the site without watching (-c, or our start verb)."""
        prog = command_name(self.program)
        if prog == "cjcpw":
            return "-c" in self.args
        if prog == "jccluster" and len(self.args) >= 3 and self.args[0] == "agent":
            return self.args[2] == "start"
        return False


def parse_line(text: str) -> tuple[str, list[str]]:
    words = bat_tokens(text)
    return (command_name(words[0]) if words else "", words)


def _commands(f: SourceFile) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, command name, words)`` of each command of a batch file."""
    for n, text in command_lines(f.lines):
        yield n, *parse_line(text)


def _bats(ctx: CheckContext, name: str) -> list[SourceFile]:
    return [f for f in ctx.files_of("bat") if os.path.basename(f.path).lower() == name]


def _armloads(f: SourceFile) -> Iterator[tuple[int, ArmLoad]]:
    for n, cmd, words in _commands(f):
        if cmd == "armload":
            yield n, ArmLoad.parse(words)


def _paths(f: SourceFile) -> list[tuple[str, list[tuple[int, str]]]]:
    """The label bodies of a script (its event paths); the whole file when it has no labels."""
    labels = [m.group(1) for line in f.lines
              if (m := re.match(r"^\s*:([A-Za-z_][A-Za-z0-9_]*)\s*$", line))]
    out = []
    for label in labels:
        body = batch_label_body(f, label)
        if body:
            out.append((label, body))
    if not labels:
        out.append(("(file)", list(command_lines(f.lines))))
    return out


def _is_stop(cmd: str, words: list[str]) -> bool:
    if cmd == "cjcpw":
        return "-stop" in words[1:]
    return cmd == "jccluster" and len(words) > 3 and words[1] == "agent" and words[3] == "stop"


def _rule_unique_watch_id(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is not None and ctx.adapter is None and ctx.cluster.windows:
        # the adapter refused the file (e.g. a duplicate): find duplicates from the raw tables
        seen: dict[str, str] = {}
        for site in ctx.cluster.sites:
            raw = site.adapter_options.get(SPEC.name, {}).get("watch_id")
            wid = raw if isinstance(raw, str) else default_watch_id(ctx.cluster, site)
            if wid.upper() in seen:
                yield (f"site {site.name}: watch ID {wid!r} is also used by {seen[wid.upper()]}",
                       ctx.cluster.source, None)
            seen.setdefault(wid.upper(), f"site {site.name}")
    owners: dict[str, str] = {}
    for f in _bats(ctx, "start.bat"):
        ids: dict[str, tuple[int, str]] = {}
        for n, load in _armloads(f):
            ids.setdefault(load.watch_id.upper(), (n, load.watch_id))
        for key, (n, wid) in ids.items():
            if key in owners:
                yield (f"watch ID {wid!r} is also loaded by {owners[key]} (one watch ID per site)",
                       f.path, n)
            else:
                owners[key] = f.path


def _rule_valid_watch_id(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of("bat"):
        for n, cmd, words in _commands(f):
            if cmd in ("armload", "armloadc", "armkill") and len(words) > 1:
                why = check_watch_id(words[1])
                if why:
                    yield f"{words[0]}: {why}", f.path, n


def _rule_watch_id_match(ctx: CheckContext) -> Iterator[RuleResult]:
    for start in _bats(ctx, "start.bat"):
        folder = os.path.dirname(start.path)
        loaded = {load.watch_id.upper() for _, load in _armloads(start)}
        if not loaded:
            continue
        for f in ctx.files_of("bat"):
            if os.path.dirname(f.path) != folder or f is start:
                continue
            for n, cmd, words in _commands(f):
                if cmd in ("armloadc", "armkill") and len(words) > 1 \
                        and words[1].upper() not in loaded:
                    yield (f"{words[0]} {words[1]}: start.bat loads {', '.join(sorted(loaded))}; "
                           "pause and kill the same watch ID", f.path, n)


def _rule_stop_order(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _bats(ctx, "stop.bat"):
        for label, body in _paths(f):
            steps: list[tuple[str, int]] = []
            for n, text in body:
                cmd, words = parse_line(text)
                upper = [w.upper() for w in words]
                if cmd == "armloadc" and "/W" in upper and "PAUSE" in upper:
                    steps.append(("pause", n))
                elif _is_stop(cmd, words):
                    steps.append(("stop", n))
                elif cmd == "armkill":
                    steps.append(("kill", n))
            if not steps:
                continue
            kinds = [k for k, _ in steps]
            if kinds != ["pause", "stop", "kill"]:
                yield (f":{label}: the stop must run ARMLoadC ID /W PAUSE, then the stop command, "
                       f"then ARMKILL ID (found: {', '.join(kinds)})", f.path, steps[0][1])
    for f in _bats(ctx, "patch-stop.bat"):
        kinds = []
        first = None
        for n, cmd, words in _commands(f):
            if cmd == "armloadc":
                kinds.append("pause")
            elif _is_stop(cmd, words):
                kinds.append("stop")
            else:
                continue
            first = first or n
        if "pause" in kinds and kinds != ["pause", "stop"]:
            yield (f"the patch stop must pause the watch before stopping (found: "
                   f"{', '.join(kinds)})", f.path, first)


def _rule_stop_verify(ctx: CheckContext) -> Iterator[RuleResult]:
    """A stop path that fails on ``cjcpw -stop``'s exit status must first ask cjcls whether the
    site still runs (issue 20: the status alone must never block the failover)."""
    for f in _bats(ctx, "stop.bat"):
        for label, body in _paths(f):
            stop_at = None
            for n, text in body:
                cmd, words = parse_line(text)
                if cmd == "cjcpw" and _is_stop(cmd, words):
                    stop_at = n
            if stop_at is None:
                continue
            after = [(n, t) for n, t in body if n > stop_at]
            fails = next((n for n, t in after if re.search(r"(?i)\bERRORLEVEL\b", t)), None)
            asks = any(re.search(r"(?i)cjcls", t) for _, t in after)
            if fails is not None and not asks:
                yield (f":{label}: the stop fails on cjcpw -stop's exit status alone; ask cjcls "
                       "whether the site's nqsdaemon still runs and fail only then (a failed "
                       "stop blocks the failover)", f.path, fails)


def _rule_no_armkill_c(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of("bat"):
        for n, cmd, words in _commands(f):
            if cmd == "armkill" and any(w.upper() == "/C" for w in words[1:]):
                yield ("ARMKILL ... /C cancels the watch and leaks Windows resources; pause with "
                       "ARMLoadC ID /W PAUSE, stop, then ARMKILL ID", f.path, n)


def _rule_no_c_monitored(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of("bat"):
        for n, load in _armloads(f):
            if load.monitored and load.starts_unwatched():
                yield (f"ARMLoad {load.watch_id} /M watches a program that starts the site "
                       "without watching (-c) and returns at once: ARM would see it end; drop -c "
                       "(or /M for the unmonitored variant)", f.path, n)


def _rule_cjcinit_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _bats(ctx, "start.bat"):
        for label, body in _paths(f):
            init_seen = False
            for n, text in body:
                cmd, _ = parse_line(text)
                if cmd == "cjcinit":
                    init_seen = True
                elif cmd == "armload":
                    if not init_seen:
                        yield (f":{label}: ARMLoad runs before cjcinit DB (rebuild the database "
                               "first: cjcinit DB > NUL)", f.path, n)
                    break


_DISK = re.compile(r'(?i)^if\s+"%(ARMS|CLP)_DISK%"\s*==\s*"FAILURE"\s+goto\s+\S+')


def _rule_disk_check(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _bats(ctx, "start.bat") + _bats(ctx, "stop.bat"):
        for label, body in _paths(f):
            checked = False
            for n, text in body:
                cmd, _ = parse_line(text)
                if _DISK.match(text):
                    checked = True
                elif cmd in ("armload", "armloadc", "cjcinit") and not checked:
                    yield (f":{label}: {cmd} runs without checking the disk first "
                           "(IF \"%ARMS_DISK%\" == \"FAILURE\" GOTO ERROR_DISK)", f.path, n)
                    break


def _rule_account(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of("bat"):
        for n, load in _armloads(f):
            user = load.opts.get("/U")
            if user:
                why = check_account(user)
                if why and ("\\" in user or "@" in user):
                    yield f"ARMLoad /U {why}", f.path, n
            if command_name(load.program) == "cjcpw" and "-u" in load.args:
                i = load.args.index("-u")
                account = load.args[i + 1] if i + 1 < len(load.args) else ""
                if "\\" in account or "@" in account:
                    yield (f"cjcpw -u {account!r} has a domain part (give the account name "
                           "alone)", f.path, n)
                if user and account.lower() != user.lower():
                    yield (f"ARMLoad /U {user} but cjcpw -u {account}: run cjcpw as the JobCenter "
                           "administrator it is told about", f.path, n)


def _rule_patch_start(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _bats(ctx, "patch-start.bat"):
        order: list[tuple[str, int]] = []
        for n, cmd, words in _commands(f):
            upper = [w.upper() for w in words]
            if cmd == "cjccopy":
                order.append(("cjccopy", n))
            elif cmd == "armloadc" and "CONTINUE" in upper:
                order.append(("continue", n))
            elif cmd == "cjcpw" and "-stop" not in words or (
                    cmd == "jccluster" and len(words) > 3 and words[3] in ("start", "watch")):
                order.append(("start", n))
        kinds = [k for k, _ in order]
        wanted = [k for k in ("cjccopy", "start", "continue") if k in kinds]
        if "cjccopy" not in kinds or "start" not in kinds or kinds != wanted:
            yield (f"patch-start.bat must run cjccopy SITE DB, then start the site, then resume "
                   f"the watch (found: {', '.join(kinds) or 'nothing'})", f.path,
                   order[0][1] if order else None)
        if "continue" in kinds and not any(
                re.search(r"(?i)restart", ln) and re.search(r"(?i)group", ln)
                for ln in f.lines if re.match(r"(?i)\s*@?echo\b", ln)):
            yield ("after the patch the site runs without its watched program (the /M watcher "
                   "ended at patch-stop): patch-start.bat must tell the operator to restart the "
                   "group to bring monitoring back", f.path, order[-1][1])


#: the local JobCenter SV services, in the order the manual stops them (§3.2.2.1, §3.2.6.3 ②).
LOCAL_SERVICES = ("Sclaunch Service", "ComAgent Service", "jnwengine Service", "NetShepherd")


def _rule_patch_standby(ctx: CheckContext) -> Iterator[RuleResult]:
    standby = _bats(ctx, "patch-standby.bat")
    starts = _bats(ctx, "patch-start.bat")
    if starts and not standby:
        yield ("no patch-standby.bat: the standby node (SV2) must be patched too, with NQS_SITE "
               "unset and the local services stopped (manual §3.2.6.3)", starts[0].path, None)
    for f in standby:
        code = [t for _n, t in command_lines(f.lines)]
        if not any(re.match(r'(?i)if\s+(not\s+)?(defined\s+NQS_SITE\b|"%NQS_SITE%")', t)
                   for t in code):
            yield "patch-standby.bat does not check that NQS_SITE is unset", f.path, None
        stopped = []
        for n, cmd, words in _commands(f):
            if cmd == "net" and len(words) > 2 and words[1].lower() == "stop":
                stopped.append((words[2], n))
        names = [w for w, _ in stopped]
        if names != list(LOCAL_SERVICES):
            yield (f"patch-standby.bat must stop the local services in the manual's order "
                   f"({', '.join(LOCAL_SERVICES)}); found: {', '.join(names) or 'none'}",
                   f.path, stopped[0][1] if stopped else None)


def _rule_resolv_names(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path).lower() != "resolv.def":
            continue
        names: dict[str, set[str]] = {}
        first: dict[str, int] = {}
        for n, text in enumerate(f.lines, 1):
            words = text.split("#", 1)[0].split()
            if len(words) >= 2:
                names.setdefault(words[0], set()).update(w.lower() for w in words[1:])
                first.setdefault(words[0], n)
        wanted: dict[str, set[str]] = {}
        if ctx.cluster is not None:
            hosts = [(h.name, h.address) for h in ctx.cluster.nodes]
            hosts += [(s.name, s.address) for s in ctx.cluster.sites]
            for name, address in hosts:
                wanted.setdefault(address, set()).update(
                    {name.lower(), name.split(".")[0].lower()})
        for addr, have in names.items():
            for name in list(have):
                if "." in name and not name.replace(".", "").isdigit():
                    wanted.setdefault(addr, set()).update({name, name.split(".")[0]})
        for addr, want in sorted(wanted.items()):
            missing = sorted(want - names.get(addr, set()))
            if missing:
                yield (f"{addr}: resolv.def lacks {', '.join(missing)} (list every address with "
                       "its full name and its computer name)", f.path, first.get(addr))


RULES: list[Rule] = [
    Rule("CPW-WATCHID-UNIQUE", "every site has its own ARMLoad watch ID (in the cluster "
         "file and across the start.bat files)", SOURCE_MANUAL + " (no two ARMLoad with "
         "the same watchID in a cluster)", _rule_unique_watch_id),
    Rule("CPW-WATCHID-VALID", "watch IDs are 1-255 letters, digits or '_', not NEC_...",
         "ExpressCluster SRE Installation & Configuration Guide ch. 8 (ARMLOAD watchID)",
         _rule_valid_watch_id),
    Rule("CPW-WATCHID-MATCH", "stop.bat pauses and kills the watch ID start.bat loads",
         SOURCE_MANUAL + " ②", _rule_watch_id_match),
    Rule("CPW-STOP-ORDER", "stop paths run ARMLoadC ID /W PAUSE, then the stop, then "
         "ARMKILL ID", SOURCE_MANUAL + " ② (pause the watch, stop, then ARMKILL)",
         _rule_stop_order),
    Rule("CPW-STOP-VERIFY", "a stop path fails on cjcpw -stop's exit status only after "
         "cjcls shows the site still running", "JobCenter manual §3.3.7 (the CLUSTERPRO "
         "Linux sample's stop always exits 0), §2.10.5 (cjcls: DAEMON-PID or SHUT); issue 20",
         _rule_stop_verify),
    Rule("CPW-NO-ARMKILL-C", "ARMKILL is never given /C", SOURCE_MANUAL + " ② (ARMKILL "
         "/C leaks Windows resources until ARMLoad fails after repeated failovers)",
         _rule_no_armkill_c),
    Rule("CPW-NO-C-MONITORED", "a monitored start (ARMLoad /M) does not start the site "
         "without watching (-c)", SOURCE_MANUAL + " ① (/M with cjcpw; -c only without "
         "monitoring)", _rule_no_c_monitored),
    Rule("CPW-CJCINIT-FIRST", "every start path runs cjcinit DB before ARMLoad",
         SOURCE_MANUAL + " ① (rebuild the database, then start)", _rule_cjcinit_first),
    Rule("CPW-DISK-CHECK", "every start/stop path checks the disk (…_DISK == FAILURE) "
         "before touching JobCenter", SOURCE_MANUAL + " ④ (script samples)",
         _rule_disk_check),
    Rule("CPW-ACCOUNT", "ARMLoad /U and cjcpw -u name the same account, without a "
         "domain part", "JobCenter manual §3.2.2.4 (cjcpw notes: account name only, no "
         "domain)", _rule_account),
    Rule("CPW-PATCH-START", "patch-start.bat rebuilds the engine (cjccopy), starts the "
         "site, then resumes the watch, and tells the operator to restart the group to "
         "bring monitoring back", "JobCenter manual §3.2.6.2 ⑦-⑧ (prose order: start, "
         "then resume the watch)", _rule_patch_start),
    Rule("CPW-PATCH-STANDBY", "the standby node's patch steps are there: NQS_SITE "
         "unset, the local services stopped in the manual's order",
         "JobCenter manual §3.2.6.3 ①-②", _rule_patch_standby),
    Rule("CPW-RESOLV-NAMES", "resolv.def lists every address with its full name and "
         "its computer name", "JobCenter manual §3.2.2 (computer names), §5.2 (full "
         "names)", _rule_resolv_names),
]
