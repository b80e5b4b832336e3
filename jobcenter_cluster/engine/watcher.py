"""The watcher: stay in the foreground while the site's daemons live (``cjcpw`` without ``-c``).

Event-driven: one pidfd per watched daemon (``pidfd_open``; readable the moment the process
exits -- also when it turns into a zombie, and also for processes that are not our children) and
the signal wake-up pipe, all in one ``poll()``. Idle, it costs no CPU; a death is seen in well
under a millisecond. Without pidfd (old kernels) it falls back to reading ``/proc`` every 100 ms.
Every 5 s it also re-reads ``/proc`` for the watched identities as a belt-and-braces check.

The watcher is a subreaper (PR_SET_CHILD_SUBREAPER), so daemons that double-fork are re-parented
to it rather than to PID 1 and are reaped at once when they die.

Ends:
- a watched daemon is gone or a zombie → run state FAILED naming it; FAILED returned;
- SIGTERM/SIGINT/SIGHUP while ``stop`` is stopping the site → SUCCESS;
- the same signals otherwise (someone killed the watcher) → FAILED; the daemons are left running
  unwatched (``status`` says so) and the cluster's stop cleans up, as with ``cjcpw``.

``python -m jobcenter_cluster.engine.watcher`` is the background watcher (``start --background``):
it forks once more (so it is nobody's child), starts the site and watches it, reporting the
bring-up result through ``--report-fd``.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from dataclasses import dataclass, field

from jobcenter_cluster.engine import procs, states, store
from jobcenter_cluster.engine.api import Result
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

#: re-check period with pidfds (ms): only a safety net
PERIOD_MS = 5000
#: poll period without pidfd (ms)
FALLBACK_MS = 100
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass
class WatchCtx:
    site: str
    root: str
    database: str
    daemons: dict[str, tuple[int, int]]
    maintenance: bool = False
    pidfds: dict[int, str] = field(default_factory=dict)


def _how(pid: int, start: int) -> str:
    """How a watched process ended; reaps it when it is our child (we are its subreaper)."""
    p = procs.same(pid, start)
    if p is None:
        return "is gone"
    if p.ppid == os.getpid():
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG)
        except ChildProcessError:
            info = None
        if info is not None:
            if info.si_code == os.CLD_KILLED or info.si_code == os.CLD_DUMPED:
                try:
                    name = signal.Signals(info.si_status).name
                except ValueError:
                    name = str(info.si_status)
                return f"was killed by {name}"
            return f"exited with status {info.si_status}"
    if p.dead:
        return "is a zombie"
    return ""


def _stopping(ctx: WatchCtx) -> bool:
    run = store.read_run(ctx.root, ctx.site) or {}
    return run.get("state") in (states.STOPPING, states.STOPPED)


def _failed(ctx: WatchCtx, name: str, pid: int, how: str) -> Result:
    if _stopping(ctx):
        return Result(Outcome.SUCCESS, f"site {ctx.site} stopped")
    reason = f"{name} (pid {pid}) {how}"
    with contextlib.suppress(OSError):
        store.update_run(ctx.root, ctx.site, state=states.FAILED, reason=reason, missing=[name],
                         failed_at=time.time())
    return Result(Outcome.FAILED, f"site {ctx.site}: {reason}", {"daemon": name, "pid": pid})


def _signalled(ctx: WatchCtx, signum: int) -> Result:
    if _stopping(ctx):
        return Result(Outcome.SUCCESS, f"site {ctx.site} stopped")
    name = signal.Signals(signum).name
    with contextlib.suppress(OSError):
        store.update_run(ctx.root, ctx.site, watcher=None)
    return Result(
        Outcome.FAILED,
        f"watcher of {ctx.site} ended by {name}; the daemons keep running unwatched "
        "(run `jccluster site stop` to stop them)",
        {"signal": name},
    )


def _reap_others(ctx: WatchCtx) -> str | None:
    """Reap exited children that are not watched; return the name of a watched one if found."""
    watched = {pid: name for name, (pid, _s) in ctx.daemons.items()}
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return None
        if info is None or info.si_pid == 0:
            return None
        if info.si_pid in watched:
            return watched[info.si_pid]
        with contextlib.suppress(ChildProcessError):
            os.waitpid(info.si_pid, 0)


def _check_all(ctx: WatchCtx) -> tuple[str, int, str] | None:
    for name, (pid, start) in ctx.daemons.items():
        p = procs.same(pid, start)
        if p is None or p.dead:
            return name, pid, _how(pid, start) or "is gone"
    return None


def watch(ctx: WatchCtx) -> Result:
    """Block until a watched daemon dies (FAILED) or the site is stopped (SUCCESS)."""
    rfd, wfd = os.pipe()
    os.set_blocking(rfd, False)
    os.set_blocking(wfd, False)
    old_handlers: dict[signal.Signals, object] = {}
    old_wakeup = None
    poller = select.poll()
    poller.register(rfd, select.POLLIN)
    fds: dict[int, str] = {}
    try:
        try:
            old_wakeup = signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
            for sig in (*STOP_SIGNALS, signal.SIGCHLD):
                old_handlers[sig] = signal.signal(sig, lambda *_: None)
        except ValueError:  # not the main thread: no signal handling, pidfds still work
            old_wakeup = None
        polling = False
        for name, (pid, _start) in ctx.daemons.items():
            fd = procs.pidfd(pid)
            if fd is None:
                polling = True
                continue
            fds[fd] = name
            poller.register(fd, select.POLLIN)
        dead = _check_all(ctx)  # the identity is checked after the pidfds are open
        if dead:
            return _failed(ctx, *dead)
        timeout = FALLBACK_MS if polling else PERIOD_MS
        if ctx.maintenance:
            timeout = -1
        while True:
            events = poller.poll(timeout)
            if not events:
                dead = _check_all(ctx)
                if dead:
                    return _failed(ctx, *dead)
                continue
            for fd, _ev in events:
                if fd in fds:
                    name = fds[fd]
                    pid, start = ctx.daemons[name]
                    return _failed(ctx, name, pid, _how(pid, start) or "is gone")
            for fd, _ev in events:
                if fd != rfd:
                    continue
                try:
                    data = os.read(rfd, 512)
                except BlockingIOError:
                    data = b""
                for signum in data:
                    if signum == signal.SIGCHLD:
                        child = _reap_others(ctx)
                        if child:
                            pid, start = ctx.daemons[child]
                            return _failed(ctx, child, pid, _how(pid, start) or "is gone")
                    elif signum in STOP_SIGNALS:
                        return _signalled(ctx, signum)
    finally:
        if old_wakeup is not None:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
        for fd in (*fds, rfd, wfd):
            procs.close_quietly(fd)


# --- the background watcher process -----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m jobcenter_cluster.engine.watcher")
    p.add_argument("site")
    p.add_argument("database")
    p.add_argument("--root", required=True)
    p.add_argument("--product")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--report-fd", type=int, required=True)
    args = p.parse_args(argv)

    if os.fork():  # second fork: the watcher is nobody's child and not a session leader
        os._exit(0)
    os.chdir("/")
    os.umask(0o022)
    from jobcenter_cluster.engine import lifecycle

    on_up = lifecycle.report_to(args.report_fd)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} watcher {os.getpid()}: starting {args.site}", flush=True)
    try:
        res = lifecycle.start(
            args.site, args.database, root=args.root, product=args.product, mode="watch",
            timeout=args.timeout, on_up=on_up,
        )
    except UserError as err:
        res = Result(Outcome.INVALID, str(err))
        on_up(res)
    except Exception as err:  # noqa: BLE001 - report, never leave the caller waiting
        res = Result(Outcome.FAILED, f"{type(err).__name__}: {err}")
        on_up(res)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} watcher {os.getpid()}: {res.outcome}: {res.message}", flush=True)
    from jobcenter_cluster.engine.api import exit_code

    sys.stdout.flush()
    return exit_code(res.outcome)


if __name__ == "__main__":
    raise SystemExit(main())
