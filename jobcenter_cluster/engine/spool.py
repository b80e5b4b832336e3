"""The standard spool path ``<root>/<HEX>``: a symlink to ``<DBPATH>/nqs`` on this node.

``create`` makes it on the creating node; ``start`` makes or repairs it on whichever node runs the
site (like ``cjcpw``). Only *our* symlink is ever replaced: one pointing at this site's database
(now or as recorded before, e.g. a database that moved). A regular file, a directory or a symlink
to anything else is refused with a message naming it -- it may be another site's spool.

Trusted state (`check_root`, `check_database`): before an engine command reads or writes state,
the spool root, its ``.jccluster`` tree, the database directory and ``DBPATH/nqs`` -- and every
directory above them -- must be owned by root or the effective user and not writable by group or
others (`fsio.check_trusted`). Otherwise a local user could plant symlinks or forge run records
that root then follows or acts on. The spool root must also be absolute: a relative one would
depend on the current directory.
"""

from __future__ import annotations

import os

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import store
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


#: the directories under ``<root>/.jccluster`` the engine reads and writes
STATE_DIRS = ("sites", "run", "lock", "keepport")


def check_root(root: str) -> str:
    """Refuse (`UserError`) a relative spool root or one a non-root user could write; check its
    ``.jccluster`` tree too. Missing directories are fine: they are created later, with explicit
    modes, below a directory that passed. Returns ``root``."""
    if not os.path.isabs(root):
        raise UserError(
            f"spool root {root!r} must be an absolute path (give --root /DIR or "
            "$JCCLUSTER_ROOT; a Windows product's spool root is not run by the engine here)"
        )
    fsio.check_trusted(root, what="spool root", missing_ok=True)
    meta = store.meta(root)
    _check_child(meta)
    for sub in STATE_DIRS:
        _check_child(os.path.join(meta, sub))
    return root


def check_database(database: str) -> None:
    """Refuse (`UserError`) a database directory, or ``DBPATH/nqs``, that a non-root user could
    write or that lies below such a directory."""
    fsio.check_trusted(database, what="database directory", missing_ok=True)
    nqs = store.db_nqs(database)
    _check_child(nqs, what="site database")
    for sub in (store.META, "sim"):
        _check_child(os.path.join(nqs, sub), what="site database")
    _check_child(os.path.join(database, "etc"), what="database directory")  # daemon.conf


def _check_child(path: str, what: str = "spool root") -> None:
    """Like `fsio.check_trusted` for an entry whose parent has just passed: one ``lstat``
    (the status hot path runs this every few seconds)."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if st.st_mode & 0o170000 == 0o120000 or not fsio.trusted_owner(st.st_uid) \
            or st.st_mode & 0o022:
        fsio.check_trusted(path, what=what, missing_ok=True)


def config_for_engine(named: str | None, system_default: str) -> str | None:
    """The cluster file an engine command may read: the one named (``-c``,
    ``$JCCLUSTER_CONFIG``: the operator's choice), else ``system_default`` when it exists and it
    and its directories pass `fsio.check_trusted` (a `UserError` when it exists but does not),
    else None. Never a file from the current directory."""
    if named:
        return named
    if not os.path.lexists(system_default):
        return None
    fsio.check_trusted(system_default, what="cluster file")
    return system_default
