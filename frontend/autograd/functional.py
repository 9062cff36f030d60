"""``tenkai.autograd.functional``: Jacobians, Hessians and their products with vectors.

Everything is built on :func:`tenkai.autograd.grad` (the symbolic backward graph), as in
PyTorch: ``jvp`` and ``hvp`` use the double-backward trick, a Jacobian is one backward pass
per output element with a one-hot ``grad_outputs`` (the same graph structure each time, so
the derived backward graph is built once and replayed)::

    jacobian(lambda x: x ** 2, tenkai.tensor([1., 2.]))   # tensor([[2., 0.], [0., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._creation import zeros_like
from .._ops import tensor_of
from .._shape import stack
from .._tensor import Tensor
from ._core import enable_grad, grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(value: Any, what: str, fn_name: str) -> tuple[bool, tuple[Tensor, ...]]:
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    for k, item in enumerate(items):
        if not isinstance(item, Tensor):
            if is_tuple:
                raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a "
                                f"tuple of Tensors but the value at index {k} has type "
                                f"{type(item)}.")
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but the given {what} has type {type(item)}.")
    return is_tuple, items


def _outputs(func: Callable, inputs: tuple[Tensor, ...], fn_name: str) -> tuple[bool, tuple]:
    out = func(*inputs)
    is_tuple = isinstance(out, (tuple, list))
    items = tuple(out) if is_tuple else (out,)
    for k, item in enumerate(items):
        if not isinstance(item, Tensor):
            if is_tuple:
                raise TypeError(f"The outputs of the user-provided function given to {fn_name} "
                                "must be either a Tensor or a tuple of Tensors but the value "
                                f"at index {k} has type {type(item)}.")
            raise TypeError(f"The outputs of the user-provided function given to {fn_name} "
                            "must be either a Tensor or a tuple of Tensors but the given "
                            f"outputs of the user-provided function has type {type(out)}.")
    return is_tuple, items


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Inputs that require grad; with ``create_graph`` they stay connected to their history."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t * 1)  # a differentiable alias (PyTorch uses view_as)
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _finish(values: tuple, create_graph: bool) -> tuple:
    return tuple(v if v is None or create_graph else v.detach() for v in values)


def _grads(outputs: tuple, inputs: tuple, grad_outputs: Any, create_graph: bool,
           strict: bool, stage: str) -> tuple[Tensor, ...]:
    """``autograd.grad`` with unused inputs as zeros (or PyTorch's strict-mode error)."""
    wanted = [o for o in outputs if o.requires_grad]
    seeds = None if grad_outputs is None else [g for o, g in zip(outputs, grad_outputs,
                                                                 strict=True) if o.requires_grad]
    if wanted:
        found = grad(wanted, inputs, seeds, retain_graph=True, create_graph=create_graph,
                     allow_unused=True)
    else:
        found = (None,) * len(inputs)
    result = []
    for k, (g, t) in enumerate(zip(found, inputs, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT[stage].format(k))
            g = zeros_like(t)
        result.append(g)
    return tuple(result)


_STRICT = {
    "back": "The output of the user-provided function is independent of input {}. This is not "
            "allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {}. "
                   "This is not allowed in strict mode.",
}


def _check_v(v: Any, like: tuple[Tensor, ...], fn_name: str, of: str) -> tuple[Tensor, ...]:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {of} a single Tensor "
                               "with a single element.")
        return (tensor_of(np.ones(tuple(like[0].shape)), like[0]._ir_dtype),)
    _, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(like):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                           f"{len(vs)}.")
    for k, (a, b) in enumerate(zip(vs, like, strict=True)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Entry {k} in v has invalid size: should be {b.size()} but got "
                               f"{a.size()}.")
    return vs


def _unpack(is_tuple: bool, values: tuple) -> Any:
    return values if is_tuple else values[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _prepare(ins, create_graph)
        out_tuple, outs = _outputs(func, ins, "vjp")
        vs = _check_v(v, outs, "vjp", "user-provided function returns")
        result = _grads(outs, ins, vs, create_graph, strict, "back")
    return (_unpack(out_tuple, _finish(outs, create_graph)),
            _unpack(in_tuple, _finish(result, create_graph)))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product (double-backward trick)."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _prepare(ins, create_graph)
        vs = _check_v(v, ins, "jvp", "input to the user-provided function is")
        out_tuple, outs = _outputs(func, ins, "jvp")
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        back = _grads(outs, ins, dummies, True, strict, "back")
        result = _grads(back, dummies, vs, create_graph, strict, "double_back")
    return (_unpack(out_tuple, _finish(outs, create_graph)),
            _unpack(out_tuple, _finish(result, create_graph)))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian: ``out.shape + in.shape`` per (output, input) pair, nested like PyTorch's.

    ``vectorize`` is accepted (the rows are computed one backward pass each either way)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or '
                             '"reverse-mode". Hint: If your function has more outputs than '
                             'inputs, "forward-mode" tends to be more performant. Otherwise, '
                             'prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-"
                                  "mode\"` is only implemented with `vectorize=True`")
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _prepare(ins, create_graph)
        out_tuple, outs = _outputs(func, ins, "jacobian")
        table = [_jacobian_rows(out, ins, create_graph, strict) for out in outs]
    table = [tuple(_finish(row, create_graph)) for row in table]
    if out_tuple:
        return tuple(_unpack(in_tuple, row) for row in table)
    return _unpack(in_tuple, table[0])


def _jacobian_rows(out: Tensor, ins: tuple[Tensor, ...], create_graph: bool,
                   strict: bool) -> tuple[Tensor, ...]:
    """d out / d in for every input: one backward pass per element of ``out``."""
    rows: list[list[Tensor]] = [[] for _ in ins]
    n = out.numel()
    for j in range(n):
        basis = np.zeros(n)
        basis[j] = 1.0
        seed = tensor_of(basis.reshape(tuple(out.shape)), out._ir_dtype)
        for k, g in enumerate(_grads((out,), ins, (seed,), create_graph, strict, "back")):
            rows[k].append(g)
    result = []
    for k, t in enumerate(ins):
        if n == 0:
            result.append(zeros_like(t).reshape(*out.shape, *t.shape))
        else:
            result.append(stack(rows[k]).reshape(*out.shape, *t.shape))
    return tuple(result)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: ``in.shape + in.shape`` (nested per input pair)."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*args: Tensor) -> Tensor:
        out = func(*args)
        if isinstance(out, (tuple, list)) or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def gradient(*args: Tensor) -> tuple[Tensor, ...]:
        return jacobian(scalar, args, create_graph=True, strict=strict)

    table = jacobian(gradient, ins, create_graph=create_graph, strict=strict,
                     vectorize=vectorize, strategy=outer_jacobian_strategy)
    return table if in_tuple else table[0][0]


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a scalar function."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vhp")
        ins = _prepare(ins, create_graph)
        vs = _check_v(v, ins, "vhp", "input to the user-provided function is")
        out = _scalar_output(func, ins, "vhp")
        jac = _grads((out,), ins, None, True, strict, "back")
        result = _grads(jac, ins, vs, create_graph, strict, "double_back")
    return _finish((out,), create_graph)[0], _unpack(in_tuple, _finish(result, create_graph))


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar function (double-backward trick)."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "hvp")
        ins = _prepare(ins, create_graph)
        vs = _check_v(v, ins, "hvp", "input to the user-provided function is")
        out = _scalar_output(func, ins, "hvp")
        jac = _grads((out,), ins, None, True, strict, "back")
        dummies = tuple(zeros_like(t).requires_grad_(True) for t in ins)
        back = _grads(jac, ins, dummies, True, strict, "double_back")
        result = _grads(back, dummies, vs, create_graph, strict, "double_back")
    return _finish((out,), create_graph)[0], _unpack(in_tuple, _finish(result, create_graph))


def _scalar_output(func: Callable, ins: tuple[Tensor, ...], fn_name: str) -> Tensor:
    is_tuple, outs = _outputs(func, ins, fn_name)
    if is_tuple and len(outs) != 1:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    return outs[0]
