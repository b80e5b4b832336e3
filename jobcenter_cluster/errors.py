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

    A mistake is data: `source` (the file, or ``import`` …), `field` (the path of the value in
    the TOML data: ``site[0].name``, ``site[0].serviceguard.package``, ``cluster``), `detail`
    (what is wrong and the fix) and, once placed in the file's text, `line`. The one-line
    message is rendered from them, never parsed back::

        ConfigError('"orange" is not a fully qualified host name', source="jccluster.toml",
                    field="site[0].name")
        str(err)       == 'jccluster.toml: site[0].name: "orange" is not a fully qualified host name'
        err.located()  == 'jccluster.toml:21: site[0].name: "orange" is not …'  (line 21 known)

    A mistake about the file as a whole (``no such cluster file``) has no field: then `detail`
    is the whole message. `code` classifies some errors for `jccluster check`
    (e.g. ``unique-machine_id``).
    """

    def __init__(self, detail: str, *, code: str | None = None, source: str | None = None,
                 field: str | None = None, line: int | None = None) -> None:
        self.detail = detail
        self.source = source
        self.field = field
        self.line = line
        self.code = code
        super().__init__(self._render(with_line=False))

    def _render(self, *, with_line: bool) -> str:
        head = self.source or ""
        if head and with_line and self.line is not None:
            head = f"{head}:{self.line}"
        parts = [p for p in (head, self.field) if p]
        return ": ".join([*parts, self.detail])

    def located(self) -> str:
        """``FILE:LINE: field: detail`` (``FILE: field: detail`` when the line is not known)."""
        return self._render(with_line=True)

    def placed(self, line: int | None) -> ConfigError:
        """This mistake at `line` of its file (a copy; the message is unchanged)."""
        return self.replace(line=line)

    def replace(self, **changes: object) -> ConfigError:
        """A copy with some of `detail`, `source`, `field`, `line`, `code` changed."""
        values: dict[str, object] = {"detail": self.detail, "code": self.code,
                                     "source": self.source, "field": self.field,
                                     "line": self.line}
        values.update(changes)
        return ConfigError(**values)  # type: ignore[arg-type]


class ConfigErrors(ConfigError):
    """Every mistake found in one run (``jccluster validate`` reports them all at once).

    `errors` are the single `ConfigError`s, in the order of their place in the file when the
    file's text was known (`jobcenter_cluster.model.place_errors`); ``str()`` is one line each.
    """

    def __init__(self, errors: list[ConfigError], *, with_lines: bool = False) -> None:
        flat: list[ConfigError] = []
        for err in errors:
            flat.extend(err.errors if isinstance(err, ConfigErrors) else [err])
        self.errors: list[ConfigError] = flat
        #: each line says the line of the file too (``FILE:LINE: field: detail``: validate)
        self.with_lines = with_lines
        super().__init__("\n".join(self.lines()),
                         code=flat[0].code if len(flat) == 1 else None)
        #: the file of the first mistake that names one (every line names its own)
        self.source = next((e.source for e in flat if e.source), None)

    def lines(self) -> list[str]:
        """One line per mistake."""
        return [e.located() if self.with_lines else str(e) for e in self.errors]


class RenderError(UserError):
    """A template could not be rendered or written."""


class AdapterLoadError(UserError):
    """An adapter named by the user could not be loaded through its entry point."""

    def __init__(self, name: str, cause: BaseException | str) -> None:
        self.name = name
        self.cause = cause
        super().__init__(f"adapter {name!r} could not be loaded: {cause}")
