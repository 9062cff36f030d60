"""``tenkai.transforms``: image transforms in numpy, with torchvision's names and reprs.

Images are numpy arrays (``HxW``, or ``HxWxC`` when integer-typed, e.g. uint8) or ``CxHxW`` float
arrays/tenkai tensors; a transform returns the same kind and layout it was given (``ToTensor``
is the bridge from ``HWC`` arrays to ``CHW`` tensors). Random transforms draw from tenkai's
generator (or the ``generator=`` they were given), so ``tenkai.manual_seed`` replays them.

>>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
>>> t(np.zeros((2, 2), np.uint8)).tolist()
[[[-1.0, -1.0], [-1.0, -1.0]]]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import numpy as np

from . import _creation, _dtype
from ._tensor import Tensor


class InterpolationMode(str, Enum):
    """Resampling filters (``InterpolationMode.BILINEAR``); plain strings work too."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


# ------------------------------------------------------------------ layout helpers
def _to_chw(img: Any) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """``img`` as a ``[..., H, W]`` array plus the function that restores its kind and layout."""
    if isinstance(img, Tensor):
        return img.detach()._data, lambda a: _creation.from_numpy(np.ascontiguousarray(a))
    if not isinstance(img, np.ndarray):
        img = np.asarray(img)  # PIL images and nested lists
    if img.ndim == 2:
        return img[None], lambda a: np.ascontiguousarray(a[0])
    if img.ndim == 3 and img.dtype.kind in "uib":  # HWC integer image
        return img.transpose(2, 0, 1), lambda a: np.ascontiguousarray(a.transpose(1, 2, 0))
    if img.ndim < 2:
        raise ValueError(f"expected an image with at least 2 dimensions, got shape {img.shape}")
    return img, np.ascontiguousarray


def _cast_like(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Resampled float values back to the input dtype (integers are rounded and clipped)."""
    if like.dtype.kind in "ui":
        info = np.iinfo(like.dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(like.dtype)
    if like.dtype.kind == "b":
        return values >= 0.5
    return values.astype(like.dtype)


def _uniform(generator: Any) -> float:
    return float(_creation.rand(1, generator=generator, dtype=_dtype.float64).item())


def _randint(high: int, generator: Any) -> int:
    """An int in ``[0, high)``."""
    return min(int(_uniform(generator) * high), high - 1)


def _pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)  # type: ignore[call-overload]
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name}: please provide only two dimensions (h, w) for size, got {size}")
    return int(size[0]), int(size[1])


def _mode(interpolation: Any) -> str:
    mode = getattr(interpolation, "value", interpolation)
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"interpolation {mode!r} is not supported; use 'nearest' or 'bilinear'")
    return str(mode)


# ------------------------------------------------------------------ composition
class Compose:
    """Apply transforms in order (``Compose([ToTensor(), Normalize((0.5,), (0.5,))])``)."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    """Wrap a function as a transform (``Lambda(lambda x: x * 2)``)."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ------------------------------------------------------------------ conversion
class ToTensor:
    """``HxWxC`` (or ``HxW``) numpy image -> ``CxHxW`` tensor; uint8 is scaled to [0, 1] float32,
    other dtypes keep their values and dtype.

    >>> ToTensor()(np.full((28, 28), 255, np.uint8)).shape
    torch.Size([1, 28, 28])
    """

    def __call__(self, pic: Any) -> Tensor:
        if isinstance(pic, Tensor):
            raise TypeError("pic should be PIL Image or ndarray. Got <class 'torch.Tensor'> "
                            "(it is already a tensor; drop ToTensor() from the pipeline)")
        arr = np.asarray(pic)
        if arr.ndim not in (2, 3):
            raise ValueError(f"pic should be 2 or 3 dimensional. Got {arr.ndim} dimensions.")
        chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        if arr.dtype == np.uint8:
            dt = _dtype.get_default_dtype()
            return _creation.from_numpy(np.ascontiguousarray(chw, dtype=dt.to_numpy()) / 255)
        return _creation.from_numpy(np.ascontiguousarray(chw))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a ``CxHxW`` float image.

    >>> Normalize((0.5,), (0.5,))(tenkai.ones(1, 2, 2)).tolist()
    [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Any) -> Any:
        is_tensor = isinstance(tensor, Tensor)
        arr = tensor._data if is_tensor else np.asarray(tensor)
        if arr.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {arr.dtype}.")
        if arr.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(arr.shape)}.")
        mean = np.asarray(self.mean, arr.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, arr.dtype).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {arr.dtype}, leading to "
                             "division by zero.")
        if self.inplace:
            arr[...] = (arr - mean) / std
            return tensor
        if is_tensor:  # tenkai ops, so a tensor that requires grad keeps its history
            return (tensor - _creation.from_numpy(mean)) / _creation.from_numpy(std)
        return ((arr - mean) / std).astype(arr.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


# ------------------------------------------------------------------ flips and crops
class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (``RandomHorizontalFlip(p=0.5)``)."""

    def __init__(self, p: float = 0.5, generator: Any = None) -> None:
        self.p, self.generator = p, generator

    def __call__(self, img: Any) -> Any:
        if _uniform(self.generator) < self.p:
            arr, restore = _to_chw(img)
            return restore(arr[..., ::-1])
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p`` (``RandomVerticalFlip(p=0.5)``)."""

    def __call__(self, img: Any) -> Any:
        if _uniform(self.generator) < self.p:
            arr, restore = _to_chw(img)
            return restore(arr[..., ::-1, :])
        return img


def _padding4(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        p = int(padding)  # type: ignore[call-overload]
        return p, p, p, p
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(int(p) for p in padding)  # type: ignore[return-value]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not {padding}")


def _pad(arr: np.ndarray, ltrb: tuple[int, int, int, int], fill: float, mode: str) -> np.ndarray:
    left, top, right, bottom = ltrb
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode={"edge": "edge", "reflect": "reflect",
                                     "symmetric": "symmetric"}[mode])


class RandomCrop:
    """Crop a random ``size`` window, after optional ``padding`` (``RandomCrop(32, padding=4)``)."""

    def __init__(self, size: int | Sequence[int], padding: Any = None, pad_if_needed: bool = False,
                 fill: float = 0, padding_mode: str = "constant", generator: Any = None) -> None:
        self.size = _pair(size, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode, self.generator = fill, padding_mode, generator

    def __call__(self, img: Any) -> Any:
        arr, restore = _to_chw(img)
        if self.padding is not None:
            arr = _pad(arr, _padding4(self.padding), self.fill, self.padding_mode)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and (h < th or w < tw):
            dw, dh = max(tw - w, 0), max(th - h, 0)
            arr = _pad(arr, (dw, dh, dw, dh), self.fill, self.padding_mode)
            h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        i, j = _randint(h - th + 1, self.generator), _randint(w - tw + 1, self.generator)
        return restore(arr[..., i:i + th, j:j + tw])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` window (``CenterCrop(24)``)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        arr, restore = _to_chw(img)
        (th, tw), (h, w) = self.size, arr.shape[-2:]
        if h < th or w < tw:
            arr = _pad(arr, ((tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0,
                             (tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0),
                       0, "constant")
            h, w = arr.shape[-2:]
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return restore(arr[..., top:top + th, left:left + tw])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


# ------------------------------------------------------------------ resampling
def _bilinear_axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half-pixel-centre source positions (PyTorch ``align_corners=False``): the two neighbour
    indices and the weight of the upper one."""
    src = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, src - lo


def resize_array(arr: np.ndarray, size: tuple[int, int], mode: str = "bilinear") -> np.ndarray:
    """Resample the last two axes of ``arr`` to ``size`` (no antialiasing when shrinking)."""
    (oh, ow), (h, w) = size, arr.shape[-2:]
    if mode == "nearest":  # PyTorch 'nearest': floor(dst * in / out)
        rows = np.minimum((np.arange(oh) * h) // oh, h - 1)
        cols = np.minimum((np.arange(ow) * w) // ow, w - 1)
        return arr[..., rows[:, None], cols[None, :]]
    x = arr.astype(np.float64)
    r0, r1, wr = _bilinear_axis(h, oh)
    c0, c1, wc = _bilinear_axis(w, ow)
    rows = x[..., r0, :] * (1 - wr)[:, None] + x[..., r1, :] * wr[:, None]
    out = rows[..., c0] * (1 - wc) + rows[..., c1] * wc
    return _cast_like(out, arr)


class Resize:
    """Resize to ``(h, w)``, or match the shorter side to an int ``size`` (bilinear by default).

    >>> Resize((4, 4))(tenkai.ones(1, 2, 2)).shape
    torch.Size([1, 4, 4])
    """

    def __init__(self, size: int | Sequence[int], interpolation: Any = "bilinear",
                 max_size: int | None = None, antialias: bool | None = None) -> None:
        self.size = size if isinstance(size, numbers.Number) else tuple(size)
        self.interpolation = _mode(interpolation)
        self.max_size, self.antialias = max_size, antialias

    def _target(self, h: int, w: int) -> tuple[int, int]:
        if not isinstance(self.size, numbers.Number):
            return _pair(self.size, "Resize")
        short, long = (h, w) if h <= w else (w, h)
        new_short = int(self.size)  # type: ignore[call-overload]
        new_long = int(new_short * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img: Any) -> Any:
        arr, restore = _to_chw(img)
        return restore(resize_array(arr, self._target(*arr.shape[-2:]), self.interpolation))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias=False)")


def rotate_array(arr: np.ndarray, angle: float, mode: str = "nearest", fill: float = 0
                 ) -> np.ndarray:
    """Rotate the last two axes of ``arr`` by ``angle`` degrees counter-clockwise about the image
    centre, same size, ``fill`` outside the source."""
    h, w = arr.shape[-2:]
    theta = np.deg2rad(angle)
    cos, sin = np.cos(theta), np.sin(theta)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    dy, dx = ys - (h - 1) / 2, xs - (w - 1) / 2
    # Inverse map: where in the source does each output pixel come from (y grows downwards).
    src_x = dx * cos - dy * sin + (w - 1) / 2
    src_y = dx * sin + dy * cos + (h - 1) / 2
    padded = np.pad(arr.astype(np.float64), [(0, 0)] * (arr.ndim - 2) + [(1, 1), (1, 1)],
                    constant_values=fill)
    if mode == "nearest":
        out = _sample(padded, np.floor(src_y + 0.5), np.floor(src_x + 0.5))
    else:
        y0, x0 = np.floor(src_y), np.floor(src_x)
        wy, wx = src_y - y0, src_x - x0
        top = _sample(padded, y0, x0) * (1 - wx) + _sample(padded, y0, x0 + 1) * wx
        bottom = _sample(padded, y0 + 1, x0) * (1 - wx) + _sample(padded, y0 + 1, x0 + 1) * wx
        out = top * (1 - wy) + bottom * wy
    return _cast_like(out, arr)


def _sample(padded: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Gather from a 1-pixel ``fill`` border: out-of-range coordinates read the border."""
    h, w = padded.shape[-2] - 2, padded.shape[-1] - 2
    iy = np.clip(ys, -1, h).astype(np.int64) + 1
    ix = np.clip(xs, -1, w).astype(np.int64) + 1
    return padded[..., iy, ix]


class RandomRotation:
    """Rotate by a uniform random angle in ``[-degrees, degrees]`` (or ``(min, max)``),
    counter-clockwise, about the centre, zero fill (``RandomRotation(15)``)."""

    def __init__(self, degrees: float | Sequence[float], interpolation: Any = "nearest",
                 expand: bool = False, center: Any = None, fill: float = 0,
                 generator: Any = None) -> None:
        if isinstance(degrees, numbers.Number):
            if degrees < 0:  # type: ignore[operator]
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = [-float(degrees), float(degrees)]  # type: ignore[arg-type]
        elif len(degrees) != 2:
            raise ValueError("If degrees is a sequence, it must be of len 2.")
        if expand or center is not None:
            raise NotImplementedError("RandomRotation: expand=True and center= are not supported; "
                                      "tenkai rotates about the centre into the same size")
        self.degrees = [float(d) for d in degrees]
        self.interpolation, self.expand, self.center = _mode(interpolation), expand, center
        self.fill, self.generator = fill, generator

    def __call__(self, img: Any) -> Any:
        low, high = self.degrees
        angle = low + _uniform(self.generator) * (high - low)
        arr, restore = _to_chw(img)
        if angle == 0:
            return restore(arr.copy())
        return restore(rotate_array(arr, angle, self.interpolation, self.fill))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(degrees={self.degrees}, interpolation="
                f"{self.interpolation}, expand={self.expand}, fill={self.fill})")
