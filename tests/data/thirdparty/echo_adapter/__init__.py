"""A tiny third-party adapter, installed by the packaging test to prove that adapters are found
through the entry-point group alone (it is the example of jobcenter_cluster.adapter's docstring).

This module is the spec the entry point names: all ``jccluster agent echo ...`` imports."""

from jobcenter_cluster.spec import LSB_LIKE, AdapterSpec, AgentAction

SPEC = AdapterSpec(
    "echo", "Echo Cluster 1.0",
    actions={
        "start": AgentAction("watch", "start the site and watch it in the foreground"),
        "stop": AgentAction("stop", "stop the site"),
        "monitor": AgentAction("status", "0 running, 3 stopped, 1 failed"),
    },
    exit_codes=LSB_LIKE,
    adapter="echo_adapter.adapter:EchoAdapter",
)
