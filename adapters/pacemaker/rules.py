"""`jccluster check` rules for Pacemaker: the agent's embedded meta-data, the site's resource
group as CIB XML, pcs commands or a crm snippet, and the systemd unit, as rendered or as edited
by hand (sources: `.adapter`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from jobcenter_cluster.adapter import Rule, RuleResult, stop_seconds
from jobcenter_cluster.adapters.pacemaker import DEADLINE_FRACTION
from jobcenter_cluster.adapters.pacemaker.adapter import CJCPW_STOP_TIMEOUT_MIN
from jobcenter_cluster.adapters.pacemaker.ocf import AGENT, META_END, PROVIDER, advised_timeout
from jobcenter_cluster.checks import CheckContext, SourceFile


def _agent_files(ctx: CheckContext) -> list[SourceFile]:
    return [f for f in ctx.files if f.language in ("sh", "bash")
            and "<resource-agent" in f.text and META_END in f.text]


def _embedded_meta(f: SourceFile) -> tuple[str, int] | None:
    lines = f.lines
    for i, line in enumerate(lines):
        if META_END in line and "<<" in line:
            for j in range(i + 1, len(lines)):
                if lines[j] == META_END:
                    return "\n".join(lines[i + 1:j]) + "\n", i + 2
    return None


def _rule_metadata(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _agent_files(ctx):
        found = _embedded_meta(f)
        if found is None:
            yield "no meta-data here-document found", f.path, None
            continue
        text, line = found
        try:
            root = ET.fromstring(text.split("\n", 2)[2] if text.startswith("<?xml") else text)
        except ET.ParseError as err:
            yield f"meta-data is not well-formed XML: {err}", f.path, line
            continue
        advised = {a.get("name") for a in root.iter("action")}
        for need in ("start", "stop", "monitor", "meta-data", "validate-all"):
            if need not in advised:
                yield f"meta-data does not advise the {need} action", f.path, line
        names = {p.get("name"): p for p in root.iter("parameter")}
        for need in ("site", "database"):
            if need not in names or names[need].get("required") != "1":
                yield f"meta-data must declare the required parameter {need!r}", f.path, line
        dtd = "/usr/share/resource-agents/ra-api-1.dtd"
        if shutil.which("xmllint") and os.path.exists(dtd):
            proc = subprocess.run(["xmllint", "--noout", "--dtdvalid", dtd, "-"], input=text,
                                  capture_output=True, text=True, timeout=30)
            if proc.returncode != 0:
                msg = (proc.stderr.strip().splitlines() or ["invalid"])[0]
                yield f"meta-data is not valid against ra-api-1.dtd: {msg}", f.path, line


def _site_primitives(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter("primitive")
            if p.get("provider") == PROVIDER and p.get("type") == AGENT]


def _xml_files(ctx: CheckContext) -> Iterator[tuple[SourceFile, ET.Element]]:
    for f in ctx.files_of("xml"):
        try:
            root = ET.fromstring(f.text)
        except ET.ParseError:
            continue
        yield f, root


def _seconds(value: str | None) -> float | None:
    """A Pacemaker time (``150``, ``150s``, ``2min``, ``1h``, ``500ms``) in seconds."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(ms|msec|s|sec|m|min|h|hr)?\s*", value)
    if not m:
        return None
    n = int(m.group(1))
    unit = m.group(2) or "s"
    return n * {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600,
                "hr": 3600}[unit]


def _line_of(f: SourceFile, needle: str) -> int | None:
    for i, line in enumerate(f.lines):
        if needle in line:
            return i + 1
    return None


def _text_ops(f: SourceFile) -> Iterator[tuple[int, str, dict[str, str]]]:
    """``op NAME k=v ...`` clauses of the site resource in pcs/crm text: (line, name, attrs)."""
    text = f.text.replace("\\\n", " ")
    for m in re.finditer(r"ocf:jobcenter:site\b(.*?)(?:\n\s*\n|--group|\Z|\nprimitive|\ngroup)",
                         text, re.S):
        block = m.group(1)
        for op in re.finditer(r"\bop\s+([a-z-]+)((?:\s+[a-z_-]+=\S+)+)", block):
            attrs = dict(re.findall(r"([a-z_-]+)=(\S+)", op.group(2)))
            attrs = {k: v.strip("'\"") for k, v in attrs.items()}
            yield _line_of(f, op.group(0).split()[0] + " " + op.group(1)) or 1, op.group(1), attrs


_DEFINES_SITE = re.compile(r"(?:resource\s+create|^\s*primitive)\s+\S+\s+ocf:jobcenter:site\b",
                           re.M)


def _config_texts(ctx: CheckContext) -> list[SourceFile]:
    """pcs scripts and crm snippets that define a site resource."""
    return [f for f in ctx.files if f.language != "xml" and _DEFINES_SITE.search(f.text)]


def _cjcpw_too_short(secs: float | None) -> str | None:
    """supervisor=cjcpw: what is wrong with a stop timeout of `secs` (nothing bounds cjcpw -stop,
    which takes 1-2 minutes, manual §3.3.7; a stop timeout means fencing)."""
    if secs is None or secs >= CJCPW_STOP_TIMEOUT_MIN:
        return None
    return (f"supervisor=cjcpw: stop timeout {secs:.0f} s leaves cjcpw -stop (1-2 minutes, no "
            "deadline of its own) no margin before Pacemaker fences the node (use at least "
            f"{CJCPW_STOP_TIMEOUT_MIN}s)")


def _rule_stop_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    need = stop_seconds(ctx.cluster)
    for f, root in _xml_files(ctx):
        for prim in _site_primitives(root):
            cjcpw = any(nv.get("name") == "supervisor" and nv.get("value") == "cjcpw"
                        for nv in prim.iter("nvpair"))
            for op in prim.iter("op"):
                if op.get("name") != "stop":
                    continue
                secs = _seconds(op.get("timeout"))
                if cjcpw:
                    why = _cjcpw_too_short(secs)
                    if why:
                        yield f"{prim.get('id')}: {why}", f.path, _line_of(f, 'name="stop"')
                    continue
                if secs is not None and secs * DEADLINE_FRACTION < need:
                    yield (f"{prim.get('id')}: stop timeout {op.get('timeout')} gives the engine "
                           f"{secs * DEADLINE_FRACTION:.0f} s; the site needs {need:.0f} s (use "
                           f"at least {advised_timeout(need)}s)", f.path,
                           _line_of(f, 'name="stop"'))
    for f in _config_texts(ctx):
        cjcpw = re.search(r"\bsupervisor=[\"']?cjcpw\b", f.text) is not None
        for line, name, attrs in _text_ops(f):
            secs = _seconds(attrs.get("timeout"))
            if name == "stop" and cjcpw:
                why = _cjcpw_too_short(secs)
                if why:
                    yield why, f.path, line
                continue
            if name == "stop" and secs is not None and secs * DEADLINE_FRACTION < need:
                yield (f"stop timeout {attrs['timeout']} gives the engine "
                       f"{secs * DEADLINE_FRACTION:.0f} s; the site needs {need:.0f} s (use at "
                       f"least {advised_timeout(need)}s)", f.path, line)


def _rule_site_last(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, root in _xml_files(ctx):
        for group in root.iter("group"):
            members = [p for p in group if p.tag == "primitive"]
            for i, prim in enumerate(members):
                if prim in _site_primitives(group) and i != len(members) - 1:
                    yield (f"group {group.get('id')}: {prim.get('id')} must be the last member "
                           f"(after {', '.join(str(p.get('id')) for p in members[i + 1:])})",
                           f.path, _line_of(f, f'id="{prim.get("id")}"'))
    for f in ctx.files:
        for i, line in enumerate(f.lines):
            m = re.match(r"^\s*group\s+(\S+)\s+(.*)$", line)
            if m and f.language == "text":
                words = [w for w in m.group(2).split() if w != "\\" and "=" not in w
                         and w != "meta"]
                sites = [w for w in words if w.endswith("-site")]
                if sites and words[-1] not in sites:
                    yield (f"group {m.group(1)}: {sites[0]} must be the last member", f.path,
                           i + 1)


def _rule_monitor(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, root in _xml_files(ctx):
        for prim in _site_primitives(root):
            ok = any(op.get("name") == "monitor" and (_seconds(op.get("interval")) or 0) > 0
                     for op in prim.iter("op"))
            if not ok:
                yield (f"{prim.get('id')}: no recurring monitor operation: a failed site would "
                       "never be noticed", f.path, _line_of(f, f'id="{prim.get("id")}"'))
    for f in _config_texts(ctx):
        ops = list(_text_ops(f))
        if not any(name == "monitor" and (_seconds(a.get("interval")) or 0) > 0
                   for _, name, a in ops):
            yield ("the site resource has no recurring monitor operation (op monitor "
                   "interval=...)", f.path, _line_of(f, "ocf:jobcenter:site"))


def _rule_shared_disk(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, root in _xml_files(ctx):
        for group in root.iter("group"):
            if not _site_primitives(group):
                continue
            if not any(p.get("type") == "Filesystem" for p in group.iter("primitive")):
                yield (f"group {group.get('id')} has no Filesystem resource: make sure the "
                       "shared disk holding the database is mounted by other means (set "
                       "[site.pacemaker] fs_device to have it rendered)", f.path, None)


def _rule_systemd(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if not f.path.endswith(".service"):
            continue
        keys: dict[str, tuple[int, str]] = {}
        for i, line in enumerate(f.lines):
            m = re.match(r"^\s*([A-Za-z]+)\s*=\s*(.*)$", line)
            if m:
                keys[m.group(1)] = (i + 1, m.group(2).strip())
        restart = keys.get("Restart", (None, ""))[1]
        if restart not in ("on-failure", "on-abnormal", "always"):
            yield ("Restart= must be on-failure (the watcher exits abnormally when a daemon dies)",
                   f.path, keys.get("Restart", (None, ""))[0])
        if "ExecStop" not in keys or not re.search(r"(site\s+stop|cjcpw\S*\s+-stop)\b",
                                                   keys["ExecStop"][1]):
            yield ("ExecStop= must stop the site (jccluster site stop SITE / cjcpw -stop SITE): "
                   "it also cleans up after a watcher that died", f.path,
                   keys.get("ExecStop", (None, ""))[0])
        need = stop_seconds(ctx.cluster)
        tss = _seconds(keys.get("TimeoutStopSec", (None, None))[1])
        if re.search(r"cjcpw\S*\s+-stop\b", keys.get("ExecStop", (None, ""))[1]):
            # cjcpw -stop has no deadline of its own: a wide margin, as for Pacemaker's stop
            if tss is None or tss < CJCPW_STOP_TIMEOUT_MIN:
                yield (f"TimeoutStopSec= must be at least {CJCPW_STOP_TIMEOUT_MIN} s with "
                       "cjcpw -stop (1-2 minutes, manual §3.3.7, no deadline of its own)",
                       f.path, keys.get("TimeoutStopSec", (None, ""))[0])
        elif tss is None or tss < need:
            yield (f"TimeoutStopSec= must be at least the stop deadline ({need:.0f} s)", f.path,
                   keys.get("TimeoutStopSec", (None, ""))[0])


_PA = "Pacemaker Administration, Resource Agents"
RULES = [
    Rule("PCMK-METADATA", "the agent's embedded meta-data is valid against ra-api-1.dtd "
         "and advises start, stop, monitor, meta-data and validate-all",
         "OCF RA API 1.0 (ra-api-1.dtd); " + _PA + " (required actions); ocf-tester",
         _rule_metadata),
    Rule("PCMK-STOP-TIMEOUT", "the site's stop timeout leaves the engine its stop "
         "deadline; with supervisor=cjcpw (no deadline behind cjcpw -stop) it is at least "
         f"{CJCPW_STOP_TIMEOUT_MIN} s (a stop that times out gets the node fenced)",
         "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine DEFAULT_STOP_TIMEOUT; "
         + _PA + " (stop must not report success until fully stopped)", _rule_stop_timeout),
    Rule("PCMK-SITE-LAST", "the site is the last member of its group, after the "
         "floating address and the shared disk", "manual §2.10.4 (nqsportkpr first on "
         "the site address; the database on the mounted shared disk); Pacemaker "
         "Explained, Groups (members start in order)", _rule_site_last),
    Rule("PCMK-MONITOR", "the site has a recurring monitor operation (Pacemaker learns of "
         "a failed site only from it)", _PA + " (monitor action); SPEC §5",
         _rule_monitor),
    Rule("PCMK-SHARED-DISK", "the group mounts the shared disk (Filesystem) before the "
         "site", "manual §2 terms (the shared disk is mounted only on the node running "
         "the package)", _rule_shared_disk, severity="warning"),
    Rule("PCMK-SYSTEMD", "the systemd unit restarts a failed site and stops it with the "
         "engine", "systemd.service(5) (Restart=, ExecStop=, TimeoutStopSec=)",
         _rule_systemd),
]
