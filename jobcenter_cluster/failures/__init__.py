"""The failure table: for every adapter and both supervisors, what each of the product's actions
exits in each failure situation, what the product does next (cited, or "unverified") and the
net effect, with why that is right.

One table, as data (`jobcenter_cluster.failures.data`), read by the tests (the drill matrix in
tests/failures/ asserts its exits against real sites), by the rules it must keep
(tests/failures/test_failures_table.py) and by the docs (`jobcenter_cluster.failures.render` writes
docs/failures.md and the section at the end of each docs/adapters/<adapter>.md). Nobody copies
it. Off the hot path: ``agent … monitor`` never imports it.

API::

    rows(adapter=None, supervisor=None, situation=None) -> list[Row]
    row(adapter, supervisor, situation) -> Row
    expected(adapter, supervisor, situation, action) -> int | None

An exit is an ``int``; `RUNS` (the action is a watched process that must still be running:
``expected`` returns None), `ENDS` (a watched process that must have ended; the product reads
no status from it) or `KILLED` (the watched process was the one killed: its status is the
signal's).
"""

from __future__ import annotations

from jobcenter_cluster.failures.data import (
    ADAPTERS,
    ENDS,
    KILLED,
    NET_EFFECTS,
    PRODUCTS,
    RUNS,
    SITUATIONS,
    SUPERVISORS,
    Product,
    Row,
    all_rows,
)

__all__ = ["ADAPTERS", "ENDS", "KILLED", "NET_EFFECTS", "PRODUCTS", "RUNS", "SITUATIONS",
           "SUPERVISORS", "Product", "Row", "expected", "row", "rows"]


def rows(adapter: str | None = None, supervisor: str | None = None,
         situation: str | None = None) -> list[Row]:
    """The table's rows, in table order, filtered by whichever of the three is given."""
    for value, known, what in ((adapter, ADAPTERS, "adapter"),
                               (supervisor, SUPERVISORS, "supervisor"),
                               (situation, SITUATIONS, "situation")):
        if value is not None and value not in known:
            raise KeyError(f"unknown {what} {value!r} (known: {', '.join(known)})")
    return [r for r in all_rows()
            if (adapter is None or r.adapter == adapter)
            and (supervisor is None or r.supervisor == supervisor)
            and (situation is None or r.situation == situation)]


def row(adapter: str, supervisor: str, situation: str) -> Row:
    """The one row of that adapter, supervisor and situation."""
    (found,) = rows(adapter, supervisor, situation)
    return found


def expected(adapter: str, supervisor: str, situation: str, action: str) -> int | None:
    """What ``action`` (the product's own verb, e.g. ``monitor``, ``CleanProgram``) exits in that
    situation; None when it is a watched process that must still be running (`RUNS`).
    KeyError when the action is not part of the situation; ValueError for `ENDS` (any status:
    read ``row(...).exits`` for it)."""
    value = row(adapter, supervisor, situation).exits[action]
    if value == RUNS:
        return None
    if value == KILLED:
        return -9
    if value == ENDS:
        raise ValueError(f"{adapter}/{supervisor}/{situation}: {action} ends with any status")
    return int(value)
