"""``tenkai.nn.modules`` has PyTorch's submodules and names, bound to the classes tenkai's
layers derive from, with PyTorch's class hierarchy (what ``isinstance`` checks see)."""

from __future__ import annotations

import importlib
import inspect
from collections import OrderedDict

import pytest

import tenkai
import tenkai.nn as nn
from tenkai.nn import _layout

torch = pytest.importorskip("torch")

# what PyTorch's submodules define that tenkai leaves out, and why
LEFT_OUT = {
    ("rnn", "apply_permutation"): "deprecated alias of a private helper",
}


def _torch_defined(sub: str) -> dict[str, object]:
    mod = importlib.import_module(f"torch.nn.modules.{sub}")
    return {k: v for k, v in vars(mod).items()
            if (inspect.isclass(v) or inspect.isfunction(v))
            and getattr(v, "__module__", "") == mod.__name__}


@pytest.mark.parametrize("sub", sorted(_layout.LAYOUT))
def test_submodule_holds_pytorchs_names(sub: str) -> None:
    ours = importlib.import_module(f"tenkai.nn.modules.{sub}")
    theirs = _torch_defined(sub)
    for name in _layout.LAYOUT[sub].split():
        assert name in theirs or hasattr(importlib.import_module(f"torch.nn.modules.{sub}"),
                                         name), f"torch.nn.modules.{sub} has no {name}"
        obj = getattr(ours, name)
        if not name.startswith("_") and hasattr(nn, name):
            assert obj is getattr(nn, name)
    public = [n for n in theirs if not n.startswith("_") and (sub, n) not in LEFT_OUT]
    missing = [n for n in public if not hasattr(ours, n)]
    assert not missing, f"tenkai.nn.modules.{sub} lacks {missing}"


def _layout_classes() -> list[tuple[str, str]]:
    return [(sub, name) for sub, names in sorted(_layout.LAYOUT.items())
            for name in names.split()
            if inspect.isclass(getattr(getattr(torch.nn.modules, sub), name))]


@pytest.mark.parametrize(("sub", "name"), _layout_classes())
def test_class_hierarchy_matches_pytorch(sub: str, name: str) -> None:
    """Every base PyTorch gives a layer class (by name, among nn classes) tenkai gives it
    too, and none that PyTorch does not (``CELU`` is not an ``ELU``)."""
    known = {n for s in _layout.LAYOUT.values() for n in s.split()}
    theirs = getattr(getattr(torch.nn.modules, sub), name)
    ours = getattr(getattr(nn.modules, sub), name)
    mro_t = [c.__name__ for c in theirs.__mro__ if c.__name__ in known]
    mro_o = [c.__name__ for c in ours.__mro__ if c.__name__ in known]
    assert mro_o == mro_t


def test_package_and_imports_by_pytorchs_paths() -> None:
    from tenkai.nn.modules.batchnorm import _BatchNorm
    from tenkai.nn.modules.conv import _ConvNd
    from tenkai.nn.modules.loss import _Loss, _WeightedLoss
    from tenkai.nn.modules.module import Module, register_module_forward_hook

    assert isinstance(nn.BatchNorm2d(3), _BatchNorm)
    assert not isinstance(nn.InstanceNorm2d(3), _BatchNorm)
    assert isinstance(nn.Conv2d(1, 1, 1), _ConvNd) and Module is nn.Module
    assert isinstance(nn.CrossEntropyLoss(), _WeightedLoss) and issubclass(_WeightedLoss, _Loss)
    assert nn.modules.Linear is nn.Linear and callable(register_module_forward_hook)

    class MyLoss(_Loss):  # the usual reason to import _Loss
        def forward(self, a, b):
            return (a - b).abs().mean() if self.reduction == "mean" else (a - b).abs().sum()

    assert float(MyLoss(reduction="sum")(tenkai.ones(3), tenkai.zeros(3))) == 3.0


def test_utils_helpers_match_pytorch() -> None:
    from tenkai.nn.modules import utils as ours
    theirs = torch.nn.modules.utils
    for fn in ("_single", "_pair", "_triple", "_quadruple"):
        for x in (3, (1, 2), [4, 5, 6]):
            assert getattr(ours, fn)(x) == getattr(theirs, fn)(x)
    assert ours._reverse_repeat_tuple((1, 2), 2) == theirs._reverse_repeat_tuple((1, 2), 2)
    assert ours._list_with_default([None, 3], [7, 8, 9]) == \
        theirs._list_with_default([None, 3], [7, 8, 9])
    assert ours._list_with_default(5, [1]) == 5
    with pytest.raises(ValueError, match="at least 3"):
        ours._list_with_default([1, 2], [1, 2])
    results = []
    for lib, mod in ((tenkai, ours), (torch, theirs)):
        sd = lib.nn.DataParallel(lib.nn.Linear(2, 2)).state_dict() if lib is torch else \
            OrderedDict((f"module.{k}", v) for k, v in nn.Linear(2, 2).state_dict().items())
        if lib is tenkai:
            sd._metadata = OrderedDict([("", {}), ("module", {"version": 1})])
        mod.consume_prefix_in_state_dict_if_present(sd, "module.")
        results.append((list(sd), list(sd._metadata)))
    assert results[0] == results[1]
