"""tenkai.safetensors: round trips, interop with the safetensors package and PyTorch, bad files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import tenkai
from tenkai.safetensors import (
    SafetensorError,
    load,
    load_file,
    load_metadata,
    safe_open,
    save,
    save_file,
)


def _tensors() -> dict:
    x = tenkai.arange(12.0).reshape(3, 4)
    return {"x": x, "xt": x.t(), "h": tenkai.tensor([0.5, -1.0], dtype=tenkai.float16),
            "d": tenkai.tensor([1.25], dtype=tenkai.float64), "i": tenkai.tensor([[1, -2]]),
            "i32": tenkai.tensor([3], dtype=tenkai.int32), "u8": tenkai.tensor([255],
                                                                                dtype=tenkai.uint8),
            "b": tenkai.tensor([True, False]), "s": tenkai.tensor(2.0), "e": tenkai.zeros(0, 2)}


def _same(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    for k, t in want.items():
        assert got[k].dtype == t.dtype and got[k].shape == t.shape, k
        np.testing.assert_array_equal(got[k].numpy(), t.numpy(), err_msg=k)


def test_round_trip_file_and_bytes(tmp_path) -> None:
    tensors = _tensors()
    save_file(tensors, tmp_path / "m.safetensors", metadata={"format": "pt"})
    _same(load_file(tmp_path / "m.safetensors"), tensors)
    assert load_metadata(tmp_path / "m.safetensors") == {"format": "pt"}
    _same(load(save(tensors)), tensors)
    out = load(save(tensors))
    out["x"].add_(1)  # loaded tensors are writable and own their memory
    assert out["xt"][0, 0].item() == 0.0


def test_package_reads_ours_and_we_read_its(tmp_path) -> None:
    st = pytest.importorskip("safetensors.numpy")
    tensors = _tensors()
    save_file(tensors, tmp_path / "ours.safetensors")
    theirs = st.load_file(str(tmp_path / "ours.safetensors"))
    for k, t in tensors.items():
        np.testing.assert_array_equal(theirs[k], t.numpy(), err_msg=k)
        assert theirs[k].dtype == t.numpy().dtype
    st.save_file({k: np.array(t.numpy(), order="C") for k, t in tensors.items()},
                 str(tmp_path / "theirs.safetensors"), metadata={"a": "b"})
    _same(load_file(tmp_path / "theirs.safetensors"), tensors)
    assert load_metadata(tmp_path / "theirs.safetensors") == {"a": "b"}


def test_torch_state_dict_via_safetensors(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    st.save_file(ref.state_dict(), str(tmp_path / "m.safetensors"))
    model = tenkai.nn.Sequential(tenkai.nn.Linear(4, 6), tenkai.nn.Tanh(), tenkai.nn.Linear(6, 2))
    model.load_state_dict(load_file(tmp_path / "m.safetensors"))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(model(tenkai.from_numpy(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-7)
    save_file(model.state_dict(), tmp_path / "back.safetensors")
    ref.load_state_dict(st.load_file(str(tmp_path / "back.safetensors")))


def _header_blob(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@pytest.mark.parametrize("blob, match", [
    (b"\x01\x02", "HeaderTooSmall"),
    (struct.pack("<Q", 1 << 40) + b"{}", "HeaderTooLarge"),
    (struct.pack("<Q", 4) + b"nope", "InvalidHeaderDeserialization"),
    (_header_blob({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
     "TensorInvalidInfo"),
    (_header_blob({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),
     "InvalidOffset"),
    (_header_blob({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8),
     "MetadataIncompleteBuffer"),
    (_header_blob({"w": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unknown dtype"),
])
def test_bad_buffers_are_refused(blob: bytes, match: str) -> None:
    with pytest.raises(SafetensorError, match=match):
        load(blob)


def test_unsupported_dtype_and_input_errors(tmp_path) -> None:
    blob = _header_blob({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0")
    with pytest.raises(NotImplementedError, match="BF16"):
        load(blob)
    with pytest.raises(TypeError, match="'w' must map a str to a tensor"):
        save({"w": [1.0]})
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        save({}, metadata={"a": 1})
    save_file({"w": tenkai.ones(1)}, tmp_path / "w.safetensors")
    truncated = (tmp_path / "w.safetensors").read_bytes()[:-2]
    (tmp_path / "w.safetensors").write_bytes(truncated)
    with pytest.raises(SafetensorError):
        load_file(tmp_path / "w.safetensors")


def test_safe_open_reads_single_tensors(tmp_path) -> None:
    tensors = _tensors()
    save_file(tensors, tmp_path / "m.safetensors", metadata={"k": "v"})
    with safe_open(tmp_path / "m.safetensors", framework="pt") as f:
        assert f.keys() == sorted(tensors) and f.metadata() == {"k": "v"}
        np.testing.assert_array_equal(f.get_tensor("xt").numpy(), tensors["xt"].numpy())
        assert f.get_tensor("s").shape == ()
        with pytest.raises(SafetensorError, match="does not contain tensor nope"):
            f.get_tensor("nope")
    body = b"\0\0" + np.array([1.5], "<f4").tobytes()  # a bf16 tensor does not block the rest
    blob = _header_blob({"b": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]},
                         "w": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, body)
    (tmp_path / "mixed.safetensors").write_bytes(blob)
    with safe_open(tmp_path / "mixed.safetensors", framework="pt") as f:
        assert f.get_tensor("w").tolist() == [1.5]
        with pytest.raises(NotImplementedError, match="BF16"):
            f.get_tensor("b")
    (tmp_path / "bad.safetensors").write_bytes(blob[:-1])
    with pytest.raises(SafetensorError, match="TensorInvalidInfo"):
        safe_open(tmp_path / "bad.safetensors", framework="pt")
