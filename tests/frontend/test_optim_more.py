"""NAdam, RAdam, Adamax, ASGD, Rprop and Adafactor vs PyTorch (trajectories and state, state
dicts, errors, reprs), and compiled training with each equal to eager step by step."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pytest
from compile_harness import assert_same, data, mse_step, snapshot
from test_optim import TOL, Run, _assert_same, _assert_same_state, _error

import tenkai
from tenkai import nn
from tenkai.compile import RecompileWarning

CASES = [
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.02, "betas": (0.8, 0.95), "momentum_decay": 0.01, "weight_decay": 0.1,
               "maximize": True}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.5), "weight_decay": 0.1}),  # rectifies at step 2
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.7), "eps": 1e-6, "weight_decay": 0.1,
               "decoupled_weight_decay": True, "maximize": True}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-4, "weight_decay": 0.1,
                "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0, "maximize": True}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.08), "maximize": True}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 1.5,
                   "weight_decay": 0.1, "maximize": True}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]


def _torch() -> Any:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_trajectory_and_state_match_torch(name: str, kwargs: dict[str, Any],
                                          dtype: str) -> None:
    torch = _torch()
    ours, theirs = Run(tenkai, name, kwargs, dtype), Run(torch, name, kwargs, dtype)
    for step in range(20):
        assert ours.step() == pytest.approx(theirs.step(), rel=1e-4)
        _assert_same(ours, theirs, dtype, step)
    _assert_same_state(ours.opt.state_dict(), theirs.opt.state_dict())
    if dtype == "float64":  # the state itself, tightly
        for index, entry in theirs.opt.state_dict()["state"].items():
            for key, value in entry.items():
                np.testing.assert_allclose(ours.opt.state_dict()["state"][index][key].numpy(),
                                           value.numpy(), **TOL[dtype], err_msg=key)


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs"), [CASES[1], CASES[4], CASES[9], CASES[12]],
                         ids=[IDS[1], IDS[4], IDS[9], IDS[12]])
def test_param_groups_and_torch_state_loads(name: str, kwargs: dict[str, Any]) -> None:
    torch = _torch()
    ours = Run(tenkai, name, kwargs, "float64", groups=True)
    theirs = Run(torch, name, kwargs, "float64", groups=True)
    for step in range(6):
        ours.step(set_to_none=False), theirs.step(set_to_none=False)
        _assert_same(ours, theirs, "float64", step)
    assert repr(ours.opt) == repr(theirs.opt)
    # a torch state dict (same names, same layout) loads into tenkai and continues alike
    saved = theirs.opt.state_dict()
    converted = {"param_groups": saved["param_groups"],
                 "state": {i: {k: tenkai.tensor(v.numpy()) for k, v in entry.items()}
                           for i, entry in saved["state"].items()}}
    again = Run(tenkai, name, kwargs, "float64", groups=True)
    for p, value in zip(again.params, theirs.values(), strict=True):
        p.data = tenkai.tensor(value)
    again.opt.load_state_dict(converted)
    theirs.opt.load_state_dict(saved)  # loading casts mu_product/eta/mu to float64 there too
    for step in range(4):
        again.step(), theirs.step()
        _assert_same(again, theirs, "float64", step)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_state_dict_round_trip(name: str, kwargs: dict[str, Any]) -> None:
    straight = Run(tenkai, name, kwargs, "float64")
    for _ in range(4):
        straight.step()
    saved = pickle.loads(pickle.dumps(straight.opt.state_dict()))
    resumed = Run(tenkai, name, kwargs, "float64")
    for p, value in zip(resumed.params, straight.values(), strict=True):
        p.data = tenkai.tensor(value)
    resumed.opt.load_state_dict(saved)
    # as PyTorch's, loading casts every state tensor but ``step`` to the parameter's dtype:
    # NAdam's mu_product and ASGD's eta/mu go from float32 to float64 (no longer rounded)
    scalars = any(k in ("mu_product", "eta") for e in saved["state"].values() for k in e)
    for step in range(4):
        straight.step(), resumed.step()
        for a, b in zip(straight.values(), resumed.values(), strict=True):
            if scalars:
                np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=f"step {step}")
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"step {step} after resuming")
    for entry in resumed.opt.state_dict()["state"].values():
        assert {k: v.dtype for k, v in entry.items() if k != "step"} == \
            {k: tenkai.float64 for k in entry if k != "step"}


def test_adamax_and_rprop_by_hand() -> None:
    w = nn.Parameter(tenkai.tensor([1.0, -2.0], dtype=tenkai.float64))
    opt = tenkai.optim.Adamax([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()  # m = 0.1 g, u = |g| + eps, step lr / 0.1: w -= 0.1 * sign(g) (almost)
    np.testing.assert_allclose(w.detach().numpy(), [0.9, -1.9], rtol=1e-7)
    v = nn.Parameter(tenkai.tensor([1.0, -1.0], dtype=tenkai.float64))
    opt = tenkai.optim.Rprop([v], lr=0.25)
    for grad in ([1.0, -1.0], [1.0, 1.0]):  # second step: v[1]'s gradient flips sign
        v.grad = tenkai.tensor(grad, dtype=tenkai.float64)
        opt.step()
    np.testing.assert_array_equal(v.detach().numpy(), [1.0 - 0.25 - 0.3, -0.75])
    np.testing.assert_array_equal(opt.state[v]["step_size"].numpy(), [0.3, 0.125])
    np.testing.assert_array_equal(opt.state[v]["prev"].numpy(), [1.0, 0.0])


def _error_cases(lib: Any) -> dict[str, Any]:
    p = lib.nn.Parameter(lib.zeros(2))
    optim = lib.optim
    return {
        "nadam_lr": lambda: optim.NAdam([p], lr=-0.1),
        "nadam_beta": lambda: optim.NAdam([p], betas=(0.9, 1.0)),
        "nadam_decay": lambda: optim.NAdam([p], momentum_decay=-1),
        "radam_eps": lambda: optim.RAdam([p], eps=-1),
        "radam_wd": lambda: optim.RAdam([p], weight_decay=-1),
        "adamax_beta": lambda: optim.Adamax([p], betas=(-0.1, 0.9)),
        "asgd_lr": lambda: optim.ASGD([p], lr=-1),
        "asgd_wd": lambda: optim.ASGD([p], weight_decay=-0.5),
        "rprop_etas": lambda: optim.Rprop([p], etas=(1.5, 1.2)),
        "rprop_lr": lambda: optim.Rprop([p], lr=-1),
        "empty": lambda: optim.RAdam([]),
        "adafactor_lr": lambda: optim.Adafactor([p], lr=-1),
        "adafactor_decay": lambda: optim.Adafactor([p], beta2_decay=0.5),
        "adafactor_eps": lambda: optim.Adafactor([p], eps=(-1, 1e-3)),
        "adafactor_d": lambda: optim.Adafactor([p], d=0.5),
    }


@pytest.mark.torch
@pytest.mark.parametrize("case", list(_error_cases(tenkai)))
def test_errors_match_torch(case: str) -> None:
    assert _error(_error_cases(tenkai)[case]) == _error(_error_cases(_torch())[case])


def test_differentiable_is_refused_clearly() -> None:
    p = nn.Parameter(tenkai.zeros(2))
    for cls in (tenkai.optim.NAdam, tenkai.optim.RAdam, tenkai.optim.Adamax,
                tenkai.optim.ASGD, tenkai.optim.Rprop):
        with pytest.raises(NotImplementedError, match="differentiable=True"):
            cls([p], differentiable=True)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "Adafactor"])
def test_repr_and_defaults_match_torch(name: str) -> None:
    torch = _torch()
    ours = Run(tenkai, name, {}, "float32").opt
    theirs = Run(torch, name, {}, "float32").opt
    assert repr(ours) == repr(theirs)
    assert ours.defaults == theirs.defaults


def _train(name: str, kwargs: dict[str, Any], compiled: bool, steps: int = 5) -> list[Any]:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    opt = getattr(tenkai.optim, name)(model.parameters(), **kwargs)
    step = mse_step(model, opt)
    fn = tenkai.compile(step) if compiled else step
    records = []
    for x, y in data(steps):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecompileWarning)
            loss = fn(x, y)
        records.append(snapshot(loss, model, opt))
    if compiled:  # really compiled: traced once, then replayed, never run eagerly
        assert fn.stats["eager_calls"] == 0 and fn.stats["replays"] >= steps - 2, fn.stats
    return records


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_compiled_training_equals_eager(name: str, kwargs: dict[str, Any]) -> None:
    assert_same(_train(name, kwargs, True), _train(name, kwargs, False))
