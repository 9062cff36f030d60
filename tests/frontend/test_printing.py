"""Tests for frontend/_printing.py: tensor reprs must equal PyTorch's.

The module is loaded straight from its file so these tests run even while
the rest of the ``tenkai`` package is incomplete.  Most tests use torch as
an oracle; the literal-string tests at the top run without it.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

_MODULE_PATH = Path(__file__).resolve().parents[2] / "frontend" / "_printing.py"


def _load_printing() -> Any:
    """Import frontend/_printing.py by path, independent of the package."""
    spec = importlib.util.spec_from_file_location("tenkai_printing_under_test", _MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    # dataclasses looks the module up in sys.modules while it is executing.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_printing = _load_printing()
format_tensor = _printing.format_tensor
set_printoptions = _printing.set_printoptions
get_printoptions = _printing.get_printoptions


@pytest.fixture(autouse=True)
def _reset_printoptions() -> Any:
    """Restore default print options (ours and torch's, if loaded) after each test."""
    yield
    set_printoptions(profile="default")
    try:
        import torch
    except ImportError:
        return
    torch.set_printoptions(profile="default")


# ---------------------------------------------------------------- no torch

LITERAL_CASES = [
    (np.array([1.0, 2.0], np.float32), "float32", "tensor([1., 2.])"),
    (np.array(2.0, np.float32), "float32", "tensor(2.)"),
    (np.array([1e-5, 1e3], np.float32), "float32", "tensor([1.0000e-05, 1.0000e+03])"),
    (np.array([0.5, -1.25], np.float32), "float32", "tensor([ 0.5000, -1.2500])"),
    (np.array([-0.0, 1.0], np.float32), "float32", "tensor([-0., 1.])"),
    (np.array([np.nan, np.inf, 1.0], np.float32), "float32", "tensor([nan, inf, 1.])"),
    (np.array([True, False]), "bool", "tensor([ True, False])"),
    (np.array([-3, 10, 7]), "int64", "tensor([-3, 10,  7])"),
    (np.array([1, 2], np.int32), "int32", "tensor([1, 2], dtype=torch.int32)"),
    (np.array([1.5], np.float16), "float16", "tensor([1.5000], dtype=torch.float16)"),
    (np.array([1.0], np.float64), "float64", "tensor([1.], dtype=torch.float64)"),
    (np.zeros((0,), np.float32), "float32", "tensor([])"),
    (np.zeros((0, 3), np.float32), "float32", "tensor([], size=(0, 3))"),
    (np.zeros((0,), np.int64), "int64", "tensor([], dtype=torch.int64)"),
    (np.arange(4, dtype=np.float32).reshape(2, 2), "float32",
     "tensor([[0., 1.],\n        [2., 3.]])"),
    (np.arange(4).reshape(2, 1, 2), "int64",
     "tensor([[[0, 1]],\n\n        [[2, 3]]])"),
]


@pytest.mark.parametrize("data, dtype_name, expected", LITERAL_CASES)
def test_literal_reprs(data: np.ndarray, dtype_name: str, expected: str) -> None:
    """Known PyTorch outputs, checked without needing torch installed."""
    assert format_tensor(data, dtype_name) == expected


def test_literal_suffixes() -> None:
    """grad_fn beats requires_grad; device comes first; 0-d scalars work."""
    scalar = np.array(17.0, np.float32)
    assert format_tensor(scalar, "float32", grad_fn_name="AddBackward0",
                         requires_grad=True) == "tensor(17., grad_fn=<AddBackward0>)"
    assert format_tensor(scalar, "float32", requires_grad=True) == \
        "tensor(17., requires_grad=True)"
    assert format_tensor(np.array([1.0, 2.0], np.float32), "float64", device="cuda:0") == \
        "tensor([1., 2.], device='cuda:0', dtype=torch.float64)"


def test_literal_multiline_suffix_after_bracket() -> None:
    """A multi-line tensor's suffix follows its closing bracket."""
    data = np.arange(4, dtype=np.float64).reshape(2, 2)
    assert format_tensor(data, "float64", requires_grad=True) == \
        "tensor([[0., 1.],\n        [2., 3.]], dtype=torch.float64, requires_grad=True)"


def test_literal_summarization_and_wrapping() -> None:
    """Above 1000 elements only 3 edge items per side are shown."""
    assert format_tensor(np.arange(2000), "int64") == \
        "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    wrapped = format_tensor(np.arange(30, dtype=np.float32), "float32")
    assert wrapped.splitlines()[1].startswith("        14., 15.")
    assert max(len(line) for line in wrapped.splitlines()) <= 80


def test_printoptions_roundtrip() -> None:
    """get/set_printoptions follow torch's defaults and profile rules."""
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 80, "sci_mode": None}
    set_printoptions(profile="short", sci_mode=True)
    assert get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 2,
                                  "linewidth": 80, "sci_mode": True}
    set_printoptions(precision=3)  # like torch, omitting sci_mode resets it
    assert get_printoptions()["sci_mode"] is None
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    set_printoptions(precision=2)
    assert format_tensor(np.array([0.12345], np.float32), "float32") == "tensor([0.12])"


def test_unsupported_dtype_raises() -> None:
    """Dtypes this module does not know are rejected loudly."""
    with pytest.raises(ValueError):
        format_tensor(np.array([1 + 2j]), "complex64")


# ---------------------------------------------------------------- torch oracle

def _torch() -> Any:
    """Return torch, skipping the test when it is not installed."""
    return pytest.importorskip("torch")


def _ours(tensor: Any) -> str:
    """Format a torch tensor with format_tensor, passing what tenkai would."""
    torch = _torch()
    values = tensor.detach()
    if values.dtype == torch.bfloat16:
        values = values.float()  # numpy has no bfloat16; values stay exact
    grad_fn = tensor.grad_fn
    return format_tensor(values.numpy(), str(tensor.dtype).removeprefix("torch."),
                         requires_grad=tensor.requires_grad,
                         grad_fn_name=None if grad_fn is None else type(grad_fn).__name__)


def _assert_same(*tensors: Any) -> None:
    """Assert our repr of every tensor equals torch's, listing all mismatches."""
    mismatches = [(_ours(t), repr(t)) for t in tensors if _ours(t) != repr(t)]
    assert not mismatches, "\n\n".join(f"ours:\n{a}\ntorch:\n{b}" for a, b in mismatches)


def _edge_cases(torch: Any) -> list[Any]:
    """Hand-picked tensors covering each printing rule."""
    nan, inf = math.nan, math.inf
    return [
        torch.tensor([1.0, 2.0]), torch.tensor(2.0), torch.tensor(-0.0),
        torch.tensor([1e-5, 1e3]), torch.tensor([1e-5, 1.0]), torch.tensor([1e9]),
        torch.tensor([1e8]), torch.tensor([123456789.0]), torch.tensor([1.0, 1001.0]),
        torch.tensor([0.1, 100.0]), torch.tensor([0.0001, 0.1]), torch.tensor([0.00009]),
        torch.tensor([-0.0, 0.0, 1.5]), torch.tensor([-0.0]), torch.tensor([0.0, 0.0]),
        torch.tensor([nan, inf, -inf]), torch.tensor([nan, 1.5, -inf]),
        torch.tensor([nan, 1e-7, inf]), torch.tensor([nan, 3.0]), torch.tensor(nan),
        torch.tensor([True, False]), torch.tensor(True), torch.tensor([False]),
        torch.tensor([-3, 10, 7]), torch.tensor(-12), torch.tensor([2**62, -(2**63)]),
        torch.tensor([1, -2], dtype=torch.int8), torch.tensor([255, 0], dtype=torch.uint8),
        torch.tensor([1.5, 2.25], dtype=torch.float16), torch.tensor([1.0], dtype=torch.float64),
        torch.tensor([1e300, 1e-300], dtype=torch.float64),
        torch.tensor([1.1, 3.3e38], dtype=torch.bfloat16),
        torch.tensor([60000.0, 0.001], dtype=torch.float16),
        torch.empty(0), torch.empty(0, 3), torch.empty(2, 0, 1), torch.empty(0, dtype=torch.int64),
        torch.empty(0, 2, dtype=torch.bool), torch.empty(0, dtype=torch.float16),
        torch.arange(100.0), torch.arange(30.0) / 7, torch.arange(30.0) * 1e5,
        torch.arange(1001.0), torch.arange(1000.0), torch.arange(2000),
        torch.arange(24.0).reshape(2, 3, 4), torch.arange(120).reshape(2, 3, 4, 5) - 60,
        torch.arange(5000.0).reshape(50, 100) / 3, torch.arange(4000).reshape(10, 10, 40),
        torch.arange(1200.0).reshape(1200, 1), torch.arange(1200.0).reshape(1, 1200),
        torch.linspace(-1, 1, 27).reshape(3, 3, 3), torch.ones(1, 1, 1, 1),
        torch.tensor([[1e-10, 1.0], [nan, -5.0]]),
    ]


@pytest.mark.torch
def test_edge_cases_match_torch() -> None:
    """Each hand-picked tensor prints exactly as torch prints it."""
    torch = _torch()
    _assert_same(*_edge_cases(torch))


_SWEEP_DTYPES = ["float32", "float64", "float16", "bfloat16",
                 "int8", "int16", "int32", "int64", "uint8", "bool"]
_SWEEP_SHAPES = [(), (1,), (5,), (17,), (40,), (0,), (3, 0), (2, 3), (7, 9), (1, 25),
                 (2, 3, 4), (3, 1, 5), (2, 2, 2, 3), (1, 3, 1, 2), (1100,), (40, 30),
                 (3, 20, 20), (6, 7, 8, 4), (1001,)]


def _random_values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Random values for one sweep case: mixed magnitudes, ints, nan/inf."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if not dtype.startswith("float") and dtype != "bfloat16":
        info = np.iinfo(dtype)
        high = min(info.max, 10 ** int(rng.integers(1, 19)))
        return rng.integers(max(info.min, -high), high, size=shape, endpoint=True, dtype=dtype)
    low_exp, high_exp = sorted(rng.uniform(-8, 10, size=2))
    magnitudes = 10.0 ** rng.uniform(low_exp, high_exp, size=shape)
    values = rng.choice([-1.0, 1.0], size=shape) * magnitudes
    if rng.random() < 0.3:
        values = np.round(values)  # integer-valued floats print as "3."
    if rng.random() < 0.3 and values.size:
        specials = rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0], size=3)
        values.flat[rng.integers(0, values.size, size=3)] = specials
    return values


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(300))
def test_random_sweep_matches_torch(seed: int) -> None:
    """Seeded random tensors over shapes, dtypes and magnitudes match torch."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    shape = _SWEEP_SHAPES[seed % len(_SWEEP_SHAPES)]
    dtype = _SWEEP_DTYPES[int(rng.integers(len(_SWEEP_DTYPES)))]
    values = _random_values(rng, shape, dtype)
    _assert_same(torch.from_numpy(np.asarray(values)).to(getattr(torch, dtype)))


@pytest.mark.torch
def test_autograd_suffixes_match_torch() -> None:
    """requires_grad=True and grad_fn=<...> suffixes, including wrapped ones."""
    torch = _torch()
    leaf = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    wide = torch.linspace(-3, 3, 40, dtype=torch.float64, requires_grad=True)
    cases = [
        leaf, torch.tanh(leaf), leaf.sum(), leaf * 2 + 1, torch.tensor(17.0, requires_grad=True),
        torch.arange(12.0, requires_grad=True).reshape(3, 4), wide, torch.exp(wide),
        torch.ones(1, 9, dtype=torch.float64, requires_grad=True) * 1.5,
        torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=torch.float16, requires_grad=True),
        torch.randn(2000, generator=torch.Generator().manual_seed(0), requires_grad=True) * 3,
    ]
    _assert_same(*cases)


def _option_cases(torch: Any) -> list[Any]:
    """Tensors that exercise every print option."""
    gen = torch.Generator().manual_seed(1)
    return [
        torch.tensor([0.12345, 12.5]), torch.tensor([1.0, 2.0]), torch.tensor([1e-5, 1e3]),
        torch.tensor([1.0, 1e6]), torch.tensor([math.nan, 0.0]),
        torch.randn(5, 6, generator=gen), torch.randn(3, 4, 5, generator=gen) * 1e4,
        torch.arange(50.0), torch.arange(300).reshape(10, 30), torch.arange(2000.0),
        torch.randn(20, 60, generator=gen, dtype=torch.float64, requires_grad=True),
        torch.tensor(3.25), torch.tensor([True, False, True]),
    ]


_OPTION_SETS = [
    {"precision": 2}, {"precision": 0}, {"precision": 8}, {"sci_mode": True},
    {"sci_mode": False}, {"profile": "short"}, {"profile": "full"},
    {"profile": "short", "sci_mode": True}, {"linewidth": 40}, {"linewidth": 200},
    {"edgeitems": 1, "threshold": 20}, {"edgeitems": 0, "threshold": 10},
    {"threshold": 5}, {"edgeitems": 5, "precision": 3, "linewidth": 120},
]


@pytest.mark.torch
@pytest.mark.parametrize("options", _OPTION_SETS, ids=str)
def test_printoptions_match_torch(options: dict) -> None:
    """With the same options set on both sides, the reprs stay identical."""
    torch = _torch()
    set_printoptions(**options)
    torch.set_printoptions(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    _assert_same(*_option_cases(torch))


def test_custom_prefix_indents_rows() -> None:
    """A custom prefix shifts continuation lines by its length."""
    data = np.arange(4, dtype=np.float32).reshape(2, 2)
    assert format_tensor(data, "float32", prefix="Parameter(") == \
        "Parameter([[0., 1.],\n           [2., 3.]])"


_SUFFIX_BUILDERS: list[Callable[[Any], Any]] = [
    lambda torch: torch.arange(14.0, dtype=torch.float64, requires_grad=True) * 1.0,
    lambda torch: torch.arange(13.0, dtype=torch.float16, requires_grad=True),
    lambda torch: torch.arange(10, dtype=torch.int16).reshape(1, 10),
]


@pytest.mark.torch
@pytest.mark.parametrize("build", _SUFFIX_BUILDERS)
def test_suffix_wrapping_near_linewidth(build: Callable[[Any], Any]) -> None:
    """Suffixes move to their own line exactly where torch's would."""
    torch = _torch()
    for width in range(30, 90, 3):
        set_printoptions(linewidth=width)
        torch.set_printoptions(linewidth=width)
        _assert_same(build(torch))
