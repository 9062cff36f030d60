"""Recurrent layers with PyTorch's API: ``RNN``, ``LSTM``, ``GRU`` and their cells.

Each layer is a composite of registry ops (``linear``, ``sigmoid``, ``tanh``, slicing,
``stack``), so it records, differentiates and compiles like any other model. The input
projection of a whole sequence is one matmul; the recurrence is unrolled over time.
Parameter names, shapes, initialization (U(-1/sqrt(hidden), 1/sqrt(hidden))), argument
checks, ``repr`` and outputs follow PyTorch::

    lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    out, (h_n, c_n) = lstm(torch.randn(3, 5, 10))   # out: (3, 5, 20), h_n: (2, 3, 20)

Packed sequences (:mod:`tenkai.nn.utils.rnn`) run on the padded batch with a per-step mask
(a finished sequence keeps its state), which is what PyTorch's packed kernels compute.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import _creation
from .._ops import apply, relu, sigmoid, tanh, tensor_of, where
from .._shape import cat, named, stack
from .._tensor import Tensor
from . import _rnn_fused, init
from . import functional as F
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, packed_to_padded, padded_to_packed

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_sizes(input_size: Any, hidden_size: Any) -> None:
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")


def _check_config(dropout: Any, num_layers: int, bias: Any, batch_first: Any,
                  proj_size: int, hidden_size: int) -> None:
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                      stacklevel=4)
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


# ---------------------------------------------------------------- one time step


# The steps take ``w_hh`` transposed once per sequence (``w_hh_t``: (H, gates)); RNN and
# LSTM fold ``b_hh`` into the input projection of the whole sequence (the sum is the same),
# so one step is a matmul and an add before the gate math.


def _plus(x: Tensor, bias: Tensor | None) -> Tensor:
    return x if bias is None else x + bias


def _rnn_step(x_proj: Tensor, h: Tensor, w_hh_t: Tensor, relu_act: bool) -> Tensor:
    pre = x_proj + h @ w_hh_t
    return relu(pre) if relu_act else tanh(pre)


def _lstm_step(x_proj: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor,
               w_hr: Tensor | None) -> tuple[Tensor, Tensor]:
    gates = x_proj + h @ w_hh_t
    size = gates.shape[-1] // 4
    act = sigmoid(gates)  # i, f and o are read from it; g is the tanh of its own slice
    i, f, o = _cols(act, 0, size), _cols(act, size, 2 * size), _cols(act, 3 * size, 4 * size)
    c_new = f * c + i * tanh(_cols(gates, 2 * size, 3 * size))
    h_new = o * tanh(c_new)
    if w_hr is not None:
        h_new = F.linear(h_new, w_hr)
    return h_new, c_new


def _gru_step(x_proj: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    """PyTorch's GRU cell: ``r, z = sigmoid(x_rz + h_rz)`` (one sigmoid for both gates),
    ``n = tanh(x_n + r * h_n)``, ``h' = n + z * (h - n)`` (ATen's order of operations)."""
    size = h.shape[-1]
    hh = _plus(h @ w_hh_t, b_hh)
    rz = sigmoid(_cols(x_proj, 0, 2 * size) + _cols(hh, 0, 2 * size))
    r, z = _cols(rz, 0, size), _cols(rz, size, 2 * size)
    n = tanh(_cols(x_proj, 2 * size, 3 * size) + r * _cols(hh, 2 * size, 3 * size))
    return n + z * (h - n)


def _cols(x: Tensor, start: int, stop: int) -> Tensor:
    """``x[..., start:stop]`` (one slice node)."""
    return _slice_along(x, x.ndim - 1, start, stop)


def _slice_along(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    """``x[start:stop]`` along ``axis`` as one registry ``slice`` node."""
    starts = tuple(start if i == axis else 0 for i in range(x.ndim))
    stops = tuple(stop if i == axis else d for i, d in enumerate(x.shape))
    return apply("slice", (x,), name="SliceBackward0", starts=starts, stops=stops,
                 steps=(1,) * x.ndim)


def _step_masks(lengths: list[int] | None, steps: int, batch: int) -> list[Tensor | None]:
    """Per time step, a (batch, 1) bool mask of the sequences still running (None: all)."""
    if lengths is None:
        return [None] * steps
    lens = np.asarray(lengths)
    masks: list[Tensor | None] = []
    for t in range(steps):
        alive = (lens > t).reshape(batch, 1)
        masks.append(None if alive.all() else tensor_of(alive, "bool"))
    return masks


def run_layers(mode: str, x: Tensor, weights: list[dict[str, Tensor | None]], h0: list[Tensor],
               c0: list[Tensor] | None, lengths: list[int] | None, num_layers: int,
               directions: int, dropout: float,
               training: bool) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """Stacked recurrent layers on time-major ``x`` (L, N, H_in).

    ``weights``, ``h0`` and ``c0`` hold one entry per layer and direction (PyTorch's order);
    returns the last layer's output and the final states in the same order."""
    masks = _step_masks(lengths, x.shape[0], x.shape[1])
    h_out: list[Tensor] = []
    c_out: list[Tensor] = []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            seq, h, c = _run_direction(mode, x, weights[k], h0[k],
                                       None if c0 is None else c0[k], masks, direction == 1)
            outputs.append(seq)
            h_out.append(h)
            if c is not None:
                c_out.append(c)
        x = outputs[0] if directions == 1 else cat(outputs, -1)
        if dropout and training and layer < num_layers - 1:
            x = F.dropout(x, dropout, True)
    return x, h_out, c_out


def _run_direction(mode: str, x: Tensor, w: dict[str, Tensor | None], h: Tensor,
                   c: Tensor | None, masks: list[Tensor | None],
                   reverse: bool) -> tuple[Tensor, Tensor, Tensor | None]:
    if all(m is None for m in masks):  # eager, recording: one fused step (numpy)
        def composite(*ts: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
            weights = dict(zip(_rnn_fused.WEIGHT_NAMES, ts[3:], strict=True))
            return _run_direction(mode, ts[0], weights, ts[1], ts[2], masks, reverse)
        fused = _rnn_fused.run_direction(mode, x, w, h, c, reverse, composite)
        if fused is not None:
            return fused
    steps, batch = x.shape[0], x.shape[1]
    # one 2-D matmul for the whole sequence (numpy's stacked 3-D matmul is far slower)
    flat = F.linear(x.reshape(steps * batch, x.shape[2]), w["weight_ih"], w.get("bias_ih"))
    b_hh = w.get("bias_hh")
    if b_hh is not None and mode != "GRU":
        flat, b_hh = flat + b_hh, None
    w_hh_t = w["weight_hh"].t()
    # step t reads rows [t * batch, (t + 1) * batch) of the projection (one slice node) and
    # the outputs are concatenated along the rows (one cat): fewer nodes than unbind/stack
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    outs: list[Tensor | None] = [None] * steps
    for t in order:
        projected = _slice_along(flat, 0, t * batch, (t + 1) * batch)
        if mode == "LSTM":
            h_new, c_new = _lstm_step(projected, h, c, w_hh_t, w.get("weight_hr"))
        elif mode == "GRU":
            h_new, c_new = _gru_step(projected, h, w_hh_t, b_hh), None
        else:
            h_new, c_new = _rnn_step(projected, h, w_hh_t, mode == "RNN_RELU"), None
        if masks[t] is not None:  # finished sequences keep their state (packed input)
            h_new = where(masks[t], h_new, h)
            c_new = None if c_new is None else where(masks[t], c_new, c)
        h, c = h_new, c_new
        outs[t] = h
    seq = outs[0] if steps == 1 else cat(outs, 0)
    # PyTorch's CPU RNN/GRU output is a stack of the steps' states: its grad_fn's name
    return named(seq.reshape(steps, batch, h.shape[-1]), "StackBackward0"), h, c


# ---------------------------------------------------------------- the layers


class RNNBase(Module):
    """The shared part of ``RNN``, ``LSTM`` and ``GRU``: parameters, checks, ``repr``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_config(dropout, num_layers, bias, batch_first, proj_size, hidden_size)
        _check_sizes(input_size, hidden_size)
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    setattr(self, base + suffix,
                            Parameter(_creation.empty(*shape, dtype=dtype)))
                    names.append(base + suffix)
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch compatibility (cuDNN's contiguous weight buffer)."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------ forward
    def _weights(self, layer: int, direction: int) -> dict[str, Tensor | None]:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return {base: getattr(self, base + suffix, None)
                for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")}

    def _check_input(self, input: Tensor, batched_dims: int) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.dim() != batched_dims:
            raise RuntimeError(f"input must have {batched_dims} dimensions, got {input.dim()}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _check_hidden(self, hx: Tensor, batch: int, size: int, msg: str) -> None:
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, size)
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _run(self, x: Tensor, h0: list[Tensor], c0: list[Tensor] | None,
             lengths: list[int] | None) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        directions = 2 if self.bidirectional else 1
        weights = [self._weights(layer, d) for layer in range(self.num_layers)
                   for d in range(directions)]
        return run_layers(self.mode, x, weights, h0, c0, lengths, self.num_layers,
                          directions, self.dropout, self.training)

    def _forward(self, input: Any, hx: Any) -> tuple[Any, Tensor, Tensor | None]:
        """Shared forward: unpacks/transposes, checks, runs, and packs the result back."""
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            if input.data.dim() != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {input.data.dim()}")
            x, lengths = packed_to_padded(input)
            self._check_input(x, 3)
            batched = True
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 + ("tensor instead" if name == "RNN" else "instead"))
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
            self._check_input(x, 3)
        h0, c0 = self._initial_state(x, hx, batched, packed, input)
        out, h_n, c_n = self._run(x, h0, c0, lengths)
        h_n = stack(h_n)
        c_n = stack(c_n) if c_n else None
        if packed:
            out = padded_to_packed(out, input)
            h_n = _unsort(h_n, input)
            c_n = None if c_n is None else _unsort(c_n, input)
        elif not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, h_n, c_n

    def _initial_state(self, x: Tensor, hx: Any, batched: bool, packed: bool,
                       input: Any) -> tuple[list[Tensor], list[Tensor] | None]:
        directions = 2 if self.bidirectional else 1
        layers = self.num_layers * directions
        batch = x.shape[1]
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        is_lstm = self.mode == "LSTM"
        if hx is None:
            h = _creation.zeros(layers, batch, real_hidden, dtype=x.dtype, device=x.device)
            c = _creation.zeros(layers, batch, self.hidden_size, dtype=x.dtype,
                                device=x.device) if is_lstm \
                else None
        else:
            h, c = (hx if is_lstm else (hx, None))
            self._check_hidden_dims(h, c, batched)
            if not batched:
                h, c = h.unsqueeze(1), (None if c is None else c.unsqueeze(1))
            if packed:
                h, c = _sort(h, input), (None if c is None else _sort(c, input))
            if is_lstm:
                self._check_hidden(h, batch, real_hidden, "Expected hidden[0] size {}, got {}")
                self._check_hidden(c, batch, self.hidden_size,
                                   "Expected hidden[1] size {}, got {}")
            else:
                self._check_hidden(h, batch, real_hidden, "Expected hidden size {}, got {}")
        return list(h.unbind(0)), (None if c is None else list(c.unbind(0)))

    def _check_hidden_dims(self, h: Tensor, c: Tensor | None, batched: bool) -> None:
        want = 3 if batched else 2
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if c is not None and (h.dim() != want or c.dim() != want):
            raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                               f"({h.dim()}-D, {c.dim()}-D) tensors")
        if h.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                               f"{h.dim()}-D tensor")


def _sort(h: Tensor, packed: PackedSequence) -> Tensor:
    if packed.sorted_indices is None:
        return h
    return h.index_select(1, packed.sorted_indices)


def _unsort(h: Tensor, packed: PackedSequence) -> Tensor:
    if packed.unsorted_indices is None:
        return h
    return h.index_select(1, packed.unsorted_indices)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    ``out, h_n = nn.RNN(10, 20, 2)(torch.randn(5, 3, 10))``"""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        out, h_n, _ = self._forward(input, hx)
        return out, h_n


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``.

    ``out, (h, c) = nn.LSTM(10, 20)(torch.randn(5, 3, 10))``"""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Any, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Any, tuple[Tensor, Tensor]]:
        out, h_n, c_n = self._forward(input, hx)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``output, h_n``.

    ``out, h = nn.GRU(10, 20)(torch.randn(5, 3, 10))``"""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        out, h_n, _ = self._forward(input, hx)
        return out, h_n


# ---------------------------------------------------------------- cells


class RNNCellBase(Module):
    """Parameters (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) shared by the cells."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(_creation.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, name: str, input: Tensor, hx: Tensor | None) -> tuple[Tensor, bool]:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        return x, batched

    def _zeros(self, x: Tensor) -> Tensor:
        return _creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)

    def _state(self, x: Tensor, h: Tensor | None, batched: bool, k: int = -1) -> Tensor:
        if h is None:
            return self._zeros(x)
        h = h if batched else h.unsqueeze(0)
        if tuple(h.shape) != (x.shape[0], self.hidden_size):
            which = "hidden" if k < 0 else f"hidden{k}"
            raise RuntimeError(f"{which} has inconsistent hidden_size: got {h.shape[-1]}, "
                               f"expected {self.hidden_size}" if h.shape[-1] != self.hidden_size
                               else f"Input batch size {x.shape[0]} doesn't match {which} "
                               f"batch size {h.shape[0]}")
        return h


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._prepare("RNNCell", input, hx)
        h = self._state(x, hx, batched)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        out = _rnn_step(_plus(F.linear(x, self.weight_ih, self.bias_ih), self.bias_hh), h,
                        self.weight_hh.t(), self.nonlinearity == "relu")
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        if hx is not None and (hx[0].dim() not in (1, 2) or hx[1].dim() not in (1, 2)):
            raise ValueError("LSTMCell: Expected hx[0] and hx[1] to be 1D or 2D, got "
                             f"{hx[0].dim()}D and {hx[1].dim()}D instead")
        x, batched = self._prepare("LSTMCell", input, None)
        h = self._state(x, None if hx is None else hx[0], batched, 0)
        c = self._state(x, None if hx is None else hx[1], batched, 1)
        h, c = _lstm_step(_plus(F.linear(x, self.weight_ih, self.bias_ih), self.bias_hh), h, c,
                          self.weight_hh.t(), None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._prepare("GRUCell", input, hx)
        h = self._state(x, hx, batched)
        out = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh.t(),
                        self.bias_hh)
        return out if batched else out.squeeze(0)
