"""``jccluster site ...`` as users and clusters call it: one-line errors, exit codes, layouts."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from jobcenter_cluster.cli import site as site_cli
from support.cli import jcc
from support.hosts import needs_hosts

pytestmark = pytest.mark.timeout(60)
runner = CliRunner()


def test_status_fast_path_prints_what_typer_prints(sim_site):
    sim_site.start()
    fast = jcc("site", "status", sim_site.name)
    slow = runner.invoke(site_cli.app, ["status", sim_site.name])
    assert fast.returncode == slow.exit_code == 0
    assert fast.stdout == slow.stdout
    assert "state:       running" in fast.stdout and "nqsdaemon" in fast.stdout
    as_json = json.loads(jcc("site", "status", "--json", sim_site.name).stdout)
    assert as_json["outcome"] == "running" and as_json["daemons"]["nqsdaemon"]
    assert jcc("site", "stop", sim_site.name, "--timeout", "5").returncode == 0
    stopped = jcc("site", "status", sim_site.name)
    assert stopped.returncode == 3 and "state:       stopped" in stopped.stdout


def test_status_of_an_unknown_site_says_so_and_exits_4(engine_env):
    res = jcc("site", "status", "never-here.example.com")
    # "unknown site", never "stopped": a typo must not read like a stopped site
    assert res.returncode == 4 and "state:       unknown site" in res.stdout
    assert "stopped" not in res.stdout
    assert "has never seen this site" in res.stderr


def test_status_usage_error_is_one_line(engine_env):
    res = jcc("site", "status")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert res.stderr.startswith("jccluster: site status:")


def test_ls_layout_like_cjcls(sim_site, engine_env):
    other = jcc("site", "create", "--product", "simulator", "lime.example.com", "31",
                os.path.join(engine_env.tmp, "lime"))
    sim_site.start()
    out = runner.invoke(site_cli.app, ["ls"]).stdout.splitlines()
    assert out[0].split() == ["SITE-NAME", "STATE", "DAEMON-PID", "DB-PATH(LINK)"]
    pid = sim_site.status().daemons["nqsdaemon"]
    rows = {line.split()[0]: line for line in out[1:] if not line.startswith(" ")}
    assert rows[sim_site.name].split()[1:] == ["running", str(pid), sim_site.db]
    col = out[0].index("DB-PATH")
    links = [line for line in out[1:] if line.startswith(" ")]
    assert all(line[col] == "(" for line in links)
    assert f"({sim_site.root}/" in "\n".join(links)
    if other.returncode == 0:  # needs the private hosts file
        assert rows["lime.example.com"].split()[1:3] == ["stopped", "SHUT"]
    data = json.loads(runner.invoke(site_cli.app, ["ls", "--json"]).stdout)
    assert {d["site"] for d in data} >= {sim_site.name}
    sim_site.stop(timeout=5)


@needs_hosts
def test_create_errors_are_one_line_without_traceback(engine_env):
    res = jcc("site", "create", "orange", "10", os.path.join(engine_env.tmp, "db"))
    assert res.returncode == 2
    assert res.stderr == ("jccluster: orange is an alias of orange.example.com; the site name "
                          "must be the official host name (use orange.example.com)\n")
    res = jcc("site", "create", "--product", "nope", "lemon.example.com", "10", "/tmp/x")
    assert res.returncode == 2 and "unknown product 'nope'" in res.stderr
    assert "Traceback" not in res.stderr


@needs_hosts
def test_path_like_nqspath(engine_env):
    db = os.path.join(engine_env.tmp, "melon")
    assert jcc("site", "create", "--product", "simulator", "melon.example.com", "40",
               db).returncode == 0
    res = jcc("site", "path", "melon.example.com")
    assert res.returncode == 0 and res.stdout == f"{engine_env.root}/7F000005\n"
    env = dict(os.environ, NQS_SITE="melon.example.com")
    assert jcc("site", "path", env=env).stdout == f"{engine_env.root}/7F000005\n"
    unknown = jcc("site", "path", "nowhere.invalid")
    assert unknown.returncode == 2 and "Unable to setup NQS rootdir" in unknown.stderr
    elsewhere = jcc("site", "path", "lime.example.com")  # resolves, but no site here
    assert elsewhere.returncode == 2
    assert "Unable to chdir() to the NQS root directory." in elsewhere.stderr
    os.makedirs(engine_env.root, exist_ok=True)
    local = jcc("site", "path", env={k: v for k, v in os.environ.items() if k != "NQS_SITE"})
    assert local.stdout == f"{engine_env.root}\n"


def test_start_stop_exit_codes(sim_site):
    res = jcc("site", "start", "--no-watch", sim_site.name, sim_site.db)
    assert res.returncode == 0 and "started" in res.stdout, res.stderr
    again = jcc("site", "start", "--no-watch", sim_site.name, sim_site.db)
    assert again.returncode == 0 and "already running" in again.stdout
    missing = jcc("site", "start", "--no-watch", sim_site.name, sim_site.db + "-gone")
    assert missing.returncode == 5 and "unrecoverable" in missing.stderr
    assert jcc("site", "stop", sim_site.name, "--timeout", "5").returncode == 0
    bad = jcc("site", "start", "--no-watch", "--background", sim_site.name, sim_site.db)
    assert bad.returncode == 2 and "exclude each other" in bad.stderr


def test_background_start_returns_and_is_watched(sim_site):
    res = jcc("site", "start", "--background", sim_site.name, sim_site.db)
    assert res.returncode == 0, res.stderr
    st = sim_site.status()
    assert st.outcome.value == "running" and st.watcher_pid
    assert jcc("site", "stop", sim_site.name).returncode == 0
