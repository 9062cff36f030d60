"""tenkai.autograd.functional against torch.autograd.functional (same functions, same inputs)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")
TF = torch.autograd.functional
KF = tenkai.autograd.functional


def scalar_fn(x, y):
    return (x.sin() * y).sum() + (x * x * y.exp()).sum()


def pair_fn(x, y):
    return x.exp() * y[0], (x[:2] * y[1:]).tanh()


def single_fn(x):
    return (x ** 3).cumsum(0) if hasattr(x, "cumsum") else x ** 3


def square_matrix_fn(x):
    return x @ x.T


RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal(3), RNG.standard_normal(3)
M = RNG.standard_normal((2, 3))


def _flatten(result):
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _flatten(r)]
    return [result]


def _compare(a, b, create_graph=False):
    fa, fb = _flatten(a), _flatten(b)
    assert len(fa) == len(fb)
    for u, v in zip(fa, fb, strict=True):
        assert isinstance(v, tenkai.Tensor)
        assert tuple(v.shape) == tuple(u.shape)
        assert v.requires_grad == u.requires_grad or not create_graph
        np.testing.assert_allclose(v.detach().numpy(), u.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


def _args(lib, *arrays):
    return tuple(lib.tensor(a) for a in arrays)


@pytest.mark.parametrize(("fn", "arrays", "tuple_in"), [
    (scalar_fn, (X, Y), True), (pair_fn, (X, Y), True), (single_fn, (X,), False),
    (square_matrix_fn, (M,), False)])
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_matches_torch(fn, arrays, tuple_in, vectorize):
    a = TF.jacobian(fn, _args(torch, *arrays) if tuple_in else torch.tensor(arrays[0]),
                    vectorize=vectorize)
    b = KF.jacobian(fn, _args(tenkai, *arrays) if tuple_in else tenkai.tensor(arrays[0]),
                    vectorize=vectorize)
    assert type(a) is type(b) or isinstance(b, tenkai.Tensor)
    _compare(a, b)


@pytest.mark.parametrize("tuple_in", [True, False])
def test_hessian_matches_torch(tuple_in):
    if tuple_in:
        a, b = TF.hessian(scalar_fn, _args(torch, X, Y)), KF.hessian(scalar_fn, _args(tenkai, X, Y))
        assert len(b) == 2 and len(b[0]) == 2
    else:
        def fn(x):
            return scalar_fn(x, x.cos())
        a, b = TF.hessian(fn, torch.tensor(M)), KF.hessian(fn, tenkai.tensor(M))
        assert tuple(b.shape) == (2, 3, 2, 3)
    _compare(a, b)


@pytest.mark.parametrize("name", ["vjp", "jvp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp_match_torch(name, create_graph):
    torch_v = _args(torch, RNG.standard_normal(3), RNG.standard_normal(2)) if name == "vjp" \
        else _args(torch, X * 0.5, Y * 0.25)
    ours_v = tuple(tenkai.tensor(t.numpy()) for t in torch_v)
    x_t = tuple(t.requires_grad_(create_graph) for t in _args(torch, X, Y))
    x_k = tuple(t.requires_grad_(create_graph) for t in _args(tenkai, X, Y))
    a = getattr(TF, name)(pair_fn, x_t, torch_v, create_graph=create_graph)
    b = getattr(KF, name)(pair_fn, x_k, ours_v, create_graph=create_graph)
    _compare(a, b, create_graph)
    if create_graph:  # the products are differentiable with respect to the inputs
        (ga,) = torch.autograd.grad(_flatten(a[1])[0].sum(), x_t[0])
        (gb,) = tenkai.autograd.grad(_flatten(b[1])[0].sum(), x_k[0])
        np.testing.assert_allclose(gb.numpy(), ga.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hvp_vhp_match_torch(name):
    v = (RNG.standard_normal(3), RNG.standard_normal(3))
    a = getattr(TF, name)(scalar_fn, _args(torch, X, Y), _args(torch, *v))
    b = getattr(KF, name)(scalar_fn, _args(tenkai, X, Y), _args(tenkai, *v))
    _compare(a, b)
    single_a = getattr(TF, name)(lambda x: (x ** 3).sum(), torch.tensor(X), torch.tensor(v[0]))
    single_b = getattr(KF, name)(lambda x: (x ** 3).sum(), tenkai.tensor(X), tenkai.tensor(v[0]))
    _compare(single_a, single_b)


def test_v_none_and_strict_and_errors_match_torch():
    a = TF.vjp(lambda x: (x * x).sum(), torch.tensor(X))
    b = KF.vjp(lambda x: (x * x).sum(), tenkai.tensor(X))
    _compare(a, b)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element."):
        KF.vjp(lambda x: x * 2, tenkai.tensor(X))
    # an input the output does not depend on: zeros, or PyTorch's error in strict mode
    _compare(TF.jacobian(lambda x, y: x * 2, _args(torch, X, Y)),
             KF.jacobian(lambda x, y: x * 2, _args(tenkai, X, Y)))
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode."):
        KF.vjp(lambda x, y: (x * 2).sum(), _args(tenkai, X, Y), strict=True)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor "
                                        "or a tuple of Tensors"):
        KF.jacobian(lambda x: x, [1.0])
    with pytest.raises(RuntimeError, match="should contain a single element"):
        KF.hessian(lambda x: x * 2, tenkai.tensor(X))
    with pytest.raises(RuntimeError, match=r"Entry 0 in v has invalid size"):
        KF.jvp(lambda x: x * 2, tenkai.tensor(X), tenkai.tensor(Y[:2]))
