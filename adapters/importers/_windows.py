"""What the importers of the Windows adapters (clusterpro-windows, mscs) share: the agent verbs
their scripts call, the batch-file reading loop, and resolv.def (``ADDRESS NAME`` lines: the
nodes' and sites' addresses)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from jobcenter_cluster import importing
from jobcenter_cluster.importing import Draft, InputFile, Report, Where

#: the agent verbs a group script or a Generic Application may run (each is its own verb)
AGENT_WORDS = {"watch": "watch", "start": "start", "stop": "stop"}


def windows_files(files: list[InputFile], draft: Draft) -> tuple[list[InputFile], list[InputFile]]:
    """The sites run JobCenter for Windows; returns the resolv.def files and the others, without
    the files we generated."""
    draft.set_cluster("product", "jobcenter-windows", Where(files[0], None))
    mine = [f for f in files if not importing.is_ours(f)]
    return ([f for f in mine if f.name.lower() == "resolv.def"],
            [f for f in mine if f.name.lower() != "resolv.def"])


def batch_commands(f: InputFile, structure: re.Pattern[str]
                   ) -> Iterator[tuple[Where, str, list[str]]]:
    """``(where, text, words)`` of each command of a batch file (``^`` continues a line), without
    blank lines and the lines `structure` matches (labels, echo, branches ...)."""
    for n, line in f.logical("^"):
        text = line.strip()
        if text and not structure.match(text):
            yield Where(f, n), text, importing.batch_words(text)


def read_resolv(f: InputFile, draft: Draft, report: Report) -> None:
    order: list[str] = []
    for n, line in f.lines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        at = Where(f, n)
        if len(parts) < 2:
            report.skip(f, n, repr(text))
            continue
        address, name = parts[0], parts[1]
        for extra in parts[2:]:
            report.skip(f, n, f"alias {extra} of {name} (the cluster file takes official names)")
        site = draft.find_site(name) or draft.find_site(name.split(".")[0])
        if site is not None and "name" not in site:
            draft.name_site(site, name, at)  # the official name of a site the scripts
            # call by its short name, as the manual's samples do
        if site is not None and importing.site_label(site).lower() == name.lower():
            draft.set_site(site, "address", address, at)
            order.append(importing.site_label(site))
            continue
        if site is not None and "." not in name and site.get("address") == address:
            continue  # the site's computer name beside its FQDN (both resolve)
        node = draft.node(name, at)
        if node is not None:
            draft.set_node(node, "address", address, at)
    if order:
        draft.order_fixed = True
        draft.sites.sort(key=lambda s: order.index(importing.site_label(s))
                         if importing.site_label(s) in order else len(order))
