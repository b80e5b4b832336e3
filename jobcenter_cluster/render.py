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
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from jobcenter_cluster import fsio
from jobcenter_cluster.adapter import Artifact
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
        fsio.check_trusted(path, what="template directory", missing_ok=True)
    except UserError as err:
        raise RenderError(str(err)) from None
    return path


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class WriteResult:
    path: str
    action: str  # created | updated | unchanged | would create | would update


def _safe_relpath(path: str) -> str:
    norm = os.path.normpath(path)
    if os.path.isabs(path) or norm == ".." or norm.startswith(".." + os.sep) or "\x00" in path:
        raise RenderError(f"artifact path {path!r} is outside the output directory")
    return norm


_DRY = {"created": "would create", "updated": "would update"}


def write_artifacts(
    artifacts: Sequence[Artifact], outdir: str, *, force: bool = False, dry_run: bool = False
) -> list[WriteResult]:
    """Write artifacts under `outdir`: atomically, with explicit modes, never outside `outdir`.

    Every target is checked before the first byte is written: an existing file with different
    content is refused without `force`, and a symlink anywhere on the way is refused always.
    Identical files are left alone (their mode is corrected).
    """
    root = os.path.abspath(outdir)
    if os.path.exists(root) and not os.path.isdir(root):
        raise RenderError(f"{outdir}: exists and is not a directory (choose another -o DIR)")
    check_output_dir(root, [_safe_relpath(a.path) for a in artifacts])
    plan: list[tuple[Artifact, str, str]] = []
    seen: set[str] = set()
    refused: list[str] = []
    for art in artifacts:
        rel = _safe_relpath(art.path)
        if rel in seen:
            raise RenderError(f"two artifacts would be written to {rel}")
        seen.add(rel)
        target = os.path.join(root, rel)
        probe = root
        for part in rel.split(os.sep):
            probe = os.path.join(probe, part)
            if os.path.islink(probe):
                raise RenderError(f"{probe}: is a symbolic link; refusing to write through it")
        if os.path.isdir(target):
            raise RenderError(f"{target}: is a directory; cannot write {rel} there")
        if os.path.exists(target):
            with open(target, encoding="utf-8", errors="surrogateescape", newline="") as fh:
                same = fh.read() == art.content
            if same:
                plan.append((art, target, "unchanged"))
                continue
            if not force:
                refused.append(rel)
            plan.append((art, target, "updated"))
        else:
            plan.append((art, target, "created"))
    if refused:
        raise RenderError(
            f"{outdir}: would overwrite {len(refused)} file(s) that differ ({', '.join(refused)}); "
            "use --force to overwrite or --dry-run to see what would change"
        )
    results = []
    for art, target, action in plan:
        if dry_run:
            results.append(WriteResult(art.path, _DRY.get(action, action)))
            continue
        fsio.make_dirs(os.path.dirname(target), 0o755)
        if action == "unchanged":
            os.chmod(target, art.mode)
        else:
            fd, tmp = tempfile.mkstemp(prefix=".jccluster-", dir=os.path.dirname(target))
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(art.content)
                os.chmod(tmp, art.mode)
                os.replace(tmp, target)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        results.append(WriteResult(art.path, action))
    return results


def check_output_dir(root: str, rels: Sequence[str]) -> None:
    """Refuse (`RenderError`) to write under ``root`` unless it is the effective user's and
    nobody else can write it or anything above it; every directory and file already on the way
    to an artifact (``rels``) must be the effective user's and not writable by group or others.
    Otherwise another user could swap a rendered script, which root later runs, between our
    write and its use -- or have us keep *their* identical file as "unchanged"."""
    me = os.geteuid()
    try:
        fsio.check_trusted(root, what="output directory", missing_ok=True)
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
