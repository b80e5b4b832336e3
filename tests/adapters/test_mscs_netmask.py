"""MSCS IP Address SubnetMask: the cluster file's [[site]] netmask, never a guessed
255.255.255.0 (vendor review, issue 11; the rest of the adapter is tested in test_mscs.py)."""

from __future__ import annotations

import pytest

from jobcenter_cluster.adapters.mscs.adapter import MscsAdapter
from jobcenter_cluster.checks import SourceFile
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_data, parse_cluster
from support.checking import rule_ids

WIN = {"cluster": {"product": "jobcenter-windows", "jccluster": "C:\\jccluster\\jccluster.exe"},
       "mscs": {"admin": "jcadmin"}}  # required: the JobCenter administrator


def data(site: dict | None = None, **extra) -> dict:
    return example_data({**WIN, "site": [{"database": "Q:\\jobdb", **(site or {})}], **extra})


def render(d: dict) -> dict[str, str]:
    return {a.path: a.content for a in MscsAdapter(parse_cluster(d)).render()}


def test_subnet_mask_is_the_sites_netmask():
    arts = render(data({"netmask": "255.255.0.0"}))
    assert "Address=10.17.21.162 SubnetMask=255.255.0.0" in arts["orange/create-group.cmd"]
    assert "-Name 'SubnetMask' -Value '255.255.0.0'" in arts["orange/create-group.ps1"]
    assert "10.17.21.162/255.255.0.0" in arts["APPLY.txt"]


def test_without_a_netmask_the_adapter_refuses_instead_of_guessing():
    d = data()
    del d["site"][0]["netmask"]
    with pytest.raises(ConfigError) as err:
        MscsAdapter(parse_cluster(d))
    msg = str(err.value)
    assert ": site[0].netmask: is required for the IP Address resource's SubnetMask" in msg
    assert "\n" not in msg
    d["mscs"] = {**d["mscs"], "subnet_mask": "255.255.252.0"}  # an explicit mask is no guess
    assert "SubnetMask=255.255.252.0" in render(d)["orange/create-group.cmd"]


def files(d: dict) -> tuple[list[SourceFile], MscsAdapter]:
    adapter = MscsAdapter(parse_cluster(d))
    return SourceFile.from_artifacts(adapter.render()), adapter


@pytest.mark.parametrize("name,old,new", [
    ("orange/create-group.cmd", "SubnetMask=255.255.0.0", "SubnetMask=255.255.255.0"),
    ("orange/create-group.ps1", "-Value '255.255.0.0'", "-Value '255.255.255.0'"),
    ("orange/create-group.cmd", "SubnetMask=255.255.0.0", "SubnetMask=255.0.255.0"),
])
def test_subnet_mask_rule_catches_a_hand_edited_mask(name, old, new):
    fs, adapter = files(data({"netmask": "255.255.0.0"}))
    assert "MSCS-SUBNETMASK" not in rule_ids(MscsAdapter, fs, adapter.cluster, adapter)
    assert old in next(f.text for f in fs if f.path == name)
    fs = [SourceFile(f.path, f.text.replace(old, new), f.language, f.site) if f.path == name
          else f for f in fs]
    assert rule_ids(MscsAdapter, fs, adapter.cluster, adapter).count("MSCS-SUBNETMASK") == 1
    # without a cluster file only the shape of the mask can be checked
    assert ("MSCS-SUBNETMASK" in rule_ids(MscsAdapter, fs)) == (new == "SubnetMask=255.0.255.0")
