"""Test cases for every op in ``tenkai.ir.REGISTRY``: one ``OpCase`` entry per op.

``tests/ir/test_registry.py`` enumerates the registry and fails, naming the op, when an op has
neither an entry in ``CASES`` nor a reason in ``EXEMPT``. To cover a new op, add ONE entry:

    OpCase("exp", UNARY, torch=_t("exp")),

* ``samples``: operand shapes plus attrs, built with ``S(*shapes, **attrs)``. An attr whose
  value is ``DTYPE`` becomes the case dtype; ``attrs_fn=`` computes attrs from the dtype.
  ``only=`` limits a sample to some dtypes, ``grad=False`` leaves it out of gradient checks,
  ``domain=`` overrides the case domain.
* ``torch``: ``fn(torch, *tensors, **attrs) -> Tensor`` computing the same thing, or ``None``
  with a ``note`` saying why there is nothing to compare with (random ops).
* ``dtypes``: the dtypes of the ``"x"`` operands in forward tests; gradients use float64.
* ``args``: one kind per operand (default: all ``"x"``), see ``KINDS`` below.
* ``domain``: where ``"x"`` values are drawn from (one name, or one per operand), see ``DOMAINS``.
* ``grad``: ``None`` derives it from the op (``vjp is None`` -> ``"nondiff"``, else ``"fd"``);
  ``"zero"`` means the gradient must be exactly zero (floor, sign), ``"none"`` that the VJP
  gives no gradient to any float input (random ops), ``"ignored"`` that the VJP is zero by
  PyTorch's convention where finite differences are not (arbitrary bases), ``"raises"`` that
  differentiating raises PyTorch's RuntimeError.
* ``broadcast``: add ``TENKAI_TEST_CASES``-capped random broadcastable shape samples.
* ``tol``: per-dtype ``(rtol, atol)`` overrides for the forward comparison.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenkai.ir import index_rules
from tenkai.ir.ops import REGISTRY

Shape = tuple[int, ...]

F = ("float32", "float64")
INT = ("int64", "int32")
FI = F + INT
FIB = FI + ("bool",)
DTYPE = "<case dtype>"  # attr placeholder replaced by the dtype under test


@dataclass(frozen=True)
class Sample:
    shapes: tuple[Shape, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    attrs_fn: Callable[[str], dict[str, Any]] | None = None
    only: tuple[str, ...] | None = None  # dtypes this sample applies to (None: all)
    grad: bool = True  # include in gradient checks
    domain: str | None = None  # overrides the case's domain for every "x" operand

    def attrs_for(self, dtype: str) -> dict[str, Any]:
        if self.attrs_fn is not None:
            return self.attrs_fn(dtype)
        return {k: dtype if v is DTYPE else v for k, v in self.attrs.items()}


def S(*shapes: Shape, only: tuple[str, ...] | None = None, grad: bool = True,
      attrs_fn: Callable[[str], dict[str, Any]] | None = None, domain: str | None = None,
      **attrs: Any) -> Sample:
    return Sample(tuple(tuple(s) for s in shapes), attrs, attrs_fn, only, grad, domain)


@dataclass(frozen=True)
class OpCase:
    op: str
    samples: tuple[Sample, ...]
    torch: Callable[..., Any] | None
    dtypes: tuple[str, ...] = F
    args: tuple[str, ...] = ()
    domain: str | tuple[str, ...] = "real"
    grad: str | None = None
    broadcast: bool = False
    note: str = ""
    tol: dict[str, tuple[float, float]] = field(default_factory=dict)

    def kind_of(self, k: int) -> str:
        return self.args[k] if self.args else "x"

    def domain_of(self, k: int) -> str:
        return self.domain if isinstance(self.domain, str) else self.domain[k]


# ---------------------------------------------------------------- operand kinds and domains
# "x": the dtype under test, values from the case domain; "bool": a random mask;
# "index": int64 indices into operand 0 along attrs["axis"], negatives included;
# "uindex": like "index" but distinct modulo the size (index_put with duplicates is
# order-dependent); "seed": an int64 scalar (random-op seed / offset).
KINDS = ("x", "bool", "index", "uindex", "seed")


def _signed(rng: np.random.Generator, shape: Shape, lo: float, hi: float) -> np.ndarray:
    """Magnitudes in [lo, hi) with random signs: keeps values away from 0 (abs, relu kinks)."""
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def _off_integer(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    # fractional parts in [0.1, 0.4] or [0.6, 0.9]: floor/ceil/round/trunc are flat there
    whole = rng.integers(-3, 3, shape)
    frac = rng.uniform(0.1, 0.4, shape) + rng.choice([0.0, 0.5], shape)
    return whole + frac


def _with_zeros(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    # prod's VJP has special cases for one and for several zeros in a reduced slice
    return np.where(rng.random(shape) < 0.25, 0.0, _signed(rng, shape, 0.5, 1.5))


# float domains: name -> (rng, shape) -> float64 values
DOMAINS: dict[str, Callable[[np.random.Generator, Shape], np.ndarray]] = {
    "real": lambda rng, s: _signed(rng, s, 0.25, 2.0),
    "pos": lambda rng, s: rng.uniform(0.25, 3.0, s),
    "nonzero": lambda rng, s: _signed(rng, s, 0.5, 2.0),
    "offint": _off_integer,
    "halves": lambda rng, s: rng.integers(-6, 7, s) * 0.5,  # round's ties, half to even
    "zeros": _with_zeros,
    "prob": lambda rng, s: rng.uniform(0.0, 1.0, s),
    "exp": lambda rng, s: rng.uniform(-2.0, 2.0, s),
    "unit": lambda rng, s: _signed(rng, s, 0.05, 0.9),  # asin, atanh, erfinv: inside (-1, 1)
    "above1": lambda rng, s: rng.uniform(1.2, 4.0, s),  # acosh
    # lgamma/digamma: positive and negative non-integers, away from the poles
    "gamma": lambda rng, s: np.where(rng.random(s) < 0.7, rng.uniform(0.3, 6.0, s),
                                     -(rng.integers(0, 3, s) + rng.uniform(0.15, 0.85, s))),
    "shift": lambda rng, s: rng.integers(0, 4, s).astype(float),
}


def _orthogonal(rng: np.random.Generator, shape: Shape, k: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(*shape[:-2], shape[-2] if k else shape[-1], k or
                                          shape[-1])))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _well_conditioned(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Square matrices with eigenvalues well away from 0 (inv, det, solve)."""
    n = shape[-1]
    return rng.uniform(-0.5, 0.5, shape) / max(n, 1) + np.eye(n) * rng.choice([-1.5, 1.5],
                                                                             (*shape[:-1], 1))


def _spd(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Symmetric positive-definite matrices with well separated eigenvalues (cholesky, eigh)."""
    n = shape[-1]
    q = _orthogonal(rng, shape, 0)
    lam = np.arange(1, n + 1) + rng.uniform(0, 0.3, (*shape[:-2], n))
    return (q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)


def _distinct_sv(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Matrices with well separated singular values (svd, qr)."""
    m, n = shape[-2:]
    k = min(m, n)
    u, v = _orthogonal(rng, (*shape[:-2], m, k), k), _orthogonal(rng, (*shape[:-2], n, k), k)
    s = np.arange(k, 0, -1) + 0.5 + rng.uniform(0, 0.3, (*shape[:-2], k))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


DOMAINS.update({"wellcond": _well_conditioned, "spd": _spd, "distinct_sv": _distinct_sv})
# integer domains: name -> inclusive range
INT_DOMAINS: dict[str, tuple[int, int]] = {
    "real": (-5, 5), "pos": (1, 5), "nonzero": (1, 5), "exp": (0, 3), "zeros": (-2, 2),
    "offint": (-5, 5), "halves": (-5, 5), "prob": (0, 1), "unit": (0, 0), "above1": (2, 4),
    "gamma": (1, 5), "shift": (0, 70),
}


def _value(rng: np.random.Generator, shape: Shape, dtype: str, domain: str) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return np.asarray(DOMAINS[domain](rng, shape), dtype=dtype)
    lo, hi = INT_DOMAINS[domain]
    vals = rng.integers(lo, hi + 1, shape)
    if domain == "nonzero":
        vals = vals * rng.choice([-1, 1], shape)
    return np.asarray(vals, dtype=dtype)


def _indices(rng: np.random.Generator, shape: Shape, size: int, distinct: bool) -> np.ndarray:
    if distinct:
        n = int(np.prod(shape))
        picked = rng.permutation(size)[:n]
        return np.asarray(picked - size * (rng.random(n) < 0.5), dtype=np.int64).reshape(shape)
    return np.asarray(rng.integers(-size, size, shape), dtype=np.int64)


def make_inputs(case: OpCase, sample: Sample, dtype: str, rng: np.random.Generator,
                attrs: dict[str, Any]) -> list[np.ndarray]:
    """Operand arrays for one sample: what the forward and gradient tests feed."""
    out: list[np.ndarray] = []
    for k, shape in enumerate(sample.shapes):
        kind = case.kind_of(k)
        if kind == "x":
            out.append(_value(rng, shape, dtype, sample.domain or case.domain_of(k)))
        elif kind == "bool":
            out.append(rng.random(shape) < 0.5)
        elif kind in ("index", "uindex"):
            size = sample.shapes[0][attrs["axis"]]
            bounds = attrs.get("bounds", REGISTRY[case.op].attrs["bounds"])
            idx = _indices(rng, shape, size, kind == "uindex")
            # ops that reject negative indices (PyTorch's gather, index_add...) get them wrapped
            out.append(idx if index_rules.rule(bounds).wrap else idx % max(size, 1))
        elif kind == "seed":
            out.append(np.asarray(rng.integers(0, 2**40), dtype=np.int64))
        else:
            raise ValueError(f"{case.op}: unknown operand kind {kind!r}; known: {KINDS}")
    return out


def broadcast_samples(op: str, arity: int, count: int) -> tuple[Sample, ...]:
    """``count`` random shape tuples that broadcast together (seeded by the op name)."""
    rng = np.random.default_rng(zlib.crc32(op.encode()))
    samples = []
    for _ in range(count):
        full = tuple(int(d) for d in rng.integers(1, 4, rng.integers(0, 4)))
        shapes = []
        for _ in range(arity):
            drop = int(rng.integers(0, len(full) + 1))
            shapes.append(tuple(1 if rng.random() < 0.3 else d for d in full[drop:]))
        samples.append(Sample(tuple(shapes)))
    return tuple(samples)


# ---------------------------------------------------------------- torch helpers


def _t(name: str) -> Callable[..., Any]:
    """``torch.<name>(*tensors, **attrs)``."""
    def call(torch: Any, *xs: Any, **attrs: Any) -> Any:
        return getattr(torch, name)(*xs, **attrs)
    call.__name__ = f"torch_{name}"
    return call


LINALG_TOL = {"float32": (1e-4, 1e-4)}
SIGN_NOTE = ("singular/eigen vectors are defined up to sign and LAPACK builds pick differently; "
             "tests/frontend/test_linalg.py compares them with torch up to sign")


def _along(axis: int, index: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (index,)


def _wrap(torch: Any, idx: Any, size: int) -> Any:
    return torch.where(idx < 0, idx + size, idx)


def _flat_index_src(torch: Any, x: Any, idx: Any, src: Any, axis: int) -> tuple[Any, Any]:
    """Index as 1-D non-negative, source expanded to the indexed region and matching it."""
    region = (*x.shape[:axis], *idx.shape, *x.shape[axis + 1:])
    flat = _wrap(torch, idx.reshape(-1), x.shape[axis])
    src = src.expand(region).reshape(*x.shape[:axis], flat.numel(), *x.shape[axis + 1:])
    return flat, src


def torch_reduce(method: str) -> Callable[..., Any]:
    def call(torch: Any, x: Any, axes: tuple[int, ...], keepdim: bool, **kw: Any) -> Any:
        return getattr(torch, method)(x, dim=tuple(axes), keepdim=keepdim, **kw)
    return call


def torch_var(torch: Any, x: Any, axes: tuple[int, ...], keepdim: bool, correction: int) -> Any:
    with warnings.catch_warnings():  # torch warns when correction >= the element count
        warnings.simplefilter("ignore", UserWarning)
        return torch.var(x, dim=tuple(axes), keepdim=keepdim, correction=correction)


def torch_prod(torch: Any, x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
    if x.dim() == 0:
        return torch.prod(x)
    for axis in sorted(axes, reverse=True):  # torch.prod takes one dim at a time
        x = torch.prod(x, dim=axis, keepdim=keepdim)
    return x


def torch_clamp(torch: Any, x: Any, min: Any = None, max: Any = None) -> Any:
    return x.clone() if min is None and max is None else torch.clamp(x, min=min, max=max)


def torch_slice(torch: Any, x: Any, starts: Any, stops: Any, steps: Any) -> Any:
    return x[tuple(slice(*t) for t in zip(starts, stops, steps, strict=True))]


def torch_slice_assign(torch: Any, x: Any, src: Any, starts: Any, stops: Any, steps: Any) -> Any:
    out = x.clone()
    out[tuple(slice(*t) for t in zip(starts, stops, steps, strict=True))] = src
    return out


def torch_pad(torch: Any, x: Any, pads: Any, value: Any) -> Any:
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad lists the last dim first
    return torch.nn.functional.pad(x, flat, value=value)


def torch_take(torch: Any, x: Any, idx: Any, axis: int, **_: Any) -> Any:
    return x[_along(axis, idx)]


def torch_index_add(torch: Any, x: Any, idx: Any, src: Any, axis: int, **_: Any) -> Any:
    flat, src = _flat_index_src(torch, x, idx, src, axis)
    return torch.index_add(x, axis, flat, src)


def torch_index_put(torch: Any, x: Any, idx: Any, src: Any, axis: int, **_: Any) -> Any:
    flat, src = _flat_index_src(torch, x, idx, src, axis)
    return torch.index_copy(x, axis, flat, src)


def torch_gather(torch: Any, x: Any, idx: Any, axis: int, **_: Any) -> Any:
    return torch.gather(x, axis, _wrap(torch, idx, x.shape[axis]))


def torch_scatter_add(torch: Any, x: Any, idx: Any, src: Any, axis: int, **_: Any) -> Any:
    return torch.scatter_add(x, axis, _wrap(torch, idx, x.shape[axis]), src)


def torch_cast(torch: Any, x: Any, dtype: str) -> Any:
    return x.to(getattr(torch, dtype))


def torch_full(torch: Any, shape: Any, value: Any, dtype: str) -> Any:
    return torch.full(tuple(shape), value, dtype=getattr(torch, dtype))


def torch_arange(torch: Any, start: Any, end: Any, step: Any, dtype: str) -> Any:
    return torch.arange(start, end, step, dtype=getattr(torch, dtype))


def torch_const(torch: Any, value: Any) -> Any:
    return torch.from_numpy(np.array(value))


def torch_pool_grad(pool: str) -> Callable[..., Any]:
    """The gradient of ``F.<pool>`` w.r.t. its input, for the IR's ``<pool>_grad`` ops."""
    def call(torch: Any, g: Any, *x: Any, input_shape: Any = None, **attrs: Any) -> Any:
        inp = (x[0] if x else torch.zeros(tuple(input_shape), dtype=g.dtype)).detach()
        inp.requires_grad_(True)
        if pool == "adaptive_avg_pool2d":
            attrs = {"output_size": tuple(g.shape[-2:])}
        out = getattr(torch.nn.functional, pool)(inp, **attrs)
        return torch.autograd.grad(out, inp, g)[0]
    return call


def torch_conv2d_grad_input(torch: Any, g: Any, w: Any, input_shape: Any, **attrs: Any) -> Any:
    return torch.nn.grad.conv2d_input(tuple(input_shape), w, g, **attrs)


def torch_conv2d_grad_weight(torch: Any, x: Any, g: Any, weight_shape: Any, **attrs: Any) -> Any:
    return torch.nn.grad.conv2d_weight(x, tuple(weight_shape), g, **attrs)


def torch_max_pool2d_indices(torch: Any, x: Any, **attrs: Any) -> Any:
    return torch.nn.functional.max_pool2d(x, return_indices=True, **attrs)[1]


# ---------------------------------------------------------------- shape tables

UNARY = (S((2, 3)), S(()), S((4,)), S((2, 1, 3)), S((0, 2)))
BINARY = (S((2, 3), (2, 3)), S((2, 3), (3,)), S((), (2, 2)), S((4, 1), (1, 3)), S((), ()),
          S((2, 1, 3), (4, 1)), S((0, 3), (1, 3)))
REDUCE = (S((2, 3), axes=(0, 1)), S((2, 3), axes=(1,), keepdim=True), S((4,), axes=(0,)),
          S((2, 3, 4), axes=(0, 2)), S((), axes=()), S((3, 2), axes=(0,), keepdim=True))
ARG_REDUCE = (S((2, 3), axis=1), S((3, 4), axis=0, keepdim=True), S((5,), axis=0),
              S((), axis=0), S((2, 3, 2), axis=2))
RANDOM_SAMPLES = (S((), (), shape=(4, 3), dtype=DTYPE), S((), (), shape=(), dtype=DTYPE),
                  S((), (), shape=(7,), dtype=DTYPE))
RANDOM_NOTE = "Philox draws differ from torch's generator; see test_random_* for statistics"


def _const_attrs(dtype: str) -> dict[str, Any]:
    return {"value": (np.arange(6).reshape(2, 3) % 3 - 1).astype(dtype)}


def _const_scalar_attrs(dtype: str) -> dict[str, Any]:
    return {"value": np.asarray(1, dtype=dtype)}


def _const_large_attrs(dtype: str) -> dict[str, Any]:
    return {"value": (np.arange(12) % 2).astype(dtype)}  # over 8 elements: printed elided


def _unary(op: str, domain: str = "real", dtypes: tuple[str, ...] = F, **kw: Any) -> OpCase:
    return OpCase(op, UNARY, _t(op), dtypes, domain=domain, **kw)


def _binary(op: str, dtypes: tuple[str, ...], **kw: Any) -> OpCase:
    return OpCase(op, BINARY, _t(op), dtypes, broadcast=True, **kw)


# the ops_math ops share their kernels' shape handling with the ones above: fewer samples
# (still a 0-d, an empty and a broadcasting one) keep the suite's time in bounds
MATH_UNARY = (S((2, 3)), S(()), S((0, 2)))
MATH_BINARY = (S((2, 3), (2, 3)), S((2, 1, 3), (4, 1)), S((), (2, 2)), S((0, 3), (1, 3)))


def _math_unary(op: str, domain: str = "real", dtypes: tuple[str, ...] = F, **kw: Any) -> OpCase:
    return OpCase(op, MATH_UNARY, _t(op), dtypes, domain=domain, **kw)


def _math_binary(op: str, dtypes: tuple[str, ...], **kw: Any) -> OpCase:
    return OpCase(op, MATH_BINARY, _t(op), dtypes, **kw)


# ---------------------------------------------------------------- the table

_CASE_LIST: list[OpCase] = [
    # unary float math
    _unary("exp"), _unary("log", "pos"), _unary("log1p", "pos"), _unary("expm1"),
    _unary("sqrt", "pos"), _unary("rsqrt", "pos"), _unary("sin"), _unary("cos"),
    _unary("tanh"), _unary("sigmoid"), _unary("erf"), _unary("reciprocal", "nonzero"),
    # unary numeric (ints too); the piecewise-constant ones have an exactly-zero gradient
    _unary("neg", dtypes=FI), _unary("abs", dtypes=FI), _unary("relu", dtypes=FI),
    _unary("sign", dtypes=FI, grad="zero"), _unary("floor", "offint", FI, grad="zero"),
    _unary("ceil", "offint", FI, grad="zero"), _unary("trunc", "offint", FI, grad="zero"),
    OpCase("round", (*UNARY, S((13,), domain="halves", grad=False)), _t("round"), FI,
           domain="offint", grad="zero"),  # halves: ties round to even, as in torch
    _unary("logical_not", dtypes=FIB),
    # ir/ops_math.py: inverse trigonometric/hyperbolic, logs, special functions
    *(_math_unary(op, "unit") for op in ("tan", "asin", "acos", "atanh", "erfinv")),
    *(_math_unary(op) for op in ("atan", "sinh", "cosh", "asinh", "erfc")),
    _math_unary("acosh", "above1"), _math_unary("log2", "pos"), _math_unary("log10", "pos"),
    _math_unary("lgamma", "gamma"), _math_unary("digamma", "gamma"),
    OpCase("trigamma", MATH_UNARY, lambda t, x: t.polygamma(1, x), domain="gamma",
           tol={"float64": (1e-9, 1e-12)}),
    OpCase("polygamma", (S((2, 3), n=2), S((), n=3), S((0, 2), n=2), S((3,), n=4)),
           lambda t, x, n: t.polygamma(n, x), domain="gamma",
           tol={"float64": (1e-9, 1e-12)}),
    _math_unary("bitwise_not", dtypes=INT + ("bool",)),
    # binary elementwise
    _binary("add", FIB), _binary("sub", FI), _binary("mul", FIB),
    _binary("div", F, domain=("real", "nonzero")),
    _binary("pow", FI, domain=("pos", "exp")),
    _binary("maximum", FIB), _binary("minimum", FIB),
    _binary("eq", FIB), _binary("ne", FIB), _binary("lt", FIB), _binary("le", FIB),
    _binary("gt", FIB), _binary("ge", FIB),
    _binary("logical_and", FIB), _binary("logical_or", FIB),
    _math_binary("atan2", F), _math_binary("hypot", F), _math_binary("copysign", F),
    _math_binary("fmod", FI, domain=("real", "nonzero")),
    _math_binary("bitwise_and", INT + ("bool",)), _math_binary("bitwise_or", INT + ("bool",)),
    _math_binary("bitwise_xor", INT + ("bool",)),
    _math_binary("bitwise_left_shift", INT, domain=("real", "shift")),
    _math_binary("bitwise_right_shift", INT, domain=("real", "shift")),
    OpCase("where", (S((2, 3), (2, 3), (2, 3)), S((2, 3), (3,), ()), S((), (2, 2), (1, 2)),
                     S((2, 1), (1, 3), (2, 3)), S((), (), ())),
           _t("where"), FIB, args=("bool", "x", "x")),
    OpCase("clamp", (S((2, 3), min=-1, max=1), S((4,), min=0), S((), max=1), S((2, 2)),
                     S((3, 2), min=-0.5, max=0.75, only=F)),
           torch_clamp, FI),
    OpCase("cast", (S((2, 3), dtype="float64"), S((2, 3), dtype="float32", grad=False),
                    S((2, 3), dtype="int32", grad=False), S((), dtype="int64", grad=False),
                    S((3,), dtype="bool", grad=False), S((2,), dtype="float16", grad=False)),
           torch_cast, FIB),
    # reductions and contraction
    OpCase("sum", REDUCE + (S((3, 0), axes=(1,)),), torch_reduce("sum"), FIB),
    OpCase("mean", (*REDUCE, S((0, 3), axes=(0,), grad=False)), torch_reduce("mean"), F),
    OpCase("max", REDUCE, torch_reduce("amax"), FI),
    OpCase("min", REDUCE, torch_reduce("amin"), FI),
    OpCase("prod", REDUCE, torch_prod, FI, domain="zeros"),
    OpCase("var", (S((2, 3), axes=(1,)), S((2, 3), axes=(0, 1), correction=0, keepdim=True),
                   S((4, 5), axes=(0,), correction=2), S((3,), axes=(0,)),
                   S((1,), axes=(0,), grad=False)),  # one element, correction 1: nan
           torch_var, F),
    OpCase("argmax", ARG_REDUCE, lambda t, x, axis, keepdim: t.argmax(x, axis, keepdim), FI),
    OpCase("argmin", ARG_REDUCE, lambda t, x, axis, keepdim: t.argmin(x, axis, keepdim), FI),
    OpCase("matmul", (S((2, 3), (3, 4)), S((2, 2, 3), (3, 4)), S((2, 1, 2, 3), (3, 3, 2)),
                      S((1, 3), (3, 1)), S((2, 0), (0, 3))),
           _t("matmul"), FI),
    # movement
    OpCase("reshape", (S((2, 3), shape=(3, 2)), S((6,), shape=(1, 2, 3)), S((), shape=(1, 1)),
                       S((1, 1), shape=()), S((0, 3), shape=(3, 0))),
           _t("reshape"), FIB),
    OpCase("permute", (S((2, 3, 4), dims=(2, 0, 1)), S((2, 3), dims=(1, 0)), S((), dims=()),
                       S((1, 2, 3), dims=(0, 2, 1))),
           _t("permute"), FIB),
    OpCase("expand", (S((3,), shape=(2, 3)), S((2, 1), shape=(2, 4)), S((), shape=(2, 2)),
                      S((1, 3), shape=(2, 2, 3)), S((2, 3), shape=(2, 3))),
           lambda t, x, shape: x.expand(*shape), FIB),
    OpCase("slice", (S((5, 4), starts=(1, 0), stops=(4, 4), steps=(1, 2)),
                     S((6,), starts=(0,), stops=(6,), steps=(3,)),
                     S((3, 3), starts=(2, 1), stops=(2, 3), steps=(1, 1)),
                     S((), starts=(), stops=(), steps=())),
           torch_slice, FIB),
    OpCase("slice_assign", (S((5, 4), (3, 2), starts=(1, 0), stops=(4, 4), steps=(1, 2)),
                            S((4, 3), (3,), starts=(0, 0), stops=(4, 3), steps=(2, 1)),
                            S((3,), (), starts=(1,), stops=(3,), steps=(1,))),
           torch_slice_assign, FIB),
    OpCase("pad", (S((2, 3), pads=((1, 2), (0, 1)), value=0), S((3,), pads=((2, 0),), value=2),
                   S((2, 2), pads=((0, 0), (3, 1)), value=-1)),
           torch_pad, FI),
    OpCase("cat", (S((2, 3), (4, 3), axis=0), S((2, 1), (2, 3), (2, 0), axis=1),
                   S((3,), axis=0), S((1, 2, 2), (1, 2, 2), axis=2)),
           lambda t, *xs, axis: t.cat(xs, dim=axis), FIB),
    # indexing
    OpCase("take", (S((3, 4), (5,), axis=0), S((3, 4), (2, 2), axis=1), S((5,), (), axis=0),
                    S((2, 3, 2), (4,), axis=1)),
           torch_take, FIB, args=("x", "index")),
    OpCase("index_add", (S((4, 3), (5,), (5, 3), axis=0), S((3, 4), (2,), (3, 2), axis=1),
                         S((4, 3), (5,), (3,), axis=0), S((4,), (2, 2), (2, 2), axis=0)),
           torch_index_add, FI, args=("x", "index", "x")),
    OpCase("index_put", (S((4, 3), (3,), (3, 3), axis=0), S((3, 4), (2,), (3, 2), axis=1),
                         S((4, 3), (2,), (), axis=0), S((5,), (2, 2), (2, 2), axis=0)),
           torch_index_put, FIB, args=("x", "uindex", "x")),
    OpCase("gather", (S((3, 4), (2, 4), axis=0), S((3, 4), (3, 2), axis=1),
                      S((3, 4), (2, 2), axis=1), S((5,), (7,), axis=0)),
           torch_gather, FIB, args=("x", "index")),
    OpCase("scatter_add", (S((3, 4), (2, 4), (2, 4), axis=0), S((3, 4), (3, 2), (3, 3), axis=1),
                           S((5,), (7,), (7,), axis=0)),
           torch_scatter_add, FI, args=("x", "index", "x")),
    # sources
    OpCase("const", (S(attrs_fn=_const_attrs), S(attrs_fn=_const_scalar_attrs),
                     S(attrs_fn=_const_large_attrs)),
           torch_const, FIB),
    OpCase("full", (S(shape=(2, 3), value=3, dtype=DTYPE), S(shape=(), value=-2, dtype=DTYPE),
                    S(shape=(0, 2), value=1, dtype=DTYPE), S(shape=(2,), value=0.5, dtype=DTYPE,
                                                            only=F)),
           torch_full, FIB),
    OpCase("arange", (S(start=0, end=5, step=1, dtype=DTYPE), S(start=2, end=11, step=3,
                                                                dtype=DTYPE),
                      S(start=0.0, end=1.0, step=0.25, dtype=DTYPE, only=F),
                      S(start=-1.5, end=2.0, step=0.5, dtype=DTYPE, only=F)),
           torch_arange, FI),
    # random: seed and offset are int64 scalar operands
    OpCase("uniform", RANDOM_SAMPLES, None, F, args=("seed", "seed"), grad="none",
           note=RANDOM_NOTE),
    OpCase("normal", RANDOM_SAMPLES, None, F, args=("seed", "seed"), grad="none",
           note=RANDOM_NOTE),
    OpCase("randint", (S((), (), shape=(4, 3), high=10, dtype=DTYPE),
                       S((), (), shape=(), low=-3, high=3, dtype=DTYPE)),
           None, ("int64", "int32", "float32"), args=("seed", "seed"), grad="none",
           note=RANDOM_NOTE),
    OpCase("bernoulli", (S((4, 3), (), ()), S((), (), ()), S((5,), (), ())), None, F,
           args=("x", "seed", "seed"), domain="prob", grad="none", note=RANDOM_NOTE),
    # window ops: convolution and pooling (ir/ops_nn.py)
    OpCase("conv2d", (S((2, 3, 5, 6), (4, 3, 3, 3)),
                      S((1, 4, 6, 6), (4, 2, 3, 2), stride=(2, 1), padding=(1, 1), groups=2),
                      S((1, 2, 7, 5), (3, 2, 2, 2), padding=(2, 0), dilation=(2, 1)),
                      S((1, 1, 2, 2), (2, 1, 1, 2))),
           lambda t, x, w, **a: t.nn.functional.conv2d(x, w, **a), F,
           tol={"float32": (1e-4, 1e-5)}),
    OpCase("conv2d_grad_input", (S((2, 4, 3, 4), (4, 3, 3, 3), input_shape=(2, 3, 5, 6)),
                                 S((1, 4, 3, 7), (4, 2, 3, 2), input_shape=(1, 4, 6, 6),
                                   stride=(2, 1), padding=(1, 1), groups=2),
                                 S((1, 2, 2, 2), (2, 1, 3, 3), input_shape=(1, 1, 7, 7),
                                   stride=(3, 3))),
           torch_conv2d_grad_input, F, tol={"float32": (1e-4, 1e-5)}),
    OpCase("conv2d_grad_weight", (S((2, 3, 5, 6), (2, 4, 3, 4), weight_shape=(4, 3, 3, 3)),
                                  S((1, 4, 6, 6), (1, 4, 3, 7), weight_shape=(4, 2, 3, 2),
                                    stride=(2, 1), padding=(1, 1), groups=2),
                                  S((1, 1, 7, 7), (1, 2, 2, 2), weight_shape=(2, 1, 3, 3),
                                    stride=(3, 3))),
           torch_conv2d_grad_weight, F, tol={"float32": (1e-4, 1e-5)}),
    OpCase("max_pool2d", (S((2, 3, 6, 6), kernel_size=(2, 2), stride=(2, 2)),
                          S((1, 2, 7, 6), kernel_size=(3, 2), stride=(2, 1), padding=(1, 1),
                            dilation=(1, 2), ceil_mode=True),
                          S((2, 5, 5), kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))),
           lambda t, x, **a: t.nn.functional.max_pool2d(x, **a), F),
    OpCase("max_pool2d_indices", (S((2, 3, 6, 6), kernel_size=(2, 2), stride=(2, 2)),
                                  S((1, 2, 7, 6), kernel_size=(3, 2), stride=(2, 1),
                                    padding=(1, 1), dilation=(1, 2), ceil_mode=True)),
           torch_max_pool2d_indices, F),
    OpCase("max_pool2d_grad", (S((2, 3, 3, 3), (2, 3, 6, 6), kernel_size=(2, 2), stride=(2, 2)),
                               S((1, 2, 4, 6), (1, 2, 7, 6), kernel_size=(3, 2), stride=(2, 1),
                                 padding=(1, 1), dilation=(1, 2), ceil_mode=True)),
           torch_pool_grad("max_pool2d"), F),
    OpCase("avg_pool2d", (S((2, 3, 6, 6), kernel_size=(2, 2), stride=(2, 2)),
                          S((1, 2, 7, 6), kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
                            ceil_mode=True, count_include_pad=False),
                          S((2, 5, 5), kernel_size=(3, 2), stride=(1, 2), divisor_override=4)),
           lambda t, x, **a: t.nn.functional.avg_pool2d(x, **a), F),
    OpCase("avg_pool2d_grad", (S((2, 3, 3, 3), input_shape=(2, 3, 6, 6), kernel_size=(2, 2),
                                 stride=(2, 2)),
                               S((1, 2, 4, 4), input_shape=(1, 2, 7, 6), kernel_size=(3, 3),
                                 stride=(2, 2), padding=(1, 1), ceil_mode=True,
                                 count_include_pad=False)),
           torch_pool_grad("avg_pool2d"), F),
    OpCase("adaptive_avg_pool2d", (S((2, 3, 7, 6), output_size=(3, 4)),
                                   S((2, 5, 4), output_size=(1, 1))),
           lambda t, x, output_size: t.nn.functional.adaptive_avg_pool2d(x, output_size), F),
    OpCase("adaptive_avg_pool2d_grad", (S((2, 3, 3, 4), input_shape=(2, 3, 7, 6)),
                                        S((2, 1, 1), input_shape=(2, 5, 4))),
           torch_pool_grad("adaptive_avg_pool2d"), F),
    # linear algebra (batched; np.linalg references)
    OpCase("linalg_inv", (S((3, 3)), S((2, 4, 4)), S((0, 2, 2), grad=False)),
           lambda t, x: t.linalg.inv(x), F, domain="wellcond", tol=LINALG_TOL),
    OpCase("linalg_det", (S((3, 3)), S((2, 4, 4)), S((1, 1))),
           lambda t, x: t.linalg.det(x), F, domain="wellcond", tol=LINALG_TOL),
    OpCase("linalg_cholesky", (S((3, 3)), S((2, 4, 4))),
           lambda t, x: t.linalg.cholesky(x), F, domain="spd", tol=LINALG_TOL),
    OpCase("linalg_eigh_values", (S((3, 3)), S((2, 4, 4))),
           lambda t, x: t.linalg.eigvalsh(x), F, domain="spd", tol=LINALG_TOL),
    OpCase("linalg_eigh_vectors", (S((3, 3)), S((2, 4, 4))),
           None, F, domain="spd", note=SIGN_NOTE),
    OpCase("linalg_svd_u", (S((3, 3)), S((4, 2)), S((2, 2, 3))),
           None, F, domain="distinct_sv", note=SIGN_NOTE),
    OpCase("linalg_svdvals", (S((3, 3)), S((4, 2)), S((2, 2, 3))),
           lambda t, x: t.linalg.svdvals(x), F, domain="distinct_sv", tol=LINALG_TOL),
    OpCase("linalg_svd_vh", (S((3, 3)), S((4, 2)), S((2, 2, 3))),
           None, F, domain="distinct_sv", note=SIGN_NOTE),
    OpCase("linalg_qr_q", (S((3, 3)), S((4, 2)), S((2, 3, 3)), S((2, 4)), S((2, 3, 5))),
           lambda t, x: t.linalg.qr(x)[0], F, domain="distinct_sv", tol=LINALG_TOL),
    OpCase("linalg_qr_r", (S((3, 3)), S((4, 2)), S((2, 3, 3)), S((2, 4)), S((2, 3, 5))),
           lambda t, x: t.linalg.qr(x)[1], F, domain="distinct_sv", tol=LINALG_TOL),
    # the full SVD's / complete QR's extra vectors: PyTorch ignores the SVD's cotangents and
    # refuses to differentiate the QR's; any orthonormal basis of the complement is valid
    # (tests/frontend/test_linalg_full.py checks the properties)
    OpCase("linalg_svd_u_rest", (S((4, 2)), S((2, 5, 3)), S((2, 3))),
           None, F, domain="distinct_sv", grad="ignored", note=SIGN_NOTE),
    OpCase("linalg_svd_vh_rest", (S((2, 4)), S((2, 3, 5)), S((3, 2))),
           None, F, domain="distinct_sv", grad="ignored", note=SIGN_NOTE),
    OpCase("linalg_qr_q_rest", (S((4, 2)), S((2, 5, 3)), S((2, 3))),
           lambda t, x: t.linalg.qr(x, mode="complete")[0][..., min(x.shape[-2:]):], F,
           domain="distinct_sv", grad="raises", tol=LINALG_TOL),
]

CASES: dict[str, OpCase] = {}
for _case in _CASE_LIST:
    assert _case.op not in CASES, f"two cases for op {_case.op}"
    CASES[_case.op] = _case

# Ops that get no generated case, each with the reason. Keep this short.
EXEMPT: dict[str, str] = {
    "input": "fed by the caller, not computed; every case graph starts with input nodes",
    "param": "fed by the caller like input; covered by the printer/parser tests",
    "output": "the graph boundary; every case graph ends in an output node",
}
