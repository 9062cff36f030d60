"""Eager tensors on CUDA GPUs: the device storage of a cuda tensor and the eager op path.

Where a CPU tensor's ``_data`` is a numpy array, a tensor on ``device='cuda:N'`` holds a
:class:`CudaData`: a device array of the runtime (``tenkai.runtime.cuda``'s DeviceArray, so a
compiled step binds it by address and updates it in place) with the numpy-like metadata the
frontend reads (``shape``, ``dtype``, ``ndim``, ``size``, ``flags`` ...). Nothing on the CPU
path looks for a device: the few places that must tell the two apart check the storage's type
(``tk_device``), and ``_ops.apply`` asks :func:`apply` only once a cuda tensor exists.

Eager ops: every registry op with a cuda operand runs on that GPU. The op's rules run first
(PyTorch's errors), then the one-op graph is compiled for target ``"cuda"`` (the compile path
of ``tenkai.compile``: PTX from ``codegen/nvptx``, its memory and disk caches), loaded once
per (op, attrs, shapes, dtypes, device) and launched on the operands' device addresses
(``CUDAExecutable.run_device``): no value goes through the host. ``reshape`` is a view (the
same device memory). An op the cuda code generator cannot generate raises NotImplementedError
naming the op and ``device='cuda'``. Operands on two devices raise PyTorch's RuntimeError
("Expected all tensors to be on the same device, ..."); a CPU 0-d tensor (a Python number
made a tensor) is uploaded, as PyTorch allows CPU scalars with CUDA tensors.

Autograd: backward replays the derived backward graph through these eager ops (each one a
device kernel); gradients accumulate on the device.

Explicit host round-trips (documented, never a silent fallback): printing, ``item()``,
``tolist()``, ``.cpu()``, moving between GPUs, comparisons that return a Python bool
(``tenkai.equal`` / ``allclose``, ``numpy.all`` / ``any`` of a storage, as GradScaler's
inf check reads them), and values written from the host (``fill_``, ``copy_``
from a CPU tensor, creation with ``device=``), and the ops whose implementation computes on
the host (sort, nonzero, unique, ...: :mod:`tenkai._cuda_host`, counted in STATS). Any other
numpy function applied to a cuda tensor's storage raises NotImplementedError (or numpy's
conversion raises PyTorch's TypeError "can't convert cuda:0 device type tensor to numpy").

Copies between devices (:func:`to_device`) of a tensor that requires grad while autograd
records are PyTorch's ``ToCopyBackward0`` (the gradient moved back to the source device).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir import REGISTRY
from tenkai.ir.dtypes import from_numpy
from tenkai.runtime.cuda.memory import DeviceArray, context

from . import _trace
from ._device import NUMPY_MESSAGE, ON_CUDA, device
from ._node import GRAD_MODE, bind
from ._tensor import Tensor, record

SAME_DEVICE = ("Expected all tensors to be on the same device, but found at least two devices, "
               "{0} and {1}!")


class _Flags:
    """``flags`` of a cuda tensor's storage: C-contiguous; not "writeable" for the host fast
    paths (``x.add_(y)`` straight into a numpy buffer), which then take the general path."""

    __slots__ = ()
    c_contiguous = True
    writeable = False


_FLAGS = _Flags()
_DEVICES: dict[int, device] = {}


class CudaData(DeviceArray):
    """A cuda tensor's storage: a C-contiguous device array with numpy's metadata names."""

    flags = _FLAGS

    @property
    def tk_device(self) -> device:
        ordinal = self.ctx.ordinal
        dev = _DEVICES.get(ordinal)
        if dev is None:
            dev = _DEVICES[ordinal] = device("cuda", ordinal)
        return dev

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        out, step = [], self.dtype.itemsize
        for d in reversed(self.shape):
            out.append(step)
            step *= max(d, 1)
        return tuple(reversed(out))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # ------------------------------------------------------------ views, copies, the host
    def reshape(self, *shape: Any, order: str = "C") -> CudaData:
        """The same device memory with another shape (a view)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        dims = [int(d) for d in shape]
        if -1 in dims:
            known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
            dims[dims.index(-1)] = self.size // known if known else 0
        return CudaData.view(self, tuple(dims))

    def host(self) -> np.ndarray:
        """A host copy (waits for the device)."""
        return self.copy_to_host(np.empty(self.shape, self.dtype))

    def item(self) -> Any:
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self.host().reshape(()).item()

    def tolist(self) -> Any:
        return self.host().tolist()

    def _reduced(self, op: str) -> Any:  # the value read back, as numpy's reductions give it
        if not self.size:
            raise ValueError(f"zero-size array to reduction operation {op}imum")
        return run_op(op, {"axes": tuple(range(self.ndim)), "keepdim": False}, [self]).host()[()]

    def max(self) -> Any:
        return self._reduced("max")

    def min(self) -> Any:
        return self._reduced("min")

    def copy(self, order: str = "C") -> CudaData:
        out = CudaData(self.ctx, self.shape, self.dtype)
        if self.nbytes:
            out.copy_from(self)
        return out

    def astype(self, dtype: Any, copy: bool = True, **_: Any) -> CudaData:
        dt = np.dtype(dtype)
        if dt == self.dtype:
            return self.copy() if copy else self
        return run_op("cast", {"dtype": from_numpy(dt)}, [self])

    def __reduce__(self) -> Any:
        return (_rebuild_data, (self.host(), self.ctx.ordinal))

    def __repr__(self) -> str:
        return f"CudaData({self.tk_device}, {self.dtype.name}{list(self.shape)})"

    # ------------------------------------------------------------ numpy's protocols
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(NUMPY_MESSAGE.format(device=self.tk_device))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        handler = _NUMPY.get(func)
        if handler is None:
            raise NotImplementedError(
                f"tenkai: this operation runs numpy.{func.__name__} on the tensor's values, "
                f"which is not supported for tensors on device='cuda' (no silent copy to the "
                f"host); move the tensor to the CPU with .cpu() first")
        return handler(*args, **kwargs)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, out: Any = None,
                        **kwargs: Any) -> Any:
        if ufunc is np.isfinite and method == "__call__" and out is None and not kwargs:
            (x,) = inputs  # x - x is 0 exactly where x is finite (as tenkai.isfinite)
            zero = CudaData.from_host(x.ctx, np.zeros((), x.dtype))
            return run_op("eq", {}, [run_op("sub", {}, [x, x]), zero])
        op = _UFUNCS.get(ufunc)
        if op is None or method != "__call__" or kwargs:
            raise NotImplementedError(f"tenkai: numpy.{ufunc.__name__} on a tensor on "
                                      "device='cuda' is not supported; use tensor ops")
        ref = next(x for x in inputs if isinstance(x, CudaData))
        if any(np.ndim(x) for x in inputs if not isinstance(x, CudaData)):
            raise RuntimeError(SAME_DEVICE.format(ref.tk_device, "cpu"))
        datas = [x if isinstance(x, CudaData) else  # (a number: uploaded)
                 CudaData.from_host(ref.ctx, np.asarray(x, ref.dtype)) for x in inputs]
        result = run_op(op, {}, _same_device(datas))
        if out is None:
            return result
        target = out[0] if isinstance(out, tuple) else out
        _copyto(target, result)
        return target

    __hash__ = DeviceArray.__hash__

    def __setitem__(self, key: Any, value: Any) -> None:
        raise NotImplementedError("tenkai: writing into part of a cuda tensor's storage from "
                                  "the host is not supported; use tensor indexing (x[i] = v "
                                  "runs as device kernels)")

    def _compare(self, other: Any) -> Any:
        raise NotImplementedError("tenkai: comparing a cuda tensor's storage with numpy "
                                  "operators is not supported (it would run on the host); "
                                  "use tensor ops (x == y, x < y) on the tensors")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _compare

    def __add__(self, other: Any) -> Any:
        return np.add(self, other)

    def __sub__(self, other: Any) -> Any:
        return np.subtract(self, other)

    def __mul__(self, other: Any) -> Any:
        return np.multiply(self, other)

    def __truediv__(self, other: Any) -> Any:
        return np.true_divide(self, other)

    def __iadd__(self, other: Any) -> Any:
        return np.add(self, other, out=self)

    def __isub__(self, other: Any) -> Any:
        return np.subtract(self, other, out=self)

    def __imul__(self, other: Any) -> Any:
        return np.multiply(self, other, out=self)

    def __itruediv__(self, other: Any) -> Any:
        return np.true_divide(self, other, out=self)


def _rebuild_data(host: np.ndarray, ordinal: int) -> CudaData:
    _install()
    return CudaData.from_host(context(ordinal), host)


def upload(arr: np.ndarray, dev: device) -> CudaData:
    """A new device array on ``dev`` (a cuda device with an index) holding ``arr``."""
    _install()
    return CudaData.from_host(context(dev.index or 0), arr)


def _same_device(datas: list[CudaData]) -> list[CudaData]:
    first = datas[0].ctx.ordinal
    for d in datas[1:]:
        if d.ctx.ordinal != first:
            raise RuntimeError(SAME_DEVICE.format(datas[0].tk_device, d.tk_device))
    return datas


def _expand(src: CudaData, shape: tuple[int, ...]) -> CudaData:
    if src.shape == tuple(shape):
        return src
    try:
        if np.broadcast_shapes(src.shape, tuple(shape)) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"could not broadcast input array from shape {src.shape} into shape "
                         f"{tuple(shape)}") from None
    if src.ndim < len(shape):
        src = src.reshape((1,) * (len(shape) - src.ndim) + src.shape)
    return run_op("expand", {"shape": tuple(shape)}, [src])


def _copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """``np.copyto`` with a cuda array on either side (``copy_`` across devices, as
    PyTorch's): device to device (cast and broadcast by kernels), host values uploaded into a
    cuda array, or a cuda array downloaded into a host one."""
    if where is not True:
        raise NotImplementedError("tenkai: a masked copy into a tensor on device='cuda' is not "
                                  "supported")
    if not isinstance(dst, CudaData):  # cpu_tensor.copy_(cuda_tensor): a download
        if not isinstance(dst, np.ndarray):
            raise RuntimeError(SAME_DEVICE.format(src.tk_device, "cpu"))
        np.copyto(dst, _expand(src, dst.shape).host(), casting="unsafe")
        return
    if isinstance(src, CudaData):
        _same_device([dst, src])
        if src.dtype != dst.dtype:
            src = run_op("cast", {"dtype": from_numpy(dst.dtype)}, [src])
        src = _expand(src, dst.shape)
        if dst.nbytes and src.ptr != dst.ptr:
            dst.copy_from(src)
        return
    host = np.asarray(src)
    if host.ndim and not isinstance(src, np.ndarray):
        raise NotImplementedError("tenkai: copying a non-array value into a tensor on "
                                  "device='cuda' is not supported")
    if host.ndim > 0 and host.shape != dst.shape and host.strides.count(0) != host.ndim:
        raise RuntimeError(SAME_DEVICE.format(dst.tk_device, "cpu"))
    dst.copy_from_host(np.array(np.broadcast_to(host, dst.shape), dst.dtype, order="C"))


def _root(a: DeviceArray) -> DeviceArray:
    return a if a.base is None else a.base


def _may_share_memory(a: Any, b: Any, max_work: Any = None) -> bool:
    if not (isinstance(a, CudaData) and isinstance(b, CudaData)):
        return False
    return _root(a) is _root(b)


def _broadcast_to(array: Any, shape: Any, subok: bool = False) -> CudaData:
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _expand(array, shape)


def _host_pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    devs = [x.tk_device if isinstance(x, CudaData) else "cpu" for x in (a, b)]
    if devs[0] != devs[1]:
        raise RuntimeError(SAME_DEVICE.format(*devs))
    return a.host(), b.host()


def _array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> bool:
    return bool(np.array_equal(*_host_pair(a1, a2), equal_nan=equal_nan))


def _allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
              equal_nan: bool = False) -> bool:
    return bool(np.allclose(*_host_pair(a, b), rtol, atol, equal_nan))


def _where(condition: Any, x: Any, y: Any) -> CudaData:
    ref = next(v for v in (x, y, condition) if isinstance(v, CudaData))
    dtype = next((v.dtype for v in (x, y) if isinstance(v, CudaData)), ref.dtype)
    ops = [v if isinstance(v, CudaData) else CudaData.from_host(
        ref.ctx, np.asarray(v, bool if k == 0 else dtype)) for k, v in enumerate((condition, x, y))]
    if ops[0].dtype != np.bool_:
        ops[0] = run_op("cast", {"dtype": "bool"}, [ops[0]])
    if ops[1].dtype != ops[2].dtype:
        raise NotImplementedError("tenkai: numpy.where on device='cuda' with two dtypes")
    return run_op("where", {}, _same_device(ops))


def _count_false(a: CudaData) -> int:
    """How many elements of ``a`` are false (counted on the GPU; the count read back)."""
    b = a if a.dtype == np.bool_ else run_op("cast", {"dtype": "bool"}, [a])
    n = run_op("cast", {"dtype": "int64"}, [run_op("logical_not", {}, [b])])
    return int(run_op("sum", {"axes": tuple(range(n.ndim)), "keepdim": False}, [n]).item())


def _all(a: Any, axis: Any = None, **kwargs: Any) -> np.bool_:
    if axis is not None or kwargs.get("out") is not None or kwargs.get("keepdims"):
        raise NotImplementedError("tenkai: numpy.all over axes of a cuda tensor's storage")
    return np.bool_(a.size == 0 or _count_false(a) == 0)


def _any(a: Any, axis: Any = None, **kwargs: Any) -> np.bool_:
    if axis is not None or kwargs.get("out") is not None or kwargs.get("keepdims"):
        raise NotImplementedError("tenkai: numpy.any over axes of a cuda tensor's storage")
    return np.bool_(a.size > 0 and _count_false(a) < a.size)


_NUMPY = {np.where: _where, np.all: _all, np.any: _any, np.copyto: _copyto,
          np.may_share_memory: _may_share_memory, np.shares_memory: _may_share_memory,
          np.broadcast_to: _broadcast_to, np.array_equal: _array_equal, np.allclose: _allclose}
_UFUNCS = {np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div"}


# ---------------------------------------------------------------- the eager op path


class _Kernel:
    """One op signature compiled for one GPU."""

    __slots__ = ("opdef", "attrs", "shape", "exe")

    def __init__(self, opdef: Any, attrs: dict[str, Any], shape: tuple[int, ...],
                 exe: Any) -> None:
        self.opdef, self.attrs, self.shape, self.exe = opdef, attrs, shape, exe


_KERNELS: dict[tuple, _Kernel] = {}
# host_round_trips: ops run on the host (see _cuda_host.HOST_OPS; by op: ROUND_TRIPS there);
# index_reads: cuda index/mask tensors read back by indexing
STATS = {"kernels_compiled": 0, "launches": 0, "views": 0, "uploaded_scalars": 0,
         "host_round_trips": 0, "index_reads": 0, "uploaded_constants": 0}


def _attr_key(attrs: dict[str, Any]) -> Any:
    items = tuple(attrs.items())
    try:
        hash(items)
        return items
    except TypeError:
        return repr(items)


def _kernel(op: str, attrs: dict[str, Any], datas: list[CudaData], ctx: Any) -> _Kernel:
    key = (op, _attr_key(attrs), ctx.ordinal, *[(d.shape, d.dtype) for d in datas])
    kernel = _KERNELS.get(key)
    if kernel is None or (kernel.exe is not None and kernel.exe.ctx is not ctx):
        kernel = _KERNELS[key] = _build(op, attrs, datas, ctx)  # (new, or a new driver's)
    return kernel


def _build(op: str, attrs: dict[str, Any], datas: list[CudaData], ctx: Any) -> _Kernel:
    """Check the op's rules (PyTorch's errors), then compile the one-op graph for "cuda"."""
    opdef = REGISTRY[op]
    full = opdef.normalize_attrs(attrs)
    shape = tuple(int(d) for d in opdef.shape_rule([d.shape for d in datas], full))
    opdef.dtype_rule([from_numpy(d.dtype) for d in datas], full)
    if op == "reshape":  # a view: no kernel
        return _Kernel(opdef, full, shape, None)
    from tenkai.codegen.target import describe
    from tenkai.compiler.backend import compile_graph
    from tenkai.ir.graph import Graph
    from tenkai.runtime.cuda.driver import CudaError, DriverUnavailable

    g = Graph(f"eager_{op}")
    ids = [g.add("input", shape=d.shape, dtype=from_numpy(d.dtype), name=f"x{k}")
           for k, d in enumerate(datas)]
    g.add_output(g.add(op, ids, **full))
    try:
        exe = compile_graph(g, describe("cuda")).executable
    except (CudaError, DriverUnavailable):
        raise
    except Exception as err:
        raise NotImplementedError(
            f"tenkai: the op '{op}' cannot run on device='cuda' yet: the cuda code generator "
            f"failed on it ({type(err).__name__}: {err}). Move the tensors to the CPU with "
            f".cpu() for this op.") from err
    if exe.ctx is not ctx:
        exe = exe.on(ctx)
    STATS["kernels_compiled"] += 1
    return _Kernel(opdef, full, shape, exe)


def _launch(kernel: _Kernel, datas: list[CudaData], ctx: Any) -> CudaData:
    if kernel.exe is None:
        src = datas[0].copy() if getattr(datas[0], "shared", False) else datas[0]
        return CudaData.view(src, kernel.shape)
    STATS["launches"] += 1
    out = kernel.exe.run_device({f"x{k}": d for k, d in enumerate(datas)}, CudaData)[0]
    assert out.ctx is ctx
    return out


def run_op(op: str, attrs: dict[str, Any], datas: list[CudaData], ctx: Any = None
           ) -> CudaData:
    """Registry op ``op`` on device arrays of one GPU (``ctx``: for an op without operands);
    a new device array (a view for reshape). Nothing is recorded."""
    ctx = datas[0].ctx if ctx is None else ctx
    return _launch(_kernel(op, attrs, datas, ctx), datas, ctx)


# while a backward pass replays on a GPU: that GPU's context (its graph's constants and
# source ops, made on the CPU by the replay, belong there)
_PLACING: list[Any] = [None]
# while an op that builds index/mask constants on the host runs (_cuda_host): CPU operands
# are uploaded to the GPU
UPLOADS = [False]


_SCALARS: dict[tuple, CudaData] = {}  # uploaded numbers, by (GPU, dtype, bytes)


def _scalar(ctx: Any, value: np.ndarray) -> CudaData:
    """A CPU 0-d operand on the GPU: uploaded once per value (kernels never write their
    operands; a view of one is copied, see _launch)."""
    key = (ctx.ordinal, value.dtype.str, value.tobytes())
    out = _SCALARS.get(key)
    if out is None or out.ctx is not ctx:
        if len(_SCALARS) > 1024:
            _SCALARS.clear()
        STATS["uploaded_scalars"] += 1
        out = _SCALARS[key] = CudaData.from_host(ctx, value)
        out.shared = True
    return out


def _operands(inputs: Any, datas: list[Any]) -> tuple[list[CudaData], Any]:
    """``(operands on one GPU, its context)``: CPU 0-d tensors uploaded (everything from the
    CPU while a backward pass replays on the GPU); any other mix raises."""
    first = next((d for d in datas if isinstance(d, CudaData)), None)
    ctx = _PLACING[0] if first is None else first.ctx
    out = []
    for d in datas:
        if isinstance(d, CudaData):
            if d.ctx is not ctx:
                raise RuntimeError(SAME_DEVICE.format(first.tk_device, d.tk_device))
            out.append(d)
        elif d.ndim == 0:
            out.append(_scalar(ctx, d))
        elif _PLACING[0] is not None or UPLOADS[0]:
            if _PLACING[0] is None:
                STATS["uploaded_constants"] += 1
            out.append(CudaData.from_host(ctx, np.asarray(d, order="C")))
        else:
            raise RuntimeError(SAME_DEVICE.format(first.tk_device, "cpu"))
    return out, ctx


def apply(op: str, inputs: Any, datas: list[Any], name: str | None,
          attrs: dict[str, Any]) -> Tensor | None:
    """``_ops.apply`` for an op with a cuda operand (None when there is none): run it on the
    GPU and record it for autograd, as the CPU path does."""
    for d in datas:
        if type(d) is CudaData:
            break
    else:
        if _PLACING[0] is None:
            return None
    operands, ctx = _operands(inputs, datas)
    kernel = _kernel(op, attrs, operands, ctx)
    out = _launch(kernel, operands, ctx)
    t = record(op, kernel.attrs, tuple(inputs), out, kernel.opdef.vjp is not None)
    if name is not None and t._node is not None:
        t._node.name = name
    if kernel.exe is None:  # reshape: a view of the input
        STATS["views"] += 1
        base = inputs[0]
        t._base = base._base if base._base is not None else base
        t._vc = base._vc
        if t._node is not None:
            bind(t._node, t)
    tracer = _trace.active()
    if tracer is not None:
        tracer.record_apply(op, inputs, kernel.attrs, t)
    return t


def _install() -> None:
    """Route ops with a cuda operand here (once the first cuda tensor is made)."""
    from . import _ops

    if _ops.DEVICE_APPLY[0] is None:
        _ops.DEVICE_APPLY[0] = apply
        for hook in ON_CUDA:  # (the host-op routing of _cuda_host, added by tenkai/__init__)
            hook()


# ---------------------------------------------------------------- moving tensors


def move(t: Tensor, dev: device) -> Tensor:
    """A new tensor holding ``t``'s values on ``dev`` (a copy through the host; nothing
    recorded)."""
    src = t._data
    host = src.host() if isinstance(src, CudaData) else src
    if dev.type != "cuda":
        return Tensor._make(host)  # (a new host array)
    return Tensor._make(upload(np.asarray(host, order="C"), dev))


def to_device(t: Tensor, dev: device) -> Tensor:
    """``t`` on ``dev`` (``t`` itself when it is there already): a copy through the host.
    While autograd records, a tensor that requires grad gets PyTorch's ``ToCopyBackward0``
    (its gradient moved back to ``t``'s device); while a compiled step traces, the copy is a
    node of the step's graph (see :func:`_traced_copy`)."""
    src = t._data
    here = src.tk_device if isinstance(src, CudaData) else None
    there = dev if dev.type == "cuda" else None
    if here == there:
        return t
    recorded = GRAD_MODE.enabled and t.requires_grad
    out = _to_copy().apply(t, dev) if recorded else move(t, dev)
    tracer = _trace.active()
    if tracer is not None:
        _traced_copy(tracer, t, out, dev)
    return out


_TO_COPY: list[Any] = []


def _to_copy() -> Any:
    """The autograd.Function of a copy between devices (made on first use); its grad_fn is
    named ``ToCopyBackward0`` as PyTorch's."""
    if not _TO_COPY:
        from .autograd.function import Function

        class ToCopy(Function):
            @staticmethod
            def forward(ctx: Any, x: Tensor, dev: device) -> Tensor:
                ctx.source = x.device
                return move(x, dev)

            @staticmethod
            def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
                return to_device(grad, ctx.source), None

        ToCopy._backward_cls.__name__ = ToCopy._backward_cls.__qualname__ = "ToCopyBackward0"
        _TO_COPY.append(ToCopy)
    return _TO_COPY[0]


def _traced_copy(tracer: Any, src: Tensor, out: Tensor, dev: device) -> None:
    """A copy between devices inside a traced step (``x.to(dev)`` of a CPU batch): the same
    value, one node of the step's graph (a cast to its own dtype, which the simplifier
    removes), its device recorded in ``graph.meta["device_copies"]`` for the step's placement
    (_cuda_steps). The source is a node of the trace (captured, as state, when the trace
    first reads it here: a CPU parameter the step moves is read afresh by every replay)."""
    nid = tracer.node_for(src)
    g = tracer.graph
    copy = g.add("cast", [nid], dtype=g.dtype(nid))
    tracer.bind(out, copy)
    g.meta.setdefault("device_copies", {})[copy] = str(dev) if dev.type == "cuda" else "cpu"
