"""Shell completion of real values, through the protocol bash's completion script uses
(``_JCCLUSTER_COMPLETE=complete_bash``, ``COMP_WORDS``, ``COMP_CWORD``: what ``jccluster
--install-completion`` installs): adapter names, the sites this node knows (``site ls``),
product profiles."""

from __future__ import annotations

import pytest

from jobcenter_cluster.cli import complete
from support.cli import jcc

pytestmark = pytest.mark.timeout(60)


def bash_complete(words: str, **env: str) -> list[str]:
    parts = words.split(" ")
    res = jcc(set_env={"_JCCLUSTER_COMPLETE": "complete_bash", "COMP_WORDS": words,
                       "COMP_CWORD": str(len(parts) - 1), **env})
    assert res.returncode == 0, res.stderr
    # one value per line (click's own bash format prefixes "plain,"; typer's prints the value)
    return [line.removeprefix("plain,") for line in res.stdout.splitlines() if line]


def test_site_names_complete_from_the_sites_this_node_knows(sim_site):
    assert bash_complete(f"jccluster site stop {sim_site.name[:3]}",
                         JCCLUSTER_ROOT=sim_site.root) == [sim_site.name]
    assert complete.site_names(None, "no-such-prefix") == []


def test_adapter_names_and_products_complete():
    assert bash_complete("jccluster render serv") == ["serviceguard"]
    # check takes several, comma-separated: the next one after the comma, not a repeat
    got = complete.adapter_names(None, "serviceguard,")
    assert "serviceguard,pacemaker" in got and "serviceguard,serviceguard" not in got
    assert complete.product_names(None, "jobcenter-l") == ["jobcenter-linux"]


def test_rule_ids_complete_after_check_rules(capsys):
    assert bash_complete("jccluster check serviceguard --rules SG-ST") == [
        "SG-STOP-IN-HALT", "SG-STORAGE"]
    # without --rules DIR is a directory: nothing of ours, the shell completes it
    assert bash_complete("jccluster check serviceguard ou") == []
    # and `check ADAPTER --rules ID` shows that rule alone, or says which one was meant
    from jobcenter_cluster.cli.app import run

    assert run(["check", "serviceguard", "--rules", "sg-storage", "--json"]) == 0
    import json

    assert [r["rule"] for r in json.loads(capsys.readouterr().out)] == ["SG-STORAGE"]
    assert run(["check", "serviceguard", "--rules", "SG-STORGE"]) == 2
    assert "did you mean 'SG-STORAGE'?" in capsys.readouterr().err
