"""``torch.optim.swa_utils`` on tenkai against PyTorch 2.13: AveragedModel (SWA mean, EMA by
avg_fn and multi_avg_fn, averaged buffers), SWALR's lr schedule, update_bn's recomputed
BatchNorm statistics, printing and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

X = np.sin(np.arange(30.0)).reshape(10, 3)


def _averaged(lib, kind, model):
    su = lib.optim.swa_utils
    return {"swa": lambda: su.AveragedModel(model),
            "ema": lambda: su.AveragedModel(model, avg_fn=su.get_ema_avg_fn(0.9)),
            "ema_multi": lambda: su.AveragedModel(model,
                                                  multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
            "swa_multi": lambda: su.AveragedModel(model, multi_avg_fn=su.get_swa_multi_avg_fn()),
            "buffers": lambda: su.AveragedModel(model, use_buffers=True)}[kind]()


def _run(lib, kind, strategy):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4, dtype=lib.float64),
                              lib.nn.BatchNorm1d(4, dtype=lib.float64),
                              lib.nn.Linear(4, 2, dtype=lib.float64))
    with lib.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.cos(np.arange(p.numel()) * 0.7 + k).reshape(tuple(p.shape))))
    averaged = _averaged(lib, kind, model)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3,
                                      anneal_strategy=strategy)
    x = lib.tensor(X)
    lrs = []
    for _ in range(6):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        averaged.update_parameters(model)
        sched.step()
        lrs.append(sched.get_last_lr())
    lib.optim.swa_utils.update_bn([x[:5], (x[5:], None)], averaged)
    state = {k: v.detach().numpy().copy() for k, v in averaged.state_dict().items()}
    return state, lrs, averaged.module[1].momentum, averaged.training


@pytest.mark.parametrize("kind,strategy", [("swa", "cos"), ("ema", "linear"),
                                           ("ema_multi", "cos"), ("swa_multi", "linear"),
                                           ("buffers", "cos")])
def test_averaged_weights_schedule_and_bn_statistics_follow_pytorch(kind, strategy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (ts, tl, tm, tt), (ks, kl, km, kt) = _run(torch, kind, strategy), \
            _run(tenkai, kind, strategy)
    assert list(ks) == list(ts)
    for key in ts:
        np.testing.assert_allclose(ks[key], ts[key], rtol=1e-12, atol=1e-14, err_msg=key)
    np.testing.assert_allclose(kl, tl, rtol=1e-14)
    assert (km, kt) == (tm, tt)


def test_printing_and_errors_as_pytorch():
    for lib in (torch, tenkai):
        su = lib.optim.swa_utils
        assert repr(su.AveragedModel(lib.nn.Linear(2, 2))) == (
            "AveragedModel(\n  (module): Linear(in_features=2, out_features=2, bias=True)\n)")
        opt = lib.optim.SGD(lib.nn.Linear(2, 2).parameters(), lr=0.1)
        with pytest.raises(ValueError, match="anneal_strategy must be one of"):
            su.SWALR(opt, 0.05, anneal_strategy="step")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            su.SWALR(opt, 0.05, anneal_epochs=-1)
        with pytest.raises(ValueError, match="Invalid decay value 1.5"):
            su.get_ema_multi_avg_fn(1.5)


def test_batchnorm_reset_running_stats_and_parameters():
    for lib in (torch, tenkai):
        bn = lib.nn.BatchNorm1d(3)
        bn(lib.tensor(X[:, :3], dtype=lib.float32) * 5)
        with lib.no_grad():
            bn.weight.fill_(2.0)
        bn.reset_running_stats()
        assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
        assert bn.num_batches_tracked.item() == 0 and bn.weight.tolist() == [2.0] * 3
        bn.reset_parameters()
        assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
