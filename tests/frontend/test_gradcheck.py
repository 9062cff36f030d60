"""``tenkai.autograd.gradcheck`` / ``gradgradcheck`` (custom Functions, wrong backwards,
PyTorch's GradcheckError and messages) and ``tenkai.testing.make_tensor`` (ranges, dtypes,
errors as PyTorch's)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tenkai
from tenkai.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


class Cube(tenkai.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class WrongCube(Cube):
    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * 2 * x ** 2


class MulAdd(tenkai.autograd.Function):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, scale: float) -> Any:
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale, a + b

    @staticmethod
    def backward(ctx: Any, g_prod: Any, g_sum: Any) -> Any:
        a, b = ctx.saved_tensors
        return g_prod * b * ctx.scale + g_sum, g_prod * a * ctx.scale + g_sum, None


def _inputs(*shapes: tuple[int, ...]) -> tuple[Any, ...]:
    rng = np.random.default_rng(0)
    return tuple(tenkai.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)


def test_gradcheck_passes_on_correct_backwards() -> None:
    assert torch.autograd.gradcheck is not None and tenkai.autograd.gradcheck is gradcheck
    assert gradcheck(Cube.apply, _inputs((3, 2)))
    a, b = _inputs((2, 3), (2, 3))
    assert gradcheck(lambda a, b: MulAdd.apply(a, b, 0.5), (a, b), eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x, w: tenkai.tanh(x @ w).sum(-1), _inputs((2, 3), (3, 4)))
    assert gradgradcheck(lambda x: (x.sin() * x).sum(), _inputs((4,)))
    assert gradgradcheck(lambda x, w: tenkai.tanh(x @ w), _inputs((2, 3), (3, 2)))


def test_gradcheck_raises_on_a_wrong_backward_as_torch() -> None:
    assert issubclass(GradcheckError, RuntimeError)
    x = _inputs((3,))
    with pytest.raises(GradcheckError,
                       match="Jacobian mismatch for output 0 with respect to input 0,\n"
                             "numerical:tensor") as info:
        gradcheck(WrongCube.apply, x)
    assert "analytical:tensor" in str(info.value) and "dtype=torch.float64" in str(info.value)
    assert gradcheck(WrongCube.apply, x, raise_exception=False) is False
    # the same verdicts from PyTorch on its own version of the Function
    assert torch.autograd.gradcheck(lambda t: t ** 3, (torch.tensor(x[0].detach().numpy(),
                                                                   requires_grad=True),))


def test_gradgradcheck_catches_a_wrong_double_backward() -> None:
    class FrozenSquare(tenkai.autograd.Function):  # backward right, but not differentiable
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            (x,) = ctx.saved_tensors
            return grad * 2 * x.detach()

    x = _inputs((3,))
    assert gradcheck(FrozenSquare.apply, x)
    assert gradgradcheck(FrozenSquare.apply, x, raise_exception=False) is False


def test_gradcheck_argument_errors_and_warning() -> None:
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda t: t * 2, (tenkai.ones(3, dtype=tenkai.float64),))
    with pytest.raises(NotImplementedError, match="check_forward_ad"):
        gradcheck(Cube.apply, _inputs((2,)), check_forward_ad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradcheck(lambda t: t * 2, (tenkai.ones(3, requires_grad=True),),
                  raise_exception=False)
    assert any("Input #0 requires gradient and is not a double precision" in str(w.message)
               for w in caught)


@pytest.mark.parametrize("dtype,low,high", [("float32", -9, 9), ("float64", 0.5, 2.0),
                                            ("int64", -9, 10), ("uint8", 0, 10),
                                            ("int32", -2, 3), ("float16", -9, 9)])
def test_make_tensor_ranges(dtype: str, low: float, high: float) -> None:
    tenkai.manual_seed(0)
    kwargs = {} if (low, high) in ((-9, 9), (-9, 10), (0, 10)) else {"low": low, "high": high}
    t = tenkai.testing.make_tensor(50, 40, dtype=getattr(tenkai, dtype), device="cpu",
                                   **kwargs)
    ref = torch.testing.make_tensor(50, 40, dtype=getattr(torch, dtype), device="cpu",
                                    **kwargs)
    assert tuple(t.shape) == tuple(ref.shape) == (50, 40) and str(t.dtype) == str(ref.dtype)
    data = t.numpy().astype(np.float64)
    assert data.min() >= low
    assert data.max() < high or (dtype == "float16" and data.max() <= high)  # rounded up
    assert len(np.unique(data)) >= min(5, high - low)  # random, not constant


def test_make_tensor_options_and_errors() -> None:
    make = tenkai.testing.make_tensor
    t = make((2, 3), dtype=tenkai.float64, device="cpu", requires_grad=True,
             noncontiguous=True)
    assert t.requires_grad and tuple(t.shape) == (2, 3) and t.is_leaf
    assert make(3, dtype=tenkai.bool, device="cpu").dtype == tenkai.bool
    nonzero = make(2000, dtype=tenkai.int64, device="cpu", low=-1, high=2, exclude_zero=True)
    assert set(np.unique(nonzero.numpy())) <= {-1, 1}
    for kwargs in [{"low": 3, "high": 1}, {"low": float("nan")}]:
        with pytest.raises(ValueError) as ours:
            make(2, dtype=tenkai.float32, device="cpu", **kwargs)
        with pytest.raises(ValueError) as theirs:
            torch.testing.make_tensor(2, dtype=torch.float32, device="cpu", **kwargs)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="requires_grad=True` is not supported"):
        make(2, dtype=tenkai.int64, device="cpu", requires_grad=True)
    with pytest.raises(TypeError):
        make(2, dtype=tenkai.float32)  # device is required, as in PyTorch


SCRIPT = """
import torch
from torch.autograd.gradcheck import GradcheckError
from torch.distributions import Categorical, kl_divergence
from torch.testing import make_tensor
x = make_tensor(3, dtype=torch.float64, device="cpu", requires_grad=True)
assert torch.autograd.gradcheck(torch.sin, (x,)) and issubclass(GradcheckError, RuntimeError)
c = Categorical(logits=torch.zeros(3))
print(torch.__name__, c.sample((2,)).shape, kl_divergence(c, c).item())
"""


def test_unchanged_pytorch_script_under_the_torch_alias(tmp_path: Any) -> None:
    """``from torch.autograd.gradcheck import GradcheckError`` under ``tenkai.as_torch``
    leaves ``torch.autograd.gradcheck`` the function (the import finds the loaded module)."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, "-m", "tenkai.as_torch", str(script)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "tenkai torch.Size([2]) 0.0"
