"""``jccluster check ADAPTER [-c FILE] [DIR]``."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from jobcenter_cluster.cli.common import (
    DEFAULT_CONFIG_PATH,
    JsonOpt,
    TemplatesOpt,
    print_json,
    table,
)
from jobcenter_cluster.errors import UserError


def check(
    adapter: Annotated[str, typer.Argument(metavar="ADAPTER", help="The adapter whose rules apply.")],
    directory: Annotated[
        str | None,
        typer.Argument(metavar="DIR", help="A directory of rendered or hand-edited artifacts to check."),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("-c", "--config", help="The cluster file (default ./jccluster.toml; "
                     "with DIR only when it exists).", envvar="JCCLUSTER_CONFIG"),
    ] = None,
    json_out: JsonOpt = False,
    templates: TemplatesOpt = None,
    list_rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Check against the built-in example cluster.")
    ] = False,
) -> None:
    """Check a cluster file and/or artifacts against the product's rules.

    Each finding names its rule, the manual section or product document it comes from, the file
    and the line. Exits 1 when any error-level finding remains.
    """
    from jobcenter_cluster.checks import all_rules, run_checks
    from jobcenter_cluster.plugins import adapter_names, load_adapter
    from jobcenter_cluster.render import user_template_dirs

    cls = load_adapter(adapter)
    if list_rules:
        rules = all_rules(cls)
        if json_out:
            print_json([{"rule": r.id, "severity": r.severity, "summary": r.summary,
                         "source": r.source} for r in rules])
        else:
            sys.stdout.write(table([[r.id, r.severity, r.summary, r.source] for r in rules],
                                   ["RULE", "SEVERITY", "SUMMARY", "SOURCE"]))
        return
    cluster = None
    if example:
        from jobcenter_cluster.model import example_cluster

        cluster = example_cluster(cls.example_overrides())
        config = None
    elif config is None and (directory is None or os.path.exists(DEFAULT_CONFIG_PATH)):
        config = DEFAULT_CONFIG_PATH
    if config is not None and not os.path.exists(config):
        raise UserError(f"{config}: no such cluster file (pass -c FILE, or give only DIR)")
    findings = run_checks(
        cls,
        config=config,
        directory=directory,
        template_dirs=user_template_dirs(templates or ()),
        adapter_names=adapter_names(),
        cluster=cluster,
    )
    errors = [f for f in findings if f.severity == "error"]
    if json_out:
        print_json({"adapter": adapter, "config": config, "directory": directory,
                    "errors": len(errors), "warnings": len(findings) - len(errors),
                    "findings": [f.as_dict() for f in findings]})
    else:
        for f in findings:
            where = f.file or "-"
            if f.line:
                where += f":{f.line}"
            sys.stdout.write(f"{where}: {f.severity} {f.rule}: {f.message} [{f.source}]\n")
        what = " and ".join(x for x in (config or ("(built-in example)" if example else None),
                                         directory) if x)
        from jobcenter_cluster.checks import NOT_RUN

        not_run = [f.message[len(NOT_RUN):].split(" (", 1)[0] for f in findings
                   if f.message.startswith(NOT_RUN)]
        typer.echo(f"{adapter}: {what}: {len(errors)} error(s), "
                   f"{len(findings) - len(errors)} warning(s)"
                   + (f"; not run: {', '.join(not_run)}" if not_run else ""), err=True)
    if errors:
        raise typer.Exit(1)
