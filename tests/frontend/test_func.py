"""``tenkai.func`` against ``torch.func``: grad, vjp, jvp, jacrev/jacfwd, hessian, vmap and
functional_call."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai as torch

pt = pytest.importorskip("torch", reason="compares against PyTorch")

A = np.array([0.5, -1.2, 2.0])
B = np.array([[1.0, 2.0, -1.0], [0.3, 0.0, 4.0]])


def f(lib, x):
    return (lib.sin(x) * x ** 2).sum()


def g(lib, x, w):
    return lib.tanh(w @ x)


def close(a, b, **kw):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            close(x, y, **kw)
        return
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12,
                               **kw)


def test_grad_and_nested_grad_match_pytorch() -> None:
    close(torch.func.grad(lambda x: f(torch, x))(torch.tensor(A)),
          pt.func.grad(lambda x: f(pt, x))(pt.tensor(A)))
    second = torch.func.grad(lambda x: torch.func.grad(lambda y: f(torch, y))(x).sum())
    close(second(torch.tensor(A)),
          pt.func.grad(lambda x: pt.func.grad(lambda y: f(pt, y))(x).sum())(pt.tensor(A)))
    gv_t = torch.func.grad_and_value(lambda x, w: g(torch, x, w).sum(), argnums=(0, 1))(
        torch.tensor(A), torch.tensor(B))
    gv_p = pt.func.grad_and_value(lambda x, w: g(pt, x, w).sum(), argnums=(0, 1))(
        pt.tensor(A), pt.tensor(B))
    close(gv_t[0], gv_p[0])
    close(gv_t[1], gv_p[1])
    aux = torch.func.grad(lambda x: (f(torch, x), x * 2), has_aux=True)(torch.tensor(A))
    close(aux[1], torch.tensor(A) * 2)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar"):
        torch.func.grad(lambda x: x * 2)(torch.tensor(A))


def test_vjp_jvp_jacobians_hessian_match_pytorch() -> None:
    out_t, fn_t = torch.func.vjp(lambda x, w: g(torch, x, w), torch.tensor(A), torch.tensor(B))
    out_p, fn_p = pt.func.vjp(lambda x, w: g(pt, x, w), pt.tensor(A), pt.tensor(B))
    close(out_t, out_p)
    close(fn_t(torch.tensor([1.0, -2.0], dtype=torch.float64)),
          fn_p(pt.tensor([1.0, -2.0], dtype=pt.float64)))
    close(torch.func.jvp(lambda x: g(torch, x, torch.tensor(B)), (torch.tensor(A),),
                         (torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64),)),
          pt.func.jvp(lambda x: g(pt, x, pt.tensor(B)), (pt.tensor(A),),
                      (pt.tensor([1.0, 0.0, 2.0], dtype=pt.float64),)))
    for name in ("jacrev", "jacfwd"):
        close(getattr(torch.func, name)(lambda x, w: g(torch, x, w), argnums=(0, 1))(
                  torch.tensor(A), torch.tensor(B)),
              getattr(pt.func, name)(lambda x, w: g(pt, x, w), argnums=(0, 1))(
                  pt.tensor(A), pt.tensor(B)))
    close(torch.func.hessian(lambda x: f(torch, x))(torch.tensor(A)),
          pt.func.hessian(lambda x: f(pt, x))(pt.tensor(A)))


def test_vmap_matches_pytorch() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3))
    w = np.random.default_rng(1).standard_normal((2, 3))
    close(torch.func.vmap(lambda r, m: g(torch, r, m), in_dims=(0, None))(torch.tensor(x),
                                                                          torch.tensor(w)),
          pt.func.vmap(lambda r, m: g(pt, r, m), in_dims=(0, None))(pt.tensor(x), pt.tensor(w)))
    close(torch.func.vmap(torch.dot, in_dims=(1, 1), out_dims=0)(torch.tensor(x.T),
                                                                  torch.tensor(x.T)),
          pt.func.vmap(pt.dot, in_dims=(1, 1))(pt.tensor(x.T), pt.tensor(x.T)))
    # per-example gradients, the classic use
    per_t = torch.func.vmap(torch.func.grad(lambda m, r: g(torch, r, m).sum()),
                            in_dims=(None, 0))(torch.tensor(w), torch.tensor(x))
    per_p = pt.func.vmap(pt.func.grad(lambda m, r: g(pt, r, m).sum()),
                         in_dims=(None, 0))(pt.tensor(w), pt.tensor(x))
    close(per_t, per_p)
    pair = torch.func.vmap(lambda r: (r.sum(), r * 2), out_dims=(0, 1))(torch.tensor(x))
    close(pair, pt.func.vmap(lambda r: (r.sum(), r * 2), out_dims=(0, 1))(pt.tensor(x)))
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        torch.func.vmap(torch.add)(torch.ones(3), torch.ones(4))


def test_functional_call_swaps_parameters_and_restores_them() -> None:
    m = torch.nn.Linear(3, 2)
    before = m.weight
    w = torch.tensor(B, dtype=torch.float32)
    b = torch.tensor([1.0, -1.0])
    x = torch.tensor(A, dtype=torch.float32)
    out = torch.func.functional_call(m, {"weight": w, "bias": b}, (x,))
    close(out, w @ x + b)
    assert m.weight is before
    with pytest.raises(AttributeError, match="no parameter or buffer named 'nope'"):
        torch.func.functional_call(m, {"nope": w}, (x,))
    with pytest.raises(RuntimeError, match="missing keys \\['bias'\\]"):
        torch.func.functional_call(m, {"weight": w}, (x,), strict=True)
