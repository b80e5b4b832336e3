"""`jccluster check` rules for Serviceguard: legacy configuration and control script, modular
package file and external script, as rendered or as edited by hand (sources: `.adapter`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from jobcenter_cluster import checks
from jobcenter_cluster.adapter import Rule, RuleResult, stop_budget, stop_seconds
from jobcenter_cluster.adapters.serviceguard.adapter import (
    SG_DIRS,
    ServiceGuardAdapter,
)
from jobcenter_cluster.checks import CJCPW_STOP, CheckContext, SourceFile

_CONF_LINE = re.compile(r"^\s*([A-Za-z_]+)(\[\d+\])?\s*(=\s*|\s+)(.*?)\s*$")


def _conf_values(f: SourceFile, key: str) -> list[tuple[int, str]]:
    """Values of `key` in a Serviceguard configuration or control script (case-insensitive)."""
    out = []
    for i, line in enumerate(f.lines):
        if line.lstrip().startswith("#"):
            continue
        m = _CONF_LINE.match(line)
        if m and m.group(1).lower() == key.lower():
            out.append((i + 1, m.group(4).strip().strip('"')))
    return out


def _start_paths(ctx: CheckContext) -> Iterator[tuple[SourceFile, list[tuple[int, str]], str]]:
    for f in ctx.files_of(("ksh", "sh", "bash")):
        for func in ("customer_defined_run_cmds", "start_command"):
            body = checks.shell_function_body(f, func)
            if body is not None:
                yield f, [(n, re.sub(r"^run\s+", "", t)) for n, t in body], func


def _monitored(ctx: CheckContext, f: SourceFile) -> bool:
    """Whether the package of `f` (same directory) runs the watcher as a service."""
    folder = os.path.dirname(f.path)
    site_dir = os.path.dirname(folder)
    for g in ctx.files:
        if os.path.dirname(os.path.dirname(g.path)) != site_dir and os.path.dirname(g.path) != folder:
            continue
        if _conf_values(g, "SERVICE_NAME") or _conf_values(g, "service_name"):
            return True
    return False


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, body, func in _start_paths(ctx):
        first = checks.first_real_command(
            body, skip=lambda t: t.startswith(("test_return", "return")))
        finding = checks.keep_port_not_first(first, f.path, func)
        if finding:
            yield finding


_NO_WATCH = re.compile(r"cjcpw(\.exe)?\"?\s+(\S+\s+)*-c\b|\bagent\s+serviceguard\s+start\b")


def _rule_no_c_when_monitored(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, body, func in _start_paths(ctx):
        if not _monitored(ctx, f):
            continue
        for n, text in body:
            if _NO_WATCH.search(text):
                yield (f"{func}: the package runs the watcher as a service, so the start path must "
                       "not also start the site without watching (-c)", f.path, n)


_STOP = re.compile(r"cjcpw(\.exe)?\"?\s+-stop\b|\bagent\s+serviceguard\s+stop\b")


def _rule_stop_in_halt(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("ksh", "sh", "bash")):
        for func in ("customer_defined_halt_cmds", "stop_command"):
            body = checks.shell_function_body(f, func)
            if body is not None and not any(_STOP.search(t) for _, t in body):
                yield (f"{func}: does not stop the site (add the stop command: cjcpw -stop SITE "
                       "or jccluster agent serviceguard stop SITE)", f.path, body[0][0] if body
                       else None)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _rule_halt_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    stop = stop_seconds(ctx.cluster)
    # without a cluster file: the rendered commands tell the supervisor (our agent, or cjcpw)
    ours = any(" agent serviceguard " in f.text for f in ctx.files)
    budget = stop_budget(ctx.cluster or ("jccluster" if ours else "cjcpw"))
    for f in ctx.files_of("conf"):
        services = [(_int(v), n) for n, v in _conf_values(f, "service_halt_timeout")]
        halts = [(_int(v), n) for n, v in _conf_values(f, "halt_script_timeout")]
        total = sum(v or 0 for v, _ in services)
        for value, n in services:
            if value is not None and value < stop:
                yield (f"service_halt_timeout {value} s is shorter than the stop ({stop} s): "
                       f"the watcher may be killed before the site stops", f.path, n)
        for value, n in halts:
            if value is not None and value <= total + budget:
                yield (f"halt_script_timeout {value} s must exceed the service halt timeouts "
                       f"({total} s) plus the stop's budget ({budget} s; under cjcpw twice "
                       "JobCenter's 2-minute stop, which no deadline bounds)", f.path, n)


def _rule_storage(ctx: CheckContext) -> Iterator[RuleResult]:
    """A package that mounts nothing starts JobCenter without its disk, unless the file says
    why (storage = "none")."""
    for f in ctx.files:
        if f.path.endswith(".cntl-customer-section"):
            mounts = any(re.match(r"\s*LV\[0\]=", ln) for ln in f.lines)
        elif f.path.endswith(".conf") and any(re.match(r"\s*package_name\s", ln)
                                               for ln in f.lines):
            mounts = any(re.match(r"\s*fs_name\s+\S", ln) for ln in f.lines)
        else:
            continue
        if not mounts and not any(ln.startswith('# storage = "none": ') for ln in f.lines):
            yield ("the package mounts no storage: Serviceguard would start JobCenter without "
                   "its shared disk (set fs_name, or storage = \"none\" with storage_reason)",
                   f.path, None)


def _rule_halt_verifies(ctx: CheckContext) -> Iterator[RuleResult]:
    """cjcpw -stop's exit status alone never fails the halt: the manual's sample puts ':'
    before test_return 52, and a failed halt disables the package everywhere; the rendered
    files judge what is left instead (jobcenter_stopped)."""
    for f in ctx.files:
        if not (f.path.endswith(".cntl-customer-section") or f.path.endswith(".sh")):
            continue
        lines = f.lines
        for i, line in enumerate(lines):
            text = line.strip()
            if text.startswith("#") or not CJCPW_STOP.search(text):
                continue
            after = next((ln.strip() for ln in lines[i + 1:]
                          if ln.strip() and not ln.strip().startswith("#")), "")
            if re.search(r"\|\|\s*(return|exit)\b", text) or after.startswith("test_return"):
                yield ("cjcpw -stop's exit status fails the halt: after a crash it blocks the "
                       "failover; judge what is left of the site instead (jobcenter_stopped)",
                       f.path, i + 1)


def _rule_service_match(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of("ksh"):
        control = {v for _, v in _conf_values(f, "SERVICE_NAME")}
        if not control:
            continue
        folder = os.path.dirname(f.path)
        for g in ctx.files_of("conf"):
            if os.path.dirname(g.path) != folder:
                continue
            conf = _conf_values(g, "SERVICE_NAME")
            names = {v for _, v in conf}
            if names and names != control:
                yield (f"SERVICE_NAME {sorted(names)} differs from the control script's "
                       f"{sorted(control)} ({f.path})", g.path, conf[0][0])


def _rule_absolute(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        for key in ("SERVICE_CMD", "service_cmd"):
            for n, value in _conf_values(f, key):
                if value and not value.startswith("/"):
                    yield (f"{key} {value!r} must start with an absolute path", f.path, n)


_MODULE_PARAMS = {  # a parameter of the modular file -> the module that defines it
    "package_type": "sg/failover", "node_name": "sg/basic", "ip_subnet": "sg/package_ip",
    "ip_address": "sg/package_ip", "service_name": "sg/service", "service_cmd": "sg/service",
    "vg": "sg/volume_group", "fs_name": "sg/filesystem", "fs_directory": "sg/filesystem",
    "external_script": "sg/external",
}


def _modular_confs(ctx: CheckContext) -> list[SourceFile]:
    """Modular package files: parameters in lower case (legacy files use upper case)."""
    return [f for f in ctx.files_of("conf") if _conf_values(f, "package_name")
            and any(re.match(r"^\s*package_name\b", line) for line in f.lines)]


def _rule_modules(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _modular_confs(ctx):
        lines = [(n, t) for n, t in enumerate(f.lines, 1) if t.strip()
                 and not t.lstrip().startswith("#")]
        have: set[str] = set()
        for i, (n, t) in enumerate(lines):
            m = re.match(r"^\s*module_name\s+(\S+)", t)
            if not m:
                continue
            have.add(m.group(1))
            nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
            if not re.match(r"^\s*module_version\s+\d+\s*$", nxt):
                yield (f"module_name {m.group(1)} is not followed by its module_version (copy "
                       "both lines from cmmakepkg's output; do not change them)", f.path, n)
        for key, module in _MODULE_PARAMS.items():
            found = _conf_values(f, key)
            if found and module not in have:
                yield (f"{key} needs module_name {module} (and its module_version), as "
                       f"cmmakepkg -m {module} writes them", f.path, found[0][0])


_SCRIPT_KEYS = ("external_script", "external_pre_script", "RUN_SCRIPT", "HALT_SCRIPT")


def _rule_conf_dir(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is None:
        return
    if isinstance(ctx.adapter, ServiceGuardAdapter):
        want = ctx.adapter.dirs()[0].rstrip("/") + "/"
    elif ctx.cluster.product.name == "jobcenter-hpux":
        want = SG_DIRS["hpux"][0] + "/"
    else:
        want = None
    for f in ctx.files_of("conf"):
        for key in _SCRIPT_KEYS:
            for n, value in _conf_values(f, key):
                if want is not None and not value.startswith(want):
                    yield (f"{key} {value} is not under the nodes' $SGCONF ({want[:-1]})",
                           f.path, n)
                elif want is None and value.startswith("/etc/cmcluster/"):
                    yield (f"{key} {value}: /etc/cmcluster is HP-UX's $SGCONF; on Linux it is "
                           "/usr/local/cmcluster/conf (Red Hat) or /opt/cmcluster/conf (SUSE)",
                           f.path, n)


_SOURCE_UTILS = re.compile(r'^\.\s+"?\$\{?SG_UTILS\}?"?\s*(\|\||&&|;|$)')


def _rule_utils_sourced(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if checks.shell_function_body(f, "start_command") is None:
            continue  # not an external script
        depth = 0
        ok = False
        for line in f.lines:
            code = line.split("#", 1)[0].strip()
            if re.match(r"^if\b.*-z\s+\"?\$\{?SG_UTILS", code):
                depth += 1  # sourcing inside "if SG_UTILS is unset" never runs under SG
                continue
            if depth and re.match(r"^fi\b", code):
                depth -= 1
                continue
            if not depth and _SOURCE_UTILS.match(code):
                ok = True
        if not ok:
            yield ('the external script never sources Serviceguard\'s utils.sh: add '
                   '. "$SG_UTILS" outside any "if [ -z "$SG_UTILS" ]" (Serviceguard sets '
                   "SG_UTILS, so a guarded source never runs and sg_log is missing)", f.path,
                   None)


def _rule_subnet(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is None:
        return
    for site in ctx.cluster.sites:
        if site.subnet is None:
            continue
        for f in ctx.files:
            if not f.path.startswith(site.short_name + "/"):
                continue
            for key in ("ip_subnet", "SUBNET"):
                for n, value in _conf_values(f, key):
                    value = value.strip("'\"")
                    if value and value != site.subnet:
                        yield (f"{key} {value} is not {site.address}'s network under the "
                               f"cluster file's netmask {site.netmask} ({site.subnet})", f.path, n)


_BOOTSTRAP = (
    ("local_daemon", "the local daemon setting (local_daemon=SITE or OFF, §2.10.2 / §2.11.5)"),
    ("dummy", "a first package run with only the IP, the disk and a dummy service (§2.11.2)"),
    ("cjcmksite", "creating the site database (cjcmksite, §2.10.3 / §2.11.6)"),
    ("cjcpw -stop", "starting and stopping the site by hand (cjcpw, cjcpw -stop, §2.11.6)"),
    ("cmhaltpkg", "halting the package before the JobCenter lines are added (§2.11.6)"),
    ("cmapplyconf", "applying the package with the JobCenter lines (§2.10.4 / §2.11.7)"),
)


def _rule_apply_bootstrap(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path) != "APPLY.txt":
            continue
        text = f.text
        pos = 0
        for marker, what in _BOOTSTRAP:
            i = text.find(marker, pos)
            if i < 0:
                yield (f"APPLY.txt misses, or has out of the manual's order, {what}", f.path, None)
                break
            pos = i + len(marker)


_MANUAL = "JobCenter manual §2.10.4, §2.11.7"
RULES = [
    Rule("SG-PORTKEEPER-FIRST", "nqsportkpr (keep-port) is the first command of every "
         "start path", _MANUAL + " (nqsportkpr must run first)", _rule_keep_port_first),
    Rule("SG-NO-C-MONITORED", "a monitored package does not start the site with -c "
         "(no-watch) as well", _MANUAL + " (cjcpw as a service vs as a command)",
         _rule_no_c_when_monitored),
    Rule("SG-STOP-IN-HALT", "the halt path stops the site (cjcpw -stop / agent stop)",
 _MANUAL + " (customer_defined_halt_cmds kills leftovers)", _rule_stop_in_halt),
    Rule("SG-HALT-TIMEOUT", "halt timeouts are longer than the stop deadline",
         "Managing Serviceguard (halt_script_timeout > sum of service_halt_timeout); "
         "manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine stop deadline",
         _rule_halt_timeout),
    Rule("SG-STORAGE", "the package mounts the shared disk (fs_name), or says why not "
         '(storage = "none")', "manual §2 terms (the shared disk is mounted only on the node "
         "running the package); Managing Serviceguard (fs_name, LV/FS)", _rule_storage,
         severity="warning"),
    Rule("SG-HALT-VERIFIES", "cjcpw -stop's exit status alone never fails the halt; the "
         "halt fails only while something of the site still runs", _MANUAL + " (its sample "
         "puts ':' before test_return 52); Managing Serviceguard (a failed halt script "
         "disables package switching)", _rule_halt_verifies),
    Rule("SG-SERVICE-MATCH", "the legacy configuration and control script name the same "
         "service", "Managing Serviceguard, Configuring a Legacy Package",
         _rule_service_match),
    Rule("SG-ABSOLUTE-COMMAND", "service commands are absolute paths",
         "Managing Serviceguard, service_cmd (no PATH is passed)", _rule_absolute),
    Rule("SG-MODULES", "the modular package file names (module_name + module_version) "
         "every module whose parameters it uses", "Managing Serviceguard, Package "
         "Parameter Explanations (module_name, module_version: \"Do not change it\"); "
         "cmmakepkg -m", _rule_modules),
    Rule("SG-CONF-DIR", "package files live in the nodes' $SGCONF (HP-UX /etc/cmcluster; "
         "Linux /usr/local/cmcluster/conf or /opt/cmcluster/conf)", "Managing HP "
         "Serviceguard for Linux (Understanding the Location of Serviceguard Files)",
         _rule_conf_dir),
    Rule("SG-UTILS-SOURCED", "the external script sources Serviceguard's utils.sh "
         "($SG_UTILS) unconditionally, as HP's template does", "Managing Serviceguard, "
         "About External Scripts ($SGCONF/examples/external_script.template)",
         _rule_utils_sourced),
    Rule("SG-SUBNET", "SUBNET / ip_subnet is the site address's network under the "
         "cluster file's netmask", "Managing Serviceguard (ip_subnet); cluster file "
         "[[site]] netmask", _rule_subnet),
    Rule("SG-APPLY-BOOTSTRAP", "APPLY.txt follows the manual: local_daemon, a package "
         "with a dummy service, cjcmksite, cjcpw by hand, halt, then the JobCenter lines",
         "JobCenter manual §2.10.1-2.10.4, §2.11.2-2.11.7", _rule_apply_bootstrap),
]
