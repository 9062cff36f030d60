"""The fast path of a compiled step (frontend/_fast_step.py): steady replays skip the full guard
check and the generic replay, yet every change a guard must catch still retraces or follows
eager exactly, and a failed step leaves the state untouched.

``fast_counts`` counts the calls that reach the full check (``Guard.matches``): once a step is
replayed, a steady call must not reach it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from compile_harness import check

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai._guards import Guard
from tenkai.compile import RecompileWarning

BACKENDS = ["interp", "tenkai"]


@pytest.fixture
def full_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many calls ran the full guard check (a list of one count)."""
    count = [0]
    matches = Guard.matches

    def counted(self, *args):
        count[0] += 1
        return matches(self, *args)

    monkeypatch.setattr(Guard, "matches", counted)
    return count


def _linear_step(backend: str, opt_kind: str = "sgd"):
    tenkai.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = (tenkai.optim.Adam(model.parameters(), lr=0.01) if opt_kind == "adam"
           else tenkai.optim.SGD(model.parameters(), lr=0.1))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step, tenkai.compile(step, backend=backend)


def _batch(n: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (tenkai.tensor(rng.standard_normal((n, 4)).astype(np.float32)),
            tenkai.tensor(rng.integers(0, 3, n)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("opt_kind", ["sgd", "adam"])
def test_steady_replays_skip_the_full_check(backend: str, opt_kind: str,
                                            full_checks: list[int]) -> None:
    _, _, _, fn = _linear_step(backend, opt_kind)
    x, y = _batch()
    while fn.stats["replays"] == 0:  # traced (Adam's first step creates state: twice), then
        fn(x, y)  # the first replay: the full check, then the fast path is built
    assert full_checks[0] == 1 and callable(fn.steps[0].fast)
    for k in range(5):
        fn(*_batch(seed=k))  # new argument objects each step: bound, not rechecked
    assert full_checks[0] == 1
    assert fn.stats["replays"] == 6 and fn.stats["retraces"] == 0


def _train(backend: str | None, between, steps: int = 6, opt_kind: str = "sgd"):
    """Losses and parameters after each step, ``between(k, model, opt)`` before step k."""
    model, opt, step, fn = _linear_step(backend or "interp", opt_kind)
    run = step if backend is None else fn
    out = []
    for k in range(steps):
        between(k, model, opt)
        x, y = _batch(seed=k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecompileWarning)
            loss = run(x, y)
        out.append([float(loss.item()), model.weight.detach().numpy().copy(),
                    model.bias.detach().numpy().copy()])
    return out, fn


def _same(backend: str, between, **kwargs) -> object:
    compiled, fn = _train(backend, between, **kwargs)
    eager, _ = _train(None, between, **kwargs)
    for k, (c, e) in enumerate(zip(compiled, eager, strict=True)):
        assert c[0] == pytest.approx(e[0], rel=1e-5), f"step {k}: loss"
        np.testing.assert_allclose(c[1], e[1], rtol=1e-5, atol=1e-6, err_msg=f"step {k}")
        np.testing.assert_allclose(c[2], e[2], rtol=1e-5, atol=1e-6, err_msg=f"step {k}")
    return fn


def _lr_schedule(k, model, opt):
    opt.param_groups[0]["lr"] = 0.1 / (k + 1)


def _edit_in_place(k, model, opt):
    if k == 4:
        with tenkai.no_grad():
            model.weight.mul_(0.5)
            model.bias.add_(1.0)


def _rebind_data(k, model, opt):
    if k == 4:
        model.weight.data = tenkai.full((3, 4), 0.25)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("change", [_lr_schedule, _edit_in_place, _rebind_data],
                         ids=["lr every step", "in-place edit", ".data rebinding"])
def test_changes_without_retrace_follow_eager(backend: str, change, full_checks) -> None:
    fn = _same(backend, change)
    assert fn.stats["retraces"] == 0 and fn.stats["replays"] == 5
    assert full_checks[0] == 1  # each replay after the first took the fast path


def _replace_param(k, model, opt):
    if k == 4:
        model.bias = nn.Parameter(tenkai.zeros(3))


def _eval(k, model, opt):
    if k == 4:
        model.eval()


def _freeze(k, model, opt):
    if k == 4:
        model.bias.requires_grad_(False)
        model.bias.grad = None


def _rebind_data_new_shape(k, model, opt):
    if k == 4:
        model.bias.data = tenkai.zeros(1)  # broadcasts: a new shape, same meaning in eager


def _reorder_group(k, model, opt):
    if k == 4:
        opt.param_groups[0]["params"].reverse()  # the same tensors in another order


def _option_none_to_false(k, model, opt):
    if k == 4:
        opt.param_groups[0]["foreach"] = False  # was None: the fast check has ``is None``


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("change", [_replace_param, _eval, _freeze, _rebind_data_new_shape,
                                    _reorder_group, _option_none_to_false],
                         ids=["param replaced", "eval()", "requires_grad", "data new shape",
                              "group reordered", "option None -> False"])
def test_changes_that_retrace_follow_eager(backend: str, change, full_checks) -> None:
    fn = _same(backend, change)
    # (a replaced bias is not in the optimizer: its .grad accumulates and retraces once more)
    assert fn.stats["retraces"] == (2 if change is _replace_param else 1)
    assert full_checks[0] >= 2  # the fast path missed and the full check decided


@pytest.mark.parametrize("backend", BACKENDS)
def test_shape_dtype_grad_mode_and_constants_are_checked(backend: str) -> None:
    tenkai.manual_seed(0)
    w = tenkai.randn(4, requires_grad=True)
    fn = tenkai.compile(lambda x, s: (x * w * s).sum(), backend=backend)
    x = tenkai.ones(2, 4)
    for _ in range(3):
        assert fn(x, 2.0).item() == pytest.approx(2.0 * 2 * w.sum().item(), rel=1e-5)
    assert callable(fn.steps[0].fast)
    calls = [(tenkai.ones(3, 4), 2.0), (x, 3.0), (tenkai.ones(2, 4, dtype=tenkai.float64), 2.0),
             (x, 2)]
    for args in calls:
        with pytest.warns(RecompileWarning):
            got = fn(*args)
        want = (args[0] * w * args[1]).sum()
        assert got.item() == pytest.approx(want.item(), rel=1e-5)
        assert type(got.item()) is type(want.item())
    with tenkai.no_grad():
        with pytest.warns(RecompileWarning, match="grad mode: True -> False"):
            got = fn(x, 2.0)
        assert not got.requires_grad
    traces = fn.stats["traces"]
    fn(x, 2.0)  # back to an earlier specialization: no new trace
    assert fn.stats["traces"] == traces


def test_momentum_change_flips_a_predicate(full_checks) -> None:
    def between(k, model, opt):
        for group in opt.param_groups:
            group["momentum"] = 0.0 if k >= 3 else 0.9
    fn = check("tenkai", between, steps=6)
    assert fn.stats["retraces"] == 1


def test_a_failed_step_on_the_fast_path_leaves_the_state_untouched() -> None:
    model, opt, _, fn = _linear_step("tenkai")
    x, y = _batch()
    for _ in range(4):
        fn(x, y)
    assert callable(fn.steps[0].fast)
    assert "run_bound" not in fn.steps[0].fast.source  # the native call written out
    before = [p.detach().numpy().copy() for p in model.parameters()]
    versions = [p._vc[0] for p in model.parameters()]
    bad = tenkai.tensor(np.array([0, 1, 2, 5, 0, 1, 2, 0]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        fn(x, bad)
    for p, b, v in zip(model.parameters(), before, versions, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), b)
        assert p._vc[0] == v
    fn(x, y)  # and the step runs again afterwards
    assert not np.array_equal(model.weight.detach().numpy(), before[0])


def test_results_are_new_tensors_each_call() -> None:
    _, _, _, fn = _linear_step("tenkai")
    x, y = _batch()
    losses = [fn(x, y) for _ in range(5)]
    assert len({id(loss._data) for loss in losses}) == 5
    values = [loss.item() for loss in losses]
    assert values == sorted(values, reverse=True)  # training: each step's own value kept


def test_non_contiguous_inputs_follow_eager() -> None:
    wide = tenkai.tensor(np.arange(64, dtype=np.float32).reshape(8, 8) / 64)
    view = wide[:, ::2]  # (8, 4), not contiguous: bound through a copy, refreshed every call
    losses = []
    for backend in ("tenkai", None):
        _, _, step, fn = _linear_step("tenkai")
        run = step if backend is None else fn
        x, y = _batch()
        out = [run(x, y).item() for _ in range(3)]
        out += [run(view, y).item() for _ in range(2)]
        with tenkai.no_grad():
            wide.mul_(0.5)  # the same view object, new values
        out += [run(view, y).item(), run(x, y).item()]
        with tenkai.no_grad():
            wide.mul_(2.0)
        losses.append(out)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


def test_dropout_draws_follow_eager_on_the_fast_path(full_checks) -> None:
    def make():
        tenkai.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
        opt = tenkai.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return step

    runs = []
    for backend in ("tenkai", None):
        step = make()
        run = step if backend is None else tenkai.compile(step, backend=backend)
        tenkai.manual_seed(1)
        losses = [run(*_batch(seed=k)).item() for k in range(6)]
        runs.append((losses, tenkai.rand(3).tolist()))  # the generator advanced alike
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
    assert runs[0][1] == runs[1][1]
    assert full_checks[0] == 1
