"""``tenkai.special`` against ``torch.special``: values, dtypes and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai as torch

pt = pytest.importorskip("torch", reason="compares against PyTorch")

X = np.array([-30.0, -5.0, -1.5, -0.3, 0.0, 0.2, 0.7, 1.0, 2.5, 12.0, 40.0])
P = np.array([1e-6, 0.01, 0.2, 0.5, 0.7, 0.99])
POS = np.array([0.0, 0.1, 0.5, 1.0, 3.0, 9.0])
UNARY = [("expit", X), ("erf", X), ("erfc", X), ("erfinv", P * 2 - 1), ("exp2", X[1:-1]),
         ("expm1", X[1:-1]), ("log1p", POS), ("gammaln", POS[1:]), ("digamma", POS[1:]),
         ("psi", POS[1:]), ("sinc", X), ("round", X), ("ndtr", X), ("ndtri", P),
         ("log_ndtr", X), ("erfcx", X[1:]), ("entr", np.array([-1.0, 0.0, 0.3, 2.0])),
         ("logit", P), ("i0", X[1:-1])]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,values", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_pytorch(name: str, values: np.ndarray, dtype: str) -> None:
    a = values.astype(dtype)
    got = getattr(torch.special, name)(torch.tensor(a))
    want = getattr(pt.special, name)(pt.tensor(a))
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    tol = 2e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "chebyshev_polynomial_u",
                                  "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                                  "shifted_chebyshev_polynomial_t",
                                  "shifted_chebyshev_polynomial_u", "hermite_polynomial_h",
                                  "hermite_polynomial_he", "laguerre_polynomial_l",
                                  "legendre_polynomial_p"])
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_polynomials_match_pytorch(name: str, n: int) -> None:
    a = np.linspace(-0.9, 0.9, 7)
    got = getattr(torch.special, name)(torch.tensor(a), n)
    want = getattr(pt.special, name)(pt.tensor(a), n)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9, atol=1e-9)


def test_binary_and_reductions_match_pytorch() -> None:
    x = np.array([0.0, 1.0, 2.0, 0.0])
    y = np.array([0.5, -0.5, 3.0, np.nan])
    np.testing.assert_allclose(torch.special.xlog1py(torch.tensor(x), torch.tensor(y)).numpy(),
                               pt.special.xlog1py(pt.tensor(x), pt.tensor(y)).numpy(),
                               equal_nan=True)
    np.testing.assert_allclose(torch.special.xlogy(torch.tensor(x), torch.tensor(y)).numpy(),
                               pt.special.xlogy(pt.tensor(x), pt.tensor(y)).numpy(),
                               equal_nan=True)
    m = np.array([[0.5, 1.5], [2.5, 4.0]])
    for fn in ("gammainc", "gammaincc"):
        np.testing.assert_allclose(getattr(torch.special, fn)(torch.tensor(m),
                                                              torch.tensor(m.T)).numpy(),
                                   getattr(pt.special, fn)(pt.tensor(m), pt.tensor(m.T)).numpy(),
                                   rtol=1e-8)
    for p in (1, 2, 3):
        np.testing.assert_allclose(torch.special.multigammaln(torch.tensor(m + 1), p).numpy(),
                                   pt.special.multigammaln(pt.tensor(m + 1), p).numpy(),
                                   rtol=1e-10)
    np.testing.assert_allclose(torch.special.polygamma(1, torch.tensor(m)).numpy(),
                               pt.special.polygamma(1, pt.tensor(m)).numpy(), rtol=1e-8)
    for fn in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(torch.special, fn)(torch.tensor(m), 1).numpy(),
                                   getattr(pt.special, fn)(pt.tensor(m), 1).numpy(),
                                   rtol=1e-10)
    np.testing.assert_allclose(torch.special.logsumexp(torch.tensor(m), 0).numpy(),
                               pt.special.logsumexp(pt.tensor(m), 0).numpy(), rtol=1e-10)
    r = np.array([1.2345, -2.5551, 0.125, 1e3 / 7])
    np.testing.assert_allclose(torch.special.round(torch.tensor(r), decimals=2).numpy(),
                               pt.special.round(pt.tensor(r), decimals=2).numpy())
    out = torch.empty(4, dtype=torch.float64)
    assert torch.special.ndtr(torch.tensor(x), out=out) is out


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "entr", "erfcx", "expit"])
def test_gradients_match_pytorch(name: str) -> None:
    # (entr below 0: PyTorch's gradient is nan, tenkai's 0; the values agree)
    a = np.array([0.2, 0.5, 0.3, 1.7]) if name == "entr" else np.array([-2.0, -0.5, 0.3, 1.7])
    t = torch.tensor(a, requires_grad=True)
    p = pt.tensor(a, requires_grad=True)
    getattr(torch.special, name)(t).sum().backward()
    getattr(pt.special, name)(p).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-9,
                               equal_nan=True)


def test_special_compiles() -> None:
    f = torch.compile(lambda x: torch.special.ndtr(x) + torch.special.expit(x).log1p())
    x = torch.randn(16)
    np.testing.assert_allclose(f(x).numpy(), (torch.special.ndtr(x)
                                              + torch.special.expit(x).log1p()).numpy(),
                               rtol=1e-6)


def test_torch_functional_names_are_the_namespace_functions() -> None:
    import torch.functional as ptf

    present = [n for n in ptf.__all__ if hasattr(torch.functional, n)]
    for name in present:
        assert getattr(torch.functional, name) is getattr(torch, name), name
    assert {"einsum", "meshgrid", "unique", "tensordot", "block_diag"} <= set(present)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        torch.functional.nope  # noqa: B018


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("how", ["eager", "compiled"])
def test_digamma_at_its_poles_matches_pytorch(dtype: str, how: str) -> None:
    # -inf at +0, +inf at -0, NaN at the negative integers (PyTorch >= 1.8)
    a = np.array([0.0, -0.0, -1.0, -7.0, 1e-30, -2.5, 3.0], dtype=dtype)
    fn = torch.digamma if how == "eager" else torch.compile(lambda x: torch.digamma(x) * 1)
    got = fn(torch.tensor(a)).numpy()
    want = pt.digamma(pt.tensor(a)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)
    assert np.array_equal(np.signbit(got[:2]), np.signbit(want[:2]))


POLYGAMMA_X = np.array([0.3, 1.0, 2.5, 7.0, 33.0, 1e-6, -0.7, -2.25, -5.5])
POLYGAMMA_EDGES = np.array([0.0, -0.0, -1.0, -3.0, np.inf, -np.inf, np.nan, 1e30])


@pytest.mark.parametrize("n", range(5))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polygamma_matches_pytorch_eager_and_compiled(n: int, dtype: str) -> None:
    x = np.concatenate([POLYGAMMA_X, POLYGAMMA_EDGES if n >= 2 else []]).astype(dtype)
    want = pt.polygamma(n, pt.tensor(x)).numpy()
    rtol = 1e-6 if dtype == "float32" else 1e-9
    for fn in (lambda t: torch.polygamma(n, t),
               torch.compile(lambda t: torch.special.polygamma(n, t) * 1)):
        got = fn(torch.tensor(x)).numpy()
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True)
    # the gradient is polygamma(n + 1), eagerly and in a compiled training step
    a = torch.tensor(POLYGAMMA_X, requires_grad=True)
    y = torch.polygamma(n, a)
    assert y.grad_fn.name() == "PolygammaBackward0"
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), pt.polygamma(n + 1, pt.tensor(POLYGAMMA_X)),
                               rtol=1e-9)
    w = torch.tensor(POLYGAMMA_X, requires_grad=True)
    step = torch.compile(lambda: torch.polygamma(n, w).sum().backward())
    step()
    np.testing.assert_allclose(w.grad.numpy(), a.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("n", range(2, 5))
def test_polygamma_gradient_matches_finite_differences(n: int) -> None:
    x = POLYGAMMA_X[POLYGAMMA_X > 0.2]
    a = torch.tensor(x, requires_grad=True)
    torch.polygamma(n, a).sum().backward()
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    up = torch.polygamma(n, torch.tensor(x + h)).numpy()
    down = torch.polygamma(n, torch.tensor(x - h)).numpy()
    np.testing.assert_allclose(a.grad.numpy(), (up - down) / (2 * h), rtol=1e-5)


def test_polygamma_arguments_follow_pytorch() -> None:
    x = torch.tensor([0.5, 2.0])
    with pytest.raises(RuntimeError, match="does not support negative n"):
        torch.polygamma(-1, x)
    with pytest.raises(TypeError, match="must be int, not float"):
        torch.polygamma(2.0, x)
    assert torch.polygamma(2, torch.tensor([1, 2])).dtype == torch.float32
    np.testing.assert_allclose(x.polygamma(3).numpy(), pt.tensor([0.5, 2.0]).polygamma(3),
                               rtol=1e-6)


def _train_polygamma(compiled: bool) -> list[dict]:
    """A model whose loss goes through polygamma of orders 1-3 (their gradients: orders 2-4),
    trained with Adam; the records of compile_harness.snapshot after each step."""
    import warnings

    from tests.frontend.compile_harness import snapshot

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 4)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)

    def step(x):
        opt.zero_grad()
        h = torch.nn.functional.softplus(model(x)) + 0.5  # positive: away from the poles
        loss = sum(torch.polygamma(n, h).mean() * 0.1 ** n for n in (1, 2, 3))
        loss.backward()
        opt.step()
        return loss

    fn = torch.compile(step) if compiled else step
    rng = np.random.default_rng(4)
    records = []
    for _ in range(4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = fn(torch.tensor(rng.standard_normal((5, 3)).astype(np.float32)))
        records.append(snapshot(loss, model, opt))
    return records


def test_compiled_training_through_polygamma_equals_eager() -> None:
    from tests.frontend.compile_harness import assert_same

    assert_same(_train_polygamma(True), _train_polygamma(False))
