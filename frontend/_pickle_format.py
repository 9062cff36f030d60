"""The pickle half of PyTorch's checkpoint format, without PyTorch.

``data.pkl`` in a ``torch.save`` archive is a protocol-2 pickle whose tensors are
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`` calls
and whose storages are persistent ids ``('storage', torch.FloatStorage, key, location, numel)``
pointing at ``data/<key>`` records. :class:`CheckpointPickler` writes that form for tenkai
tensors; :class:`WeightsUnpickler` reads it back, accepting only the globals listed in
:data:`SAFE_GLOBALS` (``weights_only=True``), as PyTorch's weights-only unpickler does.
"""

from __future__ import annotations

import codecs
import collections
import pickle
from typing import Any

import numpy as np

from . import _dtype
from ._device import device
from ._tensor import Size, Tensor
from .nn.parameter import Parameter

# torch storage class name <-> numpy dtype (tenkai's dtypes; the rest are named in errors)
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
    "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "UntypedStorage": "uint8",
}
STORAGE_OF_DTYPE = {v: k for k, v in STORAGE_DTYPES.items() if k != "UntypedStorage"}
UNSUPPORTED_STORAGES = {
    "BFloat16Storage": "torch.bfloat16", "ComplexFloatStorage": "torch.complex64",
    "ComplexDoubleStorage": "torch.complex128", "QInt8Storage": "torch.qint8",
    "QUInt8Storage": "torch.quint8", "QInt32Storage": "torch.qint32",
}
UNSUPPORTED_DTYPES = ("bfloat16", "complex32", "complex64", "complex128", "uint16", "uint32",
                      "uint64", "float8_e4m3fn", "float8_e5m2")


class Global:
    """A ``module.name`` reference written as a pickle GLOBAL without importing the module."""

    _cache: dict[tuple[str, str], Global] = {}

    def __new__(cls, module: str, name: str) -> Global:
        key = (module, name)
        if key not in cls._cache:  # one object per name, so the pickle memo reuses it
            obj = super().__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    module: str
    name: str

    def __call__(self, *args: Any) -> Any:  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a reference written into a pickle")


class StorageRef:
    """One storage of a checkpoint: a flat numpy array plus its archive key."""

    def __init__(self, key: str, array: np.ndarray, location: str = "cpu") -> None:
        self.key, self.array, self.location = key, array, location


class StorageType:
    """What a ``torch.FloatStorage`` global reads as: the element type of its storages."""

    def __init__(self, name: str) -> None:
        self.name = name

    def numpy_dtype(self) -> np.dtype:
        if self.name in UNSUPPORTED_STORAGES:
            raise NotImplementedError(
                f"load: tensors of dtype {UNSUPPORTED_STORAGES[self.name]} are not supported by "
                f"tenkai (no such dtype); convert them before saving, e.g. t.float()")
        return np.dtype(STORAGE_DTYPES[self.name])


# ---------------------------------------------------------------- writing


def _storage_of(array: np.ndarray, storages: dict[int, StorageRef]) -> tuple[StorageRef, int]:
    """The storage that ``array`` views (shared between views of one buffer) and its offset."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    itemsize = array.itemsize
    shares = (root.dtype == array.dtype and root.flags.c_contiguous
              and all(s >= 0 and s % itemsize == 0 for s in array.strides))
    if not shares:  # a view torch cannot express (negative strides, reinterpreted dtype)
        root = np.ascontiguousarray(array)
        array = root
    ref = storages.get(id(root))
    if ref is None:
        ref = StorageRef(str(len(storages)), root.reshape(-1))
        storages[id(root)] = ref  # ref.array views root, which keeps the id unique
    ptr = array.__array_interface__["data"][0]
    offset = (ptr - root.__array_interface__["data"][0]) // itemsize if array.size else 0
    return ref, offset


class _TensorData:
    """The plain tensor inside a pickled Parameter (``_rebuild_parameter(data, ...)``)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def _rebuild_args(pickler: CheckpointPickler, array: np.ndarray, requires_grad: bool) -> tuple:
    if array.dtype.name not in STORAGE_OF_DTYPE:
        raise TypeError(f"save: tensors of dtype {array.dtype} cannot be saved")
    location = "cpu"
    if type(array) is not np.ndarray and hasattr(array, "tk_device"):
        location, array = str(array.tk_device), array.host()  # a cuda tensor: its values
    if not array.dtype.isnative:  # the archive's byteorder record speaks for every storage
        array = array.astype(array.dtype.newbyteorder("="))
    ref, offset = _storage_of(array, pickler.storages)
    ref.location = location
    stride = tuple(s // array.itemsize for s in array.strides)
    return (ref, offset, Size(array.shape), stride, requires_grad, collections.OrderedDict())


class CheckpointPickler(pickle._Pickler):  # type: ignore[name-defined]
    """Pickles tenkai tensors, parameters, dtypes, devices and sizes as PyTorch does."""

    dispatch = dict(pickle._Pickler.dispatch)  # type: ignore[attr-defined]

    def __init__(self, file: Any, protocol: int = 2) -> None:
        super().__init__(file, protocol=protocol)
        self.storages: dict[int, StorageRef] = {}

    def save_global_ref(self, obj: Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[Global] = save_global_ref

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, StorageRef):
            kind = STORAGE_OF_DTYPE[obj.array.dtype.name]
            return ("storage", Global("torch", kind), obj.key, obj.location, obj.array.size)
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Parameter):
            return (Global("torch._utils", "_rebuild_parameter"),
                    (_TensorData(obj._data), obj.requires_grad, collections.OrderedDict()))
        if isinstance(obj, Tensor):
            return (Global("torch._utils", "_rebuild_tensor_v2"),
                    _rebuild_args(self, obj._data, obj.requires_grad))
        if isinstance(obj, _TensorData):
            return (Global("torch._utils", "_rebuild_tensor_v2"),
                    _rebuild_args(self, obj.array, False))
        if isinstance(obj, Size):
            return (Global("torch", "Size"), (tuple(obj),))
        if isinstance(obj, device):
            return (Global("torch", "device"), (str(obj),))
        return NotImplemented

    def save_dtype(self, obj: _dtype.dtype) -> None:
        self.save_global_ref(Global("torch", obj.name))

    dispatch[_dtype.dtype] = save_dtype


# ---------------------------------------------------------------- reading


def rebuild_tensor_v2(storage: np.ndarray, storage_offset: int, size: Any, stride: Any,
                      requires_grad: bool = False, backward_hooks: Any = None,
                      metadata: Any = None) -> Tensor:
    """``torch._utils._rebuild_tensor_v2``: a view of ``storage`` (views keep sharing it)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"load: corrupt tensor record: size {size} and stride {stride} differ "
                           "in length")
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) \
        if all(size) else storage_offset - 1
    if not 0 <= storage_offset <= storage.size or last >= storage.size \
            or min(stride, default=0) < 0:
        raise RuntimeError(f"load: corrupt tensor record: size {list(size)}, stride "
                           f"{list(stride)} and offset {storage_offset} exceed a storage of "
                           f"{storage.size} elements")
    item = storage.itemsize
    # np.ndarray over the storage keeps ``storage`` as the view's base: views loaded from one
    # storage share memory, and saving them again writes that storage once
    array = np.ndarray(size, storage.dtype, buffer=storage, offset=storage_offset * item,
                       strides=tuple(s * item for s in stride))
    t = Tensor._make(array)
    target = getattr(storage, "tk_location", None)
    if target is not None:  # a storage restored on a GPU (load's map_location)
        from ._cuda_tensor import to_device

        t = to_device(t, device(target))
    if requires_grad:
        t.requires_grad_(True)
    return t


def rebuild_tensor_v3(storage: np.ndarray, storage_offset: int, size: Any, stride: Any,
                      requires_grad: bool, backward_hooks: Any, dtype: Any,
                      metadata: Any = None) -> Tensor:
    """``torch._utils._rebuild_tensor_v3``: the element type comes as an argument."""
    if not isinstance(dtype, _dtype.dtype):
        raise NotImplementedError(f"load: tensors of dtype {dtype} are not supported by tenkai")
    target = dtype.to_numpy()
    if storage.dtype != target:
        storage = storage.view(np.uint8).view(target)
    return rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad)


def rebuild_tensor(storage: np.ndarray, storage_offset: int, size: Any, stride: Any) -> Tensor:
    return rebuild_tensor_v2(storage, storage_offset, size, stride)


def rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks: Any = None,
                      state: Any = None) -> Any:
    return Parameter(data, requires_grad)


def rebuild_from_type_v2(func: Any, new_type: Any, args: tuple, state: Any) -> Any:
    """``torch._tensor._rebuild_from_type_v2`` for plain tensors and parameters."""
    out = func(*args)
    if new_type is Parameter and not isinstance(out, Parameter):
        out = Parameter(out, out.requires_grad)
    elif new_type not in (Tensor, Parameter):
        raise pickle.UnpicklingError(f"load: tensor subclass {new_type} is not supported")
    return out


def _torch_dtype(name: str) -> Any:
    if name in _dtype.BY_NAME:
        return _dtype.BY_NAME[name]
    alias = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
             "int": "int32", "short": "int16"}.get(name)
    if alias:
        return _dtype.BY_NAME[alias]
    raise NotImplementedError(f"load: torch.{name} is not a dtype tenkai supports")


def _safe_globals() -> dict[str, Any]:
    table: dict[str, Any] = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch.nn.parameter.Parameter": _parameter_class(),
        "torch.Tensor": Tensor,
        "torch.Size": Size,
        "torch.device": device,
        "_codecs.encode": codecs.encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.frozenset": frozenset,
        "builtins.complex": complex,
        "builtins.slice": slice,
        "builtins.range": range,
    }
    for name in list(STORAGE_DTYPES) + list(UNSUPPORTED_STORAGES):
        table[f"torch.{name}"] = StorageType(name)
    for name in list(_dtype.BY_NAME) + list(UNSUPPORTED_DTYPES) + ["float", "double", "half",
                                                                   "long", "int", "short"]:
        table[f"torch.{name}"] = (_dtype.BY_NAME[name] if name in _dtype.BY_NAME
                                  else _LazyDtype(name))
    return table


class _LazyDtype:
    """A torch dtype tenkai lacks: loading a file that only names it is fine; using it fails."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


def _parameter_class() -> Any:
    return Parameter


SAFE_GLOBALS: dict[str, Any] = {}
USER_SAFE_GLOBALS: dict[str, Any] = {}


def allowed_globals() -> dict[str, Any]:
    if not SAFE_GLOBALS:
        SAFE_GLOBALS.update(_safe_globals())
    return {**SAFE_GLOBALS, **USER_SAFE_GLOBALS}


UNSAFE_MESSAGE = (
    "Re-running `tenkai.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source.")


def refusal(full_path: str) -> str:
    """PyTorch's wording for a global the weights-only unpickler refuses."""
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint. "
        f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please "
        "check the recommended steps in the following error message.\n\tWeightsUnpickler error: "
        f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. Please "
        f"use `tenkai.serialization.add_safe_globals([{full_path.rsplit('.', 1)[-1]}])` or the "
        f"`tenkai.serialization.safe_globals([{full_path.rsplit('.', 1)[-1]}])` context manager "
        "to allowlist this global if you trust this class/function.")


class RefusedGlobal(pickle.UnpicklingError):
    """A global the unpickler will not resolve (a policy decision, not file damage)."""


class WeightsUnpickler(pickle.Unpickler):
    """Resolves only allowlisted globals; storages come from ``load_storage(key, type, n)``."""

    def __init__(self, file: Any, load_storage: Any, weights_only: bool = True,
                 encoding: str = "utf-8") -> None:
        super().__init__(file, encoding=encoding)
        self.load_storage, self.weights_only = load_storage, weights_only

    def find_class(self, module: str, name: str) -> Any:
        if module == "__builtin__":  # protocol-2 pickles name builtins by their Python 2 module
            module = "builtins"
        full = f"{module}.{name}"
        table = allowed_globals()
        if full in table:
            return table[full]
        if self.weights_only:
            raise RefusedGlobal(refusal(full))
        if module == "torch" or module.startswith("torch."):
            raise RefusedGlobal(
                f"load: {full} has no tenkai equivalent; only tensors, parameters, dtypes and "
                "plain containers of them can be read from a PyTorch checkpoint. Save the "
                "model's state_dict() instead, or load the model with torch and convert it "
                "with tenkai.from_torch")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"load: unknown persistent id {pid!r} (a corrupt or "
                                         "non-PyTorch checkpoint)")
        _, storage_type, key, location, numel = pid[:5]
        if not isinstance(storage_type, StorageType):
            raise pickle.UnpicklingError(f"load: {storage_type!r} is not a storage type")
        return self.load_storage(str(key), storage_type.numpy_dtype(), int(numel),
                                 str(location), pid[5:])
