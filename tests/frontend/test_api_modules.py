"""Submodules scripts import by name: ``torch.amp``, ``torch.cuda.amp``, ``torch.random``, and
``torch.nn.init``'s deprecated names, against PyTorch 2.13 (names, warnings, behaviour)."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("module", ["amp", "random", "cuda.amp"])
def test_the_names_scripts_use_exist(module: str) -> None:
    want = {"amp": ["GradScaler", "autocast", "custom_bwd", "custom_fwd",
                    "is_autocast_available"],
            "random": ["fork_rng", "manual_seed", "seed", "initial_seed", "get_rng_state",
                       "set_rng_state", "default_generator", "Generator"],
            "cuda.amp": ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]}[module]
    for lib in (torch, tenkai):
        mod = lib
        for part in module.split("."):
            mod = getattr(mod, part)
        missing = [n for n in want if not hasattr(mod, n)]
        assert not missing, (lib.__name__, module, missing)


def test_fork_rng_restores_the_generator() -> None:
    for lib in (torch, tenkai):
        lib.manual_seed(3)
        with lib.random.fork_rng():
            inside = lib.rand(4).tolist()
        after = lib.rand(4).tolist()
        assert inside == after
        with lib.random.fork_rng(enabled=False):
            lib.rand(4)
        assert lib.rand(4).tolist() != after


class _Cube:
    """``x ** 3`` as an autograd.Function with the amp decorators."""

    @staticmethod
    def make(lib, decorate_fwd, decorate_bwd):
        class Cube(lib.autograd.Function):
            @staticmethod
            @decorate_fwd
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            @decorate_bwd
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x ** 2
        return Cube


@pytest.mark.parametrize("form", ["amp", "amp_partial", "cuda_amp"])
def test_custom_fwd_bwd_decorate_autograd_functions(form: str) -> None:
    grads = []
    for lib in (torch, tenkai):
        if form == "amp":
            fwd = functools.partial(lib.amp.custom_fwd, device_type="cpu")
            bwd = functools.partial(lib.amp.custom_bwd, device_type="cpu")
        elif form == "amp_partial":
            fwd = lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            bwd = lib.amp.custom_bwd(device_type="cpu")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                fwd, bwd = lib.cuda.amp.custom_fwd, lib.cuda.amp.custom_bwd
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            cube = _Cube.make(lib, fwd, bwd)
        x = lib.tensor([0.5, -2.0, 1.5], requires_grad=True)
        y = cube.apply(x)
        y.sum().backward()
        grads.append((y.tolist(), x.grad.tolist()))
    assert grads[1] == grads[0]


def test_autocast_regions_as_pytorch_where_tenkai_can() -> None:
    assert tenkai.amp.is_autocast_available("cpu") is False  # tenkai keeps the given dtypes
    with tenkai.amp.autocast("cpu", enabled=False):
        assert (tenkai.ones(2, 2) @ tenkai.ones(2, 2)).dtype == tenkai.float32
    with pytest.raises(NotImplementedError, match="autocast"), \
            tenkai.amp.autocast("cpu", dtype=tenkai.float16):
        pass
    with pytest.raises(RuntimeError, match="device_type"):
        tenkai.amp.custom_fwd(device_type="tpu")


@pytest.mark.parametrize("name", ["autocast", "GradScaler", "custom_fwd", "custom_bwd"])
def test_cuda_amp_names_warn_as_pytorch(name: str) -> None:
    messages = []
    for lib in (torch, tenkai):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            obj = getattr(lib.cuda.amp, name)
            if name in ("autocast", "GradScaler"):
                obj(enabled=False)
            else:
                obj(lambda ctx, x: x)
        messages.append([(w.category, str(w.message)) for w in caught
                         if issubclass(w.category, FutureWarning)])
    assert messages[1] == messages[0]


INIT = ["uniform", "normal", "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform",
        "kaiming_normal", "orthogonal", "sparse", "eye", "dirac"]


@pytest.mark.parametrize("name", INIT)
def test_deprecated_init_names_warn_and_initialize_in_place(name: str) -> None:
    args = {"constant": (0.25,), "sparse": (0.5,)}.get(name, ())
    shape = (4, 2, 3) if name == "dirac" else (4, 6)
    for lib in (torch, tenkai):
        new = lib.empty(*shape)
        lib.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(lib.nn.init, name)(new, *args)
        assert out is new
        assert [str(w.message) for w in caught] == [
            f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."]
        assert all(w.category is FutureWarning for w in caught)
        ref = lib.empty(*shape)
        lib.manual_seed(0)
        getattr(lib.nn.init, name + "_")(ref, *args)
        np.testing.assert_array_equal(new.numpy(), ref.numpy())


def test_scripts_import_the_submodules_under_the_torch_alias() -> None:
    script = textwrap.dedent("""
        import warnings
        warnings.simplefilter("ignore", FutureWarning)
        from torch.amp import GradScaler, autocast
        from torch.cuda.amp import custom_fwd
        import torch.random
        with torch.random.fork_rng():
            torch.rand(2)
        print(GradScaler.__module__, autocast.__name__, custom_fwd.__name__)
    """)
    done = subprocess.run([sys.executable, "-c", "import sys, runpy; "
                           "from tenkai._torch_alias import install; install(); "
                           f"exec({script!r})"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tenkai._api_amp", "autocast", "custom_fwd"]


def test_accelerator_without_one_as_pytorch() -> None:
    for lib in (torch, tenkai):
        acc = lib.accelerator
        assert (acc.is_available(), acc.current_accelerator(), acc.device_count()) == \
            (False, None, 0)
        device = acc.current_accelerator().type if acc.is_available() else "cpu"
        assert lib.ones(2, device=device).device.type == "cpu"
        for call in (acc.current_device_index, acc.synchronize,
                     functools.partial(acc.set_device_index, 0)):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none"):
                call()
