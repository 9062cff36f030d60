"""``tenkai.distributions``: PyTorch's ``torch.distributions`` as composites of tenkai ops, so
gradients flow through ``log_prob``/``entropy``/``rsample``/``kl_divergence`` and
``tenkai.compile`` traces them. What exists and what differs: docs/distributions.md.

    >>> import tenkai as torch
    >>> from tenkai.distributions import Normal
    >>> Normal(torch.zeros(2), torch.ones(2))
    Normal(loc: torch.Size([2]), scale: torch.Size([2]))
"""

from . import constraints, kl
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Exponential", "Gamma",
           "Independent", "Laplace",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform", "constraints", "kl",
           "kl_divergence", "register_kl"]
