"""A compiled step means what the eager step means, beyond the numbers: the identity of
``.grad`` tensors across steps, the history (``grad_fn``) of the tensors a step returns and
the errors a backward through them raises. Each test runs the same steps with real PyTorch
(where installed), eager tenkai and ``tenkai.compile`` and compares them step by step.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tenkai

try:
    import torch
except ImportError:  # the comparisons with eager tenkai still run
    torch = None

LIBS = ["eager", "compiled"] + (["torch"] if torch is not None else [])


def _lib(kind: str):
    return torch if kind == "torch" else tenkai


def _model(kind: str, opt_name: str = "adam"):
    """The same Linear(3, 2) model, optimizer and data in every library."""
    lib = _lib(kind)
    rng = np.random.default_rng(0)
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(rng.standard_normal((2, 3)).astype(np.float32)))
        m.bias.copy_(lib.tensor(rng.standard_normal(2).astype(np.float32)))
    if opt_name == "adam":
        opt = lib.optim.Adam(m.parameters(), lr=0.1)
    else:
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = lib.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((4, 2)).astype(np.float32))
    return lib, m, opt, x, y


def _compile(kind: str, fn):
    return tenkai.compile(fn) if kind == "compiled" else fn


def _np(t) -> np.ndarray:
    return np.array(t.detach().cpu().numpy() if hasattr(t, "cpu") else t.numpy(), copy=True)


def _shape_of_repr(text: str) -> str:
    return re.sub(r"-?\d+\.\d+(e[-+]\d+)?", "<num>", text)


# ---------------------------------------------------------------- returned tensors' history


def _results(kind: str, steps: int = 5) -> list[dict]:
    lib, m, opt, x, y = _model(kind)
    F = lib.nn.functional

    def train_step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        return loss

    step = _compile(kind, train_step)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            loss = step(x, y)
            row = {"repr": _shape_of_repr(repr(loss)), "value": float(loss.item()),
                   "requires_grad": loss.requires_grad, "is_leaf": loss.is_leaf,
                   "grad_fn": type(loss.grad_fn).__name__ if kind == "torch"
                   else loss.grad_fn.name() if loss.grad_fn is not None else None}
            try:
                loss.backward()
                row["error"] = None
            except RuntimeError as err:
                row["error"] = str(err)
            out.append(row)
    return out


def test_replayed_results_carry_eager_history_and_error() -> None:
    eager = _results("eager")
    compiled = _results("compiled")
    for k, (e, c) in enumerate(zip(eager, compiled, strict=True)):
        assert c["value"] == pytest.approx(e["value"], rel=1e-6), k
        for key in ("repr", "requires_grad", "is_leaf", "grad_fn", "error"):
            assert c[key] == e[key], (k, key)
        assert c["grad_fn"] == "MseLossBackward0"
        assert c["error"].startswith("Trying to backward through the graph a second time")
    if torch is not None:
        for k, (t, c) in enumerate(zip(_results("torch"), compiled, strict=True)):
            assert c["value"] == pytest.approx(t["value"], rel=1e-4), k
            for key in ("repr", "requires_grad", "is_leaf", "grad_fn", "error"):
                assert c[key] == t[key], (k, key)


def test_replayed_results_keep_no_history_under_no_grad_outputs() -> None:
    """Results that have no history when traced (detached, integer) have none on replays."""
    lib, m, opt, x, y = _model("eager")
    F = lib.nn.functional

    @tenkai.compile
    def train_step(x, y):
        opt.zero_grad()
        out = m(x)
        loss = F.mse_loss(out, y)
        loss.backward()
        opt.step()
        return loss.detach(), out.argmax(1), out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            detached, index, out = train_step(x, y)
            assert detached.grad_fn is None and not detached.requires_grad
            assert index.grad_fn is None
            assert out.grad_fn.name() == "AddmmBackward0" and not out.is_leaf
            with pytest.raises(RuntimeError, match="backward through the graph a second time"):
                out.sum().backward()
    assert train_step.stats["replays"] >= 2
