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
- SIGTERM/SIGINT/SIGHUP (or another signal of `STOP_SIGNALS`) while ``stop`` is stopping the
  site → SUCCESS;
- the same signals otherwise (someone killed the watcher) → run state FAILED naming the signal;
  FAILED returned (non-zero exit); the daemons are left running unwatched (``status`` says
  failed) and the cluster's stop cleans up, as with ``cjcpw``.

On both failures the caller's failure hook (``on_failure``: an argv run without a shell, with
``JCCLUSTER_SITE`` and ``JCCLUSTER_FAILURE`` in its environment, or a callback) runs before the
watcher returns, bounded to `HOOK_SECONDS`; its own failure is only logged (stderr: the watcher
log in background mode) and never changes the watcher's result. Not run when ``stop`` stopped
the site.

The background watcher process (``start --background``) is `jobcenter_cluster.engine.background`.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster.engine import procs, states, store
from jobcenter_cluster.engine.base import Result
from jobcenter_cluster.engine.status import death
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

#: the failure hook: an argv (run without a shell) or a callback
FailureHook = list[str] | Callable[[Result], None] | None
#: longest time the failure hook may take (s)
HOOK_SECONDS = 10.0

#: re-check period with pidfds (ms): only a safety net
PERIOD_MS = 5000
#: poll period without pidfd (ms)
FALLBACK_MS = 100
#: the catchable signals whose default action ends a process: each one ends the watcher with a
#: report (run state failed naming it, the failure hook), never silently -- SIGUSR1, SIGUSR2,
#: SIGALRM and SIGQUIT used to kill it without the hook (issue 28). ``stop`` sends SIGTERM.
#: SIGPIPE is left to Python (ignored: a write raises instead).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                signal.SIGUSR2, signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGIO,
                signal.SIGPWR)


@dataclass
class WatchCtx:
    site: str
    root: str
    database: str
    daemons: dict[str, tuple[int, int]]
    maintenance: bool = False
    on_failure: FailureHook = None
    #: stop signals that arrived before `watch` took over (see `early_signals`)
    pending: list[int] = field(default_factory=list)
    #: the members recorded so far, as (pid, start) (see `refresh_members`)
    members: set[tuple[int, int]] = field(default_factory=set)
    next_refresh: float = 0.0


class early_signals:  # noqa: N801 - used as `with watcher.early_signals() as pending:`
    """Record SIGTERM/SIGINT/SIGHUP (`STOP_SIGNALS`) from the moment a watching start begins, so a signal that
    arrives before `watch` is ready still ends the watcher with a report, not silently.

    Outside the main thread (no signal handling there) it records nothing."""

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.old: dict[int, object] = {}

    def __enter__(self) -> list[int]:
        try:
            for sig in STOP_SIGNALS:
                self.old[sig] = signal.signal(sig, lambda n, _f: self.pending.append(n))
        except ValueError:
            self.old.clear()
        return self.pending

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.old.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def _death(pid: int, start: int) -> str | None:
    """How a watched process ended, as `status.death` says, or None while it lives; when it is
    our child (we are its subreaper) it is reaped here and the words say how: its exit status or
    the signal that killed it."""
    p = procs.same(pid, start)
    if p is not None and p.ppid == os.getpid():
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
    return death(pid, start)


def _stopping(ctx: WatchCtx) -> bool:
    run = store.read_run(ctx.root, ctx.site) or {}
    return run.get("state") in (states.STOPPING, states.STOPPED)


def _failed(ctx: WatchCtx, name: str, pid: int, how: str) -> Result:
    """A watched daemon is gone."""
    return _fail(ctx, f"{name} (pid {pid}) {how}", {"daemon": name, "pid": pid},
                 missing=[name])


def _signalled(ctx: WatchCtx, signum: int) -> Result:
    """The watcher itself was ended by a signal: the daemons live on, unwatched."""
    name = signal.Signals(signum).name
    reason = (f"watcher ended by {name}; the daemons keep running unwatched (run `jccluster "
              "site stop` to stop them)")
    return _fail(ctx, reason, {"signal": name}, watcher=None)


def _fail(ctx: WatchCtx, reason: str, details: dict[str, Any], **record: Any) -> Result:
    """The watch ends: SUCCESS when a stop of the site is under way, else the site is FAILED
    (recorded with `reason` and the `record` fields) and the failure hook runs."""
    if _stopping(ctx):
        return Result(Outcome.SUCCESS, f"site {ctx.site} stopped")
    with contextlib.suppress(OSError, states.IllegalTransition):
        store.set_state(ctx.root, ctx.site, states.FAILED, reason=reason, **record,
                        failed_at=time.time())
    res = Result(Outcome.FAILED, f"site {ctx.site}: {reason}", details)
    run_hook(ctx, res, reason)
    return res


def run_hook(ctx: WatchCtx, res: Result, reason: str | None = None) -> None:
    """Run the failure hook, bounded; log its failure on stderr, never raise. `reason` (what
    failed, without the site: ``$JCCLUSTER_FAILURE`` of a command hook) is passed as it was
    made, never cut out of `res.message`; without it the hook gets the whole message."""
    hook = ctx.on_failure
    if not hook:
        return
    if reason is None:
        reason = res.message
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        if callable(hook):
            _call_bounded(hook, res)
            return
        import subprocess

        env = dict(os.environ)
        env["JCCLUSTER_SITE"] = ctx.site
        env["JCCLUSTER_FAILURE"] = " ".join(reason.split())
        done = subprocess.run(list(hook), stdin=subprocess.DEVNULL, env=env, cwd="/",
                              timeout=HOOK_SECONDS, check=False, start_new_session=True)
        if done.returncode != 0:
            print(f"{stamp} watcher {os.getpid()}: failure hook {hook[0]} exited with status "
                  f"{done.returncode}", file=sys.stderr, flush=True)
    except Exception as err:  # noqa: BLE001 - the hook never changes the watcher's exit
        print(f"{stamp} watcher {os.getpid()}: failure hook failed: {type(err).__name__}: {err}",
              file=sys.stderr, flush=True)


def _call_bounded(hook: Callable[[Result], None], res: Result) -> None:
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            hook(res)
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            errors.append(err)

    t = threading.Thread(target=run, name="failure-hook", daemon=True)
    t.start()
    t.join(HOOK_SECONDS)
    if t.is_alive():
        raise TimeoutError(f"the failure callback did not return within {HOOK_SECONDS:g}s")
    if errors:
        raise errors[0]


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
            return name, pid, _death(pid, start) or "is gone"
    return None


def refresh_members(ctx: WatchCtx) -> None:
    """Record the processes now below the daemons and below the watcher (a subreaper: the
    site's orphans land here), so that ``stop`` still finds them once they are re-parented.
    Walks ``/proc/PID/task/*/children`` from those roots only; writes when new ones appear."""
    if time.monotonic() < ctx.next_refresh:
        return
    ctx.next_refresh = time.monotonic() + PERIOD_MS / 1000
    me = os.getpid()
    found = procs.tree([me, *(pid for pid, _s in ctx.daemons.values())])
    if found is None:
        return
    now = set()
    for pid in found - {me}:
        p = procs.read(pid)
        if p is not None and not p.dead:
            now.add((pid, p.start))
    if now <= ctx.members:
        return
    # under the site's lock, taken only if free: a start or stop in progress owns the run
    # file, and a read-modify-write here must not put back the state it just changed
    try:
        with store.site_lock(ctx.root, ctx.site, 0):
            run = store.read_run(ctx.root, ctx.site) or {}
            if run.get("state") not in (states.RUNNING, states.MAINTENANCE):
                return
            ctx.members = {m for m in ctx.members if procs.alive(*m)} | now
            store.update_run(ctx.root, ctx.site,
                             members=sorted([p, s] for p, s in ctx.members))
    except (UserError, OSError):
        return


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
        polling = _open_pidfds(ctx, poller, fds)
        if ctx.pending:
            return _signalled(ctx, ctx.pending[0])
        dead = _check_all(ctx)  # the identity is checked after the pidfds are open
        if dead:
            return _failed(ctx, *dead)
        timeout = -1 if ctx.maintenance else FALLBACK_MS if polling else PERIOD_MS
        while True:
            events = poller.poll(timeout)
            res = _handle(ctx, events, fds, rfd)
            if res is not None:
                return res
    finally:
        if old_wakeup is not None:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
        for fd in (*fds, rfd, wfd):
            procs.close_quietly(fd)


def _open_pidfds(ctx: WatchCtx, poller: select.poll, fds: dict[int, str]) -> bool:
    """One pidfd per watched daemon, registered; True when one could not be opened (poll)."""
    polling = False
    for name, (pid, _start) in ctx.daemons.items():
        fd = procs.pidfd(pid)
        if fd is None:
            polling = True
            continue
        fds[fd] = name
        poller.register(fd, select.POLLIN)
    return polling


def _handle(ctx: WatchCtx, events: list[tuple[int, int]], fds: dict[int, str], rfd: int
            ) -> Result | None:
    """What one wake-up means: a death, a signal, or (no event) the periodic re-check."""
    if not events:
        dead = _check_all(ctx)
        if dead:
            return _failed(ctx, *dead)
        refresh_members(ctx)
        return None
    for fd, _ev in events:
        if fd in fds:
            name = fds[fd]
            pid, start = ctx.daemons[name]
            return _failed(ctx, name, pid, _death(pid, start) or "is gone")
    if not any(fd == rfd for fd, _ev in events):
        return None
    try:
        data = os.read(rfd, 512)
    except BlockingIOError:
        data = b""
    for signum in data:
        if signum == signal.SIGCHLD:
            child = _reap_others(ctx)
            if child:
                pid, start = ctx.daemons[child]
                return _failed(ctx, child, pid, _death(pid, start) or "is gone")
        elif signum in STOP_SIGNALS:
            return _signalled(ctx, signum)
    return None
