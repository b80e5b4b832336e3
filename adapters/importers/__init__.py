"""Importers: read a cluster product's existing artifacts back into a cluster file.

One module per adapter, named in `jobcenter_cluster.importing.IMPORTERS` and loaded only by
``jccluster import`` (never on the agent's hot path). Each has
``read(files, draft, report)``; see `jobcenter_cluster.importing`.
"""
