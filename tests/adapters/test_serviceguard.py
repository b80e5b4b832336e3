"""ServiceGuard adapter: rendered files are linted, executed by real shells with recording
stubs, checked by the adapter's rules, and hostile input is rejected or carried through."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact
from jobcenter_cluster.adapters.serviceguard.adapter import ServiceGuardAdapter
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import example_data, parse_cluster
from jobcenter_cluster.render import write_artifacts
from support import adapters
from support.adapters import stub_layout
from support.carried import CARRIED, PLAIN_POSIX_TAIL, REJECTED, rejected_or_carried
from support.shells import ksh_shells, posix_shells, run_script, shell_argv, shellcheck
from support.stubs import Recorder

SITE = "orange.example.com"
DB = "/mnt/jobdb"


def make(tmp_path: Path, supervisor: str = "jccluster", monitor: bool = True, **extra):
    return adapters.make(ServiceGuardAdapter, **{**stub_layout(tmp_path, supervisor, monitor),
                                                 **extra})


def rendered(tmp_path: Path, **kw) -> tuple[dict[str, Artifact], Recorder, Path]:
    out = tmp_path / "out"
    arts = adapters.rendered(make(tmp_path, **kw), out)
    rec = Recorder(tmp_path)
    for cmd in ("cluster/cjcpw", "nqsportkpr"):
        rec.stub(tmp_path / "nqs" / cmd)
    rec.stub(tmp_path / "bin" / "jccluster")
    for cmd in ("cmrunserv", "cmhaltserv"):
        rec.stub(cmd)
    fake_utils(tmp_path)
    return arts, rec, out


def fake_utils(tmp_path: Path) -> Path:
    """A stand-in for Serviceguard's $SGCONF/scripts/mscripts/utils.sh: its sg_log writes to
    tmp_path/sg.log (the real one logs to the package log)."""
    utils = tmp_path / "sgconf" / "scripts" / "mscripts" / "utils.sh"
    utils.parent.mkdir(parents=True, exist_ok=True)
    utils.write_text(f"sg_log() {{ shift; printf '%s\\n' \"$*\" >>'{tmp_path / 'sg.log'}'; }}\n")
    return utils


def test_renders_both_generations_with_modes(tmp_path):
    arts, _, _ = rendered(tmp_path)
    assert {p: a.mode for p, a in arts.items()} == {
        "orange/legacy/jobcenter-orange.conf": 0o644,
        "orange/legacy/jobcenter-orange.cntl-customer-section": 0o644,
        "orange/modular/jobcenter-orange.conf": 0o644,
        "orange/modular/jobcenter-orange.sh": 0o755,
        "orange/APPLY.txt": 0o644,
    }


def test_cjcpw_supervisor_uses_the_manuals_commands(tmp_path):
    arts, _, _ = rendered(tmp_path, supervisor="cjcpw")
    prefix = tmp_path / "nqs"
    section = arts["orange/legacy/jobcenter-orange.cntl-customer-section"].content
    assert f'SERVICE_CMD[0]="{prefix}/cluster/cjcpw {SITE} {DB}"' in section
    assert "SERVICE_NAME[0]=cjc\n" in section and 'SERVICE_RESTART[0]=""' in section
    run_body = section.split("function customer_defined_run_cmds")[1].split("function")[0]
    commands = [ln.strip() for ln in run_body.splitlines() if ln.strip().startswith("/")]
    assert commands == [f"{prefix}/nqsportkpr {SITE}"]
    assert f"{prefix}/cluster/cjcpw -stop {SITE}" in section.split("customer_defined_halt_cmds")[1]
    conf = arts["orange/modular/jobcenter-orange.conf"].content
    assert f'service_cmd                 "{prefix}/cluster/cjcpw {SITE} {DB}"' in conf
    legacy = arts["orange/legacy/jobcenter-orange.conf"].content
    assert re.search(r"^SERVICE_NAME\s+cjc$", legacy, re.M)
    assert re.search(r"^SERVICE_HALT_TIMEOUT\s+180$", legacy, re.M)  # 120 s stop + 60
    # 180 s service halt + 240 s for the stop (twice cjcpw's 2 minutes, issue 20) + 60
    assert re.search(r"^HALT_SCRIPT_TIMEOUT\s+480$", legacy, re.M)


def test_shellcheck_clean(tmp_path):
    for supervisor in ("jccluster", "cjcpw"):
        for monitor in (True, False):
            d = tmp_path / f"{supervisor}-{monitor}"
            _, _, out = rendered(d, supervisor=supervisor, monitor=monitor)
            for path, dialect in [("orange/modular/jobcenter-orange.sh", "sh"),
                                  ("orange/legacy/jobcenter-orange.cntl-customer-section", "ksh")]:
                res = shellcheck(out / path, dialect)
                assert res.returncode == 0, res.stdout


# A stand-in for the parts of Serviceguard's legacy control script that call our section: the
# real template sources the section's variables, runs customer_defined_run_cmds, then starts each
# service with cmrunserv; at halt it halts the services with cmhaltserv, then runs
# customer_defined_halt_cmds. test_return exits the script when the previous command failed.
HARNESS = r"""
test_return() { rc=$?; if [ "$rc" -ne 0 ]; then echo "ERROR: function failed, code $1" >&2; exit 1; fi; }
. "$1"
case "$2" in
start)
    customer_defined_run_cmds
    i=0
    while [ "$i" -lt "${#SERVICE_NAME[@]}" ]; do
        cmrunserv ${SERVICE_RESTART[$i]} "${SERVICE_NAME[$i]}" "${SERVICE_CMD[$i]}"
        i=$((i + 1))
    done ;;
stop)
    i=0
    while [ "$i" -lt "${#SERVICE_NAME[@]}" ]; do cmhaltserv "${SERVICE_NAME[$i]}"; i=$((i + 1)); done
    customer_defined_halt_cmds ;;
esac
"""


def run_legacy(shell, out, rec, action):
    harness = out / "harness.sh"
    harness.write_text(HARNESS)
    section = out / "orange/legacy/jobcenter-orange.cntl-customer-section"
    return run_script(shell, harness, str(section), action, env={"PATH": rec.path_env()})


@pytest.mark.parametrize("shell", ksh_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_legacy_control_script_section_runs(tmp_path, shell, supervisor):
    _, rec, out = rendered(tmp_path, supervisor=supervisor)
    res = run_legacy(shell, out, rec, "start")
    assert res.returncode == 0, res.stderr
    cmds = rec.commands()
    if supervisor == "cjcpw":
        service_cmd = f"{tmp_path}/nqs/cluster/cjcpw {SITE} {DB}"
        assert cmds == [["nqsportkpr", SITE], ["cmrunserv", "cjc", service_cmd]]
    else:
        jcc = tmp_path / "bin/jccluster"
        service_cmd = f"{jcc} agent serviceguard service {SITE} {DB}"
        assert cmds == [["jccluster", "agent", "serviceguard", "keep-port", SITE],
                        ["cmrunserv", "cjc", service_cmd]]
    # cmrunserv runs the service command with /usr/bin/sh: it must start the watcher as written.
    rec.clear()
    subprocess.run(["/bin/sh", "-c", service_cmd], check=True, env={"PATH": "/nonexistent"})
    assert rec.commands()[0][-2:] == [SITE, DB]
    assert rec.commands()[0][-3] in ("service", "cjcpw")
    rec.clear()
    res = run_legacy(shell, out, rec, "stop")
    assert res.returncode == 0, res.stderr
    stop = ["cjcpw", "-stop", SITE] if supervisor == "cjcpw" else [
        "jccluster", "agent", "serviceguard", "stop", SITE]
    assert rec.commands() == [["cmhaltserv", "cjc"], stop]


@pytest.mark.parametrize("shell", ksh_shells())
def test_legacy_without_monitoring_starts_with_c_and_has_no_service(tmp_path, shell):
    arts, rec, out = rendered(tmp_path, supervisor="cjcpw", monitor=False)
    conf = arts["orange/legacy/jobcenter-orange.conf"].content
    assert not re.search(r"^SERVICE_", conf, re.M)
    assert not re.search(r"^SERVICE_", arts[LEGACY].content, re.M)
    res = run_legacy(shell, out, rec, "start")
    assert res.returncode == 0, res.stderr
    assert rec.commands() == [["nqsportkpr", SITE], ["cjcpw", "-c", SITE, DB]]


@pytest.mark.parametrize("shell", ksh_shells())
def test_legacy_run_stops_when_nqsportkpr_fails(tmp_path, shell):
    _, rec, out = rendered(tmp_path, supervisor="cjcpw", monitor=False)
    rec.set_exit("nqsportkpr", 1)
    res = run_legacy(shell, out, rec, "start")
    assert res.returncode == 1 and "code 51" in res.stderr
    assert rec.commands() == [["nqsportkpr", SITE]]


def external(shell, out, rec, action):
    """Run the external script as Serviceguard does: SG_UTILS names its utils.sh."""
    utils = out.parent / "sgconf/scripts/mscripts/utils.sh"
    return run_script(shell, out / "orange/modular/jobcenter-orange.sh", action,
                      env={"PATH": rec.path_env(), "SG_UTILS": str(utils)})


@pytest.mark.parametrize("shell", posix_shells())
def test_external_script_entry_points(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    jcc = ["jccluster", "agent", "serviceguard"]
    assert external(shell, out, rec, "start").returncode == 0
    assert rec.commands() == [[*jcc, "keep-port", SITE]]  # the service starts the site
    rec.clear()
    assert external(shell, out, rec, "stop").returncode == 0
    assert rec.commands() == [[*jcc, "stop", SITE]]
    rec.clear()
    assert external(shell, out, rec, "validate").returncode == 0
    assert rec.commands() == [[*jcc, "validate", SITE, DB]]
    rec.clear()
    res = external(shell, out, rec, "restart")
    assert res.returncode == 1 and rec.commands() == []
    assert "usage" in (tmp_path / "sg.log").read_text()  # through Serviceguard's sg_log


@pytest.mark.parametrize("shell", posix_shells())
def test_external_script_passes_serviceguard_codes_through(tmp_path, shell):
    """The agent already answers in external-script codes: 2 (restart elsewhere) must reach
    Serviceguard unchanged, and a failed stop is 1 (halt, do not restart)."""
    _, rec, out = rendered(tmp_path, monitor=False)
    rec.set_exit("jccluster", 2)
    res = external(shell, out, rec, "start")
    assert res.returncode == 2
    assert rec.commands() == [["jccluster", "agent", "serviceguard", "keep-port", SITE]]
    assert "failed (exit 2)" in (tmp_path / "sg.log").read_text()
    rec.set_exit("jccluster", 0)
    rec.clear()
    assert external(shell, out, rec, "start").returncode == 0
    assert [c[3] for c in rec.commands()] == ["keep-port", "start"]
    rec.set_exit("jccluster", 1)
    assert external(shell, out, rec, "stop").returncode == 1


@pytest.mark.parametrize("shell", posix_shells())
def test_external_script_cjcpw_variant(tmp_path, shell):
    _, rec, out = rendered(tmp_path, supervisor="cjcpw", monitor=False)
    assert external(shell, out, rec, "start").returncode == 0
    assert rec.commands() == [["nqsportkpr", SITE], ["cjcpw", "-c", SITE, DB]]
    rec.clear()
    rec.set_exit("nqsportkpr", 7)
    assert external(shell, out, rec, "start").returncode == 2  # try another node
    assert rec.commands() == [["nqsportkpr", SITE]]
    assert external(shell, out, rec, "validate").returncode == 0
    (tmp_path / "nqs/cluster/cjcpw").unlink()
    res = external(shell, out, rec, "validate")
    assert res.returncode == 1
    assert "is not installed on this node" in (tmp_path / "sg.log").read_text()


def test_modular_service_cmd_runs_under_sh(tmp_path):
    _, rec, out = rendered(tmp_path)
    conf = (out / "orange/modular/jobcenter-orange.conf").read_text()
    cmd = re.search(r'^service_cmd\s+"(.*)"$', conf, re.M).group(1)
    subprocess.run(["/bin/sh", "-c", cmd], check=True, env={})
    assert rec.commands() == [["jccluster", "agent", "serviceguard", "service", SITE, DB]]


def test_several_sites_get_unique_packages_and_services(tmp_path):
    d = example_data({"cluster": {"install_prefix": str(tmp_path)}})
    d["site"].append({"name": "lemon.example.com", "address": "10.17.21.163", "machine_id": 163,
                      "database": "/mnt/jobdb2", "netmask": "255.255.255.0"})
    adapter = ServiceGuardAdapter(parse_cluster(d))
    arts = adapter.render()
    assert {a.path.split("/")[0] for a in arts} == {"orange", "lemon"}
    services = {re.search(r"^SERVICE_NAME\s+(\S+)$", a.content, re.M).group(1)
                for a in arts if a.path.endswith("legacy/jobcenter-orange.conf")
                or a.path.endswith("legacy/jobcenter-lemon.conf")}
    assert services == {"cjc-orange", "cjc-lemon"}
    d["site"][1]["serviceguard"] = {"package": "jobcenter-orange"}
    with pytest.raises(ConfigError, match=r"site\[1\].serviceguard.package: 'jobcenter-orange' is "
                       "already used"):
        ServiceGuardAdapter(parse_cluster(d))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"cluster": {"jccluster": "jccluster"}},
         "cluster.jccluster: 'jccluster' must be an absolute path (Serviceguard passes no PATH"),
        ({"site": [{"database": "/mnt/job db"}]},
         "site[0].database: '/mnt/job db' cannot stand in a Serviceguard service command"),
        ({"cluster": {"product": "jobcenter-windows"}, "site": [{"database": "Q:\\jobdb"}]},
         "cluster.product: Serviceguard runs on HP-UX and Linux"),
        ({"site": [{"serviceguard": {"package": "-bad"}}]},
         "site[0].serviceguard.package: '-bad' is not a Serviceguard name"),
        ({"site": [{"serviceguard": {"halt_script_timeout": 100}}]},
         "site[0].serviceguard.halt_script_timeout: 100 s is too short"),
        ({"site": [{"serviceguard": {"subnet": "10.17.21"}}]},
         "site[0].serviceguard.subnet: '10.17.21' is not an IPv4 subnet address"),
        ({"serviceguard": {"auto_run": "yes"}}, "serviceguard.auto_run: must be true or false"),
        ({"serviceguard": {"autorun": True}}, "serviceguard.autorun: unknown key (did you mean 'auto_run'?)"),
    ],
)
def test_bad_input_is_one_precise_line(overrides, expected):
    with pytest.raises(ConfigError) as exc:
        ServiceGuardAdapter(parse_cluster(example_data(overrides), adapter_names=["serviceguard"]))
    assert expected in str(exc.value) and "\n" not in str(exc.value)


def test_cli_rejects_without_traceback_and_writes_nothing(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text((Path(__file__).parents[2] / "jobcenter_cluster/model.py").read_text()
                   .split("EXAMPLE_TOML = '''\\\n")[1].split("'''")[0]
                   .replace('database = "/mnt/jobdb"', 'database = "/mnt/job db"'))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "render", "serviceguard",
                          "-c", str(cfg), "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"jccluster: {cfg}: site[0].database:")
    assert not out.exists()


def test_hostile_database_paths_are_rejected_or_carried_through(tmp_path_factory):
    def check(tail: str) -> str:
        tmp = tmp_path_factory.mktemp("hostile")
        db = "/mnt/" + tail
        try:
            adapter = make(tmp, monitor=False, site=[{"database": db, "monitor": False}])
        except ConfigError as err:
            assert "\n" not in str(err) and ("database" in str(err))
            return REJECTED
        arts = adapter.render()
        out = tmp / "out"
        write_artifacts(arts, str(out))
        rec = Recorder(tmp)
        rec.stub(tmp / "bin" / "jccluster")
        script = out / "orange/modular/jobcenter-orange.sh"
        assert subprocess.run([*shell_argv("dash"), "-n", str(script)]).returncode == 0
        res = run_script("dash", script, "validate", env={"PATH": rec.path_env(),
                                                          "SG_UTILS": str(fake_utils(tmp))})
        assert res.returncode == 0, res.stderr
        assert rec.commands()[-1][-1] == db
        return CARRIED

    hostile = st.text(alphabet=st.sampled_from(list("ab/._-+@%=:,$`'\" \\;&|\n!*?é")),
                      min_size=1, max_size=12)
    # the package files hold the database unquoted: a path of the plain characters is carried
    rejected_or_carried(check, hostile={"tail": hostile}, plain={"tail": PLAIN_POSIX_TAIL})


# --------------------------------------------------------------------------- check rules


def check_dir(tmp_path, out):
    cfg = tmp_path / "c.toml"
    if not cfg.exists():
        cfg.write_text(_toml(example_data({"cluster": {
            "install_prefix": str(tmp_path / "nqs"), "jccluster": str(tmp_path / "bin/jccluster")}})))
    return run_checks(ServiceGuardAdapter, config=str(cfg), directory=str(out),
                      adapter_names=["serviceguard"])


def _value(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return str(v) if isinstance(v, int) else json.dumps(v)


def _toml(d) -> str:
    """The few TOML shapes the cluster file uses: one table and arrays of flat tables."""
    lines = ["[cluster]"] + [f"{k} = {_value(v)}" for k, v in d["cluster"].items()]
    for table in ("node", "site"):
        for item in d[table]:
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def ids(findings):
    return sorted({f.rule for f in findings if f.severity == "error"})


def test_clean_render_passes_every_rule(tmp_path):
    # with storage: a package without any draws SG-STORAGE's warning (issue 20)
    _, _, out = rendered(tmp_path, site=[{"serviceguard": {"vg": "vgjob",
                                                          "fs_name": "/dev/vgjob/lvol1"}}])
    assert check_dir(tmp_path, out) == []
    assert run_checks(ServiceGuardAdapter, config=None, directory=str(out)) == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1))


LEGACY = "orange/legacy/jobcenter-orange.cntl-customer-section"
MODULAR_SH = "orange/modular/jobcenter-orange.sh"
LEGACY_CONF = "orange/legacy/jobcenter-orange.conf"
MODULAR_CONF = "orange/modular/jobcenter-orange.conf"


@pytest.mark.parametrize(
    ("rule", "path", "old", "new"),
    [
        ("SG-PORTKEEPER-FIRST", MODULAR_SH, "    run ", "    run /bin/true || return 2\n    run "),
        ("SG-PORTKEEPER-FIRST", LEGACY, "    @JCC@ agent serviceguard keep-port",
         "    /bin/true\n    @JCC@ agent serviceguard keep-port"),
        ("SG-NO-C-MONITORED", LEGACY, "    test_return 51",
         "    test_return 51\n    @NQS@/cluster/cjcpw -c orange.example.com /mnt/jobdb"),
        ("SG-STOP-IN-HALT", LEGACY, "@JCC@ agent serviceguard stop orange.example.com", "/bin/true"),
        ("SG-HALT-TIMEOUT", MODULAR_CONF, "halt_script_timeout         @HALT@",
         "halt_script_timeout         @SVC@"),
        ("SG-HALT-TIMEOUT", LEGACY_CONF, "SERVICE_HALT_TIMEOUT        @SVC@",
         "SERVICE_HALT_TIMEOUT        1"),
        ("SG-SERVICE-MATCH", LEGACY_CONF, "SERVICE_NAME                cjc",
         "SERVICE_NAME                jobsvc"),
        ("SG-ABSOLUTE-COMMAND", MODULAR_CONF, 'service_cmd                 "/', 'service_cmd                 "'),
        ("CORE-DATABASE-SAME", LEGACY, "orange.example.com /mnt/jobdb\"",
         "orange.example.com /mnt/jobdb2\""),
        ("CORE-SHELL-SYNTAX", MODULAR_SH, "stop_command() {", "stop_command() { ("),
        ("CORE-SHELLCHECK", MODULAR_SH, 'case "${1:-}" in', "unused_variable=1\ncase \"${1:-}\" in"),
    ],
)
def test_each_rule_catches_a_hand_broken_artifact(tmp_path, rule, path, old, new):
    _, _, out = rendered(tmp_path)
    t = make(tmp_path).timeouts(make(tmp_path).sites[0])
    fmt = {"@JCC@": str(tmp_path / "bin/jccluster"), "@NQS@": str(tmp_path / "nqs"),
           "@HALT@": str(t["halt_script"]), "@SVC@": str(t["service_halt"])}
    for key, value in fmt.items():
        old, new = old.replace(key, value), new.replace(key, value)
    _edit(out / path, old, new)
    found = check_dir(tmp_path, out)
    assert rule in ids(found), found
    hit = next(f for f in found if f.rule == rule)
    assert hit.file == path and hit.source


def test_daemon_conf_with_six_addresses_is_caught(tmp_path):
    _, _, out = rendered(tmp_path)
    (out / "daemon.conf").write_text("ipaddress=" + ",".join(f"10.0.0.{i}" for i in range(6)) + "\n")
    found = check_dir(tmp_path, out)
    assert ids(found) == ["CORE-IPADDRESS-MAX5"]
    assert found[0].line == 1


def test_duplicate_machine_id_in_the_cluster_file_is_caught(tmp_path):
    cfg = tmp_path / "c.toml"
    d = example_data({"site": [{"machine_id": 160}]})
    cfg.write_text(_toml(d))
    found = run_checks(ServiceGuardAdapter, config=str(cfg))
    assert ids(found) == ["CORE-UNIQUE-MID"]


# --------------------------------------------------------------------------- end to end


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", ["ksh93", "dash"])
def test_package_lifecycle_against_a_simulator_site(tmp_path, sim_site, reaper, poll_for, shell):
    """The rendered files drive a real (simulator) site through our real CLI: the external
    script's start holds the port, the service command starts and watches the site, a killed
    daemon makes the service exit (Serviceguard would fail over), the halt path stops it all."""
    import signal

    from jobcenter_cluster.outcome import Outcome

    jcc = Path(sys.executable).with_name("jccluster")
    d = example_data({"cluster": {"product": "simulator", "jccluster": str(jcc),
                                  "spool_root": sim_site.root},
                      "site": [{"name": sim_site.name, "address": sim_site.address,
                                "database": sim_site.db}]})
    adapter = ServiceGuardAdapter(parse_cluster(d))
    out = tmp_path / "pkg"
    write_artifacts(adapter.render(), str(out))
    short = sim_site.name.split(".")[0]
    script = out / f"{short}/modular/jobcenter-{short}.sh"
    env = {"PATH": "/usr/bin:/bin", "SG_UTILS": str(fake_utils(tmp_path))}
    res = run_script(shell, script, "validate", env=env)
    assert res.returncode == 0, res.stderr
    res = run_script(shell, script, "start", env=env)
    assert res.returncode == 0, res.stderr
    conf = (out / f"{short}/modular/jobcenter-{short}.conf").read_text()
    service_cmd = re.search(r'^service_cmd\s+"(.*)"$', conf, re.M).group(1)
    service = reaper.popen(["/bin/sh", "-c", service_cmd], env={}, stderr=subprocess.PIPE,
                           text=True)
    poll_for(lambda: sim_site.status().outcome is Outcome.RUNNING, timeout=30, what="running")
    os.kill(sim_site.pid("sclaunchd"), signal.SIGKILL)
    assert service.wait(timeout=10) == 1
    assert "sclaunchd" in service.stderr.read()
    res = run_script(shell, script, "stop", env=env)
    assert res.returncode == 0, res.stderr
    assert sim_site.status().outcome is Outcome.STOPPED
    assert reaper.site_pids() == []


# --------------------------------------------------------------------------- vendor review (issue 11)


def test_modular_file_names_its_modules_with_versions(tmp_path):
    arts, _, _ = rendered(tmp_path, site=[{"serviceguard": {"vg": "vgjob",
                                                            "fs_name": "/dev/vgjob/lvol1"}}])
    conf = arts[MODULAR_CONF].content
    pairs = re.findall(r"^module_name\s+(\S+)\nmodule_version\s+(\d+)$", conf, re.M)
    assert pairs == [("sg/basic", "1"), ("sg/failover", "1"), ("sg/package_ip", "1"),
                     ("sg/service", "1"), ("sg/volume_group", "1"), ("sg/filesystem", "1"),
                     ("sg/external", "1")]
    assert conf.index("module_name") > conf.index("package_name")
    plain = rendered(tmp_path / "b", monitor=False)[0][MODULAR_CONF].content
    assert re.findall(r"^module_name\s+(\S+)$", plain, re.M) == [
        "sg/basic", "sg/failover", "sg/package_ip", "sg/external"]  # no service, no storage
    apply = arts["orange/APPLY.txt"].content
    assert "cmmakepkg -m sg/basic -m sg/failover -m sg/package_ip -m sg/service " in apply


@pytest.mark.parametrize("product,distribution,etc,sbin", [
    ("jobcenter-hpux", None, "/etc/cmcluster", "/usr/sbin"),
    ("jobcenter-linux", None, "/usr/local/cmcluster/conf", "/usr/local/cmcluster/bin"),
    ("jobcenter-linux", "redhat", "/usr/local/cmcluster/conf", "/usr/local/cmcluster/bin"),
    ("jobcenter-linux", "suse", "/opt/cmcluster/conf", "/opt/cmcluster/bin"),
])
def test_config_directory_follows_the_os_and_distribution(tmp_path, product, distribution,
                                                          etc, sbin):
    sg = {"distribution": distribution} if distribution else {}
    arts, _, _ = rendered(tmp_path, serviceguard=sg,
                          cluster={"product": product, "install_prefix": str(tmp_path / "nqs"),
                                   "jccluster": str(tmp_path / "bin/jccluster")})
    conf = arts[MODULAR_CONF].content
    assert f"external_script             {etc}/jobcenter-orange/jobcenter-orange.sh" in conf
    script = arts[MODULAR_SH].content
    assert re.search(rf"^PATH=/\S*:{re.escape(sbin)}; export PATH$|^PATH=\S*{re.escape(sbin)}\S*;",
                     script, re.M), script[:900]
    assert f'SG_UTILS="${{SGCONF:-{etc}}}/scripts/mscripts/utils.sh"' in script
    legacy = arts[LEGACY_CONF].content
    assert f"RUN_SCRIPT                  {etc}/jobcenter-orange/jobcenter-orange.cntl" in legacy


def test_config_directory_can_be_set(tmp_path):
    arts, _, _ = rendered(tmp_path, serviceguard={"etc_dir": "/srv/sg/conf"})
    assert "external_script             /srv/sg/conf/jobcenter-orange/" in arts[MODULAR_CONF].content
    assert ":/srv/sg/bin; export PATH" in arts[MODULAR_SH].content
    with pytest.raises(ConfigError, match=r"serviceguard\.sbin_dir: is required"):
        make(tmp_path, serviceguard={"etc_dir": "/srv/sg"})
    arts, _, _ = rendered(tmp_path / "b", serviceguard={"etc_dir": "/srv/sg",
                                                        "sbin_dir": "/srv/sgbin"})
    assert ":/srv/sgbin; export PATH" in arts[MODULAR_SH].content


@pytest.mark.parametrize("shell", posix_shells())
def test_external_script_sources_utils_sh_when_serviceguard_sets_sg_utils(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    rec.set_exit("jccluster", 2)
    assert external(shell, out, rec, "start").returncode == 2
    log = (tmp_path / "sg.log").read_text()  # logged with Serviceguard's own sg_log
    assert "JobCenter orange.example.com: '" in log and "failed (exit 2)" in log


@pytest.mark.parametrize("shell", ["dash", "bash", "ksh93"])
def test_external_script_finds_utils_sh_through_cmcluster_conf_or_fails_clearly(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    script = out / MODULAR_SH
    conf = tmp_path / "cmcluster.conf"
    conf.write_text(f"SGCONF={tmp_path / 'sgconf'}\nSGSBIN=/nonexistent\n")
    res = run_script(shell, script, "validate", env={"SGCONFFILE": str(conf)})
    assert res.returncode == 0, res.stderr
    conf.write_text(f"SGCONF={tmp_path / 'elsewhere'}\n")
    res = run_script(shell, script, "validate", env={"SGCONFFILE": str(conf)})
    assert res.returncode == 1 and rec.commands()[-1][-3] == "validate"
    assert res.stderr == ("ERROR: Unable to find package utility functions file: "
                          f"{tmp_path / 'elsewhere'}/scripts/mscripts/utils.sh\n")


def test_subnet_comes_from_the_netmask_and_is_never_guessed(tmp_path):
    arts, _, _ = rendered(tmp_path, site=[{"netmask": "255.255.0.0"}])
    assert re.search(r"^ip_subnet\s+10\.17\.0\.0$", arts[MODULAR_CONF].content, re.M)
    assert re.search(r"^SUBNET\s+10\.17\.0\.0$", arts[LEGACY_CONF].content, re.M)
    assert "SUBNET[0]=10.17.0.0" in arts[LEGACY].content
    d = example_data()
    del d["site"][0]["netmask"]
    with pytest.raises(ConfigError) as err:
        ServiceGuardAdapter(parse_cluster(d, adapter_names=["serviceguard"]))
    assert ": site[0].netmask: is required for Serviceguard's SUBNET" in str(err.value)
    d["site"][0]["serviceguard"] = {"subnet": "10.17.0.0"}  # an explicit subnet is no guess
    assert "ip_subnet                   10.17.0.0" in {
        a.path: a.content for a in ServiceGuardAdapter(parse_cluster(d)).render()}[
        "orange/modular/jobcenter-orange.conf"]
    with pytest.raises(ConfigError, match=r"site\[0\]\.serviceguard\.subnet: 10\.17\.0\.0 is "
                       "not the network"):
        make(tmp_path, site=[{"serviceguard": {"subnet": "10.17.0.0"}}])


def test_apply_follows_the_manuals_bootstrap_order(tmp_path):
    for sup in ("jccluster", "cjcpw"):
        text = rendered(tmp_path / sup, supervisor=sup)[0]["orange/APPLY.txt"].content
        steps = ["local_daemon=SITE", "local_daemon=OFF", "nqsstop", "dummy", "cmrunpkg",
                 "cjcmksite orange.example.com 162 /mnt/jobdb",
                 "cjcpw orange.example.com /mnt/jobdb", "cjcpw -stop orange.example.com",
                 "cmhaltpkg jobcenter-orange", "jobcenter-orange.sh to", "cmapplyconf"]
        pos = 0
        for step in steps:
            pos = text.index(step, pos)
            pos += len(step)


# Commands the external script runs by name; an attacker plants them first in root's PATH.
PLANTED = ("date", "cat", "ps", "rm", "awk", "printf", "kill", "logger", "sleep", "env", "sh",
           "test", "[", "echo", "jccluster", "cjcpw", "nqsportkpr", "sg_log", "cmviewcl")


@pytest.mark.parametrize("shell", posix_shells())
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_external_script_never_runs_a_command_planted_in_the_callers_path(tmp_path, shell,
                                                                         supervisor):
    _, rec, out = rendered(tmp_path, supervisor=supervisor, monitor=False)
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    for name in PLANTED:
        (evil / name).write_text(f"#!/bin/sh\necho {name} >>{marker}\nexit 0\n")
        (evil / name).chmod(0o755)
    utils = tmp_path / "sgconf/scripts/mscripts/utils.sh"
    # Serviceguard's real sg_log runs commands by name (date ...): so does this stand-in
    utils.write_text("sg_log() { shift; printf '%s %s\\n' \"$(date)\" \"$*\" >&2; }\n")
    env = {"PATH": f"{evil}:/usr/bin:/bin", "SG_UTILS": str(utils)}
    for action in ("start", "stop", "validate", "bogus"):
        run_script(shell, out / MODULAR_SH, action, env=env)
    rec.set_exit("jccluster", 1)
    rec.set_exit("nqsportkpr", 1)
    run_script(shell, out / MODULAR_SH, "start", env=env)
    assert not marker.exists(), marker.read_text()
    assert rec.commands()


@pytest.mark.parametrize(
    ("rule", "path", "old", "new"),
    [
        ("SG-MODULES", MODULAR_CONF, "module_name                 sg/package_ip\n"
         "module_version              1\n", ""),
        ("SG-MODULES", MODULAR_CONF, "module_version              1\nmodule_name"
         "                 sg/failover", "module_name                 sg/failover"),
        ("SG-CONF-DIR", MODULAR_CONF, "external_script             /usr/local/cmcluster/conf/",
         "external_script             /etc/cmcluster/"),
        ("SG-CONF-DIR", LEGACY_CONF, "RUN_SCRIPT                  /usr/local/cmcluster/conf/",
         "RUN_SCRIPT                  /etc/cmcluster/"),
        ("SG-UTILS-SOURCED", MODULAR_SH, '. "$SG_UTILS" || {',
         'if [ -z "${SG_UTILS:-}" ]; then . "$SG_UTILS"; fi\n{'),
        ("SG-SUBNET", MODULAR_CONF, "ip_subnet                   10.17.21.0",
         "ip_subnet                   10.17.0.0"),
        ("SG-SUBNET", LEGACY, "SUBNET[0]=10.17.21.0", "SUBNET[0]=10.17.20.0"),
        ("SG-APPLY-BOOTSTRAP", "orange/APPLY.txt", "Choose ONE", "Choose ONE"),  # see below
        ("CORE-FIXED-PATH", MODULAR_SH, "PATH=/usr/sbin:", "PATH=$PATH:/usr/sbin:"),
    ],
)
def test_each_new_rule_catches_a_hand_broken_artifact(tmp_path, rule, path, old, new):
    _, _, out = rendered(tmp_path)
    text = (out / path).read_text()
    if rule == "SG-APPLY-BOOTSTRAP":  # every mention of the setting goes
        text = text.replace("local_daemon=OFF", "").replace("local_daemon", "local daemon")
        (out / path).write_text(text)
    _edit(out / path, old, new)
    found = check_dir(tmp_path, out)
    # one finding per broken line: the PATH rule is the core's alone (CORE-FIXED-PATH)
    assert ids(found) == [rule], found
    hit = next(f for f in found if f.rule == rule)
    assert hit.file == path and hit.source


def test_conf_dir_rule_without_an_adapter_knows_hpux_from_linux(tmp_path):
    _, _, out = rendered(tmp_path)
    _edit(out / MODULAR_CONF, "external_script             /usr/local/cmcluster/conf/",
          "external_script             /etc/cmcluster/")
    assert "SG-CONF-DIR" in ids(check_dir(tmp_path, out))
