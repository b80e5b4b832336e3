"""Where the engine runs (issue 9): the supervisor default follows the product, "jccluster" is
refused where the engine cannot run, the starter file renders every POSIX adapter, and
`jccluster check` catches jccluster.exe watched on Windows, says which rules did not run and
refuses a directory without the adapter's artifacts."""

from __future__ import annotations

import os
import tomllib

import pytest

from jobcenter_cluster.adapter import Adapter
from jobcenter_cluster.checks import SourceFile, rule_jccluster_not_watched, run_checks
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import EXAMPLE_TOML, example_cluster, parse_cluster
from jobcenter_cluster.plugins import adapter_names, load_adapter
from jobcenter_cluster.products import PRODUCTS
from support.cli import jcc

POSIX_ADAPTERS = ["clusterpro-linux", "pacemaker", "powerha", "serviceguard", "sun22", "sungds",
                  "veritas"]


@pytest.mark.parametrize("product, default", [
    ("jobcenter-linux", "jccluster"), ("jobcenter-solaris", "jccluster"),
    ("jobcenter-aix", "jccluster"), ("simulator", "jccluster"),
    ("jobcenter-hpux", "cjcpw"), ("jobcenter-windows", "cjcpw"),
])
def test_the_default_supervisor_follows_the_product(product, default):
    assert PRODUCTS[product].default_supervisor == default
    over = {"cluster": {"product": product}}
    if product == "jobcenter-windows":
        over["site"] = [{"database": "X:\\vmdb"}]
    assert example_cluster(over).supervisor == default


def test_jobcenter_aix_is_a_posix_profile_the_engine_knows():
    from jobcenter_cluster.engine import profiles

    aix = PRODUCTS["jobcenter-aix"]
    assert not aix.windows and aix.install_prefix == "/usr/lib/nqs"
    assert profiles.get("jobcenter-aix").product is aix


@pytest.mark.parametrize("product, system", [("jobcenter-hpux", "HP-UX"),
                                             ("jobcenter-windows", "Windows")])
def test_jccluster_is_refused_where_the_engine_does_not_run(product, system):
    over = {"cluster": {"product": product, "supervisor": "jccluster"}}
    if product == "jobcenter-windows":
        over["site"] = [{"database": "X:\\vmdb"}]
    with pytest.raises(ConfigError) as err:
        example_cluster(over)
    msg = str(err.value)
    assert "\n" not in msg and ": cluster.supervisor: " in msg
    assert f"does not run on {system}" in msg and 'set supervisor = "cjcpw"' in msg


HPUX = EXAMPLE_TOML.replace('product = "jobcenter-linux"',
                            'product = "jobcenter-hpux"\nsupervisor = "jccluster"')


@pytest.mark.parametrize("args", [["validate"], ["render", "serviceguard"],
                                  ["check", "serviceguard"]])
def test_validate_render_and_check_refuse_it_in_one_line(tmp_path, args):
    (tmp_path / "jccluster.toml").write_text(HPUX)
    res = jcc(*args, cwd=str(tmp_path))
    assert res.returncode != 0
    line = next(x for x in (res.stdout + res.stderr).splitlines() if "cluster.supervisor" in x)
    assert 'cannot supervise jobcenter-hpux sites' in line and '"cjcpw"' in line
    assert "Traceback" not in res.stderr


class _OnlyCjcpw(Adapter):
    name = "only-cjcpw"
    product = "test"
    supervisors = ("cjcpw",)
    supervisor_reason = "no Python 3.11 on these nodes"

    def render(self):  # pragma: no cover - not called
        return []


def test_an_adapter_can_refuse_the_engine_whatever_the_product():
    data = tomllib.loads(EXAMPLE_TOML)
    assert _OnlyCjcpw(parse_cluster(data)).cluster.supervisor == "cjcpw"  # default replaced
    data["cluster"]["supervisor"] = "jccluster"
    with pytest.raises(ConfigError) as err:
        _OnlyCjcpw(parse_cluster(data))
    assert str(err.value) == ('jccluster.toml: cluster.supervisor: "jccluster" cannot be used with '
                              'only-cjcpw: no Python 3.11 on these nodes; set supervisor = "cjcpw"')


def test_the_starter_file_validates_and_renders_every_posix_adapter(tmp_path):
    assert sorted(set(adapter_names()) - {"clusterpro-windows", "mscs"}) == POSIX_ADAPTERS
    res = jcc("init", cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert jcc("validate", cwd=str(tmp_path)).returncode == 0
    text = (tmp_path / "jccluster.toml").read_text()
    assert "jobcenter-windows" in text and '"cjcpw"' in text and "Windows" in text
    for name in POSIX_ADAPTERS:
        out = tmp_path / "out" / name
        res = jcc("render", name, "-o", str(out), cwd=str(tmp_path))
        assert res.returncode == 0, (name, res.stderr)
        found = run_checks(load_adapter(name), config=str(tmp_path / "jccluster.toml"),
                           directory=str(out), adapter_names=adapter_names())
        assert [f for f in found if f.severity == "error"] == [], name


OLD_START_BAT = ('ARMLoad JOBSTART /M /U jcadmin "C:\\jccluster\\jccluster.exe" "agent" '
                 '"clusterpro-windows" "watch" "orange.example.com" "X:\\vmdb"')
OLD_GENERIC_CMD = ('cluster res "JC-WATCHER" /priv CommandLine="C:\\jccluster\\jccluster.exe agent '
                   'mscs watch orange.example.com Q:\\jobdb --product jobcenter-windows"')
OLD_GENERIC_PS1 = ("Get-ClusterResource -Name $App @C | Set-ClusterParameter -Name 'CommandLine' "
                   "-Value 'C:\\jccluster\\jccluster.exe agent mscs watch orange.example.com "
                   "Q:\\jobdb'")


class _Ctx:
    def __init__(self, files):
        self.files = files


@pytest.mark.parametrize("path, language, text", [
    ("orange/start.bat", "bat", "@echo off\r\n" + OLD_START_BAT + "\r\n"),
    ("orange/create-generic-app.cmd", "bat", OLD_GENERIC_CMD + "\n"),
    ("orange/create-generic-app.ps1", "ps1", OLD_GENERIC_PS1 + "\n"),
])
def test_jccluster_watched_on_windows_is_an_error(path, language, text):
    found = list(rule_jccluster_not_watched(_Ctx([SourceFile(path, text, language)])))
    assert len(found) == 1 and found[0][1] == path and "supervisor = \"cjcpw\"" in found[0][0]
    # the same files with cjcpw, or jccluster only stopping the site, are fine
    fine = [SourceFile(path, text.replace("C:\\jccluster\\jccluster.exe", "C:\\JobCenter\\SV\\bin"
                                          "\\cjcpw.exe"), language),
            SourceFile("orange/stop.bat", "C:\\jccluster\\jccluster.exe agent x stop s\r\n", "bat"),
            SourceFile("a.bat", "rem ARMLoad JOBSTART jccluster.exe\r\n", "bat")]
    assert list(rule_jccluster_not_watched(_Ctx(fine))) == []


@pytest.mark.parametrize("adapter, path, text", [
    ("clusterpro-windows", "orange/start.bat", OLD_START_BAT + "\r\n"),
    ("mscs", "orange/create-generic-app.cmd", OLD_GENERIC_CMD + "\r\n"),
])
def test_check_of_a_windows_directory_reports_it(tmp_path, adapter, path, text):
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(text, newline="")
    res = jcc("check", adapter, str(tmp_path), cwd=str(tmp_path))
    assert res.returncode == 1
    assert f"{path}:1: error WIN-NO-JCCLUSTER-WATCHED" in res.stdout


def test_a_rule_that_cannot_run_is_a_warning_in_the_summary(tmp_path):
    out = tmp_path / "out"
    assert jcc("render", "serviceguard", "--example", "-o", str(out)).returncode == 0
    env = {**os.environ, "PATH": str(tmp_path / "no-tools")}  # no dash, ksh, bash, shellcheck
    res = jcc("check", "serviceguard", str(out), cwd=str(tmp_path), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "warning CORE-NOT-RUN: not run: shellcheck missing" in res.stdout
    assert "warning CORE-NOT-RUN: not run: dash missing" in res.stdout
    summary = res.stderr.strip().splitlines()[-1]
    assert "not run: " in summary and "shellcheck missing" in summary and "dash missing" in summary
    full = jcc("check", "serviceguard", str(out), cwd=str(tmp_path))
    assert "not run" not in full.stdout + full.stderr  # ./dev installs the tools


def test_check_of_a_directory_without_the_adapters_artifacts_fails(tmp_path):
    out = tmp_path / "out"
    assert jcc("render", "serviceguard", "--example", "-o", str(out)).returncode == 0
    for args in (["check", "veritas", str(out)], ["check", "serviceguard", str(tmp_path / "e")]):
        (tmp_path / "e").mkdir(exist_ok=True)
        res = jcc(*args, cwd=str(tmp_path))
        assert res.returncode == 1
        assert "error CORE-NO-ARTIFACTS" in res.stdout and "holds none of the" in res.stdout
