"""Ops on cuda tensors whose implementation needs values on the host: explicit round trips.

Some tenkai ops compute positions with numpy on the host (sorting, selections whose size
depends on the values, unique values ...). On a cuda tensor they run as a documented *host
round trip*, as PyTorch synchronizes for ``nonzero`` / ``masked_select``: the cuda operands are
downloaded (``.cpu()``, recorded as ``ToCopyBackward0`` when they require grad), the same CPU
implementation runs, and the tensors it returns are uploaded to the operands' GPU (again
``ToCopyBackward0``): the same values and dtypes as on the CPU, the results on the cuda
device, autograd intact (gradients flow back through the two copies). :data:`HOST_OPS` lists
them; ``tenkai._cuda_tensor.STATS["host_round_trips"]`` counts the calls and
:data:`ROUND_TRIPS` counts them by op.

Indexing (``x[i]``, ``x[mask]``, ``x[i] = v``, ``x[mask] = v``, ``index_put_``) and the ops
in :data:`INDEX_CONSTANT_OPS` (``flip``, ``tril``, ``scatter``, ``F.interpolate`` ...) build
index or mask constants on the host: they stay on the device kernels, those constants
uploaded to the GPU (as PyTorch copies a CPU index to the device); a cuda index or mask tensor
whose values the implementation reads (the key of ``x[...]``, the mask of
``masked_scatter``, the index of ``take``) is read back first (a boolean mask's positions
are found on the host, as PyTorch synchronizes there too; counted in
``STATS["index_reads"]``). A CPU index tensor is accepted with a cuda tensor, as in PyTorch;
any other CPU tensor (not 0-d) with a cuda one raises PyTorch's same-device RuntimeError.

The routing is installed when the first cuda tensor is made (:func:`install`): the ``tenkai``
and ``tenkai.nn.functional`` functions and ``Tensor`` methods of these names are wrapped
then, so a process without cuda tensors runs the plain CPU functions.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import numpy as np

from ._device import CPU
from ._tensor import Tensor

# run as host round trips (the CPU implementation, operands downloaded, results uploaded)
HOST_OPS = ("sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
            "nonzero", "argwhere", "unique", "unique_consecutive", "masked_select", "bincount",
            "histc", "searchsorted", "bucketize", "isin", "multinomial", "nanquantile",
            "quantile", "where", "scatter_reduce", "embedding_bag")
# kernels on the device; their index/mask constants (made on the host) uploaded
INDEX_CONSTANT_OPS = ("__getitem__", "__setitem__", "index_put_", "index_put", "flip",
                      "fliplr", "flipud", "rot90", "tril", "triu", "tril_", "triu_", "cummax",
                      "cummin", "repeat_interleave", "roll", "masked_fill", "masked_fill_",
                      "masked_scatter", "masked_scatter_", "diagonal", "diag", "diag_embed",
                      "trace", "take", "take_along_dim", "index_select", "index_fill",
                      "index_fill_", "index_add", "index_add_", "index_copy", "index_copy_",
                      "scatter", "scatter_", "unfold", "combinations", "interpolate", "put",
                      "put_")
# the arguments (after the tensor) of those ops read back to the host first: masks and
# indices whose values the implementation reads with numpy
_HOST_ARGS = {"masked_scatter": 0, "masked_scatter_": 0, "take": 0, "put": 0, "put_": 0}
ROUND_TRIPS: Counter[str] = Counter()


def _tensors(args: Any, kwargs: dict[str, Any]) -> list[Tensor]:
    out: list[Tensor] = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            out.append(a)
        elif isinstance(a, (tuple, list)):
            out += [t for t in a if isinstance(t, Tensor)]
    return out


def _cuda_device(tensors: list[Tensor]) -> Any:
    """The GPU of the cuda tensors among ``tensors`` (None when there is none); a CPU tensor
    (not 0-d) or a second GPU with them raises PyTorch's same-device error."""
    from ._cuda_tensor import SAME_DEVICE, CudaData

    gpu = None
    for t in tensors:
        if type(t._data) is CudaData:
            dev = t._data.tk_device
            if gpu is None:
                gpu = dev
            elif dev != gpu:
                raise RuntimeError(SAME_DEVICE.format(gpu, dev))
    if gpu is not None:
        for t in tensors:
            if type(t._data) is not CudaData and t._data.ndim:
                raise RuntimeError(SAME_DEVICE.format(gpu, "cpu"))
    return gpu


def _moved(value: Any, dev: Any) -> Any:
    from ._cuda_tensor import to_device

    if isinstance(value, Tensor):
        return to_device(value, dev)
    if isinstance(value, list):
        return [_moved(v, dev) for v in value]
    if isinstance(value, tuple):
        items = [_moved(v, dev) for v in value]
        return tuple(items) if type(value) is tuple else type(value)(*items)  # (return_types)
    return value


def round_trip(name: str, fn: Any) -> Any:
    """``fn`` (a CPU implementation) run as a host round trip for cuda operands."""
    only_one = name == "where"  # (where(cond): the positions; where(cond, x, y): a kernel)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if only_one and len(args) + len(kwargs) != 1:
            return fn(*args, **kwargs)
        gpu = _cuda_device(_tensors(args, kwargs))
        if gpu is None:
            return fn(*args, **kwargs)
        if kwargs.get("out") is not None:
            raise NotImplementedError(f"tenkai: {name}(..., out=) on device='cuda' is not "
                                      "supported; use the returned tensor")
        from ._cuda_tensor import STATS

        STATS["host_round_trips"] += 1
        ROUND_TRIPS[name] += 1
        result = fn(*_moved(list(args), CPU), **{k: _moved(v, CPU) for k, v in kwargs.items()})
        return _moved(result, gpu)
    run.tk_host_round_trip = True  # type: ignore[attr-defined]
    return run


def _index_on_host(key: Any) -> Any:
    """A key with its cuda index/mask tensors read back to the host (counted)."""
    from ._cuda_tensor import STATS, CudaData, move

    if isinstance(key, Tensor) and type(key._data) is CudaData:
        STATS["index_reads"] += 1
        return move(key, CPU)
    if isinstance(key, tuple):
        return tuple(_index_on_host(k) for k in key)
    if isinstance(key, list) and any(isinstance(k, Tensor) for k in key):
        return [_index_on_host(k) for k in key]
    return key


def with_index_constants(name: str, fn: Any) -> Any:
    """``fn`` on cuda tensors with the index/mask constants it makes on the host uploaded
    (indexing: the key's cuda tensors read back first)."""
    indexing = name in ("__getitem__", "__setitem__", "index_put_", "index_put")
    read = _HOST_ARGS.get(name)

    @functools.wraps(fn)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        if indexing:
            if type(getattr(self, "_data", None)) is np.ndarray:  # (a CPU tensor: as before)
                return fn(self, *args, **kwargs)
            if name == "__setitem__" or name.startswith("index_put"):
                key, rest = _index_on_host(args[0]), args[1:]
                values = [v for v in (*rest, *kwargs.values()) if isinstance(v, Tensor)]
                _cuda_device([self, *values])  # (the values: on the GPU, or CPU scalars)
                args = (key, *rest)
            else:
                args = (_index_on_host(args[0]), *args[1:])
        elif _cuda_device(_tensors((self, *args), kwargs)) is None:
            return fn(self, *args, **kwargs)
        elif read is not None and len(args) > read:
            args = (*args[:read], _index_on_host(args[read]), *args[read + 1:])
        from ._cuda_tensor import UPLOADS  # (CPU operands go to the GPU meanwhile)

        prev = UPLOADS[0]
        UPLOADS[0] = True
        try:
            return fn(self, *args, **kwargs)
        finally:
            UPLOADS[0] = prev
    return run


_INSTALLED = [False]


def install(owners: tuple[Any, ...]) -> None:
    """Wrap the functions and methods named in HOST_OPS and INDEX_CONSTANT_OPS of ``owners``
    (the ``tenkai`` module, ``tenkai.nn.functional``, ``Tensor``: passed in by
    tenkai/__init__, which registers this in ``_device.ON_CUDA``), once."""
    if _INSTALLED[0]:
        return
    _INSTALLED[0] = True
    for names, wrap in ((HOST_OPS, round_trip), (INDEX_CONSTANT_OPS, with_index_constants)):
        for name in names:
            for owner in owners:
                fn = owner.__dict__.get(name) if isinstance(owner, type) else getattr(
                    owner, name, None)
                if fn is None or not callable(fn) or getattr(fn, "tk_wrapped", False):
                    continue
                wrapped = wrap(name, fn)
                wrapped.tk_wrapped = True  # type: ignore[attr-defined]
                setattr(owner, name, wrapped)
