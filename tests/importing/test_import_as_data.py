"""The importer asks the model and the adapter which values are wrong or missing, as data
(`ConfigError.field`, `.code`), and knows where each value came from by its field path -- no
stand-ins provoked into errors, no regex over messages, no ``id(dict)`` (issue 25 item 1)."""

from __future__ import annotations

from jobcenter_cluster.importing import Draft, InputFile, Where, _trial

SH = InputFile("/in/jobcenter.sh", "line one\nline two\nline three\nline four\n")


def _site(draft: Draft, name: str, address: str, line: int) -> dict:
    site = draft.site(name, Where(SH, line))
    assert site is not None
    assert draft.set_site(site, "address", address, Where(SH, line))
    assert draft.set_site(site, "database", f"/mnt/{name.split('.')[0]}", Where(SH, line))
    return site


def test_where_a_value_came_from_is_known_by_its_field_path_after_a_reorder():
    draft = Draft("veritas")
    draft.set_cluster("product", "jobcenter-linux", Where(SH, 1))
    _site(draft, "orange.example.com", "10.17.21.162", 2)
    _site(draft, "lemon.example.com", "10.17.21.163", 3)
    assert draft.origin_of("site[0].address") == Where(SH, 2)
    draft.sites.reverse()  # importers put the sites in the order the artifacts give
    assert draft.origin_of("site[0].address") == Where(SH, 3)
    assert draft.origin_of("site[1].database") == Where(SH, 2)
    assert draft.origin_of("cluster.product") == Where(SH, 1)
    assert list(draft.origin)[0] == "cluster.product"  # in the order found
    assert draft.origin_of("site[0].netmask") is None


def test_a_value_the_model_refuses_is_taken_out_and_reported_where_it_came_from():
    draft = Draft("veritas")
    _site(draft, "orange.example.com", "10.17.21.162", 2)
    _site(draft, "lemon.example.com", "10.17.21.162", 4)  # the same address twice
    _trial(draft, [SH])
    assert "address" in draft.sites[0] and "address" not in draft.sites[1]
    assert [ln for ln in draft.report.lines if "site[1].address" in ln] == [
        "/in/jobcenter.sh:4: not carried over: site[1].address: '10.17.21.162' is already used "
        "by site[0].address (each address must be unique)"]


def test_a_value_the_adapter_refuses_is_taken_out_and_a_required_one_listed_missing():
    draft = Draft("veritas")
    site = _site(draft, "orange.example.com", "10.17.21.162", 2)
    assert draft.set_option(site, "volume", "jobvol", Where(SH, 3))  # without its disk group
    _trial(draft, [SH])
    # the volume without a disk group is refused by the adapter's own check, at its line ...
    assert "volume" not in site.get("veritas", {})
    assert any(ln.startswith("/in/jobcenter.sh:3: not carried over: site[0].veritas.volume: "
                             "needs diskgroup too") for ln in draft.report.lines)
    # ... and the disk group it requires is MISSING, with the option's own help as the hint
    missing = {m.path: m.hint for m in draft.missing()}
    assert missing[("site", 0, "veritas", "diskgroup")].startswith("the VxVM disk group")


def test_a_netmask_the_adapter_requires_is_listed_missing_never_guessed():
    draft = Draft("veritas")
    site = _site(draft, "orange.example.com", "10.17.21.162", 2)
    assert draft.set_option(site, "diskgroup", "jobdg", Where(SH, 3))
    assert draft.set_option(site, "volume", "jobvol", Where(SH, 4))
    _trial(draft, [SH])
    assert site["veritas"] == {"diskgroup": "jobdg", "volume": "jobvol"}
    assert ("site", 0, "netmask") in [m.path for m in draft.missing()]
    assert not draft.report.lines
