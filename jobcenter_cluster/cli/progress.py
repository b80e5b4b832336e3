"""Progress of ``site start``, ``site stop`` and ``site create`` on a terminal, and what stop had
to SIGKILL.

The engine calls a ``progress`` callback with `Progress` records (``phase``, ``what``,
``elapsed``, ``deadline``, ``left``: the site's processes still alive). On a terminal
`ProgressLine` keeps one status line on stderr up to date, e.g.::

    terminating orange.example.com: 3 process(es) left  12.4 s / 120 s  left: nqsdaemon 4242, …

It is driven by a timer, not only by the engine's reports (which come at each phase, seconds
apart): every `ProgressLine.TICK` it repaints the clock and drops the processes of ``left``
that have exited since the last report (a zombie counts as gone), so the count falls as they
go. A ``poll`` function can supply the line itself (``site start --background``, whose watcher
runs in another process: the daemons up so far). It clears the line at the end. Without a
terminal it prints nothing: logs and clusters see the same quiet output as before.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TextIO

from jobcenter_cluster.cli.common import terminal_width

_COUNT = re.compile(r"^\d+ process\(es\) left$")


def format_progress(p: Any, site: str, width: int) -> str:
    """One line for a `Progress` record, cut to `width` characters."""
    clock = f"{p.elapsed:.1f} s" + (f" / {p.deadline:g} s" if p.deadline else "")
    left = list(getattr(p, "left", None) or [])
    text = f"{p.phase} {site}: {p.what}  {clock}"
    if left:
        shown = ", ".join(f"{name} {pid}" for pid, name in left[:6])
        more = f" (+{len(left) - 6})" if len(left) > 6 else ""
        text += f"  left: {shown}{more}"
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def _alive(pid: int) -> bool:
    from jobcenter_cluster.engine import procs

    return procs.alive(pid)


def live(p: Any, since: float, alive: Callable[[int], bool] = _alive) -> Any:
    """`p` as it stands `since` seconds after the engine reported it: the clock moved on, and
    the processes of ``left`` that are gone since (zombies included) are dropped, with the
    count in ``what`` ("N process(es) left") following."""
    left = [(pid, name) for pid, name in (getattr(p, "left", None) or []) if alive(pid)]
    what = p.what
    if _COUNT.match(what):
        what = f"{len(left)} process(es) left"
    return SimpleNamespace(phase=p.phase, what=what, elapsed=p.elapsed + max(since, 0.0),
                           deadline=p.deadline, left=left)


#: what a ``poll`` function returns: ``(phase, what)`` for the line, or None to keep the last
Poll = Callable[[], "tuple[str, str] | None"]


class ProgressLine:
    """A ``progress`` callback: one line, rewritten in place and kept moving by a timer, on a
    terminal only. Use it as a context manager (or call `finish`): that stops the timer and
    clears the line.

    ``phase``/``what`` give the line before the engine's first report (e.g. ``creating``,
    ``cjcmksite``); ``deadline`` the seconds shown after the clock; ``delay``: show nothing
    before that many seconds (a wait that ends sooner leaves no trace); ``poll``: called every
    tick (in the timer's thread) for the line's ``(phase, what)``.
    """

    #: seconds between repaints
    TICK = 0.25

    def __init__(self, site: str, stream: TextIO | None = None, *, phase: str | None = None,
                 what: str = "", deadline: float | None = None, delay: float = 0.0,
                 poll: Poll | None = None) -> None:
        self.site = site
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self.shown = False
        self.closed = False
        self.t0 = time.monotonic()
        self.delay = delay
        self.deadline = deadline
        self.poll = poll
        self._last: tuple[Any, float] | None = None
        if phase is not None:
            self._last = (SimpleNamespace(phase=phase, what=what, elapsed=0.0,
                                          deadline=deadline, left=[]), self.t0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
            self._thread.start()

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def __call__(self, p: Any) -> None:
        if not self.enabled or self.closed:
            return
        with self._lock:
            self._last = (p, time.monotonic())
            self._paint()

    def _run(self) -> None:
        while not self._stop.wait(self.TICK):
            if self.poll is not None:
                try:
                    got = self.poll()
                except Exception:  # noqa: BLE001 - a status read racing the start: keep the line
                    got = None
                if got is not None:
                    phase, what = got
                    now = time.monotonic()
                    record = SimpleNamespace(phase=phase, what=what, elapsed=now - self.t0,
                                             deadline=self.deadline, left=[])
                    with self._lock:
                        if not self._stop.is_set():
                            self._last = (record, now)
            with self._lock:
                if not self._stop.is_set():
                    self._paint()

    def _paint(self) -> None:
        if self._last is None:
            return
        now = time.monotonic()
        if not self.shown and now - self.t0 < self.delay:
            return
        record, at = self._last
        line = format_progress(live(record, now - at), self.site, terminal_width() - 1)
        self.stream.write("\r\033[K" + line)
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """Stop the timer and clear the line before the final message."""
        self.closed = True
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        with self._lock:
            if self.shown:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.shown = False


class StepClock:
    """A ``say(message)`` callback for long commands made of steps (``lab up``, ``lab down``,
    ``lab drill``): each message is a line on stderr, as without it; on a terminal, while the
    next message has not come, one line under it shows how long the step has been running
    (after `delay` seconds), repainted every `TICK`, cleared before the next message. Use it as
    a context manager."""

    TICK = 0.25

    def __init__(self, stream: TextIO | None = None, delay: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self.delay = delay
        self.step = ""
        self.since = time.monotonic()
        self.shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="step-clock", daemon=True)
            self._thread.start()

    def __enter__(self) -> StepClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def __call__(self, message: str) -> None:
        with self._lock:
            self._clear()
            self.stream.write(message + "\n")
            self.stream.flush()
            self.step = message.strip()
            self.since = time.monotonic()

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.shown = False

    def _run(self) -> None:
        while not self._stop.wait(self.TICK):
            with self._lock:
                elapsed = time.monotonic() - self.since
                if self._stop.is_set() or elapsed < self.delay:
                    continue
                line = f"  … {elapsed:.1f} s since: {self.step}"
                width = terminal_width() - 1
                if len(line) > width:
                    line = line[: max(0, width - 1)] + "…"
                self.stream.write("\r\033[K" + line)
                self.stream.flush()
                self.shown = True

    def finish(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        with self._lock:
            self._clear()
            self.stream.flush()


def killed_processes(data: dict[str, Any]) -> list[str]:
    """``name (pid N)`` for each process a stop needed SIGKILL for (``killed`` in the result's
    data: ``[[pid, name], …]``; older engines recorded bare pids in ``details``)."""
    found = data.get("killed")
    if found is None:
        found = (data.get("details") or {}).get("killed") or []
    out = []
    for item in found:
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            out.append(f"{item[1]} (pid {item[0]})")
        else:
            out.append(f"pid {item}")
    return out
