"""``tenkai.cuda`` and device arguments where a GPU exists, on the fake driver
(tests/runtime/cuda_fake.py): device queries, memory counters, synchronize, and device
arguments (``.cuda()``, ``device=``) making cuda tensors (tests/runtime/test_cuda_tensors.py
tests them in depth)."""

from __future__ import annotations

from typing import Any

import pytest
from cuda_fake import FakeDriver, install

import tenkai


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake driver in place of libcuda, and the cuda codegen's PTX recorded for it."""
    yield from install(monkeypatch, devices=2)


def test_device_queries_answer_from_the_driver(fake_cuda: FakeDriver) -> None:
    cuda = tenkai.cuda
    assert cuda.is_available() and cuda.device_count() == 2
    assert not cuda.is_initialized() and cuda.memory_allocated() == 0
    assert cuda.current_device() == 0 and cuda.is_initialized()
    assert cuda.get_device_name() == fake_cuda.device_name(0)
    assert cuda.get_device_name("cuda:1") == fake_cuda.device_name(1)
    assert cuda.get_device_capability(0) == (8, 0) and cuda.is_bf16_supported()
    props = cuda.get_device_properties(tenkai.device("cuda", 0))
    assert (props.major, props.total_memory) == (8, 1 << 30)
    assert "total_memory=1024MB" in repr(props)
    assert "sm_80" in cuda.get_arch_list()
    cuda.set_device(1)
    assert cuda.current_device() == 1
    with pytest.raises(RuntimeError, match=r"invalid device ordinal \(device 2; 2 device"):
        cuda.set_device(2)
    with pytest.raises(ValueError, match="Expected a cuda device"):
        cuda.get_device_name("cpu")
    before = fake_cuda.calls["synchronize"]
    cuda.synchronize()
    assert fake_cuda.calls["synchronize"] == before + 1
    free, total = cuda.mem_get_info()
    assert total == 1 << 30 and free <= total


def test_memory_counters_follow_compiled_steps(fake_cuda: FakeDriver) -> None:
    w = tenkai.randn(256, requires_grad=True)
    opt = tenkai.optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (w * x).square().mean()
        loss.backward()
        opt.step()
        return loss

    x = tenkai.randn(256)
    compiled = tenkai.compile(step, target="cuda")
    for _ in range(3):
        compiled(x)
    held = tenkai.cuda.memory_allocated()
    assert held >= 3 * 256 * 4 and tenkai.cuda.max_memory_allocated() >= held
    tenkai.cuda.reset_peak_memory_stats()
    assert tenkai.cuda.max_memory_allocated() == held
    assert tenkai.cuda.memory_reserved() >= held
    assert tenkai.cuda.max_memory_reserved() >= tenkai.cuda.memory_reserved()
    del compiled
    import gc

    gc.collect()  # the step's buffers go back to the cache ...
    assert tenkai.cuda.memory_allocated() < held <= tenkai.cuda.memory_reserved()
    frees = fake_cuda.buffers.copy()
    tenkai.cuda.empty_cache()  # ... and from there to the driver
    assert tenkai.cuda.memory_reserved() == tenkai.cuda.memory_allocated()
    assert len(fake_cuda.buffers) < len(frees)
    tenkai.cuda.manual_seed_all(0)


def test_device_arguments_make_cuda_tensors(fake_cuda: FakeDriver) -> None:
    x = tenkai.ones(2)
    for moved in (x.cuda(), x.to("cuda"), tenkai.ones(2, device="cuda"),
                  x.to(tenkai.device("cuda", 0))):
        assert moved.device == tenkai.device("cuda", 0) and moved.is_cuda
    assert tenkai.nn.Linear(2, 2).to("cuda:1").weight.device == tenkai.device("cuda:1")
    tenkai.cuda.set_device(1)
    assert x.cuda().device.index == 1  # "cuda" is the current GPU
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        x.to("cuda:5")
    try:
        tenkai.set_default_device("cuda")  # (the current GPU)
        assert tenkai.get_default_device() == tenkai.device("cuda:1")
        assert tenkai.zeros(2).device == tenkai.device("cuda:1")
    finally:
        tenkai.set_default_device("cpu")
    assert tenkai.get_default_device().type == "cpu"


def test_accelerator_answers_from_the_gpu_where_one_exists(fake_cuda: FakeDriver) -> None:
    acc = tenkai.accelerator
    assert acc.is_available() and acc.device_count() == 2
    assert acc.current_accelerator() == tenkai.device("cuda")
    assert acc.current_accelerator().type == "cuda"
    assert acc.current_device_index() == 0
    with acc.device_index(1):
        assert acc.current_device_index() == 1
    assert acc.current_device_index() == 0
    x = tenkai.ones(256, device=acc.current_accelerator())
    acc.synchronize()
    assert x.device.type == "cuda" and acc.memory_allocated() >= 1024
