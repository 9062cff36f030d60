"""``tenkai.datasets``: MNIST and Fashion-MNIST from local IDX files, and scikit-learn's bundled
8x8 digits, as map-style datasets (a stand-in for ``torchvision.datasets``).

tenkai never downloads anything: put the four IDX files (``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
optionally ``.gz``) in ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``) or in ``root/`` itself.
"""

from __future__ import annotations

import functools
import gzip
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _creation
from .utils.data import Dataset

# IDX type codes (http://yann.lecun.com/exdb/mnist/): numpy dtypes, big-endian on disk.
IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as err:
        raise ValueError(f"read_idx: {path} is not a valid gzip file ({err})") from None


def _parse_header(path: str, raw: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} is too short ({len(raw)} bytes) to hold an IDX header")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00":
        raise ValueError(f"read_idx: {path} has a bad magic number 0x{raw[:4].hex()}: an IDX file "
                         "starts with two zero bytes, a type code and the number of dimensions")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"read_idx: {path} has unknown type code 0x{code:02X} (known: {known})")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(f"read_idx: {path} is truncated inside its header ({ndim} dimensions "
                         f"need {header_len} bytes, file has {len(raw)})")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    return IDX_DTYPES[code], dims, header_len


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a native-endian numpy array.

    >>> images = read_idx("data/MNIST/raw/train-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape, images.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    dtype, dims, offset = _parse_header(path, raw)
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - offset
    if found != expected:
        raise ValueError(f"read_idx: {path} declares shape {dims} of {dtype.newbyteorder('=')} "
                         f"({expected} data bytes) but holds {found} data bytes; the file is "
                         "truncated or corrupt")
    data = np.frombuffer(raw, dtype, offset=offset).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def _transformed(dataset: Any, image: np.ndarray, label: int) -> tuple[Any, Any]:
    if dataset.transform is not None:
        image = dataset.transform(image)
    if dataset.target_transform is not None:
        label = dataset.target_transform(label)
    return image, label


class MNIST(Dataset[tuple[Any, int]]):
    """MNIST digits from local IDX files: items are ``(image, label)`` with ``image`` a 28x28
    uint8 numpy array (after ``transform``) and ``label`` an int (after ``target_transform``).

    >>> from tenkai import transforms
    >>> ds = MNIST("./data", train=True, transform=transforms.ToTensor())  # doctest: +SKIP
    >>> ds[0][0].shape, ds[0][1]  # doctest: +SKIP
    (torch.Size([1, 28, 28]), 5)
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        self.root = os.fspath(os.path.expanduser(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        prefix = "train" if train else "t10k"
        images_path = self._find(f"{prefix}-images-idx3-ubyte", download)
        labels_path = self._find(f"{prefix}-labels-idx1-ubyte", download)
        images, labels = read_idx(images_path), read_idx(labels_path).astype(np.int64)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: images {images_path} have shape "
                             f"{images.shape} and labels {labels_path} shape {labels.shape}; "
                             "expected (N, H, W) and (N,)")
        # ``data``/``targets`` are tensors as in torchvision; items are read from the arrays.
        self._images, self._labels = images, labels
        self.data, self.targets = _creation.from_numpy(images), _creation.from_numpy(labels)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, name: str, download: bool) -> str:
        folders = [self.raw_folder, self.root]
        for folder in folders:
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        where = " or ".join(repr(f) for f in folders)
        why = "tenkai cannot download datasets" if download else "Dataset not found"
        raise RuntimeError(f"{why}: {type(self).__name__} needs '{name}' (or '{name}.gz') in "
                           f"{where}. Download the IDX files yourself and put them there.")

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return _transformed(self, self._images[index].copy(), int(self._labels[index]))

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {split}"]
        if self.transform is not None:
            lines.append("    Transform: " + repr(self.transform).replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando) from local IDX files; same layout and items as :class:`MNIST`.

    >>> ds = FashionMNIST("./data", train=False)  # doctest: +SKIP
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot"]


def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise ImportError("the digits dataset comes from scikit-learn, which is not installed: "
                          "pip install tenkai[digits]") from None
    return _load_sklearn_digits(sk_load_digits)


@functools.lru_cache(maxsize=1)
def _load_sklearn_digits(sk_load_digits: Callable[[], Any]) -> tuple[np.ndarray, np.ndarray]:
    bunch = sk_load_digits()
    images, labels = bunch.images.astype(np.float32), bunch.target.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False  # shared by every Digits instance
    return images, labels


class Digits(Dataset[tuple[Any, int]]):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, pixel values 0..16).

    Items are ``(image, label)``: an 8x8 float32 numpy array (through ``transform``) and an int.
    ``train=True``/``False`` selects a seeded random ``split`` fraction / the rest;
    ``train=None`` keeps all 1,797 images.

    >>> ds = Digits(train=True)  # doctest: +SKIP
    >>> len(ds), ds[0][0].shape  # doctest: +SKIP
    (1438, (8, 8))
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train: bool | None = True, transform: Callable[[Any], Any] | None = None,
                 split: float = 0.8, seed: int = 0,
                 target_transform: Callable[[Any], Any] | None = None) -> None:
        if not 0.0 < split < 1.0:
            raise ValueError(f"Digits: split must be a fraction in (0, 1), got {split}")
        images, labels = _sklearn_digits()
        order = np.arange(len(images))
        if train is not None:  # a seeded shuffle, cut at ``split``; each part keeps file order
            shuffled = np.random.default_rng(seed).permutation(len(images))
            n_train = int(round(split * len(images)))
            order = np.sort(shuffled[:n_train] if train else shuffled[n_train:])
        self._images, self._labels = images[order], labels[order]
        self.data = _creation.from_numpy(self._images)
        self.targets = _creation.from_numpy(self._labels)
        self.train, self.transform, self.target_transform = train, transform, target_transform

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return _transformed(self, self._images[index].copy(), int(self._labels[index]))


def load_digits(train: bool | None = None, transform: Callable[[Any], Any] | None = None,
                split: float = 0.8, seed: int = 0) -> Digits:
    """The 8x8 digits as a :class:`Digits` dataset; all 1,797 images unless ``train`` is given.

    >>> len(load_digits())  # doctest: +SKIP
    1797
    """
    return Digits(train=train, transform=transform, split=split, seed=seed)
