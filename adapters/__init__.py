"""The adapters shipped with jobcenter-cluster, one module per cluster product.

Installed as the package ``jobcenter_cluster.adapters`` and registered as entry points in the
group ``jobcenter_cluster.adapters`` (pyproject.toml); the core finds them only through those
entry points, exactly as it finds a third-party adapter. Adapter modules import only the core's
public, standard-library-only modules at import time (``jobcenter_cluster.adapter``, ``.outcome``,
``.model``, ``.products``); Jinja is imported inside ``render()``.
"""
