"""Static facts about each product profile (standard library only).

A *product profile* names what runs a site: JobCenter on Linux, HP-UX, Solaris or Windows, or the
built-in ``simulator``. This module holds only the facts the renderer and the model need (OS
family, install prefix, where the native commands live, the spool root). How a profile starts,
stops and watches a site lives in `jobcenter_cluster.engine.profiles`.

Paths are from the manual: ``/usr/lib/nqs/cluster/cjcpw``, ``/usr/lib/nqs/nqsportkpr`` (§2.10.4),
``/usr/lib/nqs/cluster/cjcmksite`` (§2.10.3), ``<install>\\SV\\bin\\cjcpw`` on Windows (§3.2.2.4).
"""

from __future__ import annotations

import posixpath


class Product:
    """One product profile's static facts (immutable; no dataclasses: hot path)."""

    __slots__ = ("name", "title", "os", "install_prefix", "spool_root")

    def __init__(self, name: str, title: str, os: str, install_prefix: str,
                 spool_root: str) -> None:
        self.name = name
        self.title = title
        self.os = os  # "posix" or "windows"
        self.install_prefix = install_prefix
        self.spool_root = spool_root

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
        Product("jobcenter-hpux", "JobCenter for HP-UX", "posix", "/usr/lib/nqs", "/usr/spool/nqs"),
        Product(
            "jobcenter-solaris", "JobCenter for Solaris", "posix", "/usr/lib/nqs", "/usr/spool/nqs"
        ),
        Product(
            "jobcenter-windows",
            "JobCenter for Windows",
            "windows",
            "C:\\JobCenter",
            "C:\\JobCenter\\SV\\spool",
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


def get_product(name: str) -> Product:
    try:
        return PRODUCTS[name]
    except KeyError:
        raise KeyError(name) from None


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
