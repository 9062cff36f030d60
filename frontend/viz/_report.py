"""``report``: one self-contained HTML page about a compiled step.

    step = tenkai.compile(train_step); step(x, y); step(x, y)
    tenkai.viz.report(step, "report.html")

The page needs no network access: the graph picture is inline SVG (drawn by Graphviz's
``dot``; without it the DOT source is shown with the install hint), the memory plan is an
inline SVG timeline drawn here, and the style sheet is embedded. Sections: summary, graph,
the text IR of every stage side by side (traced, backward, fused, memory plan, kernels,
LLVM IR), fusion groups, memory plan, kernels (name, kind, source ops, outputs, time, share
of the step, GFLOP/s, GB/s).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from typing import Any

from tenkai.ir.printer import value_names

from ..compile import CompiledFunction
from ..compiler.debug import backward_text, kernel_summaries
from ..compiler.staged import CompiledGraph, LoweredGraph, TracedGraph
from ._graph_dot import to_dot
from ._render import INSTALL_DOT, have_dot
from ._timeline import memory_timeline_svg

CSS = """
body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}
.stages{display:flex;gap:.6em;overflow-x:auto;align-items:flex-start}
.stage{flex:0 0 34em;max-width:34em}.stage h3{font-size:.95em;margin:.2em 0}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.5em;font-size:.72em;overflow:auto;
max-height:32em;margin:0}.graph{overflow:auto;border:1px solid #ddd;max-height:60em}
.graph svg{max-width:100%;height:auto}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border:1px solid #999}
"""
MAX_STAGE_CHARS = 200_000


@dataclass
class StepInfo:
    """Everything the report shows, gathered from whatever stage object was given."""

    name: str
    traced: Any
    lowered: Any
    kernels: list[dict[str, Any]]
    times: dict[str, float] = field(default_factory=dict)
    llvm: str | None = None
    compile_seconds: dict[str, float] = field(default_factory=dict)


def gather(obj: Any, time_kernels: bool = True) -> StepInfo:
    """The traced graph, its lowering and (when compiled natively) kernel times."""
    native, llvm = None, None
    if isinstance(obj, CompiledFunction):
        if not obj.steps:
            raise ValueError(f"tenkai.viz.report: {obj.fn.__name__} has not been traced yet; "
                             "call it (twice with an optimizer that creates state) first")
        step = obj.steps[-1]
        native = step.program if hasattr(step.program, "measure_kernels") else None
        lowered = TracedGraph(step).lower()
        llvm = getattr(getattr(native, "module", None), "ir_text", None)
    elif isinstance(obj, CompiledGraph):
        lowered = obj.lowered or TracedGraph(obj.step).lower()
        native, llvm = obj.step.program, obj.module.ir_text
    elif isinstance(obj, LoweredGraph):
        lowered = obj
    elif isinstance(obj, TracedGraph):
        lowered = obj.lower()
    else:
        raise TypeError(f"tenkai.viz.report: expected a tenkai.compile'd function, "
                        f"tenkai.trace(...), .lower() or .compile(); got {type(obj).__name__}")
    kernels = kernel_summaries(lowered.fused, lowered.program, lowered.info)
    info = StepInfo(lowered.step.graph.name, TracedGraph(lowered.step), lowered, kernels,
                    llvm=llvm)
    if native is not None:
        info.compile_seconds = dict(getattr(native, "timings", {}))
        if time_kernels and native.stats.get("calls", 0) > 0:
            info.times = dict(native.measure_kernels(3))
    return info


def report(obj: Any, path: str, time_kernels: bool = True) -> str:
    """Write the HTML report of a compiled step to ``path`` and return the path.

        >>> tenkai.viz.report(compiled_step, "report.html")
    """
    info = gather(obj, time_kernels)
    page = render_html(info)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, path)
    return path


def _esc(text: str) -> str:
    if len(text) > MAX_STAGE_CHARS:
        text = text[:MAX_STAGE_CHARS] + f"\n... ({len(text) - MAX_STAGE_CHARS} more characters)"
    return html.escape(text)


def graph_svg(obj: Any) -> str:
    """The picture as inline SVG, or the DOT source with the install hint."""
    try:
        pic = to_dot(obj, memory=False)
    except ImportError as err:  # no graphviz package: the rest of the report still works
        return f"<p><b>No picture:</b> {html.escape(str(err))}.</p>"
    if not have_dot():
        return (f"<p><b>No picture:</b> {html.escape(INSTALL_DOT)}.</p>"
                f"<pre>{_esc(pic.source)}</pre>")
    svg = pic.pipe("svg").decode()
    return svg[svg.find("<svg"):]


def render_html(info: StepInfo) -> str:
    fused = info.lowered.fused
    plan = fused.meta.get("memory")
    stages = [("traced", info.traced.as_text()), ("backward", backward_text(info.traced.graph)),
              ("fused", fused.dump()), ("memory plan", plan.as_text() if plan else "-"),
              ("kernels", info.lowered.program.as_text())]
    if info.llvm:
        stages.append(("LLVM IR", info.llvm))
    panes = "".join(f'<div class="stage"><h3>{html.escape(t)}</h3><pre>{_esc(body)}</pre></div>'
                    for t, body in stages)
    legend = "".join(f'<span style="background:{c}">{k}</span>' for k, c in
                     (("forward", "#dbe9ff"), ("backward", "#ffd9d0"), ("optimizer", "#d8f5d0"),
                      ("input", "#ffe8a3"), ("param", "#a8d5ff"), ("output", "#c5f08a")))
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>tenkai report: {html.escape(info.name)}</title><style>{CSS}</style>"
             f"</head><body><h1>tenkai report: {html.escape(info.name)}</h1>",
             _summary(info), "<h2 id=\"graph\">Graph (fused)</h2>",
             f'<p class="legend">{legend}</p><div class="graph">{graph_svg(info.lowered)}</div>',
             f'<h2 id="stages">Stages</h2><div class="stages">{panes}</div>',
             '<h2 id="groups">Fusion groups</h2>', _groups_table(fused),
             '<h2 id="memory">Memory plan</h2>',
             memory_timeline_svg(plan) if plan else "<p>no memory plan</p>",
             '<h2 id="kernels">Kernels</h2>', _kernel_table(info), "</body></html>\n"]
    return "\n".join(parts)


def _summary(info: StepInfo) -> str:
    g = info.traced.graph
    plan = info.lowered.fused.meta.get("memory")
    rows = [("graph nodes", str(g.nx.number_of_nodes())),
            ("kernels per step", str(len(info.kernels))),
            ("planned arena", f"{plan.arena_bytes:,} B" if plan else "-"),
            ("planned peak live", f"{plan.peak_bytes:,} B" if plan else "-")]
    if info.times:
        rows.append(("kernel time per step", f"{sum(info.times.values()) * 1e6:.1f} us"))
    if info.compile_seconds:
        rows.append(("compile", ", ".join(f"{k} {v * 1e3:.1f} ms"
                                          for k, v in info.compile_seconds.items())))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return f'<h2 id="summary">Summary</h2><table>{body}</table>'


def _groups_table(fused: Any) -> str:
    names = value_names(fused)
    rows = []
    for gid in fused.meta.get("group_order", []):
        rec = fused.meta["groups"][gid]
        ops = ", ".join(fused.op(n) for n in rec["nodes"])
        outs = ", ".join(names.get(n, "?") for n in rec["outputs"])
        rows.append(f"<tr><td class=num>{gid}</td><td>{rec['kind']}</td>"
                    f"<td>{html.escape(ops)}</td><td>{html.escape(outs)}</td></tr>")
    return ("<table><tr><th>group</th><th>kind</th><th>ops</th><th>outputs</th></tr>"
            + "".join(rows) + "</table>")


def _kernel_table(info: StepInfo) -> str:
    total = sum(info.times.values())
    head = ("<tr><th>kernel</th><th>kind</th><th>source ops</th><th>outputs</th>"
            "<th>time (us)</th><th>share</th><th>GFLOP/s</th><th>GB/s</th></tr>")
    rows = []
    for k in info.kernels:
        t = info.times.get(k["name"])
        if t is None:
            timing = "<td>-</td><td>-</td><td>-</td><td>-</td>"
        else:
            s = max(t, 1e-9)
            timing = (f"<td class=num>{t * 1e6:.1f}</td><td class=num>"
                      f"{100 * t / max(total, 1e-12):.1f}%</td><td class=num>"
                      f"{k['flops'] / s / 1e9:.2f}</td>"
                      f"<td class=num>{k['bytes'] / s / 1e9:.2f}</td>")
        rows.append(f"<tr><td>{html.escape(k['name'])}</td><td>{k['kind']}</td>"
                    f"<td>{html.escape(', '.join(k['ops']))}</td>"
                    f"<td>{html.escape(', '.join(k['outputs']))}</td>{timing}</tr>")
    note = "" if info.times else "<p>No times: the step was not compiled natively and run.</p>"
    return note + "<table>" + head + "".join(rows) + "</table>"
