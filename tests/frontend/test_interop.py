"""tenkai.from_torch / tenkai.to_torch: live PyTorch modules converted both ways."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn.functional as F

torch = pytest.importorskip("torch")
tn = torch.nn

RNG = np.random.default_rng(0)


def _x(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


LAYER_CASES = [
    (lambda: tn.Linear(5, 3), (4, 5)), (lambda: tn.Linear(5, 3, bias=False), (4, 5)),
    (lambda: tn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 9)),
    (lambda: tn.Conv2d(2, 4, 3, padding="same", bias=False), (2, 2, 6, 6)),
    (lambda: tn.Conv2d(4, 4, 3, groups=2, dilation=2), (1, 4, 8, 8)),
    (lambda: tn.BatchNorm1d(5), (6, 5)), (lambda: tn.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
    (lambda: tn.LayerNorm([4, 5], eps=1e-3), (2, 4, 5)),
    (lambda: tn.LayerNorm(5, elementwise_affine=False), (2, 5)),
    (lambda: tn.MaxPool1d(2), (2, 3, 8)),
    (lambda: tn.MaxPool2d(3, stride=2, padding=1), (1, 2, 7, 7)),
    (lambda: tn.AvgPool1d(3, stride=2), (2, 3, 9)), (lambda: tn.AvgPool2d(2), (1, 2, 6, 6)),
    (lambda: tn.AdaptiveAvgPool1d(3), (2, 3, 9)),
    (lambda: tn.AdaptiveAvgPool2d((2, 3)), (1, 2, 6, 6)),
    (lambda: tn.Flatten(), (2, 3, 4)), (lambda: tn.Unflatten(1, (2, 3)), (2, 6)),
    (lambda: tn.Identity(), (2, 3)), (lambda: tn.Dropout(0.3), (2, 3)),
    (lambda: tn.PReLU(3), (2, 3)), (lambda: tn.LeakyReLU(0.2), (2, 3)),
    (lambda: tn.ELU(0.7), (2, 3)), (lambda: tn.CELU(1.3), (2, 3)), (lambda: tn.SELU(), (2, 3)),
    (lambda: tn.GELU("tanh"), (2, 3)), (lambda: tn.Hardtanh(-0.5, 0.5), (2, 3)),
    (lambda: tn.Hardshrink(0.3), (2, 3)), (lambda: tn.Softshrink(0.3), (2, 3)),
    (lambda: tn.Softplus(2.0, 10.0), (2, 3)), (lambda: tn.Threshold(0.1, -1.0), (2, 3)),
    (lambda: tn.ReLU(), (2, 3)), (lambda: tn.ReLU6(), (2, 3)), (lambda: tn.Sigmoid(), (2, 3)),
    (lambda: tn.Tanh(), (2, 3)), (lambda: tn.LogSigmoid(), (2, 3)), (lambda: tn.Softsign(), (2, 3)),
    (lambda: tn.Tanhshrink(), (2, 3)), (lambda: tn.Softmax(dim=0), (2, 3)),
    (lambda: tn.Softmin(dim=1), (2, 3)), (lambda: tn.LogSoftmax(dim=1), (2, 3)),
    (lambda: tn.Softmax2d(), (1, 2, 3, 3)), (lambda: tn.RReLU(), (2, 3)),
]


@pytest.mark.parametrize("make, shape", LAYER_CASES,
                         ids=[f"{i}-{type(m()).__name__}" for i, (m, _) in
                              enumerate(LAYER_CASES)])
def test_layer_outputs_match(make, shape) -> None:
    torch.manual_seed(0)
    ref = make()
    for p in ref.parameters():  # non-default weights, so a missed copy shows
        p.data.uniform_(-1, 1)
    if isinstance(ref, tn.modules.batchnorm._BatchNorm):
        ref.running_mean.uniform_(-1, 1)
        ref.running_var.uniform_(0.5, 2)
    ref.eval()
    model = tenkai.from_torch(ref)
    assert type(model).__name__ == type(ref).__name__ and not model.training
    assert repr(model) == repr(ref)
    x = _x(*shape)
    np.testing.assert_allclose(model(tenkai.from_numpy(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = tenkai.to_torch(model)
    assert type(back) is type(ref) and repr(back) == repr(ref)
    for name, value in ref.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name].numpy(), value.numpy())


def test_embedding_attention_and_losses() -> None:
    torch.manual_seed(0)
    emb = tn.Embedding(10, 4, padding_idx=0)
    idx = np.array([[1, 0, 9]])
    np.testing.assert_array_equal(tenkai.from_torch(emb)(tenkai.from_numpy(idx)).detach().numpy(),
                                  emb(torch.from_numpy(idx)).detach().numpy())
    for mha in (tn.MultiheadAttention(8, 2, batch_first=True),
                tn.MultiheadAttention(8, 2, kdim=6, vdim=5, bias=False)):
        q = _x(2, 3, 8)
        k, v = (_x(2, 3, 6), _x(2, 3, 5)) if mha.kdim == 6 else (q, q)
        got = tenkai.from_torch(mha)(*map(tenkai.from_numpy, (q, k, v)))
        want = mha(*map(torch.from_numpy, (q, k, v)))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)
    loss = tn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1)
    logits, target = _x(4, 3), np.array([0, 2, 1, 1])
    got = tenkai.from_torch(loss)(tenkai.from_numpy(logits), tenkai.from_numpy(target))
    want = loss(torch.from_numpy(logits), torch.from_numpy(target))
    assert got.item() == pytest.approx(want.item(), rel=1e-6)


class MyBlock(tn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = tn.Linear(3, 3)

    def forward(self, x):
        return x + self.fc(x)


def test_unsupported_modules_are_named_by_path() -> None:
    model = tn.ModuleDict({"encoder": tn.Sequential(tn.Linear(3, 3), tn.ReLU(), MyBlock()),
                           "head": tn.Linear(3, 2)})
    with pytest.raises(NotImplementedError, match=r"unsupported module 'encoder\.2' \(MyBlock\)"):
        tenkai.from_torch(model)
    with pytest.raises(NotImplementedError, match=r"'<root>' \(MyBlock\)"):
        tenkai.from_torch(MyBlock())
    with pytest.raises(NotImplementedError, match=r"'0' \(Bilinear\)"):
        tenkai.from_torch(tn.Sequential(tn.Bilinear(2, 2, 2)))


def test_containers_flags_and_dtypes_carry_over() -> None:
    torch.manual_seed(0)
    ref = tn.Sequential(tn.ModuleList([tn.Linear(3, 4), tn.Tanh()]),
                        tn.ModuleDict({"out": tn.Linear(4, 2)})).double()
    ref[0][0].weight.requires_grad_(False)
    ref[1].eval()
    model = tenkai.from_torch(ref)
    assert model[0][0].weight.dtype == tenkai.float64
    assert not model[0][0].weight.requires_grad and model[0][0].bias.requires_grad
    assert model.training and not model[1].training and not model[1]["out"].training
    assert list(model.state_dict()) == list(ref.state_dict())
    with pytest.raises(NotImplementedError, match="bfloat16"):
        tenkai.from_torch(tn.Linear(2, 2).to(torch.bfloat16))


def _cnn():
    return tn.Sequential(tn.Conv2d(1, 4, 3, padding=1), tn.BatchNorm2d(4), tn.ReLU(),
                         tn.MaxPool2d(2), tn.Flatten(), tn.Dropout(0.25), tn.Linear(64, 3))


def _trajectory(model, backend, x, y, steps=4):
    # SGD, not Adam: the conv bias before BatchNorm gets a ~1e-9 gradient, which Adam would
    # blow up to full-size steps whose sign is rounding noise
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    fn = step if backend is None else tenkai.compile(step, backend=backend)
    tenkai.manual_seed(1)  # the same dropout masks in every run
    return [fn(x, y).item() for _ in range(steps)], opt


@pytest.mark.parametrize("backend", ["interp", "tenkai"])
def test_converted_cnn_trains_compiled_like_eager(backend) -> None:
    torch.manual_seed(0)
    ref = _cnn()
    x, y = _x(6, 1, 8, 8), np.array([0, 1, 2, 0, 1, 2])
    ref.eval()
    want = F.cross_entropy(tenkai.from_torch(ref)(tenkai.from_numpy(x)), tenkai.from_numpy(y))
    assert want.item() == pytest.approx(
        tn.functional.cross_entropy(ref(torch.from_numpy(x)), torch.from_numpy(y)).item(),
        rel=1e-5)
    ref.train()
    eager_model, compiled_model = tenkai.from_torch(ref), tenkai.from_torch(ref)
    tx, ty = tenkai.from_numpy(x), tenkai.from_numpy(y)
    eager, opt_e = _trajectory(eager_model, None, tx, ty)
    compiled, opt_c = _trajectory(compiled_model, backend, tx, ty)
    np.testing.assert_allclose(compiled, eager, rtol=1e-4, atol=1e-6)
    for (name, a), b in zip(eager_model.state_dict().items(),
                            compiled_model.state_dict().values(), strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)
    for (name, a), b in zip(eager_model.named_parameters(), compiled_model.parameters(),
                            strict=True):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    for sa, sb in zip(opt_e.state_dict()["state"].values(), opt_c.state_dict()["state"].values(),
                      strict=True):
        for k in sa:
            np.testing.assert_allclose(np.asarray(sb[k]), np.asarray(sa[k]), rtol=1e-4,
                                       atol=1e-6, err_msg=k)
    trained = tenkai.to_torch(compiled_model)  # and the trained weights go back to PyTorch
    trained.eval()
    compiled_model.eval()
    np.testing.assert_allclose(trained(torch.from_numpy(x)).detach().numpy(),
                               compiled_model(tx).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_to_torch_composite_layers() -> None:
    tenkai.manual_seed(0)
    for model in (tenkai.nn.MultiheadAttention(8, 2, kdim=6, vdim=5, bias=False,
                                               add_bias_kv=True),
                  tenkai.nn.Embedding(5, 3, padding_idx=1),
                  tenkai.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0),
                  tenkai.nn.CrossEntropyLoss(weight=tenkai.tensor([1.0, 2.0, 3.0]))):
        back = tenkai.to_torch(model)
        assert repr(back) == repr(model)
        theirs = back.state_dict()
        for name, value in model.state_dict().items():
            np.testing.assert_array_equal(theirs[name].numpy(), value.numpy(), err_msg=name)
        assert repr(tenkai.from_torch(back)) == repr(model)
    q = _x(3, 2, 8)
    k, v = _x(3, 2, 6), _x(3, 2, 5)
    mha = tenkai.nn.MultiheadAttention(8, 2, kdim=6, vdim=5).eval()
    got = mha(*map(tenkai.from_numpy, (q, k, v)))[0].detach().numpy()
    want = tenkai.to_torch(mha)(*map(torch.from_numpy, (q, k, v)))[0].detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


RNN_CASES = [
    (lambda: tn.RNN(3, 4), (6, 2, 3)),
    (lambda: tn.RNN(3, 4, 2, nonlinearity="relu", bidirectional=True, batch_first=True),
     (2, 6, 3)),
    (lambda: tn.LSTM(3, 5, 2, bidirectional=True, dropout=0.2), (6, 2, 3)),
    (lambda: tn.LSTM(3, 5, proj_size=2, bias=False, batch_first=True), (2, 6, 3)),
    (lambda: tn.GRU(3, 4, 3, batch_first=True, bidirectional=True), (2, 6, 3)),
    (lambda: tn.RNNCell(3, 4, nonlinearity="relu"), (2, 3)),
    (lambda: tn.LSTMCell(3, 4), (2, 3)), (lambda: tn.GRUCell(3, 4, bias=False), (2, 3)),
]


def _flat(out):
    if isinstance(out, tuple):
        return [t for part in out for t in _flat(part)]
    return [out.detach().numpy()]


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("make, shape", RNN_CASES,
                         ids=[f"{i}-{type(m()).__name__}" for i, (m, _) in enumerate(RNN_CASES)])
def test_recurrent_layers_convert_both_ways(make, shape) -> None:
    torch.manual_seed(0)
    ref = make().eval()
    for p in ref.parameters():
        p.data.uniform_(-1, 1)
    model = tenkai.from_torch(ref)
    assert type(model).__name__ == type(ref).__name__ and repr(model) == repr(ref)
    assert list(model.state_dict()) == list(ref.state_dict())  # _l1, _reverse, ... names
    for attr in ("nonlinearity", "dropout", "bidirectional", "proj_size", "batch_first"):
        assert getattr(model, attr, None) == getattr(ref, attr, None), attr
    x = _x(*shape)
    want = _flat(ref(torch.from_numpy(x)))
    for got, w in zip(_flat(model(tenkai.from_numpy(x))), want, strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)
    back = tenkai.to_torch(model)
    assert type(back) is type(ref) and repr(back) == repr(ref)
    for name, value in ref.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name].numpy(), value.numpy())
    for got, w in zip(_flat(back(torch.from_numpy(x))), want, strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-6, atol=1e-7)


def test_recurrent_layer_with_initial_state_and_gradients() -> None:
    torch.manual_seed(0)
    ref = tn.GRU(3, 4, 2, bidirectional=True)
    model = tenkai.from_torch(ref)
    x, h0 = _x(5, 2, 3), _x(4, 2, 4)
    out, h = ref(torch.from_numpy(x), torch.from_numpy(h0))
    (out.sum() + h.square().sum()).backward()
    got, got_h = model(tenkai.from_numpy(x), tenkai.from_numpy(h0))
    (got.sum() + got_h.square().sum()).backward()
    np.testing.assert_allclose(got_h.detach().numpy(), h.detach().numpy(), rtol=1e-5, atol=1e-6)
    ours = dict(model.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(ours[name].grad.numpy(), p.grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)


@pytest.mark.parametrize("backend", [
    "interp", pytest.param("tenkai", marks=pytest.mark.slow)])  # LLVM: ~15 s on a busy box
def test_converted_lstm_trains_compiled_like_eager(backend) -> None:
    torch.manual_seed(0)
    ref_rnn, ref_head = tn.LSTM(3, 4, batch_first=True, bidirectional=True), tn.Linear(8, 2)
    x, y = _x(2, 2, 3), np.array([0, 1])
    runs = []
    for compiled in (False, True):
        rnn, head = tenkai.from_torch(ref_rnn), tenkai.from_torch(ref_head)
        params = [*rnn.parameters(), *head.parameters()]
        opt = tenkai.optim.Adam(params, lr=0.05)

        def step(x, y, rnn=rnn, head=head, opt=opt):
            opt.zero_grad()
            out, _ = rnn(x)
            loss = F.cross_entropy(head(out[:, -1]), y)
            loss.backward()
            opt.step()
            return loss
        fn = tenkai.compile(step, backend=backend) if compiled else step
        losses = [fn(tenkai.from_numpy(x), tenkai.from_numpy(y)).item() for _ in range(3)]
        runs.append((losses, params, opt))
    (eager, p_e, opt_e), (comp, p_c, opt_c) = runs
    np.testing.assert_allclose(comp, eager, rtol=1e-5, atol=1e-6)
    want = tn.functional.cross_entropy(ref_head(ref_rnn(torch.from_numpy(x))[0][:, -1]),
                                       torch.from_numpy(y)).item()
    assert eager[0] == pytest.approx(want, rel=1e-5)
    for a, b in zip(p_e, p_c, strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-6)
    for sa, sb in zip(opt_e.state_dict()["state"].values(), opt_c.state_dict()["state"].values(),
                      strict=True):
        for k in sa:
            np.testing.assert_allclose(np.asarray(sb[k]), np.asarray(sa[k]), rtol=1e-4,
                                       atol=1e-6, err_msg=k)
