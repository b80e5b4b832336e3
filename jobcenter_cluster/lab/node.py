"""A lab node's PID 1: ``python -m jobcenter_cluster.lab.node DIR NODE`` run by `control.boot`
under ``unshare --net --mount --uts --pid --fork --mount-proc --propagation private``.

It gives the node what a real node has at fixed paths, all inside its own mount namespace:
its host name; private ``/run``, ``/dev/shm`` and ``/mnt``; ``/etc/corosync``,
``/var/lib/pacemaker``, ``/var/lib/corosync``, ``/var/log/pacemaker`` and ``/etc/hosts`` from
``DIR/NODE/``; an overlay on ``/usr`` so that the emulated JobCenter goes to ``/usr/lib/nqs``, the
rendered agent to ``/usr/lib/ocf/resource.d/jobcenter/site`` and the lab's fence agent to
``/usr/sbin`` as on a real node, without writing to the machine's ``/usr``. Then it brings up its
network (the veth `control.boot` moved in as ``eth0``), starts ``corosync -f`` and
``pacemakerd -f`` and reaps orphans until it is killed -- which is the node's power-off: when
PID 1 of a PID namespace dies, the kernel kills every process in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from jobcenter_cluster.lab import layout

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def sh(*argv: str) -> None:
    subprocess.run(list(argv), check=True, env={"PATH": PATH})


def bind(source: str, target: str) -> None:
    sh("mount", "--bind", source, target)


def mounts(lab: layout.Lab, node: layout.Node) -> None:
    here = lab.node_dir(node)
    for target, mode in (("/run", "0755"), ("/dev/shm", "1777"), ("/mnt", "0755")):
        sh("mount", "-t", "tmpfs", "-o", f"mode={mode}", "tmpfs", target)
    os.makedirs("/run/lock", exist_ok=True)
    upper = os.path.join("/run", "lab-usr")  # on the node's tmpfs: a boot starts afresh
    os.makedirs(f"{upper}/upper")
    os.makedirs(f"{upper}/work")
    sh("mount", "-t", "overlay", "overlay", "-o",
       f"lowerdir=/usr,upperdir={upper}/upper,workdir={upper}/work", "/usr")
    for target, sub in (("/etc/corosync", "etc-corosync"), ("/var/lib/pacemaker",
                        "var-lib-pacemaker"), ("/var/lib/corosync", "var-lib-corosync"),
                        ("/var/log/pacemaker", "var-log-pacemaker")):
        bind(os.path.join(here, sub), target)
    bind(os.path.join(here, "hosts"), "/etc/hosts")
    for site in lab.sites:
        os.makedirs(site.database, mode=0o755, exist_ok=True)


def install(lab: layout.Lab, node: layout.Node) -> None:
    jccluster = os.path.join(os.path.dirname(sys.executable), "jccluster")
    subprocess.run([jccluster, "simulator", "install", "/usr/lib/nqs", "--stop-seconds",
                    str(layout.STOP_SECONDS)], check=True, stdout=subprocess.DEVNULL,
                   env={"PATH": PATH})
    # APPLY.txt step 1, on every node
    os.makedirs("/usr/lib/ocf/resource.d/jobcenter", mode=0o755, exist_ok=True)
    shutil.copyfile(lab.path("render", "ocf", "jobcenter", "site"),
                    "/usr/lib/ocf/resource.d/jobcenter/site")
    os.chmod("/usr/lib/ocf/resource.d/jobcenter/site", 0o755)
    shutil.copyfile(lab.path(layout.FENCE_AGENT), f"/usr/sbin/{layout.FENCE_AGENT}")
    os.chmod(f"/usr/sbin/{layout.FENCE_AGENT}", 0o755)
    os.makedirs("/usr/spool/nqs", mode=0o755, exist_ok=True)


def network(node: layout.Node) -> None:
    deadline = time.monotonic() + 30
    while subprocess.run(["ip", "link", "show", "eth0"], capture_output=True,
                         env={"PATH": PATH}).returncode != 0:
        if time.monotonic() > deadline:
            raise SystemExit("eth0 never arrived")
        time.sleep(0.05)
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "addr", "add", f"{node.address}/{layout.PREFIXLEN}", "dev", "eth0")
    sh("ip", "link", "set", "eth0", "up")


def main(argv: list[str]) -> int:
    directory, name = argv
    lab = layout.Lab.load(directory)
    node = lab.node(name)
    os.chdir("/")
    sh("hostname", node.name)
    mounts(lab, node)
    install(lab, node)
    network(node)
    env = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", layout.ENV_MARK: lab.dir,
           "PCMK_logfile": "/var/log/pacemaker/pacemaker.log", "PCMK_debug": "no",
           "HA_logfacility": "none"}
    children = [subprocess.Popen(["corosync", "-f"], env=env, stdout=sys.stdout,
                                 stderr=sys.stdout)]
    deadline = time.monotonic() + 30
    while subprocess.run(["corosync-cfgtool", "-s"], capture_output=True,
                         env=env).returncode != 0:
        if time.monotonic() > deadline or children[0].poll() is not None:
            raise SystemExit("corosync did not start")
        time.sleep(0.1)
    children.append(subprocess.Popen(["pacemakerd", "-f"], env=env, stdout=sys.stdout,
                                     stderr=sys.stdout))
    with open(lab.node_dir(node, "booted"), "w", encoding="utf-8") as fh:
        fh.write(f"{time.time()}\n")
    log("corosync and pacemakerd started")
    while True:  # PID 1: reap every orphan of the node until the power goes off (SIGKILL)
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            time.sleep(0.5)
            continue
        for name, child in zip(("corosync", "pacemakerd"), children, strict=False):
            if pid == child.pid:
                log(f"{name} exited with status {status}")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, subprocess.CalledProcessError) as err:
        log(f"boot failed: {err}")
        sys.exit(1)
