"""Shell completion of real values (``jccluster --install-completion``): adapter names, the
sites this node knows (what ``jccluster site ls`` lists), product profiles. Each function is a
typer ``autocompletion`` callback: ``(ctx, incomplete) -> list[str]``; a failure while
looking the values up completes nothing rather than printing an error into the shell."""

from __future__ import annotations

from typing import Any


def _starting(values: list[str], incomplete: str) -> list[str]:
    return [v for v in sorted(set(values)) if v.startswith(incomplete)]


def adapter_names(ctx: Any, incomplete: str) -> list[str]:
    """Installed adapters; after a comma (``check serviceguard,pa``), the next one."""
    try:
        from jobcenter_cluster.entrypoints import adapter_names as names

        known = list(names())
    except Exception:  # noqa: BLE001 - completion must never break the shell
        return []
    head, _, tail = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    done = set(head.split(",")) if head else set()
    return [prefix + n for n in _starting([n for n in known if n not in done], tail)]


def site_names(ctx: Any, incomplete: str) -> list[str]:
    """The sites on this node (``site ls``), under the command's ``--root``/``--product``."""
    params = getattr(ctx, "params", None) or {}
    try:
        from jobcenter_cluster.engine import api

        sites = api.list_sites(root=params.get("root"), product=params.get("product"))
    except Exception:  # noqa: BLE001 - completion must never break the shell
        return []
    return _starting([s.site for s in sites], incomplete)


def product_names(ctx: Any, incomplete: str) -> list[str]:
    """The product profiles (jobcenter-linux, …, simulator)."""
    try:
        from jobcenter_cluster.engine import profiles

        names = list(profiles.PROFILES)
    except Exception:  # noqa: BLE001 - completion must never break the shell
        return []
    return _starting(names, incomplete)


def dir_or_rule(ctx: Any, incomplete: str) -> list[str]:
    """``check``'s DIR: with ``--rules`` typed before it, the adapter's rule IDs; otherwise
    directories, as the shell completes them."""
    params = getattr(ctx, "params", None) or {}
    if params.get("list_rules") and params.get("adapter"):
        try:
            from jobcenter_cluster.checks import all_rules
            from jobcenter_cluster.plugins import load_adapter

            ids = [r.id for r in all_rules(load_adapter(str(params["adapter"]).split(",")[0]))]
        except Exception:  # noqa: BLE001 - completion must never break the shell
            return []
        return _starting(ids, incomplete.upper())
    return []  # nothing of ours: the shell completes the directory (typer's script: -o default)
