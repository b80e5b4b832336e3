"""``jccluster init | validate | render | adapters``."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Annotated, Any

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
from jobcenter_cluster.cli.complete import adapter_names
from jobcenter_cluster.errors import UserError


def init(
    path: Annotated[str, typer.Argument(
        metavar="PATH", help="Where to write the starter file.")] = DEFAULT_CONFIG_PATH,
) -> None:
    """Write a commented starter cluster file (the manual's example cluster). Never overwrites."""
    from jobcenter_cluster.model import STARTER_TOML

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise UserError(
            f"{path}: already exists; not overwriting it (edit it, or remove it first)"
        ) from None
    except OSError as err:
        raise UserError(f"{path}: cannot create: {err.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(STARTER_TOML)
    typer.echo(f"wrote {path}: edit the nodes and sites, then 'jccluster render ADAPTER'", err=True)


def validate(config: ConfigOpt = DEFAULT_CONFIG_PATH) -> None:
    """Validate the cluster file and the option tables of every adapter it configures.

    One pass: every mistake, the core tables' and the adapters' own tables' alike, is one line
    'FILE:LINE: field: message', in the order of the file; the exit status is non-zero when
    there is any.
    """
    from jobcenter_cluster.errors import ConfigErrors
    from jobcenter_cluster.model import read_cluster_data
    from jobcenter_cluster.plugins import adapter_names

    installed = adapter_names()
    data = read_cluster_data(config)
    cluster, errors, checked = validation(data, config, installed)
    if errors:
        raise ConfigErrors(errors, with_lines=True)
    extra = f"; adapter options checked: {', '.join(checked)}" if checked else ""
    typer.echo(
        f"{config}: ok ({len(cluster.nodes)} node(s), {len(cluster.sites)} site(s), "
        f"product {cluster.product.name}, supervisor {cluster.supervisor}{extra})"
    )


def validation(data: dict[str, Any], config: str, installed: Any
               ) -> tuple[Any, list[Any], list[str]]:
    """``(cluster, every mistake placed on its line and sorted, the adapters checked)`` of the
    cluster data read from `config`: the core mistakes (`model.check_cluster`) and those of
    every configured adapter's tables in the same pass. With core mistakes the adapters' tables
    are checked against what the core tables hold (`Adapter.option_tables`); without, the
    adapter is built, which also runs its own cross-checks (`Adapter.validate`)."""
    from jobcenter_cluster.errors import ConfigError, ConfigErrors
    from jobcenter_cluster.model import check_cluster, file_errors
    from jobcenter_cluster.plugins import load_adapter

    installed = set(installed)
    checked_core = check_cluster(data, source=config, adapter_names=installed)
    cluster = checked_core.cluster
    errors: list[ConfigError] = list(checked_core.errors)
    names = [n for n in cluster.adapter_options if n in installed]
    names += [n for s in cluster.sites for n in s.adapter_options
              if n in installed and n not in names]
    checked: list[str] = []
    for name in names:
        cls = load_adapter(name)
        try:
            if checked_core.errors:
                cls.option_tables(cluster)
            else:
                cls(cluster)
        except ConfigError as err:
            errors.extend(err.errors if isinstance(err, ConfigErrors) else [err])
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            # a default computed from a core field that has a mistake (and so a placeholder):
            # that mistake is reported; the table is judged again once it is fixed
            if not checked_core.errors:
                raise
        checked.append(name)
    return cluster, file_errors(errors, config), checked


def render(
    adapter: Annotated[str, typer.Argument(
        metavar="ADAPTER", help="The adapter (see 'jccluster adapters').",
        autocompletion=adapter_names)],
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
    check: Annotated[bool, typer.Option(
        "--check", help="The drift gate (needs -o): exit 1 and print the diff when DIR differs "
        "from what the cluster file renders; write nothing."
    )] = False,
) -> None:
    """Render one adapter's artifacts from the cluster file.

    Without -o every artifact is printed to stdout, each after a header line '==> PATH (mode
    0755) <=='. With -o the files are written atomically with their modes, and the manifest
    DIR/.jccluster-manifest.json records what was rendered: a file changed only because the
    cluster file changed is updated, a file edited by hand is refused without --force, and files
    no longer produced are listed as stale (removed with --prune). --dry-run prints the diff.
    --check (for CI) exits 1 when a file is missing, differs, has another executable bit or is
    no longer produced, and prints the unified diff; 0 when DIR is up to date.
    """
    from jobcenter_cluster.model import example_cluster
    from jobcenter_cluster.plugins import load_adapter
    from jobcenter_cluster.render import user_template_dirs, write_artifacts

    if check and output is None:
        raise UserError("render: --check compares with a directory; give -o DIR")
    if check and (dry_run or force or prune):
        flag = "--dry-run" if dry_run else "--force" if force else "--prune"
        raise UserError(f"render: --check writes nothing; it does not go with {flag}")
    cls = load_adapter(adapter)
    cluster = example_cluster(cls.example_overrides()) if example else load(config)
    rendered = cls(cluster, template_dirs=user_template_dirs(templates or ()), site=site)
    artifacts = rendered.render()
    if check:
        assert output is not None
        _drift_gate(cls, artifacts, output, "the built-in example" if example else config,
                    partial=site is not None)
        return
    # said after the files, so a refused render shows its refusal alone
    warnings = storage_warnings(cls, cluster, rendered, artifacts)
    if output is None:
        out = sys.stdout
        for i, art in enumerate(artifacts):
            if i:
                out.write("\n")
            out.write(f"==> {art.path} (mode {art.mode:04o}) <==\n")
            out.write(art.content)
        out.flush()
        for line in warnings:
            typer.echo(line, err=True)
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
    for line in warnings:
        typer.echo(line, err=True)


#: the rules that a package mounts its shared disk (SG-STORAGE, PCMK-SHARED-DISK, PHA-STORAGE,
#: VCS-STORAGE): render says what they find, not only check
_STORAGE_RULE = re.compile(r"-(STORAGE|SHARED-DISK)\Z")


def storage_warnings(cls: type[Any], cluster: Any, adapter: Any, artifacts: Any) -> list[str]:
    """A package that mounts no shared disk, said by ``render`` as ``check`` says it: JobCenter
    would start without its database's disk. One line each, on stderr; the files are written
    all the same (``storage = "none"`` with a reason silences it)."""
    from jobcenter_cluster.checks import CheckContext, SourceFile

    rules = [r for r in cls.rules() if _STORAGE_RULE.search(r.id)]
    if not rules:
        return []
    ctx = CheckContext(cls.name, cluster, adapter, SourceFile.from_artifacts(artifacts), None)
    out = []
    for rule in rules:
        for message, path, _line in rule.func(ctx):
            out.append(f"jccluster: render: warning: {path}: {message} [{rule.id}; see "
                       f"'jccluster check {cls.name}']")
    return out


def _drift_gate(cls: type[Any], artifacts: Any, output: str, source: str, *,
                partial: bool) -> None:
    """``render --check``: the diff to stdout, one line per drifting file and the verdict to
    stderr; exit 1 on drift."""
    from jobcenter_cluster.checks import artifact_patterns
    from jobcenter_cluster.drift import compare

    if not os.path.isdir(output):
        raise UserError(f"{output}: no such directory (render it first: 'jccluster render "
                        f"{cls.name} -o {output}')", exit_code=1)
    drifts = compare(artifacts, output, adapter=cls.name, patterns=artifact_patterns(cls),
                     partial=partial)
    for d in drifts:
        sys.stdout.write(d.diff)
    for d in drifts:
        typer.echo(f"{d.kind:>12}  {os.path.join(output, d.path)}: {d.detail}", err=True)
    if drifts:
        typer.echo(f"{output}: {len(drifts)} file(s) differ from what {source} renders for "
                   f"{cls.name}; run 'jccluster render {cls.name} -o {output}' and commit the "
                   "result", err=True)
        raise typer.Exit(1)
    typer.echo(f"{output}: up to date with {source} ({len(artifacts)} file(s))", err=True)


def adapters(
    name: Annotated[str | None, typer.Argument(
        metavar="ADAPTER", help="Show this adapter's option keys (type, default, help).",
        autocompletion=adapter_names)] = None,
    json_out: JsonOpt = False,
) -> None:
    """List the installed adapters: the product each serves, its artifacts and agent actions.

    With ADAPTER: the keys of its option tables, [ADAPTER] for the whole cluster and
    [site.ADAPTER] for one site, each with its type, default and help.
    """
    from jobcenter_cluster.plugins import load_adapter, load_adapters

    if name is not None:
        _adapter_options(load_adapter(name), json_out)
        return
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
                        "actions": {a: s.operation for a, s in cls.spec.actions.items()},
                        "exit_codes": [
                            {"action": a, "outcome": o.value, "code": c}
                            for a, o, c in cls.spec.exit_table()
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


def _option_rows(cls: type[Any], schema: Any, per_site: bool) -> list[dict[str, Any]]:
    """One dict per option key: its type, default (a computed one shown for the built-in
    example cluster) and help."""
    from jobcenter_cluster.model import example_cluster

    example = None
    rows = []
    for key, opt in schema.items():
        kind = {str: "string", int: "integer", bool: "boolean", list: "list of strings"}.get(
            opt.type, getattr(opt.type, "__name__", str(opt.type)))
        if opt.choices:
            kind += " (" + " | ".join(map(str, opt.choices)) + ")"
        if opt.minimum is not None or opt.maximum is not None:
            lo = "" if opt.minimum is None else opt.minimum
            hi = "" if opt.maximum is None else opt.maximum
            kind += f" {lo}..{hi}"
        computed = callable(opt.default)
        default = opt.default
        if computed:
            try:
                example = example or example_cluster(cls.example_overrides())
                site = example.sites[0] if per_site else None
                default = opt.default(example, site)
            except Exception:  # noqa: BLE001 - only an illustration; never fail the listing
                default = None
        rows.append({"key": key, "type": kind, "required": bool(opt.required),
                     "default": default, "computed": computed, "help": opt.help})
    return rows


def _adapter_options(cls: type[Any], json_out: bool) -> None:
    tables = [(f"[{cls.name}]", "the whole cluster", _option_rows(cls, cls.options_schema, False)),
              (f"[site.{cls.name}]", "one site, right after its [[site]]",
               _option_rows(cls, cls.site_options_schema, True))]
    if json_out:
        print_json({"name": cls.name, "product": cls.product,
                    "options": tables[0][2], "site_options": tables[1][2]})
        return
    out = [f"{cls.name}: {cls.product}\n"]
    for title, scope, rows in tables:
        out.append(f"\n{title}: options for {scope}\n")
        if not rows:
            out.append("  (none)\n")
            continue
        cells = []
        for r in rows:
            if r["required"]:
                default = "(required)"
            elif r["default"] is None:
                default = "-"
            else:
                value = r["default"]
                default = json.dumps(value) if not isinstance(value, str) else f'"{value}"'
                if r["computed"]:  # shown for the built-in example cluster
                    default = f"computed, e.g. {default}"
            cells.append([r["key"], r["type"], default, r["help"]])
        out.append(table(cells, ["KEY", "TYPE", "DEFAULT", "HELP"]))
    sys.stdout.write("".join(out))
