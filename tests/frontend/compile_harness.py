"""Shared harness: train the same tiny model eagerly and compiled, with the same changes made
between calls, and record losses, parameters, gradients and optimizer state after each step."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.compile import RecompileWarning

Between = Callable[[int, Any, Any], None]


def make(seed: int = 0, opt_kind: str = "sgd", **options: Any) -> tuple[Any, Any]:
    tenkai.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    if opt_kind == "adam":
        opt = tenkai.optim.Adam(model.parameters(), **{"lr": 0.05, **options})
    elif opt_kind == "rmsprop":
        opt = tenkai.optim.RMSprop(model.parameters(), **{"lr": 0.01, **options})
    else:
        opt = tenkai.optim.SGD(model.parameters(), **{"lr": 0.1, "momentum": 0.9, **options})
    return model, opt


def data(steps: int, seed: int = 1) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(seed)
    return [(tenkai.tensor(rng.standard_normal((6, 5)).astype(np.float32)),
             tenkai.tensor(rng.standard_normal((6, 3)).astype(np.float32)))
            for _ in range(steps)]


def snapshot(loss: Any, model: Any, opt: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"loss": loss if isinstance(loss, str) else
                           float(loss.detach().numpy())}
    for name, p in model.named_parameters():
        out[name] = p.detach().numpy().copy()
        out[name + ".grad"] = None if p.grad is None else p.grad.numpy().copy()
    for name, b in model.named_buffers():
        out[name] = b.numpy().copy()
    sd = opt.state_dict()
    for index, entry in sd["state"].items():
        for key, value in entry.items():
            out[f"opt.{index}.{key}"] = np.array(value.numpy() if hasattr(value, "numpy")
                                                 else value, copy=True)
    out["opt.groups"] = [{k: v for k, v in g.items() if k != "params"}
                         for g in sd["param_groups"]]
    return out


def mse_step(model: Any, opt: Any, zero_grad: bool = True) -> Callable[[Any, Any], Any]:
    """The usual training step of ``model`` and ``opt``: (zero_grad,) MSE loss, backward,
    step; returns the loss."""
    def step(x, y):
        if zero_grad:
            opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def cross_entropy_step(model: Any, opt: Any) -> Callable[[Any, Any], Any]:
    """A classifier's training step of ``model`` and ``opt``: zero_grad, cross-entropy loss,
    backward, step; returns the loss."""
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def train(backend: str | None, between: Between, steps: int = 5, zero_grad: bool = True,
          opt_kind: str = "sgd", **options: Any) -> tuple[list[dict[str, Any]], Any]:
    """Run ``steps`` steps; ``between(k, model, opt)`` runs before step ``k``."""
    model, opt = make(0, opt_kind, **options)
    step = mse_step(model, opt, zero_grad)
    fn = step if backend is None else tenkai.compile(step, backend=backend)
    records = []
    for k, (x, y) in enumerate(data(steps)):
        between(k, model, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecompileWarning)
            try:
                loss = fn(x, y)
            except Exception as err:  # noqa: BLE001 - eager and compiled must raise alike
                loss = f"{type(err).__name__}: {err}"
        records.append(snapshot(loss, model, opt))
    return records, fn


def assert_same(compiled: list[dict[str, Any]], eager: list[dict[str, Any]]) -> None:
    assert len(compiled) == len(eager)
    for k, (c, e) in enumerate(zip(compiled, eager, strict=True)):
        assert c.keys() == e.keys(), f"step {k}: {sorted(c.keys() ^ e.keys())}"
        for key in e:
            a, b = c[key], e[key]
            if b is None or a is None or key == "opt.groups" or isinstance(b, str):
                assert a == b if b is not None else a is b, f"step {k}: {key}: {a} vs {b}"
                continue
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6,
                                       err_msg=f"step {k}: {key}")


def check(backend: str, between: Between, **kwargs: Any) -> Any:
    """Compiled training with ``between`` equals eager training step by step; returns the
    compiled function (for its stats)."""
    eager, _ = train(None, between, **kwargs)
    compiled, fn = train(backend, between, **kwargs)
    assert_same(compiled, eager)
    return fn
