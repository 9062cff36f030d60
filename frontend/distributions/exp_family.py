"""``ExponentialFamily``: the base of distributions whose density is
``p(x) = h(x) exp(<theta, t(x)> - F(theta))``; their entropy (and the KL divergence between two
of one family) follow from the log normalizer ``F`` by autograd (a Bregman divergence)."""

from __future__ import annotations

from typing import Any

import tenkai

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A distribution with natural parameters ``_natural_params``, log normalizer
    ``_log_normalizer`` and expected carrier measure ``_mean_carrier_measure``."""

    @property
    def _natural_params(self) -> tuple[Any, ...]:
        raise NotImplementedError(f"{type(self).__name__}._natural_params")

    def _log_normalizer(self, *natural_params: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}._log_normalizer")

    @property
    def _mean_carrier_measure(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__}._mean_carrier_measure")

    def entropy(self) -> Any:
        """``F(theta) - <theta, grad F(theta)> - E[log h(x)]``."""
        params = [p.detach().requires_grad_() for p in self._natural_params]
        with tenkai.enable_grad():
            log_norm = self._log_normalizer(*params)
            grads = tenkai.autograd.grad(log_norm.sum(), params, create_graph=True)
        result = -self._mean_carrier_measure + log_norm
        for param, grad in zip(params, grads, strict=True):
            result = result - (param * grad).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
