"""The lab's switch and power controller: ``python -m jobcenter_cluster.lab.pdu DIR``, run by
`control.up` under ``unshare --net`` so that its network namespace holds the bridge ``br0``
joining the nodes.

It boots nodes (``on``), powers them off (``off``: SIGKILL to the node's PID 1, which ends every
process of the node's namespaces), cuts and heals a node's port on the bridge, and answers on
the Unix socket ``DIR/pdu.sock`` -- the lab's fence agent (`fence_agent`) talks to it the way a
production fence agent talks to a power switch or a BMC. One request at a time: when two nodes
try to fence each other, the first request wins and a request from a node that is already off is
refused (it could not have been sent by a powered-off machine).

Every action is appended to ``DIR/events.jsonl``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

from jobcenter_cluster.lab import freeze, layout

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _ip(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *argv], capture_output=True, text=True, env={"PATH": PATH})


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:][:1] not in (b"Z", b"X")


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Pdu:
    def __init__(self, directory: str) -> None:
        self.lab = layout.Lab.load(directory)
        self.inits: dict[str, int] = {}

    def event(self, **fields: object) -> None:
        fields = {"t": time.time(), **fields}
        with open(self.lab.path("events.jsonl"), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(fields) + "\n")

    def init_pid(self, node: layout.Node) -> int:
        pid = self.inits.get(node.name, 0)
        return pid if pid and _alive(pid) else 0

    # ------------------------------------------------------------------ actions
    def on(self, node: layout.Node) -> str:
        if self.init_pid(node):
            return "on"
        for flag in ("booted", "init.pid"):
            path = self.lab.node_dir(node, flag)
            if os.path.exists(path):
                os.unlink(path)
        _ip("link", "del", node.port)
        log = open(self.lab.node_dir(node, "boot.log"), "ab")  # noqa: SIM115 - the child's
        env = {"PATH": PATH, layout.ENV_MARK: self.lab.dir, "LANG": "C.UTF-8"}
        proc = subprocess.Popen(
            ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc",
             "--propagation", "private", sys.executable, "-I", "-m", "jobcenter_cluster.lab.node",
             self.lab.dir, node.short],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        init = 0
        while not init:
            try:
                with open(f"/proc/{proc.pid}/task/{proc.pid}/children", encoding="ascii") as fh:
                    kids = fh.read().split()
                init = int(kids[0]) if kids else 0
            except OSError:
                pass
            if not init:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{node.short}: unshare did not start the node")
                time.sleep(0.01)
        res = _ip("link", "add", node.port, "type", "veth", "peer", "name", "eth0", "netns",
                  str(init))
        if res.returncode != 0:
            os.kill(init, signal.SIGKILL)
            raise RuntimeError(f"{node.short}: veth: {res.stderr.strip()}")
        _ip("link", "set", node.port, "master", "br0")
        _ip("link", "set", node.port, "up")
        self.inits[node.name] = init
        with open(self.lab.node_dir(node, "init.pid"), "w", encoding="ascii") as fh:
            fh.write(f"{init}\n")
        self.event(event="on", node=node.name)
        return "on"

    def off(self, node: layout.Node, by: str) -> str:
        pid = self.init_pid(node)
        if pid:
            os.kill(pid, signal.SIGKILL)
            # a task the drill froze (stop-fails) would keep the namespace, and its PID 1, from
            # ending: power off means every process of the node ends
            freeze.thaw(self.lab)
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                _reap()
                time.sleep(0.01)
            if _alive(pid):
                raise RuntimeError(f"{node.short}: still running 30 s after SIGKILL")
            self.event(event="off", node=node.name, by=by)
        self.inits.pop(node.name, None)
        return "off"

    def cut(self, node: layout.Node, heal: bool) -> str:
        if heal:
            _ip("link", "set", node.port, "master", "br0")
        else:
            _ip("link", "set", node.port, "nomaster")
        self.event(event="heal" if heal else "cut", node=node.name)
        return "ok"

    def handle(self, request: dict[str, str]) -> dict[str, object]:
        action = request.get("action", "")
        by = request.get("from", "")
        if action == "ping":
            return {"ok": True, "pid": os.getpid()}
        node = self.lab.node(request.get("plug", ""))
        if action == "status":
            return {"ok": True, "state": "on" if self.init_pid(node) else "off"}
        if by and by != "drill":
            requester = self.lab.node(by)
            if not self.init_pid(requester):
                return {"ok": False, "error": f"{requester.short} is powered off"}
        if action == "on":
            return {"ok": True, "state": self.on(node)}
        if action in ("off", "reboot"):
            state = self.off(node, by)
            if action == "reboot":
                state = self.on(node)
            return {"ok": True, "state": state}
        if action in ("cut", "heal"):
            return {"ok": True, "state": self.cut(node, action == "heal")}
        return {"ok": False, "error": f"unknown action {action!r}"}

    def serve(self) -> None:
        _ip("link", "set", "lo", "up")
        _ip("link", "add", "br0", "type", "bridge")
        _ip("link", "set", "br0", "up")
        path = self.lab.path("pdu.sock")
        if os.path.exists(path):
            os.unlink(path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        os.chmod(path, 0o600)
        server.listen(16)
        server.settimeout(0.5)
        with open(self.lab.path("pdu.ready"), "w", encoding="ascii") as fh:
            fh.write(f"{os.getpid()}\n")
        while True:
            _reap()
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(30)
                try:
                    data = b""
                    while not data.endswith(b"\n"):
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    request = json.loads(data or b"{}")
                    try:
                        reply = self.handle(request)
                    except Exception as err:  # noqa: BLE001 - answer, and keep serving
                        reply = {"ok": False, "error": str(err)}
                    if request.get("action") != "ping":
                        self.event(event="request", request=request, reply=reply)
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                except (OSError, ValueError):
                    continue


def request(directory: str, **fields: str) -> dict[str, object]:
    """One request to the lab's switch (what the fence agent and `control` send)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(60.0)
        conn.connect(os.path.join(directory, "pdu.sock"))
        conn.sendall(json.dumps(fields).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    reply: dict[str, object] = json.loads(data or b'{"ok": false, "error": "no answer"}')
    return reply


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Pdu(sys.argv[1]).serve()
