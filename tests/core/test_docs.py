"""The docs name what the code does: every rule, every adapter page, every README link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobcenter_cluster.checks import CORE_RULES
from jobcenter_cluster.plugins import load_adapters

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS, _ = load_adapters()


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_rule_is_documented(name):
    check_page = (ROOT / "docs/check.md").read_text()
    adapter_page = (ROOT / f"docs/adapters/{name}.md").read_text()
    for rule in ADAPTERS[name].rules():
        assert f"`{rule.id}`" in check_page, f"docs/check.md misses {rule.id}"
        assert rule.id in adapter_page, f"docs/adapters/{name}.md misses {rule.id}"
    for rule in CORE_RULES:
        assert f"`{rule.id}`" in check_page


def test_readme_starts_with_the_two_commands_and_its_links_resolve():
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()]
    assert commands == ["./dev demo", "./dev test"]
    assert text.index("```sh") < text.index("\n## ")
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        assert (ROOT / link).exists(), link
    ci = (ROOT / ".ci/run").read_text()
    assert "./dev test" in ci
