"""``Distribution``: the base of every distribution (shapes, sampling shape rules, argument
and sample validation with PyTorch's ValueError messages, ``expand``, printing)."""

from __future__ import annotations

from typing import Any

import tenkai

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]

_Size = tenkai.Size
EMPTY_SHAPE = _Size()  # the default sample, batch and event shape


def _size(shape: Any) -> Any:
    return shape if isinstance(shape, _Size) else _Size(shape)


class Distribution:
    """Distribution is the abstract base class for probability distributions."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints: dict[str, Any] = {}
    support: Any = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument and sample validation on or off for distributions built after this."""
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape: Any = EMPTY_SHAPE, event_shape: Any = EMPTY_SHAPE,
                 validate_args: bool | None = None):
        self._batch_shape = _size(batch_shape)
        self._event_shape = _size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                         lazy_property):
                continue  # not given: computed from a parameter that was checked
            value = getattr(self, param)
            if not constraints.all_true(constraint.check(value)):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}")

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        raise NotImplementedError(f"{type(self).__name__}.expand")

    def _expand_params(self, cls: type, batch_shape: Any, names: tuple[str, ...],
                       _instance: Any = None) -> Any:
        """``expand`` for a distribution whose parameters all have the batch shape (plus
        ``extra`` trailing dims): each parameter given is expanded, nothing is copied."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = _size(batch_shape)
        for name in names:
            if name in self.__dict__:
                value = self.__dict__[name]
                extra = tuple(value.shape[value.dim() - self._param_event_dims(name):])
                setattr(new, name, value.expand(batch_shape + extra))
        return self._finish_expand(new, batch_shape)

    def _expand_inner(self, cls: type, inner: str, batch_shape: Any,
                      _instance: Any = None) -> Any:
        """``expand`` for a distribution that wraps another one in attribute ``inner``."""
        new = self._get_checked_instance(cls, _instance)
        setattr(new, inner, getattr(self, inner).expand(batch_shape))
        return self._finish_expand(new, _size(batch_shape))

    def _finish_expand(self, new: Any, batch_shape: Any) -> Any:
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _param_event_dims(self, name: str) -> int:
        """How many trailing dims of parameter ``name`` are not batch dims (probs: 1)."""
        return 0

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__() method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    @property
    def batch_shape(self) -> Any:
        return self._batch_shape

    @property
    def event_shape(self) -> Any:
        return self._event_shape

    @property
    def mean(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.mean")

    @property
    def mode(self) -> Any:
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.variance")

    @property
    def stddev(self) -> Any:
        return self.variance.sqrt()

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        """A sample of shape ``sample_shape + batch_shape + event_shape`` (no gradient)."""
        with tenkai.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.rsample")

    def sample_n(self, n: int) -> Any:
        return self.sample(_Size((n,)))

    def log_prob(self, value: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.log_prob")

    def cdf(self, value: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.cdf")

    def icdf(self, value: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.icdf")

    def enumerate_support(self, expand: bool = True) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support")

    def entropy(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.entropy")

    def perplexity(self) -> Any:
        return tenkai.exp(self.entropy())

    def _extended_shape(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        return _size(sample_shape) + self._batch_shape + self._event_shape

    def _validate_sample(self, value: Any) -> None:
        if not isinstance(value, tenkai.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.dim() - len(self._event_shape)
        if value.size()[event_start:] != self._event_shape:
            raise ValueError("The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        actual, expected = value.size(), self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected), strict=False):
            if i != 1 and j != 1 and i != j:
                raise ValueError("Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {expected}.")
        support = self.support
        if not constraints.all_true(support.check(value)):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        shown = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for name in shown:
            value = self.__dict__[name]
            parts.append(f"{name}: {value if value.numel() == 1 else value.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"
