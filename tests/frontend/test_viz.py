"""tenkai.viz: make_dot (torchviz's conventions), draw at every stage, GraphML/JSON exports and
the HTML report. DOT text is checked everywhere; SVG only where Graphviz's ``dot`` exists; the
report is parsed, and loaded in a headless browser where one is installed."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F

graphviz = pytest.importorskip("graphviz")
from tenkai import viz  # noqa: E402  (needs the graphviz package)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")
SVG = "{http://www.w3.org/2000/svg}"


def dot_nodes(source: str) -> dict[str, str]:
    """node id -> its attribute text, from DOT source (one statement per line)."""
    return {m[1]: m[2] for m in re.finditer(r"^\s*(\w+) \[(.*?)\]$", source, re.M | re.S)
            if "->" not in m[0] and m[1] not in ("graph", "node", "edge")}


def dot_edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, re.M)


def one_neuron():
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 1), nn.Tanh())
    return model, model(tenkai.ones(1, 2))


def test_make_dot_uses_torchviz_conventions() -> None:
    model, y = one_neuron()
    src = viz.make_dot(y, params=dict(model.named_parameters())).source
    nodes, edges = dot_nodes(src), dot_edges(src)
    params = {k: v for k, v in nodes.items() if "lightblue" in v}
    assert sorted(re.search(r'label="(\S+)', v)[1] for v in params.values()) == \
        ["0.bias", "0.weight"]
    assert any("0.weight\n (1, 2)" in v for v in params.values())
    outputs = [k for k, v in nodes.items() if "darkolivegreen1" in v]
    assert len(outputs) == 1 and "(1, 1)" in nodes[outputs[0]]
    tanh = next(k for k, v in nodes.items() if "TanhBackward0" in v)
    assert (tanh, outputs[0]) in edges
    # every parameter reaches the output through AccumulateGrad and backward nodes
    g = nx.DiGraph(edges)
    for p in params:
        assert any("AccumulateGrad" in nodes[s] for s in g.successors(p))
        assert nx.has_path(g, p, outputs[0])


def test_make_dot_saved_tensors_and_attrs() -> None:
    model, y = one_neuron()
    src = viz.make_dot(y, params=dict(model.named_parameters()), show_saved=True,
                       show_attrs=True).source
    saved = {k: v for k, v in dot_nodes(src).items() if "orange" in v}
    assert any(v.startswith('label="result') for v in saved.values())  # tanh saves its output
    assert "dims: (1, 0)" in src  # the transpose's attribute
    assert re.search(r"\w+_saved_\w+ -> \w+ \[dir=none\]", src)


def test_make_dot_rejects_non_tensors() -> None:
    with pytest.raises(TypeError, match="make_dot: expected a tenkai Tensor"):
        viz.make_dot(np.ones(3))


@needs_dot
def test_make_dot_renders_svg(tmp_path) -> None:
    model, y = one_neuron()
    pic = viz.make_dot(y, params=dict(model.named_parameters()))
    path = pic.render(str(tmp_path / "one.svg"))
    root = ET.parse(path).getroot()
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")
              if g.get("class") == "node"]
    assert sorted(titles) == sorted(dot_nodes(pic.source))
    assert "<svg" in pic._repr_svg_()


def test_render_without_dot_names_the_program(tmp_path, monkeypatch) -> None:
    model, y = one_neuron()
    pic = viz.make_dot(y)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(viz.GraphvizMissingError, match=r"apt-get install graphviz.*brew"):
        pic.render(str(tmp_path / "x.svg"))
    assert not (tmp_path / "x.svg").exists()
    pic.render(str(tmp_path / "x.dot"))
    assert (tmp_path / "x.dot").read_text().startswith("digraph")
    with pytest.raises(ValueError, match="unknown picture format 'jpeg'"):
        pic.render(str(tmp_path / "x"), format="jpeg")
    assert pic.render(str(tmp_path / "net"), format="dot") == str(tmp_path / "net.dot")


@pytest.fixture(scope="module")
def traced():
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    x, y = tenkai.randn(5, 4), tenkai.randint(0, 3, (5,))
    step(x, y)  # momentum buffers exist: the trace records the steady step
    return tenkai.trace(step, x, y)


def test_draw_traced_colours_each_part(traced) -> None:
    src = viz.draw(traced).source
    for colour in viz._graph_dot.COLORS.values():
        assert colour in src
    parts = viz.parts(traced.graph)
    assert {"forward", "backward", "optimizer"} <= set(parts.values())
    assert 'label="f32[5,8]"' in src  # types on edges
    assert "write 0.weight" in src and "cluster_" not in src


def test_draw_lowered_has_kernel_clusters_and_memory(traced, tmp_path) -> None:
    lowered = traced.lower()
    pic = viz.draw(lowered, str(tmp_path / "fused.dot"))
    src = (tmp_path / "fused.dot").read_text()
    clusters = re.findall(r'subgraph cluster_(\d+) \{\s*color="#555555" fontsize=10 '
                          r'label="(\w+) \[(\w+)\]"', src)
    assert len(clusters) == len(lowered.program.kernels)
    assert {name for _, name, _ in clusters} == {k.name for k in lowered.program.kernels}
    assert "cluster_memory" in src and "memory plan: arena" in src
    assert pic.source == src.rstrip("\n") or pic.source == src


def test_graphml_and_json_round_trip(traced, tmp_path) -> None:
    g = traced.graph
    viz.to_graphml(traced, str(tmp_path / "g.graphml"))
    back = nx.read_graphml(str(tmp_path / "g.graphml"))
    assert back.number_of_nodes() == g.nx.number_of_nodes()
    ops = sorted(d["op"] for _, d in back.nodes(data=True))
    assert ops == sorted(g.op(n) for n in g.nodes())
    data = viz.to_json(traced.lower(), str(tmp_path / "g.json"))
    again = nx.node_link_graph(data, edges="edges")
    assert again.number_of_edges() == sum(len(g.operands(n)) for n in g.nodes()) or \
        again.number_of_nodes() > 0
    assert any(d["group"] >= 0 for _, d in again.nodes(data=True))


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids, self.tags, self.links, self.rows = set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("src", "href"):
            if a.get(key, "").startswith(("http", "//")):
                self.links.append(a[key])


def _train(kind: str, steps: int = 4, report_at: int = 2, tmp_path=None):
    """Losses, params, grads and momentum buffers after each step; compiled runs write a
    report (which times every kernel) after step ``report_at``."""
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    fn = step if kind == "eager" else tenkai.compile(step, backend=kind)
    x, y = tenkai.randn(5, 4), tenkai.randint(0, 3, (5,))
    history = []
    for k in range(steps):
        loss = fn(x, y)
        if k == report_at and kind != "eager":
            viz.report(fn, str(tmp_path / f"report-{kind}.html"))
        history.append((loss.item(), [p.detach().numpy().copy() for p in model.parameters()],
                        [p.grad.numpy().copy() for p in model.parameters()],
                        [opt.state[p]["momentum_buffer"].numpy().copy()
                         for p in model.parameters()]))
    return history


def test_report_of_a_training_step_leaves_training_unchanged(tmp_path) -> None:
    eager = _train("eager")
    for backend in ("tenkai", "interp"):
        got = _train(backend, tmp_path=tmp_path)
        for (l1, p1, g1, m1), (l2, p2, g2, m2) in zip(eager, got, strict=True):
            np.testing.assert_allclose(l2, l1, rtol=1e-5)
            for a, b in zip(p1 + g1 + m1, p2 + g2 + m2, strict=True):
                np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    page_text = (tmp_path / "report-tenkai.html").read_text()
    page = _Page()
    page.feed(page_text)
    assert {"summary", "graph", "stages", "groups", "memory", "kernels"} <= page.ids
    assert page.links == [] and "<script" not in page_text  # self-contained
    assert "memory-timeline" in page_text and "GFLOP/s" in page_text
    assert re.search(r"<td class=num>\d+\.\d</td><td class=num>\d+\.\d%</td>", page_text)
    if shutil.which("dot"):
        assert page.tags.count("svg") >= 2  # the graph and the memory timeline
    assert "No times" in (tmp_path / "report-interp.html").read_text()


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.mark.slow  # starting a browser takes seconds
def test_report_opens_in_a_headless_browser(traced, tmp_path) -> None:
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no headless browser (chromium) installed")
    path = viz.report(traced.lower(), str(tmp_path / "r.html"))
    shot = tmp_path / "shot.png"
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--dump-dom", f"--screenshot={shot}", "--window-size=1200,900",
                          f"file://{path}"], capture_output=True, text=True, timeout=120)
    dom = run.stdout
    assert "tenkai report: step" in dom and 'class="memory-timeline"' in dom
    assert "<table>" in dom


def _torch_graph(var, params):
    """What torchviz draws for a PyTorch tensor: parameter labels, AccumulateGrad count."""
    names = {id(v): k for k, v in params.items()}
    labels, accumulate, seen, stack = set(), 0, set(), [var.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        if hasattr(fn, "variable"):
            accumulate += 1
            labels.add(f"{names[id(fn.variable)]}\n ({', '.join(map(str, fn.variable.shape))})")
        stack.extend(f for f, _ in fn.next_functions)
    return labels, accumulate


def test_make_dot_matches_torchviz_on_pytorch() -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    want_labels, want_acc = _torch_graph(theirs(torch.ones(5, 3)).sum(),
                                         dict(theirs.named_parameters()))
    src = viz.make_dot(ours(tenkai.ones(5, 3)).sum(),
                       params=dict(ours.named_parameters())).source
    nodes = dot_nodes(src)
    got = {re.search(r'label="(.*?)"', v, re.S)[1] for v in nodes.values() if "lightblue" in v}
    assert got == want_labels
    assert sum('label=AccumulateGrad' in v for v in nodes.values()) == want_acc
    out = next(v for v in nodes.values() if "darkolivegreen1" in v)
    assert 'label="\n ()"' in out  # a 0-d output, unnamed, as torchviz labels it
