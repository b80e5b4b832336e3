"""`jccluster agent` argument parsing and outcome → exit-code plumbing (the engine is real)."""

from __future__ import annotations

import pytest

from jobcenter_cluster import agent
from jobcenter_cluster.errors import UserError


def test_parse_positionals_and_options():
    a = agent.parse(["serviceguard", "service", "orange.example.com", "/mnt/jobdb",
                     "--root", "/r", "--product=simulator", "-c", "c.toml", "--timeout", "5",
                     "--quiet"])
    assert (a.adapter, a.action, a.site, a.database) == (
        "serviceguard", "service", "orange.example.com", "/mnt/jobdb")
    assert (a.root, a.product, a.config, a.timeout, a.quiet) == ("/r", "simulator", "c.toml",
                                                                 5.0, True)
    a = agent.parse(["pacemaker", "monitor"])
    assert a.site is None and a.database is None and a.timeout is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serviceguard"], "ADAPTER and ACTION are required"),
        (["sg", "start", "s", "d", "extra"], "unexpected argument 'extra'"),
        (["sg", "start", "--root"], "--root needs a value"),
        (["sg", "start", "--bogus"], "unknown option --bogus"),
    ],
)
def test_parse_errors(argv, message):
    with pytest.raises(UserError, match=message):
        agent.parse(argv)


def test_a_timeout_that_is_not_a_number_is_reported_once_the_action_is_known():
    """Deferred, so a stop can answer FAILED (a stop that could not run), not a usage error."""
    a = agent.parse(["sg", "start", "--timeout", "soon"])
    assert a.timeout is None and "--timeout: 'soon' is not a number" in (a.timeout_error or "")


def test_main_reports_usage_errors_with_exit_2(capsys):
    assert agent.main(["serviceguard"]) == agent.EXIT_NO_ADAPTER
    assert "ADAPTER and ACTION are required" in capsys.readouterr().err


def test_status_of_an_unknown_site_is_quiet_and_stopped(tmp_path, capsys):
    from jobcenter_cluster.adapters.serviceguard.adapter import ServiceGuardAdapter
    from jobcenter_cluster.outcome import Outcome

    code = agent.main(["serviceguard", "status", "nowhere.example.com", "--root", str(tmp_path)])
    assert code == ServiceGuardAdapter.spec.exit_code("status", Outcome.STOPPED)
    assert capsys.readouterr().err == ""
