"""Import IBM PowerHA SystemMirror (HACMP) sites: the ``clmgr add …`` commands that defined the
resource group (ours: ``clmgr-commands.sh``; or an operator's own) and the application
controller's start/stop scripts (``cjcpw SITE DBPATH``, ``cjcpw -stop SITE``, or our ``jccluster
agent powerha …`` calls), with the custom application monitor's.

The JobCenter manual gives no PowerHA procedure (its preface: register cjcpw with the product's
own steps), so there is no manual sample; the clmgr grammar read here is ``clmgr add CLASS NAME
ATTR=VALUE…`` (IBM PowerHA SystemMirror 7 clmgr reference: ``application_controller`` with
STARTSCRIPT/STOPSCRIPT, ``application_monitor``, ``resource_group`` with NODES, SERVICE_LABEL,
VOLUME_GROUP, STARTUP/FALLOVER/FALLBACK, ``service_ip`` with NETWORK). Which site a clmgr object
belongs to: the one whose scripts it names, else the only site.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster import importing
from jobcenter_cluster.adapters.importers import _shell

#: what to give `jccluster import powerha` (said when no site was found)
READS = ("the application controller's start and stop scripts (that run 'cjcpw SITE DBPATH' "
         "or 'jccluster agent powerha start SITE DBPATH'), with the 'clmgr add' commands that "
         "defined the resource group")

AGENT_WORDS = {"start": "watch", "stop": "stop", "monitor": "monitor", "keep-port": "keep-port"}

_STRUCTURE = _shell.structure(r"cd", r"[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)")

#: clmgr add CLASS: attribute -> site option
_ATTRS = {
    "resource_group": {"": "resource_group", "SERVICE_LABEL": "service_label",
                       "VOLUME_GROUP": "volume_group", "STARTUP": "startup",
                       "FALLOVER": "fallover", "FALLBACK": "fallback"},
    "application_controller": {"": "application_controller", "STARTUP_MODE": "startup_mode"},
    "application_monitor": {"": "application_monitor"},
    "service_ip": {"NETWORK": "network", "NETMASK": "netmask"},
}


@dataclass
class _Object:
    cls: str
    name: str
    attrs: dict[str, str]
    at: importing.Where
    scripts: list[str] = field(default_factory=list)


def read(files: list[importing.InputFile], draft: importing.Draft,
         report: importing.Report) -> None:
    objects: list[_Object] = []
    by_script: dict[str, dict[str, Any]] = {}
    for f in files:
        if importing.is_ours(f):
            continue
        if not (f.text.startswith("#!") or re.search(r"\b(clmgr|cjcpw|jccluster)\b", f.text)):
            report.skip(f, None, f"not a form the powerha importer reads ({READS})")
            continue
        site = _read_script(f, draft, report, objects)
        if site is not None:
            by_script[f.name] = site
    for obj in objects:
        site = next((by_script[posixpath.basename(s)] for s in obj.scripts
                     if posixpath.basename(s) in by_script), None)
        if site is None and len(draft.sites) == 1:
            site = draft.sites[0]
        if site is None:
            report.skip(obj.at.file, obj.at.line, f"clmgr add {obj.cls} {obj.name} (no site's "
                        "scripts among the files given: give its start and stop scripts too)")
            continue
        for attr, key in _ATTRS[obj.cls].items():
            value = obj.name if attr == "" else obj.attrs.get(attr)
            if value:
                draft.set_option(site, key, value, obj.at)


def _read_script(f: importing.InputFile, draft: importing.Draft, report: importing.Report,
                 objects: list[_Object]) -> dict[str, Any] | None:
    ours = _shell.generated(f)  # our own helpers and logging: not read
    commands: list[tuple[importing.Command, importing.Where]] = []
    for at, argv in _shell.commands(f, report, _STRUCTURE):
        while argv and argv[0] in ("run", "exec", "nohup"):
            argv = argv[1:]
        if not argv:
            continue
        if os.path.basename(argv[0]) == "clmgr":
            _clmgr(argv, at, objects, report, ours)
            continue
        cmd = importing.command(argv, draft, at, agent_words=AGENT_WORDS)
        if cmd is not None:
            commands.append((cmd, at))
        elif not ours:
            report.skip(f, at.line, repr(" ".join(argv)))
    site, _ = importing.site_of(commands, draft)
    return site


def _clmgr(argv: list[str], at: importing.Where, objects: list[_Object],
           report: importing.Report, ours: bool) -> None:
    """``clmgr add CLASS NAME ATTR=VALUE…``: the objects that carry site options."""
    if len(argv) >= 3 and argv[1] in ("sync", "verify", "online", "offline"):
        return
    if len(argv) < 4 or argv[1] != "add" or argv[2] not in _ATTRS:
        if not ours:
            report.skip(at.file, at.line, repr(" ".join(argv)))
        return
    attrs = dict(a.split("=", 1) for a in argv[4:] if "=" in a)
    scripts = [v for k, v in attrs.items() if k.endswith(("SCRIPT", "METHOD"))]
    objects.append(_Object(argv[2], argv[3], attrs, at, scripts))
