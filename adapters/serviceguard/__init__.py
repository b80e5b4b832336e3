"""MC/ServiceGuard (HP-UX) and Serviceguard for Linux: the spec ``jccluster agent serviceguard``
runs on.

The package's SERVICE_CMD runs the ``service`` verb in the foreground: its exit makes Serviceguard
fail the package over. The external script's entry points exit 0 for success, 1 for "halt and do
not restart", 2 for "restart on another node" ("Managing Serviceguard", About External Scripts).
Rendering: `.adapter`; check rules: `.rules`.
"""

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import AdapterSpec, AgentAction, exit_codes

SPEC = AdapterSpec(
    "serviceguard",
    "HP MC/ServiceGuard (HP-UX), Serviceguard for Linux (legacy and modular packages)",
    actions={
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); first in every start path"),
        "service": AgentAction("watch", "SERVICE_CMD: start the site and watch it in the "
                               "foreground; its exit makes Serviceguard fail the package over"),
        "start": AgentAction("start", "start without watching (the no-monitoring variant, "
                             "cjcpw -c)"),
        "stop": AgentAction("stop", "stop the site and everything left of it (cjcpw -stop)"),
        "validate": AgentAction("validate", "external script 'validate' (cmcheckconf)"),
        "status": AgentAction("status", "0 running, 1 failed, 3 stopped (for operators)"),
    },
    # A failed start asks for a restart on another node (2); everything else that fails halts
    # the package (1). status: LSB-like, for operators.
    exit_codes=exit_codes(actions={
        "keep-port": {Outcome.FAILED: 2},
        "start": {Outcome.FAILED: 2, Outcome.UNRECOVERABLE: 2, Outcome.NOT_INSTALLED: 2},
        "status": {Outcome.STOPPED: 3, Outcome.INVALID: 2},
    }),
    adapter="jobcenter_cluster.adapters.serviceguard.adapter:ServiceGuardAdapter",
)
