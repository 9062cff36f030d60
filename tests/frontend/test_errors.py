"""Bad input gets PyTorch's exception type, and a message that names the op and the shapes.

tenkai's errors subclass the builtin type PyTorch raises (``ShapeError`` is a
``RuntimeError``, ``IndexOutOfRange`` an ``IndexError``), so ``except RuntimeError`` code
written for PyTorch keeps working; the tests check ``isinstance`` against PyTorch's type.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tenkai
from tenkai.ir.errors import TenkaiError

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch


def raised(expr: str, module: Any) -> BaseException | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(expr, {"torch": module})
    except Exception as err:  # noqa: BLE001
        return err
    return None


CASES = [
    # broadcasting
    "torch.ones(2, 3) + torch.ones(4)", "torch.ones(2, 3) * torch.ones(3, 2)",
    "torch.ones(2, 3) - torch.ones(2, 2)", "torch.ones(2, 3).add_(torch.ones(4))",
    "torch.where(torch.ones(2) > 0, torch.ones(3), torch.ones(2))",
    "torch.ones(2, 3).masked_fill(torch.ones(3, 2) > 0, 0)",
    # view / reshape
    "torch.ones(2, 3).view(4)", "torch.ones(2, 3).view(-1, 4)", "torch.ones(2, 3).reshape(5)",
    "torch.ones(2, 3).view(-1, -1)", "torch.ones(2, 3).T.view(6)",
    "torch.ones(2, 2).t().view(4)",
    "torch.ones(2, 3).unflatten(1, (2, 2))", "torch.ones(2, 3).expand(3, 3)",
    "torch.ones(2, 3).flatten(1, 0)", "torch.ones(2, 3).permute(0)",
    "torch.ones(2, 3).repeat(2)",
    # contractions
    "torch.ones(2, 3) @ torch.ones(2, 3)", "torch.matmul(torch.ones(2, 3), torch.ones(4))",
    "torch.mm(torch.ones(2, 3), torch.ones(2, 3))", "torch.mm(torch.ones(3), torch.ones(3, 2))",
    "torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 4, 2))",
    "torch.dot(torch.ones(3), torch.ones(4))",
    "torch.ones(3) @ torch.ones(4)", "torch.ones(2, 3).bmm(torch.ones(3, 2))",
    "torch.ones(2).mv(torch.ones(2))", "torch.ones(2, 3).outer(torch.ones(2))",
    "torch.tensor(2.) @ torch.ones(2)",
    # indexing
    "torch.ones(2, 3)[2]", "torch.ones(2, 3)[0, 3]", "torch.ones(2, 3)[-3]",
    "torch.ones(2, 3)[0, 0, 0]", "torch.ones(2, 3)[torch.tensor([0, 5])]",
    "torch.ones(2, 3)[torch.tensor([0.5])]", "torch.ones(3)[torch.tensor([True, False])]",
    "torch.tensor(5.)[0]", "torch.ones(2, 3)[[0, 1, 2]]", "torch.ones(3)[::-1]",
    "torch.ones(2, 3).index_select(0, torch.tensor([7]))",
    "torch.ones(2, 3).index_select(0, torch.tensor([[0]]))",
    "torch.ones(2, 3).gather(1, torch.tensor([0, 1]))",
    # joining
    "torch.cat([torch.ones(2, 3), torch.ones(2, 4)])",
    "torch.cat([torch.ones(2, 3), torch.ones(3)])",
    "torch.cat([torch.ones(2, 3), torch.ones(2, 3)], dim=2)", "torch.cat([])",
    "torch.stack([torch.ones(2), torch.ones(3)])", "torch.ones(2, 3).chunk(0)",
    # dims
    "torch.ones(2, 3).sum(2)", "torch.ones(2, 3).mean(-3)", "torch.ones(2, 3).transpose(0, 2)",
    "torch.ones(2, 3).squeeze(3)", "torch.ones(2, 3).unsqueeze(3)", "torch.ones(2, 3).size(2)",
    "torch.ones(2, 3).max(2)", "torch.ones(2, 3).argmax(5)", "torch.ones(2, 3).std(5)",
    "torch.ones(2, 3).sum(dim=(0, 0))", "torch.ones(3).softmax(2)",
    # autograd
    "torch.tensor([1., 2.]).sum().backward()", "torch.tensor([1., 2.]).backward()",
    "torch.tensor([1., 2.], requires_grad=True).backward()",
    "(torch.tensor([1., 2.], requires_grad=True) * 2).backward()",
    "torch.tensor([1, 2], requires_grad=True)", "torch.tensor([1, 2]).requires_grad_()",
    "torch.ones(2, requires_grad=True).add_(1)",
    "torch.tensor([1., 2.], requires_grad=True).numpy()",
    "torch.autograd.grad(torch.tensor(1., requires_grad=True) * 2, "
    "torch.tensor(1., requires_grad=True))",
    "torch.autograd.grad(torch.tensor(1.) * 2, torch.tensor(1., requires_grad=True))",
    # conversions and creation
    "torch.ones(2, 3).item()", "bool(torch.ones(2))", "len(torch.tensor(3.))",
    "torch.tensor([[1, 2], [3]])", "torch.tensor('abc')", "torch.zeros(-1)",
    "torch.zeros(2, 3).new_ones(-1)", "torch.linspace(0, 1, -1)", "torch.eye(-2)",
    "torch.arange(0, 5, 0)", "torch.arange(5, 0)", "torch.randint(5, 3, (2,))",
    "torch.ones(2, 3).type('torch.NoSuchTensor')", "torch.device('gpu')",
    "torch.FloatTensor(torch.tensor([1, 2]))", "torch.ones(2).clamp()",
    "torch.ones(2, dtype=torch.long).mean()", "torch.ones(2, dtype=torch.long).var()",
    "torch.tensor([1, 2]) // torch.tensor([0, 1])", "torch.tensor([1, 2]) % 0",
    "torch.tensor([True]) - torch.tensor([True])", "torch.tensor([1, 2]) - True",
    "torch.tensor([True]) ** torch.tensor([True])",
    "torch.ones(2, 3) + 'a'", "torch.ones(2, 3) < None", "torch.ones(2, 3) + [1, 2, 3]",
    "torch.ones(2).grad.zero_()",
]


@pytest.mark.parametrize("expr", CASES)
def test_exception_type_matches_torch(expr: str) -> None:
    theirs, ours = raised(expr, torch), raised(expr, tenkai)
    assert theirs is not None, "the case must be an error in PyTorch"
    assert ours is not None, f"tenkai accepted {expr}"
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs), str(ours))


@pytest.mark.parametrize("expr,words", [
    ("torch.ones(2, 3) + torch.ones(4)", ["add", "(3)", "(4)", "[2, 3]", "[4]"]),
    ("torch.ones(2, 3).view(4)", ["'[4]'", "size 6"]),
    ("torch.ones(2, 3) @ torch.ones(2, 3)", ["matmul", "2x3 and 2x3", "[2, 3] @ [2, 3]",
                                             ".T"]),
    ("torch.ones(2, 3)[2]", ["index 2", "dimension 0", "size 2"]),
    ("torch.ones(2, 3)[0, 3]", ["index 3", "dimension 1", "size 3"]),
    ("torch.cat([torch.ones(2, 3), torch.ones(2, 4)])", ["cat", "[2, 3]", "[2, 4]",
                                                         "tensor number 1"]),
    ("torch.ones(2, 3).sum(2)", ["sum", "[-2, 1]", "got 2"]),
    ("torch.tensor([1., 2.]).sum().backward()", ["does not require grad", "grad_fn"]),
])
def test_messages_name_the_op_and_shapes(expr: str, words: list[str]) -> None:
    err = raised(expr, tenkai)
    assert err is not None
    for word in words:
        assert word in str(err), (word, str(err))


def test_shape_errors_are_tenkai_errors_and_runtime_errors() -> None:
    err = raised("torch.ones(2, 3) + torch.ones(4)", tenkai)
    assert isinstance(err, TenkaiError) and isinstance(err, RuntimeError)
    err = raised("torch.ones(2, 3)[5]", tenkai)
    assert isinstance(err, TenkaiError) and isinstance(err, IndexError)


def test_cuda_without_gpu_is_a_runtime_error_with_a_fix() -> None:
    if tenkai.cuda.is_available():
        pytest.skip("a GPU is present")
    for expr in ("torch.ones(2).cuda()", "torch.ones(2).to('cuda')",
                 "torch.zeros(2, device='cuda')"):
        err = raised(expr, tenkai)
        assert isinstance(err, RuntimeError)
        assert "CUDA is not available" in str(err) and "torch.device('cuda' if" in str(err)


def _raised_np(expr: str, module: Any) -> BaseException | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(expr, {"torch": module, "F": module.nn.functional, "np": np})
    except Exception as err:  # noqa: BLE001
        return err
    return None


# each: PyTorch 2.13 raises exactly this type and first message line
SAME_MESSAGE = [
    "torch.nn.Linear(3, 2)(None)", "F.linear(torch.ones(2, 3), None)",
    "torch.nn.Linear(3, 2)([1.0, 2.0, 3.0])", "F.relu(None)", "F.relu(np.ones(3))",
    "torch.nn.ReLU()(None)", "torch.sigmoid(None)", "torch.tanh(None)", "F.gelu(None)",
    "F.cross_entropy(None, torch.zeros(2, dtype=torch.long))",
    "F.cross_entropy(torch.ones(2, 3), None)",
    "F.nll_loss(None, torch.zeros(2, dtype=torch.long))", "F.nll_loss(torch.ones(2, 3), [0, 1])",
    "F.max_pool2d(None, 2)", "F.dropout(None)", "torch.nn.Dropout()(None)",
    "F.embedding(None, torch.ones(2, 3))", "F.layer_norm(None, (3,))", "torch.flatten(None)",
    "torch.nn.Sequential(torch.nn.Linear(3, 2))(None)",
    # tensor creation
    "torch.tensor(2**70)", "torch.tensor(2**63)", "torch.tensor(-2**63 - 1)",
    "torch.tensor([1, 2**70])", "torch.tensor([True, 2**70])", "torch.tensor([1, 'a'])",
    "torch.tensor('a')", "torch.tensor([[1, 2], [3, 'a']])", "torch.tensor([1, None])",
    "torch.tensor(None)", "torch.tensor(object())", "torch.tensor([[1, 2], [3]])",
    "torch.tensor([[1], 2])", "torch.tensor([1, [2]])",
    "torch.tensor(np.arange(3, dtype='>f4'))", "torch.tensor(np.arange(3, dtype='>i8'))",
    "torch.from_numpy(np.arange(3, dtype='>f4'))", "torch.as_tensor(np.arange(3, dtype='>f4'))",
    # shapes, random
    "torch.ones(2, 3).permute(0, 0)", "torch.ones(2, 3).permute(0, -2)",
    "torch.permute(torch.ones(2, 3), (1, 1))", "torch.ones(3).repeat(-1)",
    "torch.ones(2, 3).repeat(-1, 2)", "torch.ones(2, 3).repeat(2, -2)", "torch.randperm(-1)",
    "torch.randperm(1.5)", "torch.manual_seed(2**70)", "torch.manual_seed(-2**70)",
    "torch.manual_seed(2**64)", "torch.Generator().manual_seed(1.5)",
    "torch.Generator().manual_seed(None)", "torch.Generator().manual_seed(-2**63 - 1)",
]


@pytest.mark.parametrize("expr", SAME_MESSAGE)
def test_type_and_message_match_torch(expr: str) -> None:
    theirs, ours = _raised_np(expr, torch), _raised_np(expr, tenkai)
    assert theirs is not None, "the case must be an error in PyTorch"
    assert ours is not None, f"tenkai accepted {expr}"
    assert isinstance(ours, type(theirs)), (type(ours), type(theirs), str(ours))
    assert str(ours).splitlines()[0] == str(theirs).splitlines()[0]


# PyTorch raises a bare AttributeError or an overload list here; tenkai the clearer TypeError
@pytest.mark.parametrize("expr,op,arg", [
    ("F.conv2d(None, torch.ones(2, 3, 3, 3))", "conv2d", "'input' (position 1)"),
    ("torch.nn.Conv2d(3, 2, 3)(None)", "conv2d", "'input' (position 1)"),
    ("F.conv1d(None, torch.ones(2, 3, 3))", "conv1d", "'input' (position 1)"),
    ("F.softmax(None, 1)", "softmax", "'input' (position 1)"),
    ("F.log_softmax(None, 1)", "log_softmax", "'input' (position 1)"),
    ("F.mse_loss(torch.ones(2), None)", "mse_loss", "'target' (position 2)"),
    ("torch.nn.BatchNorm1d(3)(None)", "batch_norm", "'input' (position 1)"),
])
def test_non_tensor_arguments_name_the_op(expr: str, op: str, arg: str) -> None:
    err = _raised_np(expr, tenkai)
    assert isinstance(err, TypeError)
    assert isinstance(_raised_np(expr, torch), TypeError | AttributeError)
    assert str(err) == f"{op}(): argument {arg} must be Tensor, not NoneType"


@pytest.mark.parametrize("expr", [
    "torch.tensor([1.5, 2**70])", "torch.tensor(2**70, dtype=torch.float32)",
    "torch.tensor([np.arange(3, dtype='>f4')])", "torch.tensor(2**63 - 1)",
    "torch.tensor(-2**63)", "torch.tensor([[], []])", "torch.tensor((1, 2))",
    "torch.tensor(range(3))", "torch.tensor([np.float32(1), 2])",
    "torch.tensor([torch.tensor(1.5), 2])", "torch.manual_seed(-1).initial_seed()",
    "torch.manual_seed(2**64 - 1).initial_seed()", "torch.manual_seed(1.5).initial_seed()",
    "torch.randperm(0)", "torch.ones(2, 3).repeat(0, 1)",
])
def test_accepted_like_torch(expr: str) -> None:
    theirs = _eval(expr, torch)
    ours = _eval(expr, tenkai)
    if isinstance(theirs, int):
        assert ours == theirs
        return
    assert ours.dtype == getattr(tenkai, str(theirs.dtype).split(".")[1])
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _eval(expr: str, module: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(expr, {"torch": module, "np": np})
