"""MSCS / Failover Clustering adapter: the cluster.exe command files run under ``wine cmd /c``
with recording stubs for cluster.exe and regsvr32; the PowerShell scripts parse with a
PowerShell grammar; one test per check rule; hostile input rejected or carried through."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.adapters.mscs.adapter import MscsAdapter, batch_escape, crt_quote
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.cli.app import run as cli_run
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.model import example_data, merge_data, parse_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.render import ps_quote, write_artifacts
from support import adapters
from support.carried import CARRIED, PLAIN_WINDOWS_TAIL, REJECTED, rejected_or_carried
from support.msargv import batch_argv, cmd_c_commands, crt_argv
from support.vendor_codes import VENDOR
from support.wine import WineBox, wine  # noqa: F401  (the fixture)

NAME = "mscs"
SITE = "orange.example.com"
DB = "Q:\\jobdb"
JCC = "C:\\jccluster\\jccluster.exe"
CJCPW = "C:\\JobCenter\\SV\\bin\\cjcpw"


def data(supervisor: str = "cjcpw", database: str = DB, **extra) -> dict:  # issue 9: no jccluster on Windows
    overrides: dict = {
        "cluster": {"product": "jobcenter-windows", "supervisor": supervisor, "jccluster": JCC},
        "site": [{"database": database}],
        NAME: {"admin": "jcadmin"},  # required: the JobCenter administrator
    }
    return example_data(merge_data(overrides, extra))


def make(**kw) -> MscsAdapter:
    return adapters.from_data(MscsAdapter, data(**kw))


def arts(**kw) -> dict[str, Artifact]:
    return {a.path: a for a in make(**kw).render()}


def two_sites() -> dict:
    d = data()
    d["site"].append({"name": "lemon.example.com", "address": "10.17.21.163",
                      "machine_id": 163, "database": "R:\\jobdb", "netmask": "255.255.255.0"})
    return d


# --------------------------------------------------------------------------- rendering


def test_renders_every_step_in_both_languages():
    a = arts()
    assert sorted(a) == sorted([
        "install-type.cmd", "install-type.ps1", "install-extension.cmd",
        "install-extension.ps1", "orange/create-group.cmd", "orange/create-group.ps1",
        "orange/create-generic-app.cmd", "orange/create-generic-app.ps1",
        "uninstall-extension.cmd", "uninstall-extension.ps1", "uninstall-type.cmd",
        "uninstall-type.ps1", "resolv.def", "APPLY.txt"])
    assert {p for p, x in a.items() if x.mode == 0o755} == {
        p for p in a if p.endswith(".cmd")}
    for art in a.values():
        assert "\n" not in art.content.replace("\r\n", ""), art.path
    assert a["resolv.def"].content.splitlines()[-1] == "10.17.21.162\torange.example.com"


def test_the_manuals_commands():
    a = arts()
    assert ('cluster restype "NEC JobCenter Cluster Resource Type" /create '
            "/dll:JobCenterCluster.dll /type:JobCenterCluster") in a["install-type.cmd"].content
    ext = a["install-extension.cmd"].content
    assert "regsvr32 /s %systemroot%\\cluster\\JobCenterClusterEx" in ext
    assert 'cluster /regext:"JobCenterClusterEx"' in ext
    assert "regsvr32 -u /s %systemroot%\\cluster\\JobCenterClusterEx" in \
        a["uninstall-extension.cmd"].content
    rm = a["uninstall-type.cmd"].content
    assert rm.index('cluster /unregext:"JobCenterClusterEx"') < rm.index(
        "cluster restype JobCenterCluster /delete /type")
    grp = a["orange/create-group.cmd"].content
    assert 'cluster res "JC-RESOURCE" /priv SiteName="orange.example.com" ' \
        'SiteDirectory="Q:\\jobdb"' in grp
    assert 'cluster res "JC-RESOURCE" /prop RestartThreshold=0' in grp


def test_two_sites_get_their_own_groups_and_resources():
    a = {x.path: x for x in MscsAdapter(parse_cluster(two_sites())).render()}
    assert 'cluster group "JOBCENTER-CLUSTER-LEMON" /create' in a["lemon/create-group.cmd"].content
    assert 'cluster res "JC-ORANGE" /delete' in a["uninstall-type.cmd"].content
    assert 'cluster res "JC-LEMON" /delete' in a["uninstall-type.cmd"].content
    # no disk_resource: the .ps1 looks up the disk holding R: (2008 and later: "Cluster Disk N")
    assert "Where-Object { $_.Path -eq 'R:' }" in a["lemon/create-group.ps1"].content
    assert 'cluster res "Disk R:" /status' in a["lemon/create-group.cmd"].content


def test_options_reach_both_languages():
    a = arts(mscs={"cluster": "jcclus", "network": "Public LAN", "subnet_mask": "255.255.0.0"},
             site=[{"database": DB, "mscs": {"disk_resource": "Cluster Disk 1",
                                             "network_name": "JOBCENTER-CLUST"}}])
    cmd, ps = a["orange/create-group.cmd"].content, a["orange/create-group.ps1"].content
    assert 'cluster /cluster:jcclus res "IP Address 10.17.21.162" /priv Address=10.17.21.162 ' \
        'SubnetMask=255.255.0.0 Network="Public LAN"' in cmd
    assert 'cluster /cluster:jcclus res "Cluster Disk 1" /moveto:"JOBCENTER-CLUSTER"' in cmd
    assert "$C = @{ Cluster = 'jcclus' }" in ps
    assert "Set-ClusterParameter -Name 'Network' -Value 'Public LAN'" in ps
    assert "Set-ClusterParameter -Name 'Name' -Value 'JOBCENTER-CLUST'" in ps


def test_cjcpw_supervisor_generic_app_runs_cjcinit_then_cjcpw_in_the_foreground():
    a = arts(supervisor="cjcpw", mscs={"admin": "jcadmin"})
    assert ("-Value 'cmd.exe /d /s /c \"\"C:\\JobCenter\\SV\\bin\\cjcinit\" \"Q:\\jobdb\" > NUL & "
            "C:\\JobCenter\\SV\\bin\\cjcpw -u jcadmin orange.example.com Q:\\jobdb\"'") in \
        a["orange/create-generic-app.ps1"].content


@pytest.mark.parametrize("supervisor", ["cjcpw"])  # "jccluster" is refused on Windows (issue 9)
def test_clean_render_passes_every_rule(tmp_path, supervisor):
    toml = tmp_path / "c.toml"
    toml.write_text(f'''
[cluster]
product = "jobcenter-windows"
supervisor = "{supervisor}"
jccluster = 'C:\\jccluster\\jccluster.exe'
[[node]]
name = "spencer.example.com"
address = "10.17.21.160"
machine_id = 160
[[site]]
name = "matte.e3.example.com"
address = "10.17.21.126"
machine_id = 126
database = 'Q:\\jobdb'
netmask = "255.255.255.0"
[[site]]
name = "lemon.example.com"
address = "10.17.21.127"
machine_id = 127
database = 'R:\\job db (2)'
netmask = "255.255.255.0"
[mscs]
network = "Public"
admin = "jcadmin"
''')
    assert run_checks(MscsAdapter, config=str(toml), adapter_names=[NAME]) == []


def test_example_renders_and_passes(tmp_path):
    cluster = parse_cluster(example_data(MscsAdapter.example_overrides()))
    out = tmp_path / "out"
    write_artifacts(MscsAdapter(cluster).render(), str(out))
    assert run_checks(MscsAdapter, directory=str(out)) == []


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("mutate, field", [
    (lambda d: (d["cluster"].update(product="jobcenter-linux"),
                d["site"][0].update(database="/mnt/jobdb")), "cluster.product"),
    (lambda d: d["mscs"].update({"group": 'JOB"CENTER'}), "mscs.group"),
    (lambda d: d["mscs"].update({"group": "JOB&CENTER"}), "mscs.group"),
    (lambda d: d["mscs"].update({"subnet_mask": "255.0.255.0"}), "mscs.subnet_mask"),
    (lambda d: d["mscs"].update({"cluster": "bad name"}), "mscs.cluster"),
    (lambda d: d["mscs"].update({"admin": "DOM\\x"}), "mscs.admin"),
    (lambda d: d["site"][0].update(mscs={"network_name": "A-NAME-OF-16-CHR"}),
     "site[0].mscs.network_name"),
    (lambda d: d["site"][0].update(mscs={"disk_resource": "Disk %Q%"}),
     "site[0].mscs.disk_resource"),
    (lambda d: d["site"][0].update(mscs={"ip_resource": "Disk Q:"}),
     "site[0].mscs.disk_resource"),
    (lambda d: d["site"][0].update(name="averyveryverylongname.example.com"),
     "site[0].mscs.network_name"),
    (lambda d: d["site"][0].update(database="Q:\\jöbdb"), "site[0].database"),
    (lambda d: d["cluster"].update(supervisor="jccluster"), "cluster.supervisor"),
])
def test_bad_input_is_one_line_naming_the_field(mutate, field):
    d = data()
    mutate(d)
    with pytest.raises(UserError) as err:
        MscsAdapter(parse_cluster(d, adapter_names=[NAME]))
    msg = str(err.value)
    assert "\n" not in msg and f": {field}: " in msg, msg


def test_cli_render_refuses_posix_in_one_line(tmp_path, capsys):
    code = cli_run(["render", NAME, "--example", "-o", str(tmp_path / "o")])
    assert code == 0
    toml = tmp_path / "c.toml"
    toml.write_text('[[node]]\nname="a"\naddress="10.0.0.1"\nmachine_id=1\n[[site]]\n'
                    'name="s.example.com"\naddress="10.0.0.2"\nmachine_id=2\ndatabase="/db"\n')
    code = cli_run(["render", NAME, "-c", str(toml)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "cluster.product" in err[0]


def test_exit_table():
    ex = MscsAdapter.spec.exit_code
    assert [ex("watch", o) for o in (Outcome.SUCCESS, Outcome.FAILED, Outcome.INVALID)] == \
        [0, 1, 2]
    assert [ex("status", o) for o in (Outcome.RUNNING, Outcome.MAINTENANCE, Outcome.STOPPED,
                                      Outcome.FAILED, Outcome.NOT_INSTALLED)] == [0, 0, 3, 1, 1]


# --------------------------------------------------------------------------- PowerShell


@functools.lru_cache(maxsize=1)
def ps_parser():
    import tree_sitter_powershell as tsp
    from tree_sitter import Language, Parser

    return Parser(Language(tsp.language()))


def ps_errors(text: str) -> list[str]:
    tree = ps_parser().parse(text.encode("utf-8"))
    bad: list[str] = []

    def walk(node) -> None:
        if node.type == "ERROR" or node.is_missing:
            bad.append(f"{node.type} at {node.start_point}: "
                       f"{text.encode()[node.start_byte:node.end_byte][:80]!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return bad


@pytest.mark.parametrize("kw", [{}, {"supervisor": "cjcpw", "mscs": {"admin": "jcadmin"}},
                                {"mscs": {"cluster": "jcclus", "network": "Public"}},
                                {"database": "Q:\\it's a $(job) `db` (1)"}])
def test_powershell_scripts_parse(kw):
    for art in make(**kw).render():
        if art.path.endswith(".ps1"):
            assert ps_errors(art.content) == [], art.path


def _verbatim(node) -> str | None:
    if node.type == "string_literal":
        return node.text.decode("utf-8")
    for child in node.children:
        found = _verbatim(child)
        if found is not None:
            return found
    return None


@given(st.text(min_size=0, max_size=30))
@settings(max_examples=50, deadline=None)
def test_ps_quoting_parses_and_round_trips(value):
    value = value.replace("\x00", "")
    line = f"Write-Host {ps_quote(value)}\n"
    tree = ps_parser().parse(line.encode("utf-8"))
    assert not tree.root_node.has_error, line
    lit = _verbatim(tree.root_node)
    assert lit is not None and lit.startswith("'") and lit.endswith("'")
    inner = lit[1:-1]
    for q in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        inner = inner.replace(q + q, q)
    assert inner == value


# --------------------------------------------------------------------------- quoting model
# Decoded with support.msargv (Microsoft's documented CommandLineToArgvW and cmd.exe rules,
# written in the tests), never with the adapter's own batch_argv/crt_split/generic_commands.


@pytest.mark.parametrize(("cmdline", "argv"), [
    # the examples of "Parsing C command-line arguments" (learn.microsoft.com), after a program
    ('"a b c" d e', ["a b c", "d", "e"]),
    ('"ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]),
    ('a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
    ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
    ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
])
def test_the_independent_decoder_follows_microsofts_examples(cmdline, argv):
    assert crt_argv("prog " + cmdline)[1:] == argv


def test_the_independent_decoder_knows_cmds_layer():
    assert batch_argv('x ^& "a^b" 100%%') == ["x", "&", "a^b", "100%"]
    assert cmd_c_commands('cmd.exe /d /s /c ""C:\\a b\\p" "x&y" > NUL & q -u "z""') == [
        ["C:\\a b\\p", "x&y"], ["q", "-u", "z"]]
    for bad in ("x & y", "x %PATH%", "x ^"):
        with pytest.raises(ValueError):
            batch_argv(bad)


@given(st.text(alphabet=st.sampled_from(list('ab &|<>^()%!"\\ \t;,=')), max_size=20))
@settings(max_examples=50, deadline=None)
def test_batch_escape_of_crt_quote_round_trips(value):
    assert batch_argv("x " + batch_escape(crt_quote(value)))[1:] == [value]
    assert crt_argv("x " + crt_quote(value))[1:] == [value]


_PATH = st.text(alphabet=st.sampled_from(list("aZ09 _-.&^!()',;=+[]{}~#$@%\"é\\")),
                min_size=1, max_size=12)


def test_hostile_database_rejected_or_carried():
    def check(tail: str) -> str:
        try:
            adapter = make(database="Q:\\" + tail)
        except UserError as err:
            assert "\n" not in str(err) and ": site[0].database: " in str(err)
            return REJECTED
        db = adapter.cluster.sites[0].database
        a = {x.path: x for x in adapter.render()}
        grp = a["orange/create-group.cmd"].content.splitlines()
        line = next(x for x in grp if "SiteDirectory=" in x)
        assert batch_argv(line)[-1] == f"SiteDirectory={db}"
        app = a["orange/create-generic-app.cmd"].content.splitlines()
        line = next(x for x in app if "CommandLine=" in x)
        inner = batch_argv(line)[-1].removeprefix("CommandLine=")
        init, watch = cmd_c_commands(inner)
        assert init == ["C:\\JobCenter\\SV\\bin\\cjcinit", db]
        assert watch == [CJCPW, "-u", "jcadmin", SITE, db]
        assert ps_errors(a["orange/create-group.ps1"].content) == []
        return CARRIED

    rejected_or_carried(check, hostile={"tail": _PATH}, plain={"tail": PLAIN_WINDOWS_TAIL},
                        max_examples=50)


_NAME = st.text(alphabet=st.sampled_from(list("aZ09 _-.():&^!%\"é|<>")), min_size=1,
               max_size=12)
# cluster object names the adapter documents as scriptable (docs/adapters/mscs.md: ASCII letters,
# digits, spaces and . _ ( ) : -, starting with a letter or digit), cmd.exe's ( ) included
_PLAIN_NAME = st.text(alphabet=st.sampled_from(list("aZ09 _-.():")), max_size=10).map(
    lambda s: "a" + s + "a")


def test_hostile_object_names_rejected_or_carried():
    def check(group: str, resource: str) -> str:
        try:
            adapter = make(mscs={"group": group}, site=[{"database": DB,
                                                        "mscs": {"resource": resource}}])
        except UserError as err:
            for msg in str(err).splitlines():  # one line per mistake (validate reports them all)
                assert ": mscs.group: " in msg or ": site[0].mscs.resource: " in msg, msg
            return REJECTED
        a = {x.path: x for x in adapter.render()}
        lines = a["orange/create-group.cmd"].content.splitlines()
        assert batch_argv(next(x for x in lines if " group " in x and "/create" in x))[2] == group
        assert batch_argv(next(x for x in lines if "RestartThreshold" in x))[2] == resource
        assert ps_errors(a["orange/create-group.ps1"].content) == []
        return CARRIED

    rejected_or_carried(check, hostile={"group": _NAME, "resource": _NAME},
                        plain={"group": _PLAIN_NAME, "resource": _PLAIN_NAME}, max_examples=50)


# --------------------------------------------------------------------------- check rules


def _write(tmp_path: Path, **kw) -> Path:
    out = tmp_path / "out"
    write_artifacts(make(**kw).render(), str(out))
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_bytes().decode()
    assert old in text, old
    path.write_bytes(text.replace(old, new).encode())


def _ids(out: Path, toml: Path | None = None) -> set[str]:
    return {f.rule for f in run_checks(MscsAdapter, directory=str(out),
                                       config=str(toml) if toml else None,
                                       adapter_names=[NAME])}


@pytest.mark.parametrize("ext, old", [
    ("cmd", 'cluster res "JC-RESOURCE" /adddep:"Disk Q:"'),
    ("cmd", 'cluster res "JC-RESOURCE" /adddep:"IP Address 10.17.21.162"'),
    ("ps1", "Add-ClusterResourceDependency -Resource $Jc -Provider $Disk @C | Out-Null"),
])
def test_rule_dependencies(tmp_path, ext, old):
    out = _write(tmp_path)
    _edit(out / f"orange/create-group.{ext}", old, "rem removed" if ext == "cmd" else "# x")
    assert "MSCS-DEPENDENCIES" in _ids(out)


def test_rule_dependencies_generic_app(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/create-generic-app.cmd",
          'cluster res "JC-WATCHER" /adddep:"Disk Q:"', "rem removed")
    assert "MSCS-DEPENDENCIES" in _ids(out)


@pytest.mark.parametrize("ext, old, new", [
    ("cmd", "/prop RestartThreshold=0", "/prop RestartThreshold=3"),
    ("ps1", "(Get-ClusterResource -Name $Jc @C).RestartThreshold = 0", "# gone"),
])
def test_rule_restart_threshold(tmp_path, ext, old, new):
    out = _write(tmp_path)
    _edit(out / f"orange/create-group.{ext}", old, new)
    assert "MSCS-RESTART-THRESHOLD" in _ids(out)


@pytest.mark.parametrize("path, old, new", [
    ("orange/create-group.cmd", "LooksAlivePollInterval=1000", "LooksAlivePollInterval=60000"),
    ("orange/create-group.ps1", ".LooksAlivePollInterval = 1000", ".LooksAlivePollInterval = 60000"),
    ("orange/create-generic-app.cmd", "LooksAlivePollInterval=1000",
     "LooksAlivePollInterval=30000"),
])
def test_rule_looks_alive_warns_about_a_long_interval(tmp_path, path, old, new):
    out = _write(tmp_path)
    assert "MSCS-LOOKSALIVE" not in _ids(out)
    _edit(out / path, old, new)
    found = [f for f in run_checks(MscsAdapter, directory=str(out), adapter_names=[NAME])
             if f.rule == "MSCS-LOOKSALIVE"]
    assert [f.severity for f in found] == ["warning"] and found[0].file == path


def test_rule_site_parameters(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/create-group.cmd", 'SiteDirectory="Q:\\jobdb"', 'SiteDirectory="Q:\\other"')
    toml = tmp_path / "c.toml"
    toml.write_text(
        "[cluster]\nproduct='jobcenter-windows'\njccluster='C:\\jccluster\\jccluster.exe'\n"
        "[[node]]\nname='spencer.example.com'\naddress='10.17.21.160'\nmachine_id=160\n"
        "[[site]]\nname='orange.example.com'\naddress='10.17.21.162'\nmachine_id=162\n"
        "database='Q:\\jobdb'\n")
    assert "MSCS-SITE-PARAMETERS" in _ids(out, toml)
    assert "MSCS-SITE-PARAMETERS" not in _ids(_write(tmp_path / "clean"), toml)
    _edit(out / "orange/create-group.ps1",
          "Set-ClusterParameter -Name 'SiteName'", "Set-ClusterParameter -Name 'Other'")
    assert "MSCS-SITE-PARAMETERS" in _ids(out)


@pytest.mark.parametrize("ext, old, new", [
    ("cmd", "/dll:JobCenterCluster.dll", "/dll:Other.dll"),
    ("ps1", "-Name 'JobCenterCluster'", "-Name 'JobCenter'"),
])
def test_rule_restype(tmp_path, ext, old, new):
    out = _write(tmp_path)
    _edit(out / f"install-type.{ext}", old, new)
    assert "MSCS-RESTYPE" in _ids(out)


@pytest.mark.parametrize("ext", ["cmd", "ps1"])
def test_rule_removal_order(tmp_path, ext):
    out = _write(tmp_path)
    f = out / f"uninstall-type.{ext}"
    lines = f.read_bytes().decode().split("\r\n")
    delete = "cluster restype JobCenterCluster /delete /type" if ext == "cmd" \
        else "Remove-ClusterResourceType -Name 'JobCenterCluster' @C"
    i = lines.index(delete)
    lines.insert(1 if ext == "cmd" else 9, lines.pop(i))
    f.write_bytes("\r\n".join(lines).encode())
    assert "MSCS-REMOVAL-ORDER" in _ids(out)


def test_rule_name_depends_ip(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/create-group.ps1",
          "Add-ClusterResourceDependency -Resource $NetName -Provider $Ip @C | Out-Null", "# x")
    assert "MSCS-NAME-DEPENDS-IP" in _ids(out)


# (the jccluster variant of the Generic Application is refused on Windows since issue 9)


def test_rule_generic_foreground_cjcpw(tmp_path):
    out = _write(tmp_path, supervisor="cjcpw")
    _edit(out / "orange/create-generic-app.cmd", "cjcpw -u jcadmin orange", "cjcpw -u jcadmin -c orange")
    assert "MSCS-GENERIC-FOREGROUND" in _ids(out)


# --------------------------------------------------------------------------- wine


def install(box: WineBox, **kw) -> dict[str, str]:
    paths = {}
    for art in make(**kw).render():
        if art.path.endswith(".cmd"):
            paths[art.path] = box.write("X:\\out\\" + art.path.replace("/", "\\"), art.content)
    box.stub("cluster", "regsvr32")
    return paths


@pytest.mark.wine
def test_install_and_uninstall_sequences(wine):  # noqa: F811
    p = install(wine)
    res = wine.run(p["install-type.cmd"])
    assert res.returncode == 0, res.stdout
    assert res.commands() == [["cluster", "restype", "NEC JobCenter Cluster Resource Type",
                               "/create", "/dll:JobCenterCluster.dll", "/type:JobCenterCluster"]]
    res = wine.run(p["install-extension.cmd"])
    assert res.commands() == [["regsvr32", "/s", "C:\\windows\\cluster\\JobCenterClusterEx"],
                              ["cluster", "/regext:JobCenterClusterEx"]]
    res = wine.run(p["uninstall-extension.cmd"])
    assert res.commands() == [["regsvr32", "-u", "/s", "C:\\windows\\cluster\\JobCenterClusterEx"]]
    res = wine.run(p["uninstall-type.cmd"])
    assert res.commands() == [["cluster", "res", "JC-RESOURCE", "/offline"],
                              ["cluster", "res", "JC-RESOURCE", "/delete"],
                              ["cluster", "/unregext:JobCenterClusterEx"],
                              ["cluster", "restype", "JobCenterCluster", "/delete", "/type"]]
    assert res.returncode == 0


GROUP_CALLS = [
    ["res", "Disk Q:", "/status"],  # no disk_resource: check Windows 2003's name exists first
    ["group", "JOBCENTER-CLUSTER", "/create"],
    ["res", "IP Address 10.17.21.162", "/create", "/group:JOBCENTER-CLUSTER", "/type:IP Address"],
    ["res", "IP Address 10.17.21.162", "/priv", "Address=10.17.21.162", "SubnetMask=255.255.255.0"],
    ["res", "Network Name ORANGE", "/create", "/group:JOBCENTER-CLUSTER", "/type:Network Name"],
    ["res", "Network Name ORANGE", "/priv", "Name=ORANGE"],
    ["res", "Network Name ORANGE", "/adddep:IP Address 10.17.21.162"],
    ["res", "Disk Q:", "/moveto:JOBCENTER-CLUSTER"],
    ["group", "JOBCENTER-CLUSTER", "/online", "/wait:300"],
]


@pytest.mark.wine
def test_create_group_sequence(wine):  # noqa: F811
    p = install(wine)
    res = wine.run(p["orange/create-group.cmd"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert [c[1:] for c in res.commands()] == GROUP_CALLS + [
        ["res", "JC-RESOURCE", "/create", "/group:JOBCENTER-CLUSTER", "/type:JobCenterCluster"],
        ["res", "JC-RESOURCE", "/priv", f"SiteName={SITE}", f"SiteDirectory={DB}"],
        ["res", "JC-RESOURCE", "/adddep:IP Address 10.17.21.162"],
        ["res", "JC-RESOURCE", "/adddep:Disk Q:"],
        ["res", "JC-RESOURCE", "/prop", "RestartThreshold=0"],
        ["res", "JC-RESOURCE", "/prop", "PendingTimeout=300000"],  # issue 20
        ["res", "JC-RESOURCE", "/prop", "LooksAlivePollInterval=1000"],
    ]
    assert res.names() == ["cluster"] * 16


@pytest.mark.wine
def test_create_generic_app_sequence(wine):  # noqa: F811
    p = install(wine)
    res = wine.run(p["orange/create-generic-app.cmd"])
    assert res.returncode == 0
    cmdline = (f'cmd.exe /d /s /c ""C:\\JobCenter\\SV\\bin\\cjcinit" "{DB}" > NUL & '
               f'{CJCPW} -u jcadmin {SITE} {DB}"')  # supervisor "cjcpw": Windows
    assert [c[1:] for c in res.commands()] == GROUP_CALLS + [
        ["res", "JC-WATCHER", "/create", "/group:JOBCENTER-CLUSTER", "/type:Generic Application"],
        ["res", "JC-WATCHER", "/priv", f"CommandLine={cmdline}"],
        ["res", "JC-WATCHER", "/priv", "CurrentDirectory=C:\\JobCenter\\SV\\bin",
         "UseNetworkName=0"],
        ["res", "JC-WATCHER", "/adddep:IP Address 10.17.21.162"],
        ["res", "JC-WATCHER", "/adddep:Disk Q:"],
        ["res", "JC-WATCHER", "/prop", "RestartThreshold=0"],
        ["res", "JC-WATCHER", "/prop", "PendingTimeout=300000"],  # issue 20
        ["res", "JC-WATCHER", "/prop", "LooksAlivePollInterval=1000"],
    ]


@pytest.mark.wine
def test_a_failed_step_stops_the_script(wine):  # noqa: F811
    p = install(wine)
    res = wine.run(p["orange/create-group.cmd"], exits={"cluster": 5})
    assert res.returncode == 1
    assert len(res.calls) == 1  # the disk check: nothing was changed
    assert 'there is no disk resource named "Disk Q:"' in res.stderr + res.stdout
    p = install(wine, site=[{"database": DB, "mscs": {"disk_resource": "Cluster Disk 1"}}])
    res = wine.run(p["orange/create-group.cmd"], exits={"cluster": 5})
    assert res.returncode == 1 and len(res.calls) == 1
    assert "failed at step: create group JOBCENTER-CLUSTER (exit 5)" in res.stderr + res.stdout
    res = wine.run(p["install-extension.cmd"], exits={"regsvr32": 3})
    assert res.returncode == 1 and res.names() == ["regsvr32"]


_DECODER_CASES = ["a b", 'say "hi"', "tail\\", "a&b|c<d>e^f(g)", "100%", 'x\\"y', "", "!v!",
                  "semi;colon,eq=ual", "\\\\server\\share\\"]


@pytest.mark.wine
def test_the_independent_decoder_agrees_with_cmd_and_the_c_runtime_under_wine(wine):  # noqa: F811
    """support.msargv against wine's cmd.exe and C runtime, on lines built the adapter's way."""
    lines = [f"cluster {batch_escape(crt_quote(v))} end" for v in _DECODER_CASES]
    wine.stub("cluster")
    res = wine.run(wine.write("X:\\out\\decoder.cmd", "@ECHO OFF\n" + "\n".join(lines) + "\n"))
    assert res.commands() == [batch_argv(line) for line in lines]
    assert [c[1] for c in res.commands()] == _DECODER_CASES


@pytest.mark.wine
@pytest.mark.parametrize("db", ["Q:\\job db\\a&b^c!d (e)", "Q:\\x;y,z=w", "Q:\\it's [1] {2}~#$@"])
def test_hostile_database_carried_through_cmd(wine, db):  # noqa: F811
    p = install(wine, database=db)
    res = wine.run(p["orange/create-group.cmd"])
    priv = [c for c in res.commands() if "/priv" in c and c[2] == "JC-RESOURCE"][0]
    assert priv[-1] == f"SiteDirectory={db}"
    res = wine.run(p["orange/create-generic-app.cmd"])
    line = [c for c in res.commands() if any(a.startswith("CommandLine=") for a in c)][0]
    inner = line[-1].removeprefix("CommandLine=")
    init, watch = cmd_c_commands(inner)
    assert init == ["C:\\JobCenter\\SV\\bin\\cjcinit", db]
    assert watch == [CJCPW, "-u", "jcadmin", SITE, db]  # supervisor "cjcpw": Windows


# --------------------------------------------------------------------------- end to end


@pytest.mark.timeout(180)
def test_generic_application_watcher_against_a_simulator_site(sim_site, poll_for):
    """What the Generic Application resource sees: the watcher process lives while the site is
    healthy and ends (exit 1) when a daemon dies."""
    import os
    import signal
    import subprocess
    import sys

    watch = sim_site.reaper.popen(
        [sys.executable, "-m", "jobcenter_cluster", "agent", NAME, "watch", sim_site.name,
         sim_site.db, "--product", "simulator", "--root", sim_site.root],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    poll_for(lambda: sim_site.status().outcome is Outcome.RUNNING, timeout=60, what="running")
    assert watch.poll() is None
    os.kill(sim_site.pid("nqsdaemon"), signal.SIGKILL)
    watch.communicate(timeout=60)
    assert VENDOR["mscs"][("watch", Outcome.FAILED)].matches(watch.returncode)
    res = sim_site.cli("agent", NAME, "stop", sim_site.name, "--product", "simulator",
                       "--root", sim_site.root)
    assert res.returncode == 0, res.stderr
    assert sim_site.status().outcome is Outcome.STOPPED


# --------------------------------------------------------------------------- vendor review


def test_admin_is_required():
    d = data()
    del d[NAME]["admin"]
    with pytest.raises(UserError) as err:
        MscsAdapter(parse_cluster(d, adapter_names=[NAME]))
    assert "mscs.admin: is required" in str(err.value) and "\n" not in str(err.value)


def test_generic_application_runs_cjcinit_then_the_watcher():
    adapter = make()  # supervisor "cjcpw", the only one on Windows
    cmds = cmd_c_commands(adapter.commandline(adapter.cluster.sites[0]))
    assert cmds[0] == ["C:\\JobCenter\\SV\\bin\\cjcinit", DB]
    assert cmds[1] == ["C:\\JobCenter\\SV\\bin\\cjcpw", "-u", "jcadmin", SITE, DB]


def test_a_configured_disk_is_used_as_is_and_the_lookup_is_gone():
    a = arts(site=[{"database": DB, "mscs": {"disk_resource": "Cluster Disk 2"}}])
    ps, cmd = a["orange/create-group.ps1"].content, a["orange/create-group.cmd"].content
    assert "$Disk = 'Cluster Disk 2'" in ps and "MSCluster_DiskPartition" not in ps
    assert "/status" not in cmd and 'res "Cluster Disk 2" /moveto:' in cmd


def test_the_disk_lookup_fails_clearly():
    ps = arts()["orange/create-group.ps1"].content
    lookup = ps.index("MSCluster_DiskPartition")
    assert ps.index("throw (\"No single Physical Disk resource holds {0}") > lookup
    assert ps.index("throw") < ps.index("Add-ClusterGroup")  # nothing changed before it
    assert ps_errors(ps) == []


@pytest.mark.parametrize(("path", "old", "new"), [
    # the old guess, unchecked
    ("orange/create-group.cmd", 'cluster res "Disk Q:" /status > NUL 2>&1', "rem (no check)"),
    # a lookup that carries on when it finds nothing
    ("orange/create-group.ps1", "    throw (", "    Write-Warning ("),
    # the old guessed literal in the .ps1
    ("orange/create-group.ps1", "$Disk = $Found[0].Name", "$Disk = 'Disk Q:'"),
])
def test_rule_disk_resource(tmp_path, path, old, new):
    out = _write(tmp_path)
    if "Disk Q:'" in new:  # drop the lookup so only the literal remains
        f = out / path
        text = f.read_text()
        start, end = text.index("$Cim = @{}"), text.index("$Disk = $Found[0].Name")
        f.write_text(text[:start] + text[end:])
    _edit(out / path, old, new)
    assert "MSCS-DISK-RESOURCE" in _ids(out)


@pytest.mark.parametrize(("ext", "old", "new"), [
    ("ps1", "cjcinit", "cjcinfo"),
    ("cmd", "cjcinit", "cjcinfo"),
])
def test_rule_generic_cjcinit(tmp_path, ext, old, new):
    out = _write(tmp_path)
    _edit(out / f"orange/create-generic-app.{ext}", old, new)
    assert "MSCS-GENERIC-CJCINIT" in _ids(out)


def test_rule_generic_cjcinit_wants_the_administrator(tmp_path):
    out = _write(tmp_path, supervisor="cjcpw")
    _edit(out / "orange/create-generic-app.ps1", "cjcpw -u jcadmin ", "cjcpw ")
    assert "MSCS-GENERIC-CJCINIT" in _ids(out)


def test_apply_quotes_the_create_command():
    a = arts(supervisor="cjcpw", database="Q:\\job db (1)")
    assert ('C:\\JobCenter\\SV\\bin\\cjcmksite orange.example.com 162 "Q:\\job db (1)"'
            in a["APPLY.txt"].content)
    assert "is a\r\ndomain user" in a["APPLY.txt"].content or "domain user" in a["APPLY.txt"].content
