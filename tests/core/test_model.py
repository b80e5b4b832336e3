"""The cluster file: its public shape, and one precise error per kind of mistake."""

from __future__ import annotations

import tomllib

import pytest

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import (
    EXAMPLE_TOML,
    example_cluster,
    example_data,
    load_cluster,
    merge_data,
    parse_cluster,
)
from jobcenter_cluster.products import spool_hex, standard_spool_path


def data(**changes):
    """The example cluster as TOML data with dotted-path changes (None deletes)."""
    d = tomllib.loads(EXAMPLE_TOML)
    for path, value in changes.items():
        keys = path.split("__")
        cur = d
        for k in keys[:-1]:
            cur = cur[int(k)] if k.isdigit() else cur[k]
        last = keys[-1]
        if value is None:
            del cur[last]
        elif last.isdigit():
            cur[int(last)] = value
        else:
            cur[last] = value
    return d


def err(d, **kw) -> str:
    with pytest.raises(ConfigError) as exc:
        parse_cluster(d, source="jccluster.toml", **kw)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_example_is_the_manuals_cluster():
    c = example_cluster()
    assert [n.name for n in c.nodes] == ["spencer.example.com", "matto.example.com"]
    assert [n.machine_id for n in c.nodes] == [160, 161]
    (site,) = c.sites
    assert (site.name, site.address, site.machine_id, site.database) == (
        "orange.example.com", "10.17.21.162", 162, "/mnt/jobdb")
    assert site.monitor is True
    assert c.product.name == "jobcenter-linux" and c.supervisor == "jccluster"
    assert c.command("cjcpw") == "/usr/lib/nqs/cluster/cjcpw"
    assert c.command("nqsportkpr") == "/usr/lib/nqs/nqsportkpr"


def test_spool_path_from_address():
    assert spool_hex("10.192.18.10") == "0AC0120A"
    assert standard_spool_path("10.192.18.10") == "/usr/spool/nqs/0AC0120A"
    assert example_cluster().sites[0].spool_path("/tmp/r") == "/tmp/r/0A1115A2"


def test_windows_paths_and_commands():
    c = example_cluster({"cluster": {"product": "jobcenter-windows", "install_prefix": "D:\\JobCenter"},
                         "site": [{"database": "x:\\vmdb"}]})
    assert c.command("cjcpw") == "D:\\JobCenter\\SV\\bin\\cjcpw"
    assert c.sites[0].database == "x:\\vmdb"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"site__0__name": "orange"},
         'jccluster.toml: site[0].name: \'orange\' is not a fully qualified host name'),
        ({"site__0__name": "-bad.example.com"}, "site[0].name: '-bad.example.com' is not a valid host name"),
        ({"site__0__name": "or_ange.example.com"}, "site[0].name:"),
        ({"node__1__name": "matto..example.com"}, "node[1].name:"),
        ({"site__0__address": "10.17.21"}, "site[0].address: '10.17.21' is not an IPv4 address"),
        ({"site__0__address": "10.17.21.300"}, "site[0].address:"),
        ({"node__0__address": "0.0.0.0"}, "node[0].address: '0.0.0.0' cannot be a host address"),
        ({"site__0__machine_id": 160}, "site[0].machine_id: 160 is already used by node[0].machine_id"),
        ({"site__0__machine_id": 0}, "site[0].machine_id: 0 is out of range"),
        ({"site__0__machine_id": "162"}, "site[0].machine_id: must be a whole number, not a string"),
        ({"site__0__database": "mnt/jobdb"}, "site[0].database: 'mnt/jobdb' is not an absolute path"),
        ({"site__0__database": "/mnt/../jobdb"}, "site[0].database:"),
        ({"site__0__database": "/mnt/job\ndb"}, "site[0].database:"),
        ({"site__0__database": "/mnt/jobdb/"}, "site[0].database:"),
        ({"site__0__monitor": "yes"}, "site[0].monitor: must be true or false"),
        ({"site__0__name": None}, "site[0].name: is required"),
        ({"cluster__product": "jobcenter-zos"}, "cluster.product: 'jobcenter-zos' is not a product profile"),
        ({"cluster__supervisor": "systemd"}, "cluster.supervisor: 'systemd' is not a supervisor"),
        ({"cluster__colour": "red"}, "cluster.colour: unknown key"),
        ({"node__0__mid": 3}, "node[0].mid: unknown key"),
        ({"site__0__databse": "/x"}, "site[0].databse: unknown key (did you mean 'database'?)"),
        ({"node": []}, "node: at least one [[node]] is required"),
        ({"cluster__jccluster": "jccluster; rm -rf /"}, "cluster.jccluster:"),
    ],
)
def test_each_mistake_gets_one_precise_line(changes, expected):
    assert expected in err(data(**changes))


def test_duplicate_names_addresses_and_databases():
    d = data()
    d["site"].append(dict(d["site"][0], machine_id=163, address="10.17.21.163",
                          database="/mnt/jobdb2"))
    assert "site[1].name: 'orange.example.com' is already used by site[0].name" in err(d)
    d["site"][1]["name"] = "lemon.example.com"
    d["site"][1]["database"] = "/mnt/jobdb"
    assert "site[1].database: '/mnt/jobdb' is already used by site[0].database" in err(d)
    d["site"][1]["database"] = "/mnt/jobdb2"
    d["site"][1]["address"] = "10.17.21.160"
    assert "site[1].address: '10.17.21.160' is already used by node[0].address" in err(d)
    d["site"][1]["address"] = "10.17.21.163"
    c = parse_cluster(d)
    assert [s.name for s in c.sites] == ["orange.example.com", "lemon.example.com"]


def test_machine_id_error_is_classified_for_check():
    with pytest.raises(ConfigError) as exc:
        parse_cluster(data(site__0__machine_id=161))
    assert exc.value.code == "unique-machine_id"


def test_windows_database_rules():
    base = {"cluster": {"product": "jobcenter-windows"}}
    for bad, why in [("/mnt/jobdb", "not an absolute Windows path"),
                     ("x:\\job|db", "not an absolute Windows path"),
                     ("x:\\50%\\db", "contains '%'")]:
        msg = err(example_data(merge_data(base, {"site": [{"database": bad}]})))
        assert "site[0].database" in msg and why in msg


def test_adapter_tables_are_checked_against_installed_names():
    d = data()
    d["servicegaurd"] = {}
    msg = err(d, adapter_names=["serviceguard", "pacemaker"])
    assert "servicegaurd: unknown table (did you mean 'serviceguard'?)" in msg
    d = data()
    d["site"][0]["pacemakr"] = {"x": 1}
    assert "site[0].pacemakr: unknown key" in err(d, adapter_names=["pacemaker"])
    d = data()
    d["serviceguard"] = {"etc_dir": "/etc/cmcluster"}
    d["site"][0]["serviceguard"] = {"package": "p"}
    c = parse_cluster(d, adapter_names=["serviceguard"])
    assert c.adapter_options["serviceguard"] == {"etc_dir": "/etc/cmcluster"}
    assert c.sites[0].adapter_options["serviceguard"] == {"package": "p"}


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml: no such cluster file \(write one with"):
        load_cluster(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_cluster(bad)


def test_site_lookup_by_short_or_full_name():
    c = example_cluster()
    assert c.site("orange").name == c.site("orange.example.com").name
    with pytest.raises(ConfigError, match="no site named 'lemon'"):
        c.site("lemon")
