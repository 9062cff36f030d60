"""``DistributedSampler``: each rank reads its own, disjoint share of a dataset.

The index list is PyTorch's: a permutation seeded by ``seed + epoch`` (or ``range``), padded
by repeating its head to a multiple of ``num_replicas`` (or cut to one with ``drop_last``),
then rank r takes every ``num_replicas``-th index starting at r. The permutation comes from
tenkai's generator, so the order differs from PyTorch's for the same seed; the partition
rules are the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from typing import Any

from ... import _creation, _random
from ... import distributed as dist
from .sampler import Sampler


class DistributedSampler(Sampler[int]):
    """Restrict data loading to this rank's share; call ``set_epoch(e)`` every epoch.

    >>> s = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
    >>> list(s)
    [1, 3, 0]
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:  # every rank draws the same permutation: same seed and epoch
            g = _random.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices: list[Any] = _creation.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """A different shuffle each epoch (the same on every rank)."""
        self.epoch = epoch
