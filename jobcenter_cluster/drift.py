"""The drift gate behind ``jccluster render ADAPTER -o DIR --check``: does DIR hold exactly what
the cluster file renders? Reads only; writes nothing.

A file *drifts* when it is missing, when its content differs (a stale commit, a hand edit the
manifest does not know), when its executable bit differs from the rendered mode (git records
that bit and nothing else of the mode), or when it is *extra*: DIR holds a file this adapter
rendered earlier (its manifest says so) or a file named like one of its artifacts, and the
render no longer produces it. Each drift carries a unified diff (``a/`` is DIR, ``b/`` is the
render), the diff ``jccluster render -o DIR --dry-run --prune`` would show.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from jobcenter_cluster.adapter import Artifact


@dataclass(frozen=True)
class Drift:
    path: str  # relative to DIR
    kind: str  # "missing", "differs", "mode", "extra", "not a file"
    detail: str
    diff: str = ""


def compare(
    artifacts: Sequence[Artifact],
    outdir: str,
    *,
    adapter: str,
    patterns: Sequence[re.Pattern[str]] = (),
    partial: bool = False,
) -> list[Drift]:
    """Every difference between `artifacts` and the files under `outdir`, in path order.

    `patterns` name the adapter's artifact paths (`jobcenter_cluster.checks.artifact_patterns`):
    a file matching one that the render does not produce is extra, even without a manifest. A
    `partial` render (one site) never calls a file extra."""
    from jobcenter_cluster import manifest
    from jobcenter_cluster.render import _diff, _read_text

    root = os.path.abspath(outdir)
    drifts: list[Drift] = []
    rendered: set[str] = set()
    for art in artifacts:
        rel = os.path.normpath(art.path)
        rendered.add(rel)
        target = os.path.join(root, rel)
        if _has_symlink(root, rel):
            drifts.append(Drift(rel, "not a file", "a symbolic link is on the way; render "
                                "refuses to write through it"))
            continue
        if not os.path.lexists(target):
            drifts.append(Drift(rel, "missing", "not in DIR", _diff(rel, None, art.content)))
            continue
        if not os.path.isfile(target):
            drifts.append(Drift(rel, "not a file", "is not a regular file"))
            continue
        text = _read_text(target)
        if text != art.content:
            recorded = manifest.read(root).get(rel)
            how = ("edited by hand (the manifest records other content)"
                   if recorded is not None and manifest.file_digest(target) != recorded["sha256"]
                   else "rendered from another cluster file (stale)" if recorded is not None
                   else "not rendered by jccluster (no manifest entry)")
            drifts.append(Drift(rel, "differs", how, _diff(rel, text, art.content)))
            continue
        have = os.stat(target).st_mode & stat.S_IXUSR
        want = art.mode & stat.S_IXUSR
        if bool(have) != bool(want):
            drifts.append(Drift(rel, "mode", f"mode {os.stat(target).st_mode & 0o7777:04o}, "
                                f"rendered {art.mode:04o} (the executable bit differs)"))
    if not partial and os.path.isdir(root):
        extra: dict[str, str] = {}
        for rel, entry in manifest.read(root).items():
            if entry.get("adapter") in (None, adapter) and os.path.normpath(rel) not in rendered \
                    and os.path.isfile(os.path.join(root, rel)):
                extra[os.path.normpath(rel)] = "rendered earlier, no longer produced"
        for dirpath, dirs, names in os.walk(root):
            dirs.sort()
            for name in names:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                if rel in rendered or rel in extra or name == manifest.NAME:
                    continue
                if any(p.match(rel.replace(os.sep, "/")) for p in patterns) \
                        and os.path.isfile(full) and not os.path.islink(full):
                    extra[rel] = "named like one of the adapter's artifacts, not produced"
        for rel, why in extra.items():
            drifts.append(Drift(rel, "extra", why,
                                _diff(rel, _read_text(os.path.join(root, rel)), None)))
    return sorted(drifts, key=lambda d: d.path)


def _has_symlink(root: str, rel: str) -> bool:
    path = root
    for part in rel.split(os.sep):
        path = os.path.join(path, part)
        if os.path.islink(path):
            return True
    return False
