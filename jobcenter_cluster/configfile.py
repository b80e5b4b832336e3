"""Which cluster file a command reads: one rule for every command (standard library only).

1. the file named with ``-c FILE`` (``--config``), else the one ``$JCCLUSTER_CONFIG`` names: the
   operator's explicit choice; reading it applies the same trust rule (`model.open_regular`:
   owned by root or you, not writable by others, nor the directories above it);
2. else ``./jccluster.toml`` in the current directory, **only if it passes the trust rule**
   (`jobcenter_cluster.fsio`: a regular file owned by root or you, not writable by group or
   others, in directories likewise): root's current directory may be anybody's, and a file
   planted there must not choose the program root's OCF agent runs;
3. else ``/etc/jccluster/jccluster.toml`` (`SYSTEM_CONFIG`) when it exists -- and it must pass
   the trust rule too, or the command stops with one line naming owner and mode;
4. else no file: `Choice.path` is None and `Choice.missing` says what was looked for and why
   ``./jccluster.toml`` was refused (``./jccluster.toml exists but is not trusted: owned by uid
   1000, mode 0666``).

`choose` returns a `Choice` (the path, why it was chosen, why ``./jccluster.toml`` was not);
``jccluster doctor`` prints it. The agents' monitors run this module: no dataclasses, no typing.
"""

from __future__ import annotations

import os

from jobcenter_cluster.errors import UserError

#: the file in the current directory (relative, as commands have always named it)
LOCAL_CONFIG = "jccluster.toml"
#: the system-wide file
SYSTEM_CONFIG = "/etc/jccluster/jccluster.toml"
ENV = "JCCLUSTER_CONFIG"


class Choice:
    """The outcome of `choose`: ``path`` (None: no file), ``reason`` (why that one), ``refused``
    (why ``./jccluster.toml`` was passed over, or "")."""

    __slots__ = ("path", "reason", "refused")

    def __init__(self, path: str | None, reason: str, refused: str = "") -> None:
        self.path = path
        self.reason = reason
        self.refused = refused

    def __repr__(self) -> str:
        return f"Choice(path={self.path!r}, reason={self.reason!r}, refused={self.refused!r})"

    def describe(self) -> str:
        """One line: the file read and why (for ``doctor``)."""
        if self.path is None:
            return self.missing()
        line = f"{self.path} ({self.reason})"
        return f"{line}; {self.refused}" if self.refused else line

    def missing(self) -> str:
        """What a command that found no file says."""
        local = self.refused or f"no ./{LOCAL_CONFIG}"
        return (f"no cluster file: {local}, and {SYSTEM_CONFIG} does not exist (give -c FILE or "
                f"${ENV}, or create {LOCAL_CONFIG})")

    def to_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "reason": self.reason, "refused": self.refused or None}


def _local_refusal(path: str) -> str | None:
    """Why ``./jccluster.toml`` fails the trust rule, or None when it passes (or is missing:
    then "")."""
    from jobcenter_cluster import fsio

    what = "cluster file"
    try:
        os.close(fsio.open_trusted(path, what=what))
    except FileNotFoundError:
        return ""
    except fsio.NotTrusted as err:
        # the refusal's data, not its message: the entry at fault and its owner or mode
        reason = err.reason.removesuffix(", not by root or you")
        detail = reason if err.entry == err.path else f"{err.entry} is {reason}"
        return f"./{LOCAL_CONFIG} exists but is not trusted: {detail}"
    except UserError as err:
        return f"./{LOCAL_CONFIG} exists but cannot be used: {err}"
    except OSError as err:
        return f"./{LOCAL_CONFIG} exists but cannot be read: {err.strerror}"
    return None


def choose(named: str | None = None, *, env: dict[str, str] | None = None,
           system: str = SYSTEM_CONFIG, local: str = LOCAL_CONFIG) -> Choice:
    """The cluster file by the rule above. ``named``: the ``-c`` value (None: not given);
    ``env``: the environment (default ``os.environ``). Raises `UserError` only for an existing
    ``system`` file that fails the trust rule."""
    if named:
        return Choice(named, "given with -c")
    environ = os.environ if env is None else env
    if environ.get(ENV):
        return Choice(environ[ENV], f"named by ${ENV}")
    refused = _local_refusal(local)
    if refused is None:
        return Choice(local, "found in the current directory, owned by root or you and not "
                             "writable by others")
    if os.path.lexists(system):
        from jobcenter_cluster import fsio

        fsio.require_trusted(system, what="cluster file")  # names the directory at fault
        os.close(fsio.open_trusted(system, what="cluster file"))  # and on the handle
        return Choice(system, "the system cluster file", refused)
    return Choice(None, "none found", refused)


def require(choice: Choice) -> str:
    """``choice.path``, or a one-line `UserError` saying what was looked for."""
    if choice.path is None:
        raise UserError(choice.missing())
    return choice.path
