"""``DistributedDataParallel``: one model replica per rank, gradients averaged after backward.

At construction the ranks check that they hold the same parameters (count, shapes, dtypes)
and take rank 0's values (one broadcast per bucket). Parameters are grouped into buckets of
about ``bucket_cap_mb``, in reverse registration order (the order backward tends to finish
them). Each parameter has a post-accumulate-grad hook; when every gradient of a bucket has
been accumulated, the bucket's gradients are packed into its flat buffer and a nonblocking
MPI all-reduce starts on it, so early buckets are in flight while later gradients are still
being accumulated. At the end of backward (an autograd final callback) every bucket is
waited for, divided by the world size and copied back into ``.grad`` in place.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import _trace
from ... import distributed as dist
from ...autograd._core import queue_callback
from ...distributed._compiled import record_before_replay, record_cut
from ..module import Module

# PyTorch's defaults: the first bucket is small, so its reduction starts early
_FIRST_BUCKET_BYTES = 1024 * 1024
_DEFAULT_BUCKET_MB = 25


class _Bucket:
    """Parameters reduced together through one contiguous buffer."""

    def __init__(self, params: list[Any]) -> None:
        self.params = params
        self.sizes = [p.numel() for p in params]
        self.flat = np.zeros(sum(self.sizes), dtype=params[0]._data.dtype)
        self.ready: set[int] = set()
        self.work: Any = None

    def views(self) -> Iterator[tuple[Any, np.ndarray]]:
        start = 0
        for p, n in zip(self.params, self.sizes, strict=True):
            yield p, self.flat[start:start + n].reshape(p._data.shape)
            start += n


def _buckets(params: list[Any], cap_bytes: int) -> list[_Bucket]:
    buckets: list[_Bucket] = []
    current: list[Any] = []
    size, limit = 0, min(_FIRST_BUCKET_BYTES, cap_bytes)
    for p in reversed(params):
        if current and (size + p._data.nbytes > limit or p.dtype != current[0].dtype):
            buckets.append(_Bucket(current))
            current, size, limit = [], 0, cap_bytes
        current.append(p)
        size += p._data.nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


class DistributedDataParallel(Module):
    """Data-parallel training across the ranks of ``tenkai.distributed``.

    >>> model = torch.nn.parallel.DistributedDataParallel(Net())  # doctest: +SKIP
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **kwargs: Any) -> None:
        super().__init__()
        group = dist._group.default_group(process_group)
        self.module = module
        self.process_group, self.dim = group, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        self._verify_same_model(group, params)
        cap = int((bucket_cap_mb or _DEFAULT_BUCKET_MB) * 1024 * 1024)
        self._buckets = _buckets(params, cap)
        self._sync_from_rank0(list(module.parameters()) + list(module.buffers()))
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        self._pending, self._next_bucket = False, 0
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    # ------------------------------------------------------------ construction
    @staticmethod
    def _verify_same_model(group: Any, params: list[Any]) -> None:
        mine = [(tuple(p.shape), str(p.dtype)) for p in params]
        if group.size() == 1:
            return
        everyone = group.comm.allgather(mine)
        for r, theirs in enumerate(everyone):
            if len(theirs) != len(mine):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {group.rank()} has "
                    f"{len(mine)} params, while rank {r} has inconsistent {len(theirs)} params.")
            for k, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                if a != b:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but parameter {k} is "
                        f"{list(a[0])} {a[1]} on rank {group.rank()} and {list(b[0])} {b[1]} "
                        f"on rank {r}.")

    def _sync_from_rank0(self, tensors: list[Any]) -> None:
        """Every rank starts from rank 0's parameters and buffers (one broadcast per dtype)."""
        by_dtype: dict[Any, list[Any]] = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([t._data.ravel() for t in group]).astype(dtype, copy=False)
            self.process_group.comm.Bcast(flat, root=0)
            start = 0
            for t in group:
                n = t._data.size
                np.copyto(t._data, flat[start:start + n].reshape(t._data.shape))
                t._vc[0] += 1
                start += n

    # ------------------------------------------------------------ forward
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        buffers = list(self.module.buffers())
        # no_sync() around a compiled step needs nothing here: require_backward_grad_sync is a
        # plain attribute, so the step's guards retrace when a call runs under the other value
        if self.broadcast_buffers and self.process_group.size() > 1 and buffers:
            if _trace.active() is not None:  # a compiled step broadcasts before each replay
                record_before_replay(functools.partial(self._sync_from_rank0, buffers),
                                     buffers, "DistributedDataParallel's broadcast of buffers")
            self._sync_from_rank0(buffers)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally; the first backward after the block reduces them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ------------------------------------------------------------ gradient reduction
    def _grad_ready(self, param: Any) -> None:
        if not self.require_backward_grad_sync:
            return
        if not self._pending:
            self._pending = True
            queue_callback(self._finish_reduction)
        bucket = self._bucket_of[id(param)]
        bucket.ready.add(id(param))
        # MPI needs every rank to start its collectives in the same order: buckets go out
        # strictly in index order, each as soon as it and all before it are complete
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if len(bucket.ready) < len(bucket.params):
                break
            self._launch(bucket)
            self._next_bucket += 1

    def _launch(self, bucket: _Bucket) -> None:
        for p, view in bucket.views():
            if p._grad is None:
                view.fill(0)  # an unused parameter contributes nothing
            else:
                np.copyto(view, p._grad._data)
        comm = self.process_group.comm
        from mpi4py import MPI

        bucket.work = dist.Work([comm.Iallreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)],
                                self.process_group, "DistributedDataParallel gradient all_reduce")

    def _finish_reduction(self) -> None:
        self._pending = False
        world = self.process_group.size()
        if _trace.active() is not None:  # a compiled step is cut here (docs/distributed.md)
            record_cut([[p._grad for p in b.params if p._grad is not None]
                        for b in self._buckets], self.process_group)
        for bucket in self._buckets[self._next_bucket:]:  # parameters that got no gradient
            self._launch(bucket)
        self._next_bucket = 0
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.flat /= world
            for p, view in bucket.views():
                if p._grad is not None:
                    np.copyto(p._grad._data, view)
                    p._grad._vc[0] += 1
            bucket.work, bucket.ready = None, set()
