"""Backward through the results of a replayed compiled function that has no backward inside.

    cf = tenkai.compile(lambda x, y: F.mse_loss(model(x), y))
    loss = cf(x, y)          # a replay: the compiled forward
    loss.backward()          # gradients into model's .grad, as eager

The call that traced ``cf`` ran eagerly, so its results carry the eager history. A replay runs
the compiled forward program only; each result it returns that requires grad gets an op-less
node whose grad_fn is a :class:`CompiledBackward` (``<CompiledFunctionBackward>``, PyTorch's
name for the grad_fn of a compiled forward). The autograd engine treats it as it treats an
``autograd.Function``'s grad_fn: it hands over the results' gradients and continues from the
function's inputs with what ``_run_backward`` returns, so the gradients accumulate into
``.grad`` of parameters and argument leaves (and flow on into an argument's own history)
exactly as in eager mode.

The gradients come from the traced forward graph differentiated symbolically with the IR's
autodiff pass (:class:`JointBackward`, built once per specialization at its first backward):
the joint graph recomputes the forward from the inputs the replay read (kept by reference,
with their version counters: an input modified in place before the backward raises eager's
error) and runs the backward nodes; it is compiled by the function's own backend (native code
for the CPU target, the reference executor for ``backend="interp"``). So what is saved per
replay is the references to its inputs, not the residuals (the backward recomputes the
forward).

Where the replay cannot reproduce eager's backward (a step that also writes state, an
``autograd.Function`` inside whose Python backward the graph does not contain), the result
raises a clear error instead (``_step.NO_HISTORY``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError

from ._gradfn import edge
from ._node import FREED_MESSAGE, NODE_SEQ, Node
from ._tensor import Tensor


class JointBackward:
    """The traced forward graph of a step differentiated for its results with history: the
    gradient of each differentiable input (argument or captured tensor) given the results'
    gradients, computed from the inputs' values by the reference executor."""

    def __init__(self, step: Any, results: list[int], wrt: list[str],
                 compile_graph: Any = None) -> None:
        from tenkai.ir.passes.autodiff import autodiff

        g = step.graph
        outs = [g.operands(g.outputs[k])[0] for k in results]
        self.wrt = wrt
        joint = autodiff(g, outs, [g.find(name) for name in wrt])
        self.graph, self.seeds, self.grads = joint.graph, joint.seeds, joint.grads
        self.seed_names = [self.graph.node_name(n) for n in self.seeds]
        self.first = len(g.outputs)  # the gradients follow the forward's outputs
        self.program = None if compile_graph is None else compile_graph(self.graph)

    def run(self, feeds: dict[str, Any], seeds: list[np.ndarray]) -> list[Any]:
        """The gradient of each differentiated input (None where the results do not depend
        on it), as new arrays."""
        feeds = {**feeds, **dict(zip(self.seed_names, seeds, strict=True))}
        if self.program is None:
            outputs = run_reference(self.graph, feeds)
        elif getattr(self.program, "by_node", False):
            outputs = self.program({self.graph.find(k): v for k, v in feeds.items()})
        else:
            outputs = self.program(feeds)
        values = iter(outputs[self.first:])
        return [None if gid is None else np.array(next(values), copy=True)
                for gid in self.grads]


class CompiledBackward:
    """The grad_fn of one replay's results (``<CompiledFunctionBackward object at ...>``)."""

    runs_user_backward = True  # the engine calls _run_backward, as for autograd.Function

    def __init__(self, step: Any, feeds: dict[str, Any], inputs: list[tuple[Tensor, int]],
                 roots: list[Node], outputs: list[tuple[tuple, Any]]) -> None:
        self._step, self._feeds, self._inputs = step, feeds, inputs
        self._roots, self._outputs = roots, outputs
        self._freed = False
        self._seq = NODE_SEQ[0]
        NODE_SEQ[0] += 1

    def name(self) -> str:
        return "CompiledFunctionBackward"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return tuple([edge(node) for node in self._roots])

    @property
    def metadata(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def _check_versions(self) -> None:
        """PyTorch's error when a saved input (``_inputs``: (tensor, version) pairs) was
        modified in place after the forward."""
        for tensor, version in self._inputs:
            if tensor is not None and tensor._vc[0] != version:
                raise AutogradError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{tensor.type()} {list(tensor.shape)}] is at "
                    f"version {tensor._vc[0]}; expected version {version} instead. Hint: "
                    "enable anomaly detection to find the operation that failed to compute "
                    "its gradient, with torch.autograd.set_detect_anomaly(True).")

    def _run_backward(self, grads: dict[int, Any], retain_graph: bool,
                      create_graph: bool) -> tuple[list[Node], list[Any]]:
        if self._freed:
            raise AutogradError(FREED_MESSAGE)
        if create_graph:
            raise NotImplementedError(
                "tenkai.compile: backward(create_graph=True) through the result of a replayed "
                "compiled function (higher-order gradients of a compiled forward) is not "
                "supported; call the function uncompiled for double backward")
        self._check_versions()
        seeds = []
        for k, (shape, dtype) in enumerate(self._outputs):
            g = grads.get(k)
            g = np.zeros(shape, dtype) if g is None else getattr(g, "_data", g)
            seeds.append(np.asarray(g, dtype=dtype))
        found = joint_backward(self._step).run(self._feeds, seeds)
        if not retain_graph:
            self._freed, self._feeds = True, {}
        roots, out = [], []
        for node, g in zip(self._roots, found, strict=True):
            if g is not None:
                roots.append(node)
                out.append(g)
        return roots, out


def joint_backward(step: Any) -> JointBackward:
    """The step's :class:`JointBackward` (built at the first backward through a replay)."""
    joint = step.aot.get("joint")
    if joint is None:
        joint = step.aot["joint"] = JointBackward(step, step.aot["results"], step.aot["wrt"],
                                                  step.aot.get("compile"))
    return joint


def connect(step: Any, args: tuple, feeds: dict[str, Any], values: list[Tensor]) -> None:
    """Give the replay's results listed in ``step.aot["results"]`` one CompiledBackward as
    grad_fn (in place in ``values``); ``feeds``: the buffers the replay read, by name."""
    scalars = set(step.scalars)
    kept = {name: (np.array(v, copy=True) if name in scalars or name not in step.aot["tensors"]
                   else v) for name, v in feeds.items()}
    inputs, roots = [], []
    for name, source in step.aot["sources"]:
        tensor = args[source] if isinstance(source, int) else source
        inputs.append((tensor, tensor._vc[0]))
        if name in step.aot["wrt"]:
            roots.append(tensor._grad_node())
    outputs = [(tuple(values[k].shape), values[k]._data.dtype) for k in step.aot["results"]]
    fn = CompiledBackward(step, kept, inputs, roots, outputs)
    for nr, k in enumerate(step.aot["results"]):
        t = values[k]
        node = Node(None, {"output_nr": nr}, (), t._data, t._vc)
        node.fn = fn
        t._node = node


def plan_aot(step: Any, args: tuple, sig: tuple, results: list[int]) -> dict[str, Any]:
    """What replays need to connect ``results`` (indices of result tensors): the tensors the
    replay reads by feed name (argument index or captured tensor), and which of them
    require grad (the differentiated inputs)."""
    sources: list[tuple[str, Any]] = []
    wrt: list[str] = []
    for name, k in step.io.feeds:
        sources.append((name, k))
        if sig[k][0] == "state" or (sig[k][0] == "tensor" and sig[k][3]):
            wrt.append(name)
    for name, tensor in step.captured:
        sources.append((name, tensor))
        if tensor.requires_grad:
            wrt.append(name)
    return {"results": results, "sources": sources, "wrt": wrt,
            "tensors": {name for name, _ in sources}}


def run_reference(g: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Every output of ``g`` by the reference executor, its inputs and params fed by name."""
    from tenkai.ir import Plan

    plan = Plan(g, g.outputs, set(g.inputs) | set(g.params))
    return plan.run({g.find(k): v for k, v in feeds.items()})
