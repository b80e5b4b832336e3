"""``daemon.conf``: JobCenter's daemon settings, with the manual's file precedence.

Files, least specific first (a later file wins key by key, manual §2.10.2):

1. common: ``<prefix>/rc/daemon.conf`` (``/usr/lib/nqs/rc/daemon.conf``); ``$JCCLUSTER_DAEMON_CONF``
   names another file instead (tests, non-standard installs);
2. for the **local site** only: ``<root>/daemon.conf`` (``/usr/spool/nqs/daemon.conf``);
3. for a **cluster site** only: ``<DBPATH>/etc/daemon.conf`` on the shared disk (manual §2.12 /
   §5.2 "JobCenter database directory\\etc"), so the setting travels with the site.

Keys the engine acts on: ``maintenance=ON|OFF``, ``local_daemon=SITE|OFF``, ``ipaddress=A,B,..``
(at most 5) and ``ipcheck=OFF``. Lines are ``key=value``; ``#`` starts a comment; keys are
case-insensitive; unknown keys are kept (they are the daemons' business).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from jobcenter_cluster import fsio
from jobcenter_cluster.errors import UserError

ENV_COMMON = "JCCLUSTER_DAEMON_CONF"
MAX_ADDRESSES = 5


@dataclass
class DaemonConf:
    values: dict[str, str] = field(default_factory=dict)
    #: which file each value came from
    sources: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def maintenance(self) -> bool:
        return self.values.get("maintenance", "OFF").upper() == "ON"

    @property
    def local_daemon(self) -> str | None:
        """``SITE``, ``OFF`` or None (unset: local and cluster daemons may not run together)."""
        v = self.values.get("local_daemon")
        return v.upper() if v else None

    @property
    def ipaddresses(self) -> list[str]:
        raw = self.values.get("ipaddress", "")
        return [a.strip() for a in raw.split(",") if a.strip()]

    @property
    def ipcheck(self) -> bool:
        return self.values.get("ipcheck", "ON").upper() != "OFF"


def parse(path: str) -> dict[str, str]:
    """``key=value`` lines of one file ({} when the file does not exist)."""
    try:  # never through a symlink, only a file of root's or yours (security: fsio)
        with open(fsio.open_nofollow(path, os.O_RDONLY), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise UserError(f"{path}: cannot read daemon.conf: {err.strerror}") from None
    echo = fsio.may_echo(path)  # never quote a line of a file that is not yours into a log
    out: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            got = f", got {raw.strip()!r}" if echo else " (line not shown: not your file)"
            raise UserError(f"{path}:{lineno}: expected key=value{got}")
        out[key.strip().lower()] = value.strip()
    return out


def common_path(prefix: str) -> str:
    return os.environ.get(ENV_COMMON) or os.path.join(prefix, "rc", "daemon.conf")


def site_paths(prefix: str, root: str, database: str | None) -> list[str]:
    """The files that apply to a site, least specific first (``database`` None: local site)."""
    paths = [common_path(prefix)]
    if database is None:
        paths.append(os.path.join(root, "daemon.conf"))
    else:
        paths.append(os.path.join(database, "etc", "daemon.conf"))
    return paths


def load(prefix: str, root: str, database: str | None) -> DaemonConf:
    conf = DaemonConf()
    for path in site_paths(prefix, root, database):
        values = parse(path)
        if values or os.path.exists(path):
            conf.files.append(path)
        for k, v in values.items():
            conf.values[k] = v
            conf.sources[k] = path
    check(conf)
    return conf


def check(conf: DaemonConf) -> None:
    m = conf.values.get("maintenance")
    if m is not None and m.upper() not in ("ON", "OFF"):
        raise UserError(f"{conf.sources['maintenance']}: maintenance must be ON or OFF, not {m!r}")
    ld = conf.values.get("local_daemon")
    if ld is not None and ld.upper() not in ("SITE", "OFF"):
        raise UserError(
            f"{conf.sources['local_daemon']}: local_daemon must be SITE or OFF, not {ld!r}"
        )
    addrs = conf.ipaddresses
    if len(addrs) > MAX_ADDRESSES:
        raise UserError(
            f"{conf.sources['ipaddress']}: ipaddress lists {len(addrs)} addresses; "
            f"JobCenter listens on at most {MAX_ADDRESSES}"
        )
