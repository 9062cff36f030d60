"""The recurrent ops of the ``torch`` namespace (``torch.lstm``, ``torch.gru_cell``, ...) that
PyTorch's RNN modules call: the same composites as :mod:`tenkai.nn.rnn`, with flat weight
lists (per layer and direction: ``w_ih, w_hh[, b_ih, b_hh][, w_hr]``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._shape import stack
from .._tensor import Tensor
from . import functional as F
from .rnn import _gru_step, _lstm_step, _plus, _rnn_step, run_layers

__all__ = ["gru", "gru_cell", "lstm", "lstm_cell", "rnn_relu", "rnn_relu_cell", "rnn_tanh",
           "rnn_tanh_cell"]


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step on (N, H_in) with ``hx = (h, c)``; returns ``(h', c')``."""
    return _lstm_step(_plus(F.linear(input, w_ih, b_ih), b_hh), hx[0], hx[1], w_hh.t(), None)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step; returns ``h'``."""
    return _gru_step(F.linear(input, w_ih, b_ih), hx, w_hh.t(), b_hh)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with tanh."""
    return _rnn_step(_plus(F.linear(input, w_ih, b_ih), b_hh), hx, w_hh.t(), False)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with relu."""
    return _rnn_step(_plus(F.linear(input, w_ih, b_ih), b_hh), hx, w_hh.t(), True)


def _split(params: Sequence[Tensor], has_biases: bool, layers: int, directions: int,
           projections: bool) -> list[dict[str, Tensor]]:
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_biases else []) + (
        ["weight_hr"] if projections else [])
    per = len(names)
    if len(params) != per * layers * directions:
        raise RuntimeError(f"rnn: expected {per * layers * directions} parameter tensors "
                           f"({per} per layer and direction), got {len(params)}")
    return [dict(zip(names, params[k * per:(k + 1) * per], strict=True))
            for k in range(layers * directions)]


def _run(mode: str, input: Any, hx: Sequence[Tensor], params: Sequence[Tensor],
         has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool,
         batch_first: Any) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    if not isinstance(batch_first, bool):  # the packed overload: (data, batch_sizes, hx, ...)
        raise NotImplementedError(f"torch.{mode.lower()}: the packed-sequence overload "
                                  "(data, batch_sizes, ...) is not supported by tenkai; pass a "
                                  "PackedSequence to the nn module instead")
    directions = 2 if bidirectional else 1
    h0 = hx[0]
    projections = mode == "LSTM" and hx[1].shape[-1] != h0.shape[-1]
    weights = _split(params, has_biases, num_layers, directions, projections)
    x = input.transpose(0, 1) if batch_first else input
    out, h_n, c_n = run_layers(mode, x, weights, list(h0.unbind(0)),
                               None if mode != "LSTM" else list(hx[1].unbind(0)), None,
                               num_layers, directions, dropout, train)
    return (out.transpose(0, 1) if batch_first else out), h_n, c_n


def lstm(input: Tensor, hx: Sequence[Tensor], params: Sequence[Tensor], has_biases: bool,
         num_layers: int, dropout: float, train: bool, bidirectional: bool,
         batch_first: bool) -> tuple[Tensor, Tensor, Tensor]:
    """``torch.lstm``: stacked LSTM layers; returns ``(output, h_n, c_n)``."""
    out, h_n, c_n = _run("LSTM", input, hx, params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first)
    return out, stack(h_n), stack(c_n)


def gru(input: Tensor, hx: Tensor, params: Sequence[Tensor], has_biases: bool, num_layers: int,
        dropout: float, train: bool, bidirectional: bool,
        batch_first: bool) -> tuple[Tensor, Tensor]:
    """``torch.gru``: stacked GRU layers; returns ``(output, h_n)``."""
    out, h_n, _ = _run("GRU", input, (hx,), params, has_biases, num_layers, dropout, train,
                       bidirectional, batch_first)
    return out, stack(h_n)


def rnn_tanh(input: Tensor, hx: Tensor, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """``torch.rnn_tanh``: stacked Elman layers with tanh; returns ``(output, h_n)``."""
    out, h_n, _ = _run("RNN_TANH", input, (hx,), params, has_biases, num_layers, dropout, train,
                       bidirectional, batch_first)
    return out, stack(h_n)


def rnn_relu(input: Tensor, hx: Tensor, params: Sequence[Tensor], has_biases: bool,
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """``torch.rnn_relu``: stacked Elman layers with relu; returns ``(output, h_n)``."""
    out, h_n, _ = _run("RNN_RELU", input, (hx,), params, has_biases, num_layers, dropout, train,
                       bidirectional, batch_first)
    return out, stack(h_n)
