"""The eager fast paths (per-signature op cache, direct numpy indexing and iteration, direct
random draws) mean exactly what the general paths mean: same values, errors, views, version
counters and recorded history."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai import _ops, _random
from tenkai.ir import REGISTRY
from tenkai.ir.errors import AutogradError

torch = pytest.importorskip("torch")


def _vec(n: int = 8, requires_grad: bool = False) -> tenkai.Tensor:
    data = np.arange(n, dtype=np.float32) * 0.5 - 1.0
    return tenkai.tensor(data, requires_grad=requires_grad)


# ---------------------------------------------------------------- the per-signature cache


def test_cache_hit_does_not_skip_shape_errors() -> None:
    a, b = tenkai.ones(3), tenkai.ones(3)
    assert (a + b).tolist() == [2.0, 2.0, 2.0]
    assert (a + b).tolist() == [2.0, 2.0, 2.0]  # a cache hit
    with pytest.raises(RuntimeError, match=r"\[3\].*\[4\]|\(3\).*\(4\)|3.*4"):
        a + tenkai.ones(4)
    m = tenkai.ones(2, 3)
    assert (m @ tenkai.ones(3, 2)).shape == (2, 2)
    with pytest.raises(RuntimeError):
        m @ tenkai.ones(2, 3)  # a new signature of a cached op checks again


def test_cache_key_tells_dtypes_and_attrs_apart() -> None:
    x64 = tenkai.tensor([1.5, 2.5], dtype=tenkai.float64)
    x32 = tenkai.tensor([1.5, 2.5])
    assert (x32 + x32).dtype == tenkai.float32
    assert (x64 + x64).dtype == tenkai.float64
    ints = tenkai.tensor([[1, 2], [3, 4]])
    assert ints.sum().item() == 10 and ints.sum(0).tolist() == [4, 6]
    assert ints.sum(1).tolist() == [3, 7] and ints.sum(1, keepdim=True).shape == (2, 1)
    with pytest.raises(RuntimeError, match="bool"):
        tenkai.tensor([True]) - tenkai.tensor([False])


def test_cache_key_tells_attr_types_apart() -> None:
    # 1 == 1.0 == True and they hash alike: the key holds the attribute types too, so a
    # cache hit never hands one call another call's attribute values
    ones = [_ops.apply("const", (), value=v) for v in (1, 1.0, True, 1, 1.0)]
    assert [str(t.dtype) for t in ones] == ["torch.int64", "torch.float64", "torch.bool",
                                           "torch.int64", "torch.float64"]
    x = _vec(4, requires_grad=True)
    a, b = tenkai.clamp(x, min=1), tenkai.clamp(x, min=1.0)
    assert type(a.grad_fn._node.attrs["min"]) is int
    assert type(b.grad_fn._node.attrs["min"]) is float


def test_grad_fn_names_and_history_after_cache_hits() -> None:
    w = _vec(4, True)
    for _ in range(3):  # the same signatures each time: history is still recorded
        y = (w * 2.0 + w).tanh()
        assert type(y.grad_fn).__name__ in ("GradFn",) and y.grad_fn.name() == "TanhBackward0"
        add = y.grad_fn.next_functions[0][0]
        assert add.name() == "AddBackward0"
        assert [f.name() for f, _ in add.next_functions] == ["MulBackward0",
                                                             "torch::autograd::AccumulateGrad"]
    with tenkai.no_grad():
        assert (w * 2.0).grad_fn is None and not (w * 2.0).requires_grad
    assert (w.detach() * 2.0).grad_fn is None


def test_inplace_version_check_still_fires() -> None:
    w = _vec(4, True)
    y = w * 2.0
    z = y.exp()  # saves its output
    y2 = y.sin()  # saves its input y
    z.add_(1)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        z.sum().backward()
    y.add_(1)
    with pytest.raises(AutogradError, match="is at version 1; expected version 0"):
        y2.sum().backward()


# ---------------------------------------------------------------- indexing and iteration


@pytest.mark.parametrize("index", [3, -1, (slice(1, 5),), slice(None), slice(2, None, 3),
                                   (1, 2), (slice(None), -1), (slice(0, 1), slice(1, 3)),
                                   slice(5, 2), slice(-100, 100)])
def test_basic_reads_match_pytorch_and_are_views(index: object) -> None:
    data = np.arange(24, dtype=np.float32).reshape(4, 6)
    x, t = tenkai.tensor(data), torch.tensor(data)
    got, want = x[index], t[index]
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    if got.numel():
        assert got._base is x and got._vc is x._vc and np.shares_memory(got._data, x._data)
        before = x._vc[0]
        got.add_(100.0)  # writes through the view: the base sees them and its version moves
        t_view = t[index]
        t_view.add_(100.0)
        np.testing.assert_array_equal(x.numpy(), t.numpy())
        assert x._vc[0] == before + 1


def test_view_of_a_view_has_the_first_base() -> None:
    x = tenkai.arange(10.0)
    v = x[2:8]
    w = v[1]
    assert w._base is x and w._vc is x._vc and w.item() == 3.0


def test_index_errors_match_pytorch() -> None:
    x = tenkai.arange(5.0)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 5"):
        x[5]
    with pytest.raises(IndexError, match="index -6 is out of bounds"):
        x[-6]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="too many indices"):
        x[1, 2]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        tenkai.tensor(1.0)[0]
    with pytest.raises(IndexError, match="out of bounds|out of range"):
        x[tenkai.tensor([1, 7])]
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[tenkai.tensor([1.0])]


def test_index_tensor_reads_are_copies_matching_pytorch() -> None:
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    x, t = tenkai.tensor(data), torch.tensor(data)
    for idx in ([2, 0, -1], [[0, 1], [2, 2]]):
        got = x[tenkai.tensor(idx)]
        np.testing.assert_array_equal(got.numpy(), t[torch.tensor(idx)].numpy())
        assert got._base is None and not np.shares_memory(got._data, x._data)
    i32 = x[tenkai.tensor([1], dtype=tenkai.int32)]
    np.testing.assert_array_equal(i32.numpy(), data[[1]])
    mask = x[tenkai.tensor([True, False, True])]  # masks keep the general path
    np.testing.assert_array_equal(mask.numpy(), data[[0, 2]])


def test_reads_with_history_record_select_and_slice() -> None:
    w = _vec(6, True)
    assert w[2].grad_fn.name() == "SelectBackward0"
    assert w[1:4].grad_fn.name() == "SliceBackward0"
    assert w[tenkai.tensor([0, 0, 5])].grad_fn.name() == "IndexBackward0"
    (w[2] * 3.0 + w[1:4].sum() + w[tenkai.tensor([0, 0, 5])].sum()).backward()
    assert w.grad.tolist() == [2.0, 1.0, 4.0, 1.0, 0.0, 1.0]
    with tenkai.no_grad():
        assert w[2].grad_fn is None and w[2]._base is w


def test_iteration_without_history_gives_views() -> None:
    x = tenkai.arange(6.0).reshape(3, 2)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    base = x._base if x._base is not None else x  # a view's views share its base (PyTorch)
    assert all(r._base is base and r._vc is x._vc and r.grad_fn is None for r in rows)
    rows[1].mul_(10.0)
    assert x.tolist() == [[0.0, 1.0], [20.0, 30.0], [4.0, 5.0]]
    elems = list(tenkai.arange(3))
    assert [e.item() for e in elems] == [0, 1, 2] and elems[0].shape == ()
    assert list(tenkai.zeros(0, 2)) == []
    assert [tuple(r.shape) for r in tenkai.zeros(2, 0)] == [(0,), (0,)]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tenkai.tensor(1.0))


def test_iteration_with_history_is_unbind() -> None:
    w = _vec(4, True)
    items = list(w)
    assert len(items) == 4 and all(i.grad_fn.name() == "UnbindBackward0" for i in items)
    (items[0] * 2.0 + items[3] * 3.0).backward()
    assert w.grad.tolist() == [2.0, 0.0, 0.0, 3.0]
    assert [i.item() for i in items] == w.tolist()


# ---------------------------------------------------------------- random draws


@pytest.mark.parametrize("count", [0, 1, 2, 7, 12, 13, 100, 1000])
def test_direct_draws_are_the_reference_values(count: int) -> None:
    cases = [("normal", {"dtype": "float32", "mean": 0.0, "std": 1.0}),
             ("normal", {"dtype": "float64", "mean": 1.5, "std": 2.0}),
             ("normal", {"dtype": "float16", "mean": -3.0, "std": 7.0}),
             ("uniform", {"dtype": "float32", "low": 0.0, "high": 1.0}),
             ("uniform", {"dtype": "float64", "low": -1.0, "high": 3.0}),
             ("randint", {"dtype": "int64", "low": 0, "high": 10}),
             ("randint", {"dtype": "int32", "low": -5, "high": 7})]
    rng = np.random.default_rng(count)
    for seed, offset in [(0, 0), (67280421310721, 5), (2**63 - 1, 2**32 - 3),
                         (int(rng.integers(2**62)), int(rng.integers(2**62)))]:
        for op, attrs in cases:
            for shape in ((count,), (1, count)) + (((),) if count == 1 else ()):
                want = REGISTRY[op].reference(np.int64(seed), np.int64(offset), shape=shape,
                                              **attrs)
                got = _random._DIRECT[op](shape, seed, offset, **attrs)
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got, want)


def test_philox_words_wrap_the_counter() -> None:
    from tenkai.ir.ops_source import _counters, philox4x32

    for count in (3, 40, 3000):  # Python ints, paired lanes, one array per word
        for offset in (2**64 - 2, 2**32 - 1):
            want = philox4x32(_counters((count,), offset), 2**64 - 1)
            got = _random.philox_words(count, 2**64 - 1, offset)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])


def test_eager_draws_equal_the_recorded_op_and_advance_the_generator(monkeypatch) -> None:
    def draws() -> list[np.ndarray]:
        tenkai.manual_seed(123)
        out = [tenkai.randn(5), tenkai.rand(2, 3), tenkai.randint(0, 9, (4,)),
               tenkai.randn(3, dtype=tenkai.float64), tenkai.randn(())]
        return [t.numpy() for t in out] + [tenkai.default_generator._offset]

    fast = draws()
    monkeypatch.setattr(_random, "_DIRECT_MAX", -1)  # every draw through _ops.apply
    slow = draws()
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.asarray(a).dtype == np.asarray(b).dtype


@pytest.mark.parametrize("native", ["1", "0"])
def test_small_draws_are_the_ops_values_with_native_kernels_on_and_off(monkeypatch, native):
    """The direct draws (the native Philox kernel on this thread, or the Python Philox with
    TENKAI_EAGER_NATIVE=0) give what the op gives through _ops.apply, at every small size and
    for every dtype, and advance the generator alike."""
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", native)
    _ops._CHECKED.clear()

    def draws() -> list[np.ndarray]:
        g = tenkai.Generator().manual_seed(2**64 - 5)  # a seed past 2**63
        g._offset = 2**32 - 40  # counters crossing 2**32: word x1 of the counter
        out = []
        for n in (0, 1, 3, 13, 100, 2049, 16384):
            out += [tenkai.randn(n, generator=g), tenkai.rand(n, 2, generator=g),
                    tenkai.randint(-7, 1000, (n,), generator=g),
                    tenkai.randint(0, 3, (2, n), dtype=tenkai.int32, generator=g),
                    tenkai.rand(n, dtype=tenkai.float64, generator=g),
                    tenkai.randn(n, dtype=tenkai.float16, generator=g)]
        out += [tenkai.normal(1.5, 0.25, (4, 5), generator=g), tenkai.randn((), generator=g)]
        return [t.numpy() for t in out] + [np.asarray(g._offset)]

    fast = draws()
    monkeypatch.setattr(_random, "_DIRECT_MAX", -1)  # every draw through _ops.apply
    slow = draws()
    _ops._CHECKED.clear()
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_small_native_draws_are_fresh_arrays() -> None:
    tenkai.manual_seed(0)
    a, b = tenkai.randn(4), tenkai.randn(4)
    assert not np.shares_memory(a.numpy(), b.numpy()) and a.tolist() != b.tolist()
    a.add_(1.0)  # writable, owns its memory: the next draw does not overwrite it
    before = a.tolist()
    tenkai.randn(4)
    assert a.tolist() == before


def test_random_arguments_still_checked() -> None:
    with pytest.raises(RuntimeError, match="negative dimension"):
        tenkai.randn(-1)
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        tenkai.randint(5, 5, (2,))
    g = tenkai.Generator().manual_seed(7)
    a = tenkai.randn(3, generator=g)
    b = tenkai.randn(3, generator=tenkai.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tenkai.randn(2, requires_grad=True).requires_grad


def test_cache_entries_hold_the_checked_rule_results() -> None:
    x = tenkai.ones(2, 2)
    _ = x + x
    entries = [v for k, v in _ops._CHECKED.items() if k[0] == "add"]
    assert entries and all(v[0] is REGISTRY["add"] for v in entries)


# ---------------------------------------------------------------- stack, cat, factories, grads


def test_stack_and_cat_match_pytorch() -> None:
    parts = [np.arange(6, dtype=np.float32).reshape(2, 3) + k for k in range(4)]
    xs, ts = [tenkai.tensor(p) for p in parts], [torch.tensor(p) for p in parts]
    for dim in (0, 1, 2, -1):
        got, want = tenkai.stack(xs, dim), torch.stack(ts, dim)
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got._base is None and got.grad_fn is None
    mixed = tenkai.cat([tenkai.tensor([1, 2]), tenkai.tensor([0.5])])
    assert mixed.dtype == tenkai.float32 and mixed.tolist() == [1.0, 2.0, 0.5]
    mixed = tenkai.stack((tenkai.tensor([1, 2]), tenkai.tensor([0.5, 1.5])))  # promoted
    assert mixed.dtype == tenkai.float32 and mixed.tolist() == [[1.0, 2.0], [0.5, 1.5]]
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size"):
        tenkai.stack([tenkai.ones(2), tenkai.ones(3)])
    w = _vec(3, True)
    s = tenkai.stack([w, w * 2.0], 0)
    assert s.grad_fn.name() == "StackBackward0"
    s.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0]


def test_factories_match_pytorch() -> None:
    for fn in ("zeros", "ones", "empty"):
        got, want = getattr(tenkai, fn)(2, 3), getattr(torch, fn)(2, 3)
        assert tuple(got.shape) == (2, 3) and got.dtype == tenkai.float32
        if fn != "empty":
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got._data.flags.c_contiguous and got._data.flags.writeable
    assert tenkai.zeros(3, dtype=tenkai.int64).tolist() == [0, 0, 0]
    assert tenkai.zeros((2,), requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="negative dimension"):
        tenkai.zeros(2, -1)
    for args in ((5,), (0, 1, 0.1), (1.5, 7.2, 0.7), (10, 0, -2.5)):
        np.testing.assert_array_equal(tenkai.arange(*args).numpy(), torch.arange(*args).numpy())


def test_first_gradient_is_a_fresh_copy_in_the_parameters_layout() -> None:
    w = tenkai.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    x = tenkai.tensor(np.ones((4, 3), dtype=np.float32))
    y = x @ w.T  # the gradient of w comes out of a transposed product
    y.sum().backward()
    assert w.grad._data.flags.c_contiguous
    assert not np.shares_memory(w.grad._data, x._data)
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 3), 4.0, dtype=np.float32))
    (x @ w.T).sum().backward()  # accumulates in place
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 3), 8.0, dtype=np.float32))
