"""A compiled step on the simulator: the entry's launch table run launch by launch.

``SimExecutable(code, entry, buffer_table)`` loads the host object code of the NVPTX kernels
(through the CPU runtime's loader: shared by content, so executables of one module share the
engine), allocates the persistent buffers (outputs, constants, the status word), the scratch
arena at the memory plan's offsets, and any per-entry scratch the launch table names
(``buffer_table["scratch"]``: ``{name: nbytes}``, zeroed before every step), all aligned to
the target's 256 bytes. Params are bound by pointer to the caller's arrays (a non-contiguous one
through a contiguous copy refreshed each call), inputs every call; then every launch of
``buffer_table["launches"]`` runs on the simulator (:func:`~tenkai.runtime.cuda_sim.sim.
run_launch`), the status word is read after every launch whose row ``checks``, and a failed
check stops the step, restores the guarded state and raises as the CPU does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from tenkai.runtime.buffers import BufferSpec, check_array
from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.executable import object_code
from tenkai.runtime.cpu.memory import Arena
from tenkai.runtime.cuda_sim.sim import run_launch
from tenkai.runtime.device import Executable
from tenkai.runtime.host import HostAllocator, HostBuffers, pointer

ALIGN = 256  # the NVPTX target's buffer alignment (Target.alignment)


class SimAllocator(HostAllocator):
    """Host memory standing in for device memory: zeroed, 256-byte aligned."""

    align = ALIGN
    zeroed = True


class SimExecutable(HostBuffers, Executable):
    """See the module docstring. ``max_grid``: launch at most that many blocks along x (the
    kernels' grid-stride loops cover the rest); ``stats``: calls, launches, kernels."""

    def __init__(self, code: Any, entry: str, buffer_table: Mapping[str, Any],
                 allocator: SimAllocator | None = None, max_grid: int | None = None) -> None:
        self.entry, self.max_grid = entry, max_grid
        if "launches" not in buffer_table:
            raise KeyError(f"runtime.cuda_sim: the buffer table of {entry!r} has no launch "
                           "table (generate it with the cuda-sim target)")
        self.module = jit.load_object(object_code(code))
        self.launches = [dict(row) for row in buffer_table["launches"]]
        self._fns = [self.module.address(str(row["name"])) for row in self.launches]
        self.specs = [BufferSpec.from_row(r) for r in buffer_table["buffers"]]
        self.slot = {s.name: k for k, s in enumerate(self.specs)}
        self.output_names: list[str] = list(buffer_table["outputs"])
        self.writes: dict[int, str] = {int(k): v for k, v in buffer_table["writes"].items()}
        self.errors: dict[int, str] = {int(k): v for k, v in buffer_table["errors"].items()}
        self.error_types: dict[int, str] = {
            int(k): v for k, v in buffer_table.get("error_types", {}).items()}
        self.guarded: list[str] = list(buffer_table.get("guarded_writes", []))
        self.kernels: list[str] = list(buffer_table.get("kernels", []))
        self._arrays: dict[str, np.ndarray] = {}
        self._bound: dict[str, Any] = {}
        self._written = set(self.writes.values())
        self._staged: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        alloc = allocator or SimAllocator()
        self.arena = Arena(int(buffer_table.get("arena_size", 0)), alloc)  # type: ignore[arg-type]
        for spec in self.specs:
            if spec.role in ("input", "param"):
                continue
            if spec.role == "scratch":
                self._arrays[spec.name] = self.arena.view(spec)
                continue
            arr = alloc.array(spec.shape, spec.dtype)
            if spec.role == "const":
                alloc.copy_in(arr, np.asarray(spec.init, dtype=spec.dtype).reshape(spec.shape))
            self._arrays[spec.name] = arr
        self._scratch = {str(name): alloc.alloc(int(nbytes))
                         for name, nbytes in dict(buffer_table.get("scratch") or {}).items()}
        self._status = self._arrays.get("tk_status")
        self.inputs = [s.name for s in self.specs if s.role == "input"]
        self.params = [s.name for s in self.specs if s.role == "param"]
        self.stats = {"calls": 0, "kernels_per_step": len(self.kernels),
                      "launches_per_step": len(self.launches), "buffers": len(self.specs),
                      "arena_bytes": self.arena.size}

    # ------------------------------------------------------------ binding
    def _bind(self, name: str, arr: Any, role: str) -> None:
        if role == "param" and self._bound.get(name) is arr:
            return
        spec = self.specs[self.slot[name]] if name in self.slot else None
        if spec is None:
            raise KeyError(f"runtime: {self.entry} has no {role} named {name!r}; expected one "
                           f"of {self.inputs if role == 'input' else self.params}")
        if spec.role != role:
            raise KeyError(f"runtime: {name!r} is a {spec.role} of {self.entry}, not an {role}")
        checked, staged = check_array(spec, arr, role, name in self._written)
        self._arrays[name] = checked
        self._bound[name] = arr
        if staged:
            self._staged[name] = (arr, checked)
        else:
            self._staged.pop(name, None)

    def bind_params(self, params: Mapping[str, np.ndarray]) -> None:
        """Bind (or rebind) parameter arrays by pointer; they are updated in place."""
        for name, arr in params.items():
            self._bind(name, arr, "param")

    def _bind_all(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None) -> None:
        if params:
            self.bind_params(params)
        unbound = [n for n in self.params if n not in self._bound]
        if unbound:
            raise KeyError(f"runtime: param {unbound[0]!r} of {self.entry} was never bound; "
                           "pass it in params")
        missing = [n for n in self.inputs if n not in inputs]
        if missing:
            raise KeyError(f"runtime: missing input(s) {missing} for {self.entry}; expected "
                           f"{self.inputs}")
        for name, arr in inputs.items():
            self._bind(name, arr, "input")

    # ------------------------------------------------------------ running
    def _address(self, name: str) -> int:
        if name in self._scratch:
            return pointer(self._scratch[name])
        return pointer(self._arrays[name])

    def _launch(self, k: int) -> None:
        row = self.launches[k]
        run_launch(self._fns[k], row, [self._address(p) for p in row["params"]], self.max_grid)

    def run(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
            ) -> list[np.ndarray]:
        """Run one step: every launch in order; returns every graph output in order."""
        self._bind_all(inputs, params)
        if self._status is not None:
            self._status[:] = 0
        for buf in self._scratch.values():
            buf[:] = 0
        for user, copy in self._staged.values():
            np.copyto(copy, user)
        saved = [(self._arrays[n], self._arrays[n].copy()) for n in self.guarded]
        for k, row in enumerate(self.launches):
            self._launch(k)
            if row.get("checks") and self._status is not None and self._status[0]:
                break
        self.stats["calls"] += 1
        if self._status is not None and self._status[0]:
            for arr, old in saved:  # a failed check leaves every state buffer as it was
                np.copyto(arr, old)
            self._raise_status()
        for name in self._written & set(self._staged):
            user, copy = self._staged[name]
            np.copyto(user, copy)
        return [self._arrays[name] if self.writes.get(k) is None
                else self._bound[self.writes[k]] for k, name in enumerate(self.output_names)]

    def run_feeds(self, feeds: Mapping[str, Any]) -> list[np.ndarray]:
        """Like :meth:`run` with inputs and params in one dict (the frontend's feed format)."""
        inputs = {k: v for k, v in feeds.items() if k in self.slot
                  and self.specs[self.slot[k]].role == "input"}
        return self.run(inputs, {k: v for k, v in feeds.items() if k not in inputs})

    def kernel_times(self, repeats: int = 1) -> list[tuple[str, float]]:
        """Seconds per kernel (its launches, simulated; best of ``repeats``) in step order on
        the buffers as they are (kernels that update state in place update it again)."""
        out = []
        for name in self.kernels:
            ks = [k for k, row in enumerate(self.launches) if row.get("kernel") == name]
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                for k in ks:
                    self._launch(k)
                best = min(best, time.perf_counter() - start)
            out.append((name, best))
        return out

    def _raise_status(self) -> None:
        assert self._status is not None
        raise self.status_error(self._status)
