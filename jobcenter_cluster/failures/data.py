"""The failure table's data (see `jobcenter_cluster.failures` for the API and the words).

Each adapter is one `Product`: its actions as the rendered artifacts expose them, which codes
read as "stopped" to the product, the timeouts it gives a stop, its sources; and one entry per
situation: the exits of the actions in the order the product runs them (the drill runs them in
that order too), what the product does next (a cited source, or "unverified"), the net effect
and why. An entry holds for both supervisors unless ``cjcpw=`` (or ``jccluster=``) gives other
exits for one of them.

The entries state the CORRECT behaviour by the rules of issue 20 (tests/failures/test_failures_table.py)
and the vendors' documents, not whatever the code does today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

#: a watched process that must still be running after this step
RUNS = "runs"
#: a watched process that must have ended (the product reads no status from it)
ENDS = "ends"
#: the watched process was the one the situation killed (its status is SIGKILL's)
KILLED = "killed"

SUPERVISORS = ("jccluster", "cjcpw")

#: situation -> what happens (the drill does exactly this)
SITUATIONS = MappingProxyType({
    "start": "the product starts the site on a node that can run it, then monitors it",
    "daemon-dies": "the site runs; one of its watched daemons (jnwengine) is killed with "
                   "SIGKILL; the product notices, then stops (cleans) the site",
    "watcher-dies": "the site runs; the watcher (the engine's watcher or cjcpw) is killed with "
                    "SIGKILL, the daemons live on unwatched; the product notices, then stops "
                    "the site",
    "planned-stop": "the site runs; the operator takes it offline (switch-over or halt)",
    "stop-cannot-run": "the site runs; its stop cannot do its work (another start holds the "
                       "site's lock past the stop's deadline, or `cjcpw -stop` fails while the "
                       "site is up); the product asks again how the site is",
    "stop-leaves-processes": "the site runs; one of its processes cannot be killed (frozen: "
                             "SIGKILL takes effect only when it is thawed); the product stops "
                             "the site",
    "down-cjcpw-stop-fails": "the site crashed and nothing of it is left; the product's recovery "
                             "stops it, and `cjcpw -stop` fails (exit 1, doing nothing)",
    "half-stopped": "a stop was interrupted (killed) after SIGTERM: a daemon that ignores "
                    "SIGTERM still lives; the product monitors, then stops again",
    "maintenance": "`maintenance=ON` in daemon.conf (manual §2.10.5): the watcher (cjcpw) runs, "
                   "the daemons deliberately do not; the product starts, monitors and stops "
                   "the site",
    "never-seen": "a node that never saw the site (no database, no state): the product probes "
                  "(monitors) and stops it there",
    "bad-input": "the configuration names a site this node cannot run (its name resolves "
                 "nowhere, and the database it names is another site's): the product starts, "
                 "monitors and stops it",
})

NET_EFFECTS = ("restarts-in-place", "fails-over", "waits-for-operator", "stays-stopped",
               "stays-running", "refuses-config")

#: why, for every adapter (a row adds its product's own reason)
WHY = MappingProxyType({
    "start": "the site runs and every action says so",
    "daemon-dies": "a watched daemon is gone, so the site is broken here and the product must "
                   "recover it; the stop (clean) that follows kills what is left and succeeds "
                   "only when nothing of the site is left, so the site never runs twice",
    "watcher-dies": "the daemons still run, unwatched: the product must read a failure (never "
                    "\"stopped\"), and the stop that follows kills them before the site starts "
                    "anywhere else",
    "planned-stop": "nothing of the site is left, so the stop reports success and the monitor "
                    "reads stopped",
    "stop-cannot-run": "the stop did nothing and the site still runs here: it is a failed stop "
                       "(never a user error that reads as success), so no other node starts it",
    "stop-leaves-processes": "a process of the site survived SIGKILL: the stop failed and says "
                             "so; the monitor does not read stopped",
    "down-cjcpw-stop-fails": "nothing of the site is left (verified, not taken from cjcpw's exit "
                             "status), so the stop succeeds and the recovery goes on",
    "half-stopped": "a daemon that ignored SIGTERM still lives: the monitor must not read "
                    "stopped; the next stop finishes the job (SIGKILL at its deadline)",
    "maintenance": "manual §2.10.5: the watcher runs and the daemons deliberately do not; the "
                   "resource is online and must be neither restarted nor failed over, and the "
                   "start returns without waiting for daemons that will not come",
    "never-seen": "nothing of the site can run on a node that never saw it: the probe reads "
                  "stopped (never an error that bans or fences the node) and the stop succeeds",
    "bad-input": "nothing can start on this node, so the start fails and the stop succeeds "
                 "(nothing can have started, and a failing stop would fence or disable the node "
                 "for a mistake in the configuration)",
})

#: what JobCenter's own stop may take (manual §3.3.7: 1-2 minutes), and the margin a product's
#: stop/clean timeout must leave above it when no engine deadline bounds the stop (cjcpw): as
#: much again, so a stop twice as slow as the manual's worst case still ends before the product
#: gives up (a stop timeout means fencing or a disabled package)
JOBCENTER_STOP_SECONDS = 120
STOP_MARGIN_SECONDS = 120


@dataclass(frozen=True)
class Row:
    adapter: str
    supervisor: str
    situation: str
    #: action -> exit (int, RUNS, ENDS or KILLED), in the order the product runs them
    exits: MappingProxyType[str, Any]
    #: what the product does next
    next: str
    #: where that is documented (URL or vendor document), or "unverified"
    source: str
    net: str
    why: str

    @property
    def unverified(self) -> bool:
        return self.source == "unverified"


@dataclass(frozen=True)
class Product:
    adapter: str
    title: str
    #: the product's verbs, as the rendered artifacts expose them -> what runs
    actions: MappingProxyType[str, str]
    #: which actions stop (or clean) the site
    stops: tuple[str, ...]
    #: which actions tell the product how the site is (monitor, probe)
    monitors: tuple[str, ...]
    #: action -> the codes the product reads as "stopped / not running / offline / stopped fine"
    stopped: MappingProxyType[str, frozenset[int]]
    #: action -> the code of a failed stop (the stop actions) or of a failed site (monitors)
    failed: MappingProxyType[str, int]
    #: monitor action -> the codes that read as running (healthy)
    running: MappingProxyType[str, frozenset[int]]
    #: supervisor -> (the product's setting, seconds) bounding the stop; None: nothing bounds it
    stop_timeout: MappingProxyType[str, tuple[str, int | None]]
    #: (the product's setting, seconds) bounding a monitor; None when it has no monitor action
    monitor_bound: tuple[str, int] | None
    #: the supervisors this adapter renders for
    supervisors: tuple[str, ...]
    #: POSIX: the drill matrix runs it against real sites
    drilled: bool
    #: the rows' source keys -> citation
    sources: MappingProxyType[str, str]
    entries: MappingProxyType[str, dict[str, Any]] = field(repr=False)
    #: (situation, action, code): a "stopped" code allowed while something lives, with why
    fault_reads: tuple[tuple[str, str, int, str], ...] = ()


def _exits(text: str) -> MappingProxyType[str, Any]:
    out: dict[str, Any] = {}
    for item in text.split():
        action, _, value = item.rpartition("=")
        out[action] = value if value in (RUNS, ENDS, KILLED) else int(value)
    return MappingProxyType(out)


def S(exits: str, net: str, next: str, source: str, why: str = "", *,  # noqa: A002, N802
      cjcpw: str | None = None, jccluster: str | None = None, cjcpw_net: str | None = None,
      cjcpw_why: str | None = None) -> dict[str, Any]:
    """One situation's entry; ``source`` is a key of the product's sources or "unverified".
    ``cjcpw=`` / ``jccluster=``: that supervisor's exits; ``cjcpw_net``/``cjcpw_why``: its net
    effect and its whole why, where they differ."""
    return {"exits": exits, "net": net, "next": next, "source": source, "why": why,
            "cjcpw": cjcpw, "jccluster": jccluster, "cjcpw_net": cjcpw_net,
            "cjcpw_why": cjcpw_why}


def _product(**kw: Any) -> Product:
    for key in ("actions", "stopped", "failed", "running", "stop_timeout", "sources", "entries"):
        kw[key] = MappingProxyType(kw[key])
    return Product(**kw)


# --- sources ------------------------------------------------------------------------------------

PCMK_ONFAIL = ("Red Hat, Configuring the Red Hat High Availability Add-On with Pacemaker (RHEL 6), "
               "5.6 Resource Operations, on-fail (monitor, start: restart; stop: fence when "
               "stonith-enabled, else block): https://docs.redhat.com/en/documentation/"
               "red_hat_enterprise_linux/6/html/configuring_the_red_hat_high_availability_add-on_"
               "with_pacemaker/s1-resourceoperate-haar")
PCMK_CODES = ("ClusterLabs, Pacemaker Administration, \"How are OCF return codes interpreted?\" "
              "(7: the cluster will not stop a resource that returns it; 6: fatal, stopped on "
              "every node; 2, 5: hard, not retried on this node): https://clusterlabs.org/"
              "pacemaker/doc/2.1/Pacemaker_Administration/html/agents.html")
VCS_FAULT = ("Veritas Cluster Server Administrator's Guide 5.1, \"About VCS behavior on resource "
             "faults\" (a fault: Clean makes sure the resource is completely shut down before it "
             "is brought online on another node): https://sort.veritas.com/public/documents/sf/"
             "5.1/solaris/html/vcs_admin/ch_vcs_controlling_behavior2.html; Application agent "
             "state definitions (FAULTED: MonitorProgram returns OFFLINE unexpectedly): "
             "https://sort.veritas.com/public/documents/vie/7.2/solaris/productguides/html/"
             "vcs_bundled_agents/ch05s03s05.htm")
VCS_CLEAN = ("Cluster Server 4.1 Agent Developer's Guide, \"Summary of Return Values for Entry "
             "Points\" (if clean fails, the resource stays in a transition state and clean is "
             "retried after the next monitor) and \"clean\" (clean_reason 1: the offline entry "
             "point was ineffective): https://filibeto.org/unix/hp-ux/lib/cluster/"
             "veritas-sf-ha-docs/docsets/vcs/html/02_ep_oview_vcs119_999195.html, "
             "https://imap.filibeto.org/unix/hp-ux/lib/cluster/veritas-sf-ha-docs/docsets/vcs/"
             "html/04_ep_script_vcs144_1000550.html")
VCS_MONITOR = ("Cluster Server 4.1 Agent Developer's Guide, \"Summary of Return Values for Entry "
               "Points\" (100 offline, 101-110 online, 99 unknown): https://filibeto.org/unix/"
               "hp-ux/lib/cluster/veritas-sf-ha-docs/docsets/vcs/html/"
               "02_ep_oview_vcs119_999195.html")
PHA_MONITOR = ("IBM PowerHA SystemMirror 7.2, \"Configuring a custom application monitor\" (0 "
               "healthy, non-zero failed) and \"Planning and configuring for measuring "
               "application availability\" (cleanup method, restart count 3, then fallover or "
               "notify): https://www.ibm.com/docs/SSPHQG_7.2/admin/"
               "ha_admin_config_custom_appmon2.htm")
GDS_PROBE = ("Sun Cluster Data Services Developer's Guide 819-2972, \"Probe_command Property\" "
             "(0 healthy .. 100 complete failure: restart here, fail over after Retry_count "
             "within Retry_interval; 201 fail over at once): https://docs.oracle.com/cd/E19787-01/"
             "819-2972/gds-15/index.html")
PHA_ERROR = ("IBM PowerHA SystemMirror 7.2, clRGinfo command (resource group state Error: \"an error "
             "occurred while PowerHA SystemMirror was processing the resource group\"; it stays "
             "there for the operator): https://www.ibm.com/docs/SSPHQG_7.2/command/clRGinfo.htm")
RGM_STOP = ("Sun Cluster Data Services Developer's Guide 817-6555, Stop method (a Stop that exits "
            "non-zero, or outlives Stop_timeout, leaves the resource STOP_FAILED; with "
            "Failover_mode HARD the RGM reboots the node): https://docs.oracle.com/cd/E19396-01/"
            "817-6555/6mluf1g9a/index.html")
GDS_FAILOVER = ("Sun Cluster 3.1 Data Services Developer's Guide 819-2070, \"Resource "
                "Properties\", Failover_mode (SOFT/HARD relocate the group when Start fails; a "
                "failed Stop leaves the resource STOP_FAILED, HARD reboots the node): "
                "https://docs.oracle.com/cd/E19787-01/820-2559/gds-20/index.html")
SG_SERVICE = ("Managing Serviceguard (17th/18th ed.), service_cmd and service_restart (the "
              "service's exit is a failure; without restarts the package fails and goes to an "
              "adoptive node) and \"About External Scripts\" (0 success, 1 halt and do not "
              "restart, 2 restart elsewhere)")
SG_HALT = ("Managing Serviceguard, halt_script_timeout and \"Normal and Abnormal Exits from the "
           "Run/Halt Script\": a halt that fails or times out leaves the package halted with "
           "switching disabled, for the operator (the node is not a failover target until "
           "cmmodpkg -e)")
S22_PMF = ("pmfadm(1M) (the action program runs when the watched process exits; -C 0 watches "
           "the process alone): https://docs.oracle.com/cd/E39579_01/html/E39662/pmfadm-1m.html; "
           "watcher_exited.sh gives the logical host up (hactl -g, flags unverified, "
           "docs/adapters/sun22.md)")
CLP_PIDW = ("JobCenter manual §3.3.7 (since CLUSTERPRO for Linux 3.1 the PID monitor watches "
            "start.sh itself; its ending is the failure) and the EXPRESSCLUSTER X reference "
            "guide's PID monitor resource (recovery target: the group, final action: failover); "
            "the default final action is unverified in a public page")
CLW_ARM = ("JobCenter manual §3.2.2.4 (ARMLoad /M: when the watched program ends ARM fails the "
           "group over or shuts the node down)")
MSCS_GENAPP = ("Microsoft, Generic Application resource: the resource monitor checks that the "
               "process exists; a failed resource is restarted per RestartThreshold (0 here: no "
               "restart) and then the group fails over (docs/adapters/mscs.md)")
JCC_SUN22 = ("docs/end-to-end.md and docs/adapters/sun22.md: `jccluster render sun22` refuses "
             "supervisor = \"jccluster\" (no Python 3.11 on Sun Cluster 2.2 nodes)")

U = "unverified"

# --- the adapters -------------------------------------------------------------------------------

_P: list[Product] = []

_P.append(_product(
    adapter="pacemaker", title="Pacemaker / Corosync (OCF agent ocf:jobcenter:site)",
    actions={"start": "the OCF start action", "monitor": "the OCF monitor action (also the probe)",
             "stop": "the OCF stop action"},
    stops=("stop",), monitors=("monitor",),
    stopped={"monitor": frozenset({7}), "stop": frozenset({0})},
    failed={"monitor": 1, "stop": 1}, running={"monitor": frozenset({0})},
    stop_timeout={"jccluster": ("op stop timeout (the engine kills at 80 % of it)", 150),
                  "cjcpw": ("op stop timeout (cjcpw -stop, no engine deadline)", 240)},
    monitor_bound=("op monitor timeout", 20),
    supervisors=SUPERVISORS, drilled=True,
    sources={"onfail": PCMK_ONFAIL, "codes": PCMK_CODES},
    entries={
        "start": S("start=0 monitor=0", "stays-running",
                   "records the resource started and runs the recurring monitor", "codes"),
        "daemon-dies": S("monitor=1 stop=0", "restarts-in-place",
                         "a monitor failure (on-fail=restart): stop, then start on the same node; "
                         "after migration-threshold failures the resource moves", "onfail",
                         "1, not 7: 7 would skip the stop and leave the rest of the site running"),
        "watcher-dies": S("monitor=1 stop=0", "restarts-in-place",
                          "a monitor failure (on-fail=restart): stop, then start here", "onfail"),
        "planned-stop": S("stop=0 monitor=7", "stays-stopped",
                          "records the resource stopped (the probe's 7 agrees)", "codes"),
        "stop-cannot-run": S("stop=1 monitor=0", "fails-over",
                             "jccluster: a failed stop, on-fail=fence (with stonith-enabled, the "
                             "default) fences the node and starts the resource elsewhere; "
                             "without fencing the resource is blocked for the operator. cjcpw: "
                             "the agent ends what cjcpw -stop left itself (SIGTERM, SIGCONT, "
                             "SIGKILL, by NQS_SITE) and answers 0 only when nothing lives: a "
                             "stop that did its work", "onfail",
                             "only fencing makes a node whose site still runs safe to leave",
                             cjcpw="stop=0 monitor=7", cjcpw_net="restarts-in-place",
                             cjcpw_why="cjcpw -stop failed, but the stop still did its work "
                             "(it ends the site's processes itself and verifies that none "
                             "lives), so it succeeds, the probe reads 7 and no fencing is "
                             "needed"),
        "stop-leaves-processes": S("stop=1 monitor=1", "fails-over",
                                   "a failed stop: the node is fenced (on-fail=fence), the "
                                   "resource starts elsewhere", "onfail"),
        "down-cjcpw-stop-fails": S("stop=0 monitor=7", "restarts-in-place",
                                   "the recovery's stop succeeded: Pacemaker starts the "
                                   "resource again (here, or elsewhere after "
                                   "migration-threshold)", "onfail"),
        "half-stopped": S("monitor=1 stop=0", "fails-over",
                          "the interrupted stop timed out: on-fail=fence fences the node; "
                          "without fencing the resource is blocked, and after "
                          "crm_resource --cleanup the probe's 1 (not 7) makes Pacemaker stop "
                          "it again, which now succeeds", "onfail"),
        "maintenance": S("start=0 monitor=0 stop=0", "stays-running",
                         "the resource is started and monitored as healthy", "codes"),
        "never-seen": S("monitor=7 stop=0", "stays-stopped",
                        "the probe's 7 tells Pacemaker the resource is not active there; "
                        "nothing is stopped or banned", "codes"),
        "bad-input": S("start=5 monitor=7 stop=0", "waits-for-operator",
                       "jccluster: 5 is a hard error on this node, Pacemaker bans the resource "
                       "from it and tries the others, where the same configuration fails; cjcpw "
                       "(whose exit tells no configuration error apart): 1, restarted, then "
                       "moved after migration-threshold; then it stays stopped until the "
                       "operator fixes it (crm_resource --cleanup)", "codes",
                       "the probe's 7 is the truth (nothing runs), and the stop's 0 keeps the "
                       "node from being fenced for a configuration mistake",
                       cjcpw="start=1 monitor=7 stop=0"),
    },
))

_P.append(_product(
    adapter="veritas", title="Veritas Cluster Server / InfoScale Availability (Application agent)",
    actions={"StartProgram": "the site script's start", "MonitorProgram": "the monitor",
             "StopProgram": "the offline stop", "CleanProgram": "the forced stop after a fault"},
    stops=("StopProgram", "CleanProgram"), monitors=("MonitorProgram",),
    stopped={"MonitorProgram": frozenset({100}), "StopProgram": frozenset({0}),
             "CleanProgram": frozenset({0})},
    failed={"MonitorProgram": 100, "StopProgram": 1, "CleanProgram": 1},
    running={"MonitorProgram": frozenset({110})},
    stop_timeout={"jccluster": ("OfflineTimeout / CleanTimeout", 180),
                  "cjcpw": ("OfflineTimeout / CleanTimeout", 240)},
    monitor_bound=("MonitorTimeout (VCS default)", 60),
    supervisors=SUPERVISORS, drilled=True,
    sources={"fault": VCS_FAULT, "clean": VCS_CLEAN, "monitor": VCS_MONITOR},
    fault_reads=(
        ("daemon-dies", "MonitorProgram", 100,
         "VCS had the resource ONLINE: OFFLINE now reads as FAULTED, and VCS runs Clean, which "
         "must succeed (nothing left) before the group comes online anywhere else"),
        ("watcher-dies", "MonitorProgram", 100,
         "as daemon-dies: an unexpected OFFLINE is a fault, cleaned before any failover"),
    ),
    entries={
        "start": S("StartProgram=0 MonitorProgram=110", "stays-running",
                   "the monitor after online reads ONLINE", "monitor"),
        "daemon-dies": S("MonitorProgram=100 CleanProgram=0", "fails-over",
                         "OFFLINE unexpectedly: the resource FAULTS, Clean runs, then the group "
                         "fails over", "fault"),
        "watcher-dies": S("MonitorProgram=100 CleanProgram=0", "fails-over",
                          "FAULTED, Clean kills the unwatched daemons, the group fails over",
                          "fault"),
        "planned-stop": S("StopProgram=0 MonitorProgram=100", "stays-stopped",
                          "the monitor after offline reads OFFLINE: the resource is offline",
                          "monitor"),
        "stop-cannot-run": S("StopProgram=1 MonitorProgram=110 CleanProgram=1", "waits-for-operator",
                             "the monitor still reads ONLINE: offline was ineffective, VCS runs "
                             "Clean (clean_reason 1); Clean fails too, so the resource stays in "
                             "transition and Clean is retried after each monitor; no failover",
                             "clean", "110, not 100: OFFLINE after an offline would be taken as "
                             "success and the group could come online elsewhere"),
        "stop-leaves-processes": S("StopProgram=1 MonitorProgram=110 CleanProgram=1",
                                   "waits-for-operator",
                                   "offline ineffective, Clean fails and is retried; the group "
                                   "does not fail over", "clean"),
        "down-cjcpw-stop-fails": S("CleanProgram=0 StopProgram=0 MonitorProgram=100",
                                   "fails-over",
                                   "Clean succeeded: the faulted group fails over", "fault"),
        "half-stopped": S("MonitorProgram=110 CleanProgram=0", "stays-stopped",
                          "ONLINE after offline: offline ineffective, VCS runs Clean (reason "
                          "1), which kills the survivor; then the monitor reads OFFLINE",
                          "clean", "the issue's finding 2: OFFLINE while a daemon lives would "
                          "end the offline with the site still running"),
        "maintenance": S("StartProgram=0 MonitorProgram=110 StopProgram=0", "stays-running",
                         "ONLINE: nothing is restarted", "monitor"),
        "never-seen": S("MonitorProgram=100 StopProgram=0 CleanProgram=0", "stays-stopped",
                        "the probe reads OFFLINE on that system", "monitor"),
        "bad-input": S("StartProgram=1 MonitorProgram=100 StopProgram=0", "waits-for-operator",
                       "online is ineffective (the monitor reads OFFLINE): the resource faults "
                       "on this system, the group is tried on the others, fails the same way "
                       "and stays faulted for the operator", "fault",
                       "OFFLINE is the truth (nothing runs); the configuration is the same on "
                       "every node"),
    },
))

_P.append(_product(
    adapter="powerha", title="IBM PowerHA SystemMirror (application controller, custom monitor)",
    actions={"start": "the application controller's start script",
             "monitor": "the custom application monitor method",
             "stop": "the stop script (also the cleanup method)"},
    stops=("stop",), monitors=("monitor",),
    stopped={"monitor": frozenset({3}), "stop": frozenset({0})},
    failed={"monitor": 1, "stop": 1}, running={"monitor": frozenset({0})},
    stop_timeout={"jccluster": ("none: the engine's deadline bounds the stop", None),
                  "cjcpw": ("none: PowerHA waits for the stop script", None)},
    monitor_bound=("MONITORINTERVAL (a monitor that outlives it is killed as hung)", 10),
    supervisors=SUPERVISORS, drilled=True,
    sources={"monitor": PHA_MONITOR, "error": PHA_ERROR},
    entries={
        "start": S("start=0 monitor=0", "stays-running",
                   "the application is online and monitored", "monitor"),
        "daemon-dies": S("monitor=1 stop=0", "restarts-in-place",
                         "a monitor failure: the cleanup method (the stop script), then the "
                         "restart method up to the restart count, then fallover (rendered "
                         "default) or notify", "monitor"),
        "watcher-dies": S("monitor=1 stop=0", "restarts-in-place",
                          "a monitor failure: cleanup, then restart here", "monitor"),
        "planned-stop": S("stop=0 monitor=3", "stays-stopped",
                          "the resource group goes offline", "monitor",
                          "PowerHA reads any non-zero monitor as failed: 3 (jccluster) only "
                          "tells the operator it is stopped; the cjcpw site script answers 1",
                          cjcpw="stop=0 monitor=1"),
        "stop-cannot-run": S("stop=1 monitor=0", "waits-for-operator",
                             "a failed stop script: the resource group goes to ERROR and waits "
                             "for the operator (docs/adapters/powerha.md)", "error"),
        "stop-leaves-processes": S("stop=1 monitor=1", "waits-for-operator",
                                   "a failed stop script: the resource group goes to ERROR", "error"),
        "down-cjcpw-stop-fails": S("stop=0 monitor=3", "restarts-in-place",
                                   "the cleanup succeeded: the restart method (or fallover) "
                                   "goes on", "monitor", cjcpw="stop=0 monitor=1"),
        "half-stopped": S("monitor=1 stop=0", "stays-stopped",
                          "PowerHA has no stop timeout: an interrupted stop script is an event "
                          "failure (config_too_long / ERROR) and the operator reruns the stop",
                          U),
        "maintenance": S("start=0 monitor=0 stop=0", "stays-running",
                         "healthy: nothing is restarted", "monitor"),
        "never-seen": S("monitor=3 stop=0", "stays-stopped",
                        "not monitored where the group is offline; the stop succeeds", "monitor",
                        cjcpw="monitor=1 stop=0"),
        "bad-input": S("start=1 monitor=3 stop=0", "waits-for-operator",
                       "a failed start script: the resource group goes to ERROR on this node", "error",
                       cjcpw="start=1 monitor=1 stop=0"),
    },
))

_P.append(_product(
    adapter="sungds", title="Oracle Solaris Cluster / Sun Cluster 3.x (SUNW.gds)",
    actions={"Start_command": "start.sh under PMF (the watched process)",
             "Probe_command": "probe.sh", "Stop_command": "stop.sh"},
    stops=("Stop_command",), monitors=("Probe_command",),
    stopped={"Stop_command": frozenset({0})},
    failed={"Probe_command": 100, "Stop_command": 1}, running={"Probe_command": frozenset({0})},
    stop_timeout={"jccluster": ("80 % of Stop_timeout (what GDS gives Stop_command)", 240),
                  "cjcpw": ("80 % of Stop_timeout (what GDS gives Stop_command)", 240)},
    monitor_bound=("Probe_timeout", 30),
    supervisors=SUPERVISORS, drilled=True,
    sources={"probe": GDS_PROBE, "failover": GDS_FAILOVER, "stop": RGM_STOP},
    entries={
        "start": S("Start_command=runs Probe_command=0", "stays-running",
                   "the resource is online; PMF watches the started process", "probe"),
        "daemon-dies": S("Start_command=1 Probe_command=100 Stop_command=0", "restarts-in-place",
                         "PMF sees its process end and the probe fails: GDS restarts the "
                         "resource here (Stop_command, Start_command) and fails it over after "
                         "Retry_count restarts within Retry_interval", "probe"),
        "watcher-dies": S("Start_command=killed Probe_command=100 Stop_command=0",
                          "restarts-in-place", "as daemon-dies: restart here, then failover",
                          "probe"),
        "planned-stop": S("Stop_command=0 Probe_command=100", "stays-stopped",
                          "the resource goes offline (the probe is not run on an offline "
                          "resource; by hand it reads failed, GDS has no 'stopped' code)",
                          "probe"),
        "stop-cannot-run": S("Stop_command=1 Probe_command=0", "waits-for-operator",
                             "a failed Stop_command: the resource goes STOP_FAILED (Failover_mode "
                             "HARD: the node reboots); the operator clears it", "stop"),
        "stop-leaves-processes": S("Stop_command=1 Probe_command=100", "waits-for-operator",
                                   "STOP_FAILED, for the operator", "stop"),
        "down-cjcpw-stop-fails": S("Stop_command=0 Probe_command=100", "restarts-in-place",
                                   "the stop succeeded: GDS restarts the resource (or fails it "
                                   "over after Retry_count)", "probe"),
        "half-stopped": S("Probe_command=100 Stop_command=0", "stays-stopped",
                          "the stop that timed out left the resource STOP_FAILED; once the "
                          "operator clears it, the stop runs again and succeeds", "stop"),
        "maintenance": S("Start_command=runs Probe_command=0 Stop_command=0", "stays-running",
                         "the probe reads healthy: no restart, no failover", "probe"),
        "never-seen": S("Probe_command=100 Stop_command=0", "stays-stopped",
                        "not probed where the resource is offline; the stop succeeds", "probe",
                        "cjcpw's probe finds no database here: 201, fail over at once, right "
                        "for a node that cannot run the site",
                        cjcpw="Probe_command=201 Stop_command=0"),
        "bad-input": S("Start_command=1 Probe_command=100 Stop_command=0", "waits-for-operator",
                       "the start fails on every node (Failover_mode SOFT/HARD relocates it, "
                       "then it is START_FAILED everywhere)", "failover"),
    },
))

_P.append(_product(
    adapter="sun22", title="Sun Cluster 2.2 (data service methods, pmfadm)",
    actions={"START_NET": "start_net.sh (nqsportkpr, then the watcher under PMF)",
             "watcher": "the process PMF runs (pmfadm -c)", "STOP_NET": "stop_net.sh"},
    stops=("STOP_NET",), monitors=(),
    stopped={"STOP_NET": frozenset({0})}, failed={"STOP_NET": 1}, running={},
    stop_timeout={"jccluster": ("not rendered", None),
                  "cjcpw": ("STOP_NET / ABORT_NET method timeout (hareg -t)", 240)},
    monitor_bound=None,
    supervisors=("cjcpw",), drilled=True,
    sources={"pmf": S22_PMF, "refused": JCC_SUN22},
    entries={
        "start": S("START_NET=0 watcher=runs", "stays-running",
                   "the logical host is mastered, PMF watches the watcher", "pmf"),
        "daemon-dies": S("watcher=1 STOP_NET=0", "fails-over",
                         "PMF runs the action program: the logical host is given up and another "
                         "node masters it (STOP_NET here, START_NET there)", "pmf"),
        "watcher-dies": S("watcher=killed STOP_NET=0", "fails-over",
                          "as daemon-dies: the logical host is given up", "pmf"),
        "planned-stop": S("STOP_NET=0", "stays-stopped",
                          "the logical host is released (haswitch)", "pmf"),
        "stop-cannot-run": S("STOP_NET=1", "waits-for-operator",
                             "a failed STOP_NET: the framework treats the transition as failed",
                             U),
        "stop-leaves-processes": S("STOP_NET=1", "waits-for-operator",
                                   "a failed STOP_NET: the transition failed", U),
        "down-cjcpw-stop-fails": S("STOP_NET=0", "fails-over",
                                   "the release succeeded: the other node masters the logical "
                                   "host", "pmf"),
        "half-stopped": S("STOP_NET=0", "stays-stopped",
                          "STOP_NET run again (the method was interrupted) finishes the stop", U),
        "maintenance": S("START_NET=0 watcher=runs STOP_NET=0", "stays-running",
                         "PMF keeps watching the watcher (cjcpw stays up in maintenance)", "pmf"),
        "never-seen": S("STOP_NET=0", "stays-stopped",
                        "a node that does not master the logical host does nothing", "pmf"),
        "bad-input": S("START_NET=1 STOP_NET=0", "waits-for-operator",
                       "nqsportkpr fails, START_NET fails before PMF runs anything: the "
                       "framework treats the transition as failed", U),
    },
))

_P.append(_product(
    adapter="serviceguard", title="HP Serviceguard (modular and legacy packages)",
    actions={"start": "the external script's start (legacy: customer_defined_run_cmds)",
             "service": "service_cmd / SERVICE_CMD (the watched process)",
             "halt": "the external script's stop (legacy: customer_defined_halt_cmds)"},
    stops=("halt",), monitors=(),
    stopped={"halt": frozenset({0})}, failed={"halt": 1}, running={},
    stop_timeout={"jccluster": ("halt_script_timeout", 240),
                  "cjcpw": ("halt_script_timeout", 240)},
    monitor_bound=None,
    supervisors=SUPERVISORS, drilled=True,
    sources={"service": SG_SERVICE, "halt": SG_HALT},
    entries={
        "start": S("start=0 service=runs", "stays-running",
                   "the package runs; Serviceguard watches the service's process", "service"),
        "daemon-dies": S("service=1 halt=0", "fails-over",
                         "the service exited: with service_restart none the package fails, its "
                         "halt runs here and it starts on an adoptive node", "service"),
        "watcher-dies": S("service=killed halt=0", "fails-over",
                          "as daemon-dies: the service's end fails the package over", "service"),
        "planned-stop": S("halt=0", "stays-stopped",
                          "cmhaltpkg: the services are halted, then the halt commands run",
                          "halt"),
        "stop-cannot-run": S("halt=1", "waits-for-operator",
                             "a failed halt: the package is halted with switching disabled; "
                             "the operator checks the node before enabling it", "halt"),
        "stop-leaves-processes": S("halt=1", "waits-for-operator",
                                   "a failed halt: switching disabled, for the operator",
                                   "halt"),
        "down-cjcpw-stop-fails": S("halt=0", "fails-over",
                                   "the halt succeeded: the package starts on the adoptive node",
                                   "service", "the manual's own sample puts `:` before "
                                   "test_return 52 so that cjcpw -stop's status never blocks "
                                   "the failover; here the stop verifies instead"),
        "half-stopped": S("halt=0", "stays-stopped",
                          "after a halt that timed out the operator halts the package again; "
                          "the halt now finishes the stop", "halt"),
        "maintenance": S("start=0 service=runs halt=0", "stays-running",
                         "the service (the watcher) keeps running: no failover", "service"),
        "never-seen": S("halt=0", "stays-stopped",
                        "halting a package that never ran here succeeds", "halt"),
        "bad-input": S("start=1 halt=0", "waits-for-operator",
                       "exit 1 from start: halt the package and do not restart it elsewhere",
                       "service", "jccluster tells a configuration error apart: 1, the same "
                       "name fails on every node; under cjcpw a failing nqsportkpr may be this "
                       "node's (a port in use), so 2: restart elsewhere",
                       cjcpw="start=2 halt=0"),
    },
))

_P.append(_product(
    adapter="clusterpro-linux", title="CLUSTERPRO X / EXPRESSCLUSTER X for Linux (exec resource)",
    actions={"start.sh": "the exec resource's asynchronous start script (watched by pidw)",
             "stop.sh": "the synchronous stop script"},
    stops=("stop.sh",), monitors=(),
    stopped={"stop.sh": frozenset({0})}, failed={"stop.sh": 1}, running={},
    stop_timeout={"jccluster": ("exec resource stop timeout", 180),
                  "cjcpw": ("exec resource stop timeout", 240)},
    monitor_bound=None,
    supervisors=SUPERVISORS, drilled=True,
    sources={"pidw": CLP_PIDW},
    entries={
        "start": S("start.sh=runs", "stays-running",
                   "the group is up; the PID monitor watches start.sh", "pidw"),
        "daemon-dies": S("start.sh=ends stop.sh=0", "fails-over",
                         "start.sh ends: the PID monitor's recovery (group failover) runs "
                         "stop.sh here and starts the group on the next server", "pidw"),
        "watcher-dies": S("start.sh=ends stop.sh=0", "fails-over",
                          "as daemon-dies", "pidw"),
        "planned-stop": S("stop.sh=0", "stays-stopped",
                          "the group stops (clpgrp -t)", "pidw"),
        "stop-cannot-run": S("stop.sh=1", "waits-for-operator",
                             "a deactivation failure: the resource's final action applies "
                             "(default unverified; recommended: stop the cluster service and "
                             "shut the OS down, which ends the site too)", U,
                             cjcpw="stop.sh=0", cjcpw_net="fails-over",
                             cjcpw_why="cjcpw -stop failed, but stop.sh still did its work (it "
                             "ends what is left of the site itself and verifies that none of it "
                             "lives), so the deactivation succeeds and the group moves on"),
        "stop-leaves-processes": S("stop.sh=1", "waits-for-operator",
                                   "a deactivation failure (final action as configured)", U),
        "down-cjcpw-stop-fails": S("stop.sh=0", "fails-over",
                                   "the deactivation succeeded: the group starts on the next "
                                   "server", "pidw", "the manual's sample stop always exits 0; "
                                   "here it exits 0 because nothing is left, verified"),
        "half-stopped": S("stop.sh=0", "stays-stopped",
                          "the group stop is retried (clpgrp -t) and now succeeds", U),
        "maintenance": S("start.sh=runs stop.sh=0", "stays-running",
                         "start.sh (the watcher) keeps running: pidw is content", "pidw"),
        "never-seen": S("stop.sh=0", "stays-stopped",
                        "stopping a group that never ran here succeeds", "pidw"),
        "bad-input": S("start.sh=ends stop.sh=0", "fails-over",
                       "start.sh ends at once: the PID monitor fails the group over, where it "
                       "fails the same way until the operator fixes the name", "pidw"),
    },
))

_P.append(_product(
    adapter="clusterpro-windows",
    title="CLUSTERPRO / EXPRESSCLUSTER for Windows (ARM scripts, X script resource)",
    actions={"start.bat": "ARMLoad /M: the watched program", "stop.bat": "the stop script"},
    stops=("stop.bat",), monitors=(),
    stopped={"stop.bat": frozenset({0})}, failed={"stop.bat": 1}, running={},
    stop_timeout={"jccluster": ("script resource stop timeout", 180),
                  "cjcpw": ("script resource stop timeout", 240)},
    monitor_bound=None,
    supervisors=SUPERVISORS, drilled=False,
    sources={"arm": CLW_ARM},
    entries={
        "start": S("start.bat=runs", "stays-running", "ARM watches the program", "arm"),
        "daemon-dies": S("start.bat=ends stop.bat=0", "fails-over",
                         "the watched program ended: ARM fails the group over", "arm"),
        "watcher-dies": S("start.bat=ends stop.bat=0", "fails-over", "as daemon-dies", "arm"),
        "planned-stop": S("stop.bat=0", "stays-stopped",
                          "the watch is paused (ARMLoadC /W PAUSE), the site stopped", "arm"),
        "stop-cannot-run": S("stop.bat=1", "waits-for-operator",
                             "ARM ignores the status; EXPRESSCLUSTER X: a deactivation failure, "
                             "its final action applies", U),
        "stop-leaves-processes": S("stop.bat=1", "waits-for-operator",
                                   "as stop-cannot-run", U),
        "down-cjcpw-stop-fails": S("stop.bat=0", "fails-over",
                                   "the group goes on to the next server", "arm"),
        "half-stopped": S("stop.bat=0", "stays-stopped", "the stop is run again", U),
        "maintenance": S("start.bat=runs stop.bat=0", "stays-running",
                         "the watched program keeps running", "arm"),
        "never-seen": S("stop.bat=0", "stays-stopped", "nothing to stop", "arm"),
        "bad-input": S("start.bat=ends stop.bat=0", "fails-over",
                       "the watched program ends at once: ARM fails the group over", "arm"),
    },
))

_P.append(_product(
    adapter="mscs", title="MSCS / Microsoft Failover Cluster (Generic Application variant)",
    actions={"process": "the Generic Application's process (the watcher)",
             "stop": "jccluster agent mscs stop / cjcpw -stop (run before offline)"},
    stops=("stop",), monitors=(),
    stopped={"stop": frozenset({0})}, failed={"stop": 1}, running={},
    stop_timeout={"jccluster": ("PendingTimeout", 180), "cjcpw": ("PendingTimeout", 240)},
    monitor_bound=None,
    supervisors=SUPERVISORS, drilled=False,
    sources={"genapp": MSCS_GENAPP},
    entries={
        "start": S("process=runs", "stays-running", "the resource is online", "genapp"),
        "daemon-dies": S("process=ends stop=0", "fails-over",
                         "the process ended: the resource fails, RestartThreshold 0, the group "
                         "fails over", "genapp"),
        "watcher-dies": S("process=ends stop=0", "fails-over", "as daemon-dies", "genapp"),
        "planned-stop": S("stop=0", "stays-stopped",
                          "the site is stopped, then the resource taken offline", "genapp"),
        "stop-cannot-run": S("stop=1", "waits-for-operator",
                             "the operator's stop failed: the resource is not taken offline", U),
        "stop-leaves-processes": S("stop=1", "waits-for-operator", "as stop-cannot-run", U),
        "down-cjcpw-stop-fails": S("stop=0", "fails-over", "the group goes on", "genapp"),
        "half-stopped": S("stop=0", "stays-stopped", "the stop is run again", U),
        "maintenance": S("process=runs stop=0", "stays-running",
                         "the process keeps running", "genapp"),
        "never-seen": S("stop=0", "stays-stopped", "nothing to stop", "genapp"),
        "bad-input": S("process=ends stop=0", "fails-over",
                       "the process ends at once: the group fails over and fails there too",
                       "genapp"),
    },
))

PRODUCTS = MappingProxyType({p.adapter: p for p in _P})
ADAPTERS = tuple(PRODUCTS)


@cache
def all_rows() -> tuple[Row, ...]:
    out = []
    for product in _P:
        for supervisor in SUPERVISORS:
            for situation in SITUATIONS:
                out.append(_row(product, supervisor, situation))
    return tuple(out)


def _row(product: Product, supervisor: str, situation: str) -> Row:
    if supervisor not in product.supervisors:
        return Row(product.adapter, supervisor, situation, MappingProxyType({}),
                   "nothing: the configuration is refused when it is rendered",
                   product.sources["refused"], "refuses-config",
                   "an adapter that cannot run under this supervisor is never rendered for it")
    entry = product.entries[situation]
    exits = entry[supervisor] or entry["exits"]
    source = entry["source"]
    cite = U if source == U else product.sources[source]
    why = WHY[situation] + (f"; {entry['why']}" if entry["why"] else "")
    net = entry["net"]
    if supervisor == "cjcpw":
        why = entry["cjcpw_why"] or why
        net = entry["cjcpw_net"] or net
    return Row(product.adapter, supervisor, situation, _exits(exits), entry["next"], cite, net,
               why)
