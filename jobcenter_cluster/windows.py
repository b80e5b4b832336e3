"""Shared rules for adapters whose scripts run on Windows (cmd batch files, PowerShell).

Standard library only: adapters use these as option checks, on the monitor hot path.
"""

from __future__ import annotations

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.records import LazyPattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from jobcenter_cluster.model import Cluster

_ASCII_PATH = LazyPattern(r"^[A-Za-z]:\\[\x20-\x7e]*\Z")
_DRIVE_PATH = LazyPattern(r"^[A-Za-z]:\\")


def crlf(text: str) -> str:
    """Windows line ends: cmd.exe's GOTO/label search misbehaves on LF-only batch files."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def check_batch_path(value: str, what: str) -> str | None:
    """Why a Windows path cannot go into our batch (and PowerShell) files, or None.

    cmd.exe reads batch files in the OEM code page (ASCII only is safe); ``"`` and ``%`` cannot be
    carried inside a quoted argument; a trailing ``\\`` would escape the closing quote for
    programs that parse their command line with the C runtime's rules.
    """
    if not _ASCII_PATH.match(value):
        return (f"{value!r} must be an absolute Windows path of ASCII characters (cmd.exe reads "
                f"batch files in the OEM code page; rename the {what} or use its 8.3 name)")
    if '"' in value or "%" in value:
        return f"{value!r} contains '\"' or '%', which a batch file cannot carry (rename the {what})"
    if value.endswith("\\"):
        return (f"{value!r} ends with '\\', which would escape the closing quote on the "
                f"command line (name the {what} without it, e.g. X:\\vmdb)")
    return None


def require_windows_jccluster(cluster: Cluster, product: str) -> None:
    """With supervisor = jccluster, the product runs our CLI on Windows: by a Windows path."""
    if cluster.supervisor == "jccluster" and not _DRIVE_PATH.match(cluster.jccluster):
        raise ConfigError(
            f"{cluster.source}: cluster.jccluster: {cluster.jccluster!r} is not a Windows path; "
            f"{product} runs it on Windows: set it to where jccluster.exe is installed on every "
            "node, e.g. \"C:\\\\jccluster\\\\jccluster.exe\" (or use supervisor = \"cjcpw\")"
        )


# --------------------------------------------------------------------------- check rule

_ARMLOAD = LazyPattern(r"(?i)^\s*@?armload\b")
_COMMAND_LINE = LazyPattern(r"(?i)\bCommandLine\b")
_JCCLUSTER = LazyPattern(r"(?i)jccluster(\.exe)?\b")
_COMMENT = LazyPattern(r"(?i)^\s*(@?rem\b|::|#)")


def rule_jccluster_not_watched(ctx: Any) -> Iterator[tuple[str, str | None, int | None]]:
    """WIN-NO-JCCLUSTER-WATCHED: on Windows, jccluster.exe must not be the program that ARMLoad
    (CLUSTERPRO) or the cluster (an MSCS Generic Application's CommandLine) watches.

    Our engine does not run on Windows: the watched program exits at once, which the cluster
    takes for a failure -- and under ``ARMLoad /M`` the manual says CLUSTERPRO then shuts the
    node down (§3.2.2.4). Any file of the directory counts, rendered or hand-edited."""
    for f in ctx.files:
        if f.language not in ("bat", "ps1", "xml", "text"):
            continue
        for i, line in enumerate(f.lines):
            if _COMMENT.match(line) or not _JCCLUSTER.search(line):
                continue
            if _ARMLOAD.match(line):
                what = "ARMLoad watches"
            elif _COMMAND_LINE.search(line) and f.language != "text":
                what = "the cluster's Generic Application runs"
            else:
                continue
            yield (f"{what} jccluster, which does not run on Windows: it exits at once and the "
                   "cluster takes that for a failure (with ARMLoad /M the node is shut down); "
                   "render with supervisor = \"cjcpw\"", f.path, i + 1)
