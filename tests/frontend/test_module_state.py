"""Module state dicts against PyTorch: pre/post hooks, ``_load_from_state_dict`` overrides,
extra state, ``assign=True``, load hooks, the dotted-path getters, and loads staying atomic."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn

torch = pytest.importorskip("torch")


def _counter(lib: Any) -> Any:
    class Counter(lib.nn.Module):
        """A module with extra (non-tensor) state and a renamed key in old checkpoints."""

        def __init__(self) -> None:
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.steps = 0

        def get_extra_state(self) -> Any:
            return {"steps": self.steps}

        def set_extra_state(self, state: Any) -> None:
            self.steps = state["steps"]

        def _load_from_state_dict(self, state_dict, prefix, *args):
            old = prefix + "weight_old"
            if old in state_dict:  # an old checkpoint: its key moved into lin
                state_dict[prefix + "lin.weight"] = state_dict.pop(old)
            super()._load_from_state_dict(state_dict, prefix, *args)

    return Counter


def _state_run(lib: Any) -> list:
    rec: list = []
    Counter = _counter(lib)
    m = Counter()
    m.steps = 7
    sd = m.state_dict()
    rec.append(list(sd.keys()))
    other = Counter()
    rec.append(str(other.load_state_dict(sd)))
    rec.append(other.steps)
    old = {k.replace("lin.weight", "weight_old"): v for k, v in sd.items()}
    rec.append(str(Counter().load_state_dict(old)))
    missing = {k: v for k, v in sd.items() if k != "_extra_state"}
    with pytest.raises(RuntimeError) as info:
        Counter().load_state_dict(missing)
    rec.append(str(info.value))
    rec.append(str(Counter().load_state_dict(missing, strict=False)))
    plain = lib.nn.Linear(2, 2)
    with pytest.raises(RuntimeError) as info:
        plain.load_state_dict({**plain.state_dict(), "_extra_state": 1})
    rec.append(str(info.value))
    return rec


def test_extra_state_and_load_from_state_dict_overrides_match_torch() -> None:
    assert _state_run(tenkai) == _state_run(torch)


def _hooks_run(lib: Any) -> list:
    rec: list = []
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: rec.append(("pre", prefix)))

    def post(mod, sd, prefix, meta):
        rec.append(("post", prefix, meta["version"]))
        sd[prefix + "note"] = lib.zeros(1)

    m[0].register_state_dict_post_hook(post)
    sd = m.state_dict()
    rec.append(list(sd.keys()))
    m[0]._register_state_dict_hook(lambda mod, sd, prefix, meta: {"replaced": 1})
    rec.append(list(m[0].state_dict().keys()))
    with pytest.raises(RuntimeError, match="Cannot register the same function"):
        m._register_state_dict_hook(post)
    bad = lib.nn.Linear(1, 1)
    bad.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        bad.state_dict()
    n = lib.nn.Sequential(lib.nn.Linear(2, 2))
    n.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *rest: rec.append(("load pre", type(mod).__name__, prefix)))

    def forgive(mod, keys):
        rec.append(("load post", list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.missing_keys.clear()

    n.register_load_state_dict_post_hook(forgive)
    rec.append(str(n.load_state_dict({"0.weight": lib.zeros(2, 2)})))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec.append(list(n.state_dict(None, "p.").keys()))
    rec.append([type(w.message).__name__ for w in caught])
    return rec


def test_state_dict_and_load_hooks_match_torch() -> None:
    assert _hooks_run(tenkai) == _hooks_run(torch)


def test_assign_makes_the_state_dict_tensors_the_parameters() -> None:
    results = {}
    for lib in (tenkai, torch):
        m = lib.nn.Linear(2, 3)
        m.weight.requires_grad_(False)
        w, b = lib.ones(3, 2), lib.nn.Parameter(lib.zeros(3))
        m.load_state_dict({"weight": w, "bias": b}, assign=True)
        results[lib.__name__] = (type(m.weight).__name__, m.weight.requires_grad,
                                 m.bias is b, m.bias.requires_grad, m.weight.tolist())
        assert m.weight.data_ptr() == w.data_ptr() if lib is torch else True
    assert results["tenkai"] == results["torch"]
    m = nn.Linear(2, 3)
    w = tenkai.ones(3, 2)
    m.load_state_dict({"weight": w, "bias": tenkai.zeros(3)}, assign=True)
    w[0, 0] = 5.0  # the parameter is that tensor, not a copy
    assert float(m.weight[0, 0]) == 5.0


def test_a_failed_load_changes_nothing() -> None:
    Counter = _counter(tenkai)
    m = Counter()
    before = m.lin.weight.detach().numpy().copy()
    sd = {"lin.weight": tenkai.ones(2, 2), "lin.bias": tenkai.ones(3),
          "_extra_state": {"steps": 9}}
    with pytest.raises(RuntimeError, match="size mismatch for lin.bias"):
        m.load_state_dict(sd)
    np.testing.assert_array_equal(m.lin.weight.detach().numpy(), before)
    assert m.steps == 0


def _getters_run(lib: Any) -> list:
    rec: list = []
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
    rec.append(tuple(m.get_parameter("0.weight").shape))
    rec.append(tuple(m.get_buffer("1.running_mean").shape))
    for call in (lambda: m.get_submodule("0.nope"), lambda: m.get_submodule("0.weight"),
                 lambda: m.get_parameter("1.running_mean"), lambda: m.get_buffer("0.bias"),
                 lambda: m.get_parameter("2.weight"), lambda: m.set_submodule("", m),
                 lambda: m.set_submodule("0", 3),
                 lambda: m.set_submodule("0.extra", lib.nn.ReLU(), strict=True),
                 lambda: m.set_submodule("0.weight", lib.nn.ReLU())):
        with pytest.raises((AttributeError, ValueError)) as info:
            call()
        rec.append((type(info.value).__name__, str(info.value)))
    m.set_submodule("0", lib.nn.Tanh())
    m.set_submodule("1.extra", lib.nn.ReLU())
    rec.append(repr(m))
    return rec


def test_dotted_path_getters_and_set_submodule_match_torch() -> None:
    assert _getters_run(tenkai) == _getters_run(torch)


def test_conversions_type_to_empty_and_apply() -> None:
    for lib in (tenkai, torch):
        m = lib.nn.Linear(2, 2).type(lib.float64)
        assert m.weight.dtype == lib.float64 and isinstance(m.weight, lib.nn.Parameter)
        m.to_empty(device="cpu")
        assert m.weight.shape == (2, 2)
        seen: list = []
        lib.nn.Sequential(lib.nn.Linear(1, 1))._apply(lambda t, s=seen: s.append(t.shape) or t)
        assert [tuple(s) for s in seen] == [(1, 1), (1,)]
    with pytest.raises(NotImplementedError, match="share_memory"):
        nn.Linear(1, 1).share_memory()
