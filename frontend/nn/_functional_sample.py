"""``F.affine_grid`` and ``F.grid_sample`` as composites of registry ops.

``affine_grid`` is a constant base grid times ``theta``'s transpose (one batched matmul).
``grid_sample`` (4-D and 5-D) turns normalized coordinates into pixel coordinates (with
PyTorch's ``align_corners`` convention), applies the padding mode to the coordinates
(``border`` clamps, ``reflection`` folds them back), and reads the corner pixels with
``gather`` on the flattened image: bilinear (trilinear for 5-D) weights the 2^n corners,
nearest rounds half to even, bicubic (4-D) weights 16 taps with PyTorch's cubic
coefficients, the padding mode applied to every tap. Gradients reach both the input
(through the gather) and the grid (through the weights).
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from .. import _eager_fast as fast
from .. import _eager_fused
from .. import _ops as ops
from .._shape import gather, matmul, reshape, unsqueeze
from .._tensor import Tensor
from ._functional_common import named

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _base_coords(n: int, align_corners: bool) -> np.ndarray:
    if n <= 1:
        return np.zeros((n,), dtype=np.float64)
    c = np.linspace(-1.0, 1.0, n)
    return c if align_corners else c * (n - 1) / n


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta``.

    ``F.affine_grid(torch.eye(2, 3)[None], (1, 1, 4, 4), align_corners=False)`` is the
    identity grid of a 4x4 image.
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(v) for v in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {tuple(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {tuple(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta has batch {theta.shape[0]} but size asks for "
                           f"{size[0]}")
    axes = [_base_coords(s, align_corners) for s in spatial]         # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")                          # z, y, x order
    cols = [mesh[i] for i in reversed(range(len(mesh)))] + [np.ones_like(mesh[0])]
    base = np.stack(cols, -1).reshape(1, -1, len(cols)).astype(theta._data.dtype)
    grid = matmul(Tensor._make(base), theta.transpose(1, 2))
    return named(reshape(grid, (size[0], *spatial, len(spatial))), "AffineGridGeneratorBackward0",
                 theta)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1.0) * ((size - 1) / 2.0)
    return ((coord + 1.0) * size - 1.0) / 2.0


def _reflect(x: Tensor, twice_low: int, twice_high: int) -> Tensor:
    if twice_low == twice_high:
        return x * 0.0
    lo, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
    x = (x - lo).abs()
    flips = (x / span).floor().detach()
    extra = x - flips * span
    even = (flips - 2.0 * (flips / 2.0).floor()) == 0
    return ops.where(even, extra + lo, (extra * -1.0) + (span + lo))


def _pad_coord(x: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """PyTorch's compute_coordinates: the padding mode applied to pixel coordinates."""
    if padding_mode == "border":
        x = ops.clamp(x, 0.0, float(size - 1))
    elif padding_mode == "reflection":
        x = (_reflect(x, 0, 2 * (size - 1)) if align_corners
             else _reflect(x, -1, 2 * size - 1))
        x = ops.clamp(x, 0.0, float(size - 1))
    return x


def _gather_at(flat: Tensor, pos: list[Tensor], sizes: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """Values (N, C, P) at integer-valued coordinates ``pos`` (one (N, P) per spatial axis,
    outermost first) and their in-bounds mask (N, 1, P)."""
    valid, idx = None, None
    for axis, (x, size) in enumerate(zip(pos, sizes, strict=True)):
        inside = ops.logical_and(x >= 0.0, x <= float(size - 1))
        valid = inside if valid is None else ops.logical_and(valid, inside)
        stride = float(np.prod(sizes[axis + 1:]))
        term = ops.clamp(x, 0.0, float(size - 1)) * stride
        idx = term if idx is None else idx + term
    idx = ops.cast(idx, "int64")
    n, c, p = flat.shape[0], flat.shape[1], idx.shape[1]
    vals = gather(flat, 2, unsqueeze(idx, 1).expand(n, c, p))
    return vals, unsqueeze(valid, 1)


def _cubic_coefficients(t: Tensor) -> list[Tensor]:
    """PyTorch's get_cubic_upsample_coefficients (A = -0.75) for the taps -1, 0, 1, 2."""
    a = -0.75

    def conv1(x: Tensor) -> Tensor:
        return ((x * (a + 2.0) - (a + 3.0)) * x) * x + 1.0

    def conv2(x: Tensor) -> Tensor:
        return ((x * a - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a

    return [conv2(t + 1.0), conv1(t), conv1(1.0 - t), conv2(2.0 - t)]


def _check_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    nd = input.ndim - 2
    if grid.shape[-1] != nd or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension "
                           f"and batch {input.shape[0]}, but got grid with sizes "
                           f"{list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    if mode == "bicubic" and nd == 3:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _sample_linear(flat: Tensor, coords: list[Tensor], sizes: tuple[int, ...],
                   nearest: bool) -> Tensor:
    if nearest:
        vals, valid = _gather_at(flat, [x.round().detach() for x in coords], sizes)
        return ops.where(valid, vals, 0.0)
    bases = [x.floor().detach() for x in coords]
    fracs = [x - b for x, b in zip(coords, bases, strict=True)]
    out = None
    for bits in itertools.product((0, 1), repeat=len(coords)):
        pos = [b + float(bit) for b, bit in zip(bases, bits, strict=True)]
        wt = None
        for f, bit in zip(fracs, bits, strict=True):
            w = f if bit else 1.0 - f
            wt = w if wt is None else wt * w
        vals, valid = _gather_at(flat, pos, sizes)
        term = ops.where(valid, vals * unsqueeze(wt, 1), 0.0)
        out = term if out is None else out + term
    return out


def _sample_bicubic(flat: Tensor, raw: list[Tensor], sizes: tuple[int, ...],
                    padding_mode: str, align_corners: bool) -> Tensor:
    """16 taps around each point; the padding mode maps every tap's coordinates."""
    (iy, ix), (h, w) = raw, sizes
    y0, x0 = iy.floor().detach(), ix.floor().detach()
    cy, cx = _cubic_coefficients(iy - y0), _cubic_coefficients(ix - x0)
    out = None
    for i in range(4):
        ys = _pad_coord(y0 + float(i - 1), h, padding_mode, align_corners).floor()
        for j in range(4):
            xs = _pad_coord(x0 + float(j - 1), w, padding_mode, align_corners).floor()
            vals, valid = _gather_at(flat, [ys, xs], sizes)
            term = ops.where(valid, vals * unsqueeze(cy[i] * cx[j], 1), 0.0)
            out = term if out is None else out + term
    return out


# ---------------------------------------------------------------- the same in numpy (eager)


def _reflect_data(x: np.ndarray, twice_low: int, twice_high: int) -> np.ndarray:
    if twice_low == twice_high:
        return x * 0.0
    lo, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
    x = np.abs(x - lo)
    flips = np.floor(x / span)
    extra = x - flips * span
    even = (flips - 2.0 * np.floor(flips / 2.0)) == 0
    return np.where(even, extra + lo, (extra * -1.0) + (span + lo))


def _pad_coord_data(x: np.ndarray, size: int, padding_mode: str,
                    align_corners: bool) -> np.ndarray:
    if padding_mode == "reflection":
        x = (_reflect_data(x, 0, 2 * (size - 1)) if align_corners
             else _reflect_data(x, -1, 2 * size - 1))
    if padding_mode in ("border", "reflection"):
        x = np.clip(x, 0.0, float(size - 1))
    return x


def _gather_data(flat: np.ndarray, pos: list[np.ndarray], sizes: tuple[int, ...],
                 keep: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``flat`` (n, c, S) read at the (n, m) pixel coordinates ``pos`` (one array per axis,
    clamped into the image) and the (n, 1, m) mask of the coordinates inside it; ``keep``
    receives the flat (n, c, m) positions read (``"at"``)."""
    valid, idx = None, None
    strides = [1.0] * len(sizes)
    for axis in range(len(sizes) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * sizes[axis + 1]
    for x, size, stride in zip(pos, sizes, strides, strict=True):
        top = float(size - 1)
        inside = (x >= 0.0) & (x <= top)
        valid = inside if valid is None else valid & inside
        term = np.minimum(np.maximum(x, 0.0), top) * stride  # np.clip, without its cost
        idx = term if idx is None else idx + term
    n, c, total = flat.shape
    rows = np.arange(0, n * c * total, total, dtype=np.int64).reshape(n, c, 1)
    at = rows + idx.astype(np.int64)[:, None, :]
    if keep is not None:
        keep["at"] = at
    return np.take(flat.reshape(-1), at), valid[:, None, :]


def _linear_data(flat: np.ndarray, coords: list[np.ndarray], sizes: tuple[int, ...],
                 keep: dict | None = None) -> np.ndarray:
    """The bilinear/trilinear sum over the 2^nd corners with one gather for all of them:
    the same values, weights and order of additions as one gather per corner. ``keep``
    receives what the backward reads (corner bits, per-axis weights, values, mask)."""
    n, points = coords[0].shape
    bits = np.array(list(itertools.product((0, 1), repeat=len(sizes))))  # (corners, nd)
    corners = len(bits)
    pos, wt, factors = [], None, []
    for axis, v in enumerate(coords):
        base = np.floor(v)
        frac = v - base
        step = np.array([0.0, 1.0], dtype=base.dtype)[bits[:, axis]][:, None, None]
        pos.append((base + step).transpose(1, 0, 2).reshape(n, corners * points))
        w = np.stack([1.0 - frac, frac])[bits[:, axis]]  # (corners, n, points)
        factors.append(w)
        wt = w if wt is None else wt * w
    vals, valid = _gather_data(flat, pos, sizes, keep)
    if keep is not None:
        keep.update(bits=bits, factors=factors, wt=wt, vals=vals, valid=valid)
    shape = (n, flat.shape[1], corners, points)
    terms = np.where(valid.reshape(n, 1, corners, points), vals.reshape(shape)
                     * wt.transpose(1, 0, 2)[:, None], 0.0)
    out = terms[:, :, 0]
    for k in range(1, corners):
        out = out + terms[:, :, k]
    return out


def _bilinear_2d(flat: np.ndarray, cy: np.ndarray, cx: np.ndarray, h: int, w: int,
                 keep: dict | None = None) -> np.ndarray | None:
    """:func:`_linear_data` for 2-D images with fewer array passes, the same values: a zero
    pixel appended to each plane is what an outside corner reads (its weight times +0.0 is
    the reference's masked +0.0), so the corner values are weighted without a mask; the four
    corners are added in the reference's order. None for non-finite coordinates (their
    weights are nan: the reference masks those). ``keep`` receives what
    :func:`_backward_2d` reads."""
    if not math.isfinite(float(np.add.reduce(cy, None)) + float(np.add.reduce(cx, None))):
        return None  # (a finite sum may overflow: then the reference runs, as for inf)
    n, c, s = flat.shape
    points = cy.shape[1]
    ys, xs, wy, wx = np.empty((4, 2) + cy.shape, cy.dtype)  # (2, n, points) each
    for base, frac, v in ((ys, wy, cy), (xs, wx, cx)):  # the corners' coordinates, weights
        np.floor(v, out=base[0])
        np.add(base[0], 1.0, out=base[1])
        np.subtract(v, base[0], out=frac[1])
        np.subtract(1.0, frac[1], out=frac[0])
    valid = (((ys >= 0.0) & (ys <= h - 1.0))[:, None]
             & ((xs >= 0.0) & (xs <= w - 1.0))[None])  # (2, 2, n, points): (y bit, x bit)
    idx = (np.minimum(np.maximum(ys, 0.0), h - 1.0) * float(w))[:, None] \
        + np.minimum(np.maximum(xs, 0.0), w - 1.0)[None]
    idx = np.where(valid, idx.astype(np.int64), s).transpose(2, 0, 1, 3).reshape(n, 4 * points)
    wt = (wy[:, None] * wx[None]).transpose(2, 0, 1, 3).reshape(n, 4, points)
    dtype = np.result_type(flat.dtype, wt.dtype)
    pixels = np.zeros((n, s + 1, c), flat.dtype)  # channels last: a corner reads c in a row
    pixels[:, :s] = flat.transpose(0, 2, 1)
    out = np.empty((n, c, points), dtype)
    kept = []
    for b in range(n):
        vals = np.take(pixels[b], idx[b], axis=0).reshape(4, points, c)
        terms = np.multiply(vals, wt[b][:, :, None], dtype=dtype)
        out[b] = (terms[0] + terms[1] + terms[2] + terms[3]).T
        kept.append(vals)
    if keep is not None:
        keep.update(idx=idx, wt=wt, wy=wy, wx=wx, vals=kept)
    return out


def _backward_2d(keep: dict, g: np.ndarray, x_shape: tuple, align_corners: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The input and grid gradients of :func:`_bilinear_2d` (zeros padding) for the output
    gradient ``g`` (n, c, points): each corner's weighted gradient added onto the pixel it
    read (one bincount per sample; outside corners land on the dropped zero pixel), and the
    corner values times the derivatives of the corner weights for the grid."""
    n, c, h, w = x_shape
    s, points = h * w, g.shape[2]
    idx, wt, wy, wx = keep["idx"], keep["wt"], keep["wy"], keep["wx"]
    d_x = np.empty((n, c, s), g.dtype)
    gyv = np.empty((n, 4, points), g.dtype)
    lanes = np.arange(c)
    for b in range(n):
        gt = g[b].T  # (points, c)
        spread = (wt[b][:, :, None] * gt).reshape(-1)  # (corners * points * c)
        at = (idx[b][:, None] * c + lanes).reshape(-1)
        d_x[b] = np.bincount(at, spread, (s + 1) * c).reshape(s + 1, c)[:s].T
        gyv[b] = np.add.reduce(keep["vals"][b] * gt, axis=2)
    gyv = gyv.reshape(n, 2, 2, points)
    sy = (h - 1) / 2.0 if align_corners else h / 2.0
    sx = (w - 1) / 2.0 if align_corners else w / 2.0
    d_grid = np.empty((n, points, 2), g.dtype)
    # d wt / d y: the x weight, signed by the y bit; d wt / d x likewise
    d_grid[:, :, 1] = (np.add.reduce((gyv[:, 1] - gyv[:, 0]) * wx.transpose(1, 0, 2), axis=1)
                       * sy)
    d_grid[:, :, 0] = (np.add.reduce((gyv[:, :, 1] - gyv[:, :, 0]) * wy.transpose(1, 0, 2),
                                     axis=1) * sx)
    return d_x.reshape(x_shape), d_grid


def _sample_data(x: np.ndarray, grid: np.ndarray, nearest: bool, padding_mode: str,
                 align_corners: bool, keep: dict | None = None) -> np.ndarray:
    """:func:`grid_sample`'s bilinear/nearest composite on arrays, step for step (``keep``:
    see :func:`_linear_data`)."""
    nd, (n, c), sizes = x.ndim - 2, x.shape[:2], tuple(x.shape[2:])
    g = grid.reshape(n, -1, nd)
    flat = x.reshape(n, c, -1)
    coords = []
    for i, size in enumerate(sizes):
        v = g[:, :, nd - 1 - i]
        v = (v + 1.0) * ((size - 1) / 2.0) if align_corners else ((v + 1.0) * size - 1.0) / 2.0
        coords.append(_pad_coord_data(v, size, padding_mode, align_corners))
    if nearest:
        vals, valid = _gather_data(flat, [np.round(v) for v in coords], sizes)
        out = np.where(valid, vals, 0.0)
    else:
        out = _bilinear_2d(flat, coords[0], coords[1], *sizes, keep) if nd == 2 else None
        out = _linear_data(flat, coords, sizes, keep) if out is None else out
    return np.asarray(out, dtype=x.dtype).reshape(n, c, *grid.shape[1:-1])


def _sample_fused(input: Tensor, grid: Tensor, align_corners: bool, name: str) -> Tensor | None:
    """Bilinear/trilinear ``grid_sample`` with zeros padding as one fused eager step (see
    :mod:`tenkai._eager_fused`), or None: the forward of the fast path; the backward adds
    each corner's weighted gradient onto the pixel it read (one bincount) and differentiates
    the corner weights for the grid."""
    if not _eager_fused.available(input, grid):
        return None
    x, keep = input._data, {}
    out = _sample_data(x, grid._data, False, "zeros", align_corners, keep)
    sizes = x.shape[2:]

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        if "idx" in keep:  # the 2-D path
            d_x, d_grid = _backward_2d(keep, seeds[0].reshape(*x.shape[:2], -1), x.shape,
                                       align_corners)
            return [d_x, d_grid.reshape(grid.shape)]
        n, c = x.shape[:2]
        bits, valid, wt = keep["bits"], keep["valid"], keep["wt"]
        corners = len(bits)
        gy = seeds[0].reshape(n, c, 1, -1)
        valid = valid.reshape(n, 1, corners, -1)
        picked = np.where(valid, gy * wt.transpose(1, 0, 2)[:, None], 0.0)
        d_x = np.bincount(keep["at"].ravel(), picked.ravel(), x.size)
        gyv = np.add.reduce(np.where(valid, gy * keep["vals"].reshape(n, c, corners, -1), 0.0),
                            axis=1)  # (n, corners, points)
        d_grid = np.empty(grid.shape, x.dtype).reshape(n, -1, len(sizes))
        for axis, size in enumerate(sizes):
            dw = np.where(bits[:, axis] == 1, 1.0, -1.0).astype(x.dtype)[:, None, None]
            for other, f in enumerate(keep["factors"]):
                if other != axis:
                    dw = dw * f
            scale = (size - 1) / 2.0 if align_corners else size / 2.0
            d_grid[:, :, len(sizes) - 1 - axis] = np.add.reduce(
                gyv * dw.transpose(1, 0, 2), axis=1) * scale
        return [d_x.astype(x.dtype).reshape(x.shape), d_grid.reshape(grid.shape)]

    def composite(i: Tensor, g: Tensor) -> list[Tensor]:
        return [grid_sample(i, g, "bilinear", "zeros", align_corners)]

    return _eager_fused.record(name, [input, grid], [out], backward, composite)[0]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) ``input`` at the normalized (x, y) points of ``grid``
    (N, Ho, Wo, 2), or (N, C, D, H, W) at (x, y, z) points (N, Do, Ho, Wo, 3).

    ``F.grid_sample(img, F.affine_grid(theta, img.shape, False), align_corners=False)``
    """
    _check_sample(input, grid, mode, padding_mode)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    nd = input.ndim - 2
    if mode != "bicubic" and fast.plain_float(input, grid):
        return fast.result(_sample_data(input._data, grid._data, mode == "nearest",
                                        padding_mode, align_corners))
    if mode == "bilinear" and padding_mode == "zeros":
        fused = _sample_fused(input, grid, align_corners, f"GridSampler{nd}DBackward0")
        if fused is not None:
            return fused
    n, c, sizes = input.shape[0], input.shape[1], tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    g = reshape(grid, (n, -1, nd))
    flat = reshape(input, (n, c, -1))
    # grid component k addresses spatial axis nd - 1 - k (x -> W, y -> H, z -> D)
    raw = [_unnormalize(g[:, :, nd - 1 - i], sizes[i], align_corners) for i in range(nd)]
    if mode == "bicubic":
        out = _sample_bicubic(flat, raw, sizes, padding_mode, align_corners)
    else:
        coords = [_pad_coord(x, size, padding_mode, align_corners)
                  for x, size in zip(raw, sizes, strict=True)]
        out = _sample_linear(flat, coords, sizes, mode == "nearest")
    return named(reshape(out, (n, c, *out_spatial)), f"GridSampler{nd}DBackward0", input, grid)
