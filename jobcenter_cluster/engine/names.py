"""Site names and addresses: the manual's preconditions (§2.10.1, §3.3.4).

The site name is the **official** host name of the floating address (not an alias), resolving
forward and reverse through the system resolver (``/etc/hosts``, DNS, ...) -- or first through
``$JCCLUSTER_HOSTS`` (`jobcenter_cluster.hosts`: simulator sites on a fresh machine) -- and the
address must be active on this machine when the site is created.
"""

from __future__ import annotations

import errno
import os
import socket

from jobcenter_cluster import hosts
from jobcenter_cluster.errors import UserError


def resolve(site: str) -> str:
    """The site's IPv4 address, after checking forward, alias and reverse resolution."""
    try:
        official, _aliases, addresses = hosts.gethostbyname_ex(site)
    except OSError as err:
        raise UserError(
            f"site name {site} does not resolve ({getattr(err, 'strerror', None) or err}); "
            "add it to DNS or /etc/hosts on every node"
        ) from None
    if official.rstrip(".").lower() != site:
        raise UserError(
            f"{site} is an alias of {official}; the site name must be the official host name "
            f"(use {official.rstrip('.').lower()})"
        )
    if len(set(addresses)) != 1:
        raise UserError(
            f"site name {site} resolves to several addresses ({', '.join(addresses)}); "
            "it must name exactly one floating address"
        )
    address = addresses[0]
    try:
        reverse, _, _ = hosts.gethostbyaddr(address)
    except OSError:
        raise UserError(
            f"{address} (the address of {site}) has no reverse entry; add '{address} {site}' "
            "to DNS or /etc/hosts on every node"
        ) from None
    if reverse.rstrip(".").lower() != site:
        raise UserError(
            f"reverse lookup of {address} gives {reverse}, not {site}; fix the PTR record or "
            "/etc/hosts so the site name comes first"
        )
    return address


def require_active(address: str, site: str) -> None:
    """The address is configured on this machine (binding to it succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:
                raise UserError(
                    f"{address} ({site}) is not active on this machine; create the site on the "
                    "node where the package and its floating address are up"
                ) from None
            raise UserError(f"cannot bind to {address} ({site}): {err.strerror}") from None


def mount_point(path: str) -> str:
    """The mount point of the file system holding ``path`` (which must exist)."""
    path = os.path.realpath(path)
    while not os.path.ismount(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path
