"""``python -m jobcenter_cluster.simulator start SITE DBPATH``: start a simulated site.

Detaches like a real daemon (fork, setsid, fork) so nqsdaemon ends up with PID 1 -- or the
nearest subreaper, the watcher -- as its parent; returns 0 once every daemon has been launched
(the engine waits for them to show up). stdio of the daemons is /dev/null.
"""

from __future__ import annotations

import os
import sys

from jobcenter_cluster.simulator import ARGV0, DAEMON_PY, ROLES_TOP, state_dir


def _interpreter() -> str:
    try:
        return os.readlink("/proc/self/exe")
    except OSError:
        return sys.executable


def _detach_stdio() -> None:
    fd = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(fd, target)
    if fd > 2:
        os.close(fd)


def start(site: str, database: str) -> int:
    os.umask(0o022)  # the daemons inherit it: nothing they make is writable by others
    nqs = os.path.join(database, "nqs")
    if not os.path.isdir(nqs):
        print(f"simulator: {nqs} is not a site database", file=sys.stderr)
        return 1
    os.makedirs(state_dir(database), exist_ok=True)
    env = dict(os.environ)
    env["NQS_SITE"] = site
    # argv[0] is JobCenter's name, not a path, so the interpreter cannot find its own prefix
    # from it: tell it (this is why the daemons run with -S -s -B and not -I, which ignores it).
    env["PYTHONHOME"] = sys.base_prefix
    python = _interpreter()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    # intermediate: new session, launch the top-level daemons, exit so they get re-parented
    try:
        os.setsid()
        _detach_stdio()
        os.chdir("/")
        for role in ROLES_TOP:
            if os.fork() == 0:
                try:
                    os.execve(python, [ARGV0[role], "-S", "-s", "-B", DAEMON_PY, role, site, database], env)
                finally:
                    os._exit(127)
    finally:
        os._exit(0)


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "start":
        return start(argv[1], argv[2])
    print("usage: python -m jobcenter_cluster.simulator start SITE DBPATH", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
