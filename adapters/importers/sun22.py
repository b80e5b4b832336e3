"""Import Sun Cluster 2.2 sites from the data service's method scripts: the manual's START/STOP
samples (§4.14: ``pmfadm -c JobService -C 0 /usr/lib/nqs/cluster/cjcpw $JobSiteName $JobDir``
after ``JobSiteName=…`` / ``JobDir=…`` assignments; ``pmfadm -s JobService … cjcpw -stop
SITE``), an operator's own variant of them, or our rendered ``start_net.sh`` / ``stop_net.sh``.

A site is what a ``cjcpw SITE DBPATH`` (or ``jccluster agent sun22 …``) command names, run
directly or under ``pmfadm -c TAG``; the PMF nametag is the site's ``nametag`` option. Shell
variables assigned in the same file are expanded; the script's structure (``if``/``then``/
``fi``, ``echo``, ``exit``, the status checks of pmfadm) and the manual's ``:`` placeholders are
not configuration and are not reported. The pmfadm(1M) synopsis read here: ``-c nametag [-a
action] [-C level#] [-n retries] [-t period] command``, ``-s nametag [-w timeout] [signal]``,
``-q nametag``.
"""

from __future__ import annotations

import os
import re

from jobcenter_cluster import importing
from jobcenter_cluster.adapters.importers import _shell

#: what to give `jccluster import sun22` (said when no site was found)
READS = ("the data service's START_NET/STOP_NET (or the manual's START/STOP) method scripts "
         "that run 'pmfadm -c TAG … cjcpw SITE DBPATH'")

AGENT_WORDS = {"start": "watch", "stop": "stop", "abort": "stop", "keep-port": "keep-port"}

#: lines that are the script's structure, not the cluster's configuration
_STRUCTURE = _shell.structure()
#: pmfadm -c options that take a value
_PMF_VALUED = {"-a", "-C", "-n", "-t", "-e", "-E", "-w", "-c", "-s", "-q", "-k", "-m", "-L"}


def read(files: list[importing.InputFile], draft: importing.Draft,
         report: importing.Report) -> None:
    for f in files:
        if importing.is_ours(f):
            continue
        if not (f.text.startswith("#!") or re.search(r"\b(pmfadm|cjcpw|jccluster)\b", f.text)):
            report.skip(f, None, f"not a form the sun22 importer reads ({READS})")
            continue
        _read_script(f, draft, report)


def _read_script(f: importing.InputFile, draft: importing.Draft,
                 report: importing.Report) -> None:
    ours = _shell.generated(f)
    commands: list[tuple[importing.Command, importing.Where]] = []
    tags: list[tuple[str, importing.Where]] = []
    for at, argv in _shell.commands(f, report, _STRUCTURE):
        if os.path.basename(argv[0]) == "pmfadm":
            argv, tag = _under_pmf(argv)
            if tag:
                tags.append((tag, at))
            if not argv:
                continue  # pmfadm -q / -s TAG: PMF's own bookkeeping
        cmd = importing.command(argv, draft, at, agent_words=AGENT_WORDS)
        if cmd is None and not ours:
            report.skip(f, at.line, repr(" ".join(argv)))
        elif cmd is not None:
            commands.append((cmd, at))
    site, ok = importing.site_of(commands, draft)
    if site is None:
        return
    for tag, at in tags[:1]:
        draft.set_option(site, "nametag", tag, at)


def _under_pmf(argv: list[str]) -> tuple[list[str], str | None]:
    """``pmfadm -c TAG [options] COMMAND…`` → (COMMAND…, TAG); ``pmfadm -s TAG [cmd…]`` (the
    manual's, although -s takes no command) → (cmd…, TAG); ``-q`` → ([], TAG)."""
    tag = None
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("-c", "-s", "-q") and i + 1 < len(argv):
            tag = argv[i + 1]
            i += 2
            continue
        if a in _PMF_VALUED and i + 1 < len(argv):
            i += 2
            continue
        if a.startswith("-") and not a.startswith("/"):
            i += 1
            continue
        break
    rest = argv[i:]
    if rest and rest[0] in ("TERM", "KILL", "HUP", "INT"):
        rest = rest[1:]  # -s TAG SIGNAL
    return rest, tag
