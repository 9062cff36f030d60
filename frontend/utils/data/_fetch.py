"""Fetching one batch from a dataset: shared by the in-process iterator and the worker processes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any


def fetch_map(dataset: Any, indices: Any, collate_fn: Callable[[Any], Any],
              auto_collation: bool) -> Any:
    """``collate_fn([dataset[i] for i in indices])``, or one converted sample without batching."""
    if not auto_collation:
        return collate_fn(dataset[indices])
    getitems = getattr(dataset, "__getitems__", None)
    samples = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
    return collate_fn(samples)


def fetch_iterable(samples: Iterator[Any], batch_size: int | None, drop_last: bool,
                   collate_fn: Callable[[Any], Any]) -> Any:
    """The next batch from an iterable dataset's iterator; ``StopIteration`` when it runs out."""
    if batch_size is None:
        return collate_fn(next(samples))
    batch = list(itertools.islice(samples, batch_size))
    if not batch or (drop_last and len(batch) < batch_size):
        raise StopIteration
    return collate_fn(batch)
