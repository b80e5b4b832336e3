"""Static facts about each product profile (standard library only).

A *product profile* names what runs a site: JobCenter on Linux, HP-UX, Solaris, AIX or Windows, or the
built-in ``simulator``. This module holds only the facts the renderer and the model need (OS
family, install prefix, where the native commands live, the spool root). How a profile starts,
stops and watches a site lives in `jobcenter_cluster.engine.profiles`.

Paths are from the manual: ``/usr/lib/nqs/cluster/cjcpw``, ``/usr/lib/nqs/nqsportkpr`` (§2.10.4),
``/usr/lib/nqs/cluster/cjcmksite`` (§2.10.3), ``<install>\\SV\\bin\\cjcpw`` on Windows (§3.2.2.4).
"""

from __future__ import annotations

import posixpath

#: Where our engine runs (docs/engine.md, "Where the engine runs"): its process layer reads
#: Linux's /proc (and pidfd), or psutil on the other systems psutil supports. Neither runs on
#: Windows (the engine is POSIX-only) nor on HP-UX (psutil does not support it): there the
#: generated scripts call JobCenter's own cjcpw.
ENGINE_PROC = "procfs"
ENGINE_PSUTIL = "psutil"


class Product:
    """One product profile's static facts (immutable; no dataclasses: hot path)."""

    __slots__ = ("name", "title", "os", "install_prefix", "spool_root", "engine", "system")

    def __init__(self, name: str, title: str, os: str, install_prefix: str,
                 spool_root: str, engine: str | None = ENGINE_PROC, system: str = "Linux"
                 ) -> None:
        self.name = name
        self.title = title
        self.os = os  # "posix" or "windows"
        self.install_prefix = install_prefix
        self.spool_root = spool_root
        #: how the engine watches processes on this product's nodes; None: it does not run there
        self.engine = engine
        #: the operating system, for messages ("the engine does not run on HP-UX")
        self.system = system

    @property
    def engine_runs(self) -> bool:
        """Can `supervisor = "jccluster"` (our engine on the nodes) serve this product?"""
        return self.engine is not None

    @property
    def default_supervisor(self) -> str:
        """``jccluster`` where the engine runs, JobCenter's own ``cjcpw`` elsewhere."""
        return "jccluster" if self.engine_runs else "cjcpw"

    def no_engine_reason(self) -> str:
        why = {"windows": "the engine runs on POSIX systems only"}.get(
            self.os, "psutil, which the engine needs off Linux, does not support it")
        return f"the engine does not run on {self.system} ({why})"

    def __repr__(self) -> str:
        return f"Product({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Product) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def windows(self) -> bool:
        return self.os == "windows"

    def join(self, *parts: str) -> str:
        if self.windows:
            import ntpath  # not at the top: on Linux it probes for nt/_winapi (hot path)

            return ntpath.join(*parts)
        return posixpath.join(*parts)

    def command(self, name: str, prefix: str | None = None) -> str:
        """Full path of a native JobCenter command under the install prefix."""
        base = prefix or self.install_prefix
        if self.windows:
            import ntpath

            return ntpath.join(base, "SV", "bin", name)
        sub = "cluster" if name in CLUSTER_COMMANDS else ""
        return posixpath.join(base, sub, name) if sub else posixpath.join(base, name)


#: UNIX commands that live in ``/usr/lib/nqs/cluster`` rather than ``/usr/lib/nqs``.
CLUSTER_COMMANDS = frozenset({"cjcpw", "cjcmksite", "cjcls"})

PRODUCTS: dict[str, Product] = {
    p.name: p
    for p in (
        Product("jobcenter-linux", "JobCenter for Linux", "posix", "/usr/lib/nqs", "/usr/spool/nqs"),
        Product("jobcenter-hpux", "JobCenter for HP-UX", "posix", "/usr/lib/nqs", "/usr/spool/nqs",
                engine=None, system="HP-UX"),
        Product(
            "jobcenter-solaris", "JobCenter for Solaris", "posix", "/usr/lib/nqs", "/usr/spool/nqs",
            engine=ENGINE_PSUTIL, system="Solaris",
        ),
        # AIX: PowerHA's home. The UNIX layout (/usr/lib/nqs, /usr/spool/nqs) is assumed to be
        # the same as on the other UNIX versions: unverified (docs/engine.md).
        Product("jobcenter-aix", "JobCenter for AIX", "posix", "/usr/lib/nqs", "/usr/spool/nqs",
                engine=ENGINE_PSUTIL, system="AIX"),
        Product(
            "jobcenter-windows",
            "JobCenter for Windows",
            "windows",
            "C:\\JobCenter",
            "C:\\JobCenter\\SV\\spool",
            engine=None,
            system="Windows",
        ),
        Product(
            "simulator",
            "JobCenter simulator (stand-in daemons shipped with jobcenter-cluster)",
            "posix",
            "/usr/lib/nqs",
            "/usr/spool/nqs",
        ),
    )
}

DEFAULT_PRODUCT = "jobcenter-linux"


def spool_hex(address: str) -> str:
    """The site's spool directory name: its IPv4 address as 8 upper-case hex digits.

    >>> spool_hex("10.192.18.10")
    '0AC0120A'
    """
    parts = address.split(".")
    if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
        raise ValueError(f"{address!r} is not an IPv4 address")
    return "".join(f"{int(p):02X}" for p in parts)


def standard_spool_path(address: str, root: str = "/usr/spool/nqs") -> str:
    """``<root>/<HEX>``: the standard spool path, a symlink to ``<database>/nqs`` (SPEC §2)."""
    return posixpath.join(root, spool_hex(address))
