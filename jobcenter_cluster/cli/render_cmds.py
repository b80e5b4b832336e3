"""``jccluster init | validate | render | adapters``."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from jobcenter_cluster.cli.common import (
    DEFAULT_CONFIG_PATH,
    ConfigOpt,
    JsonOpt,
    TemplatesOpt,
    load,
    print_json,
    table,
)
from jobcenter_cluster.errors import UserError


def init(
    path: Annotated[str, typer.Argument(help="Where to write the starter file.")] = DEFAULT_CONFIG_PATH,
) -> None:
    """Write a commented starter cluster file (the manual's example cluster). Never overwrites."""
    from jobcenter_cluster.model import EXAMPLE_TOML

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise UserError(
            f"{path}: already exists; not overwriting it (edit it, or remove it first)"
        ) from None
    except OSError as err:
        raise UserError(f"{path}: cannot create: {err.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(EXAMPLE_TOML)
    typer.echo(f"wrote {path}: edit the nodes and sites, then 'jccluster render ADAPTER'", err=True)


def validate(config: ConfigOpt = DEFAULT_CONFIG_PATH) -> None:
    """Validate the cluster file and the option tables of every adapter it configures."""
    from jobcenter_cluster.plugins import load_adapter

    cluster = load(config)
    checked = []
    for name in cluster.adapter_options:
        load_adapter(name)(cluster)
        checked.append(name)
    for site in cluster.sites:
        for name in site.adapter_options:
            if name not in checked:
                load_adapter(name)(cluster)
                checked.append(name)
    extra = f"; adapter options checked: {', '.join(checked)}" if checked else ""
    typer.echo(
        f"{config}: ok ({len(cluster.nodes)} node(s), {len(cluster.sites)} site(s), "
        f"product {cluster.product.name}, supervisor {cluster.supervisor}{extra})"
    )


def render(
    adapter: Annotated[str, typer.Argument(help="The adapter (see 'jccluster adapters').")],
    config: ConfigOpt = DEFAULT_CONFIG_PATH,
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="Write the files into this directory."),
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the unified diff of every file that would change; write nothing."
    )] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite (or with --prune remove) files edited by hand."
    )] = False,
    prune: Annotated[bool, typer.Option(
        "--prune", help="Remove files an earlier render wrote that this render no longer produces."
    )] = False,
    templates: TemplatesOpt = None,
    example: Annotated[
        bool, typer.Option("--example", help="Use the built-in example cluster (the manual's).")
    ] = False,
) -> None:
    """Render one adapter's artifacts from the cluster file.

    Without -o every artifact is printed to stdout, each after a header line '==> PATH (mode
    0755) <=='. With -o the files are written atomically with their modes, and DIR/.jccluster-
    manifest.json records what was rendered: a file changed only because the cluster file
    changed is updated, a file edited by hand is refused without --force, and files no longer
    produced are listed as stale (removed with --prune).
    """
    from jobcenter_cluster.model import example_cluster
    from jobcenter_cluster.plugins import load_adapter
    from jobcenter_cluster.render import user_template_dirs, write_artifacts

    cls = load_adapter(adapter)
    cluster = example_cluster(cls.example_overrides()) if example else load(config)
    artifacts = cls(cluster, template_dirs=user_template_dirs(templates or ()), site=site).render()
    if output is None:
        out = sys.stdout
        for i, art in enumerate(artifacts):
            if i:
                out.write("\n")
            out.write(f"==> {art.path} (mode {art.mode:04o}) <==\n")
            out.write(art.content)
        return
    results = write_artifacts(artifacts, output, force=force, dry_run=dry_run, prune=prune,
                              adapter=cls.name, partial=site is not None)
    if dry_run:
        for res in results:
            sys.stdout.write(res.diff)
    for res in results:
        note = ""
        if res.edited and res.action != "unchanged":
            note = "  (edited by hand" + ("; needs --force)" if dry_run or not force else ")")
        elif res.action == "stale":
            note = "  (no longer rendered; --prune removes it)"
        typer.echo(f"{res.action:>12}  {os.path.join(output, res.path)}{note}",
                   err=dry_run)
    if dry_run:
        changes = [r for r in results if r.action.startswith("would ")]
        typer.echo(f"{output}: dry run: {len(changes)} file(s) would change; nothing written",
                   err=True)


def adapters(json_out: JsonOpt = False) -> None:
    """List the installed adapters: the product each serves, its artifacts and agent actions."""
    from jobcenter_cluster.plugins import load_adapters

    good, broken = load_adapters()
    if json_out:
        print_json(
            {
                "adapters": [
                    {
                        "name": name,
                        "product": cls.product,
                        "module": cls.__module__,
                        "artifacts": list(cls.artifacts),
                        "actions": {a: s.operation for a, s in cls.agent_actions.items()},
                        "exit_codes": [
                            {"action": a, "outcome": o.value, "code": c}
                            for a, o, c in cls.exit_table()
                        ],
                    }
                    for name, cls in good.items()
                ],
                "broken": [{"name": b.name, "target": b.target, "error": b.error} for b in broken],
            }
        )
    else:
        rows = [[name, cls.product, ", ".join(cls.artifacts)] for name, cls in good.items()]
        rows += [[b.name, f"BROKEN: {b.error}", b.target] for b in broken]
        sys.stdout.write(table(rows, ["ADAPTER", "PRODUCT", "ARTIFACTS"]))
    if broken:
        for b in broken:
            typer.echo(f"jccluster: adapter {b.name!r} ({b.target}) failed to load: {b.error}",
                       err=True)
        raise typer.Exit(1)
