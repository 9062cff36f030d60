"""tenkai.onnx.load per operator: tiny ONNX graphs built with onnx.helper at several opsets,
each compared with onnx's ReferenceEvaluator (the oracle). Graph inputs arrive as tenkai
Tensors; initializers become parameters (float) or static values (integer)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import tenkai  # noqa: E402

NEWEST = onnx.defs.onnx_opset_version()
RNG = np.random.default_rng(0)
INT64_MAX = np.iinfo(np.int64).max


def x(*shape: int, positive: bool = False) -> tuple[str, np.ndarray]:
    """A float32 graph input (a tenkai Tensor at run time)."""
    a = RNG.standard_normal(shape).astype(np.float32)
    return "x", (np.abs(a) + 0.5 if positive else a)


def xi(values: list) -> tuple[str, np.ndarray]:
    return "x", np.array(values, np.int64)


def init(value: object, dtype: object = None) -> tuple[str, np.ndarray]:
    """An initializer (float: an nn.Parameter; integer: a static value)."""
    return "init", np.array(value, dtype=dtype)


def w(*shape: int) -> tuple[str, np.ndarray]:
    return "init", RNG.standard_normal(shape).astype(np.float32)


MISSING = ("", None)


def ref(name: str) -> tuple[str, str]:
    """The output of a node in ``pre`` (nodes placed before the one under test)."""
    return "ref", name


def _model(op_type: str, inputs: list, attrs: dict, opset: int, n_outputs: int,
           pre: list | None = None) -> tuple[object, dict]:
    names, graph_inputs, inits, feeds = [], [], [], {}
    for k, (kind, value) in enumerate(inputs):
        if kind in ("", "ref"):
            names.append(value or "")
            continue
        name = f"in{k}"
        names.append(name)
        if kind == "x":
            feeds[name] = value
            graph_inputs.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(value.dtype), list(value.shape)))
        else:
            inits.append(numpy_helper.from_array(value, name))
    outputs = [f"out{k}" for k in range(n_outputs)]
    nodes = list(pre or []) + [helper.make_node(op_type, names, outputs, name="the_node",
                                                **attrs)]
    graph = helper.make_graph(nodes, "g", graph_inputs,
                              [helper.make_empty_tensor_value_info(o) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return model, feeds


def check(op_type: str, inputs: list, attrs: dict | None = None, opsets: tuple = (13, 18, NEWEST),
          n_outputs: int = 1, pre: list | None = None, rtol: float = 1e-5) -> None:
    for opset in opsets:
        model, feeds = _model(op_type, inputs, attrs or {}, opset, n_outputs, pre)
        expected = ReferenceEvaluator(model).run(None, feeds)
        module = tenkai.onnx.load(model)
        got = module(*[tenkai.tensor(v) for v in feeds.values()])
        got = got if isinstance(got, tuple) else (got,)
        assert len(got) == len(expected)
        for k, (g, e) in enumerate(zip(got, expected, strict=True)):
            g = g.detach().numpy()
            assert g.dtype == e.dtype, f"{op_type} opset {opset} output {k}: {g.dtype} != {e.dtype}"
            np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-6,
                                       err_msg=f"{op_type} opset {opset} output {k}")


ELEMENTWISE = [
    ("Add", [x(3, 4), x(4)]), ("Sub", [x(2, 1, 4), x(3, 1)]), ("Mul", [x(3, 4), w(3, 1)]),
    ("Div", [x(3, 4), x(3, 4, positive=True)]), ("Div", [xi([7, -7, 9]), xi([2, 2, -4])]),
    ("Pow", [x(3, 4, positive=True), init(2.0, np.float32)]),
    ("Pow", [x(3, 4, positive=True), w(4)]),
    ("Sqrt", [x(3, 4, positive=True)]), ("Exp", [x(3, 4)]), ("Log", [x(5, positive=True)]),
    ("Relu", [x(3, 4)]), ("Sigmoid", [x(3, 4)]), ("Tanh", [x(3, 4)]), ("Erf", [x(3, 4)]),
    ("Neg", [x(4)]), ("Abs", [x(4)]), ("Reciprocal", [x(4, positive=True)]),
    ("Equal", [xi([1, 2, 3]), xi([1, 0, 3])]), ("Identity", [x(2, 3)]),
    ("Max", [x(3, 4), x(4), x(3, 1)]), ("Less", [x(3, 4), x(3, 4)]),
]


@pytest.mark.parametrize(("op_type", "inputs"), ELEMENTWISE,
                         ids=[f"{op}{k}" for k, (op, _) in enumerate(ELEMENTWISE)])
def test_elementwise(op_type: str, inputs: list) -> None:
    check(op_type, inputs)


def test_activations() -> None:
    check("LeakyRelu", [x(3, 4)], {"alpha": 0.2})
    check("LeakyRelu", [x(3, 4)])
    check("Softmax", [x(2, 3, 4)], {"axis": 1})
    check("Softmax", [x(2, 3, 4)])
    check("LogSoftmax", [x(2, 5)], {"axis": -1})
    check("Gelu", [x(3, 4)], opsets=(20, NEWEST))
    check("Gelu", [x(3, 4)], {"approximate": "tanh"}, opsets=(20, NEWEST))
    check("Elu", [x(3, 4)], {"alpha": 0.7})
    check("Selu", [x(3, 4)])
    check("HardSigmoid", [("x", RNG.uniform(-4, 4, (3, 4)).astype(np.float32))])
    check("HardSwish", [("x", RNG.uniform(-4, 4, (3, 4)).astype(np.float32))], opsets=(14, NEWEST))
    check("PRelu", [x(2, 3, 4), w(3, 1)])
    check("Softsign", [x(3, 4)])
    check("Softplus", [x(3, 4)])
    check("Mish", [x(3, 4)], opsets=(18, NEWEST))


def test_gemm_and_matmul() -> None:
    check("Gemm", [x(4, 3), w(5, 4), w(5)], {"transA": 1, "transB": 1, "alpha": 0.5,
                                             "beta": 2.0})
    check("Gemm", [x(2, 3), w(3, 4), w(1, 4)])
    check("Gemm", [x(2, 3), w(3, 4)])
    check("MatMul", [x(2, 3, 4), w(4, 5)])
    check("MatMul", [x(3), x(3, 2)])


def test_conv() -> None:
    check("Conv", [x(2, 4, 7, 7), w(6, 2, 3, 3), w(6)],
          {"pads": [1, 1, 1, 1], "strides": [2, 2], "group": 2, "kernel_shape": [3, 3]})
    check("Conv", [x(1, 2, 8, 8), w(3, 2, 3, 3)], {"dilations": [2, 1], "pads": [0, 1, 2, 1]})
    check("Conv", [x(1, 2, 7, 6), w(3, 2, 3, 2)], {"auto_pad": "SAME_UPPER", "strides": [2, 2]})
    check("Conv", [x(1, 2, 7, 6), w(3, 2, 2, 2)], {"auto_pad": "SAME_LOWER"})
    check("Conv", [x(2, 3, 9), w(4, 3, 3), w(4)], {"pads": [1, 1], "strides": [2]})


def test_conv_transpose() -> None:
    check("ConvTranspose", [x(1, 4, 5, 5), w(4, 3, 3, 3), w(3)],
          {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]})
    check("ConvTranspose", [x(1, 2, 4, 4), w(2, 3, 3, 3)], {"pads": [0, 1, 2, 1],
                                                             "strides": [2, 2]})
    check("ConvTranspose", [x(2, 3, 6), w(3, 2, 3)], {"strides": [2]})


def _run_one(op_type: str, inputs: list, attrs: dict, opset: int = 17) -> np.ndarray:
    model, feeds = _model(op_type, inputs, attrs, opset, 1)
    return tenkai.onnx.load(model)(tenkai.tensor(feeds["in0"])).detach().numpy()


def test_cases_the_reference_evaluator_gets_wrong_match_pytorch() -> None:
    """Grouped ConvTranspose, ConvTranspose output_shape and MaxPool ceil_mode fail inside
    onnx's reference evaluator (1.23); PyTorch is the oracle for them."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    inputs = [x(1, 4, 4, 4), w(4, 1, 3, 3), w(2)]
    t = [torch.from_numpy(a) for _, a in inputs]
    np.testing.assert_allclose(
        _run_one("ConvTranspose", inputs, {"group": 2, "strides": [2, 1]}),
        tf.conv_transpose2d(*t, stride=(2, 1), groups=2).numpy(), rtol=1e-5, atol=1e-6)
    # output_shape [8, 9] of a full 9x9 output: total padding (1, 0); without auto_pad the
    # larger half goes at the beginning (the ONNX formula)
    inputs = [x(1, 2, 4, 4), w(2, 3, 3, 3)]
    full = tf.conv_transpose2d(*[torch.from_numpy(a) for _, a in inputs], stride=2).numpy()
    np.testing.assert_allclose(
        _run_one("ConvTranspose", inputs, {"strides": [2, 2], "output_shape": [8, 9]}),
        full[:, :, 1:, :], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        _run_one("ConvTranspose", inputs, {"strides": [2, 2], "output_shape": [8, 9],
                                           "auto_pad": "SAME_UPPER"}),
        full[:, :, :8, :], rtol=1e-5, atol=1e-6)
    inputs = [x(1, 2, 8, 8)]
    np.testing.assert_allclose(
        _run_one("MaxPool", inputs, {"kernel_shape": [3, 3], "ceil_mode": 1, "strides": [2, 2]}),
        tf.max_pool2d(torch.from_numpy(inputs[0][1]), 3, 2, ceil_mode=True).numpy())
    # asymmetric pads (H: 0 before, 2 after; W: 1 before, 0 after), against numpy windows
    data = x(1, 2, 6, 6)[1]
    padded = np.pad(data, [(0, 0), (0, 0), (0, 2), (1, 0)], constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 2), axis=(2, 3))
    np.testing.assert_array_equal(
        _run_one("MaxPool", [("x", data)], {"kernel_shape": [3, 2], "pads": [0, 1, 2, 0]}),
        windows.max(axis=(-2, -1)))


def test_pools() -> None:
    check("MaxPool", [x(2, 3, 8, 8)], {"kernel_shape": [2, 2], "strides": [2, 2]})
    check("MaxPool", [x(1, 2, 7, 7)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                       "strides": [2, 2]})
    check("MaxPool", [x(1, 2, 9)], {"kernel_shape": [3], "strides": [2], "dilations": [2]})
    check("AveragePool", [x(2, 3, 8, 8)], {"kernel_shape": [2, 2], "strides": [2, 2]})
    check("AveragePool", [x(1, 2, 7, 7)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]})
    check("AveragePool", [x(1, 2, 7, 7)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                           "count_include_pad": 1, "strides": [2, 2]})
    check("AveragePool", [x(1, 2, 6, 6)], {"kernel_shape": [2, 2], "pads": [1, 0, 0, 1],
                                           "count_include_pad": 1})
    check("GlobalAveragePool", [x(2, 3, 5, 4)])
    check("GlobalMaxPool", [x(2, 3, 5, 4)])


def test_normalization() -> None:
    stats = [w(3), w(3), w(3), ("init", RNG.uniform(0.5, 1.5, 3).astype(np.float32))]
    # not opset 13: the reference evaluator's BatchNormalization_9 blends in batch statistics
    # whenever momentum has a value (its default included); ONNX and PyTorch mean inference
    check("BatchNormalization", [x(2, 3, 4, 4), *stats], {"epsilon": 1e-3}, opsets=(14, NEWEST))
    check("BatchNormalization", [x(4, 3), *stats], opsets=(14, NEWEST))
    check("BatchNormalization", [x(2, 3, 4, 4), *stats], {"training_mode": 1, "momentum": 0.8},
          opsets=(15, NEWEST), n_outputs=3)
    check("LayerNormalization", [x(2, 3, 4), w(4), w(4)], opsets=(17, NEWEST))
    check("LayerNormalization", [x(2, 3, 4), w(3, 4)], {"axis": 1, "epsilon": 1e-3},
          opsets=(17, NEWEST), n_outputs=3)


def test_reshaping() -> None:
    check("Flatten", [x(2, 3, 4)], {"axis": 2})
    check("Flatten", [x(2, 3, 4)], {"axis": 0})
    check("Reshape", [x(2, 3, 4), init([0, -1, 2], np.int64)])
    check("Transpose", [x(2, 3, 4)], {"perm": [1, 2, 0]})
    check("Transpose", [x(2, 3, 4)])
    check("Concat", [x(2, 3), w(2, 2), x(2, 1)], {"axis": 1})
    check("Unsqueeze", [x(2, 3), init([0, -1], np.int64)])
    check("Squeeze", [x(2, 1, 3, 1), init([1], np.int64)])
    check("Squeeze", [x(2, 1, 3, 1)])
    check("Expand", [x(3, 1), init([2, 3, 4], np.int64)])


def test_split() -> None:
    check("Split", [x(2, 7), init([3, 4], np.int64)], {"axis": 1}, n_outputs=2)
    check("Split", [x(6, 2)], n_outputs=3)
    check("Split", [x(2, 7)], {"axis": 1, "num_outputs": 3}, opsets=(18, NEWEST), n_outputs=3)


def test_slice() -> None:
    check("Slice", [x(5, 6), init([1, 0], np.int64), init([4, INT64_MAX], np.int64),
                    init([0, 1], np.int64), init([2, 3], np.int64)])
    check("Slice", [x(5, 6), init([-1], np.int64), init([-INT64_MAX], np.int64),
                    init([1], np.int64), init([-2], np.int64)])
    check("Slice", [x(4, 3), init([1], np.int64), init([3], np.int64)])
    check("Slice", [x(4, 3), init([3], np.int64), init([1], np.int64)])  # empty


def test_gather() -> None:
    check("Gather", [x(4, 5), init([[0, -1], [2, 2]], np.int64)], {"axis": 1})
    check("Gather", [x(4, 5), init(2, np.int64)])
    check("Gather", [w(10, 3), xi([[1, 9], [-1, 0]])])  # an embedding: data-dependent indices


def test_clip() -> None:
    check("Clip", [x(3, 4), init(-0.5, np.float32), init(0.5, np.float32)])
    check("Clip", [x(3, 4), init(-0.5, np.float32)])
    check("Clip", [x(3, 4), MISSING, init(0.1, np.float32)])
    check("Clip", [x(3, 4)])
    low = helper.make_node("Constant", [], ["low"], value_float=-0.25)
    check("Clip", [x(3, 4), ref("low")], pre=[low])  # a static bound


def _const(name: str, value: object) -> object:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(
        np.array(value, np.int64)))


def test_shape_subgraphs_fold_at_trace_time() -> None:
    """PyTorch's flatten-by-view: Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""
    pre = [helper.make_node("Shape", ["in0"], ["s"]), _const("zero", 0),
           helper.make_node("Gather", ["s", "zero"], ["batch"], axis=0),
           _const("axes", [0]), helper.make_node("Unsqueeze", ["batch", "axes"], ["b1"]),
           _const("rest", [-1]), helper.make_node("Concat", ["b1", "rest"], ["shape"], axis=0)]
    check("Reshape", [x(2, 3, 4), ref("shape")], pre=pre)
    pre = [helper.make_node("Shape", ["in0"], ["s"], start=1),
           helper.make_node("ConstantOfShape", ["s"], ["c"],
                            value=numpy_helper.from_array(np.array([1.5], np.float32)))]
    check("Add", [x(2, 3, 4), ref("c")], pre=pre, opsets=(15, NEWEST))
    pre = [helper.make_node("Shape", ["in0"], ["s"]),
           helper.make_node("Cast", ["s"], ["sf"], to=TensorProto.FLOAT)]
    check("Mul", [x(3, 2), ref("sf")], pre=pre)
    module = tenkai.onnx.load(_model("Reshape", [x(2, 3, 4), ref("shape")], {}, 13, 1,
                                     [*pre[:1], _const("zero", 0),
                                      helper.make_node("Gather", ["s", "zero"], ["b"]),
                                      _const("axes", [0]),
                                      helper.make_node("Unsqueeze", ["b", "axes"], ["b1"]),
                                      _const("rest", [-1]),
                                      helper.make_node("Concat", ["b1", "rest"], ["shape"],
                                                       axis=0)])[0])
    with tenkai.no_grad():
        traced = tenkai.trace(lambda t: module(t), tenkai.randn(2, 3, 4))
    assert "reshape(arg0) {shape=(2, 12)}" in traced.as_text()


def test_reductions() -> None:
    check("ReduceSum", [x(2, 3, 4), init([1, -1], np.int64)])
    check("ReduceSum", [x(2, 3, 4), init([0], np.int64)], {"keepdims": 0})
    check("ReduceSum", [x(2, 3, 4)])
    check("ReduceSum", [x(2, 3, 4), init([], np.int64)], {"noop_with_empty_axes": 1})
    check("ReduceMean", [x(2, 3, 4)], {"axes": [1], "keepdims": 0}, opsets=(13, 17))
    check("ReduceMean", [x(2, 3, 4), init([2, 0], np.int64)], opsets=(18, NEWEST))
    check("ReduceMean", [x(2, 3, 4)])
    check("ReduceMax", [x(2, 3, 4), init([1], np.int64)], opsets=(18, NEWEST))


def test_where_cast_dropout() -> None:
    check("Where", [("x", RNG.standard_normal((3, 4)) > 0), x(3, 4), x(4)])
    check("Cast", [x(3, 4)], {"to": TensorProto.DOUBLE})
    check("Cast", [xi([1, -2, 3])], {"to": TensorProto.FLOAT})
    check("Dropout", [x(3, 4)])
    check("Dropout", [x(3, 4), init(0.3, np.float32)], n_outputs=2)


def test_unsupported_operator_is_named_with_node_and_opset() -> None:
    model, feeds = _model("Einsum", [x(2, 3), x(3, 4)], {"equation": "ij,jk->ik"}, 17, 1)
    module = tenkai.onnx.load(model)
    with pytest.raises(NotImplementedError,
                       match=r"operator 'Einsum' \(node 'the_node', opset 17\) is not supported"):
        module(*[tenkai.tensor(v) for v in feeds.values()])


def test_data_dependent_shape_is_refused_clearly() -> None:
    model, feeds = _model("Reshape", [x(2, 3), xi([3, 2])], {}, 17, 1)
    module = tenkai.onnx.load(model)
    with pytest.raises(NotImplementedError, match="'Reshape'.*input 'shape' must be a constant"):
        module(*[tenkai.tensor(v) for v in feeds.values()])


def test_unsupported_attribute_forms_are_named() -> None:
    model, feeds = _model("MaxPool", [x(1, 1, 4, 4)], {"kernel_shape": [2, 2]}, 17, 2)
    with pytest.raises(NotImplementedError, match="Indices output of MaxPool"):
        tenkai.onnx.load(model)(tenkai.tensor(feeds["in0"]))
    model, feeds = _model("Conv", [x(1, 1, 3, 3, 3), w(1, 1, 2, 2, 2)], {}, 17, 1)
    with pytest.raises(NotImplementedError, match="'Conv'.*a 3-D input"):
        tenkai.onnx.load(model)(tenkai.tensor(feeds["in0"]))


def test_initializers_become_parameters_and_buffers() -> None:
    weight = RNG.standard_normal((3, 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "fc.weight"], ["mm"]),
         helper.make_node("Reshape", ["mm", "fc.shape"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(weight, "fc.weight"),
         numpy_helper.from_array(np.array([4, 2], np.int64), "fc.shape")])
    module = tenkai.onnx.load(helper.make_model(graph))
    assert [n for n, _ in module.named_parameters()] == ["fc.weight"]
    assert [n for n, _ in module.named_buffers()] == ["fc.shape"]
    assert isinstance(module.fc.weight, tenkai.nn.Parameter)
    data = RNG.standard_normal((2, 3)).astype(np.float32)
    out = module(tenkai.tensor(data))
    np.testing.assert_allclose(out.detach().numpy(), (data @ weight).reshape(4, 2), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(module.fc.weight.grad.numpy(), data.T @ np.ones((2, 4)),
                               rtol=1e-6)


def test_pad_argmax_gather_elements() -> None:
    check("Pad", [x(2, 3), init([0, 1, 1, 2], np.int64), init(0.5, np.float32)],
          opsets=(13,))  # a float initializer fill value: a parameter
    check("Pad", [x(2, 3), init([0, 1, 1, 2], np.int64)])
    check("Pad", [x(2, 3, 4), init([1, 2, 0, 1], np.int64), MISSING, init([2, 0], np.int64)],
          opsets=(18, NEWEST))
    check("Pad", [x(1, 2, 4, 4), init([0, 0, 1, 2, 0, 0, 2, 1], np.int64)], {"mode": "reflect"})
    check("Pad", [x(1, 2, 4, 4), init([0, 0, 1, 2, 0, 0, 2, 1], np.int64)], {"mode": "edge"})
    check("ArgMax", [x(3, 4)], {"axis": 1})
    check("ArgMin", [x(3, 4)], {"axis": 0, "keepdims": 0})
    check("GatherElements", [x(3, 4), init([[0, 1, -1, 2], [2, 0, 0, 1]], np.int64)])
