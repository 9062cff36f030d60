"""The CUDA runtime on a real GPU (libcuda): skipped without one. The same checks as
test_cuda_runtime.py makes on the fake driver, plus what only the driver can say: ptxas
accepts the generated PTX, a CUDA graph captures and replays the launches, events time them."""

from __future__ import annotations

import numpy as np
import pytest
from cuda_fake import linear_model, training_state

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.runtime import cuda as rc
from tenkai.runtime.cuda import CudaError, DeviceArray

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(rc.device_count() == 0,
                                 reason="needs a CUDA driver and an NVIDIA GPU")]


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_compiled_step_on_the_gpu_follows_eager_training(opt_name: str) -> None:
    x, y = tenkai.randn(32, 4096), tenkai.randn(32, 4096)
    eager_params, eager_opt, eager = linear_model(opt_name, 4096)
    params, opt, step = linear_model(opt_name, 4096)
    compiled = tenkai.compile(step, target="cuda")
    for _ in range(5):  # loss, parameters, gradients and optimizer state, step by step
        assert compiled(x, y).item() == pytest.approx(eager(x, y).item(), rel=1e-4)
        for a, b in zip(training_state(params, opt), training_state(eager_params, eager_opt),
                        strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    exe = compiled.steps[0].program.executable
    assert exe.stats["graphs"], exe.stats.get("graphs_off_because")
    assert exe.stats["graph_launches"] >= exe.stats["calls"]
    times = compiled.steps[0].program.measure_kernels(2)
    assert len(times) == len(exe.kernels) and all(t > 0 for _, t in times)


def test_a_failed_check_on_the_gpu_leaves_state_untouched() -> None:
    tenkai.manual_seed(1)
    bn = nn.BatchNorm1d(4)
    w = tenkai.randn(4, requires_grad=True)
    opt = tenkai.optim.SGD([w, *bn.parameters()], lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(bn(x) * w, y)
        loss.backward()
        opt.step()
        return loss

    x, good = tenkai.randn(8, 4), tenkai.randint(0, 4, (8,))
    compiled = tenkai.compile(step, target="cuda")
    for _ in range(3):
        compiled(x, good)
    before = [t.detach().numpy().copy() for t in (bn.running_mean, bn.running_var, w)]
    bad = good.clone()
    bad[2] = 7
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        compiled(x, bad)
    for a, t in zip(before, (bn.running_mean, bn.running_var, w), strict=True):
        np.testing.assert_array_equal(a, t.detach().numpy())


def test_device_arrays_and_driver_errors() -> None:
    ctx = rc.context(0)
    host = np.arange(1000, dtype=np.float32)
    buf = DeviceArray.from_host(ctx, host)
    np.testing.assert_array_equal(buf.copy_to_host(), host)
    buf.zero()
    assert not buf.copy_to_host().any()
    with pytest.raises(CudaError, match=r"CUDA_ERROR_INVALID_(PTX|IMAGE).* in "
                       r"cuModuleLoadDataEx"):
        ctx.driver.load_module(b".version 8.0\n.target sm_80\n.address_size 64\nnot ptx\0")
    assert tenkai.cuda.is_available() and tenkai.cuda.get_device_name()
    tenkai.cuda.synchronize()
