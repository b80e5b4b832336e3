"""MSCS (Windows 2000/2003 server clusters) and Microsoft Failover Clustering (2008 and later).

Renders the manual's sequence (§5.3-5.7) as ``cluster.exe`` command files and, for Windows
Server 2008 and later, as PowerShell scripts with the FailoverClusters cmdlets: the resource
type from JobCenterCluster.dll, the extension DLL, one group per site with IP address, network
name, physical disk and the JobCenter resource (private properties SiteName and SiteDirectory,
dependencies on the IP address and the disk, restart threshold 0), the removal sequence, and
resolv.def. A Generic Application variant runs the watcher itself (``jccluster agent mscs
watch``, or ``cjcpw`` with supervisor = "cjcpw") in the foreground as the watched process.

Sources:
- JobCenter manual §5 (MSCS): commands and order, "NEC JobCenter Cluster Resource Type",
  SiteName/SiteDirectory, dependencies on IP address and physical disk, threshold 0, removal.
- "Cluster resource" / "Cluster resourcetype" / "Cluster group" (cluster.exe, Windows Server
  2003 and Windows 2000 command-line reference): ``/create /group: /type:``, ``/priv``,
  ``/prop``, ``/adddep:``, ``/moveto:``, ``/online``, ``/offline``, ``/delete``; restype
  ``/create /DllName: [/type:]`` and ``/delete [/type]``.
- FailoverClusters module (learn.microsoft.com): Add-ClusterResourceType (-Name -Dll
  -DisplayName), Add-ClusterGroup, Add-ClusterResource (-Name -Group -ResourceType),
  Set-ClusterParameter (-Name -Value; single-parameter form works on 2008 R2 too),
  Add-ClusterResourceDependency (-Resource -Provider), Move-ClusterResource, Start-ClusterGroup,
  Remove-ClusterResource, Remove-ClusterResourceType.
- "Generic Application Private Properties" (MSCS SDK): CommandLine and CurrentDirectory
  required, UseNetworkName optional; the resource DLL watches the process and takes the resource
  offline by terminating it.
- IP Address private properties Address, SubnetMask, Network; Network Name private property
  Name (MSCS SDK, "IP Address" / "Network Name" resource types).
- The disk: Windows Server 2008 and later name Physical Disk resources "Cluster Disk N", not
  "Disk Q:". Without [site.mscs] disk_resource the .ps1 looks the resource up by the database's
  drive letter -- MSCluster_Resource (Type 'Physical Disk') -> MSCluster_Disk ->
  MSCluster_DiskPartition.Path, the association chain dbatools' Get-DbaWsfcDisk walks -- and
  stops with a clear error unless exactly one is found; the .cmd (cluster.exe cannot map a
  drive letter) checks that Windows 2003's "Disk Q:" exists before changing anything.
- The manual's Windows start runs cjcinit on every (re)start and failover (§3.2.2.4), as the
  JobCenter administrator: the Generic Application's command runs ``cjcinit DB`` first, then
  the watcher (``cjcpw -u ADMIN``), through ``cmd.exe /d /s /c``; ``admin`` is required.
"""

from __future__ import annotations

import ntpath
import re

from jobcenter_cluster.adapter import Adapter, AgentAction, Artifact, Option, Rule, RuleResult, stop_seconds
from jobcenter_cluster.checks import CheckContext, SourceFile, command_lines
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import check_account, check_netmask
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern
from jobcenter_cluster.windows import check_batch_path, crlf, require_windows_jccluster

# Module-level imports stay light: `jccluster agent mscs status` imports this module on every
# call (typing, ipaddress and the model load only where they are used).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from jobcenter_cluster.model import Cluster, Site

NAME = "mscs"
RESTYPE_DISPLAY = "NEC JobCenter Cluster Resource Type"
RESTYPE = "JobCenterCluster"
RESTYPE_DLL = "JobCenterCluster.dll"
EXTENSION = "JobCenterClusterEx"
SOURCE_MANUAL = "JobCenter manual §5"

#: cluster object names we accept: ASCII letters, digits, space and . _ ( ) : -
_OBJ_NAME = LazyPattern(r"^[A-Za-z0-9][A-Za-z0-9 ._():-]{0,62}\Z")
_NETBIOS = LazyPattern(r"^[A-Za-z0-9-]{1,15}\Z")


def check_object_name(value: str) -> str | None:
    if not _OBJ_NAME.match(value) or value.endswith(" "):
        return (f"{value!r} is not a cluster object name we can script (1-63 ASCII letters, "
                "digits, spaces and . _ ( ) : -, starting with a letter or digit)")
    return None


def check_netbios(value: str) -> str | None:
    if not _NETBIOS.match(value) or value.isdigit():
        return (f"{value!r} is not a network (NetBIOS) name: 1-15 letters, digits and '-', not "
                "only digits")
    return None


def check_cluster_name(value: str) -> str | None:
    from jobcenter_cluster.model import check_hostname

    return check_hostname(value, fqdn=False)


# --------------------------------------------------------------------------- quoting


def crt_quote(arg: str) -> str:
    """One argument for a Microsoft C runtime command line (CommandLineToArgvW rules):
    double quotes, ``"`` as ``\\"``, backslashes doubled only before a quote."""
    out = ['"']
    backslashes = 0
    for ch in arg:
        if ch == "\\":
            backslashes += 1
            continue
        if ch == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + ch)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def crt_word(arg: str) -> str:
    """`crt_quote` only when needed."""
    return arg if re.fullmatch(r"[A-Za-z0-9_.:\\/=+,-]+", arg) else crt_quote(arg)


def batch_escape(text: str) -> str:
    """Make a command line safe as a line of a batch file: ``%`` doubled everywhere, and the
    characters cmd.exe treats specially escaped with ``^`` wherever cmd.exe's own quote state
    (toggled by every ``"``, escaped or not) is outside quotes."""
    out = []
    quoted = False
    for ch in text:
        if ch == "%":
            out.append("%%")
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "&|<>^()":
            out.append("^")
        out.append(ch)
    return "".join(out)


def bat_arg(value: str, prefix: str = "") -> str:
    """``PREFIX"VALUE"``: one cluster.exe argument in a batch file, whatever VALUE holds."""
    return batch_escape(prefix + crt_quote(value))


def batch_argv(line: str) -> list[str]:
    """How a batch line ends up as argv: undo cmd.exe's layer (``%%``, ``^``) then split with
    the C runtime's rules (for the check rules and the tests)."""
    plain = []
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "%" and line[i + 1:i + 2] == "%":
            plain.append("%")
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "^" and not quoted and i + 1 < len(line):
            plain.append(line[i + 1])
            i += 2
            continue
        plain.append(ch)
        i += 1
    return crt_split("".join(plain))


def crt_split(cmdline: str) -> list[str]:
    """CommandLineToArgvW."""
    args: list[str] = []
    cur: list[str] = []
    i, quoted, have = 0, False, False
    n = len(cmdline)
    while i < n:
        ch = cmdline[i]
        if ch == "\\":
            j = i
            while j < n and cmdline[j] == "\\":
                j += 1
            count = j - i
            if j < n and cmdline[j] == '"':
                cur.append("\\" * (count // 2))
                if count % 2:
                    cur.append('"')
                    j += 1
            else:
                cur.append("\\" * count)
            have, i = True, j
            continue
        if ch == '"':
            if quoted and i + 1 < n and cmdline[i + 1] == '"':
                cur.append('"')
                i += 2
                continue
            quoted, have = not quoted, True
        elif ch in " \t" and not quoted:
            if have:
                args.append("".join(cur))
                cur, have = [], False
        else:
            cur.append(ch)
            have = True
        i += 1
    if have:
        args.append("".join(cur))
    return args


# --------------------------------------------------------------------------- the adapter


#: a LooksAlivePollInterval (ms) above this is reported (issue 15): LooksAlive is how the cluster
#: learns that the site failed, so its interval is the site's outage before recovery.
LOOKS_ALIVE_WARN_MS = 5000

class MscsAdapter(Adapter):
    """cluster.exe and FailoverClusters scripts for the JobCenter resource type (the manual's)
    and for a Generic Application resource running the watcher."""

    name = NAME
    product = "Microsoft Cluster Service (MSCS) and Microsoft Failover Cluster (2008 and later)"
    artifacts = (
        "install-type.cmd", "install-type.ps1",
        "install-extension.cmd", "install-extension.ps1",
        "{site}/create-group.cmd", "{site}/create-group.ps1",
        "{site}/create-generic-app.cmd", "{site}/create-generic-app.ps1",
        "uninstall-extension.cmd", "uninstall-extension.ps1",
        "uninstall-type.cmd", "uninstall-type.ps1",
        "resolv.def", "APPLY.txt",
    )
    options_schema = {
        "group": Option(str, "JOBCENTER-CLUSTER", "the resource group (the manual's "
                        "JOBCENTER-CLUSTER; with several sites, GROUP-<SITE> each)",
                        check=check_object_name),
        "subnet_mask": Option(str, None, "subnet mask of the sites' IP Address resources "
                              "(default: each site's [[site]] netmask, then required; never a "
                              "guessed 255.255.255.0)", check=check_netmask),
        "network": Option(str, None, "the cluster network for the IP Address resources (MSCS "
                          "2003 requires it: see 'cluster network'; 2008 and later find it "
                          "from the address)", check=check_object_name),
        "cluster": Option(str, None, "the cluster's name, to run the scripts from outside the "
                          "cluster (cluster /cluster:NAME, -Cluster NAME)",
                          check=check_cluster_name),
        "admin": Option(str, None, "the JobCenter administrator (a domain user, named without "
                        "the domain part): the Generic Application variant runs cjcpw -u ADMIN",
                        required=True, check=check_account),
        "looks_alive_ms": Option(int, 1000, "LooksAlivePollInterval of the JobCenter (or Generic "
                                 "Application) resource, ms: a failed site waits up to this "
                                 "long before the cluster acts (the type's default is 5000; "
                                 "Microsoft: 'as small as possible')", minimum=100,
                                 maximum=60000),
    }
    site_options_schema = {
        "group": Option(str, None, "this site's resource group (default: see [mscs] group)",
                        check=check_object_name),
        "resource": Option(str, None, "the JobCenter resource (default JC-RESOURCE, the "
                           "manual's; JC-<SITE> with several sites)", check=check_object_name),
        "ip_resource": Option(str, None, "the IP Address resource (default \"IP Address "
                              "<address>\")", check=check_object_name),
        "network_name": Option(str, None, "the virtual server's network name (default: the "
                               "site's short name in capitals)", check=check_netbios),
        "network_name_resource": Option(str, None, "the Network Name resource (default "
                                        "\"Network Name <NAME>\")", check=check_object_name),
        "disk_resource": Option(str, None, "the Physical Disk resource holding the database, "
                                "moved into the group (e.g. \"Cluster Disk 1\"; default: the "
                                ".ps1 looks it up by the database's drive letter, the .cmd uses "
                                "Windows 2003's \"Disk Q:\" after checking it exists)",
                                check=check_object_name),
        "app_resource": Option(str, None, "the Generic Application resource of the variant "
                               "(default JC-WATCHER; JC-WATCHER-<SITE> with several sites)",
                               check=check_object_name),
        "subnet_mask": Option(str, None, "overrides [mscs] subnet_mask", check=check_netmask),
        "network": Option(str, None, "overrides [mscs] network", check=check_object_name),
    }
    agent_actions = {
        "watch": AgentAction("watch", "the Generic Application's process: start the site and "
                             "watch it in the foreground; exits when the site fails"),
        "start": AgentAction("start", "start without watching"),
        "stop": AgentAction("stop", "stop the site and everything left of it"),
        "status": AgentAction("status", "0 running, 1 failed, 3 stopped"),
        "validate": AgentAction("validate", "check the site can run on this node"),
    }
    # The Generic Application resource watches the process's existence only; codes are for the
    # operator (and for scripts around Get-ClusterResource).
    exit_codes = {
        ("*", Outcome.INVALID): 2,
        ("watch", Outcome.SUCCESS): 0,
        ("start", Outcome.SUCCESS): 0,
        ("stop", Outcome.SUCCESS): 0,
        ("validate", Outcome.SUCCESS): 0,
        ("status", Outcome.RUNNING): 0,
        ("status", Outcome.MAINTENANCE): 0,
        ("status", Outcome.STOPPED): 3,
    }
    default_exit_code = 1

    def __init__(self, cluster: Cluster, **kwargs: Any) -> None:
        if not cluster.windows:
            raise ConfigError(
                f"{cluster.source}: cluster.product: MSCS / Failover Clustering runs JobCenter "
                f"for Windows, not {cluster.product.name!r} (set product = \"jobcenter-windows\")"
            )
        super().__init__(cluster, **kwargs)

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        return {
            "cluster": {"product": "jobcenter-windows",
                        "jccluster": "C:\\jccluster\\jccluster.exe"},
            "site": [{"database": "Q:\\jobdb"}],
            NAME: {"admin": "Administrator"},
        }

    # ------------------------------------------------------------------ settings

    def settings(self, site: Site) -> dict[str, str]:
        """Every name and parameter of `site`'s group, defaults resolved."""
        o = self.site_opts(site)
        many = len(self.cluster.sites) > 1
        short = site.short_name.upper()
        group = o["group"] or (f"{self.options['group']}-{short}"[:63] if many
                               else self.options["group"])
        netname = o["network_name"] or short[:15]
        drive = ntpath.splitdrive(site.database)[0].upper()
        return {
            "group": group,
            # "" when disk_resource is not set: the .ps1 looks it up by drive letter
            "disk_configured": o["disk_resource"] or "",
            "drive": drive,
            "resource": o["resource"] or (f"JC-{short}"[:63] if many else "JC-RESOURCE"),
            "ip_resource": o["ip_resource"] or f"IP Address {site.address}",
            "network_name": netname,
            "network_name_resource": o["network_name_resource"] or f"Network Name {netname}",
            "disk_resource": o["disk_resource"] or f"Disk {drive}",
            "app_resource": o["app_resource"] or (f"JC-WATCHER-{short}"[:63] if many
                                                  else "JC-WATCHER"),
            "subnet_mask": o["subnet_mask"] or self.options["subnet_mask"] or site.netmask or "",
            "network": o["network"] or self.options["network"] or "",
        }

    def validate(self) -> None:
        c = self.cluster
        require_windows_jccluster(c, "MSCS")
        why = check_batch_path(c.install_prefix, "install folder")
        if why:
            raise ConfigError(f"{c.source}: cluster.install_prefix: {why}")
        groups: dict[str, str] = {}
        resources: dict[str, str] = {}
        for site in c.sites:
            why = check_batch_path(site.database, "database folder")
            if why:
                raise ConfigError(f"{c.source}: {site.where}.database: {why}")
            if not (self.site_opts(site)["subnet_mask"] or self.options["subnet_mask"]):
                site.require_netmask(c.source, "the IP Address resource's SubnetMask")
            s = self.settings(site)
            if not self.site_opts(site)["network_name"]:
                why = check_netbios(site.short_name.upper())
                if why or len(site.short_name) > 15:
                    raise ConfigError(
                        f"{c.source}: {site.where}.{NAME}.network_name: the site's short name "
                        f"{site.short_name!r} is not a network name of at most 15 characters; "
                        "set network_name in [site.mscs]")
            where = f"{site.where}.{NAME}"
            key = s["group"].lower()
            if key in groups:
                raise ConfigError(f"{c.source}: {where}.group: {s['group']!r} is already used by "
                                  f"{groups[key]} (one group per site)")
            groups[key] = f"{where}.group"
            for field in ("resource", "ip_resource", "network_name_resource", "disk_resource",
                          "app_resource"):
                key = s[field].lower()
                if key in resources:
                    raise ConfigError(f"{c.source}: {where}.{field}: {s[field]!r} is already "
                                      f"used by {resources[key]} (resource names are unique in "
                                      "a cluster)")
                resources[key] = f"{where}.{field}"

    # ------------------------------------------------------------------ rendering

    def watcher_argv(self, site: Site) -> list[str]:
        """The watcher in the foreground (as the JobCenter administrator with cjcpw)."""
        if self.cluster.supervisor == "cjcpw":
            return self.native_argv("cjcpw", "-u", self.options["admin"], site.name,
                                    site.database)
        return self.agent_argv("watch", site)

    def cjcinit_argv(self, site: Site) -> list[str]:
        return self.native_argv("cjcinit", site.database)

    def create_command(self, site: Site) -> str:
        """cjcmksite (or jccluster site create) for the command prompt, quoted for cmd.exe."""
        from jobcenter_cluster.products import DEFAULT_PRODUCT

        c = self.cluster
        if c.supervisor == "cjcpw":
            argv = self.native_argv("cjcmksite", site.name, str(site.machine_id), site.database)
        else:
            argv = [c.jccluster, "site", "create", site.name, str(site.machine_id), site.database]
            argv += [] if c.product.name == DEFAULT_PRODUCT else ["--product", c.product.name]
            argv += ["--root", c.spool_root] if c.spool_root else []
        return batch_escape(" ".join(crt_word(a) for a in argv))

    def context(self, site: Site | None = None) -> dict[str, Any]:
        from jobcenter_cluster.render import ps_quote

        c = self.cluster
        cl = self.options["cluster"]
        ctx: dict[str, Any] = {
            "cluster": c,
            "opts": self.options,
            "exe": "cluster" + (f" /cluster:{cl}" if cl else ""),
            "ps_cluster": f"@{{ Cluster = {ps_quote(cl)} }}" if cl else "@{}",
            "q": bat_arg,
            "restype": RESTYPE, "restype_display": RESTYPE_DISPLAY, "restype_dll": RESTYPE_DLL,
            "extension": EXTENSION,
            "all": [(s, self.settings(s), self.commandline(s)) for s in c.sites],
            "creates": {s.name: self.create_command(s) for s in c.sites},
            "stop_seconds": stop_seconds(c),
            "looks_alive_ms": self.options["looks_alive_ms"],
            "resolv_path": ntpath.join(c.install_prefix, "SV", "etc", "resolv.def"),
        }
        if site is not None:
            ctx.update(site=site, s=self.settings(site), commandline=self.commandline(site),
                       current_directory=ntpath.dirname(self.watcher_argv(site)[0]),
                       create_command=self.create_command(site))
        return ctx

    def commandline(self, site: Site) -> str:
        """The Generic Application's CommandLine: ``cmd.exe /d /s /c "INIT > NUL & WATCHER"`` --
        cjcinit DB on every (re)start and failover, then the watcher in the foreground; cmd.exe
        (the process the cluster watches) lives exactly as long as the watcher."""
        init = " ".join(crt_quote(a) for a in self.cjcinit_argv(site))
        watch = " ".join(crt_word(a) for a in self.watcher_argv(site))
        return f'cmd.exe /d /s /c "{init} > NUL & {watch}"'

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
        out: list[Artifact] = []
        top = self.context()

        def add(path: str, template: str, ctx: dict[str, Any], language: str,
                site: str | None = None, mode: int = 0o644) -> None:
            text = r.render(template, **ctx)
            out.append(Artifact(path, crlf(text) if language in ("bat", "ps1", "text") else text,
                                mode, language, site))

        for stem in ("install-type", "install-extension"):
            add(f"{stem}.cmd", f"{stem}.cmd.j2", top, "bat", mode=0o755)
            add(f"{stem}.ps1", f"{stem}.ps1.j2", top, "ps1")
        for site in self.sites:
            ctx = self.context(site)
            d = site.short_name
            for stem in ("create-group", "create-generic-app"):
                add(f"{d}/{stem}.cmd", f"{stem}.cmd.j2", ctx, "bat", site.name, 0o755)
                add(f"{d}/{stem}.ps1", f"{stem}.ps1.j2", ctx, "ps1", site.name)
        for stem in ("uninstall-extension", "uninstall-type"):
            add(f"{stem}.cmd", f"{stem}.cmd.j2", top, "bat", mode=0o755)
            add(f"{stem}.ps1", f"{stem}.ps1.j2", top, "ps1")
        add("resolv.def", "resolv.def.j2", top, "text")
        add("APPLY.txt", "APPLY.txt.j2", top, "text")
        return out

    # ------------------------------------------------------------------ checks

    @classmethod
    def rules(cls) -> list[Rule]:
        return [
            Rule("MSCS-DEPENDENCIES", "the JobCenter (and Generic Application) resource depends "
                 "on the group's IP address and physical disk", SOURCE_MANUAL + ".5 steps 19-21",
                 _rule_dependencies),
            Rule("MSCS-RESTART-THRESHOLD", "the JobCenter (and Generic Application) resource has "
                 "restart threshold 0", SOURCE_MANUAL + ".5 steps 22-23", _rule_threshold),
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

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The group as create-group.ps1 builds it: the network name depends on the IP
        address; the JobCenter resource on the IP address and the disk."""
        s = self.settings(site)
        res = [(s["ip_resource"], f"{s['ip_resource']}\nIP Address", "address"),
               (s["network_name_resource"], f"{s['network_name_resource']}\nNetwork Name",
                "other"),
               (s["disk_resource"], f"{s['disk_resource']}\nPhysical Disk", "disk"),
               (s["resource"], f"{s['resource']}\nJobCenterCluster {site.database}\n(or "
                f"{s['app_resource']}, Generic Application: create-generic-app)", "jobcenter")]
        links = [(s["ip_resource"], s["network_name_resource"]),
                 (s["ip_resource"], s["resource"]), (s["disk_resource"], s["resource"])]
        return f"group {s['group']} ({site.name})", res, links


# --------------------------------------------------------------------------- script parsing

class Op:
    """One cluster operation found in a .cmd or .ps1 file, normalised."""

    def __init__(self, kind: str, line: int, obj: str = "", **args: str) -> None:
        self.kind = kind  # create-group create-res priv prop adddep moveto delete-res
        # offline-res restype-create restype-delete regext unregext regsvr32 unregsvr32
        self.line = line
        self.obj = obj
        self.args = args

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Op({self.kind!r}, {self.obj!r}, {self.args!r})"


def _cmd_ops(f: SourceFile) -> list[Op]:
    ops: list[Op] = []
    for n, text in command_lines(f.lines):
        try:
            argv = batch_argv(text)
        except IndexError:  # pragma: no cover - unbalanced input
            continue
        if not argv:
            continue
        prog = ntpath.basename(argv[0]).lower().removesuffix(".exe")
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
                ops.append(Op("restype-create", n, rest[1], dll=opts.get("/dll", opts.get(
                    "/dllname", "")), type=opts.get("/type", "")))
            elif "/delete" in opts:
                ops.append(Op("restype-delete", n, rest[1]))
        elif head == "group" and len(rest) > 2 and rest[2].lower() == "/create":
            ops.append(Op("create-group", n, rest[1]))
        elif head in ("res", "resource") and len(rest) > 2:
            obj, opt = rest[1], rest[2]
            low = opt.lower()
            if low == "/create":
                kv = {a.split(":", 1)[0].lower(): a.split(":", 1)[1] for a in rest[3:] if ":" in a}
                ops.append(Op("create-res", n, obj, group=kv.get("/group", ""),
                              type=kv.get("/type", "")))
            elif low in ("/priv", "/privproperties", "/prop", "/properties"):
                kind = "priv" if low.startswith("/priv") else "prop"
                for pair in rest[3:]:
                    if "=" in pair:
                        k, v = pair.split("=", 1)
                        ops.append(Op(kind, n, obj, name=k.split(":")[0], value=v))
            elif low.startswith(("/adddep:", "/adddependency:")):
                ops.append(Op("adddep", n, obj, provider=opt.split(":", 1)[1]))
            elif low.startswith(("/moveto:", "/move:")):
                ops.append(Op("moveto", n, obj, group=opt.split(":", 1)[1]))
            elif low == "/delete":
                ops.append(Op("delete-res", n, obj))
            elif low.startswith("/off"):
                ops.append(Op("offline-res", n, obj))
    return ops


_PS_ASSIGN = LazyPattern(r"^\$(\w+)\s*=\s*'((?:[^']|'')*)'\s*$")
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
            ops.append(Op("restype-create", n, p("DisplayName"), dll=p("Dll"), type=p("Name")))
        elif low.startswith("remove-clusterresourcetype"):
            ops.append(Op("restype-delete", n, p("Name")))
        elif low.startswith("add-clusterresourcedependency"):
            ops.append(Op("adddep", n, p("Resource"), provider=p("Provider")))
        elif low.startswith("add-clusterresource "):
            ops.append(Op("create-res", n, p("Name"), group=p("Group"), type=p("ResourceType")))
        elif low.startswith("move-clusterresource"):
            ops.append(Op("moveto", n, p("Name"), group=p("Group")))
        elif low.startswith("remove-clusterresource "):
            ops.append(Op("delete-res", n, p("Name")))
        elif low.startswith("stop-clusterresource"):
            ops.append(Op("offline-res", n, p("Name")))
        elif low.startswith("get-clusterresource") and "set-clusterparameter" in low:
            target = p("Name")
            param = _ps_param(text.split("|", 1)[1], "Name", variables) or ""
            value = _ps_param(text.split("|", 1)[1], "Value", variables) or ""
            ops.append(Op("priv", n, target, name=param, value=value))
        elif m2 := re.match(rf"^\(Get-ClusterResource\s+-Name\s+{_PS_STR}[^)]*\)\.(\w+)\s*=\s*"
                            r"(\S+)\s*$", text, re.I):
            ops.append(Op("prop", n, _ps_value(m2.group(1), m2.group(2), variables),
                          name=m2.group(3), value=m2.group(4)))
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
    prog = ntpath.basename(argv[0]).lower().removesuffix(".exe") if argv else ""
    if prog != "cmd":
        return [argv]
    m = re.search(r"(?i)\s/c\s+(.*)$", value)
    if not m:
        return [argv]
    inner = m.group(1).strip()
    if "/s" in (a.lower() for a in argv[1:4]) and inner.startswith('"') and inner.endswith('"'):
        inner = inner[1:-1]  # cmd /s: the first and the last quote go
    parts, cur, quoted = [], [], False
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
        names = [ntpath.basename(c[0]).lower().removesuffix(".exe") for c in cmds]
        if "cjcinit" not in names or names.index("cjcinit") != 0 or len(cmds[0]) < 2:
            yield ("the Generic Application must run cjcinit DB before the watcher (the "
                   "manual's Windows start rebuilds the database on every start and failover): "
                   "cmd.exe /d /s /c \"\"...\\cjcinit\" \"DB\" > NUL & WATCHER\"", f.path, o.line)
        for c, name in zip(cmds, names, strict=True):
            if name == "cjcpw" and "-stop" not in c and "-u" not in c:
                yield ("cjcpw runs without -u ADMIN: the site must run as the JobCenter "
                       "administrator", f.path, o.line)


_GUESSED_DISK = LazyPattern(r"^Disk [A-Za-z]:$")


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
    for f, ops in _scripts(ctx):
        apps = {o.obj.lower() for o in ops if o.kind == "create-res"
                and o.args.get("type", "").lower() == "generic application"}
        for o in ops:
            if o.kind != "priv" or o.obj.lower() not in apps or \
                    o.args.get("name", "").lower() != "commandline":
                continue
            argv = generic_commands(o.args["value"])[-1]
            prog = ntpath.basename(argv[0]).lower().removesuffix(".exe") if argv else ""
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

_CMD_MASK = LazyPattern(r"\bAddress=(\S+)\s+SubnetMask=(\S*)")
_PS_MASK = LazyPattern(r"-Name\s+'SubnetMask'\s+-Value\s+'([^']*)'")


def _rule_subnet_mask(ctx: CheckContext) -> Iterator[RuleResult]:
    """SubnetMask in the .cmd and .ps1 scripts: a valid mask, and the site's when known."""
    from jobcenter_cluster.model import normal_netmask

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
