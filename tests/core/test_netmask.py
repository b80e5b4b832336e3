"""The core [[site]] netmask key: validated, normalised to dotted form, and never guessed."""

from __future__ import annotations

import pytest

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import EXAMPLE_TOML, example_data, parse_cluster


def site(**kw):
    return parse_cluster(example_data({"site": [kw]})).sites[0]


@pytest.mark.parametrize("given,dotted,subnet", [
    ("255.255.255.0", "255.255.255.0", "10.17.21.0"),
    ("24", "255.255.255.0", "10.17.21.0"),
    ("255.255.0.0", "255.255.0.0", "10.17.0.0"),
    ("255.255.255.224", "255.255.255.224", "10.17.21.160"),
])
def test_accepted_forms_are_stored_dotted_with_the_network(given, dotted, subnet):
    s = site(netmask=given)
    assert (s.netmask, s.subnet) == (dotted, subnet)


@pytest.mark.parametrize("bad,why", [
    ("255.0.255.0", "not an IPv4 netmask"),
    ("33", "not an IPv4 netmask"),
    ("0", "not a usable netmask"),
    ("255.255.255.254.1", "not an IPv4 netmask"),
    ("255.255.255.192", "broadcast"),  # 10.17.21.191/26 is its network's broadcast address
])
def test_bad_netmasks_are_one_line_errors_naming_the_key(bad, why):
    address = "10.17.21.191" if why == "broadcast" else "10.17.21.162"
    with pytest.raises(ConfigError) as err:
        site(netmask=bad, address=address)
    msg = str(err.value)
    assert "\n" not in msg and ": site[0].netmask: " in msg and why in msg, msg
    with pytest.raises(ConfigError, match="must be a string"):
        site(netmask=24)


def test_without_a_netmask_adapters_get_a_refusal_not_a_guess():
    d = example_data()
    del d["site"][0]["netmask"]
    s = parse_cluster(d).sites[0]
    assert s.netmask is None and s.subnet is None
    with pytest.raises(ConfigError) as err:
        s.require_netmask("c.toml", "Serviceguard SUBNET")
    assert str(err.value).startswith("c.toml: site[0].netmask: is required for Serviceguard "
                                      "SUBNET")
    assert "guess" in str(err.value)


def test_the_starter_file_carries_the_netmask():
    assert '\nnetmask = "255.255.255.0"' in EXAMPLE_TOML
    assert parse_cluster(example_data()).sites[0].netmask == "255.255.255.0"
