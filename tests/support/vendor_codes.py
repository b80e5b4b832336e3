"""Each cluster product's exit codes, written from the vendor's documented semantics (issue 26).

This is the *expected* side of the adapter exit tables: tests compare every adapter's table (and
the codes ``jccluster agent`` really exits with) against these rows, never against the table
itself. One row per adapter × verb × engine outcome that ``OUTCOMES_BY_OPERATION`` says the
verb's operation can produce, plus what an unknown verb and an internal error exit with.

Each row names the vendor source it rests on (a key of `SOURCES`). Where a product only says
"0 is success, anything else a failure" the vendor fixes 0 versus non-zero; the particular
non-zero value is this project's documented convention (LSB-like for operators: 1 failed,
2 bad arguments or configuration, 3 stopped; see the adapter's page under docs/adapters/),
and the row says so with ``"convention"``. A source we could not find publicly with the search
tool is marked ``unverified`` in `SOURCES`.

"""

from __future__ import annotations

from typing import NamedTuple

from jobcenter_cluster.outcome import Outcome

RUNNING, MAINTENANCE, STOPPED = Outcome.RUNNING, Outcome.MAINTENANCE, Outcome.STOPPED
SUCCESS, FAILED, UNRECOVERABLE = Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE
INVALID, NOT_INSTALLED, UNSUPPORTED = Outcome.INVALID, Outcome.NOT_INSTALLED, Outcome.UNSUPPORTED

#: Where each product's semantics are written down.
SOURCES: dict[str, str] = {
    # --- Pacemaker / OCF
    "ocf": "OCF return codes and how Pacemaker reacts (soft/hard/fatal): Red Hat, High "
           "Availability Add-On Reference, Appendix A 'OCF Return Codes', "
           "https://docs.redhat.com/en/documentation/Red_Hat_Enterprise_linux/7/html/"
           "high_availability_add-on_reference/ap-ha-ocfcodes-harr (0 OCF_SUCCESS, 1 "
           "OCF_ERR_GENERIC soft, 2 OCF_ERR_ARGS 'configuration not valid on this machine' hard, "
           "3 OCF_ERR_UNIMPLEMENTED hard, 5 OCF_ERR_INSTALLED hard, 7 OCF_NOT_RUNNING 'safely "
           "stopped'); RHEL 8 ch. 35 'Interpreting resource agent OCF return codes'",
    "ocf-unimplemented": "OCF Resource Agent Developer's Guide, 'OCF_ERR_ARGS (2)': an agent "
                         "asked for an action it does not support returns OCF_ERR_UNIMPLEMENTED "
                         "(3), http://www.linux-ha.org/doc/dev-guides/"
                         "_literal_ocf_err_args_literal_2.html",
    # --- VCS
    "vcs-monitor": "Cluster Server Agent Developer's Guide, 'Return values for entry points': "
                   "script monitor 99 unknown, 100 offline, 101-110 online, other values "
                   "unknown; clean 0 success, non-zero failure (clean is retried after the "
                   "next monitor), https://sort.veritas.com/public/documents/sf/5.0MP3/solaris/"
                   "html/vcs_agent_dev/ch_ep_oview16.html; Application agent MonitorProgram "
                   "'About the monitor script exit codes', https://sort.veritas.com/public/"
                   "documents/vie/7.3/aix/productguides/html/vcs_gen_agent/apbs02.htm",
    "vcs-clean": "Cluster Server 4.1 Agent Developer's Guide, clean entry point: clean_reason 1 "
                 "(the offline entry point was ineffective), 4 (the resource was taken offline "
                 "unexpectedly); the group fails over once Clean succeeded, "
                 "imap.filibeto.org/unix/hp-ux/lib/cluster/veritas-sf-ha-docs/docsets/vcs/html/"
                 "04_ep_script_vcs144_1000550.html",
    "vcs-programs": "Application agent StartProgram/StopProgram: VCS decides online/offline "
                    "by the monitor that follows (Agent Developer's Guide, 'Return values for "
                    "entry points', URL above: online/offline return the seconds to wait before "
                    "that monitor); 0 success / 1 failure is the convention (docs/adapters/"
                    "veritas.md) -- unverified beyond that page",
    # --- Serviceguard
    "sg-run": "Managing HP Serviceguard for Linux 8th ed., 'Normal and Abnormal Exits from the "
              "Run Script': 0 normal, 1 no_restart (disabled from failing over), 2 restart "
              "(may start on another node), http://www.manualshelf.com/manual/hp/"
              "hp-sap-linux-serviceguard-cluster-extension/managing-hp-serviceguard-for-linux-"
              "eighth-edition-march-2008/page-66.html; external scripts use the same 0/1/2 "
              "('About External Scripts', Managing Serviceguard 18th ed.)",
    "sg-halt": "Managing HP Serviceguard for Linux 9th ed., 'Normal and Abnormal Exits from the "
               "Halt Script': 0 all services down on this node, 1 did not halt normally "
               "(disabled globally), http://www.manualshelf.com/manual/hp/"
               "hp-serviceguard-for-linux-rh-as-proliant-cluster/managing-hp-serviceguard-for-"
               "linux-ninth-edition-april-2009/page-70.html",
    "sg-service": "Same manual, page 66: 'If the service dies, the package manager will then "
                  "run the package halt script' -- any exit of SERVICE_CMD is a failure; its "
                  "code is for the log (convention)",
    "sg-validate": "About External Scripts (Managing Serviceguard 18th ed.): for validate, 1 and "
                   "2 both mean invalid -- unverified publicly beyond docs/adapters/"
                   "serviceguard.md",
    # --- PowerHA
    "powerha-monitor": "IBM PowerHA SystemMirror 7.2, 'Configuring a custom application "
                       "monitor': 'The return value must be zero if the application is healthy, "
                       "and must be a non zero value if the application has failed', "
                       "https://www.ibm.com/docs/SSPHQG_7.2/admin/"
                       "ha_admin_config_custom_appmon2.htm",
    "powerha-scripts": "PowerHA application controller start/stop scripts: 0 success, non-zero "
                       "failure (resource group to ERROR) -- unverified (no public page found "
                       "with the search tool; docs/adapters/powerha.md)",
    # --- Sun Cluster GDS and 2.2
    "gds-probe": "Sun Cluster 3.1 Data Services Developer's Guide, 'Probe_command': 0 success "
                 "... 100 complete failure, 201 immediate failover, "
                 "https://docs.oracle.com/cd/E19050-01/sun.cluster31/816-3385/gds-5a/index.html; "
                 "820-2559 'Probe_command Property', "
                 "http://docs.oracle.com/cd/E19787-01/820-2559/gds-15/index.html",
    "gds-methods": "Sun Cluster Data Services Developer's Guide, 'Start Exit Status'/'Stop Exit "
                   "Status': exit 0 only when started/stopped, a failure status makes RGM act "
                   "on Failover_mode (a failed stop: Stop_failed), https://docs.oracle.com/cd/"
                   "E19050-01/sun.cluster31/816-3385/ch5_sample-41/index.html",
    "sc22-methods": "Sun Cluster 2.2 API Developer's Guide (806-1006 / 806-5344), data service "
                    "methods start_net/stop_net: 0 success, non-zero failure -- the exit-status "
                    "wording is unverified (https://docs.oracle.com/cd/E19957-01/806-1006/ "
                    "found, the sentence not)",
    "pmf": "pmfadm(1M): PMF restarts or gives up when the watched process exits, whatever its "
           "code, https://docs.oracle.com/cd/E39579_01/html/E39662/pmfadm-1m.html; the code is "
           "for the log (convention)",
    # --- CLUSTERPRO / EXPRESSCLUSTER
    "clp-genw": "EXPRESSCLUSTER custom monitor (genw) 'normal return value' parameters/normalval "
                "(0 here; any other value is an error), NEC EXPRESSCLUSTER/clpcfset "
                "doc/linux/genw.md, https://github.com/EXPRESSCLUSTER/clpcfset",
    "clp-exec": "EXPRESSCLUSTER exec resource start.sh/stop.sh: 0 success, non-zero "
                "activation/deactivation failure; an asynchronous start.sh is watched by the PID "
                "monitor (doc/linux/exec.md, pidw.md in EXPRESSCLUSTER/clpcfset) -- the exit "
                "wording itself unverified",
    "clp-armload": "CLUSTERPRO for Windows ARMLoad /M: the group reacts to the watched program "
                   "ending, whatever its code (CLUSTERPRO Ver 7.0 Command Reference; "
                   "unverified publicly); X script resource non-zero = failure (unverified)",
    # --- MSCS
    "mscs-genapp": "MSCS SDK 'Generic Application': the resource DLL 'checks for application "
                   "failure by determining whether the application's process still exists' -- "
                   "exit codes are not read, https://learn.microsoft.com/en-us/previous-versions/"
                   "windows/desktop/mscs/generic-application",
    # --- operators' status verbs
    "lsb-status": "LSB init script actions, status: 0 running, 1 dead (pid file exists), 3 not "
                  "running, 4 unknown, https://refspecs.linuxbase.org/LSB_5.0.0/LSB-Core-generic/"
                  "LSB-Core-generic/iniscrptact.html -- used for operators; 2 for bad "
                  "arguments/configuration is this project's convention (spec.LSB_LIKE)",
    "convention": "the vendor reads only 0 versus non-zero here; the value is this project's "
                  "documented convention (docs/adapters/<name>.md)",
}


class Expect(NamedTuple):
    """One expected exit: the code(s) the vendor's semantics allow and why."""

    codes: frozenset[int]
    source: str

    def matches(self, code: int) -> bool:
        return code in self.codes


def code(value: int, source: str) -> Expect:
    return Expect(frozenset({value}), source)


# --------------------------------------------------------------------------- Pacemaker (OCF)

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_ARGS, OCF_ERR_UNIMPLEMENTED = 0, 1, 2, 3
OCF_ERR_INSTALLED, OCF_NOT_RUNNING = 5, 7


def _ocf_start() -> dict[Outcome, Expect]:
    return {SUCCESS: code(OCF_SUCCESS, "ocf"),
            FAILED: code(OCF_ERR_GENERIC, "ocf"),  # soft: restart here or move
            # the database is not here / JobCenter missing: hard, move to another node
            UNRECOVERABLE: code(OCF_ERR_INSTALLED, "ocf"),
            NOT_INSTALLED: code(OCF_ERR_INSTALLED, "ocf"),
            INVALID: code(OCF_ERR_ARGS, "ocf")}


PACEMAKER: dict[tuple[str, Outcome], Expect] = {
    **{("start", o): e for o, e in _ocf_start().items()},
    **{("start-unwatched", o): e for o, e in _ocf_start().items()},
    ("stop", SUCCESS): code(OCF_SUCCESS, "ocf"),
    ("stop", FAILED): code(OCF_ERR_GENERIC, "ocf"),  # a failed stop: Pacemaker fences
    # a stop that was given bad arguments did not stop anything: it must not read as success
    # (OCF_SUCCESS is "stopped"); OCF_ERR_ARGS like every other verb's INVALID (issue 20)
    ("stop", INVALID): code(OCF_ERR_ARGS, "ocf"),
    ("monitor", RUNNING): code(OCF_SUCCESS, "ocf"),
    ("monitor", MAINTENANCE): code(OCF_SUCCESS, "ocf"),  # watcher up: must not be recovered
    ("monitor", STOPPED): code(OCF_NOT_RUNNING, "ocf"),  # "safely stopped"
    ("monitor", FAILED): code(OCF_ERR_GENERIC, "ocf"),  # never 7 while processes live
    ("monitor", UNRECOVERABLE): code(OCF_ERR_INSTALLED, "ocf"),
    ("monitor", NOT_INSTALLED): code(OCF_ERR_INSTALLED, "ocf"),
    ("monitor", INVALID): code(OCF_ERR_ARGS, "ocf"),
    ("validate-all", SUCCESS): code(OCF_SUCCESS, "ocf"),
    ("validate-all", INVALID): code(OCF_ERR_ARGS, "ocf"),
    ("validate-all", NOT_INSTALLED): code(OCF_ERR_INSTALLED, "ocf"),
    ("meta-data", SUCCESS): code(OCF_SUCCESS, "ocf"),
    **{(verb, UNSUPPORTED): code(OCF_ERR_UNIMPLEMENTED, "ocf-unimplemented")
       for verb in ("promote", "demote", "notify", "reload", "migrate_to", "migrate_from")},
}

# --------------------------------------------------------------------------- VCS

VCS_ONLINE, VCS_OFFLINE, VCS_UNKNOWN = 110, 100, 99


def _vcs_program(outcomes: tuple[Outcome, ...]) -> dict[Outcome, Expect]:
    return {o: code(0 if o is SUCCESS else 1, "vcs-programs") for o in outcomes}


_VCS_START = (SUCCESS, FAILED, UNRECOVERABLE, INVALID, NOT_INSTALLED)
VERITAS: dict[tuple[str, Outcome], Expect] = {
    **{("keep-port", o): e for o, e in _vcs_program((SUCCESS, FAILED, INVALID)).items()},
    **{("online", o): e for o, e in _vcs_program(_VCS_START).items()},
    **{("online-unwatched", o): e for o, e in _vcs_program(_VCS_START).items()},
    **{("offline", o): e for o, e in _vcs_program((SUCCESS, FAILED, INVALID)).items()},
    # clean: non-zero makes VCS retry it after the next monitor (never fail the group over)
    ("clean", SUCCESS): code(0, "vcs-monitor"),
    ("clean", FAILED): code(1, "vcs-monitor"),
    ("clean", INVALID): code(1, "vcs-monitor"),
    ("monitor", RUNNING): code(VCS_ONLINE, "vcs-monitor"),
    ("monitor", MAINTENANCE): code(VCS_ONLINE, "vcs-monitor"),  # maintenance must not fault
    ("monitor", STOPPED): code(VCS_OFFLINE, "vcs-monitor"),  # nothing of the site lives
    # A site that failed while it ran (a daemon or the watcher died) is OFFLINE even while other
    # daemons live: VCS sees the resource "taken offline unexpectedly", marks it FAULTED, runs
    # Clean (clean_reason 4), which ends what is left, and fails the group over only when Clean
    # succeeded ("vcs-clean"). The half-stopped site (a stop was recorded and members live) is
    # the exception the agent makes on top of the table (AdapterSpec.half_stopped: ONLINE, so VCS
    # takes the offline as ineffective, clean_reason 1): tests/adapters/test_regressions_veritas.py
    # and the drill (tests/failures) check it against a real site.
    ("monitor", FAILED): code(VCS_OFFLINE, "vcs-clean"),
    # database gone or not mounted here: the site cannot run here; the same fault-then-Clean path
    ("monitor", UNRECOVERABLE): code(VCS_OFFLINE, "vcs-clean"),
    # JobCenter not installed on this node: nothing of the site can run here; UNKNOWN would
    # block VCS's probing of every system in the SystemList.
    ("monitor", NOT_INSTALLED): code(VCS_OFFLINE, "vcs-monitor"),
    ("monitor", INVALID): code(VCS_UNKNOWN, "vcs-monitor"),  # the operator's to fix
}

# --------------------------------------------------------------------------- Serviceguard

SG_OK, SG_NO_RESTART, SG_RESTART = 0, 1, 2
SERVICEGUARD: dict[tuple[str, Outcome], Expect] = {
    ("keep-port", SUCCESS): code(SG_OK, "sg-run"),
    ("keep-port", FAILED): code(SG_RESTART, "sg-run"),  # the port may be free on another node
    ("keep-port", INVALID): code(SG_NO_RESTART, "sg-run"),  # same configuration everywhere
    ("service", SUCCESS): code(0, "sg-service"),
    ("service", FAILED): code(1, "sg-service"),
    ("service", UNRECOVERABLE): code(1, "sg-service"),
    ("service", INVALID): code(1, "sg-service"),
    ("service", NOT_INSTALLED): code(1, "sg-service"),
    ("start", SUCCESS): code(SG_OK, "sg-run"),
    ("start", FAILED): code(SG_RESTART, "sg-run"),  # may well start on the other node
    ("start", UNRECOVERABLE): code(SG_RESTART, "sg-run"),  # the database is not here
    ("start", NOT_INSTALLED): code(SG_RESTART, "sg-run"),
    ("start", INVALID): code(SG_NO_RESTART, "sg-run"),
    ("stop", SUCCESS): code(SG_OK, "sg-halt"),  # "all services are down on this node"
    ("stop", FAILED): code(SG_NO_RESTART, "sg-halt"),  # never a success while the site lives
    ("stop", INVALID): code(SG_NO_RESTART, "sg-halt"),
    ("validate", SUCCESS): code(0, "sg-validate"),
    ("validate", INVALID): code(1, "sg-validate"),
    ("validate", NOT_INSTALLED): code(1, "sg-validate"),
    ("status", RUNNING): code(0, "lsb-status"),
    ("status", MAINTENANCE): code(0, "lsb-status"),
    ("status", STOPPED): code(3, "lsb-status"),
    ("status", FAILED): code(1, "lsb-status"),
    ("status", UNRECOVERABLE): code(1, "lsb-status"),
    ("status", NOT_INSTALLED): code(1, "lsb-status"),
    ("status", INVALID): code(2, "lsb-status"),
}

# --------------------------------------------------------------------------- PowerHA

POWERHA: dict[tuple[str, Outcome], Expect] = {
    ("keep-port", SUCCESS): code(0, "powerha-scripts"),
    ("keep-port", FAILED): code(1, "powerha-scripts"),
    ("keep-port", INVALID): code(2, "powerha-scripts"),
    **{(verb, o): code(c, "powerha-scripts")
       for verb in ("start", "start-unwatched")
       for o, c in ((SUCCESS, 0), (FAILED, 1), (INVALID, 2), (UNRECOVERABLE, 5),
                    (NOT_INSTALLED, 6))},
    ("stop", SUCCESS): code(0, "powerha-scripts"),
    ("stop", FAILED): code(1, "powerha-scripts"),
    ("stop", INVALID): code(2, "powerha-scripts"),
    # 0 healthy, anything else failed (a stopped site inside an online group is a failure);
    # the non-zero values are for clappmond's log (convention, docs/adapters/powerha.md)
    ("monitor", RUNNING): code(0, "powerha-monitor"),
    ("monitor", MAINTENANCE): code(0, "powerha-monitor"),
    ("monitor", FAILED): code(1, "powerha-monitor"),
    ("monitor", INVALID): code(2, "powerha-monitor"),
    ("monitor", STOPPED): code(3, "powerha-monitor"),
    ("monitor", UNRECOVERABLE): code(5, "powerha-monitor"),
    ("monitor", NOT_INSTALLED): code(6, "powerha-monitor"),
}

# --------------------------------------------------------------------------- Sun Cluster

GDS_OK, GDS_COMPLETE_FAILURE, GDS_FAILOVER_NOW = 0, 100, 201


def _zero_one(verb: str, outcomes: tuple[Outcome, ...], source: str):
    return {(verb, o): code(0 if o is SUCCESS else 1, source) for o in outcomes}


_WATCH = (SUCCESS, FAILED, UNRECOVERABLE, INVALID, NOT_INSTALLED)
_STOP = (SUCCESS, FAILED, INVALID)
_VALIDATE = (SUCCESS, INVALID, NOT_INSTALLED)

SUNGDS: dict[tuple[str, Outcome], Expect] = {
    **_zero_one("start", _WATCH, "gds-methods"),
    **_zero_one("stop", _STOP, "gds-methods"),
    **_zero_one("keep-port", _STOP, "gds-methods"),
    **_zero_one("validate", _VALIDATE, "convention"),
    ("probe", RUNNING): code(GDS_OK, "gds-probe"),
    ("probe", MAINTENANCE): code(GDS_OK, "gds-probe"),  # no restart for maintenance
    # complete failure: GDS restarts here (Stop_command first), fails over after Retry_count
    ("probe", STOPPED): code(GDS_COMPLETE_FAILURE, "gds-probe"),
    ("probe", FAILED): code(GDS_COMPLETE_FAILURE, "gds-probe"),
    ("probe", INVALID): code(GDS_COMPLETE_FAILURE, "gds-probe"),  # same config on every node
    # cannot run on this node at all: fail over at once
    ("probe", UNRECOVERABLE): code(GDS_FAILOVER_NOW, "gds-probe"),
    ("probe", NOT_INSTALLED): code(GDS_FAILOVER_NOW, "gds-probe"),
}

SUN22: dict[tuple[str, Outcome], Expect] = {
    **_zero_one("watch", _WATCH, "pmf"),
    **_zero_one("stop", _STOP, "sc22-methods"),
    **_zero_one("keep-port", _STOP, "sc22-methods"),
    **_zero_one("validate", _VALIDATE, "convention"),
    ("status", RUNNING): code(0, "lsb-status"),
    ("status", MAINTENANCE): code(0, "lsb-status"),
    ("status", FAILED): code(1, "lsb-status"),
    ("status", UNRECOVERABLE): code(1, "lsb-status"),
    ("status", STOPPED): code(3, "lsb-status"),
    ("status", INVALID): code(4, "lsb-status"),  # LSB "unknown"
    ("status", NOT_INSTALLED): code(4, "lsb-status"),
}

# --------------------------------------------------------------------------- LSB-like products


def _lsb_like(verbs: dict[str, str], source: str) -> dict[tuple[str, Outcome], Expect]:
    """0 success, 1 failure, 2 bad arguments/configuration; status 0/0/3/1 (LSB)."""
    table: dict[tuple[str, Outcome], Expect] = {}
    for verb, operation in verbs.items():
        if operation == "status":
            for o, c in ((RUNNING, 0), (MAINTENANCE, 0), (STOPPED, 3), (FAILED, 1),
                         (UNRECOVERABLE, 1), (NOT_INSTALLED, 1), (INVALID, 2)):
                table[(verb, o)] = code(c, "lsb-status")
            continue
        outcomes = {"watch": _WATCH, "start": _WATCH, "stop": _STOP, "keep-port": _STOP,
                    "validate": _VALIDATE}[operation]
        for o in outcomes:
            table[(verb, o)] = code({SUCCESS: 0, INVALID: 2}.get(o, 1), source)
    return table


CLUSTERPRO_LINUX = _lsb_like({"start": "watch", "start-nowatch": "start", "stop": "stop",
                              "validate": "validate", "keep-port": "keep-port"}, "clp-exec")
# status: a custom monitor (genw) with normalval 0
CLUSTERPRO_LINUX.update({k: e._replace(source="clp-genw")
                         for k, e in _lsb_like({"status": "status"}, "").items()})
CLUSTERPRO_WINDOWS = _lsb_like({"watch": "watch", "start": "start", "stop": "stop",
                                "status": "status", "validate": "validate"}, "clp-armload")
MSCS = _lsb_like({"watch": "watch", "start": "start", "stop": "stop", "status": "status",
                  "validate": "validate"}, "mscs-genapp")

# --------------------------------------------------------------------------- all of them

#: adapter name -> {(verb, outcome): Expect}
VENDOR: dict[str, dict[tuple[str, Outcome], Expect]] = {
    "pacemaker": PACEMAKER, "veritas": VERITAS, "serviceguard": SERVICEGUARD,
    "powerha": POWERHA, "sungds": SUNGDS, "sun22": SUN22,
    "clusterpro-linux": CLUSTERPRO_LINUX, "clusterpro-windows": CLUSTERPRO_WINDOWS,
    "mscs": MSCS,
}

#: what a verb the adapter does not know exits with (``agent.main``: outcome UNSUPPORTED)
UNKNOWN_VERB: dict[str, Expect] = {
    "pacemaker": code(OCF_ERR_UNIMPLEMENTED, "ocf-unimplemented"),
    # VCS: anything but 100/101-110 is UNKNOWN, never a false OFFLINE
    "veritas": code(VCS_UNKNOWN, "vcs-monitor"),
    "powerha": code(7, "convention"),
    **{name: code(1, "convention") for name in ("serviceguard", "sungds", "sun22",
                                                "clusterpro-linux", "clusterpro-windows",
                                                "mscs")},
}

#: what an internal error (a crash inside the agent) exits with: never a code the product reads
#: as healthy or stopped
INTERNAL_ERROR: dict[str, Expect] = {
    "pacemaker": code(OCF_ERR_GENERIC, "ocf"),
    "veritas": code(VCS_UNKNOWN, "vcs-monitor"),
    **{name: code(1, "convention") for name in ("powerha", "serviceguard", "sungds", "sun22",
                                                "clusterpro-linux", "clusterpro-windows",
                                                "mscs")},
}


def expected(adapter: str, verb: str, outcome: Outcome) -> Expect:
    """The vendor's expectation for one row (KeyError when the row is not written down)."""
    return VENDOR[adapter][(verb, outcome)]


def rows() -> list[tuple[str, str, Outcome, Expect]]:
    """Every row, for parametrising."""
    return [(name, verb, outcome, exp) for name, table in sorted(VENDOR.items())
            for (verb, outcome), exp in table.items()]
