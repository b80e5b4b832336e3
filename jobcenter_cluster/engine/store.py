"""Where the engine keeps what it knows (standard library only).

On the **shared disk** (travels with the site)::

    <DBPATH>/nqs/                        mode 755, the site database (cjcmksite's nqs/)
    <DBPATH>/nqs/.jccluster/site.json    identity: name, address, machine ID, product,
                                         creating host, last host (migration detection)
    <DBPATH>/nqs/.jccluster/watcher.log  stdout/stderr of a background watcher
    <DBPATH>/etc/daemon.conf             the cluster site's daemon.conf (optional)

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

from jobcenter_cluster.errors import UserError

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

META = ".jccluster"
SITE_FILE = "site.json"
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


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


def check_site_name(site: str) -> str:
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


def meta(root: str) -> str:
    return os.path.join(root, META)


def registry_path(root: str, site: str) -> str:
    return os.path.join(root, META, "sites", f"{site}.json")


def run_path(root: str, site: str) -> str:
    return os.path.join(root, META, "run", f"{site}.json")


def lock_path(root: str, site: str) -> str:
    return os.path.join(root, META, "lock", f"{site}.lock")


def db_nqs(database: str) -> str:
    return os.path.join(database, "nqs")


def identity_path(database: str) -> str:
    return os.path.join(database, "nqs", META, SITE_FILE)


def watcher_log(database: str) -> str:
    return os.path.join(database, "nqs", META, "watcher.log")


# --- files ------------------------------------------------------------------------------------


def read_json(path: str) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when missing. A corrupt file is also None (and named)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: str, data: dict[str, Any], *, mode: int = 0o644, sync: bool = False) -> None:
    """Atomically replace ``path`` with ``data`` (temp file in the same dir + rename)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - not contextlib.suppress: contextlib stays off the hot path
            os.unlink(tmp)
        except OSError:
            pass
        raise
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
    return read_json(identity_path(database))


def read_registry(root: str, site: str) -> dict[str, Any] | None:
    return read_json(registry_path(root, site))


def write_registry(root: str, info: dict[str, Any]) -> None:
    fields = ("name", "address", "machine_id", "product", "database")
    keep: dict[str, Any] = {k: info[k] for k in fields if k in info}
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
    """The run state, or None when there is none *or it is unreadable* (see `read_run_checked`)."""
    return read_json(run_path(root, site))


def read_run_checked(root: str, site: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(run state, None)``, ``(None, None)`` when there is no run file, or ``(None, why)``
    when a run file exists but cannot be used (empty, corrupt, not an object, unreadable)."""
    path = run_path(root, site)
    try:
        with open(path, encoding="utf-8") as fh:
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


#: test hook: every transition written, as (site, old, new)
TRANSITION_LOG: list[tuple[str, str | None, str]] | None = None


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
    state = states.check(old, new)
    data = dict(fresh) if fresh is not None else dict(current or {"site": site})
    data.update(fields)
    data["state"] = state.value
    data.setdefault("site", site)
    _write_run(root, site, data)
    if TRANSITION_LOG is not None:
        TRANSITION_LOG.append((site, old, state.value))
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
    """Hold the site's lock (fcntl, released by the kernel if we die); UserError on timeout.

    A class rather than a @contextmanager: this module is on the status hot path, and
    contextlib is an import the status path does not otherwise need."""

    def __init__(self, root: str, site: str, timeout: float) -> None:
        self.root, self.site, self.timeout = root, site, timeout
        self.fd: int | None = None

    def __enter__(self) -> None:
        import fcntl

        path = lock_path(self.root, self.site)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
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
                        raise UserError(
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
