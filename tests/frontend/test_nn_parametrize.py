"""``nn.utils.parametrize``, ``parametrizations.weight_norm/spectral_norm``, the hook-based
``nn.utils.weight_norm/spectral_norm`` and ``nn.utils.prune``, against PyTorch and the math."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tenkai as torch
from tenkai import nn
from tenkai.nn.utils import parametrizations, parametrize, prune

pt = pytest.importorskip("torch", reason="compares against PyTorch")
importlib.import_module("torch.nn.utils.prune")  # PyTorch does not import it by itself


def _pair(in_f: int = 4, out_f: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((out_f, in_f)).astype(np.float32)
    b = rng.standard_normal(out_f).astype(np.float32)
    t, p = nn.Linear(in_f, out_f), pt.nn.Linear(in_f, out_f)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
        t.bias.copy_(torch.tensor(b))
    with pt.no_grad():
        p.weight.copy_(pt.tensor(w))
        p.bias.copy_(pt.tensor(b))
    return t, p


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)


class PSymmetric(pt.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)


def test_register_parametrization_matches_pytorch() -> None:
    t, p = _pair(3, 3)
    parametrize.register_parametrization(t, "weight", Symmetric())
    pt.nn.utils.parametrize.register_parametrization(p, "weight", PSymmetric())
    assert type(t).__name__ == type(p).__name__ == "ParametrizedLinear"
    assert list(t.state_dict()) == list(p.state_dict())
    assert repr(t).replace("Symmetric", "S") == repr(p).replace("PSymmetric", "S")
    np.testing.assert_allclose(t.weight.detach().numpy(), p.weight.detach().numpy())
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    t(torch.tensor(x)).sum().backward()
    p(pt.tensor(x)).sum().backward()
    np.testing.assert_allclose(t.parametrizations.weight.original.grad.numpy(),
                               p.parametrizations.weight.original.grad.numpy(), rtol=1e-6)
    assert parametrize.is_parametrized(t) and parametrize.is_parametrized(t, "weight")
    assert not parametrize.is_parametrized(t, "bias")
    with parametrize.cached():
        assert t.weight is t.weight
    parametrize.remove_parametrizations(t, "weight")
    assert type(t) is nn.Linear and isinstance(t.weight, nn.Parameter)
    np.testing.assert_allclose(t.weight.detach().numpy(), p.weight.detach().numpy())
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(t, "weight")


def test_parametrization_that_changes_shape_needs_unsafe() -> None:
    class Flat(nn.Module):
        def forward(self, x):
            return x.reshape(-1)
    t, _ = _pair()
    with pytest.raises(ValueError, match="may not change the shape or dtype"):
        parametrize.register_parametrization(t, "weight", Flat())
    parametrize.register_parametrization(t, "weight", Flat(), unsafe=True)
    assert t.weight.shape == (12,)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_pytorch(dim) -> None:
    t, p = _pair()
    parametrizations.weight_norm(t, dim=dim)
    pt.nn.utils.parametrizations.weight_norm(p, dim=dim)
    assert list(t.state_dict()) == list(p.state_dict())
    for k in t.state_dict():
        np.testing.assert_allclose(t.state_dict()[k].numpy(), p.state_dict()[k].numpy(),
                                   rtol=1e-6, err_msg=k)
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    t(torch.tensor(x)).pow(2).sum().backward()
    p(pt.tensor(x)).pow(2).sum().backward()
    for (k, a), (_, b) in zip(t.named_parameters(), p.named_parameters(), strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=k)


def test_hook_weight_norm_matches_pytorch_and_removes() -> None:
    t, p = _pair()
    with pytest.warns(FutureWarning, match="deprecated in favor of"):
        nn.utils.weight_norm(t)
    with pytest.warns(FutureWarning):
        pt.nn.utils.weight_norm(p)
    assert sorted(dict(t.named_parameters())) == sorted(dict(p.named_parameters()))
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(t(torch.tensor(x)).detach().numpy(),
                               p(pt.tensor(x)).detach().numpy(), rtol=1e-5)
    t(torch.tensor(x)).sum().backward()
    p(pt.tensor(x)).sum().backward()
    np.testing.assert_allclose(t.weight_g.grad.numpy(), p.weight_g.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(t.weight_v.grad.numpy(), p.weight_v.grad.numpy(), rtol=1e-5,
                               atol=1e-7)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning):
        nn.utils.weight_norm(t)
    nn.utils.remove_weight_norm(t)
    assert sorted(dict(t.named_parameters())) == ["bias", "weight"]


@pytest.mark.parametrize("hooks", [False, True])
def test_spectral_norm_divides_by_the_largest_singular_value(hooks) -> None:
    t, _ = _pair(6, 5)
    w = t.weight.detach().numpy().copy()
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    if hooks:
        nn.utils.spectral_norm(t, n_power_iterations=30)
        assert {"weight_orig"} <= set(dict(t.named_parameters()))
        assert {"weight_u", "weight_v"} <= set(dict(t.named_buffers()))
    else:
        parametrizations.spectral_norm(t, n_power_iterations=30)
    t(torch.randn(2, 6))  # a training-mode forward runs the power iteration
    np.testing.assert_allclose(t.weight.detach().numpy(), w / sigma, rtol=1e-3, atol=1e-5)
    t.eval()
    before = t.weight.detach().numpy().copy()
    t(torch.randn(2, 6))
    np.testing.assert_array_equal(t.weight.detach().numpy(), before)  # eval: no iteration
    if hooks:
        nn.utils.remove_spectral_norm(t)
        assert isinstance(t.weight, nn.Parameter)


def test_prune_l1_and_ln_structured_match_pytorch_masks() -> None:
    t, p = _pair(5, 4)
    prune.l1_unstructured(t, "weight", amount=0.3)
    pt.nn.utils.prune.l1_unstructured(p, "weight", amount=0.3)
    np.testing.assert_array_equal(t.weight_mask.numpy(), p.weight_mask.numpy())
    assert sorted(dict(t.named_buffers())) == sorted(dict(p.named_buffers()))
    assert sorted(dict(t.named_parameters())) == sorted(dict(p.named_parameters()))
    prune.ln_structured(t, "weight", amount=1, n=2, dim=0)  # iterative: combines masks
    pt.nn.utils.prune.ln_structured(p, "weight", amount=1, n=2, dim=0)
    np.testing.assert_array_equal(t.weight_mask.numpy(), p.weight_mask.numpy())
    np.testing.assert_allclose(t.weight.detach().numpy(), p.weight.detach().numpy())
    x = np.random.default_rng(4).standard_normal((3, 5)).astype(np.float32)
    t(torch.tensor(x)).sum().backward()
    p(pt.tensor(x)).sum().backward()
    np.testing.assert_allclose(t.weight_orig.grad.numpy(), p.weight_orig.grad.numpy(),
                               rtol=1e-6)
    assert prune.is_pruned(t)
    prune.remove(t, "weight")
    assert not prune.is_pruned(t) and isinstance(t.weight, nn.Parameter)
    np.testing.assert_allclose(t.weight.detach().numpy(), p.weight.detach().numpy())
    with pytest.raises(ValueError, match="should either be a float in the range"):
        prune.l1_unstructured(t, "weight", amount=1.5)


def test_global_unstructured_prunes_across_layers_like_pytorch() -> None:
    a, pa = _pair(4, 3, seed=5)
    b, pb = _pair(3, 2, seed=6)
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=7)
    pt.nn.utils.prune.global_unstructured([(pa, "weight"), (pb, "weight")],
                                          pruning_method=pt.nn.utils.prune.L1Unstructured,
                                          amount=7)
    np.testing.assert_array_equal(a.weight_mask.numpy(), pa.weight_mask.numpy())
    np.testing.assert_array_equal(b.weight_mask.numpy(), pb.weight_mask.numpy())


def test_compiled_training_of_a_weight_normed_model_follows_eager() -> None:
    def build():
        torch.manual_seed(0)
        m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        parametrizations.weight_norm(m[0])
        return m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    (m1, o1), (m2, o2) = build(), build()

    def step(m, o, x, y):
        o.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss
    compiled = torch.compile(lambda x, y: step(m2, o2, x, y))
    rng = np.random.default_rng(7)
    for _ in range(4):
        x = torch.tensor(rng.standard_normal((6, 4)).astype(np.float32))
        y = torch.tensor(rng.standard_normal((6, 2)).astype(np.float32))
        np.testing.assert_allclose(step(m1, o1, x, y).item(), compiled(x, y).item(), rtol=1e-5)
        for (k, p1), p2 in zip(m1.named_parameters(), m2.parameters(), strict=True):
            np.testing.assert_allclose(p1.detach().numpy(), p2.detach().numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=k)
            np.testing.assert_allclose(p1.grad.numpy(), p2.grad.numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=k)
