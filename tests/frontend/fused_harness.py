"""Checks shared by the tests of eager fused steps (``tenkai._eager_fused``): a fused step
against the composite it stands for, and its double backward against PyTorch's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tenkai
from tenkai import _eager_fused


def assert_fused_equals_composite(call: Callable[[Any], Any], x: np.ndarray,
                                  rtol: float = 1e-12) -> None:
    """``call(t)`` on a leaf of ``x`` as a fused step and as its composite (fused steps
    switched off): the same values and gradients (a fixed random cotangent)."""
    found = []
    for off in (False, True):
        leaf = tenkai.tensor(x, requires_grad=True)
        prev, _eager_fused.SWITCH.off = _eager_fused.SWITCH.off, off
        try:
            out = call(leaf)
        finally:
            _eager_fused.SWITCH.off = prev
        assert (type(out.grad_fn).__name__ == "FusedBackward") != off
        g = np.random.default_rng(3).standard_normal(tuple(out.shape)).astype(x.dtype)
        out.backward(tenkai.tensor(g))
        found.append((out.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(found[0][0], found[1][0], rtol=rtol)
    np.testing.assert_allclose(found[0][1], found[1][1], rtol=rtol, atol=1e-12)


def assert_double_backward_matches(call: Callable[[Any, Any], Any], x: np.ndarray,
                                   torch: Any) -> None:
    """``d/dx sum(d/dx sum(call(lib, x) ** 3))`` through a fused step equals PyTorch's."""
    grads = []
    for lib in (tenkai, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((call(lib, t) ** 3).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), t)
        grads.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-9, atol=1e-12)
