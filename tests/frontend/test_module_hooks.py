"""Module hooks against PyTorch: forward pre-hooks and hooks (kwargs, prepend, always_call),
full backward pre-hooks and hooks (seeing and replacing gradients), the global
``register_module_*`` hooks, handles, and compiled steps with hooks."""

from __future__ import annotations

import copy
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
from compile_harness import check

import tenkai
import tenkai.nn as nn
from tenkai.compile import UntraceableError

torch = pytest.importorskip("torch")

WEIGHTS = [np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.5,
           np.arange(4, dtype=np.float32) / 10 + 0.033,
           np.arange(8, dtype=np.float32).reshape(2, 4) / 7 - 0.5, np.ones(2, np.float32)]
X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)


def _net(lib: Any) -> Any:
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p, w in zip(m.parameters(), WEIGHTS, strict=True):
            p.copy_(lib.tensor(w))
    return m


def _np(gs: tuple) -> list:
    return [None if g is None else g.detach().numpy().round(5).tolist() for g in gs]


def _backward_run(lib: Any, x_grad: bool = True) -> tuple[list, list, Any]:
    m, rec = _net(lib), []

    def hook(mod, grad_input, grad_output):
        rec.append(("hook", type(mod).__name__, _np(grad_input), _np(grad_output)))
        if isinstance(mod, lib.nn.ReLU):
            return (grad_input[0] * 2,)
        return None

    def pre(mod, grad_output):
        rec.append(("pre", type(mod).__name__, _np(grad_output)))
        if isinstance(mod, lib.nn.Linear) and mod.out_features == 2:
            return (grad_output[0] + 1,)
        return None

    for sub in m:
        sub.register_full_backward_hook(hook)
        sub.register_full_backward_pre_hook(pre)
    x = lib.tensor(X, requires_grad=x_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = m(x)
        assert type(y.grad_fn).__name__ == "BackwardHookFunctionBackward"
        y.sum().backward()
    return rec, [p.grad.numpy() for p in m.parameters()], None if x.grad is None \
        else x.grad.numpy()


@pytest.mark.parametrize("x_grad", [True, False])
def test_full_backward_hooks_see_and_replace_gradients_as_torch(x_grad: bool) -> None:
    ours, theirs = _backward_run(tenkai, x_grad), _backward_run(torch, x_grad)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1], strict=True):
        # atol: a weight gradient that sums to zero ends at +-1e-8 in float32 on some CPUs
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    if x_grad:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-6)


def test_backward_hook_warnings_and_errors_match_torch() -> None:
    for lib in (tenkai, torch):
        lin = lib.nn.Linear(2, 2)
        lin.register_full_backward_hook(lambda m, gi, go, lib=lib: (lib.ones(2, 2),))
        with pytest.warns(UserWarning, match="no inputs require gradients"), \
                pytest.raises(RuntimeError, match="no input requires gradient should always"):
            lin(lib.ones(2, 2)).sum().backward()
        lin = lib.nn.Linear(2, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                               "expected 1"):
            lin(lib.ones(2, 2, requires_grad=True)).sum().backward()
        lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2"):
            lin(lib.ones(2, 2, requires_grad=True)).sum().backward()
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and "
                                               "full backward hooks on a single Module"):
            lin.register_backward_hook(lambda *a: None)


def test_non_full_backward_hook_where_it_means_the_same_and_refused_elsewhere() -> None:
    seen = {}
    for lib in (tenkai, torch):
        relu = lib.nn.ReLU()
        relu.register_backward_hook(lambda m, gi, go, lib=lib: seen.update(
            {lib.__name__: (_np(gi), _np(go))}))
        relu(lib.tensor(X, requires_grad=True) * 1).sum().backward()
    assert seen["tenkai"] == seen["torch"]
    lin = nn.Linear(3, 2)
    lin.register_backward_hook(lambda *a: None)
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        lin(tenkai.tensor(X, requires_grad=True))


def _forward_run(lib: Any) -> list:
    rec: list = []

    class Scale(lib.nn.Module):
        def forward(self, x, scale=1.0):
            if scale < 0:
                raise ValueError("negative scale")
            return x * scale

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args: rec.append(("pre", len(args))))
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (args, {**kwargs, "scale": kwargs.get("scale", 1.0) * 2}),
        with_kwargs=True)
    m.register_forward_pre_hook(lambda mod, args: rec.append("first"), prepend=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: rec.append(("kw", dict(kwargs))),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, out: rec.append(("always", out is None)),
                            always_call=True)
    rec.append(m(lib.ones(2), scale=3.0).tolist())
    with pytest.raises(ValueError, match="negative scale"):
        m(lib.ones(2), scale=-1.0)
    handle = m.register_forward_hook(lambda mod, args, out: out * 10)
    with handle:
        rec.append(m(lib.ones(1)).tolist())
    rec.append(m(lib.ones(1)).tolist())
    bad = m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        m(lib.ones(1))
    bad.remove()
    bad.remove()  # twice is fine
    return rec


def test_forward_hooks_match_torch() -> None:
    assert _forward_run(tenkai) == _forward_run(torch)


def _global_run(lib: Any) -> list:
    mm = lib.nn.modules.module
    rec: list = []
    made: list = []

    def new_bias(m, name, p):
        rec.append(("param", name))
        if name == "bias":
            made.append(lib.nn.Parameter(p.detach() * 0 + 3))
            return made[-1]
        return None

    handles = [
        mm.register_module_forward_pre_hook(lambda m, a: rec.append(type(m).__name__)),
        mm.register_module_forward_hook(
            lambda m, a, o: o * 2 if isinstance(m, lib.nn.Tanh) else None),
        mm.register_module_full_backward_hook(
            lambda m, gi, go: rec.append(("bw", type(m).__name__))),
        mm.register_module_parameter_registration_hook(new_bias),
        mm.register_module_module_registration_hook(lambda m, n, s: rec.append(("module", n))),
        mm.register_module_buffer_registration_hook(lambda m, n, b: rec.append(("buffer", n))),
    ]
    try:
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Tanh())
        net.register_buffer("steps", lib.zeros(1))
        out = net(lib.ones(1, 2, requires_grad=True))
        out.sum().backward()
        rec.append(net[0].bias is made[0])
        rec.append(np.round(out.detach().numpy(), 5).shape)
    finally:
        for h in handles:
            h.remove()
    rec.append(len(rec))
    net(lib.ones(1, 2))  # no global hook runs any more
    return rec


def test_global_hooks_and_registration_hooks_match_torch() -> None:
    assert _global_run(tenkai) == _global_run(torch)


def test_handles_pickle_deepcopy_and_hooked_modules_copy() -> None:
    m = nn.Linear(2, 2)
    m.register_forward_hook(lambda mod, a, o: o * 0)
    assert float(copy.deepcopy(m)(tenkai.ones(1, 2)).abs().sum()) == 0.0
    plain = nn.Linear(2, 2)
    plain.__dict__.pop("_forward_hooks_always_called")  # a module pickled by an older tenkai
    again = pickle.loads(pickle.dumps(plain))
    again.register_forward_hook(lambda mod, a, o: o, always_call=True)
    again(tenkai.ones(1, 2))


def test_compiled_step_refuses_backward_hooks_and_runs_them_eagerly_on_request() -> None:
    model = nn.Linear(3, 1)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)
    grads: list = []
    model.register_full_backward_hook(lambda m, gi, go: grads.append(go[0].shape))

    def step(x):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        return loss

    x = tenkai.tensor(X, requires_grad=True)
    with pytest.raises(UntraceableError, match="backward hook on Linear"):
        tenkai.compile(step)(x)
    grads.clear()  # (the refused call ran the step, hook included, while tracing it)
    fn = tenkai.compile(step, on_untraceable="eager")
    with pytest.warns(UserWarning, match="running it eagerly"):
        fn(x)
    fn(x)
    assert grads == [(2, 1), (2, 1)]


def test_compiled_training_follows_forward_hooks_added_and_removed() -> None:
    handles: list = []

    def between(k: int, model: Any, opt: Any) -> None:
        if k == 1:  # a hook that changes the output: the compiled step must retrace
            handles.append(model[1].register_forward_hook(lambda m, a, out: out * 0.5))
        if k == 2:
            handles.append(model[0].register_forward_pre_hook(
                lambda m, args: (args[0] + 1,)))
        if k == 4:
            for h in handles:
                h.remove()
            handles.clear()

    check("tenkai", between, steps=6)
