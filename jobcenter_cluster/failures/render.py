"""Render the failure table into the docs: docs/failures.md (the overview) and the section at the
end of each docs/adapters/<adapter>.md between `BEGIN` and `END`.

Regenerate from the repository root: ``.dev-venv/bin/python -m jobcenter_cluster.failures.render``
(``--check``: exit 1 and name the stale files, write nothing). tests/failures/test_failures_docs.py
fails when a page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jobcenter_cluster.failures.data import (
    ENDS,
    JOBCENTER_STOP_SECONDS,
    KILLED,
    NET_EFFECTS,
    PRODUCTS,
    RUNS,
    SITUATIONS,
    STOP_MARGIN_SECONDS,
    SUPERVISORS,
    Product,
    Row,
    all_rows,
)

BEGIN = "<!-- failure-table:begin -->"
END = "<!-- failure-table:end -->"
HEADING = "## Failure table"
OVERVIEW = "docs/failures.md"
GENERATED = ("<!-- generated from jobcenter_cluster/failures/data.py by "
             "`python -m jobcenter_cluster.failures.render`: edit the data, not this -->")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _exit(value: object) -> str:
    if value == RUNS:
        return "runs"
    if value == ENDS:
        return "ends"
    if value == KILLED:
        return "killed"
    return str(value)


def exits_text(row: Row) -> str:
    if not row.exits:
        return "— (not rendered)"
    return "<br>".join(f"`{a}` {_exit(v)}" for a, v in row.exits.items())


def _source_key(product: Product, row: Row) -> str:
    if row.unverified:
        return "**unverified**"
    for n, cite in enumerate(product.sources.values(), 1):
        if cite == row.source:
            return f"[{n}]"
    raise AssertionError(f"{row.adapter}: a source that is not in its list")


def adapter_table(product: Product) -> str:
    """The adapter's part of the table, as markdown (its docs page and the overview show it)."""
    lines = [
        f"What each action of {product.title} exits in each situation, what the product does "
        "next and the net effect (exits in the order the product runs the actions). Generated "
        f"from the one failure table; the words and the rules are in [failures.md]"
        f"(../failures.md). Actions: "
        + "; ".join(f"`{a}`: {what}" for a, what in product.actions.items()) + ".",
        "",
        "| situation | supervisor | exits | what the product does next | source | net effect "
        "| why |",
        "|---|---|---|---|---|---|---|",
    ]
    for situation in SITUATIONS:
        by_sup = {s: next(r for r in all_rows() if r.adapter == product.adapter
                          and r.supervisor == s and r.situation == situation)
                  for s in SUPERVISORS}
        a, b = by_sup["jccluster"], by_sup["cjcpw"]
        groups = ([("both", a)] if (a.exits, a.next, a.source, a.net, a.why)
                  == (b.exits, b.next, b.source, b.net, b.why) else [("jccluster", a),
                                                                     ("cjcpw", b)])
        for sup, row in groups:
            lines.append(
                f"| {situation} | {sup} | {exits_text(row)} | {_cell(row.next)} | "
                f"{_source_key(product, row)} | **{row.net}** | {_cell(row.why)} |")
    lines.append("")
    lines.append("Timeouts: " + "; ".join(
        f"`{sup}`: {setting}" + (f" ≥ {secs} s" if secs is not None else "")
        for sup, (setting, secs) in product.stop_timeout.items())
        + (f"; a monitor is bounded by {product.monitor_bound[0]} "
           f"({product.monitor_bound[1]} s)." if product.monitor_bound else
           "; no monitor action (the product watches a process)."))
    lines.append("")
    lines.append("Sources:")
    lines.append("")
    for n, cite in enumerate(product.sources.values(), 1):
        lines.append(f"{n}. {cite}")
    return "\n".join(lines) + "\n"


def adapter_block(product: Product) -> str:
    return f"{BEGIN}\n{GENERATED}\n\n{adapter_table(product)}{END}\n"


def overview() -> str:
    rows = all_rows()
    unverified = [r for r in rows if r.unverified]
    refused = [r for r in rows if PRODUCTS[r.adapter].drilled and not r.exits]
    out = [
        "# Failure semantics: one table",
        "",
        GENERATED,
        "",
        "For every adapter and both supervisors: what each of the product's actions exits in "
        "each failure situation, **what the product does next** (cited, or marked "
        "**unverified**) and the **net effect**, with why that is right. The table is data "
        "(`jobcenter_cluster/failures/data.py`); the tests read it (the drill matrix in "
        "`tests/failures/` runs every POSIX adapter under both supervisors through every "
        "situation against real sites and asserts these exits), and this page and the section "
        "at the end of every [adapter page](adapters/) are rendered from it. Issue 20 asked for "
        "it; it states the correct behaviour, by the rules below and the vendors' documents.",
        "",
        f"Size: {len(PRODUCTS)} adapters × {len(SUPERVISORS)} supervisors × {len(SITUATIONS)} "
        f"situations = {len(rows)} rows; {len(unverified)} of them cite no public source "
        "(**unverified**).",
        "",
        "The drill (`tests/failures/test_failures_drill.py`): every POSIX adapter ("
        + ", ".join(f"`{p.adapter}`" for p in PRODUCTS.values() if p.drilled)
        + f") × {len(SUPERVISORS)} supervisors × {len(SITUATIONS)} situations = "
        f"{sum(p.drilled for p in PRODUCTS.values()) * len(SUPERVISORS) * len(SITUATIONS)} "
        "cases, against the simulator site (`jccluster`) and the emulated JobCenter installation "
        "(`cjcpw`); vendor commands that cannot be installed are recording stand-ins. A case "
        "whose row reports a successful stop also checks that nothing of the site is left. The "
        f"{len(refused)} cases of a supervisor an adapter does not render for ("
        + ", ".join(sorted({f"`{r.adapter}` under `{r.supervisor}`" for r in refused}))
        + ") check that rendering refuses it; the other "
        f"{sum(p.drilled for p in PRODUCTS.values()) * len(SUPERVISORS) * len(SITUATIONS) - len(refused)} "
        "run against real sites. The Windows adapters (`clusterpro-windows`, `mscs`) are in the "
        "table, not in the drill.",
        "",
        "## The situations",
        "",
        "| situation | what happens |",
        "|---|---|",
        *(f"| {name} | {_cell(text)} |" for name, text in SITUATIONS.items()),
        "",
        "## The words",
        "",
        "- **exits**: an action's exit status; `runs`: the action is the process the product "
        "watches and it must still be running; `ends`: it must have ended (the product reads no "
        "status from it); `killed`: it was the process the situation killed.",
        "- **net effect**: " + ", ".join(f"`{n}`" for n in NET_EFFECTS) + ".",
        "- **supervisor**: `jccluster` (the engine supervises the site) or `cjcpw` (JobCenter's "
        "own watcher, the manual's way).",
        "",
        "## The rules every row keeps (tests/failures/test_failures_table.py)",
        "",
        "1. Nothing reports stopped, not running, offline or a successful stop while any process "
        "of the site lives. (One product-specific reading, written in the data with its source: "
        "VCS reads OFFLINE from a resource it had ONLINE as a fault, and runs Clean before the "
        "group comes online anywhere else.)",
        "2. Nothing blocks a failover when nothing of the site is left: the stop verifies, "
        "instead of trusting `cjcpw -stop`'s exit status.",
        "3. A stop that could not do its work is a failed stop, never a user error that reads as "
        "success.",
        "4. Maintenance mode (`maintenance=ON`, manual §2.10.5) works under both supervisors for "
        "every product: the resource stays online.",
        f"5. Every stop/clean timeout the product is given leaves JobCenter's own stop "
        f"({JOBCENTER_STOP_SECONDS} s, manual §3.3.7: 1–2 minutes) a margin of at least "
        f"{STOP_MARGIN_SECONDS} s when no engine deadline bounds it (supervisor `cjcpw`): "
        "the table gives each product's minimum, and the drill holds the rendered files to it.",
        "6. A monitor is bounded.",
        "",
        "## API",
        "",
        "```python",
        "from jobcenter_cluster import failures",
        "failures.rows(adapter=None, supervisor=None, situation=None)  # -> list[Row]",
        "failures.row(adapter, supervisor, situation)                  # -> Row",
        "failures.expected(adapter, supervisor, situation, action)     # -> int | None (runs)",
        "```",
        "",
        "A `Row` has `exits` (action → exit, in order), `next`, `source`, `net`, `why`; "
        "`failures.PRODUCTS[adapter]` has the actions, the codes each product reads as stopped, "
        "its timeouts and sources. Regenerate this page and the adapter sections with "
        "`.dev-venv/bin/python -m jobcenter_cluster.failures.render`.",
        "",
        "## Rows marked unverified",
        "",
        *(f"- `{r.adapter}` / `{r.supervisor}` / {r.situation}: {_cell(r.next)}"
          for r in unverified),
        "",
    ]
    for product in PRODUCTS.values():
        out += [f"## `{product.adapter}`", "", adapter_table(product).replace(
            "(../failures.md)", "(#the-rules-every-row-keeps)")]
    return "\n".join(out).rstrip("\n") + "\n"


def page_with_block(text: str, product: Product) -> str:
    """The adapter page with its failure-table section replaced (or appended at the end)."""
    block = adapter_block(product)
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        return text[:start] + block.rstrip("\n") + text[end:]
    return text.rstrip("\n") + f"\n\n{HEADING}\n\n{block}"


def expected_files(root: Path) -> dict[Path, str]:
    files = {root / OVERVIEW: overview()}
    for product in PRODUCTS.values():
        page = root / "docs" / "adapters" / f"{product.adapter}.md"
        files[page] = page_with_block(page.read_text(encoding="utf-8"), product)
    return files


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    stale = []
    for path, text in expected_files(root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if "--check" not in args:
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if '--check' in args else 'wrote'}: {path.relative_to(root)}")
    return 1 if stale and "--check" in args else 0


if __name__ == "__main__":
    sys.exit(main())
