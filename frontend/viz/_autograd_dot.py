"""``make_dot``: the autograd graph behind a tensor, drawn with torchviz's conventions.

    model = nn.Sequential(nn.Linear(2, 1), nn.Tanh())
    y = model(torch.ones(1, 2))
    dot = tenkai.viz.make_dot(y, params=dict(model.named_parameters()))
    dot.render("one_neuron.svg")

Light blue: leaf tensors that require grad (named from ``params``, with their shapes), grey:
backward functions (``TanhBackward0``, ``AccumulateGrad``), orange: saved tensors
(``show_saved=True``), green: the output(s). Edges run from inputs towards the output, as
``grad_fn.next_functions`` links them.
"""

from __future__ import annotations

from typing import Any

from .._autograd import plan_for
from .._gradfn import AccumulateGrad, GradFn, display_name
from .._node import Node, collect
from ._render import Picture, graphviz_module

NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10",
             "ranksep": "0.1", "height": "0.2", "fontname": "monospace"}


def _size_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _attr_text(value: Any, max_chars: int) -> str:
    text = repr(value)
    return text if len(text) <= max_chars else text[:max_chars] + "..."


def make_dot(var: Any, params: dict[str, Any] | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50) -> Picture:
    """Draw the autograd graph of ``var`` (a tensor or a tuple/list of tensors).

    ``params`` names leaf tensors (``dict(model.named_parameters())``); ``show_attrs`` lists
    each backward function's attributes; ``show_saved`` draws the tensors its backward reads.

        >>> x = tenkai.ones(2, requires_grad=True)
        >>> 'MulBackward0' in make_dot((x * 2).sum(), params={"x": x}).source
        True
    """
    graphviz = graphviz_module()
    outputs = list(var) if isinstance(var, (tuple, list)) else [var]
    for k, t in enumerate(outputs):
        if not hasattr(t, "_node"):
            raise TypeError(f"make_dot: expected a tenkai Tensor (or a tuple of them), got "
                            f"{type(t).__name__} at position {k}")
    names = {id(t): name for name, t in (params or {}).items()}
    for name, t in (params or {}).items():
        if not hasattr(t, "_node"):
            raise TypeError(f"make_dot: params[{name!r}] is a {type(t).__name__}, expected a "
                            "Tensor (pass dict(model.named_parameters()))")
    dot = graphviz.Digraph(node_attr=NODE_ATTR, graph_attr={"size": "12,12"})
    _Walker(dot, names, show_attrs, show_saved, max_attr_chars).draw(outputs)
    _resize(dot)
    return Picture(dot)


class _Walker:
    def __init__(self, dot: Any, names: dict[int, str], show_attrs: bool, show_saved: bool,
                 max_attr_chars: int) -> None:
        self.dot, self.names = dot, names
        self.show_attrs, self.show_saved, self.max_chars = show_attrs, show_saved, max_attr_chars
        self.ids: dict[tuple[str, int], str] = {}
        self.drawn: set[str] = set()

    def node_id(self, kind: str, obj: Any) -> str:
        key = (kind, id(obj))
        if key not in self.ids:
            self.ids[key] = f"{kind}{len(self.ids)}"
        return self.ids[key]

    def var_label(self, tensor: Any, name: str | None = None) -> str:
        if name is None:
            name = self.names.get(id(tensor), "")
        return f"{name}\n {_size_str(tuple(tensor.shape))}"

    def draw(self, outputs: list[Any]) -> None:
        for t in outputs:
            out_id = self.node_id("out", t)
            self.dot.node(out_id, self.var_label(t), fillcolor="darkolivegreen1")
            fn = t.grad_fn
            if fn is not None:
                self.add_fn(fn)
                self.dot.edge(self.node_id("fn", fn._node), out_id)
            elif t.requires_grad:  # a leaf output: draw it as the parameter it is
                self.dot.node(out_id, self.var_label(t), fillcolor="darkolivegreen1")
        if self.show_saved:
            self.add_saved([t._node for t in outputs if t.grad_fn is not None])

    def add_fn(self, root: GradFn) -> None:
        stack: list[Any] = [root]
        while stack:
            fn = stack.pop()
            fid = self.node_id("fn", fn._node)
            if fid in self.drawn:
                continue
            self.drawn.add(fid)
            if isinstance(fn, AccumulateGrad):
                self.dot.node(fid, "AccumulateGrad")
                leaf = fn.variable
                if leaf is not None:
                    vid = self.node_id("var", fn._node)
                    self.dot.node(vid, self.var_label(leaf), fillcolor="lightblue")
                    self.dot.edge(vid, fid)
                continue
            self.dot.node(fid, self.fn_label(fn._node))
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    self.dot.edge(self.node_id("fn", nxt._node), fid)
                    stack.append(nxt)

    def fn_label(self, node: Node) -> str:
        label = display_name(node)
        if not self.show_attrs or not node.attrs:
            return label
        width = max(len(k) for k in node.attrs)
        lines = [f"{k.ljust(width)}: {_attr_text(v, self.max_chars)}"
                 for k, v in node.attrs.items()]
        return label + "\n" + "-" * max(len(x) for x in lines) + "\n" + "\n".join(lines)

    def add_saved(self, roots: list[Node]) -> None:
        """Orange nodes for the forward values each backward function reads (PyTorch's
        ``_saved_self``/``_saved_other``/``_saved_result``), linked without arrows."""
        order = collect(roots)
        leaves = [n for n in order if n.op is None and n.requires_grad]
        saved = plan_for(order, roots, leaves).saved
        for k, j in saved:
            node, dep = order[k], order[j]
            fid = self.ids.get(("fn", id(node)))
            if fid is None or dep.value is None and node.freed:
                continue
            if dep is node:
                role = "result"
            else:
                pos = next((i for i, x in enumerate(node.inputs) if x is dep), 0)
                role = ("self", "other")[pos] if pos < 2 else f"input{pos}"
            sid = f"{fid}_saved_{role}"
            shape = tuple(dep.value.shape) if dep.value is not None else ()
            self.dot.node(sid, f"{role}\n {_size_str(shape)}", fillcolor="orange")
            self.dot.edge(sid, fid, dir="none")


def _resize(dot: Any, size_per_element: float = 0.15, min_size: float = 12) -> None:
    """torchviz's resize_graph: grow the picture with the number of nodes."""
    num_rows = len(dot.body)
    content_size = num_rows * size_per_element
    size = max(min_size, content_size)
    dot.graph_attr.update(size=f"{size},{size}")
