"""Build, reach and remove a lab: `up`, `down`, `run_on` (a command inside a node), `power`,
`cut`, and Pacemaker's view of the cluster (`crm_state`)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from jobcenter_cluster.errors import UserError
from jobcenter_cluster.lab import fence_agent, freeze, layout, pdu

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("corosync", "pacemakerd", "crm_mon", "cibadmin", "crm_resource", "corosync-keygen",
         "unshare", "nsenter", "ip", "mount", "modprobe")
Say = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


def jccluster_bin() -> str:
    candidate = os.path.join(os.path.dirname(sys.executable), "jccluster")
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("jccluster")
    if not found:
        raise UserError("jccluster is not installed next to this interpreter")
    return os.path.abspath(found)


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t, path=PATH) is None]


def wait_for(cond: Callable[[], object], timeout: float, what: str, step: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise UserError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


# ---------------------------------------------------------------------- processes of a lab

def _environ(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:][:1] not in (b"Z", b"X")  # zombies are gone


def lab_pids(directory: str) -> list[int]:
    """Every live process carrying this lab's marker (`layout.ENV_MARK`) in its environment."""
    mark = f"{layout.ENV_MARK}={directory}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if (entry.isdigit() and int(entry) != os.getpid()
                and mark in _environ(int(entry)).split(b"\0") and _alive(int(entry))):
            out.append(int(entry))
    return out


def init_pid(lab: layout.Lab, node: layout.Node) -> int:
    """The node's PID 1 (as this machine's PID namespace numbers it), 0 when it is off."""
    try:
        with open(lab.node_dir(node, "init.pid"), encoding="ascii") as fh:
            pid = int(fh.read().strip() or 0)
    except (OSError, ValueError):
        return 0
    mark = f"{layout.ENV_MARK}={lab.dir}".encode()
    if pid and _alive(pid) and mark in _environ(pid).split(b"\0"):
        return pid
    return 0


def run_on(lab: layout.Lab, node: layout.Node, *argv: str, check: bool = True,
           timeout: float = 60, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command inside a node (all its namespaces), as an administrator logged in there."""
    pid = init_pid(lab, node)
    if not pid:
        raise UserError(f"{node.short} is powered off")
    res = subprocess.run(["nsenter", "-t", str(pid), "-a", *argv], capture_output=True,
                         text=True, timeout=timeout, input=stdin,
                         env={"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8"})
    if check and res.returncode != 0:
        raise UserError(f"{node.short}: {' '.join(argv)} exited {res.returncode}: "
                        f"{(res.stderr or res.stdout).strip().splitlines()[-1:]}")
    return res


def switch(lab: layout.Lab, **fields: str) -> dict[str, object]:
    try:
        reply = pdu.request(lab.dir, **fields)
    except OSError as err:
        raise UserError(f"the lab's switch does not answer ({err.strerror or err}): "
                        "run 'jccluster lab up' again") from None
    if not reply.get("ok"):
        raise UserError(f"switch: {fields.get('action')} {fields.get('plug', '')}: "
                        f"{reply.get('error')}")
    return reply


def power(lab: layout.Lab, node: layout.Node, on: bool) -> None:
    switch(lab, action="on" if on else "off", plug=node.name, **{"from": "drill"})


def cut(lab: layout.Lab, node: layout.Node, heal: bool = False) -> None:
    switch(lab, action="heal" if heal else "cut", plug=node.name, **{"from": "drill"})


# ---------------------------------------------------------------------- Pacemaker's view

@dataclass
class CrmState:
    dc: str = ""
    online: set[str] = field(default_factory=set)
    resources: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # role, node, failed

    def group_on(self, group_members: list[str]) -> str:
        """The node running every member of a group, or ''."""
        nodes = {self.resources.get(r, ("", "", False))[1] for r in group_members}
        roles = {self.resources.get(r, ("", "", False))[0] for r in group_members}
        return nodes.pop() if len(nodes) == 1 and roles == {"Started"} else ""


def crm_state(lab: layout.Lab, node: layout.Node | None = None) -> CrmState:
    """crm_mon's XML, read on `node` (default: the first node that is on)."""
    nodes = [node] if node else [n for n in lab.nodes if init_pid(lab, n)]
    for n in nodes:
        try:
            res = run_on(lab, n, "crm_mon", "--one-shot", "--inactive", "--output-as=xml",
                         check=False, timeout=30)
        except (UserError, subprocess.TimeoutExpired):
            continue
        try:
            root = ET.fromstring(res.stdout)
        except ET.ParseError:
            continue
        state = CrmState()
        dc = root.find("summary/current_dc")
        if dc is not None and dc.get("present") == "true":
            state.dc = str(dc.get("name"))
        for el in root.findall("nodes/node"):
            if el.get("online") == "true" and el.get("type") != "remote":
                state.online.add(str(el.get("name")))
        for r in root.iter("resource"):
            nd = r.find("node")
            state.resources[str(r.get("id"))] = (
                str(r.get("role")), str(nd.get("name")) if nd is not None else "",
                r.get("failed") == "true")
        return state
    return CrmState()


def group_members(lab: layout.Lab, site: layout.Site) -> list[str]:
    root = ET.parse(cib_file(lab, site)).getroot()
    return [str(p.get("id")) for p in root.iter("primitive")]


def cib_file(lab: layout.Lab, site: layout.Site) -> str:
    for path in sorted(glob.glob(lab.path("render", "*", "cib.xml"))):
        root = ET.parse(path).getroot()
        if root.get("id") == site.group:
            return path
    raise UserError(f"no rendered cib.xml for group {site.group} in {lab.path('render')}")


# ---------------------------------------------------------------------- up and down

def _prepare_node(lab: layout.Lab, node: layout.Node, token_ms: int | None) -> None:
    fencing = bool(lab.extra.get("fencing", True))
    delay = str(lab.extra.get("fence_delay_max", "2s"))
    here = lab.node_dir(node)
    for sub in ("etc-corosync", "var-lib-corosync", "var-log-pacemaker",
                "var-lib-pacemaker/cib", "var-lib-pacemaker/pengine",
                "var-lib-pacemaker/blackbox", "var-lib-pacemaker/cores"):
        os.makedirs(os.path.join(here, sub), mode=0o755, exist_ok=True)
    with open(os.path.join(here, "etc-corosync", "corosync.conf"), "w", encoding="utf-8") as fh:
        fh.write(layout.corosync_conf(lab, token_ms))
    shutil.copyfile(lab.path("authkey"), os.path.join(here, "etc-corosync", "authkey"))
    os.chmod(os.path.join(here, "etc-corosync", "authkey"), 0o400)
    cib = os.path.join(here, "var-lib-pacemaker", "cib", "cib.xml")
    with open(cib, "w", encoding="utf-8") as fh:
        fh.write(layout.seed_cib(lab, fencing, delay))
    os.chmod(cib, 0o600)
    subprocess.run(["chown", "-R", "hacluster:haclient", os.path.join(here, "var-lib-pacemaker"),
                    os.path.join(here, "var-log-pacemaker")], check=False, env={"PATH": PATH})
    with open(os.path.join(here, "hosts"), "w", encoding="utf-8") as fh:
        fh.write(layout.hosts_file(lab))


def _is_lab_dir(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "lab.json")) or not os.listdir(directory)


def up(directory: str, nodes: int | None = None, config: str | None = None,
       supervisor: str | None = None, token_ms: int | None = None,
       say: Say = _quiet, fencing: bool = True, fence_delay_max: str = "2s",
       jccluster: str | None = None) -> layout.Lab:
    """Build the lab and apply the site's rendered configuration; return it running.

    ``jccluster`` is the command the nodes' resource agent runs (the cluster file's
    ``jccluster``; default: the one next to this interpreter). benchmarks/bench_failover.py
    gives a wheel's, as production nodes have.

    ``fencing=False`` (stonith-enabled=false) exists only to prove that the drill catches the
    split brain it allows; ``fence_delay_max`` is the fence devices' pcmk_delay_max (a random
    delay that keeps two nodes of a split cluster from fencing each other at once)."""
    if os.geteuid() != 0:
        raise UserError("the lab needs root (namespaces, mounts, corosync)")
    missing = missing_tools()
    if missing:
        raise UserError(f"not installed: {', '.join(missing)} (Debian: pacemaker corosync "
                        "pacemaker-cli-utils resource-agents util-linux iproute2 kmod)")
    directory = os.path.abspath(directory)
    if nodes is not None and not 2 <= nodes <= layout.MAX_NODES:
        raise UserError(f"--nodes {nodes}: the lab builds 2 to {layout.MAX_NODES} nodes")
    if jccluster is not None and not (os.path.isabs(jccluster) and os.access(jccluster, os.X_OK)):
        raise UserError(f"jccluster {jccluster!r}: not an absolute path of an executable")
    lab, data = layout.plan(directory, nodes, config, supervisor, jccluster or jccluster_bin())
    lab.extra.update({"fencing": fencing, "fence_delay_max": fence_delay_max,
                      "token_ms": token_ms})
    if os.path.isdir(directory):
        if not _is_lab_dir(directory):
            raise UserError(f"{directory} exists and is not a lab directory: give another --dir")
        down(directory, say)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    os.chmod(directory, 0o755)
    lab.save()
    try:
        return _build(lab, data, token_ms, say)
    except UserError as err:
        raise UserError(f"{err} (the lab is left for inspection: 'jccluster lab down --dir "
                        f"{directory}' removes it)") from None


def _build(lab: layout.Lab, data: dict[str, object], token_ms: int | None,
           say: Say) -> layout.Lab:
    say(f"lab: rendering the pacemaker configuration in {lab.path('render')}")
    layout.write_toml(data, lab.path("cluster.toml"))
    res = subprocess.run([jccluster_bin(), "render", "pacemaker", "-c", lab.path("cluster.toml"),
                          "-o", lab.path("render")], capture_output=True, text=True)
    if res.returncode != 0:
        raise UserError(f"jccluster render pacemaker: {res.stderr.strip()}")
    with open(lab.path(layout.FENCE_AGENT), "w", encoding="utf-8") as fh:
        fh.write(fence_agent.script(fence_agent.interpreter(), lab.path("pdu.sock")))
    subprocess.run(["corosync-keygen", "-l", "-k", lab.path("authkey")], check=True,
                   capture_output=True, timeout=60, env={"PATH": PATH})
    for site in lab.sites:
        os.makedirs(lab.shared(site), mode=0o755, exist_ok=True)
    for node in lab.nodes:
        _prepare_node(lab, node, token_ms)
    say("lab: starting the switch")
    env = {"PATH": PATH, layout.ENV_MARK: lab.dir, "LANG": "C.UTF-8"}
    log = open(lab.path("pdu.log"), "ab")  # noqa: SIM115 - the switch's
    proc = subprocess.Popen(["unshare", "--net", sys.executable, "-I", "-m",
                             "jobcenter_cluster.lab.pdu", lab.dir], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, env=env, start_new_session=True)
    log.close()
    wait_for(lambda: os.path.exists(lab.path("pdu.ready")) or proc.poll() is not None, 30,
             "the switch")
    if proc.poll() is not None:
        raise UserError(f"the lab's switch exited {proc.returncode}: see {lab.path('pdu.log')}")
    lab.switch_pid = proc.pid
    lab.save()
    for node in lab.nodes:
        say(f"lab: booting {node.short} ({node.address})")
        power(lab, node, True)
    wait_nodes(lab, [n.name for n in lab.nodes], 120)
    say("lab: cluster formed; creating the site(s) as APPLY.txt says")
    first = lab.nodes[0]
    for site in lab.sites:
        create_site(lab, first, site)
    for site in lab.sites:
        run_on(lab, first, "cibadmin", "--create", "--scope", "resources", "--xml-file",
               cib_file(lab, site))
    for site in lab.sites:
        members = group_members(lab, site)
        wait_for(lambda m=members: crm_state(lab).group_on(m), 120,  # type: ignore[misc]
                 f"{site.group} to start")
        say(f"lab: {site.name} runs on {crm_state(lab).group_on(members)}")
    return lab


def wait_nodes(lab: layout.Lab, names: list[str], timeout: float) -> None:
    def ready() -> bool:
        state = crm_state(lab)
        return bool(state.dc) and set(names) <= state.online

    wait_for(ready, timeout, f"nodes {', '.join(names)} online with a DC", step=0.25)


def create_site(lab: layout.Lab, node: layout.Node, site: layout.Site) -> None:
    """The site's database on its shared disk, made once with the installation's cjcmksite on a
    node where the floating address and the disk are active (APPLY.txt, manual §2.10.3)."""
    mid = ""
    with open(lab.path("cluster.toml"), "rb") as fh:
        import tomllib

        for entry in tomllib.load(fh).get("site", []):
            if entry.get("name") == site.name:
                mid = str(entry["machine_id"])
    script = (
        "set -e; umask 022\n"
        f"ip addr add {site.address}/{layout.PREFIXLEN} dev eth0\n"
        f"mount --bind {lab.shared(site)} {site.database}\n"
        f"trap 'umount {site.database}; ip addr del {site.address}/{layout.PREFIXLEN} dev eth0'"
        " EXIT\n"
        f"/usr/lib/nqs/cluster/cjcmksite {site.name} {mid} {site.database}\n")
    run_on(lab, node, "sh", "-c", script, timeout=120)


def down(directory: str, say: Say = _quiet) -> list[str]:
    """Remove the lab in `directory`: every process carrying its marker (node PID 1s first: that
    ends their namespaces, mounts and interfaces), the switch, then the files. Idempotent."""
    directory = os.path.abspath(directory)
    removed: list[str] = []
    if not os.path.isdir(directory):
        return removed
    if not _is_lab_dir(directory):
        raise UserError(f"{directory} is not a lab directory (no lab.json): not touching it")
    try:
        lab: layout.Lab | None = layout.Lab.load(directory)
    except UserError:
        lab = None
    if lab is not None:
        for node in lab.nodes:
            pid = init_pid(lab, node)
            if pid:
                say(f"lab: powering {node.short} off")
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                removed.append(node.short)
        with contextlib.suppress(OSError):
            freeze.thaw(lab)  # else a frozen task outlives SIGKILL (stop-fails)
    deadline = time.monotonic() + 30
    while True:
        left = lab_pids(directory)
        if not left:
            break
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise UserError(f"processes of the lab survive SIGKILL: {left}")
        time.sleep(0.05)
    shutil.rmtree(directory, ignore_errors=True)
    if os.path.exists(directory):
        raise UserError(f"{directory}: could not remove it all")
    return removed
