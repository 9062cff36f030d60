"""LBFGS vs PyTorch (parameters, losses and state over several steps, with and without the
strong-Wolfe line search), its state dict, its errors, and tenkai.compile of a step using it
(refused by name, or run eagerly with on_untraceable='eager')."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from test_optim import _init, _loss

import tenkai
from tenkai import nn
from tenkai.compile import UntraceableError

CASES = [{}, {"lr": 0.5, "max_iter": 5}, {"line_search_fn": "strong_wolfe"},
         {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7},
         {"lr": 0.8, "history_size": 2, "tolerance_change": 1e-5}]


class Problem:
    """The test_optim MLP in one library, with an LBFGS optimizer and its closure."""

    def __init__(self, lib: Any, kwargs: dict[str, Any], dtype: str = "float64") -> None:
        weights, x, y = _init(dtype)
        self.params = [lib.nn.Parameter(lib.tensor(w.copy())) for w in weights]
        self.x, self.y, self.lib = lib.tensor(x), lib.tensor(y), lib
        self.opt = lib.optim.LBFGS(self.params, **kwargs)
        self.calls = 0

    def closure(self) -> Any:
        self.calls += 1
        self.opt.zero_grad()
        loss = _loss(self.lib, self.params, self.x, self.y, 1.0)
        loss.backward()
        return loss

    def values(self) -> list[np.ndarray]:
        return [np.array(p.detach().numpy()) for p in self.params]


def _torch() -> Any:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _same_state(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        mine = ours[key]
        if key in ("old_dirs", "old_stps", "ro", "al"):
            assert len(mine) == len(value), key
            for a, b in zip(mine, value, strict=True):
                if b is not None:
                    np.testing.assert_allclose(np.asarray(a if not hasattr(a, "numpy")
                                                          else a.numpy()),
                                               np.asarray(b), rtol=1e-6, err_msg=key)
        elif hasattr(value, "numpy") and value.ndim > 0:
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-6, atol=1e-9,
                                       err_msg=key)
        else:
            assert float(mine) == pytest.approx(float(value), rel=1e-6), key


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_steps_and_state_match_torch(kwargs: dict[str, Any]) -> None:
    torch = _torch()
    ours, theirs = Problem(tenkai, kwargs), Problem(torch, kwargs)
    for step in range(4):
        a, b = ours.opt.step(ours.closure), theirs.opt.step(theirs.closure)
        assert a.item() == pytest.approx(b.item(), rel=1e-9), f"step {step}"
        assert ours.calls == theirs.calls, f"step {step}: closure calls"
        for k, (p, q) in enumerate(zip(ours.values(), theirs.values(), strict=True)):
            np.testing.assert_allclose(p, q, rtol=1e-7, atol=1e-9,
                                       err_msg=f"param {k} after step {step}")
    _same_state(ours.opt.state[ours.params[0]], theirs.opt.state[theirs.params[0]])
    assert repr(ours.opt) == repr(theirs.opt)


def test_minimizes_a_quadratic_and_stops_at_the_optimum() -> None:
    w = nn.Parameter(tenkai.tensor([3.0, -2.0], dtype=tenkai.float64))
    opt = tenkai.optim.LBFGS([w], line_search_fn="strong_wolfe")
    target = tenkai.tensor([1.0, 0.5], dtype=tenkai.float64)

    def closure() -> Any:
        opt.zero_grad()
        loss = ((w - target) ** 2 * tenkai.tensor([1.0, 10.0], dtype=tenkai.float64)).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 0.5], atol=1e-7)
    evals = opt.state[w]["func_evals"]
    opt.step(closure)  # already optimal: one evaluation, no move
    assert opt.state[w]["func_evals"] == evals + 1


def test_state_dict_round_trip_continues_alike() -> None:
    kwargs = {"line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 3}
    straight = Problem(tenkai, kwargs)
    for _ in range(2):
        straight.opt.step(straight.closure)
    saved = pickle.loads(pickle.dumps(straight.opt.state_dict()))
    resumed = Problem(tenkai, kwargs)
    for p, value in zip(resumed.params, straight.values(), strict=True):
        p.data = tenkai.tensor(value)
    resumed.opt.load_state_dict(straight.opt.state_dict())  # live: must not share lists
    for step in range(3):
        straight.opt.step(straight.closure), resumed.opt.step(resumed.closure)
        for a, b in zip(straight.values(), resumed.values(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"step {step} after resuming")
    assert len(saved["state"][0]["old_dirs"]) <= 4


@pytest.mark.torch
def test_errors_match_torch() -> None:
    torch = _torch()
    for lib in (tenkai, torch):
        p, q = lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(2))
        with pytest.raises(ValueError, match="Invalid learning rate: -1"):
            lib.optim.LBFGS([p], lr=-1)
        with pytest.raises(ValueError, match="doesn't support per-parameter options"):
            lib.optim.LBFGS([{"params": [p]}, {"params": [q]}])
        opt = lib.optim.LBFGS([p], line_search_fn="backtracking")
        p.grad = lib.ones(2)
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(lambda p=p: (p * p).sum())
    with pytest.raises(RuntimeError, match="requires a closure"):
        tenkai.optim.LBFGS([nn.Parameter(tenkai.zeros(1))]).step()


def _compiled_problem(**options: Any) -> tuple[Problem, Any]:
    problem = Problem(tenkai, {"max_iter": 3})

    def train_step() -> Any:
        return problem.opt.step(problem.closure)

    return problem, tenkai.compile(train_step, **options)


def test_compile_names_lbfgs_and_eager_fallback_trains_alike() -> None:
    _, step = _compiled_problem()
    with pytest.raises(UntraceableError, match=r"LBFGS\.step\(closure\)"):
        step()
    eager = Problem(tenkai, {"max_iter": 3})
    problem, step = _compiled_problem(on_untraceable="eager")
    with pytest.warns(UserWarning, match="LBFGS"):
        first = step()
    assert first.item() == eager.opt.step(eager.closure).item()
    for _ in range(3):
        assert step().item() == eager.opt.step(eager.closure).item()
        for a, b in zip(problem.values(), eager.values(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert step.stats["eager_calls"] >= 3
