"""tenkai.nn modules against torch.nn, generated over every layer, activation and loss class
that ``tenkai.nn`` exports.

Each case builds the same module in both libraries (``make(M)`` with ``M`` bound to tenkai or
to torch), copies torch's freshly initialized state into tenkai through numpy, runs forward
on identical inputs in float32 and float64 (``.double()`` on both modules) and compares the
outputs, the gradients of the inputs and of every parameter (through a random cotangent), the
state after the step (BatchNorm's running statistics) and ``repr``. Further tests cover the
Module API (traversal order, state dicts, modes, hooks, conversions), the containers and the
errors users meet first.
"""

from __future__ import annotations

import inspect
import re
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

Make = Callable[[Any], Any]
Inputs = Callable[[np.random.Generator], list[np.ndarray]]


@dataclass(frozen=True)
class Case:
    """One module configuration: ``make(M)`` builds it, ``inputs(rng)`` gives numpy inputs
    (floating ones follow the tested dtype, integer ones stay int64)."""

    name: str
    make: Make
    inputs: Inputs
    grad: tuple[int, ...] = (0,)  # which inputs get requires_grad
    kwargs: dict = field(default_factory=dict)  # forward keyword arguments
    train: bool = True
    through_mul: bool = False  # feed ``x * 1`` (in-place modules must not touch a leaf)


def N(*shape: int, scale: float = 1.0) -> Inputs:
    return lambda rng: [rng.standard_normal(shape) * scale]


def ND(*shape: int) -> Inputs:
    """Distinct values: max pools have one clear winner, so gradients route identically."""
    n = int(np.prod(shape))
    return lambda rng: [((rng.permutation(n) - n / 2) * 0.05).reshape(shape)]


def pair(first: Inputs, second: Inputs) -> Inputs:
    return lambda rng: first(rng) + second(rng)


def U(lo: float, hi: float, *shape: int) -> Inputs:
    return lambda rng: [rng.uniform(lo, hi, shape)]


def I(high: int, *shape: int, low: int = 0) -> Inputs:  # noqa: E743
    return lambda rng: [rng.integers(low, high, shape).astype(np.int64)]


def A(value: Any) -> Inputs:
    return lambda rng: [np.asarray(value)]


CASES: list[Case] = []


def case(name: str, make: Make, inputs: Inputs, **kw: Any) -> None:
    CASES.append(Case(name, make, inputs, **kw))


# ---------------------------------------------------------------- layers
case("Linear", lambda M: M.nn.Linear(3, 4), N(5, 3))
case("Linear_nobias_3d", lambda M: M.nn.Linear(3, 2, bias=False), N(2, 4, 3))
case("Linear_1d_input", lambda M: M.nn.Linear(10, 1), N(10))
case("Conv1d", lambda M: M.nn.Conv1d(2, 4, 3), N(2, 2, 9))
case("Conv1d_full", lambda M: M.nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2,
                                          bias=False), N(2, 4, 11))
case("Conv1d_same", lambda M: M.nn.Conv1d(3, 2, 5, padding="same"), N(1, 3, 8))
case("Conv2d_seed000", lambda M: M.nn.Conv2d(1, 16, kernel_size=5, padding=2), N(2, 1, 7, 7))
case("Conv2d_seed001", lambda M: M.nn.Conv2d(in_channels=1, out_channels=4, kernel_size=3,
                                             stride=1, padding=1), N(2, 1, 6, 6))
case("Conv2d_full", lambda M: M.nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0),
                                          groups=2), N(2, 2, 7, 6))
case("Conv2d_dilated_nobias", lambda M: M.nn.Conv2d(3, 2, 3, dilation=2, bias=False),
     N(1, 3, 8, 9))
case("Conv2d_valid", lambda M: M.nn.Conv2d(3, 2, 3, padding="valid"), N(1, 3, 5, 5))
case("Conv2d_same", lambda M: M.nn.Conv2d(2, 3, (3, 5), padding="same"), N(2, 2, 6, 7))
case("Conv2d_unbatched", lambda M: M.nn.Conv2d(2, 3, 3), N(2, 5, 5))
case("MaxPool1d", lambda M: M.nn.MaxPool1d(2), ND(2, 3, 8))
case("MaxPool1d_full", lambda M: M.nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
     ND(2, 3, 10))
case("MaxPool1d_indices", lambda M: M.nn.MaxPool1d(2, return_indices=True), ND(1, 2, 6))
case("MaxPool2d", lambda M: M.nn.MaxPool2d(2), ND(2, 3, 6, 6))
case("MaxPool2d_seed001", lambda M: M.nn.MaxPool2d(kernel_size=2, stride=2), ND(1, 2, 7, 7))
case("MaxPool2d_full", lambda M: M.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
     ND(2, 2, 7, 8))
case("MaxPool2d_dilation", lambda M: M.nn.MaxPool2d((2, 3), stride=1, dilation=2), ND(1, 2, 7, 8))
case("MaxPool2d_indices", lambda M: M.nn.MaxPool2d(2, return_indices=True), ND(1, 2, 4, 6))
case("AvgPool1d", lambda M: M.nn.AvgPool1d(3), N(2, 3, 9))
case("AvgPool1d_full", lambda M: M.nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True,
                                                count_include_pad=False), N(2, 3, 10))
case("AvgPool2d", lambda M: M.nn.AvgPool2d(2), N(2, 3, 6, 6))
case("AvgPool2d_full", lambda M: M.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                count_include_pad=False), N(1, 2, 7, 8))
case("AvgPool2d_divisor", lambda M: M.nn.AvgPool2d((2, 3), divisor_override=5), N(1, 2, 4, 6))
case("AdaptiveAvgPool1d", lambda M: M.nn.AdaptiveAvgPool1d(3), N(2, 3, 7))
case("AdaptiveAvgPool2d", lambda M: M.nn.AdaptiveAvgPool2d((1, 1)), N(2, 3, 5, 5))
case("AdaptiveAvgPool2d_uneven", lambda M: M.nn.AdaptiveAvgPool2d(3), N(1, 2, 7, 5))
case("AdaptiveAvgPool2d_none", lambda M: M.nn.AdaptiveAvgPool2d((2, None)), N(1, 2, 5, 4))
case("BatchNorm1d", lambda M: M.nn.BatchNorm1d(4), N(6, 4, scale=3.0))
case("BatchNorm1d_3d", lambda M: M.nn.BatchNorm1d(3, eps=1e-3, momentum=0.2), N(4, 3, 5))
case("BatchNorm1d_noaffine", lambda M: M.nn.BatchNorm1d(4, affine=False), N(5, 4))
case("BatchNorm1d_cumulative", lambda M: M.nn.BatchNorm1d(4, momentum=None), N(5, 4))
case("BatchNorm1d_nostats", lambda M: M.nn.BatchNorm1d(4, track_running_stats=False), N(5, 4))
case("BatchNorm1d_eval", lambda M: M.nn.BatchNorm1d(4), N(5, 4), train=False)
case("BatchNorm2d", lambda M: M.nn.BatchNorm2d(3), N(4, 3, 5, 5, scale=2.0))
case("BatchNorm2d_eval", lambda M: M.nn.BatchNorm2d(3), N(2, 3, 4, 4), train=False)
case("BatchNorm2d_nostats_eval", lambda M: M.nn.BatchNorm2d(3, track_running_stats=False),
     N(2, 3, 4, 4), train=False)
case("LayerNorm", lambda M: M.nn.LayerNorm(5), N(3, 5, scale=2.0))
case("LayerNorm_2d", lambda M: M.nn.LayerNorm((3, 5), eps=1e-3), N(2, 3, 5))
case("LayerNorm_noaffine", lambda M: M.nn.LayerNorm(4, elementwise_affine=False), N(3, 4))
case("LayerNorm_nobias", lambda M: M.nn.LayerNorm(4, bias=False), N(3, 4))
case("Dropout_p0", lambda M: M.nn.Dropout(p=0.0), N(3, 4))
case("Dropout_eval", lambda M: M.nn.Dropout(), N(3, 4), train=False)
case("Dropout_inplace_eval", lambda M: M.nn.Dropout(0.3, inplace=True), N(3, 4), train=False)
case("Flatten", lambda M: M.nn.Flatten(), N(2, 3, 4, 5))
case("Flatten_range", lambda M: M.nn.Flatten(0, 1), N(2, 3, 4))
case("Unflatten", lambda M: M.nn.Unflatten(1, (2, 3)), N(4, 6))
case("Identity", lambda M: M.nn.Identity(), N(3, 4))
case("Identity_args", lambda M: M.nn.Identity(54, unused_argument1=0.1), N(3, 4))
case("Embedding", lambda M: M.nn.Embedding(10, 3), I(10, 2, 4), grad=())
case("Embedding_padding", lambda M: M.nn.Embedding(10, 3, padding_idx=0),
     A([[0, 2, 0, 5], [4, 3, 2, 9]]), grad=())
case("Embedding_padding_negative", lambda M: M.nn.Embedding(6, 2, padding_idx=-1),
     A([5, 1, 5]), grad=())
case("MultiheadAttention", lambda M: M.nn.MultiheadAttention(8, 2),
     pair(pair(N(4, 2, 8), N(5, 2, 8)), N(5, 2, 8)), grad=(0, 1, 2))
case("MultiheadAttention_self_batch_first", lambda M: M.nn.MultiheadAttention(
    6, 3, batch_first=True), pair(pair(N(2, 4, 6), N(2, 4, 6)), N(2, 4, 6)), grad=(0, 1, 2))
case("MultiheadAttention_nobias_per_head", lambda M: M.nn.MultiheadAttention(4, 2, bias=False),
     pair(pair(N(3, 2, 4), N(3, 2, 4)), N(3, 2, 4)), grad=(0,),
     kwargs={"average_attn_weights": False})
case("MultiheadAttention_masks", lambda M: M.nn.MultiheadAttention(4, 1),
     pair(pair(pair(N(3, 2, 4), N(3, 2, 4)), N(3, 2, 4)),
          A([[False, False, True], [False, True, True]])), grad=(0, 1, 2))
case("MultiheadAttention_kdim_vdim", lambda M: M.nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
     pair(pair(N(3, 2, 4), N(6, 2, 3)), N(6, 2, 5)), grad=(0, 1, 2))
case("MultiheadAttention_bias_kv_zero_attn", lambda M: M.nn.MultiheadAttention(
    4, 2, add_bias_kv=True, add_zero_attn=True), pair(pair(N(3, 2, 4), N(5, 2, 4)), N(5, 2, 4)),
     grad=(0, 1, 2))
case("MultiheadAttention_unbatched_batch_first", lambda M: M.nn.MultiheadAttention(
    4, 2, batch_first=True), pair(pair(N(3, 4), N(5, 4)), N(5, 4)), grad=(0, 1, 2))
case("MultiheadAttention_eval_no_weights", lambda M: M.nn.MultiheadAttention(4, 2, dropout=0.5),
     pair(pair(N(3, 2, 4), N(3, 2, 4)), N(3, 2, 4)), train=False, kwargs={"need_weights": False})
case("AdaptiveLogSoftmaxWithLoss", lambda M: M.nn.AdaptiveLogSoftmaxWithLoss(
    8, 10, [3, 6], div_value=2.0), pair(N(7, 8), A([0, 2, 3, 5, 6, 9, 1])))
case("AdaptiveLogSoftmaxWithLoss_head_bias", lambda M: M.nn.AdaptiveLogSoftmaxWithLoss(
    16, 20, [4], head_bias=True), pair(N(5, 16), A([0, 4, 19, 10, 3])))

# ---------------------------------------------------------------- activations
X = N(4, 6, scale=2.0)
case("Tanh_seed004", lambda M: M.nn.Tanh(), X)
case("ReLU", lambda M: M.nn.ReLU(), X)
case("ReLU_inplace", lambda M: M.nn.ReLU(inplace=True), X, through_mul=True)
case("ReLU6", lambda M: M.nn.ReLU6(), N(4, 6, scale=5.0))
case("ReLU6_inplace", lambda M: M.nn.ReLU6(True), N(4, 6, scale=5.0), through_mul=True)
case("ELU", lambda M: M.nn.ELU(), X)
case("ELU_alpha", lambda M: M.nn.ELU(alpha=0.5, inplace=True), X, through_mul=True)
case("CELU", lambda M: M.nn.CELU(), X)
case("CELU_alpha", lambda M: M.nn.CELU(alpha=2.0), X)
case("SELU", lambda M: M.nn.SELU(), X)
case("SELU_inplace", lambda M: M.nn.SELU(inplace=True), X, through_mul=True)
case("GELU", lambda M: M.nn.GELU(), X)
case("GELU_tanh", lambda M: M.nn.GELU(approximate="tanh"), X)
case("Sigmoid", lambda M: M.nn.Sigmoid(), X)
case("LogSigmoid", lambda M: M.nn.LogSigmoid(), X)
case("Softplus", lambda M: M.nn.Softplus(), X)
case("Softplus_beta", lambda M: M.nn.Softplus(beta=2.0, threshold=3.0), X)
case("Softsign", lambda M: M.nn.Softsign(), X)
case("Tanhshrink", lambda M: M.nn.Tanhshrink(), X)
case("Hardshrink", lambda M: M.nn.Hardshrink(), X)
case("Hardshrink_lambd", lambda M: M.nn.Hardshrink(lambd=1.5), X)
case("Softshrink", lambda M: M.nn.Softshrink(), X)
case("Softshrink_lambd", lambda M: M.nn.Softshrink(0.25), X)
case("Hardtanh", lambda M: M.nn.Hardtanh(), X)
case("Hardtanh_range", lambda M: M.nn.Hardtanh(-2.0, 2.5, inplace=True), X, through_mul=True)
case("LeakyReLU", lambda M: M.nn.LeakyReLU(), X)
case("LeakyReLU_slope", lambda M: M.nn.LeakyReLU(0.2, inplace=True), X, through_mul=True)
case("PReLU", lambda M: M.nn.PReLU(), X)
case("PReLU_channels", lambda M: M.nn.PReLU(3, init=0.1), N(2, 3, 4, 4))
case("RReLU_eval", lambda M: M.nn.RReLU(), X, train=False)
case("RReLU_eval_range", lambda M: M.nn.RReLU(0.1, 0.3), X, train=False)
case("Threshold", lambda M: M.nn.Threshold(0.1, 20.0), X)
case("Threshold_inplace", lambda M: M.nn.Threshold(-0.5, -1.0, inplace=True), X, through_mul=True)
case("Softmax", lambda M: M.nn.Softmax(dim=1), X)
case("Softmax_dim0", lambda M: M.nn.Softmax(0), N(3, 4, 2))
case("Softmin", lambda M: M.nn.Softmin(dim=-1), X)
case("LogSoftmax", lambda M: M.nn.LogSoftmax(dim=1), X)
case("Softmax2d", lambda M: M.nn.Softmax2d(), N(2, 3, 4, 4))
case("Softmax2d_unbatched", lambda M: M.nn.Softmax2d(), N(3, 2, 2))

# ---------------------------------------------------------------- losses
PRED, TARGET = N(4, 3), N(4, 3)
case("MSELoss", lambda M: M.nn.MSELoss(), pair(PRED, TARGET), grad=(0, 1))
case("MSELoss_sum", lambda M: M.nn.MSELoss(reduction="sum"), pair(PRED, TARGET))
case("MSELoss_none", lambda M: M.nn.MSELoss(reduction="none"), pair(PRED, TARGET))
case("L1Loss", lambda M: M.nn.L1Loss(), pair(PRED, TARGET), grad=(0, 1))
case("L1Loss_none", lambda M: M.nn.L1Loss(reduction="none"), pair(PRED, TARGET))
case("SmoothL1Loss", lambda M: M.nn.SmoothL1Loss(), pair(PRED, TARGET))
case("SmoothL1Loss_beta", lambda M: M.nn.SmoothL1Loss(reduction="sum", beta=0.5),
     pair(PRED, TARGET))
case("HuberLoss", lambda M: M.nn.HuberLoss(), pair(N(4, 3, scale=2.0), TARGET))
case("HuberLoss_delta", lambda M: M.nn.HuberLoss(reduction="none", delta=0.5), pair(PRED, TARGET))
CLASSES = pair(N(5, 4), A([0, 3, 1, 3, 2]))
case("CrossEntropyLoss", lambda M: M.nn.CrossEntropyLoss(), CLASSES)
case("CrossEntropyLoss_weight", lambda M: M.nn.CrossEntropyLoss(
    weight=M.tensor([1.0, 2.0, 0.5, 3.0])), CLASSES)
case("CrossEntropyLoss_ignore", lambda M: M.nn.CrossEntropyLoss(ignore_index=3), CLASSES)
case("CrossEntropyLoss_smoothing", lambda M: M.nn.CrossEntropyLoss(label_smoothing=0.1,
                                                                   reduction="sum"), CLASSES)
case("CrossEntropyLoss_probs", lambda M: M.nn.CrossEntropyLoss(), pair(N(3, 4), U(0, 1, 3, 4)))
case("CrossEntropyLoss_spatial", lambda M: M.nn.CrossEntropyLoss(reduction="none"),
     pair(N(2, 3, 2, 2), A([[[0, 1], [2, 2]], [[1, 0], [0, 2]]])))
case("NLLLoss", lambda M: M.nn.NLLLoss(), CLASSES)
case("NLLLoss_weight_ignore", lambda M: M.nn.NLLLoss(weight=M.tensor([1.0, 2.0, 0.5, 3.0]),
                                                     ignore_index=1), CLASSES)
case("NLLLoss_none", lambda M: M.nn.NLLLoss(reduction="none"), CLASSES)
case("BCELoss", lambda M: M.nn.BCELoss(), pair(U(0.05, 0.95, 4, 2), U(0, 1, 4, 2)))
case("BCELoss_weight", lambda M: M.nn.BCELoss(weight=M.tensor([1.0, 3.0]), reduction="sum"),
     pair(U(0.05, 0.95, 4, 2), U(0, 1, 4, 2)))
case("BCEWithLogitsLoss", lambda M: M.nn.BCEWithLogitsLoss(), pair(N(4, 2), U(0, 1, 4, 2)),
     grad=(0, 1))
case("BCEWithLogitsLoss_pos_weight", lambda M: M.nn.BCEWithLogitsLoss(
    pos_weight=M.tensor([2.0, 0.5]), weight=M.tensor([1.0, 3.0])), pair(N(4, 2), U(0, 1, 4, 2)))
case("KLDivLoss_batchmean", lambda M: M.nn.KLDivLoss(reduction="batchmean"),
     pair(N(3, 4), U(0.1, 1, 3, 4)), grad=(0, 1))
case("KLDivLoss_log_target", lambda M: M.nn.KLDivLoss(reduction="sum", log_target=True),
     pair(N(3, 4), N(3, 4)), grad=(0, 1))

# ---------------------------------------------------------------- recurrent layers
# (configurations, packed sequences and compiled training: tests/frontend/test_nn_rnn.py)
case("RNN", lambda M: M.nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), N(5, 2, 3))
case("LSTM", lambda M: M.nn.LSTM(3, 4, batch_first=True, bidirectional=True), N(2, 5, 3))
case("GRU", lambda M: M.nn.GRU(3, 4, bias=False), N(4, 3))
case("RNNCell", lambda M: M.nn.RNNCell(3, 4), pair(N(2, 3), N(2, 4)), grad=(0, 1))
case("LSTMCell", lambda M: M.nn.LSTMCell(3, 4), N(2, 3))
case("GRUCell", lambda M: M.nn.GRUCell(3, 4), pair(N(3), N(4)), grad=(0, 1))

# ---------------------------------------------------------------- issue 13 "nn" additions
case("SiLU", lambda M: M.nn.SiLU(), X)
case("SiLU_inplace", lambda M: M.nn.SiLU(inplace=True), X, through_mul=True)
case("Mish", lambda M: M.nn.Mish(), X)
case("Hardswish", lambda M: M.nn.Hardswish(), N(4, 6, scale=0.9))
case("Hardsigmoid", lambda M: M.nn.Hardsigmoid(), N(4, 6, scale=0.9))
case("GLU", lambda M: M.nn.GLU(), X)
case("GLU_dim0", lambda M: M.nn.GLU(dim=0), X)
case("Bilinear", lambda M: M.nn.Bilinear(3, 2, 4), pair(N(5, 3), N(5, 2)), grad=(0, 1))
case("Bilinear_nobias", lambda M: M.nn.Bilinear(2, 2, 3, bias=False), pair(N(2, 4, 2), N(2, 4, 2)))
case("CosineSimilarity", lambda M: M.nn.CosineSimilarity(), pair(N(3, 4), N(3, 4)), grad=(0, 1))
case("CosineSimilarity_dim", lambda M: M.nn.CosineSimilarity(dim=-1, eps=1e-4),
     pair(N(2, 3, 4), N(2, 3, 4)))
case("PairwiseDistance", lambda M: M.nn.PairwiseDistance(), pair(N(3, 4), N(3, 4)), grad=(0, 1))
case("PairwiseDistance_p1_keepdim", lambda M: M.nn.PairwiseDistance(p=1.0, keepdim=True),
     pair(N(3, 4), N(3, 4)))
for _cls, _shape in [("Dropout1d", (2, 3, 5)), ("Dropout2d", (2, 3, 4, 4)),
                     ("Dropout3d", (2, 3, 2, 2, 2)), ("AlphaDropout", (3, 4)),
                     ("FeatureAlphaDropout", (2, 3, 4))]:
    case(f"{_cls}_eval", (lambda c: lambda M: getattr(M.nn, c)(0.3))(_cls), N(*_shape),
         train=False)
    case(f"{_cls}_p0", (lambda c: lambda M: getattr(M.nn, c)(p=0.0))(_cls), N(*_shape))
case("Dropout2d_inplace_eval", lambda M: M.nn.Dropout2d(0.2, True), N(2, 3, 4, 4), train=False)
case("GroupNorm", lambda M: M.nn.GroupNorm(2, 4), N(3, 4, 5, scale=2.0))
case("GroupNorm_noaffine", lambda M: M.nn.GroupNorm(3, 6, eps=1e-3, affine=False), N(2, 6, 2, 2))
case("InstanceNorm1d", lambda M: M.nn.InstanceNorm1d(3), N(2, 3, 6))
case("InstanceNorm1d_unbatched", lambda M: M.nn.InstanceNorm1d(3, affine=True), N(3, 6))
case("InstanceNorm2d_stats", lambda M: M.nn.InstanceNorm2d(3, affine=True,
                                                           track_running_stats=True),
     N(2, 3, 4, 4, scale=2.0))
case("InstanceNorm2d_stats_eval", lambda M: M.nn.InstanceNorm2d(3, track_running_stats=True),
     N(2, 3, 4, 4), train=False)
case("InstanceNorm3d", lambda M: M.nn.InstanceNorm3d(2, momentum=0.3), N(2, 2, 3, 3, 2))
case("BatchNorm3d", lambda M: M.nn.BatchNorm3d(3), N(2, 3, 2, 3, 2, scale=2.0))
case("BatchNorm3d_eval", lambda M: M.nn.BatchNorm3d(3), N(2, 3, 2, 2, 2), train=False)
case("LocalResponseNorm", lambda M: M.nn.LocalResponseNorm(3), N(2, 5, 3, 3))
case("LocalResponseNorm_params", lambda M: M.nn.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=2.0),
     N(2, 4, 5))
case("RMSNorm", lambda M: M.nn.RMSNorm(5), N(3, 5, scale=2.0))
case("RMSNorm_2d_eps", lambda M: M.nn.RMSNorm([3, 5], eps=1e-3, elementwise_affine=False),
     N(2, 3, 5))
for _kind, _arg in [("ZeroPad", 2), ("ConstantPad", 1), ("ReflectionPad", 1),
                    ("ReplicationPad", 2), ("CircularPad", 1)]:
    for _d in (1, 2, 3):
        _extra = (2.5,) if _kind == "ConstantPad" else ()
        case(f"{_kind}{_d}d", (lambda k, d, a, e: lambda M: getattr(M.nn, f"{k}{d}d")(a, *e))(
            _kind, _d, _arg, _extra), N(*(2, 2) + (3,) * _d))
case("ZeroPad2d_tuple", lambda M: M.nn.ZeroPad2d((1, 0, 2, -1)), N(1, 2, 3, 4))
case("ReflectionPad2d_tuple", lambda M: M.nn.ReflectionPad2d((2, 1, 0, 2)), N(2, 3, 4))
case("ConstantPad1d_tuple", lambda M: M.nn.ConstantPad1d((3, 1), -1.0), N(2, 4))
case("PixelShuffle", lambda M: M.nn.PixelShuffle(2), N(2, 8, 3, 2))
case("PixelShuffle_nobatch", lambda M: M.nn.PixelShuffle(3), N(9, 2, 2))
case("PixelUnshuffle", lambda M: M.nn.PixelUnshuffle(2), N(2, 3, 4, 6))
case("ChannelShuffle", lambda M: M.nn.ChannelShuffle(2), N(2, 6, 3))
case("PoissonNLLLoss", lambda M: M.nn.PoissonNLLLoss(), pair(N(3, 4), U(0, 3, 3, 4)))
case("PoissonNLLLoss_full", lambda M: M.nn.PoissonNLLLoss(log_input=False, full=True,
                                                          reduction="sum"),
     pair(U(0.5, 2, 3, 4), U(0, 4, 3, 4)))
case("GaussianNLLLoss", lambda M: M.nn.GaussianNLLLoss(), pair(pair(N(3, 4), N(3, 4)),
                                                               U(0.5, 2, 3, 4)), grad=(0, 2))
case("GaussianNLLLoss_full", lambda M: M.nn.GaussianNLLLoss(full=True, reduction="none"),
     pair(pair(N(3, 4), N(3, 4)), U(0.5, 2, 3, 1)), grad=(0, 2))
SIGNS = A([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
case("HingeEmbeddingLoss", lambda M: M.nn.HingeEmbeddingLoss(), pair(N(6), SIGNS))
case("HingeEmbeddingLoss_margin", lambda M: M.nn.HingeEmbeddingLoss(0.5, reduction="none"),
     pair(N(6), SIGNS))
case("SoftMarginLoss", lambda M: M.nn.SoftMarginLoss(), pair(N(6), SIGNS))
case("CosineEmbeddingLoss", lambda M: M.nn.CosineEmbeddingLoss(margin=0.1),
     pair(pair(N(6, 4), N(6, 4)), SIGNS), grad=(0, 1))
case("CosineEmbeddingLoss_none", lambda M: M.nn.CosineEmbeddingLoss(reduction="none"),
     pair(pair(N(6, 4), N(6, 4)), SIGNS), grad=(0, 1))
case("MarginRankingLoss", lambda M: M.nn.MarginRankingLoss(0.2), pair(pair(N(6), N(6)), SIGNS),
     grad=(0, 1))
case("MultiMarginLoss", lambda M: M.nn.MultiMarginLoss(), pair(N(5, 4), A([0, 3, 1, 3, 2])))
case("MultiMarginLoss_p2_weight", lambda M: M.nn.MultiMarginLoss(
    p=2, margin=0.5, weight=M.tensor([1.0, 2.0, 0.5, 3.0]), reduction="none"),
     pair(N(5, 4), A([0, 3, 1, 3, 2])))
case("MultiLabelMarginLoss", lambda M: M.nn.MultiLabelMarginLoss(),
     pair(N(3, 4), A([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 3]])))
case("MultiLabelMarginLoss_1d_none", lambda M: M.nn.MultiLabelMarginLoss(reduction="none"),
     pair(N(4), A([2, 1, -1, 0])))
case("MultiLabelSoftMarginLoss", lambda M: M.nn.MultiLabelSoftMarginLoss(),
     pair(N(3, 4), U(0, 1, 3, 4)))
case("MultiLabelSoftMarginLoss_weight", lambda M: M.nn.MultiLabelSoftMarginLoss(
    weight=M.tensor([1.0, 2.0, 0.5, 3.0]), reduction="sum"), pair(N(3, 4), U(0, 1, 3, 4)))
TRIPLET = pair(pair(N(5, 4), N(5, 4)), N(5, 4))
case("TripletMarginLoss", lambda M: M.nn.TripletMarginLoss(), TRIPLET, grad=(0, 1, 2))
case("TripletMarginLoss_p1_swap", lambda M: M.nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True,
                                                                   reduction="none"),
     TRIPLET, grad=(0, 1, 2))
case("TripletMarginWithDistanceLoss", lambda M: M.nn.TripletMarginWithDistanceLoss(), TRIPLET,
     grad=(0, 1, 2))
case("TripletMarginWithDistanceLoss_cos", lambda M: M.nn.TripletMarginWithDistanceLoss(
    distance_function=lambda a, b: 1.0 - M.nn.functional.cosine_similarity(a, b), margin=0.5,
    swap=True), TRIPLET, grad=(0, 1, 2))


case("ConvTranspose1d", lambda M: M.nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1,
                                                   output_padding=1), N(2, 2, 5))
case("ConvTranspose2d", lambda M: M.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2,
                                                   bias=False), N(2, 4, 3, 4))
case("ConvTranspose2d_output_size", lambda M: M.nn.ConvTranspose2d(2, 3, 3, stride=2),
     N(1, 2, 3, 3), kwargs={"output_size": (8, 8)})
case("ConvTranspose2d_unbatched_dilated", lambda M: M.nn.ConvTranspose2d(2, 2, 2, dilation=2),
     N(2, 3, 3))
case("AdaptiveMaxPool1d", lambda M: M.nn.AdaptiveMaxPool1d(3), ND(2, 3, 7))
case("AdaptiveMaxPool2d", lambda M: M.nn.AdaptiveMaxPool2d((2, 3)), ND(2, 2, 4, 6))
case("AdaptiveMaxPool2d_indices", lambda M: M.nn.AdaptiveMaxPool2d(2, return_indices=True),
     ND(1, 2, 4, 4))
case("LPPool1d", lambda M: M.nn.LPPool1d(2, 3, stride=2), N(2, 3, 9))
case("LPPool2d", lambda M: M.nn.LPPool2d(1.5, (2, 3)), U(0.1, 2, 2, 2, 4, 6))
case("Upsample", lambda M: M.nn.Upsample(scale_factor=2), N(2, 3, 3, 4))
case("Upsample_linear", lambda M: M.nn.Upsample(size=7, mode="linear"), N(2, 3, 4))
case("Upsample_bilinear_corners", lambda M: M.nn.Upsample(
    scale_factor=(1.5, 2), mode="bilinear", align_corners=True), N(1, 2, 4, 3))
case("Upsample_bicubic", lambda M: M.nn.Upsample(size=(5, 6), mode="bicubic"), N(1, 2, 3, 4))
case("Upsample_trilinear", lambda M: M.nn.Upsample(scale_factor=2, mode="trilinear"),
     N(1, 2, 2, 3, 2))
case("UpsamplingNearest2d", lambda M: M.nn.UpsamplingNearest2d(size=(5, 7)), N(1, 2, 3, 4))
case("UpsamplingBilinear2d", lambda M: M.nn.UpsamplingBilinear2d(scale_factor=2), N(1, 2, 3, 4))
case("Unfold", lambda M: M.nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     N(2, 3, 5, 6))
case("Fold", lambda M: M.nn.Fold((4, 5), 2, padding=1), N(2, 12, 30))
case("Fold_unbatched_strided", lambda M: M.nn.Fold((4, 5), (2, 2), stride=(2, 1)), N(8, 8))

SEQ, MEM = N(5, 2, 8), N(4, 2, 8)
CAUSAL5 = A(np.triu(np.full((5, 5), -np.inf), 1))
case("TransformerEncoderLayer", lambda M: M.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
     SEQ)
case("TransformerEncoderLayer_norm_first_gelu_bf", lambda M: M.nn.TransformerEncoderLayer(
    8, 2, 12, 0.0, "gelu", batch_first=True, norm_first=True), N(2, 5, 8))
case("TransformerEncoderLayer_eval_masks", lambda M: M.nn.TransformerEncoderLayer(
    8, 4, 16, dropout=0.3), pair(SEQ, A(np.triu(np.ones((5, 5), bool), 1))), train=False)
case("TransformerEncoder", lambda M: M.nn.TransformerEncoder(M.nn.TransformerEncoderLayer(
    8, 2, 16, 0.0), 2, norm=M.nn.LayerNorm(8), enable_nested_tensor=False), pair(SEQ, CAUSAL5))
case("TransformerDecoderLayer_norm_first_bf", lambda M: M.nn.TransformerDecoderLayer(
    8, 2, 16, 0.0, batch_first=True, norm_first=True, bias=False),
     pair(N(2, 5, 8), N(2, 3, 8)), grad=(0, 1))
case("TransformerDecoder", lambda M: M.nn.TransformerDecoder(M.nn.TransformerDecoderLayer(
    8, 2, 16, 0.0), 2), pair(pair(SEQ, MEM), CAUSAL5), grad=(0, 1))
case("Transformer", lambda M: M.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0),
     pair(MEM, SEQ), grad=(0, 1))

case("SyncBatchNorm", lambda M: M.nn.SyncBatchNorm(3), N(4, 3, 2, 2, 2, scale=2.0))
case("SyncBatchNorm_eval", lambda M: M.nn.SyncBatchNorm(3, momentum=None), N(4, 3), train=False)

case("MaxPool3d", lambda M: M.nn.MaxPool3d(2), ND(2, 2, 4, 4, 4))
case("MaxPool3d_full", lambda M: M.nn.MaxPool3d((2, 3, 2), stride=(1, 2, 2), padding=1,
                                                ceil_mode=True), ND(1, 2, 3, 5, 4))
case("AvgPool3d", lambda M: M.nn.AvgPool3d(2), N(2, 2, 4, 4, 4))
case("AvgPool3d_full", lambda M: M.nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True,
                                                count_include_pad=False), N(3, 5, 4, 6))
case("AdaptiveAvgPool3d", lambda M: M.nn.AdaptiveAvgPool3d((2, 3, None)), N(1, 2, 5, 4, 3))
case("AdaptiveMaxPool3d", lambda M: M.nn.AdaptiveMaxPool3d(2), ND(1, 2, 5, 4, 3))
case("LPPool3d", lambda M: M.nn.LPPool3d(2, 2), N(1, 2, 4, 4, 4))

case("Conv3d", lambda M: M.nn.Conv3d(2, 3, 2), N(2, 2, 3, 4, 3))
case("Conv3d_full", lambda M: M.nn.Conv3d(4, 2, (2, 3, 1), stride=(2, 1, 1), padding=(1, 1, 0),
                                          dilation=(1, 2, 1), groups=2, bias=False),
     N(1, 4, 4, 5, 3))
case("Conv3d_same_unbatched", lambda M: M.nn.Conv3d(2, 2, 3, padding="same"), N(2, 3, 3, 3))

def unpool_inputs(pooled: tuple[int, ...], k: int) -> Inputs:
    """Pooled values and valid max indices (one random tap per window of size ``k``)."""
    def make(rng: np.random.Generator) -> list[np.ndarray]:
        spatial = pooled[2:]
        full = [s * k for s in spatial]
        taps = rng.integers(0, k, (*pooled, len(spatial)))
        grid = np.meshgrid(*[np.arange(s) for s in spatial], indexing="ij")
        flat = np.zeros(pooled, np.int64)
        for i in range(len(spatial)):
            coord = grid[i] * k + taps[..., i]
            flat = flat * full[i] + coord
        return [rng.standard_normal(pooled), flat]
    return make


def ctc_inputs(first_label: int) -> Inputs:
    """Scores (T=6, N=2, C=4), targets of labels first_label..first_label+2, lengths."""
    return lambda rng: [rng.standard_normal((6, 2, 4)),
                        rng.integers(first_label, first_label + 3, (2, 3)), np.array([6, 5]),
                        np.array([3, 2])]


SAMPLES2 = np.array([[[0.3, 0.7], [0.9, 0.1]]], np.float32)
case("MaxUnpool1d", lambda M: M.nn.MaxUnpool1d(2), unpool_inputs((2, 3, 4), 2))
case("MaxUnpool2d", lambda M: M.nn.MaxUnpool2d(2), unpool_inputs((1, 2, 3, 3), 2))
case("MaxUnpool3d", lambda M: M.nn.MaxUnpool3d(2), unpool_inputs((1, 2, 2, 3, 2), 2))
case("EmbeddingBag", lambda M: M.nn.EmbeddingBag(10, 3), I(10, 2, 4), grad=())
case("EmbeddingBag_max", lambda M: M.nn.EmbeddingBag(10, 3, mode="max"), I(10, 3, 4), grad=())
case("EmbeddingBag_sum_padding", lambda M: M.nn.EmbeddingBag(6, 2, mode="sum", padding_idx=1),
     I(6, 2, 5), grad=())
case("CTCLoss", lambda M: M.nn.CTCLoss(), ctc_inputs(1))
case("CTCLoss_sum_zero_infinity", lambda M: M.nn.CTCLoss(blank=3, reduction="sum",
                                                         zero_infinity=True), ctc_inputs(0))
case("ConvTranspose3d", lambda M: M.nn.ConvTranspose3d(2, 3, 2, stride=2), N(1, 2, 2, 3, 2))
case("ConvTranspose3d_full", lambda M: M.nn.ConvTranspose3d(4, 2, (2, 3, 1), stride=(2, 1, 2),
                                                            padding=(1, 1, 0), groups=2,
                                                            output_padding=(1, 0, 1)),
     N(2, 4, 3, 3, 2))
case("CrossMapLRN2d", lambda M: M.nn.CrossMapLRN2d(3, 0.1, 0.75, 2), N(2, 5, 3, 3))
case("FractionalMaxPool2d", lambda M: M.nn.FractionalMaxPool2d(
    2, output_size=3, _random_samples=M.tensor(SAMPLES2)), ND(1, 2, 7, 6))
case("FractionalMaxPool3d_indices", lambda M: M.nn.FractionalMaxPool3d(
    (2, 2, 1), output_ratio=0.5, return_indices=True,
    _random_samples=M.tensor(np.array([[[0.2, 0.5, 0.8]]], np.float32))), ND(1, 1, 6, 4, 4))
case("LinearCrossEntropyLoss", lambda M: M.nn.LinearCrossEntropyLoss(4, 3, bias=True),
     pair(N(5, 4), I(3, 5)))


# Every class tenkai.nn exports, except the containers, the base classes and Parameter, is
# covered.
NOT_LAYERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "Parameter", "RNNBase",
              "RNNCellBase", "ParameterList", "ParameterDict",
              "NLLLoss2d", "UninitializedParameter", "UninitializedBuffer",
              # not layers: a tensor type, a deprecated container, an options dataclass
              # (tests/frontend/test_nn_sample_ctc.py and test_nn_pool_extra.py)
              "Buffer", "Container", "LinearCrossEntropyOptions"}
# deprecated NLLLoss2d (FutureWarning) and the Lazy* modules (no state to copy before the first
# call): tests/frontend/test_nn_more.py
NOT_LAYERS |= {n for n in dir(tenkai.nn) if n.startswith("Lazy")}


def _exported_classes() -> list[str]:
    return sorted(n for n in tenkai.nn.__all__
                  if inspect.isclass(getattr(tenkai.nn, n)) and n not in NOT_LAYERS)


def test_every_exported_class_has_cases() -> None:
    covered = {type(c.make(torch)).__name__ for c in CASES}
    missing = set(_exported_classes()) - covered
    assert not missing, f"no module cases for {sorted(missing)}"
    assert {n for n in _exported_classes() if not hasattr(torch.nn, n)} == set()


# ---------------------------------------------------------------- the comparison


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def to_tenkai_state(state: dict) -> OrderedDict:
    """A torch state dict as tenkai tensors (through numpy, so nothing is shared)."""
    return OrderedDict((k, tenkai.tensor(v.detach().numpy().copy())) for k, v in state.items())


def build_pair(c: Case, dtype: type) -> tuple[Any, Any]:
    torch.manual_seed(zlib.crc32(c.name.encode()))
    ref = c.make(torch)
    ours = c.make(tenkai)
    result = ours.load_state_dict(to_tenkai_state(ref.state_dict()))
    assert not result.missing_keys and not result.unexpected_keys
    if dtype == np.float64:
        ref, ours = ref.double(), ours.double()
    ref.train(c.train)
    ours.train(c.train)
    return ours, ref


def _outputs(res: Any) -> list[Any]:
    """The tensors of a module's result, nested tuples flattened (LSTM's (out, (h, c)))."""
    if isinstance(res, tuple):
        return [t for r in res for t in _outputs(r)]
    return [] if res is None else [res]


def _as_input(a: np.ndarray, dtype: type) -> np.ndarray:
    return a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a


def _run(lib: Any, module: Any, c: Case, arrays: list[np.ndarray], cts: list[Any] | None
         ) -> tuple[list[Any], list[Any]]:
    ins = [lib.tensor(a, requires_grad=k in c.grad) for k, a in enumerate(arrays)]
    args = [x * 1 if c.through_mul and x.requires_grad else x for x in ins]
    outs = _outputs(module(*args, **c.kwargs))
    loss = None
    for o, ct in zip(outs, cts or [], strict=False):
        if o.requires_grad:
            term = (o * lib.tensor(ct)).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    return outs, [ins[k].grad for k in c.grad]


# torch's hardsigmoid backward uses a float32 constant (1.0f / 6.0f) even in float64
LOOSE_F64 = ("Hardsigmoid", "Hardswish")


def _close(got: Any, want: Any, dtype: type, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    rtol, atol = (2e-4, 2e-5) if dtype == np.float32 else (1e-9, 1e-11)
    if dtype == np.float64 and what.startswith(LOOSE_F64):
        rtol, atol = 1e-7, 1e-9
    scale = max(1.0, float(np.nanmax(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=what)


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy()


# whole transformers take seconds each eagerly on a busy machine: the full suite runs them
QUICK_TRANSFORMERS = {"TransformerEncoderLayer", "TransformerDecoderLayer_norm_first_bf"}
_PARAMS = [pytest.param(c, id=c.name, marks=pytest.mark.slow if c.name.startswith(
    "Transformer") and c.name not in QUICK_TRANSFORMERS else ()) for c in CASES]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("c", _PARAMS)
def test_forward_backward_matches_torch(c: Case, dtype: type) -> None:
    ours, ref = build_pair(c, dtype)
    rng = _rng(c.name, dtype.__name__)
    arrays = [_as_input(a, dtype) for a in c.inputs(rng)]
    probe, _ = _run(torch, c.make(torch).to(ref_dtype(dtype)).train(c.train), c, arrays, None)
    cts = [rng.standard_normal(tuple(o.shape)).astype(_np(o).dtype) for o in probe]
    ref_outs, ref_grads = _run(torch, ref, c, arrays, cts)
    outs, grads = _run(tenkai, ours, c, arrays, cts)
    assert len(outs) == len(ref_outs), f"{c.name}: number of outputs"
    for k, (o, r) in enumerate(zip(outs, ref_outs, strict=True)):
        _close(_np(o), _np(r), dtype, f"{c.name}: output {k}")
        assert o.requires_grad == r.requires_grad, f"{c.name}: requires_grad of output {k}"
    for k, (g, r) in enumerate(zip(grads, ref_grads, strict=True)):
        assert (g is None) == (r is None), f"{c.name}: presence of input grad {k}"
        if r is not None:
            _close(g.numpy(), r.numpy(), dtype, f"{c.name}: grad of input {c.grad[k]}")
    ref_params = dict(ref.named_parameters())
    our_params = dict(ours.named_parameters())
    assert list(our_params) == list(ref_params)
    for name, p in ref_params.items():
        q = our_params[name]
        assert (q.grad is None) == (p.grad is None), f"{c.name}: presence of {name}.grad"
        if p.grad is not None:
            _close(q.grad.numpy(), p.grad.numpy(), dtype, f"{c.name}: {name}.grad")
    ref_state, our_state = ref.state_dict(), ours.state_dict()
    assert list(our_state) == list(ref_state)
    for name, v in ref_state.items():
        _close(_np(our_state[name]), _np(v), dtype, f"{c.name}: state {name} after forward")


def ref_dtype(dtype: type) -> Any:
    return torch.float64 if dtype == np.float64 else torch.float32


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_repr_matches_torch(c: Case) -> None:
    ours, ref = c.make(tenkai), c.make(torch)
    assert repr(ours) == repr(ref)
    assert str(ours) == str(ref)


# ---------------------------------------------------------------- Module API on a nested model


def nested_model(M: Any) -> Any:
    """A model using every registration path: a root Parameter, persistent and non-persistent
    buffers, Sequential/ModuleList/ModuleDict children, a shared submodule and a None slot."""
    nn = M.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3, padding=1)
            self.bn = nn.BatchNorm2d(3)
            self.register_buffer("scale", M.full((3,), 2.0))
            self.register_buffer("scratch", M.zeros(2), persistent=False)

        def forward(self, x: Any) -> Any:
            return M.relu(self.bn(self.conv(x))) * self.scale.view(1, 3, 1, 1)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gain = nn.Parameter(M.tensor([1.5]))
            self.features = nn.Sequential(Block(), nn.MaxPool2d(2), nn.Dropout(0.25))
            self.heads = nn.ModuleList([nn.Linear(18, 4), nn.Linear(18, 4, bias=False)])
            self.extra = nn.ModuleDict({"act": nn.Tanh(), "norm": nn.LayerNorm(4)})
            self.shared = self.heads[0]
            self.register_module("unused", None)

        def forward(self, x: Any) -> Any:
            x = self.features(x).flatten(1)
            x = self.heads[0](x) + self.heads[1](x) + self.shared(x)
            return self.extra["norm"](self.extra["act"](x)) * self.gain

    return Net()


def synced_pair(make: Make, seed: int = 0) -> tuple[Any, Any]:
    torch.manual_seed(seed)
    ref = make(torch)
    ours = make(tenkai)
    ours.load_state_dict(to_tenkai_state(ref.state_dict()))
    return ours, ref


def _names(items: Any) -> list[str]:
    return [name for name, _ in items]


def _types(items: Any) -> list[str]:
    return [type(v).__name__ for v in items]


def test_traversal_names_and_order_match_torch() -> None:
    ours, ref = synced_pair(nested_model)
    for method in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert _names(getattr(ours, method)()) == _names(getattr(ref, method)()), method
    assert _names(ours.named_parameters(prefix="model")) == \
        _names(ref.named_parameters(prefix="model"))
    assert _names(ours.named_parameters(recurse=False)) == ["gain"]
    assert _names(ours.named_modules(remove_duplicate=False)) == \
        _names(ref.named_modules(remove_duplicate=False))
    assert _names(ours.named_parameters(remove_duplicate=False)) == \
        _names(ref.named_parameters(remove_duplicate=False))
    assert _types(ours.modules()) == _types(ref.modules())
    assert _types(ours.children()) == _types(ref.children())
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in ref.parameters()]
    assert [tuple(b.shape) for b in ours.buffers()] == [tuple(b.shape) for b in ref.buffers()]
    assert all(isinstance(p, tenkai.nn.Parameter) and p.requires_grad for p in ours.parameters())
    assert ours.get_submodule("features.0.bn") is ours.features[0].bn
    assert repr(ours) == repr(ref)


def test_state_dict_keys_values_and_detach() -> None:
    ours, ref = synced_pair(nested_model)
    ref_state, our_state = ref.state_dict(), ours.state_dict()
    assert type(our_state) is OrderedDict
    assert list(our_state) == list(ref_state)
    assert "features.0.bn.num_batches_tracked" in our_state
    assert "features.0.scratch" not in our_state  # non-persistent buffer
    for key, value in ref_state.items():
        got = our_state[key]
        assert got.dtype.__repr__().replace("tenkai", "torch") == repr(value.dtype), key
        np.testing.assert_array_equal(got.numpy(), value.numpy(), err_msg=key)
        assert not got.requires_grad
    kept = ours.state_dict(keep_vars=True)
    assert kept["gain"] is ours.gain
    # loading copies values: later changes to the source do not leak into the model
    source = to_tenkai_state(ref_state)
    ours.load_state_dict(source)
    source["gain"].fill_(7.0)
    assert ours.gain.item() == 1.5


def test_forward_train_and_eval_match_torch() -> None:
    ours, ref = synced_pair(nested_model)
    x = np.random.default_rng(1).standard_normal((4, 2, 4, 6)).astype(np.float32)
    ours.features[2].p = ref.features[2].p = 0.0  # deterministic training forward
    _close(_np(ours(tenkai.tensor(x))), _np(ref(torch.tensor(x))), np.float32, "train")
    for key, value in ref.state_dict().items():
        _close(ours.state_dict()[key].numpy(), value.numpy(), np.float32, key)
    assert ours.eval() is ours and ref.eval() is ref
    assert not any(m.training for m in ours.modules())
    _close(_np(ours(tenkai.tensor(x))), _np(ref(torch.tensor(x))), np.float32, "eval")
    assert ours.train() is ours and all(m.training for m in ours.modules())


def test_incompatible_keys_repr_matches_torch() -> None:
    ours, ref = synced_pair(nested_model)
    assert repr(ours.load_state_dict(ours.state_dict())) == \
        repr(ref.load_state_dict(ref.state_dict())) == "<All keys matched successfully>"


def _edit_state(M: Any, model: Any, kind: str) -> dict:
    state = model.state_dict()
    if kind in ("missing", "both"):
        del state["heads.0.bias"]
        del state["features.0.bn.running_var"]
    if kind in ("unexpected", "both"):
        state["extra.head.weight"] = M.zeros(2)
        state["gain2"] = M.ones(1)
    if kind == "size":
        state["heads.1.weight"] = M.zeros(5, 18)
    return state


def _load_error(M: Any, model: Any, kind: str, strict: bool) -> tuple[type, str]:
    with pytest.raises(Exception) as err:  # noqa: PT011 - compared below
        model.load_state_dict(_edit_state(M, model, kind), strict=strict)
    return _builtin(err.value), str(err.value)


def _builtin(err: BaseException) -> type:
    """tenkai's errors subclass the builtin PyTorch raises: compare by that builtin."""
    return next(c for c in type(err).__mro__ if c.__module__ == "builtins")


@pytest.mark.parametrize("kind", ["missing", "unexpected", "both", "size"])
def test_load_state_dict_strict_errors_match_torch(kind: str) -> None:
    ours, ref = synced_pair(nested_model)
    assert _load_error(tenkai, ours, kind, True) == _load_error(torch, ref, kind, True)


def test_load_state_dict_size_mismatch_even_when_not_strict() -> None:
    ours, ref = synced_pair(nested_model)
    assert _load_error(tenkai, ours, "size", False) == _load_error(torch, ref, "size", False)


def test_load_state_dict_not_strict_returns_incompatible_keys() -> None:
    ours, ref = synced_pair(nested_model)
    got = ours.load_state_dict(_edit_state(tenkai, ours, "both"), strict=False)
    want = ref.load_state_dict(_edit_state(torch, ref, "both"), strict=False)
    assert got.missing_keys == want.missing_keys
    assert got.unexpected_keys == want.unexpected_keys
    assert repr(got) == repr(want)
    missing, unexpected = got  # a namedtuple, as in PyTorch
    assert missing == ["features.0.bn.running_var", "heads.0.bias"]  # module order


def _load_without_count(M: Any, model: Any, plain: bool) -> Any:
    state = model.state_dict()
    del state["features.0.bn.num_batches_tracked"]
    if plain:  # no ``_metadata``: an old checkpoint, from before BatchNorm counted batches
        state = dict(state)
    return model.load_state_dict(state, strict=False)


@pytest.mark.parametrize("plain", [True, False], ids=["plain_dict", "state_dict"])
def test_batchnorm_count_optional_only_in_old_checkpoints(plain: bool) -> None:
    ours, ref = synced_pair(nested_model)
    assert repr(_load_without_count(tenkai, ours, plain)) == \
        repr(_load_without_count(torch, ref, plain))


# ---------------------------------------------------------------- modes, grads, dtype, apply


def test_dropout_follows_train_and_eval() -> None:
    tenkai.manual_seed(0)
    model = tenkai.nn.Sequential(tenkai.nn.Dropout(0.5))
    x = tenkai.ones(100, 100)
    kept = model(x).numpy()
    assert set(np.unique(kept)) <= {0.0, 2.0}
    assert 0.45 < (kept == 0).mean() < 0.55
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), x.numpy())
    model.train()
    assert (model(x).numpy() == 0).any()


def test_batchnorm_running_stats_after_training_steps_match_torch() -> None:
    def make(M: Any) -> Any:
        nn = M.nn
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(True),
                             nn.Flatten(), nn.Linear(4 * 5 * 5, 3), nn.BatchNorm1d(3))

    ours, ref = synced_pair(make)
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((6, 1, 5, 5)).astype(np.float32) * 2 + 1 for _ in range(4)]
    targets = [rng.integers(0, 3, 6) for _ in range(4)]
    runs = []
    for M, model in ((tenkai, ours), (torch, ref)):
        opt = M.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for x, t in zip(batches, targets, strict=True):
            opt.zero_grad()
            loss = M.nn.functional.cross_entropy(model(M.tensor(x)), M.tensor(t))
            loss.backward()
            opt.step()
        model.eval()
        runs.append((model.state_dict(), _np(model(M.tensor(batches[0])))))
    (our_state, our_out), (ref_state, ref_out) = runs
    assert list(our_state) == list(ref_state)
    for key, value in ref_state.items():
        _close(our_state[key].numpy(), value.numpy(), np.float32, key)
    assert our_state["1.num_batches_tracked"].item() == 4
    _close(our_out, ref_out, np.float32, "eval output")


def test_zero_grad_set_to_none_and_zeros() -> None:
    ours, ref = synced_pair(nested_model)
    x = np.ones((2, 2, 4, 6), np.float32)
    for M, model in ((tenkai, ours), (torch, ref)):
        model(M.tensor(x)).sum().backward()
        assert all(p.grad is not None for p in model.parameters())
        model.zero_grad(set_to_none=False)
        assert all(float(p.grad.abs().sum()) == 0.0 for p in model.parameters())
        model.zero_grad()
        assert all(p.grad is None for p in model.parameters())


def test_requires_grad_and_freezing() -> None:
    ours, _ = synced_pair(nested_model)
    assert ours.requires_grad_(False) is ours
    assert not any(p.requires_grad for p in ours.parameters())
    out = ours(tenkai.ones(1, 2, 4, 6))
    assert not out.requires_grad and out.grad_fn is None


def test_to_double_converts_floats_and_keeps_parameter_identity() -> None:
    ours, ref = synced_pair(nested_model)
    before = list(ours.parameters())
    opt = tenkai.optim.SGD(ours.parameters(), lr=0.1)
    assert ours.to(tenkai.float64) is ours and ref.to(torch.float64) is ref
    assert [p is q for p, q in zip(before, ours.parameters(), strict=True)] == [True] * len(before)
    for (name, p), (_, q) in zip(ours.state_dict().items(), ref.state_dict().items(),
                                 strict=True):
        assert str(p.dtype).split(".")[-1] == str(q.dtype).split(".")[-1], name
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 6))
    ours.eval(), ref.eval()
    out = ours(tenkai.tensor(x))
    _close(_np(out), _np(ref(torch.tensor(x))), np.float64, "float64 forward")
    out.sum().backward()
    opt.step()  # the optimizer built before .to() still updates the same parameters
    assert ours.gain.dtype == tenkai.float64
    assert ours.float() is ours and ours.gain.dtype == tenkai.float32
    assert ours.to("cpu") is ours and ours.cpu() is ours


def test_apply_visits_children_first_like_torch() -> None:
    ours, ref = synced_pair(nested_model)
    seen: dict[str, list[str]] = {"ours": [], "ref": []}
    ours.apply(lambda m: seen["ours"].append(type(m).__name__))
    ref.apply(lambda m: seen["ref"].append(type(m).__name__))
    assert seen["ours"] == seen["ref"]

    def init_weights(m: Any) -> None:
        if isinstance(m, tenkai.nn.Linear):
            tenkai.nn.init.constant_(m.weight, 0.5)
            if m.bias is not None:
                tenkai.nn.init.zeros_(m.bias)

    assert ours.apply(init_weights) is ours
    assert set(np.unique(ours.heads[1].weight.detach().numpy())) == {0.5}
    assert set(np.unique(ours.heads[0].bias.detach().numpy())) == {0.0}


def _hook_log(M: Any, model: Any) -> list[str]:
    log: list[str] = []

    def pre(module: Any, args: tuple) -> Any:
        log.append(f"pre {type(module).__name__} {tuple(args[0].shape)}")
        return (args[0] * 2,)

    def post(module: Any, args: tuple, out: Any) -> Any:
        log.append(f"post {type(module).__name__} {tuple(out.shape)}")
        return out + 1

    handles = [model[0].register_forward_pre_hook(pre), model[0].register_forward_hook(post),
               model.register_forward_hook(lambda m, a, o: log.append(f"model {o.shape}"))]
    out = model(M.ones(2, 3))
    log.append(f"{out.detach().numpy().round(4).tolist()}")
    for h in handles:
        h.remove()
    log.append(f"{model(M.ones(2, 3)).detach().numpy().round(4).tolist()}")
    return log


def test_forward_hooks_match_torch() -> None:
    ours, ref = synced_pair(lambda M: M.nn.Sequential(M.nn.Linear(3, 2), M.nn.ReLU()))
    got = [line.replace("tenkai", "torch") for line in _hook_log(tenkai, ours)]
    assert got == _hook_log(torch, ref)


def test_deepcopy_makes_independent_copy() -> None:
    import copy

    ours, _ = synced_pair(nested_model)
    twin = copy.deepcopy(ours)
    assert _names(twin.named_parameters()) == _names(ours.named_parameters())
    assert twin.shared is twin.heads[0]
    with tenkai.no_grad():
        twin.gain.fill_(3.0)
    assert ours.gain.item() == 1.5


def test_parameter_basics_match_torch() -> None:
    for M in (tenkai, torch):
        p = M.nn.Parameter(M.tensor([[0.6, -0.2]]))
        assert isinstance(p, M.Tensor) and p.requires_grad and p.is_leaf
        assert not M.nn.Parameter(M.ones(2), requires_grad=False).requires_grad
    assert repr(tenkai.nn.Parameter(tenkai.tensor([0.8]))) == \
        repr(torch.nn.Parameter(torch.tensor([0.8])))


# ---------------------------------------------------------------- containers


def _container_log(M: Any) -> list[str]:
    nn, log = M.nn, []
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    log += [repr(seq[0]), repr(seq[-1]), str(len(seq)), type(seq[1:]).__name__, repr(seq[1:]),
            repr(seq[::2]), repr([type(m).__name__ for m in seq])]
    seq.append(nn.Sigmoid())
    seq.insert(1, nn.Tanh())
    log.append(repr(seq))
    del seq[0]
    log.append(repr(seq))
    seq[0] = nn.Softsign()
    log += [repr(seq), repr(seq.pop(1)), repr(seq)]
    seq.extend([nn.Identity()])
    log.append(repr(seq))
    pair = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    doubled = pair * 2
    log += [repr(doubled), str(doubled[2] is pair[0]), repr(2 * pair), repr(pair + seq)]
    pair += nn.Sequential(nn.Tanh())
    pair *= 2
    log.append(repr(pair))
    named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())]))
    log += [repr(named), repr(named.conv), repr(named[1]), repr(list(named.state_dict()))]
    mods = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    mods.append(nn.ReLU())
    mods.extend([nn.Linear(2, 2)])
    mods.insert(0, nn.Tanh())
    log += [repr(mods), str(len(mods)), repr(mods[1:3]), repr(mods[-1]),
            repr(list(dict(mods.named_parameters())))]
    mods[0] = nn.Sigmoid()
    log.append(repr(mods[0]))
    table = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 1)})
    table["c"] = nn.Tanh()
    table.update([("d", nn.Identity())])
    log += [repr(table), repr(list(table)), repr(list(table.keys())), str("a" in table),
            str(len(table)), repr(table.pop("b")), repr([type(v).__name__ for v in
                                                          table.values()]),
            repr([k for k, _ in table.items()])]
    for bad in (lambda: seq[10], lambda: mods[-10], lambda: table["zzz"], lambda: seq * 0,
                lambda: seq * 1.5, lambda: seq + mods, lambda: mods.extend(nn.ReLU())):
        try:
            bad()
        except (IndexError, KeyError, TypeError, ValueError) as err:
            # class paths differ (tenkai.nn.containers vs torch.nn.modules.container)
            text = f"{_builtin(err).__name__}: {err}"
            log.append(re.sub(r"<class '[\w.]*?(\w+)'>", r"<\1>", text))
    return log


def test_containers_behave_like_torch() -> None:
    assert _container_log(tenkai) == _container_log(torch)


def test_empty_containers_repr() -> None:
    for name in ("Sequential", "ModuleList", "ModuleDict"):
        assert repr(getattr(tenkai.nn, name)()) == repr(getattr(torch.nn, name)())


# ---------------------------------------------------------------- errors users meet first


def _error(fn: Callable[[Any], Any], M: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as err:  # noqa: PT011 - compared below
        fn(M)
    return _builtin(err.value), str(err.value)


ERRORS: list[tuple[str, Callable[[Any], Any]]] = [
    ("conv2d_in_channels", lambda M: M.nn.Conv2d(3, 8, 3)(M.ones(2, 1, 5, 5))),
    ("conv1d_in_channels", lambda M: M.nn.Conv1d(2, 4, 3)(M.ones(2, 3, 6))),
    ("linear_in_features", lambda M: M.nn.Linear(3, 2)(M.ones(4, 5))),
    ("cross_entropy_target_high", lambda M: M.nn.CrossEntropyLoss()(M.ones(2, 3),
                                                                     M.tensor([0, 3]))),
    ("cross_entropy_target_negative", lambda M: M.nn.CrossEntropyLoss()(M.ones(2, 3),
                                                                         M.tensor([-2, 1]))),
    ("nll_batch_mismatch", lambda M: M.nn.NLLLoss()(M.ones(3, 4), M.tensor([1, 2]))),
    ("optimizer_empty_list", lambda M: M.optim.SGD([], lr=0.1)),
    ("optimizer_no_parameters", lambda M: M.optim.Adam(M.nn.ReLU().parameters(), lr=0.1)),
    ("missing_attribute", lambda M: M.nn.Linear(2, 2).layer1),
    ("tensor_as_parameter", lambda M: setattr(M.nn.Linear(2, 2), "weight", M.zeros(2, 2))),
    ("batchnorm2d_rank", lambda M: M.nn.BatchNorm2d(3)(M.ones(2, 3))),
    ("batchnorm1d_rank", lambda M: M.nn.BatchNorm1d(3)(M.ones(2, 3, 4, 5))),
    ("batchnorm_single_value", lambda M: M.nn.BatchNorm1d(3)(M.ones(1, 3))),
    ("dropout_probability", lambda M: M.nn.Dropout(1.5)),
    ("embedding_index", lambda M: M.nn.Embedding(5, 2)(M.tensor([5]))),
    ("forward_not_implemented", lambda M: M.nn.Module()(M.ones(1))),
    ("train_mode_not_bool", lambda M: M.nn.Linear(2, 2).train("yes")),
    ("conv_groups", lambda M: M.nn.Conv2d(3, 4, 3, groups=2)),
    ("mha_heads", lambda M: M.nn.MultiheadAttention(5, 2)),
    ("reduction", lambda M: M.nn.MSELoss(reduction="avg")(M.ones(1), M.ones(1))),
    ("softmax2d_rank", lambda M: M.nn.Softmax2d()(M.ones(2, 3))),
    ("layernorm_shape", lambda M: M.nn.LayerNorm(4)(M.ones(2, 3))),
]


@pytest.mark.parametrize(("name", "fn"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name: str, fn: Callable[[Any], Any]) -> None:
    """Same builtin type; tenkai's message holds torch's (it may add the op name and a hint)."""
    got_type, got = _error(fn, tenkai)
    want_type, want = _error(fn, torch)
    assert got_type is want_type
    assert want in got


def _registration_log(M: Any) -> list[str]:
    """Registration rules, attribute protocol and the reprs users print."""
    nn, log = M.nn, []

    def show(label: str, fn: Callable[[], Any]) -> None:
        try:
            log.append(f"{label}: {fn()!r}")
        except Exception as err:  # noqa: BLE001 - the type and message are what we compare
            log.append(f"{label}: !{_builtin(err).__name__}: {err}")

    m = nn.Linear(2, 3)
    show("buffer_not_tensor", lambda: m.register_buffer("b", 3))
    show("parameter_dot", lambda: m.register_parameter("a.b", None))
    show("parameter_empty", lambda: m.register_parameter("", None))
    show("parameter_plain_tensor", lambda: m.register_parameter("q", M.ones(1)))
    show("module_name_taken", lambda: m.add_module("weight", nn.ReLU()))
    show("module_dot", lambda: m.add_module("a.b", nn.ReLU()))
    show("module_not_module", lambda: m.add_module("c", 3))
    show("buffer_name_taken", lambda: m.register_buffer("weight", M.ones(1)))
    show("parameter_over_attribute",
         lambda: (setattr(m, "plain", 1), m.register_parameter("plain", None)))
    show("bias_to_none", lambda: (setattr(m, "bias", None), m.bias, [k for k, _ in
                                                                    m.named_parameters()], m))
    show("tensor_as_parameter", lambda: setattr(m, "weight", M.zeros(3, 2)))
    show("del_parameter", lambda: (delattr(m, "weight"), [k for k, _ in m.named_parameters()]))
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    show("child_to_none", lambda: (setattr(s, "0", None), s, len(s)))
    show("child_to_int", lambda: setattr(s, "1", 3))

    def module_before_init() -> Any:
        class Early(nn.Module):
            def __init__(self) -> None:
                self.size = 3  # plain attributes are fine before __init__
                self.layer = nn.ReLU()

        return Early()

    show("module_before_init", module_before_init)

    class Verbose(nn.Module):
        def extra_repr(self) -> str:
            return "a=1\nb=2"

    show("multiline_extra_repr", lambda: Verbose())
    show("unflatten_list", lambda: nn.Unflatten(1, [2, 3]))
    show("embedding_max_norm", lambda: nn.Embedding(3, 2, max_norm=1.0, norm_type=1.0))
    show("embedding_pretrained", lambda: (nn.Embedding.from_pretrained(M.ones(3, 2)),
                                          nn.Embedding.from_pretrained(M.ones(3, 2))
                                          .weight.requires_grad))
    show("mha_parameters", lambda: [(k, tuple(v.shape)) for k, v in
                                    nn.MultiheadAttention(4, 2, kdim=3).named_parameters()])
    show("mha_repr", lambda: nn.MultiheadAttention(4, 2))
    show("asm_parameters", lambda: [(k, tuple(v.shape)) for k, v in nn.AdaptiveLogSoftmaxWithLoss(
        8, 10, [3, 6], div_value=2.0).named_parameters()])
    show("loss_weight_is_buffer", lambda: list(nn.CrossEntropyLoss(weight=M.ones(3)).state_dict()))
    show("pos_weight_is_buffer", lambda: list(nn.BCEWithLogitsLoss(pos_weight=M.ones(3))
                                              .state_dict()))
    show("reprs", lambda: [repr(x) for x in (
        nn.MaxPool2d((2, 2), stride=(1, 1)), nn.AvgPool2d((2, 2)), nn.AvgPool1d(2, 1),
        nn.Conv2d(1, 2, [3, 3], stride=[2, 2]), nn.Softmax(), nn.Dropout(0), nn.Threshold(1, 2),
        nn.Hardtanh(-2, 2), nn.ELU(2), nn.Softplus(2, 10), nn.LeakyReLU(1),
        nn.BatchNorm2d(3, momentum=None), nn.LayerNorm([3, 4]), nn.MSELoss(reduction="sum"),
        nn.CrossEntropyLoss(label_smoothing=0.1), nn.MaxPool2d(2, return_indices=True))])
    show("parameters_is_generator", lambda: type(nn.Linear(1, 1).parameters()).__name__)
    return log


def test_registration_rules_and_reprs_match_torch() -> None:
    got = [line.replace("tenkai", "torch") for line in _registration_log(tenkai)]
    assert got == _registration_log(torch)


def test_sequential_and_module_dict_survive_pickle_and_deepcopy() -> None:
    import pickle

    ours, ref = synced_pair(lambda M: M.nn.Sequential(M.nn.Linear(3, 2), M.nn.BatchNorm1d(2)))
    clone = pickle.loads(pickle.dumps(ours))
    assert repr(clone) == repr(ref)
    x = np.ones((4, 3), np.float32)
    _close(_np(clone.eval()(tenkai.tensor(x))), _np(ref.eval()(torch.tensor(x))), np.float32,
           "pickled model")


@pytest.mark.parametrize(("flags", "reduction"), [({"size_average": False}, "sum"),
                                                  ({"reduce": False}, "none"),
                                                  ({"size_average": True, "reduce": True}, "mean")])
def test_legacy_loss_flags_map_to_reduction_with_warning(flags: dict, reduction: str) -> None:
    for name in ("MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "KLDivLoss"):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = getattr(tenkai.nn, name)(**flags)
        assert ours.reduction == reduction == getattr(torch.nn, name)(**flags).reduction


def test_bad_reduction_fails_at_the_first_call_like_torch() -> None:
    for M in (tenkai, torch):
        loss = M.nn.MSELoss(reduction="avg")  # accepted here ...
        with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
            loss(M.ones(1), M.ones(1))  # ... and reported by the functional loss
