"""The one error type for user mistakes (standard library only).

Anything the user can fix -- a bad cluster file, a missing site, a refused overwrite -- is a
`UserError`. The CLI turns it into one line on stderr and a non-zero exit; tracebacks appear only
with ``--debug``.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix. ``str(err)`` is the one-line message shown to them."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class LockBusy(UserError):
    """Another start or stop held a site's lock past the deadline (`engine.store.site_lock`).

    A start may treat it as any user error; a stop never does: a stop that could not run is a
    failed stop (`engine.api.stop`)."""


class ConfigError(UserError):
    """The cluster file (or an option table in it) is invalid.

    The message names the file and the field, e.g.
    ``jccluster.toml: site[0].name: "orange" is not a fully qualified host name``.
    `code` classifies some errors for `jccluster check` (e.g. ``unique-machine_id``).
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ConfigErrors(ConfigError):
    """Every mistake found in one run (``jccluster validate`` reports them all at once).

    `errors` are the single `ConfigError`s, in the order of their place in the file when the
    file's text was known (`jobcenter_cluster.model.sort_errors`); ``str()`` is one line each.
    """

    def __init__(self, errors: list[ConfigError]) -> None:
        flat: list[ConfigError] = []
        for err in errors:
            flat.extend(err.errors if isinstance(err, ConfigErrors) else [err])
        self.errors: list[ConfigError] = flat
        super().__init__("\n".join(str(e) for e in flat),
                         code=flat[0].code if len(flat) == 1 else None)

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]


class RenderError(UserError):
    """A template could not be rendered or written."""


class AdapterLoadError(UserError):
    """An adapter named by the user could not be loaded through its entry point."""

    def __init__(self, name: str, cause: BaseException | str) -> None:
        self.name = name
        self.cause = cause
        super().__init__(f"adapter {name!r} could not be loaded: {cause}")
