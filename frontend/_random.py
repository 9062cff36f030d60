"""Random number generation: a counter-based generator (seed + offset) feeding the registry's
random ops, so eager draws and compiled graphs use the same replayable stream."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _trace
from ._ops import apply, tensor_of
from ._tensor import Tensor

DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed


class Generator:
    """``tenkai.Generator``: a Philox key (the seed) and a counter offset."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed, self._offset = DEFAULT_SEED, 0
        self.device = device

    def manual_seed(self, seed: int) -> Generator:
        """Seed this generator; ``seed`` is an int in [-2**63, 2**64) (negative ones wrap)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -(2**63) <= int(seed) < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed, self._offset = int(seed) & 0xFFFFFFFFFFFFFFFF, 0
        return self

    def seed(self) -> int:
        self.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        return Tensor._make(np.array([self._seed, self._offset], dtype=np.uint64).view(np.int64))

    def set_state(self, state: Tensor) -> Generator:
        seed, offset = np.asarray(state._data, dtype=np.int64).view(np.uint64).tolist()
        self._seed, self._offset = int(seed), int(offset)
        return self

    def take(self, count: int) -> tuple[Tensor, Tensor]:
        """Reserve ``count`` counters; return the (seed, offset) operands of a random op."""
        offset = self._offset
        self._offset += max(int(count), 1)
        seed = np.array(self._seed, dtype=np.uint64).view(np.int64)
        seed_t, offset_t = Tensor._make(np.asarray(seed)), tensor_of(offset, "int64")
        if _trace.active() is not None:  # traced: refilled from this generator at every replay
            _trace.active().rng_operands(self, count, seed_t, offset_t)
        return seed_t, offset_t


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``tenkai.manual_seed(0)``); as PyTorch, ``int(seed)`` is
    taken first, so ``1.5`` seeds with 1 and ``2**70`` raises ValueError."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def draw(op: str, shape: tuple[int, ...], generator: Generator | None, **attrs: Any) -> Tensor:
    gen = generator or default_generator
    seed_t, offset_t = gen.take(int(np.prod(shape)))
    return apply(op, (seed_t, offset_t), shape=tuple(shape), **attrs)


def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    """0/1 draws with probabilities ``input`` (``tenkai.bernoulli(torch.full((3,), 0.5))``)."""
    probs = input if p is None else Tensor._make(np.full(input.shape, p, input._data.dtype))
    gen = generator or default_generator
    seed_t, offset_t = gen.take(probs.numel())
    return apply("bernoulli", (probs.detach(), seed_t, offset_t))
