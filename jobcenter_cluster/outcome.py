"""The engine's one vocabulary of outcomes (standard library only).

Every engine operation ends in one `Outcome`. Adapters translate ``(action, outcome)`` into their
cluster product's exit codes with an explicit table (see `jobcenter_cluster.spec.AdapterSpec`).
"""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """What happened, independent of any cluster product."""

    #: start/stop/validate did what was asked (also: start of a running site, stop of a stopped one).
    SUCCESS = "success"
    #: status: the site's watcher and every watched daemon are alive on this node.
    RUNNING = "running"
    #: status: watcher alive, daemons deliberately not started (daemon.conf maintenance=ON).
    MAINTENANCE = "maintenance"
    #: status: the site is not running on this node, cleanly (never started, or stopped).
    STOPPED = "stopped"
    #: status: the site was running here and a daemon or the watcher died / is a zombie;
    #: start: the site did not come up; stop: something of the site survived the deadline.
    FAILED = "failed"
    #: the site cannot run on this node at all (database missing or not mounted, identity
    #: mismatch): restarting here will not help, move the package elsewhere.
    UNRECOVERABLE = "unrecoverable"
    #: bad arguments or configuration.
    INVALID = "invalid"
    #: the product's programs are not installed on this node.
    NOT_INSTALLED = "not-installed"
    #: the adapter does not implement the action asked for.
    UNSUPPORTED = "unsupported"
