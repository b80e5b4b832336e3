"""Pacemaker adapter: the rendered OCF agent runs under every POSIX shell with recording stubs
(supervisor jccluster and cjcpw), its meta-data is valid against ra-api-1.dtd, the cluster
configuration is checked by Pacemaker's own crm_verify and by the adapter's rules, the systemd
unit by systemd-analyze, and hostile input is rejected or carried through unchanged.

The live tests (ocf-tester, crm_resource, a running cluster, failover) are in tests/pacemaker/.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobcenter_cluster.adapter import Artifact, stop_seconds
from jobcenter_cluster.adapters.pacemaker import DEADLINE_FRACTION, SPEC
from jobcenter_cluster.adapters.pacemaker.adapter import PacemakerAdapter, crm_quote, systemd_quote
from jobcenter_cluster.adapters.pacemaker.ocf import META_END, advised_timeout
from jobcenter_cluster.checks import run_checks
from jobcenter_cluster.engine.api import DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT
from jobcenter_cluster.errors import ConfigError, RenderError
from jobcenter_cluster.model import example_cluster
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.render import write_artifacts
from jobcenter_cluster.simulator.install import install
from support import adapters
from support.adapters import stub_layout
from support.jobcenter_cmds import Emulated, emulated_at
from support.shells import posix_shells, run_script, shell_argv, shellcheck
from support.sites import poll_for
from support.stubs import Recorder

SITE = "orange.example.com"
DB = "/mnt/jobdb"
DTD = "/usr/share/resource-agents/ra-api-1.dtd"
AGENT = "ocf/jobcenter/site"
#: OCF_ERR_UNIMPLEMENTED (Open Cluster Framework Resource Agent API, "Return codes"; Pacemaker
#: Explained, "OCF Return Codes"): the action is not implemented by the agent
OCF_ERR_UNIMPLEMENTED = 3


def make(tmp_path: Path, supervisor: str = "jccluster", monitor: bool = True,
         site_opts: dict | None = None, **extra) -> PacemakerAdapter:
    site = None if site_opts is None else {"pacemaker": site_opts}
    return adapters.make(PacemakerAdapter, **{**stub_layout(tmp_path, supervisor, monitor, site),
                                              **extra})


def rendered(tmp_path: Path, **kw) -> tuple[dict[str, Artifact], Recorder, Path]:
    out = tmp_path / "out"
    arts = adapters.rendered(make(tmp_path, **kw), out)
    rec = Recorder(tmp_path)
    rec.stub(tmp_path / "bin" / "jccluster")
    rec.stub("pcs")
    return arts, rec, out


def ocf_env(**params: str) -> dict[str, str]:
    env = {"OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "t",
           "OCF_RESKEY_CRM_meta_interval": "2000", "OCF_RESKEY_CRM_meta_timeout": "20000"}
    env.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
    return env


# --------------------------------------------------------------------------- rendering


def test_example_renders_without_an_option_table_with_modes():
    arts = {a.path: a for a in PacemakerAdapter(example_cluster()).render()}
    assert {p: a.mode for p, a in arts.items()} == {
        AGENT: 0o755,
        "APPLY.txt": 0o644,
        "orange/pcs.sh": 0o755,
        "orange/crm.txt": 0o644,
        "orange/cib.xml": 0o644,
        "orange/systemd/jobcenter-orange.service": 0o644,
    }
    assert PacemakerAdapter.example_overrides() == {}


def test_example_passes_every_check_rule(tmp_path):
    cfg = tmp_path / "jccluster.toml"
    from jobcenter_cluster.model import EXAMPLE_TOML

    cfg.write_text(EXAMPLE_TOML)
    findings = run_checks(PacemakerAdapter, config=str(cfg))
    assert [f for f in findings if f.severity == "error"] == []
    # no fs_device in the example: the shared disk is not managed -- a warning, not an error
    assert {f.rule for f in findings} == {"PCMK-SHARED-DISK"}


def test_timeouts_are_derived_from_the_engine_deadlines():
    a = PacemakerAdapter(example_cluster())
    t = a.timeouts()
    assert t.stop == advised_timeout(DEFAULT_STOP_TIMEOUT) == 150
    assert t.stop * DEADLINE_FRACTION >= DEFAULT_STOP_TIMEOUT
    assert t.start * DEADLINE_FRACTION >= DEFAULT_START_TIMEOUT
    assert t.monitor_interval == 2
    cib = ET.fromstring(a.cib_xml(a.sites[0]))
    ops = {op.get("name"): op for op in cib.iter("op") if "site" in str(op.get("id"))}
    assert ops["stop"].get("timeout") == "150s"
    assert ops["monitor"].get("interval") == "2s"


def test_cib_group_orders_disk_address_site(tmp_path):
    a = make(tmp_path, site_opts={"fs_device": "/dev/vg_job/lv_db", "cidr_netmask": 24,
                                  "nic": "eth0", "fs_options": "noatime"})
    root = ET.fromstring(a.cib_xml(a.sites[0]))
    assert root.tag == "group" and root.get("id") == "jobcenter-orange"
    prims = [p for p in root if p.tag == "primitive"]
    assert [(p.get("class"), p.get("provider"), p.get("type")) for p in prims] == [
        ("ocf", "heartbeat", "Filesystem"), ("ocf", "heartbeat", "IPaddr2"),
        ("ocf", "jobcenter", "site")]
    params = {p.get("id"): {n.get("name"): n.get("value") for n in p.iter("nvpair")
                            if "instance" in str(n.get("id"))} for p in prims}
    assert params["jobcenter-orange-fs"] == {"device": "/dev/vg_job/lv_db", "directory": DB,
                                             "fstype": "ext4", "options": "noatime"}
    assert params["jobcenter-orange-ip"] == {"ip": "10.17.21.162", "cidr_netmask": "24",
                                             "nic": "eth0"}
    assert params["jobcenter-orange-site"]["site"] == SITE
    assert params["jobcenter-orange-site"]["database"] == DB
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), "CIB IDs must be unique"


@pytest.mark.skipif(not shutil.which("crm_verify") or not shutil.which("cibadmin"),
                    reason="pacemaker-cli-utils not installed")
def test_cib_xml_passes_crm_verify(tmp_path):
    """Pacemaker's own validator accepts the group inside an otherwise empty CIB."""
    a = make(tmp_path, site_opts={"fs_device": "/dev/vg_job/lv_db"})
    empty = subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True, check=True)
    cib = ET.fromstring(empty.stdout)
    crm_config = cib.find("configuration/crm_config")
    assert crm_config is not None
    props = ET.SubElement(crm_config, "cluster_property_set", id="cib-bootstrap-options")
    ET.SubElement(props, "nvpair", id="opt-stonith", name="stonith-enabled", value="false")
    resources = cib.find("configuration/resources")
    assert resources is not None
    resources.append(ET.fromstring(a.cib_xml(a.sites[0])))
    path = tmp_path / "cib.xml"
    path.write_text(ET.tostring(cib, encoding="unicode"))
    proc = subprocess.run(["crm_verify", "--xml-file", str(path), "-V"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_pcs_script(shell: str, script, rec, tmpdir) -> subprocess.CompletedProcess[str]:
    """Run pcs.sh with the recording ``pcs`` as the one its fixed PATH finds: the stub directory
    bind-mounted over /usr/local/sbin in a private mount namespace (nothing outside changes)."""
    import shlex

    argv = " ".join(shlex.quote(a) for a in [*shell_argv(shell), str(script)])
    inner = f"mount --bind {shlex.quote(str(rec.bin))} /usr/local/sbin && exec {argv}"
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", inner],
                          env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8",
                               "TMPDIR": str(tmpdir)},
                          capture_output=True, text=True, timeout=60)


def test_pcs_script_runs_under_every_shell_with_a_recording_pcs(tmp_path):
    arts, rec, out = rendered(tmp_path, site_opts={"fs_device": "/dev/vg_job/lv_db"})
    script = out / "orange" / "pcs.sh"
    assert shellcheck(script, "sh").returncode == 0
    for shell in posix_shells():
        rec.clear()
        res = run_pcs_script(shell, script, rec, tmp_path)
        assert res.returncode == 0, (shell, res.stderr)
        cmds = rec.commands()
        cib = cmds[0][3]
        assert cmds[0] == ["pcs", "cluster", "cib", cib]
        assert cmds[1][:6] == ["pcs", "-f", cib, "resource", "create", "jobcenter-orange-fs"]
        assert cmds[1][6:10] == ["ocf:heartbeat:Filesystem", "device=/dev/vg_job/lv_db",
                                 f"directory={DB}", "fstype=ext4"]
        assert cmds[2][5:8] == ["jobcenter-orange-ip", "ocf:heartbeat:IPaddr2",
                                "ip=10.17.21.162"]
        site = cmds[3]
        assert site[5:7] == ["jobcenter-orange-site", "ocf:jobcenter:site"]
        assert f"site={SITE}" in site and f"database={DB}" in site
        joined = " ".join(site)
        assert "op stop interval=0s timeout=150s" in joined
        assert "op monitor interval=2s timeout=20s" in joined
        assert "meta migration-threshold=3 failure-timeout=600s" in joined
        assert cmds[4] == ["pcs", "-f", cib, "resource", "group", "add", "jobcenter-orange",
                           "jobcenter-orange-fs", "jobcenter-orange-ip", "jobcenter-orange-site"]
        assert cmds[5] == ["pcs", "-f", cib, "resource", "meta", "jobcenter-orange",
                           "resource-stickiness=100"]
        assert cmds[6] == ["pcs", "cluster", "cib-push", cib, "--config"]
        assert not os.path.exists(cib), "the offline CIB copy is removed"


def test_pcs_script_stops_at_the_first_failure(tmp_path):
    _, rec, out = rendered(tmp_path)
    rec.set_exit("pcs", 1)
    res = run_pcs_script("dash", out / "orange" / "pcs.sh", rec, tmp_path)
    assert res.returncode == 1
    assert [c[1:3] for c in rec.commands()] == [["cluster", "cib"]]


def test_crm_snippet_carries_the_same_configuration(tmp_path):
    arts, _, _ = rendered(tmp_path, site_opts={"fs_device": "/dev/vg_job/lv_db"})
    text = arts["orange/crm.txt"].content
    words = shlex.split(text.replace("\\\n", " "), comments=True)
    prims = [i for i, w in enumerate(words) if w == "primitive"]
    assert [words[i + 1:i + 3] for i in prims] == [
        ["jobcenter-orange-fs", "ocf:heartbeat:Filesystem"],
        ["jobcenter-orange-ip", "ocf:heartbeat:IPaddr2"],
        ["jobcenter-orange-site", "ocf:jobcenter:site"]]
    assert f"database={DB}" in words and f"site={SITE}" in words
    assert re.search(r"^group jobcenter-orange jobcenter-orange-fs jobcenter-orange-ip "
                     r"jobcenter-orange-site \\$", text, re.M)
    assert "op stop interval=0s timeout=150s" in text


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
@pytest.mark.parametrize("monitor", [True, False])
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path, supervisor, monitor):
    arts, rec, out = rendered(tmp_path, supervisor=supervisor, monitor=monitor)
    install(str(tmp_path / "nqs"))  # the unit names the emulated installation's commands
    unit = out / "orange" / "systemd" / "jobcenter-orange.service"
    text = unit.read_text()
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60)
    problems = [ln for ln in (proc.stdout + proc.stderr).splitlines()
                if "jobcenter-orange" in ln and "RequiresMountsFor" not in ln]
    assert proc.returncode == 0 or not problems, proc.stdout + proc.stderr
    assert problems == [], problems
    if supervisor == "jccluster":
        start = f"ExecStart={tmp_path}/bin/jccluster site start {SITE} {DB}"
        assert (start if monitor else start + " --no-watch") in text.splitlines()
        assert f"ExecStop={tmp_path}/bin/jccluster site stop {SITE}" in text
    else:
        assert f"ExecStartPre={tmp_path}/nqs/nqsportkpr {SITE}" in text
        c = "" if monitor else "-c "
        assert f"ExecStart={tmp_path}/nqs/cluster/cjcpw {c}{SITE} {DB}" in text
        assert f"ExecStop={tmp_path}/nqs/cluster/cjcpw -stop {SITE}" in text
    assert ("Type=exec" if monitor else "Type=oneshot") in text
    # cjcpw -stop has no deadline of its own: a wide margin (issue 20, finding 4)
    stop = "TimeoutStopSec=300" if supervisor == "cjcpw" else "TimeoutStopSec=150"
    assert "Restart=on-failure" in text and stop in text


def test_systemd_quote():
    assert systemd_quote("/mnt/jobdb") == "/mnt/jobdb"
    assert systemd_quote("/mnt/a b") == '"/mnt/a b"'
    assert systemd_quote('/x/"q"\\%$') == '"/x/\\"q\\"\\\\%%$$"'
    with pytest.raises(RenderError):
        systemd_quote("a\nb")
    assert crm_quote("/mnt/a b") == '"/mnt/a b"'
    with pytest.raises(RenderError):
        crm_quote('a"b')


# --------------------------------------------------------------------------- meta-data


def _dtd_valid(xml: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["xmllint", "--noout", "--dtdvalid", DTD, "-"], input=xml,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(not shutil.which("xmllint") or not os.path.exists(DTD),
                    reason="xmllint or ra-api-1.dtd missing")
def test_meta_data_is_valid_without_jccluster_and_as_the_cli_prints_it(tmp_path):
    arts, rec, out = rendered(tmp_path)
    (tmp_path / "bin" / "jccluster").unlink()  # meta-data must not need it
    res = run_script("dash", out / AGENT, "meta-data", env={})
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout.startswith('<?xml version="1.0"?>\n<!DOCTYPE resource-agent SYSTEM '
                                 '"ra-api-1.dtd">')
    assert _dtd_valid(res.stdout).returncode == 0, _dtd_valid(res.stdout).stderr
    root = ET.fromstring(res.stdout.split("\n", 2)[2])
    params = {p.get("name"): p for p in root.iter("parameter")}
    assert params["site"].get("required") == "1" and params["database"].get("required") == "1"
    assert {"product", "root", "config", "jccluster", "supervisor", "watch"} <= set(params)
    content = params["jccluster"].find("content")
    assert content is not None and content.get("default") == str(tmp_path / "bin" / "jccluster")
    actions = {a.get("name"): a for a in root.iter("action")}
    assert set(actions) == {"start", "stop", "monitor", "validate-all", "meta-data"}
    assert actions["stop"].get("timeout") == "150s"
    assert actions["monitor"].get("interval") == "2s"
    assert not rec.commands()
    # the CLI's meta-data (jccluster agent pacemaker meta-data) is valid too
    # (this clone's own install: the interpreter running the tests, never a machine's path)
    cli = subprocess.run([sys.executable, "-m", "jobcenter_cluster", "agent", "pacemaker",
                          "meta-data"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and _dtd_valid(cli.stdout).returncode == 0


def _advertised(meta: str) -> list[str]:
    return [str(a.get("name")) for a in ET.fromstring(meta.split("\n", 2)[2]).iter("action")]


@pytest.mark.parametrize("supervisor", ["jccluster", "cjcpw"])
def test_meta_data_advertises_exactly_the_dispatchable_actions(tmp_path, supervisor):
    """What the meta-data lists is what dispatch declares (the spec's actions with a timeout),
    and the other way round: an advertised action the agent or ``jccluster agent pacemaker``
    would refuse, or an OCF action the agent runs that is not advertised, fails here."""
    advertised = _advertised(SPEC.meta_data())
    assert advertised == [v for v, a in SPEC.actions.items() if a.timeout is not None]
    assert {"start", "stop", "monitor", "meta-data"} <= set(advertised)  # OCF's required ones
    for verb in advertised:  # jccluster agent pacemaker VERB runs it
        assert SPEC.actions[verb].operation != "unsupported", verb
    arts, _, out = rendered(tmp_path, supervisor=supervisor)
    embedded = arts[AGENT].content.split(f"<<'{META_END}'\n", 1)[1].split(f"{META_END}\n")[0]
    assert _advertised(embedded) == advertised
    env = ocf_env(site=SITE, database=DB)
    for verb in [*SPEC.actions, "no-such-action"]:
        res = run_script("dash", out / AGENT, verb, env=env)
        unimplemented = res.returncode == OCF_ERR_UNIMPLEMENTED
        assert unimplemented == (verb not in advertised), (verb, res.returncode, res.stderr)


def test_spec_timeouts_are_the_engine_deadlines_advised():
    """The meta-data action prints the spec's timeouts: those a cluster file without options
    gets (the stop: the longer, cjcpw's, as without a cluster file)."""
    assert SPEC.actions["start"].timeout == advised_timeout(DEFAULT_START_TIMEOUT)
    assert SPEC.actions["stop"].timeout == advised_timeout(stop_seconds(None))
    t = PacemakerAdapter(example_cluster()).timeouts()
    assert (SPEC.actions["monitor"].timeout, SPEC.actions["monitor"].interval) == (
        t.monitor, t.monitor_interval)


# --------------------------------------------------------------------------- the agent (jccluster)


def test_agent_is_shellcheck_clean(tmp_path):
    for supervisor in ("jccluster", "cjcpw"):
        _, _, out = rendered(tmp_path / supervisor, supervisor=supervisor)
        res = shellcheck(out / AGENT, "sh")
        assert res.returncode == 0, res.stdout


@pytest.mark.parametrize("shell", posix_shells())
def test_agent_passes_each_action_to_the_engine(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    agent = out / AGENT
    env = ocf_env(site=SITE, database=DB, root="/var/spool/x")
    for action in ("start", "stop", "monitor", "validate-all"):
        rec.clear()
        res = run_script(shell, agent, action, env=env)
        assert res.returncode == 0, (action, res.stderr)
        calls = rec.calls()
        assert [[c["cmd"], *c["args"]] for c in calls] == [
            ["jccluster", "agent", "pacemaker", action]]
        seen = calls[0]["env"]
        assert seen["OCF_RESKEY_site"] == SITE and seen["OCF_RESKEY_database"] == DB
        assert seen["OCF_RESKEY_root"] == "/var/spool/x"
        assert seen["OCF_RESKEY_product"] == "jobcenter-linux"  # the rendered default
        assert seen["OCF_RESKEY_CRM_meta_timeout"] == "20000"
    # watch=false: started without a watcher
    rec.clear()
    res = run_script(shell, agent, "start", env={**env, "OCF_RESKEY_watch": "false"})
    assert res.returncode == 0
    assert rec.commands() == [["jccluster", "agent", "pacemaker", "start-unwatched"]]


@pytest.mark.parametrize("code", [0, 1, 2, 5, 6, 7])
def test_agent_exits_with_the_engines_ocf_code(tmp_path, code):
    _, rec, out = rendered(tmp_path)
    rec.set_exit("jccluster", code)
    for shell in ("dash", "busybox"):
        res = run_script(shell, out / AGENT, "monitor", env=ocf_env(site=SITE, database=DB))
        assert res.returncode == code


@pytest.mark.parametrize("shell", posix_shells())
def test_agent_without_engine_or_parameters(tmp_path, shell):
    _, rec, out = rendered(tmp_path)
    agent = out / AGENT
    # unknown / unimplemented actions: 3, without calling anything
    for action in ("promote", "demote", "notify", "reload", "migrate_to", "bogus"):
        assert run_script(shell, agent, action, env=ocf_env(site=SITE)).returncode == 3
    assert run_script(shell, agent, env=ocf_env(site=SITE)).returncode == 2
    assert run_script(shell, agent, "usage", env={}).returncode == 0
    # a required parameter missing: 6 (fatal: the configuration is wrong everywhere) ...
    for action in ("start", "monitor", "validate-all"):
        res = run_script(shell, agent, action, env=ocf_env())
        assert res.returncode == 6, (action, res.stderr)
        assert "ocf-exit-reason:required parameter(s) not set: site" in res.stderr
    assert run_script(shell, agent, "start", env=ocf_env(site=SITE)).returncode == 6
    # ... but stop of a resource that cannot have started succeeds (a failed stop = fencing)
    assert run_script(shell, agent, "stop", env=ocf_env()).returncode == 0
    assert rec.commands() == []
    # jccluster absent: a probe says "not running", everything else "not installed"
    (tmp_path / "bin" / "jccluster").unlink()
    probe = {**ocf_env(site=SITE, database=DB), "OCF_RESKEY_CRM_meta_interval": "0"}
    assert run_script(shell, agent, "monitor", env=probe).returncode == 7
    for action in ("monitor", "start", "validate-all"):
        res = run_script(shell, agent, action, env=ocf_env(site=SITE, database=DB))
        assert res.returncode == 5, action
        assert "is not installed on this node" in res.stderr
    bad = {**ocf_env(site=SITE, database=DB), "OCF_RESKEY_supervisor": "nope"}
    assert run_script(shell, agent, "monitor", env=bad).returncode == 6
    rel = {**ocf_env(site=SITE, database=DB), "OCF_RESKEY_jccluster": "jccluster"}
    assert run_script(shell, agent, "monitor", env=rel).returncode == 6


def test_agent_environment_and_deadline():
    env = {"OCF_RESKEY_site": SITE, "OCF_RESKEY_database": DB, "OCF_RESKEY_root": "",
           "OCF_RESKEY_product": "simulator", "OCF_RESKEY_CRM_meta_timeout": "150000",
           "OCF_RESKEY_config": "/etc/jccluster.toml", "UNRELATED": "x"}
    assert PacemakerAdapter.spec.agent_environment(env) == {
        "site": SITE, "database": DB, "product": "simulator", "config": "/etc/jccluster.toml",
        "timeout": "120.000"}
    assert PacemakerAdapter.spec.agent_environment({}) == {}
    assert PacemakerAdapter.spec.agent_environment({"OCF_RESKEY_CRM_meta_timeout": "x"}) == {}


def test_exit_table():
    ec = PacemakerAdapter.spec.exit_code
    assert ec("monitor", Outcome.RUNNING) == 0
    assert ec("monitor", Outcome.MAINTENANCE) == 0
    assert ec("monitor", Outcome.STOPPED) == 7
    assert ec("monitor", Outcome.FAILED) == 1
    assert ec("monitor", Outcome.UNRECOVERABLE) == 5
    assert ec("monitor", Outcome.NOT_INSTALLED) == 5
    assert ec("start", Outcome.SUCCESS) == 0 and ec("start", Outcome.FAILED) == 1
    assert ec("start", Outcome.INVALID) == 2
    assert ec("stop", Outcome.SUCCESS) == 0 and ec("stop", Outcome.FAILED) == 1
    assert ec("stop", Outcome.INVALID) == 2  # a failed stop (issue 20): never 0 unverified
    assert ec("validate-all", Outcome.INVALID) == 2
    assert ec("promote", Outcome.UNSUPPORTED) == 3
    assert ec("anything", Outcome.UNSUPPORTED) == 3
    ops = {a: s.operation for a, s in PacemakerAdapter.spec.actions.items()}
    assert ops["start"] == "background" and ops["monitor"] == "status"
    assert ops["start-unwatched"] == "start"
    # every code a user can meet is an OCF code
    assert {c for _, _, c in PacemakerAdapter.spec.exit_table()} <= {0, 1, 2, 3, 5, 6, 7}


# --------------------------------------------------------------------------- the agent (cjcpw)

# JobCenter's own commands are the emulated installation's (`jccluster simulator install`,
# tests/support/jobcenter_cmds.py) under the agent's install_prefix: nqsportkpr really holds the
# port on the site address, cjcpw really starts the site's daemons and stays in the foreground
# until cjcpw -stop (exiting 1 when a daemon dies), cjcls prints the manual's table. Only the
# order and the arguments of the calls are recorded on the way.


@contextlib.contextmanager
def cjcpw_setup(tmp_path: Path, reaper, monitor: bool = True
                ) -> Iterator[tuple[Path, Emulated, dict[str, str]]]:
    _, _, out = rendered(tmp_path, supervisor="cjcpw", monitor=monitor)
    with emulated_at(tmp_path / "nqs", tmp_path / "jc", reaper) as jc:
        env = ocf_env(site=jc.site, database=jc.db, state_dir=str(tmp_path / "state"))
        yield out / AGENT, jc, env


def calls(jc: Emulated) -> list[list[str]]:
    """The agent's calls of JobCenter's commands, without its cjcls look-ups."""
    return [c for c in jc.calls() if c[0] != "cjcls"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", posix_shells())
def test_cjcpw_agent_lifecycle(tmp_path, shell, reaper):
    with cjcpw_setup(tmp_path, reaper) as (agent, jc, env):
        site, db = jc.site, jc.db
        probe = {**env, "OCF_RESKEY_CRM_meta_interval": "0"}
        assert run_script(shell, agent, "validate-all", env=env).returncode == 0
        assert run_script(shell, agent, "monitor", env=probe).returncode == 7
        res = run_script(shell, agent, "start", env=env, timeout=60)
        assert res.returncode == 0, res.stderr
        # nqsportkpr first (manual §2.10.4), then the watcher in the foreground
        assert calls(jc) == [["nqsportkpr", site], ["cjcpw", site, db]]
        assert jc.daemon_pid() is not None, "start returned before the site's daemons ran"
        assert jc.holders() == [], "the port holder outlived cjcpw (nqsportkpr ran after it?)"
        assert run_script(shell, agent, "monitor", env=env).returncode == 0
        assert run_script(shell, agent, "start", env=env).returncode == 0  # idempotent
        assert calls(jc) == [["nqsportkpr", site], ["cjcpw", site, db]]
        # a watched daemon dies: the emulated cjcpw exits 1 (manual §2.10.4) and the monitor
        # reports a failure, not "stopped"
        jc.wait_up()
        os.kill(jc.inst.pid("comagent"), signal.SIGKILL)
        poll_for(lambda: run_script(shell, agent, "monitor", env=env).returncode == 1,
                 timeout=30, what="the monitor to report the failed site")
        res = run_script(shell, agent, "stop", env=env, timeout=60)
        assert res.returncode == 0, res.stderr
        assert calls(jc)[-1] == ["cjcpw", "-stop", site]
        assert jc.daemon_pid() is None, "the site's nqsdaemon survived the stop"
        assert run_script(shell, agent, "monitor", env=env).returncode == 7
        assert run_script(shell, agent, "stop", env=env).returncode == 0  # idempotent


@pytest.mark.timeout(120)
def test_cjcpw_agent_unwatched_and_not_installed(tmp_path, reaper):
    with cjcpw_setup(tmp_path, reaper, monitor=False) as (agent, jc, env):
        site, db = jc.site, jc.db
        env = {**env, "OCF_RESKEY_watch": "false"}
        res = run_script("bash", agent, "start", env=env, timeout=60)
        assert res.returncode == 0, res.stderr
        assert calls(jc) == [["nqsportkpr", site], ["cjcpw", "-c", site, db]]
        assert jc.daemon_pid() is not None and jc.holders() == []
        assert run_script("bash", agent, "monitor", env=env).returncode == 0  # cjcls lists it
        assert run_script("bash", agent, "stop", env=env, timeout=60).returncode == 0
        assert calls(jc)[-1] == ["cjcpw", "-stop", site]
        assert jc.daemon_pid() is None
        assert run_script("bash", agent, "monitor", env=env).returncode == 7
        shutil.rmtree(tmp_path / "nqs")
        probe = {**env, "OCF_RESKEY_CRM_meta_interval": "0"}
        assert run_script("dash", agent, "monitor", env=probe).returncode == 7
        assert run_script("dash", agent, "start", env=env).returncode == 5
        assert run_script("dash", agent, "stop", env=env).returncode == 0  # never started here


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("opts, field", [
    ({"group": "9bad"}, "site[0].pacemaker.group"),
    ({"nic": "eth0; reboot"}, "site[0].pacemaker.nic"),
    ({"fs_device": "/dev/x y"}, "site[0].pacemaker.fs_device"),
    ({"fs_type": "EXT4!"}, "site[0].pacemaker.fs_type"),
    ({"cidr_netmask": 33}, "site[0].pacemaker.cidr_netmask"),
    ({"fs_directory": "/mnt/x"}, "site[0].pacemaker.fs_device"),
])
def test_bad_site_options_name_the_field(tmp_path, opts, field):
    with pytest.raises(ConfigError) as err:
        make(tmp_path, site_opts=opts)
    assert field in str(err.value) and "\n" not in str(err.value)


def test_bad_cluster_input_is_one_line(tmp_path, capsys):
    from jobcenter_cluster.cli.app import run

    cfg = tmp_path / "c.toml"
    from jobcenter_cluster.model import EXAMPLE_TOML

    cfg.write_text(EXAMPLE_TOML + "\n[pacemaker]\nstop_timeout = 60\n")
    assert run(["render", "pacemaker", "-c", str(cfg), "-o", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pacemaker.stop_timeout: 60 s" in err and "150" in err
    assert not (tmp_path / "o").exists(), "nothing half-written"
    cfg.write_text(EXAMPLE_TOML.replace('product = "jobcenter-linux"',
                                        'product = "jobcenter-windows"')
                   .replace('"/mnt/jobdb"', '"Q:\\\\jobdb"'))
    assert run(["render", "pacemaker", "-c", str(cfg)]) != 0
    err = capsys.readouterr().err.strip()
    assert "cluster.product" in err and "Windows" in err
    with pytest.raises(ConfigError, match="cluster.jccluster"):
        make(tmp_path, cluster={"jccluster": "jccluster"})


# --------------------------------------------------------------------------- check rules


def _check_dir(tmp_path: Path, mutate) -> set[str]:
    a = make(tmp_path, site_opts={"fs_device": "/dev/vg_job/lv_db"})
    arts = {x.path: x for x in a.render()}
    out = tmp_path / "checked"
    write_artifacts(list(arts.values()), str(out))
    mutate(out)
    return {f.rule for f in run_checks(PacemakerAdapter, config=None, directory=str(out))
            if f.severity == "error"}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def test_clean_render_passes_every_rule(tmp_path):
    assert _check_dir(tmp_path, lambda out: None) == set()


@pytest.mark.parametrize("rule, mutate", [
    ("PCMK-METADATA", lambda o: _edit(o / AGENT, '<action name="monitor"', '<action name="x"')),
    ("PCMK-METADATA", lambda o: _edit(o / AGENT, 'name="site" required="1"',
                                      'name="site" required="0"')),
    ("PCMK-STOP-TIMEOUT", lambda o: _edit(o / "orange" / "cib.xml", 'timeout="150s"',
                                          'timeout="60s"')),
    ("PCMK-STOP-TIMEOUT", lambda o: _edit(o / "orange" / "crm.txt", "timeout=150s",
                                          "timeout=2min")),
    ("PCMK-STOP-TIMEOUT", lambda o: _edit(o / "orange" / "pcs.sh", "timeout=150s",
                                          "timeout=20s")),
    ("PCMK-SITE-LAST", lambda o: _edit(o / "orange" / "crm.txt",
                                       "jobcenter-orange-ip jobcenter-orange-site \\",
                                       "jobcenter-orange-site jobcenter-orange-ip \\")),
    ("PCMK-MONITOR", lambda o: _edit(o / "orange" / "cib.xml", 'name="monitor" interval="2s"',
                                     'name="monitor" interval="0s"')),
    ("PCMK-MONITOR", lambda o: _edit(o / "orange" / "pcs.sh", "op monitor interval=2s",
                                     "op monitor interval=0")),
    ("PCMK-SYSTEMD", lambda o: _edit(o / "orange" / "systemd" / "jobcenter-orange.service",
                                     "Restart=on-failure", "Restart=no")),
    ("PCMK-SYSTEMD", lambda o: _edit(o / "orange" / "systemd" / "jobcenter-orange.service",
                                     "TimeoutStopSec=150", "TimeoutStopSec=30")),
])
def test_each_rule_catches_a_hand_broken_artifact(tmp_path, rule, mutate):
    assert rule in _check_dir(tmp_path, mutate)


def test_site_last_rule_in_cib_xml(tmp_path):
    def swap(o: Path) -> None:
        path = o / "orange" / "cib.xml"
        root = ET.fromstring(path.read_text())
        site = [p for p in root if p.get("type") == "site"][0]
        root.remove(site)
        root.insert(1, site)
        path.write_text(ET.tostring(root, encoding="unicode"))

    assert "PCMK-SITE-LAST" in _check_dir(tmp_path, swap)


def test_shared_disk_rule_warns_when_no_filesystem(tmp_path):
    a = make(tmp_path)
    out = tmp_path / "o"
    write_artifacts(a.render(), str(out))
    found = run_checks(PacemakerAdapter, directory=str(out))
    assert [(f.rule, f.severity) for f in found] == [("PCMK-SHARED-DISK", "warning")]


# --------------------------------------------------------------------------- hostile input

_HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=24)


#: a run that carries fewer of its 40 examples than this tests the rejection path only (most
#: generated tails are valid paths: the model refuses only control characters, '.'/'..'
#: components and doubled or trailing '/')
MIN_CARRIED = 15


def test_hostile_database_is_rejected_or_carried_through(tmp_path_factory):
    carried: list[str] = []

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(tail=_HOSTILE)
    def check(tail):
        tmp = tmp_path_factory.mktemp("h")
        database = "/mnt/" + tail
        try:
            a = make(tmp, site_opts={}, site=[{"database": database}])
        except ConfigError as err:
            assert "\n" not in str(err) and "database" in str(err)
            return
        arts = {x.path: x for x in a.render()}
        # CIB XML: a real serializer carries any text
        root = ET.fromstring(arts["orange/cib.xml"].content)
        values = {n.get("name"): n.get("value") for n in root.iter("nvpair")
                  if "site-instance" in str(n.get("id"))}
        assert values["database"] == a.sites[0].database
        # crm snippet: one shell-like word
        words = shlex.split(arts["orange/crm.txt"].content.replace("\\\n", " "), comments=True)
        assert f"database={a.sites[0].database}" in words
        # pcs script: parses, and pcs receives the value unchanged
        out = tmp / "out"
        write_artifacts(list(arts.values()), str(out))
        rec = Recorder(tmp)
        rec.stub("pcs")
        res = run_pcs_script("dash", out / "orange" / "pcs.sh", rec, tmp)
        assert res.returncode == 0, res.stderr
        site_call = [c for c in rec.commands() if "ocf:jobcenter:site" in c][0]
        assert f"database={a.sites[0].database}" in site_call
        # the agent hands the parameter to the engine unchanged
        rec.stub(tmp / "bin" / "jccluster")
        rec.clear()
        res = run_script("dash", out / AGENT, "monitor", env=ocf_env(site=SITE,
                                                                      database=a.sites[0].database))
        assert res.returncode == 0, res.stderr
        assert rec.calls()[0]["env"]["OCF_RESKEY_database"] == a.sites[0].database
        carried.append(database)

    check()
    assert len(carried) >= MIN_CARRIED, (
        f"only {len(carried)} database paths were carried through: the test checked rejection only")
