"""``site create``: the counterpart of ``cjcmksite SITE MID DBPATH``.

Crash-safe: the database is built in ``<DBPATH>/.nqs.tmp-<pid>`` and renamed to ``<DBPATH>/nqs``
in one step, so a failure at any point leaves either no site or a complete one. Leftovers of an
interrupted run are removed by the next run, and re-running ``create`` with the same arguments
on a complete site only repairs the registry and the spool link.

Test hook: ``$JCCLUSTER_FAULT_CREATE`` = ``after-build`` or ``after-rename`` makes the process
exit abruptly at that point (simulates a crash half-way).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time

from jobcenter_cluster.engine import names, spool, store
from jobcenter_cluster.engine.base import Result, node_name
from jobcenter_cluster.engine.status import status
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

DIR_MODE = 0o755
TMP_PREFIX = ".nqs.tmp-"
OLD_PREFIX = ".nqs.old-"


def _fault(point: str) -> None:
    if os.environ.get("JCCLUSTER_FAULT_CREATE") == point:
        os._exit(70)


def create(
    site: str,
    machine_id: int,
    database: str,
    *,
    root: str,
    product: str,
    force: bool = False,
    address: str | None = None,
) -> Result:
    key = store.check_site_name(site)
    if not isinstance(machine_id, int) or isinstance(machine_id, bool) or machine_id <= 0:
        raise UserError(f"machine ID {machine_id!r} must be a positive integer")
    if not os.path.isabs(database):
        raise UserError(f"database path {database!r} must be absolute")
    database = os.path.normpath(database)

    # name checks (the demo passes the address and skips resolution)
    if address is None:
        address = names.resolve(key)
    names.check_active(address, key)

    # machine ID unused by any other site known here
    for other in store.known_sites(root):
        if other.get("name") != key and other.get("machine_id") == machine_id:
            raise UserError(
                f"machine ID {machine_id} is already used by site {other['name']}; "
                "every machine and site that exchange jobs needs its own"
            )

    # the database directory: on a mounted file system, empty of a previous site
    parent = os.path.dirname(database)
    if not os.path.isdir(parent):
        raise UserError(
            f"{parent} does not exist: is the shared disk mounted? (database path {database})"
        )
    if os.path.lexists(database) and not os.path.isdir(database):
        raise UserError(f"database path {database} exists and is not a directory")
    mount = names.mount_point(parent)
    _cleanup_leftovers(database)
    nqs = store.db_nqs(database)
    existing = store.read_identity(database)
    wanted = {"name": key, "address": address, "machine_id": machine_id, "product": product}
    if os.path.lexists(nqs):
        same = existing is not None and all(existing.get(k) == v for k, v in wanted.items())
        if existing is not None and same and not force:
            _finish(root, key, address, database, existing)
            return Result(
                Outcome.SUCCESS,
                f"site {key} already exists in {database}; registry and spool link checked",
                {"database": database, "address": address, "mount": mount, "repaired": True},
            )
        if not force:
            what = f"site {existing['name']}" if existing else "a site database (nqs/)"
            raise UserError(f"{database} already holds {what}; use --force to replace it")
        if existing:
            st = status(existing.get("name", key), root=root, database=database)
            if st.outcome in (Outcome.RUNNING, Outcome.MAINTENANCE):
                raise UserError(
                    f"site {st.site} is running from {database}; stop it before replacing it"
                )

    created_db = not os.path.isdir(database)
    os.makedirs(database, exist_ok=True)
    if created_db:
        os.chmod(database, DIR_MODE)
    identity = {
        **wanted,
        "database": database,
        "created_by": node_name(),
        "created_at": time.time(),
        "last_host": node_name(),
        "format": 1,
    }
    tmp = os.path.join(database, f"{TMP_PREFIX}{os.getpid()}")
    old: str | None = None
    try:
        os.mkdir(tmp, DIR_MODE)
        os.chmod(tmp, DIR_MODE)  # mode 755 whatever the umask (manual §2.12)
        for sub in (store.META, "etc", "log"):
            os.mkdir(os.path.join(tmp, sub), DIR_MODE)
            os.chmod(os.path.join(tmp, sub), DIR_MODE)
        store.write_json(os.path.join(tmp, store.META, store.SITE_FILE), identity, sync=True)
        store.fsync_dir(tmp)
        _fault("after-build")
        if os.path.lexists(nqs):
            old = os.path.join(database, f"{OLD_PREFIX}{os.getpid()}")
            os.rename(nqs, old)
        os.rename(tmp, nqs)
        store.fsync_dir(database)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fault("after-rename")
    if old:
        shutil.rmtree(old, ignore_errors=True)
    link = _finish(root, key, address, database, identity)
    return Result(
        Outcome.SUCCESS,
        f"site {key} created in {database} (address {address}, machine ID {machine_id}, "
        f"{product}); spool link {link}",
        {"database": database, "address": address, "mount": mount, "spool_link": link},
    )


def _finish(root: str, key: str, address: str, database: str, identity: dict) -> str:
    store.write_registry(root, {**identity, "name": key, "address": address, "database": database})
    return spool.ensure_link(root, key, address, database)


def _cleanup_leftovers(database: str) -> None:
    """Remove temp/old trees left by an interrupted create."""
    with contextlib.suppress(OSError):
        for entry in os.listdir(database):
            if entry.startswith((TMP_PREFIX, OLD_PREFIX)):
                shutil.rmtree(os.path.join(database, entry), ignore_errors=True)
