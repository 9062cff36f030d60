"""``tenkai.safetensors``: the safetensors file format, read and written without dependencies.

The format is small enough to implement directly (and so needs no optional package): an
8-byte little-endian header length, a JSON header mapping each name to its dtype, shape and
``data_offsets`` (plus an optional ``__metadata__`` dict of strings), then the tensors' raw
little-endian bytes back to back. Files are interchangeable with the ``safetensors`` package's
(its tests here check both directions when it is installed). The API mirrors
``safetensors.torch``:

>>> import tenkai
>>> from tenkai.safetensors import load_file, save_file
>>> save_file({"w": tenkai.ones(2, 3)}, "/tmp/w.safetensors")
>>> load_file("/tmp/w.safetensors")["w"].shape
torch.Size([2, 3])
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

import numpy as np

from ._tensor import Tensor
from .serialization import atomic_write

__all__ = ["SafetensorError", "save", "save_file", "load", "load_file", "safe_open"]

DTYPES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32",
          "I64": "int64", "F16": "float16", "F32": "float32", "F64": "float64"}
CODES = {v: k for k, v in DTYPES.items()}
ITEMSIZE = {**{k: np.dtype(v).itemsize for k, v in DTYPES.items()}, "BF16": 2, "F8_E4M3": 1,
            "F8_E5M2": 1, "U16": 2, "U32": 4, "U64": 8, "C64": 8}  # the last ones: no tenkai dtype
MAX_HEADER = 100_000_000  # the safetensors package refuses larger headers too


class SafetensorError(Exception):
    """A file or buffer that is not valid safetensors (the package's exception name)."""


def _layout(tensors: dict[str, Tensor], metadata: dict[str, str] | None) -> tuple[bytes, list]:
    if not isinstance(tensors, dict):
        raise TypeError(f"save_file: expected a dict of tensors, got {type(tensors).__name__}")
    header: dict[str, Any] = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save_file: metadata must be a dict of str to str")
        header["__metadata__"] = dict(metadata)
    arrays, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(f"save_file: entry {name!r} must map a str to a tensor, got "
                            f"{type(t).__name__}")
        array = np.array(t.detach().numpy(), order="C", copy=None)  # keeps 0-d shapes
        code = CODES.get(array.dtype.name)
        if code is None:
            raise TypeError(f"save_file: tensor {name!r} has dtype {t.dtype}, which safetensors "
                            "cannot store")
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
        arrays.append(array)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the package pads the header to 8 bytes as well
    return struct.pack("<Q", len(text)) + text, arrays


def save(tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (shared tensors are written as copies)."""
    head, arrays = _layout(tensors, metadata)
    return head + b"".join(a.tobytes() for a in arrays)


def save_file(tensors: dict[str, Tensor], filename: str | os.PathLike,
              metadata: dict[str, str] | None = None) -> None:
    """Write ``tensors`` to ``filename`` atomically (temporary file, fsync, rename)."""
    head, arrays = _layout(tensors, metadata)

    def write(fh: Any) -> None:
        fh.write(head)
        for array in arrays:
            fh.write(memoryview(array.reshape(-1)).cast("B"))

    atomic_write(os.fspath(filename), write)


def _parse(data: bytes | memoryview) -> tuple[dict[str, Any], dict[str, str]]:
    if len(data) < 8:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall (the buffer is "
                              f"{len(data)} bytes; a safetensors file starts with 8)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER or 8 + size > len(data):
        raise SafetensorError(f"Error while deserializing header: HeaderTooLarge (header of "
                              f"{size} bytes in a buffer of {len(data)}; truncated or not "
                              "safetensors)")
    try:
        header = json.loads(bytes(data[8:8 + size]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SafetensorError(f"Error while deserializing header: InvalidHeaderDeserialization "
                              f"({err})") from err
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata


def load(data: bytes) -> dict[str, Tensor]:
    """Tensors from safetensors bytes (all checks done before any tensor is returned)."""
    header, _ = _parse(data)
    body = memoryview(data)[8 + struct.unpack("<Q", data[:8])[0]:]
    index = _index(header, len(body))
    return {name: _tensor(name, code, shape, body[begin:stop])
            for name, (code, shape, begin, stop) in index.items()}


def _index(header: dict[str, Any], body_len: int) -> dict[str, tuple[str, list, int, int]]:
    """name -> (dtype code, shape, begin, end), after checking that the tensors tile the body."""
    entries = {}
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: _offsets(kv[0], kv[1])):
        begin, stop = _offsets(name, info)
        if begin != end:
            raise SafetensorError(f"Error while deserializing header: InvalidOffset for tensor "
                                  f"{name!r} (starts at {begin}, the previous ended at {end})")
        code, shape = info.get("dtype"), [int(d) for d in info.get("shape", ())]
        if code not in ITEMSIZE:
            raise SafetensorError(f"Error while deserializing header: unknown dtype {code!r} "
                                  f"for {name!r}")
        if stop - begin != int(np.prod(shape)) * ITEMSIZE[code] or stop > body_len:
            raise SafetensorError(f"Error while deserializing header: TensorInvalidInfo for "
                                  f"{name!r}: shape {shape} of {code} does not fit bytes "
                                  f"[{begin}, {stop}) of a {body_len}-byte buffer")
        entries[name] = (code, shape, begin, stop)
        end = stop
    if end != body_len:
        raise SafetensorError(f"Error while deserializing header: MetadataIncompleteBuffer "
                              f"(tensors cover {end} of {body_len} data bytes)")
    return {name: entries[name] for name in header}


def _tensor(name: str, code: str, shape: list, raw: Any) -> Tensor:
    if code not in DTYPES:
        raise NotImplementedError(f"load_file: tensor {name!r} has safetensors dtype {code}, "
                                  "which tenkai does not support")
    dtype = np.dtype(DTYPES[code]).newbyteorder("<")
    array = np.frombuffer(bytearray(raw), dtype).reshape(shape)
    return Tensor._make(array.astype(array.dtype.newbyteorder("="), copy=False))


def _offsets(name: str, info: Any) -> tuple[int, int]:
    try:
        begin, stop = (int(x) for x in info["data_offsets"])
    except (TypeError, KeyError, ValueError) as err:
        raise SafetensorError(f"Error while deserializing header: tensor {name!r} has no valid "
                              "data_offsets") from err
    if not 0 <= begin <= stop:
        raise SafetensorError(f"Error while deserializing header: InvalidOffset for {name!r}")
    return begin, stop


def load_file(filename: str | os.PathLike, device: Any = "cpu") -> dict[str, Tensor]:
    """Tensors from a ``.safetensors`` file (``tenkai.safetensors.load_file("w.safetensors")``)."""
    if str(device) != "cpu":
        raise RuntimeError(f"load_file: tenkai tensors live on the CPU, got device={device!r}")
    with open(filename, "rb") as fh:
        return load(fh.read())


def load_metadata(filename: str | os.PathLike) -> dict[str, str]:
    """The ``__metadata__`` strings of a ``.safetensors`` file."""
    with open(filename, "rb") as fh:
        return _parse(fh.read())[1]


class safe_open:  # noqa: N801  (the safetensors package's name)
    """Read single tensors of a file without loading the rest (``safetensors.safe_open``).

    >>> with safe_open("/tmp/w.safetensors", framework="pt") as f:
    ...     w = f.get_tensor("w")
    """

    def __init__(self, filename: str | os.PathLike, framework: str = "pt",
                 device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"safe_open: tenkai tensors live on the CPU, got device={device!r}")
        self._file = open(filename, "rb")  # noqa: SIM115  (closed by __exit__/close)
        try:
            total = os.fstat(self._file.fileno()).st_size
            first = self._file.read(8)
            size = struct.unpack("<Q", first)[0] if len(first) == 8 else 0
            if len(first) == 8 and 8 + size > total:
                raise SafetensorError(f"Error while deserializing header: HeaderTooLarge "
                                      f"(header of {size} bytes in a file of {total})")
            header, self._metadata = _parse(first + self._file.read(size))
            self._start = 8 + size
            self._index = _index(header, total - self._start)
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> safe_open:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def keys(self) -> list[str]:
        return sorted(self._index)

    def metadata(self) -> dict[str, str]:
        return dict(self._metadata)

    def get_tensor(self, name: str) -> Tensor:
        if name not in self._index:
            raise SafetensorError(f"File does not contain tensor {name}")
        code, shape, begin, stop = self._index[name]
        self._file.seek(self._start + begin)
        return _tensor(name, code, shape, self._file.read(stop - begin))
