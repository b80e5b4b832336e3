"""Name resolution with a private hosts file: ``$JCCLUSTER_HOSTS`` (standard library only).

A simulator site on a fresh machine needs a site name that resolves forward and reverse to an
address active here. Every ``127.x.y.z`` is active on Linux's loopback interface, so all that is
missing is the name. Instead of editing ``/etc/hosts``, point ``$JCCLUSTER_HOSTS`` at a file in
``/etc/hosts`` format::

    127.0.10.1  orange.example.com

The engine (``site create``, ``start``, ``keep-port``, ``nqspath``) and the emulated JobCenter
commands (``jccluster simulator install``) look names up there first, then in the system
resolver. The first line naming an address gives its reverse name, as in ``/etc/hosts``.
Real JobCenter does not read this file: on a real node the site name belongs in DNS or
``/etc/hosts`` on every node (manual §2.10.1).
"""

from __future__ import annotations

import os
import socket

ENV = "JCCLUSTER_HOSTS"


def _entries() -> list[tuple[str, list[str]]]:
    path = os.environ.get(ENV)
    if not path:
        return []
    from jobcenter_cluster import fsio

    # the trust rule (fsio): a hosts file someone else could write would let them point the
    # site's name at their own address; refused with one line (UserError), never read
    try:
        data = fsio.read_trusted(path, what=f"hosts file (${ENV})", limit=1 << 24)
    except FileNotFoundError:
        return []
    out: list[tuple[str, list[str]]] = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            out.append((fields[0], [f.rstrip(".").lower() for f in fields[1:]]))
    return out


def gethostbyname_ex(name: str) -> tuple[str, list[str], list[str]]:
    """Like `socket.gethostbyname_ex`, with ``$JCCLUSTER_HOSTS`` searched first."""
    key = name.rstrip(".").lower()
    official = ""
    aliases: list[str] = []
    addresses: list[str] = []
    for address, names in _entries():
        if key in names:
            if not official:
                official, aliases = names[0], names[1:]
            if names[0] == official and address not in addresses:
                addresses.append(address)
    if addresses:
        return official, aliases, addresses
    return socket.gethostbyname_ex(name)


def gethostbyname(name: str) -> str:
    return gethostbyname_ex(name)[2][0]


def gethostbyaddr(address: str) -> tuple[str, list[str], list[str]]:
    """Like `socket.gethostbyaddr`, with ``$JCCLUSTER_HOSTS`` searched first."""
    for addr, names in _entries():
        if addr == address:
            return names[0], names[1:], [address]
    return socket.gethostbyaddr(address)
