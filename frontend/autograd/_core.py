"""The core of ``tenkai.autograd``: ``backward``, ``grad``, ``Variable``, grad-mode switches.

Gradients come from the symbolic autodiff pass (see ``_autograd.py``): there is no second,
tape-interpreting autograd.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError

from .. import _trace
from .._autograd import STATS, owned, run_backward
from .._indexing import inplace_update
from .._node import GRAD_MODE, is_grad_enabled
from .._ops import add, apply
from .._shape import densify
from .._tensor import Tensor

__all__ = ["Variable", "backward", "enable_grad", "grad", "is_grad_enabled", "no_grad",
           "set_grad_enabled", "STATS"]


class set_grad_enabled:
    """Context manager / decorator switching gradient recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.prev = GRAD_MODE.enabled
        self.mode = bool(mode)
        GRAD_MODE.enabled = self.mode

    def __enter__(self) -> None:
        GRAD_MODE.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        GRAD_MODE.enabled = self.prev

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with type(self)(self.mode):
                return fn(*args, **kwargs)
        return wrapped


class _GradSwitch:
    mode = True

    def __enter__(self) -> None:
        self.prev = GRAD_MODE.enabled
        GRAD_MODE.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        GRAD_MODE.enabled = self.prev

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)
        return wrapped


class no_grad(_GradSwitch):
    """``with tenkai.no_grad():`` records nothing (optimizer steps, evaluation)."""

    mode = False


class enable_grad(_GradSwitch):
    mode = True


class inference_mode(_GradSwitch):
    """``with tenkai.inference_mode():`` records nothing, as ``no_grad`` (tenkai has no
    separate inference tensors); ``tenkai.is_inference_mode_enabled()`` is True inside.
    ``inference_mode(False)`` changes nothing; ``@inference_mode`` decorates bare too."""

    mode = False
    depth = [0]

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # @tenkai.inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.active = bool(mode)

    def __enter__(self) -> None:
        if self.active:
            super().__enter__()
            inference_mode.depth[0] += 1

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            inference_mode.depth[0] -= 1
            super().__exit__(*exc)

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(self.active):
                return fn(*args, **kwargs)
        return wrapped


def is_inference_mode_enabled() -> bool:
    """True inside an enabled ``inference_mode`` block."""
    return inference_mode.depth[0] > 0


def _seeds(outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None) -> list[Any]:
    seeds = []
    for k, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[k]
        if g is None:
            if out.numel() != 1:
                raise AutogradError("grad can be implicitly created only for scalar outputs")
            seeds.append(_one(out._data))
        elif isinstance(g, Tensor):
            if tuple(g.shape) != tuple(out.shape):
                raise AutogradError(f"Mismatch in shape: grad_output[{k}] has a shape of "
                                    f"{g.shape} and output[{k}] has a shape of {out.shape}.")
            seeds.append(g if g.requires_grad else g._data.astype(out._data.dtype, copy=False))
        else:
            seeds.append(np.full(tuple(out.shape), g, dtype=out._data.dtype))
    return seeds


_ONES: dict[tuple, np.ndarray] = {}  # (shape, dtype) -> a one of them, copied for each seed


def _one(data: np.ndarray) -> np.ndarray:
    """A fresh one of ``data``'s shape (one element) and dtype: the implicit seed."""
    key = (data.shape, data.dtype)
    one = _ONES.get(key)
    if one is None:
        one = _ONES[key] = np.ones(data.shape, dtype=data.dtype)
    return one.copy()


def _check_outputs(outputs: Sequence[Tensor]) -> None:
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            raise AutogradError(f"element {k} of tensors does not require grad and does not "
                                "have a grad_fn")


def _leaves(order: Sequence[Any]) -> list[Any]:
    """Every node that receives a gradient: leaves requiring grad and retain_grad tensors."""
    return [n for n in order
            if (n.op is None and n.requires_grad and n.leaf is not None) or n.retain is not None]


# Whether the backward pass now running accumulates into every leaf's .grad (backward()
# without inputs=), as reentrant checkpointing (torch.utils.checkpoint) requires
ACCUMULATES_ALL = [True]


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    outputs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    _check_outputs(outputs)
    seeds = _seeds(outputs, grad_tensors)
    if inputs is not None:
        targets = [t._node for t in ([inputs] if isinstance(inputs, Tensor) else inputs)]
    else:
        targets = _leaves  # run_backward picks them from the subgraph it collects
    retain = create_graph if retain_graph is None else retain_graph
    if create_graph and inputs is None:
        warnings.warn(_CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    prev, ACCUMULATES_ALL[0] = ACCUMULATES_ALL[0], inputs is None
    try:
        targets, grads = run_backward([o._node for o in outputs], seeds, targets, retain,
                                      create_graph)
    finally:
        ACCUMULATES_ALL[0] = prev
    for node, g in zip(targets, grads, strict=True):
        if g is not None:
            owner = _accumulate(node, g, create_graph)
            hooks = {} if owner is None else owner.__dict__.get("_post_acc_hooks", {})
            for hook in list(hooks.values()):
                hook(owner)
    _run_final_callbacks()


def tensor_backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                    create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``loss.backward()``)."""
    backward([self], None if gradient is None else [gradient], retain_graph, create_graph,
             inputs=inputs)


tensor_backward.__name__, tensor_backward.__qualname__ = "backward", "Tensor.backward"

# Tensor methods (attached by _methods.py)
METHODS = {"backward": tensor_backward}


# Callbacks run once at the end of the current backward() (PyTorch's
# ``Variable._execution_engine.queue_callback``): DistributedDataParallel waits for its
# gradient all-reduces there.
_FINAL_CALLBACKS: list[Any] = []


def queue_callback(callback: Any) -> None:
    """Run ``callback()`` when the backward() now running has accumulated every gradient."""
    _FINAL_CALLBACKS.append(callback)


def _run_final_callbacks() -> None:
    if not _FINAL_CALLBACKS:
        return
    callbacks = list(_FINAL_CALLBACKS)
    _FINAL_CALLBACKS.clear()
    for callback in callbacks:
        callback()


_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using autograd.grad "
    "when creating the graph to avoid this. If you have to use this function, make sure to "
    "reset the .grad fields of your parameters to None after use to break the cycle and avoid "
    "the leak.")


def _accumulate(node: Any, g: Any, create_graph: bool) -> Any:
    """Add ``g`` into the owning tensor's ``.grad``; returns that tensor (None if gone)."""
    owner = node.leaf() if node.op is None and node.leaf is not None else (
        node.retain() if node.retain is not None else None)
    if owner is None:
        return None
    if not create_graph and type(g) is np.ndarray and _add_in_place(owner, g):
        return owner
    if type(g) is not np.ndarray and hasattr(g, "tk_device"):  # a GPU's gradient: copied
        g = Tensor._make(g.copy())
    elif not isinstance(g, Tensor):
        # a fresh copy (the plan's arrays may alias forward values or each other), already
        # in the parameter's layout when the layout contract below would ask for it
        order = "C" if owner._grad is None and owner._data.flags.c_contiguous else "K"
        if owned(g) and g.dtype == owner._data.dtype and (order == "K" or g.flags.c_contiguous):
            g = Tensor._make(g)  # made by the plan run, held by nothing else: no copy
        else:
            g = Tensor._make(np.array(g, dtype=owner._data.dtype, copy=True, order=order))
    elif not create_graph:
        g = g.detach()
    for hook in list(owner.__dict__.get("_grad_hooks", {}).values()):  # x.register_hook(fn)
        changed = hook(g)
        g = g if changed is None else changed
    if not owner.is_leaf and not owner._retains_grad:  # reached only for its hooks
        return owner
    if owner._grad is None and not g._data.flags.c_contiguous \
            and owner._data.flags.c_contiguous:
        # PyTorch's gradient layout contract: .grad is laid out like the parameter (so
        # optimizer state cloned from it is dense too)
        g = densify(apply("cast", (g,), name="CopyBackwards", dtype=g._ir_dtype))
    tracer = _trace.active()
    if tracer is not None:  # a compiled step guards on whether .grad existed
        tracer.touch_grad(owner, write=False)
    if owner._grad is None:
        if g.requires_grad:  # PyTorch's AccumulateGrad stores a copy of a recorded gradient
            g = apply("cast", (g,), name="CopyBackwards", dtype=g._ir_dtype)
        owner._grad = g
    elif create_graph or owner._grad.requires_grad:
        owner._grad = owner._grad + g
    elif tracer is not None:  # traced: accumulate through a recorded op
        inplace_update(owner._grad, add(owner._grad, g))
    else:
        owner._grad._data += g._data
        owner._grad._vc[0] += 1
    return owner


def _add_in_place(owner: Tensor, g: np.ndarray) -> bool:
    """The common accumulation of a training loop: ``g`` added straight into an existing,
    unrecorded ``.grad`` of its dtype, when no hook, trace or recorded ``.grad`` asks for the
    general path of :func:`_accumulate` (which would copy ``g`` into a tensor first)."""
    acc = owner._grad
    if acc is None or acc._node is not None or _trace.active() is not None:
        return False
    if not owner.is_leaf and not owner._retains_grad:
        return False
    extra = owner.__dict__
    if extra and extra.get("_grad_hooks"):
        return False
    data = acc._data
    if (type(data) is not np.ndarray or data.dtype != g.dtype or data.shape != g.shape
            or owner._data.dtype != g.dtype):
        return False
    data += g
    acc._vc[0] += 1
    return True


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    _check_outputs(outs)
    for k, t in enumerate(ins):
        if not t.requires_grad:
            raise AutogradError(f"One of the differentiated Tensors (index {k}) does not require "
                                "grad")
    retain = create_graph if retain_graph is None else retain_graph
    prev, ACCUMULATES_ALL[0] = ACCUMULATES_ALL[0], False
    try:
        _, grads = run_backward([o._node for o in outs], _seeds(outs, grad_outputs),
                                [t._node for t in ins], retain, create_graph)
    finally:
        ACCUMULATES_ALL[0] = prev
    result = []
    for k, (t, g) in enumerate(zip(ins, grads, strict=True)):
        if g is None:
            if materialize_grads:
                g = np.zeros(tuple(t.shape), dtype=t._data.dtype)
            elif not allow_unused:
                raise AutogradError(f"One of the differentiated Tensors (index {k}) appears to "
                                    "not have been used in the graph. Set allow_unused=True if "
                                    "this is the desired behavior.")
        result.append(g if g is None or isinstance(g, Tensor) else Tensor._make(g))
    return tuple(result)


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """The pre-0.4 wrapper: now just the tensor itself (with requires_grad set if asked)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


leaves = _leaves  # the public name for the compiled backward (frontend/_step.py)


leaves = _leaves  # the public name for the compiled backward (frontend/_step.py)
