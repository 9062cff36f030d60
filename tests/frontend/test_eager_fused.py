"""Eager fused steps (``tenkai._eager_fused``): the fused values and gradients equal the
composite's (the definition) and PyTorch's; autograd's rules hold through them (double
backward, in-place checks, freed graphs, next_functions)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai import _eager_fused
from tenkai.ir.errors import AutogradError

torch = pytest.importorskip("torch")


def _composite():
    """A context in which every fused step runs its composite instead."""
    class _Off:
        def __enter__(self):
            self.prev, _eager_fused.SWITCH.off = _eager_fused.SWITCH.off, True

        def __exit__(self, *exc):
            _eager_fused.SWITCH.off = self.prev
    return _Off()


def _layer(lib, kind, kwargs, weights):
    torch.manual_seed(0)
    mod = getattr(lib.nn, kind)(3, 5, **kwargs)
    if weights[0].dtype == np.float64:
        mod = mod.double()
    with lib.no_grad():
        for p, w in zip(mod.parameters(), weights, strict=True):
            p.copy_(lib.tensor(w))
    return mod


def _run(lib, kind, kwargs, weights, x, h=None):
    mod = _layer(lib, kind, kwargs, weights)
    xt = lib.tensor(x, requires_grad=True)
    out, state = mod(xt) if h is None else mod(xt, h(lib))
    states = state if isinstance(state, tuple) else (state,)
    loss = (out * out).sum() + sum((s * s * (k + 1)).sum() for k, s in enumerate(states))
    loss.backward()
    grads = [xt.grad] + [p.grad for p in mod.parameters()]
    return [out, *states], grads, out


def _reaches_fused(fn, depth):
    """Whether a FusedBackward is among ``fn`` and the grad_fns ``depth`` edges behind it."""
    if isinstance(fn, _eager_fused.FusedBackward):
        return True
    return depth > 0 and fn is not None and any(
        _reaches_fused(f, depth - 1) for f, _ in getattr(fn, "next_functions", ()))


RNN_CASES = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", dict(nonlinearity="relu")),
             ("LSTM", dict(num_layers=2, bidirectional=True)),
             ("GRU", dict(bidirectional=True, bias=False, batch_first=True)),
             ("RNN", dict(bidirectional=True, num_layers=2))]


@pytest.mark.parametrize(("kind", "kwargs"), RNN_CASES,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(RNN_CASES)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recurrent_layers_fused_match_composite_and_torch(kind, kwargs, dtype):
    rng = np.random.default_rng(0)
    ref = getattr(torch.nn, kind)(3, 5, **kwargs)
    weights = [p.detach().numpy().astype(dtype) for p in ref.parameters()]
    x = rng.standard_normal((4, 2, 3)).astype(dtype)
    fused_outs, fused_grads, out = _run(tenkai, kind, kwargs, weights, x)
    assert _reaches_fused(out.grad_fn, 3)
    with _composite():
        comp_outs, comp_grads, comp_out = _run(tenkai, kind, kwargs, weights, x)
    assert out.grad_fn.name() == comp_out.grad_fn.name()
    ref_w = [w.astype(np.float64) for w in weights]
    torch_outs, torch_grads, _ = _run(torch, kind, kwargs, ref_w, x.astype(np.float64))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    for a, b, c in zip(fused_outs + fused_grads, comp_outs + comp_grads,
                       torch_outs + torch_grads, strict=True):
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), **tol)


def test_lstm_with_states_double_backward_matches_torch():
    """create_graph: the fused step's gradients come from the composite, recorded."""
    rng = np.random.default_rng(1)
    ref = torch.nn.LSTM(3, 5).double()
    weights = [p.detach().numpy() for p in ref.parameters()]
    x = rng.standard_normal((4, 2, 3))
    h0, c0 = rng.standard_normal((1, 2, 5)), rng.standard_normal((1, 2, 5))
    results = []
    for lib in (torch, tenkai):
        mod = _layer(lib, "LSTM", {}, weights)
        xt = lib.tensor(x, requires_grad=True)
        ht, ct = lib.tensor(h0, requires_grad=True), lib.tensor(c0, requires_grad=True)
        out, (h, c) = mod(xt, (ht, ct))
        loss = (out.tanh().sum() + (h * c).sum())
        gx, gh = lib.autograd.grad(loss, (xt, ht), create_graph=True)
        ((gx * gx).sum() + gh.sum()).backward()
        results.append([xt.grad, ht.grad, ct.grad] + [p.grad for p in mod.parameters()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-8,
                                   atol=1e-10)


def test_fused_step_keeps_autograd_checks():
    lstm = tenkai.nn.LSTM(3, 4)
    x = tenkai.randn(2, 1, 3, requires_grad=True)
    y = x * 1.0
    out, _ = lstm(y)
    fn = out.grad_fn  # the stack of the layer's steps
    assert isinstance(fn, _eager_fused.FusedBackward) and fn.name() == "StackBackward0"
    shown = [f for f, _ in fn.next_functions]
    assert shown[0] is y.grad_fn and shown[1] is None and shown[2] is None  # x, h0, c0
    assert [type(f).__name__ for f in shown[3:]] == ["AccumulateGrad"] * 4
    out.sum().backward(retain_graph=True)
    out.sum().backward()
    with pytest.raises(AutogradError, match="second time"):
        out.sum().backward()
    out, _ = lstm(y)
    with tenkai.no_grad():
        y.add_(1.0)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        out.sum().backward()


def test_no_fused_step_without_grad_or_while_tracing(monkeypatch):
    lstm = tenkai.nn.LSTM(3, 4)
    with tenkai.no_grad():
        out, _ = lstm(tenkai.randn(2, 1, 3))
    assert out.grad_fn is None
    x = tenkai.randn(2, 1, 3)
    eager = lstm(x)[0].sum().item()

    def refuse(*args, **kwargs):
        raise AssertionError("a fused step was recorded while tracing")
    monkeypatch.setattr(_eager_fused, "record", refuse)
    fn = tenkai.compile(lambda x: lstm(x)[0].sum(), backend="interp")
    assert [fn(x).item() for _ in range(2)] == pytest.approx([eager] * 2, rel=1e-5)
    assert fn.stats["replays"] == 1


def _three_ways(run):
    """``run(lib)`` -> tensors (the output first) in torch, tenkai fused, tenkai composite."""
    results = []
    for lib, off in ((torch, False), (tenkai, False), (tenkai, True)):
        _eager_fused.SWITCH.off = off
        try:
            results.append(run(lib))
        finally:
            _eager_fused.SWITCH.off = False
    return results


def _check_three(results, **tol):
    """The fused and the composite results equal torch's (values, dtypes, grad_fn name)."""
    assert isinstance(results[1][0].grad_fn, _eager_fused.FusedBackward)
    assert not isinstance(results[2][0].grad_fn, _eager_fused.FusedBackward)
    for ours in results[1:]:
        assert ours[0].grad_fn.name() == results[0][0].grad_fn.name()
        for a, b in zip(results[0], ours, strict=True):
            assert b.dtype == getattr(tenkai, str(a.dtype).split(".")[-1])
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **tol)


PAD_CASES = [((1, 2, 4, 4), (1, 2, 2, 1)), ((2, 3, 5), (2, 3)),
             ((1, 1, 3, 4, 5), (1, 2, 0, 1, 2, 1)), ((2, 6), (4, 0)),
             # from _fused_nn.PAD_SLICES_MIN elements: the interior, then border planes
             ((2, 8, 32, 40), (1, 2, 3, 1)), ((1, 2, 20, 24, 40), (1, 2, 0, 1, 2, 1))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "pad"), PAD_CASES)
def test_pad_fused_matches_composite_and_torch(mode, shape, pad):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(torch.nn.functional.pad(torch.tensor(x), pad, mode=mode).shape)

    def run(lib):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.pad(xt, pad, mode=mode)
        (y * lib.tensor(w)).sum().backward()
        return [y, xt.grad]
    _check_three(_three_ways(run), rtol=1e-12, atol=1e-12)

def _norm_cases():
    return [
        ((2, 3, 4, 5), lambda F, x, w, b: F.layer_norm(x, (4, 5), w, b), (4, 5)),
        ((6, 7), lambda F, x, w, b: F.layer_norm(x, (7,), w, b, eps=1e-3), (7,)),
        ((6, 7), lambda F, x, w, b: F.layer_norm(x, (7,)), None),
        ((2, 4, 3, 3), lambda F, x, w, b: F.group_norm(x, 2, w, b), (4,)),
        ((3, 6), lambda F, x, w, b: F.group_norm(x, 3, w, b), (6,)),
        ((2, 4, 5), lambda F, x, w, b: F.group_norm(x, 4), None),
        ((2, 3, 4, 4), lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b), (3,)),
        ((2, 3, 5), lambda F, x, w, b: F.instance_norm(x), None)]


@pytest.mark.parametrize("case", range(len(_norm_cases())))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norms_fused_match_composite_and_torch(case, dtype):
    shape, f, wshape = _norm_cases()[case]
    rng = np.random.default_rng(case)
    arrays = [rng.standard_normal(shape), rng.standard_normal(shape)]
    if wshape:
        arrays += [rng.standard_normal(wshape), rng.standard_normal(wshape)]
    arrays = [a.astype(dtype) for a in arrays]
    def run(lib):
        x, *params = [lib.tensor(a, requires_grad=True) for a in arrays[:1] + arrays[2:]]
        y = f(lib.nn.functional, x, *(params or [None, None]))
        (y * lib.tensor(arrays[1])).sum().backward()
        return [y, x.grad] + [p.grad for p in params]
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    _check_three(_three_ways(run), **tol)

@pytest.mark.parametrize(("shape", "gshape"), [((2, 3, 4, 5), (2, 3, 6, 2)),
                                               ((1, 2, 3, 4, 5), (1, 2, 3, 2, 3))])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_sample_fused_matches_composite_and_torch(shape, gshape, align, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.uniform(-1.2, 1.2, gshape).astype(dtype)  # some points outside: zeros padding
    def run(lib):
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(g, requires_grad=True)
        y = lib.nn.functional.grid_sample(xt, gt, align_corners=align)
        w = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype)
        (y * lib.tensor(w)).sum().backward()
        return [y, xt.grad, gt.grad]
    tol = dict(rtol=1e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    _check_three(_three_ways(run), **tol)


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"include_last_offset": True},
                                    {"two_d": True}])
def test_embedding_bag_fused_matches_composite_and_torch(mode, kwargs):
    rng = np.random.default_rng(4)
    idx, w = rng.integers(0, 10, 12), rng.standard_normal((10, 3)).astype(np.float32)
    offsets = np.array([0, 3, 3, 7] + ([12] if kwargs.get("include_last_offset") else []))
    two_d = kwargs.pop("two_d", False)

    def run(lib):
        wt = lib.tensor(w, requires_grad=True)
        if two_d:
            y = lib.nn.functional.embedding_bag(lib.tensor(idx.reshape(4, 3)), wt, mode=mode)
        else:
            y = lib.nn.functional.embedding_bag(lib.tensor(idx), wt, lib.tensor(offsets),
                                                mode=mode, **kwargs)
        g = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(np.float32)
        (y * lib.tensor(g)).sum().backward()
        return [y, wt.grad]
    _check_three(_three_ways(run), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("kind", "shape", "kwargs"), [
    ("unfold", (2, 3, 5, 6), dict(kernel_size=3, padding=1)),
    ("unfold", (3, 5, 6), dict(kernel_size=(2, 3), dilation=(1, 2), stride=2)),
    ("fold", (2, 27, 30), dict(output_size=(5, 6), kernel_size=3, padding=1)),
    ("fold", (16, 9), dict(output_size=(4, 4), kernel_size=2))])
def test_unfold_fold_fused_match_composite_and_torch(kind, shape, kwargs):
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)

    def run(lib):
        xt = lib.tensor(x, requires_grad=True)
        y = getattr(lib.nn.functional, kind)(xt, **kwargs)
        g = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(np.float32)
        (y * lib.tensor(g)).sum().backward()
        return [y, xt.grad]
    _check_three(_three_ways(run), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("shape", "kwargs"), [
    ((1, 2, 4, 4), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 4), dict(scale_factor=2, mode="nearest")),
    ((2, 2, 5), dict(size=3, mode="nearest-exact")), ((2, 2, 5), dict(size=8, mode="linear")),
    ((1, 2, 4, 5), dict(size=(6, 9), mode="bicubic")),
    ((1, 1, 3, 4, 2), dict(scale_factor=1.5, mode="trilinear"))])
def test_interpolate_fused_matches_composite_and_torch(shape, kwargs):
    x = np.random.default_rng(6).standard_normal(shape).astype(np.float32)

    def run(lib):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.interpolate(xt, **kwargs)
        g = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(np.float32)
        (y * lib.tensor(g)).sum().backward()
        return [y, xt.grad]
    _check_three(_three_ways(run), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("sa", "sb", "mode"), [
    ((8, 4), (6, 4), "use_mm_for_euclid_dist_if_necessary"),
    ((30, 5), (27, 5), "use_mm_for_euclid_dist_if_necessary"),
    ((2, 8, 4), (2, 6, 4), "donot_use_mm_for_euclid_dist"),
    ((3, 4), (3, 4), "use_mm_for_euclid_dist")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cdist_fused_matches_composite_and_torch(sa, sb, mode, dtype):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    if sa == sb and dtype == np.float64:  # (float32's mm form leaves ~1e-4 of rounding)
        b[0] = a[0]  # a zero distance: its gradient is 0, as PyTorch's

    def run(lib):
        at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = lib.cdist(at, bt, compute_mode=mode)
        g = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype)
        (y * lib.tensor(g)).sum().backward()
        return [y, at.grad, bt.grad]
    results = _three_ways(run)  # (PyTorch's mm form names its grad_fn ViewBackward0)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for ours in results[1:]:
        assert ours[0].grad_fn.name() == "CdistBackward0"
        for x, y in zip(results[0], ours, strict=True):
            assert y.dtype == getattr(tenkai, str(x.dtype).split(".")[-1])
            np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy(), **tol)
    assert isinstance(results[1][0].grad_fn, _eager_fused.FusedBackward)


@pytest.mark.parametrize(("shapes", "kwargs"), [
    (((1, 2, 4, 4),) * 3, {}), (((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4)), {}),
    (((1, 2, 4, 4),) * 3, dict(is_causal=True)), (((1, 2, 5, 4),) * 3, dict(scale=0.3))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_attention_fused_matches_composite_and_torch(shapes, kwargs, dtype):
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]

    def run(lib):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = lib.nn.functional.scaled_dot_product_attention(*ts, **kwargs)
        g = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype)
        (y * lib.tensor(g)).sum().backward()
        return [y] + [t.grad for t in ts]
    results = _three_ways(run)
    assert results[1][0].grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert [f.name() for f, _ in results[1][0].grad_fn.next_functions] == [
        "torch::autograd::AccumulateGrad"] * 3
    assert isinstance(results[1][0].grad_fn, _eager_fused.FusedBackward)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for ours in results[1:]:  # (the composite's grad_fn is its last matmul's)
        for a, b in zip(results[0], ours, strict=True):
            assert b.dtype == getattr(tenkai, str(a.dtype).split(".")[-1])
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **tol)
