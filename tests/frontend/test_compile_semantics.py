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


def _mse_step(lib, m, opt):
    """The usual training step (zero_grad, MSE loss, backward, step) of ``m`` and ``opt``."""
    def train_step(x, y):
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        return loss
    return train_step


def _results(kind: str, steps: int = 5) -> list[dict]:
    lib, m, opt, x, y = _model(kind)
    step = _compile(kind, _mse_step(lib, m, opt))
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


# ---------------------------------------------------------------- .grad identity across steps


def _identity_run(kind: str, mode: str, backend: str = "tenkai", steps: int = 8) -> dict:
    """Train ``steps`` steps keeping every step's ``.grad`` (and a detached alias, a view
    and Adam's ``exp_avg``); record values and identity facts after each step."""
    lib, m, opt, x, y = _model(kind, "adam")
    F = lib.nn.functional

    def train_step(x, y):
        if mode in ("none", "between_none", "between_assign"):
            opt.zero_grad()
        elif mode.startswith("zeros"):
            opt.zero_grad(set_to_none=False)
        loss = F.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        return loss

    step = tenkai.compile(train_step, backend=backend) if kind == "compiled" else train_step
    rec: dict = {"loss": [], "grads": [], "weights": [], "exp_avg": [], "same_grad": [],
                 "same_state": []}
    kept: list = []
    prev = prev_state = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            rec["loss"].append(float(step(x, y).item()))
            g = m.weight.grad
            rec["same_grad"].append(None if prev is None else g is prev)
            state = opt.state[m.weight]["exp_avg"]
            rec["same_state"].append(None if prev_state is None else state is prev_state)
            prev, prev_state = g, state
            # what the user keeps: the tensor, an alias of its data, a view, a bias grad
            kept.append((g, g.detach(), m.weight.grad[0], m.bias.grad,
                         _np(g), _np(m.bias.grad)))
            rec["grads"].append(_np(g))
            rec["weights"].append(_np(m.weight))
            rec["exp_avg"].append(_np(state))
            if mode.endswith("between_none"):
                m.weight.grad = None
            elif mode.endswith("between_assign"):
                m.bias.grad = lib.full_like(m.bias, 7.0)
    # every kept reference still shows the values it had when kept (unless eager shares
    # the tensor across steps: then it shows the latest, as the compiled step must too)
    rec["kept"] = [[_np(g), _np(d), _np(v), _np(b)] for g, d, v, b, _, _ in kept]
    rec["snap"] = [[gs, gs, gs[0], bs] for _, _, _, _, gs, bs in kept]
    rec["stats"] = dict(step.stats) if kind == "compiled" else None
    return rec


def _same_numbers(a: dict, b: dict, rtol: float = 1e-5) -> None:
    for key in ("loss", "grads", "weights", "exp_avg"):
        for k, (u, v) in enumerate(zip(a[key], b[key], strict=True)):
            np.testing.assert_allclose(u, v, rtol=rtol, atol=1e-6, err_msg=f"{key} {k}")


@pytest.mark.parametrize("mode", ["none", "zeros", "accumulate", "between_none",
                                  "between_assign", "zeros_between_none",
                                  "zeros_between_assign"])
@pytest.mark.parametrize("backend", ["tenkai", "interp"])
def test_grad_identity_follows_eager(mode: str, backend: str) -> None:
    eager = _identity_run("eager", mode)
    compiled = _identity_run("compiled", mode, backend)
    if not mode.startswith("zeros_between"):  # (there the guard on .grad retraces)
        assert compiled["stats"]["replays"] >= 3, compiled["stats"]
    _same_numbers(eager, compiled)
    for key in ("same_grad", "same_state"):
        assert compiled[key] == eager[key], key
    for k, (ek, ck) in enumerate(zip(eager["kept"], compiled["kept"], strict=True)):
        for j, (u, v) in enumerate(zip(ek, ck, strict=True)):
            np.testing.assert_allclose(v, u, rtol=1e-5, atol=1e-6, err_msg=f"kept {k}.{j}")
    if mode in ("none", "between_none", "between_assign"):  # a new .grad every step
        assert not any(compiled["same_grad"][1:])
        for k, (kept, snap) in enumerate(zip(compiled["kept"], compiled["snap"],
                                             strict=True)):
            for j, (u, v) in enumerate(zip(kept, snap, strict=True)):
                np.testing.assert_array_equal(u, v, err_msg=f"kept {k}.{j} was overwritten")
    elif mode in ("zeros", "accumulate"):  # one .grad updated in place
        assert all(compiled["same_grad"][2:])
    assert all(compiled["same_state"][2:])  # Adam's state: updated in place, as eager


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.parametrize("mode", ["none", "zeros", "accumulate", "zeros_between_assign"])
def test_grad_identity_follows_torch(mode: str) -> None:
    real = _identity_run("torch", mode)
    compiled = _identity_run("compiled", mode)
    _same_numbers(real, compiled, rtol=1e-4)
    for key in ("same_grad", "same_state"):
        assert compiled[key] == real[key], key


def test_unkept_grads_keep_one_buffer() -> None:
    """Nobody keeping a .grad: replays reuse the step's buffers (no copy per step)."""
    lib, m, opt, x, y = _model("eager", "sgd")
    train_step = tenkai.compile(_mse_step(lib, m, opt))

    for _ in range(3):
        train_step(x, y)
    first = (id(m.weight.grad), m.weight.grad._data.ctypes.data)
    for _ in range(5):
        train_step(x, y)
        float(m.weight.grad.norm())  # read, not kept
    assert (id(m.weight.grad), m.weight.grad._data.ctypes.data) == first
    assert train_step.steps[0].fast


# ---------------------------------------------------------------- backward through a replay


def _forward_only(kind: str, backend: str = "tenkai", steps: int = 5) -> dict:
    """A compiled forward (no backward inside) trained from outside, as eager."""
    lib, m, opt, x, y = _model(kind, "sgd")
    F = lib.nn.functional
    a = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), requires_grad=True)

    def loss_fn(x, y):
        return F.mse_loss(m(x), y)

    cf = tenkai.compile(loss_fn, backend=backend) if kind == "compiled" else loss_fn
    rec: dict = {"loss": [], "grads": [], "weights": [], "a_grad": [], "repr": [],
                 "error": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt.zero_grad()
            loss = cf(a * 2, y)  # an argument with history: the gradient flows on into a
            rec["repr"].append(_shape_of_repr(repr(loss)))
            loss.backward()
            try:
                loss.backward()
                rec["error"].append(None)
            except RuntimeError as err:
                rec["error"].append(str(err))
            rec["loss"].append(float(loss.item()))
            rec["grads"].append(_np(m.weight.grad))
            rec["a_grad"].append(_np(a.grad))
            opt.step()
            rec["weights"].append(_np(m.weight))
        # no zero_grad: a second call's gradients accumulate into .grad, as eager
        before = _np(m.bias.grad)
        cf(x, y).backward()
        rec["accumulated"] = _np(m.bias.grad) - before
    rec["stats"] = dict(cf.stats) if kind == "compiled" else None
    return rec


@pytest.mark.parametrize("backend", ["tenkai", "interp"])
def test_backward_through_replayed_forward_follows_eager(backend: str) -> None:
    eager = _forward_only("eager")
    compiled = _forward_only("compiled", backend)
    assert compiled["stats"]["replays"] >= 4, compiled["stats"]
    for key in ("loss", "grads", "weights", "a_grad"):
        for k, (u, v) in enumerate(zip(eager[key], compiled[key], strict=True)):
            np.testing.assert_allclose(v, u, rtol=1e-5, atol=1e-6, err_msg=f"{key} {k}")
    np.testing.assert_allclose(compiled["accumulated"], eager["accumulated"], rtol=1e-5,
                               atol=1e-6)
    assert compiled["error"] == eager["error"]
    assert all(e.startswith("Trying to backward through the graph a second time")
               for e in compiled["error"])
    # the replays' grad_fn is the compiled forward's, as torch.compile names it
    assert compiled["repr"][0] == eager["repr"][0]
    assert compiled["repr"][1:] == ["tensor(<num>, grad_fn=<CompiledFunctionBackward>)"] * 4


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
def test_backward_through_replayed_forward_follows_torch() -> None:
    real = _forward_only("torch")
    compiled = _forward_only("compiled")
    for key in ("loss", "grads", "weights", "a_grad"):
        for k, (u, v) in enumerate(zip(real[key], compiled[key], strict=True)):
            np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-5, err_msg=f"{key} {k}")
    assert compiled["error"] == real["error"]


def test_replayed_forward_without_grad_has_no_history() -> None:
    lib, m, opt, x, y = _model("eager", "sgd")
    cf = tenkai.compile(lambda x, y: lib.nn.functional.mse_loss(m(x), y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            assert cf(x, y).grad_fn is not None
        with tenkai.no_grad():
            for _ in range(3):
                out = cf(x, y)
                assert out.grad_fn is None and not out.requires_grad
