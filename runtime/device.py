"""The runtime's target-neutral interfaces (STYLE.md §7): what every target's runtime provides.

* :class:`Allocator`: memory of one device (``alloc`` / ``free`` / ``copy_in`` / ``copy_out``);
* :class:`Program`: one compiled function (a kernel, or a whole step) called with buffers,
  ``prog(*bufs, grid=..., block=...)`` (``grid``/``block`` only mean something on a target
  whose launch model is ``"grid"``);
* :class:`Executable`: a compiled step bound to a buffer table (``runtime/buffers.py``): it
  binds the caller's inputs and parameters, runs every kernel, returns the outputs;
* :class:`Device`: bundles a target's allocator with how it loads code into executables.

A target's runtime lives in its own folder (``runtime/cpu/``) and implements these; the core
(this folder's top level) knows no target and imports nothing outside ``tenkai.runtime``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np


class Allocator(ABC):
    """Memory of one device."""

    @abstractmethod
    def alloc(self, nbytes: int) -> Any:
        """``nbytes`` of device memory, aligned as the target requires."""

    @abstractmethod
    def free(self, buf: Any) -> None:
        """Release ``buf`` (a no-op where memory is garbage collected)."""

    @abstractmethod
    def copy_in(self, dst: Any, src: np.ndarray) -> None:
        """Copy host array ``src`` into device buffer ``dst``."""

    @abstractmethod
    def copy_out(self, src: Any) -> np.ndarray:
        """A host copy of device buffer ``src``."""


class Program(ABC):
    """One compiled function of a loaded module, called with buffer addresses."""

    name: str

    @abstractmethod
    def __call__(self, *bufs: int, grid: tuple[int, ...] | None = None,
                 block: tuple[int, ...] | None = None) -> None:
        """Run it once on ``bufs``."""


class Executable(ABC):
    """A compiled step: the frontend drives only these methods (and the attributes below).

    ``entry``: the entry symbol; ``output_names``: the buffer of each graph output in order;
    ``writes``: output index -> the param it updates in place; ``kernels``: kernel names in
    launch order; ``stats``: counters (``calls`` ...).
    """

    entry: str
    output_names: list[str]
    writes: dict[int, str]
    kernels: list[str]
    stats: dict[str, Any]

    @abstractmethod
    def run(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
            ) -> list[np.ndarray]:
        """Run one step; returns every graph output in order."""

    @abstractmethod
    def run_feeds(self, feeds: Mapping[str, Any]) -> list[np.ndarray]:
        """Like :meth:`run` with inputs and params in one dict (the frontend's feed format)."""

    @abstractmethod
    def bind_params(self, params: Mapping[str, np.ndarray]) -> None:
        """Bind (or rebind) parameter arrays; the step updates them in place."""

    @abstractmethod
    def buffer(self, name: str) -> np.ndarray:
        """The array bound to buffer ``name`` now."""

    @abstractmethod
    def kernel_times(self, repeats: int = 1) -> list[tuple[str, float]]:
        """Seconds per kernel (best of ``repeats``), each run on its own in launch order."""

    def status_error(self, status: np.ndarray) -> Exception:
        """The error a set status word (``[code, value]``) stands for: the buffer table's
        message for the code (``errors``; ``error_types`` says RuntimeError, else IndexError),
        its ``{value}`` filled in, naming the step."""
        errors: Mapping[int, str] = getattr(self, "errors", {})
        types: Mapping[int, str] = getattr(self, "error_types", {})
        code, value = int(status[0]), int(status[1])
        message = errors.get(code, f"unknown run-time error code {code}")
        error = RuntimeError if types.get(code) == "RuntimeError" else IndexError
        # replace, not str.format: the message quotes the user's source line (braces and all)
        return error(f"{message.replace('{value}', str(value))} (in compiled step {self.entry})")


class Device(ABC):
    """A target's runtime: its allocator and how it turns code into an :class:`Executable`."""

    name: str
    allocator: Allocator

    @abstractmethod
    def load(self, code: Any, entry: str, buffer_table: Mapping[str, Any]) -> Executable:
        """An executable running ``entry`` of ``code`` (see the target runtime's ``load``)."""
