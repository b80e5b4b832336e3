"""Building an adapter for a test and rendering it, the same way in every adapter's tests.

    adapter = make(PacemakerAdapter, **stub_layout(tmp_path, "cjcpw"), pacemaker={...})
    arts = rendered(adapter, tmp_path / "out")      # {path: Artifact}, written like render -o

Each adapter's test module keeps its own ``make(tmp_path, ...)`` and ``rendered(tmp_path, ...)``
for its product's defaults and stubs, written with these.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from jobcenter_cluster.adapter import Adapter, Artifact
from jobcenter_cluster.model import example_data, parse_cluster
from jobcenter_cluster.plugins import load_adapter
from jobcenter_cluster.render import write_artifacts

A = TypeVar("A", bound=Adapter)


def from_data(adapter: type[A], data: dict[str, Any]) -> A:
    """`adapter` (its class) for the cluster file `data` (TOML data, complete)."""
    return adapter(parse_cluster(data, adapter_names=[adapter.name]))


def make(adapter: type[A] | str, /, **overrides: Any) -> A:
    """`adapter` (its class, or its name) for the built-in example cluster with `overrides`
    merged in (`model.example_data`: tables key-wise, the site and node lists element-wise)."""
    cls = load_adapter(adapter) if isinstance(adapter, str) else adapter
    return from_data(cls, example_data(overrides))


def stub_layout(tmp_path: str | os.PathLike[str], supervisor: str = "jccluster",
                monitor: bool = True, site: dict[str, Any] | None = None) -> dict[str, Any]:
    """Overrides that place JobCenter under ``TMP/nqs`` and jccluster at ``TMP/bin/jccluster``
    (where a test puts its stubs or the emulated installation), with this supervisor; the
    first site gets ``monitor`` and the keys of `site`."""
    tmp = Path(tmp_path)
    return {"cluster": {"supervisor": supervisor, "install_prefix": str(tmp / "nqs"),
                        "jccluster": str(tmp / "bin" / "jccluster")},
            "site": [{"monitor": monitor, **(site or {})}]}


def rendered(adapter: Adapter, out: str | os.PathLike[str]) -> dict[str, Artifact]:
    """Render `adapter` and write its artifacts under `out` as ``jccluster render -o`` does;
    the artifacts by path."""
    arts = {a.path: a for a in adapter.render()}
    write_artifacts(list(arts.values()), str(out))
    return arts
