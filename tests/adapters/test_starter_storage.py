"""The keys issue 11 makes required (site netmask, veritas/powerha storage) and the starter file
of ``jccluster init``: it validates, renders the adapters that need nothing more, and its
commented storage lines, once uncommented, are exactly what veritas and powerha need."""

from __future__ import annotations

import tomllib

import pytest

from jobcenter_cluster.adapters.powerha.adapter import PowerHaAdapter
from jobcenter_cluster.adapters.serviceguard.adapter import ServiceGuardAdapter
from jobcenter_cluster.adapters.veritas.adapter import VeritasAdapter
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import EXAMPLE_TOML, STARTER_TOML, example_cluster, parse_cluster
from jobcenter_cluster.plugins import load_adapters

ADAPTERS, _ = load_adapters()


def test_the_starter_file_renders_veritas_and_powerha():
    """jccluster init's file carries the site's disk for them, as examples to edit."""
    cluster = parse_cluster(tomllib.loads(STARTER_TOML), adapter_names=sorted(ADAPTERS))
    for cls in (VeritasAdapter, PowerHaAdapter, ServiceGuardAdapter):
        assert cls(cluster).render()


@pytest.mark.parametrize("cls,field", [(VeritasAdapter, "site[0].veritas.diskgroup"),
                                       (PowerHaAdapter, "site[0].powerha.volume_group")])
def test_without_storage_the_adapter_names_the_key_to_set(cls, field):
    """The built-in example carries no storage (each adapter's example_overrides add it)."""
    cluster = parse_cluster(tomllib.loads(EXAMPLE_TOML), adapter_names=sorted(ADAPTERS))
    with pytest.raises(ConfigError) as err:
        cls(cluster)
    assert f": {field}: is required" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_example_renders_every_adapter_with_the_required_keys(name):
    cls = ADAPTERS[name]
    assert cls(example_cluster(cls.example_overrides())).render()
