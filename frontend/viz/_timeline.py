"""The memory plan as an SVG timeline: one row per arena buffer, a bar from the group that
writes it to the last group that reads it, at its arena offset's colour by category."""

from __future__ import annotations

import html
from typing import Any

CATEGORY_COLORS = {"activation": "#6fa8dc", "scratch": "#f6b26b", "output": "#93c47d",
                   "gradient": "#e06666", "optimizer": "#8e7cc3", "parameter": "#76a5af",
                   "input": "#ffd966"}
ROW, LABEL, CELL = 16, 260, 18


def memory_timeline_svg(plan: Any, max_rows: int = 400) -> str:
    """Inline SVG of the plan's arena buffers over group positions 0..steps."""
    slots = sorted(plan.arena_slots(), key=lambda s: (s.start, s.node))[:max_rows]
    steps = max(plan.steps, 1)
    width = LABEL + CELL * (steps + 1) + 120
    height = ROW * (len(slots) + 2) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="10" class="memory-timeline">',
           f"<title>memory plan {html.escape(plan.graph)}: arena {plan.arena_bytes} B, peak "
           f"live {plan.peak_bytes} B</title>"]
    for t in range(steps + 1):
        x = LABEL + t * CELL
        out.append(f'<line x1="{x}" y1="{ROW}" x2="{x}" y2="{height - 4}" stroke="#eee"/>')
        if t < steps:
            out.append(f'<text x="{x + 3}" y="{ROW - 4}">{t}</text>')
    for row, s in enumerate(slots, start=1):
        y = ROW * row + 2
        end = min(s.end, steps - 1)
        color = CATEGORY_COLORS.get(s.category, "#999999")
        out.append(f'<text x="2" y="{y + ROW - 5}">{html.escape(s.name)} '
                   f"{html.escape(s.type)}</text>")
        out.append(f'<rect x="{LABEL + s.start * CELL + 1}" y="{y}" '
                   f'width="{(end - s.start + 1) * CELL - 2}" height="{ROW - 4}" fill="{color}">'
                   f"<title>{html.escape(s.name)} {s.nbytes} B @{s.offset} t={s.start}..{s.end} "
                   f"{s.category}</title></rect>")
        out.append(f'<text x="{LABEL + steps * CELL + 6}" y="{y + ROW - 5}">{s.nbytes} B</text>')
    out.append(f'<text x="2" y="{height - 2}">arena {plan.arena_bytes} B, peak live '
               f"{plan.peak_bytes} B, {len(plan.arena_slots())} buffers</text>")
    out.append("</svg>")
    return "\n".join(out)
