"""`AdapterSpec`: what an entry point names, the exit-table builder, and the older way (an entry
point naming the Adapter class itself, which then carries the tables as class attributes)."""

from __future__ import annotations

import pytest

from jobcenter_cluster.adapter import Adapter, Artifact
from jobcenter_cluster.entrypoints import require_spec
from jobcenter_cluster.errors import AdapterLoadError
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.plugins import load_adapters
from jobcenter_cluster.spec import (
    LSB_LIKE,
    OUTCOMES_BY_OPERATION,
    AdapterSpec,
    AgentAction,
    exit_codes,
)


def test_exit_codes_builder_defaults_then_per_verb():
    table = exit_codes(each={Outcome.FAILED: 1, Outcome.INVALID: 2},
                       actions={"monitor": {Outcome.STOPPED: 7, Outcome.RUNNING: 110}})
    spec = AdapterSpec("x", "X", actions={"monitor": AgentAction("status"),
                                          "start": AgentAction("watch")},
                       exit_codes=table, adapter="nowhere:X", default_exit_code=9)
    assert spec.exit_code("start", Outcome.SUCCESS) == 0       # well: 0 unless given
    assert spec.exit_code("monitor", Outcome.MAINTENANCE) == 0
    assert spec.exit_code("monitor", Outcome.RUNNING) == 110   # the verb's own code wins
    assert spec.exit_code("monitor", Outcome.STOPPED) == 7
    assert spec.exit_code("start", Outcome.INVALID) == 2       # per-outcome default
    assert spec.exit_code("start", Outcome.NOT_INSTALLED) == 9  # nothing given: the default
    assert [r for r in spec.exit_table() if r[0] == "start"] == [
        ("start", o, spec.exit_code("start", o)) for o in OUTCOMES_BY_OPERATION["watch"]]


def test_lsb_like():
    spec = AdapterSpec("x", "X", actions={}, exit_codes=LSB_LIKE, adapter="nowhere:X")
    assert [spec.exit_code("status", o) for o in (Outcome.RUNNING, Outcome.STOPPED,
                                                  Outcome.INVALID, Outcome.FAILED)] == [0, 3, 2, 1]


def test_an_unknown_operation_is_refused_where_it_is_declared():
    with pytest.raises(ValueError, match="unknown engine operation 'probe'"):
        AgentAction("probe")


@pytest.mark.parametrize("name", sorted(load_adapters()[0]))
def test_every_installed_adapter_class_is_bound_to_its_spec(name):
    cls = load_adapters()[0][name]
    assert cls.spec.load() is cls
    assert (cls.name, cls.product) == (cls.spec.name, cls.spec.product)


def _old_environment(environ):
    return {"site": environ.get("OLD_SITE", "")}


class OldStyle(Adapter):
    """An adapter whose entry point names this class: its spec is read from the class."""

    spec = AdapterSpec("oldstyle", "Old Cluster", actions={"monitor": AgentAction("status")},
                       exit_codes={("monitor", Outcome.STOPPED): 7}, default_exit_code=5,
                       adapter=f"{__name__}:OldStyle", environment=_old_environment,
                       meta_data=lambda: "<old/>")

    def render(self) -> list[Artifact]:
        return []


class NoSpec(Adapter):
    """A class that names no spec: not an adapter (no class-only entry points)."""

    def render(self) -> list[Artifact]:
        return []


def test_an_entry_point_may_name_the_class_and_its_spec_is_read_from_it():
    spec = require_spec("oldstyle", OldStyle)
    assert spec is OldStyle.spec and spec.load() is OldStyle
    assert (OldStyle.name, OldStyle.product) == ("oldstyle", "Old Cluster")
    assert spec.exit_code("monitor", Outcome.STOPPED) == 7
    assert spec.exit_code("monitor", Outcome.FAILED) == 5
    assert spec.agent_environment({"OLD_SITE": "a.example.com"}) == {"site": "a.example.com"}
    assert spec.meta_data() == "<old/>"


def test_a_class_without_a_spec_is_refused():
    with pytest.raises(AdapterLoadError, match="neither a jobcenter_cluster.spec.AdapterSpec"):
        require_spec("nospec", NoSpec)


def test_an_entry_point_whose_spec_has_another_name_is_refused():
    with pytest.raises(AdapterLoadError, match="its spec says name='oldstyle'"):
        require_spec("other", OldStyle)
    with pytest.raises(AdapterLoadError, match="neither a jobcenter_cluster.spec.AdapterSpec"):
        require_spec("other", object())
