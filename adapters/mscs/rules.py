"""`jccluster check` rules for MSCS / Failover Clustering: the cluster.exe command files and the
PowerShell scripts, as rendered or as edited by hand (sources: `.adapter`)."""

from __future__ import annotations

import ntpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from jobcenter_cluster.adapter import Rule, RuleResult
from jobcenter_cluster.adapters.mscs.adapter import (
    EXTENSION,
    PENDING_TIMEOUT_MIN_MS,
    PENDING_TIMEOUT_MS,
    RESTYPE,
    RESTYPE_DISPLAY,
    RESTYPE_DLL,
    SOURCE_MANUAL,
    MscsAdapter,
    batch_argv,
    crt_split,
)
from jobcenter_cluster.checks import CheckContext, SourceFile, command_lines
from jobcenter_cluster.model import check_netmask, normal_netmask

#: a LooksAlivePollInterval (ms) above this is reported (issue 15): LooksAlive is how the cluster
#: learns that the site failed, so its interval is the site's outage before recovery.
LOOKS_ALIVE_WARN_MS = 5000


# --------------------------------------------------------------------------- script parsing


@dataclass
class Op:
    """One cluster operation found in a .cmd or .ps1 file, normalised.

    `kind`: create-group create-res priv prop adddep moveto delete-res offline-res
    restype-create restype-delete regext unregext regsvr32 unregsvr32."""

    kind: str
    line: int
    obj: str = ""
    args: dict[str, str] = field(default_factory=dict)


def _program(argv: Sequence[str]) -> str:
    """``C:\\WINDOWS\\system32\\cmd.exe /c ...`` -> ``cmd`` ("" for no command)."""
    return ntpath.basename(argv[0]).lower().removesuffix(".exe") if argv else ""


def _cmd_ops(f: SourceFile) -> list[Op]:
    ops: list[Op] = []
    for n, text in command_lines(f.lines):
        try:
            argv = batch_argv(text)
        except IndexError:  # pragma: no cover - unbalanced input
            continue
        if not argv:
            continue
        prog = _program(argv)
        rest = argv[1:]
        if prog == "regsvr32":
            flags = {a.lower() for a in rest}
            ops.append(Op("unregsvr32" if "-u" in flags or "/u" in flags else "regsvr32", n))
            continue
        if prog != "cluster":
            continue
        rest = [a for a in rest if not a.lower().startswith("/cluster:")]
        if not rest:
            continue
        head = rest[0].lower()
        if head.startswith("/regext:"):
            ops.append(Op("regext", n, rest[0].split(":", 1)[1]))
        elif head.startswith("/unregext:"):
            ops.append(Op("unregext", n, rest[0].split(":", 1)[1]))
        elif head in ("restype", "resourcetype") and len(rest) > 2:
            opts = {a.split(":", 1)[0].lower(): (a.split(":", 1)[1] if ":" in a else "")
                    for a in rest[2:]}
            if "/create" in opts:
                ops.append(Op("restype-create", n, rest[1], {"dll": opts.get("/dll", opts.get(
                    "/dllname", "")), "type": opts.get("/type", "")}))
            elif "/delete" in opts:
                ops.append(Op("restype-delete", n, rest[1]))
        elif head == "group" and len(rest) > 2 and rest[2].lower() == "/create":
            ops.append(Op("create-group", n, rest[1]))
        elif head in ("res", "resource") and len(rest) > 2:
            obj, opt = rest[1], rest[2]
            low = opt.lower()
            if low == "/create":
                kv = {a.split(":", 1)[0].lower(): a.split(":", 1)[1] for a in rest[3:] if ":" in a}
                ops.append(Op("create-res", n, obj, {"group": kv.get("/group", ""),
                                                     "type": kv.get("/type", "")}))
            elif low in ("/priv", "/privproperties", "/prop", "/properties"):
                kind = "priv" if low.startswith("/priv") else "prop"
                for pair in rest[3:]:
                    if "=" in pair:
                        k, v = pair.split("=", 1)
                        ops.append(Op(kind, n, obj, {"name": k.split(":")[0], "value": v}))
            elif low.startswith(("/adddep:", "/adddependency:")):
                ops.append(Op("adddep", n, obj, {"provider": opt.split(":", 1)[1]}))
            elif low.startswith(("/moveto:", "/move:")):
                ops.append(Op("moveto", n, obj, {"group": opt.split(":", 1)[1]}))
            elif low == "/delete":
                ops.append(Op("delete-res", n, obj))
            elif low.startswith("/off"):
                ops.append(Op("offline-res", n, obj))
    return ops


_PS_ASSIGN = re.compile(r"^\$(\w+)\s*=\s*'((?:[^']|'')*)'\s*$")
_PS_STR = r"(?:'((?:[^']|'')*)'|\$(\w+))"


def _ps_value(m_str: str | None, m_var: str | None, variables: dict[str, str]) -> str:
    if m_str is not None:
        return m_str.replace("''", "'")
    return variables.get(m_var or "", f"${m_var}")


def _ps_param(text: str, name: str, variables: dict[str, str]) -> str | None:
    m = re.search(rf"-{name}\s+{_PS_STR}", text, re.I)
    return _ps_value(m.group(1), m.group(2), variables) if m else None


def _ps_ops(f: SourceFile) -> list[Op]:
    """Our PowerShell scripts' cluster operations (the shapes the templates write)."""
    ops: list[Op] = []
    variables: dict[str, str] = {}
    for n, text in command_lines(f.lines):
        m = _PS_ASSIGN.match(text)
        if m:
            variables[m.group(1)] = m.group(2).replace("''", "'")
            continue

        def p(name: str, text: str = text) -> str:
            return _ps_param(text, name, variables) or ""

        low = text.lower()
        if low.startswith("add-clustergroup"):
            ops.append(Op("create-group", n, p("Name")))
        elif low.startswith("add-clusterresourcetype"):
            ops.append(Op("restype-create", n, p("DisplayName"),
                          {"dll": p("Dll"), "type": p("Name")}))
        elif low.startswith("remove-clusterresourcetype"):
            ops.append(Op("restype-delete", n, p("Name")))
        elif low.startswith("add-clusterresourcedependency"):
            ops.append(Op("adddep", n, p("Resource"), {"provider": p("Provider")}))
        elif low.startswith("add-clusterresource "):
            ops.append(Op("create-res", n, p("Name"),
                          {"group": p("Group"), "type": p("ResourceType")}))
        elif low.startswith("move-clusterresource"):
            ops.append(Op("moveto", n, p("Name"), {"group": p("Group")}))
        elif low.startswith("remove-clusterresource "):
            ops.append(Op("delete-res", n, p("Name")))
        elif low.startswith("stop-clusterresource"):
            ops.append(Op("offline-res", n, p("Name")))
        elif low.startswith("get-clusterresource") and "set-clusterparameter" in low:
            target = p("Name")
            param = _ps_param(text.split("|", 1)[1], "Name", variables) or ""
            value = _ps_param(text.split("|", 1)[1], "Value", variables) or ""
            ops.append(Op("priv", n, target, {"name": param, "value": value}))
        elif m2 := re.match(rf"^\(Get-ClusterResource\s+-Name\s+{_PS_STR}[^)]*\)\.(\w+)\s*=\s*"
                            r"(\S+)\s*$", text, re.I):
            ops.append(Op("prop", n, _ps_value(m2.group(1), m2.group(2), variables),
                          {"name": m2.group(3), "value": m2.group(4)}))
        elif "regsvr32" in low:
            ops.append(Op("unregsvr32" if re.search(r"['\"]/u['\"]|['\"]-u['\"]", low)
                          else "regsvr32", n))
        elif "/unregext:" in low:
            ops.append(Op("unregext", n, EXTENSION))
        elif "/regext:" in low:
            ops.append(Op("regext", n, EXTENSION))
    return ops


def _ops(f: SourceFile) -> list[Op]:
    if f.language == "bat":
        return _cmd_ops(f)
    if f.language == "ps1":
        return _ps_ops(f)
    return []


def _scripts(ctx: CheckContext) -> list[tuple[SourceFile, list[Op]]]:
    return [(f, _ops(f)) for f in ctx.files_of(("bat", "ps1"))]


def _watched(ops: Sequence[Op]) -> list[Op]:
    """The resources created as the JobCenter resource type or as a Generic Application."""
    return [o for o in ops if o.kind == "create-res"
            and o.args.get("type", "").lower() in (RESTYPE.lower(), RESTYPE_DISPLAY.lower(),
                                                   "generic application")]


def _typed(ops: Sequence[Op], type_name: str) -> set[str]:
    return {o.obj.lower() for o in ops if o.kind == "create-res"
            and o.args.get("type", "").lower() == type_name}


def _rule_dependencies(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, ops in _scripts(ctx):
        ips = _typed(ops, "ip address")
        disks = _typed(ops, "physical disk") | {o.obj.lower() for o in ops if o.kind == "moveto"}
        for res in _watched(ops):
            deps = {o.args["provider"].lower() for o in ops
                    if o.kind == "adddep" and o.obj.lower() == res.obj.lower()}
            if not deps & ips:
                yield (f"{res.obj!r} does not depend on the group's IP Address resource",
                       f.path, res.line)
            if not deps & disks:
                yield (f"{res.obj!r} does not depend on the group's physical disk", f.path,
                       res.line)


def _rule_threshold(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, ops in _scripts(ctx):
        for res in _watched(ops):
            values = [o.args.get("value", "") for o in ops if o.kind == "prop"
                      and o.obj.lower() == res.obj.lower()
                      and o.args.get("name", "").lower() == "restartthreshold"]
            if values != ["0"]:
                yield (f"{res.obj!r}: set RestartThreshold=0 (found {values or 'nothing'}): the "
                       "group must fail over, not restart JobCenter in place", f.path, res.line)


def _prop(ops: list[Op], obj: str, name: str) -> list[str]:
    """The values a script gives common property `name` of resource `obj`, in order."""
    return [o.args.get("value", "") for o in ops if o.kind == "prop"
            and o.obj.lower() == obj.lower() and o.args.get("name", "").lower() == name]


def _rule_pending_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    """PendingTimeout leaves JobCenter's 1-2 minute stop a wide margin (issue 20): the default
    180000 ms does not, and a value above the DeadlockTimeout (default 300000) is not used."""
    for f, ops in _scripts(ctx):
        for res in _watched(ops):
            values = _prop(ops, res.obj, "pendingtimeout")
            deadlock = _prop(ops, res.obj, "deadlocktimeout")
            limit = int(deadlock[-1]) if deadlock and deadlock[-1].isdigit() else 300000
            if not values or not values[-1].isdigit():
                yield (f"{res.obj!r}: PendingTimeout is not set: the default 180000 ms leaves "
                       "JobCenter's 1-2 minute stop no margin (set PendingTimeout="
                       f"{PENDING_TIMEOUT_MS})", f.path, res.line)
            elif int(values[-1]) < PENDING_TIMEOUT_MIN_MS:
                yield (f"{res.obj!r}: PendingTimeout={values[-1]} leaves JobCenter's 1-2 minute "
                       f"stop no margin (use at least {PENDING_TIMEOUT_MIN_MS})", f.path,
                       res.line)
            elif int(values[-1]) > limit:
                yield (f"{res.obj!r}: PendingTimeout={values[-1]} is above the DeadlockTimeout "
                       f"({limit}), which wins (raise DeadlockTimeout too)", f.path, res.line)


def _rule_looks_alive(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, ops in _scripts(ctx):
        for res in _watched(ops):
            for o in ops:
                if (o.kind == "prop" and o.obj.lower() == res.obj.lower()
                        and o.args.get("name", "").lower() == "looksalivepollinterval"):
                    value = o.args.get("value", "")
                    if not value.isdigit() or int(value) > LOOKS_ALIVE_WARN_MS:
                        yield (f"{res.obj!r}: LooksAlivePollInterval={value}: a failed site "
                               f"waits up to that many ms before the cluster acts; use "
                               f"{LOOKS_ALIVE_WARN_MS} or less (the rendered default is 1000)",
                               f.path, o.line)


def _rule_site_parameters(ctx: CheckContext) -> Iterator[RuleResult]:
    sites = {s.name.lower(): s for s in ctx.cluster.sites} if ctx.cluster else None
    for f, ops in _scripts(ctx):
        for res in _watched(ops):
            if res.args.get("type", "").lower() == "generic application":
                continue
            props = {o.args["name"].lower(): o for o in ops if o.kind == "priv"
                     and o.obj.lower() == res.obj.lower()}
            for key in ("sitename", "sitedirectory"):
                if key not in props:
                    yield (f"{res.obj!r}: the private property "
                           f"{'SiteName' if key == 'sitename' else 'SiteDirectory'} is not set",
                           f.path, res.line)
            if sites is None or "sitename" not in props:
                continue
            name = props["sitename"].args["value"]
            site = sites.get(name.lower())
            if site is None:
                yield (f"SiteName {name!r} is not a site of the cluster file", f.path,
                       props["sitename"].line)
            elif "sitedirectory" in props and \
                    props["sitedirectory"].args["value"].lower() != site.database.lower():
                yield (f"SiteDirectory {props['sitedirectory'].args['value']!r} differs from the "
                       f"database of {site.name} ({site.database!r}, the cjcmksite path)",
                       f.path, props["sitedirectory"].line)


def _rule_restype(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, ops in _scripts(ctx):
        for o in ops:
            if o.kind != "restype-create":
                continue
            if o.args.get("dll", "").lower() != RESTYPE_DLL.lower() or \
                    o.args.get("type", "") != RESTYPE:
                yield (f"the resource type must be created from {RESTYPE_DLL} as type {RESTYPE} "
                       f"(found dll {o.args.get('dll')!r}, type {o.args.get('type')!r})",
                       f.path, o.line)
            elif o.obj != RESTYPE_DISPLAY:
                yield (f"display name {o.obj!r}: the manual's is {RESTYPE_DISPLAY!r}", f.path,
                       o.line)


def _rule_removal_order(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, ops in _scripts(ctx):
        delete = [o for o in ops if o.kind == "restype-delete"]
        if not delete:
            continue
        at = delete[0].line
        unreg = [o for o in ops if o.kind == "unregext"]
        if not unreg or unreg[0].line > at:
            yield ("unregister the extension (cluster /unregext:\"JobCenterClusterEx\") before "
                   "deleting the resource type", f.path, at)
        late = [o for o in ops if o.kind == "delete-res" and o.line > at]
        for o in late:
            yield (f"{o.obj!r} is deleted after its resource type: delete the JobCenter "
                   "resources first", f.path, o.line)
        if ctx.cluster is not None and ctx.adapter is not None:
            deleted = {o.obj.lower() for o in ops if o.kind == "delete-res"}
            for site in ctx.cluster.sites:
                res = ctx.adapter.settings(site)["resource"]  # type: ignore[attr-defined]
                if res.lower() not in deleted:
                    yield (f"the JobCenter resource {res!r} of {site.name} is not deleted before "
                           "the resource type", f.path, at)


def _rule_name_depends_ip(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, ops in _scripts(ctx):
        ips = _typed(ops, "ip address")
        for o in ops:
            if o.kind == "create-res" and o.args.get("type", "").lower() == "network name":
                deps = {d.args["provider"].lower() for d in ops
                        if d.kind == "adddep" and d.obj.lower() == o.obj.lower()}
                if not deps & ips:
                    yield (f"network name {o.obj!r} does not depend on the IP Address resource",
                           f.path, o.line)


def generic_commands(value: str) -> list[list[str]]:
    """The commands a Generic Application CommandLine runs, each as argv: one for a plain
    program, several for ``cmd.exe /d /s /c "A & B"`` (split at ``&`` outside quotes)."""
    argv = crt_split(value)
    prog = _program(argv)
    if prog != "cmd":
        return [argv]
    m = re.search(r"(?i)\s/c\s+(.*)$", value)
    if not m:
        return [argv]
    inner = m.group(1).strip()
    if "/s" in (a.lower() for a in argv[1:4]) and inner.startswith('"') and inner.endswith('"'):
        inner = inner[1:-1]  # cmd /s: the first and the last quote go
    parts: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in inner:
        if ch == '"':
            quoted = not quoted
        if ch == "&" and not quoted:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    out = []
    for part in parts:
        words = crt_split(re.sub(r"\s*\d?>\s*NUL\s*$", "", part.strip(), flags=re.I))
        if words:
            out.append(words)
    return out


def _generic_lines(ctx: CheckContext) -> Iterator[tuple[SourceFile, Op]]:
    for f, ops in _scripts(ctx):
        apps = {o.obj.lower() for o in ops if o.kind == "create-res"
                and o.args.get("type", "").lower() == "generic application"}
        for o in ops:
            if o.kind == "priv" and o.obj.lower() in apps and \
                    o.args.get("name", "").lower() == "commandline":
                yield f, o


def _rule_generic_cjcinit(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, o in _generic_lines(ctx):
        cmds = generic_commands(o.args["value"])
        names = [_program(c) for c in cmds]
        if "cjcinit" not in names or names.index("cjcinit") != 0 or len(cmds[0]) < 2:
            yield ("the Generic Application must run cjcinit DB before the watcher (the "
                   "manual's Windows start rebuilds the database on every start and failover): "
                   "cmd.exe /d /s /c \"\"...\\cjcinit\" \"DB\" > NUL & WATCHER\"", f.path, o.line)
        for c, name in zip(cmds, names, strict=True):
            if name == "cjcpw" and "-stop" not in c and "-u" not in c:
                yield ("cjcpw runs without -u ADMIN: the site must run as the JobCenter "
                       "administrator", f.path, o.line)


_GUESSED_DISK = re.compile(r"^Disk [A-Za-z]:$")


def _rule_disk_resource(ctx: CheckContext) -> Iterator[RuleResult]:
    configured: set[str] = set()
    if ctx.cluster is not None and isinstance(ctx.adapter, MscsAdapter):
        configured = {ctx.adapter.settings(s)["disk_configured"].lower() for s in ctx.cluster.sites}
    for f, ops in _scripts(ctx):
        moves = [o for o in ops if o.kind == "moveto"]
        for o in moves:
            if o.obj.startswith("$"):
                if "MSCluster_DiskPartition" in f.text and not re.search(r"(?m)^\s*throw\b",
                                                                         f.text):
                    yield ("the disk is looked up by drive letter but the script does not stop "
                           "(throw) when no single disk holds it", f.path, o.line)
                continue
            if not _GUESSED_DISK.match(o.obj) or o.obj.lower() in configured:
                continue
            checked = any(re.search(rf'(?i)\bres(ource)?\s+"?{re.escape(o.obj)}"?\s+/stat', t)
                          or re.search(rf"(?i)Get-ClusterResource\s+-Name\s+'{re.escape(o.obj)}'",
                                       t) and "throw" in t.lower()
                          for _n, t in command_lines(f.lines[:o.line - 1]))
            if not checked:
                yield (f"{o.obj!r} is Windows 2003's name for the disk; 2008 and later name it "
                       "\"Cluster Disk N\": set disk_resource, or check the name exists before "
                       "changing anything", f.path, o.line)


def _rule_generic_foreground(ctx: CheckContext) -> Iterator[RuleResult]:
    for f, o in _generic_lines(ctx):
        argv = generic_commands(o.args["value"])[-1]
        prog = _program(argv)
        if prog == "cjcpw":
            if "-c" in argv or "-stop" in argv:
                yield ("the Generic Application must run cjcpw watching in the foreground "
                       "(no -c, no -stop)", f.path, o.line)
        elif prog == "jccluster":
            verb = argv[3] if len(argv) > 3 and argv[1] == "agent" else ""
            if verb != "watch":
                yield (f"the Generic Application must run 'jccluster agent mscs watch', not "
                       f"{verb or argv[1:2]!r}", f.path, o.line)
        else:
            yield (f"the Generic Application runs {argv[:1]!r}, not the site's watcher",
                   f.path, o.line)


# --------------------------------------------------------------------------- SubnetMask (vendor-a)

_CMD_MASK = re.compile(r"\bAddress=(\S+)\s+SubnetMask=(\S*)")
_PS_MASK = re.compile(r"-Name\s+'SubnetMask'\s+-Value\s+'([^']*)'")


def _rule_subnet_mask(ctx: CheckContext) -> Iterator[RuleResult]:
    """SubnetMask in the .cmd and .ps1 scripts: a valid mask, and the site's when known."""
    want: dict[str, str] = {}  # site short name -> expected mask
    by_address: dict[str, str] = {}
    if ctx.cluster is not None:
        for site in ctx.cluster.sites:
            mask = (ctx.adapter.settings(site)["subnet_mask"]
                    if isinstance(ctx.adapter, MscsAdapter) else site.netmask)
            if mask:
                want[site.short_name.lower()] = normal_netmask(mask)
                by_address[site.address] = want[site.short_name.lower()]
    for f in ctx.files_of(("bat", "ps1")):
        top = f.path.replace("\\", "/").split("/", 1)[0].lower() if "/" in f.path else ""
        for n, line in enumerate(f.lines, 1):
            m = _CMD_MASK.search(line)
            found = (m.group(2).strip('"'), by_address.get(m.group(1).strip('"'))) if m else None
            if found is None:
                p = _PS_MASK.search(line)
                found = (p.group(1), want.get(top)) if p else None
            if found is None:
                continue
            value, expected = found
            if check_netmask(value):
                yield (f"SubnetMask {value!r} is not a netmask", f.path, n)
            elif expected is not None and normal_netmask(value) != expected:
                yield (f"SubnetMask {value} differs from the cluster file's netmask {expected} "
                       "of the site", f.path, n)


RULES: list[Rule] = [
    Rule("MSCS-DEPENDENCIES", "the JobCenter (and Generic Application) resource depends "
         "on the group's IP address and physical disk", SOURCE_MANUAL + ".5 steps 19-21",
         _rule_dependencies),
    Rule("MSCS-RESTART-THRESHOLD", "the JobCenter (and Generic Application) resource has "
         "restart threshold 0", SOURCE_MANUAL + ".5 steps 22-23", _rule_threshold),
    Rule("MSCS-PENDING-TIMEOUT", "the JobCenter (and Generic Application) resource's "
         f"PendingTimeout is at least {PENDING_TIMEOUT_MIN_MS} ms and not above its "
         "DeadlockTimeout", "Microsoft, Resources common properties: PendingTimeout (default "
         "180000; 'cannot be greater than the DeadlockTimeout property'), DeadlockTimeout "
         "(default 300000); JobCenter manual §3.3.7 (the stop takes 1-2 minutes); issue 20",
         _rule_pending_timeout),
    Rule("MSCS-LOOKSALIVE", f"the JobCenter (and Generic Application) resource is polled "
         f"(LooksAlive) at least every {LOOKS_ALIVE_WARN_MS} ms: a failed site waits up to "
         "LooksAlivePollInterval before the cluster acts", "Microsoft, Failover Cluster "
         "resource types: LooksAlivePollInterval (default 5000 ms; 'as small as "
         "possible to cause failovers to occur in a timely manner')", _rule_looks_alive,
         severity="warning"),
    Rule("MSCS-SITE-PARAMETERS", "SiteName and SiteDirectory are set, and match the "
         "cluster file", SOURCE_MANUAL + ".5 step 11 (SiteDirectory is the cjcmksite "
         "database path)", _rule_site_parameters),
    Rule("MSCS-RESTYPE", "the resource type comes from JobCenterCluster.dll as type "
         "JobCenterCluster", SOURCE_MANUAL + ".3", _rule_restype),
    Rule("MSCS-REMOVAL-ORDER", "removal deletes the JobCenter resources, unregisters the "
         "extension, then deletes the resource type", SOURCE_MANUAL + ".7",
         _rule_removal_order),
    Rule("MSCS-NAME-DEPENDS-IP", "the network name depends on the IP address",
         "cluster.exe / Failover Clustering: a Network Name resource needs an IP "
         "Address provider", _rule_name_depends_ip),
    Rule("MSCS-DISK-RESOURCE", "the physical disk is named as configured, or looked up "
         "by its drive letter with a clear failure; never a guessed \"Disk Q:\" unchecked",
         "Failover Clustering (2008 and later) names disks \"Cluster Disk N\"; "
         "MSCluster_Resource / MSCluster_Disk / MSCluster_DiskPartition (WMI)",
         _rule_disk_resource),
    Rule("MSCS-GENERIC-CJCINIT", "the Generic Application runs cjcinit DB before the "
         "watcher, and cjcpw as the JobCenter administrator (-u)", "JobCenter manual "
         "§3.2.2.4 (cjcinit on every (re)start and failover; cjcpw -u ADMIN)",
         _rule_generic_cjcinit),
    Rule("MSCS-GENERIC-FOREGROUND", "the Generic Application runs the watcher in the "
         "foreground (not -c, not a stop or start verb)", "Generic Application resource "
         "type (the cluster watches the process); manual §2.10.4 (cjcpw watches in the "
         "foreground)", _rule_generic_foreground),
    Rule("MSCS-SUBNETMASK", "each IP Address resource's SubnetMask is the cluster "
         "file's netmask of its site", "IP Address resource private properties "
         "(SubnetMask); cluster file [[site]] netmask", _rule_subnet_mask),
]
