"""JobCenter's own command surface, emulated: ``cjcmksite``, ``cjcpw``, ``cjcls``, ``nqsportkpr``,
``nqspath`` (written from the manual: SPEC.md §3, manual §2.10-2.12, §4.12).

`jccluster simulator install PREFIX <jobcenter_cluster.simulator.install>` writes five small
executables under PREFIX (``PREFIX/cluster/cjcpw`` ...) that call `main` here. They behave as the
manual describes the real commands, with the simulator's stand-in daemons in place of JobCenter's,
so that the engine (``JCCLUSTER_PREFIX=PREFIX``) and every script we render can be run against
JobCenter's command surface before JobCenter is installed. This is a rehearsal tool, not
JobCenter: it builds no real NQS database and its daemons serve no jobs.

Environment:

- ``JCCLUSTER_ROOT``: the spool root (default ``/usr/spool/nqs``);
- ``JCCLUSTER_HOSTS``: a private hosts file searched before the resolver (`jobcenter_cluster.hosts`);
- ``JCCLUSTER_SIM_STOP_SECONDS``: how long ``cjcpw -stop`` takes (default 3; the manual's real
  stop takes 1-2 minutes);
- ``JCCLUSTER_SIM_START_SECONDS``: how long ``cjcpw`` waits for every daemon (default 30);
- ``JCCLUSTER_SIM_NQS_PORT``: the port ``nqsportkpr`` holds (default 607, the ``nqs`` service);
- ``JCCLUSTER_SIM_FAULTS``: the simulator's faults, applied to the daemons ``cjcpw`` starts.

The emulated database: ``DBPATH/nqs/`` (directories made with the caller's umask, as the real
``cjcmksite`` does: the manual warns that root's umask must leave 755), the site record
``DBPATH/nqs/sim/site.conf`` (``site=``, ``machine_id=``, ``address=``), the daemons' pid files
and logs in ``DBPATH/nqs/sim/``; the standard spool link ``ROOT/<HEX> -> DBPATH/nqs``.

Linux only (it reads ``/proc``), like the simulator's daemons. Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import signal
import socket
import sys
import time

from jobcenter_cluster import fsio, hosts

DEFAULT_ROOT = "/usr/spool/nqs"
#: the processes cjcpw watches (manual §2.10.4); jnwcaster: the parent one
WATCHED = ("nqsdaemon", "netdaemon", "logdaemon", "jnwengine", "jnwengine-qwb",
           "jnwengine-trkrdr", "sclaunchd", "jnwcaster", "comagent")
RECORD = os.path.join("sim", "site.conf")
STOP_MARK = os.path.join("sim", "stopping")
WATCHER_PID = os.path.join("sim", "cjcpw.pid")
POLL = 0.1


class Failure(Exception):
    """A command failed: the message is printed as ``CMD: message`` and the exit status is 1."""


# --- environment ------------------------------------------------------------------------------


def spool_root() -> str:
    return os.environ.get("JCCLUSTER_ROOT") or DEFAULT_ROOT


def _seconds(var: str, default: float) -> float:
    raw = os.environ.get(var, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise Failure(f"${var}={raw!r} is not a number of seconds") from None
    if value < 0 or value != value:
        raise Failure(f"${var}={raw!r} must be 0 or more seconds")
    return value


def stop_seconds() -> float:
    return _seconds("JCCLUSTER_SIM_STOP_SECONDS", 3.0)


def nqs_port() -> int:
    raw = os.environ.get("JCCLUSTER_SIM_NQS_PORT", "") or "607"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise Failure(f"$JCCLUSTER_SIM_NQS_PORT={raw!r} is not a TCP port")
    return int(raw)


# --- names ------------------------------------------------------------------------------------


def spool_hex(address: str) -> str:
    return "".join(f"{int(p):02X}" for p in address.split("."))


def resolve(name: str) -> str:
    """The IPv4 address of a site name (official name, not an alias) or of an address."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.IPv4Address(name))
    try:
        official, _aliases, addresses = hosts.gethostbyname_ex(name)
    except OSError:
        raise Failure(f"{name}: unknown host (add it to DNS or /etc/hosts)") from None
    if official.rstrip(".").lower() != name.rstrip(".").lower():
        raise Failure(f"{name} is an alias of {official}: give the official host name")
    return addresses[0]


def require_active(address: str, name: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:
                raise Failure(f"{address} ({name}) is not active on this machine") from None
            raise Failure(f"cannot bind to {address} ({name}): {err.strerror}") from None


def _host() -> str:
    return os.uname().nodename.lower()


# --- the emulated database ----------------------------------------------------------------------


def read_record(nqs: str) -> dict[str, str] | None:
    try:
        with open(os.path.join(nqs, RECORD), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    out = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out if out.get("site") else None


def _sites_here(root: str) -> list[tuple[str, str, dict[str, str] | None]]:
    """``(link, target, record)`` for every standard spool link under the root."""
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return []
    out = []
    for entry in entries:
        path = os.path.join(root, entry)
        if len(entry) == 8 and os.path.islink(path):
            target = os.readlink(path)
            out.append((path, target, read_record(target)))
    return out


def _find_nqs(site: str) -> str | None:
    """The ``nqs`` directory of ``site`` on this machine, through its spool link."""
    key = site.rstrip(".").lower()
    for _link, target, record in _sites_here(spool_root()):
        if record and record["site"] == key:
            return target
    with contextlib.suppress(Failure):
        link = os.path.join(spool_root(), spool_hex(resolve(site)))
        if os.path.isdir(link):
            return os.path.realpath(link)
    return None


def ensure_link(root: str, address: str, nqs: str) -> str:
    path = os.path.join(root, spool_hex(address))
    if os.path.islink(path):
        if os.readlink(path) == nqs:
            return path
        if read_record(os.readlink(path)) is not None:
            raise Failure(f"{path} links to {os.readlink(path)}, the database of another site")
        os.unlink(path)  # a stale link to a database that is gone or unmounted
    elif os.path.lexists(path):
        raise Failure(f"{path} exists and is not a symbolic link")
    os.makedirs(root, exist_ok=True)
    os.symlink(nqs, path)
    return path


# --- processes (/proc) --------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2 :].split()
    return rest[0].decode(), int(rest[19])


def _environ(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    out = {}
    for item in raw.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep:
            out[k.decode(errors="replace")] = v.decode(errors="replace")
    return out


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _argv0(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return ""


def _ready_comm(role: str) -> str:
    # what the simulator daemon sets as its kernel name once it is ready (see daemon.py)
    return role.replace("jnwengine-", "") if len(role) > 15 else role


def _daemon_names() -> set[str]:
    from jobcenter_cluster.simulator.daemon import ARGV0

    return set(ARGV0.values())


def site_daemons(site: str) -> dict[int, int]:
    """Every live simulated JobCenter daemon of ``site`` on this machine: ``{pid: start}``."""
    key = site.rstrip(".").lower()
    names = _daemon_names()
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        st = _stat(pid)
        if st is None or st[0] in "ZX" or _argv0(pid) not in names:
            continue
        if (_environ(pid).get("NQS_SITE") or "").rstrip(".").lower() == key:
            out[pid] = st[1]
    return out


def _pid_file(nqs: str, role: str) -> int | None:
    try:
        with open(os.path.join(nqs, "sim", f"{role}.pid"), encoding="ascii") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def _up(nqs: str, site: str, role: str) -> tuple[int, int] | None:
    """(pid, start) of ``role`` when it runs, is ready and belongs to ``site``."""
    pid = _pid_file(nqs, role)
    if pid is None:
        return None
    st = _stat(pid)
    if st is None or st[0] in "ZX" or _comm(pid) != _ready_comm(role):
        return None
    if (_environ(pid).get("NQS_SITE") or "").rstrip(".").lower() != site:
        return None
    return pid, st[1]


def _death(pid: int, start: int) -> str | None:
    st = _stat(pid)
    if st is None or st[1] != start:
        return "is gone"
    if st[0] in "ZX":
        return "is a zombie"
    return None


# --- cjcmksite ----------------------------------------------------------------------------------


def cjcmksite(args: list[str]) -> int:
    if len(args) != 3:
        print("usage: cjcmksite SITE-NAME MACHINE-ID DB-PATH", file=sys.stderr)
        return 1
    site, mid, dbpath = args
    if not mid.isdigit() or not 0 < int(mid) < 2**31:
        raise Failure(f"machine ID {mid!r} must be a positive number")
    if not os.path.isabs(dbpath):
        raise Failure(f"{dbpath}: the database path must be a full path")
    dbpath = os.path.normpath(dbpath)
    key = site.rstrip(".").lower()
    address = resolve(site)
    require_active(address, site)
    parent = os.path.dirname(dbpath)
    if not os.path.isdir(parent):
        raise Failure(f"{parent}: No such directory (is the shared disk mounted?)")
    nqs = os.path.join(dbpath, "nqs")
    if os.path.lexists(nqs):
        record = read_record(nqs)
        if record is None:
            raise Failure(f"{nqs} exists and is not a JobCenter site database")
        if record["site"] != key or record.get("machine_id") != str(int(mid)):
            raise Failure(f"{nqs} already holds site {record['site']} (machine ID "
                          f"{record.get('machine_id')})")
    # the caller's umask applies to everything made here, as with the real command (§2.12)
    print("Phase 1: Make NQS spool directories.", flush=True)
    os.makedirs(dbpath, exist_ok=True)
    for sub in ("", "private", "private/root", "private/root/database", "private/requests",
                "spool", "log", "sim"):
        os.makedirs(os.path.join(nqs, sub), mode=0o777, exist_ok=True)
    print("Phase 2: Make the site database.", flush=True)
    umask = os.umask(0)
    os.umask(umask)
    fsio.atomic_write(os.path.join(nqs, RECORD),
                      f"site={key}\nmachine_id={int(mid)}\naddress={address}\n", 0o666 & ~umask)
    print("Phase 3: Make the standard spool link.", flush=True)
    ensure_link(spool_root(), address, nqs)
    print("cjcmksite: Complete.", flush=True)
    return 0


# --- cjcpw --------------------------------------------------------------------------------------


def _daemon_conf_maintenance(prefix: str, dbpath: str) -> bool:
    """``maintenance=ON`` in daemon.conf (manual §2.10.5): the common file
    ``PREFIX/rc/daemon.conf`` (``$JCCLUSTER_DAEMON_CONF`` instead, as for the engine), then the
    cluster site's ``DBPATH/etc/daemon.conf``; the later file wins, keys are case-insensitive."""
    on = False
    common = os.environ.get("JCCLUSTER_DAEMON_CONF") or os.path.join(prefix, "rc", "daemon.conf")
    for path in (common, os.path.join(dbpath, "etc", "daemon.conf")):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        with open(fd, encoding="utf-8", errors="replace") as fh:
            if not _regular(fh.fileno()):
                continue
            for line in fh:
                key, sep, value = line.split("#", 1)[0].strip().partition("=")
                if sep and key.strip().lower() == "maintenance":
                    on = value.strip().upper() == "ON"
    return on


def _regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)


# --- faults of the emulated installation (docs/simulator.md "Faults") ---------------------------


def faults(nqs: str | None = None) -> dict[str, str]:
    """``ROLE=FAULT`` pairs from ``$JCCLUSTER_SIM_FAULTS`` (comma-separated; ``PREFIX/simulator.env``
    may set it) and, when the site's database is known, from ``DBPATH/nqs/sim/faults`` lines
    (the environment wins). The daemons read the same variable and file (``daemon.py``)."""
    specs = []
    if nqs is not None:
        try:
            fd = os.open(os.path.join(nqs, "sim", "faults"),
                         os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
            with open(fd, encoding="utf-8", errors="replace") as fh:
                if _regular(fh.fileno()):
                    specs += fh.read().splitlines()
        except OSError:
            pass
    specs += os.environ.get("JCCLUSTER_SIM_FAULTS", "").split(",")
    out: dict[str, str] = {}
    for spec in specs:
        role, sep, fault = spec.strip().partition("=")
        if sep and role.strip():
            out[role.strip()] = fault.strip()
    return out


#: the fault that makes ``cjcpw -stop SITE`` fail: exit 1, a line on stderr, nothing stopped
STOP_FAULT = ("cjcpw-stop", "fail")


def _release_port(address: str) -> None:
    path = _portkpr_file(address)
    try:
        with open(path, encoding="ascii") as fh:
            pid, start = (int(x) for x in fh.read().split())
    except (OSError, ValueError):
        return
    st = _stat(pid)
    if st is not None and st[1] == start:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and (s := _stat(pid)) is not None and s[0] not in "ZX":
            time.sleep(0.01)
    with contextlib.suppress(OSError):
        os.unlink(path)


def cjcpw(args: list[str], prefix: str) -> int:
    if args[:1] == ["-stop"]:
        if len(args) != 2:
            print("usage: cjcpw -stop SITE-NAME", file=sys.stderr)
            return 1
        return _stop(args[1])
    watch = True
    rest = list(args)
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt == "-c":
            watch = False
        elif opt == "-u" and rest:
            rest.pop(0)  # Windows only (the JobCenter admin account): accepted, unused here
        else:
            rest = []
            break
    if len(rest) != 2:
        print("usage: cjcpw [-c] [-u ADMIN] SITE-NAME DB-PATH | cjcpw -stop SITE-NAME",
              file=sys.stderr)
        return 1
    site, dbpath = rest[0].rstrip(".").lower(), os.path.normpath(rest[1])
    nqs = os.path.join(dbpath, "nqs")
    record = read_record(nqs)
    if record is None:
        raise Failure(f"{nqs}: not a site database (is the shared disk mounted? was cjcmksite "
                      "run?)")
    if record["site"] != site:
        raise Failure(f"{dbpath} is the database of site {record['site']}, not {site}")
    address = record.get("address") or resolve(site)
    ensure_link(spool_root(), address, nqs)  # cjcpw makes the link on whichever node it runs
    with contextlib.suppress(OSError):
        os.unlink(os.path.join(nqs, STOP_MARK))
    if watch:
        _write(os.path.join(nqs, WATCHER_PID), f"{os.getpid()}\n")
    if _daemon_conf_maintenance(prefix, dbpath):
        print(f"cjcpw: {site}: maintenance=ON: daemons not started", file=sys.stderr)
        return _idle(nqs) if watch else 0
    idents = _start_daemons(site, dbpath, nqs, address)
    if not watch:
        return 0
    return _watch(site, nqs, idents)


def _write(path: str, text: str) -> None:
    fsio.atomic_write(path, text)  # never a predictable temporary name (issue 22)


def _start_daemons(site: str, dbpath: str, nqs: str, address: str) -> dict[str, tuple[int, int]]:
    _release_port(address)
    up = {role: _up(nqs, site, role) for role in WATCHED}
    if all(up.values()):
        return {r: v for r, v in up.items() if v}  # already running: watch what runs
    if any(up.values()) or site_daemons(site):
        raise Failure(f"{site}: part of the site is already running; run cjcpw -stop {site} first")
    for role in (*WATCHED, "jnwcaster-child"):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(nqs, "sim", f"{role}.pid"))
    from jobcenter_cluster.simulator.__main__ import start

    rc = start(site, dbpath)
    if rc != 0:
        raise Failure(f"{site}: the daemons could not be started (status {rc})")
    deadline = time.monotonic() + _seconds("JCCLUSTER_SIM_START_SECONDS", 30.0)
    while True:
        up = {role: _up(nqs, site, role) for role in WATCHED}
        if all(up.values()):
            return {r: v for r, v in up.items() if v}
        if time.monotonic() >= deadline:
            missing = ", ".join(r for r, v in up.items() if not v)
            raise Failure(f"{site}: {missing} did not start")
        time.sleep(0.02)


def _stopping(nqs: str) -> bool:
    return os.path.exists(os.path.join(nqs, STOP_MARK))


def _idle(nqs: str) -> int:
    while not _stopping(nqs):
        time.sleep(POLL)
    return 0


def _watch(site: str, nqs: str, idents: dict[str, tuple[int, int]]) -> int:
    """Stay in the foreground; exit 1 when a watched daemon is gone or a zombie, 0 on -stop."""
    while True:
        if _stopping(nqs):
            deadline = time.monotonic() + stop_seconds() + 15.0
            while time.monotonic() < deadline and not all(_death(*i) for i in idents.values()):
                time.sleep(POLL)
            return 0
        for role, ident in idents.items():
            how = _death(*ident)
            if how and not _stopping(nqs):
                print(f"cjcpw: {site}: {role} (pid {ident[0]}) {how}", file=sys.stderr,
                      flush=True)
                return 1
        time.sleep(POLL)


def _stop(site: str) -> int:
    key = site.rstrip(".").lower()
    nqs = _find_nqs(key)
    role, fault = STOP_FAULT
    if faults(nqs).get(role) == fault:
        # the fault: a stop that fails without doing anything, whether the site runs or not
        print(f"cjcpw: {key}: cannot stop the site (emulated fault {role}={fault}; nothing "
              "was stopped)", file=sys.stderr)
        return 1
    if nqs is not None and os.path.isdir(os.path.join(nqs, "sim")):
        _write(os.path.join(nqs, STOP_MARK), f"{os.getpid()}\n")
    with contextlib.suppress(Failure, OSError, ValueError):
        # the NQS port holder of a start that never got as far as the daemons goes too
        # (emulation's choice: the manual does not say what the real cjcpw -stop does here)
        _release_port(resolve(key))
    victims = site_daemons(key)
    if not victims:
        print(f"cjcpw: {key}: not running on this machine", file=sys.stderr)
        return 0
    time.sleep(stop_seconds())  # stands in for the manual's 1-2 minutes (§3.3.7)
    for pid, start in site_daemons(key).items() | victims.items():
        if _death(pid, start) is None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
    if _wait_gone(victims, 5.0):
        return 0
    left = {p: s for p, s in victims.items() if _death(p, s) is None}
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    print(f"cjcpw: {key}: killed {len(left)} daemon(s) that ignored SIGTERM: "
          f"{' '.join(str(p) for p in sorted(left))}", file=sys.stderr)
    if _wait_gone(left, 2.0):
        return 0
    return 1


def _wait_gone(victims: dict[int, int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_death(p, s) is None for p, s in victims.items()):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


# --- cjcls --------------------------------------------------------------------------------------


def cjcls(args: list[str]) -> int:
    if args:
        print("usage: cjcls", file=sys.stderr)
        return 1
    rule = "-" * 60
    lines = [rule, f"{'SITE-NAME':<18} {'DAEMON-PID':<15} DB-PATH(LINK)", rule]
    for link, target, record in _sites_here(spool_root()):
        if record:
            name = record["site"]
        else:
            try:
                name = hosts.gethostbyaddr(".".join(str(int(link[-8:][i:i + 2], 16))
                                                    for i in range(0, 8, 2)))[0]
            except (OSError, ValueError):
                name = "?"
        pid = _up(target, name, "nqsdaemon") if record else None
        lines.append(f"{name:<18} {str(pid[0]) if pid else 'SHUT':<15} "
                     f"{os.path.dirname(target.rstrip('/'))}")
        lines.append(f"{'':<18}({link})")
    lines.append(rule)
    print("\n".join(lines))
    return 0


# --- nqspath ------------------------------------------------------------------------------------


def nqspath(args: list[str]) -> int:
    if len(args) > 1:
        print("usage: nqspath [SITE-NAME]", file=sys.stderr)
        return 1
    name = args[0] if args else os.environ.get("NQS_SITE", "")
    root = spool_root()
    if not name or name.lower() in (_host(), _host().split(".")[0]):
        path = root
    else:
        try:
            path = os.path.join(root, spool_hex(resolve(name)))
        except Failure:
            raise Failure("Unable to setup NQS rootdir") from None
    if not os.path.isdir(path):
        raise Failure("Unable to chdir() to the NQS root directory.")
    print(path)
    return 0


# --- nqsportkpr ---------------------------------------------------------------------------------


def _portkpr_file(address: str) -> str:
    return os.path.join(spool_root(), ".nqsportkpr", f"{spool_hex(address)}.pid")


def nqsportkpr(args: list[str]) -> int:
    """Bind the NQS port on the site address in a detached holder and return; ``cjcpw``
    releases it right before the daemons start (the holder gives up after 600 s anyway)."""
    if len(args) != 1:
        print("usage: nqsportkpr ADDRESS", file=sys.stderr)
        return 1
    address = resolve(args[0])
    port = nqs_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((address, port))
    except OSError as err:
        sock.close()
        raise Failure(f"cannot hold {address}:{port}: {err.strerror}") from None
    path = _portkpr_file(address)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child:
        os.close(w)
        sock.close()
        ok = os.read(r, 1)
        os.close(r)
        os.waitpid(child, 0)
        return 0 if ok == b"1" else 1
    os.close(r)
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        fd = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(fd, target)
        os.chdir("/")
        st = _stat(os.getpid())
        _write(path, f"{os.getpid()} {st[1] if st else 0}\n")
        os.write(w, b"1")
        os.close(w)
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        time.sleep(600.0)
    finally:
        os._exit(0)


# --- entry point --------------------------------------------------------------------------------


def load_defaults(prefix: str) -> None:
    """``PREFIX/simulator.env`` (written by ``install --root/--host/--stop-seconds``): defaults
    for the variables the caller's environment does not set. Read by the trust rule
    (`jobcenter_cluster.fsio.read_trusted`: root's or yours, nobody else can write it or the
    directories above it): a `UserError` otherwise, never a default from someone else's file."""
    from jobcenter_cluster import fsio

    try:
        data = fsio.read_trusted(os.path.join(prefix, "simulator.env"), what="simulator defaults",
                                 limit=1 << 20)
    except FileNotFoundError:
        return
    lines = data.decode("utf-8", errors="replace").splitlines()
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#") and key.startswith("JCCLUSTER_"):
            os.environ.setdefault(key.strip(), value.strip())


def main(command: str, args: list[str], prefix: str = "") -> int:
    """Run one emulated command; the installed scripts call this."""
    from jobcenter_cluster.errors import UserError

    try:
        if prefix:
            load_defaults(prefix)
        if command == "cjcmksite":
            return cjcmksite(args)
        if command == "cjcpw":
            return cjcpw(args, prefix)
        if command == "cjcls":
            return cjcls(args)
        if command == "nqspath":
            return nqspath(args)
        if command == "nqsportkpr":
            return nqsportkpr(args)
    except (Failure, UserError) as err:
        print(f"{command}: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{command}: {err.filename or ''}: {err.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"unknown command {command}", file=sys.stderr)
    return 1
