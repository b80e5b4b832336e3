"""Resolve adapter entry points on the hot path (standard library only, and cheap).

``jccluster agent NAME monitor`` runs every few seconds; importing `importlib.metadata` alone
costs more than twice a bare interpreter start here, so `load_spec` reads the
``entry_points.txt`` files of the installed distributions directly, in `sys.path` order (the
order `importlib.metadata` and stevedore use), and falls back to `importlib.metadata` only where a
path entry is not a plain directory (zip imports). `jobcenter_cluster.plugins` (stevedore) remains
the way to list and load adapters everywhere else.
"""

from __future__ import annotations

import os
import sys

from jobcenter_cluster.errors import AdapterLoadError
from jobcenter_cluster.spec import AdapterSpec, resolve

NAMESPACE = "jobcenter_cluster.adapters"
_SECTION = f"[{NAMESPACE}]"


def adapter_names() -> list[str]:
    """Names of the installed adapters, from the distribution metadata (imports no adapter)."""
    from importlib import metadata

    return sorted({ep.name for ep in metadata.entry_points(group=NAMESPACE)})


def no_such_adapter(name: str) -> AdapterLoadError:
    """The error for an adapter name nothing is installed under: the nearest installed name and
    the list of them."""
    import difflib

    names = list(adapter_names())
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"did you mean {near[0]!r}? " if near else ""
    known = ", ".join(names) or "none"
    return AdapterLoadError(name, f"no such adapter ({hint}installed: {known})")


def require_spec(name: str, obj: object) -> AdapterSpec:
    """The `AdapterSpec` an entry point names: the spec itself, or an adapter class's `spec`."""
    spec = obj if isinstance(obj, AdapterSpec) else getattr(obj, "spec", None)
    if not isinstance(spec, AdapterSpec):
        raise AdapterLoadError(name, f"{obj!r} is neither a jobcenter_cluster.spec.AdapterSpec "
                               "nor a jobcenter_cluster.adapter.Adapter subclass")
    if spec.name != name:
        raise AdapterLoadError(name, f"its spec says name={spec.name!r}; the entry point says "
                               f"{name!r}")
    return spec


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


def load_spec(name: str) -> AdapterSpec:
    """Resolve and import one adapter's spec by entry-point name, without stevedore (hot path)."""
    target = find_entry_point(name)
    if target is None:
        from importlib import metadata  # zip imports, or an adapter we cannot see: ask properly

        eps = metadata.entry_points(group=NAMESPACE, name=name)
        if not eps:
            raise no_such_adapter(name)
        target = next(iter(eps)).value
    try:
        obj = resolve(target.replace(" ", ""))
    except Exception as err:  # noqa: BLE001 - any import-time failure of a plugin
        raise AdapterLoadError(name, f"{type(err).__name__}: {err}") from err
    return require_spec(name, obj)
