"""CLUSTERPRO X / EXPRESSCLUSTER X for Linux: the spec ``jccluster agent clusterpro-linux`` runs on.

EXPRESSCLUSTER reads 0 as success and anything else as failure (synchronous scripts, custom
monitors); an asynchronous start script's exit is seen only by the PID monitor. Rendering:
`.adapter` (the clp.conf model: `.clpconf`); check rules: `.rules`.
"""

from jobcenter_cluster.spec import LSB_LIKE, AdapterSpec, AgentAction

SPEC = AdapterSpec(
    "clusterpro-linux",
    "CLUSTERPRO X / EXPRESSCLUSTER X for Linux (exec resource + PID monitor)",
    actions={
        "start": AgentAction("watch", "start.sh (asynchronous): start the site and watch it in "
                             "the foreground; its exit is what the PID monitor detects"),
        "start-nowatch": AgentAction("start", "start.sh without monitoring (synchronous, "
                                     "cjcpw -c): start and return"),
        "stop": AgentAction("stop", "stop.sh (synchronous): stop the site and everything left "
                            "of it (cjcpw -stop)"),
        "status": AgentAction("status", "0 running, 3 stopped, 1 failed (usable by a custom "
                              "monitor: any non-zero is an error)"),
        "validate": AgentAction("validate", "check this node can run the site"),
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in start.sh"),
    },
    exit_codes=LSB_LIKE,
    adapter="jobcenter_cluster.adapters.clusterpro_linux.adapter:ClusterProLinuxAdapter",
)
