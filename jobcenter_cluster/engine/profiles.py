"""Product profiles: how a product's site is started and stopped, and which processes must live.

Standard library only (``status`` imports it). Static facts (install prefix, spool root) come from
`jobcenter_cluster.products`; this module adds the behaviour.

Watched processes (SPEC §3, manual §2.10.4, §2.11.7, §4.12.5): ``nqsdaemon`` (parent PID 1),
``netdaemon`` (child of nqsdaemon), ``logdaemon``, ``jnwengine``, ``jnwengine-qwb``,
``jnwengine-trkrdr``, ``sclaunchd``, ``jnwcaster`` (the parent one; two run) and ``comagent``.
A process belongs to a site when it carries ``NQS_SITE=<site>`` in its start environment or
descends from one that does (the manual tells local and cluster daemons apart by parent pid).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import procs
from jobcenter_cluster.products import PRODUCTS, Product

#: the environment marker every process of a site carries
MARKER = "NQS_SITE"
#: second marker: which node identity (``JCCLUSTER_NODE``) started it -- lets two simulated nodes
#: share one machine without one node's ``stop`` touching the other node's processes.
NODE_MARKER = "JCCLUSTER_NODE"

#: parent rule: the process's parent is not another process of the site (PID 1 or a subreaper)
TOP = "<top>"


@dataclass(frozen=True)
class ProcSpec:
    """One watched process: its names as ``ps`` shows them and its parent rule."""

    name: str
    #: accepted spellings of argv[0] (full or basename) / of the kernel comm name
    names: tuple[str, ...]
    #: None: any parent; TOP: parent outside the site; else the spec name of the parent
    parent: str | None = None
    #: the spec's name must not be its own parent (jnwcaster: the parent one of two)
    not_child_of_same: bool = False

    def matches(self, argv0: str, comm: str) -> bool:
        base = argv0.rsplit("/", 1)[-1]
        return argv0 in self.names or base in self.names or comm in self.names


def _linux_specs() -> tuple[ProcSpec, ...]:
    return (
        ProcSpec("nqsdaemon", ("NQS nqsdaemon", "/usr/lib/nqs/nqsdaemon", "nqsdaemon"), TOP),
        ProcSpec("netdaemon", ("NQS netdaemon", "netdaemon"), "nqsdaemon"),
        ProcSpec("logdaemon", ("NQSlogdaemon", "NQS logdaemon", "logdaemon")),
        ProcSpec(
            "jnwengine",
            ("/usr/lib/nqs/gui/bin/jnwengine", "/usr/lib/nqs/gui/bin/jnengine", "jnwengine",
             "jnengine"),
        ),
        ProcSpec("jnwengine-qwb", ("jnwengine-qwb", "/usr/lib/nqs/gui/bin/qwb", "qwb")),
        ProcSpec(
            "jnwengine-trkrdr",
            ("jnwengine-trkrdr", "/usr/lib/nqs/gui/bin/trkrdr", "trkrdr", "jnwengine-trkrd"),
        ),
        ProcSpec("sclaunchd", ("/usr/lib/nqs/gui/bin/sclaunchd", "sclaunchd")),
        ProcSpec("jnwcaster", ("/usr/lib/nqs/jnwcaster", "jnwcaster"), not_child_of_same=True),
        ProcSpec("comagent", ("/usr/lib/nqs/combase/comagent", "comagent")),
    )


def _windows_specs() -> tuple[ProcSpec, ...]:
    # manual §3.2 / §5: image names; [site] is the site name
    return (
        ProcSpec("nqsdaemon", ("nsnqsd.exe",)),
        ProcSpec("netdaemon", ("nsnetd.exe",), "nqsdaemon"),
        ProcSpec("logdaemon", ("nslogd.exe",)),
        ProcSpec("comagent", ("comagent_[site].exe",)),
        ProcSpec("jnwengine", ("jnwengine_[site].exe", "jnengine_[site].exe")),
        ProcSpec("jnwengine-qwb", ("qwb_[site].exe",)),
        ProcSpec("jnwengine-trkrdr", ("trkrdr_[site].exe",)),
        ProcSpec("sclaunchd", ("sclaunchd_[site].exe",)),
    )


@dataclass(frozen=True)
class Profile:
    """How one product runs a site."""

    product: Product
    specs: tuple[ProcSpec, ...]
    #: argv that starts the site's daemons and returns (``cjcpw -c SITE DB``)
    start_argv: Callable[[str, str, str], list[str]]
    #: argv that asks the site to stop (``cjcpw -stop SITE``), or None
    stop_argv: Callable[[str, str], list[str] | None]
    #: can the engine run this profile on this machine at all
    runs_here: bool = True
    #: programs that must exist under the prefix for the product to count as installed
    required: tuple[str, ...] = field(default_factory=tuple)
    #: a process counts as up only once its kernel name (comm) is one of its spec's names
    #: (the simulator sets it when it is ready; a bare exec'd interpreter is not yet a daemon)
    ready_by_comm: bool = False

    @property
    def name(self) -> str:
        return self.product.name

    def prefix(self) -> str:
        """Install prefix: ``$JCCLUSTER_PREFIX`` (tests, non-standard installs) or the product's."""
        return fsio.trusted_prefix(os.environ.get("JCCLUSTER_PREFIX") or self.product.install_prefix)

    def missing_programs(self) -> list[str]:
        prefix = self.prefix()
        out = []
        for name in self.required:
            path = self.product.command(name, prefix)
            if not os.access(path, os.X_OK):
                out.append(path)
        return out

    def spec(self, name: str) -> ProcSpec:
        for s in self.specs:
            if s.name == name:
                return s
        raise KeyError(name)

    def match(self, site_pids: set[int], table: dict[int, procs.Proc]) -> dict[str, int]:
        """Find each watched process among ``site_pids``: ``{spec name: pid}``.

        When several candidates fit, the oldest wins (the daemon, not a short-lived helper).
        """
        names: dict[int, str] = {}
        for pid in site_pids:
            p = table.get(pid)
            if p is None or p.dead:
                continue
            argv = procs.cmdline(pid)
            argv0 = argv[0] if argv else ""
            for spec in self.specs:
                if self.ready_by_comm and p.comm not in spec.names:
                    continue
                if spec.matches(argv0, p.comm):
                    names[pid] = spec.name
                    break
        found: dict[str, int] = {}
        for spec in self.specs:
            cands = []
            for pid, n in names.items():
                if n != spec.name:
                    continue
                parent = table[pid].ppid
                parent_name = names.get(parent)
                if spec.parent == TOP and parent in site_pids:
                    continue
                if spec.parent not in (None, TOP) and (
                    parent_name != spec.parent or found.get(spec.parent) != parent
                ):
                    continue
                if spec.not_child_of_same and parent_name == spec.name:
                    continue
                cands.append(pid)
            if cands:
                found[spec.name] = min(cands, key=lambda q: (table[q].start, q))
        return found


def _cjcpw(prefix_of: Callable[[], str], product: Product) -> Callable[[str, str, str], list[str]]:
    def argv(site: str, db: str, _python: str) -> list[str]:
        return [product.command("cjcpw", prefix_of()), "-c", site, db]

    return argv


def _cjcpw_stop(prefix_of: Callable[[], str], product: Product) -> Callable[[str, str], list[str]]:
    def argv(site: str, _db: str) -> list[str]:
        return [product.command("cjcpw", prefix_of()), "-stop", site]

    return argv


def _simulator_start(site: str, db: str, python: str) -> list[str]:
    return [python, "-m", "jobcenter_cluster.simulator", "start", site, db]


def _no_stop(_site: str, _db: str) -> list[str] | None:
    return None


def _make(name: str) -> Profile:
    product = PRODUCTS[name]
    if name == "simulator":
        return Profile(product, _linux_specs(), _simulator_start, _no_stop, ready_by_comm=True)
    if product.windows:
        # The data is here for adapters and documentation; the engine itself runs on POSIX.
        return Profile(
            product,
            _windows_specs(),
            lambda s, d, _p: [product.command("cjcpw", None), "-c", s, d],
            lambda s, _d: [product.command("cjcpw", None), "-stop", s],
            runs_here=False,
            required=("cjcpw",),
        )

    def prefix_of() -> str:
        return fsio.trusted_prefix(os.environ.get("JCCLUSTER_PREFIX") or product.install_prefix)

    return Profile(
        product,
        _linux_specs(),
        _cjcpw(prefix_of, product),
        _cjcpw_stop(prefix_of, product),
        required=("cjcpw",),
    )


PROFILES: dict[str, Profile] = {name: _make(name) for name in PRODUCTS}


def get(name: str) -> Profile:
    """The profile for a product name; `UserError` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        from jobcenter_cluster.errors import UserError

        known = ", ".join(sorted(PROFILES))
        raise UserError(f"unknown product {name!r} (use one of: {known})") from None


def python() -> str:
    """The interpreter that runs the simulator (this one)."""
    return sys.executable or "python3"
