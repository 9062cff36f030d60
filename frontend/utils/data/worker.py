"""Worker processes for ``DataLoader(num_workers > 0)``.

Each worker is a real OS process (``multiprocessing``; ``fork`` on Linux by default). The main
process sends ``(task_idx, indices)`` to the workers round-robin, keeping ``prefetch_factor``
tasks per worker in flight; a worker fetches and collates the whole batch and sends
``(task_idx, batch)`` back; the main process hands batches out in ``task_idx`` order. Errors in a
worker travel back as ``WorkerError`` and are re-raised, in order, in the main process.

Workers stop when the epoch ends, when the iterator is garbage-collected, when their parent dies,
or (being daemonic) when the interpreter exits, so an abandoned loop never hangs the program.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import random
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import _random
from ._fetch import fetch_iterable, fetch_map

_POLL_S = 0.2  # how often a waiting side checks that the other side is still alive
_JOIN_S = 5.0  # grace period for a worker to exit after the stop message


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker: its ``WorkerInfo``; in the main process: ``None``.

    >>> get_worker_info() is None
    True
    """
    return _worker_info


@dataclass(frozen=True)
class IterableEnd:
    """A worker's iterable dataset ran out."""

    worker_id: int


class WorkerError:
    """An exception raised in a worker, carried to the main process and re-raised there."""

    def __init__(self, worker_id: int, exc: BaseException) -> None:
        self.exc_type: type[BaseException] | None = type(exc)
        try:
            pickle.dumps(self.exc_type)
        except Exception:  # a class that cannot travel: re-raise as RuntimeError
            self.exc_type = None
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\n"
                        f"Original {traceback.format_exc()}")

    def reraise(self) -> None:
        if self.exc_type is KeyError:  # KeyError repr()s its message; keep it readable
            raise KeyError(_KeyErrorMessage(self.message))
        try:
            exc = self.exc_type(self.message) if self.exc_type else None
        except Exception:
            exc = None
        if exc is None:
            raise RuntimeError(self.message) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return str(self)


def _seed_worker(seed: int) -> None:
    _random.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def _fetch_task(state: dict[str, Any], indices: Any) -> Any:
    """One task: a collated batch, ``IterableEnd`` or ``WorkerError``."""
    cfg = state["cfg"]
    try:
        if state["init_error"] is not None:
            return state["init_error"]
        if not cfg["is_iterable"]:
            return fetch_map(cfg["dataset"], indices, cfg["collate_fn"], cfg["auto_collation"])
        if state["samples"] is None:
            return IterableEnd(state["worker_id"])
        try:
            return fetch_iterable(state["samples"], cfg["batch_size"], cfg["drop_last"],
                                  cfg["collate_fn"])
        except StopIteration:
            state["samples"] = None
            return IterableEnd(state["worker_id"])
    except Exception as exc:
        return WorkerError(state["worker_id"], exc)


def _start_worker(cfg: dict[str, Any], worker_id: int, seed: int) -> dict[str, Any]:
    global _worker_info
    _worker_info = WorkerInfo(worker_id, cfg["num_workers"], seed, cfg["dataset"])
    _seed_worker(seed)
    state: dict[str, Any] = {"cfg": cfg, "worker_id": worker_id, "init_error": None,
                             "samples": None}
    try:
        if cfg["worker_init_fn"] is not None:
            cfg["worker_init_fn"](worker_id)
        if cfg["is_iterable"]:
            state["samples"] = iter(cfg["dataset"])
    except Exception as exc:
        state["init_error"] = WorkerError(worker_id, exc)
    return state


def worker_loop(cfg: dict[str, Any], index_queue: Any, result_queue: Any, worker_id: int,
                seed: int, parent_pid: int) -> None:
    """Body of a worker process: answer tasks until ``None`` arrives or the parent is gone."""
    try:
        state = _start_worker(cfg, worker_id, seed)
        while True:
            try:
                task = index_queue.get(timeout=_POLL_S)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    break
                continue
            if task is None:
                break
            task_idx, indices = task
            result_queue.put((task_idx, _fetch_task(state, indices)))
    except KeyboardInterrupt:  # the main process owns Ctrl-C
        pass
    result_queue.cancel_join_thread()  # never block exit on results nobody will read
    result_queue.close()


@contextlib.contextmanager
def _fork_warning_silenced() -> Iterator[None]:
    # Python >= 3.12 warns when forking a process that has threads (numpy's BLAS pool, queue
    # feeders); the workers only run Python data code, so the warning is not actionable here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks",
                                category=DeprecationWarning)
        yield


class WorkerPool:
    """The worker processes of one DataLoader iterator and their queues."""

    def __init__(self, cfg: dict[str, Any], context: Any, base_seed: int) -> None:
        self.num_workers = cfg["num_workers"]
        self.result_queue = context.Queue()
        self.index_queues: list[Any] = []
        self.processes: list[Any] = []
        self.closed = False
        try:
            with _fork_warning_silenced():
                for wid in range(self.num_workers):
                    self._start(cfg, context, wid, base_seed + wid)
        except BaseException:  # e.g. spawn could not pickle the dataset: stop the ones started
            self.close()
            raise

    def _start(self, cfg: dict[str, Any], context: Any, worker_id: int, seed: int) -> None:
        index_queue = context.Queue()
        self.index_queues.append(index_queue)
        proc = context.Process(target=worker_loop, daemon=True,
                               args=(cfg, index_queue, self.result_queue, worker_id, seed,
                                     os.getpid()))
        proc.start()
        self.processes.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def send(self, worker_id: int, task: tuple[int, Any]) -> None:
        self.index_queues[worker_id].put(task)

    def receive(self, timeout: float) -> tuple[int, Any]:
        """The next ``(task_idx, data)``; RuntimeError on a dead worker or after ``timeout``."""
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = _POLL_S
            if deadline is not None:
                wait = max(min(_POLL_S, deadline - time.monotonic()), 0.0)
            try:
                return self.result_queue.get(timeout=wait)
            except queue.Empty:
                self._check_alive()
                if deadline is not None and time.monotonic() >= deadline:
                    self.close()  # the stuck worker's state is unknown: stop them all
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def _check_alive(self) -> None:
        dead = [p for p in self.processes if not p.is_alive()]
        if dead:
            codes = ", ".join(f"pid {p.pid} exit code {p.exitcode}" for p in dead)
            self.close()
            raise RuntimeError(f"DataLoader worker ({codes}) exited unexpectedly; a negative "
                               "exit code is the signal that killed it (e.g. -9: out of memory)")

    def close(self) -> None:
        """Stop every worker: ask politely, wait ``_JOIN_S``, then terminate."""
        if self.closed:
            return
        self.closed = True
        for q in self.index_queues:
            with contextlib.suppress(OSError, ValueError):
                q.put(None)
        for proc in self.processes:
            if proc.pid is None:  # never started
                continue
            proc.join(timeout=_JOIN_S)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=_JOIN_S)
        for q in [*self.index_queues, self.result_queue]:
            q.cancel_join_thread()
            q.close()
