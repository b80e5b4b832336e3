"""Pacemaker/Corosync: the spec ``jccluster agent pacemaker`` runs on (the OCF resource agent
``ocf:jobcenter:site`` calls it with the OCF action's name).

Pacemaker passes the resource's parameters as ``OCF_RESKEY_<name>`` and the operation's timeout
in milliseconds as ``OCF_RESKEY_CRM_meta_timeout`` (Pacemaker Administration, "Resource
Agents"). The OCF return codes are explained in docs/adapters/pacemaker.md ("Exit codes").
The actions with a timeout are the ones the meta-data advertises (`.ocf`, like resource-agents'
``ocf.py`` ``add_action()``); rendering and check rules: `.adapter`, `.rules`.
"""

from __future__ import annotations

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.spec import AdapterSpec, AgentAction, exit_codes

TYPE_CHECKING = False  # hot path: see jobcenter_cluster.spec
if TYPE_CHECKING:
    from collections.abc import Mapping

# OCF exit codes (OCF RA API 1.0; Pacemaker Administration, "OCF Return Codes").
OCF_SUCCESS = 0
OCF_ERR_GENERIC = 1
OCF_ERR_ARGS = 2
OCF_ERR_UNIMPLEMENTED = 3
OCF_ERR_INSTALLED = 5
OCF_ERR_CONFIGURED = 6
OCF_NOT_RUNNING = 7

#: The engine's stop deadline is this fraction of Pacemaker's operation timeout, so the engine
#: SIGKILLs what is left of the site before Pacemaker gives up on the stop (a failed stop means
#: fencing).
DEADLINE_FRACTION = 0.8


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The agent's arguments from the resource's ``OCF_RESKEY_*`` parameters; the engine's
    deadline is `DEADLINE_FRACTION` of the operation's timeout."""
    out: dict[str, str] = {}
    for key in ("site", "database", "root", "product", "config"):
        value = environ.get(f"OCF_RESKEY_{key}", "")
        if value:
            out[key] = value
    ms = environ.get("OCF_RESKEY_CRM_meta_timeout", "")
    if ms.isdigit() and int(ms) > 0:
        out["timeout"] = f"{max(1.0, int(ms) / 1000.0 * DEADLINE_FRACTION):.3f}"
    return out


# The advised timeouts of start and stop are the engine's start deadline and cjcpw's stop time
# over DEADLINE_FRACTION, rounded up to 10 s (tests/adapters/test_pacemaker.py holds them to it);
# a rendered agent advertises its cluster's own (`.adapter`, PacemakerAdapter.timeouts).
SPEC = AdapterSpec(
    "pacemaker", "Pacemaker/Corosync (OCF resource agent ocf:jobcenter:site; pcs, crmsh, CIB "
    "XML); systemd for a single node",
    actions={
        "start": AgentAction("background", "start the site with a detached watcher; return "
                             "once it is up and watched", timeout=40),
        "start-unwatched": AgentAction("start", "watch=false: start without a watcher (cjcpw -c)"),
        "stop": AgentAction("stop", "stop the site; kill what is left at the deadline",
                            timeout=150),
        "monitor": AgentAction("status", "0 running, 7 stopped (also: unknown on this node), "
                               "1 failed", timeout=20, interval=2),
        "validate-all": AgentAction("validate", "can this node run the site?", timeout=30),
        "meta-data": AgentAction("meta-data", "the agent's OCF meta-data", timeout=5),
        "promote": AgentAction("unsupported"),
        "demote": AgentAction("unsupported"),
        "notify": AgentAction("unsupported"),
        "reload": AgentAction("unsupported"),
        "migrate_to": AgentAction("unsupported"),
        "migrate_from": AgentAction("unsupported"),
    },
    exit_codes=exit_codes(
        each={Outcome.FAILED: OCF_ERR_GENERIC, Outcome.INVALID: OCF_ERR_ARGS,
              Outcome.UNRECOVERABLE: OCF_ERR_INSTALLED, Outcome.NOT_INSTALLED: OCF_ERR_INSTALLED,
              Outcome.UNSUPPORTED: OCF_ERR_UNIMPLEMENTED},
        actions={
            "monitor": {Outcome.STOPPED: OCF_NOT_RUNNING},
            # A stop answers 0 only when the site is verifiably down (OCF RA API 1.0: "stop must
            # return an error if the resource is not fully stopped"). INVALID input proves
            # nothing about what runs here, so it is a failed stop (2, like every other action;
            # Pacemaker treats any failed stop alike: fencing, or a blocked resource). The one
            # invalid stop that is verifiably down -- no site name at all, which start refuses
            # before doing anything -- is answered 0 by the agent itself (docs/adapters/
            # pacemaker.md, "Exit codes").
        },
    ),
    default_exit_code=OCF_ERR_GENERIC,
    adapter="jobcenter_cluster.adapters.pacemaker.adapter:PacemakerAdapter",
    environment=environment,
    meta_data="jobcenter_cluster.adapters.pacemaker.ocf:meta_data",
)
