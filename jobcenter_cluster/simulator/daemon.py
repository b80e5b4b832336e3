"""One simulated JobCenter daemon (run as ``python -S -s -B daemon.py ROLE SITE DBPATH``).

Standard library only and self-contained: it is exec'd with JobCenter's argv[0] and without the
site directory, so it must not import the package. See `jobcenter_cluster.simulator`.
"""

from __future__ import annotations

import os
import signal
import sys
import time

ARGV0 = {
    "nqsdaemon": "NQS nqsdaemon",
    "netdaemon": "NQS netdaemon",
    "logdaemon": "NQSlogdaemon",
    "jnwengine": "/usr/lib/nqs/gui/bin/jnwengine",
    "jnwengine-qwb": "jnwengine-qwb",
    "jnwengine-trkrdr": "jnwengine-trkrdr",
    "sclaunchd": "/usr/lib/nqs/gui/bin/sclaunchd",
    "jnwcaster": "/usr/lib/nqs/jnwcaster",
    "comagent": "/usr/lib/nqs/combase/comagent",
}

#: children each role starts (exec'd with their own argv[0]); jnwcaster forks a copy of itself
CHILDREN = {
    "nqsdaemon": ("netdaemon", "logdaemon"),
    "jnwengine": ("jnwengine-qwb", "jnwengine-trkrdr"),
}


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _open(path: str, flags: int, mode: int = 0o644) -> int:
    """Open without following a final symlink, with an explicit mode; only a regular file owned
    by root or us that nobody else can write (a copy of `jobcenter_cluster.fsio.open_nofollow`:
    this file may not import the package)."""
    fd = os.open(path, flags | _NOFOLLOW, mode)
    st = os.fstat(fd)
    if flags & os.O_CREAT and st.st_uid == os.geteuid() and st.st_mode & 0o022:
        os.fchmod(fd, mode)  # ours, made writable by an earlier umask: fix it
        st = os.fstat(fd)
    if (st.st_mode & 0o170000 != 0o100000 or st.st_uid not in (0, os.geteuid())
            or st.st_mode & 0o022):
        os.close(fd)
        raise PermissionError(f"{path}: not a regular file of ours, or writable by others")
    return fd


def _state_dir(simdir: str) -> None:
    """``<DBPATH>/nqs/sim``: made with mode 755 whatever the umask; refused (the daemon does not
    start) when it is a symlink, someone else's, or writable by others."""
    try:
        os.mkdir(simdir, 0o755)
        os.chmod(simdir, 0o755)
    except FileExistsError:
        pass
    st = os.lstat(simdir)
    if (st.st_mode & 0o170000 != 0o040000 or st.st_uid not in (0, os.geteuid())
            or st.st_mode & 0o022):
        raise SystemExit(f"{simdir}: not a directory of ours, or writable by others")


def _faults(database: str) -> dict[str, str]:
    out: dict[str, str] = {}
    specs = os.environ.get("JCCLUSTER_SIM_FAULTS", "").split(",")
    try:
        fd = _open(os.path.join(database, "nqs", "sim", "faults"), os.O_RDONLY)
        with open(fd, encoding="utf-8") as fh:
            specs += fh.read().splitlines()
    except OSError:
        pass
    for spec in specs:
        role, sep, fault = spec.strip().partition("=")
        if sep:
            out[role.strip()] = fault.strip()
    return out


def _set_comm(name: str) -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _spawn(role: str, site: str, database: str) -> None:
    if os.fork() == 0:
        try:
            os.execv(
                os.readlink("/proc/self/exe"),
                [ARGV0[role], "-S", "-s", "-B", os.path.abspath(__file__), role, site, database],
            )
        finally:
            os._exit(127)


def _record(simdir: str, name: str, text: str) -> None:
    tmp = os.path.join(simdir, f".{name}.{os.getpid()}.{os.urandom(6).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    os.fchmod(fd, 0o644)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, os.path.join(simdir, name))


#: the program a double-forked job runs (argv[0] ``jobcenter-sim-job``): wait for a signal
JOB_ARGV0 = "jobcenter-sim-job"
_JOB_CODE = "import signal\nwhile True:\n    signal.pause()\n"


def _double_fork(role: str, simdir: str, how: str) -> None:
    """Leave a job behind the way ``nqsbg`` or a daemonising job does (manual §4.13): fork,
    ``setsid``, fork again and let the middle process exit, so the grandchild is re-parented
    away (to PID 1 or the nearest subreaper) and is no descendant of any daemon. It keeps the
    site's environment (``NQS_SITE`` and whatever the start put there); ``how`` ``detach``: it
    also leaves the database (cwd ``/``, no open files), so only its environment ties it to the
    site. Its pid is written to ``<role>-job.pid``."""
    middle = os.fork()
    if middle:
        os.waitpid(middle, 0)  # the middle process exits at once: no zombie left behind
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        _record(simdir, f"{role}-job.pid", f"{os.getpid()}\n")
        if how == "detach":
            os.chdir("/")
            os.closerange(3, 65536)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(sig, signal.SIG_DFL)
        os.execv(os.readlink("/proc/self/exe"), [JOB_ARGV0, "-S", "-s", "-B", "-c", _JOB_CODE])
    finally:
        os._exit(127)


def main(role: str, site: str, database: str) -> None:
    os.umask(0o022)
    faults = _faults(database)
    fault = faults.get(role, "")
    kind, _, arg = fault.partition("=")
    if kind == "no-start":
        return
    if kind == "delay":
        time.sleep(float(arg or 1))
    nqs = os.path.join(database, "nqs")
    simdir = os.path.join(nqs, "sim")
    _state_dir(simdir)
    os.chdir(nqs)  # like NQS: the daemon's cwd is the site's root directory
    log_fd = _open(os.path.join(simdir, f"{role}.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    log = open(log_fd, "a", encoding="utf-8")  # noqa: SIM115
    log.write(f"{time.time():.3f} {role} pid {os.getpid()} site {site} started\n")
    log.flush()

    def on_term(_sig: int, _frame: object) -> None:
        log.write(f"{time.time():.3f} {role} pid {os.getpid()} SIGTERM: exiting\n")
        log.flush()
        os._exit(0)

    def on_usr1(_sig: int, _frame: object) -> None:
        os._exit(0)

    signal.signal(signal.SIGTERM, signal.SIG_IGN if kind == "ignore-term" else on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    for child in CHILDREN.get(role, ()):
        _spawn(child, site, database)
    suffix = ""
    if role == "jnwcaster" and os.fork() == 0:
        suffix = "-child"
        kind = faults.get("jnwcaster-child", "").partition("=")[0]
        arg = faults.get("jnwcaster-child", "").partition("=")[2]
    _record(simdir, f"{role}{suffix}.pid", f"{os.getpid()}\n")
    # Last: the kernel name doubles as the readiness signal (signal handlers are in place).
    _set_comm(role.replace("jnwengine-", "") if len(role) > 15 else role)
    if kind == "double-fork":
        _double_fork(role, simdir, arg)
    if kind in ("crash", "exit"):
        signal.signal(signal.SIGALRM, lambda *_: os._exit(1 if kind == "crash" else 0))
        signal.setitimer(signal.ITIMER_REAL, float(arg or 1))
    while True:
        signal.pause()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
