"""``site create``: the counterpart of ``cjcmksite SITE MID DBPATH`` -- and JobCenter's own
``cjcmksite`` for a real (or emulated) installation.

Two builders, after one preflight (site name official and resolving forward and reverse, its
address active here, machine ID unused by another site of this node, the parent directory of the
database present, nothing foreign in the way):

- **JobCenter** (``jobcenter-linux``, ``-hpux``, ``-solaris``, ``-aix``): the installation's own
  ``cjcmksite`` (``$JCCLUSTER_PREFIX/cluster/cjcmksite``, default ``/usr/lib/nqs/cluster``)
  builds ``DBPATH/nqs``, run with umask 022 so the database gets mode 755 whatever the caller's
  umask (manual §2.12). When it fails, its own error line is shown. Our identity is written
  *beside* the database (``DBPATH/.jccluster/site.json``, see `store`) with ``state: building``
  before ``cjcmksite`` runs and ``complete`` after, so a failed run is simply run again with the
  same arguments, as the manual says (§2.10.3: fix the cause and run it again); the tree a failed
  ``cjcmksite`` left is moved aside first (``nqs.replaced-…``, kept, its path printed).
- **simulator**: ``nqs/`` is built in ``DBPATH/.nqs.tmp-<pid>`` and renamed into place in one
  step: a crash at any point leaves either no database or a complete one.

A database is never destroyed:

- the same arguments again on a complete site: nothing rebuilt; registry and spool link repaired;
- another site or machine ID on an existing database: refused;
- an ``nqs/`` we did not build (no identity of ours beside it -- e.g. a site made by hand with
  ``cjcmksite``): refused, never adopted (``site start`` runs such a site as it is);
- ``--force``: the old ``nqs/`` is **moved aside** to ``nqs.replaced-YYYYmmdd-HHMMSS`` beside it,
  kept, and its path printed. Nothing here deletes a moved-aside database.

A crash half-way is a test's business, through `CreateSteps` (the simulator build tells it how
far it got), never an environment variable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from jobcenter_cluster import fsio
from jobcenter_cluster.engine import names, profiles, spool, store
from jobcenter_cluster.engine.base import Result, node_name
from jobcenter_cluster.engine.status import spool_links, status
from jobcenter_cluster.errors import UserError
from jobcenter_cluster.outcome import Outcome

DIR_MODE = 0o755
TMP_PREFIX = ".nqs.tmp-"
#: a database moved aside by ``--force``: ``nqs.replaced-YYYYmmdd-HHMMSS``
REPLACED_PREFIX = "nqs.replaced-"
#: the real cjcmksite starts and stops a temporary daemon: give it time
CJCMKSITE_TIMEOUT = 600.0
BUILDING, COMPLETE = "building", "complete"


class CreateSteps:
    """What `create` tells its caller while it builds a simulator database: the seam through
    which a test stops the process half-way (a subclass that calls ``os._exit`` in one of these
    simulates a crash there). The engine's own calls pass none: these do nothing."""

    def built(self, tmp: str) -> None:
        """The new tree is complete in `tmp` and not yet renamed into place."""

    def renamed(self, nqs: str) -> None:
        """The tree is in place at `nqs`; our identity still says "building"."""


NO_STEPS = CreateSteps()


@dataclass(frozen=True)
class Plan:
    """What the preflight found: the site as it will be built, and what is there now."""

    key: str
    machine_id: int
    database: str
    address: str
    product: str
    #: the database's file system's mount point (reported)
    mount: str
    #: the installation's cjcmksite; "" for the simulator, which we build ourselves
    cjcmksite: str
    #: our identity beside the database, as found (None: none)
    existing: dict[str, Any] | None

    @property
    def native(self) -> bool:
        return bool(self.cjcmksite)

    @property
    def nqs(self) -> str:
        return store.db_nqs(self.database)

    @property
    def wanted(self) -> dict[str, Any]:
        return {"name": self.key, "address": self.address, "machine_id": self.machine_id,
                "product": self.product}

    @property
    def same(self) -> bool:
        """The existing identity is this very site's (name, address, machine ID, product)."""
        return self.existing is not None and all(
            self.existing.get(k) == v for k, v in self.wanted.items())

    @property
    def building(self) -> bool:
        """An earlier create of this very site did not finish."""
        return self.same and self.existing is not None and self.existing.get("state") == BUILDING


@dataclass(frozen=True)
class Aside:
    """What was moved out of the way (`_move_aside`) before the build, if anything."""

    moved: str | None = None
    #: it was the tree of a failed earlier run of ours, not a previous database
    partial: bool = False

    @property
    def what(self) -> str:
        return "the tree of the failed earlier run" if self.partial else "the previous database"


def create(
    site: str,
    machine_id: int,
    database: str,
    *,
    root: str,
    product: str,
    force: bool = False,
    address: str | None = None,
    steps: CreateSteps = NO_STEPS,
) -> Result:
    """The module docstring's create: preflight, then keep, refuse or clear what is there, then
    build. `machine_id` has passed `api.require_machine_id`."""
    plan = _preflight(site, machine_id, database, root=root, product=product, address=address)
    if os.path.lexists(plan.nqs) and plan.same and not plan.building and not force:
        return _repair(plan, root)
    aside = _clear_the_way(plan, root, force)
    try:
        link, output = _build(plan.database, plan.nqs, plan.key, plan.machine_id, root,
                              plan.address, plan.native, plan.cjcmksite, plan.wanted, steps)
    except (UserError, OSError) as err:
        if not aside.moved:
            raise
        raise _moved_aside_error(plan, aside, err) from None
    return _created(plan, link, output, aside)


def _preflight(site: str, machine_id: int, database: str, *, root: str, product: str,
               address: str | None) -> Plan:
    """Everything checked before anything is written (a `UserError` otherwise)."""
    key = store.require_site_name(site)
    if not os.path.isabs(database):
        raise UserError(f"database path {database!r} must be absolute")
    database = os.path.normpath(database)
    profile = profiles.get(product)
    native = product != "simulator"
    if not profile.runs_here:
        raise UserError(
            f"{product} sites are created on their own node with JobCenter's cjcmksite "
            "(the engine does not run there)", exit_code=7)

    # name checks (the demo passes the address and skips resolution)
    if address is None:
        address = names.resolve(key)
    names.require_active(address, key)

    # machine ID unused by any other site known here
    for other in store.known_sites(root):
        if other.get("name") != key and other.get("machine_id") == machine_id:
            raise UserError(
                f"machine ID {machine_id} is already used by site {other['name']}; "
                "every machine and site that exchange jobs needs its own"
            )

    # never inside another site's database, nor holding one (a stop takes what holds files
    # in its database: one site's stop would kill the other's daemons)
    nested = nested_database(root, key, database)
    if nested:
        raise UserError(nested)

    # the database directory: on a mounted file system, empty of a previous site
    parent = os.path.dirname(database)
    if not os.path.isdir(parent):
        raise UserError(
            f"{parent} does not exist: is the shared disk mounted? (database path {database})"
        )
    if os.path.lexists(database) and not os.path.isdir(database):
        raise UserError(f"database path {database} exists and is not a directory")
    mount = names.mount_point(parent)
    cjcmksite = profile.product.command("cjcmksite", profile.prefix()) if native else ""
    if native and not os.access(cjcmksite, os.X_OK):
        raise UserError(
            f"{cjcmksite} not found: is JobCenter installed here? (set JCCLUSTER_PREFIX for "
            "another installation directory)", exit_code=6)
    _cleanup_leftovers(database)
    return Plan(key, machine_id, database, address, product, mount, cjcmksite,
                store.read_identity(database))


def _repair(plan: Plan, root: str) -> Result:
    """The same site again on its complete database: nothing rebuilt; registry and spool link
    checked."""
    assert plan.existing is not None
    fsio.require_trusted(plan.nqs, what="site database")
    _finish(root, plan.key, plan.address, plan.database, plan.existing)
    return Result(
        Outcome.SUCCESS,
        f"site {plan.key} already exists in {plan.database}; registry and spool link checked",
        {"database": plan.database, "address": plan.address, "mount": plan.mount,
         "repaired": True},
    )


def _clear_the_way(plan: Plan, root: str, force: bool) -> Aside:
    """Refuse a database that is not ours to replace; with `force` (or after a failed run of
    ours) move what is there aside, kept."""
    nqs, database, existing = plan.nqs, plan.database, plan.existing
    if os.path.lexists(nqs) and not (plan.building and not force):
        if not force:
            if existing is not None:
                raise UserError(
                    f"{database} already holds site {existing.get('name')} (machine ID "
                    f"{existing.get('machine_id')}); use another database path, or --force to "
                    "move that database aside (it is kept)")
            raise UserError(
                f"{nqs} exists but was not built by `jccluster site create` (a site made by hand "
                f"with cjcmksite? run it with `jccluster site start {plan.key} {database}`); not "
                "adopting it: use --force to move it aside (it is kept)")
        victim = (existing or {}).get("name") or plan.key
        st = status(victim, root=root, database=database)
        if st.outcome in (Outcome.RUNNING, Outcome.MAINTENANCE):
            raise UserError(
                f"site {st.site} is running from {database}; stop it before replacing it"
            )
        return Aside(_move_aside(database))
    if os.path.lexists(nqs) and plan.native:
        # what a failed cjcmksite of ours left (identity "building"): moved aside and kept, so
        # that the same command again runs cjcmksite on clean ground, as §2.10.3 asks (fix the
        # cause, run it again), whatever cjcmksite makes of a half-built tree
        fsio.require_trusted(nqs, what="site database")
        return Aside(_move_aside(database), partial=True)
    return Aside()


def _moved_aside_error(plan: Plan, aside: Aside, err: UserError | OSError) -> UserError:
    """The old database is safe but no longer where it was: say where, whatever failed (a full
    disk while building the new one; issue 28)."""
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        text = f"site create {plan.key}: {where}{err.strerror or err}"
    else:
        text = str(err)
    return UserError(f"{text}; {aside.what} was moved aside to {aside.moved} (kept)",
                     exit_code=getattr(err, "exit_code", 2))


def _created(plan: Plan, link: str, output: str, aside: Aside) -> Result:
    moved = aside.moved
    note = f"; {aside.what} was moved aside to {moved} (kept)" if moved else ""
    done = f" ({output})" if output else ""
    return Result(
        Outcome.SUCCESS,
        f"site {plan.key} created in {plan.database} (address {plan.address}, machine ID "
        f"{plan.machine_id}, {plan.product}){done}; spool link {link}{note}",
        {"database": plan.database, "address": plan.address, "mount": plan.mount,
         "spool_link": link, "replaced": moved},
    )


def _build(database: str, nqs: str, key: str, machine_id: int, root: str, address: str,
           native: bool, cjcmksite: str, wanted: dict[str, Any],
           steps: CreateSteps) -> tuple[str, str]:
    """Build the new database beside our identity; returns (spool link, cjcmksite's output)."""
    from jobcenter_cluster import fsio  # security: checked on the handle after mkdir (fsio)

    fsio.make_trusted_dir(database, DIR_MODE, what="database directory")
    identity = {
        **wanted,
        "database": database,
        "created_by": node_name(),
        "created_at": time.time(),
        "last_host": node_name(),
        "format": 2,
        "built": "cjcmksite" if native else "jccluster",
        "state": BUILDING,
    }
    _write_identity(database, identity)
    output = ""
    if native:
        output = _run_cjcmksite(cjcmksite, key, machine_id, database, root)
        if not os.path.isdir(nqs) or os.path.islink(nqs):
            raise UserError(f"{cjcmksite} reported success but built no {nqs}", exit_code=1)
    else:
        _build_simulator(database, nqs, steps)
    identity["state"] = COMPLETE
    _write_identity(database, identity)
    link = _finish(root, key, address, database, identity)
    return link, output


def _real(path: str) -> str:
    return os.path.realpath(path).rstrip("/") or "/"


def _contains(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def other_site_databases(root: str, site: str) -> list[tuple[str, str]]:
    """``(name, database)`` of the other sites this node knows: registered here, or with a
    standard spool link here (a site made by hand with cjcmksite: its name is its
    identity's, else the link's name)."""
    out = [(str(info.get("name")), info["database"]) for info in store.known_sites(root)
           if info.get("name") != site and isinstance(info.get("database"), str)]
    for path, database, identity in spool_links(root):
        found = identity or {}
        name = str(found.get("name") or f"linked at {path}")
        if name != site and os.path.isabs(database):
            out.append((name, database))
    return out


def nested_database(root: str, site: str, database: str) -> str | None:
    """Why ``database`` cannot be ``site``'s because it lies inside another site's database
    (also inside its ``nqs/`` or its metadata, also through a symlink) or holds one; None when
    it is a tree of its own. Both paths are compared with symlinks resolved."""
    real = _real(database)
    fix = ("use a directory of its own beside it on the shared disk (two sites must not nest: "
           "stopping one would stop the other)")
    # an ancestor that is a site's database, known here or not (its identity says so)
    probe = real
    while True:
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
        found = store.read_identity(probe)
        if found is not None and found.get("name") != site:
            return (f"DBPATH: {database} lies inside {probe}, the database of site "
                    f"{found.get('name')}; {fix}")
    for name, other in other_site_databases(root, site):
        theirs = _real(other)
        if theirs == real:
            continue  # the same database: the identity check below names its owner
        if _contains(theirs, real):
            return (f"DBPATH: {database} lies inside {other}, the database of site {name}; "
                    f"{fix}")
        if _contains(real, theirs):
            return (f"DBPATH: {database} holds {other}, the database of site {name}; {fix}")
    return None


def _write_identity(database: str, identity: dict) -> None:
    meta = store.meta_dir(database)
    if not os.path.isdir(meta):
        os.mkdir(meta, DIR_MODE)
        os.chmod(meta, DIR_MODE)
    store.write_json(store.identity_path(database), identity, sync=True)


def _run_cjcmksite(cjcmksite: str, site: str, machine_id: int, database: str, root: str) -> str:
    """Run the installation's cjcmksite; its last line on success, its error line otherwise."""
    env = dict(os.environ)
    env["JCCLUSTER_ROOT"] = root  # the emulated installation's spool root; JobCenter ignores it
    env.pop("NQS_SITE", None)
    try:
        proc = subprocess.run(
            [cjcmksite, site, str(machine_id), database], stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", env=env, cwd="/",
            umask=0o022, timeout=CJCMKSITE_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"{cjcmksite} did not finish within {CJCMKSITE_TIMEOUT:g}s; run "
                        "`jccluster site create` again once the cause is fixed", exit_code=1
                        ) from None
    except OSError as err:
        raise UserError(f"cannot run {cjcmksite}: {err.strerror}", exit_code=1) from None
    out = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0:
        errs = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        line = (errs or out or ["(no message)"])[-1]
        raise UserError(
            f"cjcmksite failed (exit status {proc.returncode}): {line} -- fix the cause and run "
            "`jccluster site create` again with the same arguments", exit_code=1)
    return out[-1] if out else ""


def _build_simulator(database: str, nqs: str, steps: CreateSteps) -> None:
    if os.path.isdir(nqs):  # our own build, interrupted after the rename: it is complete
        return
    tmp = os.path.join(database, f"{TMP_PREFIX}{os.getpid()}")
    try:
        os.mkdir(tmp, DIR_MODE)
        os.chmod(tmp, DIR_MODE)  # mode 755 whatever the umask (manual §2.12)
        for sub in ("etc", "log"):
            os.mkdir(os.path.join(tmp, sub), DIR_MODE)
            os.chmod(os.path.join(tmp, sub), DIR_MODE)
        store.fsync_dir(tmp)
        steps.built(tmp)
        os.rename(tmp, nqs)
        store.fsync_dir(database)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary tree, never a database
        raise
    steps.renamed(nqs)


def _move_aside(database: str) -> str:
    """Rename ``nqs`` to ``nqs.replaced-YYYYmmdd-HHMMSS`` (a free name) and return that path."""
    nqs = store.db_nqs(database)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime())
    target = os.path.join(database, f"{REPLACED_PREFIX}{stamp}")
    n = 1
    while os.path.lexists(target):
        n += 1
        target = os.path.join(database, f"{REPLACED_PREFIX}{stamp}-{n}")
    os.rename(nqs, target)
    store.fsync_dir(database)
    return target


def _finish(root: str, key: str, address: str, database: str, identity: dict) -> str:
    store.write_registry(root, {**identity, "name": key, "address": address, "database": database})
    return spool.ensure_link(root, key, address, database)


def _cleanup_leftovers(database: str) -> None:
    """Remove temporary trees left by an interrupted simulator build (``.nqs.tmp-*``: never a
    database). Databases moved aside (``nqs.replaced-*``, and ``.nqs.old-*`` of older
    versions) are never touched."""
    try:
        entries = os.listdir(database)
    except OSError:
        return
    for entry in entries:
        if entry.startswith(TMP_PREFIX):
            shutil.rmtree(os.path.join(database, entry), ignore_errors=True)


def adopt(site: str, database: str, product: str) -> dict | None:
    """The identity of a site made by hand with JobCenter's ``cjcmksite`` (``nqs/`` present,
    none of our metadata), written beside it so status, stop and the next start know it.

    Its address is the official name's (manual §2.10.1: the site name resolves forward and
    reverse); its machine ID is JobCenter's business and stays unknown to us. None when this
    is not such a site (no ``nqs/``, a simulator product, or the name does not resolve)."""
    nqs = store.db_nqs(database)
    if product == "simulator" or not os.path.isdir(nqs) or store.has_identity(database):
        return None
    address = names.resolve(site)
    identity = {
        "name": site, "address": address, "machine_id": None, "product": product,
        "database": database, "created_by": None, "created_at": None, "last_host": None,
        "format": 2, "built": "cjcmksite", "state": COMPLETE,
    }
    _write_identity(database, identity)
    return identity
