"""``DataLoader``: batches from a dataset, optionally shuffled, optionally fetched by worker
processes (``torch.utils.data.dataloader``)."""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ... import _creation
from ._fetch import fetch_iterable, fetch_map
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _check_positive_int
from .worker import IterableEnd, WorkerError, WorkerPool


def _draw_base_seed(generator: Any) -> int:
    """A per-iterator seed for the workers, drawn as PyTorch does (even with no workers, so
    ``num_workers`` does not change the shuffle order)."""
    return int(_creation.randint(0, 2**62, (1,), generator=generator).item())


class DataLoader:
    """Iterate a dataset in batches.

    >>> from tenkai.utils.data import TensorDataset
    >>> ds = TensorDataset(tenkai.tensor([1, 2, 3, 4]), tenkai.tensor([10, 20, 30, 40]))
    >>> next(iter(DataLoader(ds, batch_size=2)))
    [tensor([1, 2]), tensor([10, 20])]

    ``num_workers > 0`` fetches whole batches in that many worker processes, in order.
    ``pin_memory`` is accepted and ignored (there is no pinned host memory in tenkai);
    ``persistent_workers`` is accepted, but workers are started afresh each epoch.
    """

    def __init__(self, dataset: Dataset[Any], batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler[Any] | Iterable[Any] | None = None,
                 batch_sampler: Sampler[Any] | Iterable[Any] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        self.dataset = dataset
        self._check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        self.num_workers, self.timeout = num_workers, timeout
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.persistent_workers, self.pin_memory = persistent_workers, pin_memory
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self.worker_init_fn, self.generator = worker_init_fn, generator
        self.multiprocessing_context = multiprocessing_context
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            self._check_iterable(shuffle, sampler, batch_sampler, batch_size)
        else:
            sampler, batch_sampler, batch_size, drop_last = self._make_samplers(
                dataset, bool(shuffle), sampler, batch_sampler, batch_size, drop_last, generator)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size, self.drop_last = batch_size, drop_last
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @staticmethod
    def _check_workers(num_workers: int, timeout: float, prefetch_factor: int | None,
                       persistent_workers: bool) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor should be a positive integer, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

    @staticmethod
    def _check_iterable(shuffle: Any, sampler: Any, batch_sampler: Any,
                        batch_size: int | None) -> None:
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                                 f"option, but got {name}={value}")
        if batch_size is not None:
            _check_positive_int("batch_size", batch_size)

    @staticmethod
    def _make_samplers(dataset: Any, shuffle: bool, sampler: Any, batch_sampler: Any,
                       batch_size: int | None, drop_last: bool, generator: Any
                       ) -> tuple[Any, Any, int | None, bool]:
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        return sampler, batch_sampler, batch_size, drop_last

    @property
    def _auto_collation(self) -> bool:
        if self._is_iterable:
            return self.batch_size is not None
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _BaseIter:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if not self._is_iterable:
            return len(self._index_sampler)
        length = len(self.dataset)  # type: ignore[arg-type]
        if self.batch_size is None:
            return length
        if self.drop_last:
            return length // self.batch_size
        return -(-length // self.batch_size)


class _BaseIter:
    """Shared surface of the loader iterators (``next(it)``, ``it.next()``, ``len(it)``)."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._base_seed = _draw_base_seed(loader.generator)
        self._sampler_iter: Iterator[Any] | None = None
        if not loader._is_iterable:
            self._sampler_iter = iter(loader._index_sampler)

    def __iter__(self) -> _BaseIter:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self) -> Any:
        raise NotImplementedError

    def next(self) -> Any:
        """Old-style alias of ``next(it)`` (``iter(loader).next()`` in older tutorials)."""
        return self.__next__()


class _SingleProcessIter(_BaseIter):
    """Fetch batches in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._samples = iter(loader.dataset) if loader._is_iterable else None

    def __next__(self) -> Any:
        loader = self._loader
        if self._samples is not None:
            return fetch_iterable(self._samples, loader.batch_size, loader.drop_last,
                                  loader.collate_fn)
        assert self._sampler_iter is not None
        indices = next(self._sampler_iter)
        return fetch_map(loader.dataset, indices, loader.collate_fn, loader._auto_collation)


def _mp_context(spec: Any) -> Any:
    if spec is None:
        return multiprocessing.get_context()
    if isinstance(spec, str):
        return multiprocessing.get_context(spec)
    return spec


class _MultiProcessIter(_BaseIter):
    """Fetch batches in worker processes, ``prefetch_factor`` tasks per worker in flight,
    returning them in the sampler's order."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._pool: WorkerPool | None = None
        cfg = {"dataset": loader.dataset, "collate_fn": loader.collate_fn,
               "auto_collation": loader._auto_collation, "batch_size": loader.batch_size,
               "drop_last": loader.drop_last, "is_iterable": loader._is_iterable,
               "num_workers": loader.num_workers, "worker_init_fn": loader.worker_init_fn}
        self._pool = WorkerPool(cfg, _mp_context(loader.multiprocessing_context), self._base_seed)
        self._active = [True] * loader.num_workers
        self._next_worker = 0
        self._send_idx = self._rcvd_idx = 0
        self._outstanding: set[int] = set()
        self._arrived: dict[int, Any] = {}
        for _ in range(loader.num_workers * (loader.prefetch_factor or 2)):
            self._send_task()

    def _pick_worker(self) -> int | None:
        n = len(self._active)
        for step in range(n):
            wid = (self._next_worker + step) % n
            if self._active[wid]:
                self._next_worker = (wid + 1) % n
                return wid
        return None

    def _send_task(self) -> None:
        wid = self._pick_worker()
        if wid is None or self._pool is None or self._pool.closed:
            return
        indices = None
        if self._sampler_iter is not None:
            indices = next(self._sampler_iter, _EXHAUSTED)
            if indices is _EXHAUSTED:
                return
        self._pool.send(wid, (self._send_idx, indices))
        self._outstanding.add(self._send_idx)
        self._send_idx += 1

    def __next__(self) -> Any:
        assert self._pool is not None
        while True:
            if self._rcvd_idx in self._arrived:
                data = self._arrived.pop(self._rcvd_idx)
                self._outstanding.discard(self._rcvd_idx)
                self._rcvd_idx += 1
                self._send_task()
                if isinstance(data, IterableEnd):
                    continue
                if isinstance(data, WorkerError):
                    data.reraise()
                return data
            if not self._outstanding:
                self._shutdown()
                raise StopIteration
            if self._pool.closed:
                raise StopIteration
            task_idx, data = self._pool.receive(self._loader.timeout)
            if isinstance(data, IterableEnd):
                self._active[data.worker_id] = False
            self._arrived[task_idx] = data

    def _shutdown(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # may run during interpreter shutdown
            self._shutdown()


_EXHAUSTED = object()
