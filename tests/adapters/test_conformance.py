"""Conformance suite over every installed adapter (found through the entry points, like a user's):
each renders the manual's example cluster, passes its own checks, maps every engine outcome to the
code its product documents (`support.vendor_codes`: written from the vendors' manuals, never read
from the adapter's own table), and answers correctly for a running, a cleanly stopped and a failed
simulator site; then the ocf-tester sequence through ``jccluster agent``: validate → status
(stopped) → start → start again → status (running) → stop → stop again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from jobcenter_cluster.adapter import OPERATIONS, OUTCOMES_BY_OPERATION, Adapter
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.model import example_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.plugins import load_adapters
from support.vendor_codes import INTERNAL_ERROR, SOURCES, UNKNOWN_VERB, VENDOR, Expect, rows

ADAPTERS, BROKEN = load_adapters()
EXPECTED = {"serviceguard", "clusterpro-windows", "clusterpro-linux", "sungds", "sun22", "mscs",
            "veritas", "powerha", "pacemaker"}


def test_every_shipped_adapter_loads():
    assert not BROKEN, BROKEN
    assert set(ADAPTERS) >= EXPECTED


@pytest.fixture(params=sorted(ADAPTERS), name="cls")
def _cls(request) -> type[Adapter]:
    return ADAPTERS[request.param]


def verbs(cls: type[Adapter], operation: str) -> list[str]:
    return [v for v, spec in cls.spec.actions.items() if spec.operation == operation]


def test_renders_the_example_and_passes_its_own_checks(cls):
    cluster = example_cluster(cls.example_overrides())
    arts = cls(cluster).render()
    assert arts, "renders nothing"
    paths = [a.path for a in arts]
    assert len(paths) == len(set(paths))
    for a in arts:
        assert not os.path.isabs(a.path) and ".." not in a.path.split("/")
        assert a.mode in (0o644, 0o755), (a.path, oct(a.mode))
        assert a.content.endswith("\n"), a.path
    errors = [f for f in run_checks(cls, cluster=cluster) if f.severity == "error"]
    assert errors == [], errors


def test_declares_its_product_artifacts_and_a_complete_exit_table(cls):
    assert cls.name and cls.product and cls.artifacts
    assert cls.spec.actions, "no agent verbs"
    for verb, spec in cls.spec.actions.items():
        assert spec.operation in OPERATIONS, (verb, spec.operation)
    assert verbs(cls, "status"), "needs a status verb (the cluster's monitor/probe)"
    assert verbs(cls, "stop")
    assert any(verbs(cls, op) for op in ("watch", "start", "background"))
    for verb, outcome, code in cls.spec.exit_table():
        assert isinstance(code, int) and 0 <= code <= 255, (verb, outcome, code)
    for verb in verbs(cls, "status"):
        running = cls.spec.exit_code(verb, Outcome.RUNNING)
        assert running != cls.spec.exit_code(verb, Outcome.STOPPED)
        assert running != cls.spec.exit_code(verb, Outcome.FAILED)
        assert cls.spec.exit_code(verb, Outcome.MAINTENANCE) == running
    for verb in verbs(cls, "stop"):
        assert cls.spec.exit_code(verb, Outcome.SUCCESS) != cls.spec.exit_code(verb, Outcome.FAILED)


def test_every_outcome_has_a_documented_code(cls):
    """Every (verb, outcome) the engine can produce for this adapter has a row written from the
    vendor's documentation, with a source; and the docs page names every verb."""
    page = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "adapters", f"{cls.name}.md")
    with open(page, encoding="utf-8") as fh:
        text = fh.read()
    for verb in cls.spec.actions:
        assert f"`{verb}`" in text, f"docs/adapters/{cls.name}.md does not document verb {verb!r}"
    producible = {(verb, outcome) for verb, spec in cls.spec.actions.items()
                  for outcome in OUTCOMES_BY_OPERATION[spec.operation]}
    vendor = VENDOR.get(cls.name, {})
    assert sorted(producible - set(vendor)) == [], "no vendor-documented code for these"
    assert sorted(set(vendor) - producible) == [], "vendor rows for verbs/outcomes it lacks"
    for row, exp in vendor.items():
        assert exp.source in SOURCES and exp.codes, (row, exp)
        assert all(0 <= c <= 255 for c in exp.codes), (row, exp)


def _row_param(name: str, verb: str, outcome: Outcome, exp: Expect):
    return pytest.param(name, verb, outcome, exp, id=f"{name}-{verb}-{outcome}")


@pytest.mark.parametrize(("name", "verb", "outcome", "exp"),
                         [_row_param(*r) for r in rows()])
def test_exit_table_row_is_the_vendors(name, verb, outcome, exp):
    """The adapter's table gives the code the product documents for this engine outcome."""
    cls = ADAPTERS[name]
    got = cls.spec.exit_code(verb, outcome)
    assert exp.matches(got), f"{name} {verb} {outcome}: {got}, vendor: {sorted(exp.codes)} " \
                             f"({SOURCES[exp.source][:120]})"


def test_unknown_verbs_and_internal_errors_exit_with_the_vendors_failure_code(cls):
    assert UNKNOWN_VERB[cls.name].matches(cls.spec.exit_code("no-such-verb", Outcome.UNSUPPORTED))
    assert INTERNAL_ERROR[cls.name].matches(cls.spec.default_exit_code)
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "agent", cls.name,
                          "no-such-verb", "s.example.com"], capture_output=True, text=True,
                         timeout=60)
    assert UNKNOWN_VERB[cls.name].matches(res.returncode), res.stderr


# --------------------------------------------------------------------------- against real sites


def agent(cls: type[Adapter], verb: str, site, *extra: str, db: bool = True):
    args = [sys.executable, "-m", "jobcenter_cluster", "agent", cls.name, verb, site.name]
    if db:
        args.append(site.db)
    args += ["--root", site.root, "--product", "simulator", *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if not k.startswith("OCF_")})


def status_codes(site) -> dict[tuple[str, str], int]:
    return {(name, verb): agent(cls, verb, site).returncode
            for name, cls in ADAPTERS.items() for verb in verbs(cls, "status")}


def expected(outcome: Outcome) -> dict[tuple[str, str], Expect]:
    """The vendor's code for each adapter's status verb in `outcome`."""
    return {(name, verb): VENDOR[name][(verb, outcome)]
            for name, cls in ADAPTERS.items() for verb in verbs(cls, "status")}


def mismatches(codes: dict[tuple[str, str], int], want: dict[tuple[str, str], Expect]) -> dict:
    return {row: (codes[row], sorted(exp.codes)) for row, exp in want.items()
            if not exp.matches(codes[row])}


@pytest.mark.timeout(240)
def test_status_verbs_against_stopped_running_and_failed_sites(sim_site, poll_for):
    assert mismatches(status_codes(sim_site), expected(Outcome.STOPPED)) == {}
    res = sim_site.start(mode="background")
    assert res.outcome is Outcome.SUCCESS, res.message
    assert mismatches(status_codes(sim_site), expected(Outcome.RUNNING)) == {}
    os.kill(sim_site.pid("jnwengine"), signal.SIGKILL)  # the other daemons live on
    poll_for(lambda: sim_site.status().outcome is Outcome.FAILED, timeout=10, what="failed")
    assert mismatches(status_codes(sim_site), expected(Outcome.FAILED)) == {}
    assert sim_site.stop().outcome is Outcome.SUCCESS
    assert mismatches(status_codes(sim_site), expected(Outcome.STOPPED)) == {}


def nqsdaemons(reaper) -> list[int]:
    found = []
    for pid in reaper.site_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"nqsdaemon" in fh.read():
                    found.append(pid)
        except OSError:
            continue
    return found


@pytest.mark.timeout(300)
def test_ocf_tester_sequence_through_the_agent(cls, sim_site, reaper, poll_for):
    """validate → status (stopped) → start → start again → status (running) → stop → stop again."""
    status = verbs(cls, "status")[0]
    stop = verbs(cls, "stop")[0]
    vendor = VENDOR[cls.name]
    for verb in verbs(cls, "validate"):
        res = agent(cls, verb, sim_site)
        assert vendor[(verb, Outcome.SUCCESS)].matches(res.returncode), res.stderr
    assert vendor[(status, Outcome.STOPPED)].matches(agent(cls, status, sim_site).returncode)
    starter = next(v for op in ("background", "start", "watch") for v in verbs(cls, op))
    operation = cls.spec.actions[starter].operation
    for _attempt in (1, 2):  # start, then start again: a success, never a second copy
        if operation == "watch":
            reaper.popen([sys.executable, "-m", "jobcenter_cluster", "agent", cls.name, starter,
                          sim_site.name, sim_site.db, "--root", sim_site.root,
                          "--product", "simulator"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            poll_for(lambda: sim_site.status().outcome is Outcome.RUNNING, timeout=30,
                     what="site running")
        else:
            res = agent(cls, starter, sim_site)
            assert vendor[(starter, Outcome.SUCCESS)].matches(res.returncode), res.stderr
    assert vendor[(status, Outcome.RUNNING)].matches(agent(cls, status, sim_site).returncode)
    assert len(nqsdaemons(reaper)) == 1, "start twice must not make a second copy"
    for _ in (1, 2):
        res = agent(cls, stop, sim_site, db=False)
        assert vendor[(stop, Outcome.SUCCESS)].matches(res.returncode), res.stderr
    assert vendor[(status, Outcome.STOPPED)].matches(agent(cls, status, sim_site).returncode)
    assert nqsdaemons(reaper) == []
