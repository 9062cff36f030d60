"""One direction of an ``RNN``/``LSTM``/``GRU`` layer as one fused eager step (numpy).

The composite in :mod:`rnn` records ~15 registry ops per time step; eagerly, their dispatch
dominates (an LSTM over 16 steps: ~240 ops). Here the recurrence runs as a numpy loop with
the composite's math (the same gate order, PyTorch's formulas) and records one step whose
backward is back-propagation through time in numpy (see :mod:`tenkai._eager_fused`). Taken
for plain layers (no projection, no packed-sequence masks) when something requires grad;
the composite runs otherwise, and whenever anything traces (``tenkai.compile``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _eager_fused
from .._tensor import Tensor

WEIGHT_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def run_direction(mode: str, x: Tensor, w: dict[str, Tensor | None], h: Tensor,
                  c: Tensor | None, reverse: bool,
                  composite: Callable[..., tuple]) -> tuple | None:
    """``(seq, h_n, c_n)`` of one direction fused, or None when the composite must run.
    ``composite(x, h, c, w_ih, w_hh, b_ih, b_hh)`` is the same direction as registry ops."""
    inputs = [x, h, c, *(w.get(k) for k in WEIGHT_NAMES)]
    if w.get("weight_hr") is not None or not _eager_fused.available(*inputs):
        return None
    arrays = [None if t is None else t._data for t in inputs]
    values, saved = _forward(mode, reverse, *arrays)

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray | None]:
        return _backward(mode, reverse, arrays, saved, seeds)

    def recomposed(*ts: Any) -> list[Tensor]:
        seq, h_n, c_n = composite(*ts)
        return [seq, h_n] if c_n is None else [seq, h_n, c_n]

    outs = _eager_fused.record("StackBackward0", inputs, values, backward, recomposed)
    return outs[0], outs[1], (outs[2] if mode == "LSTM" else None)


def _steps(count: int, reverse: bool) -> range:
    return range(count - 1, -1, -1) if reverse else range(count)


def _forward(mode: str, reverse: bool, x: np.ndarray, h: np.ndarray, c: np.ndarray | None,
             w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray | None,
             b_hh: np.ndarray | None) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """The layer's outputs and what its backward reads (per step, indexed by time)."""
    steps, batch = x.shape[0], x.shape[1]
    size = w_hh.shape[1]
    proj = x.reshape(steps * batch, x.shape[2]) @ w_ih.T
    if b_ih is not None:
        proj += b_ih
    if b_hh is not None and mode != "GRU":  # RNN/LSTM: b_hh folded into the projection
        proj += b_hh
    proj = proj.reshape(steps, batch, -1)
    w_hh_t = w_hh.T
    seq = np.empty((steps, batch, size), x.dtype)
    saved: dict[str, np.ndarray] = {}
    if mode == "LSTM":
        saved.update(act=np.empty_like(proj), g=np.empty_like(seq), c=np.empty_like(seq),
                     tc=np.empty_like(seq))
    elif mode == "GRU":
        saved.update(rz=np.empty((steps, batch, 2 * size), x.dtype), n=np.empty_like(seq),
                     hhn=np.empty_like(seq))
    h0, c0 = h, c
    with np.errstate(over="ignore"):  # exp(-x) of a large negative gate: inf, sigmoid 0
        h, c = _recur(mode, reverse, proj, h, c, w_hh_t, b_hh, seq, saved)
    saved["hprev"] = _before(seq, h0, reverse)
    if mode == "LSTM":
        saved["cprev"] = _before(saved["c"], c0, reverse)
    if mode in ("RNN_TANH", "RNN_RELU"):
        saved["h"] = seq.copy()  # the outputs may be modified in place before the backward
    values = [seq, np.array(h, copy=True)]
    if mode == "LSTM":
        values.append(np.array(c, copy=True))
    return values, saved


def _recur(mode: str, reverse: bool, proj: np.ndarray, h: np.ndarray, c: np.ndarray | None,
           w_hh_t: np.ndarray, b_hh: np.ndarray | None, seq: np.ndarray,
           saved: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """The time loop: each step's state into ``seq``; returns the last (h, c)."""
    for t in _steps(proj.shape[0], reverse):
        if mode == "LSTM":
            h = _lstm_step(proj[t], h, c, w_hh_t, saved, t, seq[t])
            c = saved["c"][t]
            continue
        if mode == "GRU":
            h = _gru_step(proj[t], h, w_hh_t, b_hh, saved, t)
        else:
            pre = proj[t] + h @ w_hh_t
            h = np.maximum(pre, 0) if mode == "RNN_RELU" else np.tanh(pre)
        seq[t] = h
    return h, c


def _before(states: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """A new array of the state each step starts from: ``first``, then the steps' states
    (in time order, or against it for a reverse direction)."""
    first = first[None]
    if reverse:
        return np.concatenate([states[1:], first])
    return np.concatenate([first, states[:-1]])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in place on ``x`` (a fresh array; within an ulp of the
    registry's sign-split form, which the composite runs)."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1
    return np.reciprocal(x, out=x)


def _lstm_step(proj: np.ndarray, h: np.ndarray, c: np.ndarray, w_hh_t: np.ndarray,
               saved: dict[str, np.ndarray], t: int, out: np.ndarray) -> np.ndarray:
    """Step t written into its saved buffers (gates, g, c, tanh(c)) and ``out`` (h)."""
    size = h.shape[-1]
    act = np.matmul(h, w_hh_t, out=saved["act"][t])
    act += proj
    g = np.tanh(act[:, 2 * size:3 * size], out=saved["g"][t])
    _sigmoid(act)  # i, f and o read from it; g is the tanh of its own slice
    c_new = np.multiply(act[:, size:2 * size], c, out=saved["c"][t])
    c_new += act[:, :size] * g
    tc = np.tanh(c_new, out=saved["tc"][t])
    return np.multiply(act[:, 3 * size:], tc, out=out)


def _gru_step(proj: np.ndarray, h: np.ndarray, w_hh_t: np.ndarray, b_hh: np.ndarray | None,
              saved: dict[str, np.ndarray], t: int) -> np.ndarray:
    """PyTorch's GRU cell, in the composite's order of operations (``rnn._gru_step``)."""
    size = h.shape[-1]
    hh = h @ w_hh_t
    if b_hh is not None:
        hh += b_hh
    rz = _sigmoid(proj[:, :2 * size] + hh[:, :2 * size])
    hhn = hh[:, 2 * size:]
    n = np.tanh(proj[:, 2 * size:] + rz[:, :size] * hhn)
    saved["rz"][t], saved["n"][t], saved["hhn"][t] = rz, n, hhn
    return n + rz[:, size:] * (h - n)


def _backward(mode: str, reverse: bool, arrays: list[Any], saved: dict[str, np.ndarray],
              seeds: list[np.ndarray]) -> list[np.ndarray | None]:
    """Back-propagation through time: one gradient per input (x, h0, c0, w_ih, w_hh, b_ih,
    b_hh), None for an absent one."""
    x, _, c0, w_ih, w_hh, b_ih, b_hh = arrays
    gseq, dh = seeds[0], seeds[1]
    dc = seeds[2] if mode == "LSTM" else None
    steps, batch, size = gseq.shape
    gates = w_ih.shape[0]
    d_proj = np.empty((steps, batch, gates), x.dtype)  # the gradient of each step's x-part
    d_hh = d_proj if mode != "GRU" else np.empty_like(d_proj)  # ... of its h @ w_hh.T part
    for t in _steps(steps, not reverse):
        dh = dh + gseq[t]
        if mode == "LSTM":
            dc = _lstm_step_grad(dh, dc, saved, t, d_proj[t])
            dh = d_proj[t] @ w_hh
        elif mode == "GRU":
            dh = _gru_step_grad(dh, saved, t, d_proj[t], d_hh[t]) + d_hh[t] @ w_hh
        else:
            h_t = saved["h"][t]
            d_proj[t] = (np.where(h_t > 0, dh, 0) if mode == "RNN_RELU"
                         else dh * (1 - h_t * h_t))
            dh = d_proj[t] @ w_hh
    flat_x = x.reshape(steps * batch, x.shape[2])
    dx2 = d_proj.reshape(steps * batch, gates)
    dhh2 = d_hh.reshape(steps * batch, gates)
    d_x = (dx2 @ w_ih).reshape(x.shape)
    d_w_ih = dx2.T @ flat_x
    d_w_hh = dhh2.T @ saved["hprev"].reshape(steps * batch, size)
    d_b_ih = None if b_ih is None else dx2.sum(0)
    d_b_hh = None if b_hh is None else dhh2.sum(0)
    return [d_x, dh, dc if c0 is not None else None, d_w_ih, d_w_hh, d_b_ih, d_b_hh]


def _lstm_step_grad(dh: np.ndarray, dc: np.ndarray, saved: dict[str, np.ndarray], t: int,
                    out: np.ndarray) -> np.ndarray:
    """Step t's gate gradients into ``out`` (i, f, g, o); returns the previous cell's."""
    size = dh.shape[-1]
    act = saved["act"][t]
    i, f, o = act[:, :size], act[:, size:2 * size], act[:, 3 * size:]
    g, tc = saved["g"][t], saved["tc"][t]
    dc = dc + dh * o * (1 - tc * tc)
    out[:, :size] = dc * g * i * (1 - i)
    out[:, size:2 * size] = dc * saved["cprev"][t] * f * (1 - f)
    out[:, 2 * size:3 * size] = dc * i * (1 - g * g)
    out[:, 3 * size:] = dh * tc * o * (1 - o)
    return dc * f


def _gru_step_grad(dh: np.ndarray, saved: dict[str, np.ndarray], t: int, d_x: np.ndarray,
                   d_hh: np.ndarray) -> np.ndarray:
    """Step t's gradients of its x-part (r, z, n) into ``d_x`` and of its ``h @ w_hh.T +
    b_hh`` into ``d_hh``; returns the direct part of the previous state's (``dh * z``)."""
    size = dh.shape[-1]
    rz = saved["rz"][t]
    r, z, n = rz[:, :size], rz[:, size:], saved["n"][t]
    dn = dh * (1 - z) * (1 - n * n)
    d_x[:, :size] = dn * saved["hhn"][t] * r * (1 - r)
    d_x[:, size:2 * size] = dh * (saved["hprev"][t] - n) * z * (1 - z)
    d_x[:, 2 * size:] = dn
    d_hh[:, :2 * size] = d_x[:, :2 * size]
    d_hh[:, 2 * size:] = dn * r
    return dh * z
