"""Shared rules for adapters whose scripts run on Windows (cmd batch files, PowerShell).

Standard library only: adapters use these as option checks, on the monitor hot path.
"""

from __future__ import annotations

from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.records import LazyPattern

TYPE_CHECKING = False
if TYPE_CHECKING:
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
