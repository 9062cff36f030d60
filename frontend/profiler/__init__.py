"""``tenkai.profiler``: PyTorch's profiler API over tenkai's eager ops.

Example::

    >>> import tenkai as torch
    >>> from tenkai.profiler import profile, record_function, ProfilerActivity
    >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    ...     with record_function("model_inference"):
    ...         y = torch.nn.Linear(8, 4)(torch.randn(2, 8))
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

Recorded: every eager registry op (``tenkai::<op>``), every backward function of an eager
``backward()`` (``autograd::engine::evaluate_function: MulBackward0``), every
``record_function`` range. The replay of a step compiled by ``tenkai.compile`` is generated
code and records nothing inside (wrap the call in ``record_function`` to time it); its first
call, which traces the step eagerly, records its ops. ``ProfilerActivity.CUDA`` is accepted
and records nothing more. Times are wall-clock microseconds, as in PyTorch's tables.
"""

from __future__ import annotations

import enum
import functools
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from .. import _profiling
from ._events import EventList, FunctionEvent, FunctionEventAvg

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "ProfilerAction",
           "ProfilerActivity", "profile", "record_function", "schedule",
           "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0,
             skip_first: int = 0, skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """PyTorch's step schedule: skip ``skip_first`` steps, then cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (the last one saves), ``repeat`` times (0: on)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError("Invalid profiler schedule arguments")

    def fn(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait and step < wait:
            return ProfilerAction.NONE
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        mod = step % cycle
        if mod < wait:
            return ProfilerAction.NONE
        if mod < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return fn


def _always(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


class profile:
    """Records what runs between ``start()``/``__enter__`` and ``stop()``/``__exit__``
    (with a ``schedule``: only in its recording steps, advanced by :meth:`step`)."""

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[[profile], Any] | None = None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None,
                 execution_trace_observer: Any = None, acc_events: bool = False,
                 use_cuda: bool | None = None, enabled: bool = True, **kwargs: Any) -> None:
        for a in activities or ():
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"profile: activities must be ProfilerActivity values, got "
                                f"{a!r}")
        self.activities = set(activities or [ProfilerActivity.CPU])
        self.schedule = schedule or _always
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.enabled, self.acc_events = enabled, acc_events
        self.step_num = 0
        self.current_action = self.schedule(0)
        self._recorder: _profiling.Recorder | None = None
        self._previous: _profiling.Recorder | None = None
        self._events: list[_profiling.Event] = []
        self._origin_ns = time.perf_counter_ns()
        self._running = False

    # ------------------------------------------------------------ control
    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        if not self.enabled:
            return
        self._running = True
        self._origin_ns = time.perf_counter_ns()
        self._apply(self.current_action)

    def stop(self) -> None:
        if not self._running:
            return
        action = self.current_action
        self._detach()
        self._running = False
        if action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE) \
                and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self) -> None:
        """The end of one training step: move the schedule on (saving at a cycle's end)."""
        if not self._running:
            self.step_num += 1
            self.current_action = self.schedule(self.step_num)
            return
        before = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if before == ProfilerAction.RECORD_AND_SAVE:
            self._detach()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
            if not self.acc_events:
                self._events = []
        elif before != self.current_action and before != ProfilerAction.RECORD:
            self._detach()
            if before == ProfilerAction.WARMUP:
                self._events = []  # warm-up steps are recorded and thrown away
        self._apply(self.current_action)

    def _apply(self, action: ProfilerAction) -> None:
        if action == ProfilerAction.NONE or self._recorder is not None:
            return
        self._recorder = _profiling.Recorder(self.record_shapes, self.profile_memory,
                                             self.with_stack)
        self._previous = _profiling.ACTIVE[0]
        _profiling.ACTIVE[0] = self._recorder

    def _detach(self) -> None:
        rec = self._recorder
        if rec is None:
            return
        _profiling.ACTIVE[0] = self._previous
        self._events.extend(rec.events)
        self._recorder = None

    # ------------------------------------------------------------ results
    def events(self) -> EventList:
        evs = sorted(self._events, key=lambda e: e.start_ns)
        return EventList([FunctionEvent(e, i, self._origin_ns) for i, e in enumerate(evs)],
                         self.profile_memory, self.record_shapes)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError("key_averages(group_by_input_shape=True) needs "
                               "profile(record_shapes=True)")
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        self.events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        with open(path, "w") as f:
            for ev in self.events():
                if ev.stack:
                    f.write(";".join(reversed(ev.stack)) + f" {int(getattr(ev, metric))}\n")

    @property
    def self_cpu_time_total(self) -> float:
        return self.events().self_cpu_time_total

    def table(self, *args: Any, **kwargs: Any) -> str:
        return self.key_averages().table(*args, **kwargs)


class record_function:
    """A named range in the profile (context manager or decorator); free when not profiling."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name, self.args = name, args
        self._event: _profiling.Event | None = None

    def __enter__(self) -> record_function:
        rec = _profiling.ACTIVE[0]
        if rec is not None:
            self._event = rec.begin(self.name)
        return self

    def __exit__(self, *exc: Any) -> None:
        rec = _profiling.ACTIVE[0]
        if rec is not None and self._event is not None:
            rec.end(self._event)
        self._event = None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            with record_function(self.name, self.args):
                return fn(*a, **k)
        return wrapper


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that writes each saved cycle as a Chrome trace into ``dir_name``
    (``<worker>.<ms>.pt.trace.json``, gzipped with ``use_gzip``)."""
    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil

            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
    return handler
