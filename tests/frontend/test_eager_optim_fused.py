"""The fused eager optimizer steps (tenkai/optim/_fused.py) leave parameters, state and
version counters bit for bit as the op-by-op update does."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai.optim import _fused

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),  # op by op
    ("Adam", dict(lr=1e-3)),
    ("Adam", dict(lr=3e-2, betas=(0.3, 0.99), eps=1e-6)),  # lerp's other side
    ("Adam", dict(lr=1e-3, amsgrad=True)),  # op by op
    ("AdamW", dict(lr=1e-3)),  # weight decay: op by op
]


def _run(name: str, kwargs: dict, dtype: str, fused: bool, monkeypatch, steps: int = 4):
    rng = np.random.default_rng(0)
    shapes = [(7, 5), (5,), (3, 2, 4), ()]
    params = [tenkai.nn.Parameter(tenkai.tensor(rng.standard_normal(s).astype(dtype)))
              for s in shapes]
    opt = getattr(tenkai.optim, name)(params, **kwargs)
    calls = []
    real = _fused._run

    def spy(*args, **kw):
        calls.append(args[0])
        return real(*args, **kw)
    monkeypatch.setattr(_fused, "_run", spy)
    if not fused:
        monkeypatch.setattr(_fused, "available", lambda: False)
    for step in range(steps):
        for p in params:
            p.grad = tenkai.tensor((rng.standard_normal(p.shape) * (step + 1)).astype(dtype))
        opt.step()
        opt.param_groups[0]["lr"] *= 0.7  # a scheduler between steps
    monkeypatch.undo()
    state = [{k: (v.numpy().copy(), v._vc[0]) for k, v in sorted(opt.state[p].items())}
             for p in params if p in opt.state]
    return [(p.detach().numpy().copy(), p._vc[0]) for p in params], state, calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_fused_steps_are_the_op_by_op_steps(name, kwargs, dtype, monkeypatch):
    got, got_state, calls = _run(name, kwargs, dtype, True, monkeypatch)
    want, want_state, none = _run(name, kwargs, dtype, False, monkeypatch)
    assert not none
    fusable = not (kwargs.get("weight_decay") or kwargs.get("amsgrad") or name == "AdamW")
    assert bool(calls) == fusable
    if fusable:  # every step after the first (which creates the state) of every parameter
        first = 0 if name == "SGD" and not kwargs.get("momentum") else 1
        assert len(calls) == 4 * (4 - first)
    for (a, va), (b, vb) in zip(got, want, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
        assert va == vb
    assert len(got_state) == len(want_state)
    for sa, sb in zip(got_state, want_state, strict=True):
        assert sa.keys() == sb.keys()
        for k in sa:
            np.testing.assert_array_equal(sa[k][0], sb[k][0])
            assert sa[k][1] == sb[k][1], k


def test_fused_step_declines_what_it_does_not_cover(monkeypatch):
    w = tenkai.nn.Parameter(tenkai.ones(4, 4))
    opt = tenkai.optim.SGD([w], lr=0.1)
    w.grad = tenkai.ones(4, 4).t()  # not contiguous: op by op
    calls = []
    monkeypatch.setattr(_fused, "_run", lambda *a, **k: calls.append(a))
    opt.step()
    assert not calls
    np.testing.assert_allclose(w.detach().numpy(), 0.9, rtol=1e-6)
    w.grad = tenkai.ones(4, 4)
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", "0")  # native kernels off: op by op
    opt.step()
    assert not calls
    np.testing.assert_allclose(w.detach().numpy(), 0.8, rtol=1e-6)
