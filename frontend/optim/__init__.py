"""``tenkai.optim``: optimizers and learning-rate schedulers with PyTorch's API.

Every update rule is written with registry ops on tenkai tensors, so ``tenkai.compile`` can
trace ``optimizer.step()`` into the training graph.
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop",
           "lr_scheduler", "swa_utils"]
