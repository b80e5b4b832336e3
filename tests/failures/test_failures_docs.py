"""docs/failures.md and the failure-table section of every adapter page are rendered from the
table: stale pages fail here (regenerate: .dev-venv/bin/python -m jobcenter_cluster.failures.render)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobcenter_cluster.failures import PRODUCTS
from jobcenter_cluster.failures.render import BEGIN, END, expected_files

ROOT = Path(__file__).resolve().parents[2]
FIX = "regenerate: .dev-venv/bin/python -m jobcenter_cluster.failures.render"


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in expected_files(ROOT)))
def test_page_is_current(path):
    want = expected_files(ROOT)[ROOT / path]
    assert (ROOT / path).read_text(encoding="utf-8") == want, f"{path} is stale: {FIX}"


@pytest.mark.parametrize("adapter", sorted(PRODUCTS))
def test_the_block_ends_the_adapter_page(adapter):
    text = (ROOT / "docs/adapters" / f"{adapter}.md").read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert text.rstrip("\n").endswith(END)


def test_readme_links_the_overview():
    assert "(docs/failures.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
