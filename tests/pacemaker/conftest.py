"""Fixtures for the live Pacemaker tests: the rendered agent installed where Pacemaker looks
for it, and a single-node corosync + pacemaker cluster run in the foreground (no systemd).

Everything is started and removed by these fixtures, by PID: the agent goes under a provider
name unique to the test process (``/usr/lib/ocf/resource.d/jctest-PID/site``), never over a real
``jobcenter`` install; corosync uses knet on 127.0.0.1 only, with its own key, configuration,
CIB and logs in a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from jobcenter_cluster.adapters.pacemaker.adapter import PacemakerAdapter
from jobcenter_cluster.model import example_data, parse_cluster
from support.cli import jccluster_path
from support.corosync import cluster_daemons
from support.sites import poll_for

OCF_DIR = "/usr/lib/ocf/resource.d"
TOOLS = ("corosync", "pacemakerd", "crm_resource", "cibadmin", "crm_mon", "ocf-tester",
         "xmllint", "corosync-keygen", "crm_attribute")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None and not os.path.exists(f"/usr/sbin/{t}")]


def rendered_adapter(product: str = "simulator", **pacemaker: Any) -> PacemakerAdapter:
    data = example_data({"cluster": {"product": product, "jccluster": jccluster_path()}})
    if pacemaker:
        data["pacemaker"] = pacemaker
    return PacemakerAdapter(parse_cluster(data, adapter_names=["pacemaker"]))


@pytest.fixture
def jccluster_bin() -> str:
    return jccluster_path()


@dataclass
class InstalledAgent:
    provider: str
    path: str

    @property
    def spec(self) -> str:
        return f"ocf:{self.provider}:site"


@pytest.fixture
def installed_agent() -> Iterator[InstalledAgent]:
    """The rendered agent, installed mode 0755 under a provider unique to this test process."""
    if os.geteuid() != 0:
        pytest.skip("installing an OCF agent needs root")
    provider = f"jctest-{os.getpid()}"
    directory = os.path.join(OCF_DIR, provider)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    os.chmod(directory, 0o755)
    path = os.path.join(directory, "site")
    text = rendered_adapter().agent_script()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o755)
    try:
        yield InstalledAgent(provider, path)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- a live cluster

COROSYNC_CONF = """\
totem {{
    version: 2
    cluster_name: jctest
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: 1000
}}
nodelist {{
    node {{
        ring0_addr: 127.0.0.1
        name: {node}
        nodeid: 1
    }}
}}
quorum {{
    provider: corosync_votequorum
}}
logging {{
    to_logfile: yes
    logfile: {tmp}/corosync.log
    to_stderr: no
    to_syslog: no
    timestamp: on
}}
"""

SEED_CIB = """\
<cib crm_feature_set="3.0" validate-with="pacemaker-3.0" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o-stonith" name="stonith-enabled" value="false"/>
        <nvpair id="o-quorum" name="no-quorum-policy" value="ignore"/>
        <nvpair id="o-dc" name="dc-deadtime" value="2s"/>
        <nvpair id="o-recheck" name="cluster-recheck-interval" value="1min"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""


@dataclass
class LiveCluster:
    tmp: str
    node: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]]

    def run(self, *argv: str, check: bool = True, timeout: float = 60
            ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(list(argv), capture_output=True, text=True, env=self.env,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {proc.returncode}: "
                                 f"{proc.stdout}{proc.stderr}")
        return proc

    def resource_state(self, rsc: str) -> str:
        """``Started``/``Stopped``/``FAILED`` ... of a resource, from crm_mon's XML."""
        import xml.etree.ElementTree as ET

        out = self.run("crm_mon", "--one-shot", "--inactive", "--output-as=xml", check=False)
        try:
            root = ET.fromstring(out.stdout)
        except ET.ParseError:
            return "unknown"
        for r in root.iter("resource"):
            if r.get("id") == rsc:
                if r.get("failed") == "true":
                    return "FAILED"
                return str(r.get("role"))
        return "absent"

    def log_tail(self, n: int = 60) -> str:
        out = []
        for name in ("pacemaker.log", "corosync.log"):
            path = os.path.join(self.tmp, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out += [f"--- {name}"] + fh.read().splitlines()[-n:]
        return "\n".join(out)


def _wait(cond: Any, timeout: float, what: str) -> Any:
    return poll_for(cond, timeout, interval=0.1, what=what)


def _private_mounts() -> bool:
    """Whether this process runs in the private mount namespace tests/conftest.py made (its
    marker is in the bind-mounted /etc/hosts, and our parent's namespace differs)."""
    try:
        with open("/etc/hosts", encoding="utf-8") as fh:
            marked = "# jobcenter-cluster test hosts" in fh.read()
        return marked and os.readlink("/proc/self/ns/mnt") != os.readlink(
            f"/proc/{os.getppid()}/ns/mnt")
    except OSError:
        return False


def _session_members(sid: int) -> list[int]:
    """Processes of session `sid` (fields 4-6 of /proc/PID/stat: ppid, pgrp, session)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        if int(fields[3]) == sid:
            out.append(int(entry))
    return out


def _ours(tmp: str) -> list[int]:
    """Pacemaker daemons started by the fixture whose cluster lives in `tmp`, wherever they
    ended up (a sub-daemon that outlives pacemakerd is re-parented and may leave its session):
    they carry the fixture's ``PCMK_logfile`` in their environment."""
    marker = f"PCMK_logfile={tmp}/pacemaker.log".encode()
    out = []
    for pid in cluster_daemons():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if marker in fh.read().split(b"\0"):
                    out.append(pid)
        except OSError:
            pass
    return out


@pytest.fixture
def live_cluster(engine_env: Any) -> Iterator[LiveCluster]:
    """corosync -f + pacemakerd -f on 127.0.0.1, CIB pre-seeded so the DC is elected in seconds.

    Refuses to run when a corosync or pacemaker is already running on this machine (it would
    be a real cluster, or another test's): the fixture owns every daemon it stops.
    """
    if os.geteuid() != 0:
        pytest.skip("a live cluster needs root")
    missing = missing_tools()
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} (the test command installs pacemaker "
                    "pacemaker-cli-utils corosync resource-agents libxml2-utils)")
    if cluster_daemons():
        pytest.skip("corosync/pacemaker already run on this machine; not touching them")
    if not _private_mounts():
        pytest.skip("no private mount namespace (tests/conftest.py could not make one): the "
                    "cluster's files would be the machine's")
    tmp = tempfile.mkdtemp(prefix="jctest-pcmk-")
    os.chmod(tmp, 0o755)
    node = "jctest-node1"
    # corosync and pacemaker read fixed paths (/etc/corosync, /var/lib/pacemaker ...): give
    # them private copies through bind mounts in this test process's own mount namespace
    # (tests/conftest.py made every mount private), so the machine's files are never touched.
    binds = {"/etc/corosync": os.path.join(tmp, "etc-corosync"),
             "/var/lib/pacemaker": os.path.join(tmp, "var-lib-pacemaker"),
             "/var/lib/corosync": os.path.join(tmp, "var-lib-corosync"),
             "/var/log/pacemaker": os.path.join(tmp, "var-log-pacemaker")}
    mounted: list[str] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for target, source in binds.items():
            if os.path.isdir(target):
                shutil.copytree(target, source, symlinks=True,
                                ignore=shutil.ignore_patterns("*.xml*", "*.sig", "*.bz2",
                                                              "corosync.conf", "authkey"))
            else:
                pytest.skip(f"{target} does not exist: pacemaker/corosync not installed")
            subprocess.run(["mount", "--bind", source, target], check=True)
            mounted.append(target)
        for sub in ("cib", "pengine", "blackbox", "cores"):
            os.makedirs(f"/var/lib/pacemaker/{sub}", exist_ok=True)
        subprocess.run(["chown", "-R", "hacluster:haclient", "/var/lib/pacemaker",
                        "/var/log/pacemaker"], check=False)
        with open("/etc/corosync/corosync.conf", "w", encoding="utf-8") as fh:
            fh.write(COROSYNC_CONF.format(node=node, tmp=tmp))
        subprocess.run(["corosync-keygen", "-l", "-k", "/etc/corosync/authkey"], check=True,
                       capture_output=True, timeout=60)
        with open("/var/lib/pacemaker/cib/cib.xml", "w", encoding="utf-8") as fh:
            fh.write(SEED_CIB)
        subprocess.run(["chown", "hacluster:haclient", "/var/lib/pacemaker/cib/cib.xml"],
                       check=False)
        os.chmod("/var/lib/pacemaker/cib/cib.xml", 0o600)
        env = dict(os.environ)
        env.update({"PCMK_logfile": os.path.join(tmp, "pacemaker.log"), "PCMK_debug": "no",
                    "PCMK_node_start_state": "online", "HA_logfacility": "none"})
        log = open(os.path.join(tmp, "stdio.log"), "ab")  # noqa: SIM115 - closed below
        procs.append(subprocess.Popen(["corosync", "-f"], stdout=log, stderr=log, env=env,
                                      start_new_session=True))
        _wait(lambda: subprocess.run(["corosync-cfgtool", "-s"], capture_output=True)
              .returncode == 0, 30, "corosync")
        procs.append(subprocess.Popen(["pacemakerd", "-f"], stdout=log, stderr=log, env=env,
                                      start_new_session=True))
        cluster = LiveCluster(tmp, node, env, procs)
        _wait(lambda: "Current DC: " in cluster.run("crm_mon", "-1", check=False).stdout
              and "NONE" not in cluster.run("crm_mon", "-1", check=False).stdout.split(
                  "Current DC:")[1].split("\n")[0], 60, "a DC")
        yield cluster
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    # a clean shutdown takes a few seconds; one that hangs (a resource still
                    # stopping) took the whole 30 s of the old bound in CI, and everything of
                    # the session is SIGKILLed below anyway
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        # pacemaker's children stay in the sessions we started: nothing of them may survive
        for proc in procs:
            for pid in _session_members(proc.pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for pid in _ours(tmp):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        # the next live-cluster test refuses to start while any of them is still there
        deadline = time.monotonic() + 30
        while _ours(tmp) and time.monotonic() < deadline:
            time.sleep(0.1)
        for target in reversed(mounted):
            subprocess.run(["umount", "-l", target], check=False)
        if not os.environ.get("JCTEST_KEEP_PCMK_LOGS"):
            shutil.rmtree(tmp, ignore_errors=True)
