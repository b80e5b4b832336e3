"""Snapshot what a refactoring must not change: ``python -m tests.support.snapshot DIR``.

Writes, under DIR (outside the repository; compare two with ``diff -r``):

- ``render/ADAPTER/SUPERVISOR/VARIANT/...``: every adapter's artifacts for the built-in example
  cluster (with the adapter's `example_overrides`) under each supervisor it serves, once with
  the defaults and once per boolean option flipped and per listed choice (the template branches);
  a variant the adapter refuses is recorded as ``ERROR`` with its message;
- ``check/ADAPTER.txt``: the findings of `jccluster check` (core and adapter rules) on the
  default rendering and on each rendering with its PATH line broken in three ways;
- ``rules.txt``: every rule ID, severity and source; ``exits.txt``: every adapter spec's exit
  table; ``failures.txt``: the failure table's rows.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from jobcenter_cluster.checks import CheckContext, SourceFile, all_rules
from jobcenter_cluster.model import example_data, parse_cluster
from jobcenter_cluster.plugins import load_adapters


def _variants(cls: Any) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = [("default", {})]
    for table, schema in (("cluster", cls.options_schema), ("site", cls.site_options_schema)):
        for key, opt in sorted(schema.items()):
            values: list[Any] = []
            if opt.type is bool and isinstance(opt.default, bool):
                values = [not opt.default]
            elif opt.choices:
                values = [c for c in opt.choices if c != opt.default]
            for v in values:
                if table == "cluster":
                    over: dict[str, Any] = {cls.name: {key: v}}
                else:
                    over = {"site": [{cls.name: {key: v}}]}
                out.append((f"{table}-{key}={v}", over))
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    from jobcenter_cluster.model import merge_data

    return merge_data(a, b)


def _render(cls: Any, overrides: dict[str, Any]) -> list[Any]:
    data = example_data(_merge(dict(cls.example_overrides()), overrides))
    cluster = parse_cluster(data, source="(snapshot)", adapter_names=[cls.name])
    return cls(cluster).render()


def _findings(cls: Any, arts: list[Any]) -> list[str]:
    files = SourceFile.from_artifacts(arts)
    ctx = CheckContext(cls.name, None, None, files, None)
    lines = []
    for rule in all_rules(cls):
        if rule.id in ("CORE-SHELL-SYNTAX", "CORE-SHELLCHECK", "CORE-NOT-RUN"):
            continue  # tools of this machine, not our code
        for message, file, line in rule.func(ctx):
            lines.append(f"{rule.id} {rule.severity} {file}:{line}: {message}")
    return lines


_PATH_BREAKS = (
    ("inherited", lambda t: t.replace("PATH=", "PATH=$PATH:", 1)),
    ("relative", lambda t: t.replace("PATH=", "PATH=.:", 1)),
    ("unexported", lambda t: t.replace("; export PATH", "", 1).replace("\nexport PATH\n", "\n", 1)),
    ("command-first", lambda t: t.replace("\n", "\nlogger hello\n", 1) if t.startswith("#!") else t),
)


def snapshot(root: str) -> None:
    adapters, broken = load_adapters()
    os.makedirs(root, exist_ok=True)
    rules, exits = [], []
    for name, cls in adapters.items():
        for rule in all_rules(cls):
            rules.append(f"{name} {rule.id} {rule.severity} | {rule.summary} | {rule.source}")
        for action, outcome, code in cls.spec.exit_table():
            exits.append(f"{name} {action} {outcome} {code}")
        checks = []
        for supervisor in cls.supervisors:
            for variant, over in _variants(cls):
                over = _merge({"cluster": {"supervisor": supervisor}}, over)
                where = os.path.join(root, "render", name, supervisor, variant)
                os.makedirs(where, exist_ok=True)
                try:
                    arts = _render(cls, over)
                except Exception as err:  # noqa: BLE001 - recorded, compared
                    with open(os.path.join(where, "ERROR"), "w") as fh:
                        fh.write(f"{type(err).__name__}: {err}\n")
                    continue
                for a in arts:
                    path = os.path.join(where, a.path)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w") as fh:
                        fh.write(a.content)
                    with open(path + ".meta", "w") as fh:
                        fh.write(f"mode={a.mode:o} language={a.language} site={a.site}\n")
                if variant == "default":
                    checks.append(f"== {supervisor} default")
                    checks += _findings(cls, arts)
                    for label, brk in _PATH_BREAKS:
                        for a in arts:
                            if a.language not in ("sh", "ksh", "bash"):
                                continue
                            changed = [type(a)(a.path, brk(a.content), a.mode, a.language, a.site)]
                            checks.append(f"== {supervisor} {label} {a.path}")
                            checks += _findings(cls, changed)
        os.makedirs(os.path.join(root, "check"), exist_ok=True)
        with open(os.path.join(root, "check", f"{name}.txt"), "w") as fh:
            fh.write("\n".join(checks) + "\n")
    with open(os.path.join(root, "rules.txt"), "w") as fh:
        fh.write("\n".join(rules) + "\n")
    with open(os.path.join(root, "exits.txt"), "w") as fh:
        fh.write("\n".join(exits) + "\n")
    from jobcenter_cluster import failures

    with open(os.path.join(root, "failures.txt"), "w") as fh:
        for r in failures.rows():
            fh.write(json.dumps(r, default=repr, sort_keys=True) + "\n")
    if broken:
        with open(os.path.join(root, "broken.txt"), "w") as fh:
            fh.write("\n".join(repr(b) for b in broken) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.support.snapshot DIR")
    snapshot(sys.argv[1])
