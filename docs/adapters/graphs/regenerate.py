"""Regenerate the "picture" section of every adapter's docs page and its SVG.

Run from the repository root: ``.dev-venv/bin/python docs/adapters/graphs/regenerate.py``
(needs Graphviz's ``dot``). tests/cli/test_graph.py checks the pages are current.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HEADING = "## The picture: `jccluster graph {name}`"
TEXT = """\
{heading}

`jccluster graph {name}` draws each site's resources and their links as the product orders
them: an arrow A → B means B starts after A (it depends on A) and stops before it. It prints
Graphviz DOT; `--format svg` draws it with Graphviz's `dot`. For the manual's example cluster
(`jccluster graph {name} --example`):

![{name}: the example cluster's resources](graphs/{name}.svg)

```dot
{dot}```
"""


def main() -> int:
    from jobcenter_cluster.plugins import load_adapters

    root = Path(__file__).resolve().parents[3]
    adapters, _ = load_adapters()
    for name in sorted(adapters):
        run = [sys.executable, "-m", "jobcenter_cluster", "graph", name, "--example"]
        dot = subprocess.run(run, capture_output=True, text=True, check=True).stdout
        svg = subprocess.run(run + ["--format", "svg"], capture_output=True, text=True,
                             check=True).stdout
        (root / "docs/adapters/graphs" / f"{name}.svg").write_text(svg)
        page = root / "docs/adapters" / f"{name}.md"
        text = page.read_text()
        heading = HEADING.format(name=name)
        section = TEXT.format(heading=heading, name=name, dot=dot)
        if heading in text:
            start = text.index(heading)
            nxt = re.search(r"^## ", text[start + len(heading):], re.M)
            end = start + len(heading) + nxt.start() if nxt else len(text)
            text = text[:start] + section + ("\n" + text[end:] if nxt else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
        page.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
