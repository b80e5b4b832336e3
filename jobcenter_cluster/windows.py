"""What the adapters of Windows cluster products share (JobCenter for Windows: CLUSTERPRO for
Windows, MSCS / Failover Clustering): the paths a batch file can carry, the `WindowsAdapter`
base class (its check rule, WIN-NO-JCCLUSTER-WATCHED, is `checks.rule_jccluster_not_watched`).
Off the hot path: rendering and checking only.
"""

from __future__ import annotations

import ntpath
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from jobcenter_cluster.adapter import Adapter, Artifact
from jobcenter_cluster.errors import ConfigError

if TYPE_CHECKING:
    from jobcenter_cluster.model import Cluster, Site
    from jobcenter_cluster.render import Renderer

_ASCII_PATH = re.compile(r"^[A-Za-z]:\\[\x20-\x7e]*\Z")
_DRIVE_PATH = re.compile(r"^[A-Za-z]:\\")
#: the `Artifact.language` of a file by its extension (anything else is text)
_LANGUAGES = {"bat": "bat", "cmd": "bat", "ps1": "ps1"}


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


class WindowsAdapter(Adapter):
    """The base of the adapters whose cluster product runs JobCenter for Windows.

    It refuses any other product (`windows_only`, before the options are read), checks the paths
    the batch files carry (`require_batch_paths`), runs ``cjcpw`` as the JobCenter
    administrator (``[NAME] admin``, required by every subclass's option table), renders the
    built-in example on a Windows drive and writes artifacts with Windows line ends
    (`artifact`).
    """

    #: the refusal of another product, after ``cluster.product: ``; ``{product}`` stands for the
    #: product's name, quoted
    windows_only: ClassVar[str]
    #: the built-in example's database folder and JobCenter administrator
    example_database: ClassVar[str]
    example_admin: ClassVar[str]

    def __init__(self, cluster: Cluster, **kwargs: Any) -> None:
        if not cluster.windows:
            raise ConfigError(self.windows_only.format(product=repr(cluster.product.name)),
                              source=cluster.source, field="cluster.product")
        super().__init__(cluster, **kwargs)

    @classmethod
    def example_overrides(cls) -> dict[str, Any]:
        return {
            "cluster": {"product": "jobcenter-windows",
                        "jccluster": "C:\\jccluster\\jccluster.exe"},
            "site": [{"database": cls.example_database}],
            cls.spec.name: {"admin": cls.example_admin},
        }

    def require_batch_paths(self, product: str) -> None:
        """Under our engine `product` runs jccluster on Windows, so by a Windows path; the
        install folder and every site's database must be paths a batch file can carry."""
        c = self.cluster
        if c.supervisor == "jccluster" and not _DRIVE_PATH.match(c.jccluster):
            raise ConfigError(
                f"{c.jccluster!r} is not a Windows path; "
                f"{product} runs it on Windows: set it to where jccluster.exe is installed on "
                "every node, e.g. \"C:\\\\jccluster\\\\jccluster.exe\" (or use supervisor = "
                "\"cjcpw\")", source=c.source, field="cluster.jccluster")
        why = check_batch_path(c.install_prefix, "install folder")
        if why:
            raise ConfigError(why, source=c.source, field="cluster.install_prefix")
        for site in c.sites:
            why = check_batch_path(site.database, "database folder")
            if why:
                raise ConfigError(why, source=c.source, field=f"{site.where}.database")

    def commands(self, site: Site, verbs: Mapping[str, str], *, database: Collection[str] = (),
                 stop_timeout: int | None = None) -> dict[str, list[str]]:
        """`Adapter.commands`, with JobCenter's watcher and start run as the JobCenter
        administrator (``cjcpw -u ADMIN``, manual §3.2.2.4)."""
        out = super().commands(site, verbs, database=database, stop_timeout=stop_timeout)
        if self.cluster.supervisor == "cjcpw":
            for step in ("watch", "start"):
                out[step] = [out[step][0], "-u", self.options["admin"], *out[step][1:]]
        return out

    def artifact(self, r: Renderer, path: str, ctx: Mapping[str, Any], *,
                 site: Site | None = None, windows_lines: bool = True) -> Artifact:
        """`path` rendered from the template named after it (``NAME.j2``): a batch file
        (``.bat``, ``.cmd``) is executable, PowerShell and the rest are not; `windows_lines`
        gives CRLF line ends (`crlf`)."""
        name = path.rpartition("/")[2]
        text = r.render(f"{name}.j2", **ctx)
        language = _LANGUAGES.get(name.rpartition(".")[2], "text")
        return Artifact(path, crlf(text) if windows_lines else text,
                        0o755 if language == "bat" else 0o644, language,
                        site.name if site is not None else None)

    def resolv_path(self) -> str:
        """Where JobCenter for Windows reads resolv.def on every node."""
        return ntpath.join(self.cluster.install_prefix, "SV", "etc", "resolv.def")
