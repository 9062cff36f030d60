"""Defaults and process-wide switches against torch: default dtype/device, print options,
testing.assert_close messages, backends flags, deterministic switches, small predicates."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")


@pytest.fixture
def both_libs():
    yield (torch, tenkai)
    for L in (torch, tenkai):
        L.set_default_dtype(L.float32)
        L.set_printoptions(profile="default")
        L.set_printoptions(sci_mode=None)
        L.use_deterministic_algorithms(False)


DTYPE_PROBES = [
    lambda L: L.tensor(1.5), lambda L: L.randn(2), lambda L: L.rand(2),
    lambda L: L.nn.Linear(2, 2).weight, lambda L: L.nn.Conv2d(1, 1, 1).bias,
    lambda L: L.arange(3.0), lambda L: L.tensor([1, 2]), lambda L: L.zeros(2),
    lambda L: L.full((2,), 1.0), lambda L: L.linspace(0, 1, 3), lambda L: L.eye(2),
    lambda L: L.ones(2, dtype=L.int64) / 2, lambda L: L.nn.BatchNorm1d(2).running_mean,
    lambda L: L.normal(0.0, 1.0, (2,)), lambda L: L.randn_like(L.ones(2, dtype=L.float32)),
]


@pytest.mark.parametrize("default", ["float64", "float16", "float32"])
def test_default_dtype_reaches_factories_and_layers(both_libs, default):
    for L in both_libs:
        L.set_default_dtype(getattr(L, default))
        assert str(L.get_default_dtype()) == f"torch.{default}"
    for k, probe in enumerate(DTYPE_PROBES):
        assert str(probe(tenkai).dtype) == str(probe(torch).dtype), k


def test_set_default_dtype_rejects_integers(both_libs):
    for L in both_libs:
        with pytest.raises(TypeError, match="only floating-point types"):
            L.set_default_dtype(L.int64)


def test_default_device(both_libs):
    assert str(tenkai.get_default_device()) == str(torch.get_default_device()) == "cpu"
    tenkai.set_default_device("cpu")
    tenkai.set_default_device(None)
    assert tenkai.get_default_device() == tenkai.device("cpu")
    if not tenkai.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            tenkai.set_default_device("cuda")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            tenkai.ones(1).cuda()
    assert tenkai.get_default_device().type == "cpu"


PRINT_OPTIONS = [dict(precision=2), dict(sci_mode=False), dict(sci_mode=True),
                 dict(threshold=5), dict(edgeitems=1, threshold=10), dict(linewidth=40),
                 dict(profile="short"), dict(profile="full"), dict(precision=6, sci_mode=False)]
PRINT_VALUES = [np.array([[1e-5, 123456.789, 3.14159], [0.5, -2.0, 1e10]]),
                np.arange(36.0).reshape(3, 12) / 7, np.arange(2000.0).reshape(40, 50) / 7]


@pytest.mark.parametrize("opts", PRINT_OPTIONS, ids=str)
def test_printoptions_match_torch(both_libs, opts):
    for values in PRINT_VALUES:
        got, want = [], []
        for L, out in ((torch, want), (tenkai, got)):
            L.set_printoptions(**opts)
            out.append(repr(L.tensor(values, dtype=L.float32)))
            L.set_printoptions(profile="default")
            L.set_printoptions(sci_mode=None)
        assert got == want


CLOSE_CASES = [
    ("close_float", lambda L: (L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0 + 1e-6])), {}),
    ("float_mismatch", lambda L: (L.tensor([1.0, 2.0]), L.tensor([1.0, 2.1])), {}),
    ("int_mismatch", lambda L: (L.tensor([1, 2]), L.tensor([1, 3])), {}),
    ("shape", lambda L: (L.ones(2), L.ones(3)), {}),
    ("dtype", lambda L: (L.ones(2), L.ones(2, dtype=L.float64)), {}),
    ("dtype_unchecked", lambda L: (L.ones(2), L.ones(2, dtype=L.float64)),
     {"check_dtype": False}),
    ("nan", lambda L: (L.tensor([1.0, math.nan]), L.tensor([1.0, math.nan])), {}),
    ("nan_equal", lambda L: (L.tensor([1.0, math.nan]), L.tensor([1.0, math.nan])),
     {"equal_nan": True}),
    ("scalars", lambda L: (1.0, 1.1), {}),
    ("int_scalars", lambda L: (2, 3), {}),
    ("custom_tol", lambda L: (L.tensor([1.0]), L.tensor([1.05])), {"rtol": 0.1, "atol": 0.0}),
    ("msg", lambda L: (L.tensor([1.0]), L.tensor([2.0])), {"msg": "custom"}),
    ("sequence", lambda L: ([L.ones(1), L.zeros(1)], [L.ones(1), L.ones(1)]), {}),
    ("f64_tol", lambda L: (L.tensor([1.0], dtype=L.float64),
                           L.tensor([1.0 + 1e-6], dtype=L.float64)), {}),
    ("f16", lambda L: (L.tensor([1.0], dtype=L.float16), L.tensor([1.01], dtype=L.float16)), {}),
]


def _outcome(L, make, kwargs):
    try:
        L.testing.assert_close(*make(L), **kwargs)
    except (AssertionError, TypeError, ValueError) as err:
        return type(err).__name__, str(err)
    return "ok", ""


@pytest.mark.parametrize("name,make,kwargs", CLOSE_CASES, ids=[c[0] for c in CLOSE_CASES])
def test_assert_close_matches_torch(name, make, kwargs):
    assert _outcome(tenkai, make, kwargs) == _outcome(torch, make, kwargs)


def test_assert_close_argument_errors():
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        tenkai.testing.assert_close(tenkai.ones(1), tenkai.ones(1), rtol=0.1)
    with pytest.raises(TypeError, match="No comparison pair"):
        tenkai.testing.assert_close(tenkai.ones(1), object())


BACKEND_FLAGS = ["cudnn.enabled", "cudnn.deterministic", "cudnn.benchmark", "cudnn.allow_tf32",
                 "cuda.matmul.allow_tf32", "cuda.matmul.allow_fp16_reduced_precision_reduction",
                 "mkldnn.enabled"]


@pytest.mark.parametrize("flag", BACKEND_FLAGS)
def test_backend_flag_defaults_match_torch(flag):
    def get(L):
        obj = L.backends
        for part in flag.split("."):
            obj = getattr(obj, part)
        return obj
    assert get(tenkai) == get(torch)


def test_backend_probes_and_settable_flags():
    assert tenkai.backends.mps.is_available() is False and tenkai.backends.mps.is_built() is False
    assert tenkai.backends.cudnn.is_available() is False
    assert tenkai.backends.cuda.flash_sdp_enabled() is torch.backends.cuda.flash_sdp_enabled()
    tenkai.backends.cudnn.benchmark = True
    tenkai.backends.cudnn.benchmark = False
    tenkai.backends.cuda.matmul.allow_tf32 = True
    tenkai.backends.cuda.matmul.allow_tf32 = False
    with pytest.raises(AttributeError, match="Unknown attribute"):
        tenkai.backends.cuda.matmul.not_a_flag = 1
    assert tenkai.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")


def test_deterministic_switches_match_torch(both_libs):
    for mode, warn in ((True, False), (True, True), (False, False)):
        for L in both_libs:
            L.use_deterministic_algorithms(mode, warn_only=warn)
        assert tenkai.are_deterministic_algorithms_enabled() == \
            torch.are_deterministic_algorithms_enabled()
        assert tenkai.is_deterministic_algorithms_warn_only_enabled() == \
            torch.is_deterministic_algorithms_warn_only_enabled()
        assert tenkai.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()


PREDICATES = [
    lambda L: L.is_floating_point(L.ones(1)), lambda L: L.is_floating_point(L.ones(1).long()),
    lambda L: L.is_complex(L.ones(1)), lambda L: L.is_nonzero(L.tensor([0.0])),
    lambda L: L.is_nonzero(L.tensor(3)), lambda L: L.is_tensor(L.ones(1)),
    lambda L: L.is_tensor([1]), lambda L: L.numel(L.ones(2, 3)),
    lambda L: L.is_grad_enabled(), lambda L: L.functional.broadcast_shapes((2, 1), (3,)),
    lambda L: L.functional.chain_matmul(L.eye(2), L.eye(2) * 2).tolist(),
    lambda L: L.functional.norm(L.ones(4)).item(),
    lambda L: [t.tolist() for t in L.functional.split(L.arange(5), 2)],
    lambda L: str(L.promote_types(L.int32, L.float32)),
    lambda L: str(L.promote_types(L.uint8, L.int8)),
    lambda L: str(L.result_type(L.ones(2, dtype=L.int32), 1.5)),
    lambda L: str(L.result_type(L.tensor(1.0), L.ones(2, dtype=L.float16))),
    lambda L: str(L.result_type(2, L.ones(2, dtype=L.uint8))),
    lambda L: [L.can_cast(a, b) for a in (L.float32, L.int32, L.bool) for b in
               (L.float16, L.int64, L.bool)],
    lambda L: (L.typename(L.ones(1)), L.typename(L.ones(1).long()), L.typename(1.0)),
    lambda L: (L.ones(2).is_signed(), L.ones(2).byte().is_signed(), L.is_signed(L.ones(1).int())),
    lambda L: (L.is_same_size(L.ones(2), L.ones(2)), L.ones(2).is_same_size(L.ones(3))),
    lambda L: (L.get_float32_matmul_precision(), L.is_warn_always_enabled()),
]


@pytest.mark.parametrize("k", range(len(PREDICATES)))
def test_predicates_match_torch(k):
    assert PREDICATES[k](tenkai) == PREDICATES[k](torch)


def test_settable_switches_round_trip():
    for value in ("high", "medium", "highest"):
        tenkai.set_float32_matmul_precision(value)
        assert tenkai.get_float32_matmul_precision() == value
    tenkai.set_warn_always(True)
    assert tenkai.is_warn_always_enabled()
    tenkai.set_warn_always(False)
    with pytest.raises(RuntimeError, match="Invalid precision"):
        tenkai.set_float32_matmul_precision("low")


def test_predicate_errors():
    for L in (torch, tenkai):
        with pytest.raises(RuntimeError, match="more than one value"):
            L.is_nonzero(L.ones(2))
        with pytest.raises(TypeError):
            L.is_floating_point(1.0)
    with tenkai.set_grad_enabled(False):
        assert not tenkai.is_grad_enabled()
    with tenkai.inference_mode():
        assert not tenkai.is_grad_enabled()


def test_allow_tf32_is_the_float32_matmul_precision() -> None:
    import tenkai

    assert tenkai.get_float32_matmul_precision() == "highest"
    assert tenkai.backends.cuda.matmul.allow_tf32 is False
    try:
        tenkai.set_float32_matmul_precision("high")
        assert tenkai.backends.cuda.matmul.allow_tf32 is True
        tenkai.backends.cuda.matmul.allow_tf32 = False
        assert tenkai.get_float32_matmul_precision() == "highest"
        tenkai.backends.cuda.matmul.allow_tf32 = True
        assert tenkai.get_float32_matmul_precision() == "high"
    finally:
        tenkai.set_float32_matmul_precision("highest")
