"""Dropout family, ``embedding`` and ``one_hot`` of ``tenkai.nn.functional``.

Dropout masks come from the registry's counter-based ``bernoulli`` op (tenkai's generator),
so a compiled training step replays the same stream as eager code.
"""

from __future__ import annotations

import warnings

import numpy as np

from tenkai.ir import index_rules

from .. import _eager_fast as fast
from .. import _ops as ops
from .. import _trace
from .._random import bernoulli
from .._shape import unsqueeze
from .._tensor import Tensor
from ._functional_common import finish, float_input, named

_ALPHA = 1.7580993408473766  # -SELU's scale * alpha: the value dropped units take


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, shape: tuple[int, ...]) -> Tensor:
    """0/1 float mask of ``shape`` with P(1) = 1 - p."""
    probs = Tensor._make(np.full(shape, 1.0 - p, dtype=input._data.dtype))
    if type(input._data) is not np.ndarray:  # drawn on the input's GPU
        probs = probs.to(input.device)
    return bernoulli(probs)


def _feature_shape(input: Tensor, batched_ndim: int, op: str) -> tuple[int, ...]:
    """Mask shape of channel-wise dropout: one draw per (sample, channel)."""
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(f"{op}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but "
                           f"received a {input.ndim}D input")
    lead = 2 if input.ndim == batched_ndim else 1
    return (*input.shape[:lead], *(1,) * (input.ndim - lead))


def _apply_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                   shape: tuple[int, ...]) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    x = float_input(input)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = _keep_mask(x, p, shape) * scale
    return finish(input, x * mask, "MulBackward0", inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by 1 / (1 - p) (training only).

    ``F.dropout(torch.ones(4), 0.5)`` -> e.g. ``tensor([2., 0., 2., 2.])``
    """
    ops.check_tensor(input, "dropout")
    return _apply_dropout(input, p, training, inplace, tuple(input.shape))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L): ``F.dropout1d(x, 0.2)``."""
    _check_p(p)
    return _apply_dropout(input, p, training, inplace, _feature_shape(input, 3, "dropout1d"))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W): ``F.dropout2d(x, 0.2)``.

    A 3-D input is treated as (N, C, L) with a warning, as PyTorch does.
    """
    _check_p(p)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", UserWarning, stacklevel=2)
        shape = (*input.shape[:2], 1)
    else:
        shape = _feature_shape(input, 4, "dropout2d")
    return _apply_dropout(input, p, training, inplace, shape)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W): ``F.dropout3d(x, 0.2)``."""
    _check_p(p)
    return _apply_dropout(input, p, training, inplace, _feature_shape(input, 5, "dropout3d"))


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                   shape: tuple[int, ...]) -> Tensor:
    """Keep SELU's mean/variance: dropped units take -alpha', then an affine correction."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return finish(input, input * 0.0, "MulBackward0", inplace)
    a = 1.0 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    mask = _keep_mask(input, p, shape)
    shift = (mask - 1.0) * (_ALPHA * a) + _ALPHA * a * p
    return finish(input, input * (mask * a) + shift, "AddBackward0", inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: ``F.alpha_dropout(x, 0.2, training=True)``."""
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Channel-wise alpha dropout of (N, C, ...): ``F.feature_alpha_dropout(x, 0.2, True)``."""
    shape = (*input.shape[:2], *(1,) * (input.ndim - 2))
    return _alpha_dropout(input, p, training, inplace, shape)


# ---------------------------------------------------------------- embedding / one_hot


def _check_indices(input: Tensor, num: int, op: str) -> None:
    if input._ir_dtype not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} instead "
                           f"(while checking arguments for {op})")
    data = input._data
    if hasattr(data, "tk_device"):  # on a GPU: the take kernel checks them (status word)
        return
    bad = (data < 0) | (data >= num)
    if np.any(bad):
        raise index_rules.index_error(op, int(data[bad].flat[0]), num, 0)


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: rescale the referenced rows whose norm exceeds max_norm."""
    rows = np.unique(input._data.reshape(-1))
    data = weight._data
    norms = np.linalg.norm(data[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if np.any(big):
        scale = (max_norm / (norms[big] + 1e-7)).astype(data.dtype)
        data[rows[big]] *= scale[:, None]
        weight._vc[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at integer ``input`` (any shape); ``padding_idx`` gets no gradient.

    ``F.embedding(torch.tensor([[0, 2]]), torch.randn(5, 3))`` -> (1, 2, 3)
    """
    ops.check_tensor(input, "embedding", "indices", 2)  # PyTorch's order: (weight, indices)
    ops.check_tensor(weight, "embedding", "weight", 1)
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= num
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse gradients are not "
                                  "supported; tenkai computes dense, unscaled gradients")
    _check_indices(input, num, "embedding")
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    out = ops.apply("take", (weight, input), axis=0, bounds="embedding")
    if padding_idx is not None and out._node is not None:
        keep = unsqueeze(input != padding_idx, -1)
        out = ops.where(keep, out, out.detach())
    return named(out, "EmbeddingBackward0")


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows: ``F.one_hot(torch.tensor([0, 2]))`` -> ``[[1, 0, 0], [0, 0, 1]]``."""
    if tensor._ir_dtype != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    data = tensor._data
    if num_classes == -1:
        if data.size and data.min() < 0:
            raise index_rules.index_error("one_hot", int(data.min()), int(data.max()) + 1, 0)
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        if _trace.active() is not None:  # the class count is read from the values
            _trace.active().escape(tensor, "one_hot(num_classes=-1)")
        num_classes = int(data.max()) + 1
    if fast.plain(tensor):
        checked = index_rules.check(data, num_classes, 0, "one_hot")
        out = np.zeros((*checked.shape, num_classes), np.int64)  # a 1 written per index
        if out.size:
            rows = out.reshape(-1, num_classes)
            rows[np.arange(rows.shape[0]), checked.reshape(-1)] = 1
        return Tensor._make(out)
    classes = ops.tensor_of(np.arange(num_classes), "int64")
    if hasattr(data, "tk_device"):  # on the indices' GPU
        classes = classes.to(tensor.device)
    # a take from arange(num_classes) is the identity on valid classes and checks them (in
    # eager and in compiled code alike: negative and too-large classes are errors)
    checked = ops.apply("take", (classes, tensor), axis=0, bounds="one_hot")
    return ops.cast(unsqueeze(checked, -1) == classes, "int64")
