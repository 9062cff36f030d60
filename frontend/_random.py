"""Random number generation: a counter-based generator (seed + offset) feeding the registry's
random ops, so eager draws and compiled graphs use the same replayable stream."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from tenkai.ir import REGISTRY
from tenkai.ir.dtypes import to_numpy

from . import _native_kernels as _nk
from . import _profiling, _trace
from ._ops import apply, tensor_of
from ._tensor import Tensor

DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed


class Generator:
    """``tenkai.Generator``: a Philox key (the seed) and a counter offset."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed, self._offset = DEFAULT_SEED, 0
        self.device = device

    def manual_seed(self, seed: int) -> Generator:
        """Seed this generator; ``seed`` is an int in [-2**63, 2**64) (negative ones wrap)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -(2**63) <= int(seed) < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed, self._offset = int(seed) & 0xFFFFFFFFFFFFFFFF, 0
        return self

    def seed(self) -> int:
        self.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        return Tensor._make(np.array([self._seed, self._offset], dtype=np.uint64).view(np.int64))

    def set_state(self, state: Tensor) -> Generator:
        seed, offset = np.asarray(state._data, dtype=np.int64).view(np.uint64).tolist()
        self._seed, self._offset = int(seed), int(offset)
        return self

    def take(self, count: int) -> tuple[Tensor, Tensor]:
        """Reserve ``count`` counters; return the (seed, offset) operands of a random op."""
        offset = self._offset
        self._offset += max(int(count), 1)
        seed = np.array(self._seed, dtype=np.uint64).view(np.int64)
        seed_t, offset_t = Tensor._make(np.asarray(seed)), tensor_of(offset, "int64")
        if _trace.active() is not None:  # traced: refilled from this generator at every replay
            _trace.active().rng_operands(self, count, seed_t, offset_t)
        return seed_t, offset_t


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``tenkai.manual_seed(0)``); as PyTorch, ``int(seed)`` is
    taken first, so ``1.5`` seeds with 1 and ``2**70`` raises ValueError."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def draw(op: str, shape: tuple[int, ...], generator: Generator | None, **attrs: Any) -> Tensor:
    gen = generator or default_generator
    count = shape[0] if len(shape) == 1 else math.prod(shape)
    if count <= _DIRECT_MAX and _TRACER.tracer is None and _PROFILER[0] is None \
            and op in _DIRECT:
        # eager, small: the values the op computes, without its machinery: the native eager
        # provider's Philox kernel (the op's kernel at every size), else the registry op's
        # reference computation with a faster exact Philox; larger draws run the op
        offset = gen._offset
        gen._offset = offset + (count if count > 0 else 1)
        key = (op, *attrs.items())
        prep = _PREPARED.get(key)
        if prep is None:
            prep = _prepare(op, attrs, key)
        native = prep[1]
        if native is not None and count <= _NATIVE_MAX and _native_on():
            t = _new_tensor(Tensor)  # Tensor._make, inline
            t._data, t._node, t._vc, t._base, t._grad, t._retains_grad = \
                native(shape, count, gen._seed, offset), None, [0], None, None, False
            return t
        return Tensor._make(_DIRECT[op](tuple(shape), gen._seed, offset, **prep[0]))
    seed_t, offset_t = gen.take(count)
    return apply(op, (seed_t, offset_t), shape=tuple(shape), **attrs)


# ---------------------------------------------------------------- eager draws
#
# The same numbers as the registry's references (tenkai.ir.ops_source: Philox4x32-10 on the
# counters offset, offset+1, ...; tests/frontend/test_eager_dispatch.py compares them bit for
# bit), without numpy's per-call cost dominating small draws: a few counters run the rounds
# on Python ints; more run them on uint32 lanes (each 32x32 product formed in uint64).

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_MASK32, _MASK64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
_KEYS: dict[int, tuple[tuple[int, int], ...]] = {}
_SMALL = 12  # up to this many counters, the rounds run on Python ints
_DIRECT_MAX = 16384  # draws up to this size skip the op machinery (see draw)
_new_tensor = object.__new__
_TRACER, _PROFILER = _trace._LOCAL, _profiling.ACTIVE  # read at every small draw


def _key_schedule(seed: int) -> tuple[tuple[int, int], ...]:
    keys = _KEYS.get(seed)
    if keys is None:
        k0, k1, out = seed & _MASK32, seed >> 32, []
        for _ in range(10):
            out.append((k0, k1))
            k0, k1 = (k0 + _W0) & _MASK32, (k1 + _W1) & _MASK32
        if len(_KEYS) > 64:
            _KEYS.clear()
        keys = _KEYS[seed] = tuple(out)
    return keys


def _words(count: int, seed: int, offset: int) -> tuple[list[int], list[int]]:
    """Words x0 and x1 of a few counters, as Python ints (see :func:`philox_words`)."""
    keys = _key_schedule(int(seed) & _MASK64)
    offset = int(offset) & _MASK64
    w0, w1 = [], []
    for i in range(count):
        ctr = (offset + i) & _MASK64
        c0, c1, c2, c3 = ctr & _MASK32, ctr >> 32, 0, 0
        for k0, k1 in keys:
            p0, p1 = _M0 * c0, _M1 * c2
            c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _MASK32, (p0 >> 32) ^ c3 ^ k1, \
                p0 & _MASK32
        w0.append(c0)
        w1.append(c1)
    return w0, w1


def philox_words(count: int, seed: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Words x0 and x1 (uint64 arrays of 32-bit values) of Philox4x32-10 for the counters
    ``offset .. offset+count-1`` (mod 2**64) under the 64-bit key ``seed``."""
    keys = _key_schedule(int(seed) & _MASK64)
    offset = int(offset) & _MASK64
    if count <= _SMALL:
        w0, w1 = _words(count, seed, offset)
        return np.array(w0, dtype=np.uint64), np.array(w1, dtype=np.uint64)
    ctr = np.arange(count, dtype=np.uint64)
    ctr += np.uint64(offset)  # wraps mod 2**64, as the reference's counters
    if count > _LANES_MAX:
        return _rounds_by_word(ctr, keys)
    # Both products of a round in one array of 2n lanes: C = (c0 | c2 mirrored), D = (c1 | c3
    # mirrored), so that reversing an array swaps its halves. A round is P = C * (M0 | M1),
    # C = reversed(hi P) ^ D ^ (k0 | k1), D = reversed(lo P).
    mult, round_keys = _lane_constants(keys, count)
    c = np.zeros(2 * count, dtype=np.uint64)
    d = np.zeros(2 * count, dtype=np.uint64)
    np.bitwise_and(ctr, _MASK32, out=c[:count])
    np.right_shift(ctr, 32, out=d[:count])
    for k in round_keys:
        p = c * mult  # exact: 32-bit values times 32-bit multipliers
        c = (p >> 32)[::-1] ^ d
        c ^= k
        p &= _MASK32
        d = p[::-1]
    return c[:count], np.ascontiguousarray(d[:count])


def _rounds_by_word(ctr: np.ndarray, keys: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The rounds on one array per word, in place where possible (for many counters)."""
    c0, c1 = ctr & _MASK32, ctr >> 32
    # first round (c2 = c3 = 0): c0 = c1 ^ k0, c1 = 0, c2 = hi(M0 c0) ^ k1, c3 = lo(M0 c0)
    k0, k1 = keys[0]
    p0 = c0 * _M0  # the exact 64-bit product of two 32-bit values
    c0 = c1
    c0 ^= k0
    c2 = p0 >> 32
    c2 ^= k1
    p0 &= _MASK32
    c3, c1 = p0, None
    for k0, k1 in keys[1:]:
        p0, p1 = c0 * _M0, c2 * _M1
        c0 = p1 >> 32
        if c1 is not None:
            c0 ^= c1
        c0 ^= k0
        p1 &= _MASK32
        c2 = p0 >> 32
        c2 ^= c3
        c2 ^= k1
        p0 &= _MASK32
        c1, c3 = p1, p0
    return c0, c1


_LANES_MAX = 2048  # up to this many counters, both products of a round share one array
_LANES: dict[tuple, tuple[np.ndarray, list[np.ndarray]]] = {}


def _lane_constants(keys: tuple, count: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The (M0 | M1) multipliers and each round's (k0 | k1) keys over 2 * count lanes."""
    hit = _LANES.get((keys, count))
    if hit is None:
        if len(_LANES) > 16:
            _LANES.clear()
        mult = np.repeat(np.array([_M0, _M1], dtype=np.uint64), count)
        round_keys = [np.repeat(np.array([k0, k1], dtype=np.uint64), count) for k0, k1 in keys]
        hit = _LANES[(keys, count)] = (mult, round_keys)
    return hit


def _uniform01(shape: tuple[int, ...], seed: int, offset: int, dtype: str) -> np.ndarray:
    count = math.prod(shape)
    if count <= _SMALL:  # exact in Python floats: integers below 2**53 times powers of two
        w0, w1 = _words(count, seed, offset)
        if dtype == "float64":
            u = [float(((a >> 5) << 26) + (b >> 6)) * 2.0 ** -53
                 for a, b in zip(w0, w1, strict=True)]
        else:
            u = [float(a >> 8) * 2.0 ** -24 for a in w0]
        return np.array(u, dtype=np.float64).reshape(shape)
    x0, x1 = philox_words(count, seed, offset)
    if dtype == "float64":
        u = ((x0 >> np.uint64(5)) * np.uint64(1 << 26) + (x1 >> np.uint64(6))) * 2.0 ** -53
    else:
        u = (x0 >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    return u.reshape(shape)


def _uniform(shape, seed, offset, dtype, low, high):
    u = _uniform01(shape, seed, offset, dtype)
    return np.asarray(low + (high - low) * u, dtype=to_numpy(dtype))


def _normal(shape, seed, offset, dtype, mean, std):
    count = math.prod(shape)
    if count <= _SMALL:
        # Python floats round every +, *, sqrt as numpy's float64 does (IEEE); log and cos,
        # which libraries may compute differently, are numpy's
        w0, w1 = _words(count, seed, offset)
        two_pi = 2.0 * np.pi
        logs = np.log(np.array([(a + 1.0) * 2.0 ** -32 for a in w0], dtype=np.float64))
        coss = np.cos(np.array([two_pi * (b * 2.0 ** -32) for b in w1], dtype=np.float64))
        z = [mean + std * (math.sqrt(-2.0 * lg) * c)
             for lg, c in zip(logs.tolist(), coss.tolist(), strict=True)]
        return np.asarray(np.array(z, dtype=np.float64).reshape(shape), dtype=to_numpy(dtype))
    x0, x1 = philox_words(count, seed, offset)
    u1 = (x0.astype(np.float64) + 1.0) * 2.0 ** -32
    u2 = x1.astype(np.float64) * 2.0 ** -32
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return np.asarray(mean + std * z.reshape(shape), dtype=to_numpy(dtype))


def _randint(shape, seed, offset, dtype, low, high):
    u = _uniform01(shape, seed, offset, "float64")
    return np.asarray(low + np.floor(u * (high - low)), dtype=to_numpy(dtype))


_DIRECT = {"uniform": _uniform, "normal": _normal, "randint": _randint}
_FULL_ATTRS: dict[tuple, dict[str, Any]] = {}


def _attrs(op: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """The op's attributes with defaults filled (the registry's rule), cached."""
    key = (op, *attrs.items())
    full = _FULL_ATTRS.get(key)
    if full is None:
        full = REGISTRY[op].normalize_attrs({**attrs, "shape": ()})
        full.pop("shape", None)
        if len(_FULL_ATTRS) > 4096:
            _FULL_ATTRS.clear()
        _FULL_ATTRS[key] = full
    return full


# ---------------------------------------------------------------- native small draws
#
# A small eager draw calls the native eager provider's random kernel (tenkai.codegen.cpu.eager
# .random: the compiler's Philox, the values the op's native run and a compiled step draw) on
# this thread, with the GIL held, into a scratch buffer that is then copied out: no operand
# tensors, no op dispatch, no per-call context array or address lookups.

_NATIVE_MAX = 16384  # the scratch buffers' length (elements); at most the pool's grain
_PREPARED: dict[tuple, tuple[dict[str, Any], Any]] = {}
_native_on = _nk.enabled  # TENKAI_EAGER_NATIVE, read at every draw


def quick(op: str, count: int, key: tuple, attrs: dict[str, Any]) -> Tensor | None:
    """``draw(op, (count,), None, **attrs)`` (``key``: ``(op, *attrs.items())``) by the native
    kernel, when that is how :func:`draw` computes it: eager (no tracer or profiler), the
    default generator, 1 <= ``count`` <= the scratch length, native kernels on; else None
    (nothing drawn: the caller takes the general path). For ``randn(n)`` and ``randint(lo,
    hi, (n,))``, whose per-call cost is mostly dispatch (~1 us of ~3 less)."""
    if _TRACER.tracer is not None or _PROFILER[0] is not None or not 0 < count <= _NATIVE_MAX:
        return None
    prep = _PREPARED.get(key)
    if prep is None:
        prep = _prepare(op, attrs, key)
    native = prep[1]
    if native is None or not _native_on():
        return None
    gen = default_generator
    offset, seed = gen._offset, gen._seed
    gen._offset = offset + count
    ahead = _AHEAD.get(key)
    if ahead is not None and ahead[0] == seed and ahead[1] <= offset \
            and offset + count <= ahead[2]:  # drawn ahead already: the same values
        start = offset - ahead[1]
        data = ahead[3][start:start + count].copy()
        ahead[5] = True
    else:
        data = _draw_ahead(key, native, count, seed, offset, ahead)
    t = _new_tensor(Tensor)  # Tensor._make, inline
    t._data, t._node, t._vc, t._base, t._grad, t._retains_grad = \
        data, None, [0], None, None, False
    return t


# Quick draws read ahead: element i of a draw is a function of (seed, counter offset + i)
# alone, so the values of the counters after a draw can be computed with it, in the same
# kernel call, and handed out by the next draws of the signature (one slice copy instead of
# a kernel call: randn(1) ~0.4 us less). Per signature: [seed, first counter, end counter,
# values, counters drawn ahead, whether a later draw used them]. The read-ahead doubles
# (from 64 to _AHEAD_MAX) while draws run on where the last one ended or used its values,
# and stops where they jump elsewhere (no work wasted on counters never drawn).
_AHEAD_MAX = 4096
_AHEAD: dict[tuple, list[Any]] = {}


def _draw_ahead(key: tuple, native: Any, count: int, seed: int, offset: int,
                last: list[Any] | None) -> np.ndarray:
    grow = last is not None and last[0] == seed and (last[5] or offset == last[2])
    extra = min(max(2 * last[4], 64), _AHEAD_MAX) if grow else 0
    n = min(count + extra, _NATIVE_MAX)
    values = native((n,), n, seed, offset)
    if len(_AHEAD) > 64:
        _AHEAD.clear()
    _AHEAD[key] = [seed, offset, offset + n, values, extra, False]
    return values[:count].copy() if n > count else values


def _prepare(op: str, attrs: dict[str, Any], key: tuple) -> tuple[dict[str, Any], Any]:
    """``(full attrs, native)`` of a draw signature; ``native(shape, count, seed, offset)``
    returns the drawn array, or is None where no native kernel computes the draw."""
    full = _attrs(op, attrs)
    native = None
    deferred = _trace.DEFERRED_KERNELS[0]
    if _native_on():
        try:
            native = _native_draw(op, full)
        except NotImplementedError:
            native = None
    if len(_PREPARED) > 4096:
        _PREPARED.clear()
    if not _trace.deferred_since(deferred):  # a trace's choice: ask again later
        _PREPARED[key] = (full, native)
    return full, native


def _native_draw(op: str, full: dict[str, Any]) -> Any:
    import ctypes

    from tenkai.codegen.cpu import eager as eager_kernels

    from . import _native_kernels as nk

    dt = str(full["dtype"])
    if dt not in ("float32", "float64", "int64", "int32") or not nk._ready():
        return None
    if op == "normal":
        first, second = float(full["mean"]), float(full["std"])
    else:
        first, second = float(full["low"]), float(full["high"] - full["low"])
    kernel = nk.kernel_of(eager_kernels.random(op, dt))
    np_dtype = np.dtype(dt)
    scratch = np.empty(_NATIVE_MAX, np_dtype)
    a, b = np.array([first, second], np.float64).view(np.int64).tolist()
    ctx = (ctypes.c_int64 * 5)(nk._addr(scratch), 0, 0, a, b)
    body = kernel.held

    def native(shape: tuple[int, ...], count: int, seed: int, offset: int) -> np.ndarray:
        if count == 0:
            return np.empty(shape, np_dtype)
        ctx[1] = seed - (1 << 64) if seed >= 1 << 63 else seed
        ctx[2] = offset - (1 << 64) if offset >= 1 << 63 else offset
        body(ctx, 0, count)  # the GIL is held: ctx and scratch are this call's alone
        out = scratch[:count].copy()
        return out if len(shape) == 1 else out.reshape(shape)
    return native


def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    """0/1 draws with probabilities ``input`` (``tenkai.bernoulli(torch.full((3,), 0.5))``)."""
    probs = input if p is None else Tensor._make(np.full(input.shape, p, input._data.dtype))
    data = probs._data
    if (type(data) is np.ndarray and data.dtype in (np.float32, np.float64)
            and _trace._LOCAL.tracer is None and _profiling.ACTIVE[0] is None):
        # eager: the op's reference is ``uniform01 < p`` on the same counters, and a uniform
        # draw of the dtype over [0, 1) is those numbers exactly (24 or 53 random bits): the
        # draw's fast paths (native Philox) instead of the op's numpy Philox rounds
        u = draw("uniform", tuple(data.shape), generator, dtype=data.dtype.name)._data
        return Tensor._make(np.less(u, data).astype(data.dtype))
    gen = generator or default_generator
    seed_t, offset_t = gen.take(probs.numel())
    return apply("bernoulli", (probs.detach(), seed_t, offset_t))
