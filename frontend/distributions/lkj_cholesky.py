"""``LKJCholesky(dim, concentration=1.0)``: the LKJ distribution over Cholesky factors of
correlation matrices. Samples by the onion method (Beta marginals times uniform directions,
Ghosh and Henderson); ``log_prob`` is the closed-form density of the factor."""

from __future__ import annotations

import math
from typing import Any

import tenkai

from . import constraints
from .distribution import EMPTY_SHAPE, Distribution
from .gamma import Beta
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution over ``dim x dim`` lower Cholesky factors of correlation matrices."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration: Any = 1.0, validate_args: bool | None = None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = tenkai.arange(dim - 1, dtype=self.concentration.dtype)
        offset = tenkai.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), tenkai.Size((dim, dim)), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LKJCholesky:
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = tenkai.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        return self._finish_expand(new, batch_shape)

    def sample(self, sample_shape: Any = EMPTY_SHAPE) -> Any:
        with tenkai.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            normal = tenkai.randn(tuple(self._extended_shape(sample_shape)),
                                  dtype=y.dtype).tril(-1)
            norm = normal.norm(dim=-1, keepdim=True)
            first_row = (tenkai.arange(self.dim) == 0).unsqueeze(-1)
            direction = tenkai.where(first_row, tenkai.zeros_like(normal),
                                     normal / tenkai.where(first_row, tenkai.ones_like(norm),
                                                           norm))
            w = y.sqrt() * direction
            tiny = tenkai.finfo(w.dtype).tiny
            diagonal = (1 - w.pow(2).sum(-1)).clamp(min=tiny).sqrt()
            return w + tenkai.diag_embed(diagonal)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = tenkai.arange(2, self.dim + 1, dtype=self.concentration.dtype)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = (0.5 * dm1 * math.log(math.pi) + tenkai.mvlgamma(alpha - 0.5, dm1)
                      - tenkai.lgamma(alpha) * dm1)
        return unnormalized - normalizer
