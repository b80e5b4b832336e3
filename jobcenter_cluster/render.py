"""Rendering: one Jinja environment, quoting filters per target language, safe writing.

Every value a template puts into a script goes through a filter for that script's language, or
is a value the model has already validated to a safe alphabet (host names, IPv4 addresses,
numbers). A filter that meets a value it cannot represent raises `RenderError`; since every
artifact is rendered in memory before anything is written, nothing is half-written.

Filters:

==========  =====================================================================================
``sh``      one POSIX-shell word (bash, ksh93, mksh, dash, busybox): single quotes when needed
``shjoin``  a list of words as one POSIX command line
``dq``      text placed inside a double-quoted shell string ("...$X..." stays literal)
``bat``     one cmd.exe batch argument, double-quoted; ``%`` doubled; ``"`` rejected
``batword`` a bare cmd.exe word: validated to ``[A-Za-z0-9_.:\\-]`` (labels, IDs, drive paths)
``ps``      one PowerShell single-quoted string (also doubles the typographic quotes)
``xml``     XML character data or attribute text
``maincf``  a VCS main.cf double-quoted string
``sgword``  a Serviceguard configuration value (no quotes, spaces, ``#`` or ``$``)
==========  =====================================================================================
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from jobcenter_cluster import fsio
from jobcenter_cluster.artifact import Artifact
from jobcenter_cluster.errors import RenderError, UserError

TEMPLATES_ENV = "JCCLUSTER_TEMPLATES"

# Validation patterns end in \Z, never $: "$" also matches before a trailing newline (found by the
# property test: "%\n" passed as a bare word and lost its newline).
_SH_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+\Z")
_BATWORD = re.compile(r"^[A-Za-z0-9_.:\\-]+\Z")
_SGWORD = re.compile(r"^[A-Za-z0-9_@%+=:,./\[\]-]+\Z")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class QuoteError(RenderError):
    pass


def _need_text(value: Any, lang: str) -> str:
    if isinstance(value, bool) or value is None:
        raise QuoteError(f"cannot put {value!r} into {lang}")
    text = str(value)
    if "\x00" in text:
        raise QuoteError(f"{text!r} contains a NUL byte, which {lang} cannot carry")
    return text


def sh_quote(value: Any) -> str:
    """One POSIX shell word. ``'`` is written as ``'\\''``; newlines stay inside the quotes."""
    text = _need_text(value, "a shell script")
    if text and _SH_SAFE.match(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def sh_join(words: Iterable[Any]) -> str:
    return " ".join(sh_quote(w) for w in words)


def dq_escape(value: Any) -> str:
    """Text for inside a double-quoted shell string: escapes ``\\ $ ` "``."""
    text = _need_text(value, "a shell string")
    return re.sub(r'([\\$`"])', r"\\\1", text)


def bat_quote(value: Any) -> str:
    """One cmd.exe argument in a batch file.

    Inside double quotes ``& | < > ^ ( )`` are literal; ``%`` still expands in a batch file, so it
    is doubled; a ``"`` cannot be carried safely and a newline would end the command: rejected.
    ``!`` is literal because our batch files never enable delayed expansion.
    """
    text = _need_text(value, "a batch file")
    if '"' in text or "\n" in text or "\r" in text:
        raise QuoteError(f"{text!r} cannot be written into a batch file (contains '\"' or a newline)")
    return '"' + text.replace("%", "%%") + '"'


def bat_word(value: Any) -> str:
    text = _need_text(value, "a batch file")
    if not _BATWORD.match(text):
        raise QuoteError(
            f"{text!r} cannot stand unquoted in a batch file (use letters, digits, . _ - : \\)"
        )
    return text


def ps_quote(value: Any) -> str:
    """One PowerShell single-quoted string. PowerShell also ends such a string at the typographic
    single quotes U+2018..U+201B, so those are doubled too."""
    text = _need_text(value, "a PowerShell script")
    return "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", text) + "'"


def xml_escape(value: Any) -> str:
    text = _need_text(value, "XML")
    if _XML_BAD.search(text):
        raise QuoteError(f"{text!r} contains a character XML 1.0 cannot carry")
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def maincf_quote(value: Any) -> str:
    """A VCS main.cf string: double quotes, with ``\\`` and ``"`` backslash-escaped."""
    text = _need_text(value, "main.cf")
    if "\n" in text or "\r" in text:
        raise QuoteError(f"{text!r} contains a newline, which main.cf cannot carry")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sg_word(value: Any) -> str:
    text = _need_text(value, "a Serviceguard configuration")
    if not _SGWORD.match(text):
        raise QuoteError(
            f"{text!r} cannot stand in a Serviceguard configuration file "
            "(use letters, digits and _ @ % + = : , . / - [ ])"
        )
    return text


FILTERS = {
    "sh": sh_quote,
    "ksh": sh_quote,
    "shjoin": sh_join,
    "dq": dq_escape,
    "bat": bat_quote,
    "batword": bat_word,
    "ps": ps_quote,
    "xml": xml_escape,
    "maincf": maincf_quote,
    "sgword": sg_word,
}


# --------------------------------------------------------------------------- the environment


def user_template_dirs(explicit: Sequence[str] = ()) -> list[str]:
    """User override directories, searched before the packaged templates: ``--templates DIR``
    first, then the directories in ``$JCCLUSTER_TEMPLATES`` (``os.pathsep``-separated)."""
    dirs = list(explicit)
    env = os.environ.get(TEMPLATES_ENV, "")
    dirs += [d for d in env.split(os.pathsep) if d]
    return dirs


class Renderer:
    """The one Jinja environment for an adapter's templates.

    Search order for ``NAME``: ``DIR/<adapter>/NAME`` for each user directory, then the packaged
    ``jobcenter_cluster/templates/<adapter>/NAME``.
    """

    def __init__(self, adapter: str, user_dirs: Sequence[str] = (), package: str | None = None):
        self.adapter = adapter
        loaders: list[jinja2.BaseLoader] = [
            jinja2.FileSystemLoader(trusted_template_dir(d, adapter))
            for d in user_template_dirs(user_dirs)
        ]
        packaged = resources.files(package or "jobcenter_cluster.templates").joinpath(adapter)
        loaders.append(jinja2.FileSystemLoader(str(packaged)))
        # Sandboxed: a template reaching for Python internals
        # ({{ cycler.__init__.__globals__.os.system(...) }}) raises SecurityError at render time.
        self.env = SandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(FILTERS)

    def render(self, template: str, **context: Any) -> str:
        try:
            return self.env.get_template(template).render(**context)
        except jinja2.TemplateNotFound as err:
            raise RenderError(f"template {self.adapter}/{err.name} not found") from None
        except jinja2.UndefinedError as err:
            raise RenderError(f"template {self.adapter}/{template}: {err.message}") from None
        except jinja2.TemplateSyntaxError as err:
            raise RenderError(
                f"template {err.filename or template}:{err.lineno}: {err.message}"
            ) from None
        except jinja2.exceptions.SecurityError as err:
            raise RenderError(f"template {self.adapter}/{template}: refused: {err}") from None


def trusted_template_dir(directory: str, adapter: str) -> str:
    """``DIR/<adapter>`` of a user template directory, refused (`RenderError`) unless it and every
    directory above it are root's or yours and nobody else can write them: a template is code
    that ends up in scripts run as root."""
    path = os.path.join(os.path.abspath(directory), adapter)
    try:
        fsio.require_trusted(path, what="template directory", missing_ok=True)
    except UserError as err:
        raise RenderError(str(err)) from None
    return path


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class WriteResult:
    """What `write_artifacts` did (or, with ``dry_run``, would do) to one file.

    `action`: created | updated | unchanged | stale | removed, or with ``dry_run`` would create |
    would update | would remove. `edited`: the file on disk is not what we rendered last (edited
    by hand, or never rendered by us), so overwriting or removing it needs ``force``. `diff`: the
    unified diff of the change (only with ``dry_run``).
    """

    path: str
    action: str
    edited: bool = False
    diff: str = ""


def _safe_relpath(path: str) -> str:
    norm = os.path.normpath(path)
    if os.path.isabs(path) or norm == ".." or norm.startswith(".." + os.sep) or "\x00" in path:
        raise RenderError(f"artifact path {path!r} is outside the output directory")
    return norm


_DRY = {"created": "would create", "updated": "would update", "removed": "would remove"}


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        return fh.read()


def _diff(rel: str, old: str | None, new: str | None) -> str:
    import difflib

    lines = difflib.unified_diff(
        [] if old is None else old.splitlines(keepends=True),
        [] if new is None else new.splitlines(keepends=True),
        fromfile="/dev/null" if old is None else f"a/{rel}",
        tofile="/dev/null" if new is None else f"b/{rel}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _check_no_symlink(root: str, rel: str) -> None:
    probe = root
    for part in rel.split(os.sep):
        probe = os.path.join(probe, part)
        if os.path.islink(probe):
            raise RenderError(f"{probe}: is a symbolic link; refusing to write through it")


#: one planned file: (artifact, its relative path, target path, action, edited by hand)
_Planned = tuple[Artifact, str, str, str, bool]
#: one stale file: (relative path, target path, edited by hand)
_Stale = tuple[str, str, bool]


def write_artifacts(
    artifacts: Sequence[Artifact],
    outdir: str,
    *,
    force: bool = False,
    dry_run: bool = False,
    prune: bool = False,
    adapter: str | None = None,
    partial: bool = False,
) -> list[WriteResult]:
    """Write artifacts under `outdir`: atomically, with explicit modes, never outside `outdir`.

    The plan is made before the first byte is written, with the render manifest
    (`jobcenter_cluster.manifest`): a file that differs from the new render is *updated* when it
    is still what we rendered last time, and *refused* without `force` when it was edited by hand
    (or was never rendered by us). Files this `adapter` rendered earlier that the new render no
    longer produces are *stale*: listed, and removed with `prune` (a stale file edited by hand
    also needs `force`). A `partial` render (one site) never calls anything stale. A symlink on
    the way is refused always. Identical files are left alone (their mode is corrected).

    With `dry_run` nothing is written, nothing is refused, and every result that would change a
    file carries its unified diff.

    The steps, in order: `_plan`, `_dry_run` (and stop), `_refuse_edited`, `_write` (the output
    directory created or opened by `fsio.open_dir`: checked on its handle, so a directory another
    user slipped in between our check and our ``mkdir`` is refused; every file written relative to
    that handle), `_prune`, `_write_manifest`.
    """
    from jobcenter_cluster import manifest

    root = os.path.abspath(outdir)
    plan, stale, recorded, seen = _plan(artifacts, outdir, root, adapter=adapter, partial=partial)
    if dry_run:
        return _dry_run(plan, stale, prune=prune)
    _refuse_edited(outdir, plan, stale, force=force, prune=prune)
    try:
        root_fd = fsio.open_dir(root, what="output directory", create=True, mode=0o755)
    except UserError as err:
        raise RenderError(f"{err} (render -o)") from None
    try:
        files = dict(recorded)
        results = _write(root_fd, root, plan, files, adapter=adapter)
        results += _prune(root_fd, root, stale, files, prune=prune)
        for rel in [r for r in files if r not in seen and not _is_file_at(root_fd, r)]:
            del files[rel]  # gone by other means: nothing left to track
        if plan or files != recorded:
            fsio.write_at(root_fd, manifest.NAME, manifest.dumps(files), 0o644)
    finally:
        os.close(root_fd)
    return results


def _plan(artifacts: Sequence[Artifact], outdir: str, root: str, *, adapter: str | None,
          partial: bool) -> tuple[list[_Planned], list[_Stale], dict[str, Any], set[str]]:
    """What each artifact needs (created/updated/unchanged, edited by hand or not) and which
    recorded files are stale; refuses paths outside ``root``, symlinks and untrusted places."""
    from jobcenter_cluster import manifest

    if os.path.exists(root) and not os.path.isdir(root):
        raise RenderError(f"{outdir}: exists and is not a directory (choose another -o DIR)")
    check_output_dir(root, [_safe_relpath(a.path) for a in artifacts])
    recorded = manifest.read(root) if os.path.isdir(root) else {}
    plan: list[_Planned] = []
    seen: set[str] = set()
    for art in artifacts:
        rel = _safe_relpath(art.path)
        if rel in seen:
            raise RenderError(f"two artifacts would be written to {rel}")
        if rel == manifest.NAME:
            raise RenderError(f"artifact path {rel!r} is reserved for the render manifest")
        seen.add(rel)
        target = os.path.join(root, rel)
        _check_no_symlink(root, rel)
        if os.path.isdir(target):
            raise RenderError(f"{target}: is a directory; cannot write {rel} there")
        if os.path.exists(target):
            if _read_text(target) == art.content:
                plan.append((art, rel, target, "unchanged", False))
                continue
            entry = recorded.get(rel)
            edited = entry is None or manifest.file_digest(target) != entry["sha256"]
            plan.append((art, rel, target, "updated", edited))
        else:
            plan.append((art, rel, target, "created", False))
    stale: list[_Stale] = []
    if not partial:
        for rel, entry in sorted(recorded.items()):
            if rel in seen or (adapter is not None and entry.get("adapter") not in (None, adapter)):
                continue
            target = os.path.join(root, rel)
            _check_no_symlink(root, rel)
            if os.path.isfile(target):
                stale.append((rel, target, manifest.file_digest(target) != entry["sha256"]))
    return plan, stale, recorded, seen


def _dry_run(plan: list[_Planned], stale: list[_Stale], *, prune: bool) -> list[WriteResult]:
    """What `_write` and `_prune` would do, with diffs; nothing is written."""
    results = []
    for art, _rel, target, action, edited in plan:
        old = None if action == "created" else _read_text(target)
        diff = "" if action == "unchanged" else _diff(art.path, old, art.content)
        results.append(WriteResult(art.path, _DRY.get(action, action), edited, diff))
    for rel, target, edited in stale:
        if prune:
            results.append(WriteResult(rel, "would remove", edited,
                                       _diff(rel, _read_text(target), None)))
        else:
            results.append(WriteResult(rel, "stale", edited))
    return results


def _refuse_edited(outdir: str, plan: list[_Planned], stale: list[_Stale], *, force: bool,
                   prune: bool) -> None:
    """Without `force`, refuse the whole write when it would overwrite (or with `prune` remove)
    a file edited by hand: before the first byte is written."""
    refused = [art.path for art, _, _, action, edited in plan if edited and action == "updated"]
    if prune:
        refused += [rel for rel, _, edited in stale if edited]
    if refused and not force:
        raise RenderError(
            f"{outdir}: {len(refused)} file(s) were edited by hand or not rendered by jccluster "
            f"({', '.join(refused)}); use --dry-run to see the diff, --force to overwrite"
            + (" or remove" if prune else "") + " them"
        )


def _subdir(root_fd: int, root: str, rel_dir: str, *, create: bool) -> int:
    try:
        return fsio.open_subdir(root_fd, rel_dir, what="output directory", top=root,
                                create=create, mode=0o755)
    except UserError as err:
        raise RenderError(str(err)) from None


def _write(root_fd: int, root: str, plan: list[_Planned], files: dict[str, Any], *,
           adapter: str | None) -> list[WriteResult]:
    """Write (or, unchanged, ``fchmod``) every planned file relative to the output directory's
    handle; record each in ``files`` (the manifest's table)."""
    from jobcenter_cluster import manifest

    results = []
    for art, rel, target, action, edited in plan:
        folder, name = os.path.split(rel)
        dfd = _subdir(root_fd, root, folder, create=True)
        try:
            if action == "unchanged":
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
                try:
                    if os.fstat(fd).st_uid != os.geteuid():
                        raise RenderError(f"{target}: not yours; refusing to keep it")
                    os.fchmod(fd, art.mode)
                finally:
                    os.close(fd)
            else:
                fsio.write_at(dfd, name, art.content, art.mode)
        finally:
            os.close(dfd)
        files[rel] = {"sha256": manifest.digest(art.content), "adapter": adapter,
                      "site": art.site}
        results.append(WriteResult(art.path, action, edited))
    return results


def _prune(root_fd: int, root: str, stale: list[_Stale], files: dict[str, Any], *,
           prune: bool) -> list[WriteResult]:
    """Stale files: listed, or with `prune` removed (relative to the handle) with the
    directories that leaves empty."""
    results = []
    for rel, _target, edited in stale:
        if not prune:
            results.append(WriteResult(rel, "stale", edited))
            continue
        folder, name = os.path.split(rel)
        dfd = _subdir(root_fd, root, folder, create=False)
        try:
            os.unlink(name, dir_fd=dfd)
        finally:
            os.close(dfd)
        files.pop(rel, None)
        _remove_empty_parents(root_fd, root, folder)
        results.append(WriteResult(rel, "removed", edited))
    return results


def _is_file_at(root_fd: int, rel: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(rel, dir_fd=root_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def check_output_dir(root: str, rels: Sequence[str]) -> None:
    """Refuse (`RenderError`) to write under ``root`` unless it is the effective user's and
    nobody else can write it or anything above it; every directory and file already on the way
    to an artifact (``rels``) must be the effective user's and not writable by group or others.
    Otherwise another user could swap a rendered script, which root later runs, between our
    write and its use -- or have us keep *their* identical file as "unchanged"."""
    me = os.geteuid()
    try:
        fsio.require_trusted(root, what="output directory", missing_ok=True)
    except UserError as err:
        raise RenderError(f"{err} (render -o)") from None
    checked: set[str] = set()
    for rel in ["", *rels]:
        probe = root
        for part in [p for p in rel.split(os.sep) if p] if rel else [""]:
            probe = os.path.join(probe, part) if part else probe
            if probe in checked:
                continue
            checked.add(probe)
            try:
                st = os.lstat(probe)
            except FileNotFoundError:
                break
            if probe != root and os.path.islink(probe):
                raise RenderError(f"{probe}: is a symbolic link; refusing to write through it")
            if st.st_uid != me:
                raise RenderError(
                    f"{probe}: owned by uid {st.st_uid}, not by you (uid {me}); refusing to write "
                    "there (render into a directory of your own)"
                )
            if st.st_mode & 0o022:
                raise RenderError(
                    f"{probe}: writable by group or others (mode {st.st_mode & 0o7777:04o}); "
                    f"refusing to write there (`chmod go-w {probe}`)"
                )


def _remove_empty_parents(root_fd: int, root: str, folder: str) -> None:
    """Remove directories that pruning left empty, up to (not including) the output directory,
    each relative to its parent's handle."""
    parts = [p for p in folder.split(os.sep) if p]
    while parts:
        name = parts.pop()
        try:
            pfd = _subdir(root_fd, root, os.sep.join(parts), create=False)
        except (OSError, RenderError):
            return
        try:
            os.rmdir(name, dir_fd=pfd)
        except OSError:
            return
        finally:
            os.close(pfd)
