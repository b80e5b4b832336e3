"""The lab's fence agent ``fence_jclab``, installed in every node's ``/usr/sbin`` (where
pacemaker-fenced looks for fence agents of class ``stonith``).

It follows the fence-agents API (https://github.com/ClusterLabs/fence-agents/blob/main/doc/FenceAgentAPI.md):
options arrive as ``name=value`` lines on stdin (``action``, ``plug``/``port``, ``nodename``)
or as ``-o ACTION -n PLUG`` on the command line; ``metadata`` prints the XML that fenced reads;
``off``/``reboot``/``on`` exit 0 once the switch has done it; ``status`` exits 0 when the plug is
on and 2 when it is off; ``monitor``/``list`` check the switch itself. The switch is the lab's
`pdu` on ``DIR/pdu.sock``, a Unix socket: like a BMC on a management network, it stays
reachable when the cluster network is cut.
"""

from __future__ import annotations

_SCRIPT = '''#!{python} -I
# fence_jclab: the fence agent of a jobcenter-cluster lab (jccluster lab up). It powers lab nodes
# off through the lab's switch at {sock}. Not for real clusters.
import json, os, select, socket, sys

SOCK = {sock!r}
METADATA = """<?xml version="1.0" ?>
<resource-agent name="fence_jclab" shortdesc="Power switch of a jccluster lab">
<longdesc>Powers a node of a jccluster lab off by ending every process of its namespaces.</longdesc>
<vendor-url>https://github.com/</vendor-url>
<parameters>
  <parameter name="action" unique="0" required="1">
    <getopt mixed="-o, --action=[action]" />
    <content type="string" default="reboot" />
    <shortdesc lang="en">Fencing action</shortdesc>
  </parameter>
  <parameter name="plug" unique="0" required="1" obsoletes="port">
    <getopt mixed="-n, --plug=[id]" />
    <content type="string" />
    <shortdesc lang="en">The lab node to act on</shortdesc>
  </parameter>
  <parameter name="port" unique="0" required="0" deprecated="1">
    <getopt mixed="-n, --plug=[id]" />
    <content type="string" />
    <shortdesc lang="en">The lab node to act on</shortdesc>
  </parameter>
  <parameter name="nodename" unique="0" required="0">
    <getopt mixed="--nodename=[name]" />
    <content type="string" />
    <shortdesc lang="en">The node to fence (set by Pacemaker)</shortdesc>
  </parameter>
</parameters>
<actions>
  <action name="on" automatic="0" />
  <action name="off" />
  <action name="reboot" />
  <action name="status" />
  <action name="list" />
  <action name="monitor" />
  <action name="metadata" />
  <action name="validate-all" />
</actions>
</resource-agent>
"""


def ask(**fields):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(60)
        conn.connect(SOCK)
        conn.sendall(json.dumps(fields).encode() + b"\\n")
        data = b""
        while not data.endswith(b"\\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data or b"{{}}")


def main(argv):
    opts = {{}}
    if not argv and not sys.stdin.isatty():
        # fenced writes the options and closes stdin; never wait on an open one for long
        data = b""
        while select.select([sys.stdin], [], [], 5)[0]:
            chunk = os.read(sys.stdin.fileno(), 65536)
            if not chunk:
                break
            data += chunk
        for line in data.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                opts[key.strip()] = value.strip()
    it = iter(argv)
    for arg in it:
        if arg in ("-o", "--action"):
            opts["action"] = next(it, "")
        elif arg.startswith("--action="):
            opts["action"] = arg.split("=", 1)[1]
        elif arg in ("-n", "--plug"):
            opts["plug"] = next(it, "")
        elif arg.startswith("--plug="):
            opts["plug"] = arg.split("=", 1)[1]
    action = opts.get("action", "reboot")
    plug = opts.get("plug") or opts.get("port") or opts.get("nodename", "")
    if action == "metadata":
        sys.stdout.write(METADATA)
        return 0
    if action in ("monitor", "validate-all"):
        return 0 if ask(action="ping").get("ok") else 1
    if action == "list":
        print(plug or "")
        return 0
    if not plug:
        print("fence_jclab: no plug given", file=sys.stderr)
        return 1
    reply = ask(action="status" if action == "status" else action, plug=plug,
                **{{"from": socket.gethostname()}})
    if not reply.get("ok"):
        print(f"fence_jclab: {{action}} {{plug}}: {{reply.get('error')}}", file=sys.stderr)
        return 1
    if action == "status":
        print("Status: " + ("ON" if reply.get("state") == "on" else "OFF"))
        return 0 if reply.get("state") == "on" else 2
    print(f"Success: {{plug}} is {{reply.get('state')}}")
    return 0


try:
    sys.exit(main(sys.argv[1:]))
except (OSError, ValueError) as err:
    print(f"fence_jclab: the lab's switch does not answer: {{err}}", file=sys.stderr)
    sys.exit(1)
'''


def script(python: str, sock: str) -> str:
    return _SCRIPT.format(python=python, sock=sock)


def interpreter() -> str:
    """The system's python3 (standard library only): pacemaker-controld reads the agent's
    metadata as the hacluster user, who may not reach this installation's interpreter."""
    import os
    import sys

    for candidate in ("/usr/bin/python3", sys.executable):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return "/usr/bin/python3"
