"""Collectives on tensors' numpy buffers, through MPI (mpi4py's buffer interface).

Every collective works in place on ``tensor._data`` when it is contiguous (MPI reads and
writes the buffer directly: no copies); a non-contiguous tensor goes through one contiguous
staging copy. ``async_op=True`` starts the nonblocking MPI call and returns a :class:`Work`.
Before each collective the ranks compare what they pass (op, shape, dtype) with one small
Allgather, so a mismatch is reported, naming the ranks, instead of hanging or corrupting.
"""

from __future__ import annotations

import enum
import time
from typing import Any

import numpy as np

from .. import _trace
from .._tensor import Tensor
from ._group import DistBackendError, ProcessGroup, _mpi, default_group


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """PyTorch's reduction kinds: ``dist.ReduceOp.SUM`` ... (``RedOpType`` members)."""

    RedOpType = RedOpType
    SUM, AVG, PRODUCT = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT
    MIN, MAX = RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR


def _mpi_op(op: Any, what: str) -> Any:
    MPI = _mpi()
    table = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
             RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
             RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}
    if op not in table:
        raise ValueError(f"{what}: unsupported op {op!r}; use a dist.ReduceOp member")
    return table[op]


class Work:
    """The handle of a collective started with ``async_op=True``: ``wait()`` finishes it."""

    def __init__(self, requests: list[Any], group: ProcessGroup, what: str,
                 finish: Any = None) -> None:
        self.requests, self.group, self.what, self.finish = requests, group, what, finish
        self.done = not requests and finish is None

    def is_completed(self) -> bool:
        if not self.done and _mpi().Request.Testall(self.requests):
            self._complete()
        return self.done

    def is_success(self) -> bool:
        return self.is_completed()

    def wait(self, timeout: Any = None) -> bool:
        """Block until done; a peer that never arrives raises after the group's timeout."""
        if self.done:
            return True
        limit = (timeout or self.group.timeout).total_seconds()
        start = time.monotonic()
        MPI = _mpi()
        # Testall drives MPI's progress engine: spin on it (yielding the core) for a short
        # while, then poll with short sleeps until the group's timeout
        while not MPI.Request.Testall(self.requests):
            waited = time.monotonic() - start
            if waited > limit:
                raise DistBackendError(
                    f"tenkai.distributed: {self.what} on rank {self.group.rank()} timed out "
                    f"after {limit:g} s waiting for the other ranks (one of them died, raised "
                    "or called a different collective); raise init_process_group(timeout=...) "
                    "if the step is just slow")
            if waited > 0.05:
                time.sleep(2e-4)
        self._complete()
        return True

    def _complete(self) -> None:
        if self.finish is not None:
            self.finish()
        self.done, self.finish = True, None

    def result(self) -> list[Any]:
        self.wait()
        return []


def _run(requests: list[Any], group: ProcessGroup, what: str, finish: Any,
         async_op: bool) -> Work | None:
    work = Work(requests, group, what, finish)
    if async_op:
        return work
    work.wait()
    return None


def _check_tensor(t: Any, what: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(t).__name__}")
    if _trace.active() is not None:
        raise NotImplementedError(
            f"{what} inside tenkai.compile: collectives are not traced into compiled steps "
            "yet; call them outside the compiled function")


def _buffer(t: Any) -> np.ndarray:
    """The tensor's own buffer when MPI can use it directly, else a contiguous copy."""
    data = t._data
    return data if data.flags.c_contiguous and data.flags.writeable else np.ascontiguousarray(data)


def _store(t: Any, buf: np.ndarray) -> None:
    if buf is not t._data:
        np.copyto(t._data, buf)
    t._vc[0] += 1  # written in place, as PyTorch bumps the version


def check_same(group: ProcessGroup, what: str, signature: tuple) -> None:
    """All ranks must call the same collective on the same shapes and dtypes."""
    if group.size() == 1:
        return
    mine = repr((what, signature))
    everyone = group.comm.allgather(mine)
    odd = [r for r, s in enumerate(everyone) if s != everyone[0]]
    if odd:
        detail = "; ".join(f"rank {r}: {everyone[r]}" for r in [0, *odd])
        raise RuntimeError(f"tenkai.distributed: ranks disagree on the collective "
                           f"(op, shapes, dtypes): {detail}; every rank must pass tensors of "
                           "the same shape and dtype to the same collective")


def _sig(*tensors: Any) -> tuple:
    return tuple((tuple(t.shape), str(t._data.dtype)) for t in tensors)


def all_reduce(tensor: Any, op: Any = RedOpType.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across all ranks in place (every rank gets the result)."""
    what = "all_reduce"
    _check_tensor(tensor, what)
    g = default_group(group)
    mpi_op = _mpi_op(op, what)
    if op is RedOpType.AVG and not np.issubdtype(tensor._data.dtype, np.floating):
        raise ValueError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got "
                         f"{tensor.dtype}; reduce with SUM and divide yourself")
    check_same(g, what, _sig(tensor))
    buf = _buffer(tensor)
    req = g.comm.Iallreduce(_mpi().IN_PLACE, buf, op=mpi_op)

    def finish() -> None:
        if op is RedOpType.AVG:
            np.divide(buf, g.size(), out=buf)
        _store(tensor, buf)
    return _run([req], g, what, finish, async_op)


def broadcast(tensor: Any, src: int, group: ProcessGroup | None = None,
              async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s tensor into every other rank's tensor, in place."""
    what = "broadcast"
    _check_tensor(tensor, what)
    g = default_group(group)
    _check_rank(src, g, what)
    check_same(g, what, (src, *_sig(tensor)))
    buf = _buffer(tensor)
    req = g.comm.Ibcast(buf, root=src)
    return _run([req], g, what, lambda: _store(tensor, buf), async_op)


def all_gather_into_tensor(output_tensor: Any, input_tensor: Any,
                           group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor``."""
    what = "all_gather_into_tensor"
    _check_tensor(output_tensor, what)
    _check_tensor(input_tensor, what)
    g = default_group(group)
    if output_tensor.numel() != input_tensor.numel() * g.size() \
            or output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"{what}: output {list(output_tensor.shape)} {output_tensor.dtype} "
                         f"must hold world_size={g.size()} copies of input "
                         f"{list(input_tensor.shape)} {input_tensor.dtype}")
    check_same(g, what, _sig(input_tensor))
    out = _buffer(output_tensor)
    req = g.comm.Iallgather(np.ascontiguousarray(input_tensor._data), out)
    return _run([req], g, what, lambda: _store(output_tensor, out), async_op)


def _check_list(what: str, name: str, tensors: list[Any], ref: Any, g: ProcessGroup,
                rule: str) -> None:
    """One tensor per rank, each with ``ref``'s shape and dtype."""
    if len(tensors) != g.size():
        raise ValueError(f"{what}: {name} has {len(tensors)} tensors; it needs "
                         f"world_size={g.size()}")
    for t in tensors:
        _check_tensor(t, what)
        if tuple(t.shape) != tuple(ref.shape) or t.dtype != ref.dtype:
            raise ValueError(f"{what}: {rule} {list(ref.shape)} {ref.dtype}, got "
                             f"{list(t.shape)} {t.dtype}")


def all_gather(tensor_list: list[Any], tensor: Any, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """``tensor_list[r]`` becomes rank r's ``tensor`` (the list has world_size tensors)."""
    what = "all_gather"
    _check_tensor(tensor, what)
    g = default_group(group)
    _check_list(what, "tensor_list", tensor_list, tensor, g, "every output must match the input")
    check_same(g, what, _sig(tensor))
    out = np.empty((g.size(), *tensor._data.shape), dtype=tensor._data.dtype)
    req = g.comm.Iallgather(np.ascontiguousarray(tensor._data), out)

    def finish() -> None:
        for r, t in enumerate(tensor_list):
            np.copyto(t._data, out[r])
            t._vc[0] += 1
    return _run([req], g, what, finish, async_op)


def reduce_scatter_tensor(output: Any, input: Any, op: Any = RedOpType.SUM,
                          group: ProcessGroup | None = None,
                          async_op: bool = False) -> Work | None:
    """Reduce ``input`` across ranks; rank r keeps the r-th dim-0 slice in ``output``."""
    what = "reduce_scatter_tensor"
    _check_tensor(output, what)
    _check_tensor(input, what)
    g = default_group(group)
    if input.numel() != output.numel() * g.size() or output.dtype != input.dtype:
        raise ValueError(f"{what}: input {list(input.shape)} {input.dtype} must hold "
                         f"world_size={g.size()} blocks of output {list(output.shape)} "
                         f"{output.dtype}")
    check_same(g, what, _sig(input))
    return _reduce_scatter(output, np.ascontiguousarray(input._data), op, g, what, async_op)


def reduce_scatter(output: Any, input_list: list[Any], op: Any = RedOpType.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``input_list`` elementwise across ranks; rank r keeps ``input_list[r]``'s sum."""
    what = "reduce_scatter"
    _check_tensor(output, what)
    g = default_group(group)
    _check_list(what, "input_list", input_list, output, g, "every input must match the output")
    check_same(g, what, _sig(output))
    send = np.stack([t._data for t in input_list])  # MPI needs the blocks side by side
    return _reduce_scatter(output, send, op, g, what, async_op)


def _reduce_scatter(output: Any, send: np.ndarray, op: Any, g: ProcessGroup, what: str,
                    async_op: bool) -> Work | None:
    mpi_op = _mpi_op(op, what)
    buf = _buffer(output)
    req = g.comm.Ireduce_scatter_block(send, buf, op=mpi_op)

    def finish() -> None:
        if op is RedOpType.AVG:
            np.divide(buf, g.size(), out=buf, casting="unsafe")
        _store(output, buf)
    return _run([req], g, what, finish, async_op)


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: Any = None) -> Work | None:
    """Wait until every rank has reached the barrier."""
    g = default_group(group)
    return _run([g.comm.Ibarrier()], g, "barrier", None, async_op)


def _check_rank(r: int, g: ProcessGroup, what: str) -> None:
    if not isinstance(r, int) or not 0 <= r < g.size():
        raise ValueError(f"{what}: rank {r!r} is out of range for world_size {g.size()}")


def isend(tensor: Any, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; returns a Work to ``wait()`` on."""
    _check_tensor(tensor, "isend")
    g = default_group(group)
    _check_rank(dst, g, "isend")
    buf = np.ascontiguousarray(tensor._data)
    return Work([g.comm.Isend(buf, dest=dst, tag=tag)], g, f"send to rank {dst}")


def irecv(tensor: Any, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None)."""
    _check_tensor(tensor, "irecv")
    g = default_group(group)
    if src is not None:
        _check_rank(src, g, "irecv")
    MPI = _mpi()
    buf = _buffer(tensor)
    req = g.comm.Irecv(buf, source=MPI.ANY_SOURCE if src is None else src, tag=tag)
    work = Work([req], g, f"recv from rank {src}", lambda: _store(tensor, buf))
    work.source = src
    return work


def send(tensor: Any, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> None:
    isend(tensor, dst, group, tag).wait()


def recv(tensor: Any, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0) -> int:
    """Receive into ``tensor``; returns the sender's rank."""
    g = default_group(group)
    if src is None:  # learn the sender first, so the answer is exact
        status = _mpi().Status()
        deadline = time.monotonic() + g.timeout.total_seconds()
        while not g.comm.Iprobe(source=_mpi().ANY_SOURCE, tag=tag, status=status):
            if time.monotonic() > deadline:
                raise DistBackendError(f"tenkai.distributed: recv on rank {g.rank()} timed out")
            time.sleep(1e-4)
        src = status.Get_source()
    irecv(tensor, src, group, tag).wait()
    return int(src)
