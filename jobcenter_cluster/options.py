"""Option tables of adapters (``[NAME]`` and ``[site.NAME]`` in the cluster file): the `Option`
declaration, the checks most options use, and `parse_options`, which validates a table with the
model's `Checker` (every mistake at once, unknown keys with their home or a "did you mean")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import REQUIRED, Checker, check_plain_path, check_plain_text

if TYPE_CHECKING:
    from jobcenter_cluster.model import Cluster, Site



@dataclass(frozen=True)
class Option:
    """One key of an adapter's option table (``[serviceguard]`` or ``[site.serviceguard]``).

    `type` is ``str``, ``int``, ``bool`` or ``list``; `default` may be a callable taking
    ``(cluster, site)`` for per-site defaults (``site`` is None for cluster-wide options).
    `check` returns an error text (without the field name) or None; `choices` restricts a string.
    """

    type: type
    default: Any = None
    help: str = ""
    required: bool = False
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None
    minimum: int | None = None
    maximum: int | None = None


def parse_options(
    table: Mapping[str, Any] | None,
    schema: Mapping[str, Option],
    *,
    where: str,
    source: str,
    cluster: Cluster | None = None,
    site: Site | None = None,
    elsewhere: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Validate an option table against `schema`; return a dict with defaults filled in.

    Every mistake of the table is reported (`ConfigErrors` when there are several).
    `elsewhere` maps keys that belong in another table to that table's name, for the hint.
    """
    table = dict(table or {})
    c = Checker(source)
    with c.guard():
        c.keys(table, where, schema, homes=elsewhere or {})
    out: dict[str, Any] = {}
    for key, opt in schema.items():
        with c.guard():
            _parse_option(table, key, opt, out, where=where, source=source, cluster=cluster,
                          site=site)
    c.done()
    return out


def _parse_option(table: Mapping[str, Any], key: str, opt: Option, out: dict[str, Any], *,
                  where: str, source: str, cluster: Cluster | None, site: Site | None) -> None:
    """Validate one key of an option table into `out` (raises `ConfigError`)."""
    field_name = f"{where}.{key}"

    def fail(detail: str) -> ConfigError:
        return ConfigError(detail, source=source, field=field_name)

    if key not in table:
        if opt.required:
            raise ConfigError(f"is required ({opt.help})", source=source, field=field_name,
                              code=REQUIRED)
        default = opt.default(cluster, site) if callable(opt.default) else opt.default
        out[key] = default
        return
    value = table[key]
    if opt.type is bool:
        ok = isinstance(value, bool)
    elif opt.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif opt.type is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, opt.type)
    if not ok:
        kind = {bool: "true or false", int: "a whole number", str: "a string",
                list: "a list of strings"}.get(opt.type, opt.type.__name__)
        raise fail(f"must be {kind}, not {value!r}")
    if isinstance(value, str) and (why := check_plain_text(value)):
        raise fail(why)
    if opt.choices is not None and value not in opt.choices:
        near = difflib.get_close_matches(str(value), [str(c) for c in opt.choices], n=1,
                                         cutoff=0.6)
        raise fail(
            f"{value!r} is not allowed ("
            + (f"did you mean {near[0]!r}? " if near else "")
            + f"use one of: {', '.join(map(str, opt.choices))})"
        )
    if opt.minimum is not None and value < opt.minimum:
        raise fail(f"{value} is too small (at least {opt.minimum})")
    if opt.maximum is not None and value > opt.maximum:
        raise fail(f"{value} is too large (at most {opt.maximum})")
    if opt.check is not None:
        why = opt.check(value)
        if why:
            raise fail(f"{why}")
    out[key] = value


def pattern_check(pattern: str, what: str, flags: int = 0) -> Callable[[str], str | None]:
    """An `Option.check`: None when the whole value matches `pattern`, else ``'VALUE' WHAT``
    (``pattern_check(r"[A-Za-z][A-Za-z0-9_-]*", "is not a VCS object name (...)")``)."""
    compiled = re.compile(pattern, flags)

    def check(value: str) -> str | None:
        return None if compiled.fullmatch(value) else f"{value!r} {what}"

    return check


def plain_path_check(why: str) -> Callable[[str], str | None]:
    """An `Option.check`: an absolute path that needs no quoting in a generated script
    (`jobcenter_cluster.model.check_plain_path`); `why` names who requires it."""
    def check(value: str) -> str | None:
        return check_plain_path(value, why)

    return check


