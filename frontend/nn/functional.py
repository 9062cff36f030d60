"""``tenkai.nn.functional``: PyTorch's functional API (``import tenkai.nn.functional as F``).

Every function is a composite of registry ops, built through tenkai's tensor functions, so it
records into the graph, differentiates through the registry's VJPs and fuses later. Outputs
carry PyTorch's grad_fn names where natural (``F.mse_loss(x, y).grad_fn`` ->
``<MseLossBackward0>``). The implementations live in topic files re-exported here:

* ``_functional_activation``: relu ... softmax / log_softmax
* ``_functional_conv``: linear, conv1d/2d, pooling, pad
* ``_functional_norm``: batch / instance / layer / group norm, normalize, distances
* ``_functional_misc``: dropout family, embedding, one_hot
* ``_functional_loss``: regression, classification and margin losses
* ``_functional_margin``: embedding, multi-class margin and triplet losses
* ``_functional_pool3d``: separable 3-D avg / max / adaptive / lp pooling
* ``_functional_pool_indices``: 3-D max pooling with indices, fractional max pooling
* ``_functional_resample``: interpolate / upsample, lp_pool1d/2d, unfold / fold
* ``_functional_shape``: pixel/channel shuffles, rms_norm, pdist, gumbel_softmax
* ``_functional_unpool``: max_unpool1d/2d/3d, embedding_bag
* ``_functional_ctc``: ctc_loss; ``_functional_sample``: grid_sample, affine_grid
* ``_functional_extra``: conv_tbc, linear_cross_entropy, the override / dispatch helpers
* ``_functional_attention``: scaled_dot_product_attention, multi_head_attention_forward
"""

from __future__ import annotations

from .._tensor import Tensor
from ._functional_activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from ._functional_attention import multi_head_attention_forward, scaled_dot_product_attention
from ._functional_conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    bilinear,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    linear,
    max_pool1d,
    max_pool2d,
    pad,
)
from ._functional_conv3d import conv3d, conv_transpose3d
from ._functional_ctc import ctc_loss
from ._functional_extra import (
    Callable,
    DType,
    Optional,
    assert_int_or_pair,
    boolean_dispatch,
    conv_tbc,
    grouped_mm,
    handle_torch_function,
    has_torch_function,
    has_torch_function_unary,
    has_torch_function_variadic,
    linear_cross_entropy,
)
from ._functional_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from ._functional_margin import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._functional_misc import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    embedding,
    feature_alpha_dropout,
    one_hot,
)
from ._functional_norm import (
    batch_norm,
    cosine_similarity,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
    pairwise_distance,
)
from ._functional_pool3d import adaptive_avg_pool3d, avg_pool3d, lp_pool3d
from ._functional_pool_indices import (
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
)
from ._functional_resample import (
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    fold,
    interpolate,
    lp_pool1d,
    lp_pool2d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    unfold,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from ._functional_sample import affine_grid, grid_sample
from ._functional_shape import (
    channel_shuffle,
    gumbel_softmax,
    pdist,
    pixel_shuffle,
    pixel_unshuffle,
    rms_norm,
)
from ._functional_unpool import embedding_bag, max_unpool1d, max_unpool2d, max_unpool3d

__all__ = [
    "affine_grid", "conv3d", "conv_transpose3d", "ctc_loss", "embedding_bag", "grid_sample",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "adaptive_max_pool3d_with_indices",
    "Callable", "DType", "Optional", "assert_int_or_pair",
    "boolean_dispatch", "conv_tbc", "grouped_mm", "handle_torch_function", "has_torch_function",
    "has_torch_function_unary", "has_torch_function_variadic", "linear_cross_entropy",
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "max_pool3d_with_indices",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "lp_pool3d", "max_pool3d",
    "Tensor", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "max_pool1d_with_indices", "max_pool2d_with_indices",
    "fold", "interpolate", "lp_pool1d", "lp_pool2d", "unfold", "upsample", "upsample_bilinear",
    "upsample_nearest",
    "channel_shuffle", "cosine_embedding_loss", "gumbel_softmax", "hinge_embedding_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "pdist",
    "pixel_shuffle", "pixel_unshuffle", "rms_norm", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "alpha_dropout", "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "celu_", "conv1d", "conv2d",
    "conv_transpose1d", "conv_transpose2d", "cosine_similarity",
    "cross_entropy", "dropout", "dropout1d", "dropout2d", "dropout3d", "elu", "elu_", "embedding",
    "feature_alpha_dropout", "gaussian_nll_loss", "gelu", "glu", "group_norm", "hardshrink",
    "hardsigmoid", "hardswish", "hardtanh", "hardtanh_", "huber_loss", "instance_norm", "kl_div",
    "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear", "local_response_norm",
    "log_softmax", "logsigmoid", "margin_ranking_loss", "max_pool1d", "max_pool2d", "mish",
    "mse_loss", "multi_head_attention_forward", "nll_loss", "normalize", "one_hot", "pad",
    "pairwise_distance", "poisson_nll_loss", "prelu", "relu", "relu6", "relu_", "rrelu",
    "rrelu_", "scaled_dot_product_attention", "selu", "selu_", "sigmoid", "silu",
    "smooth_l1_loss", "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink",
    "softsign", "tanh", "tanhshrink", "threshold", "threshold_",
]
