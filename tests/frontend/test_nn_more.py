"""Issue 13 "nn" additions beyond the table-driven module/functional comparisons: a compiled
training step through several new layers against eager (both backends), ParameterList /
ParameterDict against torch, gumbel_softmax, and the errors users meet first."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


class SmallNet(nn.Module):
    """Conv features through GroupNorm, SiLU, reflection padding, PixelShuffle, RMSNorm,
    Hardswish and a Bilinear head, trained with a triplet + margin loss."""

    def __init__(self) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv = nn.Conv2d(2, 4, 3)
        self.norm = nn.GroupNorm(2, 4)
        self.act = nn.SiLU()
        self.shuffle = nn.PixelShuffle(2)
        self.inorm = nn.InstanceNorm2d(1, affine=True)
        self.flat = nn.Flatten()
        self.rms = nn.RMSNorm(16)
        self.proj = nn.Linear(16, 4)
        self.hs = nn.Hardswish()
        self.bil = nn.Bilinear(4, 4, 3)
        self.scales = nn.ParameterList([nn.Parameter(tenkai.ones(4))])
        self.offsets = nn.ParameterDict({"b": nn.Parameter(tenkai.zeros(3))})

    def forward(self, x: tenkai.Tensor) -> tenkai.Tensor:
        h = self.shuffle(self.act(self.norm(self.conv(self.pad(x)))))  # (N, 1, 4, 4)
        # SiLU between the norms: RMSNorm right after the one-channel InstanceNorm made the
        # output invariant to inorm.weight, whose gradient is then rounding noise (0 or
        # ~1e-9 by the order of the sums) that Adam's first step scales up to ~lr
        h = self.hs(self.proj(self.rms(self.flat(self.act(self.inorm(h)))))) * self.scales[0]
        return self.bil(h, h.flip(0)) + self.offsets["b"]


def _trajectory(backend: str | None, steps: int = 3) -> tuple[list, object]:
    tenkai.manual_seed(0)
    model = SmallNet()
    # eps 1e-3: column 0 of the output gets an exactly-zero bias gradient, which eager (fused
    # steps) and compiled (the composites) round to different ~1e-9 noise; Adam's default eps
    # (1e-8) would scale that noise into a full lr-sized step of either sign
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05, eps=1e-3)
    x = tenkai.randn(4, 2, 2, 2)
    target = tenkai.tensor([0, 2, 1, 2])
    hinge = nn.MultiMarginLoss(margin=0.5)
    triplet = nn.TripletMarginLoss(margin=0.5)

    def step(x, target):
        opt.zero_grad()
        out = model(x)
        loss = hinge(out, target) + triplet(out, out[[1, 2, 3, 0]], out.flip(0)) * 0.1
        loss.backward()
        opt.step()
        return loss

    fn = step if backend is None else tenkai.compile(step, backend=backend)
    record = []
    for _ in range(steps):
        loss = fn(x, target).item()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        params = [p.detach().numpy().copy() for p in model.parameters()]
        state = [v.numpy().copy() for s in opt.state.values() for v in s.values()
                 if isinstance(v, tenkai.Tensor)]
        record.append((loss, grads, params, state))
    return record, fn


# LLVM compiles the ~60 kernels of this step in ~10 s on a busy machine: the full suite runs it
@pytest.mark.parametrize("backend", ["interp", pytest.param("tenkai", marks=pytest.mark.slow)])
def test_compiled_step_through_new_layers_follows_eager(backend: str) -> None:
    eager, _ = _trajectory(None)
    compiled, fn = _trajectory(backend)
    assert eager[0][0] != eager[-1][0]  # it trains
    for k, (a, b) in enumerate(zip(eager, compiled, strict=True)):
        np.testing.assert_allclose(b[0], a[0], rtol=1e-5, err_msg=f"loss {k}")
        for what, xs, ys in (("grad", a[1], b[1]), ("param", a[2], b[2]),
                             ("optimizer state", a[3], b[3])):
            assert len(xs) == len(ys) > 0
            for u, v in zip(xs, ys, strict=True):
                np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-6, err_msg=f"{what} {k}")
    assert fn.stats["replays"] >= 1 and fn.stats["retraces"] == 0


# ---------------------------------------------------------------- parameter containers


def _containers(M):
    a = M.nn.Parameter(M.tensor([1.0, -2.0, 3.0]))
    b = M.nn.Parameter(M.ones(2, 3))
    plist = M.nn.ParameterList([a, M.zeros(2)])
    plist.append(b)
    pdict = M.nn.ParameterDict({"w": a, "plain": M.ones(4, dtype=M.float64)})
    pdict["b"] = b
    return plist, pdict


def test_parameter_list_and_dict_match_torch() -> None:
    ours, ref = _containers(tenkai), _containers(torch)
    for o, r in zip(ours, ref, strict=True):
        assert repr(o) == repr(r)
        assert list(dict(o.named_parameters())) == list(dict(r.named_parameters()))
        assert list(o.state_dict()) == list(r.state_dict())
        assert len(o) == len(r)
    plist, pdict = ours
    assert isinstance(plist[1], nn.Parameter) and plist[-1] is plist[2]
    assert [tuple(p.shape) for p in plist[1:]] == [(2,), (2, 3)]
    assert "w" in pdict and list(pdict.keys()) == ["plain", "w", "b"]  # a dict is sorted
    assert pdict.pop("plain").dtype == tenkai.float64 and len(pdict) == 2
    loss = (plist[0] * 2).sum() + pdict["b"].sum()
    loss.backward()
    np.testing.assert_array_equal(plist[0].grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(pdict["b"].grad.numpy(), np.ones((2, 3)))
    with pytest.raises(IndexError, match="out of range"):
        plist[3]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        plist(tenkai.ones(1))


# ---------------------------------------------------------------- gumbel_softmax


def test_gumbel_softmax_soft_and_hard() -> None:
    tenkai.manual_seed(0)
    logits = tenkai.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(-1), 1.0, rtol=1e-5)
    hard = F.gumbel_softmax(logits, tau=1.0, hard=True)
    values = hard.detach().numpy()
    assert set(np.unique(values)) == {0.0, 1.0} and np.all(values.sum(-1) == 1)
    np.testing.assert_allclose(values.mean(0), [0.7, 0.2, 0.1], atol=0.03)  # Gumbel-max
    (hard * tenkai.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0  # straight-through gradient


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(("call", "exc"), [
    (lambda M, F: F.pixel_shuffle(M.ones(2, 3, 3, 3), 2), RuntimeError),
    (lambda M, F: F.pixel_unshuffle(M.ones(2, 3, 5, 4), 2), RuntimeError),
    (lambda M, F: F.channel_shuffle(M.ones(2, 3, 3, 3), 2), RuntimeError),
    (lambda M, F: F.multi_margin_loss(M.ones(3, 4), M.tensor([0, 1, 5])), RuntimeError),
    (lambda M, F: F.multi_margin_loss(M.ones(3, 4), M.tensor([0, 1, 2]), p=3), ValueError),
    (lambda M, F: F.multilabel_margin_loss(M.ones(3, 4), M.tensor([0, 1, 2])), RuntimeError),
    (lambda M, F: F.triplet_margin_loss(M.ones(3, 4), M.ones(3, 4), M.ones(3)), RuntimeError),
    (lambda M, F: F.hinge_embedding_loss(M.ones(3), M.ones(3), reduction="x"), ValueError),
    (lambda M, F: F.pdist(M.ones(2, 3, 4)), RuntimeError),
    (lambda M, F: F.rms_norm(M.ones(2, 3), (4,)), RuntimeError),
    (lambda M, F: M.nn.GroupNorm(4, 6), ValueError),
    (lambda M, F: M.nn.InstanceNorm2d(3)(M.ones(3, 4)), ValueError),
    (lambda M, F: M.nn.BatchNorm3d(3)(M.ones(2, 3, 4, 4)), ValueError),
    (lambda M, F: M.nn.Dropout2d(1.5), ValueError),
    (lambda M, F: M.nn.TripletMarginWithDistanceLoss(margin=0.0), ValueError),
    (lambda M, F: M.nn.MultiMarginLoss(p=3), ValueError),
])
def test_errors_match_torch(call, exc) -> None:
    with pytest.raises(exc) as want:
        call(torch, torch.nn.functional)
    with pytest.raises(exc) as got:
        call(tenkai, F)
    assert str(got.value).split(",")[0] == str(want.value).split(",")[0]


def test_upsample_functions_warn_as_deprecated() -> None:
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        out = F.upsample_nearest(tenkai.ones(1, 1, 2, 2), scale_factor=2)
    assert tuple(out.shape) == (1, 1, 4, 4)


@pytest.mark.slow  # two attention stacks eagerly in both libraries: seconds on a busy machine
def test_transformer_padding_masks_and_causal_mask_match_torch() -> None:
    torch.manual_seed(0)
    ref = torch.nn.Transformer(8, 2, 1, 1, 12, dropout=0.0, batch_first=True)
    ours = nn.Transformer(8, 2, 1, 1, 12, dropout=0.0, batch_first=True)
    ours.load_state_dict({k: tenkai.tensor(v.detach().numpy()) for k, v in
                          ref.state_dict().items()})
    rng = np.random.default_rng(0)
    src = rng.standard_normal((2, 4, 8)).astype(np.float32)
    tgt = rng.standard_normal((2, 3, 8)).astype(np.float32)
    src_pad = np.array([[False, False, True, True], [False, False, False, True]])
    tgt_pad = np.array([[False, False, True], [False, False, False]])
    outs = []
    for lib, model in ((torch, ref), (tenkai, ours)):
        causal = model.generate_square_subsequent_mask(3)
        outs.append(model(lib.tensor(src), lib.tensor(tgt), tgt_mask=causal,
                          src_key_padding_mask=lib.tensor(src_pad),
                          tgt_key_padding_mask=lib.tensor(tgt_pad),
                          memory_key_padding_mask=lib.tensor(src_pad)).detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-5)
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(mask, torch.nn.Transformer.generate_square_subsequent_mask(
        3).numpy())


def test_nll_loss2d_is_deprecated_nll_loss() -> None:
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((2, 3, 2, 2)), rng.integers(0, 3, (2, 2, 2))
    with pytest.warns(FutureWarning, match="NLLLoss2d` has been deprecated"):
        ref = torch.nn.NLLLoss2d(ignore_index=1)
    with pytest.warns(FutureWarning, match="NLLLoss2d` has been deprecated"):
        ours = nn.NLLLoss2d(ignore_index=1)
    assert repr(ours) == repr(ref)
    np.testing.assert_allclose(ours(tenkai.tensor(x), tenkai.tensor(t)).item(),
                               ref(torch.tensor(x), torch.tensor(t)).item(), rtol=1e-12)


@pytest.mark.parametrize(("name", "args", "shape"), [
    ("LazyLinear", (4,), (2, 3)), ("LazyConv1d", (4, 3), (2, 5, 7)),
    ("LazyConv2d", (4, 3, 1, 1, 1, 1, False), (2, 5, 6, 6)),
    ("LazyConv3d", (2, 2), (1, 3, 3, 4, 3)), ("LazyConvTranspose1d", (3, 2, 2), (2, 5, 6)),
    ("LazyConvTranspose2d", (4, 3, 2, 1, 1), (2, 6, 3, 3)), ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (4, 3, 2, 2)), ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 5)), ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 3, 2)),
])
def test_lazy_modules_match_torch(name: str, args: tuple, shape: tuple) -> None:
    ref, ours = getattr(torch.nn, name)(*args), getattr(nn, name)(*args)
    assert repr(ours) == repr(ref)
    assert type(ours.weight).__name__ == type(ref.weight).__name__ == "UninitializedParameter"
    rng = np.random.default_rng(5)
    first, second = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    ref(torch.tensor(first))
    ours(tenkai.tensor(first))
    assert type(ours).__name__ == type(ref).__name__ and repr(ours) == repr(ref)
    assert type(ours.weight) is nn.Parameter
    state = ref.state_dict()
    assert list(ours.state_dict()) == list(state)
    for k, v in ours.state_dict().items():
        assert tuple(v.shape) == tuple(state[k].shape), k
    ours.load_state_dict({k: tenkai.tensor(v.numpy()) for k, v in state.items()})
    x_ref, x_ours = torch.tensor(second, requires_grad=True), tenkai.tensor(second,
                                                                            requires_grad=True)
    out_ref, out_ours = ref(x_ref), ours(x_ours)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_ref.detach().numpy(), rtol=2e-4,
                               atol=2e-5)
    out_ref.sum().backward()
    out_ours.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=2e-4,
                               atol=2e-5)


def test_uninitialized_buffer_materializes() -> None:
    buf = nn.UninitializedBuffer()
    assert repr(buf) == "<UninitializedBuffer>"
    buf.materialize((2, 3))
    assert type(buf) is tenkai.Tensor and tuple(buf.shape) == (2, 3)
