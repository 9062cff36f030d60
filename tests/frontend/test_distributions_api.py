"""tenkai.distributions' shapes, printing and errors equal torch.distributions': batch,
event and sample shapes (and ``expand``), reprs, the ValueError messages of argument and
sample validation, ``validate_args`` switches and the constraints' reprs and checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

BUILDERS = {
    "normal_scalar": lambda lib, D: D.Normal(0.0, 1.0),
    "normal": lambda lib, D: D.Normal(lib.zeros(2, 3), lib.ones(3)),
    "uniform": lambda lib, D: D.Uniform(lib.zeros(3), 2.0),
    "laplace": lambda lib, D: D.Laplace(lib.zeros(2), lib.ones(2)),
    "exponential": lambda lib, D: D.Exponential(lib.ones(4)),
    "bernoulli": lambda lib, D: D.Bernoulli(probs=lib.full((2, 1), 0.3)),
    "categorical": lambda lib, D: D.Categorical(logits=lib.zeros(2, 5)),
    "categorical_1d": lambda lib, D: D.Categorical(probs=lib.ones(5)),
    "one_hot": lambda lib, D: D.OneHotCategorical(probs=lib.ones(3, 4)),
    "mvn": lambda lib, D: D.MultivariateNormal(lib.zeros(2, 3), lib.eye(3)),
    "mvn_batched_tril": lambda lib, D: D.MultivariateNormal(
        lib.zeros(3), scale_tril=lib.eye(3).expand(4, 3, 3)),
    "gamma_scalar": lambda lib, D: D.Gamma(1.0, 2.0),
    "gamma": lambda lib, D: D.Gamma(lib.ones(2, 3), 2.0),
    "beta": lambda lib, D: D.Beta(lib.ones(2), lib.full((3, 1), 2.0)),
    "dirichlet": lambda lib, D: D.Dirichlet(lib.ones(2, 4)),
    "independent": lambda lib, D: D.Independent(D.Normal(lib.zeros(2, 3), 1.0), 1),
    "independent_2": lambda lib, D: D.Independent(D.Normal(lib.zeros(2, 3, 4), 1.0), 2),
}


def _both(name: str) -> tuple[Any, Any]:
    return (BUILDERS[name](tenkai, tenkai.distributions),
            BUILDERS[name](torch, torch.distributions))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_shapes_and_repr_match_torch(name: str) -> None:
    ours, theirs = _both(name)
    assert repr(ours) == repr(theirs)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours.batch_shape) == repr(theirs.batch_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    assert repr(ours.support) == repr(theirs.support)
    for sample_shape in [(), (5,), (2, 3)]:
        s = ours.sample(sample_shape)
        assert tuple(s.shape) == tuple(theirs.sample(sample_shape).shape)
        assert s.dtype.is_floating_point == theirs.sample().dtype.is_floating_point
        assert tuple(ours.log_prob(s).shape) == tuple(theirs.log_prob(
            theirs.sample(sample_shape)).shape)
    assert tuple(ours.entropy().shape) == tuple(theirs.entropy().shape)


@pytest.mark.parametrize("name", ["normal_scalar", "normal", "uniform", "bernoulli",
                                  "categorical", "one_hot", "mvn", "independent",
                                  "exponential", "laplace", "gamma", "beta", "dirichlet"])
def test_expand_matches_torch(name: str) -> None:
    ours, theirs = _both(name)
    new_batch = (4,) + tuple(theirs.batch_shape)
    big_ours, big_theirs = ours.expand(new_batch), theirs.expand(new_batch)
    assert type(big_ours).__name__ == type(big_theirs).__name__
    assert tuple(big_ours.batch_shape) == tuple(big_theirs.batch_shape)
    assert tuple(big_ours.event_shape) == tuple(big_theirs.event_shape)
    assert tuple(big_ours.sample((2,)).shape) == tuple(big_theirs.sample((2,)).shape)
    np.testing.assert_allclose(big_ours.entropy().numpy(), big_theirs.entropy().numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("name", ["bernoulli", "categorical", "one_hot"])
def test_enumerate_support_matches_torch(name: str) -> None:
    ours, theirs = _both(name)
    for expand in (True, False):
        np.testing.assert_array_equal(ours.enumerate_support(expand).numpy(),
                                      theirs.enumerate_support(expand).numpy())


ERRORS = {
    "negative_scale": lambda lib, D: D.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    "nan_loc": lambda lib, D: D.Normal(lib.tensor([float("nan")]), 1.0),
    "uniform_order": lambda lib, D: D.Uniform(1.0, 0.0),
    "probs_not_simplex": lambda lib, D: D.Categorical(probs=lib.tensor([0.5, -0.1])),
    "neither_probs_nor_logits": lambda lib, D: D.Bernoulli(),
    "both_probs_and_logits": lambda lib, D: D.Categorical(lib.ones(2), lib.ones(2)),
    "scalar_probs": lambda lib, D: D.Categorical(lib.tensor(0.5)),
    "bernoulli_probs_range": lambda lib, D: D.Bernoulli(lib.tensor([1.5])),
    "value_not_tensor": lambda lib, D: D.Normal(0.0, 1.0).log_prob(1.0),
    "value_not_broadcastable": lambda lib, D: D.Normal(lib.zeros(2), 1.0).log_prob(
        lib.zeros(3)),
    "value_event_shape": lambda lib, D: D.MultivariateNormal(lib.zeros(2), lib.eye(2))
    .log_prob(lib.zeros(3)),
    "value_outside_support": lambda lib, D: D.Bernoulli(0.5).log_prob(lib.tensor(2.0)),
    "category_outside_support": lambda lib, D: D.Categorical(lib.ones(3)).log_prob(
        lib.tensor(3)),
    "negative_exponential_value": lambda lib, D: D.Exponential(1.0).log_prob(
        lib.tensor(-1.0)),
    "independent_ndims": lambda lib, D: D.Independent(D.Normal(0.0, 1.0), 1),
    "mvn_no_matrix": lambda lib, D: D.MultivariateNormal(lib.zeros(2)),
    "mvn_scalar_loc": lambda lib, D: D.MultivariateNormal(lib.tensor(0.0), lib.eye(1)),
    "mvn_not_positive_definite": lambda lib, D: D.MultivariateNormal(
        lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "mvn_bad_tril": lambda lib, D: D.MultivariateNormal(
        lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.0], [0.5, -1.0]])),
    "gamma_rate": lambda lib, D: D.Gamma(lib.ones(2), lib.tensor([1.0, 0.0])),
    "dirichlet_scalar": lambda lib, D: D.Dirichlet(lib.tensor(1.0)),
    "beta_value": lambda lib, D: D.Beta(2.0, 2.0).log_prob(lib.tensor(1.5)),
    "set_default_validate_args": lambda lib, D: D.Distribution.set_default_validate_args(3),
}


def _error(lib: Any, name: str) -> tuple[type, str]:
    # argument validation on, whatever another test of this worker left as the default
    D = lib.distributions.Distribution
    before = D._validate_args
    D.set_default_validate_args(True)
    try:
        with pytest.raises(Exception) as info:  # noqa: PT011 - the type is compared below
            ERRORS[name](lib, lib.distributions)
    finally:
        D.set_default_validate_args(before)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name: str) -> None:
    ours, theirs = _error(tenkai, name), _error(torch, name)
    assert ours[0].__name__ == theirs[0].__name__ == "ValueError"
    assert ours[1] == theirs[1]


def test_validate_args_off_skips_the_checks() -> None:
    D = tenkai.distributions
    dist = D.Normal(tenkai.tensor([0.0]), tenkai.tensor([-1.0]), validate_args=False)
    assert dist.log_prob(tenkai.tensor([0.0])).isnan().all()
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(tenkai.tensor([1.5]))  # not checked
        assert D.Bernoulli(0.5, validate_args=True)._validate_args
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="GreaterThan"):
        D.Normal(0.0, -1.0)


def test_constraints_reprs_and_checks_match_torch() -> None:
    names = ["real", "positive", "nonnegative", "unit_interval", "simplex", "boolean",
             "real_vector", "lower_cholesky", "positive_definite", "nonnegative_integer",
             "positive_integer", "one_hot", "lower_triangular", "dependent", "square",
             "symmetric"]
    values = np.array([[0.2, 0.8], [-1.0, 2.0], [1.0, 0.0], [0.5, float("nan")]])
    for name in names:
        ours, theirs = (getattr(tenkai.distributions.constraints, name),
                        getattr(torch.distributions.constraints, name))
        assert repr(ours) == repr(theirs)
        if name == "dependent":
            continue
        assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete
        if name in ("lower_cholesky", "positive_definite"):
            continue
        np.testing.assert_array_equal(ours.check(tenkai.tensor(values)).numpy(),
                                      theirs.check(torch.tensor(values)).numpy(), err_msg=name)
    C, TC = tenkai.distributions.constraints, torch.distributions.constraints
    matrices = np.array([np.eye(2), [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.5, -1.0]],
                         [[2.0, 0.0], [1.0, 1.0]], [[2.0, 0.5], [0.5, 1.0]]])
    for name in ["lower_cholesky", "positive_definite", "lower_triangular", "symmetric",
                 "square"]:
        np.testing.assert_array_equal(
            getattr(C, name).check(tenkai.tensor(matrices)).numpy(),
            getattr(TC, name).check(torch.tensor(matrices)).numpy(), err_msg=name)
    for ours, theirs in [(C.interval(0, 1), TC.interval(0, 1)),
                         (C.greater_than(1.5), TC.greater_than(1.5)),
                         (C.half_open_interval(0, 1), TC.half_open_interval(0, 1)),
                         (C.integer_interval(0, 3), TC.integer_interval(0, 3)),
                         (C.independent(C.positive, 1), TC.independent(TC.positive, 1))]:
        assert repr(ours) == repr(theirs)
        np.testing.assert_array_equal(ours.check(tenkai.tensor(values)).numpy(),
                                      theirs.check(torch.tensor(values)).numpy())
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="dependent"):
        C.dependent.check(tenkai.zeros(1))


def test_reachable_as_torch_distributions() -> None:
    import tenkai.distributions as distributions
    from tenkai.distributions.normal import Normal

    assert tenkai.distributions is distributions and distributions.Normal is Normal
    assert issubclass(Normal, distributions.Distribution)
