"""Every product's graph shows the same things in the same places: the site's address on its
address node, the database's disk (mount point or database path) on a node, and Serviceguard's
keep-port step (customer_defined_run_cmds) between the address and the service."""

from __future__ import annotations

import pytest

from jobcenter_cluster.entrypoints import adapter_names
from jobcenter_cluster.model import example_cluster
from jobcenter_cluster.plugins import load_adapter


@pytest.mark.parametrize("name", sorted(adapter_names()))
def test_address_and_disk_on_every_products_graph(name):
    cls = load_adapter(name)
    cluster = example_cluster(cls.example_overrides())
    adapter = cls(cluster)
    for site in cluster.sites:
        _title, resources, _links = adapter.graph_resources(site)
        addresses = [label for _id, label, kind in resources if kind == "address"]
        assert addresses and all(site.address in label for label in addresses), resources
        assert any(site.database in label for _id, label, _kind in resources), resources


def test_serviceguard_graph_has_the_keep_port_step():
    cls = load_adapter("serviceguard")
    cluster = example_cluster(cls.example_overrides())
    _title, resources, links = cls(cluster).graph_resources(cluster.sites[0])
    ids = [r[0] for r in resources]
    assert "keep-port" in ids
    assert ("ip", "keep-port") in links and ("keep-port", "service") in links
