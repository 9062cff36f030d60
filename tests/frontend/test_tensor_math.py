"""The elementwise math family against PyTorch: values, dtypes, grad_fn names, gradients,
method and in-place forms, and a compiled training step using the new ops.

One table: each row names a function, the domain of each operand and the dtypes to try. The
same numpy inputs go to ``tenkai.<name>`` and ``torch.<name>``; for float inputs the gradient
of ``sum(out * c)`` is compared too.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

F32, I64 = "float32", "int64"


def _values(domain: str, dtype: str, rng: np.random.Generator) -> np.ndarray:
    shape = (2, 3)
    if dtype.startswith("int"):
        lo, hi = {"shift": (0, 5), "nonzero": (1, 6), "pos": (1, 6)}.get(domain, (-5, 6))
        out = rng.integers(lo, hi, shape)
        if domain == "nonzero":
            out = out * rng.choice([-1, 1], shape)
        return out.astype(dtype)
    draw = {
        "real": lambda: rng.uniform(0.2, 2.0, shape) * rng.choice([-1, 1], shape),
        "unit": lambda: rng.uniform(0.05, 0.9, shape) * rng.choice([-1, 1], shape),
        "prob": lambda: rng.uniform(0.05, 0.95, shape),
        "pos": lambda: rng.uniform(0.3, 4.0, shape),
        "above1": lambda: rng.uniform(1.2, 4.0, shape),
        "nonzero": lambda: rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape),
        "special": lambda: np.array([[0.0, -0.0, np.nan], [np.inf, -np.inf, -1.5]]),
        "ties": lambda: np.array([[1.0, np.nan, 2.0], [np.nan, 0.0, -3.0]]),
    }[domain]
    return np.asarray(draw(), dtype=dtype)


# (name, operand domains, dtypes, kwargs)
UNARY_FLOAT = ["tan:unit", "asin:unit", "acos:unit", "atan:real", "sinh:real", "cosh:real",
               "asinh:real", "acosh:above1", "atanh:unit", "arcsin:unit", "arctanh:unit",
               "log2:pos", "log10:pos", "erfc:real", "erfinv:unit", "lgamma:pos",
               "digamma:pos", "sinc:real", "deg2rad:real", "rad2deg:real", "exp2:real",
               "logit:prob", "expm1:real", "log1p:pos"]
TABLE = [(n.split(":")[0], (n.split(":")[1],), (F32, I64) if n.split(":")[1] in ("real", "pos")
          else (F32,), {}) for n in UNARY_FLOAT] + [
    ("frac", ("real",), (F32,), {}),
    ("sgn", ("real",), (F32, I64), {}),
    ("logit", ("prob",), (F32,), {"eps": 0.2}),
    ("atan2", ("real", "real"), (F32, I64), {}),
    ("arctan2", ("real", "real"), (F32,), {}),
    ("hypot", ("real", "real"), (F32,), {}),
    ("copysign", ("real", "real"), (F32, I64), {}),
    ("fmod", ("real", "nonzero"), (F32, I64), {}),
    ("remainder", ("real", "nonzero"), (F32, I64), {}),
    ("logaddexp", ("real", "real"), (F32,), {}),
    ("logaddexp2", ("real", "real"), (F32,), {}),
    ("xlogy", ("real", "pos"), (F32,), {}),
    ("float_power", ("pos", "real"), (F32, I64), {}),
    ("fmax", ("ties", "real"), (F32,), {}),
    ("fmin", ("ties", "real"), (F32,), {}),
    ("ldexp", ("real", "real"), (F32,), {}),
    ("heaviside", ("special", "real"), (F32,), {}),
    ("isnan", ("special",), (F32,), {}), ("isinf", ("special",), (F32,), {}),
    ("isfinite", ("special",), (F32,), {}), ("isposinf", ("special",), (F32,), {}),
    ("isneginf", ("special",), (F32,), {}), ("signbit", ("special",), (F32,), {}),
    ("isnan", ("real",), (I64,), {}), ("isfinite", ("real",), (I64,), {}),
    ("signbit", ("real",), (I64,), {}),
    ("nan_to_num", ("special",), (F32,), {}),
    ("nan_to_num", ("special",), (F32,), {"nan": 1.0, "posinf": 9.0}),
    ("logical_xor", ("real", "real"), (F32, I64), {}),
    ("bitwise_and", ("real", "real"), (I64,), {}), ("bitwise_or", ("real", "real"), (I64,), {}),
    ("bitwise_xor", ("real", "real"), (I64,), {}), ("bitwise_not", ("real",), (I64,), {}),
    ("bitwise_left_shift", ("real", "shift"), (I64,), {}),
    ("bitwise_right_shift", ("real", "shift"), (I64,), {}),
    ("clamp_min", ("real",), (F32,), {"min": 0.5}), ("clamp_max", ("real",), (F32,), {"max": 0.5}),
]


def _params():
    return [pytest.param(name, doms, dt, kw, id=f"{name}-{dt}-{i}")
            for i, (name, doms, dts, kw) in enumerate(TABLE) for dt in dts]


def _grad_pair(name, arrays, kw):
    """(tenkai, torch) outputs and gradients of sum(out * c) w.r.t. the float operands."""
    tk = [tenkai.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    th = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out_tk, out_th = getattr(tenkai, name)(*tk, **kw), getattr(torch, name)(*th, **kw)
    return tk, th, out_tk, out_th


@pytest.mark.parametrize("name,doms,dtype,kw", _params())
def test_matches_torch(name, doms, dtype, kw):
    rng = np.random.default_rng(zlib.crc32(f"{name}{dtype}".encode()))
    arrays = [_values(d, dtype, rng) for d in doms]
    tk, th, out_tk, out_th = _grad_pair(name, arrays, kw)
    want = out_th.detach().numpy()
    assert str(out_tk.dtype) == str(out_th.dtype), f"{name}: dtype {out_tk.dtype}"
    np.testing.assert_allclose(out_tk.detach().numpy(), want, rtol=2e-6, atol=1e-6, equal_nan=True,
                               err_msg=name)
    if not out_th.requires_grad or name == "heaviside":  # torch: derivative not implemented
        return
    assert out_tk.grad_fn.name() == out_th.grad_fn.name()
    ct = rng.uniform(0.5, 1.5, want.shape).astype(want.dtype)
    (out_tk * tenkai.tensor(ct)).sum().backward()
    (out_th * torch.tensor(ct)).sum().backward()
    for a, b in zip(tk, th, strict=True):
        if b.requires_grad:
            want_grad = torch.zeros_like(b).add(b.grad).numpy()  # (sgn: a ZeroTensor)
            np.testing.assert_allclose(a.grad.numpy(), want_grad, rtol=1e-4, atol=1e-5,
                                       equal_nan=True, err_msg=f"{name} gradient")


@pytest.mark.parametrize("name", ["asin", "atan2", "logaddexp", "erfinv", "xlogy", "fmod",
                                  "bitwise_and", "isnan", "nan_to_num"])
def test_method_and_inplace_forms(name):
    x = np.array([[0.5, -0.25], [0.75, 0.1]], dtype=np.float32)
    if name == "bitwise_and":
        x = np.array([[5, 3], [6, 1]])
    args = [x, x[::-1].copy()] if name in ("atan2", "logaddexp", "xlogy", "fmod",
                                            "bitwise_and") else [x]
    want = getattr(torch, name)(*[torch.tensor(a) for a in args]).numpy()
    t = tenkai.tensor(args[0])
    rest = [tenkai.tensor(a) for a in args[1:]]
    np.testing.assert_allclose(getattr(t, name)(*rest).numpy(), want, rtol=1e-6)
    if hasattr(torch.Tensor, name + "_"):
        getattr(t, name + "_")(*rest)
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-6)
    if hasattr(torch, name + "_"):
        t = tenkai.tensor(args[0])
        getattr(tenkai, name + "_")(t, *rest)
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-6)


def test_operators_and_aliases():
    a, b = tenkai.tensor([12, -7, 3]), tenkai.tensor([10, 3, 1])
    ta, tb = torch.tensor([12, -7, 3]), torch.tensor([10, 3, 1])
    for op in ("__and__", "__or__", "__xor__", "__lshift__", "__rshift__"):
        assert getattr(a, op)(b).tolist() == getattr(ta, op)(tb).tolist(), op
    assert (~a).tolist() == (~ta).tolist()
    assert (tenkai.tensor([True, False]) ^ tenkai.tensor([True, True])).tolist() == [False, True]
    assert tenkai.polygamma(1, tenkai.tensor([2.0])).item() == pytest.approx(
        torch.polygamma(1, torch.tensor([2.0])).item(), rel=1e-6)
    m, e = tenkai.frexp(tenkai.tensor([8.0, -0.375]))
    tm, te = torch.frexp(torch.tensor([8.0, -0.375]))
    assert m.tolist() == tm.tolist() and e.tolist() == te.tolist() and e.dtype == tenkai.int32


def test_out_argument():
    x = tenkai.tensor([0.5, -0.25])
    out = tenkai.empty(2)
    assert tenkai.asin(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.arcsin([0.5, -0.25]), rtol=1e-6)
    flags = tenkai.empty(2, dtype=tenkai.bool)
    tenkai.isnan(tenkai.tensor([np.nan, 1.0]), out=flags)
    assert flags.tolist() == [True, False]


def test_errors_match_torch():
    f, i = tenkai.tensor([1.5]), tenkai.tensor([3])
    with pytest.raises(NotImplementedError, match="bitwise_and_cpu"):
        tenkai.bitwise_and(f, f)
    with pytest.raises(NotImplementedError, match="bitwise_not_cpu"):
        _ = ~f
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tenkai.fmod(i, tenkai.tensor([0]))
    with pytest.raises(RuntimeError, match="must match the size"):
        tenkai.atan2(tenkai.ones(2, 3), tenkai.ones(4))
    with pytest.raises(RuntimeError, match="does not support negative n"):
        tenkai.polygamma(-1, f)


class _MathNet(tenkai.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = tenkai.nn.Linear(4, 3)

    def forward(self, x):
        h = self.fc(x)
        s = tenkai.atan(h) + tenkai.asinh(h) * 0.5 + tenkai.erfc(h) - tenkai.sinh(h) * 0.1
        p = tenkai.sigmoid(h).clamp(0.05, 0.95)
        s = s + tenkai.logaddexp(h, -h) + tenkai.xlogy(p, p) + tenkai.lgamma(p + 1)
        s = s + tenkai.atan2(h, p) + tenkai.hypot(h, p) + tenkai.logit(p) * 0.1
        return s + tenkai.fmax(h, p) + tenkai.digamma(p + 1) + tenkai.asin(p - 0.5)


@pytest.mark.parametrize("backend", [None, "interp", "tenkai"])
def test_training_with_math_ops_compiled_follows_eager(backend):
    def run(compiled):
        tenkai.manual_seed(0)
        model = _MathNet()
        opt = tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = tenkai.randn(8, 4), tenkai.randn(8, 3)

        def step(x, y):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        fn = tenkai.compile(step, backend=compiled) if compiled else step
        losses = [fn(x, y).item() for _ in range(4)]
        return losses, model, opt

    eager, m1, o1 = run(None)
    got, m2, o2 = run(backend)
    assert math.isfinite(eager[-1]) and eager[-1] < eager[0]
    np.testing.assert_allclose(got, eager, rtol=2e-5)
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_allclose(p2.detach().numpy(), p1.detach().numpy(), rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(p2.grad.numpy(), p1.grad.numpy(), rtol=2e-5, atol=1e-6)
        buf1 = o1.state[p1]["momentum_buffer"]
        buf2 = o2.state[p2]["momentum_buffer"]
        np.testing.assert_allclose(buf2.numpy(), buf1.numpy(), rtol=2e-5, atol=1e-6)
