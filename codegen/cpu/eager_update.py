"""Eager kernels, continued: the fused optimizer updates (``tenkai.optim``'s ``foreach``
step for SGD and Adam), generated like the other eager kernels of :mod:`.eager` and
registered in its ``GENERATORS``."""

from __future__ import annotations

from llvmlite import ir

from tenkai.codegen.cpu.eager import GENERATORS, EagerKernel, _body, _load, _slot, _spec, _store
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.scalar.library import math_library
from tenkai.codegen.scalar.types import llvm_type

UPDATE_RULES = ("sgd", "sgd_momentum", "sgd_nesterov", "adam")


def optimizer_update(rule: str, dtype: str, lerp_small: bool = True) -> EagerKernel:
    """One optimizer step of one parameter, fused into one pass over its (contiguous) elements,
    with the very roundings of the op-by-op update (``tenkai.optim``): each ``+ - * / sqrt``
    of float ``dtype`` in the same order, no contraction into FMAs, every scalar rounded to
    ``dtype`` first. Context slots (scalars as float64 bit patterns): ``sgd`` ``[p, g, a]``:
    ``p += g * a``; ``sgd_momentum`` / ``sgd_nesterov`` ``[p, g, buf, mu, damp, a]``:
    ``buf = buf * mu + g * damp``, then ``p += buf * a`` (Nesterov: ``p += (g + buf * mu) *
    a``); ``adam`` ``[p, g, m, v, w, b2, c2, bc2, eps, s]``: ``d = g - m``, ``m = m + d * w``
    (``lerp_small``; else ``m = g - d * w``), ``v = v * b2 + g * c2 * g``,
    ``p += m * s / (sqrt(v) / bc2 + eps)``."""
    if rule not in UPDATE_RULES or dtype not in ("float32", "float64"):
        raise NotImplementedError(f"eager kernels: no {rule!r} update on {dtype}")
    return EagerKernel("update", _spec(rule=rule, dtype=dtype, lerp_small=bool(lerp_small)))


def _gen_update(module: ir.Module, name: str, rule: str, dtype: str, lerp_small: bool) -> None:
    from tenkai.codegen.scalar.types import F64

    b, ctx, begin, end = _body(module, name)
    n_ptr = {"sgd": 2, "sgd_momentum": 3, "sgd_nesterov": 3, "adam": 4}[rule]
    n_scalar = {"sgd": 1, "sgd_momentum": 3, "sgd_nesterov": 3, "adam": 6}[rule]
    ptrs = [_slot(b, ctx, k, pointer=True) for k in range(n_ptr)]
    ty = llvm_type(dtype)
    scalars = [b.bitcast(_slot(b, ctx, n_ptr + k), F64) for k in range(n_scalar)]
    if dtype != "float64":
        scalars = [b.fptrunc(x, ty) for x in scalars]
    lib = math_library(None)
    with counted_loop(b, begin, end, "i", rotated=True) as i:
        p, g = _load(b, ptrs[0], i, dtype), _load(b, ptrs[1], i, dtype)
        if rule == "sgd":
            p = b.fadd(p, b.fmul(g, scalars[0]))
        elif rule in ("sgd_momentum", "sgd_nesterov"):
            mu, damp, a = scalars
            buf = b.fadd(b.fmul(_load(b, ptrs[2], i, dtype), mu), b.fmul(g, damp))
            _store(b, buf, ptrs[2], i, dtype)
            step = b.fadd(g, b.fmul(buf, mu)) if rule == "sgd_nesterov" else buf
            p = b.fadd(p, b.fmul(step, a))
        else:
            w, b2, c2, bc2, eps, step_size = scalars
            m, v = _load(b, ptrs[2], i, dtype), _load(b, ptrs[3], i, dtype)
            diff = b.fsub(g, m)
            m = b.fadd(m, b.fmul(diff, w)) if lerp_small else b.fsub(g, b.fmul(diff, w))
            v = b.fadd(b.fmul(v, b2), b.fmul(b.fmul(g, c2), g))
            _store(b, m, ptrs[2], i, dtype)
            _store(b, v, ptrs[3], i, dtype)
            den = b.fadd(b.fdiv(lib.call(b, "sqrt", [v]), bc2), eps)
            p = b.fadd(p, b.fdiv(b.fmul(m, step_size), den))
        _store(b, p, ptrs[0], i, dtype)
    b.ret_void()


GENERATORS["update"] = _gen_update
