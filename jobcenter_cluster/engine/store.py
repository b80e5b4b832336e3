"""Where the engine keeps what it knows (standard library only).

On the **shared disk** (travels with the site)::

    <DBPATH>/nqs/                        mode 755, the site database: JobCenter's own (built by
                                         its cjcmksite); nothing of ours is written inside it
    <DBPATH>/.jccluster/site.json        identity: name, address, machine ID, product,
                                         creating host, last host (migration detection),
                                         "built": "jccluster" | "cjcmksite" (a site made by
                                         hand, adopted by its first start), "state"
                                         ("building" while create runs cjcmksite, "complete")
    <DBPATH>/.jccluster/watcher.log      stdout/stderr of a background watcher
    <DBPATH>/.jccluster/start.log        output of the product's start command
    <DBPATH>/nqs.replaced-YYYYmmdd-HHMMSS  a database moved aside by ``create --force``: kept,
                                         never deleted by us
    <DBPATH>/etc/daemon.conf             the cluster site's daemon.conf (optional)

Our metadata lives beside ``nqs/``, never in it, so it cannot confuse JobCenter (whose
``cjcmksite``, ``cjcpw`` and patches own ``nqs/``). Sites created before this layout kept it in
``<DBPATH>/nqs/.jccluster/``: readers fall back to that path.

On **each node** (process ids mean nothing elsewhere), under the spool root::

    <root>/<HEX>                         standard spool path: symlink to <DBPATH>/nqs
    <root>/.jccluster/sites/<site>.json  sites known on this node (create / start register them)
    <root>/.jccluster/run/<site>.json    run state: watcher and daemon identities (pid, start)
    <root>/.jccluster/lock/<site>.lock   per-site lock (fcntl) taken by start and stop

Every file is written to a temporary name in the same directory and renamed into place, so a
reader sees the old or the new content, never half of it.
"""

from __future__ import annotations

import errno
import json
import os
import time

from jobcenter_cluster import fsio
from jobcenter_cluster.errors import LockBusy, UserError

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

META = ".jccluster"
SITE_FILE = "site.json"
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def is_host_name(name: str) -> bool:
    """Whether ``name`` is a host name by syntax (labels of letters, digits and '-')."""
    return _is_host_name(name)


def _is_host_name(name: str) -> bool:
    # (no `re` here: it is not on the status path otherwise)
    name = name[:-1] if name.endswith(".") else name
    if not 1 <= len(name) <= 253:
        return False
    for label in name.split("."):
        if not 1 <= len(label) <= 63 or not set(label) <= _LABEL_CHARS:
            return False
        if label.startswith("-") or label.endswith("-"):
            return False
    return True


#: longest file name the file systems we run on take (NAME_MAX)
NAME_MAX = 255
#: room the engine needs after a site name in its file names: ``<site>.json`` and the
#: temporary files beside it (``<site>.json.tmp.<pid>``, or mkstemp's random suffix)
SUFFIX_ROOM = 40
#: longest site name whose every file name fits in `NAME_MAX`
MAX_SITE_NAME = NAME_MAX - SUFFIX_ROOM


def require_site_name(site: str) -> str:
    """A site name is a host name; return its canonical (lower-case, no trailing dot) form.

    Also refused, before anything is written: a name too long for the file names the engine
    makes from it (``<root>/.jccluster/run/<site>.json`` and its temporary files)."""
    if not site or not _is_host_name(site):
        shown = site if len(site) <= 80 else site[:60] + "..."
        raise UserError(f"{shown!r} is not a valid site name (a host name: letters, digits, '-', "
                        "'.'; labels of 1-63 characters)")
    key = site.rstrip(".").lower()
    if len(key) > MAX_SITE_NAME:
        raise UserError(
            f"site name is {len(key)} characters: at most {MAX_SITE_NAME} fit in the file names "
            f"made from it (<root>/{META}/run/<site>.json and its temporary files); use a "
            "shorter official host name")
    return key


def registry_path(root: str, site: str) -> str:
    return os.path.join(root, META, "sites", f"{site}.json")


def run_path(root: str, site: str) -> str:
    return os.path.join(root, META, "run", f"{site}.json")


def lock_path(root: str, site: str) -> str:
    return os.path.join(root, META, "lock", f"{site}.lock")


def db_nqs(database: str) -> str:
    return os.path.join(database, "nqs")


def meta_dir(database: str) -> str:
    """Our metadata directory beside the site database: ``<DBPATH>/.jccluster``."""
    return os.path.join(database, META)


def identity_path(database: str) -> str:
    return os.path.join(database, META, SITE_FILE)


def legacy_identity_path(database: str) -> str:
    """Where sites created before the metadata moved out of ``nqs/`` keep their identity."""
    return os.path.join(database, "nqs", META, SITE_FILE)


def has_identity(database: str) -> bool:
    return os.path.exists(identity_path(database)) or os.path.exists(
        legacy_identity_path(database))


def watcher_log(database: str) -> str:
    return os.path.join(database, META, "watcher.log")


# --- files ------------------------------------------------------------------------------------


def read_json(path: str) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when missing. A corrupt file is also None (and named).

    Never through a final symlink, and only from a regular file owned by root or the effective
    user that nobody else can write (`fsio.open_nofollow`): anything else is a `UserError`."""
    try:
        fd = fsio.open_nofollow(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None
    try:
        with os.fdopen(fd, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: str, data: dict[str, Any], *, mode: int = 0o644, sync: bool = False) -> None:
    """Atomically replace ``path`` with ``data`` (`fsio.atomic_write`: an unguessable temporary
    name created with O_EXCL|O_NOFOLLOW in the same directory, fchmod, rename)."""
    directory = os.path.dirname(path)
    fsio.make_dirs(directory, 0o755)
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    fsio.atomic_write(path, text, mode, sync=sync)
    if sync:
        fsync_dir(directory)


def fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove(path: str) -> None:
    try:  # noqa: SIM105 - not contextlib.suppress: contextlib stays off the hot path
        os.unlink(path)
    except FileNotFoundError:
        pass


# --- records ----------------------------------------------------------------------------------


def read_identity(database: str) -> dict[str, Any] | None:
    found = read_json(identity_path(database))
    return found if found is not None else read_json(legacy_identity_path(database))


def read_registry(root: str, site: str) -> dict[str, Any] | None:
    return read_json(registry_path(root, site))


def write_registry(root: str, info: dict[str, Any]) -> None:
    # token, since: the last start's token digest and start time, kept here too so that an
    # unreadable run file does not lose the proof of membership (issue 28: a double-forked job
    # then outlived the stop and status said stopped)
    fields = ("name", "address", "machine_id", "product", "database", "token", "since")
    keep: dict[str, Any] = {k: info[k] for k in fields if k in info}
    if "token" not in keep:  # a re-registration (create again, start) keeps the last start's
        old = read_registry(root, info["name"]) or {}
        keep.update({k: old[k] for k in ("token", "since") if k in old})
    write_json(registry_path(root, info["name"]), keep)


def known_sites(root: str) -> list[dict[str, Any]]:
    """Every site registered on this node, sorted by name."""
    directory = os.path.join(root, META, "sites")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    out = []
    for name in names:
        if name.endswith(".json"):
            data = read_json(os.path.join(directory, name))
            if data and data.get("name"):
                out.append(data)
    return out


def read_run(root: str, site: str) -> dict[str, Any] | None:
    """The site's run state, or None when there is none *or it is unreadable* (see
    `read_run_checked`). Its ``database`` must be the one the site is registered with
    (`require_run_database`)."""
    run = read_json(run_path(root, site))
    if run is not None:
        require_run_database(root, site, run)
    return run


def require_run_database(root: str, site: str, run: dict[str, Any]) -> None:
    """A run state's ``database`` must be the one the site is registered with (or, for a site not
    registered here, a database whose identity names the site): a run state pointing elsewhere --
    ``"database": "/"`` would make ``stop`` signal every process holding a file -- is refused
    (`UserError`), never acted upon."""
    db = run.get("database")
    if db is None:
        return
    reg = read_registry(root, site)
    if reg is not None:
        if reg.get("database") == db:
            return
        why = f"the site is registered with {reg.get('database')!r}"
    else:
        ident = read_identity(db) if isinstance(db, str) and os.path.isabs(db) else None
        if ident is not None and ident.get("name") == site:
            return
        why = "that is not this site's database"
    raise UserError(
        f"run state {run_path(root, site)} names database {db!r}, but {why}; remove the file "
        "if it is stale"
    )


def read_run_checked(root: str, site: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(run state, None)``, ``(None, None)`` when there is no run file, or ``(None, why)``
    when a run file exists but cannot be used (empty, corrupt, not an object, unreadable)."""
    path = run_path(root, site)
    try:  # a FIFO, socket, device or directory there is unusable: never opened, never waited on
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as err:
        return None, f"{path}: {err.strerror}"
    kind = mode & 0o170000
    if kind not in (0o100000, 0o120000):  # neither a regular file nor a symlink (refused below)
        return None, f"{path}: not a regular file"
    try:  # never through a symlink, only a file of root's or ours (`fsio.open_nofollow`)
        with os.fdopen(fsio.open_nofollow(path, os.O_RDONLY), encoding="utf-8") as fh:
            text = fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as err:
        return None, f"{path}: {err.strerror}"
    except ValueError:
        return None, f"{path}: not UTF-8"
    try:
        data = json.loads(text)
    except ValueError:
        return None, f"{path}: {'empty' if not text.strip() else 'corrupt'}"
    if not isinstance(data, dict):
        return None, f"{path}: not a JSON object"
    require_run_database(root, site, data)
    return data, None


def boot_id() -> str | None:
    """This boot's identity (Linux ``/proc/sys/kernel/random/boot_id``), or None elsewhere."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def stale_run(run: dict[str, Any]) -> bool:
    """Whether a run state was written before this node last booted: nothing it describes can
    still be running (a node that crashed while running the site, then came back)."""
    recorded = run.get("boot")
    current = boot_id() if recorded else None
    return bool(recorded and current and recorded != current)


def _write_run(root: str, site: str, data: dict[str, Any]) -> None:
    data = dict(data)
    data["updated"] = time.time()
    data["boot"] = boot_id()
    write_json(run_path(root, site), data)


def set_state(root: str, site: str, new: str, *, fresh: dict[str, Any] | None = None,
              **fields: Any) -> dict[str, Any]:
    """The one place a site's run state changes.

    Asserts ``current -> new`` against `states.TRANSITIONS` (`states.IllegalTransition`
    otherwise), then writes the run file: ``fresh`` (a whole new record) or the current record,
    updated with ``fields`` and the new state. Returns what was written."""
    from jobcenter_cluster.engine import states

    current = read_run(root, site)
    old = current.get("state") if current else None
    if current is not None and states.parse(old) is not None and stale_run(current):
        old = None  # a state from before the last reboot describes nothing that runs
    state = states.require_allowed(old, new)
    data = dict(fresh) if fresh is not None else dict(current or {"site": site})
    data.update(fields)
    data["state"] = state.value
    data.setdefault("site", site)
    _write_run(root, site, data)
    return data


def update_run(root: str, site: str, **changes: Any) -> dict[str, Any]:
    """Change fields of the run state other than the state itself (watcher, members, ...)."""
    if "state" in changes:
        raise ValueError("update_run cannot change the state: use set_state")
    data = read_run(root, site)
    if data is None:
        return {}
    data.update(changes)
    _write_run(root, site, data)
    return data


# --- the per-site lock ------------------------------------------------------------------------


class site_lock:  # noqa: N801 - used as `with store.site_lock(root, site, timeout):`
    """Hold the site's lock (fcntl, released by the kernel if we die); `LockBusy` (a
    `UserError`) on timeout.

    A class rather than a @contextmanager: this module is on the status hot path, and
    contextlib is an import the status path does not otherwise need."""

    def __init__(self, root: str, site: str, timeout: float) -> None:
        self.root, self.site, self.timeout = root, site, timeout
        self.fd: int | None = None

    def __enter__(self) -> None:
        import fcntl

        path = lock_path(self.root, self.site)
        fsio.make_dirs(os.path.dirname(path), 0o755)
        fd = fsio.open_nofollow(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + max(self.timeout, 0.0)
            delay = 0.005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as err:
                    if err.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise LockBusy(
                            f"site {self.site}: another start/stop holds {path}; try again when "
                            "it is done"
                        ) from None
                    time.sleep(delay)  # flock has no timed wait; back off gently
                    delay = min(delay * 2, 0.1)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
