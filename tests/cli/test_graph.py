"""``jccluster graph ADAPTER`` through the real CLI: DOT for every adapter that Graphviz's dot
accepts, the product's own order, --format svg, quoting, and the docs pages' pictures."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from jobcenter_cluster.adapter import _dot
from jobcenter_cluster.model import EXAMPLE_TOML, STARTER_TOML
from jobcenter_cluster.plugins import adapter_names
from support.cli import jcc

ROOT = Path(__file__).resolve().parents[2]
DOT = "/usr/bin/dot"  # Debian's graphviz (./dev installs it)


def parse(dot: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]]]:
    nodes = {m[0]: (m[1], m[2]) for m in
             re.findall(r'^\s+("[^"]+") \[label=("(?:[^"\\]|\\.)*"), shape=(\w+)', dot, re.M)}
    edges = re.findall(r'^\s+("[^"]+") -> ("[^"]+");', dot, re.M)
    return nodes, edges


def before(edges: list[tuple[str, str]], a: str, b: str) -> bool:
    """a starts before b (a path a -> ... -> b)."""
    todo, seen = [a], set()
    while todo:
        x = todo.pop()
        for f, t in edges:
            if f == x and t not in seen:
                if t == b:
                    return True
                seen.add(t)
                todo.append(t)
    return False


@pytest.mark.parametrize("adapter", sorted(adapter_names()))
def test_every_adapter_draws_address_then_jobcenter_and_dot_accepts_it(adapter):
    res = jcc("graph", adapter, "--example")
    assert res.returncode == 0, res.stderr
    nodes, edges = parse(res.stdout)
    assert all(f in nodes and t in nodes for f, t in edges), res.stdout
    jobcenter = [n for n, (_, shape) in nodes.items() if 'style="bold"' in
                 res.stdout.split(n + " [", 1)[1].split("\n", 1)[0]]
    addresses = [n for n, (_, shape) in nodes.items() if shape == "ellipse"]
    assert len(jobcenter) == 1 and addresses, res.stdout
    assert any(before(edges, a, jobcenter[0]) for a in addresses), res.stdout
    svg = subprocess.run([DOT, "-Tsvg"], input=res.stdout, capture_output=True, text=True,
                         timeout=60)
    assert svg.returncode == 0 and "<svg" in svg.stdout, svg.stderr


def test_serviceguard_run_order_vg_fs_ip_service(tmp_path):
    (tmp_path / "jccluster.toml").write_text(
        EXAMPLE_TOML + '\n[site.serviceguard]\nvg = "vgjob"\nfs_name = "/dev/vgjob/lvol1"\n')
    res = jcc("graph", "serviceguard", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    nodes, edges = parse(res.stdout)
    # keep-port (customer_defined_run_cmds) runs once the address is up, before the service
    assert edges == [('"0/vg"', '"0/fs"'), ('"0/fs"', '"0/ip"'), ('"0/ip"', '"0/keep-port"'),
                     ('"0/keep-port"', '"0/service"')]
    assert nodes['"0/vg"'] == ('"volume group\\nvgjob"', "cylinder")
    assert 'label="package jobcenter-orange (orange.example.com)";' in res.stdout


def test_pacemaker_group_order_with_a_filesystem(tmp_path):
    (tmp_path / "jccluster.toml").write_text(
        EXAMPLE_TOML + '\n[site.pacemaker]\nfs_device = "/dev/sdb1"\n')
    res = jcc("graph", "pacemaker", cwd=tmp_path)
    nodes, edges = parse(res.stdout)
    assert edges == [('"0/jobcenter-orange-fs"', '"0/jobcenter-orange-ip"'),
                     ('"0/jobcenter-orange-ip"', '"0/jobcenter-orange-site"')]


def test_veritas_requires_links_as_in_main_cf():
    res = jcc("graph", "veritas", "--example")
    _, edges = parse(res.stdout)
    assert ('"0/jobcenter_orange_nic"', '"0/jobcenter_orange_ip"') in edges
    assert ('"0/jobcenter_orange_ip"', '"0/jobcenter_orange_app"') in edges


def test_one_site_and_an_unknown_one(tmp_path):
    (tmp_path / "jccluster.toml").write_text(STARTER_TOML)
    assert jcc("graph", "veritas", "--site", "orange", cwd=tmp_path).returncode == 0
    res = jcc("graph", "veritas", "--site", "lemon", cwd=tmp_path)
    assert res.returncode == 2 and "no site named 'lemon'" in res.stderr


def test_dot_strings_are_quoted():
    hostile = 'a"b\\c\nd'
    assert _dot(hostile) == '"a\\"b\\\\c\\nd"'
    src = f"digraph x {{ {_dot(hostile)} [label={_dot(hostile)}]; }}"
    res = subprocess.run([DOT, "-Tplain"], input=src, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr


def test_svg_format_and_a_missing_dot(tmp_path):
    res = jcc("graph", "serviceguard", "--example", "--format", "svg")
    assert res.returncode == 0 and res.stdout.lstrip().startswith("<?xml") and "<svg" in res.stdout
    env = dict(os.environ, PATH=str(tmp_path))
    res = jcc("graph", "serviceguard", "--example", "--format", "svg", env=env)
    assert res.returncode == 2
    assert res.stderr == ("jccluster: graph --format svg: Graphviz's dot is not installed "
                          "(apt-get install graphviz), or use --format dot and draw it elsewhere\n")


@pytest.mark.parametrize("adapter", sorted(adapter_names()))
def test_docs_page_shows_the_current_picture(adapter):
    page = (ROOT / "docs" / "adapters" / f"{adapter}.md").read_text()
    dot = jcc("graph", adapter, "--example").stdout
    assert "## The picture: `jccluster graph" in page
    assert f"```dot\n{dot}```" in page, f"regenerate: tools/docs-graphs (docs/adapters/{adapter}.md)"
    svg = ROOT / "docs" / "adapters" / "graphs" / f"{adapter}.svg"
    assert f"](graphs/{adapter}.svg)" in page and svg.read_text().lstrip().startswith("<?xml")
