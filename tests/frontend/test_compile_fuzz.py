"""Fuzz: random changes between compiled calls (hyperparameters, replaced parameters, frozen
layers, skipped zero_grad, added param groups); compiled training must equal eager training
step by step (losses, parameters, gradients, optimizer state) on both backends."""

from __future__ import annotations

import pytest
from compile_harness import assert_same, train

import tenkai
import tenkai.nn as nn

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

_SGD = st.one_of(
    st.tuples(st.just("lr"), st.sampled_from([0.01, 0.05, 0.2])),
    st.tuples(st.just("momentum"), st.sampled_from([0.0, 0.5, 0.9])),
    st.tuples(st.just("weight_decay"), st.sampled_from([0.0, 0.01, 0.1])),
    st.tuples(st.just("dampening"), st.sampled_from([0.0, 0.2])))
_ADAM = st.one_of(
    st.tuples(st.just("lr"), st.sampled_from([0.01, 0.05])),
    st.tuples(st.just("betas"), st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.5, 0.9)])),
    st.tuples(st.just("eps"), st.sampled_from([1e-8, 1e-3])),
    st.tuples(st.just("weight_decay"), st.sampled_from([0.0, 0.01])))
_MODEL = st.one_of(
    st.tuples(st.just("replace"), st.sampled_from([0, 2]), st.sampled_from([0.05, -0.1])),
    st.tuples(st.just("requires_grad"), st.sampled_from([0, 2]), st.booleans()),
    st.tuples(st.just("add_group")))


def _plan(options: st.SearchStrategy) -> st.SearchStrategy:
    """Per step: whether zero_grad runs, and a few changes before the step."""
    step = st.tuples(st.booleans(), st.lists(st.one_of(options, _MODEL), max_size=2))
    return st.lists(step, min_size=4, max_size=5)


def _apply(change: tuple, model, opt) -> None:
    kind = change[0]
    if kind == "replace":
        layer = model[change[1]]
        layer.weight = nn.Parameter(tenkai.full(tuple(layer.weight.shape), change[2]))
    elif kind == "requires_grad":
        for p in model[change[1]].parameters():
            p.requires_grad_(change[2])
    elif kind == "add_group":
        if len(model) < 5:  # at most two extra layers
            extra = nn.Linear(3, 3)
            with tenkai.no_grad():
                extra.weight.fill_(0.1 * len(model))
                extra.bias.zero_()
            model.append(extra)
            opt.add_param_group({"params": list(extra.parameters())})
    else:
        for group in opt.param_groups:
            group[kind] = change[1]


def _between(plan: list):
    def between(k, model, opt):
        zero, changes = plan[k]
        for change in changes:
            _apply(change, model, opt)
        if zero:
            opt.zero_grad()
    return between


def _check(plan: list, backend: str, opt_kind: str) -> None:
    between = _between(plan)
    eager, _ = train(None, between, steps=len(plan), zero_grad=False, opt_kind=opt_kind)
    compiled, _ = train(backend, between, steps=len(plan), zero_grad=False, opt_kind=opt_kind)
    assert_same(compiled, eager)


_RICH_SGD = [(True, [("momentum", 0.5)]), (False, [("replace", 0, 0.05)]),
             (True, [("requires_grad", 2, False), ("weight_decay", 0.1)]),
             (False, [("add_group",), ("requires_grad", 2, True)]), (True, [("lr", 0.2)])]
_RICH_ADAM = [(True, [("betas", (0.8, 0.99))]), (False, [("eps", 1e-3)]),
              (True, [("replace", 2, -0.1), ("add_group",)]),
              (False, [("requires_grad", 0, False)]), (True, [("weight_decay", 0.01)])]

_SETTINGS = {"deadline": None, "derandomize": True, "database": None,
             "suppress_health_check": list(hypothesis.HealthCheck)}


@hypothesis.settings(max_examples=8, **_SETTINGS)
@hypothesis.example(plan=_RICH_SGD)
@hypothesis.given(plan=_plan(_SGD))
def test_fuzz_sgd_interp(plan: list) -> None:
    _check(plan, "interp", "sgd")


@hypothesis.settings(max_examples=5, **_SETTINGS)
@hypothesis.example(plan=_RICH_ADAM)
@hypothesis.given(plan=_plan(_ADAM))
def test_fuzz_adam_interp(plan: list) -> None:
    _check(plan, "interp", "adam")


@hypothesis.settings(max_examples=1, **_SETTINGS)
@hypothesis.example(plan=_RICH_SGD)
@hypothesis.given(plan=_plan(_SGD))
def test_fuzz_sgd_tenkai(plan: list) -> None:
    _check(plan, "tenkai", "sgd")


@hypothesis.settings(max_examples=1, **_SETTINGS)
@hypothesis.example(plan=_RICH_ADAM)
@hypothesis.given(plan=_plan(_ADAM))
def test_fuzz_adam_tenkai(plan: list) -> None:
    _check(plan, "tenkai", "adam")


@pytest.mark.slow
@hypothesis.settings(max_examples=60, **_SETTINGS)
@hypothesis.given(plan=_plan(_SGD), backend=st.sampled_from(["interp", "tenkai"]))
def test_fuzz_sgd_long(plan: list, backend: str) -> None:
    _check(plan, backend, "sgd")


@pytest.mark.slow
@hypothesis.settings(max_examples=40, **_SETTINGS)
@hypothesis.given(plan=_plan(_ADAM), backend=st.sampled_from(["interp", "tenkai"]))
def test_fuzz_adam_long(plan: list, backend: str) -> None:
    _check(plan, backend, "adam")
