"""Tests for ir/ops_nn.py: the window ops (conv2d, pooling and their gradient ops).

Each op is checked on graphs built with the registry: the verifier accepts the forward and
the autodiff graphs, the interpreter matches ``ir/nn_reference`` and PyTorch, and every VJP
(including the VJPs of the gradient ops, i.e. double backward) matches central finite
differences in float64. Shape rules raise PyTorch's messages.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tenkai.ir import Graph, ShapeError, nn_reference, run, verify
from tenkai.ir.errors import DTypeError
from tenkai.ir.ops import REGISTRY, WINDOW, ops_of_kind
from tenkai.ir.passes import autodiff

# ---------------------------------------------------------------- cases

# (x_shape, w_shape, stride, padding, dilation, groups)
CONV = [
    ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 4, 8, 8), (6, 2, 3, 3), (2, 2), (1, 1), (1, 1), 2),
    ((1, 2, 9, 7), (3, 2, 3, 2), (1, 2), (2, 1), (2, 1), 1),
    ((1, 2, 8, 8), (2, 2, 3, 3), (3, 3), (0, 0), (1, 1), 1),  # uncovered input tail
    ((2, 4, 1, 9), (4, 1, 1, 3), (1, 1), (0, 1), (1, 2), 4),  # depthwise conv1d as H == 1
]
# (shape, kernel, stride, padding, dilation, ceil_mode)
MAX_POOL = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((2, 7, 9), (3, 2), (1, 2), (1, 0), (2, 1), False),  # 3-D input, dilation
    ((1, 1, 10, 10), (3, 3), (3, 3), (1, 1), (1, 1), True),
]
# (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_POOL = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True, None),
    ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1), True, False, None),
    ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1), True, True, None),
    ((2, 7, 9), (3, 2), (1, 2), (1, 0), False, True, 5),
]
# (shape, output_size)
ADAPTIVE = [((2, 3, 8, 8), (3, 3)), ((1, 2, 7, 5), (4, 2)), ((2, 5, 6), (1, 1))]


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with gaps >= 0.01 between them, so max windows have no near-ties."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.01 + rng.uniform(0, 0.002, n) - n * 0.005).reshape(shape)


def _conv_attrs(case: tuple) -> dict[str, Any]:
    _, _, stride, padding, dilation, groups = case
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _max_attrs(case: tuple) -> dict[str, Any]:
    _, kernel, stride, padding, dilation, ceil = case
    return {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation,
            "ceil_mode": ceil}


def _avg_attrs(case: tuple) -> dict[str, Any]:
    _, kernel, stride, padding, ceil, include, divisor = case
    return {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil,
            "count_include_pad": include, "divisor_override": divisor}


def _op_cases() -> list[tuple[str, list[np.ndarray], dict[str, Any]]]:
    """(op, operands, attrs) for every differentiable window op, in float64."""
    out = []
    for k, case in enumerate(CONV):
        rng, attrs = _rng("conv", k), _conv_attrs(case)
        x, w = rng.standard_normal(case[0]), rng.standard_normal(case[1])
        y = nn_reference.conv2d(x, w, **attrs)
        g = rng.standard_normal(y.shape)
        out.append(("conv2d", [x, w], attrs))
        out.append(("conv2d_grad_input", [g, w], {"input_shape": case[0], **attrs}))
        out.append(("conv2d_grad_weight", [x, g], {"weight_shape": case[1], **attrs}))
    for k, case in enumerate(MAX_POOL):
        rng, attrs = _rng("max", k), _max_attrs(case)
        x = _distinct(rng, case[0])
        g = rng.standard_normal(nn_reference.max_pool2d(x, **attrs).shape)
        out.append(("max_pool2d", [x], attrs))
        out.append(("max_pool2d_grad", [g, x], attrs))
    for k, case in enumerate(AVG_POOL):
        rng, attrs = _rng("avg", k), _avg_attrs(case)
        x = rng.standard_normal(case[0])
        g = rng.standard_normal(nn_reference.avg_pool2d(x, **attrs).shape)
        out.append(("avg_pool2d", [x], attrs))
        out.append(("avg_pool2d_grad", [g], {"input_shape": case[0], **attrs}))
    for k, (shape, size) in enumerate(ADAPTIVE):
        rng = _rng("adaptive", k)
        x = rng.standard_normal(shape)
        g = rng.standard_normal((*shape[:-2], *size))
        out.append(("adaptive_avg_pool2d", [x], {"output_size": size}))
        out.append(("adaptive_avg_pool2d_grad", [g], {"input_shape": shape}))
    return out


CASES = _op_cases()
CASE_IDS = [f"{op}-{k}" for k, (op, _, _) in enumerate(CASES)]

# ---------------------------------------------------------------- graph helpers


def _graph(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> Graph:
    g = Graph(op)
    ins = [g.add("input", shape=a.shape, dtype=str(a.dtype), name=f"x{i}")
           for i, a in enumerate(arrays)]
    g.add_output(g.add(op, ins, **attrs))
    return g


def _forward(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> np.ndarray:
    g = _graph(op, arrays, attrs)
    verify(g)
    return run(g, {f"x{i}": a for i, a in enumerate(arrays)})[0]


# ---------------------------------------------------------------- registry entries


def test_window_ops_registered() -> None:
    expected = {"conv2d", "conv2d_grad_input", "conv2d_grad_weight", "max_pool2d",
                "max_pool2d_indices", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad",
                "adaptive_avg_pool2d", "adaptive_avg_pool2d_grad"}
    assert expected <= set(ops_of_kind(WINDOW))
    for name in expected:
        op = REGISTRY[name]
        assert op.reference is not None and op.shape_rule is not None and op.doc
        assert (op.vjp is None) == (name == "max_pool2d_indices")


@pytest.mark.parametrize(("op", "arrays", "attrs"), CASES, ids=CASE_IDS)
def test_forward_matches_reference(op: str, arrays: list[np.ndarray],
                                   attrs: dict[str, Any]) -> None:
    got = _forward(op, arrays, attrs)
    ref = REGISTRY[op].reference(*arrays, **attrs)
    assert got.dtype == np.float64 and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)


def test_float32_keeps_dtype() -> None:
    rng = _rng("f32")
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    assert _forward("conv2d", [x, w], {}).dtype == np.float32
    pool = {"kernel_size": (2, 2), "stride": (2, 2)}
    assert _forward("max_pool2d", [x], pool).dtype == np.float32
    assert _forward("max_pool2d_indices", [x], pool).dtype == np.int64


# ---------------------------------------------------------------- vs torch


def _torch_forward(torch: Any, op: str, arrays: list[np.ndarray], attrs: dict[str, Any]):
    F = torch.nn.functional
    t = [torch.from_numpy(a) for a in arrays]
    a = dict(attrs)
    if op == "conv2d":
        return F.conv2d(t[0], t[1], **a)
    if op == "conv2d_grad_input":
        shape = a.pop("input_shape")
        return torch.nn.grad.conv2d_input(shape, t[1], t[0], **a)
    if op == "conv2d_grad_weight":
        shape = a.pop("weight_shape")
        return torch.nn.grad.conv2d_weight(t[0], shape, t[1], **a)
    if op in ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"):
        return getattr(F, op)(t[0], **a)
    # gradient ops: differentiate the forward op in torch
    if op == "max_pool2d_grad":
        g, x = t
        fwd = lambda v: F.max_pool2d(v, **a)  # noqa: E731
    elif op == "avg_pool2d_grad":
        g, x = t[0], torch.zeros(a.pop("input_shape"), dtype=torch.float64)
        fwd = lambda v: F.avg_pool2d(v, **a)  # noqa: E731
    else:
        g, x = t[0], torch.zeros(a.pop("input_shape"), dtype=torch.float64)
        fwd = lambda v: F.adaptive_avg_pool2d(v, tuple(g.shape[-2:]))  # noqa: E731
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fwd(x), x, g)
    return grad


@pytest.mark.torch
@pytest.mark.parametrize(("op", "arrays", "attrs"), CASES, ids=CASE_IDS)
def test_forward_matches_torch(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    want = _torch_forward(torch, op, arrays, attrs).detach().numpy()
    np.testing.assert_allclose(_forward(op, arrays, attrs), want, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("case", MAX_POOL)
def test_max_pool_indices_match_torch(case: tuple) -> None:
    torch = pytest.importorskip("torch")
    attrs = _max_attrs(case)
    x = _distinct(_rng("idx", case), case[0])
    _, want = torch.nn.functional.max_pool2d(torch.from_numpy(x), return_indices=True, **attrs)
    np.testing.assert_array_equal(_forward("max_pool2d_indices", [x], attrs), want.numpy())


# ---------------------------------------------------------------- vjps vs finite differences


def _vjp_graph(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> Callable:
    """Verified autodiff graph; returns fn(arrays, cotangent) -> list of input gradients."""
    g = _graph(op, arrays, attrs)
    out = g.operands(g.outputs[0])[0]
    res = autodiff(g, [out], g.inputs)
    verify(res.graph)

    def vjp(values: list[np.ndarray], ct: np.ndarray) -> list[np.ndarray]:
        feeds = {f"x{i}": a for i, a in enumerate(values)}
        feeds[res.seeds[0]] = ct
        return run(res.graph, feeds)[1:]
    return vjp


@pytest.mark.parametrize(("op", "arrays", "attrs"), CASES, ids=CASE_IDS)
def test_vjp_matches_finite_differences(op: str, arrays: list[np.ndarray],
                                        attrs: dict[str, Any]) -> None:
    rng = _rng("fd", op, tuple(a.shape for a in arrays), tuple(attrs.items()))
    ref = REGISTRY[op].reference
    out = ref(*arrays, **attrs)
    ct = rng.standard_normal(out.shape)
    grads = _vjp_graph(op, arrays, attrs)(arrays, ct)
    eps = 1e-6
    for i, (a, grad) in enumerate(zip(arrays, grads, strict=True)):
        assert grad.shape == a.shape
        direction = rng.standard_normal(a.shape)
        plus = [b + eps * direction if j == i else b for j, b in enumerate(arrays)]
        minus = [b - eps * direction if j == i else b for j, b in enumerate(arrays)]
        numeric = np.sum(ct * (ref(*plus, **attrs) - ref(*minus, **attrs))) / (2 * eps)
        analytic = np.sum(grad * direction)
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-7), (
            f"{op}: d/d operand {i}: vjp gives {analytic}, finite differences {numeric}")


def test_double_backward_of_conv2d() -> None:
    """d/dw <v, d<c, conv(x, w)>/dx> through the derived graph equals finite differences."""
    rng = _rng("double")
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    attrs = {"stride": (2, 1), "padding": (1, 1), "dilation": (1, 1), "groups": 1}
    c = rng.standard_normal(nn_reference.conv2d(x, w, **attrs).shape)
    v = rng.standard_normal(x.shape)

    def inner(w_: np.ndarray) -> float:
        return float(np.sum(v * nn_reference.conv2d_grad_input(c, w_, input_shape=x.shape,
                                                               **attrs)))
    g = Graph("double")
    xi, wi = g.add("input", shape=x.shape, dtype="float64", name="x"), \
        g.add("input", shape=w.shape, dtype="float64", name="w")
    y = g.add("conv2d", [xi, wi], **attrs)
    g.add_output(y)
    first = autodiff(g, [y], [xi])
    jg = first.graph
    vi = jg.add("input", shape=x.shape, dtype="float64", name="v")
    dot = jg.add("sum", [jg.add("mul", [first.grads[0], vi])], axes=(0, 1, 2, 3))
    second = autodiff(jg, [dot], [wi])
    verify(second.graph)
    feeds = {"x": x, "w": w, "v": v, first.seeds[0]: c, second.seeds[0]: np.float64(1.0)}
    got = run(second.graph, feeds)[-1]
    d = rng.standard_normal(w.shape)
    numeric = (inner(w + 1e-6 * d) - inner(w - 1e-6 * d)) / 2e-6
    assert np.sum(got * d) == pytest.approx(numeric, rel=1e-7)


# ---------------------------------------------------------------- errors


def _conv_error(x: tuple, w: tuple, **attrs: Any) -> str:
    g = Graph("bad")
    xi = g.add("input", shape=x, dtype="float32")
    wi = g.add("input", shape=w, dtype="float32")
    with pytest.raises(ShapeError) as info:
        g.add("conv2d", [xi, wi], **attrs)
    assert isinstance(info.value, RuntimeError)
    return str(info.value)


def test_conv2d_shape_errors_name_op_and_shapes() -> None:
    msg = _conv_error((8, 3, 28, 28), (16, 1, 3, 3))
    assert msg.startswith("conv2d: ")
    assert ("Given groups=1, weight of size [16, 1, 3, 3], expected input[8, 3, 28, 28] to have "
            "1 channels, but got 3 channels instead") in msg
    msg = _conv_error((1, 1, 2, 2), (1, 1, 3, 3))
    assert ("Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel "
            "size can't be greater than actual input size") in msg
    assert "divisible by 2 at dimension 0" in _conv_error((2, 4, 5, 5), (3, 2, 3, 3), groups=2)
    assert "non-positive stride" in _conv_error((1, 1, 5, 5), (1, 1, 3, 3), stride=(0, 1))
    assert "negative padding" in _conv_error((1, 1, 5, 5), (1, 1, 3, 3), padding=(-1, 0))
    assert "4D (batched) input" in _conv_error((1, 5, 5), (1, 1, 3, 3))


def test_conv2d_dtype_errors() -> None:
    g = Graph("bad")
    x = g.add("input", shape=(1, 1, 5, 5), dtype="float32")
    w64 = g.add("input", shape=(1, 1, 3, 3), dtype="float64")
    wi = g.add("input", shape=(1, 1, 3, 3), dtype="int64")
    with pytest.raises(DTypeError, match="should be the same"):
        g.add("conv2d", [x, w64])
    with pytest.raises(DTypeError, match="floating point weight"):
        g.add("conv2d", [x, wi])


def test_pool_shape_errors() -> None:
    g = Graph("bad")
    x = g.add("input", shape=(8, 3, 28, 28), dtype="float32")
    small = g.add("input", shape=(1, 1, 2, 2), dtype="float32")
    flat = g.add("input", shape=(2, 2), dtype="float32")
    with pytest.raises(ShapeError, match="pad should be at most half of effective kernel size, "
                                         "but got pad=2, kernel_size=3 and dilation=1"):
        g.add("max_pool2d", [x], kernel_size=(3, 3), stride=(1, 1), padding=(2, 2))
    with pytest.raises(ShapeError, match=r"Given input size: \(1x2x2\). Calculated output size: "
                                         r"\(1x0x0\). Output size is too small"):
        g.add("avg_pool2d", [small], kernel_size=(3, 3), stride=(3, 3))
    with pytest.raises(ShapeError, match="3D or 4D"):
        g.add("max_pool2d", [flat], kernel_size=(1, 1), stride=(1, 1))
    with pytest.raises(ShapeError, match="stride should not be zero"):
        g.add("max_pool2d", [x], kernel_size=(2, 2), stride=(0, 2))


def test_grad_op_shape_checks() -> None:
    g = Graph("bad")
    gout = g.add("input", shape=(1, 2, 4, 4), dtype="float32")
    w = g.add("input", shape=(2, 1, 3, 3), dtype="float32")
    with pytest.raises(ShapeError, match="expected grad_output of size"):
        g.add("conv2d_grad_input", [gout, w], input_shape=(1, 1, 5, 5))
    with pytest.raises(ShapeError, match="expected grad_output of size"):
        g.add("avg_pool2d_grad", [gout], input_shape=(1, 2, 6, 6), kernel_size=(2, 2),
              stride=(2, 2))
