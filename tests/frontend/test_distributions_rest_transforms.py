"""The transforms, constraints, ``biject_to``/``transform_to`` registry and KL pairs added with
the last tenkai.distributions families, against torch.distributions in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(31)


def _t(lib: Any, value: Any) -> Any:
    return lib.tensor(np.asarray(value, dtype=np.float64))


def _np(value: Any) -> np.ndarray:
    return value.detach().numpy()


# name: (build(D) -> transform, x)
TRANSFORMS: dict[str, tuple[Any, np.ndarray]] = {
    "corr_cholesky": (lambda D: D.CorrCholeskyTransform(), RNG.standard_normal((2, 6))),
    "lower_cholesky": (lambda D: D.LowerCholeskyTransform(), RNG.standard_normal((2, 3, 3))),
    "positive_definite": (lambda D: D.PositiveDefiniteTransform(),
                          RNG.standard_normal((2, 3, 3))),
    "cat": (lambda D: D.CatTransform([D.ExpTransform(), D.AffineTransform(1.0, 2.0),
                                      D.SigmoidTransform()], dim=-1, lengths=[2, 1, 2]),
            RNG.standard_normal((3, 5))),
    "cat_dim0": (lambda D: D.CatTransform([D.ExpTransform(), D.TanhTransform()], 0, [1, 2]),
                 RNG.standard_normal((3, 2)) * 0.5),
    "stack": (lambda D: D.StackTransform([D.ExpTransform(), D.SoftplusTransform(),
                                          D.AffineTransform(0.5, -1.0)], dim=1),
              RNG.standard_normal((2, 3))),
    "cdf_normal": (lambda D: D.CumulativeDistributionTransform(D.Normal(0.3, 1.7)),
                   RNG.standard_normal(4)),
}


def _lib_transforms(lib: Any) -> Any:
    D = lib.distributions

    class Namespace:
        pass

    ns = Namespace()
    for name in dir(D.transforms):
        setattr(ns, name, getattr(D.transforms, name))
    ns.Normal, ns.transforms = D.Normal, D.transforms
    return ns


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_match_torch(name: str) -> None:
    build, x = TRANSFORMS[name]
    got_t, want_t = build(_lib_transforms(tenkai)), build(_lib_transforms(torch))
    gx, wx = _t(tenkai, x), _t(torch, x)
    gy, wy = got_t(gx), want_t(wx)
    np.testing.assert_allclose(_np(gy), _np(wy), rtol=1e-12, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(_np(got_t.inv(gy)), _np(want_t.inv(wy)), rtol=1e-9,
                               atol=1e-12, err_msg=name)
    if name not in ("lower_cholesky", "positive_definite"):  # torch has no log-det there
        np.testing.assert_allclose(_np(got_t.log_abs_det_jacobian(gx, gy)),
                                   _np(want_t.log_abs_det_jacobian(wx, wy)), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    assert repr(got_t) == repr(want_t)
    assert got_t.bijective == want_t.bijective
    assert repr(got_t.domain) == repr(want_t.domain)
    assert repr(got_t.codomain) == repr(want_t.codomain)
    shape = tuple(x.shape)
    assert tuple(got_t.forward_shape(shape)) == tuple(want_t.forward_shape(shape))
    back = tuple(want_t.forward_shape(shape))
    assert tuple(got_t.inverse_shape(back)) == tuple(want_t.inverse_shape(back))
    assert np.all(_np(got_t.codomain.check(gy)) == _np(want_t.codomain.check(wy)))
    cached = got_t.with_cache(1)
    cy = cached(gx)
    assert cached.inv(cy) is gx


def test_corr_cholesky_log_det_gradients_match_torch() -> None:
    x = RNG.standard_normal((2, 3))
    grads = []
    for lib in (tenkai, torch):
        t = lib.distributions.transforms.CorrCholeskyTransform()
        xs = lib.tensor(x, requires_grad=True)
        y = t(xs)
        (t.log_abs_det_jacobian(xs, y).sum() + y.pow(3).sum()).backward()
        grads.append(xs.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


def test_transform_errors_match_torch() -> None:
    for lib in (tenkai, torch):
        D = lib.distributions
        with pytest.raises(AssertionError, match="must equal"):
            D.transforms.CatTransform([D.ExpTransform()], 0, [2])(lib.zeros(3))
        with pytest.raises(AssertionError, match="must match"):
            D.transforms.CatTransform([D.ExpTransform()], 0, [1, 2])
        with pytest.raises(ValueError, match="Input is not a flattened lower-diagonal"):
            D.transforms.CorrCholeskyTransform().forward_shape((2, 4))
        with pytest.raises(ValueError, match="Input is not square"):
            D.transforms.CorrCholeskyTransform().inverse_shape((3, 2))


# each constraint torch registers: (constraint(C), the constrained shape, registries)
CONSTRAINTS: dict[str, tuple[Any, tuple[int, ...], tuple[str, ...]]] = {
    "real": (lambda C: C.real, (2, 3), ("biject_to", "transform_to")),
    "real_vector": (lambda C: C.real_vector, (2, 3), ("biject_to", "transform_to")),
    "positive": (lambda C: C.positive, (2, 3), ("biject_to", "transform_to")),
    "nonnegative": (lambda C: C.nonnegative, (4,), ("biject_to", "transform_to")),
    "greater_than": (lambda C: C.greater_than(1.5), (4,), ("biject_to", "transform_to")),
    "greater_than_eq": (lambda C: C.greater_than_eq(-1.0), (4,),
                        ("biject_to", "transform_to")),
    "less_than": (lambda C: C.less_than(2.0), (4,), ("biject_to", "transform_to")),
    "interval": (lambda C: C.interval(-1.0, 3.0), (4,), ("biject_to", "transform_to")),
    "half_open_interval": (lambda C: C.half_open_interval(0.5, 2.0), (4,),
                           ("biject_to", "transform_to")),
    "unit_interval": (lambda C: C.unit_interval, (4,), ("biject_to", "transform_to")),
    "simplex": (lambda C: C.simplex, (2, 4), ("biject_to", "transform_to")),
    "lower_cholesky": (lambda C: C.lower_cholesky, (2, 3, 3), ("transform_to",)),
    "positive_definite": (lambda C: C.positive_definite, (2, 3, 3), ("transform_to",)),
    "positive_semidefinite": (lambda C: C.positive_semidefinite, (3, 3), ("transform_to",)),
    "corr_cholesky": (lambda C: C.corr_cholesky, (2, 3, 3), ("biject_to", "transform_to")),
    "independent": (lambda C: C.independent(C.positive, 2), (2, 3),
                    ("biject_to", "transform_to")),
    "cat": (lambda C: C.cat([C.positive, C.interval(0.0, 2.0)], -1, [2, 1]), (4, 3),
            ("biject_to", "transform_to")),
    "stack": (lambda C: C.stack([C.real, C.positive, C.less_than(0.0)], 0), (3, 2),
              ("biject_to", "transform_to")),
}


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_registry_round_trips_match_torch(name: str, registry: str) -> None:
    make, shape, registries = CONSTRAINTS[name]
    got_c = make(tenkai.distributions.constraints)
    want_c = make(torch.distributions.constraints)
    got_reg = getattr(tenkai.distributions, registry)
    want_reg = getattr(torch.distributions, registry)
    if registry not in registries:
        for reg, c in ((got_reg, got_c), (want_reg, want_c)):
            with pytest.raises(NotImplementedError, match="Cannot transform"):
                reg(c)
        return
    got_t, want_t = got_reg(got_c), want_reg(want_c)
    assert repr(got_t) == repr(want_t) and type(got_t).__name__ == type(want_t).__name__
    x = RNG.standard_normal(tuple(want_t.inverse_shape(shape)))
    gx, wx = _t(tenkai, x), _t(torch, x)
    gy, wy = got_t(gx), want_t(wx)
    np.testing.assert_allclose(_np(gy), _np(wy), rtol=1e-12, atol=1e-14)
    assert np.all(_np(got_c.check(gy))), f"{name}: the image is outside the constraint"
    np.testing.assert_allclose(_np(got_t(got_t.inv(gy))), _np(gy), rtol=1e-9, atol=1e-12)
    if got_t.bijective:
        np.testing.assert_allclose(_np(got_t.inv(gy)), x, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(_np(got_t.log_abs_det_jacobian(gx, gy)),
                                   _np(want_t.log_abs_det_jacobian(wx, wy)), rtol=1e-9,
                                   atol=1e-12)


def test_constraint_registry_register() -> None:
    for lib in (tenkai, torch):
        D = lib.distributions
        registry = D.constraint_registry.ConstraintRegistry()
        with pytest.raises(NotImplementedError, match="Cannot transform _Real constraints"):
            registry(D.constraints.real)
        registry.register(D.constraints.real, lambda c, D=D: D.ExpTransform())
        assert isinstance(registry(D.constraints.real), D.ExpTransform)

        @registry.register(D.constraints.interval)
        def _factory(c: Any, D: Any = D) -> Any:
            return D.AffineTransform(c.lower_bound, 1.0)

        assert registry(D.constraints.interval(2.0, 3.0)).loc == 2.0
        with pytest.raises(TypeError, match="Expected constraint to be either"):
            registry.register(int, _factory)


def test_new_constraints_check_like_torch() -> None:
    corr = RNG.standard_normal((3, 3, 3))
    factors = np.tril(corr)
    factors[0] /= np.linalg.norm(factors[0], axis=-1, keepdims=True)
    factors[1, 2, 2] = 0.0  # a zero on the diagonal: not a Cholesky factor
    psd = np.stack([np.ones((3, 3)), -np.eye(3), corr[2] @ corr[2].T])
    mixed = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 2.0]])
    for value, make in [(factors, lambda C: C.corr_cholesky),
                        (psd, lambda C: C.positive_semidefinite),
                        (mixed, lambda C: C.cat([C.positive, C.interval(0.0, 1.0)], 1,
                                                [2, 1])),
                        (mixed, lambda C: C.stack([C.real, C.positive], 0)),
                        (mixed, lambda C: C.MixtureSameFamilyConstraint(C.positive)),
                        (psd, lambda C: C.MixtureSameFamilyConstraint(C.real_vector))]:
        got = make(tenkai.distributions.constraints).check(_t(tenkai, value))
        want = make(torch.distributions.constraints).check(_t(torch, value))
        np.testing.assert_array_equal(_np(got), _np(want))
        got_c, want_c = make(tenkai.distributions.constraints), \
            make(torch.distributions.constraints)
        assert (got_c.event_dim, got_c.is_discrete) == (want_c.event_dim, want_c.is_discrete)
        assert repr(got_c) == repr(want_c)


def test_mixture_support_is_the_mixture_constraint() -> None:
    reprs = []
    for lib in (tenkai, torch):
        D = lib.distributions
        mix = D.MixtureSameFamily(D.Categorical(lib.ones(2, 3)),
                                  D.Gamma(lib.ones(2, 3), lib.ones(2, 3)))
        check = mix.support.check(lib.tensor([[1.0, -1.0], [0.5, 2.0]]))
        assert check.tolist() == [[True, False], [True, True]]
        reprs.append(repr(mix.support))
    assert reprs[0] == reprs[1] == "MixtureSameFamilyConstraint(GreaterThanEq(lower_bound=0.0))"


def _lowrank(D: Any, t: Any, shift: float) -> Any:
    return D.LowRankMultivariateNormal(t([[0.1, -0.3, 0.2], [0.4, 0.0, shift]]),
                                       t([[[0.5, 0.1], [-0.2, 0.3], [0.1, 0.7]]]),
                                       t([0.8, 1.2, 0.6 + shift]))


def _mvn(D: Any, t: Any) -> Any:
    return D.MultivariateNormal(t([0.2, -0.1, 0.3]),
                                scale_tril=t([[1.1, 0.0, 0.0], [0.2, 0.9, 0.0],
                                              [-0.3, 0.1, 0.7]]))


_P = {
    "cb": lambda D, t: D.ContinuousBernoulli(t([0.2, 0.5, 0.7])),
    "cb_logits": lambda D, t: D.ContinuousBernoulli(logits=t([-1.0, 0.3, 2.0])),
    "beta": lambda D, t: D.Beta(t([1.5, 2.5, 0.8]), t([0.9, 1.8, 2.2])),
    "uniform": lambda D, t: D.Uniform(t([0.2, 0.0, 0.3]), t([0.5, 0.6, 1.2])),
    "exponential": lambda D, t: D.Exponential(t([0.8, 1.7, 1.1])),
    "normal": lambda D, t: D.Normal(t([0.3, -0.2, 0.1]), t([0.8, 1.3, 0.5])),
    "gamma": lambda D, t: D.Gamma(t([1.5, 2.5, 0.7]), t([0.9, 1.8, 1.1])),
    "pareto": lambda D, t: D.Pareto(t([1.2, 0.9, 1.0]), t([3.5, 4.5, 2.0])),
    "lowrank": lambda D, t: _lowrank(D, t, 0.0),
    "mvn": _mvn,
    "wishart": lambda D, t: D.Wishart(t(4.5), covariance_matrix=t([[1.0, 0.2], [0.2, 0.8]])),
}
_Q = {
    "cb": lambda D, t: D.ContinuousBernoulli(t([0.6, 0.3, 0.4999])),
    "exponential": lambda D, t: D.Exponential(t([1.3, 0.6, 2.0])),
    "normal": lambda D, t: D.Normal(t([-0.1, 0.5, 0.2]), t([1.2, 0.9, 0.7])),
    "uniform": lambda D, t: D.Uniform(t([-0.5, 0.2, 0.0]), t([1.5, 0.9, 1.0])),
    "pareto": lambda D, t: D.Pareto(t([1.0, 1.1, 0.5]), t([2.5, 3.0, 1.5])),
    "lowrank": lambda D, t: _lowrank(D, t, 0.25),
    "mvn": _mvn,
    "wishart": lambda D, t: D.Wishart(t(3.5), scale_tril=t([[1.2, 0.0], [0.1, 0.7]])),
}
KL_PAIRS = [("cb", "cb"), ("cb_logits", "cb"), ("beta", "cb"), ("uniform", "cb"),
            ("cb", "exponential"), ("cb", "normal"), ("cb", "uniform"), ("cb", "pareto"),
            ("exponential", "cb"), ("normal", "cb"), ("gamma", "cb"), ("pareto", "cb"),
            ("lowrank", "lowrank"), ("mvn", "lowrank"), ("lowrank", "mvn"),
            ("wishart", "wishart")]


def _kl(lib: Any, p: str, q: str) -> tuple[np.ndarray, list[np.ndarray]]:
    made: list[Any] = []

    def t(values: Any) -> Any:
        made.append(lib.tensor(values, dtype=lib.float64, requires_grad=True))
        return made[-1]

    D = lib.distributions
    kl = D.kl_divergence(_P[p](D, t), _Q[q](D, t))
    finite = kl[kl.isfinite()]
    if finite.numel():
        finite.sum().backward()
    return _np(kl), [np.zeros(x.shape) if x.grad is None else x.grad.numpy() for x in made]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda pair: "-".join(pair))
def test_kl_divergence_matches_torch(pair: tuple[str, str]) -> None:
    got, got_grads = _kl(tenkai, *pair)
    want, want_grads = _kl(torch, *pair)
    tol = {"rtol": 1e-7, "atol": 1e-9}
    np.testing.assert_allclose(got, want, **tol)
    for g, w in zip(got_grads, want_grads, strict=True):
        np.testing.assert_allclose(g, w, **tol)


def test_batched_bregman_kl_is_per_batch_entry() -> None:
    """A batch of Wisharts: each entry's KL is that of the pair alone (PyTorch's Bregman KL
    sums the trailing dims of each natural parameter term, which for a batched df also sums
    over the batch; tenkai sums only each parameter's own dims)."""
    D = tenkai.distributions
    t = lambda v: tenkai.tensor(v, dtype=tenkai.float64)  # noqa: E731
    covs = [[[1.0, 0.2], [0.2, 0.8]], [[2.0, -0.3], [-0.3, 0.5]]]
    trils = [[[1.2, 0.0], [0.1, 0.7]], [[0.9, 0.0], [-0.4, 1.1]]]
    batched = D.kl_divergence(D.Wishart(t([4.5, 6.0]), covariance_matrix=t(covs)),
                              D.Wishart(t([3.5, 8.0]), scale_tril=t(trils)))
    for i, (df_p, df_q) in enumerate([(4.5, 3.5), (6.0, 8.0)]):
        want = torch.distributions.kl_divergence(
            torch.distributions.Wishart(torch.tensor(df_p, dtype=torch.float64),
                                        covariance_matrix=torch.tensor(covs[i])),
            torch.distributions.Wishart(torch.tensor(df_q, dtype=torch.float64),
                                        scale_tril=torch.tensor(trils[i])))
        assert batched[i].item() == pytest.approx(want.item(), rel=1e-6)  # lgamma: ~1e-8


def test_kl_errors_match_torch() -> None:
    for lib in (tenkai, torch):
        D = lib.distributions
        t = lambda v, lib=lib: lib.tensor(v, dtype=lib.float64)  # noqa: E731
        with pytest.raises(NotImplementedError, match="different exponential families"):
            D.kl_divergence(_P["wishart"](D, t), _P["cb"](D, t))
        small = D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [0.5]]), t([1.0, 1.0]))
        with pytest.raises(ValueError, match="different event shapes"):
            D.kl_divergence(small, _lowrank(D, t, 0.0))
