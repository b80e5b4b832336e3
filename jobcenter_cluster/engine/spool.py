"""The standard spool path ``<root>/<HEX>``: a symlink to ``<DBPATH>/nqs`` on this node.

``create`` makes it on the creating node; ``start`` makes or repairs it on whichever node runs the
site (like ``cjcpw``). Only *our* symlink is ever replaced: one pointing at this site's database
(now or as recorded before, e.g. a database that moved). A regular file, a directory or a symlink
to anything else is refused with a message naming it -- it may be another site's spool.
"""

from __future__ import annotations

import contextlib
import os

from jobcenter_cluster.engine import store
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.products import spool_hex


def ensure_link(root: str, site: str, address: str, database: str) -> str:
    """Create or repair ``<root>/<HEX> -> <database>/nqs``; return the link path."""
    target = store.db_nqs(database)
    path = os.path.join(root, spool_hex(address))
    os.makedirs(root, mode=0o755, exist_ok=True)
    if os.path.islink(path):
        current = os.readlink(path)
        if current == target:
            return path
        if not _ours(root, site, current):
            raise UserError(
                f"spool path {path} is a symlink to {current}, which is not site {site}'s "
                f"database; remove it if it is stale (it must point to {target})"
            )
    elif os.path.lexists(path):
        kind = "a directory" if os.path.isdir(path) else "a file"
        raise UserError(
            f"spool path {path} is {kind}, not a symlink; move it away so it can link to {target}"
        )
    tmp = f"{path}.tmp.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _ours(root: str, site: str, target: str) -> bool:
    reg = store.read_registry(root, site)
    if reg and reg.get("database") and store.db_nqs(reg["database"]) == target:
        return True
    ident = store.read_identity(os.path.dirname(target.rstrip("/")))
    return bool(ident and ident.get("name") == site)
