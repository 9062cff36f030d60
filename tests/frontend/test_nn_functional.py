"""Tests for tenkai.nn.functional against torch.nn.functional.

Every case runs the same function on identical inputs in tenkai and in torch, in float32 and
float64, and compares the outputs, the gradients of every floating input (through a random
cotangent) and the grad_fn names. Further tests cover dropout statistics, batch_norm's
running statistics, double backward through the window ops and error types/messages.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tenkai
import tenkai.nn.functional as TF

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch

# ---------------------------------------------------------------- input specs


@dataclass(frozen=True)
class Spec:
    """How to make one argument: kind in normal/uniform/distinct/const/int/bool/array."""

    kind: str
    shape: tuple[int, ...] = ()
    lo: float = 0.0
    hi: float = 1.0
    value: Any = None

    def make(self, rng: np.random.Generator, dtype: type) -> tuple[np.ndarray, bool]:
        n = int(np.prod(self.shape))
        if self.kind == "normal":
            return (rng.standard_normal(self.shape) * self.hi).astype(dtype), True
        if self.kind == "uniform":
            return rng.uniform(self.lo, self.hi, self.shape).astype(dtype), True
        if self.kind == "distinct":  # no near-ties: max pools have one clear winner
            return ((rng.permutation(n) - n / 2) * 0.05).reshape(self.shape).astype(dtype), True
        if self.kind == "const":
            return rng.uniform(self.lo, self.hi, self.shape).astype(dtype), False
        if self.kind == "int":
            return rng.integers(int(self.lo), int(self.hi), self.shape).astype(np.int64), False
        if self.kind == "bool":
            return rng.uniform(size=self.shape) < self.hi, False
        return np.asarray(self.value), False


def N(*shape: int, scale: float = 1.0) -> Spec:
    return Spec("normal", shape, hi=scale)


def U(lo: float, hi: float, *shape: int) -> Spec:
    return Spec("uniform", shape, lo, hi)


def D(*shape: int) -> Spec:
    return Spec("distinct", shape)


def K(lo: float, hi: float, *shape: int) -> Spec:
    """A floating input that needs no gradient (targets)."""
    return Spec("const", shape, lo, hi)


def I(high: int, *shape: int, low: int = 0) -> Spec:  # noqa: E743
    return Spec("int", shape, low, high)


def B(p_true: float, *shape: int) -> Spec:
    return Spec("bool", shape, hi=p_true)


def A(value: Any) -> Spec:
    return Spec("array", value=value)


# ---------------------------------------------------------------- cases

Fn = Callable[..., Any]
CASES: list[tuple[str, Fn, list[Spec]]] = []


def case(name: str, fn: Fn, *specs: Spec) -> None:
    CASES.append((name, fn, list(specs)))


X = N(3, 4, 5, scale=2.0)
for _name, _kw in [("relu", {}), ("relu6", {}), ("elu", {"alpha": 0.5}), ("selu", {}),
                   ("celu", {"alpha": 2.0}), ("hardshrink", {"lambd": 0.3}),
                   ("hardtanh", {"min_val": -0.5, "max_val": 0.8}), ("leaky_relu", {}),
                   ("leaky_relu", {"negative_slope": 0.2}), ("logsigmoid", {}), ("gelu", {}),
                   ("gelu", {"approximate": "tanh"}), ("sigmoid", {}), ("tanh", {}),
                   ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
                   ("softshrink", {"lambd": 0.3}), ("softsign", {}), ("tanhshrink", {}),
                   ("threshold", {"threshold": 0.1, "value": -2.0}), ("silu", {}), ("mish", {}),
                   ("hardsigmoid", {}), ("hardswish", {}), ("rrelu", {"training": False}),
                   ("softmax", {"dim": 1}), ("softmax", {"dim": 0}), ("softmin", {"dim": -1}),
                   ("log_softmax", {"dim": 1}), ("glu", {"dim": 1})]:
    case(f"{_name}{_kw}", (lambda n, kw: lambda f, T, x: getattr(f, n)(x, **kw))(_name, _kw),
         N(3, 4, 6, scale=2.5))
case("softplus_big", lambda f, T, x: f.softplus(x * 40.0), X)
case("log_softmax_big", lambda f, T, x: f.log_softmax(x * 300.0, -1), X)
case("softmax_dtype", lambda f, T, x: f.softmax(x, 1, dtype=T.float64), X)
case("prelu_c", lambda f, T, x, w: f.prelu(x, w), X, U(0.1, 0.4, 4))
case("prelu_1", lambda f, T, x, w: f.prelu(x, w), X, U(0.1, 0.4, 1))
# linear / conv
case("linear2d", lambda f, T, x, w, b: f.linear(x, w, b), N(3, 5), N(4, 5), N(4))
case("linear2d_nobias", lambda f, T, x, w: f.linear(x, w), N(3, 5), N(4, 5))
case("linear3d", lambda f, T, x, w, b: f.linear(x, w, b), N(2, 3, 5), N(4, 5), N(4))
case("linear3d_nobias", lambda f, T, x, w: f.linear(x, w), N(2, 3, 5), N(4, 5))
case("linear1d", lambda f, T, x, w, b: f.linear(x, w, b), N(5), N(4, 5), N(4))
case("bilinear", lambda f, T, a, b, w, c: f.bilinear(a, b, w, c), N(3, 4), N(3, 2), N(5, 4, 2),
     N(5))
for _kw in [{}, {"stride": 2, "padding": 1}, {"padding": (2, 1), "dilation": (1, 2)},
            {"groups": 2, "stride": (1, 2)}, {"padding": "same"}, {"padding": "valid"},
            {"padding": "same", "dilation": 2}]:
    case(f"conv2d{_kw}", (lambda kw: lambda f, T, x, w, b: f.conv2d(x, w, b, **kw))(_kw),
         N(2, 4, 7, 8), N(6, 4 // _kw.get("groups", 1), 3, 3), N(6))
case("conv2d_same_even", lambda f, T, x, w: f.conv2d(x, w, padding="same"), N(1, 2, 6, 5),
     N(3, 2, 4, 2))
case("conv2d_unbatched", lambda f, T, x, w: f.conv2d(x, w, padding=1), N(2, 5, 5), N(3, 2, 3, 3))
case("conv2d_depthwise", lambda f, T, x, w: f.conv2d(x, w, groups=3, stride=2), N(2, 3, 9, 9),
     N(6, 1, 3, 3))
for _kw in [{}, {"stride": 2, "padding": 2}, {"dilation": 2, "groups": 2}, {"padding": "same"}]:
    case(f"conv1d{_kw}", (lambda kw: lambda f, T, x, w, b: f.conv1d(x, w, b, **kw))(_kw),
         N(2, 4, 11), N(6, 4 // _kw.get("groups", 1), 3), N(6))
for _kw in [{}, {"stride": 2, "padding": 1, "output_padding": 1},
            {"groups": 2, "dilation": (2, 1), "stride": (1, 2)}]:
    case(f"conv_transpose2d{_kw}", (lambda kw: lambda f, T, x, w, b: f.conv_transpose2d(
        x, w, b, **kw))(_kw), N(2, 4, 5, 6), N(4, 6 // _kw.get("groups", 1), 3, 3), N(6))
case("conv_transpose1d", lambda f, T, x, w: f.conv_transpose1d(x, w, stride=3, padding=1,
                                                               output_padding=2), N(2, 4, 6),
     N(4, 3, 4))
case("conv_transpose2d_unbatched", lambda f, T, x, w: f.conv_transpose2d(x, w, stride=2),
     N(4, 3, 3), N(4, 2, 2, 2))
case("conv1d_unbatched", lambda f, T, x, w: f.conv1d(x, w), N(4, 9), N(2, 4, 3))
# pooling
for _kw in [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
            {"kernel_size": (3, 2), "stride": (2, 1), "dilation": (1, 2)},
            {"kernel_size": 3, "stride": 2, "ceil_mode": True}]:
    case(f"max_pool2d{_kw}", (lambda kw: lambda f, T, x: f.max_pool2d(x, **kw))(_kw),
         D(2, 3, 9, 8))
    case(f"avg_pool2d{_kw}", (lambda kw: lambda f, T, x: f.avg_pool2d(
        x, **{k: v for k, v in kw.items() if k != "dilation"}))(_kw), N(2, 3, 9, 8))
case("max_pool2d_indices", lambda f, T, x: f.max_pool2d(x, 3, 2, 1, return_indices=True),
     D(2, 3, 8, 8))
case("max_pool2d_3d", lambda f, T, x: f.max_pool2d(x, 2), D(3, 6, 6))
case("max_pool1d", lambda f, T, x: f.max_pool1d(x, 3, 2, 1), D(2, 3, 10))
case("max_pool1d_indices", lambda f, T, x: f.max_pool1d(x, 2, return_indices=True), D(2, 3, 10))
case("avg_pool2d_nopad_count", lambda f, T, x: f.avg_pool2d(
    x, 3, 2, 1, ceil_mode=True, count_include_pad=False), N(2, 3, 8, 9))
case("avg_pool2d_divisor", lambda f, T, x: f.avg_pool2d(x, 2, divisor_override=3), N(1, 2, 6, 6))
case("avg_pool1d", lambda f, T, x: f.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
     N(2, 3, 10))
for _size in [1, 3, (None, 2), (4, 3)]:
    case(f"adaptive_avg_pool2d{_size}", (lambda s: lambda f, T, x: f.adaptive_avg_pool2d(x, s))(
        _size), N(2, 3, 8, 7))
    case(f"adaptive_max_pool2d{_size}", (lambda s: lambda f, T, x: f.adaptive_max_pool2d(x, s))(
        _size), D(2, 3, 8, 7))
case("adaptive_max_pool2d_indices", lambda f, T, x: f.adaptive_max_pool2d(x, (4, 3), True),
     D(2, 3, 8, 9))
case("adaptive_avg_pool1d", lambda f, T, x: f.adaptive_avg_pool1d(x, 4), N(2, 3, 9))
case("adaptive_max_pool1d", lambda f, T, x: f.adaptive_max_pool1d(x, 4), D(2, 3, 9))
for _pad, _mode in [((1, 2), "constant"), ((1, 1, 2, 0), "constant"), ((-1, 2), "constant"),
                    ((2, 1, 1, 2), "reflect"), ((1, 2, 2, 1), "replicate"),
                    ((2, 1, 1, 1), "circular")]:
    case(f"pad{_pad}{_mode}", (lambda p, m: lambda f, T, x: f.pad(x, p, mode=m))(_pad, _mode),
         N(2, 3, 4, 5))
case("pad_reflect1d", lambda f, T, x: f.pad(x, (2, 1), mode="reflect"), N(2, 3, 5))
case("pad_replicate3d", lambda f, T, x: f.pad(x, (1, 0, 2, 1, 0, 1), mode="replicate"),
     N(1, 2, 3, 4, 3))
case("pad_value", lambda f, T, x: f.pad(x, (1, 1, 1, 1, 1, 0), value=2.5), N(2, 3, 4))
# normalization
case("batch_norm_train", lambda f, T, x, w, b: f.batch_norm(x, None, None, w, b, True),
     N(4, 3, 5, 2), N(3), N(3))
case("batch_norm_eval", lambda f, T, x, w, b, m, v: f.batch_norm(x, m, v, w, b, False),
     N(4, 3, 5), N(3), N(3), K(-1, 1, 3), K(0.5, 2, 3))
case("batch_norm_1d", lambda f, T, x: f.batch_norm(x, None, None, training=True), N(6, 4))
case("instance_norm", lambda f, T, x, w, b: f.instance_norm(x, weight=w, bias=b), N(2, 3, 4, 5),
     N(3), N(3))
case("layer_norm", lambda f, T, x, w, b: f.layer_norm(x, (5,), w, b), N(2, 3, 5), N(5), N(5))
case("layer_norm_2d", lambda f, T, x: f.layer_norm(x, (3, 5), eps=1e-3), N(2, 3, 5))
case("group_norm", lambda f, T, x, w, b: f.group_norm(x, 2, w, b), N(2, 4, 3, 3), N(4), N(4))
case("group_norm_plain", lambda f, T, x: f.group_norm(x, 3), N(2, 6, 5))
case("local_response_norm", lambda f, T, x: f.local_response_norm(x, 3), N(2, 5, 3, 3))
case("normalize", lambda f, T, x: f.normalize(x), N(3, 4, 5))
case("normalize_p1", lambda f, T, x: f.normalize(x, p=1.0, dim=-1), N(3, 4, 5))
case("cosine_similarity", lambda f, T, a, b: f.cosine_similarity(a, b), N(3, 4, 5), N(3, 4, 5))
case("pairwise_distance", lambda f, T, a, b: f.pairwise_distance(a, b), N(3, 5), N(3, 5))
case("embedding", lambda f, T, i, w: f.embedding(i, w), I(7, 2, 3), N(7, 4))
case("embedding_padding", lambda f, T, i, w: f.embedding(i, w, padding_idx=2),
     A([[2, 0, 2], [1, 2, 6]]), N(7, 4))
case("one_hot", lambda f, T, i: f.one_hot(i), I(5, 2, 3))
case("one_hot_n", lambda f, T, i: f.one_hot(i, 6), I(5, 4))
# losses
for _red in ("mean", "sum", "none"):
    for _name, _kw in [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                       ("huber_loss", {"delta": 0.7}), ("soft_margin_loss", {})]:
        case(f"{_name}{_kw}_{_red}", (lambda n, kw, r: lambda f, T, x, y: getattr(f, n)(
            x, y, reduction=r, **kw))(_name, _kw, _red), N(3, 4), K(-1, 1, 3, 4))
    case(f"mse_weight_{_red}", (lambda r: lambda f, T, x, y, w: f.mse_loss(
        x, y, reduction=r, weight=w))(_red), N(3, 4), K(-1, 1, 3, 4), K(0, 1, 3, 4))
    case(f"huber_weight_{_red}", (lambda r: lambda f, T, x, y, w: f.huber_loss(
        x, y, reduction=r, weight=w))(_red), N(3, 4), K(-1, 1, 3, 4), K(0, 1, 3, 4))
    case(f"ce_{_red}", (lambda r: lambda f, T, x, t: f.cross_entropy(x, t, reduction=r))(_red),
         N(5, 6), A([1, -100, 5, 0, 2]))
    case(f"ce_nd_weight_smooth_{_red}", (lambda r: lambda f, T, x, t, w: f.cross_entropy(
        x, t, w, reduction=r, label_smoothing=0.15))(_red), N(2, 4, 3, 2),
        A([[[0, 3], [-100, 1], [2, 2]], [[1, 0], [3, -100], [0, 1]]]), K(0.2, 1.5, 4))
    case(f"ce_probs_{_red}", (lambda r: lambda f, T, x, t, w: f.cross_entropy(
        x, f.softmax(t, 1), w, reduction=r, label_smoothing=0.1))(_red), N(3, 5, 2),
        K(-2, 2, 3, 5, 2), K(0.5, 1.5, 5))
    case(f"nll_{_red}", (lambda r: lambda f, T, x, t, w: f.nll_loss(
        f.log_softmax(x, 1), t, w, ignore_index=3, reduction=r))(_red), N(6, 5),
        A([3, 1, 4, 0, 3, 2]), K(0.1, 2, 5))
    case(f"bce_{_red}", (lambda r: lambda f, T, x, t, w: f.binary_cross_entropy(
        x, t, w, reduction=r))(_red), U(0.05, 0.95, 3, 4), K(0, 1, 3, 4), K(0.5, 2, 4))
    case(f"bce_logits_{_red}", (lambda r: lambda f, T, x, t, w, p:
                                f.binary_cross_entropy_with_logits(x, t, w, reduction=r,
                                                                   pos_weight=p))(_red),
         N(3, 4, scale=3.0), K(0, 1, 3, 4), K(0.5, 2, 4), K(0.5, 3, 4))
    case(f"kl_div_{_red}", (lambda r: lambda f, T, x, t: f.kl_div(
        f.log_softmax(x, -1), t, reduction=r))(_red), N(3, 5), K(0, 1, 3, 5))
    case(f"margin_ranking_{_red}", (lambda r: lambda f, T, a, b, y: f.margin_ranking_loss(
        a, b, y.sign(), 0.3, reduction=r))(_red), N(6), N(6), K(-1, 1, 6))
case("ce_1d", lambda f, T, x, t: f.cross_entropy(x, t, label_smoothing=0.2), N(6), A(3))
case("ce_weight_ignore", lambda f, T, x, t, w: f.cross_entropy(x, t, w, ignore_index=1),
     N(5, 4), A([1, 0, 3, 1, 2]), K(0.2, 2, 4))
case("kl_div_batchmean_log", lambda f, T, x, t: f.kl_div(x, t, reduction="batchmean",
                                                          log_target=True), N(3, 5), K(-3, 0, 3, 5))
case("poisson_nll", lambda f, T, x, t: f.poisson_nll_loss(x, t), N(3, 4), K(0, 3, 3, 4))
case("poisson_nll_full", lambda f, T, x, t: f.poisson_nll_loss(x, t, False, True),
     U(0.5, 2, 3, 4), K(0, 4, 3, 4))
case("gaussian_nll", lambda f, T, x, t, v: f.gaussian_nll_loss(x, t, v, full=True), N(3, 4),
     K(-1, 1, 3, 4), U(0.5, 2, 3, 4))
# issue 13 "nn": margin / triplet losses, shuffles, rms_norm, pdist
_SIGNS = A([1.0, -1.0, 1.0, -1.0, -1.0])
for _red in ("mean", "sum", "none"):
    case(f"hinge_embedding_{_red}", (lambda r: lambda f, T, x, y: f.hinge_embedding_loss(
        x, y, 0.7, reduction=r))(_red), N(5), _SIGNS)
    case(f"cosine_embedding_{_red}", (lambda r: lambda f, T, a, b, y: f.cosine_embedding_loss(
        a, b, y, 0.2, reduction=r))(_red), N(5, 3), N(5, 3), _SIGNS)
    case(f"multi_margin_{_red}", (lambda r: lambda f, T, x, t: f.multi_margin_loss(
        x, t, reduction=r))(_red), N(5, 4), A([0, 3, 1, 1, 2]))
    case(f"multilabel_margin_{_red}", (lambda r: lambda f, T, x, t: f.multilabel_margin_loss(
        x, t, reduction=r))(_red), N(3, 5),
        A([[4, 0, -1, 2, 2], [1, 2, 3, 0, 4], [-1, 0, 0, 0, 0]]))
    case(f"multilabel_soft_margin_{_red}", (lambda r: lambda f, T, x, t, w:
                                             f.multilabel_soft_margin_loss(x, t, w, reduction=r))(
        _red), N(3, 4), K(0, 1, 3, 4), K(0.5, 2, 4))
    case(f"triplet_margin_{_red}", (lambda r: lambda f, T, a, p, n: f.triplet_margin_loss(
        a, p, n, reduction=r))(_red), N(4, 3), N(4, 3), N(4, 3))
case("multi_margin_p2_weight", lambda f, T, x, t, w: f.multi_margin_loss(
    x, t, p=2, margin=0.6, weight=w), N(5, 4), A([0, 3, 1, 1, 2]), K(0.5, 2, 4))
case("multi_margin_1d", lambda f, T, x, t: f.multi_margin_loss(x, t), N(4), A(2))
case("multilabel_margin_1d", lambda f, T, x, t: f.multilabel_margin_loss(x, t), N(4),
     A([3, 0, -1, 1]))
case("cosine_embedding_1d", lambda f, T, a, b, y: f.cosine_embedding_loss(a, b, y), N(4), N(4),
     A(-1.0))
case("triplet_margin_p3_swap", lambda f, T, a, p, n: f.triplet_margin_loss(
    a, p, n, margin=1.5, p=3, swap=True), N(4, 3), N(4, 3), N(4, 3))
case("triplet_distance_fn", lambda f, T, a, p, n: f.triplet_margin_with_distance_loss(
    a, p, n, distance_function=lambda u, v: (u - v).abs().sum(-1), swap=True), N(4, 3),
     N(4, 3), N(4, 3))
case("triplet_distance_default", lambda f, T, a, p, n: f.triplet_margin_with_distance_loss(
    a, p, n, margin=0.3, reduction="none"), N(4, 3), N(4, 3), N(4, 3))
case("pixel_shuffle", lambda f, T, x: f.pixel_shuffle(x, 2), N(2, 8, 3, 2))
case("pixel_shuffle_5d", lambda f, T, x: f.pixel_shuffle(x, 2), N(2, 2, 4, 2, 3))
case("pixel_unshuffle", lambda f, T, x: f.pixel_unshuffle(x, 3), N(2, 2, 6, 3))
case("channel_shuffle", lambda f, T, x: f.channel_shuffle(x, 3), N(2, 6, 2, 2))
case("rms_norm", lambda f, T, x, w: f.rms_norm(x, (5,), w), N(3, 5), N(5))
case("rms_norm_2d_eps", lambda f, T, x: f.rms_norm(x, [3, 5], eps=1e-3), N(2, 3, 5))
for _p in (2.0, 1.0, 3.0, float("inf")):
    case(f"pdist_{_p}", (lambda p: lambda f, T, x: f.pdist(x, p))(_p), N(5, 3))
for _mode, _shape in [("nearest", (2, 3, 4, 5)), ("nearest-exact", (2, 3, 5)),
                      ("linear", (2, 3, 5)), ("bilinear", (2, 3, 4, 5)),
                      ("bicubic", (1, 2, 4, 5)), ("trilinear", (1, 2, 3, 2, 3)),
                      ("area", (2, 3, 7, 5))]:
    _corners = [None] if _mode in ("nearest", "nearest-exact", "area") else [False, True]
    for _ac in _corners:
        for _kw in [{"scale_factor": 1.7}, {"size": (3,) * (len(_shape) - 2)}]:
            case(f"interpolate_{_mode}_{_ac}_{list(_kw)[0]}", (lambda m, a, kw: lambda f, T, x:
                 f.interpolate(x, mode=m, align_corners=a, **kw))(_mode, _ac, _kw), N(*_shape))
case("interpolate_recompute", lambda f, T, x: f.interpolate(
    x, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), N(1, 2, 4, 5))
case("upsample_bilinear", lambda f, T, x: f.upsample_bilinear(x, scale_factor=2), N(1, 2, 3, 3))
case("lp_pool2d", lambda f, T, x: f.lp_pool2d(x, 2, 2, stride=1), N(2, 3, 4, 5))
case("lp_pool1d_ceil", lambda f, T, x: f.lp_pool1d(x, 3, 2, ceil_mode=True), U(0.1, 2, 2, 3, 7))
case("unfold", lambda f, T, x: f.unfold(x, 3, padding=1, stride=2), N(2, 3, 5, 6))
case("fold", lambda f, T, x: f.fold(x, (5, 6), 3, padding=1, stride=2), N(2, 27, 9))
case("max_pool2d_with_indices", lambda f, T, x: f.max_pool2d_with_indices(x, 2), D(1, 2, 4, 4))
case("max_pool1d_with_indices", lambda f, T, x: f.max_pool1d_with_indices(x, 3, 2), D(2, 7))
case("adaptive_max_pool2d_with_indices", lambda f, T, x: f.adaptive_max_pool2d_with_indices(
    x, 2), D(1, 2, 4, 4))
case("adaptive_max_pool1d_with_indices", lambda f, T, x: f.adaptive_max_pool1d_with_indices(
    x, 3), D(1, 2, 6))
case("avg_pool3d", lambda f, T, x: f.avg_pool3d(x, 3, 2, 1, ceil_mode=True), N(2, 2, 5, 4, 6))
case("max_pool3d", lambda f, T, x: f.max_pool3d(x, 2, dilation=(1, 2, 1)), D(2, 2, 4, 5, 4))
case("adaptive_avg_pool3d", lambda f, T, x: f.adaptive_avg_pool3d(x, (3, 2, 2)), N(1, 2, 5, 4, 3))
case("adaptive_avg_pool3d_1", lambda f, T, x: f.adaptive_avg_pool3d(x, 1), N(1, 2, 3, 4, 3))
case("adaptive_max_pool3d", lambda f, T, x: f.adaptive_max_pool3d(x, (2, 3, 1)), D(2, 5, 4, 3))
case("lp_pool3d", lambda f, T, x: f.lp_pool3d(x, 1.5, 2), U(0.1, 2, 1, 2, 4, 4, 4))
case("conv3d", lambda f, T, x, w, b: f.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2),
     N(2, 4, 3, 5, 4), N(4, 2, 2, 3, 2), N(4))
# attention
case("sdpa", lambda f, T, q, k, v: f.scaled_dot_product_attention(q, k, v), N(2, 3, 4, 8),
     N(2, 3, 5, 8), N(2, 3, 5, 6))
case("sdpa_causal_scale", lambda f, T, q, k, v: f.scaled_dot_product_attention(
    q, k, v, is_causal=True, scale=0.3), N(2, 4, 8), N(2, 4, 8), N(2, 4, 8))
case("sdpa_bool_mask", lambda f, T, q, k, v, m: f.scaled_dot_product_attention(
    q, k, v, m | T.eye(4, 5, dtype=T.bool)), N(2, 4, 8), N(2, 5, 8), N(2, 5, 8), B(0.6, 4, 5))
case("sdpa_float_mask", lambda f, T, q, k, v, m: f.scaled_dot_product_attention(q, k, v, m),
     N(2, 4, 8), N(2, 5, 8), N(2, 5, 8), K(-1, 1, 4, 5))
case("sdpa_gqa", lambda f, T, q, k, v: f.scaled_dot_product_attention(q, k, v, enable_gqa=True),
     N(1, 4, 3, 8), N(1, 2, 5, 8), N(1, 2, 5, 8))
_MHA = [N(4, 2, 8), N(24, 8), N(24), N(8, 8), N(8)]


def _mha(q: Any, w: Any, b: Any, ow: Any, ob: Any, f: Any, kv: Any = None, **kw: Any) -> Any:
    kv = q if kv is None else kv
    return f.multi_head_attention_forward(q, kv, kv, q.shape[-1], 2, w, b, kw.pop("bias_k", None),
                                          kw.pop("bias_v", None), kw.pop("zero", False), 0.0,
                                          ow, ob, **kw)


case("mha", lambda f, T, *a: _mha(*a, f), *_MHA)
case("mha_no_avg", lambda f, T, *a: _mha(*a, f, average_attn_weights=False), *_MHA)
case("mha_no_weights", lambda f, T, *a: _mha(*a, f, need_weights=False), *_MHA)
case("mha_masks", lambda f, T, q, w, b, ow, ob, kpm, am: _mha(
    q, w, b, ow, ob, f, key_padding_mask=kpm, attn_mask=am), *_MHA,
    A([[False, False, True, False], [False, True, False, False]]),
    A(np.triu(np.ones((4, 4), bool), 1)))
case("mha_float_mask", lambda f, T, q, w, b, ow, ob, am: _mha(
    q, w, b, ow, ob, f, attn_mask=am, need_weights=False),
     *_MHA, K(-1, 1, 4, 4))
case("mha_cross", lambda f, T, q, w, b, ow, ob, kv: _mha(q, w, b, ow, ob, f, kv=kv), *_MHA,
     N(6, 2, 8))
case("mha_unbatched", lambda f, T, *a: _mha(*a, f), N(4, 8), *_MHA[1:])
case("mha_bias_kv_zero", lambda f, T, q, w, b, ow, ob, bk, bv: _mha(
    q, w, b, ow, ob, f, bias_k=bk, bias_v=bv, zero=True), *_MHA, N(1, 1, 8), N(1, 1, 8))
case("mha_separate", lambda f, T, q, b, ow, ob, wq, wk, wv: f.multi_head_attention_forward(
    q, q, q, 8, 4, None, b, None, None, False, 0.0, ow, ob, use_separate_proj_weight=True,
    q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv), N(3, 2, 8), N(24), N(8, 8), N(8),
    N(8, 8), N(8, 8), N(8, 8))

# grad_fn names that legitimately differ from torch's (fused kernels in torch)
NAME_EXEMPT = {"sdpa_gqa"}

# torch computes these in float64 with float32 constants (e.g. 1.0f / 6.0f)
LOOSE_F64 = {"hardsigmoid{}", "hardswish{}"}

# ---------------------------------------------------------------- the comparison


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _outputs(res: Any) -> list[Any]:
    return [r for r in (res if isinstance(res, tuple) else (res,)) if r is not None]


def _grad_name(t: Any) -> str | None:
    return None if t.grad_fn is None else t.grad_fn.name()


def _run(lib: Any, f: Any, fn: Fn, arrays: list[tuple[np.ndarray, bool]],
         cts: list[Any] | None) -> Any:
    ins = [lib.tensor(a, requires_grad=g) for a, g in arrays]
    outs = _outputs(fn(f, lib, *ins))
    loss = None
    for o, ct in zip(outs, cts or [], strict=False):
        if o.requires_grad:
            term = (o * lib.tensor(ct)).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    return outs, [t.grad for t, (_, g) in zip(ins, arrays, strict=True) if g]


def _close(got: Any, want: Any, dtype: type, what: str, loose: bool = False) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    rtol, atol = (2e-4, 2e-5) if dtype == np.float32 else (1e-9, 1e-11)
    if loose and dtype == np.float64:
        rtol, atol = 1e-7, 1e-9
    scale = max(1.0, float(np.nanmax(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=what)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.filterwarnings("ignore:`nn.functional.upsample_bilinear` is deprecated")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "fn", "specs"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name: str, fn: Fn, specs: list[Spec], dtype: type) -> None:
    rng = _rng(name, dtype.__name__)
    arrays = [s.make(rng, dtype) for s in specs]
    ref_outs, _ = _run(torch, F, fn, arrays, None)
    cts = [rng.standard_normal(tuple(o.shape)).astype(o.detach().numpy().dtype)
           for o in ref_outs]
    ref_outs, ref_grads = _run(torch, F, fn, arrays, cts)
    outs, grads = _run(tenkai, TF, fn, arrays, cts)
    assert len(outs) == len(ref_outs)
    for k, (o, r) in enumerate(zip(outs, ref_outs, strict=True)):
        _close(o.detach().numpy(), r.detach().numpy(), dtype, f"{name}: output {k}")
        if name not in NAME_EXEMPT and r.grad_fn is not None:
            assert _grad_name(o) == _grad_name(r), f"{name}: grad_fn of output {k}"
    for k, (g, r) in enumerate(zip(grads, ref_grads, strict=True)):
        assert (g is None) == (r is None), f"{name}: grad {k} presence"
        if r is not None:
            _close(g.numpy(), r.numpy(), dtype, f"{name}: grad of input {k}", name in LOOSE_F64)


# ---------------------------------------------------------------- dropout and random slopes


def test_dropout_statistics_and_gradient() -> None:
    tenkai.manual_seed(0)
    x = tenkai.ones(200, 100, requires_grad=True)
    out = TF.dropout(x, p=0.3)
    data = out.detach().numpy()
    kept = data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(data[kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), data)
    assert out.grad_fn.name() == "MulBackward0"


def test_dropout_train_eval_and_edges() -> None:
    x = tenkai.randn(4, 5)
    assert TF.dropout(x, 0.5, training=False) is x
    assert TF.dropout(x, 0.0) is x
    assert not TF.dropout(x, 1.0).numpy().any()
    tenkai.manual_seed(3)
    a = TF.dropout(x, 0.5).numpy()
    tenkai.manual_seed(3)
    np.testing.assert_array_equal(TF.dropout(x, 0.5).numpy(), a)  # counter-based: replayable
    y = x.clone()
    assert TF.dropout(y, 0.5, inplace=True) is y


def test_feature_dropout_masks_whole_channels() -> None:
    tenkai.manual_seed(1)
    out = TF.dropout2d(tenkai.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = out.reshape(8, 16, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(out)) <= {0.0, 2.0}
    out1 = TF.dropout1d(tenkai.ones(4, 6, 5), 0.5).numpy()
    assert np.all(out1.min(-1) == out1.max(-1))


def test_alpha_dropout_keeps_selu_statistics() -> None:
    tenkai.manual_seed(2)
    x = tenkai.randn(400, 500)
    out = TF.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    assert TF.alpha_dropout(x, 0.2) is x  # training defaults to False


def test_rrelu_training_slopes() -> None:
    tenkai.manual_seed(4)
    x = tenkai.tensor(-np.linspace(0.5, 3, 1000), requires_grad=True)
    out = TF.rrelu(x, 0.1, 0.3, training=True)
    slopes = out.detach().numpy() / x.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    pos = tenkai.tensor([1.0, 2.0])
    np.testing.assert_array_equal(TF.rrelu(pos, training=True).numpy(), [1.0, 2.0])


# ---------------------------------------------------------------- running statistics


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_batch_norm_running_stats_match_torch(dtype: type) -> None:
    rng = _rng("bn_stats", dtype.__name__)
    stats = {lib: (lib.zeros(3, dtype=lib.float64 if dtype == np.float64 else lib.float32),
                   lib.ones(3, dtype=lib.float64 if dtype == np.float64 else lib.float32))
             for lib in (tenkai, torch)}
    for step in range(3):
        x = (rng.standard_normal((4, 3, 5)) * (step + 1) + step).astype(dtype)
        for lib, f in ((tenkai, TF), (torch, F)):
            w = lib.tensor(np.ones(3, dtype), requires_grad=True)
            f.batch_norm(lib.tensor(x), *stats[lib], w, None, True, 0.3).sum().backward()
    for k in range(2):
        _close(stats[tenkai][k].numpy(), stats[torch][k].numpy(), dtype, f"running stat {k}")
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    _close(TF.batch_norm(tenkai.tensor(x), *stats[tenkai]).numpy(),
           F.batch_norm(torch.tensor(x), *stats[torch]).numpy(), dtype, "eval output")


def test_instance_norm_running_stats_match_torch() -> None:
    x = _rng("in_stats").standard_normal((3, 2, 6))
    rm_a, rv_a = tenkai.zeros(2, dtype=tenkai.float64), tenkai.ones(2, dtype=tenkai.float64)
    rm_b, rv_b = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    TF.instance_norm(tenkai.tensor(x), rm_a, rv_a, momentum=0.2)
    F.instance_norm(torch.tensor(x), rm_b, rv_b, momentum=0.2)
    _close(rm_a.numpy(), rm_b.numpy(), np.float64, "running_mean")
    _close(rv_a.numpy(), rv_b.numpy(), np.float64, "running_var")


def test_embedding_max_norm_renormalizes_in_place() -> None:
    w = _rng("emb").standard_normal((6, 4)) * 3
    idx = np.array([[0, 2], [2, 5]])
    a = tenkai.tensor(w, requires_grad=True)
    b = torch.tensor(w, requires_grad=True)
    out_a = TF.embedding(tenkai.tensor(idx), a, max_norm=1.5)
    out_b = F.embedding(torch.tensor(idx), b, max_norm=1.5)
    _close(out_a.detach().numpy(), out_b.detach().numpy(), np.float64, "output")
    _close(a.detach().numpy(), b.detach().numpy(), np.float64, "renormalized weight")


# ---------------------------------------------------------------- double backward


DOUBLE = [
    ("conv2d", lambda f, x, w: f.conv2d(x, w, stride=2, padding=1, groups=2)),
    ("conv2d_x_dependent", lambda f, x, w: f.conv2d(x * x, w, padding=1, groups=2)),
    ("conv1d_groups", lambda f, x, w: f.conv1d(x[..., 0], w[..., 0], groups=2)),
    ("max_pool2d", lambda f, x, w: f.max_pool2d(x * w.sum(), 2)),
    ("avg_pool2d", lambda f, x, w: f.avg_pool2d(x * w.sum(), 3, 2, 1)),
    ("adaptive_avg_pool2d", lambda f, x, w: f.adaptive_avg_pool2d(x * w.sum(), (3, 2))),
]


@pytest.mark.parametrize(("name", "fn"), DOUBLE, ids=[d[0] for d in DOUBLE])
def test_double_backward_matches_torch(name: str, fn: Fn) -> None:
    """Gradient penalty: d/d(x, w) of |d sum(fn(x, w) * c) / dx|^2."""
    rng = _rng("double", name)
    x, w = D(2, 4, 6, 6).make(rng, np.float64)[0], rng.standard_normal((6, 2, 3, 3))
    results = []
    for lib, f in ((tenkai, TF), (torch, F)):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        out = fn(f, xt, wt)
        c = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        (gx,) = lib.autograd.grad((out * c).sum(), xt, create_graph=True)
        (gx * gx).sum().backward()
        # a gradient that does not depend on x: torch may give zeros where tenkai gives None
        grads = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in (xt, wt)]
        results.append((gx.detach().numpy(), *grads))
    for k, (a, b) in enumerate(zip(*results, strict=True)):
        _close(a, b, np.float64, f"{name}: result {k}")


# ---------------------------------------------------------------- errors: torch's types and text


def _x(T: Any, *shape: int) -> Any:
    return T.ones(*shape)


ERRORS: list[tuple[str, Fn, str | None]] = [
    ("conv2d_channels", lambda f, T: f.conv2d(_x(T, 8, 3, 28, 28), _x(T, 16, 1, 3, 3)), None),
    ("conv2d_kernel", lambda f, T: f.conv2d(_x(T, 1, 1, 2, 2), _x(T, 1, 1, 3, 3)), None),
    ("conv2d_rank", lambda f, T: f.conv2d(_x(T, 2, 3), _x(T, 1, 1, 3, 3)), None),
    ("conv2d_groups", lambda f, T: f.conv2d(_x(T, 2, 4, 5, 5), _x(T, 3, 2, 3, 3), groups=2),
     "expected weight to be divisible by 2 at dimension 0"),
    ("conv2d_stride", lambda f, T: f.conv2d(_x(T, 1, 1, 5, 5), _x(T, 1, 1, 3, 3), stride=0),
     None),
    ("conv2d_same_strided", lambda f, T: f.conv2d(_x(T, 1, 1, 5, 5), _x(T, 1, 1, 3, 3),
                                                  stride=2, padding="same"), None),
    ("conv2d_padding_str", lambda f, T: f.conv2d(_x(T, 1, 1, 5, 5), _x(T, 1, 1, 3, 3),
                                                 padding="foo"), None),
    ("conv2d_dtype", lambda f, T: f.conv2d(_x(T, 1, 1, 5, 5), _x(T, 1, 1, 3, 3).double()),
     "should be the same"),
    ("conv2d_bias", lambda f, T: f.conv2d(_x(T, 1, 3, 5, 5), _x(T, 4, 3, 3, 3), _x(T, 5)), None),
    ("conv1d_channels", lambda f, T: f.conv1d(_x(T, 2, 5, 10), _x(T, 4, 3, 3)), None),
    ("max_pool_pad", lambda f, T: f.max_pool2d(_x(T, 1, 1, 8, 8), 3, padding=2), None),
    ("max_pool_small", lambda f, T: f.max_pool2d(_x(T, 1, 1, 2, 2), 3), None),
    ("avg_pool_small", lambda f, T: f.avg_pool2d(_x(T, 1, 1, 2, 2), 3), None),
    ("max_pool_stride", lambda f, T: f.max_pool2d(_x(T, 1, 1, 4, 4), 2, stride=0), None),
    ("ce_target_big", lambda f, T: f.cross_entropy(_x(T, 3, 5), T.tensor([1, 10, 2])), None),
    ("ce_target_negative", lambda f, T: f.cross_entropy(_x(T, 3, 5), T.tensor([1, -5, 2])),
     None),
    ("nll_batch", lambda f, T: f.nll_loss(_x(T, 3, 5), T.tensor([1, 2])), None),
    ("ce_target_shape", lambda f, T: f.cross_entropy(_x(T, 3, 5, 2), T.tensor([1, 2, 3])), None),
    ("ce_target_dtype", lambda f, T: f.cross_entropy(_x(T, 3, 5), T.tensor([1.0, 2.0, 3.0])),
     None),
    ("ce_multi_target", lambda f, T: f.nll_loss(_x(T, 3, 5), T.tensor([[1, 2, 3]] * 3)), None),
    ("ce_weight", lambda f, T: f.cross_entropy(_x(T, 3, 5), T.tensor([1, 2, 3]), _x(T, 4)),
     None),
    ("reduction", lambda f, T: f.mse_loss(_x(T, 3), _x(T, 3), reduction="foo"), None),
    ("dropout_big", lambda f, T: f.dropout(_x(T, 3), 1.5), None),
    ("dropout_negative", lambda f, T: f.dropout(_x(T, 3), -0.1), None),
    ("layer_norm", lambda f, T: f.layer_norm(_x(T, 2, 3), (4,)), None),
    ("group_norm", lambda f, T: f.group_norm(_x(T, 2, 6, 4), 4), None),
    ("batch_norm_one", lambda f, T: f.batch_norm(_x(T, 1, 3), _x(T, 3), _x(T, 3),
                                                 training=True), None),
    ("batch_norm_stats", lambda f, T: f.batch_norm(_x(T, 2, 3), _x(T, 4), _x(T, 4),
                                                   training=True), None),
    ("one_hot_float", lambda f, T: f.one_hot(T.tensor([1.0, 2.0])), None),
    ("one_hot_negative", lambda f, T: f.one_hot(T.tensor([1, -2])), None),
    ("one_hot_big", lambda f, T: f.one_hot(T.tensor([1, 5]), 3), None),
    ("bce_range", lambda f, T: f.binary_cross_entropy(T.tensor([1.5]), T.tensor([1.0])), None),
    ("bce_size", lambda f, T: f.binary_cross_entropy(_x(T, 3, 1) / 2, _x(T, 3)), None),
    ("bce_logits_size", lambda f, T: f.binary_cross_entropy_with_logits(_x(T, 3, 1), _x(T, 3)),
     None),
    ("embedding_index", lambda f, T: f.embedding(T.tensor([10]), _x(T, 5, 3)), None),
    ("embedding_padding", lambda f, T: f.embedding(T.tensor([1]), _x(T, 5, 3), padding_idx=7),
     None),
    ("gelu_approximate", lambda f, T: f.gelu(_x(T, 3), approximate="foo"), None),
    ("softshrink", lambda f, T: f.softshrink(_x(T, 3), -0.5), "lambda"),
    ("pad_odd", lambda f, T: f.pad(_x(T, 1, 2, 3), (1,)), None),
    ("pad_long", lambda f, T: f.pad(_x(T, 2, 3), (1,) * 6), None),
    ("pad_reflect", lambda f, T: f.pad(_x(T, 1, 2, 3, 3), (3, 3, 1, 1), mode="reflect"), None),
    ("pad_mode", lambda f, T: f.pad(_x(T, 1, 2, 3), (1, 1), mode="foo"), None),
    ("smooth_l1_beta", lambda f, T: f.smooth_l1_loss(_x(T, 3), _x(T, 3), beta=-1.0), None),
    ("huber_delta", lambda f, T: f.huber_loss(_x(T, 3), _x(T, 3), delta=-1.0), None),
    ("linear_shapes", lambda f, T: f.linear(_x(T, 2, 3), _x(T, 4, 5)),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"),
    ("softmax_dim", lambda f, T: f.softmax(_x(T, 2, 3), 5), None),
    ("celu_alpha", lambda f, T: f.celu(_x(T, 3), 0.0), None),
    ("prelu_weight", lambda f, T: f.prelu(_x(T, 2, 3), _x(T, 4)), None),
    ("glu_odd", lambda f, T: f.glu(_x(T, 2, 3), 1), None),
]


@pytest.mark.parametrize(("name", "fn", "fragment"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name: str, fn: Fn, fragment: str | None) -> None:
    with pytest.raises(Exception) as want:  # noqa: PT011 - the type is what we compare
        fn(F, torch)
    with pytest.raises(type(want.value)) as got:
        fn(TF, tenkai)
    expected = fragment if fragment is not None else str(want.value)
    assert expected in str(got.value)


def test_implicit_softmax_dim_warns_like_torch() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = TF.softmax(tenkai.ones(2, 3))
    np.testing.assert_allclose(out.numpy(), np.full((2, 3), 1 / 3), rtol=1e-6)


def test_legacy_reduction_flags() -> None:
    x, y = tenkai.tensor([1.0, 2.0]), tenkai.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = TF.mse_loss(x, y, size_average=False)
    assert out.item() == pytest.approx(5.0)


def test_inplace_activation_updates_tensor() -> None:
    x = tenkai.tensor([-1.0, 2.0])
    assert TF.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])
    y = tenkai.tensor([-2.0, 0.5])
    TF.leaky_relu_(y, 0.5)
    np.testing.assert_array_equal(y.numpy(), [-1.0, 0.5])


def test_unsupported_options_raise_not_implemented() -> None:
    idx, w = tenkai.tensor([1, 2]), tenkai.ones(4, 3)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        TF.embedding(idx, w, scale_grad_by_freq=True)
    with pytest.raises(NotImplementedError, match="divisible"):
        TF.adaptive_max_pool2d(tenkai.ones(1, 1, 7, 5), 3, return_indices=True)
