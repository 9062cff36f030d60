"""nn.RNN / LSTM / GRU, their cells and nn.utils.rnn against PyTorch (weights copied), and a
compiled LSTM classifier training step against eager, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")


def _pair(kind: str, *args, **kwargs):
    """The same module in torch and tenkai, tenkai's parameters copied from torch's."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, kind)(*args, **kwargs).double()
    ours = getattr(nn, kind)(*args, **kwargs).double()
    ref_names = [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_parameters()] == ref_names
    for (_, p), q in zip(ref.named_parameters(), ours.parameters(), strict=True):
        assert tuple(q.shape) == tuple(p.shape)
        with tenkai.no_grad():
            q.copy_(tenkai.tensor(p.detach().numpy()))
    return ref, ours


def _both(array: np.ndarray, grad: bool = True):
    return (torch.tensor(array, requires_grad=grad), tenkai.tensor(array, requires_grad=grad))


def _flat(out):
    if isinstance(out, tuple):
        return [t for o in out for t in _flat(o)]
    if isinstance(out, (torch.Tensor, tenkai.Tensor)):
        return [out]
    return [out.data]  # PackedSequence


def _close(a, b, what=""):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-7, atol=1e-9,
                               err_msg=what)


def _compare(kind, ctor, shape, *, hx=None, **kwargs):
    ref, ours = _pair(kind, *ctor, **kwargs)
    rng = np.random.default_rng(1)
    x_t, x_k = _both(rng.standard_normal(shape))
    args_t, args_k = [x_t], [x_k]
    if hx is not None:
        states = [_both(rng.standard_normal(s)) for s in hx]
        if kind == "LSTM" or kind == "LSTMCell":
            args_t.append(tuple(s[0] for s in states))
            args_k.append(tuple(s[1] for s in states))
        else:
            args_t.append(states[0][0])
            args_k.append(states[0][1])
    out_t, out_k = _flat(ref(*args_t)), _flat(ours(*args_k))
    assert len(out_t) == len(out_k)
    for a, b in zip(out_t, out_k, strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b, "forward")
    weights = [rng.standard_normal(tuple(a.shape)) for a in out_t]
    sum(((a * torch.tensor(w)).sum() for a, w in zip(out_t, weights, strict=True))).backward()
    sum(((b * tenkai.tensor(w)).sum() for b, w in zip(out_k, weights, strict=True))).backward()
    _close(x_t.grad, x_k.grad, "input grad")
    for (name, p), q in zip(ref.named_parameters(), ours.parameters(), strict=True):
        _close(p.grad, q.grad, name)
    return ref, ours


CONFIGS = [
    ("RNN", (3, 4), (5, 2, 3), None, {}),
    ("RNN", (3, 4), (2, 5, 3), [(2, 2, 4)], dict(num_layers=2, nonlinearity="relu",
                                                 batch_first=True)),
    ("RNN", (3, 4), (5, 3), [(2, 4)], dict(bidirectional=True)),  # unbatched
    ("LSTM", (3, 4), (5, 2, 3), None, {}),
    ("LSTM", (3, 4), (2, 5, 3), [(4, 2, 4), (4, 2, 4)], dict(num_layers=2, bidirectional=True,
                                                             batch_first=True)),
    ("LSTM", (3, 4), (5, 2, 3), None, dict(bias=False, proj_size=2)),
    ("LSTM", (3, 4), (5, 3), [(1, 4), (1, 4)], {}),  # unbatched with states
    ("GRU", (3, 4), (5, 2, 3), [(1, 2, 4)], {}),
    ("GRU", (3, 4), (5, 2, 3), None, dict(num_layers=3, bidirectional=True)),
]


@pytest.mark.parametrize(("kind", "ctor", "shape", "hx", "kwargs"), CONFIGS,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(CONFIGS)])
def test_recurrent_layers_match_torch(kind, ctor, shape, hx, kwargs):
    _compare(kind, ctor, shape, hx=hx, **kwargs)


@pytest.mark.parametrize(("kind", "kwargs", "hx"), [
    ("RNNCell", {}, [(2, 4)]), ("RNNCell", dict(nonlinearity="relu", bias=False), None),
    ("LSTMCell", {}, [(2, 4), (2, 4)]), ("LSTMCell", {}, None), ("GRUCell", {}, [(2, 4)]),
    ("GRUCell", dict(bias=False), None)])
def test_cells_match_torch(kind, kwargs, hx):
    _compare(kind, (3, 4), (2, 3), hx=hx, **kwargs)


def test_unbatched_cell_matches_torch():
    _compare("GRUCell", (3, 4), (3,), hx=[(4,)])
    _compare("LSTMCell", (3, 4), (3,))


def test_repr_and_parameter_names_match_torch():
    for kind, kwargs in [("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True,
                                       dropout=0.5)),
                         ("GRU", dict(bias=False)), ("RNN", dict(nonlinearity="relu")),
                         ("LSTM", dict(proj_size=2)), ("RNNCell", dict(nonlinearity="relu")),
                         ("GRUCell", dict(bias=False)), ("LSTMCell", {})]:
        ref, ours = getattr(torch.nn, kind)(3, 4, **kwargs), getattr(nn, kind)(3, 4, **kwargs)
        assert repr(ours) == repr(ref)
        assert list(ours.state_dict()) == list(ref.state_dict())


def test_init_is_uniform_in_one_over_sqrt_hidden():
    tenkai.manual_seed(0)
    lstm = nn.LSTM(8, 16)
    bound = 1 / 16 ** 0.5
    values = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.std() > bound / 2.5  # spread over the range, not a constant


def test_errors_match_torch():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(tenkai.randn(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):
        lstm(tenkai.randn(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got "
                                           r"\[1, 2, 4\]"):
        lstm(tenkai.randn(5, 2, 3), (tenkai.zeros(1, 2, 4), tenkai.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    with pytest.raises(RuntimeError, match="input must have 2 dimensions, got 3"):
        nn.GRU(3, 4)(rnn_utils.PackedSequence(tenkai.randn(4, 2, 3),
                                              tenkai.tensor([2, 2])))


def _sequences(rng, lengths, feature=3):
    return [rng.standard_normal((n, feature)) for n in lengths]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_torch(kind, enforce_sorted):
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    ref, ours = _pair(kind, 3, 4, bidirectional=True, num_layers=2, batch_first=True)
    rng = np.random.default_rng(2)
    seqs = _sequences(rng, lengths)
    pairs = [_both(s) for s in seqs]
    results = []
    for lib, mod, idx in ((torch, ref, 0), (tenkai, ours, 1)):
        utils = torch.nn.utils.rnn if lib is torch else rnn_utils
        padded = utils.pad_sequence([p[idx] for p in pairs], batch_first=True)
        packed = utils.pack_padded_sequence(padded, lengths, batch_first=True,
                                            enforce_sorted=enforce_sorted)
        out, hidden = mod(packed)
        unpacked, lens = utils.pad_packed_sequence(out, batch_first=True, total_length=6)
        assert lens.tolist() == lengths
        h = hidden[0] if kind == "LSTM" else hidden
        (unpacked.sin().sum() + (h * h).sum()).backward()
        results.append((packed, out, unpacked, h))
    (pt, ot, ut, ht), (pk, ok, uk, hk) = results
    np.testing.assert_array_equal(pk.batch_sizes.numpy(), pt.batch_sizes.numpy())
    _close(pt.data, pk.data)
    _close(ot.data, ok.data)
    _close(ut, uk)
    _close(ht, hk)
    for (t_in, k_in) in pairs:
        _close(t_in.grad, k_in.grad, "input grad")
    for (name, p), q in zip(ref.named_parameters(), ours.parameters(), strict=True):
        _close(p.grad, q.grad, name)


def test_pack_sequence_and_helpers_match_torch():
    rng = np.random.default_rng(3)
    seqs = _sequences(rng, [4, 1, 3], feature=2)
    ref = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    ours = rnn_utils.pack_sequence([tenkai.tensor(s) for s in seqs], enforce_sorted=False)
    _close(ref.data, ours.data)
    assert ours.sorted_indices.tolist() == ref.sorted_indices.tolist()
    assert ours.unsorted_indices.tolist() == ref.unsorted_indices.tolist()
    left_t = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs],
                                             padding_value=-1.0, padding_side="left")
    left_k = rnn_utils.pad_sequence([tenkai.tensor(s) for s in seqs], padding_value=-1.0,
                                    padding_side="left")
    _close(left_t, left_k)
    for a, b in zip(torch.nn.utils.rnn.unpack_sequence(ref), rnn_utils.unpack_sequence(ours),
                    strict=True):
        _close(a, b)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(tenkai.zeros(4, 2, 1), [2, 4])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn_utils.pad_packed_sequence(ours, total_length=2)


class LSTMClassifier(nn.Module):
    def __init__(self, layers: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=layers, batch_first=True,
                            dropout=0.25 if layers > 1 else 0.0)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        out, (h, _) = self.lstm(x)
        return self.head(h[-1] + out[:, 0])


def _lstm_trajectory(backend, layers, steps=3):
    tenkai.manual_seed(0)
    model = LSTMClassifier(layers)
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)
    x, y = tenkai.randn(4, 3 if layers > 1 else 2, 3), tenkai.tensor([0, 1, 1, 0])

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = step if backend is None else tenkai.compile(step, backend=backend)
    tenkai.manual_seed(1)  # the same dropout masks eagerly and compiled
    record = []
    for _ in range(steps):
        loss = fn(x, y).item()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        params = [p.detach().numpy().copy() for p in model.parameters()]
        state = [v.numpy().copy() for s in opt.state.values() for v in s.values()
                 if isinstance(v, tenkai.Tensor)]
        record.append((loss, grads, params, state))
    return record, fn


# the two-layer LSTM unrolls into ~90 kernels: LLVM needs ~15 s for them on a busy machine
@pytest.mark.parametrize(("backend", "layers"), [
    ("interp", 2), ("tenkai", 1), pytest.param("tenkai", 2, marks=pytest.mark.slow)])
def test_compiled_lstm_classifier_follows_eager(backend, layers):
    eager, _ = _lstm_trajectory(None, layers)
    compiled, fn = _lstm_trajectory(backend, layers)
    for k, (a, b) in enumerate(zip(eager, compiled, strict=True)):
        np.testing.assert_allclose(b[0], a[0], rtol=1e-5, err_msg=f"loss {k}")
        for what, xs, ys in (("grad", a[1], b[1]), ("param", a[2], b[2]),
                             ("optimizer state", a[3], b[3])):
            assert len(xs) == len(ys)
            for u, v in zip(xs, ys, strict=True):
                np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-6, err_msg=f"{what} {k}")
    assert fn.stats["replays"] >= 1 and fn.stats["retraces"] == 0


@pytest.mark.parametrize(("fn", "kind", "kwargs"), [
    ("lstm", "LSTM", dict(num_layers=2, bidirectional=True)), ("gru", "GRU", {}),
    ("rnn_tanh", "RNN", dict(bias=False)), ("rnn_relu", "RNN", dict(nonlinearity="relu"))])
def test_torch_namespace_recurrent_ops_match_torch(fn, kind, kwargs):
    ref, ours = _pair(kind, 3, 4, **kwargs)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 3))
    h = [rng.standard_normal((layers, 2, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    results = []
    for lib, mod in ((torch, ref), (tenkai, ours)):
        hx = [lib.tensor(a) for a in h]
        hx = hx if kind == "LSTM" else hx[0]
        results.append(getattr(lib, fn)(lib.tensor(x), hx, list(mod.parameters()),
                                        kwargs.get("bias", True), kwargs.get("num_layers", 1),
                                        0.0, False, kwargs.get("bidirectional", False), True))
    for a, b in zip(*results, strict=True):
        _close(a, b)


def test_torch_namespace_cells_match_torch():
    rng = np.random.default_rng(5)
    x, h, c = (rng.standard_normal(s) for s in ((2, 3), (2, 4), (2, 4)))
    for fn, gates in (("lstm_cell", 4), ("gru_cell", 3), ("rnn_tanh_cell", 1),
                      ("rnn_relu_cell", 1)):
        w = [rng.standard_normal(s) for s in ((gates * 4, 3), (gates * 4, 4), (gates * 4,),
                                              (gates * 4,))]
        outs = []
        for lib in (torch, tenkai):
            state = (lib.tensor(h), lib.tensor(c)) if fn == "lstm_cell" else lib.tensor(h)
            outs.append(getattr(lib, fn)(lib.tensor(x), state, *[lib.tensor(a) for a in w]))
        for a, b in zip(_flat(outs[0]), _flat(outs[1]), strict=True):
            _close(a, b, fn)


def _packed_gru_losses(backend):
    tenkai.manual_seed(0)
    gru, head = nn.GRU(3, 4, batch_first=True, bidirectional=True), nn.Linear(8, 2)
    opt = tenkai.optim.SGD(list(gru.parameters()) + list(head.parameters()), lr=0.1)
    x, y = tenkai.randn(3, 4, 3), tenkai.tensor([0, 1, 1])

    def step(x, y):
        opt.zero_grad()
        packed = rnn_utils.pack_padded_sequence(x, [2, 4, 3], batch_first=True,
                                                enforce_sorted=False)
        out, h = gru(packed)
        padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=True)
        loss = F.cross_entropy(head(padded.sum(1)) + h.sum(0).sum(1, keepdim=True), y)
        loss.backward()
        opt.step()
        return loss

    fn = step if backend is None else tenkai.compile(step, backend=backend)
    losses = [fn(x, y).item() for _ in range(3)]
    return losses, [p.detach().numpy() for p in gru.parameters()], fn


def test_compiled_step_with_packed_sequences_follows_eager():
    """Packing reads the lengths on the host once; the compiled replay never reads them."""
    eager, p_eager, _ = _packed_gru_losses(None)
    compiled, p_compiled, fn = _packed_gru_losses("interp")
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)
    for a, b in zip(p_eager, p_compiled, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    assert fn.stats["replays"] == 2
