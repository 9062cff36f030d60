"""Randomized low-rank factorizations (``torch.svd_lowrank``, ``torch.pca_lowrank``), the
removed ``torch.matrix_rank`` (it raises PyTorch's message) and the SyncBatchNorm building
blocks PyTorch exposes at the top level (``batch_norm_stats``, ``batch_norm_elemt``,
``batch_norm_gather_stats[_with_counts]``, ``batch_norm_update_stats``,
``batch_norm_backward_reduce``, ``batch_norm_backward_elemt``).

All are compositions of registry ops and linalg functions, so they differentiate and trace.
The low-rank ones draw their random test matrix from tenkai's generator (``manual_seed``
makes them reproducible); their factors equal PyTorch's up to the random draw, i.e. exactly
for a matrix of rank <= q.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _creation, _ops, _shape, linalg
from ._reduce import mean, sum
from ._tensor import Tensor
from .autograd import is_grad_enabled, no_grad

# ---------------------------------------------------------------- low rank


def _mT(t: Tensor) -> Tensor:
    return _shape.transpose(t, -2, -1)


def _range_basis(A: Tensor, q: int, niter: int) -> Tensor:
    """An orthonormal (m, q) basis approximately spanning A's range (subspace iteration on a
    Gaussian sketch, re-orthonormalized after every product)."""
    sketch = _creation.randn(*A.shape[:-2], A.shape[-1], q, dtype=A.dtype)
    Q = linalg.qr(_shape.matmul(A, sketch)).Q
    for _ in range(niter):
        Q = linalg.qr(_shape.matmul(_mT(A), Q)).Q
        Q = linalg.qr(_shape.matmul(A, Q)).Q
    return Q


def _lowrank(A: Tensor, q: int, niter: int) -> tuple[Tensor, Tensor, Tensor]:
    m, n = A.shape[-2:]
    if m < n:  # work on the tall transpose: A^T = V S U^T
        V, S, U = _lowrank(_mT(A), q, niter)
        return U, S, V
    Q = _range_basis(A, q, niter)
    U_small, S, Vh = linalg.svd(_shape.matmul(_mT(Q), A), full_matrices=False)
    return _shape.matmul(Q, U_small), S, _mT(Vh)


def _check_q(q: int, A: Tensor) -> None:
    m, n = A.shape[-2:]
    if not isinstance(q, int) or q < 0 or q > min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,
                M: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``(U, S, V)`` with ``A - M ~= U diag(S) V^T`` of rank ``q`` (Halko et al.'s randomized
    range finder with ``niter`` subspace iterations)."""
    q = 6 if q is None else q  # unchecked, as in PyTorch: q > min(m, n) gives min(m, n)
    X = A if M is None else _ops.sub(A, M)
    return _lowrank(X, q, 2 if niter is None else int(niter))


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """Principal components of the rows of ``A``: ``svd_lowrank`` of ``A`` less its column
    means (when ``center``), ``q`` defaulting to ``min(6, m, n)``."""
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    _check_q(q, A)
    X = _ops.sub(A, mean(A, -2, True)) if center else A
    return _lowrank(X, q, niter)


def _b_orthonormal(S: np.ndarray, B: np.ndarray | None) -> np.ndarray:
    """Columns spanning S's range, orthonormal in the B inner product (directions whose Gram
    eigenvalue is below rounding are dropped)."""
    G = S.T @ (S if B is None else B @ S)
    w, V = np.linalg.eigh((G + G.T) / 2)
    keep = w > max(w.max(initial=0.0), 0.0) * np.finfo(S.dtype).eps * S.shape[0] * 10
    return (S @ V[:, keep]) / np.sqrt(w[keep])


def _lobpcg_args(A: Tensor, k: int | None, X: Tensor | None, n: int | None,
                 tracker: Any, method: str | None) -> tuple[int, int]:
    if A.ndim != 2:
        raise NotImplementedError("lobpcg: batched inputs are not supported by tenkai; pass "
                                  "one (m, m) matrix")
    if A.requires_grad and is_grad_enabled():
        raise NotImplementedError("lobpcg: gradients are not supported by tenkai; pass "
                                  "A.detach()")
    if tracker is not None or method not in (None, "ortho", "basic"):
        raise NotImplementedError("lobpcg: tracker callbacks are not supported by tenkai")
    k = (1 if X is None else X.shape[-1]) if k is None else int(k)
    n = (k if X is None else X.shape[-1]) if n is None else int(n)
    m = A.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m})"
                         f" is smaller than 3 x the number of requested eigenpairs (={n})")
    return k, n


def lobpcg(A: Tensor, k: int | None = None, B: Tensor | None = None, X: Tensor | None = None,
           n: int | None = None, iK: Tensor | None = None, niter: int | None = None,
           tol: float | None = None, largest: bool | None = None, method: str | None = None,
           tracker: Any = None, ortho_iparams: Any = None, ortho_fparams: Any = None,
           ortho_bparams: Any = None) -> tuple[Tensor, Tensor]:
    """The ``k`` largest (or smallest) eigenpairs of the symmetric (generalized, with SPD
    ``B``) problem ``A x = e B x``, by LOBPCG: Rayleigh-Ritz over [X, residuals, previous
    directions] until every residual is below ``tol`` (relative) or ``niter`` iterations.
    Computed on the host (no gradient, no tracing)."""
    k, n = _lobpcg_args(A, k, X, n, tracker, method)
    a = A._data
    b = None if B is None else B._data
    pre = None if iK is None else iK._data
    tol = float(np.finfo(a.dtype).eps) ** 0.5 if tol is None else float(tol)
    steps = 1000 if niter is None else (niter if niter >= 0 else 1 << 62)
    start = (_creation.randn(a.shape[0], n, dtype=A.dtype) if X is None else X)._data
    a_norm, b_norm = np.linalg.norm(a), 1.0 if b is None else np.linalg.norm(b)
    x, p = _b_orthonormal(start.astype(a.dtype), b), None
    e, r = np.zeros(n, a.dtype), np.zeros_like(x)
    for it in range(steps + 1):
        basis = x if it == 0 else _b_orthonormal(np.hstack([x, r] + ([] if p is None else [p])),
                                                 b)
        w, c = np.linalg.eigh(basis.T @ a @ basis)
        pick = np.argsort(w)[::-1][:n] if largest in (None, True) else np.argsort(w)[:n]
        new = basis @ c[:, pick]
        e = w[pick]
        p = None if it == 0 else new - x @ (x.T @ (new if b is None else b @ new))
        x = new
        r = a @ x - (x if b is None else b @ x) * e
        scale = (a_norm + np.abs(e) * b_norm) * np.linalg.norm(x, axis=0)
        if np.all(np.linalg.norm(r, axis=0)[:k] <= tol * scale[:k]):
            break
        if pre is not None:
            r = pre @ r
    return (Tensor._make(np.ascontiguousarray(e[:k]).astype(a.dtype)),
            Tensor._make(np.ascontiguousarray(x[:, :k]).astype(a.dtype)))


def matrix_rank(input: Tensor, tol: Any = None, symmetric: bool = False, *,
                out: Any = None) -> Tensor:
    raise RuntimeError("This function was deprecated since version 1.9 and is now removed.\n"
                       "Please use the `torch.linalg.matrix_rank` function instead. The "
                       "parameter 'symmetric' was renamed in `torch.linalg.matrix_rank()` to "
                       "'hermitian'.")


# ---------------------------------------------------------------- SyncBatchNorm pieces


def _others(x: Tensor) -> tuple[int, ...]:
    return tuple(d for d in range(x.ndim) if d != 1)


def _per_channel(v: Tensor, x: Tensor) -> Tensor:
    """A (C,) vector shaped to broadcast over (N, C, ...)."""
    return _shape.reshape(v, (1, -1) + (1,) * (x.ndim - 2))


def batch_norm_stats(input: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """Per-channel ``(mean, invstd)``, ``invstd = 1 / sqrt(biased var + eps)``."""
    dims = _others(input)
    mu = mean(input, dims)
    var = mean(_ops.square(_ops.sub(input, _per_channel(mu, input))), dims)
    return mu, _ops.rsqrt(_ops.add(var, eps))


def batch_norm_elemt(input: Tensor, weight: Tensor | None, bias: Tensor | None, mean: Tensor,
                     invstd: Tensor, eps: float) -> Tensor:
    """``(input - mean) * invstd * weight + bias`` per channel."""
    out = _ops.mul(_ops.sub(input, _per_channel(mean, input)), _per_channel(invstd, input))
    if weight is not None:
        out = _ops.mul(out, _per_channel(weight, input))
    if bias is not None:
        out = _ops.add(out, _per_channel(bias, input))
    return out


def batch_norm_gather_stats_with_counts(input: Tensor, mean: Tensor, invstd: Tensor,
                                        running_mean: Tensor | None,
                                        running_var: Tensor | None, momentum: float,
                                        eps: float, counts: Tensor) -> tuple[Tensor, Tensor]:
    """Combine per-replica ``(mean, invstd)`` rows (W, C) with their sample ``counts`` (W,)
    into the global ``(mean, invstd)``; update the running stats (unbiased variance) in
    place."""
    c = _shape.reshape(_ops.cast(counts, mean._ir_dtype), (-1, 1))
    total = sum(c)
    gmean = _ops.div(sum(_ops.mul(c, mean), 0), total)
    var_i = _ops.sub(_ops.reciprocal(_ops.square(invstd)), eps)
    spread = _ops.add(var_i, _ops.square(_ops.sub(mean, gmean)))
    gvar = _ops.div(sum(_ops.mul(c, spread), 0), total)
    _update_running(running_mean, running_var, gmean, gvar, total, momentum)
    return gmean, _ops.rsqrt(_ops.add(gvar, eps))


def _update_running(running_mean: Tensor | None, running_var: Tensor | None, mu: Tensor,
                    var: Tensor, n: Any, momentum: float) -> None:
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1.0 - momentum).add_(_ops.mul(mu.detach(), momentum))
        if running_var is not None:
            unbiased = _ops.div(_ops.mul(var.detach(), n), _ops.sub(n, 1))
            running_var.mul_(1.0 - momentum).add_(_ops.mul(unbiased, momentum))


def batch_norm_gather_stats(input: Tensor, mean: Tensor, invstd: Tensor,
                            running_mean: Tensor | None, running_var: Tensor | None,
                            momentum: float, eps: float, count: int) -> tuple[Tensor, Tensor]:
    """``batch_norm_gather_stats_with_counts`` with ``count`` samples on every replica."""
    counts = _creation.full((mean.shape[0],), float(count), dtype=mean.dtype)
    return batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var,
                                               momentum, eps, counts)


def batch_norm_update_stats(input: Tensor, running_mean: Tensor | None,
                            running_var: Tensor | None,
                            momentum: float) -> tuple[Tensor, Tensor]:
    """Per-channel ``(mean, biased var)`` of ``input``; the running stats move towards the
    mean and the unbiased variance."""
    dims = _others(input)
    mu = mean(input, dims)
    var = mean(_ops.square(_ops.sub(input, _per_channel(mu, input))), dims)
    n = input.numel() // max(input.shape[1], 1)
    _update_running(running_mean, running_var, mu, var, n, momentum)
    return mu, var


def batch_norm_backward_reduce(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor,
                               weight: Tensor | None, input_g: bool, weight_g: bool,
                               bias_g: bool) -> tuple[Any, Any, Any, Any]:
    """Per-channel ``(sum_dy, sum_dy_xmu, grad_weight, grad_bias)`` of a batch-norm backward
    (None for the parts the flags do not ask for)."""
    dims = _others(input)
    sum_dy = sum(grad_out, dims)
    xmu = _ops.sub(input, _per_channel(mean, input))
    sum_dy_xmu = sum(_ops.mul(grad_out, xmu), dims)
    grad_weight = _ops.mul(sum_dy_xmu, invstd) if weight_g else None
    grad_bias = sum_dy if bias_g else None
    return (sum_dy if input_g else None, sum_dy_xmu if input_g else None, grad_weight,
            grad_bias)


def batch_norm_backward_elemt(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor,
                              weight: Tensor | None, sum_dy: Tensor, sum_dy_xmu: Tensor,
                              count: Tensor) -> Tensor:
    """The input gradient of batch norm from the (all-reduced) channel sums and the
    per-replica ``count`` of samples."""
    n = sum(_ops.cast(count, grad_out._ir_dtype))
    mean_dy = _ops.div(_per_channel(sum_dy, input), n)
    istd = _per_channel(invstd, input)
    proj = _ops.mul(_ops.mul(_ops.square(istd), _ops.div(_per_channel(sum_dy_xmu, input), n)),
                    _ops.sub(input, _per_channel(mean, input)))
    scale = istd if weight is None else _ops.mul(istd, _per_channel(weight, input))
    return _ops.mul(_ops.sub(_ops.sub(grad_out, mean_dy), proj), scale)


NAMES = """svd_lowrank pca_lowrank lobpcg matrix_rank batch_norm_stats batch_norm_elemt
batch_norm_gather_stats batch_norm_gather_stats_with_counts batch_norm_update_stats
batch_norm_backward_reduce batch_norm_backward_elemt""".split()
