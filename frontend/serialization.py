"""``tenkai.save`` / ``tenkai.load``: PyTorch's checkpoint files, read and written without PyTorch.

A checkpoint is a zip archive (stored, not compressed) holding ``archive/data.pkl`` (the object,
pickled with protocol 2, see :mod:`tenkai._pickle_format`), one ``archive/data/<key>`` record per
storage (raw little-endian bytes, 64-byte aligned as PyTorch aligns them), ``archive/version``,
``archive/byteorder`` and PyTorch's bookkeeping records. ``torch.load`` reads what
``tenkai.save`` writes and the other way round; views of one storage stay views of one storage.

>>> import tenkai
>>> tenkai.save({"w": tenkai.ones(2)}, "/tmp/w.pt")
>>> tenkai.load("/tmp/w.pt")
{'w': tensor([1., 1.])}
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _pickle_format as fmt
from ._device import device
from ._tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals", "get_unsafe_globals_in_checkpoint"]

DEFAULT_PROTOCOL = 2
ALIGNMENT = 64  # PyTorch aligns each record's data to 64 bytes (its mmap loading relies on it)
CHUNK = 1 << 22  # storages are written in 4 MiB pieces
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


# ---------------------------------------------------------------- safe globals


def _qualified(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: list[Any]) -> None:
    """Allow these classes/functions in ``weights_only=True`` loads (PyTorch's API)."""
    for obj in safe_globals:
        if isinstance(obj, tuple):
            obj, name = obj
            fmt.USER_SAFE_GLOBALS[name] = obj
        else:
            fmt.USER_SAFE_GLOBALS[_qualified(obj)] = obj


def get_safe_globals() -> list[Any]:
    return list(fmt.USER_SAFE_GLOBALS.values())


def clear_safe_globals() -> None:
    fmt.USER_SAFE_GLOBALS.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list[Any]) -> Iterator[None]:
    """Context manager form of :func:`add_safe_globals`."""
    saved = dict(fmt.USER_SAFE_GLOBALS)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        fmt.USER_SAFE_GLOBALS.clear()
        fmt.USER_SAFE_GLOBALS.update(saved)


def get_unsafe_globals_in_checkpoint(f: Any) -> list[str]:
    """The globals in a zip checkpoint that ``weights_only=True`` would refuse (nothing is run).

    ``tenkai.serialization.get_unsafe_globals_in_checkpoint("model.pt")`` -> ``['os.system']``
    """
    import pickletools

    with zipfile.ZipFile(f) as zf:
        pkl = next(n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") == 1)
        data = zf.read(pkl)
    found, strings = set(), []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("GLOBAL", "INST"):
            module, name = str(arg).split(" ", 1)
            found.add(f"{'builtins' if module == '__builtin__' else module}.{name}")
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(f"{strings[-2]}.{strings[-1]}")
        elif isinstance(arg, str):
            strings.append(arg)
    allowed = fmt.allowed_globals()
    return sorted(g for g in found if g not in allowed)


# ---------------------------------------------------------------- saving


def save(obj: Any, f: Any, pickle_module: Any = pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Write ``obj`` (tensors, state dicts, optimizer state, containers) in PyTorch's format.

    ``f`` is a path (written atomically: a temporary file in the same folder is flushed,
    fsynced and renamed over the target) or a binary file object.
    ``tenkai.save(model.state_dict(), "model.pth")``
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("save: the legacy (pre-1.6) checkpoint format is read but not "
                                  "written by tenkai; drop _use_new_zipfile_serialization=False")
    if pickle_module is not pickle:
        raise NotImplementedError("save: only the standard pickle module is supported")
    buffer = io.BytesIO()
    pickler = fmt.CheckpointPickler(buffer, protocol=pickle_protocol)
    pickler.dump(obj)  # every pickling error happens here, before any file is touched
    records = _records(buffer.getvalue(), pickler.storages, not _disable_byteorder_record)
    if isinstance(f, (str, os.PathLike)):
        atomic_write(os.fspath(f), lambda fh: _write_archive(fh, records))
    elif hasattr(f, "write"):
        if _seekable(f):
            _write_archive(f, records)
        else:
            staged = io.BytesIO()
            _write_archive(staged, records)
            f.write(staged.getvalue())
    else:
        raise TypeError(f"save: expected a path or a writable binary file object, got "
                        f"{type(f).__name__}")


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable()) and isinstance(f.tell(), int)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False


def _records(pickled: bytes, storages: dict[int, fmt.StorageRef],
             byteorder: bool) -> list[tuple[str, Any]]:
    records: list[tuple[str, Any]] = [("data.pkl", pickled), (".format_version", b"1"),
                                      (".storage_alignment", str(ALIGNMENT).encode())]
    if byteorder:
        records.append(("byteorder", sys.byteorder.encode()))
    for ref in sorted(storages.values(), key=lambda r: int(r.key)):
        records.append((f"data/{ref.key}", ref.array))
    serial = "".join(str(b % 10) for b in os.urandom(40))  # leaves Python's `random` alone
    records += [("version", b"3\n"), (".data/serialization_id", serial.encode())]
    return records


def atomic_write(path: str, write: Any) -> None:
    """Call ``write(fh)`` on a temporary file next to ``path``, fsync it, rename it over ``path``.

    An exception (or a killed process) leaves whatever was at ``path`` untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _new_file_mode(path: str) -> int:
    with contextlib.suppress(OSError):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_archive(fh: Any, records: list[tuple[str, Any]], prefix: str = "archive") -> None:
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        for name, payload in records:
            data = memoryview(payload.reshape(-1)).cast("B") if isinstance(payload, np.ndarray) \
                else memoryview(payload)
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = data.nbytes
            zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT
            header = 30 + len(info.filename.encode()) + (20 if zip64 else 0) + 4
            pad = (-(zf.start_dir + header)) % ALIGNMENT
            info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # PyTorch's "FB" padding
            with zf.open(info, "w") as dest:
                _write_chunks(dest, data)


def _write_chunks(dest: Any, data: memoryview) -> None:
    for start in range(0, data.nbytes, CHUNK):
        dest.write(data[start:start + CHUNK])


# ---------------------------------------------------------------- loading


def load(f: Any, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Read a checkpoint written by ``tenkai.save`` or ``torch.save``.

    ``weights_only=True`` (the default) accepts only tensors, parameters, dtypes, sizes,
    ``OrderedDict`` and plain containers/scalars; any other global is refused by name.
    ``model.load_state_dict(tenkai.load("model.pth"))``
    """
    if weights_only is None:
        weights_only = True
    if pickle_module not in (None, pickle):
        raise NotImplementedError("load: only the standard pickle module is supported")
    encoding = pickle_load_args.pop("encoding", "utf-8")  # 'latin1' for Python 2 pickles
    if pickle_load_args:
        raise TypeError(f"load() got unexpected keyword argument(s) {sorted(pickle_load_args)}")
    is_path = isinstance(f, (str, os.PathLike))
    if mmap and not is_path:
        raise ValueError("load: f must be a file path in order to use the mmap argument")
    mapper = _location_mapper(map_location)
    if is_path:
        with open(f, "rb") as fh:
            return _load_stream(fh, repr(os.fspath(f)), mapper, weights_only, encoding,
                                os.fspath(f) if mmap else None)
    if not hasattr(f, "read"):
        raise TypeError(f"load: expected a path or a readable binary file object, got "
                        f"{type(f).__name__}")
    if not _seekable(f):
        f = io.BytesIO(f.read())
    return _load_stream(f, "the file object", mapper, weights_only, encoding, None)


def _load_stream(fh: Any, name: str, mapper: Any, weights_only: bool, encoding: str,
                 mmap_path: str | None) -> Any:
    start = fh.tell()
    head = fh.read(262)
    fh.seek(start)
    if isinstance(head, str):
        raise TypeError("load: the file object must be opened in binary mode ('rb')")
    if head[:4] == b"PK\x03\x04":
        return _guarded(name, lambda: _load_zip(fh, mapper, weights_only, encoding, mmap_path))
    if head[:2] == b"\x80\x02" and len(head) > 2:
        if mmap_path:
            raise RuntimeError("load: mmap can only be used with files saved with "
                               "`torch.save(_use_new_zipfile_serialization=True), please "
                               "torch.save your checkpoint with this option in order to use mmap.")
        return _guarded(name, lambda: _load_legacy(fh, mapper, weights_only, encoding))
    if not head:
        raise RuntimeError(f"load: {name} is empty (0 bytes), not a checkpoint")
    if head[257:262] == b"ustar":
        raise NotImplementedError("load: the tar-based checkpoint format of PyTorch < 0.4 is not "
                                  "supported; re-save the file with a newer PyTorch")
    raise RuntimeError(f"PytorchStreamReader failed reading zip archive: failed finding central "
                       f"directory (load: {name} is not a PyTorch checkpoint, or is truncated)")


def _guarded(name: str, read: Any) -> Any:
    """Turn every way a damaged file can fail into one clear error; never a partial result."""
    try:
        return read()
    except fmt.RefusedGlobal:
        raise
    except pickle.UnpicklingError as err:
        raise RuntimeError(f"load: {name} is corrupt: {err}") from err
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, struct.error, KeyError,
            ValueError, IndexError, OverflowError, zlib.error) as err:
        raise RuntimeError(f"load: {name} is truncated or corrupt ({type(err).__name__}: "
                           f"{err}); nothing was loaded") from err


def _location_mapper(map_location: Any) -> Any:
    """``map_location`` (None, str, device, dict or callable) -> location -> device string."""
    def default(location: str) -> str:
        if location.startswith("cuda"):
            from ._device import cuda_device_count

            if cuda_device_count() == 0:
                raise RuntimeError(
                    "Attempting to deserialize object on a CUDA device but "
                    "torch.cuda.is_available() is False. If you are running on a CPU-only "
                    "machine, please use torch.load with map_location=torch.device('cpu') to "
                    "map your storages to the CPU.")
            return str(device(location))
        if location != "cpu":
            raise RuntimeError(f"don't know how to restore data location of {location}")
        return "cpu"

    if map_location is None:
        return default
    if isinstance(map_location, (str, device)):
        target = str(device(map_location))
        return lambda location: default(target)
    if isinstance(map_location, dict):
        return lambda location: default(str(map_location.get(location, location)))
    if callable(map_location):
        return lambda location: map_location  # applied to each storage in _place
    raise TypeError(f"load: map_location should be a str, device, dict or callable, got "
                    f"{type(map_location).__name__}")


def _place(storage: np.ndarray, location: str, mapper: Any) -> np.ndarray:
    where = mapper(location)
    if callable(where):  # PyTorch's map_location(storage, location) form
        moved = where(Tensor._make(storage), location)
        if moved is None:
            return storage
        return moved._data if isinstance(moved, Tensor) else np.asarray(moved)
    if where.startswith("cuda"):  # the tensors viewing it are copied to that GPU
        marked = storage.view(_GpuStorage)
        marked.tk_location = where
        return marked
    return storage


class _GpuStorage(np.ndarray):
    """A loaded storage whose tensors go to the GPU ``tk_location`` (``cuda:N``)."""

    tk_location: str = "cpu"


def _load_zip(fh: Any, mapper: Any, weights_only: bool, encoding: str,
              mmap_path: str | None) -> Any:
    with zipfile.ZipFile(fh) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if not pkl:
            raise KeyError("no data.pkl record")
        prefix = pkl[0][: -len("data.pkl")]
        byteorder = "little"
        if f"{prefix}byteorder" in names:
            byteorder = zf.read(f"{prefix}byteorder").decode().strip()
        loaded: dict[str, np.ndarray] = {}

        def load_storage(key: str, dtype: np.dtype, numel: int, location: str,
                         rest: tuple) -> np.ndarray:
            if key not in loaded:
                record = f"{prefix}data/{key}"
                size = zf.getinfo(record).file_size
                if size < numel * dtype.itemsize:
                    raise ValueError(f"storage data/{key} holds {size} bytes, the pickle "
                                     f"expects {numel} elements of {dtype}")
                # one array per storage, owning its bytes: tensors viewing it share it, and
                # saving them again writes one storage
                storage = _mapped(zf, fh, record, mmap_path, dtype, numel) if mmap_path \
                    else np.frombuffer(_read_record(zf, record), dtype, count=numel)
                if byteorder != sys.byteorder and dtype.itemsize > 1:
                    storage = storage.byteswap()
                loaded[key] = _place(storage, location, mapper)
            storage = loaded[key]
            if storage.dtype != dtype:  # one storage read as two dtypes: reinterpret bytes
                storage = storage.view(np.uint8)[: numel * dtype.itemsize].view(dtype)
            return storage

        unpickler = fmt.WeightsUnpickler(io.BytesIO(zf.read(pkl[0])), load_storage, weights_only,
                                         encoding)
        return unpickler.load()


def _mapped(zf: zipfile.ZipFile, fh: Any, record: str, path: str, dtype: np.dtype,
            numel: int) -> np.ndarray:
    """A stored record mapped copy-on-write from the file (``mmap=True``): nothing is read."""
    info = zf.getinfo(record)
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"record {record} is compressed and cannot be memory-mapped")
    fh.seek(info.header_offset)
    local = fh.read(30)
    if local[:4] != b"PK\x03\x04":
        raise ValueError(f"record {record} has no local header")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    offset = info.header_offset + 30 + name_len + extra_len
    if numel == 0:
        return np.zeros(0, dtype)
    mapped = np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=(numel,))
    return np.ndarray((numel,), dtype, buffer=mapped)


def _read_record(zf: zipfile.ZipFile, name: str) -> bytearray:
    """A record's bytes, read in chunks into one buffer; reading to the end checks its CRC-32."""
    info = zf.getinfo(name)
    out = bytearray(info.file_size)
    view = memoryview(out)
    with zf.open(info) as src:
        pos = 0
        while pos < len(out):
            chunk = src.read(min(CHUNK, len(out) - pos))
            if not chunk:
                raise EOFError(f"record {name} ends after {pos} of {len(out)} bytes")
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
        if src.read(1):
            raise ValueError(f"record {name} is longer than its header says")
    return out


def _load_legacy(stream: Any, mapper: Any, weights_only: bool, encoding: str) -> Any:
    """PyTorch's pre-1.6 format: magic, protocol, sys info, the object, keys, raw storages."""
    pending: dict[str, np.ndarray] = {}

    def load_storage(key: str, dtype: np.dtype, numel: int, location: str,
                     rest: tuple) -> np.ndarray:
        if key not in pending:
            pending[key] = np.zeros(numel, dtype)  # filled from the file after the pickle
        storage = pending[key]
        if rest and rest[0] is not None:
            view_key, offset, size = rest[0]
            raise NotImplementedError(f"load: legacy storage views ({view_key}) are not "
                                      "supported; re-save the checkpoint with PyTorch >= 1.6")
        return _place(storage, location, mapper) if storage.dtype == dtype \
            else storage.view(dtype)

    def read_pickle() -> Any:
        return fmt.WeightsUnpickler(stream, load_storage, weights_only, encoding).load()

    if read_pickle() != LEGACY_MAGIC:
        raise ValueError("invalid magic number; corrupt file?")
    if read_pickle() != LEGACY_PROTOCOL:
        raise ValueError("invalid protocol version")
    read_pickle()  # sys info: byte order and type sizes of the writer
    result = read_pickle()
    for key in read_pickle():
        storage = pending[str(key)]
        (count,) = struct.unpack("<q", stream.read(8))
        data = stream.read(count * storage.itemsize)
        if count != storage.size or len(data) != storage.nbytes:
            raise ValueError(f"storage {key} is truncated")
        storage[:] = np.frombuffer(data, storage.dtype)
    return result
