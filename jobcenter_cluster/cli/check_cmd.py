"""``jccluster check ADAPTER[,ADAPTER...] [-c FILE] [DIR] [--format text|json|sarif|junit]``."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from jobcenter_cluster.cli.common import (
    TemplatesOpt,
    print_json,
    table,
)
from jobcenter_cluster.cli.complete import adapter_names, dir_or_rule
from jobcenter_cluster.errors import UserError

if TYPE_CHECKING:
    from jobcenter_cluster.adapter import Adapter
    from jobcenter_cluster.reports import CheckRun


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


def check(
    adapter: Annotated[str, typer.Argument(
        metavar="ADAPTER", autocompletion=adapter_names,
        help="The adapter whose rules apply; several, comma-separated (serviceguard,pacemaker), "
             "check the cluster file for each (not with DIR).")],
    directory: Annotated[
        str | None,
        typer.Argument(metavar="DIR", help="A directory of rendered or hand-edited artifacts to "
                       "check. With --rules: a rule ID (or its start) to show only that rule.",
                       autocompletion=dir_or_rule),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("-c", "--config", help="The cluster file (default ./jccluster.toml; "
                     "with DIR only when it exists).", envvar="JCCLUSTER_CONFIG"),
    ] = None,
    fmt: Annotated[Format | None, typer.Option(
        "--format", help="text (default), json, sarif (SARIF 2.1.0 for code scanning) or junit "
        "(JUnit XML for CI test reports); see docs/ci.md.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    repo_root: Annotated[str | None, typer.Option(
        "--repo-root", metavar="DIR", help="sarif/junit: file paths are relative to DIR (default: "
        "the git top level of the checked directory or cluster file, else the current "
        "directory).")] = None,
    templates: TemplatesOpt = None,
    list_rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Check against the built-in example cluster.")
    ] = False,
) -> None:
    """Check a cluster file and/or artifacts against the product's rules.

    Each finding names its rule, the manual section or product document it comes from, the file
    and the line. Exits 1 when any error-level finding remains (warnings do not fail), 2 on a
    usage error. The report goes to stdout, the summary line to stderr.
    """
    from jobcenter_cluster.checks import all_rules
    from jobcenter_cluster.plugins import load_adapter

    if json_out and fmt not in (None, Format.json):
        raise UserError(f"check: --json and --format {fmt.value} contradict each other; give one")
    form = Format.json if json_out else (fmt or Format.text)
    names = [n.strip() for n in adapter.split(",") if n.strip()]
    if not names or len(set(names)) != len(names):
        raise UserError(f"check: {adapter!r}: name each adapter once (ADAPTER or A,B,...)")
    if len(names) > 1 and directory is not None:
        raise UserError("check: DIR holds one adapter's artifacts; give one ADAPTER with DIR")
    classes = [load_adapter(n) for n in names]
    if list_rules:
        if len(classes) > 1 or form in (Format.sarif, Format.junit):
            raise UserError("check: --rules lists one adapter's rules as text or json")
        rules = all_rules(classes[0])
        if directory is not None:  # with --rules, DIR is a rule ID or its start
            wanted = directory.upper()
            picked = [r for r in rules if r.id == wanted] or [
                r for r in rules if r.id.startswith(wanted)]
            if not picked:
                import difflib

                near = difflib.get_close_matches(wanted, [r.id for r in rules], n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                raise UserError(f"check --rules: {directory!r} is no rule of {names[0]} ({hint}"
                                f"'jccluster check {names[0]} --rules' lists them)")
            rules = picked
        if form is Format.json:
            print_json([{"rule": r.id, "severity": r.severity, "summary": r.summary,
                         "source": r.source} for r in rules])  # as SARIF/JUnit carry it
        else:
            sys.stdout.write(table([[r.id, r.severity, r.summary, source_words(r.source)]
                                    for r in rules],
                                   ["RULE", "SEVERITY", "SUMMARY", "SOURCE"]))
        return
    if example:
        config = None
    elif config is None:  # the one discovery rule (security: jobcenter_cluster.configfile)
        from jobcenter_cluster import configfile

        found = configfile.choose(None, env={})
        config = found.path if directory is not None else configfile.require(found)
    if config is not None and not os.path.exists(config):
        raise UserError(f"{config}: no such cluster file (pass -c FILE, or give only DIR)")
    if repo_root is not None and not os.path.isdir(repo_root):
        raise UserError(f"check: --repo-root {repo_root}: no such directory")
    runs = [_run(cls, config, directory, templates, example, artifacts=form is Format.junit)
            for cls in classes]
    if form is Format.json:
        objs = [{"adapter": r.adapter, "config": config, "directory": directory,
                 "errors": len(r.errors), "warnings": len(r.findings) - len(r.errors),
                 "findings": [f.as_dict() for f in r.findings]} for r in runs]
        print_json(objs[0] if len(objs) == 1 else objs)
    elif form is Format.text:
        for r in runs:
            for f in r.findings:
                # DIR's files as you can open them from here (DIR/orange/…:54), like grep -n
                where = (os.path.join(directory, f.file) if directory is not None and f.file
                         and f.file not in (config, directory) and not os.path.isabs(f.file)
                         else f.file or "-")
                if f.line:
                    where += f":{f.line}"
                sys.stdout.write(f"{where}: {f.severity} {f.rule}: {f.message} [{f.source}]\n")
    else:
        from jobcenter_cluster import reports

        if repo_root is None:
            repo_root = reports.find_repo_root(directory or (config and os.path.dirname(
                os.path.abspath(config))) or os.getcwd())
        if form is Format.sarif:
            sys.stdout.write(reports.sarif_text(runs, repo_root))
        else:
            sys.stdout.write(reports.junit(runs, repo_root))
    if form is not Format.json:
        for r in runs:
            _summary(r, example)
    if any(r.errors for r in runs):
        raise typer.Exit(1)


def _run(cls: type[Adapter], config: str | None, directory: str | None,
         templates: list[str] | None, example: bool, *, artifacts: bool) -> CheckRun:
    """Check one adapter; with `artifacts`, also list what was checked (for JUnit)."""
    from jobcenter_cluster.checks import all_rules, read_directory, run_checks
    from jobcenter_cluster.plugins import adapter_names
    from jobcenter_cluster.render import user_template_dirs
    from jobcenter_cluster.reports import CheckRun

    cluster = None
    if example:
        from jobcenter_cluster.model import example_cluster

        cluster = example_cluster(cls.example_overrides())
    template_dirs = user_template_dirs(templates or ())
    findings = run_checks(cls, config=config, directory=directory, template_dirs=template_dirs,
                          adapter_names=adapter_names(), cluster=cluster)
    run = CheckRun(cls.name, all_rules(cls), findings, config, directory)
    if artifacts:
        if directory is not None:
            run.artifacts = [f.path for f in read_directory(directory)]
        elif not any(f.rule in ("CORE-CONFIG", "CORE-UNIQUE-MID") and f.file == config
                     for f in findings):
            if cluster is None and config is not None:
                from jobcenter_cluster.model import load_cluster

                cluster = load_cluster(config, adapter_names=adapter_names())
            if cluster is not None:
                run.artifacts = [a.path for a in cls(cluster, template_dirs=template_dirs).render()]
    return run


def _summary(run: CheckRun, example: bool) -> None:
    from jobcenter_cluster.checks import NotRun

    what = " and ".join(x for x in (run.config or ("(built-in example)" if example else None),
                                     run.directory) if x)
    not_run = [f.message.what for f in run.findings if isinstance(f.message, NotRun)]
    n_err = len(run.errors)
    typer.echo(f"{run.adapter}: {what}: {n_err} error(s), {len(run.findings) - n_err} warning(s)"
               + (f"; not run: {', '.join(not_run)}" if not_run else ""), err=True)


def source_words(source: str) -> str:
    """A rule's source for the reader: the project's own issue numbers ("issue 9: …",
    "(issue 20)") are the developers' bookkeeping, not a source an operator can open."""
    import re

    text = re.sub(r"\s*\(issues? \d+(?:, \d+)*\)", "", source)
    text = re.sub(r"\bissues? \d+(?:, \d+)*: ", "", text)
    return text.strip()
