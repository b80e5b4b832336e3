"""Veritas Cluster Server / InfoScale Availability (VCS): the spec ``jccluster agent veritas``
runs on.

The Application agent's MonitorProgram exits 110 online, 100 offline, anything else unknown
(typically 99) (Cluster Server Agent Developer's Guide, "About the monitor script exit codes");
the other programs exit 0 for success. Rendering: `.adapter`; check rules: `.rules`; the main.cf
parser: `.maincf`.
"""

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import AdapterSpec, AgentAction, exit_codes

#: Monitor exit codes of the Application agent's MonitorProgram.
VCS_ONLINE = 110
VCS_OFFLINE = 100
VCS_UNKNOWN = 99

SPEC = AdapterSpec(
    "veritas", "Veritas Cluster Server / InfoScale Availability (VCS) on UNIX and Linux",
    actions={
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in the start program"),
        "online": AgentAction("background", "StartProgram: start the site with a detached "
                              "watcher and return once it is up"),
        "online-unwatched": AgentAction("start", "start without a watcher (monitor = false, "
                                        "cjcpw -c)"),
        "offline": AgentAction("stop", "StopProgram: stop the site (cjcpw -stop)"),
        "clean": AgentAction("stop", "CleanProgram: forced stop; kills whatever is left of the "
                             "site by the deadline"),
        "monitor": AgentAction("status", "MonitorProgram: 110 online, 100 offline, 99 unknown"),
    },
    # Every program but the monitor: 0 success, 1 failure. The monitor: online (maintenance
    # too), offline for anything that is not running, unknown for a mistake.
    exit_codes=exit_codes(
        each={Outcome.FAILED: 1, Outcome.UNRECOVERABLE: 1, Outcome.INVALID: 1,
              Outcome.NOT_INSTALLED: 1},
        actions={"monitor": {Outcome.RUNNING: VCS_ONLINE, Outcome.MAINTENANCE: VCS_ONLINE,
                             Outcome.STOPPED: VCS_OFFLINE, Outcome.FAILED: VCS_OFFLINE,
                             Outcome.UNRECOVERABLE: VCS_OFFLINE,
                             Outcome.NOT_INSTALLED: VCS_OFFLINE, Outcome.INVALID: VCS_UNKNOWN,
                             Outcome.UNSUPPORTED: VCS_UNKNOWN}},
    ),
    # anything unexpected (internal error, unknown verb): UNKNOWN for monitor, failure elsewhere
    # (every other verb's outcomes are in the table)
    default_exit_code=VCS_UNKNOWN,
    # A half-stopped site (a stop was recorded or the run state is unreadable, and processes of
    # the site still live) is ONLINE, never OFFLINE: after an offline VCS reads ONLINE as "the
    # offline entry point was ineffective" and runs Clean (clean_reason 1), which kills what is
    # left; OFFLINE would tell VCS the resource is down and let it start the group elsewhere.
    # A site that failed while it ran stays OFFLINE (100): VCS faults it, runs Clean
    # (clean_reason 4) and fails over only when Clean succeeds (Cluster Server 4.1 Agent
    # Developer's Guide, clean entry point, clean_reason values).
    half_stopped={"monitor": VCS_ONLINE},
    adapter="jobcenter_cluster.adapters.veritas.adapter:VeritasAdapter",
)
