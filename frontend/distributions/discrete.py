"""The count distributions: ``Poisson(rate)``, ``Geometric(probs | logits)``,
``Binomial(total_count, probs | logits)``, ``NegativeBinomial(total_count, probs | logits)``
and ``Multinomial(total_count, probs | logits)``. ``log_prob``, moments and (where PyTorch
has it) ``entropy`` are composites of tenkai ops; samples come from tenkai's ``poisson``,
``binomial``, ``multinomial`` and uniforms, eagerly (the Poisson sampler loops on values, so
``Poisson.sample`` and ``NegativeBinomial.sample`` refuse ``tenkai.compile``)."""

from __future__ import annotations

import numbers
from typing import Any

import tenkai
import tenkai.nn.functional as F

from . import constraints
from .bernoulli import one_of
from .categorical import Categorical
from .distribution import EMPTY_SHAPE, Distribution
from .exp_family import ExponentialFamily
from .gamma import Gamma
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial", "Geometric", "Multinomial", "NegativeBinomial", "Poisson"]


class Poisson(ExponentialFamily):
    """Poisson distribution with rate ``rate``: P(k) = rate^k e^-rate / k!."""

    @property
    def _natural_params(self) -> tuple[Any]:
        return (tenkai.log(self.rate),)

    def _log_normalizer(self, x: Any) -> Any:
        return tenkai.exp(x)

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None):
        (self.rate,) = broadcast_all(rate)
        shape = tenkai.Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Poisson:
        return self._expand_params(Poisson, batch_shape, ("rate",), _instance)

    @property
    def mean(self) -> Any:
        return self.rate

    @property
    def mode(self) -> Any:
        return self.rate.floor()

    @property
    def variance(self) -> Any:
        return self.rate

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        with tenkai.no_grad():
            return tenkai.poisson(self.rate.expand(shape))

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()


class _BinaryParam(Distribution):
    """A distribution given by ``probs`` or ``logits`` of one success (not both)."""

    @lazy_property
    def logits(self) -> Any:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Any:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Any:
        return self._param.size()


class Geometric(_BinaryParam):
    """The number of failures before the first success of Bernoulli(``probs``) trials."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None):
        one_of(probs, logits)
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        shape = tenkai.Size() if isinstance(given, numbers.Number) else param.size()
        super().__init__(shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0
            if not constraints.all_true(valid):
                raise ValueError(
                    f"Expected parameter probs ({type(self.probs).__name__} of shape "
                    f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but "
                    f"found invalid values:\n{self.probs[~valid]}")

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        return self._expand_params(Geometric, batch_shape, ("probs", "logits"), _instance)

    @property
    def mean(self) -> Any:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Any:
        return tenkai.zeros_like(self.probs)

    @property
    def variance(self) -> Any:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        tiny = tenkai.finfo(self.probs.dtype).tiny
        with tenkai.no_grad():
            u = tenkai.rand(shape, dtype=self.probs.dtype).clamp(min=tiny)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # a sure success (probs == 1) at value 0 has log-probability 0, not 0 * -inf
        probs = tenkai.where((probs == 1) & (value == 0), tenkai.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Any:
        bce = F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs


def _clamp_by_zero(x: Any) -> Any:
    """max(x, 0) whose gradient at 0 is 1/2 (PyTorch's choice in Binomial.log_prob)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class _CountParam(_BinaryParam):
    """``total_count`` and ``probs``/``logits`` broadcast together (Binomial,
    NegativeBinomial)."""

    def _set_params(self, total_count: Any, probs: Any, logits: Any) -> None:
        one_of(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
            self._param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
            self._param = self.logits

    def _expand_counts(self, cls: type, batch_shape: Any, _instance: Any) -> Any:
        new = self._expand_params(cls, batch_shape, ("total_count", "probs", "logits"),
                                  _instance)
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new


class Binomial(_CountParam):
    """The number of successes in ``total_count`` Bernoulli(``probs``) trials."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None):
        self._set_params(total_count, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        return self._expand_counts(Binomial, batch_shape, _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> Any:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Any:
        return self.total_count * self.probs

    @property
    def mode(self) -> Any:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Any:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        shape = self._extended_shape(sample_shape)
        with tenkai.no_grad():
            return tenkai.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        # k log p + (n - k) log(1 - p) = k logit - n max(logit, 0) - n log1p(e^-|logit|)
        normalizer = (n * _clamp_by_zero(logits) + n * tenkai.log1p(tenkai.exp(-logits.abs()))
                      - tenkai.lgamma(n + 1))
        return (value * logits - tenkai.lgamma(value + 1) - tenkai.lgamma(n - value + 1)
                - normalizer)

    def _homogeneous_count(self, what: str) -> int:
        count = int(self.total_count.max())
        if not self.total_count.min() == count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return count

    def entropy(self) -> Any:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(tenkai.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Any:
        count = self._homogeneous_count("enumerate_support")
        values = tenkai.arange(1 + count, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class NegativeBinomial(_CountParam):
    """The number of successes before ``total_count`` failures of Bernoulli(``probs``)
    trials."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None):
        self._set_params(total_count, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> NegativeBinomial:
        return self._expand_counts(NegativeBinomial, batch_shape, _instance)

    @property
    def mean(self) -> Any:
        return self.total_count * tenkai.exp(self.logits)

    @property
    def mode(self) -> Any:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Any:
        return self.mean / tenkai.sigmoid(-self.logits)

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        """A Gamma-Poisson mixture: Poisson counts at Gamma(total_count, e^-logits) rates."""
        with tenkai.no_grad():
            rates = Gamma(self.total_count, tenkai.exp(-self.logits),
                          validate_args=False).sample(sample_shape)
            return tenkai.poisson(rates)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        unnormalized = n * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        normalizer = -tenkai.lgamma(n + value) + tenkai.lgamma(1.0 + value) + tenkai.lgamma(n)
        # n + value == 0 only at n == 0, value == 0: probability 1, log 0
        normalizer = normalizer.masked_fill(n + value == 0.0, 0.0)
        return unnormalized - normalizer


class Multinomial(Distribution):
    """Counts of ``total_count`` draws from a Categorical(``probs``) over the last dim."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None):
        if not isinstance(total_count, numbers.Number):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Multinomial:
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = tenkai.Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs,
                                 validate_args=False)
        return self._finish_expand(new, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> Any:
        return constraints.multinomial(self.total_count)

    @property
    def logits(self) -> Any:
        return self._categorical.logits

    @property
    def probs(self) -> Any:
        return self._categorical.probs

    @property
    def param_shape(self) -> Any:
        return self._categorical.param_shape

    @property
    def mean(self) -> Any:
        return self.probs * self.total_count

    @property
    def variance(self) -> Any:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        sample_shape = tenkai.Size(sample_shape)
        drawn = self._categorical.sample(tenkai.Size((self.total_count,)) + sample_shape)
        # the draws' dim goes last, then count each class with a one-hot sum
        drawn = drawn.permute(tuple(range(1, drawn.dim())) + (0,))
        one_hot = F.one_hot(drawn, self._categorical._num_events)
        return one_hot.sum(-2).to(self.probs.dtype)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = tenkai.lgamma(value.sum(-1) + 1)
        log_factorial_xs = tenkai.lgamma(value + 1).sum(-1)
        # a class with probability 0 drawn 0 times contributes 0, not 0 * -inf
        logits = tenkai.where((value == 0) & (logits == -float("inf")),
                              tenkai.zeros_like(logits), logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self) -> Any:
        n = tenkai.tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - tenkai.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = tenkai.exp(self._binomial.log_prob(support))
        weights = tenkai.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum((0, -1))
