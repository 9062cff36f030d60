"""``F.affine_grid`` and ``F.grid_sample`` (4-D) as composites of registry ops.

``affine_grid`` is a constant base grid times ``theta``'s transpose (one batched matmul).
``grid_sample`` turns normalized coordinates into pixel coordinates (with PyTorch's
``align_corners`` convention), applies the padding mode to the coordinates (``border``
clamps, ``reflection`` folds them back), and reads the corner pixels with ``gather`` on the
flattened image: bilinear weights the four corners, nearest rounds half to even. Gradients
reach both the input (through the gather) and the grid (through the weights).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

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
    return named(reshape(grid, (size[0], *spatial, len(spatial))), "AffineGridGeneratorBackward0")


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


def _source_index(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    x = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        x = ops.clamp(x, 0.0, float(size - 1))
    elif padding_mode == "reflection":
        x = (_reflect(x, 0, 2 * (size - 1)) if align_corners
             else _reflect(x, -1, 2 * size - 1))
        x = ops.clamp(x, 0.0, float(size - 1))
    return x


def _corner(flat: Tensor, xi: Tensor, yi: Tensor, h: int, w: int) -> tuple[Tensor, Tensor]:
    """Pixels (N, C, P) at integer (float-valued) coords (N, P), and their in-bounds mask."""
    valid = ops.logical_and(ops.logical_and(xi >= 0.0, xi <= float(w - 1)),
                            ops.logical_and(yi >= 0.0, yi <= float(h - 1)))
    idx = ops.cast(ops.clamp(yi, 0.0, float(h - 1)) * float(w)
                   + ops.clamp(xi, 0.0, float(w - 1)), "int64")
    n, c, p = flat.shape[0], flat.shape[1], idx.shape[1]
    vals = gather(flat, 2, unsqueeze(idx, 1).expand(n, c, p))
    return vals, unsqueeze(valid, 1)


def _check_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim == 5:
        raise NotImplementedError("grid_sample: 5-D (volumetric) input is not supported yet; "
                                  "tenkai samples 4-D (N, C, H, W) input")
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid of shape (N, H_out, W_out, 2) with "
                           f"N={input.shape[0]}, but got grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not supported yet; use "
                                  "'bilinear' or 'nearest'")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) ``input`` at the normalized (x, y) points of ``grid`` (N, Ho, Wo, 2).

    ``F.grid_sample(img, F.affine_grid(theta, img.shape, False), align_corners=False)``
    """
    _check_sample(input, grid, mode, padding_mode)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    g = reshape(grid, (n, ho * wo, 2))
    ix = _source_index(g[:, :, 0], w, padding_mode, align_corners)
    iy = _source_index(g[:, :, 1], h, padding_mode, align_corners)
    flat = reshape(input, (n, c, h * w))
    if mode == "nearest":
        vals, valid = _corner(flat, ix.round().detach(), iy.round().detach(), h, w)
        out = ops.where(valid, vals, 0.0)
    else:
        x0, y0 = ix.floor().detach(), iy.floor().detach()
        wx1, wy1 = ix - x0, iy - y0
        wx0, wy0 = 1.0 - wx1, 1.0 - wy1
        out = None
        for xs, ys, wt in ((x0, y0, wx0 * wy0), (x0 + 1.0, y0, wx1 * wy0),
                           (x0, y0 + 1.0, wx0 * wy1), (x0 + 1.0, y0 + 1.0, wx1 * wy1)):
            vals, valid = _corner(flat, xs, ys, h, w)
            term = ops.where(valid, vals * unsqueeze(wt, 1), 0.0)
            out = term if out is None else out + term
    return named(reshape(out, (n, c, ho, wo)), "GridSampler2DBackward0")
