"""tenkai.nn: modules, layers, losses and initialization with PyTorch's API."""

from . import functional, init, parallel, utils
from .activation import (CELU, ELU, GELU, SELU, AdaptiveLogSoftmaxWithLoss, Hardshrink, Hardtanh,
                         LeakyReLU, LogSigmoid, LogSoftmax, MultiheadAttention, PReLU, ReLU,
                         ReLU6, RReLU, Sigmoid, Softmax, Softmax2d, Softmin, Softplus,
                         Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm1d,
                     BatchNorm2d, Conv1d, Conv2d, Dropout, Embedding, Flatten, Identity,
                     LayerNorm, Linear, MaxPool1d, MaxPool2d, Unflatten)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                   MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module
from .parameter import Parameter
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

__all__ = [name for name in dir() if not name.startswith("_")]
