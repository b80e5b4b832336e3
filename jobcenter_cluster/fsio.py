"""Safe file I/O for a program that runs as root (standard library only, hot-path safe).

The engine runs as root and keeps its state in directories a careless operator could make
writable by others (a spool root with mode 1777, a tree created under ``umask 000``, a shared
disk another account can write). Everything here assumes an attacker may own a directory on the
way and plant symlinks, and refuses to be led by them:

- `make_dirs` creates missing directories one by one, each with an explicit mode (``os.makedirs``
  applies its mode only to the last one, and then only through the umask);
- `require_trusted` refuses a path unless it and every directory above it are owned by the
  effective user or root and not writable by group or others (a world-writable directory *above*
  it is accepted only with the sticky bit, as ``/tmp`` has, and then only when the entry below it
  is ours too -- the rule OpenSSH's ``safe_path`` and the kernel's ``protected_symlinks`` use);
- `atomic_write` writes to an unguessable temporary name created with ``O_EXCL | O_NOFOLLOW`` in
  the target's directory, ``fchmod``s it and renames it into place;
- `open_nofollow` opens logs, locks and pid files without following a final symlink, with an
  explicit mode, and only when the result is a regular file owned by the effective user or root.

No ``tempfile``, ``contextlib``, ``pathlib`` or ``typing``: `jccluster site status` and the agents'
monitors import this module every few seconds.
"""

from __future__ import annotations

import errno
import os
import stat

from jobcenter_cluster.errors import UserError

__all__ = [
    "atomic_write",
    "require_trusted",
    "make_dirs",
    "may_echo",
    "open_nofollow",
    "trusted_owner",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_MAX_LINKS = 40  # like the kernel's ELOOP limit


def trusted_owner(uid: int) -> bool:
    """Whether ``uid`` may own something we trust: root or the effective user."""
    return uid == 0 or uid == os.geteuid()


def _fix(path: str, st: os.stat_result) -> str:
    if not trusted_owner(st.st_uid):
        return f"make it root's (`chown root {path}`) or move it"
    return f"run `chmod go-w {path}`"


def _refuse(what: str, path: str, why: str, fix: str) -> UserError:
    return UserError(
        f"{what} {path} is not safe to use: {why}; {fix} (it and the directories above it must be "
        "owned by root or you and not writable by group or others)"
    )


def _check_entry(what: str, top: str, path: str, st: os.stat_result, *, leaf: bool) -> None:
    if not trusted_owner(st.st_uid):
        raise _refuse(what, top, f"{path} is owned by uid {st.st_uid}", _fix(path, st))
    if stat.S_ISLNK(st.st_mode):
        return  # a symlink's own mode means nothing; its target is checked by the walk
    writable = st.st_mode & 0o022
    if not writable:
        return
    if not leaf and stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        return  # sticky (like /tmp): others cannot rename or remove what is ours below it
    who = "others" if st.st_mode & 0o002 else "its group"
    mode = stat.S_IMODE(st.st_mode)
    raise _refuse(what, top, f"{path} is writable by {who} (mode {mode:04o})", _fix(path, st))


def require_trusted(path: str, *, what: str = "path", missing_ok: bool = False) -> None:
    """Refuse ``path`` (one-line `UserError` naming it and the fix) unless it and every directory
    above it are owned by the effective user or root and not writable by group or others.

    Symlinks on the way must themselves be owned by the effective user or root (so nobody else
    can have planted them) and their targets pass the same walk. A directory above the path may
    be world-writable only with the sticky bit (``/tmp``); the path itself never.
    ``missing_ok``: a path that does not exist (yet) is fine when everything that does exist
    above it is -- a directory created below it later is then created in a trusted place.
    """
    if not os.path.isabs(path):
        raise UserError(f"{what} {path!r} must be an absolute path")
    path = os.path.normpath(path)
    _walk(path, path, what, missing_ok, 0)


def _walk(top: str, path: str, what: str, missing_ok: bool, depth: int) -> None:
    parts = [p for p in path.split("/") if p]
    current = "/"
    _check_entry(what, top, "/", os.lstat("/"), leaf=not parts)
    for i, part in enumerate(parts):
        candidate = os.path.join(current, part)
        leaf = i == len(parts) - 1
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            if missing_ok:
                return
            raise UserError(f"{what} {candidate} does not exist") from None
        except NotADirectoryError:
            raise UserError(f"{what} {path}: {current} is not a directory") from None
        _check_entry(what, top, candidate, st, leaf=leaf)
        if stat.S_ISLNK(st.st_mode):
            if depth >= _MAX_LINKS:
                raise UserError(f"{what} {path}: too many levels of symbolic links")
            target = os.path.normpath(os.path.join(current, os.readlink(candidate)))
            rest = "/".join(parts[i + 1 :])
            _walk(top, os.path.join(target, rest) if rest else target, what, missing_ok,
                  depth + 1)
            return
        current = candidate


def make_dirs(path: str, mode: int = 0o755) -> None:
    """Create ``path`` and every missing directory above it, one by one, each with ``mode``
    exactly (whatever the umask). Directories that exist are left as they are."""
    path = os.path.abspath(path)
    missing = []
    probe = path
    while not os.path.isdir(probe):
        if os.path.lexists(probe):
            raise UserError(f"{probe} exists and is not a directory (needed for {path})")
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except FileExistsError:
            if not os.path.isdir(directory) or os.path.islink(directory):
                raise UserError(f"{directory} appeared meanwhile and is not a directory") from None
            continue  # made by a concurrent run: its mode is that run's business
        os.chmod(directory, mode)


def atomic_write(path: str, data: bytes | str, mode: int = 0o644, *, sync: bool = False) -> None:
    """Replace ``path`` with ``data``: a new file with an unguessable name, created with
    ``O_EXCL | O_NOFOLLOW`` in the same directory, ``fchmod``-ed to ``mode``, renamed into place.
    A reader sees the old or the new content, never half of it; a symlink planted at any name
    is never followed."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory, base = os.path.split(path)
    directory = directory or "."
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.tmp-{os.getpid()}-{os.urandom(6).hex()}")
        try:
            fd = os.open(tmp, flags, 0o600)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise OSError(f"cannot create a temporary file in {directory}")
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - not contextlib.suppress: contextlib stays off the hot path
            os.unlink(tmp)
        except OSError:
            pass
        raise


def open_nofollow(path: str, flags: int, mode: int = 0o644) -> int:
    """``os.open`` that never follows a final symlink, with an explicit creation ``mode``.

    The file opened must be a regular file owned by the effective user or root. Opened for
    writing (``O_CREAT``), a file of ours that group or others can write (say, created under
    ``umask 000``) is ``fchmod``-ed to ``mode``; opened for reading only, such a file is refused:
    anybody could have written what it says. Raises `UserError` naming the path for a symlink, a
    non-regular file, someone else's file or a writable one.
    """
    try:  # O_NONBLOCK: a FIFO planted at the name must not block the open (a monitor never
        # hangs); it is refused below, and a regular file is switched back to blocking
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK, mode)
    except OSError as err:
        if err.errno == errno.ELOOP:  # the final component is a symlink
            raise UserError(f"{path} is a symbolic link; refusing to follow it (remove it)") \
                from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path} is not a regular file; refusing to use it (remove it)")
        os.set_blocking(fd, True)
        if not trusted_owner(st.st_uid):
            raise UserError(
                f"{path} is owned by uid {st.st_uid}, not by root or you; refusing to use it "
                "(remove it)"
            )
        if stat.S_IMODE(st.st_mode) & 0o022:
            if not flags & os.O_CREAT:
                raise UserError(
                    f"{path} is writable by group or others (mode "
                    f"{stat.S_IMODE(st.st_mode):04o}); refusing to trust it (`chmod go-w {path}`)"
                )
            if st.st_uid != os.geteuid():
                raise UserError(f"{path} is writable by group or others; refusing to use it")
            os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def may_echo(path: str) -> bool:
    """Whether text read from ``path`` may be repeated in a message: the file (and any symlink
    leading to it) belongs to the effective user. A root process never quotes a line of a file
    someone else planted or pointed it to (``/etc/shadow`` through a symlink)."""
    me = os.geteuid()
    try:
        if os.lstat(path).st_uid != me or os.stat(path).st_uid != me:
            return False
    except OSError:
        return False
    return True


def trusted_prefix(path: str) -> str:
    """An install prefix (``$JCCLUSTER_PREFIX`` or the product's) whose programs root will run:
    refused unless `require_trusted` (a missing one is fine: nothing there can run). A Windows
    prefix (not absolute here) is returned as it is: the engine does not run it on this OS."""
    if os.path.isabs(path):
        require_trusted(path, what="install prefix ($JCCLUSTER_PREFIX)", missing_ok=True)
    return path
