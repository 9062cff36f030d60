"""Fused eager optimizer steps: one native pass per parameter instead of an op per term.

The op-by-op update of ``SGD``/``Adam`` (``_update``: registry ops and in-place methods, each a
numpy pass and a Python dispatch) stays the definition, and what ``tenkai.compile`` traces.
Eagerly, where the native eager kernels are on (``TENKAI_EAGER_NATIVE``), the common
configurations run the kernel :func:`tenkai.codegen.cpu.eager_update.optimizer_update` instead: the
same ``+ - * / sqrt`` in the same order with every scalar rounded to the parameter's dtype as
the ops round it, so the parameters and the state are bit-identical to the op-by-op step
(tests/frontend/test_eager_optim_fused.py), and the same version counters move. Anything else
(weight decay, ``maximize``, AMSGrad, tensor hyperparameters, a first step that creates the
state, non-contiguous or mixed-dtype buffers, a trace or the profiler running) takes the
op-by-op path.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any

import numpy as np

from .. import _native_kernels as nk
from .. import _ops, _profiling, _trace
from .._tensor import Tensor

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# the dtype names the kernels are generated for (``np.dtype.name`` runs Python code: ~5 us)
_NAMES = {d: d.name for d in _FLOATS}
_I64 = ctypes.c_int64
_DOUBLE, _INT64 = struct.Struct("<d"), struct.Struct("<q")


def _bits(x: float) -> int:
    """The float64 bit pattern of ``x`` as a signed 64-bit int (a context slot)."""
    return _INT64.unpack(_DOUBLE.pack(x))[0]


def available() -> bool:
    """Whether fused steps may run now: eager, no profiler, native kernels on and loaded."""
    return (_trace.active() is None and _profiling.ACTIVE[0] is None and nk.enabled()
            and nk.ready())


def _plain(*values: Any) -> bool:
    return all(type(v) in (float, int) for v in values)


def _dense(t: Tensor, like: np.ndarray) -> bool:
    d = t._data
    return d.dtype == like.dtype and d.shape == like.shape and d.flags.c_contiguous


def _fits(param: Tensor, grad: Tensor, *state: Tensor) -> bool:
    """Contiguous buffers of one float dtype and shape; the parameter and its state writable
    and apart from each other and from the gradient; a gradient without history."""
    p = param._data
    if p.dtype not in _FLOATS or not p.flags.c_contiguous or not p.flags.writeable:
        return False
    if not isinstance(grad, Tensor) or grad.requires_grad or not _dense(grad, p):
        return False
    for s in state:
        if not isinstance(s, Tensor) or not _dense(s, p) or not s._data.flags.writeable:
            return False
    buffers = (p, grad._data, *[s._data for s in state])
    for i, a in enumerate(buffers):
        for other in buffers[i + 1:]:
            if np.may_share_memory(a, other):
                return False
    return True


_KERNELS: dict[tuple, Any] = {}


def _run(rule: str, param: Tensor, buffers: list[np.ndarray], scalars: list[float],
         lerp_small: bool = True) -> None:
    p = param._data
    key = (rule, _NAMES[p.dtype], lerp_small)
    kernel = _KERNELS.get(key)
    if kernel is None:
        from tenkai.codegen.cpu import eager_update as gen

        kernel = _KERNELS[key] = nk.kernel_of(gen.optimizer_update(*key))
    slots = [nk.addr(a) for a in buffers] + [_bits(float(x)) for x in scalars]
    kernel.run(slots, p.size, nk.GRAIN)


def sgd_step(param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> bool:
    """``SGD._update`` fused (see the module docstring); False: take the op-by-op path."""
    lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
    if group["weight_decay"] != 0 or group.get("maximize", False) or \
            not _plain(lr, momentum, dampening):
        return False
    grad = param.grad
    if momentum == 0:
        if not _fits(param, grad):
            return False
        _run("sgd", param, [param._data, grad._data], [-lr])
        param._vc[0] += 1
        return True
    buf = state.get("momentum_buffer")
    if buf is None or not _fits(param, grad, buf):
        return False  # the first step clones the gradient into the buffer
    rule = "sgd_nesterov" if group["nesterov"] else "sgd_momentum"
    _run(rule, param, [param._data, grad._data, buf._data], [momentum, 1 - dampening, -lr])
    buf._vc[0] += 2  # mul_, add_
    param._vc[0] += 1
    return True


def adam_step(param: Tensor, state: dict[str, Any], group: dict[str, Any],
              scalars: dict[tuple, tuple[float, float]]) -> bool:
    """``Adam._update`` fused (see the module docstring); False: take the op-by-op path.
    ``scalars`` caches the bias corrections per (step value, lr, betas) for one ``step()``."""
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    if not state or group["amsgrad"] or group["weight_decay"] != 0 or \
            group.get("maximize", False) or not _plain(lr, beta1, beta2, eps):
        return False
    grad, m, v = param.grad, state.get("exp_avg"), state.get("exp_avg_sq")
    step_t = state.get("step")
    if not isinstance(step_t, Tensor) or step_t._data.ndim != 0 or \
            not _fits(param, grad, m, v):
        return False
    step = _ops.cast(state["step"].add_(1), "float64")  # optimizer.count_step
    key = (float(step._data), lr, beta1, beta2)
    found = scalars.get(key)
    if found is None:  # the op-by-op update's float64 tensors, computed by the same ops
        step_size = _ops.div(lr, _ops.sub(1, _ops.pow(beta1, step)))
        bc2 = _ops.sqrt(_ops.sub(1, _ops.pow(beta2, step)))
        found = scalars[key] = (float(bc2._data), float(_ops.neg(step_size)._data))
    bc2_value, neg_step_size = found
    weight = 1 - beta1
    small = abs(weight) < 0.5  # optimizer.lerp_'s two-sided formula
    _run("adam", param, [param._data, grad._data, m._data, v._data],
         [weight if small else 1 - weight, beta2, 1 - beta2, bc2_value, eps, neg_step_size],
         small)
    m._vc[0] += 1  # add_ (or copy_)
    v._vc[0] += 2  # mul_, add_
    param._vc[0] += 1
    return True
