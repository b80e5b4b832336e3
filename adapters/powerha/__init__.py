"""IBM PowerHA SystemMirror (HACMP): the spec ``jccluster agent powerha`` runs on.

The custom application monitor calls ``monitor`` every ``MONITORINTERVAL`` seconds; it must exit
0 when the application is healthy and non-zero when it failed (PowerHA SystemMirror 7.2,
"Configuring a custom application monitor"). Rendering and check rules: `.adapter`, `.rules`.
"""

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import AdapterSpec, AgentAction, exit_codes

SPEC = AdapterSpec(
    "powerha", "IBM PowerHA SystemMirror (HACMP) for AIX and Linux",
    actions={
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in the start script"),
        "start": AgentAction("background", "start script: start the site with a detached "
                             "watcher; return once it is up"),
        "start-unwatched": AgentAction("start", "start without a watcher (monitor = false, "
                                       "cjcpw -c)"),
        "stop": AgentAction("stop", "stop script (and cleanup method): stop the site"),
        "monitor": AgentAction("status", "custom monitor method: 0 healthy, non-zero failed"),
    },
    # The monitor's non-zero codes are for the operator (clappmond logs them): 3 stopped,
    # 5 cannot run here, 6 not installed, like `jccluster site status`.
    exit_codes=exit_codes(
        each={Outcome.FAILED: 1, Outcome.INVALID: 2, Outcome.UNRECOVERABLE: 5,
              Outcome.NOT_INSTALLED: 6, Outcome.UNSUPPORTED: 7},
        actions={"monitor": {Outcome.STOPPED: 3}},
    ),
    adapter="jobcenter_cluster.adapters.powerha.adapter:PowerHaAdapter",
)
