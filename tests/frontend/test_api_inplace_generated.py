"""Generated comparisons for the in-place forms (``Tensor.X_`` and ``torch.X_``) and a few
other names that ``test_api_coverage`` finds present but no other test calls (issue 13: every
present name behaves like PyTorch in a comparison test).

Each in-place case runs the same call on a tenkai tensor and a torch tensor made from one
array and checks: the call returns the tensor itself, the tensor holds PyTorch's values, and
its dtype is unchanged (PyTorch's in-place rule). The lists are the names; the arguments come
from small recipes per kind (unary float, binary float, integer, comparison, ...).
"""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(13)
UNIT = RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32)  # in every unary op's domain
WIDE = RNG.uniform(1.1, 3.0, (3, 4)).astype(np.float32)  # acosh's domain
OTHER = RNG.uniform(0.2, 1.5, (3, 4)).astype(np.float32)
SIGNED = (RNG.standard_normal((3, 4)) * 2).astype(np.float32)
INTS = RNG.integers(1, 1 << 10, (3, 4))
SHIFTS = RNG.integers(0, 8, (3, 4))

UNARY_FLOAT = """abs absolute acos arccos asin arcsin atan arctan asinh arcsinh atanh arctanh cos
cosh deg2rad rad2deg erf erfc erfinv exp exp2 expm1 fix frac trunc lgamma digamma log log10 log1p
log2 logit nan_to_num reciprocal rsqrt sgn sign sin sinc sinh sqrt square tan tanh neg negative
ceil floor round sigmoid""".split()
UNARY_WIDE = ["acosh", "arccosh"]
BINARY_FLOAT = """atan2 arctan2 copysign div divide floor_divide fmod heaviside hypot remainder
true_divide xlogy multiply mul subtract sub add maximum minimum fmax fmin pow""".split()
COMPARE = """eq ne lt le gt ge greater greater_equal less less_equal not_equal""".split()
LOGICAL = "logical_and logical_or logical_xor".split()
BITWISE = "bitwise_and bitwise_or bitwise_xor".split()
SHIFT = "bitwise_left_shift bitwise_right_shift".split()


def _pair(arr: np.ndarray) -> tuple:
    return tenkai.tensor(arr.copy()), torch.tensor(arr.copy())


def _check_inplace(name: str, arr: np.ndarray, *args: np.ndarray | float,
                   namespace: bool = False, rtol: float = 1e-5) -> None:
    tk, th = _pair(arr)
    tk_args = [tenkai.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    th_args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    if namespace:
        got = getattr(tenkai, name)(tk, *tk_args)
        want = getattr(torch, name)(th, *th_args)
    else:
        got = getattr(tk, name)(*tk_args)
        want = getattr(th, name)(*th_args)
    assert got is tk and want is th, name
    assert str(tk.dtype) == str(th.dtype), name
    np.testing.assert_allclose(tk.numpy(), th.numpy(), rtol=rtol, atol=1e-6, equal_nan=True,
                               err_msg=name)


def _has_inplace(name: str, namespace: bool) -> bool:
    """Tested where PyTorch has the in-place form (tenkai must have it too: the test fails)."""
    return hasattr(torch if namespace else torch.Tensor, name + "_")


UNARY_CASES = [(n, ns) for n in UNARY_FLOAT + UNARY_WIDE for ns in (False, True)
               if _has_inplace(n, ns)]


@pytest.mark.parametrize("name,namespace", UNARY_CASES,
                         ids=[f"{'torch' if ns else 'Tensor'}.{n}_" for n, ns in UNARY_CASES])
def test_unary_inplace(name, namespace):
    _check_inplace(name + "_", WIDE if name in UNARY_WIDE else UNIT, namespace=namespace)


@pytest.mark.parametrize("name", [n for n in BINARY_FLOAT if _has_inplace(n, False)])
def test_binary_float_inplace(name):
    _check_inplace(name + "_", SIGNED if name not in ("xlogy", "pow") else UNIT, OTHER)
    try:  # a Python number as the other operand: taken, or PyTorch's TypeError
        getattr(torch.tensor(UNIT), name + "_")(0.5)
    except TypeError:
        with pytest.raises(TypeError):
            getattr(tenkai.tensor(UNIT), name + "_")(0.5)
        with pytest.raises(TypeError):
            getattr(tenkai, name)(tenkai.tensor(UNIT), 0.5)
        return
    _check_inplace(name + "_", UNIT, 0.5)


@pytest.mark.parametrize("name", COMPARE + LOGICAL)
def test_compare_and_logical_inplace_keep_the_float_dtype(name):
    other = np.where(RNG.random((3, 4)) > 0.5, SIGNED, -SIGNED).astype(np.float32)
    _check_inplace(name + "_", SIGNED, other)


@pytest.mark.parametrize("name", BITWISE + SHIFT + ["bitwise_not"])
def test_integer_inplace(name):
    args = () if name == "bitwise_not" else (SHIFTS if name in SHIFT else INTS[::-1].copy(),)
    _check_inplace(name + "_", INTS, *args)


@pytest.mark.parametrize("case", [
    ("clamp_max_", (0.5,)), ("clamp_min_", (0.5,)), ("clamp_", (0.2, 0.6)),
    ("cumsum_", (1,)), ("cumprod_", (0,)), ("triu_", (1,)), ("tril_", (-1,)),
    ("addcdiv_", (OTHER, OTHER[::-1].copy())), ("addcmul_", (OTHER, SIGNED)),
    ("lerp_", (OTHER, 0.3)), ("float_power_", (2.0,)), ("ldexp_", (SHIFTS.astype(np.float32),)),
    ("polygamma_", (1,)), ("mvlgamma_", (1,)), ("nan_to_num_", (0.0, 1.0, -1.0)),
    ("logit_", (0.2,)), ("fill_", (2.5,)), ("zero_", ()), ("t_", ()),
    ("squeeze_", ()), ("unsqueeze_", (1,)), ("transpose_", (0, 1)), ("swapdims_", (0, 1)),
], ids=lambda c: c[0])
def test_other_inplace_methods(case):
    name, args = case
    arr = UNIT.astype(np.float64) if name == "float_power_" else UNIT
    _check_inplace(name, arr, *args)


def test_matrix_inplace_methods():
    a, b, c = (RNG.standard_normal(s).astype(np.float32) for s in ((3, 4), (3, 5), (5, 4)))
    _check_inplace("addmm_", a, b, c)
    bb, bc = (RNG.standard_normal(s).astype(np.float32) for s in ((2, 3, 5), (2, 5, 4)))
    _check_inplace("addbmm_", a, bb, bc)
    _check_inplace("baddbmm_", RNG.standard_normal((2, 3, 4)).astype(np.float32), bb, bc)
    _check_inplace("addmv_", a[:, 0].copy(), b, c[:, 0].copy())
    _check_inplace("addr_", a, a[:, 0].copy(), a[0].copy())


def test_scatter_and_index_inplace_methods():
    idx = np.array([[0, 2, 1, 0], [2, 1, 0, 1]])  # no repeats along dim 0 (scatter_)
    _check_inplace("scatter_add_", UNIT, 0, idx, OTHER[:2].copy())
    _check_inplace("scatter_", UNIT, 0, idx, OTHER[:2].copy())
    _check_inplace("scatter_reduce_", UNIT, 0, idx, OTHER[:2].copy(), "amax")
    _check_inplace("index_add_", UNIT, 1, np.array([3, 0]), OTHER[:, :2].copy())
    _check_inplace("masked_fill_", UNIT, UNIT > 0.5, -1.0)


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.filterwarnings("ignore:.*_norm is deprecated")
def test_remaining_untested_names():
    """Names present in both libraries that only the coverage count mentioned."""
    x, th = _pair(UNIT)
    assert x.nelement() == th.nelement() == 12
    assert tuple(x.swapdims(0, 1).shape) == tuple(th.swapdims(0, 1).shape)
    np.testing.assert_allclose(tenkai.swapdims(x, 0, 1).numpy(), torch.swapdims(th, 0, 1))
    np.testing.assert_allclose(x.expand_as(tenkai.zeros(2, 3, 4)).numpy(),
                               th.expand_as(torch.zeros(2, 3, 4)).numpy())
    new = x.new_empty((2, 5))
    assert tuple(new.shape) == (2, 5) and new.dtype == tenkai.float32
    assert str(x.char().dtype) == str(th.char().dtype) == "torch.int8"
    np.testing.assert_allclose(x.pinverse().numpy(), th.pinverse().numpy(), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(tenkai.pinverse(x).numpy(), torch.pinverse(th).numpy(),
                               rtol=1e-4, atol=1e-5)
    for n in (1, 2, 3):
        got = getattr(tenkai, f"atleast_{n}d")(tenkai.tensor(2.0))
        want = getattr(torch, f"atleast_{n}d")(torch.tensor(2.0))
        assert tuple(got.shape) == tuple(want.shape), n
    a = np.triu(RNG.standard_normal((3, 3))).astype(np.float32) + 3 * np.eye(3, dtype=np.float32)
    b = RNG.standard_normal((3, 2)).astype(np.float32)
    got = tenkai.triangular_solve(tenkai.tensor(b), tenkai.tensor(a))
    want = torch.triangular_solve(torch.tensor(b), torch.tensor(a))
    np.testing.assert_allclose(got[0].numpy(), want[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tenkai.tensor(b).triangular_solve(tenkai.tensor(a))[0].numpy(),
                               want[0].numpy(), rtol=1e-5, atol=1e-6)
    for mode, args in (("frobenius_norm", ((0, 1),)), ("nuclear_norm", ())):
        got = getattr(tenkai, mode)(x, *args)
        want = getattr(torch, mode)(th, *args)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, err_msg=mode)
    for n in ("bartlett_window", "blackman_window"):
        np.testing.assert_allclose(getattr(tenkai, n)(7).numpy(), getattr(torch, n)(7).numpy(),
                                   rtol=1e-6, atol=1e-7, err_msg=n)
    for cls, dt in (("ByteTensor", "uint8"), ("CharTensor", "int8"), ("ShortTensor", "int16"),
                    ("HalfTensor", "float16")):
        got = getattr(tenkai, cls)([1, 2])
        assert str(got.dtype) == str(getattr(torch, cls)([1, 2]).dtype) == f"torch.{dt}"


PAD_MODULES = sorted(n for n in dir(torch.nn) if n.endswith(("Pad1d", "Pad2d", "Pad3d")))


@pytest.mark.parametrize("name", PAD_MODULES)
def test_padding_modules(name):
    """Every ``nn.*Pad{1,2,3}d`` module: an int padding and a per-side tuple, like PyTorch."""
    dims = int(name[-2])
    x = RNG.standard_normal((1, 2) + (4, 5, 6)[-dims:]).astype(np.float32)
    for pad in (1, (2, 1, 1, 0, 0, 2)[:2 * dims]):
        args = (pad, 1.5) if name.startswith("ConstantPad") else (pad,)
        got = getattr(tenkai.nn, name)(*args)(tenkai.tensor(x))
        want = getattr(torch.nn, name)(*args)(torch.tensor(x))
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=f"{name} {pad}")


@pytest.mark.filterwarnings("ignore:.*_norm is deprecated")
def test_deprecated_norms_and_triangular_solve_warn_and_check_as_pytorch():
    x, th = _pair(UNIT)
    with pytest.raises(TypeError, match="dim"):
        tenkai.frobenius_norm(x)  # PyTorch requires dim
    np.testing.assert_allclose(tenkai.frobenius_norm(x, 1).numpy(),
                               torch.frobenius_norm(th, 1).numpy(), rtol=1e-6)
    tenkai._linalg_top._WARNED.clear()
    for call in (lambda: tenkai.frobenius_norm(x, (0, 1)), lambda: tenkai.nuclear_norm(x),
                 lambda: tenkai.triangular_solve(x[:, :2], tenkai.eye(3))):
        with pytest.warns(UserWarning, match="deprecated"):
            call()
