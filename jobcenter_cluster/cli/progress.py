"""Progress of ``site start`` and ``site stop`` on a terminal, and what stop had to SIGKILL.

The engine calls a ``progress`` callback with `Progress` records (``phase``, ``what``,
``elapsed``, ``deadline``, ``left``: the site's processes still alive). On a terminal
`ProgressLine` keeps one status line on stderr up to date, e.g.::

    stopping orange.example.com: waiting for the daemons to exit  12.4 s / 120 s  left: nqsdaemon 4242

and clears it at the end. Without a terminal it prints nothing: logs and clusters see the same
quiet output as before.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from jobcenter_cluster.cli.common import terminal_width


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


class ProgressLine:
    """A ``progress`` callback: one line, rewritten in place, on a terminal only."""

    def __init__(self, site: str, stream: TextIO | None = None) -> None:
        self.site = site
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self.shown = False

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        line = format_progress(p, self.site, terminal_width() - 1)
        self.stream.write("\r\033[K" + line)
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """Clear the line before the final message."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


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
