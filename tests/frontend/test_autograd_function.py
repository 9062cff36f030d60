"""tenkai.autograd.Function against PyTorch's semantics, eagerly and inside tenkai.compile."""

from __future__ import annotations

import numpy as np
import pytest
from compile_harness import cross_entropy_step

import tenkai
import tenkai.nn as nn
from tenkai.ir.errors import AutogradError

torch = pytest.importorskip("torch")


def _functions(lib):
    """The same custom Functions written against ``lib`` (torch or tenkai)."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class MulAdd(lib.autograd.Function):
        """(x * y + k, x - y) with a non-tensor argument and two outputs."""

        @staticmethod
        def forward(ctx, x, k, y):
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * y + k, x - y

        @staticmethod
        def backward(ctx, g_prod, g_diff):
            x, y = ctx.saved_tensors
            gx = g_prod * y + g_diff if ctx.needs_input_grad[0] else None
            gy = g_prod * x - g_diff if ctx.needs_input_grad[2] else None
            return gx, None, gy

    class Round(lib.autograd.Function):
        """Straight-through estimator: round forward, identity backward."""

        @staticmethod
        def forward(ctx, x):
            return x.round()

        @staticmethod
        def backward(ctx, grad):
            return grad

    class SortLike(lib.autograd.Function):
        """Two outputs, the second non-differentiable (indices-like)."""

        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(mask)
            return x * mask, mask

        @staticmethod
        def backward(ctx, grad, grad_mask):
            (mask,) = ctx.saved_tensors
            return grad * mask

    class Cube(lib.autograd.Function):
        """New-style: forward without ctx, setup_context; backward differentiable again."""

        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class NoMaterialize(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = (g1 is None, g2 is None)
            out = None
            for g, w in ((g1, 2), (g2, 3)):
                if g is not None:
                    out = g * w if out is None else out + g * w
            return out

    return dict(Exp=Exp, MulAdd=MulAdd, Round=Round, SortLike=SortLike, Cube=Cube,
                NoMaterialize=NoMaterialize)


T, K = _functions(torch), _functions(tenkai)


def _leaf(lib, array):
    return lib.tensor(array, requires_grad=True)


def _check_grads(build, arrays):
    """Run ``build(lib, fns, *leaves) -> loss`` with torch and tenkai; compare loss and grads."""
    leaves_t = [_leaf(torch, a) for a in arrays]
    leaves_k = [_leaf(tenkai, a) for a in arrays]
    loss_t, loss_k = build(torch, T, *leaves_t), build(tenkai, K, *leaves_k)
    loss_t.backward()
    loss_k.backward()
    np.testing.assert_allclose(loss_k.item(), loss_t.item(), rtol=1e-12)
    for a, b in zip(leaves_t, leaves_k, strict=True):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-12, atol=1e-14)


RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))


def test_single_output_function_chained_with_ops():
    _check_grads(lambda lib, f, x: (f["Exp"].apply(x * 0.5) * x).sum(), [X])


def test_functions_feeding_functions_and_a_shared_input():
    def build(lib, f, x, y):
        a, b = f["MulAdd"].apply(f["Exp"].apply(x * 0.3), 2.0, y)
        return (f["Exp"].apply(a * 0.1) * b).sum() + (x * a).sum()
    _check_grads(build, [X, Y])


def test_leaf_fed_directly_and_needs_input_grad():
    def build(lib, f, x):
        y = lib.tensor(Y)  # no grad: MulAdd's backward must not be asked for it
        a, b = f["MulAdd"].apply(x, 1.0, y)
        return (a * b).sum()
    _check_grads(build, [X])


def test_straight_through_and_non_differentiable_outputs():
    def build(lib, f, x):
        out, mask = f["SortLike"].apply(f["Round"].apply(x * 3))
        assert not mask.requires_grad and out.requires_grad
        return (out * out).sum() + mask.sum()
    _check_grads(build, [X])


def test_setup_context_style_and_double_backward():
    for lib, f in ((torch, T), (tenkai, K)):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = f["Cube"].apply(x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
        np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_set_materialize_grads_false_passes_none():
    for lib, f in ((torch, T), (tenkai, K)):
        x = _leaf(lib, X)
        a, _ = f["NoMaterialize"].apply(x)
        a.sum().backward()
        assert a.grad_fn.seen == (False, True)
        np.testing.assert_allclose(x.grad.numpy(), np.full_like(X, 2.0))


def test_grad_fn_names_and_next_functions():
    x = _leaf(tenkai, X)
    y = K["Exp"].apply(x * 2)
    assert repr(y).endswith("grad_fn=<ExpBackward>)")
    assert y.grad_fn.name() == "ExpBackward" and not y.is_leaf
    (fn, nr), = y.grad_fn.next_functions
    assert fn.name() == "MulBackward0" and nr == 0
    a, b = K["MulAdd"].apply(x, 1.0, x)
    assert [n for _, n in (b * 2).grad_fn.next_functions[:1]] == [1]
    assert b.grad_fn is a.grad_fn
    # one entry per tensor argument, as torch: the Python number 1.0 has none
    th = torch.tensor(X, requires_grad=True)
    want = T["MulAdd"].apply(th, 1.0, th)[0].grad_fn.next_functions
    got = a.grad_fn.next_functions
    assert [type(f).__name__ for f, _ in got] == [type(f).__name__ for f, _ in want] \
        == ["AccumulateGrad", "AccumulateGrad"]
    no_grad = K["Exp"].apply(tenkai.tensor(X))
    assert no_grad.grad_fn is None and not no_grad.requires_grad


def test_errors_match_torch():
    class TooMany(tenkai.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = _leaf(tenkai, X)
    with pytest.raises(RuntimeError, match=r"function TooManyBackward returned an incorrect "
                                           r"number of gradients \(expected 1, got 2\)"):
        TooMany.apply(x).sum().backward()

    class BadShape(tenkai.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got "
                                           r"\[2, 4\] but expected shape compatible with "
                                           r"\[3, 4\]"):
        BadShape.apply(x).sum().backward()
    y = K["Exp"].apply(x)
    y.sum().backward()
    with pytest.raises(AutogradError, match="backward through the graph a second time"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward"):
        K["Exp"]()(x)


def test_broadcast_gradient_is_summed_to_the_input_shape():
    class Widen(tenkai.autograd.Function):
        @staticmethod
        def forward(ctx, b):
            return b * 1

        @staticmethod
        def backward(ctx, g):
            return g.expand(3, 4)  # torch sums this down to (4,)

    b = _leaf(tenkai, Y[0])
    Widen.apply(b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 3)

    def forward(self, x):
        h = K["Round"].apply(self.fc1(x) * 4) / 4  # straight-through quantization
        h, _ = K["SortLike"].apply(h)                # a custom relu with a mask output
        return self.fc2(K["Exp"].apply(h * 0.1) * h)


def _trajectory(backend, steps=4):
    tenkai.manual_seed(0)
    model = _Net()
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)
    x, y = tenkai.randn(6, 4), tenkai.tensor([0, 1, 2, 0, 1, 2])

    step = cross_entropy_step(model, opt)

    fn = step if backend is None else tenkai.compile(step, backend=backend)
    record = []
    for _ in range(steps):
        loss = fn(x, y).item()
        record.append((loss, [p.grad.numpy().copy() for p in model.parameters()],
                       [p.detach().numpy().copy() for p in model.parameters()],
                       [v.numpy().copy() for s in opt.state.values() for v in s.values()
                        if isinstance(v, tenkai.Tensor)]))
    return record, fn


@pytest.mark.parametrize("backend", ["interp", "tenkai"])
def test_compiled_step_traces_the_user_backward(backend):
    eager, _ = _trajectory(None)
    compiled, fn = _trajectory(backend)
    assert fn.stats["replays"] >= 2 and fn.stats["retraces"] == 0
    for k, (a, b) in enumerate(zip(eager, compiled, strict=True)):
        np.testing.assert_allclose(b[0], a[0], rtol=1e-5, err_msg=f"loss {k}")
        for what, xs, ys in (("grad", a[1], b[1]), ("param", a[2], b[2]),
                             ("state", a[3], b[3])):
            for u, v in zip(xs, ys, strict=True):
                np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-6, err_msg=f"{what} {k}")
    # the straight-through gradient reached fc1: round's own derivative would be zero
    assert np.abs(compiled[-1][1][0]).max() > 0


def test_retain_graph_retain_grad_grad_wrt_outputs_and_inplace_check():
    results = []
    for lib, f in ((torch, T), (tenkai, K)):
        x = _leaf(lib, X)
        y = f["Exp"].apply(x)
        z = (y * y).sum()
        (gy,) = lib.autograd.grad(z, y, retain_graph=True)
        y.retain_grad()
        z.backward(retain_graph=True)
        z.backward()
        results.append((gy, y.grad, x.grad))
        b = x * 1
        out = f["MulAdd"].apply(b, 1.0, b)[0]
        with lib.no_grad():
            b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)
