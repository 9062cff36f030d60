"""Checks before effects (issue 8): every index-consuming op validates its indices under
PyTorch's per-op rule (ir/index_rules.py), identically in eager, interpreter and compiled code,
and a failed check in a compiled step raises in the forward with the state untouched.

The table below is PyTorch 2.13's behaviour (type and message), checked against torch when it
is installed: embedding, index_select, gather, scatter_add, index_add, nll_loss, cross_entropy
and one_hot reject negative indices; advanced indexing ``x[idx]`` wraps them.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F

BACKENDS = ["tenkai", "interp"]


def _x(lib):
    return lib.arange(12.0).reshape(3, 4)


def _long(lib, values):
    return lib.tensor(values, dtype=lib.int64)


# op -> (index(lib, v): the index tensor holding v, call(lib, index),
#        [(bad value, PyTorch type, PyTorch message)], [good values])
TABLE = {
    "embedding": (lambda lib, v: _long(lib, [0, v]),
                  lambda lib, i: lib.nn.functional.embedding(i, _x(lib)),
                  [(3, IndexError, "index out of range in self"),
                   (-1, IndexError, "index out of range in self")], [2]),
    "index_select": (lambda lib, v: _long(lib, [v]),
                     lambda lib, i: lib.index_select(_x(lib), 0, i),
                     [(3, IndexError, "index out of range in self"),
                      (-1, IndexError, "index out of range in self")], [2]),
    "gather": (lambda lib, v: _long(lib, [[v], [0], [1]]),
               lambda lib, i: lib.gather(_x(lib), 1, i),
               [(4, RuntimeError, "index 4 is out of bounds for dimension 1 with size 4"),
                (-1, RuntimeError, "index -1 is out of bounds for dimension 1 with size 4")],
               [3]),
    "scatter_add": (lambda lib, v: _long(lib, [[v]]),
                    lambda lib, i: lib.scatter_add(_x(lib), 0, i, lib.ones(1, 1)),
                    [(3, RuntimeError, "index 3 is out of bounds for dimension 0 with size 3"),
                     (-2, RuntimeError,
                      "index -2 is out of bounds for dimension 0 with size 3")], [1]),
    "index_add": (lambda lib, v: _long(lib, [v]),
                  lambda lib, i: lib.index_add(_x(lib), 0, i, lib.ones(1, 4)),
                  [(3, RuntimeError, "index 3 is out of bounds for dimension 0 with size 3"),
                   (-1, RuntimeError, "index -1 is out of bounds for dimension 0 with size 3")],
                  [2]),
    "nll_loss": (lambda lib, v: _long(lib, [v, 0, 1]),
                 lambda lib, t: lib.nn.functional.nll_loss(_x(lib), t),
                 [(4, IndexError, "Target 4 is out of bounds."),
                  (-1, IndexError, "Target -1 is out of bounds.")], [3, -100]),
    "cross_entropy": (lambda lib, v: _long(lib, [1, v, 0]),
                      lambda lib, t: lib.nn.functional.cross_entropy(_x(lib), t),
                      [(4, IndexError, "Target 4 is out of bounds."),
                       (-1, IndexError, "Target -1 is out of bounds.")], [3, -100]),
    "nll_loss_ignore": (lambda lib, v: _long(lib, [v, 0, 1]),
                        lambda lib, t: lib.nn.functional.nll_loss(_x(lib), t, ignore_index=-1),
                        [(-2, IndexError, "Target -2 is out of bounds.")], [-1, 2]),
    "one_hot": (lambda lib, v: _long(lib, [0, v]),
                lambda lib, t: lib.nn.functional.one_hot(t, 3),
                [(3, RuntimeError, "Class values must be smaller than num_classes."),
                 (-1, RuntimeError, "Class values must be non-negative.")], [2]),
    "getitem": (lambda lib, v: _long(lib, [v, 0]),
                lambda lib, i: _x(lib)[i],
                [(3, IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
                 (-4, IndexError, "index -4 is out of bounds for dimension 0 with size 3")],
                [-1, -3, 2]),
    "getitem_2d": (lambda lib, v: _long(lib, [v, 1]),
                   lambda lib, i: _x(lib)[_long(lib, [0, 1]), i],
                   [(4, IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
                    (-5, IndexError, "index -5 is out of bounds for dimension 1 with size 4")],
                   [-1, 3]),
}
BAD = [(op, v, t, m) for op, (_, _, bad, _) in TABLE.items() for v, t, m in bad]
GOOD = [(op, v) for op, (_, _, _, good) in TABLE.items() for v in good]


def _run(lib, op: str, value: int):
    index, call, _, _ = TABLE[op]
    return call(lib, index(lib, value))


@pytest.mark.parametrize("op,value,error,message", BAD)
def test_eager_rejects_like_pytorch(op: str, value: int, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        _run(tenkai, op, value)
    assert str(info.value).startswith(message), str(info.value)
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as want:
        _run(torch, op, value)
    assert str(want.value) == message  # the table is PyTorch's


@pytest.mark.parametrize("op,value", GOOD)
def test_eager_accepts_like_pytorch(op: str, value: int) -> None:
    got = _run(tenkai, op, value)
    torch = pytest.importorskip("torch")
    want = _run(torch, op, value)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op,value,error,message", BAD)
def test_compiled_rejects_like_eager(backend: str, op: str, value: int, error: type,
                                     message: str) -> None:
    index, call, _, good = TABLE[op]
    step = tenkai.compile(lambda i: call(tenkai, i), backend=backend)
    for v in good:
        np.testing.assert_allclose(step(index(tenkai, v)).numpy(), _run(tenkai, op, v).numpy())
    with pytest.raises(error) as info:
        step(index(tenkai, value))
    text = str(info.value)
    assert text.startswith(message), text
    assert f"{value} is not in [" in text and __file__ in text, text


class Net(nn.Module):
    """Embedding -> BatchNorm1d -> Linear: index checks, BN running stats, optimizer state."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.bn = nn.BatchNorm1d(6)
        self.fc = nn.Linear(6, 5)

    def forward(self, i):
        return self.fc(self.bn(self.emb(i)))


def _setup(opt_kind: str):
    tenkai.manual_seed(0)
    net = Net()
    if opt_kind == "adam":
        opt = tenkai.optim.Adam(net.parameters(), lr=1e-2)
    else:
        opt = tenkai.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def train_step(i, y):
        opt.zero_grad()
        loss = F.cross_entropy(net(i), y)
        loss.backward()
        opt.step()
        return loss
    return net, opt, train_step


LOSS_LINE = inspect.getsource(_setup).split("\n").index(
    "        loss = F.cross_entropy(net(i), y)") + _setup.__code__.co_firstlineno


def _state(net, opt) -> dict[str, np.ndarray]:
    out = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    for p_name, p in net.named_parameters():
        out[p_name + ".grad"] = None if p.grad is None else p.grad.numpy().copy()
    for k, st in opt.state_dict()["state"].items():
        for name, v in st.items():
            out[f"opt.{k}.{name}"] = np.array(v.numpy() if hasattr(v, "numpy") else v)
    return out


def _batches():
    rng = np.random.default_rng(0)
    for _ in range(4):
        i = rng.integers(0, 10, 8)
        y = rng.integers(0, 5, 8)
        y[0] = -100  # ignored targets are skipped by the check and the loss
        yield tenkai.tensor(i), tenkai.tensor(y)


def _assert_same_state(want: dict, got: dict) -> None:
    assert want.keys() == got.keys()
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-4, atol=1e-6, err_msg=k)


BAD_STEPS = [
    ("embedding index 10", [1, 10], [0, 1], IndexError, "index out of range in self",
     "embedding: index 10 is not in [0, 10)"),
    ("embedding index -1", [-1, 2], [0, 1], IndexError, "index out of range in self",
     "embedding: index -1 is not in [0, 10)"),
    ("target 5", [1, 2], [5, 1], IndexError, "Target 5 is out of bounds.",
     "cross_entropy: index 5 is not in [0, 5)"),
    ("target -1", [1, 2], [0, -1], IndexError, "Target -1 is out of bounds.",
     "cross_entropy: index -1 is not in [0, 5)"),
]


@pytest.mark.parametrize("opt_kind", ["sgd", "adam"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_steps_leave_state_untouched(backend: str, opt_kind: str) -> None:
    """In-range batches (ignored targets included) train like eager step by step (loss,
    parameters, gradients, optimizer and BatchNorm state); each bad batch then raises eager's
    error (naming op, value, range and the source line) and leaves every state tensor
    bit-identical; training goes on exactly like an eager twin that never saw the bad ones."""
    net, opt, fn = _setup(opt_kind)
    twin, twin_opt, eager = _setup(opt_kind)
    step = tenkai.compile(fn, backend=backend)
    for i, y in _batches():
        np.testing.assert_allclose(step(i, y).item(), eager(i, y).item(), rtol=1e-5)
        _assert_same_state(_state(twin, twin_opt), _state(net, opt))
    for _, i_bad, y_bad, error, words, detail in BAD_STEPS:
        before = _state(net, opt)
        i = tenkai.tensor(np.array([3, 4, 5, 6, 7, 8] + i_bad))
        y = tenkai.tensor(np.array([0, 1, 2, 3, 4, 0] + y_bad))
        with pytest.raises(error) as info:
            step(i, y)
        text = str(info.value)
        assert text.startswith(words) and detail in text, text
        # embedding is called inside Net.forward, the loss in train_step
        where = "self.fc(self.bn(self.emb(i)))" if "embedding" in detail else f":{LOSS_LINE} ("
        assert __file__ in text and where in text, text
        after = _state(net, opt)
        for k, v in before.items():
            np.testing.assert_array_equal(after[k], v, err_msg=k)  # bit-identical
        with pytest.raises(error) as want:  # eager raises the same error (on a throwaway
            _setup(opt_kind)[2](i, y)       # model: eager BatchNorm ran before the loss raised)
        assert str(want.value).startswith(words)
    i, y = next(_batches())
    np.testing.assert_allclose(step(i, y).item(), eager(i, y).item(), rtol=1e-5)
    _assert_same_state(_state(twin, twin_opt), _state(net, opt))
    if backend == "tenkai":
        # the backward's index_add re-reads the forward's index: its check is dropped (the
        # step returned already if it failed), so no parameter, gradient or optimizer buffer
        # needs a snapshot; BatchNorm's running stats are updated in the forward before the
        # loss's target check, so only they are snapshotted (and restored on failure)
        exe = step.steps[-1].program.executable
        assert set(exe.guarded) <= {"bn.running_mean", "bn.running_var",
                                    "bn.num_batches_tracked"}


def test_late_check_snapshots_the_state_it_could_corrupt() -> None:
    """A check that runs after an in-place state write (here: a gather on a parameter's
    updated value, after opt.step) makes that parameter guarded: restored on failure."""
    tenkai.manual_seed(0)
    w = nn.Parameter(tenkai.randn(4, 3))
    opt = tenkai.optim.SGD([w], lr=0.1, momentum=0.9)

    def step(idx):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        return tenkai.gather(w * 1, 0, idx)

    compiled = tenkai.compile(step)
    good = tenkai.tensor([[0, 1, 2]])
    compiled(good)
    compiled(good)
    before = _state_of(w, opt)
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 0"):
        compiled(tenkai.tensor([[0, 9, 2]]))
    after = _state_of(w, opt)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert compiled.steps[-1].program.executable.guarded


def _state_of(w, opt) -> list[np.ndarray]:
    buf = opt.state_dict()["state"][0]["momentum_buffer"]
    return [w.detach().numpy().copy(), w.grad.numpy().copy(), buf.numpy().copy()]


def test_traced_advanced_index_follows_the_input() -> None:
    """x[idx] with a traced idx reads the index at run time (it was baked in at trace time)."""
    x = _x(tenkai)
    for backend in BACKENDS:
        step = tenkai.compile(lambda i: x[i] * 2, backend=backend)
        for values in ([0, 1], [2, -1], [-3, 1]):
            idx = tenkai.tensor(values)
            np.testing.assert_array_equal(step(idx).numpy(), (x[idx] * 2).numpy())


def test_value_dependent_indexing_is_reported_not_baked() -> None:
    """Where the frontend must read index values in Python (one_hot's inferred class count,
    positions of an indexed assignment), tracing reports it instead of baking the values."""
    from tenkai.compile import UntraceableError

    def assign(i):
        y = tenkai.zeros(4)
        y[i] = 1.0
        return y

    for fn, what in ((lambda i: F.one_hot(i), "one_hot(num_classes=-1)"),
                     (assign, "a tensor index in an assignment")):
        with pytest.raises(UntraceableError, match=what.replace("(", r"\(").replace(")", r"\)")):
            tenkai.compile(fn, backend="interp")(tenkai.tensor([0, 2]))


@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("kind", ["tensor", "python"])
def test_a_scalar_bool_index_adds_a_masked_leading_dim(shape: tuple[int, ...], flag: bool,
                                                       kind: str) -> None:
    """``x[True]``, ``x[mask]`` with a 0-d mask: a new leading dim of size 1 or 0, recorded as
    PyTorch records it (IndexBackward0 of UnsqueezeBackward0)."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tenkai, torch):
        x = lib.ones(shape, requires_grad=True) * 2
        index = lib.tensor(flag) if kind == "tensor" else flag
        y = x[index]
        y.sum().backward()
        results.append((tuple(y.shape), y.grad_fn.name(),
                        [f.name() for f, _ in y.grad_fn.next_functions],
                        y.detach().numpy().tolist()))
    assert results[0] == results[1]
