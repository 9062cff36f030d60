"""The event recorder behind ``tenkai.profiler`` and ``tenkai.autograd.profiler``.

While a profiler records (:data:`ACTIVE` holds it), every eager registry op (``_ops.apply``),
every step of a derived backward graph (``_backward_plan``) and every ``record_function``
range becomes an :class:`Event` with its start, end and nesting depth. The profiler turns
the events into PyTorch's ``FunctionEvent``/``key_averages()`` tables (``profiler/``). When
nothing records, the cost is one list lookup per op.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    """One timed range: ``name``, start/end in ns, the shapes of its inputs, its depth and
    the events directly inside it (for self time)."""

    name: str
    start_ns: int
    end_ns: int = 0
    input_shapes: list = field(default_factory=list)
    depth: int = 0
    children_ns: int = 0
    memory: int = 0  # bytes of the outputs allocated by this range itself
    children_memory: int = 0
    stack: list = field(default_factory=list)


class Recorder:
    """The events of one profiling session, with the stack of open ranges."""

    def __init__(self, record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False) -> None:
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack = with_stack
        self.events: list[Event] = []
        self.open: list[Event] = []

    def begin(self, name: str, shapes: Any = None) -> Event:
        ev = Event(name, time.perf_counter_ns(), depth=len(self.open))
        if self.record_shapes and shapes is not None:
            ev.input_shapes = [list(s) for s in shapes]
        if self.with_stack:
            import traceback

            ev.stack = [f"{f.filename}({f.lineno}): {f.name}"
                        for f in traceback.extract_stack()[:-3]
                        if "/tenkai/" not in f.filename and "/frontend/" not in f.filename]
        self.open.append(ev)
        return ev

    def end(self, ev: Event, nbytes: int = 0) -> None:
        ev.end_ns = time.perf_counter_ns()
        if self.open and self.open[-1] is ev:
            self.open.pop()
        elif ev in self.open:  # ranges closed out of order: close the inner ones too
            while self.open.pop() is not ev:
                pass
        ev.memory = nbytes
        if self.open:
            self.open[-1].children_ns += ev.end_ns - ev.start_ns
            self.open[-1].children_memory += ev.memory + ev.children_memory
        self.events.append(ev)


ACTIVE: list[Recorder | None] = [None]  # the recording profiler, if any


def op_begin(op: str, datas: list) -> Event | None:
    rec = ACTIVE[0]
    if rec is None:
        return None
    return rec.begin(f"tenkai::{op}", [d.shape for d in datas])


def op_end(ev: Event | None, out: Any = None) -> None:
    rec = ACTIVE[0]
    if ev is not None and rec is not None:
        rec.end(ev, int(getattr(out, "nbytes", 0)) if rec.profile_memory else 0)
