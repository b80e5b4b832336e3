"""`Artifact`: one generated file. A leaf module: `adapter` (whose `render` returns these) and
`render` (which writes them) both import it, and neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Artifact:
    """One generated file: a path relative to the output directory, its text and its mode.

    `language` is for `jccluster check` (``sh``, ``ksh``, ``bash``, ``bat``, ``ps1``, ``xml``,
    ``maincf``, ``conf``, ``text``); `site` is the site it belongs to (None: cluster-wide).
    """

    path: str
    content: str
    mode: int = 0o644
    language: str = "text"
    site: str | None = None
