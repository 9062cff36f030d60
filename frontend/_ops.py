"""Eager execution of registry ops, and the elementwise / reduction / contraction functions of
the ``tenkai`` namespace (``tenkai.add``, ``tenkai.sum``, ``tenkai.matmul``, ...).

Every function applies PyTorch's argument conventions and type promotion, then calls
:func:`apply`, which checks the op's shape/dtype rules (the source of the error messages),
runs its numpy reference and records it for autograd.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.ir import REGISTRY
from tenkai.ir.dtypes import from_numpy, is_float, to_numpy

from . import _eager_fast, _profiling, _trace
from ._dtype import get_default_dtype, result_type, scalar_dtype
from ._node import GRAD_MODE, Node, bind
from ._tensor import Tensor

VIEW_OPS = frozenset({"reshape", "permute", "expand", "slice"})


# Per-signature cache: key (op, attrs, their types (1, 1.0 and True are equal and hash alike),
# operand shapes and dtypes) -> (opdef, full attrs, run,
# whether the result can carry a gradient, whether the result may be a view of operand 0).
_CHECKED: dict[tuple, tuple[Any, dict[str, Any], Any, bool, bool]] = {}

# Eager kernel providers: ``provider(op, opdef, attrs, datas) -> run | None``, asked once per
# signature (op, attrs, operand shapes and dtypes) by :func:`_check`; the first ``run`` given
# (called like ``opdef.reference(*datas, **attrs)``, returning the same array) replaces the
# numpy reference for that signature. The reference stays the oracle: a provider only takes
# signatures its kernels compute exactly as the reference does.
EAGER_PROVIDERS: list[Any] = []

# Set (``_cuda_tensor.apply``) once a tensor lives on a GPU: ops with a cuda operand run there;
# it returns None for an op whose operands are all on the CPU.
DEVICE_APPLY: list[Any] = [None]

_new_tensor = object.__new__
_TRACER = _trace._LOCAL  # ``_TRACER.tracer`` is ``_trace.active()``, read without a call
_PROFILER = _profiling.ACTIVE


def _check(op: str, datas: list[np.ndarray], attrs: dict[str, Any]) -> tuple:
    """Run the op's rules (they raise PyTorch-style errors); return (opdef, full attrs, the
    function that computes it: a provider's kernel, else the numpy reference, whether its
    result can require grad, whether it may be a view of the first operand)."""
    opdef = REGISTRY[op]
    full = opdef.normalize_attrs(attrs)
    opdef.shape_rule([d.shape for d in datas], full)
    opdef.dtype_rule([from_numpy(d.dtype) for d in datas], full)
    run = opdef.reference
    for provider in EAGER_PROVIDERS:
        found = provider(op, opdef, full, datas)
        if found is not None:
            run = found
            break
    else:
        if opdef.ufunc is not None and all(d.ndim for d in datas) and datas[0].dtype == \
                datas[-1].dtype:  # (add, sub, mul) the reference's one ufunc call: an array
            run = opdef.ufunc  # of the operands' dtype (the wrapper only converts scalars)
        elif op == "matmul" and datas[0].ndim >= 2 and datas[1].ndim >= 2:
            run = np.matmul  # the reference's call: of matrices, an array (no np.asarray)
    return opdef, full, run, opdef.vjp is not None, op in VIEW_OPS


def apply(op: str, inputs: Sequence[Tensor], name: str | None = None, **attrs: Any) -> Tensor:
    """Run registry op ``op`` eagerly on tensors; ``name`` is the grad_fn name to show.

    The op's shape/dtype rules run once per signature (op, attrs, operand shapes and dtypes)
    and are cached: a training loop pays for them on its first step only. A cache hit skips
    the rules only: the same signature passes the same checks."""
    tracer = _TRACER.tracer
    if tracer is not None and tracer.profile_hook is not None:  # no user code runs below
        return _trace.without_profile_hook(tracer, apply, op, inputs, name, **attrs)
    if DEVICE_APPLY[0] is not None:
        on_device = DEVICE_APPLY[0](op, inputs, [t._data for t in inputs], name, attrs)
        if on_device is not None:
            return on_device
    n = len(inputs)
    history = True  # whether an input has an autograd node (when False: no node is made)
    try:
        if n == 1:
            d = inputs[0]._data
            history = inputs[0]._node is not None
            datas: Any = (d,)
            key = ((op, *attrs.items(), *map(type, attrs.values()), d.shape, d.dtype)
                   if attrs else (op, d.shape, d.dtype))
        elif n == 2:
            t0, t1 = inputs
            d, e = t0._data, t1._data
            history = t0._node is not None or t1._node is not None
            datas = (d, e)
            key = ((op, *attrs.items(), *map(type, attrs.values()), d.shape, d.dtype, e.shape,
                    e.dtype) if attrs else (op, d.shape, d.dtype, e.shape, e.dtype))
        else:
            datas = [t._data for t in inputs]
            key = (op, *attrs.items(), *map(type, attrs.values()),
                   *[(d.shape, d.dtype) for d in datas])
        checked = _CHECKED.get(key)
    except TypeError:  # an unhashable attr value: check every time
        key, checked = None, None
    if checked is None:
        deferred = _trace.DEFERRED_KERNELS[0]
        checked = _check(op, list(datas), attrs)
        if key is not None and not _trace.deferred_since(deferred):  # else ask again later
            if len(_CHECKED) > 65536:
                _CHECKED.clear()
            _CHECKED[key] = checked
    opdef, attrs, run, grad_able, view = checked
    # numpy's floating-point warnings from the references are silenced by a filter scoped
    # to tenkai.ir (see tenkai/__init__.py): overflow gives inf like PyTorch, no warning
    if _PROFILER[0] is None:
        out = run(*datas, **attrs) if attrs else run(*datas)
    else:
        event = _profiling.op_begin(op, datas)
        out = run(*datas, **attrs)
        _profiling.op_end(event, out)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    node = None
    if history and grad_able and GRAD_MODE.enabled:
        for t in inputs:
            src = t._node
            if src is not None and src.requires_grad:
                if out.dtype.kind == "f":
                    node = Node(op, attrs, tuple([i._node if i._node is not None else
                                                  i._grad_node() for i in inputs]), out, [0])
                    if name is not None:
                        node.name = name
                break
    t = _new_tensor(Tensor)
    t._data, t._node, t._vc, t._base, t._grad, t._retains_grad = out, node, [0], None, None, False
    if node is not None:
        bind(node, t)
    if view and np.may_share_memory(out, datas[0]):
        base = inputs[0]
        t._base = base._base if base._base is not None else base
        t._vc = base._vc
        if node is not None:
            bind(node, t)
    if tracer is not None:
        tracer.record_apply(op, inputs, attrs, t)
    return t


def tensor_of(value: Any, dtype: str) -> Tensor:
    """A constant tensor (no grad) from a Python scalar or array."""
    if isinstance(value, _trace.TracedScalar):  # a runtime scalar: not baked in
        t = Tensor._make(np.asarray(float.__float__(value), dtype=to_numpy(dtype)))
    else:
        t = Tensor._make(np.asarray(value, dtype=to_numpy(dtype)))
    tracer = _trace.active()
    if tracer is not None:
        if isinstance(value, _trace.TracedScalar):
            tracer.scalar(t, value, dtype)
        else:
            tracer.const(t)
    return t


def cast(t: Tensor, dtype: str) -> Tensor:
    if t._ir_dtype == dtype:
        return t
    return apply("cast", (t,), name="ToCopyBackward0", dtype=dtype)


def promote(*args: Any) -> tuple[list[Tensor], str]:
    """Apply PyTorch's result-type rule to tensors and Python scalars; cast them all to it."""
    if len(args) == 2:  # the common cases, without building the general tables
        a, b = args
        if isinstance(a, Tensor):
            dt = a._data.dtype
            if isinstance(b, Tensor):
                if b._data.dtype == dt:
                    return [a, b], from_numpy(dt)
            elif (type(b) is float and dt.kind == "f") or (type(b) is int and dt.kind in "fiu"):
                name = from_numpy(dt)
                return [a, tensor_of(b, name)], name
    args = tuple(Tensor._make(a) if isinstance(a, np.ndarray) else a for a in args)
    if builtins.all(isinstance(a, Tensor) for a in args):
        first = args[0]._data.dtype
        if builtins.all(a._data.dtype == first for a in args):
            return list(args), from_numpy(first)
    items = []
    for a in args:
        if isinstance(a, Tensor):
            items.append((a._ir_dtype, 2 if a._data.ndim else 1))
        elif isinstance(a, (bool, int, float, np.number, np.bool_)):
            items.append((scalar_dtype(a), 0))
        else:
            raise TypeError(f"expected Tensor or number as operand, got {type(a).__name__}")
    dt = result_type(items)
    return [cast(a, dt) if isinstance(a, Tensor) else tensor_of(a, dt) for a in args], dt


def _floating(t: Tensor) -> Tensor:
    """Integer inputs of float-only math are computed in the default float dtype (PyTorch)."""
    return t if t._data.dtype.kind == "f" else cast(t, get_default_dtype().name)


def type_name(x: Any) -> str:
    """A value's type as PyTorch's argument parser spells it (``NoneType``, ``numpy.ndarray``)."""
    kind = type(x)
    return kind.__qualname__ if kind.__module__ == "builtins" else (
        f"{kind.__module__}.{kind.__qualname__}")


def check_tensor(x: Any, op: str, name: str = "input", position: int = 1) -> Tensor:
    """``x`` if it is a Tensor, else PyTorch's TypeError for a non-tensor argument:
    ``linear(): argument 'input' (position 1) must be Tensor, not NoneType``."""
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{type_name(x)}")


def as_tensor_arg(x: Any, op: str | None = None) -> Tensor:
    """``x`` as a tensor (Python numbers become 0-d tensors); other values raise a TypeError
    naming ``op`` when given."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float)):
        return tensor_of(x, scalar_dtype(x))
    if op is not None:
        return check_tensor(x, op)
    raise TypeError(f"expected a Tensor, got {type_name(x)}")


# ---------------------------------------------------------------- elementwise


def _unary(op: str, float_only: bool):
    def fn(input: Tensor) -> Tensor:
        x = input if type(input) is Tensor else as_tensor_arg(input, op)
        if float_only and x._data.dtype.kind != "f":
            x = cast(x, get_default_dtype().name)  # _floating
        return apply(op, (x,))
    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op} (``tenkai.{op}(x)``)."
    return fn


exp, log, log1p, expm1 = (_unary(o, True) for o in ("exp", "log", "log1p", "expm1"))
sqrt, rsqrt, sin, cos = (_unary(o, True) for o in ("sqrt", "rsqrt", "sin", "cos"))
tanh, sigmoid, erf, reciprocal = (_unary(o, True) for o in ("tanh", "sigmoid", "erf", "reciprocal"))
neg, abs, sign, relu = (_unary(o, False) for o in ("neg", "abs", "sign", "relu"))
floor, ceil, round, trunc = (_unary(o, False) for o in ("floor", "ceil", "round", "trunc"))
negative, absolute = neg, abs


def logical_not(input: Tensor) -> Tensor:
    return apply("logical_not", (input,))


def _binary(op: str, name: str):
    def fn(input: Any, other: Any) -> Tensor:
        (a, b), _ = promote(input, other)
        return apply(op, (a, b), name=name)
    fn.__name__ = op
    return fn


mul = multiply = _binary("mul", "MulBackward0")
maximum = _binary("maximum", "MaximumBackward0")
minimum = _binary("minimum", "MinimumBackward0")
eq, ne, lt, le, gt, ge = (_binary(o, "") for o in ("eq", "ne", "lt", "le", "gt", "ge"))
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    return apply("logical_and", (as_tensor_arg(input), as_tensor_arg(other)))


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    return apply("logical_or", (as_tensor_arg(input), as_tensor_arg(other)))


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha != 1:
        return _alpha_edges(add(input, mul(other, alpha)), input, other)
    (a, b), _ = promote(input, other)
    return apply("add", (a, b), name="AddBackward0")


def _alpha_edges(out: Tensor, input: Any, other: Any) -> Tensor:
    """``add``/``sub`` with ``alpha``: PyTorch's one node has edges to ``input`` and ``other``
    (not to the ``other * alpha`` tenkai records); a Python number's edge is None."""
    node = out._node
    if node is not None and node.op is not None:
        node.shown = [t._node if isinstance(t, Tensor) else None for t in (input, other)]
    return out


def _is_bool(x: Any) -> bool:
    return isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    bool_input, bool_other = _is_bool(input), _is_bool(other)
    if bool_input and bool_other:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if bool_input or bool_other:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1:
        return _alpha_edges(sub(input, mul(other, alpha)), input, other)
    (a, b), dt = promote(input, other)
    return apply("sub", (a, b), name="SubBackward0")


subtract = sub


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    (a, b), dt = promote(input, other)
    if rounding_mode is None:
        if not is_float(dt):
            a, b = cast(a, get_default_dtype().name), cast(b, get_default_dtype().name)
        return apply("div", (a, b), name="DivBackward0")
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    _check_integer_division(f"div_{rounding_mode}_cpu", dt, b)
    q = div(cast(a, "float64") if not is_float(dt) else a, b)
    q = floor(q) if rounding_mode == "floor" else trunc(q)
    return cast(q, dt)


def _check_integer_division(kernel: str, dt: str, divisor: Tensor) -> None:
    """PyTorch refuses bool operands and raises on an integer division by zero."""
    if dt == "bool":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if not is_float(dt) and not np.all(divisor._data):
        raise RuntimeError("ZeroDivisionError")


true_divide = divide = div


def floor_divide(input: Any, other: Any) -> Tensor:
    return div(input, other, rounding_mode="floor")


def remainder(input: Any, other: Any) -> Tensor:
    (a, b), dt = promote(input, other)
    _check_integer_division("remainder_cpu", dt, b)
    xd, yd = a._data, b._data
    if (xd.shape == yd.shape or xd.ndim == 0 or yd.ndim == 0) and _eager_fast.plain_float(a, b):
        with np.errstate(all="ignore"):  # the composite below, in its order and dtype
            return _eager_fast.result(xd - np.floor(xd / yd) * yd, fresh=True)
    out = sub(a, mul(floor_divide(a, b), b))
    if out._node is not None:  # PyTorch's one node on its tensor inputs (as _shape.named)
        out._node.name = "RemainderBackward1" if isinstance(other, Tensor) else \
            "RemainderBackward0"
        out._node.shown = [t._node for t in (input, other) if isinstance(t, Tensor)]
    return out


def pow(input: Any, exponent: Any) -> Tensor:
    (a, b), dt = promote(input, exponent)
    if dt == "bool":
        if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
            return cast(pow(cast(input, "int64"), int(exponent)), "bool")  # pow(Tensor, Scalar)
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if not isinstance(input, Tensor):
        name = "PowBackward2"
    else:
        name = "PowBackward1" if isinstance(exponent, Tensor) else "PowBackward0"
    return scalar_overload(apply("pow", (a, b), name=name), input, a, exponent, b)


def scalar_overload(out: Tensor, input: Any, a: Tensor, other: Any, b: Tensor) -> Tensor:
    """PyTorch's ``Scalar`` overloads (``pow(x, 2)``, ``pow(2, x)``, ``fmod(x, 2)`` ...) have
    no backward edge for the Python number: ``grad_fn.next_functions`` shows the tensor's only
    (``a``/``b``: the operands as recorded, ``input``/``other``: as the user passed them)."""
    node = out._node
    if node is not None and node.op is not None and not (
            isinstance(input, Tensor) and isinstance(other, Tensor)):
        node.shown = [a._node if isinstance(input, Tensor) else b._node]
    return out


def square(input: Tensor) -> Tensor:
    return pow(input, 2)


def is_tensor(obj: Any) -> bool:
    """True for tenkai tensors (``tenkai.is_tensor(x)``)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an (N, ndim) int64 tensor, or one tensor per dim."""
    data = input._data
    if not as_tuple and type(data) is np.ndarray:  # (N, ndim) in one call
        if not data.ndim:  # PyTorch: (1, 0) for a non-zero scalar, (0, 0) for zero
            return Tensor._make(np.zeros((int(data != 0), 0), np.int64))
        return Tensor._make(np.argwhere(data).astype(np.int64, copy=False))
    found = np.nonzero(np.atleast_1d(data))
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64)) for a in found)
    out = np.stack(found, axis=1) if found else np.zeros((0, 0))
    return Tensor._make(out.astype(np.int64).reshape(-1, input.ndim))


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``where(cond, x, y)`` picks elementwise; ``where(cond)`` is ``nonzero(cond, as_tuple=1)``."""
    if input is None and other is None:
        return nonzero(as_tensor_arg(condition), as_tuple=True)
    (a, b), _ = promote(input, other)
    cond = as_tensor_arg(condition)
    if cond._ir_dtype != "bool":
        cond = cast(cond, "bool")
    return apply("where", (cond, a, b), name="WhereBackward0")


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    x = input
    if (isinstance(min, float) or isinstance(max, float)) and not input.is_floating_point():
        x = cast(x, get_default_dtype().name)
    return apply("clamp", (x,), name="ClampBackward1", min=min, max=max)


clip = clamp


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    v = value if isinstance(value, Tensor) else tensor_of(value, input._ir_dtype)
    out = where(mask, cast(v, input._ir_dtype), input)
    node = out._node
    if node is not None and node.op is not None:
        # one PyTorch node on (input[, value]): see _shape.named (which imports this module)
        tensor_value = isinstance(value, Tensor)
        node.name = "MaskedFillBackward1" if tensor_value else "MaskedFillBackward0"
        node.shown = (input._node, value._node) if tensor_value else (input._node,)
    return out


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    return Tensor._make(np.isclose(input._data, other._data, rtol, atol, equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    return bool(np.allclose(input._data, other._data, rtol, atol, equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return apply("cast", (input,), name="CloneBackward0", dtype=input._ir_dtype)



from ._native_eager import install as _install_native  # noqa: E402 -- docs/eager.md

_install_native(EAGER_PROVIDERS)  # eager ops on generated kernels
