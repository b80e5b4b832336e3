"""Resolve adapter entry points with `importlib.metadata` alone (standard library only).

Used by the hot path (``jccluster agent NAME monitor``), which must not import stevedore, and by
`jobcenter_cluster.plugins` for the cheap name listing.
"""

from __future__ import annotations

from importlib import metadata

from jobcenter_cluster.adapter import Adapter
from jobcenter_cluster.errors import AdapterLoadError

NAMESPACE = "jobcenter_cluster.adapters"


def adapter_names() -> list[str]:
    """Names of the installed adapters, from the distribution metadata (imports nothing)."""
    return sorted({ep.name for ep in metadata.entry_points(group=NAMESPACE)})


def check_class(name: str, obj: object) -> type[Adapter]:
    if not (isinstance(obj, type) and issubclass(obj, Adapter)):
        raise AdapterLoadError(name, f"{obj!r} is not a jobcenter_cluster.adapter.Adapter subclass")
    if getattr(obj, "name", None) != name:
        raise AdapterLoadError(
            name, f"its class says name={getattr(obj, 'name', None)!r}; the entry point says {name!r}"
        )
    return obj


def load_adapter_fast(name: str) -> type[Adapter]:
    """Resolve and import one adapter by entry-point name, without stevedore (hot path)."""
    eps = metadata.entry_points(group=NAMESPACE, name=name)
    if not eps:
        known = ", ".join(adapter_names()) or "none"
        raise AdapterLoadError(name, f"no such adapter (installed: {known})")
    ep = next(iter(eps))
    try:
        obj = ep.load()
    except Exception as err:  # noqa: BLE001 - any import-time failure of a plugin
        raise AdapterLoadError(name, f"{type(err).__name__}: {err}") from err
    return check_class(name, obj)
