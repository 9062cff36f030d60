"""tenkai.optim vs PyTorch (trajectories, groups, state dicts, errors, reprs, schedules)."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest

import tenkai
import tenkai.optim as optim
from tenkai import nn

# (optimizer, options): every optimizer with its main option combinations.
CASES = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.05}), ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05}), ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01,
                 "initial_accumulator_value": 0.1, "eps": 1e-8}),
    ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1, "momentum": 0.5,
                 "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.1, "maximize": True}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _torch() -> Any:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _init(dtype: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s) for s in [(4, 3), (3,), (3, 1)]]
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 1))
    return [w.astype(dtype) for w in weights], x.astype(dtype), y.astype(dtype)


def _loss(lib: Any, params: list[Any], x: Any, y: Any, sign: float) -> Any:
    """A small MLP's squared error (negated when the optimizer maximizes)."""
    w1, b1, w2 = params
    pred = lib.tanh(x @ w1 + b1) @ w2
    return ((pred - y) ** 2).mean() * sign


class Run:
    """One library's copy of the problem: parameters, data, optimizer."""

    def __init__(self, lib: Any, name: str, kwargs: dict[str, Any], dtype: str,
                 groups: bool = False) -> None:
        weights, x, y = _init(dtype)
        self.lib, self.sign = lib, -1.0 if kwargs.get("maximize") else 1.0
        self.params = [lib.nn.Parameter(lib.tensor(w.copy())) for w in weights]
        self.x, self.y = lib.tensor(x), lib.tensor(y)
        spec: Any = self.params
        if groups:
            spec = [{"params": self.params[:2]}, {"params": self.params[2:], "lr": 0.01}]
        self.opt = getattr(lib.optim, name)(spec, **kwargs)

    def step(self, set_to_none: bool = True) -> float:
        self.opt.zero_grad(set_to_none)
        loss = _loss(self.lib, self.params, self.x, self.y, self.sign)
        loss.backward()
        self.opt.step()
        return loss.item()

    def values(self) -> list[np.ndarray]:
        return [np.array(p.detach().numpy()) for p in self.params]


def _assert_same(ours: Run, theirs: Run, dtype: str, step: int) -> None:
    for k, (a, b) in enumerate(zip(ours.values(), theirs.values(), strict=True)):
        np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=f"param {k} after step {step}")


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_trajectory_matches_torch(name: str, kwargs: dict[str, Any], dtype: str) -> None:
    torch = _torch()
    ours, theirs = Run(tenkai, name, kwargs, dtype), Run(torch, name, kwargs, dtype)
    _assert_same_state(ours.opt.state_dict(), theirs.opt.state_dict())  # Adagrad's is eager
    for step in range(20):
        assert ours.step() == pytest.approx(theirs.step(), rel=1e-4)
        _assert_same(ours, theirs, dtype, step)
    _assert_same_state(ours.opt.state_dict(), theirs.opt.state_dict())


def _assert_same_state(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Same structure (keys, group options, state entries and dtypes) and close values."""
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for index, entry in theirs["state"].items():
        assert list(ours["state"][index]) == list(entry)
        for key, value in entry.items():
            mine = ours["state"][index][key]
            assert str(mine.dtype) == str(value.dtype), key
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), [CASES[2], CASES[6], CASES[14]],
                         ids=[IDS[2], IDS[6], IDS[14]])
def test_param_groups_with_different_lrs(name: str, kwargs: dict[str, Any]) -> None:
    torch = _torch()
    ours = Run(tenkai, name, kwargs, "float64", groups=True)
    theirs = Run(torch, name, kwargs, "float64", groups=True)
    for step in range(10):
        ours.step(set_to_none=False), theirs.step(set_to_none=False)
        _assert_same(ours, theirs, "float64", step)
    assert [g["lr"] for g in ours.opt.param_groups] == [kwargs["lr"], 0.01]
    assert repr(ours.opt) == repr(theirs.opt)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_state_dict_round_trip(name: str, kwargs: dict[str, Any]) -> None:
    straight = Run(tenkai, name, kwargs, "float64")
    for _ in range(5):
        straight.step()
    saved = straight.opt.state_dict()
    assert pickle.loads(pickle.dumps(saved)).keys() == {"state", "param_groups"}
    resumed = Run(tenkai, name, kwargs, "float64")
    for p, value in zip(resumed.params, straight.values(), strict=True):
        p.data = tenkai.tensor(value)
    # Loading the live dict: were the state tensors aliased rather than copied, both
    # optimizers would update the same buffers and the trajectories would part.
    resumed.opt.load_state_dict(saved)
    for step in range(5):
        straight.step(), resumed.step()
        for a, b in zip(straight.values(), resumed.values(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"step {step} after resuming")


def test_zero_grad_set_to_none_both_ways() -> None:
    run = Run(tenkai, "SGD", {"lr": 0.1}, "float32")
    run.step()
    grads = [p.grad for p in run.params]
    run.opt.zero_grad(set_to_none=False)
    for p, g in zip(run.params, grads, strict=True):
        assert p.grad is g and not p.grad.numpy().any()
    run.opt.zero_grad()
    assert all(p.grad is None for p in run.params)


def test_sgd_one_step_by_hand() -> None:
    w = nn.Parameter(tenkai.tensor([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.5, weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad(), (w * w).sum().backward(), opt.step()  # grad = 2w
    # step 1: g = 2.1 w0, b = g, w1 = w0 - 0.1 g = 0.79 w0
    # step 2: g = 2.1 w1, b = 0.5 * 2.1 w0 + g, w2 = w1 - 0.1 b
    w0 = np.array([1.0, -2.0])
    w1 = 0.79 * w0
    expected = w1 - 0.1 * (0.5 * 2.1 * w0 + 2.1 * w1)
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-6)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert list(opt.state[w]) == ["momentum_buffer"]


def test_params_without_grad_are_skipped_and_closure_returns_loss() -> None:
    used, unused = nn.Parameter(tenkai.tensor([3.0])), nn.Parameter(tenkai.tensor([5.0]))
    opt = optim.Adam([used, unused], lr=0.5)

    def closure() -> Any:
        opt.zero_grad()
        loss = (used * used).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    assert used.item() == pytest.approx(2.5) and unused.item() == 5.0
    assert unused not in opt.state and opt.state_dict()["state"].keys() == {0}


def test_scheduler_drives_sgd_lr_by_hand() -> None:
    w = nn.Parameter(tenkai.tensor([1.0]))
    opt = optim.SGD([w], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(4):
        w.grad = tenkai.tensor([1.0])
        opt.step(), sched.step()
    assert w.item() == pytest.approx(1.0 - (1.0 + 1.0 + 0.5 + 0.5))
    assert sched.get_last_lr() == [0.25] and sched.last_epoch == 4


def _error(make: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        make()
    return info.type, str(info.value)


def _error_cases(lib: Any) -> dict[str, Any]:
    p = lib.nn.Parameter(lib.zeros(2))
    return {
        "empty": lambda: lib.optim.SGD([], lr=0.1),
        "bad_lr": lambda: lib.optim.Adam([p], lr=-1),
        "bad_lr_sgd": lambda: lib.optim.SGD([p], lr=-1),
        "not_tensor": lambda: lib.optim.SGD([1.0], lr=0.1),
        "tensor_not_iterable": lambda: lib.optim.SGD(lib.zeros(2), lr=0.1),
        "nesterov": lambda: lib.optim.SGD([p], lr=0.1, nesterov=True),
        "non_leaf": lambda: lib.optim.SGD([p * 2], lr=0.1),
        "overlap": lambda: lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
        "beta": lambda: lib.optim.Adam([p], betas=(1.0, 0.9)),
        "rho": lambda: lib.optim.Adadelta([p], rho=1.5),
        "alpha": lambda: lib.optim.RMSprop([p], alpha=-0.1),
        "lr_decay": lambda: lib.optim.Adagrad([p], lr_decay=-0.1),
    }


def test_errors_without_torch() -> None:
    cases = _error_cases(tenkai)
    assert _error(cases["empty"]) == (ValueError, "optimizer got an empty parameter list")
    assert _error(cases["bad_lr"]) == (ValueError, "Invalid learning rate: -1")
    assert _error(cases["not_tensor"])[0] is TypeError
    assert _error(cases["nesterov"])[0] is ValueError


@pytest.mark.torch
@pytest.mark.parametrize("case", list(_error_cases(tenkai)))
def test_errors_match_torch(case: str) -> None:
    torch = _torch()
    assert _error(_error_cases(tenkai)[case]) == _error(_error_cases(torch)[case])


REPR_CASES = [(name, {}) for name in ["Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta"]] + [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 3e-4, "betas": (0.5, 0.99), "amsgrad": True})]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), REPR_CASES)
@pytest.mark.parametrize("groups", [False, True])
def test_repr_matches_torch(name: str, kwargs: dict[str, Any], groups: bool) -> None:
    torch = _torch()
    ours = Run(tenkai, name, kwargs, "float32", groups=groups).opt
    theirs = Run(torch, name, kwargs, "float32", groups=groups).opt
    assert repr(ours) == repr(theirs)
    ours_sched = optim.lr_scheduler.ExponentialLR(ours, 0.9)
    torch.optim.lr_scheduler.ExponentialLR(theirs, 0.9)
    assert repr(ours) == repr(theirs)  # now with initial_lr
    assert ours_sched.get_last_lr() == [g["lr"] for g in ours.param_groups]


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}), ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}), ("CosineAnnealingLR", {"T_max": 30}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (1 + epoch) + math.sin(epoch) / 10}),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_lrs_match_torch(name: str, kwargs: dict[str, Any]) -> None:
    torch = _torch()
    runs = [Run(lib, "SGD", {"lr": 0.1, "momentum": 0.9}, "float64", groups=True)
            for lib in (tenkai, torch)]
    scheds = [getattr(lib.optim.lr_scheduler, name)(run.opt, **kwargs)
              for lib, run in zip((tenkai, torch), runs, strict=True)]
    for epoch in range(30):
        for run, sched in zip(runs, scheds, strict=True):
            run.step(), sched.step()  # the order PyTorch expects
        ours, theirs = (s.get_last_lr() for s in scheds)
        assert ours == theirs, f"epoch {epoch}"
        assert [g["lr"] for g in runs[0].opt.param_groups] == theirs
        _assert_same(runs[0], runs[1], "float64", epoch)
    assert scheds[0].last_epoch == scheds[1].last_epoch == 30
    assert scheds[0].state_dict() == scheds[1].state_dict()


def test_scheduler_state_dict_resume_and_order_warning() -> None:
    opt = optim.SGD([nn.Parameter(tenkai.ones(1))], lr=1.0)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()  # optimizer.step() was never called
    for _ in range(3):
        opt.step(), sched.step()
    opt_again = optim.SGD([nn.Parameter(tenkai.ones(1))], lr=1.0)
    opt_again.load_state_dict(opt.state_dict())
    again = optim.lr_scheduler.CosineAnnealingLR(opt_again, T_max=8)
    again.load_state_dict(sched.state_dict())
    for _ in range(6):
        opt.step(), sched.step()
        opt_again.step(), again.step()
        assert again.get_last_lr() == sched.get_last_lr()
    assert again.last_epoch == sched.last_epoch == 10
