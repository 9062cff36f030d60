"""Autograd against PyTorch: requires_grad, accumulation, retain_graph, grad modes, detach,
grad_fn names and reprs, higher-order gradients, retain_grad, in-place checks, random
compositions of ops (float64), and the memory of a long eager training loop."""

from __future__ import annotations

import gc
import random
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch


def builtin_name(err: BaseException) -> str:
    return next(c for c in type(err).__mro__ if c.__module__ == "builtins").__name__


def plain(value: Any) -> Any:
    """Comparable data; float values to 6 significant digits (NumPy's and PyTorch's float32
    transcendental functions differ in the last bit, which no print shows)."""
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if hasattr(value, "detach") and hasattr(value, "dtype"):
        data = value.detach().numpy()
        if data.dtype.kind == "f":
            data = np.array([float(f"{v:.6g}") for v in data.astype(np.float64).flat])
        return ("tensor", str(value.dtype), tuple(value.shape), data.tolist(),
                value.requires_grad)
    return value


def outcome(fn: Callable[[Any], Any], module: Any) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return plain(fn(module))
    except Exception as err:  # noqa: BLE001
        return ("raises", builtin_name(err), str(err))


def same(fn: Callable[[Any], Any], messages: bool = False) -> Any:
    ours, theirs = outcome(fn, tenkai), outcome(fn, torch)
    if not messages and ours[0] == theirs[0] == "raises":
        ours, theirs = ours[:2], theirs[:2]
    assert ours == theirs
    return ours


# ---------------------------------------------------------------- leaves and accumulation


def test_requires_grad_flags_match_torch() -> None:
    def run(m: Any) -> Any:
        a = m.tensor([1., 2.])
        flags = [a.requires_grad, a.is_leaf, a.grad_fn]
        a.requires_grad_()
        b = a * 2
        flags += [a.requires_grad, a.is_leaf, b.requires_grad, b.is_leaf, repr(b)]
        a.requires_grad = False
        flags += [a.requires_grad, (a * 2).requires_grad, repr(a)]
        c = m.tensor([1., 2.], requires_grad=True)
        flags += [repr(c), c.requires_grad_(False).requires_grad]
        return flags
    same(run)


def test_repeated_backward_with_retain_graph_accumulates() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([3.], requires_grad=True)
        w = m.tensor([5.], requires_grad=True)
        b = m.tensor([2.], requires_grad=True)
        y = w * x + b
        for _ in range(5):
            y.backward(retain_graph=True)
        return [x.grad, w.grad, b.grad]
    assert same(run)[0][3] == [25.0]


def test_second_backward_without_retain_graph_raises_pytorch_message() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2.], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    result = same(run, messages=True)
    assert result[1] == "RuntimeError" and "Trying to backward through the graph a second time" \
        in result[2]


def test_second_backward_through_ops_that_save_nothing_is_allowed() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2.], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        z = x + 1
        a, b = z.sin(), z * 3
        b.sum().backward()
        a.sum().backward()
        return x.grad
    same(run)


def test_backward_with_gradient_for_non_scalars() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2., 3.], requires_grad=True)
        y = x * x
        y.backward(m.tensor([1., 0.5, 2.]), retain_graph=True)
        first = x.grad.clone()
        y.backward(gradient=m.ones(3))
        return [first, x.grad]
    same(run)


@pytest.mark.parametrize("expr", [
    "(x * 2).backward()", "x.backward()", "m.tensor([1., 2.]).sum().backward()",
    "(x * 2).backward(m.ones(3))", "(x * 2).sum().backward(m.ones(2))",
    "m.autograd.grad((x * 2).sum(), m.tensor([1.], requires_grad=True))",
    "m.autograd.grad((x * 2).sum(), m.ones(3))", "m.autograd.grad(m.ones(1).sum(), x)",
])
def test_backward_errors_match_torch(expr: str) -> None:
    result = same(lambda m: eval(expr, {"m": m, "x": m.tensor([1., 2.], requires_grad=True)}))
    assert result[0] == "raises"


def test_scalar_only_message() -> None:
    x = tenkai.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar "
                                           "outputs$"):
        (x * 2).backward()


# ---------------------------------------------------------------- grad modes, detach


def test_no_grad_enable_grad_and_decorators() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2.], requires_grad=True)
        with m.no_grad():
            y = x * 2
        out = [y.requires_grad, y.grad_fn, m.is_grad_enabled()]

        @m.no_grad()
        def f(a: Any) -> Any:
            return a * 3
        out += [f(x).requires_grad, m.is_grad_enabled()]
        with m.no_grad():
            with m.enable_grad():
                out.append((x * 2).requires_grad)
            out.append(m.is_grad_enabled())
        with m.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        out.append(m.is_grad_enabled())
        with m.inference_mode():
            out.append((x * 2).requires_grad)
        return out
    same(run)


def test_detach_shares_memory_and_version() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2.], requires_grad=True)
        d = x.detach()
        flags = [d.requires_grad, d.is_leaf, d.grad_fn]
        with m.no_grad():
            d[0] = 10
        y = (x * x).sum()
        d.add_(1)  # bumps the shared version: y's backward must refuse
        try:
            y.backward()
        except RuntimeError:
            flags.append("refused")
        return [*flags, x, x.data.requires_grad]
    same(run)


# ---------------------------------------------------------------- grad_fn names


_GRAD_FN_EXPRS = [
    "x * 2", "x + 1", "x - 1", "1 - x", "x / 2", "2 / x", "x ** 2", "2 ** x", "x ** x", "-x",
    "x.exp()", "x.log()", "x.sqrt()", "x.sin()", "x.cos()", "x.tanh()", "x.sigmoid()",
    "x.relu()", "x.abs()", "x.sum()", "x.sum(0)", "x.mean()", "x.mean(1)", "x.max()",
    "x.max(0)[0]", "x.amax(0)", "x.min()", "x.prod()", "x.var()", "x.std()", "x @ x",
    "x.mm(x)", "x @ v", "v @ x", "v @ v", "v.dot(v)", "b @ b", "x.view(4)", "x.view(2, 2)",
    "x.reshape(4)", "x.T.reshape(4)", "x.T", "x.t()", "v.t()", "x.transpose(0, 1)",
    "x.permute(1, 0)", "x.unsqueeze(0)", "x.squeeze()", "x.unsqueeze(0).squeeze(0)",
    "x.flatten()", "x.expand(3, 2, 2)", "x[0]", "x[:, 0]", "x[0:1]", "x[:]", "x[...]",
    "x[None]", "x[:, None, 0]", "x[[0, 1]]", "x[x > 2]", "m.cat([x, x])", "m.stack([x, x])",
    "x.split(1)[0]", "x.chunk(2)[1]", "x.unbind()[0]", "x.clone()", "x.float()", "x.double()",
    "x.contiguous()", "x.T.contiguous()", "x.clamp(0, 3)", "x.clamp(min=3)", "x % 2",
    "m.where(x > 2, x, 0.)", "x.masked_fill(x > 2, 0.)", "x.repeat(2, 1)",
    "x.gather(0, m.tensor([[0, 1]]))", "x.index_select(0, m.tensor([1]))", "x.softmax(0)",
    "x.log_softmax(1)", "x.logsumexp(1)", "x.norm()", "x.cumsum(0)", "x.flip(0)",
    "m.maximum(x, x)", "x.square()", "x.exp2()", "m.outer(v, v)", "x.mv(v)", "b.bmm(b)",
]


@pytest.mark.parametrize("expr", _GRAD_FN_EXPRS)
def test_grad_fn_names_and_repr_match_torch(expr: str) -> None:
    def run(m: Any) -> Any:
        x = m.tensor([[2., 3.], [4., 5.]], requires_grad=True)
        v = m.tensor([2., 3.], requires_grad=True)
        b = m.tensor([[[1., 2.], [3., 4.]]], requires_grad=True)
        r = eval(expr, {"m": m, "x": x, "v": v, "b": b})
        return [r.grad_fn.name(), repr(r), r.is_leaf, r.requires_grad]
    same(run)


def test_tanh_neuron_repr() -> None:
    x = tenkai.tensor([[1.0, 2.0]])
    w = tenkai.tensor([[0.6, -0.2]], requires_grad=True)
    b = tenkai.tensor([0.8], requires_grad=True)
    y = tenkai.tanh(x @ w.T + b)
    assert repr(y) == "tensor([[0.7616]], grad_fn=<TanhBackward0>)"
    assert repr(y.grad_fn).startswith("<TanhBackward0 object at 0x")
    (add,) = y.grad_fn.next_functions
    assert add[0].name() == "AddBackward0"
    mm, acc = add[0].next_functions
    assert mm[0].name() == "MmBackward0" and acc[0].variable is b


def test_setitem_grad_fn_names_match_torch() -> None:
    def run(m: Any) -> Any:
        names = []
        for index in ("0", ":", "...", "None", "m.tensor([True, False, True])",
                      "m.tensor([0])", "(slice(0, 2), m.tensor([0]))"):
            x = m.ones(3, 2, requires_grad=True) * 1
            exec(f"x[{index}] = 7.", {"m": m, "x": x})
            names.append(x.grad_fn.name())
            names.append(repr(x))
        return names
    same(run)


# ---------------------------------------------------------------- higher order


def test_grad_of_grad_of_cube() -> None:
    def run(m: Any) -> Any:
        x = m.tensor(2.0, requires_grad=True)
        (g,) = m.autograd.grad(x ** 3, x, create_graph=True)
        (g2,) = m.autograd.grad(g, x, create_graph=True)
        (g3,) = m.autograd.grad(g2, x)
        return [repr(g), repr(g2), g3]
    assert same(run)[0] == "tensor(12., grad_fn=<MulBackward0>)"


def test_hessian_vector_product() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2., 3.], dtype=m.float64, requires_grad=True)
        f = (x ** 3).sum() + (x[0] * x[1] * x[2])
        (g,) = m.autograd.grad(f, x, create_graph=True)
        v = m.tensor([1., 0., -1.], dtype=m.float64)
        (hv,) = m.autograd.grad(g, x, grad_outputs=v)
        (hv2,) = m.autograd.grad((g * v).sum(), x, retain_graph=True) if False else (hv,)
        return [g, hv, hv2]
    same(run)


def test_backward_create_graph_warns_and_records_grad() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2., 3.], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (x ** 3).sum().backward(create_graph=True)
        gx = x.grad
        x.grad = None
        gx.sum().backward()
        return [repr(gx), x.grad, [w.category.__name__ for w in caught]]
    assert same(run)[2] == ["UserWarning"]


def test_autograd_grad_options() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2.], requires_grad=True)
        u = m.tensor([3.], requires_grad=True)
        y = (x * 2).sum()
        out = list(m.autograd.grad(y, [x, u], allow_unused=True, retain_graph=True))
        out += list(m.autograd.grad(y, [x, u], materialize_grads=True))
        out.append(x.grad)
        return out
    same(run)


# ---------------------------------------------------------------- retain_grad, in-place


def test_retain_grad_and_non_leaf_grad_warning() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1., 2.], requires_grad=True)
        y = x * 2
        y.retain_grad()
        z = x * 3
        (y ** 2 + z).sum().backward()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            zg = z.grad
        return [y.grad, x.grad, y.retains_grad, x.retains_grad, zg, len(caught)]
    same(run)


@pytest.mark.parametrize("code", [
    "b = a.sigmoid(); c = b * 2; b.mul_(2); c.sum().backward()",
    "y = a.exp(); y.add_(1); y.sum().backward()",
    "y = (a * w).sum(); w.add_(1); y.backward()",
    "y = (a + w).sum(); w.add_(1); y.backward()",
    "y = (a * a).sum()\nwith m.no_grad():\n    a.add_(1)\ny.backward()",
    "b = a * 1; c = b.sin(); b.add_(1); c.sum().backward()",
    "b = a * 1; c = b + 1; b.add_(1); c.sum().backward()",
    "b = a * 1; b.mul_(b.detach()); b.sum().backward()",
    "b = a * 1; v = b[0]; c = b.exp(); b[1] = 5.; c.sum().backward()",
])
def test_inplace_modification_of_saved_tensors_matches_torch(code: str) -> None:
    def run(m: Any) -> Any:
        env = {"m": m, "a": m.tensor([1., 2.], requires_grad=True), "w": m.tensor([3., 4.])}
        exec(code, env)
        return env["a"].grad
    same(run)


def test_inplace_error_names_the_tensor_and_versions() -> None:
    a = tenkai.tensor([1., 2.], requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[2\]\], which is output 0 of "
                                           r"Sigmoid, is at version 1; expected version 0"):
        b.sum().backward()


def test_inplace_on_leaf_requiring_grad_is_refused() -> None:
    same(lambda m: m.ones(2, requires_grad=True).mul_(2))
    x = tenkai.ones(2, requires_grad=True)
    with tenkai.no_grad():
        x.mul_(2)
    assert x.is_leaf and x.requires_grad and x.tolist() == [2.0, 2.0]


# ---------------------------------------------------------------- random compositions


_UNARY = ["({a}).exp().tanh()", "({a}).sin()", "({a}).cos()", "({a}).tanh()",
          "({a}).sigmoid()", "({a}).relu()", "({a}).abs()", "({a}) ** 2", "({a}) ** 3",
          "(({a}).abs() + 1).sqrt()", "(({a}).abs() + 1).log()", "-({a})", "({a}) * 2.5",
          "({a}) / 3", "({a}).softmax(-1)", "({a}).log_softmax(0)",
          "({a}).sum(-1, keepdim=True)", "({a}).mean(0, keepdim=True)", "({a}).clamp(-0.5, 0.7)",
          "({a}).square()", "({a}).T.T", "({a}).unsqueeze(0).squeeze(0)",
          "m.where(({a}) > 0, ({a}), ({a}) * 0.1)", "({a}).norm(dim=-1, keepdim=True)"]
_BINARY = ["({a}) + ({b})", "({a}) - ({b})", "({a}) * ({b})", "({a}) / (({b}).abs() + 1)",
           "m.maximum({a}, {b})", "m.minimum({a}, {b})",
           "(({a}).abs() + 0.5) ** ({b}).tanh()", "m.where(({a}) > ({b}), {a}, {b})",
           "(({a}) + x * 0) @ w + ({b})", "(({a}) + x * 0) @ (({b}) + x * 0).T @ x"]


def _random_expr(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return rng.choice(["x", "y", "z", "x", "y * x"])
    if rng.random() < 0.45:
        return rng.choice(_UNARY).format(a=_random_expr(rng, depth - 1))
    return rng.choice(_BINARY).format(a=_random_expr(rng, depth - 1),
                                      b=_random_expr(rng, depth - 1))


def _run_expr(m: Any, expr: str, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    data = {"x": rng.normal(size=(3, 4)), "y": rng.normal(size=(4,)),
            "z": rng.normal(size=(3, 1)), "w": rng.normal(size=(4, 4))}
    env = {k: m.tensor(v, dtype=m.float64, requires_grad=True) for k, v in data.items()}
    out = eval(expr, {"m": m, **env})
    weights = m.tensor(rng.normal(size=tuple(out.shape)), dtype=m.float64)
    (out * weights).sum().backward()
    grads = [env[k].grad for k in ("x", "y", "z", "w")]
    return out.detach().numpy(), [None if g is None else g.numpy() for g in grads]


def test_gradients_of_random_compositions_match_torch() -> None:
    rng = random.Random(1234)
    for case in range(120):
        expr = _random_expr(rng, rng.randint(1, 4))
        ours, theirs = _run_expr(tenkai, expr, case), _run_expr(torch, expr, case)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12, err_msg=expr)
        for ours_g, theirs_g in zip(ours[1], theirs[1], strict=True):
            assert (ours_g is None) == (theirs_g is None), expr
            if ours_g is not None:
                np.testing.assert_allclose(ours_g, theirs_g, rtol=1e-9, atol=1e-12,
                                           err_msg=expr)


# ---------------------------------------------------------------- memory


def _train_step(x: Any, y: Any, w: Any) -> None:
    loss = ((x @ w - y) ** 2).mean()
    loss.backward()
    with tenkai.no_grad():
        w -= 0.01 * w.grad
    w.grad.zero_()


@pytest.mark.slow
def test_long_eager_training_loop_does_not_grow_memory() -> None:
    """20,000 tiny steps: graphs are freed with their tensors, backward plans are cached."""
    tenkai.manual_seed(0)
    x, y = tenkai.randn(8, 3), tenkai.randn(8, 1)
    w = tenkai.zeros(3, 1, requires_grad=True)
    for _ in range(2000):
        _train_step(x, y, w)
    gc.collect()
    objects = len(gc.get_objects())
    for _ in range(15000):
        _train_step(x, y, w)
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(3000):
            _train_step(x, y, w)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(gc.get_objects()) - objects < 100
    assert grown < 64 * 1024, f"{grown} bytes kept over 3000 steps"
    assert ((x @ w - y) ** 2).mean().item() < ((x @ tenkai.zeros(3, 1) - y) ** 2).mean().item()


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_grad_fn_graph_is_pytorchs(shape: tuple, bias: bool) -> None:
    """nn.Linear's history as tutorials print it: AddmmBackward0 -> (AccumulateGrad, None,
    TBackward0), walked to the leaves, for 2-D, 1-D and batched inputs."""
    torch = pytest.importorskip("torch")

    def walk(fn: Any, depth: int = 0) -> list[str]:
        if fn is None:
            return ["  " * depth + "None"]
        lines = ["  " * depth + fn.name().replace("torch::autograd::", "")]
        for f, _ in fn.next_functions:
            lines += walk(f, depth + 1)
        return lines

    graphs = []
    for lib in (tenkai, torch):
        lin = lib.nn.Linear(3, 2, bias=bias)
        graphs.append(walk(lin(lib.randn(*shape)).grad_fn))
    assert graphs[0] == graphs[1]
