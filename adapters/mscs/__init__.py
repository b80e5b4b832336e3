"""MSCS and Microsoft Failover Clustering: the spec ``jccluster agent mscs`` runs on.

The Generic Application resource watches the process's existence only; codes are for the
operator (and for scripts around Get-ClusterResource). Rendering and check rules: `.adapter`,
`.rules`.
"""

from jobcenter_cluster.spec import LSB_LIKE, AdapterSpec, AgentAction

SPEC = AdapterSpec(
    "mscs",
    "Microsoft Cluster Service (MSCS) and Microsoft Failover Cluster (2008 and later)",
    actions={
        "watch": AgentAction("watch", "the Generic Application's process: start the site and "
                             "watch it in the foreground; exits when the site fails"),
        "start": AgentAction("start", "start without watching"),
        "stop": AgentAction("stop", "stop the site and everything left of it"),
        "status": AgentAction("status", "0 running, 1 failed, 3 stopped"),
        "validate": AgentAction("validate", "check the site can run on this node"),
    },
    exit_codes=LSB_LIKE,
    adapter="jobcenter_cluster.adapters.mscs.adapter:MscsAdapter",
)
