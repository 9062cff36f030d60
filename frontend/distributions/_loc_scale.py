"""The shared part of the location-scale families (Normal, Laplace): parameters broadcast
together, batch shape, ``expand``, and mean = mode = ``loc``."""

from __future__ import annotations

from typing import Any

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, params_batch_shape


class LocScale(Distribution):
    """A distribution with a real ``loc`` and a positive ``scale`` of one batch shape."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(params_batch_shape((loc, scale), self.loc),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Any:
        family = next(c for c in type(self).__mro__ if c.__dict__.get("expand_as_family"))
        return self._expand_params(family, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self) -> Any:
        return self.loc

    @property
    def mode(self) -> Any:
        return self.loc
