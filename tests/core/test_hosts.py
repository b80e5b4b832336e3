"""$JCCLUSTER_HOSTS: a private hosts file searched before the resolver (a local address for a
simulator site without editing /etc/hosts)."""

from __future__ import annotations

import pytest

from jobcenter_cluster import hosts
from jobcenter_cluster.engine import names
from jobcenter_cluster.errors import UserError


@pytest.fixture
def hostsfile(tmp_path, monkeypatch):
    path = tmp_path / "hosts"
    path.write_text("# comment\n127.0.88.1  rehearsal.example.com rehearsal-alias.example.com\n"
                    "127.0.88.2  second.example.com  # trailing comment\n"
                    "127.0.88.2  third.example.com\n")
    monkeypatch.setenv(hosts.ENV, str(path))
    return path


def test_forward_reverse_and_aliases(hostsfile):
    assert hosts.gethostbyname_ex("Rehearsal.Example.COM.") == (
        "rehearsal.example.com", ["rehearsal-alias.example.com"], ["127.0.88.1"])
    assert hosts.gethostbyname_ex("rehearsal-alias.example.com")[0] == "rehearsal.example.com"
    assert hosts.gethostbyaddr("127.0.88.2")[0] == "second.example.com"  # the first line wins
    assert hosts.gethostbyname("localhost") in ("127.0.0.1", "::1")  # then the resolver


def test_the_engine_resolves_site_names_through_it(hostsfile):
    assert names.resolve("rehearsal.example.com") == "127.0.88.1"
    with pytest.raises(UserError, match="alias of rehearsal.example.com"):
        names.resolve("rehearsal-alias.example.com")
    with pytest.raises(UserError, match="reverse lookup of 127.0.88.2 gives second.example.com"):
        names.resolve("third.example.com")
    names.require_active("127.0.88.1", "rehearsal.example.com")  # every 127.x is active on Linux


def test_an_unset_or_missing_file_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(hosts.ENV, str(tmp_path / "missing"))
    with pytest.raises(OSError):
        hosts.gethostbyname_ex("rehearsal.example.invalid")
    monkeypatch.delenv(hosts.ENV)
    assert hosts._entries() == []
