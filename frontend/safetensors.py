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

__all__ = ["SafetensorError", "save", "save_file", "load", "load_file"]

DTYPES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32",
          "I64": "int64", "F16": "float16", "F32": "float32", "F64": "float64"}
CODES = {v: k for k, v in DTYPES.items()}
UNSUPPORTED = ("BF16", "F8_E4M3", "F8_E5M2", "U16", "U32", "U64", "C64")
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
    out: dict[str, Tensor] = {}
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: _offsets(kv[0], kv[1])):
        begin, stop = _offsets(name, info)
        if begin != end:
            raise SafetensorError(f"Error while deserializing header: InvalidOffset for tensor "
                                  f"{name!r} (starts at {begin}, the previous ended at {end})")
        dtype, shape = _dtype(name, info), [int(d) for d in info.get("shape", ())]
        if stop - begin != int(np.prod(shape)) * dtype.itemsize or stop > len(body):
            raise SafetensorError(f"Error while deserializing header: TensorInvalidInfo for "
                                  f"{name!r}: shape {shape} of {dtype} does not fit bytes "
                                  f"[{begin}, {stop}) of a {len(body)}-byte buffer")
        array = np.frombuffer(bytearray(body[begin:stop]), dtype).reshape(shape)
        out[name] = Tensor._make(array.astype(array.dtype.newbyteorder("="), copy=False))
        end = stop
    if end != len(body):
        raise SafetensorError(f"Error while deserializing header: MetadataIncompleteBuffer "
                              f"(tensors cover {end} of {len(body)} data bytes)")
    return {name: out[name] for name in header}


def _offsets(name: str, info: Any) -> tuple[int, int]:
    try:
        begin, stop = (int(x) for x in info["data_offsets"])
    except (TypeError, KeyError, ValueError) as err:
        raise SafetensorError(f"Error while deserializing header: tensor {name!r} has no valid "
                              "data_offsets") from err
    if not 0 <= begin <= stop:
        raise SafetensorError(f"Error while deserializing header: InvalidOffset for {name!r}")
    return begin, stop


def _dtype(name: str, info: Any) -> np.dtype:
    code = info.get("dtype")
    if code in DTYPES:
        return np.dtype(DTYPES[code]).newbyteorder("<")
    if code in UNSUPPORTED:
        raise NotImplementedError(f"load_file: tensor {name!r} has safetensors dtype {code}, "
                                  "which tenkai does not support")
    raise SafetensorError(f"Error while deserializing header: unknown dtype {code!r} for "
                          f"{name!r}")


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
