"""The render manifest: ``DIR/.jccluster-manifest.json`` (standard library only).

``jccluster render -o DIR`` records, for every file it wrote, the SHA-256 of the content as
rendered, with the adapter and site it belongs to::

    {"version": 1,
     "files": {"orange/APPLY.txt": {"sha256": "…", "adapter": "serviceguard",
                                    "site": "orange.example.com"}}}

With it the next render tells a file edited by hand (its hash is no longer the recorded one:
refused without ``--force``) from a file that only changed because the cluster file changed
(updated), and lists files it rendered earlier but no longer produces (stale; ``--prune``
removes them). ``jccluster check`` and ``jccluster import`` skip this file (`NAME`).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from jobcenter_cluster.errors import RenderError

NAME = ".jccluster-manifest.json"
VERSION = 1


def digest(data: str | bytes) -> str:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def file_digest(path: str) -> str | None:
    """The SHA-256 of the file at `path`, or None when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def read(directory: str) -> dict[str, dict[str, Any]]:
    """The manifest's files (relative path → entry); empty when there is none.

    A manifest we cannot parse is an error naming it: guessing would either overwrite hand edits
    or refuse every file.
    """
    path = os.path.join(directory, NAME)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise RenderError(
            f"{path}: unreadable render manifest ({err}); remove it and render again with "
            "--force after checking the files by hand"
        ) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("sha256"), str)
        for k, v in files.items()
    ):
        raise RenderError(
            f"{path}: not a render manifest (no \"files\" table of hashes); remove it and render "
            "again with --force after checking the files by hand"
        )
    return files


def dumps(files: dict[str, dict[str, Any]]) -> str:
    return json.dumps({"version": VERSION, "files": dict(sorted(files.items()))}, indent=2,
                      sort_keys=False) + "\n"
