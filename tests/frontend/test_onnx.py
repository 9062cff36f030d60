"""tenkai.onnx: models exported by PyTorch import with PyTorch's outputs and train compiled like
eager; tenkai's exports pass onnx.checker and the onnx reference evaluator reproduces them.
Per-operator cases (with the reference evaluator as the oracle) are in test_onnx_ops.py."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

from onnx.reference import ReferenceEvaluator  # noqa: E402

import tenkai  # noqa: E402
import tenkai.nn as tnn  # noqa: E402
import tenkai.nn.functional as F  # noqa: E402

pytestmark = pytest.mark.torch
BACKENDS = ["interp", "tenkai"]


class TorchCNN(torch.nn.Module):
    """Conv, BatchNorm, ReLU, MaxPool, Flatten, Linear; ``view(size(0), -1)`` makes the
    exporter emit Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""

    def __init__(self, flatten: str = "module") -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.pool = torch.nn.MaxPool2d(2)
        self.flat = torch.nn.Flatten()
        self.fc = torch.nn.Linear(4 * 4 * 4, 3)
        self.flatten = flatten

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        x = self.flat(x) if self.flatten == "module" else x.view(x.size(0), -1)
        return self.fc(x)


def _torch_mlp() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))


def _torch_model(kind: str) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    if kind == "mlp":
        return _torch_mlp().eval(), torch.randn(8, 20)
    model = TorchCNN("module" if kind == "cnn" else "view")
    with torch.no_grad():  # running stats unlike the affine parameters (the exporter would
        model.bn.running_mean.uniform_(-0.5, 0.5)  # merge equal initializers)
        model.bn.running_var.uniform_(0.5, 1.5)
        model.bn.weight.uniform_(0.5, 1.5)
        model.bn.bias.uniform_(-0.2, 0.2)
    return model.eval(), torch.randn(6, 1, 8, 8)


def _export_torch(model: torch.nn.Module, x: torch.Tensor) -> bytes:
    """The legacy (TorchScript) exporter: it needs no package beyond torch and onnx. A dynamic
    batch axis makes shape computations (``view(x.size(0), -1)``) stay in the graph."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(model, (x,), buffer, dynamo=False, do_constant_folding=False,
                          input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch"}})
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["mlp", "cnn", "cnn_view"])
def test_pytorch_export_imports_with_the_same_outputs(kind: str) -> None:
    model, x = _torch_model(kind)
    data = _export_torch(model, x)
    ops = [n.op_type for n in onnx.load_from_string(data).graph.node]
    if kind == "cnn_view":
        assert {"Shape", "Gather", "Concat", "Reshape"} <= set(ops)
    if kind != "mlp":
        assert "BatchNormalization" in ops
    imported = tenkai.onnx.load(io.BytesIO(data))
    with torch.no_grad():
        expected = model(x).numpy()
    got = imported(tenkai.tensor(x.numpy()))
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    # initializers are parameters/buffers under PyTorch's state_dict names
    assert set(dict(imported.named_parameters())) == {k for k, v in model.named_parameters()}
    for name, value in model.state_dict().items():
        if name in imported.state_dict():
            np.testing.assert_array_equal(imported.state_dict()[name].numpy(), value.numpy())
    # gradients match PyTorch's (eval mode in both: BatchNorm uses its running statistics)
    labels = np.arange(len(x)) % expected.shape[1]
    torch.nn.functional.cross_entropy(model(x), torch.from_numpy(labels)).backward()
    F.cross_entropy(got, tenkai.tensor(labels)).backward()
    for name, p in imported.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), model.get_parameter(name).grad.numpy(),
                                   rtol=1e-4, atol=1e-6, err_msg=name)
    # and tenkai's export of the imported model still computes PyTorch's outputs
    proto = tenkai.onnx.export(imported, tenkai.tensor(x.numpy()), io.BytesIO())
    (again,) = ReferenceEvaluator(proto).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(again, expected, rtol=1e-5, atol=1e-5)


def test_imported_model_traces_and_dumps() -> None:
    model, x = _torch_model("cnn_view")
    imported = tenkai.onnx.load(onnx.load_from_string(_export_torch(model, x)))
    with tenkai.no_grad():
        traced = tenkai.trace(lambda t: imported(t), tenkai.tensor(x.numpy()))
    text = traced.as_text()
    assert "conv2d(" in text and "max_pool2d(" in text and "param conv.weight" in text
    # the shape subgraph was folded: the flatten is one reshape with a static shape
    assert "reshape(%" in text and "shape=(6, 64)" in text
    compiled = tenkai.compile(imported, backend="interp")  # inference compile of the module
    with tenkai.no_grad():
        np.testing.assert_allclose(compiled(tenkai.tensor(x.numpy())).numpy(),
                                   imported(tenkai.tensor(x.numpy())).numpy(), rtol=1e-6)


def _train_setup(kind: str, data: bytes, optimizer: str):
    model = tenkai.onnx.load(data)
    if optimizer == "adam":
        opt = tenkai.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, train_step


def _opt_state(opt) -> list[np.ndarray]:
    return [np.asarray(v.numpy()) for state in opt.state_dict()["state"].values()
            for v in state.values()]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("kind", "optimizer"), [
    ("mlp", "sgd"), ("cnn_view", "adam"),
    pytest.param("mlp", "adam", marks=pytest.mark.slow),
    pytest.param("cnn", "sgd", marks=pytest.mark.slow)])
def test_imported_model_trains_compiled_like_eager(kind: str, optimizer: str,
                                                   backend: str) -> None:
    model, x = _torch_model(kind)
    data = _export_torch(model, x)
    classes = 4 if kind == "mlp" else 3
    xs = tenkai.tensor(x.numpy())
    ys = tenkai.tensor(np.arange(len(x)) % classes)
    m_eager, o_eager, eager = _train_setup(kind, data, optimizer)
    m_comp, o_comp, step = _train_setup(kind, data, optimizer)
    compiled = tenkai.compile(step, backend=backend)
    losses = []
    for k in range(6):
        a, b = eager(xs, ys).item(), compiled(xs, ys).item()
        losses.append(a)
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6, err_msg=f"loss, step {k}")
        for (name, p), q in zip(m_eager.named_parameters(), m_comp.parameters(), strict=True):
            np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-4,
                                       atol=1e-6, err_msg=f"{name}, step {k}")
            np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6,
                                       err_msg=f"{name}.grad, step {k}")
        for u, v in zip(_opt_state(o_eager), _opt_state(o_comp), strict=True):
            np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-6, err_msg=f"state, step {k}")
    assert losses[-1] < losses[0]
    assert compiled.stats["retraces"] == 0


def _tenkai_cnn() -> tnn.Module:
    return tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(4 * 4 * 4, 5),
                          tnn.LogSoftmax(dim=1))


def _tenkai_mlp() -> tnn.Module:
    return tnn.Sequential(tnn.Linear(20, 16), tnn.Tanh(), tnn.Linear(16, 8), tnn.GELU(),
                          tnn.Dropout(0.3), tnn.Linear(8, 3), tnn.Softmax(dim=-1))


@pytest.mark.parametrize("opset", [13, 17, 18, None])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_export_round_trip(kind: str, opset: int | None, tmp_path) -> None:
    tenkai.manual_seed(0)
    model = _tenkai_mlp() if kind == "mlp" else _tenkai_cnn()
    x = tenkai.randn(4, 20) if kind == "mlp" else tenkai.randn(2, 1, 8, 8)
    if kind == "cnn":  # train one step so the running statistics are not the defaults
        model(x).sum().backward()
    path = tmp_path / "model.onnx"
    proto = tenkai.onnx.export(model, x, path, opset_version=opset)
    assert model.training  # export evaluates in eval mode and restores the mode
    onnx.checker.check_model(onnx.load(path), full_check=True)
    model.eval()
    with tenkai.no_grad():
        expected = model(x).numpy()
    (got,) = ReferenceEvaluator(proto).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    names = {i.name for i in proto.graph.initializer}
    assert set(model.state_dict()) - {"1.num_batches_tracked"} <= names
    back = tenkai.onnx.load(path)  # and back into tenkai
    np.testing.assert_allclose(back(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_export_to_file_object_with_names() -> None:
    model = tnn.Linear(3, 2)
    buffer = io.BytesIO()
    tenkai.onnx.export(model, (tenkai.randn(1, 3),), buffer, input_names=["features"],
                       output_names=["scores"])
    proto = onnx.load_from_string(buffer.getvalue())
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["scores"]
    assert {i.name for i in proto.graph.initializer} >= {"weight", "bias"}


def test_export_names_an_op_without_mapping(tmp_path) -> None:
    class Noisy(tnn.Module):
        def forward(self, x):
            return x + tenkai.rand_like(x)

    path = tmp_path / "model.onnx"
    tenkai.onnx.export(tnn.Linear(3, 2), tenkai.randn(2, 3), path)
    before = path.read_bytes()
    with pytest.raises(NotImplementedError, match="'uniform'.*no ONNX mapping"):
        tenkai.onnx.export(Noisy(), tenkai.randn(2, 3), path)
    assert path.read_bytes() == before  # a failed export leaves the previous file
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # and no temporary file


def test_export_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="opset_version 7"):
        tenkai.onnx.export(tnn.Linear(3, 2), tenkai.randn(1, 3), io.BytesIO(), opset_version=7)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        tenkai.onnx.export(tnn.Linear(3, 2), [np.zeros((1, 3))], io.BytesIO())
    with pytest.raises(ValueError, match="output_names has 2 name"):
        tenkai.onnx.export(tnn.Linear(3, 2), tenkai.randn(1, 3), io.BytesIO(),
                           output_names=["a", "b"])


def test_load_checks_inputs_and_opset() -> None:
    model, x = _torch_model("mlp")
    imported = tenkai.onnx.load(_export_torch(model, x))
    with pytest.raises(RuntimeError, match=r"input 'x' expects shape \[batch, 20\], got \[8, 21\]"):
        imported(tenkai.randn(8, 21))
    with pytest.raises(RuntimeError, match="expects dtype torch.float32, got torch.float64"):
        imported(tenkai.randn(8, 20, dtype=tenkai.float64))
    with pytest.raises(TypeError, match="takes 1 input"):
        imported(tenkai.randn(8, 20), tenkai.randn(8, 20))
    proto = onnx.load_from_string(_export_torch(model, x))
    proto.opset_import[0].version = 9
    with pytest.raises(NotImplementedError, match="opset 9 is not supported"):
        tenkai.onnx.load(proto)
    with pytest.raises(TypeError, match="expected a path"):
        tenkai.onnx.load(42)


def test_onnx_is_a_lazy_attribute_of_tenkai() -> None:
    assert tenkai.onnx.load is tenkai.onnx._module.load
    with pytest.raises(AttributeError, match="no attribute 'onnxx'"):
        tenkai.onnxx  # noqa: B018


class KitchenSink(tnn.Module):
    """Embedding (take), LayerNorm, clamp, conv_transpose, avg/adaptive pools, cat, expand,
    pad, strided slicing, var, argmax, rsqrt: the exporter's less common mappings."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = tnn.Embedding(10, 4)
        self.up = tnn.Parameter(tenkai.randn(2, 3, 3, 3) * 0.3)
        self.ln = tnn.LayerNorm(4)

    def forward(self, x, idx):
        e = self.emb(idx)
        h = self.ln(e).clamp(-1.0, 1.0)
        y = F.conv_transpose2d(x, self.up, stride=2, padding=1, output_padding=1)
        y = F.avg_pool2d(y, 2, count_include_pad=False, padding=1)
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        z = tenkai.cat([h.mean(dim=1), y[:, :1].expand(-1, 4)], dim=1)
        z = F.pad(z, (1, 2)) * tenkai.sigmoid(z.sum(dim=1, keepdim=True))
        return z[:, ::2], tenkai.var(e, dim=(1, 2)), z.argmax(dim=1), tenkai.rsqrt(e.abs() + 1)


@pytest.mark.parametrize("opset", [13, 18, None, onnx.defs.onnx_opset_version()])
def test_export_less_common_ops_round_trip(opset: int | None) -> None:
    tenkai.manual_seed(0)
    model = KitchenSink()
    x, idx = tenkai.randn(2, 2, 4, 4), tenkai.tensor([[1, 2, 3], [4, 5, 9]])
    proto = tenkai.onnx.export(model, (x, idx), io.BytesIO(), opset_version=opset)
    with tenkai.no_grad():
        expected = [t.numpy() for t in model(x, idx)]
    got = ReferenceEvaluator(proto).run(None, {"input_0": x.numpy(), "input_1": idx.numpy()})
    back = tenkai.onnx.load(proto)
    assert [n for n, _ in back.named_parameters()] == [n for n, _ in model.named_parameters()]
    for k, (g, b, e) in enumerate(zip(got, back(x, idx), expected, strict=True)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"output {k}")
        np.testing.assert_allclose(b.detach().numpy(), e, rtol=1e-5, atol=1e-6,
                                   err_msg=f"re-imported output {k}")


def test_training_mode_export_imports_with_batch_statistics() -> None:
    """TrainingMode.TRAINING: BatchNormalization normalizes with the batch's statistics and
    Dropout (here p=0, so deterministic) carries its mask output."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 3), torch.nn.Dropout(0.0)).train()
    x = torch.randn(5, 1, 8, 8)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buffer, dynamo=False, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.TRAINING)
    proto = onnx.load_from_string(buffer.getvalue())
    modes = {n.op_type: n for n in proto.graph.node}
    assert len(modes["Dropout"].output) == 2 and len(modes["BatchNormalization"].output) == 3
    with torch.no_grad():
        expected = model(x).numpy()
    got = tenkai.onnx.load(proto)(tenkai.tensor(x.numpy()))
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
