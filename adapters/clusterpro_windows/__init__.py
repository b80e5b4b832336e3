"""CLUSTERPRO / EXPRESSCLUSTER for Windows: the spec ``jccluster agent clusterpro-windows`` runs on.

ARMLoad /M reacts to the watched program ending, whatever its code (the node is shut down or the
group fails over); codes are for the operator and for EXPRESSCLUSTER X, where a script
resource's non-zero exit is an activation/deactivation failure. Rendering and check rules:
`.adapter`, `.rules`.
"""

from jobcenter_cluster.spec import LSB_LIKE, AdapterSpec, AgentAction

SPEC = AdapterSpec(
    "clusterpro-windows",
    "CLUSTERPRO / EXPRESSCLUSTER for Windows (ARM group scripts, X script resource)",
    actions={
        "watch": AgentAction("watch", "the program ARMLoad /M watches: start the site and watch "
                             "it in the foreground; exits when the site fails or is stopped"),
        "start": AgentAction("start", "start without watching (monitor = false: the manual's "
                             "cjcpw -c)"),
        "stop": AgentAction("stop", "stop the site and everything left of it (cjcpw -stop)"),
        "status": AgentAction("status", "0 running, 1 failed, 3 stopped (usable as an "
                              "EXPRESSCLUSTER X custom monitor: non-zero is an error)"),
        "validate": AgentAction("validate", "check the site can run on this node"),
    },
    exit_codes=LSB_LIKE,
    adapter="jobcenter_cluster.adapters.clusterpro_windows.adapter:ClusterProWindowsAdapter",
)
