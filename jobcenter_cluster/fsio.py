"""Safe file I/O for a program that runs as root (standard library only, hot-path safe).

The engine runs as root and keeps its state in directories a careless operator could make
writable by others (a spool root with mode 1777, a tree created under ``umask 000``, a shared
disk another account can write). Everything here assumes an attacker may own a directory on the
way and plant symlinks, and refuses to be led by them:

- `make_dirs` creates missing directories one by one, each with an explicit mode (``os.makedirs``
  applies its mode only to the last one, and then only through the umask), by the trust rule
  on handles (`make_trusted_dir`, below);
- `require_trusted` refuses a path unless it and every directory above it are owned by the
  effective user or root and not writable by group or others (a world-writable directory *above*
  it is accepted only with the sticky bit, as ``/tmp`` has, and then only when the entry below it
  is ours too -- the kernel's ``protected_symlinks`` model; whether OpenSSH's ``safe_path``
  makes the same exception is unverified);
- `atomic_write` writes to an unguessable temporary name created with ``O_EXCL | O_NOFOLLOW`` in
  the target's directory, ``fchmod``s it and renames it into place;
- `open_nofollow` opens logs, locks and pid files without following a final symlink, with an
  explicit mode, and only when the result is a regular file owned by the effective user or root.

The trust rule (the same for every path root reads or writes; what sshd's ``StrictModes`` and
systemd-tmpfiles' "safe" path walks check, written down once):

1. Every directory from ``/`` down to the path, and the path itself, is owned by root or the
   effective user.
2. None of them is writable by group or others -- except a directory *above* the path that has
   the sticky bit (``/tmp``): others may add entries there but cannot rename or remove ours. The
   path itself (a directory we write into, a file we read) is never group- or other-writable;
   a directory that only *holds* the one file we read or write (``holds_file``) counts as above
   it, since the file itself is checked (read) or made ``O_EXCL`` and renamed (written).
3. A symlink on the way is followed only when root or the effective user owns it (nobody else can
   have planted it); its target passes the same walk. At most 40 of them (the kernel's limit).
4. A directory root *creates* is made with ``mkdir`` and then opened (``O_DIRECTORY |
   O_NOFOLLOW``) and the open handle is ``fstat``-ed against rules 1-2 before anything goes in;
   a directory that already exists is accepted only if its handle passes the same check. A new
   directory gets its mode with ``fchmod`` (whatever the umask).
5. Everything below such a directory is reached relative to the open handle (``dir_fd``: no
   path is resolved twice), new files are created ``O_CREAT | O_EXCL | O_NOFOLLOW`` at
   unguessable names and renamed into place (``src_dir_fd``/``dst_dir_fd``). So a swap after the
   check -- a directory renamed away, a symlink planted -- changes nothing we write.
6. A file root reads (cluster file, ``simulator.env``, ``$JCCLUSTER_HOSTS``, import inputs) is
   opened relative to its parent's checked handle with ``O_NOFOLLOW | O_NONBLOCK``, must be a
   regular file, owned by root or the effective user, and not writable by group or others.

A refusal is one `UserError` line naming the path, its owner and mode, and the fix.

The walk (`open_dir`, `open_trusted`) does it all on handles: the rules are checked on what was
opened, not on a name looked up before. `require_trusted` is the older name-based check for paths
that are only probed, not opened.

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
    "describe",
    "untrusted_reason",
    "make_trusted_dir",
    "open_dir",
    "open_subdir",
    "open_trusted",
    "read_trusted",
    "write_at",
    "require_trusted",
    "make_dirs",
    "may_echo",
    "open_nofollow",
    "trusted_owner",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_MAX_LINKS = 40  # like the kernel's ELOOP limit


class NotTrusted(UserError):
    """A refusal by the trust rule, as data: `path` (what was asked for), `entry` (the entry at
    fault: the path itself, a directory above it or a symlink on the way) and `reason` (its
    owner or mode, e.g. ``owned by uid 1000, mode 0644, not by root or you``). The message is
    rendered from them by the raiser; callers that word it their own way read the fields."""

    def __init__(self, message: str, *, path: str, entry: str, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.entry = entry
        self.reason = reason


class NoSuchPath(UserError):
    """The trust walk met a name that does not exist: `path` (what was asked for), `missing`
    (the first name on the way that is not there)."""

    def __init__(self, message: str, *, path: str, missing: str) -> None:
        super().__init__(message)
        self.path = path
        self.missing = missing


def trusted_owner(uid: int) -> bool:
    """Whether ``uid`` may own something we trust: root or the effective user."""
    return uid == 0 or uid == os.geteuid()


def _fix(path: str, st: os.stat_result) -> str:
    if not trusted_owner(st.st_uid):
        return f"make it root's (`chown root {path}`) or move it"
    return f"run `chmod go-w {path}`"


def _refuse(what: str, path: str, entry: str, reason: str, fix: str) -> NotTrusted:
    return NotTrusted(
        f"{what} {path} is not safe to use: {entry} is {reason}; {fix} (it and the directories "
        "above it must be owned by root or you and not writable by group or others)",
        path=path, entry=entry, reason=reason)


def _check_entry(what: str, top: str, path: str, st: os.stat_result, *, leaf: bool) -> None:
    if not trusted_owner(st.st_uid):
        raise _refuse(what, top, path, f"owned by uid {st.st_uid}", _fix(path, st))
    if stat.S_ISLNK(st.st_mode):
        return  # a symlink's own mode means nothing; its target is checked by the walk
    writable = st.st_mode & 0o022
    if not writable:
        return
    if not leaf and stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        return  # sticky (like /tmp): others cannot rename or remove what is ours below it
    who = "others" if st.st_mode & 0o002 else "its group"
    mode = stat.S_IMODE(st.st_mode)
    raise _refuse(what, top, path, f"writable by {who} (mode {mode:04o})", _fix(path, st))


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
            raise NoSuchPath(f"{what} {candidate} does not exist", path=top,
                             missing=candidate) from None
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
    exactly (whatever the umask); directories that exist are left as they are. By the trust
    rule on handles (`make_trusted_dir`): a directory someone else made or can write -- one that
    appeared between a caller's check and our ``mkdir`` included -- is refused, never used."""
    make_trusted_dir(os.path.abspath(path), mode)


def atomic_write(path: str, data: bytes | str, mode: int = 0o644, *, sync: bool = False) -> None:
    """Replace ``path`` with ``data`` (`write_at` in the directory above it, opened once). A
    reader sees the old or the new content, never half of it; a symlink planted at any name is
    never followed. The directory is not trust-checked here: callers that need it open it with
    `open_dir` and use `write_at`."""
    directory, base = os.path.split(path)
    dfd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        write_at(dfd, base, data, mode, sync=sync)
    finally:
        os.close(dfd)


def write_at(dir_fd: int, name: str, data: bytes | str, mode: int = 0o644, *,
             replace: bool = True, sync: bool = False) -> None:
    """The project's one atomic writer: ``name`` (one path component) in the directory open as
    ``dir_fd`` gets ``data``. A new file at an unguessable name is created ``O_CREAT | O_EXCL |
    O_NOFOLLOW`` relative to ``dir_fd``, ``fchmod``-ed to ``mode``, written (``fsync``-ed with
    ``sync``) and renamed onto ``name`` (``replace``) or hard-linked to it (``replace=False``:
    `FileExistsError` when ``name`` exists, never overwritten)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"write_at: {name!r} is not one path component")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(100):
        tmp = f".{name}.tmp-{os.getpid()}-{os.urandom(6).hex()}"
        try:
            fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise OSError(f"cannot create a temporary file for {name}")
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
        if replace:
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        else:
            os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
            os.unlink(tmp, dir_fd=dir_fd)
    except BaseException:
        try:  # noqa: SIM105 - not contextlib.suppress: contextlib stays off the hot path
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- handle-based walk


def describe(st: os.stat_result) -> str:
    """``owned by uid N, mode 0NNN`` (what a refusal says about an entry)."""
    return f"owned by uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):04o}"


def untrusted_reason(st: os.stat_result, *, leaf: bool = True) -> str | None:
    """Why an entry with status ``st`` fails the trust rule (rules 1-2), or None if it passes.
    ``leaf``: the path itself (no sticky exception)."""
    if not trusted_owner(st.st_uid):
        return f"{describe(st)}, not by root or you"
    if st.st_mode & 0o022 and not (not leaf and stat.S_ISDIR(st.st_mode)
                                   and st.st_mode & stat.S_ISVTX):
        who = "others" if st.st_mode & 0o002 else "its group"
        return f"writable by {who} ({describe(st)})"
    return None


def _untrusted(what: str, top: str, here: str, st: os.stat_result, *, leaf: bool) -> None:
    reason = untrusted_reason(st, leaf=leaf)
    if reason is None:
        return
    where = top if here == top else f"{top}: {here}"
    raise NotTrusted(f"{what} {where} is not trusted: {reason}; {_fix(here, st)} (it and the "
                     "directories above it must be owned by root or you and not writable by "
                     "group or others)", path=top, entry=here, reason=reason)


def _mkdir_at(parent_fd: int, name: str, what: str, top: str, here: str) -> bool:
    """``mkdirat`` mode 0700 (``fchmod``-ed once the handle passed); False when the name
    appeared meanwhile (its handle is then checked like any existing directory)."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
    except FileExistsError:
        return False
    except OSError as err:
        raise UserError(f"{what} {top}: cannot create {here}: {err.strerror}") from None
    return True


def _dir_at(parent_fd: int, name: str, create: bool, what: str, top: str,
            here: str) -> tuple[int, bool]:
    """Directory ``name`` below ``parent_fd`` opened without following a symlink (made first
    when missing and ``create``); the descriptor and whether we made it. A missing one without
    ``create``: `FileNotFoundError`."""
    flags = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW | _CLOEXEC
    try:
        return os.open(name, flags, dir_fd=parent_fd), False
    except FileNotFoundError:
        if not create:
            raise
        created = _mkdir_at(parent_fd, name, what, top, here)
        return os.open(name, flags, dir_fd=parent_fd), created


def _walk_open(path: str, what: str, create_mode: int | None, *,
               holds_file: bool = False) -> tuple[int, str]:
    """Open directory ``path`` by a walk from ``/`` on handles (rules 1-5); return (fd, the real
    path it reached). Missing directories are made with ``create_mode`` (None: refused).
    ``holds_file``: ``path`` is the directory *above* a file (rule 2's sticky exception applies
    to it: the file itself is checked)."""
    top = os.path.abspath(path)
    todo = [p for p in top.split("/") if p]
    todo.reverse()
    stack = [(os.open("/", os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC), "/")]
    links = 0
    try:
        _untrusted(what, top, "/", os.fstat(stack[0][0]), leaf=not todo)
        while todo:
            name = todo.pop()
            if name == ".":
                continue
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop()[0])
                continue
            parent_fd, parent = stack[-1]
            here = os.path.join(parent, name)
            try:
                fd, created = _dir_at(parent_fd, name, create_mode is not None, what, top, here)
            except OSError as err:
                if err.errno == errno.ENOENT:
                    where = top if here == top else f"{top}: {here}"
                    raise NoSuchPath(f"{what} {where} does not exist", path=top,
                                     missing=here) from None
                if err.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise UserError(f"{what} {top}: cannot open {here}: {err.strerror}") \
                        from None
                st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
                if not stat.S_ISLNK(st.st_mode):
                    raise UserError(f"{what} {top}: {here} exists and is not a directory") \
                        from None
                if not trusted_owner(st.st_uid):
                    raise UserError(
                        f"{what} {top}: {here} is a symbolic link {describe(st)}, not by root "
                        "or you; refusing to follow it (remove it)") from None
                links += 1
                if links > _MAX_LINKS:
                    raise UserError(f"{what} {top}: too many levels of symbolic links") from None
                target = os.readlink(name, dir_fd=parent_fd)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop()[0])
                todo.extend(reversed([p for p in target.split("/") if p]))
                continue
            stack.append((fd, here))
            st = os.fstat(fd)
            if created and st.st_uid == os.geteuid():
                os.fchmod(fd, create_mode)  # type: ignore[arg-type]
                st = os.fstat(fd)
            _untrusted(what, top, here, st, leaf=not todo and not holds_file)
        fd, real = stack[-1]
        _untrusted(what, top, real, os.fstat(fd), leaf=not holds_file)
        stack.pop()
        return fd, real
    finally:
        for fd, _ in stack:
            os.close(fd)


def open_dir(path: str, *, what: str = "directory", create: bool = False,
             mode: int = 0o755, holds_file: bool = False) -> int:
    """An ``O_DIRECTORY`` descriptor of ``path`` that passed the trust rule on its handle (and
    every directory above it did): `UserError` otherwise. With ``create`` missing directories
    are made one by one (rule 4), each ``fchmod``-ed to ``mode``. ``holds_file``: the caller
    only puts one file there, by `write_at` (``O_EXCL`` at an unguessable name, then a rename
    or link), so a sticky world-writable ``path`` (``/tmp``) is accepted as rule 2 accepts it
    above a path. The caller closes the descriptor."""
    return _walk_open(path, what, mode if create else None, holds_file=holds_file)[0]


def make_trusted_dir(path: str, mode: int = 0o755, *, what: str = "directory") -> None:
    """Create ``path`` (and what is missing above it) or accept the existing one, by the trust
    rule on handles (`open_dir` with ``create``): a directory someone else made or can write
    -- even one that appeared between a check and the ``mkdir`` -- is refused."""
    os.close(open_dir(path, what=what, create=True, mode=mode))


def open_subdir(dir_fd: int, rel: str, *, what: str = "directory", top: str = "",
                create: bool = False, mode: int = 0o755) -> int:
    """A descriptor of ``rel`` below the directory open as ``dir_fd``, walked component by
    component on handles: no symlink, no ``..``; each directory trusted (owner root or you, not
    writable by group or others; new ones ``fchmod``-ed to ``mode``). ``top`` names the base
    in messages. Missing directories: `FileNotFoundError` unless ``create``."""
    fd = os.dup(dir_fd)
    here = top
    try:
        for name in [p for p in rel.split("/") if p and p != "."]:
            if name == "..":
                raise UserError(f"{what} {top}: {rel} leaves the directory")
            here = os.path.join(here, name)
            try:
                sub, created = _dir_at(fd, name, create, what, top, here)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a directory"
                    raise UserError(f"{here}: is {kind}; refusing to write through it") \
                        from None
                raise
            os.close(fd)
            fd = sub
            st = os.fstat(fd)
            if created and st.st_uid == os.geteuid():
                os.fchmod(fd, mode)
                st = os.fstat(fd)
            _untrusted(what, here, here, st, leaf=True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_trusted(path: str, *, what: str = "file") -> int:
    """A read-only descriptor of regular file ``path`` by the trust rule (rule 6): its
    directory is opened by the handle walk, the file relative to it with ``O_NOFOLLOW``
    (a symlink at the name is followed only when root or you own it, and its target is walked
    again). `UserError` (one line: path, owner, mode, fix) for anything else; a missing file is
    `FileNotFoundError`."""
    top = os.path.abspath(path)
    current = top
    for _ in range(_MAX_LINKS):
        parent, name = os.path.split(current)
        if not name:
            raise UserError(f"{what} {top} is a directory, not a file")
        try:
            dfd, real = _walk_open(parent, what, None, holds_file=True)
        except NoSuchPath:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", top) from None
        try:
            try:
                fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK,
                             dir_fd=dfd)
            except OSError as err:
                if err.errno != errno.ELOOP:
                    if err.errno == errno.ENOENT:
                        raise FileNotFoundError(errno.ENOENT, "No such file or directory",
                                                top) from None
                    raise UserError(f"{what} {top}: cannot read: {err.strerror}") from None
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
                if not trusted_owner(st.st_uid):
                    raise UserError(
                        f"{what} {top} is a symbolic link {describe(st)}, not by root or you; "
                        "refusing to follow it (remove it)") from None
                current = os.path.join(real, os.readlink(name, dir_fd=dfd))
                continue
        finally:
            os.close(dfd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise UserError(f"{what} {top} is not a regular file; refusing to read it")
            _untrusted(what, top, top, st, leaf=True)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd
    raise UserError(f"{what} {top}: too many levels of symbolic links")


def read_trusted(path: str, *, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of ``path`` read through `open_trusted`; with ``limit`` at most ``limit + 1``
    bytes (so the caller can tell a file that is too large)."""
    fd = open_trusted(path, what=what)
    try:
        chunks = []
        left = -1 if limit is None else limit + 1
        while left:
            chunk = os.read(fd, 1 << 16 if left < 0 else min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            if left > 0:
                left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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
