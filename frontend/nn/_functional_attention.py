"""``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (what
``nn.MultiheadAttention`` calls), written with matmul / softmax / masking registry ops,
following PyTorch's reference implementation step by step."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tenkai.ir.dtypes import to_numpy

from .. import _eager_fast as fast
from .. import _eager_fused, _reduce
from .. import _ops as ops
from .._shape import cat, chunk, expand, matmul, reshape, squeeze_dims, transpose, unsqueeze
from .._tensor import Tensor
from ._functional_activation import softmax
from ._functional_conv import linear, pad
from ._functional_misc import dropout


def _repeat_heads(x: Tensor, repeats: int) -> Tensor:
    """repeat_interleave along the head dim (-3): (..., H, S, E) -> (..., H * r, S, E)."""
    if repeats == 1:
        return x
    shape = tuple(x.shape)
    x = expand(unsqueeze(x, -3), (*shape[:-2], repeats, *shape[-2:]))
    return reshape(x, (*shape[:-3], shape[-3] * repeats, *shape[-2:]))


def _additive_mask(mask: Tensor, dtype: str, true_means_keep: bool) -> Tensor:
    """A bool mask as 0 / -inf of ``dtype``; float masks pass through."""
    if mask._ir_dtype != "bool":
        return mask
    blocked = ops.logical_not(mask) if true_means_keep else mask
    zeros = Tensor._make(np.zeros(mask.shape, dtype=to_numpy(dtype)))
    return ops.masked_fill(zeros, blocked, float("-inf"))


def _attention_data(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float,
                    causal: bool, keep: dict | None = None) -> np.ndarray:
    """:func:`scaled_dot_product_attention` without mask or dropout, on arrays (``keep``
    receives the attention weights, ``"p"``)."""
    scores = (q @ np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    if causal:
        below = np.tril(np.ones(scores.shape[-2:], dtype=bool))
        scores = np.where(below, scores, q.dtype.type(-np.inf))
    with np.errstate(all="ignore"):
        top = np.max(scores, -1, keepdims=True)
        e = np.exp(scores - np.where(np.isfinite(top), top, 0))
        p = e / np.sum(e, -1, keepdims=True)
    if keep is not None:
        keep["p"] = p
    return p @ v


def _attention_fused(query: Tensor, key: Tensor, value: Tensor, scale: float, causal: bool,
                     composite: Any) -> Tensor:
    """4-D attention without mask or dropout as one fused eager step (PyTorch's CPU flash
    kernel's grad_fn; see :mod:`tenkai._eager_fused`): the fast path's values; the backward
    of ``o = p @ v``, ``p = softmax(s)``, ``s = q k^T * scale`` in closed form."""
    q, k, v, keep = query._data, key._data, value._data, {}
    out = _attention_data(q, k, v, scale, causal, keep)

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        g, p = seeds[0], keep["p"]
        d_v = np.swapaxes(p, -1, -2) @ g
        d_p = g @ np.swapaxes(v, -1, -2)
        d_s = p * (d_p - np.add.reduce(d_p * p, -1, keepdims=True)) * q.dtype.type(scale)
        return [d_s @ k, np.swapaxes(d_s, -1, -2) @ q, d_v]

    return _eager_fused.record("ScaledDotProductFlashAttentionForCpuBackward0",
                               [query, key, value], [out], backward, composite)[0]


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q @ k^T * scale + mask) @ v over (..., L, E) / (..., S, E) operands.

    A bool ``attn_mask`` marks the positions that *take part*; a float one is added.
    ``F.scaled_dot_product_attention(q, k, v, is_causal=True)``
    """
    L, S = query.shape[-2], key.shape[-2]
    scale_ = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        key = _repeat_heads(key, query.shape[-3] // key.shape[-3])
        value = _repeat_heads(value, query.shape[-3] // value.shape[-3])
    if attn_mask is None and dropout_p == 0.0 and fast.plain_float(query, key, value) and \
            query._data.dtype == key._data.dtype == value._data.dtype:
        return fast.result(_attention_data(query._data, key._data, value._data, scale_,
                                           is_causal))
    if (attn_mask is None and dropout_p == 0.0 and query.ndim == 4
            and query.shape[:2] == key.shape[:2] == value.shape[:2]
            and query.shape[-1] == value.shape[-1]  # (where PyTorch takes its flash kernel)
            and _eager_fused.available(query, key, value)):
        return _attention_fused(query, key, value, scale_, is_causal, lambda q, k, v: [
            scaled_dot_product_attention(q, k, v, None, 0.0, is_causal, scale)])
    scores = matmul(query, transpose(key, -2, -1)) * scale_
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        causal = Tensor._make(np.tril(np.ones((L, S), dtype=bool)))
        scores = ops.masked_fill(scores, ops.logical_not(causal), float("-inf"))
    if attn_mask is not None:
        scores = scores + _additive_mask(attn_mask, scores._ir_dtype, True)
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return matmul(weights, value)


def _in_projection(query: Tensor, key: Tensor, value: Tensor, w: list[Tensor],
                   b: list[Tensor | None]) -> tuple[Tensor, Tensor, Tensor]:
    return (linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2]))


def _projections(query: Tensor, key: Tensor, value: Tensor, in_proj_weight: Tensor | None,
                 in_proj_bias: Tensor | None, separate: tuple[Any, Any, Any] | None
                 ) -> tuple[Tensor, Tensor, Tensor]:
    biases: list[Tensor | None] = ([None] * 3 if in_proj_bias is None
                                   else list(chunk(in_proj_bias, 3)))
    if separate is not None:
        if any(w is None for w in separate):
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        return _in_projection(query, key, value, list(separate), biases)
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    return _in_projection(query, key, value, list(chunk(in_proj_weight, 3)), biases)


def _check_mha_shapes(query: Tensor, key: Tensor, value: Tensor,
                      key_padding_mask: Tensor | None) -> bool:
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.ndim}-D query tensor")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"expected `key` and `value` to be {query.ndim}-D but found "
                             f"{key.ndim}-D and {value.ndim}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(f"expected `key_padding_mask` to be `None` or "
                             f"{query.ndim - 1}-D but found {key_padding_mask.ndim}-D tensor")
    return query.ndim == 3


def _attn_mask_3d(attn_mask: Tensor | None, dtype: str, bsz_heads: int, tgt: int,
                  src: int) -> Tensor | None:
    if attn_mask is None:
        return None
    mask = _additive_mask(attn_mask, dtype, False)
    if mask.ndim == 2:
        if tuple(mask.shape) != (tgt, src):
            raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(mask.shape)}, but should "
                               f"be {(tgt, src)}.")
        return unsqueeze(mask, 0)
    if mask.ndim == 3 and tuple(mask.shape) == (bsz_heads, tgt, src):
        return mask
    if mask.ndim == 3:
        raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(mask.shape)}, but should be "
                           f"{(bsz_heads, tgt, src)}.")
    raise RuntimeError(f"attn_mask's dimension {mask.ndim} is not supported")


def _add_bias_kv(k: Tensor, v: Tensor, bias_k: Tensor, bias_v: Tensor, bsz: int,
                 masks: list[Tensor | None]) -> tuple[Tensor, Tensor, list[Tensor | None]]:
    k = cat([k, expand(reshape(bias_k, (1, 1, -1)), (1, bsz, k.shape[-1]))])
    v = cat([v, expand(reshape(bias_v, (1, 1, -1)), (1, bsz, v.shape[-1]))])
    return k, v, [None if m is None else pad(m, (0, 1)) for m in masks]


def _split_heads(x: Tensor, bsz_heads: int, head_dim: int) -> Tensor:
    """(S, N, E) -> (N * H, S, head_dim)."""
    return transpose(reshape(x, (x.shape[0], bsz_heads, head_dim)), 0, 1)


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first (L, N, E) or unbatched (L, E) inputs.

    Returns ``(attn_output, attn_weights)``; weights are averaged over heads when
    ``average_attn_weights`` and None unless ``need_weights``. Bool masks mark positions that
    are *not* allowed (True = masked), as in ``nn.MultiheadAttention``.
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask)
    if not batched:
        query, key, value = unsqueeze(query, 1), unsqueeze(key, 1), unsqueeze(value, 1)
        if key_padding_mask is not None:
            key_padding_mask = unsqueeze(key_padding_mask, 0)
    tgt_len, bsz, embed_dim = query.shape
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    separate = ((q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight
                else None)
    q, k, v = _projections(query, key, value, in_proj_weight, in_proj_bias, separate)
    bh = bsz * num_heads
    dtype = q._ir_dtype
    mask = _attn_mask_3d(attn_mask, dtype, bh, tgt_len, key.shape[0])
    kpm = None if key_padding_mask is None else _additive_mask(key_padding_mask, dtype, False)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k, v, (mask, kpm) = _add_bias_kv(k, v, bias_k, bias_v, bsz, [mask, kpm])
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together")
    q = _split_heads(q, bh, head_dim)
    k = _split_heads(k, bh, head_dim) if static_k is None else static_k
    v = _split_heads(v, bh, head_dim) if static_v is None else static_v
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((bh, 1, head_dim), dtype=k._data.dtype))
        k, v = cat([k, zeros], 1), cat([v, zeros], 1)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    src_len = k.shape[1]
    if kpm is not None:
        if tuple(kpm.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(kpm.shape)}")
        kpm = reshape(expand(reshape(kpm, (bsz, 1, 1, src_len)),
                             (bsz, num_heads, 1, src_len)), (bh, 1, src_len))
        mask = kpm if mask is None else mask + kpm
    p = dropout_p if training else 0.0
    scores = matmul(q * math.sqrt(1.0 / head_dim), transpose(k, -2, -1))
    if mask is not None:
        scores = scores + mask
    weights = softmax(scores, -1)
    if p > 0.0:
        weights = dropout(weights, p)
    out = reshape(transpose(matmul(weights, v), 0, 1), (tgt_len * bsz, embed_dim))
    out = reshape(linear(out, out_proj_weight, out_proj_bias), (tgt_len, bsz, -1))
    if not batched:
        out = squeeze_dims(out, [1])
    if not need_weights:
        return out, None
    weights = reshape(weights, (bsz, num_heads, tgt_len, src_len))
    if average_attn_weights:
        weights = _reduce.mean(weights, 1)
    if not batched:
        weights = squeeze_dims(weights, [0])
    return out, weights
