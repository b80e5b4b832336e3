"""The rules every row of the failure table keeps (issue 20, "The rules every row must keep"),
checked over the table's data, plus its shape and API. The drill (test_failures_drill.py) checks that
the adapters really exit what the rows say."""

from __future__ import annotations

import pytest

from jobcenter_cluster import failures
from jobcenter_cluster.failures.data import JOBCENTER_STOP_SECONDS, STOP_MARGIN_SECONDS, WHY

#: situations in which something of the site lives when the product monitors it
LIVE = ("daemon-dies", "watcher-dies", "stop-cannot-run", "stop-leaves-processes",
        "half-stopped")
#: situations in which the stop cannot remove the site
STOP_FAILS = ("stop-cannot-run", "stop-leaves-processes")
#: situations in which nothing of the site is left (or ever was) when the product stops it
NOTHING_LEFT = ("planned-stop", "down-cjcpw-stop-fails", "never-seen", "bad-input")

RENDERED = [r for r in failures.rows() if r.exits]


def _id(row: failures.Row) -> str:
    return f"{row.adapter}-{row.supervisor}-{row.situation}"


def test_every_adapter_supervisor_and_situation_has_one_row():
    from jobcenter_cluster.plugins import load_adapters

    adapters, broken = load_adapters()
    assert not broken
    assert set(failures.ADAPTERS) == set(adapters)
    assert len(failures.rows()) == len(adapters) * 2 * 11
    seen = {(r.adapter, r.supervisor, r.situation) for r in failures.rows()}
    assert len(seen) == len(failures.rows())
    assert set(failures.SITUATIONS) == set(WHY)


@pytest.mark.parametrize("row", failures.rows(), ids=_id)
def test_row_is_complete(row):
    product = failures.PRODUCTS[row.adapter]
    assert row.net in failures.NET_EFFECTS
    assert row.next and row.why
    assert row.unverified or row.source in product.sources.values()
    assert set(row.exits) <= set(product.actions), row.exits
    if row.supervisor not in product.supervisors:
        assert row.net == "refuses-config" and not row.exits


@pytest.mark.parametrize("row", [r for r in RENDERED if r.situation in LIVE], ids=_id)
def test_nothing_reads_stopped_while_the_site_lives(row):
    """Rule 1. A monitor's "stopped" code, before the stop that removes everything, only where the
    data names a product reading (VCS: OFFLINE after ONLINE is a fault, cleaned first)."""
    product = failures.PRODUCTS[row.adapter]
    allowed = {(s, a, c) for s, a, c, _ in product.fault_reads}
    for action, code in row.exits.items():
        if action in product.stops and code in product.stopped[action]:
            break  # a successful stop: from here on nothing is left (rule 3's test, the drill)
        if action in product.monitors:
            assert (code not in product.stopped.get(action, ())
                    or (row.situation, action, code) in allowed), (action, code)


@pytest.mark.parametrize("row", [r for r in RENDERED if r.situation in NOTHING_LEFT], ids=_id)
def test_nothing_blocks_a_failover_when_nothing_is_left(row):
    """Rule 2: every stop where nothing is left succeeds (verified, whatever cjcpw -stop says)."""
    product = failures.PRODUCTS[row.adapter]
    stops = [a for a in row.exits if a in product.stops]
    assert stops, row.exits
    for action in stops:
        assert row.exits[action] in product.stopped[action], action


@pytest.mark.parametrize("row", [r for r in RENDERED if r.situation in STOP_FAILS], ids=_id)
def test_a_stop_that_could_not_work_is_a_failed_stop(row):
    """Rule 3: the product's own "stop failed" code, never success and never a usage error."""
    product = failures.PRODUCTS[row.adapter]
    stops = [a for a in row.exits if a in product.stops]
    assert stops
    actions = list(row.exits)
    for action in stops:
        code = row.exits[action]
        if code in product.stopped[action]:
            # the adapter did the work another way (e.g. Pacemaker's cjcpw stop ends what
            # cjcpw -stop left): only honest if what follows reads stopped (the drill checks
            # that nothing is left)
            later = [a for a in actions[actions.index(action) + 1:] if a in product.monitors]
            assert later or not product.monitors, action
            assert all(row.exits[a] in product.stopped[a] for a in later), action
            assert row.net not in ("waits-for-operator",)
        else:
            assert code == product.failed[action], action
            assert row.net in ("waits-for-operator", "fails-over")  # fails-over: fencing


@pytest.mark.parametrize("adapter", failures.ADAPTERS)
def test_maintenance_works_under_both_supervisors(adapter):
    """Rule 4: for every supervisor the adapter renders for, the site stays online."""
    product = failures.PRODUCTS[adapter]
    for supervisor in product.supervisors:
        row = failures.row(adapter, supervisor, "maintenance")
        assert row.net == "stays-running"
        for action, code in row.exits.items():
            if action in product.monitors:
                assert code in product.running[action]
            elif action in product.stops:
                assert code in product.stopped[action]
            else:  # the start returns at once, or is the watched process that stays up
                assert code in (0, failures.RUNS), (action, code)


@pytest.mark.parametrize("adapter", failures.ADAPTERS)
def test_stop_timeouts_leave_jobcenters_stop_a_margin(adapter):
    """Rule 5: under cjcpw nothing but the product bounds the stop (manual §3.3.7: 1-2 min)."""
    setting, seconds = failures.PRODUCTS[adapter].stop_timeout["cjcpw"]
    if seconds is not None:
        assert seconds >= JOBCENTER_STOP_SECONDS + STOP_MARGIN_SECONDS, setting
    else:
        assert "waits" in setting or "none" in setting


@pytest.mark.parametrize("adapter", failures.ADAPTERS)
def test_a_monitor_is_bounded(adapter):
    """Rule 6: every monitor action has a bound, and a short one."""
    product = failures.PRODUCTS[adapter]
    if product.monitors:
        assert product.monitor_bound is not None
        assert 0 < product.monitor_bound[1] <= 60
    else:
        assert product.monitor_bound is None


def test_api():
    assert failures.expected("pacemaker", "jccluster", "daemon-dies", "monitor") == 1
    assert failures.expected("pacemaker", "jccluster", "never-seen", "monitor") == 7
    assert failures.expected("serviceguard", "cjcpw", "start", "service") is None
    assert failures.expected("sungds", "cjcpw", "watcher-dies", "Start_command") == -9
    with pytest.raises(KeyError):
        failures.expected("pacemaker", "cjcpw", "start", "CleanProgram")
    with pytest.raises(KeyError):
        failures.rows(adapter="nosuch")
    assert [r.situation for r in failures.rows("veritas", "cjcpw")] == list(failures.SITUATIONS)
    assert {r.net for r in failures.rows(adapter="sun22", supervisor="jccluster")} == {
        "refuses-config"}


def test_off_the_hot_path():
    """The agent's monitor path never imports the table (tests/core/test_hot_path.py measures
    the path; this names the module)."""
    import subprocess
    import sys

    code = ("import sys; from jobcenter_cluster import agent; "
            "print('jobcenter_cluster.failures' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
