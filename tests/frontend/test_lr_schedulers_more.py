"""The lr schedulers beyond the basic ones vs PyTorch: lr (and cycled momentum) sequences,
state dicts, resuming, errors and the composite schedulers."""

from __future__ import annotations

import math
import pickle
from typing import Any

import pytest

import tenkai
from tenkai import nn

LIBS = ("tenkai", "torch")

# (scheduler, options, optimizer): the options in the ways users write them
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("MultiplicativeLR", {"lr_lambda": lambda epoch: 0.9 + 0.01 * (epoch % 3)}, "SGD"),
    ("ConstantLR", {}, "SGD"), ("ConstantLR", {"factor": 0.5, "total_iters": 7}, "SGD"),
    ("LinearLR", {}, "SGD"),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 9}, "Adam"),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 30}, "SGD"),
    ("PolynomialLR", {}, "SGD"), ("PolynomialLR", {"total_iters": 12, "power": 2.5}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}, "SGD"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, "SGD"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, "SGD"),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.2, "step_size_up": 3,
                  "step_size_down": 5, "mode": "triangular2"}, "SGD"),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 5, "mode": "exp_range",
                  "gamma": 0.95, "base_momentum": 0.7, "max_momentum": 0.95}, "Adam"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "cycle_momentum": False,
                  "scale_fn": lambda x: 1 / (1 + x), "scale_mode": "iterations"}, "Adam"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 31}, "SGD"),
    ("OneCycleLR", {"max_lr": [0.1, 0.05], "epochs": 4, "steps_per_epoch": 8,
                    "anneal_strategy": "linear", "three_phase": True}, "SGD"),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 40, "pct_start": 0.25, "div_factor": 10.0,
                    "final_div_factor": 100.0}, "Adam"),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 31, "cycle_momentum": False}, "Adam"),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _lib(name: str) -> Any:
    if name == "torch":
        return pytest.importorskip("torch")
    return tenkai


def _optimizer(lib: Any, kind: str) -> Any:
    params = [lib.nn.Parameter(lib.ones(2, dtype=lib.float64)) for _ in range(2)]
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
    if kind == "Adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _momenta(opt: Any) -> list[Any]:
    return [(g.get("momentum"), g.get("betas")) for g in opt.param_groups]


def _run(libname: str, name: str, kwargs: dict[str, Any], kind: str, steps: int = 30) -> Any:
    lib = _lib(libname)
    opt = _optimizer(lib, kind)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    trail = [(sched.get_last_lr(), _momenta(opt))]
    for _ in range(steps):
        opt.step()
        sched.step()
        trail.append((sched.get_last_lr(), _momenta(opt)))
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return trail, sched, opt


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_lr_and_momentum_sequences_match_torch(name: str, kwargs: dict[str, Any],
                                               kind: str) -> None:
    ours, sched, opt = _run("tenkai", name, kwargs, kind)
    theirs, torch_sched, torch_opt = _run("torch", name, kwargs, kind)
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"epoch {epoch}"
    assert _plain(sched.state_dict()) == _plain(torch_sched.state_dict())
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    assert groups == [{k: v for k, v in g.items() if k != "params"}
                      for g in torch_opt.param_groups]


def _plain(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict without the callables' entries (they are per-library objects)."""
    return {k: v for k, v in state.items() if k not in ("lr_lambdas", "_scale_fn_custom")}


@pytest.mark.parametrize(("name", "kwargs", "kind"), CASES, ids=IDS)
def test_state_dict_resume_continues_the_sequence(name: str, kwargs: dict[str, Any],
                                                  kind: str) -> None:
    straight, _, _ = _run("tenkai", name, kwargs, kind, steps=30)
    _, first, first_opt = _run("tenkai", name, kwargs, kind, steps=12)
    saved = pickle.loads(pickle.dumps(_plain(first.state_dict())))
    opt = _optimizer(tenkai, kind)  # the checkpoint order: make both, then load both
    again = getattr(tenkai.optim.lr_scheduler, name)(opt, **kwargs)
    opt.load_state_dict(first_opt.state_dict())
    again.load_state_dict({**first.state_dict(), **saved})
    for epoch in range(13, 31):
        opt.step()
        again.step()
        assert again.get_last_lr() == straight[epoch][0], f"epoch {epoch}"


def _sequential(lib: Any, kind: str = "SGD") -> tuple[Any, Any]:
    opt = _optimizer(lib, kind)
    sched = lib.optim.lr_scheduler
    parts = [sched.LinearLR(opt, start_factor=0.1, total_iters=4),
             sched.ExponentialLR(opt, gamma=0.8),
             sched.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)]
    return opt, sched.SequentialLR(opt, parts, milestones=[4, 11])


def _chained(lib: Any, kind: str = "SGD") -> tuple[Any, Any]:
    opt = _optimizer(lib, kind)
    sched = lib.optim.lr_scheduler
    parts = [sched.ConstantLR(opt, factor=0.5, total_iters=3),
             sched.ExponentialLR(opt, gamma=0.9), sched.StepLR(opt, step_size=4, gamma=0.5)]
    return opt, sched.ChainedScheduler(parts)


@pytest.mark.torch
@pytest.mark.parametrize("make", [_sequential, _chained])
def test_composite_schedulers_match_torch(make: Any) -> None:
    runs = [make(_lib(name)) for name in LIBS]
    for epoch in range(25):
        lrs = []
        for opt, sched in runs:
            lrs.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups]))
            opt.step()
            sched.step()
        assert lrs[0] == lrs[1], f"epoch {epoch}"
    (opt, ours), (_, theirs) = runs
    mine, other = ours.state_dict(), theirs.state_dict()
    assert mine.keys() == other.keys()
    assert mine.get("last_epoch") == other.get("last_epoch")
    assert mine["_schedulers"] == other["_schedulers"]
    again_opt, again = make(tenkai)
    again_opt.load_state_dict(opt.state_dict())  # after the schedulers, which set the lrs
    again.load_state_dict(mine)
    for _ in range(5):
        opt.step(), ours.step(), again_opt.step(), again.step()
        assert again.get_last_lr() == ours.get_last_lr()


def _plateau_metrics() -> list[float]:
    # falls, stalls (small wiggles under the threshold), falls again, stalls
    return [1.0, 0.8, 0.7, 0.7, 0.70001, 0.69999, 0.7, 0.71, 0.5, 0.4, 0.4, 0.41, 0.42, 0.4,
            0.45, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39]


PLATEAU = [{}, {"patience": 1}, {"patience": 2, "factor": 0.5, "cooldown": 2},
           {"mode": "max", "patience": 1, "threshold": 0.1, "threshold_mode": "abs"},
           {"patience": 0, "factor": 0.3, "min_lr": [0.01, 0.02], "eps": 1e-3},
           {"mode": "max", "threshold_mode": "rel", "patience": 1, "min_lr": 0.004}]


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kwargs: dict[str, Any]) -> None:
    runs = []
    for name in LIBS:
        lib = _lib(name)
        opt = _optimizer(lib, "SGD")
        runs.append((opt, lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)))
    for epoch, metric in enumerate(_plateau_metrics()):
        seen = []
        for lib, (opt, sched) in zip(LIBS, runs, strict=True):
            opt.step()
            sched.step(_lib(lib).tensor(metric) if epoch % 2 else metric)
            seen.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter,
                         sched.best, sched.last_epoch))
        assert seen[0] == seen[1], f"epoch {epoch}"
    assert runs[0][1].state_dict() == runs[1][1].state_dict()


def test_reduce_lr_on_plateau_by_hand_and_resume() -> None:
    opt = _optimizer(tenkai, "SGD")
    sched = tenkai.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for metric in [1.0, 1.0, 1.0]:  # two bad epochs > patience 1: halve
        sched.step(metric)
    assert sched.get_last_lr() == [0.05, 0.025]
    again = tenkai.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(tenkai, "SGD"))
    again.load_state_dict(sched.state_dict())
    assert (again.patience, again.factor, again.best) == (1, 0.5, 1.0)
    with pytest.raises(ValueError, match="mode sideways is unknown!"):
        tenkai.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="sideways")


def test_one_cycle_by_hand_and_past_the_end() -> None:
    opt = _optimizer(tenkai, "SGD")
    sched = tenkai.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10,
                                                 anneal_strategy="linear", pct_start=0.5)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(9):
        opt.step(), sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[0] == pytest.approx(1 / 25) and lrs[4] == pytest.approx(1.0)
    assert lrs[9] == pytest.approx(1 / 25 / 1e4)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)  # back to max at the end
    opt.step(), sched.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        sched.step()


def test_warm_restarts_restart_and_fractional_epochs() -> None:
    opt = _optimizer(tenkai, "SGD")
    sched = tenkai.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4)
    lrs = []
    for _ in range(8):
        lrs.append(sched.get_last_lr()[0])
        opt.step(), sched.step()
    assert lrs[0] == lrs[4] == 0.1 and lrs[2] == pytest.approx(0.05)
    sched.step(2.5)  # the per-batch form
    assert sched.get_last_lr()[0] == pytest.approx(0.05 * (1 + math.cos(math.pi * 2.5 / 4)))


def _error(make: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        make()
    return info.type, str(info.value)


def _error_cases(lib: Any) -> dict[str, Any]:
    sched = lib.optim.lr_scheduler
    opt, other = _optimizer(lib, "SGD"), _optimizer(lib, "SGD")
    no_momentum = lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))])
    return {
        "constant": lambda: sched.ConstantLR(opt, factor=2.0),
        "linear_start": lambda: sched.LinearLR(opt, start_factor=0),
        "linear_end": lambda: sched.LinearLR(opt, end_factor=1.5),
        "mult_not_callable": lambda: sched.MultiplicativeLR(opt, lr_lambda=[0.9, 0.9]),
        "mult_count": lambda: sched.MultiplicativeLR(opt, lr_lambda=[lambda e: 0.9]),
        "restarts_T0": lambda: sched.CosineAnnealingWarmRestarts(opt, T_0=0),
        "restarts_Tmult": lambda: sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5),
        "cyclic_mode": lambda: sched.CyclicLR(opt, 0.01, 0.1, mode="sawtooth"),
        "cyclic_momentum": lambda: sched.CyclicLR(no_momentum, 0.01, 0.1),
        "cyclic_lengths": lambda: sched.CyclicLR(opt, [0.01, 0.02, 0.03], 0.1),
        "one_cycle_steps": lambda: sched.OneCycleLR(opt, 0.1),
        "one_cycle_total": lambda: sched.OneCycleLR(opt, 0.1, total_steps=0),
        "one_cycle_pct": lambda: sched.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1),
        "one_cycle_anneal": lambda: sched.OneCycleLR(opt, 0.1, 10, anneal_strategy="exp"),
        "plateau_factor": lambda: sched.ReduceLROnPlateau(opt, factor=1.0),
        "plateau_min_lrs": lambda: sched.ReduceLROnPlateau(opt, min_lr=[0.1]),
        "plateau_threshold": lambda: sched.ReduceLROnPlateau(opt, threshold_mode="log"),
        "not_optimizer": lambda: sched.OneCycleLR(object(), 0.1, 10),
        "sequential_empty": lambda: sched.SequentialLR(opt, [], []),
        "sequential_milestones": lambda: sched.SequentialLR(
            opt, [sched.ConstantLR(opt), sched.ExponentialLR(opt, 0.9)], [1, 2]),
        "sequential_plateau": lambda: sched.SequentialLR(
            opt, [sched.ConstantLR(opt), sched.ReduceLROnPlateau(opt)], [1]),
        "chained_other_opt": lambda: sched.ChainedScheduler(
            [sched.ConstantLR(opt), sched.ExponentialLR(other, 0.9)]),
        "chained_empty": lambda: sched.ChainedScheduler([]),
    }


@pytest.mark.torch
@pytest.mark.parametrize("case", list(_error_cases(tenkai)))
def test_errors_match_torch(case: str) -> None:
    ours = _error(_error_cases(tenkai)[case])
    theirs = _error(_error_cases(_lib("torch"))[case])
    assert ours[0] is theirs[0]
    # messages naming an optimizer object print it: compare up to its repr
    assert ours[1].split(" has ")[0] == theirs[1].split(" has ")[0]


def test_all_names_exported() -> None:
    names = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
             "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
             "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
             "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR"]
    module = tenkai.optim.lr_scheduler
    assert all(isinstance(getattr(module, n), type) for n in names)
    assert issubclass(module.ReduceLROnPlateau, module.LRScheduler)
    assert nn is not None


COMPILED = [("OneCycleLR", {"max_lr": 0.1, "total_steps": 6}, "sgd"),
            ("OneCycleLR", {"max_lr": 0.05, "total_steps": 6, "three_phase": True}, "adam"),
            ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2}, "sgd"),
            ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 2,
                          "mode": "exp_range", "gamma": 0.9}, "adam")]


@pytest.mark.parametrize(("name", "kwargs", "kind"), COMPILED,
                         ids=[f"{n}-{k}" for n, _, k in COMPILED])
def test_compiled_training_follows_cycled_lr_and_momentum(name: str, kwargs: dict[str, Any],
                                                          kind: str) -> None:
    """The lr and the momentum (SGD's ``momentum``, Adam's ``betas[0]``) these schedulers
    rewrite every step reach a compiled step as runtime inputs: it trains as eager does."""
    from compile_harness import check

    schedulers: dict[int, Any] = {}

    def between(k: int, model: Any, opt: Any) -> None:
        if k == 0:
            schedulers[id(opt)] = getattr(tenkai.optim.lr_scheduler, name)(opt, **kwargs)
        else:
            schedulers[id(opt)].step()

    fn = check("tenkai", between, steps=6, opt_kind=kind)
    assert fn.stats["eager_calls"] == 0 and fn.stats["replays"] >= 3, fn.stats
    assert len(schedulers) == 2
