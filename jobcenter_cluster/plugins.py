"""Finding and loading adapters through the entry-point group ``jobcenter_cluster.adapters``.

stevedore's `DriverManager` loads the one adapter asked for (failures become our
`AdapterLoadError`); `ExtensionManager` with an ``on_load_failure_callback`` lists them all, so a
broken adapter is shown by ``jccluster adapters``, not silently dropped.

An entry point names an adapter's `jobcenter_cluster.spec.AdapterSpec` (or, for an adapter written
without one, its class); what is loaded here is the adapter class, for rendering and checking.
The hot path (``jccluster agent NAME monitor``) does not come here: it resolves one entry point by
name and stops at the spec (`jobcenter_cluster.entrypoints.load_spec`), without stevedore.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from jobcenter_cluster.adapter import Adapter
from jobcenter_cluster.entrypoints import (
    NAMESPACE,
    adapter_names,
    load_spec,
    no_such_adapter,
    require_spec,
)
from jobcenter_cluster.errors import AdapterLoadError

__all__ = ["Broken", "adapter_names", "require_class", "load_adapter", "load_adapters", "load_spec"]


def require_class(name: str, obj: object) -> type[Adapter]:
    """The adapter class an entry point leads to (through its spec), checked."""
    spec = require_spec(name, obj)
    try:
        cls = spec.load()
    except Exception as err:  # noqa: BLE001 - any import-time failure of a plugin
        raise AdapterLoadError(name, f"{type(err).__name__}: {err}") from err
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise AdapterLoadError(name, f"{cls!r} is not a jobcenter_cluster.adapter.Adapter subclass")
    return cls


@dataclass(frozen=True)
class Broken:
    """An adapter whose entry point failed to load."""

    name: str
    target: str
    error: str


def load_adapter(name: str) -> type[Adapter]:
    """Load one adapter class by name through stevedore."""
    from stevedore import driver
    from stevedore.exception import NoMatches

    try:
        mgr: driver.DriverManager = driver.DriverManager(NAMESPACE, name, invoke_on_load=False)
    except NoMatches:
        raise no_such_adapter(name) from None
    except Exception as err:  # noqa: BLE001 - any import-time failure of a plugin
        raise AdapterLoadError(name, f"{type(err).__name__}: {err}") from err
    return require_class(name, mgr.driver)


def load_adapters() -> tuple[dict[str, type[Adapter]], list[Broken]]:
    """Every installed adapter that loads, and the ones that do not (with why)."""
    from stevedore import extension

    broken: list[Broken] = []

    def failed(_mgr: object, ep: metadata.EntryPoint, err: BaseException) -> None:
        broken.append(Broken(ep.name, ep.value, f"{type(err).__name__}: {err}"))

    mgr: extension.ExtensionManager = extension.ExtensionManager(
        NAMESPACE, invoke_on_load=False, on_load_failure_callback=failed
    )
    good: dict[str, type[Adapter]] = {}
    for ext in mgr:
        try:
            good[ext.name] = require_class(ext.name, ext.plugin)
        except AdapterLoadError as err:
            broken.append(Broken(ext.name, str(ext.entry_point.value), str(err.cause)))
    return dict(sorted(good.items())), sorted(broken, key=lambda b: b.name)
