"""tenkai.save / tenkai.load: PyTorch's checkpoint format, both directions, safety and atomicity."""

from __future__ import annotations

import collections
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from compile_harness import cross_entropy_step

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai import serialization


def _mixed_state() -> collections.OrderedDict:
    x = tenkai.arange(12.0).reshape(3, 4)
    sd = collections.OrderedDict(
        x=x, xt=x.t(), row=x[1], p=nn.Parameter(tenkai.ones(2)),
        f64=tenkai.tensor([1.5, -2.0], dtype=tenkai.float64),
        f16=tenkai.tensor([0.5, 3.0], dtype=tenkai.float16),
        i64=tenkai.tensor([1, -2]), i32=tenkai.tensor([7], dtype=tenkai.int32),
        i16=tenkai.tensor([7], dtype=tenkai.int16), i8=tenkai.tensor([-7], dtype=tenkai.int8),
        u8=tenkai.tensor([250], dtype=tenkai.uint8), b=tenkai.tensor([True, False]),
        scalar=tenkai.tensor(3.25), empty=tenkai.zeros(0, 3),
        size=tenkai.Size([2, 3]), dtype=tenkai.float16, device=tenkai.device("cpu"),
        misc={"n": 3, "f": 0.5, "s": "text", "t": (1, None), "l": [True], "by": b"\x00\xff"})
    sd._metadata = {"": {"version": 1}}
    return sd


def _check_same(got, want) -> None:
    assert type(got) is type(want) or isinstance(want, dict)
    if isinstance(want, tenkai.Tensor):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.stride() == want.stride() and got.requires_grad == want.requires_grad
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            _check_same(got[k], want[k])
    else:
        assert got == want


@pytest.mark.parametrize("target", ["path", "fileobj"])
def test_round_trip_keeps_dtypes_strides_views(tmp_path, target) -> None:
    sd = _mixed_state()
    if target == "path":
        tenkai.save(sd, tmp_path / "m.pt")
        out = tenkai.load(tmp_path / "m.pt")
    else:
        buf = io.BytesIO()
        tenkai.save(sd, buf)
        buf.seek(0)
        out = tenkai.load(buf)
    _check_same(out, sd)
    assert out._metadata == {"": {"version": 1}}
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad
    out["x"].add_(100)  # x, x.t() and x[1] were one storage and still are
    assert out["xt"][0, 1].item() == 104.0 and out["row"][0].item() == 104.0


def test_archive_layout_and_alignment(tmp_path) -> None:
    tenkai.save({"a": tenkai.ones(3), "b": tenkai.zeros(5)}, tmp_path / "m.pt")
    with zipfile.ZipFile(tmp_path / "m.pt") as zf:
        names = zf.namelist()
        assert {"archive/data.pkl", "archive/version", "archive/byteorder", "archive/data/0",
                "archive/data/1"} <= set(names)
        assert zf.read("archive/version") == b"3\n"
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if "/data/" in info.filename:
                start = info.header_offset + 30 + len(info.filename) + len(info.extra)
                assert start % 64 == 0


def test_torch_reads_what_tenkai_saved(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    sd = _mixed_state()
    tenkai.save(sd, tmp_path / "m.pt")
    got = torch.load(tmp_path / "m.pt")  # weights_only=True in torch as well
    for key in ("x", "xt", "row", "f64", "f16", "i64", "i32", "i16", "i8", "u8", "b", "scalar",
                "empty"):
        assert str(got[key].dtype) == str(sd[key].dtype), key
        assert got[key].stride() == sd[key].stride(), key
        np.testing.assert_array_equal(got[key].numpy(), sd[key].numpy(), err_msg=key)
    assert isinstance(got["p"], torch.nn.Parameter)
    assert got["size"] == torch.Size([2, 3]) and got["dtype"] is torch.float16
    assert got["misc"] == sd["misc"]
    assert got["x"].untyped_storage().data_ptr() == got["xt"].untyped_storage().data_ptr()
    assert got._metadata == {"": {"version": 1}}


def test_tenkai_reads_what_torch_saved(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    x = torch.arange(12.0).reshape(3, 4)
    obj = {"x": x, "xt": x.t(), "tail": x[1:, 2:], "i": torch.tensor([1, 2], dtype=torch.int16),
           "h": torch.tensor([1.0], dtype=torch.float16), "p": torch.nn.Parameter(torch.ones(2)),
           "size": torch.Size([4]), "n": [1, 2.5, "s", None]}
    for legacy in (False, True):
        path = tmp_path / f"t{legacy}.pt"
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
        got = tenkai.load(path)
        for key in ("x", "xt", "tail", "i", "h"):
            assert str(got[key].dtype) == str(obj[key].dtype), key
            assert got[key].stride() == obj[key].stride(), key
            np.testing.assert_array_equal(got[key].numpy(), obj[key].numpy())
        assert isinstance(got["p"], nn.Parameter) and got["p"].requires_grad
        assert got["size"] == (4,) and got["n"] == [1, 2.5, "s", None]
        got["x"].mul_(0)
        assert got["tail"].sum().item() == 0.0  # views share the storage
        tenkai.save(got, tmp_path / "again.pt")  # and saving them again keeps one storage
        with zipfile.ZipFile(tmp_path / "again.pt") as zf:
            assert sum("/data/" in n for n in zf.namelist()) == 4  # x, i, h, p
        again = torch.load(tmp_path / "again.pt")
        assert again["tail"].untyped_storage().data_ptr() == \
            again["x"].untyped_storage().data_ptr()


def test_unsupported_dtype_is_named(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.pt")
    with pytest.raises(NotImplementedError, match="torch.bfloat16"):
        tenkai.load(tmp_path / "bf.pt")


# ---------------------------------------------------------------- state dicts and models


def _torch_mlp(torch):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                               torch.nn.Linear(8, 3))


def _tenkai_mlp():
    return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_torch_state_dict_loads_into_equivalent_model(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    ref = _torch_mlp(torch)
    ref(torch.randn(16, 5))  # non-trivial running stats
    ref.eval()
    torch.save(ref.state_dict(), tmp_path / "model.pth")
    model = _tenkai_mlp().eval()
    assert model.load_state_dict(tenkai.load(tmp_path / "model.pth")) is not None
    for name, value in ref.state_dict().items():  # bit-identical weights and buffers
        np.testing.assert_array_equal(model.state_dict()[name].numpy(), value.numpy())
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(model(tenkai.from_numpy(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-7)
    assert int(model[1].num_batches_tracked.item()) == 1


def test_strict_messages_match_torch(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    torch.save(_torch_mlp(torch).state_dict(), tmp_path / "model.pth")
    cases = [(torch.nn.Sequential(torch.nn.Linear(5, 8)), nn.Sequential(nn.Linear(5, 8))),
             (torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8),
                                  torch.nn.ReLU(), torch.nn.Linear(8, 3), torch.nn.Linear(3, 2)),
              nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3),
                            nn.Linear(3, 2))),
             (torch.nn.Sequential(torch.nn.Linear(5, 9)), nn.Sequential(nn.Linear(5, 9)))]
    for ref, model in cases:
        with pytest.raises(RuntimeError) as want:
            ref.load_state_dict(torch.load(tmp_path / "model.pth"))
        before = model[0].weight.detach().numpy().copy()
        with pytest.raises(RuntimeError) as got:
            model.load_state_dict(tenkai.load(tmp_path / "model.pth"))
        assert str(got.value) == str(want.value)
        np.testing.assert_array_equal(model[0].weight.detach().numpy(), before)
    missing = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3),
                            nn.Linear(3, 2))
    keys = missing.load_state_dict(tenkai.load(tmp_path / "model.pth"), strict=False)
    assert keys.missing_keys == ["4.weight", "4.bias"] and keys.unexpected_keys == []


def _opt_pair(torch, kind):
    ref = torch.nn.Linear(4, 3)
    model = nn.Linear(4, 3)
    model.load_state_dict({k: tenkai.from_numpy(v.detach().numpy().copy())
                           for k, v in ref.state_dict().items()})
    if kind == "adam":
        return ref, model, torch.optim.Adam(ref.parameters(), lr=0.01), \
            tenkai.optim.Adam(model.parameters(), lr=0.01)
    return ref, model, torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9), \
        tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_torch_optimizer_state_resumes_in_tenkai(tmp_path, kind) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref, model, ropt, opt = _opt_pair(torch, kind)
    x, y = torch.randn(8, 4), torch.randn(8, 3)
    for _ in range(3):
        ropt.zero_grad()
        torch.nn.functional.mse_loss(ref(x), y).backward()
        ropt.step()
    torch.save({"model": ref.state_dict(), "opt": ropt.state_dict()}, tmp_path / "ckpt.pt")
    ckpt = tenkai.load(tmp_path / "ckpt.pt")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["opt"])
    tx, ty = tenkai.from_numpy(x.numpy()), tenkai.from_numpy(y.numpy())
    for _ in range(3):
        ropt.zero_grad()
        want = torch.nn.functional.mse_loss(ref(x), y)
        want.backward()
        ropt.step()
        opt.zero_grad()
        got = F.mse_loss(model(tx), ty)
        got.backward()
        opt.step()
        assert got.item() == pytest.approx(want.item(), rel=1e-5)
    np.testing.assert_allclose(model.weight.detach().numpy(), ref.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    tenkai.save(opt.state_dict(), tmp_path / "back.pt")  # and torch reads tenkai's state
    ropt.load_state_dict(torch.load(tmp_path / "back.pt"))


def _train(model, opt, backend, x, y, steps):
    step = cross_entropy_step(model, opt)
    fn = step if backend is None else tenkai.compile(step, backend=backend)
    return [fn(x, y).item() for _ in range(steps)]


@pytest.mark.parametrize("backend", [None, "interp", "tenkai"])
def test_checkpoint_resumes_training_exactly(tmp_path, backend) -> None:
    """Train, save model+optimizer, load into fresh objects: both continue identically."""
    def fresh():
        tenkai.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        return model, tenkai.optim.Adam(model.parameters(), lr=0.01)
    x, y = tenkai.randn(10, 6), tenkai.randint(0, 3, (10,))
    model, opt = fresh()
    _train(model, opt, backend, x, y, 3)
    tenkai.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "c.pt")
    model2, opt2 = fresh()
    ckpt = tenkai.load(tmp_path / "c.pt")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["opt"])
    assert _train(model2, opt2, backend, x, y, 4) == _train(model, opt, backend, x, y, 4)
    for (name, a), b in zip(model.named_parameters(), model2.parameters(), strict=True):
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy(), err_msg=name)
        np.testing.assert_array_equal(b.grad.numpy(), a.grad.numpy(), err_msg=name)
    for sa, sb in zip(opt.state_dict()["state"].values(), opt2.state_dict()["state"].values(),
                      strict=True):
        for k in sa:
            np.testing.assert_array_equal(np.asarray(sb[k]), np.asarray(sa[k]), err_msg=k)


# ---------------------------------------------------------------- safety


def _zip_with_pickle(path, payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/version", "3\n")


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path) -> None:
    marker = tmp_path / "pwned"
    _zip_with_pickle(tmp_path / "evil.pt", pickle.dumps({"w": _Evil(str(marker))}, protocol=2))
    system = f"{os.system.__module__}.system"  # posix.system (nt.system on Windows)
    with pytest.raises(pickle.UnpicklingError, match=rf"GLOBAL {system} was not an allowed"):
        tenkai.load(tmp_path / "evil.pt")
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        tenkai.load(tmp_path / "evil.pt", weights_only=None)  # None means the safe default
    assert not marker.exists()
    assert serialization.get_unsafe_globals_in_checkpoint(tmp_path / "evil.pt") == [system]
    _zip_with_pickle(tmp_path / "evil4.pt", pickle.dumps([_Evil(str(marker))], protocol=4))
    assert serialization.get_unsafe_globals_in_checkpoint(tmp_path / "evil4.pt") == [system]
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {system}"):
        tenkai.load(tmp_path / "evil4.pt")  # protocol 4's STACK_GLOBAL is refused the same way
    assert not marker.exists()
    tenkai.save(_mixed_state(), tmp_path / "ok.pt")
    assert serialization.get_unsafe_globals_in_checkpoint(tmp_path / "ok.pt") == []


def test_unknown_class_needs_opt_in(tmp_path) -> None:
    frac = __import__("fractions").Fraction
    tenkai.save({"f": frac(1, 3)}, tmp_path / "f.pt")
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL fractions.Fraction"):
        tenkai.load(tmp_path / "f.pt")
    assert tenkai.load(tmp_path / "f.pt", weights_only=False)["f"] == frac(1, 3)
    with serialization.safe_globals([frac]):
        assert tenkai.load(tmp_path / "f.pt")["f"] == frac(1, 3)
    with pytest.raises(pickle.UnpicklingError):
        tenkai.load(tmp_path / "f.pt")


@pytest.mark.parametrize("damage", ["truncate", "flip_data", "flip_pickle", "empty", "garbage"])
def test_corrupt_file_is_a_clear_error(tmp_path, damage) -> None:
    path = tmp_path / "m.pt"
    tenkai.save({"w": tenkai.arange(64.0), "b": tenkai.ones(3)}, path)
    blob = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        data_at = zf.getinfo("archive/data/0").header_offset + 200
        pkl_at = zf.getinfo("archive/data.pkl").header_offset + 100
    if damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "flip_data":
        blob[data_at] ^= 0xFF
    elif damage == "flip_pickle":
        blob[pkl_at] ^= 0xFF
    elif damage == "empty":
        blob = bytearray()
    else:
        blob = bytearray(b"not a checkpoint at all" * 10)
    path.write_bytes(bytes(blob))
    with pytest.raises(RuntimeError, match="corrupt|truncated|empty|not a PyTorch checkpoint"):
        tenkai.load(path)


# ---------------------------------------------------------------- atomic saves


def test_exception_mid_save_keeps_previous_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.pt"
    tenkai.save({"w": tenkai.ones(4)}, path)
    before = path.read_bytes()

    def failing_write(dest, data):
        dest.write(data[: data.nbytes // 2])
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_chunks", failing_write)
    with pytest.raises(OSError, match="disk full"):
        tenkai.save({"w": tenkai.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.pt"]  # the temporary file is gone too
    with pytest.raises(pickle.PicklingError, match="Can't pickle"):
        tenkai.save({"f": lambda: 0}, path)  # a pickling failure touches nothing
    assert path.read_bytes() == before


def test_killed_save_keeps_previous_file(tmp_path) -> None:
    path = tmp_path / "m.pt"
    tenkai.save({"w": tenkai.ones(4)}, path)
    script = textwrap.dedent(f"""
        import os, signal
        import tenkai
        from tenkai import serialization

        def write_then_die(dest, data):
            dest.write(data[: data.nbytes // 2])
            dest.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        serialization._write_chunks = write_then_die
        tenkai.save({{"w": tenkai.zeros(1 << 20)}}, {str(path)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    leftovers = [n for n in os.listdir(tmp_path) if n != "m.pt"]
    assert leftovers and all(n.startswith(".m.pt.") for n in leftovers)  # the half-written temp
    np.testing.assert_array_equal(tenkai.load(path)["w"].numpy(), np.ones(4, np.float32))


class _Pipe:
    """A write-only / read-only stream with no seek (a socket or a pipe)."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = data

    def write(self, chunk) -> int:
        self.data += bytes(chunk)
        return len(chunk)

    def read(self, n: int = -1) -> bytes:
        out, self.data = (self.data, b"") if n < 0 else (self.data[:n], self.data[n:])
        return out


def test_unseekable_streams() -> None:
    pipe = _Pipe()
    tenkai.save({"w": tenkai.arange(3.0)}, pipe)
    assert tenkai.load(_Pipe(pipe.data))["w"].tolist() == [0.0, 1.0, 2.0]


def test_load_errors() -> None:
    with pytest.raises(FileNotFoundError):
        tenkai.load("/nonexistent/dir/m.pt")
    with pytest.raises(TypeError, match="expected a path"):
        tenkai.save({}, 3)
    with pytest.raises(NotImplementedError, match="legacy"):
        tenkai.save({}, io.BytesIO(), _use_new_zipfile_serialization=False)


def _relocated(path, location: bytes) -> None:
    """Rewrite a checkpoint as if its storages had been saved on ``location``."""
    with zipfile.ZipFile(path) as zf:
        records = {n: zf.read(n) for n in zf.namelist()}
    pkl = records["archive/data.pkl"]
    records["archive/data.pkl"] = pkl.replace(
        b"X\x03\x00\x00\x00cpu", b"X" + len(location).to_bytes(4, "little") + location)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in records.items():
            zf.writestr(name, data)


def test_map_location(tmp_path) -> None:
    path = tmp_path / "m.pt"
    tenkai.save({"w": tenkai.ones(2)}, path)
    _relocated(path, b"cuda:0")
    with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
        tenkai.load(path)
    for where in ("cpu", tenkai.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        assert tenkai.load(path, map_location=where)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="map_location should be"):
        tenkai.load(path, map_location=3)


def test_whole_modules(tmp_path) -> None:
    model = nn.Sequential(nn.Linear(2, 3))
    tenkai.save(model, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL tenkai.nn.containers.Sequential"):
        tenkai.load(tmp_path / "m.pt")
    loaded = tenkai.load(tmp_path / "m.pt", weights_only=False)
    np.testing.assert_array_equal(loaded[0].weight.detach().numpy(),
                                  model[0].weight.detach().numpy())
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError, match="tenkai.from_torch"):
        tenkai.load(tmp_path / "t.pt", weights_only=False)


def _rewind(backend):
    """Train, checkpoint, train on, load the checkpoint into the live objects, train again."""
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = tenkai.optim.Adam(model.parameters(), lr=0.01)
    x, y = tenkai.randn(10, 6), tenkai.randint(0, 3, (10,))

    step = cross_entropy_step(model, opt)
    fn = step if backend is None else tenkai.compile(step, backend=backend)
    for _ in range(2):
        fn(x, y)
    buf = io.BytesIO()
    tenkai.save({"model": model.state_dict(), "opt": opt.state_dict()}, buf)
    first = [fn(x, y).item() for _ in range(3)]
    buf.seek(0)
    ckpt = tenkai.load(buf)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["opt"])
    again = [fn(x, y).item() for _ in range(3)]
    return first, again, model


@pytest.mark.parametrize("backend", ["interp", "tenkai"])
def test_checkpoint_loaded_into_live_compiled_step(backend) -> None:
    """The compiled step keeps the optimizer-state buffers it captured: loading fills them."""
    first, again, model = _rewind(backend)
    assert again == first
    e_first, e_again, e_model = _rewind(None)
    np.testing.assert_allclose(again, e_again, rtol=1e-5)
    for a, b in zip(e_model.parameters(), model.parameters(), strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_byte_order(tmp_path) -> None:
    path = tmp_path / "m.pt"
    big = tenkai.Tensor._make(np.arange(4, dtype=">f4"))  # e.g. from_numpy of a '>f4' array
    tenkai.save({"w": big}, path)
    np.testing.assert_array_equal(tenkai.load(path)["w"].numpy(), np.arange(4, dtype="<f4"))
    with zipfile.ZipFile(path) as zf:  # the same file as a big-endian machine writes it
        records = {n: zf.read(n) for n in zf.namelist()}
    records["archive/byteorder"] = b"big"
    records["archive/data/0"] = np.arange(4, dtype=">f4").tobytes()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in records.items():
            zf.writestr(name, data)
    np.testing.assert_array_equal(tenkai.load(path)["w"].numpy(), np.arange(4, dtype="<f4"))


def test_mmap_load_maps_storages_copy_on_write(tmp_path) -> None:
    path = tmp_path / "m.pt"
    sd = _mixed_state()
    tenkai.save(sd, path)
    before = path.read_bytes()
    out = tenkai.load(path, mmap=True)
    _check_same(out, sd)
    out["x"].add_(100)  # views still share the mapped storage; the file stays as it was
    assert out["xt"][0, 1].item() == 104.0
    assert path.read_bytes() == before
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t()}, tmp_path / "t.pt")
    got = tenkai.load(tmp_path / "t.pt", mmap=True)["w"]
    assert got.stride() == (1, 3) and got.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    with pytest.raises(ValueError, match="file path in order to use the mmap"):
        tenkai.load(io.BytesIO(before), mmap=True)
