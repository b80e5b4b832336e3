"""``jccluster check --format sarif|junit``: findings in the formats CI systems read natively
(standard library only: json and xml.etree, no runtime dependency).

- **SARIF 2.1.0** (code-scanning annotations): one ``run`` per adapter, each rule in
  ``tool.driver.rules`` with its ID, summary (``shortDescription``) and source (``help``), each
  finding a ``result`` with its level (error/warning) and, where it has a file, a physical
  location relative to the repository root (``uriBaseId`` ``%SRCROOT%``).
- **JUnit XML** (CI test reports): one ``testsuite`` per adapter, one ``testcase`` per rule and
  artifact, one ``failure`` per error-level finding (its message names the rule ID and source);
  warnings are written to the test case's ``system-out`` and fail nothing.

Where a finding points: a file of the checked directory is ``DIR/FILE``; a finding in an
artifact rendered in memory (``check`` without DIR) points at the cluster file, the fix's
place, and its message names the rendered artifact and line; a finding without a file points
at the cluster file when there is one, else nowhere.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster import __version__
from jobcenter_cluster.adapter import Finding, Rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL = "jccluster"
#: SARIF's result.level for our severities (SARIF 2.1.0 §3.27.10)
LEVELS = {"error": "error", "warning": "warning"}

#: findings the framework reports outside any `Rule` (see docs/check.md, core rules)
FRAMEWORK_RULES: dict[str, tuple[str, str]] = {
    "CORE-CONFIG": ("the cluster file loads and the adapter accepts its options",
                    "cluster file reference (docs/cluster-file.md)"),
    "CORE-NO-ARTIFACTS": ("the checked directory holds at least one of the adapter's artifacts",
                          "jccluster check"),
}


@dataclass
class CheckRun:
    """One adapter's check: its rules, what was checked and what was found."""

    adapter: str
    rules: list[Rule]
    findings: list[Finding]
    config: str | None = None
    directory: str | None = None
    #: the checked files: relative to `directory`, or the paths rendered in memory
    artifacts: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def descriptors(self) -> list[tuple[str, str, str, str]]:
        """(id, severity, summary, source) of every rule, framework findings included."""
        out = [(r.id, r.severity, r.summary, r.source) for r in self.rules]
        known = {r.id for r in self.rules}
        for f in self.findings:
            if f.rule in known:
                continue
            summary, source = FRAMEWORK_RULES.get(f.rule, (f.rule, f.source))
            out.append((f.rule, "error", summary, source))
            known.add(f.rule)
        return out

    def place(self, finding: Finding) -> tuple[str | None, int | None, str]:
        """Where `finding` points on disk: (path relative to the cwd or absolute, line, a note
        for the message when the place is not the finding's own file)."""
        file, line = finding.file, finding.line
        if file is None:
            return self.config, None, ""
        if file in (self.config, self.directory):
            return file, line, ""
        if self.directory is not None:
            return os.path.join(self.directory, file), line, ""
        where = file + (f":{line}" if line else "")
        return self.config, None, f" (in the rendering of {where})"


def find_repo_root(start: str) -> str:
    """The git top level of `start` (the nearest directory holding ``.git``, a directory or a
    worktree's file), else the current directory."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.getcwd()
        here = parent


def repo_path(path: str, root: str) -> str:
    """`path` relative to `root` with ``/`` separators; a path outside `root` stays absolute."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, root)
    if rel == ".." or rel.startswith(".." + os.sep):
        return full.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _uri(path: str) -> dict[str, str]:
    from urllib.parse import quote

    if path.startswith("/"):
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


# --------------------------------------------------------------------------- SARIF


def sarif(runs: list[CheckRun], root: str) -> dict[str, Any]:
    """The SARIF 2.1.0 log of `runs`, locations relative to `root`."""
    from urllib.parse import quote

    root_uri = "file://" + quote(os.path.abspath(root).rstrip("/") + "/")
    out_runs = []
    for run in runs:
        descriptors = run.descriptors()
        index = {d[0]: i for i, d in enumerate(descriptors)}
        rules = [
            {
                "id": rid,
                "shortDescription": {"text": summary},
                "fullDescription": {"text": f"{summary} (source: {source})"},
                "help": {"text": f"Source: {source}", "markdown": f"Source: {source}"},
                "defaultConfiguration": {"level": LEVELS.get(severity, "error")},
                "properties": {"source": source, "adapter": run.adapter},
            }
            for rid, severity, summary, source in descriptors
        ]
        results = []
        for f in run.findings:
            path, line, note = run.place(f)
            result: dict[str, Any] = {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVELS.get(f.severity, "error"),
                "message": {"text": f"{f.message}{note} [{f.source}]"},
            }
            if path is not None:
                physical: dict[str, Any] = {"artifactLocation": _uri(repo_path(path, root))}
                if line and line > 0:
                    physical["region"] = {"startLine": line}
                result["locations"] = [{"physicalLocation": physical}]
            results.append(result)
        out_runs.append({
            "tool": {"driver": {"name": TOOL, "version": __version__,
                                "semanticVersion": __version__, "rules": rules}},
            # one category per adapter: code scanning keeps each adapter's alerts apart
            "automationDetails": {"id": f"{TOOL}/{run.adapter}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "invocations": [{"executionSuccessful": True}],
            "results": results,
            "properties": {"adapter": run.adapter, "errors": len(run.errors),
                           "warnings": len(run.findings) - len(run.errors)},
        })
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": out_runs}


def sarif_text(runs: list[CheckRun], root: str) -> str:
    return json.dumps(sarif(runs, root), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- JUnit XML


def junit(runs: list[CheckRun], root: str) -> str:
    """The JUnit XML report of `runs`: a test case per rule and artifact, a failure per
    error-level finding (a rule with two errors in one file gives two test cases, one per
    line), file paths relative to `root`. An artifact rendered in memory keeps its rendered
    path as the test case's name; its ``file`` is the cluster file."""
    suites = ET.Element("testsuites", name=f"{TOOL} check")
    total = failures = 0
    for run in runs:
        suite = ET.SubElement(suites, "testsuite", name=f"{TOOL} check {run.adapter}")
        descriptors = {d[0]: d for d in run.descriptors()}
        places = ([run.config] if run.config is not None else []) + [
            os.path.join(run.directory, a) if run.directory else a for a in run.artifacts]
        by_case: dict[tuple[str, str], list[Finding]] = {}
        for f in run.findings:
            by_case.setdefault((f.rule, _junit_place(run, f)), []).append(f)
        cases = [(rid, p) for rid in descriptors for p in places]
        cases += [k for k in by_case if k not in set(cases)]
        n = n_fail = 0
        for rid, place in cases:
            found = by_case.get((rid, place), [])
            errors = [f for f in found if f.severity == "error"]
            warnings = [f for f in found if f.severity != "error"]
            real = place in (run.config, run.directory) or run.directory is not None
            name = repo_path(place, root) if real and place != "(cluster)" else place
            attrs = {"classname": f"{run.adapter}.{rid}", "time": "0"}
            if real and place != "(cluster)":
                attrs["file"] = name
            elif run.config is not None:
                attrs["file"] = repo_path(run.config, root)
            source = descriptors[rid][3]
            each: list[Finding | None] = list(errors) or [None]
            for i, err in enumerate(each):
                case_name = name
                if err is not None and len(errors) > 1:
                    case_name += f":{err.line}" if err.line else f" #{i + 1}"
                case = ET.SubElement(suite, "testcase", {"name": case_name, **attrs})
                n += 1
                if err is not None:
                    line = f":{err.line}" if err.line else ""
                    fail = ET.SubElement(case, "failure", type=rid,
                                         message=f"{rid}: {err.message} [{source}]")
                    fail.text = f"{name}{line}: error {rid}: {err.message}\nsource: {source}\n"
                    n_fail += 1
                if warnings and i == 0:
                    out = ET.SubElement(case, "system-out")
                    out.text = "".join(
                        f"{name}{f':{w.line}' if w.line else ''}: warning {rid}: {w.message} "
                        f"[{w.source}]\n" for w in warnings)
        for key, value in (("tests", n), ("failures", n_fail), ("errors", 0), ("skipped", 0),
                           ("time", 0)):
            suite.set(key, str(value))
        total += n
        failures += n_fail
    for key, value in (("tests", total), ("failures", failures), ("errors", 0), ("skipped", 0),
                       ("time", 0)):
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _junit_place(run: CheckRun, f: Finding) -> str:
    """The artifact a finding belongs to: a file of DIR, a rendered path, the cluster file."""
    if f.file is None:
        return run.config if run.config is not None else "(cluster)"
    if f.file in (run.config, run.directory):
        return f.file
    return os.path.join(run.directory, f.file) if run.directory is not None else f.file
