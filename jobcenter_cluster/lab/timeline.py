"""``jccluster lab drill --svg FILE``: the drill as a timeline, one lane per node.

Green: the whole site runs on the node; amber: some of its daemons do; grey: the node is
powered off. A red line marks each failure the drill injected, a blue one the recovery.
"""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH = 1200
LANE = 34
LEFT = 110
TOP = 50


def svg(report: Any) -> str:
    census = report.census
    samples = census.samples
    if not samples:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"/>\n'
    t0, t1 = samples[0].t, max(samples[-1].t, samples[0].t + 1)
    scale = (WIDTH - LEFT - 20) / (t1 - t0)
    full = census.full()
    nodes = report.lab.nodes
    height = TOP + LANE * len(nodes) + 30 + 16 * sum(len(r.marks) > 0 for r in report.results)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14">jccluster lab drill: {escape(census.site.name)}'
           f' ({len(samples)} census samples)</text>']

    def x(t: float) -> float:
        return LEFT + (t - t0) * scale

    for i, node in enumerate(nodes):
        y = TOP + i * LANE
        out.append(f'<text x="10" y="{y + LANE / 2 + 4}">{escape(node.short)}</text>')
        out.append(f'<rect x="{LEFT}" y="{y + 4}" width="{WIDTH - LEFT - 20}" '
                   f'height="{LANE - 8}" fill="#f4f4f4"/>')
        state, since = None, t0
        for s in [*samples, None]:
            if s is not None:
                if node.name not in s.on:
                    cur = "off"
                else:
                    d = s.running.get(node.name, frozenset())
                    cur = "full" if d >= full else "part" if d else "idle"
            if s is None or cur != state:
                end = s.t if s is not None else t1
                colour = {"full": "#3a3", "part": "#e90", "off": "#999"}.get(state or "")
                if colour:
                    out.append(f'<rect x="{x(since):.1f}" y="{y + 4}" '
                               f'width="{max(0.5, x(end) - x(since)):.1f}" height="{LANE - 8}" '
                               f'fill="{colour}"/>')
                if s is not None:
                    state, since = cur, s.t
    bottom = TOP + LANE * len(nodes)
    line = bottom + 14
    for r in report.results:
        for t, kind, _label in r.marks:
            colour = "#d22" if kind == "fault" else "#24c"
            out.append(f'<line x1="{x(t):.1f}" y1="{TOP}" x2="{x(t):.1f}" y2="{bottom}" '
                       f'stroke="{colour}" stroke-width="1.5"/>')
        if r.marks:
            verdict = "PASS" if r.ok else "FAIL"
            rec = f", {r.recovery:.1f} s" if r.recovery is not None else ""
            out.append(f'<text x="{x(r.marks[0][0]):.1f}" y="{line}" fill="#333">'
                       f'{escape(r.scenario)}{rec} {verdict}</text>')
            line += 16
    out.append(f'<text x="{LEFT}" y="{TOP - 8}" fill="#555">green: site running; amber: '
               'partly; grey: powered off; red: failure injected; blue: recovered</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
