"""``site keep-port ADDRESS``: the counterpart of ``nqsportkpr`` (manual §2.10.4).

Binds the NQS port (607/tcp) on the site address -- without SO_REUSEADDR and without listening,
so no other process can bind it, specific or wildcard -- in a small detached holder process, and
returns. ``site start`` releases the holder right before it starts the daemons; the holder also
gives up by itself after ``hold`` seconds (default 600) so a failed package start does not keep
the port forever.

The remaining race is the manual's: between the release and the daemon's own bind (a few
milliseconds here, the daemons' start-up time with JobCenter) another process could take the
port; and nothing protects the port before keep-port runs -- make it the package's first command.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import time

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import procs, store
from jobcenter_cluster.engine.base import MAX_TIMEOUT, Result
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

DEFAULT_HOLD = 600.0
#: the shortest hold: a holder that gives up sooner holds nothing a start could release
#: (``--hold 1e-300`` was accepted; issue 28)
MIN_HOLD = 1.0


def _record_path(root: str, address: str, port: int) -> str:
    return os.path.join(root, store.META, "keepport", f"{address}-{port}.json")


def require_args(address: str, port: int, hold: float | None) -> None:
    """The CLI's values, validated like the cluster file's (one line naming the field)."""
    try:
        addr = ipaddress.IPv4Address(address)
    except ValueError:
        addr = None
    if addr is None and (address and not address.strip("0123456789.")
                         or address.lower().startswith("0x")):
        # numbers and dots but no dotted quad: the resolver (inet_aton) would read
        # 127.000.010.001 as octal (127.0.8.1), 127.1 as 127.0.0.1; a host name is never
        # all-numeric (RFC 1123 2.1), so it can only be a mistyped address (issue 28)
        raise UserError(f"keep-port: ADDRESS {address!r} is not a dotted IPv4 address (write "
                        "four decimal numbers without leading zeros, e.g. 127.0.10.1, or "
                        "the site name)")
    if addr is not None and (addr.is_unspecified or addr.is_multicast
                             or str(addr) == "255.255.255.255"):
        raise UserError(f"keep-port: ADDRESS {address!r} is not a host address (give the site "
                        "name or its unicast IPv4 address)")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise UserError(f"keep-port: --port {port!r} is not a TCP port (1-65535; NQS uses 607)")
    if hold is not None:
        try:
            h = float(hold)
        except (TypeError, ValueError):
            raise UserError(f"keep-port: --hold {hold!r} is not a number of seconds") from None
        if not MIN_HOLD <= h <= MAX_TIMEOUT:  # also false for nan
            raise UserError(f"keep-port: --hold {hold!r} must be a number of seconds from "
                            f"{MIN_HOLD:g} to {MAX_TIMEOUT:g}")


def _address(address: str, root: str) -> str:
    try:
        return str(ipaddress.IPv4Address(address))
    except ValueError:
        pass
    key = store.require_site_name(address)
    reg = store.read_registry(root, key)
    if reg and reg.get("address"):
        return str(reg["address"])
    try:
        from jobcenter_cluster import hosts

        return hosts.gethostbyname(key)
    except OSError:
        raise UserError(f"{address} does not resolve; give the site name or its IPv4 address"
                        ) from None


def _bind(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((address, port))
    except OSError as err:
        sock.close()
        raise err
    return sock


def keep_port(
    address: str,
    *,
    port: int = 607,
    hold: float | None = None,
    root: str,
    foreground: bool = False,
) -> Result:
    require_args(address, port, hold)
    addr = _address(address, root)
    hold = DEFAULT_HOLD if hold is None else float(hold)
    record = _record_path(root, addr, port)
    current = store.read_json(record)
    if current and procs.alive(current.get("pid"), current.get("start")):
        return Result(Outcome.SUCCESS, f"{addr}:{port} is already held (pid {current['pid']})",
                      {"pid": current["pid"]})
    try:
        sock = _bind(addr, port)
    except OSError as err:
        return Result(Outcome.FAILED, f"cannot hold {addr}:{port}: {err.strerror} "
                      "(another process has it: find it with `ss -ltnp`)")
    fsio.make_dirs(os.path.dirname(record), 0o755)
    if foreground:
        return _hold(sock, record, addr, port, hold)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the holder
        try:
            os.close(r)
            os.setsid()
            if os.fork():
                os._exit(0)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.chdir("/")
            _hold(sock, record, addr, port, hold, ready_fd=w)
        finally:
            os._exit(0)
    os.close(w)
    sock.close()
    os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as fh:
        ok = fh.read()
    if not ok:
        return Result(Outcome.FAILED, f"the port holder for {addr}:{port} did not start")
    held = store.read_json(record) or {}
    if not procs.alive(held.get("pid"), held.get("start")):
        return Result(Outcome.FAILED, f"the port holder for {addr}:{port} is not running; "
                      "nothing holds the port")
    return Result(
        Outcome.SUCCESS,
        f"holding {addr}:{port} (pid {held.get('pid')}) until the site starts, at most {hold:g}s",
        {"pid": held.get("pid"), "address": addr, "port": port},
    )


def _hold(
    sock: socket.socket, record: str, addr: str, port: int, hold: float,
    ready_fd: int | None = None,
) -> Result:
    me = procs.read(os.getpid())
    store.write_json(record, {"pid": os.getpid(), "start": me.start if me else 0,
                              "address": addr, "port": port, "until": time.time() + hold})
    got: list[int] = []
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    old = signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
    handlers = {s: signal.signal(s, lambda n, _f: got.append(n))
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    if ready_fd is not None:
        os.write(ready_fd, b"1")
        os.close(ready_fd)
    try:
        import select

        select.select([rfd], [], [], hold)
    finally:
        signal.set_wakeup_fd(old)
        for s, h in handlers.items():
            signal.signal(s, h)
        sock.close()
        cur = store.read_json(record)
        if cur and cur.get("pid") == os.getpid():
            store.remove(record)
        for fd in (rfd, wfd):
            procs.close_quietly(fd)
    why = "released" if got else f"held {hold:g}s, gave up"
    return Result(Outcome.SUCCESS, f"{addr}:{port} {why}")


def release(root: str, address: str) -> None:
    """Stop every holder for ``address`` (called by start right before the daemons start)."""
    directory = os.path.join(root, store.META, "keepport")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        if not entry.startswith(f"{address}-") or not entry.endswith(".json"):
            continue
        path = os.path.join(directory, entry)
        rec = store.read_json(path) or {}
        pid, start = rec.get("pid"), rec.get("start")
        if isinstance(pid, int) and procs.signal_ident(pid, start, signal.SIGTERM):
            deadline = time.monotonic() + 1.0
            while procs.alive(pid, start) and time.monotonic() < deadline:
                fd = procs.pidfd(pid)
                if fd is None:
                    time.sleep(0.01)
                    continue
                try:
                    import select

                    select.select([fd], [], [], max(deadline - time.monotonic(), 0))
                finally:
                    procs.close_quietly(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
