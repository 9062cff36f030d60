"""A compiled step on the CPU: one native call to the entry per ``__call__``.

``CPUExecutable(code, entry, buffer_table)`` loads the module's object code (``code``: bytes, or
anything with an ``object_code()`` method, such as a generated module: the runtime never
compiles IR; loaded objects are shared by content), loads the support library the buffer table
names (``"library"``: an object with ``key``, ``symbols`` and ``object_code()``, or with
``pieces`` of such objects, loaded in order), allocates
persistent buffers
(outputs, constants, the status word) and the scratch arena, and keeps a pointer table
``void*[n]`` in buffer-table order. Params are bound by
pointer to the caller's arrays (checked once per array object; a non-contiguous one goes
through a contiguous copy refreshed each call), inputs are bound every call;
then one ctypes call runs every kernel. Returned outputs are views of persistent buffers
(overwritten by the next call); state updates land in the param arrays themselves.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from tenkai.runtime.buffers import BufferSpec, check_array
from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.memory import Arena, CPUAllocator
from tenkai.runtime.device import Executable, Program
from tenkai.runtime.host import HostBuffers, address_of, pointer

_STEP = ctypes.CFUNCTYPE(None, ctypes.c_void_p)




def object_code(code: Any) -> bytes:
    """The object code of ``code``: bytes as they are, else ``code.object_code()`` (a
    generated module or support library of the CPU target's codegen, duck-typed)."""
    if isinstance(code, bytes):
        return code
    if callable(getattr(code, "object_code", None)):
        return bytes(code.object_code())
    hint = (" (LLVM IR text: the runtime generates no code; pass the codegen's "
            "object_code())" if isinstance(code, str) else "")
    raise TypeError(f"runtime.cpu: cannot load a {type(code).__name__}{hint}; pass object "
                    "code (bytes) or a generated module (anything with object_code())")


def load_support(library: Any) -> None:
    """Load a support library once per process: each of its ``pieces`` (dependencies first)
    when it has them, else the library itself (``key``, ``symbols``, ``object_code()``)."""
    if not library:
        return
    for piece in getattr(library, "pieces", None) or (library,):
        if not jit.library_loaded(str(piece.key)):
            jit.load_library(object_code(piece), list(piece.symbols), str(piece.key))


class NativeFunction(Program):
    """A function of a loaded module, called with buffer addresses (one native call; the
    CPU has no grid: ``grid``/``block`` must be None)."""

    def __init__(self, module: jit.CompiledModule, name: str, nargs: int) -> None:
        self.name = name
        self._fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * nargs)(module.address(name))

    def __call__(self, *bufs: int, grid: tuple[int, ...] | None = None,
                 block: tuple[int, ...] | None = None) -> None:
        if grid is not None or block is not None:
            raise ValueError(f"runtime: CPU function {self.name} runs as one call; it takes no "
                             "grid or block")
        self._fn(*bufs)


class CPUExecutable(HostBuffers, Executable):
    """See the module docstring. ``stats``: calls, kernels per step, compile info."""

    def __init__(self, code: Any, entry: str, buffer_table: Mapping[str, Any],
                 allocator: CPUAllocator | None = None) -> None:
        self.entry = entry
        load_support(buffer_table.get("library"))
        self.module = jit.load_object(object_code(code))
        try:
            self._fn = _STEP(self.module.address(entry))
        except KeyError as err:
            raise KeyError(f"runtime: entry {entry!r} is missing from the loaded module "
                           f"(the buffer table names kernels {buffer_table.get('kernels')})"
                           ) from err
        self.specs = [BufferSpec.from_row(r) for r in buffer_table["buffers"]]
        self.slot = {s.name: k for k, s in enumerate(self.specs)}
        self.output_names: list[str] = list(buffer_table["outputs"])
        self.writes: dict[int, str] = {int(k): v for k, v in buffer_table["writes"].items()}
        self.errors: dict[int, str] = {int(k): v for k, v in buffer_table["errors"].items()}
        self.error_types: dict[int, str] = {
            int(k): v for k, v in buffer_table.get("error_types", {}).items()}
        # params written in place before the step's last check: snapshot, restore on failure
        self.guarded: list[str] = list(buffer_table.get("guarded_writes", []))
        self.kernels: list[str] = list(buffer_table.get("kernels", []))
        self.kernel_args: dict[str, list[int]] = dict(buffer_table.get("kernel_args", {}))
        self._table = (ctypes.c_void_p * max(len(self.specs), 1))()
        self._arrays: dict[str, np.ndarray] = {}
        self._bound: dict[str, Any] = {}
        self._written = set(self.writes.values())
        self._staged: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (caller, copy)
        self._outs: list[np.ndarray] | None = None  # what run returns, until a rebinding
        self._fed: frozenset[str] = frozenset()  # feed names of the last full check
        self._converted: set[str] = set()  # inputs bound through a copy (rebound each call)
        self._epoch = 0  # counts rebindings: a caller that saw this value knows every binding
        # per input/param: (slot, dtype, shape, C strides, written): what bind_one checks
        self._layouts: dict[str, tuple[int, np.dtype, tuple, tuple, bool]] = {}
        # param -> [(slot, offset)] of scratch buffers inside it (BufferSpec.within), and the
        # private stand-ins used while the param's bytes overlap another bound buffer
        self._borrowed: dict[str, list[tuple[int, int]]] = {}
        self._spills: dict[str, np.ndarray] = {}
        self._host_ranges: dict[str, tuple[int, int]] = {}  # bound bytes of each such param
        self._allocate(allocator or CPUAllocator(), int(buffer_table.get("arena_size", 0)))
        self.inputs = [s.name for s in self.specs if s.role == "input"]
        self.params = [s.name for s in self.specs if s.role == "param"]
        self._roles = {s.name: s.role for s in self.specs if s.role in ("input", "param")}
        for name in self._roles:
            spec = self.specs[self.slot[name]]
            strides = np.empty(spec.shape, spec.dtype).strides  # C order (pages untouched)
            self._layouts[name] = (self.slot[name], spec.dtype, spec.shape, strides,
                                   name in self._written)
        # buffers whose binding the returned outputs show (returned inputs, written params)
        self._shown = {n for n in self.output_names if n in self._roles} | self._written
        self._table_address = ctypes.addressof(self._table)
        self.stats = {"calls": 0, "kernels_per_step": len(self.kernels),
                      "native_calls_per_step": 1, "buffers": len(self.specs),
                      "arena_bytes": self.arena.size}

    def _allocate(self, allocator: CPUAllocator, arena_size: int) -> None:
        self.arena = Arena(arena_size, allocator)
        for spec in self.specs:
            if spec.role in ("input", "param"):
                continue
            if spec.role == "scratch" and spec.within:
                self._borrowed.setdefault(spec.within, []).append(
                    (self.slot[spec.name], int(spec.offset or 0)))
                continue  # placed when its param is bound (_borrow_for)
            if spec.role == "scratch":
                arr = self.arena.view(spec)
            else:
                arr = allocator.array(spec.shape, spec.dtype)
                if spec.role == "const":
                    allocator.copy_in(arr, np.asarray(spec.init, dtype=spec.dtype)
                                      .reshape(spec.shape))
                elif spec.role == "status":
                    arr[...] = 0
            self._arrays[spec.name] = arr
            self._table[self.slot[spec.name]] = pointer(arr)
        self._status = self._arrays.get("tk_status")
        # the status word's error code, writable and readable without a numpy call
        self._status_code = (None if self._status is None
                             else memoryview(self._status.reshape(-1)))

    # ------------------------------------------------------------ binding
    def _bind(self, name: str, arr: Any, role: str) -> None:
        if self._bound.get(name) is arr and name not in self._converted:
            return  # same object as last call: already checked and bound (see run_feeds)
        try:
            spec = self.specs[self.slot[name]]
        except KeyError:
            raise KeyError(f"runtime: {self.entry} has no {role} named {name!r}; expected one "
                           f"of {self.inputs if role == 'input' else self.params}") from None
        if spec.role != role:
            raise KeyError(f"runtime: {name!r} is a {spec.role} of {self.entry}, not an {role}")
        checked, staged = check_array(spec, arr, role, name in self._written)
        self._epoch += 1
        self._arrays[name] = checked
        self._bound[name] = arr
        self._table[self.slot[name]] = address = address_of(checked)
        if self._borrowed:
            self._borrow_for(name, address, checked.nbytes)
        self._outs = None  # the returned arrays may have changed
        if role == "input" and checked is not arr:  # a copy or conversion: redone every call
            self._converted.add(name)
        else:
            self._converted.discard(name)
        if staged:
            self._staged[name] = (arr, checked)
        else:
            self._staged.pop(name, None)

    def _borrow_for(self, name: str, lo: int, nbytes: int) -> None:
        """After binding ``name`` (now at ``lo``, ``nbytes`` long): place the scratch buffers
        that live inside a param (its own, when ``name`` is such a param; any whose param the
        new array overlaps)."""
        if name in self._borrowed:
            self._place_borrowed(name)
            return
        hi = lo + nbytes
        for host, (h_lo, h_hi) in self._host_ranges.items():
            if h_lo < hi and lo < h_hi:
                self._place_borrowed(host)

    def _place_borrowed(self, host: str) -> None:
        """Point the scratch buffers inside param ``host`` at its bound bytes, or at a private
        stand-in of its size while those bytes overlap another bound input or param (scratch
        written there would change a value the step reads)."""
        k = self.slot[host]
        base = self._table[k] or 0
        if not base:
            return  # not bound yet: placed when it is
        end = base + self.specs[k].nbytes
        self._host_ranges[host] = (base, end)
        shared = any(
            j != k and (self._table[j] or 0) < end and base < (self._table[j] or 0) + spec.nbytes
            for j, spec in enumerate(self.specs) if spec.role in ("input", "param"))
        if shared:
            spill = self._spills.get(host)
            if spill is None:
                spill = self._spills[host] = np.empty(self.specs[k].nbytes, np.uint8)
            base = pointer(spill)
        for slot, offset in self._borrowed[host]:
            self._table[slot] = base + offset

    def bind_params(self, params: Mapping[str, np.ndarray]) -> None:
        """Bind (or rebind) parameter arrays by pointer; they are updated in place."""
        for name, arr in params.items():
            self._bind(name, arr, "param")

    def _bind_all(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None) -> None:
        if params:
            self.bind_params(params)
        for name in self.params:
            if name not in self._bound:
                raise KeyError(f"runtime: param {name!r} of {self.entry} was never bound; pass "
                               "it in params")
        missing = [n for n in self.inputs if n not in inputs]
        if missing:
            raise KeyError(f"runtime: missing input(s) {missing} for {self.entry}; expected "
                           f"{self.inputs}")
        for name, arr in inputs.items():
            self._bind(name, arr, "input")

    # ------------------------------------------------------------ running
    def run(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
            ) -> list[np.ndarray]:
        """Run one step; returns every graph output in order (writes: the param array)."""
        self._bind_all(inputs, params)
        return self._execute()

    def _execute(self) -> list[np.ndarray]:
        """One native call over the bound buffers (the per-step path: no per-call checks of
        arrays bound before, see run_feeds)."""
        status = self._status
        if status is not None:
            status.fill(0)
        for user, copy in self._staged.values():  # non-contiguous arrays: refresh the copy
            np.copyto(copy, user)
        saved = [(self._arrays[n], self._arrays[n].copy()) for n in self.guarded]
        self._fn(self._table_address)
        self.stats["calls"] += 1
        if status is not None and status[0]:
            for arr, old in saved:  # a failed check leaves every state buffer as it was
                np.copyto(arr, old)
            self._raise_status()
        if self._staged:
            for name in self._written & set(self._staged):
                user, copy = self._staged[name]
                np.copyto(user, copy)
        return list(self._outputs())

    def _outputs(self) -> list[np.ndarray]:
        """What a step returns: the output buffers, and the bound param array for each write
        (kept until a rebinding)."""
        outs = self._outs
        if outs is None:
            outs = self._outs = [
                self._arrays[name] if self.writes.get(k) is None else self._bound[self.writes[k]]
                for k, name in enumerate(self.output_names)]
        return outs

    # ------------------------------------------------------------ the caller's fast path
    def bind_one(self, name: str, arr: Any) -> bool:
        """Bind one input or param by name, checked as :meth:`run_feeds` checks it; True when
        it is bound by pointer (so :meth:`run_bound` may run), False when it goes through a
        per-call copy (then only :meth:`run_feeds` runs it right).

        An array of exactly the buffer's dtype, shape and C strides (writable, if the step
        writes it) is bound here directly; anything else goes through the full check."""
        slot, dtype, shape, strides, written = self._layouts[name]
        if (type(arr) is not np.ndarray or arr.dtype is not dtype or arr.shape != shape
                or arr.strides != strides or (written and not arr.flags.writeable)):
            self._bind(name, arr, self._roles[name])
            return name not in self._converted and name not in self._staged
        self._epoch += 1
        self._arrays[name] = self._bound[name] = arr
        self._table[slot] = address = address_of(arr)
        if self._borrowed:
            self._borrow_for(name, address, arr.nbytes)
        if name in self._shown:
            self._outs = None
        if name in self._converted or name in self._staged:
            self._converted.discard(name)
            self._staged.pop(name, None)
        return True

    @property
    def by_pointer(self) -> bool:
        """Whether every bound input and param is bound by pointer (no per-call copies)."""
        return not self._converted and not self._staged

    def run_bound(self) -> list[np.ndarray]:
        """One native call over the bindings as they are, for a caller that knows they are
        the right ones (it checked the fed objects against ``bound(name)`` and that
        ``_epoch`` did not change since); returns the outputs' list itself (read-only: the
        caller must not change it). Errors and state snapshots as :meth:`run`."""
        if self._staged or self.guarded or self._converted:
            return self._execute()
        code = self._status_code
        if code is not None:
            code[0] = 0
        self._fn(self._table_address)
        self.stats["calls"] += 1
        if code is not None and code[0]:
            self._raise_status()
        return self._outputs()

    def native_call(self) -> tuple[Any, int, Any, dict[str, Any]] | None:
        """:meth:`run_bound` as parts, for a caller that writes it out inline (the frontend's
        generated replay) and knows that every binding is by pointer (:attr:`by_pointer`):
        ``(fn, address, status, stats)``. Zero ``status[0]`` (when status is not None), call
        ``fn(address)``, count ``stats["calls"]``, call :meth:`_raise_status` when
        ``status[0]`` is set; the outputs are then ``_outs`` or, when that is None (after a
        rebinding), :meth:`_outputs`. None when the step snapshots guarded writes around the
        call (then run_bound)."""
        if self.guarded:
            return None
        return self._fn, self._table_address, self._status_code, self.stats

    def bound(self, name: str) -> Any:
        """The object last bound to ``name`` (as fed, before any copy), or None."""
        return self._bound.get(name)

    def __call__(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
                 ) -> dict[str, np.ndarray]:
        """Run one step; returns ``{"out<k>": array}`` for the outputs that are not writes."""
        outs = self.run(inputs, params)
        return {f"out{k}": v for k, v in enumerate(outs) if k not in self.writes}

    def run_feeds(self, feeds: Mapping[str, Any]) -> list[np.ndarray]:
        """Like :meth:`run` with inputs and params in one dict (the frontend's feed format).

        The per-step path: when the feeds name the same buffers as the last call, only the
        ones that are not the very object bound then are checked and rebound (an array object
        is checked once: its dtype, shape and strides are what was checked; an input that had
        to be copied or converted is copied again each call), then the step runs."""
        if feeds.keys() == self._fed:
            bound, roles, converted = self._bound, self._roles, self._converted
            for name, arr in feeds.items():
                if bound.get(name) is not arr or name in converted:
                    self._bind(name, arr, roles[name])
            return self._execute()
        inputs = {k: v for k, v in feeds.items() if self._roles.get(k) == "input"}
        params = {k: v for k, v in feeds.items() if k not in inputs}
        outs = self.run(inputs, params)
        self._fed = frozenset(feeds)
        return outs

    def profile(self, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                repeats: int = 3) -> list[tuple[str, float]]:
        """Seconds per kernel (best of ``repeats``), each called on its own in step order.

        Runs the whole step first (so every buffer holds this step's values), then times the
        kernels one by one; kernels that update state in place are timed on updated state.
        """
        self.run(inputs, params)
        return self.kernel_times(repeats)

    def kernel_times(self, repeats: int = 1) -> list[tuple[str, float]]:
        """Seconds per kernel (best of ``repeats``), each called on its own in step order on
        the buffers as they are (the caller ran a step first; kernels that update state in
        place update it again: snapshot and restore it around this call to keep it)."""
        out = []
        for name in self.kernels:
            slots = self.kernel_args.get(name, [])
            fn = NativeFunction(self.module, name, len(slots))
            args = [self._table[s] for s in slots]
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                fn(*args)
                best = min(best, time.perf_counter() - start)
            out.append((name, best))
        return out

    def _raise_status(self) -> None:
        assert self._status is not None
        raise self.status_error(self._status)
