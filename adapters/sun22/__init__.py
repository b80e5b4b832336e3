"""Sun Cluster 2.2: the spec ``jccluster agent sun22`` runs on.

PMF runs the ``watch`` verb (``pmfadm -c``); the START_NET/STOP_NET methods run ``keep-port`` and
``stop``. Methods exit 0 for success and non-zero for failure (Sun Cluster 2.2 API); ``status``
is LSB-like, for operators. Rendering: `.adapter`; check rules: `.rules`.
"""

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import AdapterSpec, AgentAction, exit_codes

SPEC = AdapterSpec(
    "sun22", "Sun Cluster 2.2 (data service methods with pmfadm, registered with hareg)",
    actions={
        "watch": AgentAction("watch", "what PMF runs (pmfadm -c): start the site and watch it "
                             "in the foreground"),
        "stop": AgentAction("stop", "stop the site and whatever of it is left (STOP_NET)"),
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); before pmfadm -c in START_NET"),
        "status": AgentAction("status", "for operators: 0 running, 1 failed, 3 stopped, "
                              "4 unknown"),
        "validate": AgentAction("validate", "can this node run the site"),
    },
    exit_codes=exit_codes(actions={
        "status": {Outcome.STOPPED: 3, Outcome.INVALID: 4, Outcome.NOT_INSTALLED: 4},
    }),
    adapter="jobcenter_cluster.adapters.sun22.adapter:Sun22Adapter",
)
