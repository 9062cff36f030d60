"""Graph boundary and source ops: input, param, const, full, arange, output, and the
counter-based random ops.

Random ops take ``seed`` and ``offset`` as int64 scalar operands, so a graph replays the same
numbers for the same (seed, offset) and a compiled step can advance the offset at run time.
Element ``i`` draws from Philox4x32-10 with key ``seed`` and counter ``offset + i``; the same
function is cheap to generate inside CPU and GPU kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .errors import DTypeError, ShapeError
from .ops import (
    RANDOM,
    REQUIRED,
    SOURCE,
    OpDef,
    attr_dtype,
    attr_shape,
    fmt_shape,
    register,
    same_shape,
)

Shape = tuple[int, ...]

# ---------------------------------------------------------------- boundary ops


def _io_ref(**attrs: Any) -> np.ndarray:
    raise RuntimeError("input/param nodes get their value from the caller's feeds")


register(OpDef("input", 0, SOURCE, attr_shape, attr_dtype, _io_ref,
               attrs={"shape": REQUIRED, "dtype": REQUIRED}, doc="a value fed at each call"))
register(OpDef("param", 0, SOURCE, attr_shape, attr_dtype, _io_ref,
               attrs={"shape": REQUIRED, "dtype": REQUIRED},
               doc="a persistent value (model parameter or optimizer state)"))
register(OpDef("const", 0, SOURCE, lambda s, a: tuple(np.shape(a["value"])),
               lambda d, a: dtypes.from_numpy(np.asarray(a["value"]).dtype),
               lambda value: np.asarray(value), attrs={"value": REQUIRED}))
register(OpDef("full", 0, SOURCE, attr_shape, attr_dtype,
               lambda shape, value, dtype: np.full(shape, value, dtype=dtypes.to_numpy(dtype)),
               attrs={"shape": REQUIRED, "value": REQUIRED, "dtype": REQUIRED}))


def _arange_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    return (max(0, int(np.ceil((attrs["end"] - attrs["start"]) / attrs["step"]))),)


register(OpDef("arange", 0, SOURCE, _arange_shape, attr_dtype,
               lambda start, end, step, dtype: np.arange(start, end, step,
                                                         dtype=dtypes.to_numpy(dtype)),
               attrs={"start": 0, "end": REQUIRED, "step": 1, "dtype": "int64"}))
register(OpDef("output", 1, SOURCE, same_shape, lambda d, a: d[0], lambda x, index: x,
               lambda b, g, out, x, index: (g,), attrs={"index": REQUIRED}))

# ---------------------------------------------------------------- Philox4x32-10

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_MASK, _SHIFT = np.uint64(0xFFFFFFFF), np.uint64(32)
_MULTIPLIERS = np.array([[_M0], [_M1]], np.uint64)  # c0 * M0, c2 * M1


def philox4x32(counter: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """Four uint32 words per 64-bit counter value (c2 = c3 = 0), key = the 64-bit seed.

    Words are held in uint64 so the 32x32 -> 64-bit products are exact, stacked in pairs
    ``a = (c0, c2)`` and ``b = (c1, c3)``: one round is (c0, c1, c2, c3) <- (hi(c2 M1) ^ c1 ^ k0,
    lo(c2 M1), hi(c0 M0) ^ c3 ^ k1, lo(c0 M0)), five numpy calls on (2, n) arrays."""
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    flat = counter.astype(np.uint64).reshape(-1)
    a = np.zeros((2, flat.size), np.uint64)
    b = np.zeros((2, flat.size), np.uint64)
    np.bitwise_and(flat, _MASK, out=a[0])
    np.right_shift(flat, _SHIFT, out=b[0])
    prod = np.empty_like(a)
    k0, k1 = seed & 0xFFFFFFFF, seed >> 32
    for _ in range(10):
        np.multiply(a, _MULTIPLIERS, out=prod)
        np.right_shift(prod[::-1], _SHIFT, out=a)
        a ^= b
        a ^= np.array([[k0], [k1]], np.uint64)
        np.bitwise_and(prod[::-1], _MASK, out=b)
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    shape = counter.shape
    return a[0].reshape(shape), b[0].reshape(shape), a[1].reshape(shape), b[1].reshape(shape)


def _counters(shape: Shape, offset: Any) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.uint64) + np.uint64(int(offset))


def uniform01(shape: Shape, seed: Any, offset: Any, dtype: str) -> np.ndarray:
    """Uniform [0, 1) numbers: 24 random bits for float32/16, 53 for float64."""
    x0, x1, _, _ = philox4x32(_counters(shape, offset), int(seed))
    if dtype == "float64":
        u = ((x0 >> np.uint64(5)) * np.uint64(1 << 26) + (x1 >> np.uint64(6))) * 2.0 ** -53
    else:
        u = (x0 >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    return u.reshape(shape)


def _random_dtype(op: str):
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        if any(d != "int64" for d in dts[-2:]):
            raise DTypeError(f"{op}: seed and offset must be int64 scalars, got {dts[-2]} and "
                             f"{dts[-1]}")
        return str(attrs["dtype"])
    return rule


def _check_seed_shapes(op: str, shapes: list[Shape]) -> None:
    # the reference reads them with int(): anything but a scalar fails only at run time
    if any(s != () for s in shapes[-2:]):
        raise ShapeError(f"{op}: seed and offset must be scalars (shape []), got shapes "
                         f"{fmt_shape(shapes[-2])} and {fmt_shape(shapes[-1])}")


def _random_shape(op: str):
    def rule(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
        _check_seed_shapes(op, shapes)
        return tuple(attrs["shape"])
    return rule


def _bernoulli_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    _check_seed_shapes("bernoulli", shapes)
    return shapes[0]


def _uniform_ref(seed, offset, shape, dtype, low, high):
    u = uniform01(tuple(shape), seed, offset, dtype)
    return np.asarray(low + (high - low) * u, dtype=dtypes.to_numpy(dtype))


def _normal_ref(seed, offset, shape, dtype, mean, std):
    x0, x1, _, _ = philox4x32(_counters(tuple(shape), offset), int(seed))
    u1 = (x0.astype(np.float64) + 1.0) * 2.0 ** -32  # (0, 1]: log is finite
    u2 = x1.astype(np.float64) * 2.0 ** -32
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return np.asarray(mean + std * z.reshape(tuple(shape)), dtype=dtypes.to_numpy(dtype))


def _randint_ref(seed, offset, shape, dtype, low, high):
    u = uniform01(tuple(shape), seed, offset, "float64")
    return np.asarray(low + np.floor(u * (high - low)), dtype=dtypes.to_numpy(dtype))


def _bernoulli_ref(p, seed, offset):
    u = uniform01(p.shape, seed, offset, "float32" if p.dtype != np.float64 else "float64")
    return np.asarray(u < p, dtype=p.dtype)


def _register_random(name: str, ref, extra: dict[str, Any]) -> None:
    register(OpDef(name, 2, RANDOM, _random_shape(name), _random_dtype(name), ref,
                   lambda b, g, out, seed, offset, **a: (None, None),
                   attrs={"shape": REQUIRED, "dtype": "float32", **extra}))


_register_random("uniform", _uniform_ref, {"low": 0.0, "high": 1.0})
_register_random("normal", _normal_ref, {"mean": 0.0, "std": 1.0})
_register_random("randint", _randint_ref, {"low": 0, "high": REQUIRED})


def _bernoulli_dtype(dts: list[str], attrs: dict[str, Any]) -> str:
    if not dtypes.is_float(dts[0]):
        raise DTypeError(f"bernoulli: expected a floating point probability tensor, got {dts[0]}")
    return _random_dtype("bernoulli")(dts, {"dtype": dts[0]})


register(OpDef("bernoulli", 3, RANDOM, _bernoulli_shape, _bernoulli_dtype, _bernoulli_ref,
               lambda b, g, out, p, seed, offset: (None, None, None)))
