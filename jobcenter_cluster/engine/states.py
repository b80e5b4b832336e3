"""Site run states and their transitions (standard library only).

A site's run state lives in ``<root>/.jccluster/run/<site>.json`` on each node (process ids mean
nothing on another node). It is written by ``start``, the watcher and ``stop`` with an atomic
replace, and read by ``status``/``ls`` (which never write).

Transitions (anything not listed is a bug)::

    (no file) / STOPPED / FAILED --start--> STARTING --daemons up--> RUNNING
                                            --maintenance=ON--> MAINTENANCE
                                            --timeout / start failed--> FAILED
    RUNNING --a watched daemon died or turned zombie (watcher saw it)--> FAILED
    RUNNING / MAINTENANCE / FAILED / STARTING --stop--> STOPPING --all gone--> STOPPED
    STOPPING --something survived SIGKILL--> FAILED

Status is derived, not stored: a RUNNING file whose watcher or daemon is dead reads as FAILED
(the watcher was SIGKILLed and could not record it); a RUNNING file whose database vanished
reads as UNRECOVERABLE.
"""

from __future__ import annotations

STOPPED = "stopped"
STARTING = "starting"
RUNNING = "running"
MAINTENANCE = "maintenance"
FAILED = "failed"
STOPPING = "stopping"

ALL = (STOPPED, STARTING, RUNNING, MAINTENANCE, FAILED, STOPPING)

#: state -> states it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    STOPPED: frozenset({STARTING}),
    # STARTING again: a start that crashed half-way is simply redone.
    STARTING: frozenset({STARTING, RUNNING, MAINTENANCE, FAILED, STOPPING}),
    # RUNNING -> STARTING: the stored state says running but a daemon is dead (derived FAILED);
    # a new start repairs it. RUNNING -> RUNNING: a watcher adopting daemons started unwatched.
    RUNNING: frozenset({STARTING, FAILED, STOPPING, RUNNING}),
    MAINTENANCE: frozenset({STARTING, STOPPING, MAINTENANCE}),
    FAILED: frozenset({STOPPING, STARTING}),
    STOPPING: frozenset({STOPPED, FAILED}),
}

#: states in which the site should be up on this node
UP = frozenset({STARTING, RUNNING, MAINTENANCE})


def allowed(old: str | None, new: str) -> bool:
    """Whether ``old -> new`` is a legal transition (``None`` means no state file)."""
    return new in TRANSITIONS.get(old or STOPPED, frozenset())
