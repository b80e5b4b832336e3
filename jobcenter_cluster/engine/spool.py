"""The standard spool path ``<root>/<HEX>``: a symlink to ``<DBPATH>/nqs`` on this node.

``create`` makes it on the creating node; ``start`` makes or repairs it on whichever node runs the
site (like ``cjcpw``). Only *our* symlink is ever replaced: one pointing at this site's database
(now or as recorded before, e.g. a database that moved). A regular file, a directory or a symlink
to anything else is refused with a message naming it -- it may be another site's spool.

Trusted state (`require_root`, `require_trusted_database`): before an engine command reads or writes state,
the spool root, its ``.jccluster`` tree, the database directory and ``DBPATH/nqs`` -- and every
directory above them -- must be owned by root or the effective user and not writable by group or
others (`fsio.require_trusted`). Otherwise a local user could plant symlinks or forge run records
that root then follows or acts on. The spool root must also be absolute: a relative one would
depend on the current directory.
"""

from __future__ import annotations

import os

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import store
from jobcenter_cluster.engine.base import (  # noqa: F401 - re-exported: the trusted-state checks
    STATE_DIRS,
    config_for_engine,
    require_child,
    require_root,
)
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.products import spool_hex


def ensure_link(root: str, site: str, address: str, database: str) -> str:
    """Create or repair ``<root>/<HEX> -> <database>/nqs``; return the link path."""
    target = store.db_nqs(database)
    path = os.path.join(root, spool_hex(address))
    fsio.make_dirs(root, 0o755)
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
    tmp = f"{path}.tmp-{os.getpid()}-{os.urandom(6).hex()}"  # symlink() never follows
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except OSError:
        try:  # noqa: SIM105 - not contextlib: this module is on the status hot path
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _ours(root: str, site: str, target: str) -> bool:
    reg = store.read_registry(root, site)
    if reg and reg.get("database") and store.db_nqs(reg["database"]) == target:
        return True
    ident = store.read_identity(os.path.dirname(target.rstrip("/")))
    return bool(ident and ident.get("name") == site)


def require_trusted_database(database: str) -> None:
    """Refuse (`UserError`) a database directory, our metadata beside it (``DBPATH/.jccluster``),
    ``DBPATH/nqs`` or the simulator's files in it, that a non-root user could write or that lies
    below such a directory."""
    fsio.require_trusted(database, what="database directory", missing_ok=True)
    require_child(store.meta_dir(database), what="database directory")
    nqs = store.db_nqs(database)
    require_child(nqs, what="site database")
    require_child(os.path.join(nqs, "sim"), what="site database")
    require_child(os.path.join(database, "etc"), what="database directory")  # daemon.conf
