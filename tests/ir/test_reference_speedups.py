"""The faster reference paths agree with the plain ones: ``index_add``'s add-by-occurrence with
``np.add.at`` (bit for bit), and the scipy-backed ``erfinv``/``digamma`` with the series and
Giles' approximation they replace (same special values, float64-close elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest

from tenkai.ir import REGISTRY, ops_math
from tenkai.ir.ops_movement import _add_along


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_add_along_matches_np_add_at(dtype):
    rng = np.random.default_rng(0)
    for _ in range(200):
        ndim = int(rng.integers(1, 4))
        shape = [int(v) for v in rng.integers(1, 5, ndim)]
        axis = int(rng.integers(0, ndim))
        if ndim > 1:  # long rows: the add-by-occurrence path
            shape[(axis + 1) % ndim] = 70
        size = shape[axis]
        idx = rng.integers(-size, size, int(rng.integers(0, 12)))
        src_shape = list(shape)
        src_shape[axis] = len(idx)
        src = (rng.standard_normal(src_shape) * 3).astype(dtype)
        out = (rng.standard_normal(shape) * 3).astype(dtype)
        want = out.copy()
        np.add.at(want, (slice(None),) * axis + (idx,), src)
        _add_along(out, idx, src, axis)
        np.testing.assert_array_equal(out, want)


def test_erfinv_reference_values():
    special = ops_math.scipy_special()
    if special is None:
        pytest.skip("scipy is not installed: the reference is Giles' approximation itself")
    y = np.concatenate([np.linspace(-0.999, 0.999, 2001), [0.0, 1.0, -1.0, 1.5, -2.0, np.nan]])
    got = ops_math._erfinv_ref(y)
    np.testing.assert_allclose(got, ops_math._erfinv64(y), rtol=1e-12, atol=0, equal_nan=True)
    assert got[-5] == np.inf and got[-4] == -np.inf and np.isnan(got[-3:]).all()
    y32 = y.astype(np.float32)
    got32 = ops_math._erfinv_ref(y32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, ops_math._erfinv32(y32), rtol=2e-6, equal_nan=True)


def test_digamma_reference_values():
    if ops_math.scipy_special() is None:
        pytest.skip("scipy is not installed: the reference is the series itself")
    x = np.concatenate([np.linspace(-7.9, 12.0, 1001), [0.0, -0.0, -1.0, -3.0, np.inf,
                                                         -np.inf, np.nan, 1e-8]])
    got = ops_math._digamma_ref(x)
    want = ops_math._digamma64(x)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    # the poles as PyTorch: -inf at 0, +inf at -0, NaN at the negative integers
    assert got[-8] == -np.inf and got[-7] == np.inf and np.isnan(got[-6:-4]).all()
    assert ops_math._digamma_ref(np.float32([2.5, -0.5])).dtype == np.float32


def test_erfinv_float32_large_arrays_use_giles_within_ulps():
    """From ERFINV_GILES_MIN elements float32 erfinv is Giles' approximation (in place, the
    tail only where needed): within 4 float32 ulps of the float64 erfinv, same special values,
    and the same values whichever route the size picks."""
    y64 = np.concatenate([np.linspace(-0.99999, 0.99999, 2 * ops_math.ERFINV_GILES_MIN),
                          [0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan]])
    y = y64.astype(np.float32)
    got = ops_math._erfinv_ref(y)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ops_math._erfinv32(y))
    want = ops_math._erfinv64(y.astype(np.float64))
    fin = np.isfinite(want)
    ulps = np.abs(got[fin] - want[fin]) / np.spacing(np.abs(want[fin]).astype(np.float32))
    assert ulps.max() <= 4
    assert list(got[-7:-3]) == [0.0, 0.0, np.inf, -np.inf] and np.signbit(got[-6])
    assert np.isnan(got[-3:]).all()
    central = y[np.abs(y) < 0.9]  # every w < 5: the central polynomial alone
    np.testing.assert_array_equal(ops_math._erfinv_ref(central), ops_math._erfinv32(central))
    small = ops_math._erfinv_ref(y[:100])  # scipy's float32 erfinv below the threshold
    np.testing.assert_allclose(small, got[:100], rtol=1e-6)
    assert np.signbit(ops_math._erfinv_ref(np.float32([-0.0]))[0])


def test_mean_reference_matches_np_mean_bit_for_bit():
    """The float mean without np.mean's wrappers: the same bits, shapes and dtypes (the sum,
    then one division by the count), and np.mean itself for the other cases."""
    from tenkai.ir.ops_reduce import mean_reference

    rng = np.random.default_rng(0)
    for t in range(400):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 30, ndim))
        dtype = (np.float32, np.float64)[t % 2]
        x = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-5, 5)).astype(dtype)
        axes = tuple(sorted(rng.choice(ndim, int(rng.integers(1, ndim + 1)), replace=False)))
        keep = t % 3 == 0
        got = mean_reference(x, axes, keep)
        want = np.asarray(np.mean(x, axis=axes, keepdims=keep), dtype=dtype)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert np.isnan(mean_reference(np.zeros((0, 3), np.float32), (0,), False)).all()
    assert mean_reference(np.arange(6).reshape(2, 3), (1,), False).dtype == np.int64


def test_lgamma_float32_reference_is_the_float64_one_rounded():
    """float32 lgamma through scipy's float32 loop: the float64 route's bits, and
    lgamma(-inf) = inf as in PyTorch (scipy gives -inf)."""
    if ops_math.scipy_special() is None:
        pytest.skip("scipy is not installed")
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-20, 40, 20000), [0.0, -0.0, -1.0, -2.0, np.inf, -np.inf,
                                                      np.nan, 1e-40, 3e38]]).astype(np.float32)
    got = ops_math._lgamma_ref(x)
    with np.errstate(over="ignore"):  # lgamma(3e38) overflows float32: inf in both
        want = np.asarray(ops_math._lgamma_scalar(x.astype(np.float64)), np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert got[-4] == np.inf
    assert ops_math._lgamma_ref(np.float32([2.5, 3.0]))[1] == np.float32(np.log(2.0))


def test_fmod_float32_by_float64_is_np_fmod_bit_for_bit():
    """Large float32 fmod runs ``x - trunc(x / y) * y`` in float64: the same bits as numpy's
    fmodf, zeros' signs included, broadcast operands too; nan, inf, zero divisors and huge
    quotients fall back to ``np.fmod``."""
    rng = np.random.default_rng(0)
    n = 2 * ops_math.FMOD_F64_MIN
    for k in range(40):
        x = (rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20)).astype(np.float32)
        y = (rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20)).astype(np.float32)
        x[::5] = np.round(x[::5])
        y[::7] = np.round(y[::7]) + 1
        if k % 4 == 0:
            x[::9], y[::13] = np.inf, 0.0
        with np.errstate(invalid="ignore"):
            want = np.fmod(x, y)
        assert ops_math._fmod_ref(x, y).view(np.int32).tolist() == want.view(np.int32).tolist()
    x = np.arange(-n // 2, n // 2, dtype=np.float32).reshape(64, -1)
    for y in (np.float32([3.0]), np.full(x.shape[1], -0.5, np.float32), np.float32(0.1)):
        got = ops_math._fmod_ref(x, np.asarray(y))
        assert got.dtype == np.float32 and got.shape == x.shape
        np.testing.assert_array_equal(got.view(np.int32), np.fmod(x, y).view(np.int32))
    assert np.signbit(ops_math._fmod_ref(x, np.float32([2.0]))[0, 0])  # fmod(-n, 2) = -0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_digamma_positive_inputs_take_psi_in_their_dtype(dtype):
    """Positive (or nan) inputs skip the pole handling: the same values as the float64 route."""
    if ops_math.scipy_special() is None:
        pytest.skip("scipy is not installed")
    x = np.concatenate([np.linspace(1e-6, 40.0, 999), [np.nan]]).astype(dtype)
    got = ops_math._digamma_ref(x)
    assert got.dtype == dtype
    want = ops_math._digamma_poles(x.astype(np.float64),
                                   ops_math.scipy_special().psi(x.astype(np.float64)))
    np.testing.assert_array_equal(got, want.astype(dtype))
    np.testing.assert_allclose(got[:-1], ops_math._digamma64(x[:-1].astype(np.float64)),
                               rtol=2e-7 if dtype == np.float32 else 1e-9)


def test_hypot_float32_by_float64_rounds_correctly_and_keeps_special_values():
    rng = np.random.default_rng(0)
    n = 20000
    x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-40, 38, n)).astype(np.float32)
    y = (rng.standard_normal(n) * 10.0 ** rng.uniform(-40, 38, n)).astype(np.float32)
    got = ops_math._hypot_ref(x, y)
    exact = np.hypot(x.astype(np.float64), y.astype(np.float64))
    fin = exact < np.finfo(np.float32).max
    assert got.dtype == np.float32
    assert (np.abs(got[fin] - exact[fin]) <= 0.5001 * np.spacing(got[fin])).all()
    x[::100], y[::77] = np.inf, np.nan  # hypot(inf, nan) is inf: numpy's loop decides
    np.testing.assert_array_equal(ops_math._hypot_ref(x, y), np.hypot(x, y))


@pytest.mark.parametrize("left", [True, False])
def test_shifts_in_and_out_of_range(left):
    op = "bitwise_left_shift" if left else "bitwise_right_shift"
    ref = REGISTRY[op].reference
    x = np.arange(-50, 50, dtype=np.int64) * 12345
    y = np.arange(100, dtype=np.int64) % 8
    shift = np.left_shift if left else np.right_shift
    np.testing.assert_array_equal(ref(x, y), shift(x, y))
    y[::9] = 64
    y[::13] = -1
    got = ref(x, y)
    inside = (y >= 0) & (y < 64)
    np.testing.assert_array_equal(got[inside], shift(x, y)[inside])
    np.testing.assert_array_equal(got[~inside], 0 if left else np.right_shift(x, 63)[~inside])


def test_trigamma_series_in_place_values():
    """The in-place series: scipy's polygamma(1, x) to float64 rounding, inf at the poles,
    0-d inputs stay arrays."""
    special = ops_math.scipy_special()
    if special is None:
        pytest.skip("scipy is not installed")
    x = np.concatenate([np.linspace(-7.9, 30.0, 1001), [1e-8, 0.5, 123.25]])
    x = x[x != np.floor(x)]
    np.testing.assert_allclose(ops_math._trigamma64(x), special.polygamma(1, x), rtol=1e-10)
    with np.errstate(all="ignore"):
        poles = ops_math._trigamma64(np.array([0.0, -1.0, -4.0]))
    assert (poles == np.inf).all()
    scalar = ops_math._trigamma64(np.array(2.5))
    assert type(scalar) is np.ndarray and scalar.shape == ()
    np.testing.assert_allclose(scalar, special.polygamma(1, 2.5), rtol=1e-14)
