"""The lab directory, its cluster file and the files every node reads (standard library only).

    DIR/lab.json           what `up` built (nodes, addresses, site, the switch's pid)
    DIR/cluster.toml       the cluster file the lab renders (yours with -c, addresses remapped)
    DIR/render/            `jccluster render pacemaker` output (APPLY.txt, the agent, cib.xml)
    DIR/authkey            corosync's key, the same on every node
    DIR/shared/SITE/       a site's shared disk: Pacemaker bind-mounts it on the active node
    DIR/pdu.sock           the power switch the fence agent talks to (`pdu`)
    DIR/events.jsonl       what the switch did (power off/on, cut, heal), one JSON object a line
    DIR/NODE/              a node's private /etc/corosync, /var/lib/pacemaker, /var/lib/corosync,
                           /var/log/pacemaker, /etc/hosts, the /usr overlay and its boot log
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

from jobcenter_cluster import fsio
from jobcenter_cluster.errors import UserError

#: TEST-NET-2 (RFC 5737): never routed; only ever inside the lab's namespaces (TEST-NET-1,
#: 192.0.2.0/24, is in use on some development machines and CI runners themselves)
NET = "198.51.100"
PREFIXLEN = 24
MAX_NODES = 4
DEFAULT_DIR = "/tmp/jccluster-lab"
#: every process of a lab carries this in its environment (`down` finds leftovers by it)
ENV_MARK = "JCCLUSTER_LAB"
#: the simulator's `cjcpw -stop` delay in the lab (seconds; the real stop takes 1-2 minutes)
STOP_SECONDS = 0.5
FENCE_AGENT = "fence_jclab"
CLUSTER_NAME = "jclab"


@dataclass
class Node:
    name: str
    address: str
    nodeid: int
    port: str  # its veth's name in the switch's namespace

    @property
    def short(self) -> str:
        return self.name.split(".")[0]


@dataclass
class Site:
    name: str
    address: str
    database: str
    group: str


@dataclass
class Lab:
    dir: str
    nodes: list[Node]
    sites: list[Site]
    supervisor: str
    product: str
    switch_pid: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ paths
    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def node_dir(self, node: Node, *parts: str) -> str:
        return os.path.join(self.dir, node.short, *parts)

    def shared(self, site: Site) -> str:
        return self.path("shared", site.name.split(".")[0])

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if name in (n.name, n.short):
                return n
        raise UserError(f"no node {name!r} in the lab (nodes: "
                        f"{', '.join(n.short for n in self.nodes)})")

    # ------------------------------------------------------------------ state
    def save(self) -> None:
        fsio.atomic_write(self.path("lab.json"), json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, directory: str) -> Lab:
        try:
            with open(os.path.join(directory, "lab.json"), encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise UserError(f"{directory}: no lab here (run 'jccluster lab up' first)") from None
        except (OSError, ValueError) as err:
            raise UserError(f"{directory}/lab.json: unreadable: {err}") from None
        data["nodes"] = [Node(**n) for n in data["nodes"]]
        data["sites"] = [Site(**s) for s in data["sites"]]
        return cls(**data)


# ---------------------------------------------------------------------- the cluster file

def _default_cluster(nodes: int) -> dict[str, Any]:
    return {
        "cluster": {"product": "jobcenter-linux"},
        "node": [{"name": f"lab{i}.example.com", "address": "", "machine_id": 150 + i}
                 for i in range(1, nodes + 1)],
        "site": [{"name": "orange.example.com", "address": "", "machine_id": 162,
                  "database": "/mnt/jobdb", "monitor": True}],
    }


def plan(directory: str, nodes: int | None, config: str | None, supervisor: str | None,
         jccluster: str) -> tuple[Lab, dict[str, Any]]:
    """The lab to build and the cluster file it renders (a dict, written by `write_toml`).

    Your cluster file (-c) keeps its names, machine IDs, databases and options; the lab replaces
    every address by one in TEST-NET-1 (the node's veth, the site's floating address), points the
    Pacemaker options at the lab's network and shared disks, and sets ``jccluster`` to this
    installation's CLI.
    """
    if config:
        try:
            with open(config, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as err:
            raise UserError(f"{config}: cannot read: {err.strerror}") from None
        except tomllib.TOMLDecodeError as err:
            raise UserError(f"{config}: not TOML: {err}") from None
        count = len(data.get("node", []))
        if nodes is not None and nodes != count:
            raise UserError(f"--nodes {nodes}: {config} has {count} nodes")
    else:
        data = _default_cluster(nodes or 2)
    count = len(data.get("node", []))
    if not 2 <= count <= MAX_NODES:
        raise UserError(f"the lab builds 2 to {MAX_NODES} nodes, not {count}")
    sites = data.get("site") or []
    if not sites:
        raise UserError("the cluster file has no [[site]]")
    if len(sites) > 50:
        raise UserError("at most 50 sites in the lab")
    cluster = data.setdefault("cluster", {})
    cluster["jccluster"] = jccluster
    if supervisor:
        cluster["supervisor"] = supervisor
    cluster.pop("install_prefix", None)  # the simulator goes where the product installs
    product = str(cluster.get("product", "jobcenter-linux"))
    if product not in ("jobcenter-linux", "simulator"):
        raise UserError(f"product {product!r}: the lab runs Linux nodes (jobcenter-linux)")
    lab_nodes = []
    for i, entry in enumerate(data["node"], start=1):
        entry["address"] = f"{NET}.{10 + i}"
        lab_nodes.append(Node(str(entry["name"]), entry["address"], i, f"v{i}"))
    lab = Lab(os.path.abspath(directory), lab_nodes, [], str(cluster.get("supervisor", "")),
              product)
    for i, entry in enumerate(sites, start=1):
        entry["address"] = f"{NET}.{100 + i}"
        entry["netmask"] = "255.255.255.0"
        name = str(entry["name"])
        short = name.split(".")[0]
        own = entry.setdefault("pacemaker", {})
        group = str(own.get("group") or f"jobcenter-{short}")
        site = Site(name, entry["address"], str(entry.get("database", "/mnt/jobdb")), group)
        own.update({"nic": "eth0", "cidr_netmask": PREFIXLEN, "fs_device": lab.shared(site),
                    "fs_type": "none", "fs_options": "bind"})
        own.pop("fs_directory", None)  # the database path is the mount point
        lab.sites.append(site)
    return lab, data


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and not any(isinstance(v, dict) for v in value):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise UserError(f"the lab cannot write {value!r} back into a cluster file")


def _table(lines: list[str], header: str, table: dict[str, Any]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)
             and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))}
    lines.append(header)
    lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in plain.items()]
    lines.append("")


def write_toml(data: dict[str, Any], path: str) -> None:
    """The cluster file as TOML: ``[table]``s, ``[[node]]``/``[[site]]`` and ``[site.X]``."""
    lines = ["# written by 'jccluster lab up': the lab's copy of the cluster file", ""]
    for key, value in data.items():
        if isinstance(value, dict):
            _table(lines, f"[{key}]", value)
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for entry in value:
                _table(lines, f"[[{key}]]", entry)
                for sub, inner in entry.items():
                    if isinstance(inner, dict):
                        _table(lines, f"[{key}.{sub}]", inner)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))


# ---------------------------------------------------------------------- node files

def corosync_conf(lab: Lab, token_ms: int | None) -> str:
    nodes = "".join(
        "    node {\n"
        f"        ring0_addr: {n.address}\n"
        f"        name: {n.name}\n"
        f"        nodeid: {n.nodeid}\n"
        "    }\n" for n in lab.nodes)
    token = f"    token: {token_ms}\n" if token_ms else ""
    two = "    two_node: 1\n" if len(lab.nodes) == 2 else ""
    return ("totem {\n    version: 2\n"
            f"    cluster_name: {CLUSTER_NAME}\n"
            "    transport: knet\n    crypto_cipher: aes256\n    crypto_hash: sha256\n"
            f"{token}}}\n"
            f"nodelist {{\n{nodes}}}\n"
            f"quorum {{\n    provider: corosync_votequorum\n{two}}}\n"
            "logging {\n    to_logfile: yes\n    logfile: /var/log/pacemaker/corosync.log\n"
            "    to_stderr: no\n    to_syslog: no\n    timestamp: on\n}\n")


def seed_cib(lab: Lab, fencing: bool = True, delay_max: str = "2s") -> str:
    """The CIB every node starts with: fencing on (one lab fence device per node, never run on
    the node it fences) and no resources (`up` pushes the rendered ones as APPLY.txt says)."""
    devices = []
    constraints = []
    for n in lab.nodes:
        rid = f"fence-{n.short}"
        devices.append(
            f'      <primitive id="{rid}" class="stonith" type="{FENCE_AGENT}">\n'
            f'        <instance_attributes id="{rid}-ia">\n'
            f'          <nvpair id="{rid}-plug" name="plug" value="{n.name}"/>\n'
            f'          <nvpair id="{rid}-hosts" name="pcmk_host_list" value="{n.name}"/>\n'
            f'          <nvpair id="{rid}-delay" name="pcmk_delay_max" value="{delay_max}"/>\n'
            f'        </instance_attributes>\n'
            f'        <operations>\n'
            f'          <op id="{rid}-monitor" name="monitor" interval="60s" timeout="20s"/>\n'
            f'        </operations>\n'
            f'      </primitive>\n')
        constraints.append(f'      <rsc_location id="{rid}-not-self" rsc="{rid}" '
                           f'node="{n.name}" score="-INFINITY"/>\n')
    return (
        '<cib crm_feature_set="3.0" validate-with="pacemaker-3.0" epoch="1" num_updates="0" '
        'admin_epoch="0">\n  <configuration>\n    <crm_config>\n'
        '      <cluster_property_set id="cib-bootstrap-options">\n'
        f'        <nvpair id="o-stonith" name="stonith-enabled" value="{str(fencing).lower()}"/>\n'
        '        <nvpair id="o-action" name="stonith-action" value="off"/>\n'
        '        <nvpair id="o-dc" name="dc-deadtime" value="5s"/>\n'
        '        <nvpair id="o-recheck" name="cluster-recheck-interval" value="1min"/>\n'
        '      </cluster_property_set>\n    </crm_config>\n    <nodes/>\n'
        f'    <resources>\n{"".join(devices)}    </resources>\n'
        f'    <constraints>\n{"".join(constraints)}    </constraints>\n'
        '  </configuration>\n  <status/>\n</cib>\n')


def hosts_file(lab: Lab) -> str:
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    lines += [f"{s.address} {s.name} {s.name.split('.')[0]}" for s in lab.sites]
    lines += [f"{n.address} {n.name} {n.short}" for n in lab.nodes]
    return "# jccluster lab: this node's /etc/hosts\n" + "\n".join(lines) + "\n"
