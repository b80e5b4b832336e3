"""Running an adapter's check rules directly on in-memory files, for rule tests."""

from __future__ import annotations

from collections.abc import Sequence

from jobcenter_cluster.adapter import Adapter
from jobcenter_cluster.checks import CheckContext, SourceFile, all_rules


def rule_ids(adapter_cls: type[Adapter], files: Sequence[SourceFile], cluster=None,
             adapter=None, skip: tuple[str, ...] = ("CORE-SHELL",)) -> list[str]:
    """The IDs of every finding (one per finding) of the adapter's rules on `files`; rules whose
    ID starts with one of `skip` are not run (the shell-tool rules are tested on their own)."""
    ctx = CheckContext(adapter_cls.name, cluster, adapter, list(files), None)
    out: list[str] = []
    for rule in all_rules(adapter_cls):
        if rule.id.startswith(skip):
            continue
        out += [rule.id for _ in rule.func(ctx)]
    return out


def rendered_files(adapter: Adapter) -> list[SourceFile]:
    return SourceFile.from_artifacts(adapter.render())
