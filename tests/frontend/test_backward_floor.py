"""The generic eager backward's fast paths mean what the general engine means: the one-walk
structure key, the quicker movement steps of backward plans, the frozen per-signature step
functions and the in-place accumulation into an existing ``.grad``."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import tenkai as tk
from tenkai import _autograd, _backward_plan, _node
from tenkai._node import collect
from tenkai.ir import REGISTRY


@pytest.mark.parametrize("src,shape", [
    ((), (3, 4)), ((1, 1), (4, 4)), ((4, 1), (4, 5)), ((5,), (3, 5)), ((1, 3, 1), (2, 3, 4)),
    ((2, 3), (2, 3)), ((1,), (100, 100)), ((100, 1), (100, 100)), ((), ()),
])
def test_quick_expand_is_the_reference(src, shape):
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64, np.int64):
        x = rng.standard_normal(src).astype(dtype)
        want = REGISTRY["expand"].reference(x, shape=shape)
        got = _backward_plan._expand(x, shape)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_quick_reshape_is_the_reference():
    x = np.arange(24.0, dtype=np.float32).reshape(4, 6).T  # not contiguous: reshape copies
    for shape in [(24,), (2, 12), (6, 2, 2), (1, 24, 1)]:
        want = REGISTRY["reshape"].reference(x, shape=shape)
        got = _backward_plan._reshape(x, shape)
        np.testing.assert_array_equal(got, want)
        assert got.flags.c_contiguous == want.flags.c_contiguous
    one = np.ones((), np.float32)
    np.testing.assert_array_equal(_backward_plan._reshape(one, (1, 1)),
                                  REGISTRY["reshape"].reference(one, shape=(1, 1)))


def _graphs():
    x = tk.randn(3, 4, requires_grad=True)
    w = tk.randn(4, 2, requires_grad=True)
    y = x * 2
    shared = (y * y + y).sum()  # a node used three times
    two = [(x @ w).tanh().sum(), x.sin().mean()]
    leaf_twice = (x * x).sum()
    return [[shared._node], [t._node for t in two], [leaf_twice._node], [x._node]]


def test_one_walk_key_is_the_structure_key():
    for roots in _graphs():
        order, index, parts, special = _node.walk(roots)
        assert order == collect(roots) and not special
        assert index == {id(n): k for k, n in enumerate(order)}
        wrt = [n for n in order if n.op is None]
        assert (_autograd._key(parts, index, roots, wrt)
                == _autograd._structure_key(order, roots, wrt))


def test_structure_key_tells_sharing_apart():
    x = tk.randn(3, requires_grad=True)
    z = tk.randn(3, requires_grad=True)
    same = _node.walk([(x * x).sum()._node])
    other = _node.walk([(x * z).sum()._node])
    assert same[2] != other[2]


def _both(fn, *shapes, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    tks = [tk.tensor(v, requires_grad=True) for v in values]
    pts = [torch.tensor(v, requires_grad=True) for v in values]
    return tks, pts


@pytest.mark.parametrize("fn", [
    lambda m, x: x.sum(),
    lambda m, x: (x * 2).sum(),
    lambda m, x: x.sin().sum(),
    lambda m, x: ((x * x + 1).tanh()).sum(),
    lambda m, x: x.mean(0).sum(),
    lambda m, x: (x[:, :1] * x).sum(),
])
def test_repeated_backward_accumulates_like_torch(fn):
    (a,), (b,) = _both(fn, (5, 4))
    for step in range(4):  # the first run freezes the plan's step functions, later ones use them
        fn(tk, a).backward()
        fn(torch, b).backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)
        if step == 1:
            a.grad = None
            b.grad = None


def test_seed_of_another_dtype_leaves_the_frozen_steps():
    (a,), (b,) = _both(None, (4, 4))
    for seed_dtype in (torch.float32, torch.float64, torch.float32):
        g = np.full((4, 4), 0.5)
        tk_seed = tk.tensor(g, dtype=getattr(tk, str(seed_dtype)[6:]), requires_grad=True)
        (a * 3).backward(tk_seed)
        (b * 3).backward(torch.tensor(g, dtype=seed_dtype))
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)


def test_native_switched_off_between_runs(monkeypatch):
    (a,), (b,) = _both(None, (64, 64))
    for env in ("1", "0", "1"):
        monkeypatch.setenv("TENKAI_EAGER_NATIVE", env)
        (a.exp() * a).sum().backward()
        (b.exp() * b).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5)


def test_accumulation_keeps_hooks_versions_and_dtypes():
    a = tk.ones(3, requires_grad=True)
    (a * 2).sum().backward()
    grad = a.grad
    version = grad._vc[0]
    (a * 2).sum().backward()  # added in place: same tensor, version bumped
    assert a.grad is grad and grad._vc[0] == version + 1
    np.testing.assert_array_equal(grad.numpy(), [4.0, 4.0, 4.0])
    seen = []
    a.register_hook(lambda g: seen.append(g.clone()) or g * 10)
    (a * 2).sum().backward()  # a tensor hook: the general path, which applies it
    np.testing.assert_array_equal(a.grad.numpy(), [24.0, 24.0, 24.0])
    assert len(seen) == 1
    post = []
    b = tk.ones(2, requires_grad=True)
    b.register_post_accumulate_grad_hook(lambda t: post.append(t.grad.clone()))
    for _ in range(2):
        (b * 3).sum().backward()
    assert [p.numpy().tolist() for p in post] == [[3.0, 3.0], [6.0, 6.0]]
    c = tk.ones(2, requires_grad=True)
    c.grad = tk.zeros(2, dtype=tk.float64)  # another dtype: the general path casts first
    (c * 0.1).sum().backward()
    assert c.grad.dtype == tk.float64
    np.testing.assert_array_equal(c.grad.numpy(), np.float32(0.1).astype(np.float64))


def test_retained_nonleaf_grad_accumulates():
    a = tk.ones(3, requires_grad=True)
    b = torch.ones(3, requires_grad=True)
    ya, yb = a * 2, b * 2
    ya.retain_grad()
    yb.retain_grad()
    for _ in range(2):
        (ya * ya).sum().backward(retain_graph=True)
        (yb * yb).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(ya.grad.numpy(), yb.grad.numpy())
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_autograd_grad_of_expand_is_writable_and_private():
    x = tk.ones(2, 3, requires_grad=True)
    for _ in range(2):
        (g,) = tk.autograd.grad(x.sum(), x)
        g.add_(1)  # the user's gradient: writing it changes no later result
        np.testing.assert_array_equal(g.numpy(), np.full((2, 3), 2.0))


@pytest.mark.parametrize("xs,ish,axis", [
    ((8, 4), (8, 1), 1), ((5, 3, 4), (5, 1, 4), 1), ((6, 7), (1, 7), 0), ((2, 3, 4), (2, 3, 1), 2),
    ((8, 4), (8, 2), 1), ((3,), (1,), 0), ((4, 5), (3, 1), 1), ((4, 5), (4, 1), 1),
])
def test_quick_scatter_add_is_the_reference(xs, ish, axis):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xs).astype(np.float32)
    idx = rng.integers(-xs[axis], xs[axis], ish)  # negatives wrap under "index"
    src = rng.standard_normal([max(a, b) for a, b in zip(ish, xs, strict=True)]
                              ).astype(np.float32)
    for bounds in ("index", "gather"):
        try:
            want = REGISTRY["scatter_add"].reference(x, idx, src, axis=axis, bounds=bounds)
        except Exception as err:  # noqa: BLE001  (the quick step raises the same error)
            with pytest.raises(type(err), match=re.escape(str(err))):
                _backward_plan._scatter_add(x, idx, src, axis, bounds)
            continue
        got = _backward_plan._scatter_add(x, idx, src, axis, bounds)
        assert got.dtype == want.dtype and got.flags.c_contiguous
        np.testing.assert_array_equal(got, want)


def test_cross_entropy_training_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    mods = []
    for lib in (tk, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(4, 3)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(np.arange(12.0).reshape(3, 4) / 10, dtype=lib.float32))
            model.bias.zero_()
        mods.append((lib, model, lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)))
    for _ in range(4):
        out = []
        for lib, model, opt in mods:
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            out.append((loss.item(), model.weight.grad.numpy().copy(),
                        model.weight.detach().numpy().copy()))
        (la, ga, wa), (lb, gb, wb) = out
        assert la == pytest.approx(lb, rel=1e-5)
        np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
