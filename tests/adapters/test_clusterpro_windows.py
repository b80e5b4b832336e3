"""CLUSTERPRO / EXPRESSCLUSTER for Windows adapter: start.bat/stop.bat and the patch pair run
under ``wine cmd /c`` with recording stubs for every event, disk and server state; one test per
check rule; hostile input rejected or carried through unchanged."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.adapters.clusterpro_windows.adapter import ClusterProWindowsAdapter
from jobcenter_cluster.adapters.clusterpro_windows.rules import bat_tokens
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.cli.app import run as cli_run
from jobcenter_cluster.errors import ConfigError, UserError
from jobcenter_cluster.model import example_data, parse_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.render import write_artifacts
from support import adapters
from support.carried import CARRIED, PLAIN_WINDOWS_TAIL, REJECTED, rejected_or_carried
from support.msargv import crt_argv as ms_argv  # Microsoft's documented rules
from support.vendor_codes import VENDOR
from support.wine import WineBox, wine  # noqa: F401  (the fixture)

NAME = "clusterpro-windows"
SITE = "orange.example.com"
DB = "X:\\vmdb"
PREFIX = "X:\\JobCenter"
BIN = PREFIX + "\\SV\\bin"
JCC = "X:\\jcc\\jccluster.exe"


def data(supervisor: str = "cjcpw", monitor: bool = True, flavour: str | None = None,
         database: str = DB, admin: str | None = "jcadmin", **extra) -> dict:
    opts: dict = {}
    if admin is not None:
        opts["admin"] = admin
    if flavour:
        opts["flavour"] = flavour
    overrides: dict = {
        "cluster": {"product": "jobcenter-windows", "supervisor": supervisor,
                    "install_prefix": PREFIX, "jccluster": JCC},
        "site": [{"database": database, "monitor": monitor}],
        NAME: opts,
    }
    for key, value in extra.items():
        if key == NAME:
            opts.update(value)
        else:
            overrides[key] = value
    return example_data(overrides)


def make(**kw) -> ClusterProWindowsAdapter:
    return adapters.from_data(ClusterProWindowsAdapter, data(**kw))


def arts(**kw) -> dict[str, Artifact]:
    return {a.path: a for a in make(**kw).render()}


# --------------------------------------------------------------------------- rendering


def test_renders_the_manual_layout_with_crlf_and_modes():
    a = arts()
    assert {p: x.mode for p, x in a.items()} == {
        "orange/start.bat": 0o755, "orange/stop.bat": 0o755,
        "orange/patch-stop.bat": 0o755, "orange/patch-start.bat": 0o755,
        "orange/APPLY.txt": 0o644, "resolv.def": 0o644, "patch-standby.bat": 0o755,
        "PATCH.txt": 0o644,
    }
    for path in ("orange/start.bat", "orange/stop.bat", "resolv.def"):
        text = a[path].content
        assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    # the full names (the MSCS chapter, §5.2) and the computer names (§3.2.2's example)
    assert a["resolv.def"].content.splitlines() == [
        "10.17.21.160\tspencer.example.com", "10.17.21.160\tspencer",
        "10.17.21.161\tmatto.example.com", "10.17.21.161\tmatto",
        "10.17.21.162\torange.example.com", "10.17.21.162\torange"]


def test_start_line_is_the_manuals():
    start = arts()["orange/start.bat"].content
    assert ('ARMLoad JOBSTART /M /U jcadmin "X:\\JobCenter\\SV\\bin\\cjcpw" "-u" "jcadmin" '
            '"orange.example.com" "X:\\vmdb"') in start
    assert '"X:\\JobCenter\\SV\\bin\\cjcinit" "X:\\vmdb" > NUL' in start
    unmonitored = arts(monitor=False)["orange/start.bat"].content
    assert ('ARMLoad JOBSTART /U jcadmin "X:\\JobCenter\\SV\\bin\\cjcpw" "-u" "jcadmin" "-c" '
            '"orange.example.com" "X:\\vmdb"') in unmonitored
    hidden = arts(**{NAME: {"window_hide": True}})["orange/start.bat"].content
    assert "ARMLoad JOBSTART /M /U jcadmin /WINDOW hide " in hidden


def test_example_overrides_render_and_pass_every_rule(tmp_path):
    cluster = parse_cluster(example_data(ClusterProWindowsAdapter.example_overrides()))
    out = tmp_path / "out"
    write_artifacts(ClusterProWindowsAdapter(cluster).render(), str(out))
    assert run_checks(ClusterProWindowsAdapter, directory=str(out)) == []


@pytest.mark.parametrize("supervisor", ["cjcpw"])  # "jccluster" is refused on Windows (issue 9)
@pytest.mark.parametrize("flavour", ["arm", "x"])
@pytest.mark.parametrize("monitor", [True, False])
def test_clean_render_passes_every_rule(tmp_path, supervisor, flavour, monitor):
    toml = tmp_path / "jccluster.toml"
    toml.write_text(_toml(supervisor=supervisor, flavour=flavour, monitor=monitor))
    assert run_checks(ClusterProWindowsAdapter, config=str(toml), adapter_names=[NAME]) == []


def _toml(supervisor="cjcpw", flavour="arm", monitor=True, extra_site="", second=False) -> str:
    text = f'''
[cluster]
product = "jobcenter-windows"
supervisor = "{supervisor}"
install_prefix = 'X:\\JobCenter'
jccluster = 'X:\\jcc\\jccluster.exe'
[[node]]
name = "spencer.example.com"
address = "10.17.21.160"
machine_id = 160
[[site]]
name = "orange.example.com"
address = "10.17.21.162"
machine_id = 1000
database = 'X:\\vmdb'
monitor = {str(monitor).lower()}
{extra_site}
'''
    if second:
        text += '''
[[site]]
name = "lemon.example.com"
address = "10.17.21.163"
machine_id = 1001
database = 'Y:\\vmdb'
'''
    return text + f'\n[clusterpro-windows]\nadmin = "jcadmin"\nflavour = "{flavour}"\n'


def test_two_sites_get_distinct_default_watch_ids():
    d = data()
    d["site"].append({"name": "lemon.example.com", "address": "10.17.21.163",
                      "machine_id": 1001, "database": "Y:\\vmdb"})
    a = {x.path: x for x in ClusterProWindowsAdapter(parse_cluster(d)).render()}
    assert "ARMLoad JOBSTART_ORANGE /M" in a["orange/start.bat"].content
    assert "ARMKILL JOBSTART_LEMON" in a["lemon/stop.bat"].content


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("mutate, field", [
    (lambda d: (d["cluster"].update(product="jobcenter-linux", install_prefix="/usr/lib/nqs"),
                d["site"][0].update(database="/mnt/jobdb")), "cluster.product"),
    (lambda d: d[NAME].pop("admin"), "clusterpro-windows.admin"),
    (lambda d: d[NAME].update(admin="DOM\\jcadmin"), "clusterpro-windows.admin"),
    (lambda d: d[NAME].update(admin="jc@dom"), "clusterpro-windows.admin"),
    (lambda d: d[NAME].update(flavour="y"), "clusterpro-windows.flavour"),
    (lambda d: d["site"][0].update({NAME: {"watch_id": "JOB START"}}),
     "site[0].clusterpro-windows.watch_id"),
    (lambda d: d["site"][0].update({NAME: {"watch_id": "NEC_JOB"}}),
     "site[0].clusterpro-windows.watch_id"),
    (lambda d: d["site"][0].update({NAME: {"watch_id": "J" * 256}}),
     "site[0].clusterpro-windows.watch_id"),
    (lambda d: d["site"][0].update(database="X:\\jöbdb"), "site[0].database"),
    (lambda d: d["site"][0].update(database="X:\\"), "site[0].database"),
    (lambda d: d["cluster"].update(install_prefix="C:\\Jöb"), "cluster.install_prefix"),
    (lambda d: d["cluster"].update(supervisor="jccluster"), "cluster.supervisor"),
])
def test_bad_input_is_one_line_naming_the_field(mutate, field):
    d = data()
    mutate(d)
    with pytest.raises(UserError) as err:
        ClusterProWindowsAdapter(parse_cluster(d, adapter_names=[NAME]))
    msg = str(err.value)
    assert "\n" not in msg and f": {field}: " in msg


def test_duplicate_watch_ids_rejected_case_insensitively():
    d = data()
    d["site"][0][NAME] = {"watch_id": "JobStart"}
    d["site"].append({"name": "lemon.example.com", "address": "10.17.21.163", "machine_id": 1001,
                      "database": "Y:\\vmdb", NAME: {"watch_id": "JOBSTART"}})
    with pytest.raises(ConfigError, match=r"site\[1\]\.clusterpro-windows\.watch_id: 'JOBSTART' "
                       r"is already used by site\[0\]"):
        ClusterProWindowsAdapter(parse_cluster(d))


def test_cli_reports_missing_admin_in_one_line(tmp_path, capsys):
    toml = tmp_path / "c.toml"
    toml.write_text(_toml().replace('admin = "jcadmin"', ""))
    code = cli_run(["render", NAME, "-c", str(toml)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and "clusterpro-windows.admin: is required" in err


def test_exit_table():
    ex = ClusterProWindowsAdapter.spec.exit_code
    assert ex("watch", Outcome.SUCCESS) == 0
    assert ex("watch", Outcome.FAILED) == 1
    assert ex("watch", Outcome.INVALID) == 2
    assert ex("status", Outcome.RUNNING) == 0
    assert ex("status", Outcome.MAINTENANCE) == 0
    assert ex("status", Outcome.STOPPED) == 3
    assert ex("status", Outcome.FAILED) == 1
    assert ex("stop", Outcome.FAILED) == 1
    assert ex("nonsense", Outcome.UNSUPPORTED) == 1


# --------------------------------------------------------------------------- check rules


def _write(tmp_path: Path, **kw) -> Path:
    out = tmp_path / "out"
    write_artifacts(make(**kw).render(), str(out))
    return out


def rd(path: Path) -> str:
    """A file's text with its CRLF line ends kept."""
    return path.read_bytes().decode("utf-8")


def wr(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _edit(path: Path, old: str, new: str, count: int = 0) -> None:
    text = rd(path)
    assert old in text, old
    wr(path, text.replace(old, new, count) if count else text.replace(old, new))


def _ids(out: Path, config: Path | None = None) -> set[str]:
    return {f.rule for f in run_checks(ClusterProWindowsAdapter, directory=str(out),
                                       config=str(config) if config else None,
                                       adapter_names=[NAME])}


def test_rule_watch_id_unique_in_files(tmp_path):
    out = _write(tmp_path)
    lemon = out / "lemon"
    lemon.mkdir()
    wr(lemon / "start.bat", rd(out / "orange/start.bat").replace("orange.example.com",
                                                                   "lemon.example.com"))
    assert "CPW-WATCHID-UNIQUE" in _ids(out)


def test_rule_watch_id_unique_in_cluster_file(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text(_toml(second=True).replace(
        "[clusterpro-windows]", "[clusterpro-windows]").replace(
        "monitor = true\n", 'monitor = true\n[site.clusterpro-windows]\nwatch_id = "JOB"\n')
        .replace("database = 'Y:\\vmdb'\n",
                 "database = 'Y:\\vmdb'\n[site.clusterpro-windows]\nwatch_id = \"job\"\n"))
    findings = run_checks(ClusterProWindowsAdapter, config=str(toml), adapter_names=[NAME])
    assert "CPW-WATCHID-UNIQUE" in {f.rule for f in findings}


def test_rule_watch_id_valid(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/stop.bat", "ARMKILL JOBSTART", "ARMKILL NEC_JOBSTART")
    assert "CPW-WATCHID-VALID" in _ids(out)


def test_rule_watch_id_match(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/stop.bat", "ARMLoadC JOBSTART", "ARMLoadC OTHER")
    assert "CPW-WATCHID-MATCH" in _ids(out)


@pytest.mark.parametrize("swap", ["kill-first", "no-pause", "stop-last"])
def test_rule_stop_order(tmp_path, swap):
    out = _write(tmp_path)
    stop = out / "orange/stop.bat"
    pause, halt, kill = ("ARMLoadC JOBSTART /W PAUSE",
                         "X:\\JobCenter\\SV\\bin\\cjcpw -stop orange.example.com", "ARMKILL JOBSTART")
    text = rd(stop)
    block = f"{pause}\r\n{halt}\r\nIF ERRORLEVEL 1 SET \"JC_RC=1\"\r\n{kill}"
    assert block in text
    new = {"kill-first": f"{kill}\r\n{pause}\r\n{halt}",
           "no-pause": f"{halt}\r\n{kill}",
           "stop-last": f"{pause}\r\n{kill}\r\n{halt}"}[swap]
    wr(stop, text.replace(block, new, 1))
    assert "CPW-STOP-ORDER" in _ids(out)


def test_rule_patch_stop_order(tmp_path):
    out = _write(tmp_path)
    f = out / "orange/patch-stop.bat"
    text = rd(f)
    pause = "ARMLoadC JOBSTART /W pause\r\nIF ERRORLEVEL 1 GOTO FAILED\r\n"
    assert pause in text
    wr(f, text.replace(pause, "").replace("EXIT /B 0", pause + "EXIT /B 0"))
    assert "CPW-STOP-ORDER" in _ids(out)


def test_rule_no_armkill_c(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/stop.bat", "ARMKILL JOBSTART", "ARMKILL JOBSTART /C", count=1)
    assert "CPW-NO-ARMKILL-C" in _ids(out)


@pytest.mark.parametrize("supervisor", ["cjcpw"])  # "jccluster" is refused on Windows (issue 9)
def test_rule_no_c_monitored(tmp_path, supervisor):
    out = _write(tmp_path, supervisor=supervisor)
    old, new = (('"-u" "jcadmin" "orange', '"-u" "jcadmin" "-c" "orange') if supervisor == "cjcpw"
                else ('"watch"', '"start"'))
    _edit(out / "orange/start.bat", old, new, count=1)
    assert "CPW-NO-C-MONITORED" in _ids(out)


def test_rule_cjcinit_first(tmp_path):
    out = _write(tmp_path)
    f = out / "orange/start.bat"
    text = rd(f)
    init = '"X:\\JobCenter\\SV\\bin\\cjcinit" "X:\\vmdb" > NUL\r\n'
    wr(f, text.replace(init, "", 1))
    assert "CPW-CJCINIT-FIRST" in _ids(out)


def test_rule_disk_check(tmp_path):
    out = _write(tmp_path)
    _edit(out / "orange/stop.bat", 'IF "%ARMS_DISK%" == "FAILURE" GOTO ERROR_DISK\r\n', "",
          count=1)
    assert "CPW-DISK-CHECK" in _ids(out)


@pytest.mark.parametrize("old, new", [("/U jcadmin", "/U DOM\\jcadmin"),
                                      ('"-u" "jcadmin"', '"-u" "other"')])
def test_rule_account(tmp_path, old, new):
    out = _write(tmp_path)
    _edit(out / "orange/start.bat", old, new, count=1)
    assert "CPW-ACCOUNT" in _ids(out)


def test_check_cli_exits_non_zero_with_the_rule(tmp_path, capsys):
    out = _write(tmp_path)
    _edit(out / "orange/stop.bat", "ARMKILL JOBSTART", "ARMKILL JOBSTART /C", count=1)
    code = cli_run(["check", NAME, str(out), "--json"])
    assert code == 1
    assert "CPW-NO-ARMKILL-C" in capsys.readouterr().out


# --------------------------------------------------------------------------- hostile values


def batch_expand(line: str) -> str:
    """What cmd.exe makes of a batch line without variables: ``%%`` becomes ``%``."""
    assert not re.search(r"%[^%]", line.replace("%%", "")), line
    return line.replace("%%", "%")


_PATH_CHARS = st.text(alphabet=st.sampled_from(list("aZ09 _-.&^!()',;=+[]{}~#$@%\"é漢\\")),
                      min_size=1, max_size=12)


def test_hostile_database_rejected_or_carried():
    def check(tail: str) -> str:
        db = "X:\\" + tail
        try:
            adapter = make(database=db)
        except UserError as err:
            msg = str(err)
            assert "\n" not in msg and ": site[0].database: " in msg
            return REJECTED
        site = adapter.cluster.sites[0]
        start = adapter.render()[0].content
        line = next(x for x in start.splitlines() if x.startswith("ARMLoad "))
        argv = ms_argv(batch_expand(line))
        assert argv[-1] == site.database  # the path as written (a trailing '\\' dropped)
        init = next(x for x in start.splitlines() if x.startswith('"') and "cjcinit" in x)
        assert ms_argv(batch_expand(init.replace(" > NUL", "")))[1] == site.database
        return CARRIED

    rejected_or_carried(check, hostile={"tail": _PATH_CHARS}, plain={"tail": PLAIN_WINDOWS_TAIL},
                        max_examples=50)


_WORD = st.text(alphabet=st.sampled_from(list("aZ09_-.&^!%\" é\\@")), min_size=1, max_size=10)
# what the docs allow (docs/adapters/clusterpro-windows.md): an account name of letters, digits,
# '.', '_', '-' (1-20, no domain part); a watch ID of 1-255 ASCII letters, digits and '_', not
# NEC_ (ExpressCluster SRE Installation & Configuration Guide, ch. 8, ARMLOAD)
_PLAIN_ADMIN = st.text(alphabet=st.sampled_from(list("aZ09._-")), max_size=18).map(
    lambda s: "a" + s)
_PLAIN_WATCH_ID = st.text(alphabet=st.sampled_from(list("aZ09_")), max_size=30).map(
    lambda s: "J" + s)


def test_hostile_admin_and_watch_id_rejected_or_carried():
    def check(admin: str, watch_id: str) -> str:
        try:
            adapter = make(**{NAME: {"admin": admin}},
                           site=[{"database": DB, NAME: {"watch_id": watch_id}}])
        except UserError as err:
            for msg in str(err).splitlines():  # one line per mistake (validate reports them all)
                assert "\n" not in msg
                assert (": clusterpro-windows.admin: " in msg
                        or ": site[0].clusterpro-windows.watch_id: " in msg), msg
            return REJECTED
        start = adapter.render()[0].content
        line = next(x for x in start.splitlines() if x.startswith("ARMLoad "))
        argv = ms_argv(batch_expand(line))
        assert argv[1] == watch_id and argv[argv.index("/U") + 1] == admin
        assert argv[argv.index("-u") + 1] == admin
        return CARRIED

    rejected_or_carried(check, hostile={"admin": _WORD, "watch_id": _WORD},
                        plain={"admin": _PLAIN_ADMIN, "watch_id": _PLAIN_WATCH_ID},
                        max_examples=50)


def test_bat_tokens_agree_with_the_argv_model():
    line = 'ARMLoad J /M /U a "X:\\a b\\cjcpw" "-u" "a" "s.example.com" "X:\\a&b^c!d (e)"'
    assert bat_tokens(line) == ms_argv(line)


# --------------------------------------------------------------------------- wine


def install(box: WineBox, **kw) -> tuple[dict[str, str], ClusterProWindowsAdapter]:
    adapter = make(**kw)
    paths = {}
    for art in adapter.render():
        if art.path.endswith(".bat"):
            paths[art.path.split("/")[-1]] = box.write(
                "X:\\out\\" + art.path.replace("/", "\\"), art.content)
    box.stub("ARMLoad", "ARMLoadC", "ARMKILL", "ARMBCAST")
    box.stub_at(BIN, "cjcpw", "cjcinit", "cjccopy")
    box.stub_at("X:\\jcc", "jccluster")
    return paths, adapter


EVENTS = ["START", "FAILOVER", "RECOVER", "", "SHUTDOWN"]
JC = ["cjcinit", "ARMLoad", "ARMLoadC", "cjcpw", "ARMKILL", "jccluster"]


def _start_calls(supervisor: str, monitor: bool) -> list[list[str]]:
    if supervisor == "cjcpw":
        prog = [f"{BIN}\\cjcpw", "-u", "jcadmin"] + ([] if monitor else ["-c"]) + [SITE, DB]
    else:
        prog = [JCC, "agent", NAME, "watch" if monitor else "start", SITE, DB,
                "--product", "jobcenter-windows"]
    return [["cjcinit", DB],
            ["ARMLoad", "JOBSTART"] + (["/M"] if monitor else []) + ["/U", "jcadmin", *prog]]


@pytest.mark.wine
@pytest.mark.parametrize("flavour", ["arm", "x"])
def test_start_bat_every_event_disk_and_server(wine, flavour):  # noqa: F811
    paths, _ = install(wine, flavour=flavour)
    ev = "ARMS" if flavour == "arm" else "CLP"
    cases = list(itertools.product(EVENTS, ["SUCCESS", "FAILURE"], ["HOME", "OTHER"]))
    results = wine.run_matrix(paths["start.bat"], [
        {f"{ev}_EVENT": e, f"{ev}_DISK": d, f"{ev}_SERVER": s} for e, d, s in cases])
    for (event, disk, server), res in zip(cases, results, strict=True):
        cmds = [c for c in res.commands() if c[0] in JC]
        label = (event, disk, server)
        if event in ("START", "FAILOVER") and disk != "FAILURE":
            assert cmds == _start_calls("cjcpw", True), label
            assert res.calls[1]["cmdline"].startswith(
                ("ARMLoad " if flavour == "arm" else "armload ") + "JOBSTART /M /U jcadmin "), label
            assert res.calls[1]["env"][f"{ev}_EVENT"] == event
        else:  # RECOVER, ARM not running, disk failure: JobCenter untouched
            assert cmds == [], label
        bcast = [c for c in res.commands() if c[0] == "ARMBCAST"]
        if event not in ("START", "FAILOVER", "RECOVER"):
            assert bcast and "is not running" in bcast[0][2], label
        elif event != "RECOVER" and disk == "FAILURE":
            assert bcast and "switched disk" in bcast[0][2], label
        else:
            assert bcast == [], label
        assert res.returncode == 0, (label, res.stdout, res.stderr)


@pytest.mark.wine
@pytest.mark.parametrize("flavour", ["arm", "x"])
def test_stop_bat_every_event_disk_and_server(wine, flavour):  # noqa: F811
    paths, _ = install(wine, flavour=flavour)
    ev = "ARMS" if flavour == "arm" else "CLP"
    cases = list(itertools.product(EVENTS, ["SUCCESS", "FAILURE"], ["HOME", "OTHER"]))
    results = wine.run_matrix(paths["stop.bat"], [
        {f"{ev}_EVENT": e, f"{ev}_DISK": d, f"{ev}_SERVER": s} for e, d, s in cases])
    for (event, disk, server), res in zip(cases, results, strict=True):
        cmds = [c for c in res.commands() if c[0] in JC]
        label = (event, disk, server)
        if event in ("START", "FAILOVER") and disk != "FAILURE":
            assert cmds == [["ARMLoadC", "JOBSTART", "/W", "PAUSE"],
                            ["cjcpw", "-stop", SITE],
                            ["ARMKILL", "JOBSTART"]], label
            assert all("/C" not in c for c in cmds)
        else:
            assert cmds == [], label
        assert res.returncode == 0, label


# (supervisor = "jccluster" is refused on Windows since issue 9: no start/stop under wine for it)


@pytest.mark.wine
def test_unmonitored_cjcpw_start(wine):  # noqa: F811
    paths, _ = install(wine, monitor=False, **{NAME: {"window_hide": True}})
    res = wine.run(paths["start.bat"], env={"ARMS_EVENT": "FAILOVER"})
    assert res.commands() == [
        ["cjcinit", DB],
        ["ARMLoad", "JOBSTART", "/U", "jcadmin", "/WINDOW", "hide", f"{BIN}\\cjcpw", "-u",
         "jcadmin", "-c", SITE, DB]]


@pytest.mark.wine
def test_failures_are_reported_and_stop_still_kills(wine):  # noqa: F811
    paths, _ = install(wine)
    res = wine.run(paths["start.bat"], env={"ARMS_EVENT": "START"}, exits={"ARMLoad": 4})
    assert res.returncode == 1
    assert [c[0] for c in res.commands()] == ["cjcinit", "ARMLoad", "ARMBCAST"]
    assert "ARMLoad JOBSTART failed" in res.commands()[-1][2]
    res = wine.run(paths["stop.bat"], env={"ARMS_EVENT": "START"}, exits={"cjcpw": 1})
    assert res.returncode == 1
    assert [c[0] for c in res.commands()] == ["ARMLoadC", "cjcpw", "ARMKILL", "ARMBCAST"]


@pytest.mark.wine
@pytest.mark.parametrize("monitor", [True, False])
def test_patch_procedure(wine, monitor):  # noqa: F811
    paths, _ = install(wine, monitor=monitor)
    res = wine.run(paths["patch-stop.bat"])
    pause = [["ARMLoadC", "JOBSTART", "/W", "pause"]] if monitor else []
    assert res.commands() == pause + [["cjcpw", "-stop", SITE]]
    assert res.returncode == 0
    res = wine.run(paths["patch-start.bat"])
    cont = [["ARMLoadC", "JOBSTART", "/W", "continue"]] if monitor else []
    # the manual's prose order (§3.2.6.2 ⑧): start the site, then resume the watch
    assert res.commands() == [["cjccopy", SITE, DB],
                              ["cjcpw", "-u", "jcadmin", "-c", SITE, DB], *cont]
    assert ("Restart the group" in res.stdout) == monitor
    res = wine.run(paths["patch-start.bat"], exits={"cjccopy": 2})
    assert res.returncode == 1 and res.names() == ["cjccopy"]


@pytest.mark.wine
@pytest.mark.parametrize("db", ["X:\\vm db\\a&b^c!d (e)", "X:\\x;y,z=w", "X:\\it's [1] {2}~#$@"])
def test_hostile_database_carried_through_cmd(wine, db):  # noqa: F811
    paths, adapter = install(wine, database=db)
    res = wine.run(paths["start.bat"], env={"ARMS_EVENT": "START"})
    load = res.calls[1]
    assert load["argv"][-1] == db and res.calls[0]["argv"][1] == db
    # the manual's ARMLoad line (§3.2.2.4), written out: the command line ARMLoad receives
    assert load["cmdline"] == (f'ARMLoad JOBSTART /M /U jcadmin "{BIN}\\cjcpw" "-u" "jcadmin" '
                               f'"{SITE}" "{db}"')
    res = wine.run(paths["patch-start.bat"])
    assert res.calls[0]["argv"][2] == db and res.calls[1]["argv"][-1] == db


# --------------------------------------------------------------------------- end to end


@pytest.mark.timeout(180)
def test_agent_verbs_the_scripts_call_against_a_simulator_site(sim_site, poll_for):
    """What ARMLoad /M sees: `agent ... watch` runs in the foreground while the site is healthy
    and exits with the table's non-zero code when a daemon dies; stop and status answer in the
    table's codes."""

    def agent(*args: str):
        return sim_site.cli("agent", NAME, *args, "--product", "simulator",
                            "--root", sim_site.root)

    assert agent("status", sim_site.name).returncode == 3
    watch = sim_site.reaper.popen(
        [sys.executable, "-m", "jobcenter_cluster", "agent", NAME, "watch", sim_site.name,
         sim_site.db, "--product", "simulator", "--root", sim_site.root],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    poll_for(lambda: sim_site.status().outcome is Outcome.RUNNING, timeout=60, what="running")
    assert watch.poll() is None
    assert agent("status", sim_site.name).returncode == 0
    os.kill(sim_site.pid("jnwengine"), signal.SIGKILL)
    watch.communicate(timeout=60)
    assert VENDOR["clusterpro-windows"][("watch", Outcome.FAILED)].matches(watch.returncode)
    assert agent("status", sim_site.name).returncode == 1
    assert agent("stop", sim_site.name).returncode == 0
    assert agent("status", sim_site.name).returncode == 3


# --------------------------------------------------------------------------- vendor review


def test_patch_start_resumes_the_watch_after_the_start_and_says_how_monitoring_returns():
    text = arts()["orange/patch-start.bat"].content
    lines = [ln for ln in text.splitlines() if ln and not ln.lower().startswith(("rem", "@"))]
    start = next(i for i, ln in enumerate(lines) if "cjcpw" in ln and "-c" in ln)
    cont = next(i for i, ln in enumerate(lines) if "/W continue" in ln)
    assert start < cont
    assert "Restart the group" in text and "ARMLoad JOBSTART /M" in text


def _write_cpw(tmp_path, **kw):
    out = tmp_path / "out"
    write_artifacts(make(**kw).render(), str(out))
    return out


def _rule_ids(out, cluster=True):
    kw = {"cluster": make().cluster} if cluster else {}
    return {f.rule for f in run_checks(ClusterProWindowsAdapter, directory=str(out), **kw)
            if f.severity == "error"}


def test_rendered_patch_and_resolv_pass_their_rules(tmp_path):
    out = _write_cpw(tmp_path)
    assert not _rule_ids(out) & {"CPW-PATCH-START", "CPW-PATCH-STANDBY", "CPW-RESOLV-NAMES"}


@pytest.mark.parametrize(("path", "old", "new"), [
    # the manual's command listing: resume the watch first, then start
    ("orange/patch-start.bat",
     '"X:\\JobCenter\\SV\\bin\\cjcpw" -u jcadmin -c orange.example.com "X:\\vmdb"\r\n'
     "IF ERRORLEVEL 1 GOTO FAILED\r\nARMLoadC JOBSTART /W continue\r\n",
     "ARMLoadC JOBSTART /W continue\r\nIF ERRORLEVEL 1 GOTO FAILED\r\n"
     '"X:\\JobCenter\\SV\\bin\\cjcpw" -u jcadmin -c orange.example.com "X:\\vmdb"\r\n'),
    # no word on how monitoring comes back
    ("orange/patch-start.bat", "ECHO Monitoring is not back yet: the site runs without its watcher. "
     "Restart the group", "ECHO All done."),
])
def test_patch_start_rule(tmp_path, path, old, new):
    out = _write_cpw(tmp_path)
    f = out / path
    text = f.read_bytes().decode()
    assert old in text, old
    f.write_bytes(text.replace(old, new, 1).encode())
    assert "CPW-PATCH-START" in _rule_ids(out)


def test_patch_standby_rule(tmp_path):
    out = _write_cpw(tmp_path)
    f = out / "patch-standby.bat"
    text = f.read_bytes().decode()
    f.write_bytes(text.replace('net stop "Sclaunch Service"\r\n', "").replace(
        'net stop "NetShepherd"', 'net stop "NetShepherd"\r\nnet stop "Sclaunch Service"'
    ).encode())
    assert "CPW-PATCH-STANDBY" in _rule_ids(out)
    f.write_bytes(text.replace("IF DEFINED NQS_SITE GOTO NQS_SITE_SET", "").encode())
    assert "CPW-PATCH-STANDBY" in _rule_ids(out)
    f.unlink()
    assert "CPW-PATCH-STANDBY" in _rule_ids(out)


@pytest.mark.parametrize("cluster", [True, False])
def test_resolv_names_rule(tmp_path, cluster):
    out = _write_cpw(tmp_path)
    f = out / "resolv.def"
    f.write_bytes(b"10.17.21.160\tspencer.example.com\r\n10.17.21.161\tmatto.example.com\r\n"
                  b"10.17.21.162\torange.example.com\r\n")  # the old file: full names only
    assert "CPW-RESOLV-NAMES" in _rule_ids(out, cluster=cluster)


def test_apply_says_the_administrator_is_a_domain_user_and_quotes_commands():
    a = arts(database="X:\\vm db")
    text = a["orange/APPLY.txt"].content
    assert "is a DOMAIN user" in text and "without the domain part" in text
    assert 'X:\\JobCenter\\SV\\bin\\cjcmksite orange.example.com 162 "X:\\vm db"' in text


@pytest.mark.wine
def test_patch_standby_under_wine(wine):  # noqa: F811
    paths, _ = install(wine)
    script = wine.write("X:\\out\\patch-standby.bat",
                        next(x for x in make().render() if x.path == "patch-standby.bat").content)
    wine.stub("net")
    res = wine.run(script, cwd="X:\\bin")  # the stub, not wine's own net.exe
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.commands() == [["net", "stop", "Sclaunch Service"],
                              ["net", "stop", "ComAgent Service"],
                              ["net", "stop", "jnwengine Service"],
                              ["net", "stop", "NetShepherd"]]
    res = wine.run(script, env={"NQS_SITE": "orange.example.com"}, cwd="X:\\bin")
    assert res.returncode == 1 and res.commands() == []
    assert "NQS_SITE is set" in res.stdout + res.stderr
