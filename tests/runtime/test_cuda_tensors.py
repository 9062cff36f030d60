"""Eager CUDA tensors (frontend/_cuda_tensor.py): moving tensors and models, creation with
``device=``, printing, eager ops launched as device kernels, autograd, same-device errors,
checkpoints, and ``tenkai.compile`` following the tensors onto the GPU.

Every test runs on the fake driver (tests/runtime/cuda_fake.py: host memory, kernels run by
the GPU simulator) and, marked ``gpu``, unchanged on a real GPU where one exists. Shapes are
tiny; the tests marked slow take seconds because each distinct op signature compiles a kernel
(about 0.2 s on the fake driver, PTX and its host build)."""

from __future__ import annotations

import copy
import gc
import io
from typing import Any

import numpy as np
import pytest
from cuda_fake import FakeDriver, linear_model, record_generated_ptx, training_state

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai import _cuda_tensor
from tenkai._cuda_host import HOST_OPS
from tenkai.compile import RecompileWarning
from tenkai.runtime import cuda as rc
from tenkai.runtime.cuda import DeviceArray

_REAL_GPUS = rc.device_count()


@pytest.fixture(params=["fake", pytest.param("gpu", marks=[
    pytest.mark.gpu, pytest.mark.skipif(_REAL_GPUS == 0,
                                        reason="needs a CUDA driver and an NVIDIA GPU")])])
def cuda(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The driver the test runs on: the fake one (two GPUs), or the real one."""
    if request.param == "gpu":
        old = rc.set_driver(None)
        yield None
    else:
        record_generated_ptx(monkeypatch)
        old = rc.set_driver(FakeDriver(devices=2))
        yield rc.get_driver()
    _cuda_tensor._KERNELS.clear()  # (loaded into the contexts of this driver)
    _cuda_tensor._SCALARS.clear()
    tenkai.cuda.set_device(0) if tenkai.cuda.is_available() else None
    rc.set_driver(old)


def _two_gpus() -> bool:
    return tenkai.cuda.device_count() >= 2


def test_moving_tensors_between_devices(cuda: Any) -> None:
    x = tenkai.tensor([[1.0, 2.0], [3.0, 4.0]])
    for y in (x.cuda(), x.to("cuda"), x.to(tenkai.device("cuda:0")), x.cuda(0)):
        assert y.device == tenkai.device("cuda", 0) and y.is_cuda and y.device.index == 0
        assert not x.is_cuda and x.device.type == "cpu"
        np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    y = x.cuda()
    assert y.cuda() is y and x.cpu() is x and y.to("cuda:0") is y
    assert y.shape == (2, 2) and y.dtype == tenkai.float32 and y.numel() == 4 and y.dim() == 2
    z = y.to("cpu")
    assert z.device.type == "cpu" and z.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    d = y.to("cuda", tenkai.float64)
    assert d.dtype == tenkai.float64 and d.is_cuda
    assert y.double().is_cuda and y.long().cpu().tolist() == [[1, 2], [3, 4]]
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]] and y[1, 0].item() == 3.0
    assert y.type() == "torch.cuda.FloatTensor" and y.get_device() == 0 and x.get_device() == -1
    assert x.to(y).is_cuda and y.to(x).device.type == "cpu" and x.to(y.long()).is_cuda
    held = tenkai.cuda.memory_allocated()
    more = tenkai.zeros(256, device="cuda")
    assert tenkai.cuda.memory_allocated() >= held + 1024 and more.is_cuda
    assert y.sum().item() == 10.0 and float(y.mean()) == 2.5
    with pytest.raises(TypeError, match=r"^can't convert cuda:0 device type tensor to numpy\. "
                       r"Use Tensor\.cpu\(\) to copy the tensor to host memory first\.$"):
        y.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(y)
    if _two_gpus():
        w = x.cuda(1)
        assert w.device == tenkai.device("cuda:1") and w.to("cuda:0").device.index == 0
        assert (w * 2).device.index == 1 and (w * 2).cpu().tolist() == [[2, 4], [6, 8]]


def test_creation_with_device_matches_the_cpu(cuda: Any) -> None:
    dev = "cuda"
    cases = [(lambda d: tenkai.zeros(2, 3, device=d)), (lambda d: tenkai.ones(3, device=d)),
             (lambda d: tenkai.full((2,), 7.0, device=d)),
             (lambda d: tenkai.empty(2, device=d).zero_()),
             (lambda d: tenkai.arange(5, device=d)),
             (lambda d: tenkai.tensor([[1, 2]], dtype=tenkai.int32, device=d)),
             (lambda d: tenkai.tensor(2.5, device=d)),
             (lambda d: (tenkai.manual_seed(3), tenkai.randn(4, device=d))[1]),
             (lambda d: (tenkai.manual_seed(3), tenkai.rand(2, 2, device=d))[1]),
             (lambda d: (tenkai.manual_seed(3), tenkai.randint(0, 9, (3,), device=d))[1])]
    for make in cases:
        on_gpu, on_cpu = make(dev), make("cpu")
        assert on_gpu.is_cuda and on_gpu.shape == on_cpu.shape and on_gpu.dtype == on_cpu.dtype
        np.testing.assert_array_equal(on_gpu.cpu().numpy(), on_cpu.numpy())
    y = tenkai.ones(2, 2, device="cuda")
    for like in (tenkai.zeros_like(y), tenkai.ones_like(y), tenkai.full_like(y, 3.0),
                 tenkai.randn_like(y), tenkai.rand_like(y), tenkai.empty_like(y),
                 y.new_zeros(3), y.new_ones(1), y.new_full((2,), 1.0), y.new_tensor([1.0])):
        assert like.is_cuda
    assert tenkai.zeros_like(y, device="cpu").device.type == "cpu"
    w = tenkai.randn(3, device="cuda", requires_grad=True)
    assert w.is_leaf and w.requires_grad and w.is_cuda


def test_printing_shows_the_device_as_pytorch(cuda: Any) -> None:
    x = tenkai.tensor([1.0, 2.0], device="cuda")
    assert repr(x) == "tensor([1., 2.], device='cuda:0')"
    w = tenkai.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    assert repr(w) == "tensor([1., 2.], device='cuda:0', requires_grad=True)"
    assert repr(w * 2) == "tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)"
    assert repr(tenkai.tensor([1, 2], device="cuda")) == "tensor([1, 2], device='cuda:0')"
    assert repr(tenkai.zeros(2, dtype=tenkai.float64, device="cuda")) == \
        "tensor([0., 0.], device='cuda:0', dtype=torch.float64)"
    assert f"{tenkai.tensor(0.25, device='cuda'):.2f}" == "0.25"
    assert str(x.device) == "cuda:0" and repr(x.device) == "device(type='cuda', index=0)"


@pytest.mark.slow  # (about 20 kernels to compile, ~0.2 s each)
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")
def test_eager_ops_run_as_device_kernels(cuda: Any) -> None:
    a_host = tenkai.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    b_host = tenkai.tensor([[2.0], [3.0]])
    a, b = a_host.cuda(), b_host.cuda()
    exprs = [lambda a, b: a + b, lambda a, b: a * 2 - 1, lambda a, b: (a / b).exp(),
             lambda a, b: a.relu().sum(1), lambda a, b: a @ a.t(), lambda a, b: a.reshape(3, 2),
             lambda a, b: a.softmax(1), lambda a, b: a.max(), lambda a, b: a[:, 1:],
             lambda a, b: tenkai.where(a > 0, a, b), lambda a, b: a.cumsum(1),
             lambda a, b: tenkai.cat([a, a]), lambda a, b: a.argmax(1),
             lambda a, b: F.log_softmax(a, 1), lambda a, b: a.mean(0, keepdim=True)]
    stats = dict(_cuda_tensor.STATS)
    downloads = None if cuda is None else cuda.calls["dtoh"]
    results = [f(a, b) for f in exprs]
    if cuda is not None:
        assert cuda.calls["dtoh"] == downloads  # nothing came back to the host
    assert _cuda_tensor.STATS["launches"] > stats["launches"]
    for f, got in zip(exprs, results, strict=True):
        want = f(a_host, b_host)
        assert got.is_cuda and got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    compiled = _cuda_tensor.STATS["kernels_compiled"]
    for f in exprs[:4]:  # the same signatures again: no new kernel
        f(a, b)
    assert _cuda_tensor.STATS["kernels_compiled"] == compiled
    idx_host = tenkai.tensor([2, 0, 1])
    idx, table = idx_host.cuda(), nn.Embedding(3, 2)
    want = (table(idx_host), F.one_hot(idx_host), F.one_hot(idx_host, 4))
    table.cuda()
    for got, ref in zip((table(idx), F.one_hot(idx), F.one_hot(idx, 4)), want, strict=True):
        assert got.is_cuda
        np.testing.assert_allclose(got.detach().cpu().numpy(), ref.detach().numpy())
    with pytest.raises(IndexError, match="index out of range"):
        table(tenkai.tensor([3], device="cuda"))  # checked by the kernel (its status word)
    copied = tenkai.tensor(a)  # (PyTorch's copy-construct warning)
    assert copied.is_cuda and copied.data_ptr() != a.data_ptr()
    view = a.view(6)
    assert view.data_ptr() == a.data_ptr()  # reshape is a view of the same device memory
    a.mul_(2)
    assert view.cpu().tolist() == [2.0, -4.0, 6.0, 1.0, 8.0, -2.0]
    a.add_(b).zero_().fill_(1.5).copy_(a_host)  # copy_ from the CPU: an upload
    np.testing.assert_array_equal(a.cpu().numpy(), a_host.numpy())
    back = tenkai.zeros(2, 3).copy_(a * 2)  # and into a CPU tensor: a download
    np.testing.assert_array_equal(back.numpy(), a_host.numpy() * 2)


def test_mixing_devices_raises_as_pytorch(cuda: Any) -> None:
    x, y = tenkai.ones(2), tenkai.ones(2, device="cuda")
    message = ("Expected all tensors to be on the same device, but found at least two devices, "
               "cuda:0 and cpu!")
    for mix in (lambda: y + x, lambda: x + y, lambda: tenkai.cat([y, x]),
                lambda: nn.Linear(2, 2)(y)):
        with pytest.raises(RuntimeError, match=message.replace("(", r"\(")):
            mix()
    assert (y + tenkai.tensor(2.0)).is_cuda  # a CPU scalar tensor goes along, as in PyTorch
    assert (y * 3).cpu().tolist() == [3.0, 3.0]
    if _two_gpus():
        with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1"):
            y + tenkai.ones(2, device="cuda:1")


def test_unsupported_ops_fail_clearly(cuda: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    y = tenkai.tensor([3.0, 1.0, 2.0], device="cuda")
    assert tenkai.sort(y).values.is_cuda  # (a host round trip: see test_host_ops_...)
    y[0] = 5.0  # (indexed assignment: the functional form, device kernels)
    y[1:] = tenkai.tensor([7.0, 8.0], device="cuda")
    assert y.tolist() == [5.0, 7.0, 8.0] and y.is_cuda
    with pytest.raises(NotImplementedError, match=r"the op 'linalg_inv' cannot run on "
                       r"device='cuda' yet: the cuda code generator failed on it"):
        tenkai.linalg.inv(tenkai.eye(2, device="cuda"))
    from tenkai.codegen import nvptx as codegen

    monkeypatch.setenv("TENKAI_CACHE", "0")  # (no kernel from the compile caches)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("nvptx: no lowering for this op")
    monkeypatch.setattr(codegen, "generate", refuse)
    with pytest.raises(NotImplementedError, match=r"the op 'tanh' cannot run on device='cuda' "
                       r"yet: the cuda code generator failed on it \(NotImplementedError: "
                       r"nvptx: no lowering"):
        y.tanh()


@pytest.mark.slow  # (about 20 kernels to compile)
def test_autograd_on_cuda_tensors_matches_the_cpu(cuda: Any) -> None:
    tenkai.manual_seed(0)
    w_host = tenkai.randn(3, 2, requires_grad=True)
    x_host = tenkai.randn(4, 3)
    w = w_host.detach().cuda().requires_grad_()
    x = x_host.cuda()
    for weight, inp in ((w_host, x_host), (w, x)):
        loss = (inp @ weight).tanh().square().mean() + weight.sum() * 0.1
        loss.backward()
        (weight.exp() * 2).sum().backward()  # accumulates into .grad
    assert w.grad.is_cuda and w.grad_fn is None and w.is_leaf
    np.testing.assert_allclose(w.grad.cpu().numpy(), w_host.grad.numpy(), rtol=1e-5, atol=1e-6)
    g, = tenkai.autograd.grad((x.sum(0, keepdim=True).t() * w).sum(), [w])
    assert g.is_cuda
    np.testing.assert_allclose(g.cpu().numpy(), np.tile(x_host.numpy().sum(0)[:, None], 2),
                               rtol=1e-5)
    moved = (w * 2).cpu()  # (ToCopyBackward0: see test_copies_between_devices_...)
    assert moved.grad_fn.name() == "ToCopyBackward0" and not moved.is_cuda


def _model(dev: str) -> tuple[Any, Any]:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.25),
                          nn.Linear(6, 3)).to(dev)
    # (SGD: the first Linear's bias feeds BatchNorm, so its true gradient is 0 and Adam would
    # scale the rounding noise of either device up to a step of lr)
    return model, tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


@pytest.mark.slow  # (~40 kernels; the simulator runs each matmul launch's threads for real)
def test_eager_training_on_cuda_follows_the_cpu(cuda: Any) -> None:
    (cpu_model, cpu_opt), (gpu_model, gpu_opt) = _model("cpu"), _model("cuda")
    x, y = tenkai.randn(5, 4), tenkai.randint(0, 3, (5,))
    xg, yg = x.cuda(), y.cuda()
    for _ in range(2):
        losses = []
        for model, opt, a, b in ((cpu_model, cpu_opt, x, y), (gpu_model, gpu_opt, xg, yg)):
            tenkai.manual_seed(5)  # the same dropout draws on both devices
            opt.zero_grad()
            loss = F.cross_entropy(model(a), b)
            loss.backward()
            opt.step()
            losses.append(loss)
        assert losses[1].is_cuda and losses[1].item() == pytest.approx(losses[0].item(),
                                                                       rel=1e-5)
        for (name, p), q in zip(cpu_model.state_dict().items(),
                                gpu_model.state_dict().values(), strict=True):
            assert q.is_cuda, name
            np.testing.assert_allclose(q.cpu().numpy(), p.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(gpu_model(xg), tenkai.tensor([0, 1, 7, 0, 1], device="cuda"))
    scaler = tenkai.GradScaler("cuda")  # its inf check counts on the GPU
    gpu_opt.zero_grad()
    scaler.scale(F.cross_entropy(gpu_model(xg), yg)).backward()
    scaler.step(gpu_opt)
    scaler.update()
    assert scaler.get_scale() == 2.0**16
    gpu_model[0].weight.grad.fill_(float("inf"))
    scaler.step(gpu_opt)  # skipped: an inf gradient
    scaler.update()
    assert scaler.get_scale() == 2.0**15


def test_modules_move_parameters_buffers_and_grads(cuda: Any) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    params = list(model.parameters())
    model(tenkai.randn(4, 2)).sum().backward()
    assert model.cuda() is model
    assert [p for p in model.parameters()] == params  # the same Parameter objects
    assert all(p.is_cuda and p.grad.is_cuda and p.requires_grad for p in params)
    assert model[1].running_mean.is_cuda and model[1].num_batches_tracked.is_cuda
    assert repr(params[1]).startswith("Parameter containing:\ntensor(") and \
        "device='cuda:0', requires_grad=True)" in repr(params[1])
    state = model.state_dict()
    assert all(v.is_cuda for v in state.values())
    twin = copy.deepcopy(model)
    assert twin[0].weight.is_cuda and twin[0].weight is not params[0]
    assert twin[0].weight.tolist() == params[0].tolist()
    model.cpu()
    assert all(not p.is_cuda and not p.grad.is_cuda for p in params)
    assert [p for p in model.parameters()] == params
    model.to("cuda")
    assert all(p.is_cuda for p in params)
    if _two_gpus():
        model.to("cuda:1")
        assert all(p.device.index == 1 for p in params)


def test_checkpoints_of_cuda_tensors(cuda: Any) -> None:
    model = nn.Linear(3, 2).cuda()
    buf = io.BytesIO()
    tenkai.save({"model": model.state_dict(), "w": model.weight}, buf)
    expected = model.weight.detach().cpu().numpy()
    buf.seek(0)
    back = tenkai.load(buf)
    assert back["model"]["weight"].is_cuda and back["w"].is_cuda
    assert isinstance(back["w"], nn.Parameter) and back["w"].requires_grad
    np.testing.assert_array_equal(back["model"]["weight"].cpu().numpy(), expected)
    buf.seek(0)
    on_cpu = tenkai.load(buf, map_location="cpu")
    assert not on_cpu["w"].is_cuda and not on_cpu["model"]["bias"].is_cuda
    np.testing.assert_array_equal(on_cpu["w"].detach().numpy(), expected)
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(on_cpu["model"])
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), expected)
    if cuda is not None:  # the checkpoint on a machine without a GPU
        rc.set_driver(FakeDriver(devices=0))
        buf.seek(0)
        with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA "
                           r"device but torch\.cuda\.is_available\(\) is False"):
            tenkai.load(buf)
        buf.seek(0)
        assert not tenkai.load(buf, map_location="cpu")["w"].is_cuda


@pytest.mark.slow  # (eager kernels for the traced first steps, then the step's own)
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_compiled_step_on_cuda_tensors_follows_eager_cpu_training(cuda: Any,
                                                                   opt_name: str) -> None:
    x, y = tenkai.randn(4, 8), tenkai.randn(4, 8)
    cpu_params, cpu_opt, cpu_step = linear_model(opt_name, 8)
    params, opt, step = linear_model(opt_name, 8)
    with tenkai.no_grad():
        for p in params:
            p.data = p.cuda()
    compiled = tenkai.compile(step)  # no target: the tensors are on the GPU
    xg, yg = x.cuda(), y.cuda()
    for _ in range(4):
        want, got = cpu_step(x, y), compiled(xg, yg)
        assert got.is_cuda and got.item() == pytest.approx(want.item(), rel=1e-5)
        assert all(p.is_cuda and p.grad.is_cuda for p in params)
        for a, b in zip([t.cpu() for t in _state(params, opt)],
                        [tenkai.from_numpy(v) for v in training_state(cpu_params, cpu_opt)],
                        strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    program = compiled.steps[0].program
    assert program.target.name == "cuda" and compiled.stats["replays"] >= 2
    exe = program.executable
    resident = [n for n, v in exe._bound.items() if isinstance(v, DeviceArray)]
    assert len(resident) >= 2 * len(params)  # params and grads updated in place on the GPU
    assert all(np.ndim(v) == 0 for n, (v, _, _) in exe._mirror.items())  # (only step counts)
    with pytest.warns(RecompileWarning, match=r"float32 on cuda:0.*float32"
                      ), pytest.raises(RuntimeError, match="same device, but found at least "
                                       "two devices, cuda:0 and cpu!"):
        compiled(x, y)  # CPU arguments: a new signature, traced eagerly (and mixing devices)


def _state(params: list[Any], opt: Any) -> list[Any]:
    out = [p.detach() for p in params] + [p.grad for p in params]
    for p in params:
        out += [v for v in opt.state[p].values() if isinstance(v, tenkai.Tensor)]
    return out


@pytest.mark.slow  # (a few eager kernels for the trace, then the step)
def test_compiled_module_forward_runs_on_its_gpu(cuda: Any) -> None:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = tenkai.randn(5, 3)
    with tenkai.no_grad():
        want = model(x)
    gpu = "cuda:1" if _two_gpus() else "cuda:0"
    model.to(gpu)
    compiled = tenkai.compile(model)
    with tenkai.no_grad():
        for _ in range(3):
            got = compiled(x.to(gpu))
    assert got.device == tenkai.device(gpu) and compiled.stats["replays"] == 2
    exe = compiled.__dict__["_compiled_forward"].steps[0].program.executable
    assert exe.ctx.ordinal == got.device.index
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # (the kernels of a small MLP's training step)
def test_steady_state_eager_steps_reuse_device_memory_and_scalars(cuda: Any) -> None:
    if cuda is None:
        pytest.skip("counts the fake driver's calls")
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).cuda()
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = tenkai.randn(5, 4, device="cuda"), tenkai.randint(0, 3, (5,), device="cuda")

    def step() -> None:
        gc.collect()  # (a step's autograd graph holds device arrays until collected)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(3):  # (momentum buffers appear on the first step, their updates after)
        step()
    calls = (cuda.calls["alloc"], cuda.calls["htod"], cuda.calls["dtoh"])
    launches = cuda.calls["launch"]
    for _ in range(2):
        step()
    # no driver allocation (freed blocks are reused), no upload (the numbers were uploaded
    # once), no download but the index checks' status words (2 per step: gather, scatter)
    assert (cuda.calls["alloc"], cuda.calls["htod"]) == calls[:2]
    assert cuda.calls["dtoh"] - calls[2] <= 4 and cuda.calls["launch"] > launches
    reserved = tenkai.cuda.memory_reserved()
    tenkai.cuda.empty_cache()
    assert tenkai.cuda.memory_reserved() <= reserved


@pytest.mark.slow  # (a training step compiled for the cpu and for the GPU)
@pytest.mark.filterwarnings("ignore::tenkai.compile.RecompileWarning")
def test_a_compiled_step_follows_its_parameters_between_devices(cuda: Any) -> None:
    """Parameters moved with model.cpu() / .cuda() retrace the step (their device is a guard):
    eager's device error, never the stale device buffers."""
    tenkai.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)

    def step(x: Any) -> Any:
        opt.zero_grad()
        loss = model(x).square().mean()
        loss.backward()
        opt.step()
        return loss

    x = tenkai.randn(3, 4)
    compiled = tenkai.compile(step)
    model.cuda()
    first = compiled(x.cuda()).item()
    model.cpu()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        compiled(x.cuda())
    weight = model.weight.detach().numpy().copy()
    second = compiled(x)  # on the cpu now: the parameters it updates are the cpu ones
    assert second.device == tenkai.device("cpu") and second.item() < first
    assert not np.array_equal(model.weight.detach().numpy(), weight)


# ---------------------------------------------------------------- default device, host ops


def test_default_device_cuda_and_the_device_context_manager(cuda: Any) -> None:
    cpu = tenkai.ones(2)
    try:
        tenkai.set_default_device("cuda")
        assert tenkai.get_default_device() == tenkai.device("cuda:0")
        made = [tenkai.zeros(2), tenkai.ones(2, 3), tenkai.tensor([1.0]), tenkai.arange(3),
                tenkai.full((2,), 1.5), tenkai.randn(2), tenkai.eye(2), tenkai.empty(1)]
        assert all(t.is_cuda for t in made)
        assert not tenkai.zeros_like(cpu).is_cuda  # (*_like: the input's device)
        assert not tenkai.from_numpy(np.ones(2)).is_cuda
        assert tenkai.zeros(2, device="cpu").device.type == "cpu"
        assert nn.Linear(2, 3).weight.is_cuda
    finally:
        tenkai.set_default_device(None)
    assert tenkai.get_default_device() == tenkai.device("cpu") and not tenkai.zeros(1).is_cuda
    gpu = "cuda:1" if _two_gpus() else "cuda:0"
    with tenkai.device(gpu) as dev:
        assert dev == tenkai.device(gpu) and tenkai.get_default_device() == dev
        assert tenkai.ones(2).device == dev and tenkai.randint(0, 3, (2,)).device == dev
        with tenkai.device("cpu"):
            assert not tenkai.ones(1).is_cuda
        assert tenkai.ones(1).device == dev
    assert not tenkai.ones(1).is_cuda and tenkai.get_default_device().type == "cpu"


def _cpu_twin(t: Any) -> Any:
    return t.detach().cpu().requires_grad_(t.requires_grad)


_HOST_CASES = [
    ("sort", lambda x, m: tenkai.sort(x, 1)), ("sort desc", lambda x, m: x.sort(0, True)),
    ("argsort", lambda x, m: x.argsort(1)), ("topk", lambda x, m: x.topk(2, 1)),
    ("kthvalue", lambda x, m: x.kthvalue(2, 1)), ("median", lambda x, m: x.median()),
    ("median dim", lambda x, m: x.median(0)), ("mode", lambda x, m: x.mode(1)),
    ("nonzero", lambda x, m: (x > 0).nonzero()), ("unique", lambda x, m: tenkai.unique(m)),
    ("mask", lambda x, m: x[m]), ("masked_select", lambda x, m: x.masked_select(m)),
    ("where1", lambda x, m: tenkai.where(m)), ("argwhere", lambda x, m: tenkai.argwhere(m)),
    ("flip", lambda x, m: x.flip(1)), ("tril", lambda x, m: x.tril()),
    ("cummax", lambda x, m: x.cummax(1)), ("index", lambda x, m: x[tenkai.tensor([2, 0])]),
    ("scatter_reduce", lambda x, m: x.scatter_reduce(1, _idx(x), x[:, :2], "amax")),
    ("masked_scatter", lambda x, m: x.masked_scatter(m, x * 2)),
    ("take", lambda x, m: tenkai.take(x, _idx(x).reshape(-1))),
    ("scatter", lambda x, m: x.scatter(1, _idx(x), 1.5)),
    ("unfold", lambda x, m: x.unfold(1, 2, 1)),
]


def _idx(x: Any) -> Any:
    return tenkai.tensor([[0, 2], [1, 0], [2, 1]], device=x.device)


@pytest.mark.slow  # (a few kernels: the copies' casts, the gradients' scatters)
@pytest.mark.parametrize("name,f", _HOST_CASES, ids=[c[0] for c in _HOST_CASES])
def test_host_ops_round_trip_with_values_dtypes_devices_and_grads(cuda: Any, name: str,
                                                                  f: Any) -> None:
    """Ops computed on the host run as explicit round trips (counted); the rest stay on the
    kernels; results on the GPU, the same values and dtypes, gradients through the copies."""
    x_host = tenkai.tensor([[0.5, -1.0, 2.0], [3.0, 0.25, -2.0], [1.0, 4.0, -0.5]],
                           requires_grad=True)
    m_host = x_host.detach() > 0.4
    x = x_host.detach().cuda().requires_grad_()
    m = m_host.cuda()
    before = dict(_cuda_tensor.STATS)
    want, got = f(x_host, m_host), f(x, m)
    want_t = list(want) if isinstance(want, tuple) else [want]
    got_t = list(got) if isinstance(got, tuple) else [got]
    assert type(got) is type(want) and len(got_t) == len(want_t)
    for a, b in zip(got_t, want_t, strict=True):
        assert a.is_cuda and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().numpy())
    trips = _cuda_tensor.STATS["host_round_trips"] - before["host_round_trips"]
    assert trips == (1 if name.split()[0] in HOST_OPS or name == "where1" else 0)
    if name in ("mask", "index"):  # (kernels; a cuda mask is read back, as PyTorch syncs)
        assert _cuda_tensor.STATS["index_reads"] - before["index_reads"] == (name == "mask")
    grads = [(a, b) for a, b in zip(got_t, want_t, strict=True) if b.requires_grad]
    if grads:
        sum(b.square().sum() for _, b in grads).backward()
        sum(a.square().sum() for a, _ in grads).backward()
        assert x.grad.is_cuda
        np.testing.assert_allclose(x.grad.cpu().numpy(), x_host.grad.numpy(), rtol=1e-6)


def test_indexed_and_masked_writes_with_cuda_indices(cuda: Any) -> None:
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    x_host, x = tenkai.tensor(base), tenkai.tensor(base, device="cuda")
    i_host = tenkai.tensor([2, 0])
    m_host = tenkai.from_numpy(base % 3 == 0)
    for t, i, m in ((x_host, i_host, m_host), (x, i_host.cuda(), m_host.cuda())):
        t[i] = 7.0
        t[m] = -1.0
        t[i, i] = tenkai.tensor([5.0, 6.0], device=t.device)
        t.masked_fill_(m & (t > 5), 9.0)
        t.index_put_((i,), tenkai.tensor(0.5), accumulate=True)
        t[1, tenkai.tensor([1, 3], device=t.device)] = 3.0  # (mixed: basic and advanced)
    assert x.is_cuda and _cuda_tensor.STATS["index_reads"] > 0
    np.testing.assert_array_equal(x.cpu().numpy(), x_host.numpy())
    x[i_host] = 1.0  # a CPU index with a cuda tensor: allowed, as in PyTorch
    assert x[i_host].cpu().tolist() == [[1.0] * 4] * 2
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu!"):
        x[i_host] = tenkai.ones(2, 4)  # CPU values (not a scalar) into a cuda tensor
    for write in (lambda t, i: t.index_add_(0, i, t[:2] * 1), lambda t, i: t.index_fill_(1, i, 7.0),
                  lambda t, i: t.index_fill_(1, i - 3, 8.0),  # (negative: from the end)
                  lambda t, i: t.masked_scatter_(t > 5, t * 10), lambda t, i: t.tril_(),
                  lambda t, i: t.put_(i, tenkai.tensor([1.0, 2.0], device=t.device))):
        want = write(tenkai.tensor(base), i_host)
        got = write(tenkai.tensor(base, device="cuda"), i_host.cuda())
        assert got.is_cuda
        np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
    w = tenkai.zeros(3, device="cuda", requires_grad=True)
    v = w * 1.0
    v[tenkai.tensor([True, False, True], device="cuda")] = 2.0
    (v * tenkai.tensor([1.0, 2.0, 3.0], device="cuda")).sum().backward()
    assert w.grad.cpu().tolist() == [0.0, 2.0, 0.0]


def test_copies_between_devices_are_recorded_for_autograd(cuda: Any) -> None:
    """``.cuda()`` / ``.to("cuda")`` / ``.cpu()`` of a tensor that requires grad: a
    ToCopyBackward0 node moving the gradient back to the source device (as PyTorch)."""
    x = tenkai.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for move in (lambda t: t.cuda(), lambda t: t.to("cuda"), lambda t: t.to("cuda", copy=True)):
        y = move(x)
        assert y.is_cuda and y.grad_fn.name() == "ToCopyBackward0" and not y.is_leaf
        assert repr(y) == ("tensor([1., 2., 3.], device='cuda:0', "
                           "grad_fn=<ToCopyBackward0>)")
        (y * y).sum().backward()
    assert not x.grad.is_cuda and x.grad.tolist() == [6.0, 12.0, 18.0]  # (three passes)
    w = tenkai.tensor([1.0, -2.0], device="cuda", requires_grad=True)
    z = w.cpu()
    assert not z.is_cuda and z.grad_fn.name() == "ToCopyBackward0"
    (z.exp() * 3).sum().backward()
    assert w.grad.is_cuda
    np.testing.assert_allclose(w.grad.cpu().numpy(), 3 * np.exp([1.0, -2.0]), rtol=1e-6)
    w.grad = None
    ((w.cpu() * 2).cuda() ** 2).sum().backward()  # there and back again
    assert w.grad.is_cuda and w.grad.cpu().tolist() == [8.0, -16.0]
    g, = tenkai.autograd.grad((w.cpu() * w.cpu()).sum(), [w], create_graph=True)
    assert g.is_cuda and g.requires_grad and g.cpu().tolist() == [2.0, -4.0]
    with tenkai.no_grad():
        assert w.cpu().grad_fn is None
    assert w.detach().cpu().grad_fn is None and x.cuda().detach().is_leaf


def _mlp_step(dev: str) -> tuple[Any, Any, Any]:
    """A small classifier trained by the common loop: CPU batches moved in the step."""
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to(dev)
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)

    def step(x: Any, y: Any) -> Any:
        x, y = x.to(dev), y.to(dev)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y) + 0.0 * x.sum()
        loss.backward()
        opt.step()
        return loss, x.sum(), loss.detach().cpu()
    return model, opt, step


@pytest.mark.slow  # (the eager kernels of the traced first call, then the step)
def test_compiled_step_moving_cpu_batches_follows_eager_cpu_training(cuda: Any) -> None:
    """``x, y = x.to(dev), y.to(dev)`` in a compiled step with a cuda model: the CPU batches
    are uploaded at the step boundary; losses, parameters, gradients and optimizer state
    follow eager training on the CPU step by step; a result eager leaves on the CPU
    (``loss.cpu()``) comes back on the CPU."""
    cpu_model, cpu_opt, cpu_step = _mlp_step("cpu")
    model, opt, step = _mlp_step("cuda")
    compiled = tenkai.compile(step)
    for k in range(4):
        tenkai.manual_seed(10 + k)
        x, y = tenkai.randn(5, 4), tenkai.randint(0, 3, (5,))
        want, got = cpu_step(x, y), compiled(x, y)
        assert got[0].is_cuda and got[1].is_cuda and not got[2].is_cuda
        assert not x.is_cuda and not y.is_cuda  # (the caller's batches stay where they were)
        for a, b in zip(got, want, strict=True):
            assert a.item() == pytest.approx(b.item(), rel=1e-5, abs=1e-6)
        params = list(model.parameters())
        for p, q in zip(params, cpu_model.parameters(), strict=True):
            assert p.is_cuda and p.grad.is_cuda
            np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(),
                                       rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-5,
                                       atol=1e-6)
            for (name, s), t in zip(opt.state[p].items(),
                                    cpu_opt.state[q].values(), strict=True):
                assert not isinstance(s, tenkai.Tensor) or s.is_cuda or s.ndim == 0, name
                np.testing.assert_allclose(np.asarray(s.cpu() if isinstance(s, tenkai.Tensor)
                                                      else s), np.asarray(t), rtol=1e-5,
                                           atol=1e-6)
    # (Adam's state is born in the first call: one retrace, then replays)
    assert compiled.stats["replays"] >= 2 and compiled.stats["eager_calls"] == 0
    assert compiled.steps[0].program.target.name == "cuda"


@pytest.mark.slow  # (a few small steps compiled)
def test_compiled_steps_mixing_devices_as_pytorch(cuda: Any) -> None:
    w = tenkai.ones(3, device="cuda")
    message = ("Expected all tensors to be on the same device, but found at least two devices, "
               "cuda:0 and cpu!")

    def scaled(x: Any, s: Any) -> Any:
        return (x.to("cuda") * s + w).sum()  # a CPU 0-d tensor goes along

    compiled = tenkai.compile(scaled)
    x = tenkai.tensor([1.0, 2.0, 3.0])
    for s in (2.0, 3.0):
        got = compiled(x, tenkai.tensor(s))
        assert got.is_cuda and got.item() == pytest.approx(6 * s + 3)

    def mixed(x: Any) -> Any:
        return x * w  # a CPU tensor (not 0-d) with a cuda one

    with pytest.raises(RuntimeError, match=message):
        mixed(x)
    with pytest.raises(RuntimeError, match=r"cuda:0 and cpu!"):
        tenkai.compile(mixed)(x)


@pytest.mark.slow  # (the step's eager kernels, then the step)
def test_compiled_step_moving_a_cpu_parameter_follows_eager(cuda: Any) -> None:
    """A CPU parameter moved to the GPU inside the step: ToCopyBackward0 brings its gradient
    back to the CPU, and every replay reads the parameter's current values."""
    runs = []
    for compiled in (False, True):
        w = tenkai.tensor([1.0, 2.0, 3.0], requires_grad=True)
        opt = tenkai.optim.SGD([w], lr=0.1)

        def step(x: Any, w: Any = w, opt: Any = opt) -> Any:
            opt.zero_grad()
            loss = (w.to("cuda") * x.to("cuda")).square().sum()
            loss.backward()
            opt.step()
            return loss
        run = tenkai.compile(step) if compiled else step
        seen = []
        for k in range(3):
            loss = run(tenkai.tensor([0.5, -1.0, 2.0]) * (k + 1))
            assert loss.is_cuda and not w.is_cuda and not w.grad.is_cuda
            seen.append([loss.item(), *w.tolist(), *w.grad.tolist()])
        runs.append(seen)
        if compiled:
            assert run.stats["replays"] == 2 and run.steps[0].program.target.name == "cuda"
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-6)


@pytest.mark.slow  # (a small MLP's eager kernels)
def test_training_under_default_device_cuda_follows_the_cpu(cuda: Any) -> None:
    """A script written for the CPU, run after set_default_device("cuda"): the model, data
    and optimizer state are made on the GPU; the losses follow the CPU run."""
    runs = []
    for dev in ("cpu", "cuda"):
        tenkai.set_default_device(dev)
        try:
            tenkai.manual_seed(0)
            model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
            opt = tenkai.optim.Adam(model.parameters(), lr=0.01)
            x, y = tenkai.randn(6, 4), tenkai.randint(0, 3, (6,))
            losses = []
            for _ in range(3):
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                losses.append(loss.item())
            assert model[0].weight.is_cuda == (dev == "cuda") == x.is_cuda
            assert opt.state[model[0].weight]["exp_avg"].is_cuda == (dev == "cuda")
            runs.append(losses)
        finally:
            tenkai.set_default_device(None)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-5)
