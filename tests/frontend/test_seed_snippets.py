"""The tensor and autograd snippets of the seed tutorials (/work/shared/seeds), run unchanged
with ``torch`` bound to tenkai and to PyTorch: stdout, warnings and exception types must match.

Each snippet runs like a notebook cell: top-level statements one at a time, bare expressions
displayed with ``repr`` (as Jupyter shows them), an exception recorded by its builtin type and
the cell continuing. Snippets that draw random numbers are compared by the structure of what
they print (shapes, dtypes, layout), not by the numbers.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import re
import warnings
from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch


# ---------------------------------------------------------------- the notebook-cell runner


def _importer(module: Any) -> Any:
    """``import torch`` / ``from torch.autograd import Variable`` inside a snippet resolve to
    ``module`` (tenkai's submodules of the same names)."""
    def imp(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
            level: int = 0) -> Any:
        if module is tenkai and (name == "torch" or name.startswith("torch.")):
            name = "tenkai" + name[len("torch"):]
        return builtins.__import__(name, globals, locals, fromlist, level)
    return imp


def _builtin_name(err: BaseException) -> str:
    """tenkai's errors subclass the builtin PyTorch raises: compare by that builtin."""
    return next(c for c in type(err).__mro__ if c.__module__ == "builtins").__name__


def run_cell(code: str, module: Any) -> tuple[str, list[str]]:
    """Run ``code`` with ``torch`` bound to ``module``; return (stdout, warnings)."""
    env = {"torch": module, "np": np,
           "__builtins__": {**builtins.__dict__, "__import__": _importer(module)}}
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for stmt in ast.parse(code).body:
            mode = "single" if isinstance(stmt, ast.Expr) else "exec"
            tree = ast.Interactive([stmt]) if mode == "single" else ast.Module([stmt], [])
            try:
                exec(compile(tree, "<snippet>", mode), env)
            except Exception as err:  # noqa: BLE001  (a cell shows the error and goes on)
                print(f"!{_builtin_name(err)}")
    shown = [f"{w.category.__name__}: {_strip_internal(str(w.message))}" for w in caught]
    return _strip_addresses(out.getvalue()), shown


def _strip_internal(message: str) -> str:
    return re.sub(r" \(Triggered internally at .*\)$", "", message)


def _strip_addresses(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


def _skeleton(text: str) -> str:
    """What a print of random values must share with PyTorch's: everything but the digits."""
    text = re.sub(r"-?\d+(\.\d*)?(e[+-]\d+)?", "#", text)
    return re.sub(r"\s+", "", text)  # padding, wrapping and sci mode depend on the values


def assert_same(code: str, deterministic: bool = True) -> tuple[str, list[str]]:
    ours, our_warnings = run_cell(code, tenkai)
    theirs, their_warnings = run_cell(code, torch)
    if not deterministic:
        ours, theirs = _skeleton(ours), _skeleton(theirs)
    assert ours == theirs
    assert our_warnings == their_warnings
    return ours, our_warnings


# ---------------------------------------------------------------- 000: PyTorchのキホン

SEED000_CREATE_RANDOM = """
x = torch.empty(2, 3)
x.shape
x = torch.rand(2, 3)
x
x = torch.zeros(2, 3)
x = torch.ones(2, 3)
x = x.new_ones(2, 3)
x = torch.randn(2, 3)
x
x.dtype
"""

SEED000_CREATE = """
x = torch.zeros(2, 3)
x
x = torch.ones(2, 3)
x
x = x.new_ones(2, 3)
x
x = torch.ones(2, 3)
x = torch.ones_like(x, dtype=torch.long)
x
x = torch.tensor([[100, 200, 300],
                  [400, 500, 600]])
x
"""

SEED000_ARITH_TYPES = """
x = torch.tensor([[100, 200, 300],
                  [400, 500, 600]])
'''四則演算'''
x = x + 2
x = x + torch.tensor([1, 2, 3])
x
'''型やサイズを調べる(結果:説明)'''
x.type()
x.size()
x.shape
x.ndim
len(x)
x.size(0)
'''型変換(float)'''
x = torch.tensor(x, dtype=torch.float)
x
x = torch.FloatTensor(x)
x
'''サイズ変換'''
x.T
torch.t(x)
x.view(3, 2)
x.view(-1, 2)
x.reshape(-1, 1)
x.reshape(-1)
"""

# The article's row/column lines, in order: each works on what the previous left in x, so
# some raise IndexError (in PyTorch too); the cell goes on, as a notebook line would.
SEED000_ROWS_SEQUENTIAL = """
x = torch.FloatTensor([[100, 200, 300], [400, 500, 600]])
'''行や列の操作'''
x = x[0]
x = x[0,2]
x = x[:,0]
x = x[1:3,0]
x = x[1:3,1:3]
'''値の操作'''
x[0,0] = 2
x[:,0] = 2
x[x > 300] = 2
x
"""

# The same lines, each on a fresh 2x3 tensor (what the article means them to show).
SEED000_ROWS = """
def fresh():
    return torch.tensor([[100, 200, 300], [400, 500, 600]])
x = fresh(); x = x[0]; print(x)
x = fresh(); x = x[0,2]; print(x)
x = fresh(); x = x[:,0]; print(x)
x = fresh(); x = x[1:3,0]; print(x)
x = fresh(); x = x[1:3,1:3]; print(x)
x = fresh(); x[0,0] = 2; print(x)
x = fresh(); x[:,0] = 2; print(x)
x = fresh(); x[x > 300] = 2; print(x)
x = fresh().float(); x[0,0] = 2; x[:,0] = 2; x[x > 300] = 2; print(x)
"""

SEED000_NUMPY = """
x = torch.tensor([[100, 200, 300], [400, 500, 600]])
'''TensorとNumpy(ndarray)'''
x = x.numpy()
x
x = torch.tensor([[1., 2.], [3., 4.]])
x1 = x.to('cpu').numpy()
x1
x = torch.from_numpy(x1)
x
x1[0, 0] = 10
x
"""

SEED000_DEVICE = """
'''GPU(cuda) or CPUの確認'''
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
print(device)
device
torch.cuda.is_available()
"""

SEED000_BACKWARD = """
'''backwardで各変数の微分値を求める'''
x = torch.tensor(2.0, requires_grad=True)
y = 3 * (x ** 2)
y.backward()
print("y=3x^2で")
print(" x=2のとき、y'=", x.grad.item())
print("")
x = torch.tensor(np.pi, requires_grad=True)
y = torch.sin(x)
y.backward()
print("y=sin(x)で")
print(" x=πのとき、y'=", x.grad.item())
x
y
"""


def test_seed000_creation_random_structure() -> None:
    assert_same(SEED000_CREATE_RANDOM, deterministic=False)


def test_seed000_creation() -> None:
    out, _ = assert_same(SEED000_CREATE)
    assert "tensor([[1, 1, 1],\n        [1, 1, 1]])" in out


def test_seed000_arithmetic_type_size_reshape() -> None:
    out, caught = assert_same(SEED000_ARITH_TYPES)
    assert "'torch.LongTensor'" in out and "torch.Size([2, 3])" in out
    # torch.tensor(a_tensor) warns in PyTorch; tenkai warns the same.
    assert caught and caught[0].startswith("UserWarning: To copy construct from a tensor")


def test_seed000_rows_columns_as_written() -> None:
    out, _ = assert_same(SEED000_ROWS_SEQUENTIAL)
    assert "!IndexError" in out


def test_seed000_rows_columns_and_assignment() -> None:
    out, _ = assert_same(SEED000_ROWS)
    assert "tensor([[  2., 200., 300.],\n        [  2.,   2.,   2.]])" in out


def test_seed000_numpy_interop() -> None:
    out, _ = assert_same(SEED000_NUMPY)
    assert "tensor([[10.,  2.]," in out  # from_numpy shares memory


def test_seed000_device_selection() -> None:
    out, _ = assert_same(SEED000_DEVICE)
    assert "cpu\ndevice(type='cpu')\nFalse" in out


def test_seed000_backward() -> None:
    out, _ = assert_same(SEED000_BACKWARD)
    assert " x=2のとき、y'= 12.0" in out


def test_seed000_tensor_from_tensor_warns() -> None:
    x = tenkai.tensor([1, 2])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        y = tenkai.tensor(x, dtype=tenkai.float)
    assert y.dtype == tenkai.float32


# ---------------------------------------------------------------- 001: 用語集

SEED001_TENSOR = """
import torch
# 1次元のテンソル(ベクトル)
vector = torch.tensor([1, 2, 3])
# 2次元のテンソル(行列)
matrix = torch.tensor([[1, 2, 3], [4, 5, 6]])
# 3次元のテンソル(例えば画像データ)
image_tensor = torch.rand((3, 224, 224)) # 3つのカラーチャネル、224x224の画像
# テンソルの形状を取得
shape = image_tensor.shape # Returns: torch.Size([3, 224, 224])
# テンソルの要素にアクセス
element = image_tensor[0, 0, 0] # 1つ目のチャネルの1行目1列目のピクセル値
# テンソル同士の加算
sum_tensor = vector + vector # 要素毎の加算
print(vector, matrix, shape, sum_tensor)
print(element.shape, element.dtype, element)
image_tensor
"""

SEED001_AUTOGRAD = """
import torch
# テンソルを定義し、微分が必要な場合はrequires_grad=Trueを指定
x = torch.tensor(2.0, requires_grad=True)
# 関数y = x^2を定義
y = x ** 2
# yの勾配を計算(dy/dx)
y.backward()
# xに対する微分(勾配)を出力
print(x.grad) # 出力: tensor(4.)
y
"""

SEED001_TENSOR_OPS = """
import torch
# 2つのテンソルを定義
tensor_a = torch.tensor([[1, 2], [3, 4]])
tensor_b = torch.tensor([[5, 6], [7, 8]])
# テンソルの加算
tensor_sum = tensor_a + tensor_b
print(tensor_sum)
# テンソルの要素ごとの乗算(アダマール積)
tensor_mul = tensor_a * tensor_b
print(tensor_mul)
# テンソルの行列積
tensor_matmul = torch.matmul(tensor_a, tensor_b)
print(tensor_matmul)
# テンソルのリシェイプ
tensor_reshaped = tensor_a.view(4)
print(tensor_reshaped)
"""

SEED001_CUDA = """
import torch
# CPU上のテンソルを作成
x_cpu = torch.tensor([1.0, 2.0, 3.0])
print(f"CPU Tensor: {x_cpu}")
# GPU上のテンソルに変換
# 初めにGPUが利用可能か確認する
if torch.cuda.is_available():
    x_cuda = x_cpu.to('cuda')
    # または x_cpu.cuda()
    print(f"CUDA Tensor: {x_cuda}")
else:
    print("CUDA is not available.")
# CUDA Tensorを用いて計算
if torch.cuda.is_available():
    y_cuda = x_cuda * 2
    # テンソルの各要素を2倍
    print(f"Result on CUDA: {y_cuda}")
"""

SEED001_GRAPH = """
import torch
# PyTorchにおける計算グラフの例
x = torch.tensor(2.0, requires_grad=True)
y = torch.tensor(3.0, requires_grad=True)
# 2つの入力から、zを計算
z = x**2 + y**2
# zを計算グラフに基づいてxとyで微分
z.backward()
# xとyに対する偏微分を出力
print(x.grad) # 出力: tensor(4.)
print(y.grad) # 出力: tensor(6.)
z
z.grad_fn
"""

SEED001_GRADIENT_DESCENT = """
import torch
# 目的関数の定義(例:二次関数)
def f(x):
    return x**2
# 勾配の計算
def gradient(x):
    return 2*x
# 初期値の設定
x = torch.tensor(10.0, requires_grad=True)
# ここではx=10から開始
learning_rate = 0.1
# 勾配降下法の反復
for _ in range(100):
    # 勾配計算
    grad = gradient(x)
    # xの更新
    x = x - learning_rate * grad
    # PyTorchでは勾配の初期化が必要
    x.grad = None
print(f'最小値に収束: {x.item()}')
x
"""

SEED001_RANDOM_DATA = """
data = torch.randn(100, 3, 32, 32) # 100個の32x32 RGB画像
labels = torch.randint(0, 10, (100,)) # 0から9のラベル
sample, label = data[0], labels[0]
print(f"Sample shape: {sample.shape}, Label: {label}")
inputs = torch.randn(32, 10)
targets = torch.randn(32, 1)
print(inputs.shape, targets.shape, labels.dtype, data.dtype)
"""


def test_seed001_tensor_basics_structure() -> None:
    assert_same(SEED001_TENSOR, deterministic=False)


def test_seed001_autograd() -> None:
    out, _ = assert_same(SEED001_AUTOGRAD)
    assert out.startswith("tensor(4.)\ntensor(4., grad_fn=<PowBackward0>)")


def test_seed001_tensor_operations() -> None:
    out, _ = assert_same(SEED001_TENSOR_OPS)
    assert "tensor([[19, 22],\n        [43, 50]])" in out


def test_seed001_cuda_tensors() -> None:
    out, _ = assert_same(SEED001_CUDA)
    assert out == "CPU Tensor: tensor([1., 2., 3.])\nCUDA is not available.\n"


def test_seed001_computational_graph() -> None:
    out, _ = assert_same(SEED001_GRAPH)
    assert "tensor(13., grad_fn=<AddBackward0>)" in out and "<AddBackward0 object at 0x?>" in out


def test_seed001_gradient_descent_loop() -> None:
    out, _ = assert_same(SEED001_GRADIENT_DESCENT)  # bit-identical float32 arithmetic
    assert out.startswith("最小値に収束: 2.03")


def test_seed001_random_data_structure() -> None:
    assert_same(SEED001_RANDOM_DATA, deterministic=False)


# ---------------------------------------------------------------- 003: Pytorch基本メモ

SEED003_PRINTING = """
a = torch.arange(24).reshape(2, 3, 4)
a
b = torch.arange(120.).reshape(5, 2, 4, 3)
b
a.numpy()
b.size()
"""

SEED003_TYPES = """
x = torch.tensor([[1.5, -2.7], [3.2, 4.9]])
x.numpy()
x.float()
x.double()
x.int()
x.long()
x.long().type()
y = torch.LongTensor([[0, 1], [2, 3]])
y
y.float()
y.type()
y.float().type()
"""

SEED003_CUDA = """
x = torch.FloatTensor([1, 2, 3])
torch.cuda.is_available()
x.cpu()
x.to('cpu')
"""

SEED003_VARIABLE = """
from torch.autograd import Variable
x = Variable(torch.FloatTensor([3]), requires_grad=True)
w = Variable(torch.FloatTensor([5]), requires_grad=True)
b = Variable(torch.FloatTensor([2]), requires_grad=True)
x
x.data
y = w * x + b
y
y.backward()
x.grad
w.grad
b.grad
"""

SEED003_ACCUMULATE = """
x = torch.tensor([3.], requires_grad=True)
w = torch.tensor([5.], requires_grad=True)
b = torch.tensor([2.], requires_grad=True)
y = w * x + b
for i in range(5):
    y.backward(retain_graph=True)
x.grad
w.grad
b.grad
print(x.grad, w.grad, b.grad)
"""

SEED003_NO_RETAIN = """
x = torch.tensor([3.], requires_grad=True)
w = torch.tensor([5.], requires_grad=True)
y = w * x
y.backward()
y.backward()
x.grad
"""


def test_seed003_printing_high_dimensional() -> None:
    out, _ = assert_same(SEED003_PRINTING)
    assert "[[[[  0.,   1.,   2.]," in out


def test_seed003_type_conversions() -> None:
    out, _ = assert_same(SEED003_TYPES)
    assert "'torch.LongTensor'" in out and "'torch.FloatTensor'" in out


def test_seed003_cpu_when_no_cuda() -> None:
    assert_same(SEED003_CUDA)


def test_seed003_cuda_raises_clearly_without_gpu() -> None:
    if tenkai.cuda.is_available():
        pytest.skip("a GPU is present")
    x = tenkai.FloatTensor([1, 2, 3])
    for move in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.cuda(0)):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            move()


def test_seed003_variable_and_linear_gradients() -> None:
    out, _ = assert_same(SEED003_VARIABLE)
    assert "tensor([17.], grad_fn=<AddBackward0>)" in out
    assert "tensor([5.])\ntensor([3.])\ntensor([1.])" in out


def test_seed003_repeated_backward_accumulates() -> None:
    out, _ = assert_same(SEED003_ACCUMULATE)
    assert out.endswith("tensor([25.]) tensor([15.]) tensor([5.])\n")


def test_seed003_second_backward_without_retain_graph_fails() -> None:
    out, _ = assert_same(SEED003_NO_RETAIN)
    assert "!RuntimeError" in out


# ---------------------------------------------------------------- 004: 1つのニューロン

SEED004_AUTOGRAD = """
x = torch.tensor(1.0, requires_grad=True) # 今回は入力に勾配(gradient)を必要とする
#x.requires_grad_(True) # 「requires_grad_()」メソッドで後から変更することも可能
y = x ** 2 # 「yイコールxの二乗」という計算式の計算グラフを構築
print(y) # tensor(1., grad_fn=<PowBackward0>) ……などと表示される
y.backward() # 逆伝播の処理として、上記式から微分係数(=勾配)を計算(自動微分:Autograd)
g = x.grad # 与えられた入力(x)によって計算された勾配の値(grad)を取得
print(g) # tensor(2.) ……などと表示される
"""

SEED004_REQUIRES_GRAD = """
x = torch.tensor(1.0)
x.requires_grad_(True)
y = x ** 2
y
y.grad_fn
y.grad_fn.name()
x.is_leaf, y.is_leaf
"""

SEED004_NEURON = """
X_data = torch.tensor([[1.0, 2.0]]) # 入力する座標データ(1.0、2.0)
print(X_data)
weight = torch.tensor([[ 0.6,
                        -0.2]], requires_grad=True)
bias = torch.tensor([ 0.8 ], requires_grad=True)
y_pred = torch.tanh(X_data @ weight.T + bias)
print(y_pred)
y_pred.grad_fn
weight.grad = None
bias.grad = None
y_true = torch.tensor([[1.0]])
loss = ((y_pred - y_true) ** 2).mean()
loss
loss.backward()
print(weight.grad)
print(bias.grad)
"""


def test_seed004_autograd() -> None:
    out, _ = assert_same(SEED004_AUTOGRAD)
    assert out == "tensor(1., grad_fn=<PowBackward0>)\ntensor(2.)\n"


def test_seed004_requires_grad_and_grad_fn() -> None:
    out, _ = assert_same(SEED004_REQUIRES_GRAD)
    assert "'PowBackward0'" in out


def test_seed004_neuron_forward_backward() -> None:
    out, _ = assert_same(SEED004_NEURON)
    assert "tensor([[0.7616]], grad_fn=<TanhBackward0>)" in out
    assert "tensor([[-0.2002, -0.4005]])" in out
