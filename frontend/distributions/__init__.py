"""``tenkai.distributions``: PyTorch's ``torch.distributions`` as composites of tenkai ops, so
gradients flow through ``log_prob``/``entropy``/``rsample``/``kl_divergence`` and
``tenkai.compile`` traces them. What exists and what differs: docs/distributions.md.

    >>> import tenkai as torch
    >>> from tenkai.distributions import Normal
    >>> Normal(torch.zeros(2), torch.ones(2))
    Normal(loc: torch.Size([2]), scale: torch.Size([2]))
"""

from . import constraints, kl, kl_more, transforms
from .bernoulli import Bernoulli
from .categorical import Categorical
from .cauchy import Cauchy
from .discrete import Binomial, Geometric, Multinomial, NegativeBinomial, Poisson
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .mixture import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .relaxed import (ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli,
                      RelaxedOneHotCategorical)
from .studentt import Chi2, StudentT
from .transformed import (Gumbel, HalfCauchy, HalfNormal, LogisticNormal, LogNormal, Pareto,
                          TransformedDistribution, Weibull)
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         IndependentTransform, PowerTransform, ReshapeTransform,
                         SigmoidTransform, SoftmaxTransform, SoftplusTransform,
                         StickBreakingTransform, TanhTransform, Transform, identity_transform)
from .uniform import Uniform

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
           "Cauchy", "Chi2", "ComposeTransform", "Dirichlet", "Distribution",
           "ExpRelaxedCategorical", "ExpTransform", "Exponential", "Gamma", "Geometric",
           "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "IndependentTransform",
           "Laplace", "LogNormal", "LogisticNormal", "LogitRelaxedBernoulli",
           "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial",
           "Normal", "OneHotCategorical", "Pareto", "Poisson", "PowerTransform",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "ReshapeTransform",
           "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform",
           "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
           "Weibull", "constraints", "identity_transform", "kl", "kl_divergence", "kl_more",
           "register_kl", "transforms"]
