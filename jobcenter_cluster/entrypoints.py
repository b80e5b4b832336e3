"""Resolve adapter entry points on the hot path (standard library only, and cheap).

``jccluster agent NAME monitor`` runs every few seconds; importing `importlib.metadata` alone
costs more than twice a bare interpreter start here, so `load_adapter_fast` reads the
``entry_points.txt`` files of the installed distributions directly, in `sys.path` order (the
order `importlib.metadata` and stevedore use), and falls back to `importlib.metadata` only where a
path entry is not a plain directory (zip imports). `jobcenter_cluster.plugins` (stevedore) remains
the way to list and load adapters everywhere else.
"""

from __future__ import annotations

import os
import sys

from jobcenter_cluster.adapter import Adapter
from jobcenter_cluster.errors import AdapterLoadError

NAMESPACE = "jobcenter_cluster.adapters"
_SECTION = f"[{NAMESPACE}]"


def adapter_names() -> list[str]:
    """Names of the installed adapters, from the distribution metadata (imports no adapter)."""
    from importlib import metadata

    return sorted({ep.name for ep in metadata.entry_points(group=NAMESPACE)})


def check_class(name: str, obj: object) -> type[Adapter]:
    if not (isinstance(obj, type) and issubclass(obj, Adapter)):
        raise AdapterLoadError(name, f"{obj!r} is not a jobcenter_cluster.adapter.Adapter subclass")
    if getattr(obj, "name", None) != name:
        raise AdapterLoadError(
            name, f"its class says name={getattr(obj, 'name', None)!r}; the entry point says {name!r}"
        )
    return obj


def _entry_points_text(directory: str) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    texts = []
    for entry in sorted(names):
        if entry.endswith((".dist-info", ".egg-info")):
            try:
                with open(os.path.join(directory, entry, "entry_points.txt"), encoding="utf-8") as fh:
                    texts.append(fh.read())
            except OSError:
                continue
    return texts


def find_entry_point(name: str) -> str | None:
    """The ``module:attr`` target of adapter `name`, or None. Reads metadata files only."""
    for path in sys.path:
        directory = path or "."
        if not os.path.isdir(directory):
            continue
        for text in _entry_points_text(directory):
            if _SECTION not in text:
                continue
            section = text.split(_SECTION, 1)[1].split("\n[", 1)[0]
            for line in section.splitlines():
                key, sep, value = line.partition("=")
                if sep and key.strip() == name:
                    return value.strip()
    return None


def load_adapter_fast(name: str) -> type[Adapter]:
    """Resolve and import one adapter by entry-point name, without stevedore (hot path)."""
    target = find_entry_point(name)
    if target is None:
        from importlib import metadata  # zip imports, or an adapter we cannot see: ask properly

        eps = metadata.entry_points(group=NAMESPACE, name=name)
        if not eps:
            import difflib

            names = list(adapter_names())
            near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            known = ", ".join(names) or "none"
            raise AdapterLoadError(name, f"no such adapter ({hint}installed: {known})")
        target = next(iter(eps)).value
    module, _, attr = target.partition(":")
    try:
        # __import__ rather than importlib.import_module: `import importlib` pulls in warnings
        __import__(module.strip())
        obj: object = sys.modules[module.strip()]
        for part in attr.strip().split(".") if attr.strip() else ():
            obj = getattr(obj, part)
    except Exception as err:  # noqa: BLE001 - any import-time failure of a plugin
        raise AdapterLoadError(name, f"{type(err).__name__}: {err}") from err
    return check_class(name, obj)
