"""tenkai.nn: modules, layers, losses and initialization with PyTorch's API."""

from . import functional, init, parallel, utils
from .activation import (CELU, ELU, GELU, GLU, SELU, AdaptiveLogSoftmaxWithLoss, Hardshrink,
                         Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax,
                         Mish, MultiheadAttention, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU,
                         Softmax, Softmax2d, Softmin, Softplus, Softshrink, Softsign, Tanh,
                         Tanhshrink, Threshold)
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm1d,
                     BatchNorm2d, Conv1d, Conv2d, Dropout, Embedding, Flatten, Identity,
                     LayerNorm, Linear, MaxPool1d, MaxPool2d, Unflatten)
from .layers_extra import (AlphaDropout, Bilinear, ChannelShuffle, CircularPad1d, CircularPad2d,
                           CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
                           CosineSimilarity, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout,
                           PairwiseDistance, PixelShuffle, PixelUnshuffle, ReflectionPad1d,
                           ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                           ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .layers_resample import (AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
                              AdaptiveMaxPool3d, AvgPool3d, Conv3d, ConvTranspose1d,
                              ConvTranspose2d, Fold, LPPool1d, LPPool2d, LPPool3d, MaxPool3d,
                              Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d)
from .layers_more import (Container, ConvTranspose3d, CrossMapLRN2d, CTCLoss, EmbeddingBag,
                          FractionalMaxPool2d, FractionalMaxPool3d, LinearCrossEntropyLoss,
                          MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
from ._functional_extra import LinearCrossEntropyOptions
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d,
                   LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
                   LazyConvTranspose3d, LazyInstanceNorm1d,
                   LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear, UninitializedBuffer,
                   UninitializedParameter)
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                   GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                   MarginRankingLoss, MSELoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss, NLLLoss, NLLLoss2d, PoissonNLLLoss, SmoothL1Loss,
                   SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss)
from .module import Module
from .normalization import (BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
                            InstanceNorm3d, LocalResponseNorm, RMSNorm, SyncBatchNorm)
from .parameter import Buffer, Parameter
from .parameter_containers import ParameterDict, ParameterList
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)

__all__ = [name for name in dir() if not name.startswith("_")]

from . import modules  # noqa: E402  (PyTorch's module layout, built from the names above)
