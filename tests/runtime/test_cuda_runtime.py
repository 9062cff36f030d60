"""The CUDA runtime's logic on a fake driver (tests/runtime/cuda_fake.py: host memory, every
launch run by the GPU simulator): compiled training steps on ``target="cuda"`` follow eager
training, a failed index check leaves device state untouched and skips the later launches,
CUDA graphs replay the launches (or the executable falls back when the driver refuses them),
and device arrays bound as params stay resident."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from cuda_fake import PTX, FakeDriver, install
from cuda_fake import linear_model as _linear_model
from cuda_fake import training_state as _state

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.runtime import cuda as rc
from tenkai.runtime.cuda import CudaError, DeviceArray


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake driver in place of libcuda, and the cuda codegen's PTX recorded for it."""
    yield from install(monkeypatch)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("graphs", [True, False])
def test_compiled_step_on_the_fake_gpu_follows_eager_training(fake_cuda: FakeDriver,
                                                              opt_name: str,
                                                              graphs: bool) -> None:
    fake_cuda.graphs = graphs
    x, y = tenkai.randn(8, 16), tenkai.randn(8, 16)
    eager_params, eager_opt, eager = _linear_model(opt_name)
    params, opt, step = _linear_model(opt_name)
    compiled = tenkai.compile(step, target="cuda")
    for _ in range(4):
        expected = eager(x, y).item()
        assert compiled(x, y).item() == pytest.approx(expected, rel=1e-5)
        for a, b in zip(_state(params, opt), _state(eager_params, eager_opt), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    exe = compiled.steps[0].program.executable
    assert isinstance(exe, rc.CUDAExecutable) and exe.stats["calls"] >= 2
    assert fake_cuda.launched[:len(exe.kernels)] == exe.kernels  # launch table order
    if graphs:
        assert exe.stats["graphs"] and exe.stats["graph_launches"] >= exe.stats["calls"]
        assert exe.stats["launches"] == 0
    else:
        assert not exe.stats["graphs"] and "CUDA_ERROR_STREAM_CAPTURE" in \
            exe.stats["graphs_off_because"]
        assert exe.stats["launches"] == exe.stats["calls"] * len(exe.kernels)


def _bn_step() -> tuple[Any, Any, Any, Any]:
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
    return bn, w, step, tenkai.randn(8, 4)


def test_a_failed_check_leaves_host_state_untouched(fake_cuda: FakeDriver) -> None:
    bn, w, step, x = _bn_step()
    compiled = tenkai.compile(step, target="cuda")
    good = tenkai.randint(0, 4, (8,))
    for _ in range(3):
        compiled(x, good)
    before = [t.detach().numpy().copy() for t in (bn.running_mean, bn.running_var, w)]
    bad = good.clone()
    bad[3] = 10
    with pytest.raises(IndexError, match="Target 10 is out of bounds"):
        compiled(x, bad)
    after = [t.detach().numpy() for t in (bn.running_mean, bn.running_var, w)]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    compiled(x, good)  # and the next good step runs
    assert not np.array_equal(bn.running_mean.numpy(), before[0])


def test_a_failed_check_restores_resident_device_state_and_skips_later_launches(
        fake_cuda: FakeDriver) -> None:
    bn, w, step, x = _bn_step()
    good = tenkai.randint(0, 4, (8,))
    step(x, good)
    native = tenkai.trace(step, x, good).lower(target="cuda").compile().step.program
    exe = native.executable
    table = native.module.buffer_table
    assert {"running_mean", "running_var"} <= set(table["guarded_writes"])
    feeds: dict[str, Any] = {
        "arg0": x.numpy(), "arg1": good.numpy(), "running_mean": bn.running_mean.numpy(),
        "running_var": bn.running_var.numpy(),
        "num_batches_tracked": bn.num_batches_tracked.numpy(),
        "optimizer.param.0": w.detach().numpy(),
        "optimizer.param.1": bn.weight.detach().numpy(),
        "optimizer.param.2": bn.bias.detach().numpy()}
    feeds = {k: v for k, v in feeds.items() if k in exe.by_name}
    for name in exe.inputs:
        feeds.setdefault(name, np.float64(0.1))  # the learning rate
    for name in exe.params:
        feeds.setdefault(name, np.zeros(exe.by_name[name].shape, exe.by_name[name].dtype))
    resident = {n: DeviceArray.from_host(exe.ctx, np.asarray(feeds[n]))
                for n in ("running_mean", "running_var")}
    exe.run_feeds({**feeds, **resident})
    assert not np.array_equal(resident["running_mean"].copy_to_host(), feeds["running_mean"])
    kept = {n: a.copy_to_host() for n, a in resident.items()}
    bad = good.numpy().copy()
    bad[0] = -1
    fake_cuda.launched.clear()
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        exe.run_feeds({**feeds, **resident, "arg1": bad})
    checking = table["checking_kernels"][-1]
    assert fake_cuda.launched[-1] == checking  # nothing ran after the failed check
    assert len(fake_cuda.launched) < len(exe.kernels)
    for name, arr in resident.items():
        np.testing.assert_array_equal(arr.copy_to_host(), kept[name])
    outs = exe.run_feeds({**feeds, **resident})  # the step runs again afterwards
    assert np.isfinite(outs[0]).all()


def test_resident_params_are_updated_on_the_device_without_copies(fake_cuda: FakeDriver
                                                                   ) -> None:
    params, _, step = _linear_model("sgd")
    x, y = tenkai.randn(8, 16), tenkai.randn(8, 16)
    step(x, y)
    native = tenkai.trace(step, x, y).lower(target="cuda").compile().step.program
    exe = native.executable
    host = {n: np.asarray(v) for n, v in {
        "optimizer.param.0": params[0].detach().numpy(),
        "optimizer.param.1": params[1].detach().numpy()}.items() if n in exe.by_name}
    assert host, exe.params
    resident = {n: DeviceArray.from_host(exe.ctx, a) for n, a in host.items()}
    rest = {n: np.zeros(exe.by_name[n].shape, exe.by_name[n].dtype)
            for n in exe.params if n not in resident}
    inputs = {"arg0": x.numpy(), "arg1": y.numpy()}
    inputs.update({n: np.float64(0.05 if n.startswith("lr") else 0.9) for n in exe.inputs
                   if n not in inputs})
    exe.run(inputs, {**resident, **rest})
    uploads = fake_cuda.calls["htod"]
    outs = exe.run(inputs)
    assert fake_cuda.calls["htod"] - uploads == len(exe.inputs) + len(rest)  # no param copies
    for k, name in exe.writes.items():
        if name in resident:
            assert outs[k] is resident[name]
    assert not np.array_equal(resident["optimizer.param.0"].copy_to_host(),
                              host["optimizer.param.0"])


def test_kernel_times_use_events_and_keep_the_state(fake_cuda: FakeDriver) -> None:
    params, _, step = _linear_model("adam")
    x, y = tenkai.randn(8, 16), tenkai.randn(8, 16)
    compiled = tenkai.compile(step, target="cuda")
    for _ in range(3):
        compiled(x, y)
    native = compiled.steps[0].program
    before = params[0].detach().numpy().copy()
    assert native.executable.stats["calls"] >= 1
    times = native.measure_kernels(2)
    assert [n for n, _ in times] == native.executable.kernels
    assert all(t > 0 for _, t in times) and fake_cuda.calls["event_record"] >= 2 * len(times)
    np.testing.assert_array_equal(native.executable.buffer("optimizer.param.0"), before)


def test_unknown_ptx_fails_with_the_jit_log_and_missing_kernels_are_named(
        fake_cuda: FakeDriver) -> None:
    table = {"buffers": [], "outputs": [], "writes": {}, "errors": {}, "launches": []}
    with pytest.raises(CudaError, match=r"CUDA_ERROR_INVALID_PTX \(a PTX JIT compilation "
                       r"failed\) in cuModuleLoadDataEx \(loading the step's PTX\)\nJIT log:"
                       r"\nptxas application ptx input"):
        rc.load(b"not ptx\0", "tk_step", table)
    x = tenkai.randn(64)
    lowered = tenkai.trace(lambda x: (x * 2).sum(), x).lower(target="cuda")
    code = lowered.generate()
    PTX[code.object_code()] = code
    table = {**code.buffer_table, "launches": [{**code.buffer_table["launches"][0],
                                                "name": "k_missing"}]}
    with pytest.raises(CudaError, match=r"CUDA_ERROR_NOT_FOUND .* in cuModuleGetFunction "
                       r"\(kernel k_missing\)"):
        rc.load(code, code.entry, table)
    with pytest.raises(ValueError, match="has no launch table"):
        rc.load(code, code.entry, {k: v for k, v in table.items() if k != "launches"})
    with pytest.raises(TypeError, match="pass the PTX as bytes"):
        rc.load("text", code.entry, table)


def test_the_runtime_module_protocol(fake_cuda: FakeDriver) -> None:
    from tenkai.codegen.target import runnable, runtime_module

    assert "cuda" in runnable() and runtime_module("cuda") is rc
    assert rc.imports(b"") == [] and rc.library_loaded("any") and rc.get_threads() == 1
    device = rc.CUDADevice(0)
    buf = device.allocator.array((3, 2), np.float32)
    device.allocator.copy_in(buf, np.arange(6, dtype=np.float32).reshape(3, 2))
    np.testing.assert_array_equal(device.allocator.copy_out(buf),
                                  np.arange(6, dtype=np.float32).reshape(3, 2))
    assert "cuda:0" in repr(buf) and device.ctx.allocated >= 24
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        rc.context(1)


def test_a_cached_cuda_step_loads_from_the_disk_cache(fake_cuda: FakeDriver,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tenkai.compiler import step_cache

    monkeypatch.setenv("TENKAI_CACHE", "1")
    x, y = tenkai.randn(8, 16), tenkai.randn(8, 16)
    runs = []
    for use in ("eager", "cuda"):
        params, _, step = _linear_model("adam")
        start = [p.detach().clone() for p in params]
        losses = []
        for _ in range(2):
            step_cache.clear_memory()
            with tenkai.no_grad():
                for p, s in zip(params, start, strict=True):
                    p.copy_(s)
            compiled = step if use == "eager" else tenkai.compile(step, target="cuda")
            losses += [compiled(x, y).item() for _ in range(3)]
        runs.append(losses)
    native = compiled.steps[0].program
    assert native.stats["disk_cache_hits"] == 1, native.stats
    assert isinstance(native.executable, rc.CUDAExecutable)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-5)


@pytest.mark.parametrize("blocking", ["0", "1"])
def test_a_kernel_fault_names_the_kernel_and_the_step(fake_cuda: FakeDriver,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      blocking: str) -> None:
    monkeypatch.setenv("CUDA_LAUNCH_BLOCKING", blocking)
    params, _, step = _linear_model("sgd")
    x, y = tenkai.randn(8, 16), tenkai.randn(8, 16)
    compiled = tenkai.compile(step, target="cuda")
    for _ in range(3):
        compiled(x, y)
    exe = compiled.steps[0].program.executable
    assert exe.stats["graphs"] is (blocking == "0")
    before = params[0].detach().numpy().copy()
    fake_cuda.faulty.add(exe.kernels[1])
    with pytest.raises(CudaError, match=rf"CUDA_ERROR_ILLEGAL_ADDRESS .* in cuLaunchKernel "
                       rf"\(kernel {exe.kernels[1]}\)") as info:
        compiled(x, y)
    assert "CUDA_LAUNCH_BLOCKING=1" in info.value.__notes__[0]
    assert "compiled step" in info.value.__notes__[0]
    np.testing.assert_array_equal(params[0].detach().numpy(), before)  # nothing copied back


def test_a_launch_that_fails_while_captured_turns_graphs_off(fake_cuda: FakeDriver) -> None:
    _, _, step = _linear_model("sgd")
    x, y = tenkai.randn(8, 16), tenkai.randn(8, 16)
    step(x, y)
    native = tenkai.trace(step, x, y).lower(target="cuda").compile().step.program
    exe = native.executable
    real_launch = fake_cuda.launch

    def refuse_in_capture(function, grid, block, shared, stream, args, name=""):
        if stream in fake_cuda.capturing:
            raise CudaError(900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "not permitted",
                            "cuLaunchKernel", f"kernel {name}")
        real_launch(function, grid, block, shared, stream, args, name)

    fake_cuda.launch = refuse_in_capture  # type: ignore[method-assign]
    feeds = {n: np.ones(exe.by_name[n].shape, exe.by_name[n].dtype) for n in exe.by_name
             if exe.by_name[n].role in ("input", "param")}
    outs = exe.run_feeds(feeds)
    assert not exe.stats["graphs"] and exe.stats["launches"] == len(exe.kernels)
    assert not fake_cuda.capturing and np.isfinite(outs[0]).all()


def _one_op_step(op: str, shape: tuple[int, ...], dtype: str, **attrs: Any) -> Any:
    from tenkai.codegen.target import describe
    from tenkai.compiler.backend import compile_graph
    from tenkai.ir.graph import Graph

    g = Graph(f"one_{op}")
    ids = [g.add("input", shape=shape, dtype=dtype, name=f"x{k}") for k in range(2)]
    g.add_output(g.add(op, ids, **attrs))
    return compile_graph(g, describe("cuda")).executable


def test_run_device_binds_operands_by_address_and_makes_new_outputs(fake_cuda: FakeDriver
                                                                     ) -> None:
    fake_cuda.devices = 2
    exe = _one_op_step("mul", (2, 3), "float32")
    ctx = exe.ctx
    a = DeviceArray.from_host(ctx, np.arange(6, dtype=np.float32).reshape(2, 3))
    b = DeviceArray.from_host(ctx, np.full((2, 3), 2.0, np.float32))
    copies = (fake_cuda.calls["htod"], fake_cuda.calls["dtoh"], fake_cuda.calls["dtod"])
    first = exe.run_device({"x0": a, "x1": b})[0]
    second = exe.run_device({"x0": first, "x1": b})[0]
    assert (fake_cuda.calls["htod"], fake_cuda.calls["dtoh"], fake_cuda.calls["dtod"]) == copies
    assert first.ptr not in (a.ptr, b.ptr, second.ptr) and exe.stats["calls"] == 2
    np.testing.assert_array_equal(second.copy_to_host(), np.arange(6).reshape(2, 3) * 4)
    np.testing.assert_array_equal(first.copy_to_host(), np.arange(6).reshape(2, 3) * 2)
    view = DeviceArray.view(second, (6,))
    assert view.ptr == second.ptr and view.base is second and view.shape == (6,)
    with pytest.raises(ValueError, match="does not fit"):
        DeviceArray.view(second, (7,))
    with pytest.raises(ValueError, match=r"input 'x1' of .*expected float32\[2, 3\]"):
        exe.run_device({"x0": a, "x1": view})
    other = exe.on(rc.context(1))  # the same PTX loaded on the second GPU
    assert other.ctx.ordinal == 1 and other.entry == exe.entry
    a1 = DeviceArray.from_host(rc.context(1), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(other.run_device({"x0": a1, "x1": a1})[0].copy_to_host(),
                                  np.ones((2, 3)))


def test_output_array_keeps_a_steps_results_on_the_device(fake_cuda: FakeDriver) -> None:
    exe = _one_op_step("add", (4,), "float32")
    x = np.arange(4, dtype=np.float32)
    (host,) = exe.run({"x0": x, "x1": x})
    assert isinstance(host, np.ndarray)
    exe.output_array = DeviceArray
    (dev,) = exe.run({"x0": x, "x1": x})
    (again,) = exe.run({"x0": x, "x1": x})
    assert isinstance(dev, DeviceArray) and dev.ptr != again.ptr  # a new array per call
    np.testing.assert_array_equal(dev.copy_to_host(), 2 * x)
