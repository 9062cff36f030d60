"""tenkai.nn.init and the layers' default initialization against PyTorch's formulas.

Every initializer fills a large tensor; its sample mean, standard deviation and range must
match the distribution PyTorch's formula gives (gain, fan_in/fan_out) within statistical
tolerance, and the same statistics of torch's own draw must match too, so the formula under
test is PyTorch's. ``calculate_gain`` and the fan computation are compared value for value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

SQRT3 = math.sqrt(3.0)


def _sample(M: Any, shape: tuple[int, ...], init: Any, seed: int = 0) -> np.ndarray:
    M.manual_seed(seed)
    t = M.empty(*shape)
    out = init(M, t)
    assert out is t  # initializers work in place and return their argument
    return t.numpy().astype(np.float64)


def check_distribution(values: np.ndarray, *, mean: float, std: float,
                       low: float | None = None, high: float | None = None,
                       uniform: bool = False) -> None:
    """Sample mean/std within 6 standard errors; uniform draws reach close to both bounds."""
    n = values.size
    assert abs(values.mean() - mean) <= 6 * std / math.sqrt(n) + 1e-12, "mean"
    kurtosis = 1.8 if uniform else 3.0  # the std estimate's error grows with the kurtosis
    rel = 6 * math.sqrt((kurtosis - 1) / (4 * n))
    assert abs(values.std() - std) <= rel * std + 1e-12, f"std {values.std()} vs {std}"
    if low is not None:
        assert values.min() >= low
    if high is not None:
        assert values.max() <= high
    if uniform and low is not None and high is not None:
        slack = 20 * (high - low) / n
        assert values.min() <= low + slack and values.max() >= high - slack


def check_both(shape: tuple[int, ...], init: Any, **expect: Any) -> None:
    for M in (tenkai, torch):
        check_distribution(_sample(M, shape, init), **expect)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


# ---------------------------------------------------------------- calculate_gain and fans

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize(("name", "param"), GAINS, ids=[f"{n}-{p}" for n, p in GAINS])
def test_calculate_gain_matches_torch(name: str, param: Any) -> None:
    got = tenkai.nn.init.calculate_gain(name, param)
    want = torch.nn.init.calculate_gain(name, param)
    assert got == want and repr(got) == repr(want)


@pytest.mark.parametrize(("name", "param"), [("foo", None), ("leaky_relu", True),
                                             ("leaky_relu", "0.1")])
def test_calculate_gain_errors_match_torch(name: str, param: Any) -> None:
    with pytest.raises(ValueError) as want:
        torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError) as got:
        tenkai.nn.init.calculate_gain(name, param)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("shape", [(3, 5), (16, 3, 5, 5), (8, 4, 7), (2, 3, 4, 5, 6)])
def test_fan_in_and_fan_out_match_torch(shape: tuple[int, ...]) -> None:
    got = tenkai.nn.init._calculate_fan_in_and_fan_out(tenkai.empty(*shape))
    assert got == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert got == fans(shape)


def _errors(fn: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as err:  # noqa: PT011 - compared below
        fn()
    return type(err.value), str(err.value)


@pytest.mark.parametrize("case", ["fan_1d", "mode", "eye_3d"])
def test_init_errors_match_torch(case: str) -> None:
    def run(M: Any) -> tuple[type, str]:
        init = M.nn.init
        fn = {"fan_1d": lambda: init.xavier_uniform_(M.empty(5)),
              "mode": lambda: init.kaiming_normal_(M.empty(3, 4), mode="fan_avg"),
              "eye_3d": lambda: init.eye_(M.empty(2, 2, 2))}[case]
        return _errors(fn)

    assert run(tenkai) == run(torch)


def test_zero_element_tensor_warns_and_is_left_alone() -> None:
    for M in (tenkai, torch):
        t = M.empty(0, 3)
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            assert M.nn.init.kaiming_uniform_(t) is t


# ---------------------------------------------------------------- the initializers

SHAPE = (400, 500)
CONV = (64, 32, 3, 3)


def test_uniform() -> None:
    check_both(SHAPE, lambda M, t: M.nn.init.uniform_(t, -0.5, 2.0), mean=0.75,
               std=2.5 / math.sqrt(12), low=-0.5, high=2.0, uniform=True)
    check_both(SHAPE, lambda M, t: M.nn.init.uniform_(t), mean=0.5, std=1 / math.sqrt(12),
               low=0.0, high=1.0, uniform=True)


def test_normal() -> None:
    check_both(SHAPE, lambda M, t: M.nn.init.normal_(t, mean=1.5, std=0.2), mean=1.5, std=0.2)
    check_both(SHAPE, lambda M, t: M.nn.init.normal_(t), mean=0.0, std=1.0)


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
@pytest.mark.parametrize("shape", [SHAPE, CONV], ids=["linear", "conv"])
def test_xavier_uniform(shape: tuple[int, ...], gain: float) -> None:
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    check_both(shape, lambda M, t: M.nn.init.xavier_uniform_(t, gain=gain), mean=0.0,
               std=bound / SQRT3, low=-bound, high=bound, uniform=True)


@pytest.mark.parametrize("gain", [1.0, math.sqrt(2.0)])
@pytest.mark.parametrize("shape", [SHAPE, CONV], ids=["linear", "conv"])
def test_xavier_normal(shape: tuple[int, ...], gain: float) -> None:
    fan_in, fan_out = fans(shape)
    check_both(shape, lambda M, t: M.nn.init.xavier_normal_(t, gain),
               mean=0.0, std=gain * math.sqrt(2.0 / (fan_in + fan_out)))


KAIMING = [(0.0, "fan_in", "relu"), (0.0, "fan_out", "relu"), (math.sqrt(5), "fan_in",
                                                                  "leaky_relu"),
           (0.2, "fan_out", "leaky_relu"), (0.0, "fan_in", "tanh"), (0.0, "fan_in", "linear")]


@pytest.mark.parametrize(("a", "mode", "nonlinearity"), KAIMING,
                         ids=[f"{m}-{n}-{a:.2f}" for a, m, n in KAIMING])
@pytest.mark.parametrize("shape", [SHAPE, CONV], ids=["linear", "conv"])
def test_kaiming(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> None:
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    std = tenkai.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    check_both(shape, lambda M, t: M.nn.init.kaiming_uniform_(
        t, a=a, mode=mode, nonlinearity=nonlinearity), mean=0.0, std=std, low=-SQRT3 * std,
        high=SQRT3 * std, uniform=True)
    check_both(shape, lambda M, t: M.nn.init.kaiming_normal_(
        t, a=a, mode=mode, nonlinearity=nonlinearity), mean=0.0, std=std)


def test_constant_zeros_ones_eye_match_torch() -> None:
    for fn in (lambda M, t: M.nn.init.constant_(t, 0.3), lambda M, t: M.nn.init.zeros_(t),
               lambda M, t: M.nn.init.ones_(t), lambda M, t: M.nn.init.eye_(t)):
        np.testing.assert_array_equal(_sample(tenkai, (3, 5), fn), _sample(torch, (3, 5), fn))


def test_initializers_keep_parameters_leaf_and_untracked() -> None:
    p = tenkai.nn.Parameter(tenkai.empty(20, 30))
    for fn in (tenkai.nn.init.xavier_uniform_, tenkai.nn.init.kaiming_normal_,
               tenkai.nn.init.zeros_, tenkai.nn.init.eye_, tenkai.nn.init.normal_):
        assert fn(p) is p
        assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_generator_argument_makes_draws_reproducible() -> None:
    draws = []
    for _ in range(2):
        g = tenkai.Generator().manual_seed(7)
        draws.append(tenkai.nn.init.xavier_uniform_(tenkai.empty(4, 6), generator=g).numpy())
    np.testing.assert_array_equal(*draws)


# ---------------------------------------------------------------- layers' default initialization


def _param(M: Any, make: Any, name: str, seed: int = 0) -> np.ndarray:
    M.manual_seed(seed)
    module = make(M)
    return dict(module.state_dict())[name].numpy().astype(np.float64)


def check_layer(make: Any, name: str, **expect: Any) -> None:
    for M in (tenkai, torch):
        check_distribution(_param(M, make, name), **expect)


def check_uniform_layer(make: Any, name: str, bound: float) -> None:
    check_layer(make, name, mean=0.0, std=bound / SQRT3, low=-bound, high=bound, uniform=True)


@pytest.mark.parametrize(("in_f", "out_f"), [(50, 400), (784, 128)])
def test_linear_default_init(in_f: int, out_f: int) -> None:
    bound = 1 / math.sqrt(in_f)  # kaiming_uniform_(a=sqrt(5)) gives exactly this bound
    check_uniform_layer(lambda M: M.nn.Linear(in_f, out_f), "weight", bound)
    check_uniform_layer(lambda M: M.nn.Linear(in_f, 3000), "bias", bound)


def test_conv_default_init() -> None:
    bound = 1 / math.sqrt(3 * 5 * 5)
    check_uniform_layer(lambda M: M.nn.Conv2d(3, 256, 5), "weight", bound)
    check_uniform_layer(lambda M: M.nn.Conv2d(3, 3000, 5), "bias", bound)
    bound = 1 / math.sqrt(4 * 3 // 2)
    check_uniform_layer(lambda M: M.nn.Conv1d(4, 2000, 3, groups=2), "weight", bound)
    check_uniform_layer(lambda M: M.nn.Conv1d(4, 3000, 3, groups=2), "bias", bound)


def test_embedding_default_init() -> None:
    check_layer(lambda M: M.nn.Embedding(1000, 100), "weight", mean=0.0, std=1.0)
    for M in (tenkai, torch):
        weight = _param(M, lambda M: M.nn.Embedding(10, 4, padding_idx=3), "weight")
        assert (weight[3] == 0).all() and (weight[:3] != 0).all()


def test_norm_layers_start_as_identity() -> None:
    for M in (tenkai, torch):
        for bn in (M.nn.BatchNorm1d(5), M.nn.BatchNorm2d(5)):
            state = bn.state_dict()
            np.testing.assert_array_equal(state["weight"].numpy(), np.ones(5, np.float32))
            np.testing.assert_array_equal(state["bias"].numpy(), np.zeros(5, np.float32))
            np.testing.assert_array_equal(state["running_mean"].numpy(), np.zeros(5, np.float32))
            np.testing.assert_array_equal(state["running_var"].numpy(), np.ones(5, np.float32))
            assert state["num_batches_tracked"].numpy().dtype == np.int64
            assert state["num_batches_tracked"].item() == 0
        ln = M.nn.LayerNorm((2, 3))
        np.testing.assert_array_equal(ln.weight.detach().numpy(), np.ones((2, 3), np.float32))
        np.testing.assert_array_equal(ln.bias.detach().numpy(), np.zeros((2, 3), np.float32))


def test_prelu_default_init() -> None:
    for M in (tenkai, torch):
        np.testing.assert_array_equal(M.nn.PReLU().weight.detach().numpy(),
                                      np.array([0.25], np.float32))
        np.testing.assert_array_equal(M.nn.PReLU(3, init=0.1).weight.detach().numpy(),
                                      np.full(3, 0.1, np.float32))


def test_multihead_attention_default_init() -> None:
    e = 64
    check_uniform_layer(lambda M: M.nn.MultiheadAttention(e, 4), "in_proj_weight",
                        math.sqrt(6.0 / (e + 3 * e)))  # xavier_uniform_ on (3E, E)
    check_uniform_layer(lambda M: M.nn.MultiheadAttention(e, 4), "out_proj.weight",
                        1 / math.sqrt(e))  # the Linear default
    for M in (tenkai, torch):
        mha = M.nn.MultiheadAttention(e, 4)
        assert not mha.in_proj_bias.detach().numpy().any()
        assert not mha.out_proj.bias.detach().numpy().any()


def test_adaptive_log_softmax_default_init() -> None:
    check_uniform_layer(lambda M: M.nn.AdaptiveLogSoftmaxWithLoss(256, 1000, [100, 500]),
                        "head.weight", 1 / math.sqrt(256))
    check_uniform_layer(lambda M: M.nn.AdaptiveLogSoftmaxWithLoss(256, 1000, [100, 500]),
                        "tail.0.1.weight", 1 / math.sqrt(64))


def test_reset_parameters_redraws() -> None:
    layer = tenkai.nn.Linear(30, 40)
    before = layer.weight.detach().numpy().copy()
    layer.reset_parameters()
    after = layer.weight.detach().numpy()
    assert not np.array_equal(before, after)
    assert np.abs(after).max() <= 1 / math.sqrt(30)


# ---------------------------------------------------------------- trunc_normal_, orthogonal_, ...


def _truncated_normal_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    def pdf(x: float) -> float:
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    def cdf(x: float) -> float:
        return (1 + math.erf(x / math.sqrt(2))) / 2

    alpha, beta = (a - mean) / std, (b - mean) / std
    z = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - shift**2
    return mean + std * shift, std * math.sqrt(var)


@pytest.mark.parametrize(("mean", "std", "a", "b"),
                         [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (0.3, 0.5, -0.6, 0.8)])
def test_trunc_normal(mean: float, std: float, a: float, b: float) -> None:
    want_mean, want_std = _truncated_normal_moments(mean, std, a, b)
    check_both(SHAPE, lambda M, t: M.nn.init.trunc_normal_(t, mean, std, a, b), mean=want_mean,
               std=want_std, low=a, high=b)


def test_trunc_normal_warns_when_mean_is_far_from_the_interval() -> None:
    for M in (tenkai, torch):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            M.nn.init.trunc_normal_(M.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize(("shape", "gain"), [((5, 8), 1.0), ((8, 5), 2.0), ((6, 2, 3, 3), 0.5)])
def test_orthogonal(shape: tuple[int, ...], gain: float) -> None:
    for M in (tenkai, torch):
        w = _sample(M, shape, lambda M, t: M.nn.init.orthogonal_(t, gain=gain))
        flat = w.reshape(shape[0], -1)
        gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(gram, gain**2 * np.eye(len(gram)), atol=1e-5)


@pytest.mark.parametrize(("shape", "groups"), [((4, 4, 3), 1), ((4, 2, 3, 3), 2),
                                               ((6, 3, 3, 3, 3), 1)])
def test_dirac_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    def fn(M: Any, t: Any) -> Any:
        return M.nn.init.dirac_(t, groups)

    np.testing.assert_array_equal(_sample(tenkai, shape, fn), _sample(torch, shape, fn))


def test_sparse() -> None:
    for M in (tenkai, torch):
        w = _sample(M, (200, 300), lambda M, t: M.nn.init.sparse_(t, 0.1, std=0.5))
        assert ((w == 0).sum(axis=0) == 20).all()  # ceil(0.1 * 200) zeros per column
        check_distribution(w[w != 0], mean=0.0, std=0.5)


@pytest.mark.parametrize("case", ["orthogonal_1d", "dirac_2d", "dirac_groups", "sparse_3d"])
def test_more_init_errors_match_torch(case: str) -> None:
    def run(M: Any) -> tuple[type, str]:
        init = M.nn.init
        fn = {"orthogonal_1d": lambda: init.orthogonal_(M.empty(5)),
              "dirac_2d": lambda: init.dirac_(M.empty(2, 2)),
              "dirac_groups": lambda: init.dirac_(M.empty(3, 2, 3), groups=2),
              "sparse_3d": lambda: init.sparse_(M.empty(2, 2, 2), 0.5)}[case]
        return _errors(fn)

    assert run(tenkai) == run(torch)


def test_every_torch_initializer_exists() -> None:
    names = [n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_")]
    assert [n for n in names if not callable(getattr(tenkai.nn.init, n, None))] == []
