"""Compiled steps whose code calls C's math library load from object code (the disk cache's
path): every function LLVM or a template calls resolves, in every float dtype, including the
scalar remainder of a vectorized loop (5 elements) and double -> half rounding."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

OPS = {
    "cos": lambda x: x.cos(), "sin": lambda x: x.sin(), "tan": lambda x: x.tan(),
    "exp": lambda x: x.exp(), "log": lambda x: x.log(), "pow": lambda x: x.pow(1.7),
    "fmod": lambda x: tenkai.fmod(x, 0.3), "erf": lambda x: tenkai.erf(x),
    "erfinv": lambda x: tenkai.erfinv(x * 0.5), "digamma": lambda x: tenkai.digamma(x),
    "lgamma": lambda x: tenkai.lgamma(x), "atan2": lambda x: tenkai.atan2(x, x + 1),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_math_calls_resolve_from_object_code(dtype, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TENKAI_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("TENKAI_CACHE", raising=False)
    x = tenkai.tensor(np.linspace(0.2, 1.4, 5), dtype=getattr(tenkai, dtype))

    def step(x):
        return tenkai.stack([f(x) for f in OPS.values()])

    got = tenkai.compile(step)(x)
    want = step(x)
    tol = 2e-3 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64),
                               rtol=tol, atol=tol)
