"""The CLI as users script against it: words, options, outputs, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from jobcenter_cluster.model import EXAMPLE_TOML, STARTER_TOML
from support.cli import jcc


def test_init_writes_the_example_and_never_overwrites(tmp_path):
    res = jcc("init", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "jccluster.toml").read_text() == STARTER_TOML
    (tmp_path / "jccluster.toml").write_text("# mine\n")
    res = jcc("init", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == "jccluster: jccluster.toml: already exists; not overwriting it (edit it, or remove it first)\n"
    assert (tmp_path / "jccluster.toml").read_text() == "# mine\n"


def test_render_to_stdout_introduces_each_artifact_with_its_path(tmp_path):
    jcc("init", cwd=tmp_path)
    res = jcc("render", "serviceguard", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    headers = [ln for ln in res.stdout.splitlines() if ln.startswith("==> ")]
    assert headers == [
        "==> orange/legacy/jobcenter-orange.conf (mode 0644) <==",
        "==> orange/legacy/jobcenter-orange.cntl-customer-section (mode 0644) <==",
        "==> orange/modular/jobcenter-orange.conf (mode 0644) <==",
        "==> orange/modular/jobcenter-orange.sh (mode 0755) <==",
        "==> orange/APPLY.txt (mode 0644) <==",
    ]


def test_render_to_a_directory_dry_run_force(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(EXAMPLE_TOML)
    out = tmp_path / "out"
    res = jcc("render", "serviceguard", "-c", str(cfg), "-o", str(out), "--dry-run")
    assert res.returncode == 0 and "would create" in res.stderr and not out.exists()
    assert "+++ b/orange/APPLY.txt" in res.stdout
    assert jcc("render", "serviceguard", "-c", str(cfg), "-o", str(out)).returncode == 0
    script = out / "orange/modular/jobcenter-orange.sh"
    script.write_text("# hand edit\n")
    res = jcc("render", "serviceguard", "-c", str(cfg), "-o", str(out))
    assert res.returncode == 2 and "--force to overwrite" in res.stderr
    assert script.read_text() == "# hand edit\n"
    res = jcc("render", "serviceguard", "-c", str(cfg), "-o", str(out), "--force")
    assert res.returncode == 0 and "updated" in res.stdout
    assert script.read_text().startswith("#!/bin/sh")
    res = jcc("render", "serviceguard", "-c", str(cfg), "--site", "lemon")
    assert res.returncode == 2 and "no site named 'lemon'" in res.stderr


def test_render_with_a_user_template_directory(tmp_path):
    (tmp_path / "tpl/serviceguard").mkdir(parents=True)
    (tmp_path / "tpl/serviceguard/APPLY.txt.j2").write_text("our own steps for {{ package }}\n")
    res = jcc("render", "serviceguard", "--example", "--templates", str(tmp_path / "tpl"))
    assert "our own steps for jobcenter-orange\n" in res.stdout


_SITE_NAME_LINE = EXAMPLE_TOML.splitlines().index('name = "orange.example.com"') + 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "nosuch", "--example"], "jccluster: adapter 'nosuch' could not be loaded: no such adapter (installed: "),
        (["render", "serviceguard", "-c", "missing.toml"], "jccluster: missing.toml: no such cluster file"),
        # validate says the line too (FILE:LINE: field: message); render does not
        (["validate", "-c", "bad.toml"], f"jccluster: bad.toml:{_SITE_NAME_LINE}: site[0].name: 'orange' is not a fully qualified host name"),
        (["render", "serviceguard", "-c", "bad.toml"], "jccluster: bad.toml: site[0].name: 'orange' is not a fully qualified host name"),
    ],
)
def test_errors_are_one_line_without_traceback(tmp_path, args, message):
    (tmp_path / "bad.toml").write_text(EXAMPLE_TOML.replace('"orange.example.com"', '"orange"'))
    res = jcc(*args, cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith(message), res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr


def test_debug_shows_the_traceback(tmp_path):
    res = jcc("--debug", "render", "serviceguard", "-c", "missing.toml", cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" in res.stderr


def test_unknown_table_in_the_cluster_file_names_the_key(tmp_path):
    (tmp_path / "jccluster.toml").write_text(EXAMPLE_TOML + "\n[servicegard]\npackage = 'x'\n")
    res = jcc("validate", cwd=tmp_path)
    assert res.returncode == 2
    assert "servicegard: unknown table (did you mean 'serviceguard'?)" in res.stderr


def test_validate_checks_adapter_tables(tmp_path):
    (tmp_path / "jccluster.toml").write_text(EXAMPLE_TOML + "\n[serviceguard]\nauto_run = true\n")
    res = jcc("validate", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "adapter options checked: serviceguard" in res.stdout


def test_adapters_lists_products_artifacts_and_exit_tables():
    res = jcc("adapters", "--json")
    data = json.loads(res.stdout)
    sg = next(a for a in data["adapters"] if a["name"] == "serviceguard")
    assert "Serviceguard for Linux" in sg["product"]
    assert sg["actions"]["service"] == "watch"
    assert {"action": "start", "outcome": "unrecoverable", "code": 2} in sg["exit_codes"]
    table = jcc("adapters").stdout
    assert table.splitlines()[0].split() == ["ADAPTER", "PRODUCT", "ARTIFACTS"]


def test_agent_errors_use_exit_codes_not_tracebacks():
    res = jcc("agent", "nosuch", "monitor", "orange.example.com")
    assert res.returncode == 2 and "no such adapter" in res.stderr
    res = jcc("agent", "serviceguard", "reboot", "orange.example.com")
    assert res.returncode == 1
    assert "unknown action 'reboot' (use one of: keep-port, service, start, stop, validate, status)" in res.stderr
    res = jcc("agent", "serviceguard", "start", "orange.example.com")
    assert res.returncode == 1 and "DATABASE is required" in res.stderr
    assert "Traceback" not in res.stderr


def test_help_lists_every_command():
    out = jcc("--help").stdout
    for word in ("init", "validate", "render", "adapters", "check", "agent"):
        assert word in out
