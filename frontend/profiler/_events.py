"""The profiler's results, as PyTorch shows them: ``FunctionEvent`` (one recorded range),
``FunctionEventAvg`` (ranges grouped by name, and optionally input shapes or stack), and
``EventList`` with ``key_averages()``, ``total_average()``, ``table()`` and
``export_chrome_trace()``. Times are in microseconds, memory in bytes, as in PyTorch."""

from __future__ import annotations

import json
from typing import Any

from .._profiling import Event


class FunctionEvent:
    """One recorded range (an op, a backward function or a ``record_function`` block)."""

    def __init__(self, ev: Event, id: int, origin_ns: int) -> None:
        self.id, self.name, self.key = id, ev.name, ev.name
        self.time_range_start = (ev.start_ns - origin_ns) / 1e3
        self.cpu_time_total = (ev.end_ns - ev.start_ns) / 1e3
        self.self_cpu_time_total = max(0.0, self.cpu_time_total - ev.children_ns / 1e3)
        self.input_shapes = ev.input_shapes
        self.cpu_memory_usage = ev.memory + ev.children_memory
        self.self_cpu_memory_usage = ev.memory
        self.stack = ev.stack
        self.depth = ev.depth
        self.count = 1
        self.device_time_total = self.self_device_time_total = 0.0
        self.device_type = "CPU"
        self.is_async = False

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time="
                f"{_format_time(self.cpu_time_total)} input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """Recorded ranges grouped by key: totals, self totals and the count."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.device_time_total = self.self_device_time_total = 0.0
        self.input_shapes: Any = None
        self.stack: list = []
        self.is_async = False

    def add(self, ev: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        self.cpu_memory_usage += ev.cpu_memory_usage
        self.self_cpu_memory_usage += ev.self_cpu_memory_usage
        if self.input_shapes is None:
            self.input_shapes, self.stack = ev.input_shapes, ev.stack
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time="
                f"{_format_time(self.self_cpu_time_total)} cpu_time="
                f"{_format_time(self.cpu_time)} input_shapes={self.input_shapes}>")


_SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "cpu_memory_usage",
              "self_cpu_memory_usage", "count", "device_time", "device_time_total",
              "self_device_time_total", "cuda_time", "cuda_time_total",
              "self_cuda_time_total")


class EventList(list):
    """A list of events with PyTorch's summaries."""

    def __init__(self, events: Any = (), profile_memory: bool = False,
                 with_shapes: bool = False) -> None:
        super().__init__(events)
        self._profile_memory, self._with_shapes = profile_memory, with_shapes

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        groups: dict[tuple, FunctionEventAvg] = {}
        for ev in self:
            key: tuple = (ev.key,)
            if group_by_input_shape:
                key += (str(ev.input_shapes),)
            if group_by_stack_n:
                key += tuple(ev.stack[:group_by_stack_n])
            groups.setdefault(key, FunctionEventAvg(ev.key)).add(ev)
        return EventList(groups.values(), self._profile_memory, group_by_input_shape)

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for ev in self:
            total.add(ev)
        total.key = "Total"
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False) -> str:
        return _table(self, sort_by, row_limit, max_name_column_width,
                      max_shapes_column_width, header, top_level_events_only)

    def export_chrome_trace(self, path: str) -> None:
        events = []
        for ev in self:
            if not isinstance(ev, FunctionEvent):
                raise RuntimeError("export_chrome_trace needs the raw events (prof.events()), "
                                   "not key_averages()")
            entry = {"name": ev.name, "ph": "X", "ts": ev.time_range_start,
                     "dur": ev.cpu_time_total, "pid": 0, "tid": 0, "cat": "cpu_op",
                     "args": {}}
            if ev.input_shapes:
                entry["args"]["Input Dims"] = ev.input_shapes
            events.append(entry)
        with open(path, "w") as f:
            json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)

    def __str__(self) -> str:
        return self.table()


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_memory(nbytes: int) -> str:
    kb, mb, gb = 1024, 1024 ** 2, 1024 ** 3
    if abs(nbytes) >= gb:
        return f"{nbytes / gb:.2f} Gb"
    if abs(nbytes) >= mb:
        return f"{nbytes / mb:.2f} Mb"
    if abs(nbytes) >= kb:
        return f"{nbytes / kb:.2f} Kb"
    return f"{nbytes} b"


def _table(events: EventList, sort_by: str | None, row_limit: int, name_width: int,
           shapes_width: int, header: str | None, top_level_only: bool) -> str:
    rows = list(events)
    if top_level_only:
        rows = [e for e in rows if getattr(e, "depth", 0) == 0]
    if sort_by is not None:
        if sort_by not in _SORT_KEYS:
            raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}'")
        attr = sort_by.replace("cuda", "device")
        rows.sort(key=lambda e: getattr(e, attr, 0.0), reverse=True)
    if row_limit and row_limit > 0:
        rows = rows[:row_limit]
    total = events.self_cpu_time_total or 1e-9
    width = min(max([len(e.key) for e in rows] + [4]) + 4, name_width)
    cols: list[tuple[str, int]] = [("Name", width), ("Self CPU %", 12), ("Self CPU", 12),
                                   ("CPU total %", 12), ("CPU total", 12),
                                   ("CPU time avg", 12)]
    if events._profile_memory:
        cols += [("CPU Mem", 12), ("Self CPU Mem", 12)]
    cols.append(("# of Calls", 12))
    if events._with_shapes:
        cols.append(("Input Shapes", shapes_width))
    line = "  ".join("-" * w for _, w in cols) + "  "
    out = [header] if header else []
    out += [line, "  ".join(t.rjust(w) if t != "Input Shapes" else t.ljust(w)
                            for t, w in cols) + "  ", line]
    for e in rows:
        name = e.key if len(e.key) <= width else e.key[:width - 3] + "..."
        cells = [name.rjust(width),
                 f"{100 * e.self_cpu_time_total / total:.2f}%".rjust(12),
                 _format_time(e.self_cpu_time_total).rjust(12),
                 f"{100 * e.cpu_time_total / total:.2f}%".rjust(12),
                 _format_time(e.cpu_time_total).rjust(12),
                 _format_time(e.cpu_time).rjust(12)]
        if events._profile_memory:
            cells += [_format_memory(e.cpu_memory_usage).rjust(12),
                      _format_memory(e.self_cpu_memory_usage).rjust(12)]
        cells.append(str(e.count).rjust(12))
        if events._with_shapes:
            cells.append(str(e.input_shapes)[:shapes_width].ljust(shapes_width))
        out.append("  ".join(cells) + "  ")
    out += [line, f"Self CPU time total: {_format_time(events.self_cpu_time_total)}", ""]
    return "\n".join(out)
