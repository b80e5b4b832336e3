"""CLUSTERPRO / EXPRESSCLUSTER for Windows: group start.bat/stop.bat around ARMLoad.

Sources:
- JobCenter manual §3.2.2.4 (start.bat/stop.bat, the ARMLoad / ARMLoadC / ARMKILL rules and the
  full samples), §3.2.2 and §3.2.5 (resolv.def: "IP address  computer name" per line; the
  MSCS chapter §5.2 writes the full name), §3.2.1 (the JobCenter administrator must be a domain
  user), §3.2.6 (patch procedure: ARMLoadC pause, cjcpw -stop, patch, cjccopy, then start the
  site and resume the watch -- §3.2.6.2 ⑧'s prose order; its listing shows the two the other way
  round, see docs/adapters/clusterpro-windows.md), §3.2.6.3 (the standby node: NQS_SITE unset,
  the local services stopped in order, the patch).
- The EXPRESSCLUSTER X for Windows script-resource samples (start.bat / stop.bat "start script
  file sample", version 9.0.3-1, as published in NEC's EXPRESSCLUSTER GitHub samples): the same
  structure with ``%CLP_EVENT%`` (START/FAILOVER/RECOVER), ``%CLP_DISK%`` (FAILURE),
  ``%CLP_SERVER%`` (OTHER) and the lower-case ARM-compatible ``armload``/``armkill`` commands.
- Watch IDs: "The ID must be unique name within a cluster. IDs that begin with "NEC_" are
  reserved ... at most 255 single-byte alphanumeric characters (It is case insensitive)" (NEC
  ExpressCluster SRE Installation & Configuration Guide, ch. 8, ARMLOAD); the EXPRESSCLUSTER X
  samples also use '_' (INPUT_REPSTOP), so letters, digits and '_' are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobcenter_cluster.adapter import Artifact, GraphResources, Unique, stop_seconds
from jobcenter_cluster.adapters.clusterpro_windows import SPEC
from jobcenter_cluster.model import Cluster, Site, check_account
from jobcenter_cluster.options import Option
from jobcenter_cluster.render import bat_quote, bat_word
from jobcenter_cluster.windows import WindowsAdapter

SOURCE_MANUAL = "JobCenter manual §3.2.2.4"

WATCH_ID = re.compile(r"^[A-Za-z0-9_]{1,255}\Z")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_.:\\-]+")


@dataclass(frozen=True)
class Flavour:
    """What one flavour of group script calls its event variables (``%ARMS_EVENT%``) and the
    ARM commands."""

    var: str
    load: str
    loadc: str
    kill: str
    bcast: str
    title: str


FLAVOURS = {
    "arm": Flavour("ARMS", "ARMLoad", "ARMLoadC", "ARMKILL", "ARMBCAST",
                   "CLUSTERPRO ActiveRecoveryManager (group script)"),
    "x": Flavour("CLP", "armload", "armloadc", "armkill", "ARMBCAST",
                 "EXPRESSCLUSTER X (script resource)"),
}


def check_watch_id(value: str) -> str | None:
    if not WATCH_ID.match(value):
        return (f"{value!r} is not an ARMLoad watch ID (1-255 ASCII letters, digits and '_'; "
                "e.g. JOBSTART)")
    if value.upper().startswith("NEC_"):
        return f"{value!r} starts with NEC_, which CLUSTERPRO reserves (choose another ID)"
    return None


def default_watch_id(cluster: Cluster | None, site: Site | None) -> str:
    """The manual's JOBSTART for a single site; JOBSTART_<SHORT NAME> for several."""
    assert site is not None
    if cluster is None or len(cluster.sites) == 1:
        return "JOBSTART"
    return ("JOBSTART_" + re.sub(r"[^A-Za-z0-9]", "_", site.short_name).upper())[:255]


def _word(value: str) -> str:
    """One cmd.exe word: bare when plain, quoted otherwise."""
    return bat_word(value) if _PLAIN_WORD.fullmatch(value) else bat_quote(value)


def _line(argv: list[str]) -> str:
    return " ".join(_word(a) for a in argv)


class ClusterProWindowsAdapter(WindowsAdapter):
    """Group start/stop scripts that start the site under ARMLoad and stop it in the manual's
    order (ARMLoadC pause, stop, ARMKILL), for ARM and for EXPRESSCLUSTER X."""

    spec = SPEC
    rules_from = "jobcenter_cluster.adapters.clusterpro_windows.rules:RULES"
    windows_only = ("CLUSTERPRO for Windows runs JobCenter for Windows, not {product} (set "
                    "product = \"jobcenter-windows\", or use the clusterpro-linux adapter)")
    example_database = "X:\\vmdb"
    example_admin = "jcadmin"
    artifacts = (
        "{site}/start.bat",
        "{site}/stop.bat",
        "{site}/patch-stop.bat",
        "{site}/patch-start.bat",
        "{site}/APPLY.txt",
        "patch-standby.bat",
        "PATCH.txt",
        "resolv.def",
    )
    options_schema = {
        "admin": Option(str, None, "the JobCenter administrator account (for ARMLoad /U and "
                        "cjcpw -u), without a domain part, registered in CLUSTERPRO",
                        required=True, check=check_account),
        "flavour": Option(str, "arm", "\"arm\": CLUSTERPRO ActiveRecoveryManager group scripts "
                          "(%ARMS_EVENT%, the manual's samples); \"x\": EXPRESSCLUSTER X script "
                          "resource (%CLP_EVENT%, armload/armkill)", choices=("arm", "x")),
        "window_hide": Option(bool, False, "add /WINDOW hide to ARMLoad (no console window; "
                              "closing that window would fail the site over)"),
    }
    site_options_schema = {
        "watch_id": Option(str, default_watch_id, "the ARMLoad watch ID, unique in the cluster "
                           "(default JOBSTART; JOBSTART_<SITE> with several sites)",
                           check=check_watch_id),
    }

    def validate(self) -> None:
        c = self.cluster
        self.require_batch_paths(SPEC.name)
        ids = Unique(c.source, "watch IDs are case-insensitive and must be unique in the "
                     "cluster; manual §3.2.2.4", fold=str.upper)
        for site in c.sites:
            ids.add(self.site_opts(site)["watch_id"], f"{site.where}.{SPEC.name}.watch_id")

    def batch_lines(self, site: Site) -> dict[str, str]:
        """The command lines of each step, already quoted for cmd.exe."""
        admin = self.options["admin"]
        db = site.database
        c = self.cluster
        argv = self.commands(site, {"watch": "watch", "start": "start", "stop": "stop"})
        target = argv["watch"] if site.monitor else argv["start"]
        fl = FLAVOURS[self.options["flavour"]]
        wid = self.site_opts(site)["watch_id"]
        load = [fl.load, wid] + (["/M"] if site.monitor else []) + ["/U", admin]
        if self.options["window_hide"]:
            load += ["/WINDOW", "hide"]
        return {
            # the manual quotes every argument of the watched program
            "armload": " ".join(load) + " " + " ".join(bat_quote(a) for a in target),
            "cjcinit": f"{bat_quote(c.command('cjcinit'))} {bat_quote(db)} > NUL",
            "pause": f"{fl.loadc} {wid} /W PAUSE",
            "stop": _line(argv["stop"]),
            "kill": f"{fl.kill} {wid}",
            # supervisor=cjcpw: stop.bat asks cjcls when cjcpw -stop failed (issue 20)
            "cjcls": _word(c.command("cjcls")) if c.supervisor == "cjcpw" else "",
            "patch_pause": f"{fl.loadc} {wid} /W pause",
            "patch_continue": f"{fl.loadc} {wid} /W continue",
            "cjccopy": f"{bat_quote(c.command('cjccopy'))} {_word(site.name)} {bat_quote(db)}",
            "patch_start": _line(argv["start"]) if c.supervisor == "jccluster" else
            f"{bat_quote(c.command('cjcpw'))} -u {admin} -c {_word(site.name)} {bat_quote(db)}",
            "bcast": fl.bcast,
            # pasted into a command prompt (APPLY.txt): every argument quoted for cmd.exe
            "create": _line(self.setup_commands(site)["create"]),
        }

    def context(self, site: Site) -> dict[str, Any]:
        fl = FLAVOURS[self.options["flavour"]]
        return {
            "cluster": self.cluster,
            "site": site,
            "opts": self.options,
            "watch_id": self.site_opts(site)["watch_id"],
            "fl": fl,
            "ev": fl.var,
            "cmd": self.batch_lines(site),
            "stop_seconds": stop_seconds(self.cluster),
            "resolv_path": self.resolv_path(),
        }

    def render(self) -> list[Artifact]:
        r = self.renderer()
        sites = [(site, self.context(site)) for site in self.sites]
        # the operator's texts keep LF line ends; the scripts and resolv.def get CRLF
        out = [self.artifact(r, f"{site.short_name}/{name}", ctx, site=site,
                             windows_lines=name != "APPLY.txt")
               for site, ctx in sites
               for name in ("start.bat", "stop.bat", "patch-stop.bat", "patch-start.bat",
                            "APPLY.txt")]
        base = {"cluster": self.cluster, "opts": self.options, "sites": [c for _, c in sites]}
        return [*out, self.artifact(r, "patch-standby.bat", base),
                self.artifact(r, "PATCH.txt", base, windows_lines=False),
                self.artifact(r, "resolv.def", {"cluster": self.cluster})]

    def graph_resources(self, site: Site) -> GraphResources:
        """The failover group's disk and floating IP are up before its start.bat runs the
        site under ARMLoad (APPLY.txt step 2); stop.bat runs before they go."""
        watch = self.site_opts(site)["watch_id"]
        res = [("disk", f"group disk\n{site.database}", "disk"),
               ("fip", f"floating IP\n{site.address}", "address"),
               ("script", f"start.bat / stop.bat\nARMLoad {watch}", "jobcenter")]
        return f"failover group ({site.name})", res, [("disk", "script"), ("fip", "script")]


