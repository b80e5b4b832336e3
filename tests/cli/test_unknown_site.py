"""A mistyped site is not a stopped one: ``site status`` says ``unknown site`` (JSON
``"state": "unknown"``, exit 4) with a "did you mean" from the sites this node knows; ``site
stop`` of such a name keeps exit 0 -- nothing of it runs here, and a cluster's stop must hear
"stopped" (docs/failures.md, row never-seen: "the stop succeeds") -- but tells the person typing
on stderr, with the same hint."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.timeout(60)


def test_status_of_a_typo_is_an_unknown_site_with_did_you_mean(sim_site):
    typo = "x" + sim_site.name  # e.g. xs1-123.example.com
    res = sim_site.cli("site", "status", typo)
    assert res.returncode == 4, res.stderr  # LSB "unknown" (docs/getting-started.md)
    assert "state:       unknown site (this node has never seen it)" in res.stdout
    assert "stopped" not in res.stdout
    assert res.stderr == (f"jccluster: site status: {typo}: this node has never seen this site; "
                          f"did you mean '{sim_site.name}'? (the sites here: 'jccluster site "
                          "ls')\n")
    as_json = sim_site.cli("site", "status", "--json", typo)
    assert as_json.returncode == 4
    data = json.loads(as_json.stdout)
    assert data["state"] == "unknown" and data["did_you_mean"] == [sim_site.name]
    # a known, stopped site stays "stopped", with no repeated words
    known = sim_site.cli("site", "status", sim_site.name)
    assert known.returncode == 3
    state = next(line for line in known.stdout.splitlines() if line.startswith("state:"))
    assert state.split()[1] == "stopped" and "(stopped)" not in state


def test_stop_of_a_typo_exits_0_and_says_it_is_unknown(sim_site):
    typo = sim_site.name.replace(".example.com", ".exmaple.com")
    res = sim_site.cli("site", "stop", typo)
    assert res.returncode == 0, res.stderr  # never-seen: the stop succeeds (docs/failures.md)
    assert res.stderr == (f"jccluster: site stop: {typo}: this node has never seen this site; "
                          f"did you mean '{sim_site.name}'? (the sites here: 'jccluster site "
                          "ls')\n")
    # the site this node knows (created here, stopped): no such warning
    res = sim_site.cli("site", "stop", sim_site.name, "--timeout", "5")
    assert res.returncode == 0 and res.stderr == "", res.stderr
