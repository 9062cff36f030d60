"""tenkai.datasets (IDX reader, MNIST, digits) and tenkai.transforms."""

from __future__ import annotations

import gzip
import os
import struct
import sys

import numpy as np
import pytest

import tenkai
from tenkai import transforms as T
from tenkai.datasets import MNIST, Digits, FashionMNIST, load_digits, read_idx
from tenkai.utils.data import DataLoader

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, IDX_CODES[arr.dtype], arr.ndim])
    header += struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path: str, arr: np.ndarray, gz: bool = False) -> str:
    data = idx_bytes(arr)
    if gz:
        path += ".gz"
        data = gzip.compress(data)
    with open(path, "wb") as f:
        f.write(data)
    return path


IMAGES = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
LABELS = np.array([5, 0, 4, 1, 9], np.uint8)


def write_mnist(folder: str, gz: bool) -> None:
    os.makedirs(folder, exist_ok=True)
    for prefix, k in (("train", 5), ("t10k", 3)):
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte"), IMAGES[:k], gz)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte"), LABELS[:k], gz)


# ------------------------------------------------------------------ IDX
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_read_idx_round_trips(tmp_path, gz: bool, dtype: str) -> None:  # type: ignore[no-untyped-def]
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "uint8":
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    got = read_idx(write_idx(str(tmp_path / "a-idx3"), arr, gz))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)
    labels = read_idx(write_idx(str(tmp_path / "l-idx1"), LABELS, gz))
    np.testing.assert_array_equal(labels, LABELS)


CORRUPT = {
    "short": (b"\x00\x00", "too short"),
    "magic": (b"\x01\x02\x08\x01\x00\x00\x00\x01\x07", "bad magic number"),
    "type code": (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", "unknown type code 0x07"),
    "header": (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated inside its header"),
    "data": (idx_bytes(IMAGES[:2])[:-10], "truncated or corrupt"),
    "gzip": (b"\x1f\x8b\x08garbage", "not a valid gzip file"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_idx_files_raise_clear_errors(tmp_path, case: str) -> None:  # type: ignore[no-untyped-def]
    raw, message = CORRUPT[case]
    path = tmp_path / "bad-idx"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message) as err:
        read_idx(path)
    assert str(path) in str(err.value)


# ------------------------------------------------------------------ MNIST
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_raw_folder_with_transform(tmp_path, gz: bool) -> None:  # type: ignore[no-untyped-def]
    write_mnist(str(tmp_path / "MNIST" / "raw"), gz)
    ds = MNIST(str(tmp_path), train=True, transform=T.ToTensor(), download=False)
    assert len(ds) == 5 and tuple(ds.data.shape) == (5, 28, 28) and ds.targets.dtype == tenkai.int64
    image, label = ds[2]
    assert tuple(image.shape) == (1, 28, 28) and image.dtype == tenkai.float32
    np.testing.assert_allclose(image.numpy()[0], IMAGES[2] / 255, rtol=1e-6)
    assert label == 4 and type(label) is int
    test = MNIST(str(tmp_path), train=False, target_transform=lambda y: y + 100)
    raw_image, label = test[1]
    assert len(test) == 3 and label == 100
    assert raw_image.dtype == np.uint8 and raw_image.shape == (28, 28)
    assert "Split: Test" in repr(test) and "Number of datapoints: 3" in repr(test)


def test_mnist_reads_root_directly_and_batches_in_workers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_mnist(str(tmp_path), gz=False)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    ds = MNIST(str(tmp_path), train=True, transform=transform, download=True)  # files present
    batches = list(DataLoader(ds, batch_size=2, num_workers=2))
    assert [tuple(x.shape) for x, _ in batches] == [(2, 1, 28, 28)] * 2 + [(1, 1, 28, 28)]
    assert sum((y.tolist() for _, y in batches), []) == LABELS.tolist()
    assert batches[0][1].dtype == tenkai.int64
    np.testing.assert_allclose(batches[0][0].numpy()[1, 0], IMAGES[1] / 127.5 - 1, atol=1e-6)


def test_missing_mnist_files_say_where_to_put_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match="tenkai cannot download") as err:
        MNIST(str(tmp_path), download=True)
    assert os.path.join(str(tmp_path), "MNIST", "raw") in str(err.value)
    assert "train-images-idx3-ubyte" in str(err.value)
    with pytest.raises(RuntimeError, match="Dataset not found"):
        FashionMNIST(str(tmp_path))
    write_mnist(str(tmp_path / "FashionMNIST" / "raw"), gz=True)
    assert FashionMNIST(str(tmp_path))[0][1] == 5 and FashionMNIST.classes[9] == "Ankle boot"


# ------------------------------------------------------------------ digits
def test_digits_dataset() -> None:
    pytest.importorskip("sklearn")
    full = load_digits()
    assert len(full) == 1797
    train, test = Digits(train=True), Digits(train=False, split=0.8, seed=0)
    assert len(train) + len(test) == 1797 and len(train) == 1438
    image, label = train[0]
    assert image.shape == (8, 8) and image.dtype == np.float32 and 0 <= label <= 9
    assert full.data.numpy().min() == 0 and full.data.numpy().max() == 16
    assert Digits(train=True).targets.tolist() == train.targets.tolist()  # seeded split
    assert Digits(train=True, seed=1).targets.tolist() != train.targets.tolist()
    tensor_image, _ = Digits(train=False, transform=T.ToTensor())[0]
    assert tuple(tensor_image.shape) == (1, 8, 8) and float(tensor_image.max()) > 1  # no rescale


def test_digits_without_sklearn(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install tenkai\[digits\]"):
        Digits()


# ------------------------------------------------------------------ transforms
def test_to_tensor_and_normalize_by_hand() -> None:
    hwc = np.array([[[0, 255, 51]], [[102, 204, 153]]], np.uint8)  # H=2, W=1, C=3
    t = T.ToTensor()(hwc)
    assert tuple(t.shape) == (3, 2, 1) and t.dtype == tenkai.float32
    np.testing.assert_allclose(t.numpy()[:, :, 0], [[0, 0.4], [1, 0.8], [0.2, 0.6]], rtol=1e-6)
    assert tuple(T.ToTensor()(np.zeros((4, 5), np.uint8)).shape) == (1, 4, 5)
    floats = T.ToTensor()(np.full((2, 2, 1), 7.0))
    assert floats.dtype == tenkai.float64 and float(floats.max()) == 7.0
    norm = T.Normalize((0.5, 0.0, 0.2), (0.5, 2.0, 0.1))(t)
    expected = (t.numpy() - np.array([0.5, 0.0, 0.2])[:, None, None]) / np.array(
        [0.5, 2.0, 0.1])[:, None, None]
    np.testing.assert_allclose(norm.numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.5,), (0.5,))(tenkai.zeros(1, 2, 2, dtype=tenkai.uint8))
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.5,), (0.0,))(tenkai.zeros(1, 2, 2))


def test_reprs_like_torchvision() -> None:
    assert repr(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])) == (
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)")
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.RandomRotation(15)) == ("RandomRotation(degrees=[-15.0, 15.0], "
                                          "interpolation=nearest, expand=False, fill=0)")
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(T.Lambda(abs)) == "Lambda()"


def _draws(transform: T.Compose | object, img: object, n: int = 6) -> list[np.ndarray]:
    return [np.asarray(transform(img)) for _ in range(n)]  # type: ignore[operator]


RANDOM = {
    "flip": lambda: T.RandomHorizontalFlip(),
    "rotation": lambda: T.RandomRotation(30),
    "rotation_bilinear": lambda: T.RandomRotation(30, interpolation="bilinear"),
    "crop": lambda: T.RandomCrop(6, padding=2),
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_transforms_are_reproducible(name: str) -> None:
    img = np.random.default_rng(1).integers(0, 256, (8, 6, 3), dtype=np.uint8)
    tenkai.manual_seed(5)
    first = _draws(RANDOM[name](), img)
    tenkai.manual_seed(5)
    second = _draws(RANDOM[name](), img)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert any(not np.array_equal(a, first[0]) for a in first)  # it is random
    expected_shape = (6, 6, 3) if name == "crop" else img.shape
    assert all(a.shape == expected_shape and a.dtype == np.uint8 for a in first)
    gen = RANDOM[name]()
    gen.generator = tenkai.Generator().manual_seed(9)
    other = RANDOM[name]()
    other.generator = tenkai.Generator().manual_seed(9)
    pairs = zip(_draws(gen, img), _draws(other, img), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)


def test_flip_and_crop_values() -> None:
    chw = tenkai.arange(12.0).reshape(1, 3, 4)
    flipped = T.RandomHorizontalFlip(p=1.0)(chw)
    assert isinstance(flipped, tenkai.Tensor)
    np.testing.assert_array_equal(flipped.numpy(), chw.numpy()[..., ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(chw) is chw
    crop = T.RandomCrop(2)(chw).numpy()[0]
    full = chw.numpy()[0]
    assert any(np.array_equal(crop, full[i:i + 2, j:j + 2]) for i in range(2) for j in range(3))
    padded = T.RandomCrop((5, 6), padding=1)(chw)
    assert tuple(padded.shape) == (1, 5, 6) and float(padded.sum()) == float(chw.sum())
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(5)(chw)
    assert np.array_equal(T.CenterCrop(2)(chw).numpy()[0], full[0:2, 1:3])


def test_rotation_identity_and_quarter_turns() -> None:
    img = np.random.default_rng(2).integers(0, 256, (5, 5, 3), dtype=np.uint8)
    assert np.array_equal(T.RandomRotation(0)(img), img)
    chw = tenkai.from_numpy(np.random.default_rng(3).random((2, 4, 4)).astype(np.float32))
    for mode in ("nearest", "bilinear"):
        assert np.array_equal(T.RandomRotation(0, interpolation=mode)(chw).numpy(), chw.numpy())
        quarter = T.RandomRotation((90, 90), interpolation=mode)(chw).numpy()
        np.testing.assert_allclose(quarter, np.rot90(chw.numpy(), axes=(1, 2)), atol=1e-6)
    half = T.RandomRotation((180, 180))(img)
    assert np.array_equal(half, img[::-1, ::-1])
    corner = T.RandomRotation((45, 45))(np.ones((9, 9), np.uint8))
    assert corner[0, 0] == 0 and corner[4, 4] == 1  # zero fill outside the rotated square


def test_resize_known_values() -> None:
    img = tenkai.tensor([[[0.0, 1.0], [2.0, 3.0]]])
    out = T.Resize((4, 4))(img).numpy()[0]
    ramp = np.array([0.0, 0.25, 0.75, 1.0])  # half-pixel centres, edges clamped
    np.testing.assert_allclose(out, 2 * ramp[:, None] + ramp[None, :], rtol=1e-6)
    assert tuple(T.Resize(5)(tenkai.zeros(1, 20, 10)).shape) == (1, 10, 5)
    hwc = T.Resize((3, 7))(np.zeros((6, 14, 3), np.uint8))
    assert hwc.shape == (3, 7, 3) and hwc.dtype == np.uint8


def test_resize_matches_torch_interpolate() -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).random((2, 5, 7)).astype(np.float32)
    for size, mode in (((9, 11), "bilinear"), ((10, 3), "bilinear"), ((8, 14), "nearest")):
        ours = T.Resize(size, interpolation=mode)(tenkai.from_numpy(x)).numpy()
        theirs = torch.nn.functional.interpolate(
            torch.from_numpy(x)[None], size=size, mode=mode,
            **({"align_corners": False} if mode == "bilinear" else {}))[0].numpy()
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_lambda_and_compose_pipeline() -> None:
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.Resize((2, 2))])
    out = pipeline(np.full((4, 4), 255, np.uint8))
    assert tuple(out.shape) == (1, 2, 2) and float(out.max()) == pytest.approx(2.0)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)  # type: ignore[arg-type]
