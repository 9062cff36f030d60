"""Generated: the grad_fn graph of every differentiable op of the API suite
(``tenkai._bench_eager_api.CASES``) and of test_grad_fn_next.py's composites against PyTorch
2.13, to depth 3: each node's name and its ``next_functions`` (names, ``None`` entries and
output numbers), recursively.

test_grad_fn_next.py checks its composites one level deep in three input modes; this walks
two levels further, so a composite that shows its interior nodes where PyTorch shows the op's
inputs fails here, also when it is an input of another op."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tenkai
from tenkai._bench_eager_api import CASES, ApiCase, _materialize
from tests.frontend.test_grad_fn_next import CASES as NEXT_CASES

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.torch]

DEPTH = 3

# Known differences, kept visible (strict: they fail loudly once fixed)
KNOWN = {
    "addmv": "the case's select of a select: PyTorch folds x[0][0]-style reads differently",
    "einsum bij,bjk": "PyTorch's einsum is permute/view around bmm; tenkai's contraction node",
    "kron": "PyTorch reshapes with _unsafe_view where tenkai uses view",
    "outer": "PyTorch: mul(a.view(-1, 1), b); tenkai unsqueezes both operands",
    "diff": "PyTorch slices with narrow (SliceBackward0); tenkai splits",
    "take_along_dim": "PyTorch expands the input to the indices' shape before gather",
    "cov": "PyTorch ends in a squeeze of the divided product",
    "linalg.matrix_power": "PyTorch multiplies the running product on the left",
    "RNN": "PyTorch stacks the steps' outputs; tenkai stacks one cat",
    "LSTM": "PyTorch's fused MkldnnRnnLayer node",
    "GRU": "PyTorch stacks the steps' outputs; tenkai stacks one cat",
    "pad circular": "PyTorch's circular pad is a chain of CopySlices",
    "instance_norm": "PyTorch's instance_norm is batch_norm on a (1, N*C, ...) view",
    "normalize": "PyTorch expands the clamped norm before the division; tenkai broadcasts",
    "pairwise_distance": "eps added as a Python number: AddBackward1 in PyTorch",
}
KNOWN_NEXT = {
    "kron": KNOWN["kron"],
    "margin_ranking": "the margin added as a Python number: AddBackward1 in PyTorch",
    "bilinear": "PyTorch's one _trilinear node; tenkai's contraction ends in a view",
}


def walk(fn: Any, depth: int = DEPTH) -> Any:
    """``(name, ((child, output_nr), ...))`` down to ``depth`` levels (names below that)."""
    if fn is None:
        return None
    if depth == 1:
        return fn.name()
    return (fn.name(), tuple((walk(f, depth - 1), k) for f, k in fn.next_functions))


def _first_tensor(out: Any) -> Any:
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


def _structure(case: ApiCase, lib: Any) -> Any:
    args = _materialize(lib, case.inputs(np.random.default_rng(0), False), case.grad, True)
    torch.manual_seed(0)
    tenkai.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = _first_tensor(case.fn(lib, *args))
    return walk(out.grad_fn)


def _params() -> list:
    out = []
    for case in CASES:
        if not case.grad:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[case.name])] \
            if case.name in KNOWN else []
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_grad_fn_graph_matches_pytorch(case: ApiCase) -> None:
    want = _structure(case, torch)
    assert want is not None, f"{case.name}: PyTorch records no grad_fn (fix the case)"
    assert _structure(case, tenkai) == want


def _next_params() -> list:
    marks = {k: [pytest.mark.xfail(strict=True, reason=v)] for k, v in KNOWN_NEXT.items()}
    return [pytest.param(fn, shapes, id=label, marks=marks.get(label, []))
            for label, shapes, fn in NEXT_CASES]


def _next_structure(lib: Any, shapes: tuple, fn: Any) -> Any:
    rng = np.random.default_rng(0)
    inputs = [lib.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    torch.manual_seed(0)
    tenkai.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return walk(_first_tensor(fn(lib, lib.nn.functional, *inputs)).grad_fn)


@pytest.mark.parametrize("fn, shapes", _next_params())
def test_composite_grad_fn_graph_matches_pytorch(fn: Any, shapes: tuple) -> None:
    assert _next_structure(tenkai, shapes, fn) == _next_structure(torch, shapes, fn)


REFLECTED = {
    "radd": lambda x: 1.0 + x, "radd_int": lambda x: 1 + x, "rmul": lambda x: 2.0 * x,
    "rsub": lambda x: 1.0 - x, "rtruediv": lambda x: 1.0 / x, "rpow": lambda x: 2.0 ** x,
    "radd_of_op": lambda x: 1.0 + x.exp() * 3.0,
}


@pytest.mark.parametrize("name", sorted(REFLECTED))
def test_number_on_the_left_lists_the_tensor_first(name: str) -> None:
    # PyTorch runs x.__radd__(1.0) as x.add(1.0): (x, None); RsubBackward1 and PowBackward2
    # list only the tensor
    def structure(lib: Any) -> Any:
        return walk(REFLECTED[name](lib.tensor([0.5, 2.0], requires_grad=True)).grad_fn)
    assert structure(tenkai) == structure(torch)


def test_known_differences_name_real_cases() -> None:
    names = {case.name for case in CASES if case.grad}
    assert set(KNOWN) <= names, sorted(set(KNOWN) - names)
    assert set(KNOWN_NEXT) <= {label for label, _, _ in NEXT_CASES}


def _edges(y: Any) -> Any:
    if y.grad_fn is None:
        return None
    return (y.grad_fn.name(), tuple((f.name() if f is not None else None, k)
                                    for f, k in y.grad_fn.next_functions))


# PyTorch's Scalar overloads and alpha forms: a Python number has no edge (pow, fmod,
# copysign, rsub, xlog1py) or a None edge (add/sub, also with alpha)
SCALAR_FORMS = {
    "sub(number, x)": lambda L, x, y: L.sub(2.0, x),
    "number - x": lambda L, x, y: 2 - x,
    "rsub(x, number)": lambda L, x, y: L.rsub(x, 2.0),
    "rsub(x, y)": lambda L, x, y: L.rsub(x, y, alpha=2),
    "float_power(number, x)": lambda L, x, y: L.float_power(2.0, x),
    "float_power(x, number)": lambda L, x, y: L.float_power(x, 2),
    "pow(number, x)": lambda L, x, y: L.pow(2.0, x),
    "x ** number": lambda L, x, y: x ** 2,
    "fmod(x, number)": lambda L, x, y: L.fmod(x, 2.0),
    "copysign(x, number)": lambda L, x, y: L.copysign(x, -1.0),
    "xlog1py(x, number)": lambda L, x, y: L.special.xlog1py(x, 2.0),
    "xlog1py(number, x)": lambda L, x, y: L.special.xlog1py(2.0, x),
    "sub alpha": lambda L, x, y: x.sub(y, alpha=2),
    "add alpha": lambda L, x, y: x.add(y, alpha=2),
    "add number alpha": lambda L, x, y: x.add(2.0, alpha=3),
    "sub constant alpha": lambda L, x, y: L.sub(L.tensor([1.0, 3.0]), x, alpha=0.5),
}


@pytest.mark.parametrize("label", list(SCALAR_FORMS))
def test_scalar_operand_edges_follow_pytorch(label: str) -> None:
    got = []
    for lib in (torch, tenkai):
        x = lib.tensor([1.5, 2.0], requires_grad=True)
        y = lib.tensor([0.5, 1.0], requires_grad=True)
        out = SCALAR_FORMS[label](lib, x, y)
        out.sum().backward()
        got.append((_edges(out), str(out.dtype), x.grad.tolist(),
                    None if y.grad is None else y.grad.tolist()))
    np.testing.assert_allclose(got[1][2], got[0][2], rtol=1e-6)
    assert got[1][:2] == got[0][:2] and (got[1][3] is None) == (got[0][3] is None)
