"""Peak memory of one training step, measured the same way for every framework ``tenkai
bench`` runs, so the figures compare.

**Step memory** is what a steady step needs beyond the parameters, the optimizer state and
the inputs (which every framework holds alike): its activations, temporaries, gradients and
scratch.

* PyTorch (eager and ``torch.compile``): the peak of the running total of its CPU allocator's
  allocation and free events during one steady step (``torch.profiler`` with
  ``profile_memory``); the gradients are in it (``zero_grad`` sets them to None, so
  ``backward`` allocates them again each step).
* tenkai eager: the peak of ``tracemalloc``'s traced memory during one steady step (numpy
  reports every array allocation to tracemalloc), plus the gradients that exist before the
  step starts (none after ``zero_grad``).
* tenkai compiled: what the step holds across calls (the planned scratch arena, its other
  persistent buffers, the gradients it writes in place) plus the peak of ``tracemalloc``
  during one steady step (the fresh result tensors and any staging copies).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any


def torch_step_bytes(call: Callable[[], Any]) -> int:
    """Peak bytes PyTorch's CPU allocator held above its level at the start of one call."""
    from torch.profiler import ProfilerActivity, profile

    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        call()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events.sort(key=lambda e: e.start_ns())
    level = peak = 0
    for e in events:
        level += e.nbytes()
        peak = max(peak, level)
    return peak


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the profiler's native start/stop lines (written to file descriptor 2)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def megabytes(n: int) -> str:
    """``n`` bytes for a table: MB with three decimals, or kB below 10 kB."""
    return f"{n / 1e3:.2f} kB" if n < 10_000 else f"{n / 1e6:.3f} MB"


def traced_step_bytes(call: Callable[[], Any]) -> int:
    """Peak bytes of numpy arrays and Python objects allocated during one call, above what
    was allocated when it started (``tracemalloc``)."""
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call()
        return max(tracemalloc.get_traced_memory()[1] - base, 0)
    finally:
        if not started:
            tracemalloc.stop()


def grad_bytes(params: list[Any]) -> int:
    """Bytes of the ``.grad`` arrays the parameters hold now."""
    return sum(p.grad._data.nbytes for p in params if getattr(p, "grad", None) is not None)


def held_bytes(executable: Any) -> int:
    """Bytes a compiled executable holds across calls for itself: the scratch arena and its
    persistent buffers (outputs, constants, status word); not the caller's params/inputs."""
    own = sum(s.nbytes for s in executable.specs if s.role not in ("input", "param", "scratch"))
    # scratch that lives inside a param's buffer costs nothing, unless it had to move to a
    # private stand-in (the param overlapped another bound buffer)
    spills = sum(a.nbytes for a in getattr(executable, "_spills", {}).values())
    return int(executable.arena.size) + int(own) + int(spills)


def tenkai_step_bytes(mode: str, call: Callable[[], Any], params: list[Any],
                      compiled: Any = None) -> int | None:
    """Step memory of a tenkai run (see the module docstring); None when the compiled step
    has no native executable to inspect (``backend="interp"``)."""
    if mode == "compiled":
        steps = getattr(compiled, "steps", None)
        executable = getattr(steps[-1].program, "executable", None) if steps else None
        if executable is None or not hasattr(executable, "specs"):
            return None
        transient = traced_step_bytes(call)
        return held_bytes(executable) + grad_bytes(params) + transient
    before = grad_bytes(params)  # gradients alive when the step starts (kept by eager too)
    return before + traced_step_bytes(call)
