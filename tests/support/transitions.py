"""The state moves `store.set_state` makes in this process, for tests: a wrapper the test
installs (``monkeypatch``), so that the engine keeps no module-global log for them.

    log = record_transitions(monkeypatch)
    ...start and stop a site in this process...
    assert ("running", "stopping") in [(old, new) for _site, old, new in log]

Each entry is ``(site, old, new)`` with `old` as set_state judged it (None for a record from
before the last reboot), written only once the run file is.
"""

from __future__ import annotations

from typing import Any

import pytest

from jobcenter_cluster.engine import states, store


def record_transitions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, str]]:
    log: list[tuple[str, str | None, str]] = []
    judged: list[tuple[str | None, str]] = []
    real_set, real_check = store.set_state, states.require_allowed

    def check(old: Any, new: Any) -> states.State:
        state = real_check(old, new)
        judged.append((old, state.value))
        return state

    def set_state(root: str, site: str, new: str, **kw: Any) -> dict[str, Any]:
        judged.clear()
        data = real_set(root, site, new, **kw)
        log.extend((site, old, value) for old, value in judged[-1:])
        return data

    monkeypatch.setattr(states, "require_allowed", check)
    monkeypatch.setattr(store, "set_state", set_state)
    return log
