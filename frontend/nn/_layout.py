"""Which names PyTorch's ``torch.nn.modules`` submodules hold (``torch.nn.modules.batchnorm``
has ``_BatchNorm``), for :mod:`tenkai.nn.modules` to lay tenkai's classes out the same way.

tenkai's layers live in fewer files than PyTorch's; user code imports base classes and
helpers by PyTorch's paths (``from torch.nn.modules.loss import _Loss``), so those paths
must lead to the very classes tenkai's layers derive from.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import (
    _functional_extra,
    _module_hooks,
    _module_state,
    activation,
    attention,
    containers,
    layers,
    layers_extra,
    layers_more,
    layers_resample,
    lazy,
    loss,
    module,
    normalization,
    parameter_containers,
    rnn,
    transformer,
)

LAYOUT: dict[str, str] = {
    "activation": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish "
                  "Hardswish ELU CELU SELU GLU GELU Hardshrink LeakyReLU LogSigmoid Softplus "
                  "Softshrink MultiheadAttention PReLU Softsign Tanhshrink Softmin Softmax "
                  "Softmax2d LogSoftmax",
    "adaptive": "_ASMoutput AdaptiveLogSoftmaxWithLoss",
    "batchnorm": "_NormBase _BatchNorm _LazyNormBase BatchNorm1d LazyBatchNorm1d BatchNorm2d "
                 "LazyBatchNorm2d BatchNorm3d LazyBatchNorm3d SyncBatchNorm",
    "channelshuffle": "ChannelShuffle",
    "container": "_addindent Container Sequential ModuleList ModuleDict ParameterList "
                 "ParameterDict",
    "conv": "_ConvNd Conv1d Conv2d Conv3d _ConvTransposeNd ConvTranspose1d ConvTranspose2d "
            "ConvTranspose3d _LazyConvXdMixin LazyConv1d LazyConv2d LazyConv3d "
            "LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d",
    "distance": "PairwiseDistance CosineSimilarity",
    "dropout": "_DropoutNd Dropout Dropout1d Dropout2d Dropout3d AlphaDropout "
               "FeatureAlphaDropout",
    "flatten": "Flatten Unflatten",
    "fold": "Fold Unfold",
    "instancenorm": "_InstanceNorm InstanceNorm1d LazyInstanceNorm1d InstanceNorm2d "
                    "LazyInstanceNorm2d InstanceNorm3d LazyInstanceNorm3d",
    "lazy": "LazyModuleMixin",
    "linear": "Identity Linear NonDynamicallyQuantizableLinear Bilinear LazyLinear",
    "linear_cross_entropy_options": "LinearCrossEntropyOptions",
    "loss": "_Loss _WeightedLoss L1Loss NLLLoss NLLLoss2d PoissonNLLLoss GaussianNLLLoss "
            "KLDivLoss MSELoss BCELoss BCEWithLogitsLoss HingeEmbeddingLoss "
            "MultiLabelMarginLoss SmoothL1Loss HuberLoss SoftMarginLoss CrossEntropyLoss "
            "LinearCrossEntropyLoss MultiLabelSoftMarginLoss CosineEmbeddingLoss "
            "MarginRankingLoss MultiMarginLoss TripletMarginLoss TripletMarginWithDistanceLoss "
            "CTCLoss",
    "module": "_IncompatibleKeys _addindent register_module_buffer_registration_hook "
              "register_module_module_registration_hook "
              "register_module_parameter_registration_hook register_module_forward_pre_hook "
              "register_module_forward_hook register_module_backward_hook "
              "register_module_full_backward_pre_hook register_module_full_backward_hook "
              "Module RemovableHandle",
    "normalization": "LocalResponseNorm CrossMapLRN2d LayerNorm GroupNorm RMSNorm",
    "padding": "_CircularPadNd CircularPad1d CircularPad2d CircularPad3d _ConstantPadNd "
               "ConstantPad1d ConstantPad2d ConstantPad3d _ReflectionPadNd ReflectionPad1d "
               "ReflectionPad2d ReflectionPad3d _ReplicationPadNd ReplicationPad1d "
               "ReplicationPad2d ReplicationPad3d ZeroPad1d ZeroPad2d ZeroPad3d",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "pooling": "_MaxPoolNd MaxPool1d MaxPool2d MaxPool3d _MaxUnpoolNd MaxUnpool1d MaxUnpool2d "
               "MaxUnpool3d _AvgPoolNd AvgPool1d AvgPool2d AvgPool3d FractionalMaxPool2d "
               "FractionalMaxPool3d _LPPoolNd LPPool1d LPPool2d LPPool3d _AdaptiveMaxPoolNd "
               "AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d _AdaptiveAvgPoolNd "
               "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d",
    "rnn": "RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell",
    "sparse": "Embedding EmbeddingBag",
    "transformer": "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer "
                   "TransformerDecoderLayer",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d",
}

# where tenkai defines what the layout names (searched in order)
_SOURCES: tuple[ModuleType, ...] = (
    module, _module_hooks, _module_state, containers, parameter_containers, activation,
    attention, layers, layers_extra, layers_more, layers_resample, lazy, loss, normalization,
    rnn, transformer, _functional_extra)


def lookup(name: str) -> Any:
    """The tenkai object PyTorch's layout names ``name``."""
    for source in _SOURCES:
        if name in vars(source):
            return vars(source)[name]
    raise LookupError(f"tenkai.nn defines no {name!r}")
