"""``tenkai.autograd.Function``: custom forward/backward pairs written in Python.

    class Exp(tenkai.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)          # y.grad_fn is <ExpBackward object at ...>

``forward`` runs with gradient recording off. Each output gets an op-less node whose grad_fn
is the ``ctx`` object; the engine (``_autograd._run_with_functions``) stops its symbolic pass
at such nodes, calls ``backward`` with their gradients, and continues from the Function's
inputs. ``backward`` runs through the eager ops, so with ``create_graph=True`` its gradients
are recorded, and inside ``tenkai.compile`` it is traced into the step's graph like the rest
of the backward pass.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError

from .._gradfn import edge
from .._node import FREED_MESSAGE, GRAD_MODE, NODE_SEQ, Node
from .._ops import cast, tensor_of
from .._tensor import Tensor

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "InplaceFunction",
           "once_differentiable"]


class FunctionCtx:
    """What ``forward`` gets as ``ctx``: saves tensors and flags for ``backward``."""

    materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Tensor) -> None:
        raise NotImplementedError(
            "autograd.Function: ctx.mark_dirty (in-place forward) is not supported by tenkai; "
            "return a new tensor from forward instead of modifying an input")

    def mark_non_differentiable(self, *args: Tensor) -> None:
        self.non_differentiable = tuple(args)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx):
    """The ``ctx`` of one ``apply`` and the grad_fn of its outputs (``<NameBackward>``)."""

    _forward_cls: Any = None
    runs_user_backward = True  # how the engine tells these grad_fns from built-in ones

    def __init__(self) -> None:
        self.to_save: tuple = ()
        self.non_differentiable: tuple = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self._inputs: list[tuple[Node, tuple, str] | None] = []
        self._tensor_args: list[bool] = []
        self._outputs: list[tuple[tuple, str] | None] = []
        self._versions: list[int | None] = []
        self._freed = False
        self._seq = 0

    # ------------------------------------------------------------ grad_fn surface
    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        # one entry per tensor argument of forward, as PyTorch (a Python number has none)
        return tuple([edge(None if entry is None else entry[0])
                      for entry, tensor in zip(self._inputs, self._tensor_args, strict=True)
                      if tensor])

    @property
    def metadata(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def apply(self, *grads: Any) -> Any:
        """Call the user's backward (PyTorch's ``grad_fn.apply``)."""
        return self._forward_cls.backward(self, *grads)

    # ------------------------------------------------------------ saved tensors
    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        if self._freed:
            raise AutogradError(FREED_MESSAGE)
        for t, version in zip(self.to_save, self._versions, strict=True):
            if t is not None and version is not None and t._vc[0] != version:
                raise AutogradError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{t.type()} {list(t.shape)}] is at version "
                    f"{t._vc[0]}; expected version {version} instead. Hint: enable anomaly "
                    "detection to find the operation that failed to compute its gradient, "
                    "with torch.autograd.set_detect_anomaly(True).")
        return tuple(self.to_save)

    saved_variables = saved_tensors

    # ------------------------------------------------------------ the engine's entry point
    def _run_backward(self, grads: dict[int, Any], retain_graph: bool,
                      create_graph: bool) -> tuple[list[Node], list[Any]]:
        """Run the user's backward on the outputs' gradients; (input nodes, their grads)."""
        if self._freed:
            raise AutogradError(FREED_MESSAGE)
        args = []
        for k, meta in enumerate(self._outputs):
            g = grads.get(k)
            if g is None and meta is not None and self.materialize_grads:
                g = tensor_of(np.zeros(meta[0]), meta[1])
            elif g is not None and not isinstance(g, Tensor):
                g = Tensor._make(g)
            args.append(g)
        prev = GRAD_MODE.enabled
        GRAD_MODE.enabled = create_graph
        try:
            result = self._forward_cls.backward(self, *args)
        finally:
            GRAD_MODE.enabled = prev
        result = result if isinstance(result, tuple) else (result,)
        result = self._check_count(result)
        roots, seeds = [], []
        for k, (entry, g) in enumerate(zip(self._inputs, result, strict=True)):
            if entry is None or g is None:
                continue
            roots.append(entry[0])
            seeds.append(self._fit(k, g, entry[1], entry[2]))
        if not retain_graph:
            self._freed, self.to_save = True, ()
        return roots, seeds

    def _check_count(self, result: tuple) -> tuple:
        expected = len(self._inputs)
        if len(result) > expected and all(g is None for g in result[expected:]):
            result = result[:expected]  # PyTorch allows trailing Nones
        if len(result) != expected:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {expected}, got {len(result)})")
        return result

    def _fit(self, k: int, g: Any, shape: tuple, dtype: str) -> Tensor:
        """PyTorch's validate_outputs: sum a broadcast gradient down, cast to the input dtype."""
        if not isinstance(g, Tensor):
            raise TypeError(f"function {self.name()} returned a gradient different than None at "
                            f"position {k + 1}, but the corresponding forward input was not a "
                            "Variable")
        if tuple(g.shape) != shape:
            if not _expandable(shape, tuple(g.shape)):
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at "
                                   f"index {k} - got {list(g.shape)} but expected shape "
                                   f"compatible with {list(shape)}")
            lead = g.dim() - len(shape)
            if lead:
                g = g.sum(tuple(range(lead)))
            ones = tuple(d for d, n in enumerate(shape) if n == 1 and g.shape[d] != 1)
            if ones:
                g = g.sum(ones, keepdim=True)
        return cast(g, dtype)


def _expandable(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(a == b or a == 1 for a, b in zip(shape[::-1], target[::-1], strict=False))


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class of custom autograd operations: define static ``forward(ctx, *args)`` and
    ``backward(ctx, *grads)`` and call ``MyFunction.apply(*args)`` (see the module docs)."""

    generate_vmap_rule = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: https://pytorch.org/docs/stable/autograd"
                           ".html#torch.autograd.Function)")

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        prev = GRAD_MODE.enabled
        GRAD_MODE.enabled = False
        try:
            if cls.setup_context is not Function.setup_context:  # the "new style"
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_MODE.enabled = prev
        if not (prev and any(ctx.needs_input_grad)):
            return output
        return _connect(ctx, args, output)


InplaceFunction = Function


def _connect(ctx: BackwardCFunction, args: tuple, output: Any) -> Any:
    """Give the outputs grad_fn ``ctx`` and remember what ``backward`` will need."""
    ctx._inputs = [(a._grad_node(), tuple(a.shape), a._ir_dtype)
                   if isinstance(a, Tensor) and a.requires_grad else None for a in args]
    ctx._tensor_args = [isinstance(a, Tensor) for a in args]
    ctx._versions = [None if t is None else t._vc[0] for t in ctx.to_save]
    ctx._seq = NODE_SEQ[0]
    NODE_SEQ[0] += 1
    single = not isinstance(output, tuple)
    outs = [output] if single else list(output)
    frozen = {id(t) for t in ctx.non_differentiable}
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    for k, out in enumerate(outs):
        if not isinstance(out, Tensor):  # backward gets None for a non-tensor output
            ctx._outputs.append(None)
            continue
        ctx._outputs.append((tuple(out.shape), out._ir_dtype))
        if id(out) in frozen or out._data.dtype.kind != "f":
            continue
        if id(out) in inputs or out._node is not None:  # an input returned as is: a new alias
            alias = Tensor._make(out._data)
            alias._vc = out._vc
            out = outs[k] = alias
        node = Node(None, {"output_nr": k}, (), out._data, out._vc)
        node.fn = ctx
        out._node = node
    return outs[0] if single else tuple(outs)


def once_differentiable(fn: Any) -> Any:
    """Decorator for ``backward``: its gradients are not themselves differentiable."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        prev = GRAD_MODE.enabled
        GRAD_MODE.enabled = False
        try:
            return fn(ctx, *args)
        finally:
            GRAD_MODE.enabled = prev
    return wrapper
