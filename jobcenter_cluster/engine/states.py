"""Site run states and the one table of their transitions (standard library only).

A site's run state lives in ``<root>/.jccluster/run/<site>.json`` on each node (process ids mean
nothing on another node). Only `store.set_state` writes a state, and it asserts every move
against `TRANSITIONS` (like supervisor's ``_assertInState`` before ``change_state``): a move the
table does not list is a bug and raises `IllegalTransition`.

``None`` is "no run file": a site never started here, made by JobCenter's ``cjcmksite``, or whose
run file is unreadable. The table::

    None / STOPPED / FAILED / STOPPING ---start---> STARTING
        (FAILED: recovery; STOPPING: a new start after an interrupted stop; STARTING again:
        a start that crashed half-way is redone)
    STARTING --daemons up--> RUNNING      --maintenance=ON--> MAINTENANCE
             --timeout / start failed--> FAILED
    RUNNING / MAINTENANCE / FAILED --adopted by a new watcher (same start token)--> RUNNING
        (MAINTENANCE stays MAINTENANCE)
    RUNNING / MAINTENANCE --the watcher saw a death, or was ended by a signal--> FAILED
    any state (and None) --stop--> STOPPING --all gone--> STOPPED
                                            --something survived SIGKILL--> FAILED

Adoption needs the start token recorded by the start that launched the daemons, so there is no
adoption from None or STOPPED: nothing recorded there can be running.

What status reports is derived from this state *and the live processes*: a RUNNING file whose
daemon or watcher is dead reads as failed; a STOPPING or STOPPED file while a recorded process
still lives reads as failed (never stopped); a RUNNING file whose database vanished reads as
unrecoverable.
"""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    MAINTENANCE = "maintenance"
    FAILED = "failed"
    STOPPING = "stopping"


STOPPED = State.STOPPED
STARTING = State.STARTING
RUNNING = State.RUNNING
MAINTENANCE = State.MAINTENANCE
FAILED = State.FAILED
STOPPING = State.STOPPING

#: state (None: no run file) -> states it may move to
TRANSITIONS: dict[State | None, frozenset[State]] = {
    # never started here, made by cjcmksite, unreadable, or from before the last reboot:
    # start it; stop it (a stop always records what it did)
    None: frozenset({STARTING, STOPPING}),
    # start again; stop again (re-checks that nothing of the site is left)
    STOPPED: frozenset({STARTING, STOPPING}),
    # STARTING again: a start that crashed half-way is redone; then up, maintenance, or not
    STARTING: frozenset({STARTING, RUNNING, MAINTENANCE, FAILED, STOPPING}),
    # STARTING: a new start after a daemon died (status derived failed); RUNNING: adoption by
    # a watcher; FAILED: the watcher saw a death or was ended by a signal
    RUNNING: frozenset({STARTING, RUNNING, FAILED, STOPPING}),
    # MAINTENANCE: a new watcher takes over; FAILED: the watcher was ended by a signal
    MAINTENANCE: frozenset({STARTING, MAINTENANCE, FAILED, STOPPING}),
    # STARTING: recovery; RUNNING: adoption of the same start's daemons (by its token) after
    # the watcher was killed; FAILED: a second failure recorded; STOPPING: stop
    FAILED: frozenset({STARTING, RUNNING, FAILED, STOPPING}),
    # STARTING: a new start after an interrupted stop (it clears the leftovers first);
    # STOPPING: stop again; STOPPED: all gone; FAILED: something survived SIGKILL
    STOPPING: frozenset({STARTING, STOPPING, STOPPED, FAILED}),
}

class IllegalTransition(RuntimeError):
    """A move the table does not allow: a bug in the engine, never a user mistake."""


def parse(value: object) -> State | None:
    """The state stored in a run file (None when absent or not a known state)."""
    if isinstance(value, str):
        try:
            return State(value)
        except ValueError:
            return None
    return None


def allowed(old: State | str | None, new: State | str) -> bool:
    """Whether ``old -> new`` is a legal transition (``None`` means no run file)."""
    target = parse(new)
    if target is None:
        return False
    return target in TRANSITIONS[parse(old) if old is not None else None]


def require_allowed(old: State | str | None, new: State | str) -> State:
    """``new`` as a `State` when ``old -> new`` is legal; `IllegalTransition` otherwise."""
    if not allowed(old, new):
        raise IllegalTransition(f"run state {old or 'none'} -> {new} is not in the table")
    return State(new)
