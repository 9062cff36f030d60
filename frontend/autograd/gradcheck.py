"""``tenkai.autograd.gradcheck`` / ``gradgradcheck``: compare the gradients autograd computes
(a custom ``Function``'s backward, or the symbolic VJPs) with central finite differences.

Like PyTorch's, ``torch.autograd.gradcheck`` is the function (it shadows this module's name)
and ``from tenkai.autograd.gradcheck import GradcheckError`` reaches the exception."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._creation import tensor as _make
from .._dtype import float64
from .._tensor import Tensor
from ._core import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

_UNSUPPORTED = ("check_batched_grad", "check_batched_forward_grad", "check_forward_ad",
                "check_fwd_over_rev")


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a gradient does not match."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_float(t: Any) -> bool:
    return isinstance(t, Tensor) and t.dtype.is_floating_point


def _outputs(func: Callable, inputs: tuple[Any, ...]) -> list[Any]:
    return [o for o in _as_tuple(func(*inputs)) if _is_float(o)]


def _numerical(func: Callable, inputs: tuple[Any, ...], index: int, eps: float) -> list[Any]:
    """d outputs / d inputs[index] by central differences: one (out.numel, in.numel) matrix per
    differentiable output."""
    base = inputs[index].detach().numpy()
    flat = base.reshape(-1).astype(base.dtype, copy=True)
    columns: list[list[np.ndarray]] = []
    for j in range(flat.size):
        values = []
        for delta in (eps, -eps):
            probe = flat.copy()
            probe[j] += delta
            probed = _make(probe.reshape(base.shape), requires_grad=True)
            args = inputs[:index] + (probed,) + inputs[index + 1:]
            values.append([o.detach().numpy().astype(np.float64).reshape(-1)
                           for o in _outputs(func, args)])
        columns.append([(p - m) / (2 * eps) for p, m in zip(values[0], values[1], strict=True)])
    n_out = len(columns[0]) if columns else 0
    return [np.stack([c[k] for c in columns], axis=1) if columns else
            np.zeros((0, 0)) for k in range(n_out)]


def _analytical(func: Callable, inputs: tuple[Any, ...], diff: list[int]) -> list[list[Any]]:
    """rows[k][i]: d output k / d inputs[diff[i]] from autograd, one backward per output
    element."""
    outputs = _outputs(func, inputs)
    result = []
    for out in outputs:
        n = out.numel()
        mats = [np.zeros((n, inputs[i].numel())) for i in diff]
        if out.requires_grad:
            for r in range(n):
                seed = np.zeros(n, dtype=out.detach().numpy().dtype)
                seed[r] = 1
                grads = grad(out, [inputs[i] for i in diff],
                             grad_outputs=_make(seed.reshape(tuple(out.shape))),
                             retain_graph=True, allow_unused=True)
                for m, g in zip(mats, grads, strict=True):
                    if g is not None:
                        m[r] = g.detach().numpy().astype(np.float64).reshape(-1)
        result.append(mats)
    return result


def _check_inputs(inputs: tuple[Any, ...], options: dict[str, Any]) -> list[int]:
    for name in _UNSUPPORTED:
        if options.get(name):
            raise NotImplementedError(f"gradcheck: {name}=True is not supported by tenkai "
                                      "(it checks reverse-mode gradients only)")
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype != float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision "
                          "floating point or complex. This check will likely fail if all the "
                          "inputs are not of double precision floating point or complex. ",
                          UserWarning, stacklevel=3)
    return diff


def _fmt(matrix: np.ndarray) -> str:
    return repr(_make(matrix))


def _compare(func: Callable, inputs: tuple[Any, ...], diff: list[int], eps: float,
             atol: float, rtol: float, nondet_tol: float) -> None:
    analytical = _analytical(func, inputs, diff)
    for pos, i in enumerate(diff):
        numerical = _numerical(func, inputs, i, eps)
        for k, (mats, num) in enumerate(zip(analytical, numerical, strict=True)):
            ana = mats[pos]
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {i},\n"
                    f"numerical:{_fmt(num)}\nanalytical:{_fmt(ana)}\n")
    again = _analytical(func, inputs, diff)
    for first, second in zip(analytical, again, strict=True):
        for a, b in zip(first, second, strict=True):
            if not np.allclose(a, b, rtol=0.0, atol=nondet_tol):
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    "gradient matches numerical gradient.The tolerance for nondeterminism was "
                    f"{nondet_tol}.")


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-06,
              atol: float = 1e-05, rtol: float = 0.001, raise_exception: bool = True,
              nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` (the tensors with requires_grad=True)
    against finite differences with step ``eps``: ``|analytical - numerical| <= atol + rtol *
    |numerical|`` elementwise. Returns True, or raises GradcheckError (returns False when
    ``raise_exception=False``). ``fast_mode`` runs the full check (slower, as strict)."""
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, {"check_batched_grad": check_batched_grad,
                                  "check_batched_forward_grad": check_batched_forward_grad,
                                  "check_forward_ad": check_forward_ad})
    if not check_backward_ad:
        return True
    try:
        _compare(func, inputs, diff, eps, atol, rtol, nondet_tol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _first_grads(func: Callable, n_inputs: int, diff: list[int]) -> Callable[..., Any]:
    def grads(*args: Any) -> tuple[Any, ...]:
        inputs, seeds = args[:n_inputs], args[n_inputs:]
        outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
        result = grad(outputs, [inputs[i] for i in diff], grad_outputs=list(seeds),
                      create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(result)
    return grads


def gradgradcheck(func: Callable[..., Any], inputs: Any,
                  grad_outputs: Sequence[Any] | Any | None = None, *, eps: float = 1e-06,
                  atol: float = 1e-05, rtol: float = 0.001,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """gradcheck of the first-order gradients of ``func`` (with ``grad_outputs``, random
    float64 ones by default) with respect to the inputs and the grad_outputs."""
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, {"check_batched_grad": check_batched_grad,
                                  "check_fwd_over_rev": check_fwd_over_rev})
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_make(rng.standard_normal(tuple(o.shape)).astype(
            o.detach().numpy().dtype), requires_grad=True)
            for o in _outputs(func, inputs) if o.requires_grad]
    if not check_rev_over_rev:
        return True
    seeds = _as_tuple(grad_outputs)
    return gradcheck(_first_grads(func, len(inputs), diff), inputs + tuple(seeds), eps=eps,
                     atol=atol, rtol=rtol, raise_exception=raise_exception,
                     nondet_tol=nondet_tol)
