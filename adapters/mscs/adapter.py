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
from typing import Any

from jobcenter_cluster.adapter import Artifact, GraphResources, Unique, stop_seconds
from jobcenter_cluster.adapters.mscs import SPEC
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Site, check_account, check_hostname, check_netmask
from jobcenter_cluster.options import Option
from jobcenter_cluster.render import ps_quote
from jobcenter_cluster.windows import WindowsAdapter

RESTYPE_DISPLAY = "NEC JobCenter Cluster Resource Type"
#: PendingTimeout (ms) of the JobCenter (or Generic Application) resource: how long the Resource
#: Monitor waits for the resource DLL to report an OnlinePending/OfflinePending resource before it
#: terminates it (Microsoft, "PendingTimeout", Resources common properties: default 180000).
#: JobCenter's stop takes 1-2 minutes (manual §3.3.7) with no deadline of its own: 300 s is
#: 2.5 times that, and no more than the default DeadlockTimeout (300000), which PendingTimeout
#: cannot exceed ("the lower of the two values will be used").
PENDING_TIMEOUT_MS = 300000
#: the smallest PendingTimeout the check rule accepts: twice JobCenter's longest stop.
PENDING_TIMEOUT_MIN_MS = 240000

RESTYPE = "JobCenterCluster"
RESTYPE_DLL = "JobCenterCluster.dll"
EXTENSION = "JobCenterClusterEx"
SOURCE_MANUAL = "JobCenter manual §5"

#: cluster object names we accept: ASCII letters, digits, space and . _ ( ) : -
_OBJ_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._():-]{0,62}\Z")
_NETBIOS = re.compile(r"^[A-Za-z0-9-]{1,15}\Z")


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


_CRT_PLAIN = re.compile(r"[A-Za-z0-9_.:\\/=+,-]+")


def crt_word(arg: str) -> str:
    """`crt_quote` only when needed."""
    return arg if _CRT_PLAIN.fullmatch(arg) else crt_quote(arg)


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


class MscsAdapter(WindowsAdapter):
    """cluster.exe and FailoverClusters scripts for the JobCenter resource type (the manual's)
    and for a Generic Application resource running the watcher."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.mscs.rules:RULES"
    windows_only = ("MSCS / Failover Clustering runs JobCenter for Windows, not {product} (set "
                    "product = \"jobcenter-windows\")")
    example_database = "Q:\\jobdb"
    example_admin = "Administrator"
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
        self.require_batch_paths("MSCS")
        groups = Unique(c.source, "one group per site", fold=str.lower)
        resources = Unique(c.source, "resource names are unique in a cluster", fold=str.lower)
        for site in c.sites:
            if not (self.site_opts(site)["subnet_mask"] or self.options["subnet_mask"]):
                site.require_netmask(c.source, "the IP Address resource's SubnetMask")
            s = self.settings(site)
            where = f"{site.where}.{SPEC.name}"
            if not self.site_opts(site)["network_name"]:
                why = check_netbios(site.short_name.upper())
                if why or len(site.short_name) > 15:
                    raise ConfigError(
                        "the site's short name "
                        f"{site.short_name!r} is not a network name of at most 15 characters; "
                        "set network_name in [site.mscs]", source=c.source, field=f"{where}.network_name")
            groups.add(s["group"], f"{where}.group")
            for key in ("resource", "ip_resource", "network_name_resource", "disk_resource",
                        "app_resource"):
                resources.add(s[key], f"{where}.{key}")

    # ------------------------------------------------------------------ rendering

    def watcher_argv(self, site: Site) -> list[str]:
        """The watcher in the foreground (as the JobCenter administrator with cjcpw)."""
        return self.commands(site, {"watch": "watch"})["watch"]

    def create_command(self, site: Site) -> str:
        """cjcmksite (or jccluster site create) for the command prompt, quoted for cmd.exe."""
        return batch_escape(" ".join(crt_word(a) for a in self.setup_commands(site)["create"]))

    def context(self, site: Site | None = None) -> dict[str, Any]:
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
            "pending_timeout_ms": PENDING_TIMEOUT_MS,
            "resolv_path": self.resolv_path(),
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
        init = " ".join(crt_quote(a) for a in self.native_argv("cjcinit", site.database))
        watch = " ".join(crt_word(a) for a in self.watcher_argv(site))
        return f'cmd.exe /d /s /c "{init} > NUL & {watch}"'

    def render(self) -> list[Artifact]:
        r = self.renderer()
        top = self.context()
        out = [self.artifact(r, f"{stem}.{ext}", top)
               for stem in ("install-type", "install-extension") for ext in ("cmd", "ps1")]
        for site in self.sites:
            ctx = self.context(site)
            out += [self.artifact(r, f"{site.short_name}/{stem}.{ext}", ctx, site=site)
                    for stem in ("create-group", "create-generic-app") for ext in ("cmd", "ps1")]
        out += [self.artifact(r, f"{stem}.{ext}", top)
                for stem in ("uninstall-extension", "uninstall-type") for ext in ("cmd", "ps1")]
        return [*out, self.artifact(r, "resolv.def", top), self.artifact(r, "APPLY.txt", top)]

    def graph_resources(self, site: Site) -> GraphResources:
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


