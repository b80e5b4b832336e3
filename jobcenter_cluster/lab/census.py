"""Who runs the site, sampled from outside the nodes (this machine's PID namespace sees every
node's processes).

A process belongs to a node when its PID namespace is the node's (``/proc/PID/ns/pid``), and to
the site by the engine's membership rule as far as it can be checked from outside
(`jobcenter_cluster.engine.members`): a JobCenter daemon by name -- one of the product
profile's watched processes (`engine.profiles`), its kernel name -- carrying the site's marker
``NQS_SITE=<site>``, not dead (zombies count as gone). The per-start secret token is not
checked: the census does not know it, and counts more processes rather than fewer, which can
only make the split-brain check stricter.

A `Census` thread samples every `interval` seconds (0.05 by default, the drill uses 0.02; it
requires at least one sample every 0.1 s and records the largest gap) and keeps the samples: per
node, the set of the site's daemon names running there.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

from jobcenter_cluster.engine import members, profiles
from jobcenter_cluster.lab import layout


@dataclass
class Sample:
    t: float
    #: node name -> the site's daemons running on it (spec names); off nodes are absent
    running: dict[str, frozenset[str]]
    on: frozenset[str]


def _stat(path: str) -> tuple[str, str] | None:
    """(comm, state) from a /proc/PID/stat, None when the process is gone."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    rpar = data.rfind(b")")
    return data[data.find(b"(") + 1:rpar].decode("utf-8", "replace"), chr(data[rpar + 2])


def watched(product: str) -> dict[str, str]:
    """kernel name (15 characters) -> spec name, for the profile's watched daemons."""
    out = {}
    for spec in profiles.get(product).specs:
        for name in spec.names:
            out[name.rsplit("/", 1)[-1][:15]] = spec.name
    return out


class Census:
    def __init__(self, lab: layout.Lab, site: layout.Site, interval: float = 0.05) -> None:
        from jobcenter_cluster.lab import control

        self.lab = lab
        self.site = site
        self.interval = interval
        self.names = watched(lab.product)
        self.marker = f"{members.MARKER}={site.name}".encode()
        self.samples: list[Sample] = []
        self.max_gap = 0.0
        #: (time, seconds) of every gap between two samples longer than 0.1 s
        self.gaps: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._control = control

    def full(self) -> frozenset[str]:
        return frozenset(self.names.values())

    def sample(self) -> Sample:
        """One look at every node: its own /proc (``/proc/INIT/root/proc``, the procfs mounted
        in the node's namespaces) lists exactly the node's processes."""
        running: dict[str, frozenset[str]] = {}
        for node in self.lab.nodes:
            pid = self._control.init_pid(self.lab, node)
            if not pid:
                continue
            base = f"/proc/{pid}/root/proc"
            try:
                entries = os.listdir(base)
            except OSError:
                continue
            found: set[str] = set()
            for entry in entries:
                if not entry.isdigit():
                    continue
                p = _stat(f"{base}/{entry}/stat")
                if p is None or p[1] in ("Z", "X") or p[0] not in self.names:
                    continue
                try:
                    with open(f"{base}/{entry}/environ", "rb") as fh:
                        env = fh.read().split(b"\0")
                except OSError:
                    continue
                if self.marker in env:
                    found.add(self.names[p[0]])
            running[node.name] = frozenset(found)
        return Sample(time.time(), running, frozenset(running))

    def _run(self) -> None:
        # A node booting or a failover starting daemons loads a small machine: the census must
        # keep its 100 ms promise, so its thread (Linux: setpriority on a thread id touches that
        # thread only) runs at a higher priority than the cluster it watches. Root may; else as is.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -15)
        last = time.monotonic()
        while not self._stop.is_set():
            s = self.sample()
            now = time.monotonic()
            self.max_gap = max(self.max_gap, now - last)
            if now - last > 0.1:
                self.gaps.append((s.t, now - last))
            last = now
            self.samples.append(s)
            self._stop.wait(self.interval)

    def start(self) -> Census:
        self._thread = threading.Thread(target=self._run, name="census", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    # ------------------------------------------------------------------ verdicts
    def where(self, s: Sample) -> list[str]:
        """Nodes with any of the site's daemons."""
        return [n for n, d in s.running.items() if d]

    def split_brain(self, since: float = 0.0) -> list[Sample]:
        """Samples with the site's daemons on two nodes or more at once."""
        return [s for s in self.samples if s.t >= since and len(self.where(s)) > 1]

    def blind_gaps(self, since: float, until: float) -> list[float]:
        """Gaps longer than 0.1 s between two samples in [since, until] across which the site's
        placement changed: only there could a double run hide. A gap with the same nodes on
        both sides cannot hide one (starting the site anywhere takes far longer than a gap),
        so a loaded machine's late sample while nothing moves is no verdict on the cluster."""
        window = [s for s in self.samples if since <= s.t <= until]
        return [b.t - a.t for a, b in zip(window, window[1:], strict=False)
                if b.t - a.t > 0.1 and self.where(a) != self.where(b)]

    def running_on(self, s: Sample) -> str:
        """The node running the whole site (every watched daemon), or ''."""
        full = self.full()
        nodes = [n for n, d in s.running.items() if d >= full]
        return nodes[0] if len(nodes) == 1 else ""

    def last(self) -> Sample:
        return self.samples[-1] if self.samples else self.sample()


@dataclass
class Gap:
    start: float
    end: float
    nodes: list[str] = field(default_factory=list)
