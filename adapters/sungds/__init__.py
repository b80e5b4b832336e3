"""Oracle Solaris Cluster / Sun Cluster 3.x (SUNW.gds): the spec ``jccluster agent sungds`` runs
on.

GDS reads Start_command and Stop_command as 0 success, anything else failure, and
Probe_command's status as 0 healthy ... 100 complete failure, 201 fail over at once (Sun Cluster
Data Services Developer's Guide 819-2972, "Probe_command Property"). Rendering: `.adapter`;
check rules: `.rules`.
"""

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import AdapterSpec, AgentAction, exit_codes

#: probe statuses GDS understands: 0..100 (100 = complete failure) and 201 (fail over now).
PROBE_OK, PROBE_FAILED, PROBE_FAILOVER = 0, 100, 201

SPEC = AdapterSpec(
    "sungds", "Oracle Solaris Cluster / Sun Cluster 3.0-3.2 (Generic Data Service, SUNW.gds)",
    actions={
        "start": AgentAction("watch", "GDS Start_command (through start.sh): start the site "
                             "and watch it in the foreground; PMF watches this process"),
        "stop": AgentAction("stop", "GDS Stop_command (through stop.sh): stop the site and "
                            "whatever of it is left"),
        "probe": AgentAction("status", "GDS Probe_command: 0 healthy, 100 failed (restart or "
                             "fail over per Retry_count), 201 fail over at once"),
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in start.sh"),
        "validate": AgentAction("validate", "can this node run the site (for operators)"),
    },
    # 0 for success, the default 1 for any failure; the probe: 0 healthy (maintenance too), 100
    # failed (restart or fail over per Retry_count), 201 cannot run here (fail over at once).
    exit_codes=exit_codes(
        actions={"probe": {Outcome.RUNNING: PROBE_OK, Outcome.MAINTENANCE: PROBE_OK,
                           Outcome.STOPPED: PROBE_FAILED, Outcome.FAILED: PROBE_FAILED,
                           Outcome.INVALID: PROBE_FAILED, Outcome.UNRECOVERABLE: PROBE_FAILOVER,
                           Outcome.NOT_INSTALLED: PROBE_FAILOVER}},
    ),
    adapter="jobcenter_cluster.adapters.sungds.adapter:SunGdsAdapter",
)
