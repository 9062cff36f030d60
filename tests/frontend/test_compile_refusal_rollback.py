"""A compile that refuses the function (UntraceableError) leaves no step behind.

The traced call runs the function eagerly (define-by-run); when tenkai then refuses it
(a traced value read into Python, Python-side randomness, side effects under
``fullgraph=True``), the error must not come with a training step the user never got:
parameters, ``.grad``, buffers, optimizer state (created or updated), random generators and
version counters are as before the call. ``on_untraceable="eager"`` keeps the step (it ran,
as eager)."""

from __future__ import annotations

import random

import numpy as np
import pytest

import tenkai
from tenkai.compile import UntraceableError

PROBLEMS = {
    "item": lambda loss: loss.item() > 1e9 and print("never"),
    "python_random": lambda loss: random.random(),
}


def _setup(opt_name: str):
    tenkai.manual_seed(0)
    model = tenkai.nn.Sequential(tenkai.nn.Linear(5, 6), tenkai.nn.BatchNorm1d(6),
                                 tenkai.nn.Dropout(0.3), tenkai.nn.Linear(6, 2))
    make = {"sgd": lambda p: tenkai.optim.SGD(p, lr=0.1, momentum=0.9),
            "adam": lambda p: tenkai.optim.Adam(p, lr=0.01)}[opt_name]
    opt = make(model.parameters())
    x = tenkai.randn(8, 5)
    y = tenkai.randint(0, 2, (8,))
    return model, opt, x, y


def _snapshot(model, opt):
    tensors = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    grads = {k: None if p.grad is None else p.grad.numpy().copy()
             for k, p in model.named_parameters()}
    state = {id(p): {k: np.array(v.numpy() if hasattr(v, "numpy") else v)
                     for k, v in s.items()} for p, s in opt.state.items()}
    versions = [p._vc[0] for p in model.parameters()]
    return tensors, grads, state, versions, tenkai.get_rng_state().tolist(), \
        [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups]


def _same(a, b) -> None:
    ta, ga, sa, va, ra, pa = a
    tb, gb, sb, vb, rb, pb = b
    assert ta.keys() == tb.keys() and all(np.array_equal(ta[k], tb[k]) for k in ta)
    assert ga.keys() == gb.keys()
    for k in ga:
        assert (ga[k] is None) == (gb[k] is None) and (ga[k] is None or
                                                       np.array_equal(ga[k], gb[k])), k
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].keys() == sb[k].keys()
        assert all(np.array_equal(sa[k][n], sb[k][n]) for n in sa[k])
    assert (va, ra, pa) == (vb, rb, pb)


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("warm", [False, True])
def test_a_refused_step_leaves_state_untouched(problem: str, opt_name: str,
                                               warm: bool) -> None:
    model, opt, x, y = _setup(opt_name)

    def step(inp, target):
        opt.zero_grad()
        loss = tenkai.nn.functional.cross_entropy(model(inp), target)
        loss.backward()
        opt.step()
        PROBLEMS[problem](loss)
        return loss

    if warm:  # optimizer state and .grad exist before the refused call
        for _ in range(2):
            opt.zero_grad()
            tenkai.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    before = _snapshot(model, opt)
    with pytest.raises(UntraceableError):
        tenkai.compile(step)(x, y)
    _same(_snapshot(model, opt), before)
    # the eager mode keeps its step: it ran, as an eager call would
    with pytest.warns(UserWarning, match="cannot be traced"):
        tenkai.compile(step, on_untraceable="eager")(x, y)
    assert not np.array_equal(model[0].weight.detach().numpy(), before[0]["0.weight"])


def test_fullgraph_side_effects_refusal_rolls_back() -> None:
    model, opt, x, y = _setup("adam")
    log = []

    def step(inp, target):
        opt.zero_grad()
        loss = tenkai.nn.functional.cross_entropy(model(inp), target)
        loss.backward()
        opt.step()
        log.append("stepped")  # a side effect a replay would skip
        return loss

    before = _snapshot(model, opt)
    with pytest.raises(UntraceableError):
        tenkai.compile(step, fullgraph=True)(x, y)
    _same(_snapshot(model, opt), before)
    assert opt.state == {} or all(not s for s in opt.state.values())
