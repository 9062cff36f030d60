"""A compiled step on a GPU: the launch table run on one stream, state resident on the device.

``CUDAExecutable(code, entry, buffer_table)`` loads the PTX once (per context and content),
looks up every launch's function, and allocates one device buffer per row of the buffer table
(inputs, params, outputs, constants, the status word; scratch rows are views of one arena):
every buffer has a fixed device address, so the launches, and the CUDA graphs captured from
them, never change.

Params come two ways. A :class:`~tenkai.runtime.cuda.memory.DeviceArray` is *resident*: it is
bound by address and the step updates it in place on the device, with no copy. A host numpy
array is *mirrored*: uploaded into the param's own device buffer before every step (so host
changes between steps are seen, as the CPU sees them through its pointer) and, when the step
writes it, downloaded back after the step.

A step: inputs and mirrored params copied in (async, one stream), the status word zeroed, the
params in ``guarded_writes`` snapshotted (device to device), then the launches in order. They
are cut into *segments*, each ending at a launch whose row says ``checks``: after such a
segment the status word is read, and a failed check restores the snapshot, skips every later
launch and raises the recorded error (as the CPU's entry does), so a failed step leaves state
as it was. Each segment is captured once as a CUDA graph and replayed from then on (graphs
off, or a driver that refuses: launched one by one, ``stats["graphs"]`` says which). Then the
outputs are copied back to host arrays (overwritten by the next step, as on the CPU), or,
with ``output_array`` set (a compiled step on eager cuda tensors), copied into new device
arrays of that type.

Eager cuda tensors run one-op steps through :meth:`CUDAExecutable.run_device`: operands bound
by address, outputs allocated fresh, nothing through the host.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tenkai.runtime.buffers import BufferSpec, check_array
from tenkai.runtime.cuda.driver import CudaError
from tenkai.runtime.cuda.memory import Context, DeviceArray, context
from tenkai.runtime.device import Executable


def ptx_image(code: Any) -> bytes:
    """The PTX of ``code``: bytes as they are, else ``code.object_code()`` (duck-typed)."""
    if isinstance(code, bytes):
        return code
    if callable(getattr(code, "object_code", None)):
        return bytes(code.object_code())
    raise TypeError(f"runtime.cuda: cannot load a {type(code).__name__}; pass the PTX as bytes "
                    "or a generated module (anything with object_code())")


DEFAULT_SHARED = 48 * 1024  # dynamic shared memory a kernel may use without opting in
ASYNC_NOTE = ("(while running compiled step {entry}) CUDA kernel errors might be asynchronously "
              "reported at some other API call, so the stacktrace below might be incorrect. "
              "For debugging consider passing CUDA_LAUNCH_BLOCKING=1")


@dataclass
class LaunchRow:
    """One launch of the table, with its function looked up."""

    name: str
    function: int
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    shared: int
    params: list[str]
    checks: bool


class CUDAExecutable(Executable):
    """See the module docstring. ``stats``: calls, launches and graph replays per step."""

    def __init__(self, code: Any, entry: str, buffer_table: Mapping[str, Any],
                 ctx: Context | None = None, graphs: bool = True) -> None:
        if "launches" not in buffer_table:
            raise ValueError(f"runtime.cuda: the buffer table of {entry!r} has no launch table; "
                             "compile the step for target 'cuda'")
        self.entry, self.ctx = entry, ctx or context(0)
        driver = self.ctx.driver
        self.image, self.table = ptx_image(code), buffer_table  # (to load it on another GPU)
        self.module = self.ctx.load_module(self.image)
        self.rows = [LaunchRow(r["name"], driver.get_function(self.module, r["name"]),
                               _dim3(r["grid"]), _dim3(r["block"]), int(r.get("shared", 0)),
                               list(r["params"]), bool(r.get("checks"))) for r in
                     buffer_table["launches"]]
        for row in self.rows:
            if row.shared > DEFAULT_SHARED:
                driver.allow_shared(row.function, row.shared, row.name)
        self.specs = [BufferSpec.from_row(r) for r in buffer_table["buffers"]]
        self.by_name = {s.name: s for s in self.specs}
        self.output_names: list[str] = list(buffer_table["outputs"])
        self.writes: dict[int, str] = {int(k): v for k, v in buffer_table["writes"].items()}
        self.errors = {int(k): v for k, v in buffer_table["errors"].items()}
        self.error_types = {int(k): v for k, v in buffer_table.get("error_types", {}).items()}
        self.guarded: list[str] = list(buffer_table.get("guarded_writes", []))
        self.kernels: list[str] = [r.name for r in self.rows]
        self.inputs = [s.name for s in self.specs if s.role == "input"]
        self.params = [s.name for s in self.specs if s.role == "param"]
        self._written = set(self.writes.values())
        # CUDA_LAUNCH_BLOCKING=1 (the driver's switch) reports a kernel's fault at its own
        # launch: launched one by one then, not replayed as graphs
        self.use_graphs = graphs and os.environ.get("CUDA_LAUNCH_BLOCKING", "0") != "1"
        self._allocate(int(buffer_table.get("arena_size", 0)),
                       dict(buffer_table.get("scratch", {})))
        self.segments = _segments(self.rows)
        self._graphs: dict[int, int] = {}  # segment index -> CUgraphExec
        self.stats: dict[str, Any] = {"calls": 0, "kernels_per_step": len(self.rows),
                                      "launches": 0, "graph_launches": 0,
                                      "graphs": self.use_graphs, "segments": len(self.segments),
                                      "buffers": len(self.specs), "arena_bytes": self.arena.nbytes}

    def on(self, ctx: Context) -> CUDAExecutable:
        """The same step loaded on the GPU of ``ctx`` (its own buffers)."""
        return CUDAExecutable(self.image, self.entry, self.table, ctx, self.use_graphs)

    # ------------------------------------------------------------ memory
    def _allocate(self, arena_size: int, scratch: dict[str, int]) -> None:
        ctx = self.ctx
        self.arena = DeviceArray(ctx, (max(arena_size, 1),), np.uint8)
        self.device: dict[str, DeviceArray] = {}  # every non-scratch buffer's own memory
        self.ptr: dict[str, int] = {}  # what the launches are given (bound params included)
        self.host: dict[str, np.ndarray] = {}  # host copies of the outputs
        for spec in self.specs:
            if spec.role == "scratch":
                self.ptr[spec.name] = self.arena.ptr + int(spec.offset or 0)
                continue
            buf = DeviceArray(ctx, spec.shape, spec.dtype)
            self.device[spec.name] = buf
            self.ptr[spec.name] = buf.ptr
            if spec.role == "const":
                buf.copy_from_host(np.asarray(spec.init, dtype=spec.dtype).reshape(spec.shape))
            elif spec.role == "status":
                buf.zero()
        self.extra = {name: DeviceArray(ctx, (max(int(n), 1),), np.uint8)
                      for name, n in scratch.items()}  # per-launch scratch, zeroed each step
        self.ptr.update({name: buf.ptr for name, buf in self.extra.items()})
        self.backup = {name: DeviceArray(ctx, self.by_name[name].shape, self.by_name[name].dtype)
                       for name in self.guarded}
        self.status = self.device.get("tk_status")
        self._status_host = (np.zeros(self.status.shape, self.status.dtype)
                             if self.status is not None else None)
        self._bound: dict[str, Any] = {}  # param name -> the caller's object
        # None: outputs are host arrays; a DeviceArray subclass: new device arrays of it
        self.output_array: Any = None
        self.host_outputs: frozenset[int] = frozenset()  # ... except these: host arrays
        self._mirror: dict[str, tuple[np.ndarray, np.ndarray, bool]] = {}  # (user, host, staged)

    # ------------------------------------------------------------ binding
    def _spec(self, name: str, role: str) -> BufferSpec:
        spec = self.by_name.get(name)
        if spec is None:
            raise KeyError(f"runtime: {self.entry} has no {role} named {name!r}; expected one "
                           f"of {self.inputs if role == 'input' else self.params}")
        if spec.role != role:
            raise KeyError(f"runtime: {name!r} is a {spec.role} of {self.entry}, not an {role}")
        return spec

    def bind_params(self, params: Mapping[str, Any]) -> None:
        """Bind params: DeviceArrays by address (resident), host arrays mirrored."""
        for name, arr in params.items():
            if self._bound.get(name) is arr:
                continue
            spec = self._spec(name, "param")
            if isinstance(arr, DeviceArray):
                if arr.shape != spec.shape or arr.dtype != spec.dtype:
                    raise ValueError(f"runtime: param {name!r}: expected {spec.describe()}, "
                                     f"got a device array of {arr.dtype.name}{list(arr.shape)}")
                self._mirror.pop(name, None)
                self._set_ptr(name, arr.ptr)
            else:
                host, staged = check_array(spec, arr, "param", name in self._written)
                self._mirror[name] = (arr, host, staged)
                self._set_ptr(name, self.device[name].ptr)
            self._bound[name] = arr

    def _set_ptr(self, name: str, ptr: int) -> None:
        if self.ptr[name] != ptr:
            self.ptr[name] = ptr
            self._drop_graphs()  # captured launches hold the old address

    def _upload(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None) -> None:
        if params:
            self.bind_params(params)
        unbound = [n for n in self.params if n not in self._bound]
        if unbound:
            raise KeyError(f"runtime: param(s) {unbound} of {self.entry} were never bound; "
                           "pass them in params")
        missing = [n for n in self.inputs if n not in inputs]
        if missing:
            raise KeyError(f"runtime: missing input(s) {missing} for {self.entry}; expected "
                           f"{self.inputs}")
        for name, arr in inputs.items():
            spec = self._spec(name, "input")
            if isinstance(arr, DeviceArray):
                self.device[name].copy_from(arr)
            else:
                self.device[name].copy_from_host(check_array(spec, arr, "input")[0])
        for name, (user, host, staged) in self._mirror.items():
            if staged:
                np.copyto(host, user)
            self.device[name].copy_from_host(host)

    # ------------------------------------------------------------ running
    def run(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
            ) -> list[Any]:
        """Run one step; returns every graph output in order (writes: the bound param)."""
        self.ctx.activate()
        self._upload(inputs, params)
        if self.status is not None:
            self.status.zero()
        for buf in self.extra.values():
            buf.zero()
        for name, saved in self.backup.items():
            self.ctx.driver.copy_dtod(saved.ptr, self.ptr[name], saved.nbytes, self.ctx.stream)
        try:
            self._run_segments()
            outs = self._download()
        except CudaError as err:
            err.add_note(ASYNC_NOTE.format(entry=self.entry))
            raise
        self.stats["calls"] += 1
        return outs

    def _run_segments(self) -> None:
        for k, segment in enumerate(self.segments):
            self._run_segment(k, segment)
            if segment[-1].checks and self._failed():
                for name, saved in self.backup.items():  # the state as it was before the step
                    self.ctx.driver.copy_dtod(self.ptr[name], saved.ptr, saved.nbytes,
                                              self.ctx.stream)
                self.ctx.driver.stream_synchronize(self.ctx.stream, "restoring state")
                self.stats["calls"] += 1
                self._raise_status()

    def _run_segment(self, k: int, segment: list[LaunchRow]) -> None:
        driver, stream = self.ctx.driver, self.ctx.stream
        if self.use_graphs and k not in self._graphs:
            self._capture(k, segment)
        if k in self._graphs:
            driver.graph_launch(self._graphs[k], stream)
            self.stats["graph_launches"] += 1
            return
        for row in segment:
            self._launch(row)

    def _launch(self, row: LaunchRow) -> None:
        self.ctx.driver.launch(row.function, row.grid, row.block, row.shared, self.ctx.stream,
                               [self.ptr[p] for p in row.params], row.name)
        self.stats["launches"] += 1

    def _capture(self, k: int, segment: list[LaunchRow]) -> None:
        """Capture ``segment``'s launches as a CUDA graph; a driver that refuses (capture or
        instantiation) turns graphs off for this executable (the launches then run directly,
        so a launch that fails on its own raises there)."""
        driver, stream = self.ctx.driver, self.ctx.stream
        graph, capturing = None, False
        try:
            driver.begin_capture(stream)
            capturing = True
            for row in segment:
                driver.launch(row.function, row.grid, row.block, row.shared, stream,
                              [self.ptr[p] for p in row.params], row.name)
            capturing, graph = False, driver.end_capture(stream)
            self._graphs[k] = driver.graph_instantiate(graph)
        except CudaError as err:
            if capturing:  # end the capture the failed launch left open
                with contextlib.suppress(CudaError):
                    graph = driver.end_capture(stream)
            self._graphs_off(err)
        finally:
            if graph is not None:
                with contextlib.suppress(CudaError):
                    driver.graph_destroy(graph)

    def _graphs_off(self, err: CudaError) -> None:
        self.use_graphs = False
        self.stats["graphs"] = False
        self.stats["graphs_off_because"] = str(err)
        self._drop_graphs()

    def _drop_graphs(self) -> None:
        for graph_exec in self._graphs.values():
            self.ctx.driver.graph_exec_destroy(graph_exec)
        self._graphs.clear()

    def _failed(self) -> bool:
        assert self.status is not None and self._status_host is not None
        self.status.copy_to_host(self._status_host)  # waits for the segment
        return bool(self._status_host[0])

    def _download(self) -> list[Any]:
        for name in self._written & set(self._mirror):
            user, host, staged = self._mirror[name]
            self.device[name].copy_to_host(host)
            if staged:
                np.copyto(user, host)
        outs: list[Any] = []
        for k, name in enumerate(self.output_names):
            target = self.writes.get(k)
            if target is not None:
                outs.append(self._bound[target])
                continue
            if self.output_array is not None and k not in self.host_outputs:
                # outputs stay on the device: new arrays
                spec = self.by_name[name]
                out = self.output_array(self.ctx, spec.shape, spec.dtype)
                if out.nbytes:
                    self.ctx.driver.copy_dtod(out.ptr, self.ptr[name], out.nbytes,
                                              self.ctx.stream)
                outs.append(out)
                continue
            if name not in self.host:
                spec = self.by_name[name]
                self.host[name] = np.empty(spec.shape, spec.dtype)
            outs.append(self._read(name, self.host[name]))
        self.ctx.driver.stream_synchronize(self.ctx.stream, f"after step {self.entry}")
        return outs

    def run_device(self, inputs: Mapping[str, DeviceArray], make: Any = DeviceArray
                   ) -> list[DeviceArray]:
        """Run once on device arrays, nothing copied through the host (eager cuda tensors):
        ``inputs`` are bound by address, every output is a new device array (an output that
        is an input or a constant is copied, device to device). For steps without params;
        the launches run one by one (the addresses change every call, so no graph is kept).
        A failed check raises the recorded error (nothing is written but the new outputs).
        ``make(ctx, shape, dtype)`` allocates the outputs (a DeviceArray subclass)."""
        ctx = self.ctx
        ctx.activate()
        if self.params:
            raise ValueError(f"runtime: run_device runs steps without params; {self.entry} "
                             f"has {self.params}")
        if self.use_graphs:  # first call: bound by address from now on, own buffers freed
            self.use_graphs = self.stats["graphs"] = False
            self._drop_graphs()
            for name in [*self.inputs, *self.output_names]:
                if self.by_name[name].role in ("input", "output"):
                    self.device.pop(name, None)
        missing = [n for n in self.inputs if n not in inputs]
        if missing:
            raise KeyError(f"runtime: missing input(s) {missing} for {self.entry}")
        for name, arr in inputs.items():
            spec = self._spec(name, "input")
            if arr.shape != spec.shape or arr.dtype != spec.dtype:
                raise ValueError(f"runtime: input {name!r} of {self.entry}: expected "
                                 f"{spec.describe()}, got {arr.dtype.name}{list(arr.shape)}")
            self.ptr[name] = arr.ptr
        fresh: dict[str, DeviceArray] = {}
        for name in self.output_names:
            spec = self.by_name[name]
            if spec.role == "output" and name not in fresh:
                fresh[name] = make(ctx, spec.shape, spec.dtype)
                self.ptr[name] = fresh[name].ptr
        if self.status is not None:
            self.status.zero()
        for buf in self.extra.values():
            buf.zero()
        try:
            for row in self.rows:
                self._launch(row)
                if row.checks and self._failed():
                    self.stats["calls"] += 1
                    self._raise_status()
        except CudaError as err:
            err.add_note(ASYNC_NOTE.format(entry=self.entry))
            raise
        self.stats["calls"] += 1
        outs: list[DeviceArray] = []
        for name in self.output_names:
            if name in fresh:
                outs.append(fresh[name])
                continue
            spec = self.by_name[name]  # an input, a constant or a scratch view: copied
            out = make(ctx, spec.shape, spec.dtype)
            if out.nbytes:
                ctx.driver.copy_dtod(out.ptr, self.ptr[name], out.nbytes, ctx.stream)
            outs.append(out)
        return outs

    def _read(self, name: str, out: np.ndarray) -> np.ndarray:
        if name in self.device and self.ptr[name] == self.device[name].ptr:
            return self.device[name].copy_to_host(out)
        spec = self.by_name[name]  # a scratch view, or a resident param bound by address
        if spec.nbytes:
            self.ctx.driver.copy_dtoh(out, self.ptr[name], self.ctx.stream)
        return out

    def __call__(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
                 ) -> dict[str, Any]:
        outs = self.run(inputs, params)
        return {f"out{k}": v for k, v in enumerate(outs) if k not in self.writes}

    def run_feeds(self, feeds: Mapping[str, Any]) -> list[Any]:
        """Like :meth:`run` with inputs and params in one dict (the frontend's feed format)."""
        inputs = {k: v for k, v in feeds.items() if k in self.by_name
                  and self.by_name[k].role == "input"}
        return self.run(inputs, {k: v for k, v in feeds.items() if k not in inputs})

    def buffer(self, name: str) -> np.ndarray:
        """A host copy of buffer ``name`` as it is on the device now."""
        if name not in self.ptr:
            raise KeyError(f"runtime: {self.entry} has no buffer named {name!r}; buffers: "
                           f"{[s.name for s in self.specs]}")
        spec = self.by_name[name]
        return self._read(name, np.empty(spec.shape, spec.dtype))

    def kernel_times(self, repeats: int = 1) -> list[tuple[str, float]]:
        """Seconds per launch (best of ``repeats``, CUDA events), each on its own in order on
        the buffers as they are; written params and outputs are restored afterwards."""
        driver, stream = self.ctx.driver, self.ctx.stream
        keep = {n: DeviceArray.from_host(self.ctx, self.buffer(n))
                for n in {*self.output_names, *self._written} if n in self.ptr}
        start, end = driver.event_create(), driver.event_create()
        out = []
        try:
            for row in self.rows:
                best = float("inf")
                for _ in range(repeats):
                    driver.event_record(start, stream)
                    self._launch(row)
                    driver.event_record(end, stream)
                    best = min(best, driver.event_elapsed_ms(start, end) / 1e3)
                out.append((row.name, best))
        finally:
            driver.event_destroy(start)
            driver.event_destroy(end)
            for name, saved in keep.items():
                driver.copy_dtod(self.ptr[name], saved.ptr, saved.nbytes, stream)
            driver.stream_synchronize(stream, "restoring state after timing")
        return out

    def _raise_status(self) -> None:
        assert self._status_host is not None
        raise self.status_error(self._status_host)

    def close(self) -> None:
        """Destroy the captured graphs (device buffers are freed when collected)."""
        self._drop_graphs()


def _dim3(value: Any) -> tuple[int, int, int]:
    dims = [int(v) for v in value] + [1, 1, 1]
    return dims[0], dims[1], dims[2]


def _segments(rows: list[LaunchRow]) -> list[list[LaunchRow]]:
    """The launches cut after every launch that checks (the status word is read there)."""
    out: list[list[LaunchRow]] = [[]]
    for row in rows:
        out[-1].append(row)
        if row.checks:
            out.append([])
    return [seg for seg in out if seg]


__all__ = ["CUDAExecutable", "LaunchRow", "ptx_image"]
