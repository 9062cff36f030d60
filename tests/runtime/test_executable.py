"""The CPU runtime: binding buffers by pointer, in-place state updates, repeated calls, the JIT
cache, object code, and the errors (each names the buffer, entry or index at fault).

Programs come from codegen (tests may import it; the runtime itself never does): all of them
are generated into one LLVM module up front, whose object code (made once, by the codegen) the
runtime loads.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import tenkai.ir as ir
from tenkai.codegen.cpu.codegen import GeneratedModule, generate
from tenkai.codegen.cpu.machine import emit_object
from tenkai.codegen.lower.program import lower_program
from tenkai.runtime.cpu import ALIGN, jit, pointer
from tenkai.runtime.cpu import CPUExecutable as Executable
from tenkai.runtime.objcheck import ObjectRejected


def _affine() -> ir.Graph:
    g = ir.Graph("affine")
    x = g.add("input", shape=(3, 4), dtype="float32", name="x")
    w = g.add("param", shape=(4,), dtype="float32", name="w")
    g.add_output(g.add("add", [g.add("mul", [x, w]), g.add("full", shape=(), value=1.0,
                                                           dtype="float32")]))
    return g


def _sgd(transposed: bool) -> ir.Graph:
    g = ir.Graph("sgd")
    w = g.add("param", shape=(3, 3), dtype="float64", name="fc.weight")
    grad = g.add("input", shape=(3, 3), dtype="float64", name="grad")
    lr = g.add("input", shape=(), dtype="float64", name="lr")
    src = g.add("permute", [w], dims=(1, 0)) if transposed else w
    g.add_output(g.add("sum", [grad], axes=(0, 1), keepdim=False))
    g.add_output(g.add("sub", [src, g.add("mul", [grad, lr])]))
    g.meta["writes"] = {1: "fc.weight"}
    if not transposed:  # one group, as fusion would make it, so the update happens in place
        nodes = [n for n in g.topo_order() if g.op(n) not in ("input", "param", "output")]
        g.meta["groups"] = {0: {"kind": "elementwise", "nodes": nodes}}
        g.meta["group_order"] = [0]
    return g


def _take() -> ir.Graph:
    g = ir.Graph("take")
    x = g.add("input", shape=(5, 2), dtype="float32", name="x")
    idx = g.add("input", shape=(3,), dtype="int64", name="idx")
    g.add_output(g.add("take", [x, idx], axis=0))
    return g


GRAPHS = {"affine": _affine, "sgd": lambda: _sgd(False), "sgd_t": lambda: _sgd(True),
          "take": _take}


@functools.cache
def _module() -> tuple[GeneratedModule, dict[str, Any]]:
    programs = {name: lower_program(make(), prefix=f"{name}_") for name, make in GRAPHS.items()}
    module = generate(list(programs.values()))
    return module, {name: module.entries[p.entry] for name, p in programs.items()}


def make(name: str) -> Executable:
    module, tables = _module()
    return Executable(module, f"{name}_tk_step", tables[name])


# ---------------------------------------------------------------- binding and calls


def test_params_are_bound_by_pointer_and_reused() -> None:
    ex = make("affine")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    w = np.full(4, 2.0, dtype=np.float32)
    out1 = ex({"x": x}, {"w": w})["out0"]
    np.testing.assert_array_equal(out1, x * 2 + 1)
    w[:] = 3.0  # the bound array itself changed: no rebinding needed
    out2 = ex({"x": x})["out0"]
    np.testing.assert_array_equal(out2, x * 3 + 1)
    assert out2 is out1, "outputs are views of one persistent buffer"
    assert ex.stats["calls"] == 2 and ex.stats["kernels_per_step"] == 2  # mul, add
    assert ex.stats["native_calls_per_step"] == 1
    w2 = np.zeros(4, dtype=np.float32)
    np.testing.assert_array_equal(ex({"x": x}, {"w": w2})["out0"], np.ones((3, 4)))


def test_buffers_are_aligned() -> None:
    ex = make("affine")
    assert pointer(ex.arena.block) % ALIGN == 0
    for name in ex.output_names:
        assert pointer(ex._arrays[name]) % ALIGN == 0


def test_state_update_lands_in_the_param_array() -> None:
    ex = make("sgd")
    assert not ex.writes or ex.output_names[1] == "fc.weight"
    w = np.arange(9, dtype=np.float64).reshape(3, 3)
    before = w.copy()
    grad, lr = np.ones((3, 3)), np.asarray(0.5)
    outs = ex.run({"grad": grad, "lr": lr}, {"fc.weight": w})
    np.testing.assert_array_equal(w, before - 0.5)
    assert outs[1] is w, "the write output is the param array itself"
    assert set(ex({"grad": grad, "lr": lr})) == {"out0"}, "writes are not returned"
    np.testing.assert_array_equal(w, before - 1.0)


def test_state_update_that_reads_other_elements_is_copied_back() -> None:
    ex = make("sgd_t")
    w = np.arange(9, dtype=np.float64).reshape(3, 3)
    before = w.copy()
    ex.run({"grad": np.zeros((3, 3)), "lr": np.asarray(0.1)}, {"fc.weight": w})
    np.testing.assert_array_equal(w, before.T)


def test_run_feeds_accepts_one_dict() -> None:
    ex = make("affine")
    outs = ex.run_feeds({"x": np.ones((3, 4), np.float32), "w": np.ones(4, np.float32)})
    np.testing.assert_array_equal(outs[0], np.full((3, 4), 2.0))


def test_inputs_are_converted_when_harmless() -> None:
    ex = make("sgd")
    w = np.zeros((3, 3))
    grad = np.asfortranarray(np.arange(9.0).reshape(3, 3))  # non-contiguous input: copied
    ex.run({"grad": grad, "lr": 1.0}, {"fc.weight": w})  # a Python scalar for a 0-d input
    np.testing.assert_array_equal(w, -grad)


# ---------------------------------------------------------------- the JIT


def test_jit_cache_loads_an_object_once() -> None:
    make("affine")
    before = dict(jit.STATS)
    a, b = make("affine"), make("take")
    assert jit.STATS["object_loads"] == before["object_loads"]
    assert jit.STATS["cache_hits"] == before["cache_hits"] + 2
    assert a.module is b.module


def test_object_code_round_trip() -> None:
    module, tables = _module()
    obj = module.object_code()
    assert isinstance(obj, bytes) and obj[:4] == b"\x7fELF" and obj is module.object_code()
    ex = Executable(obj, "affine_tk_step", tables["affine"])
    assert ex.module is make("affine").module  # the same bytes: one loaded module
    out = ex({"x": np.ones((3, 4), np.float32)}, {"w": np.full(4, 2.0, np.float32)})["out0"]
    np.testing.assert_array_equal(out, np.full((3, 4), 3.0))


def test_the_runtime_loads_no_ir() -> None:
    module, tables = _module()
    with pytest.raises(TypeError, match="LLVM IR text: the runtime generates no code"):
        Executable(module.optimized_ir, "affine_tk_step", tables["affine"])
    assert not hasattr(jit, "compile_ir") and not hasattr(jit, "emit_object")


# ---------------------------------------------------------------- errors


def test_missing_entry_symbol() -> None:
    module, tables = _module()
    with pytest.raises(KeyError, match="'nope_tk_step' is missing from the loaded module"):
        Executable(module, "nope_tk_step", tables["affine"])


def test_missing_input_and_unbound_param() -> None:
    ex = make("affine")
    with pytest.raises(KeyError, match=r"param 'w' of affine_tk_step was never bound"):
        ex({"x": np.ones((3, 4), np.float32)})
    with pytest.raises(KeyError, match=r"missing input\(s\) \['x'\]"):
        ex({}, {"w": np.ones(4, np.float32)})
    with pytest.raises(KeyError, match="has no input named 'y'"):
        ex({"x": np.ones((3, 4), np.float32), "y": np.ones(1)})


def test_bad_dtype_and_shape_name_the_buffer() -> None:
    ex = make("affine")
    w = np.ones(4, np.float32)
    with pytest.raises(TypeError, match=r"input 'x': expected dtype float32, got float64"):
        ex({"x": np.ones((3, 4))}, {"w": w})
    with pytest.raises(ValueError, match=r"input 'x': expected shape \[3, 4\], got \[4, 3\]"):
        ex({"x": np.ones((4, 3), np.float32)}, {"w": w})


def test_written_params_must_be_writable_numpy_arrays() -> None:
    ex = make("sgd")
    feeds = {"grad": np.ones((3, 3)), "lr": np.asarray(0.1)}
    ro = np.zeros((3, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="param 'fc.weight' is read-only, but the step updates"):
        ex(feeds, {"fc.weight": ro})
    with pytest.raises(TypeError, match="param 'fc.weight' must be a numpy array"):
        ex(feeds, {"fc.weight": [[0.0] * 3] * 3})
    ro_input = make("affine")  # a param the step only reads may be read-only
    w = np.ones(4, np.float32)
    w.flags.writeable = False
    np.testing.assert_array_equal(ro_input({"x": np.ones((3, 4), np.float32)}, {"w": w})["out0"],
                                  np.full((3, 4), 2.0))


def test_non_contiguous_param_is_staged_and_written_back() -> None:
    ex = make("sgd")
    base = np.arange(9.0).reshape(3, 3)
    w = base.T  # a view: no pointer to bind, so the runtime stages it through a copy
    outs = ex.run({"grad": np.ones((3, 3)), "lr": np.asarray(1.0)}, {"fc.weight": w})
    np.testing.assert_array_equal(base, np.arange(9.0).reshape(3, 3) - 1.0)
    assert outs[1] is w
    base[0, 0] = 100.0  # the caller's change is seen by the next step (copied in again)
    ex.run({"grad": np.zeros((3, 3)), "lr": np.asarray(1.0)}, {"fc.weight": w})
    assert base[0, 0] == 100.0


def test_out_of_range_index_raises_index_error() -> None:
    ex = make("take")
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    out = ex({"x": x, "idx": np.array([0, -1, 4])})["out0"]
    np.testing.assert_array_equal(out, x[[0, -1, 4]])
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 "
                                         "with size 5"):
        ex({"x": x, "idx": np.array([0, 7, 1])})
    np.testing.assert_array_equal(ex({"x": x, "idx": np.array([1, 1, 1])})["out0"], x[[1, 1, 1]])


def test_undefined_external_function_is_reported_not_called() -> None:
    text = ('declare void @tk_nope_kernel(ptr)\n'
            'define void @tk_step(ptr %b) {\n  call void @tk_nope_kernel(ptr %b)\n  ret void\n}\n')
    with pytest.raises(ObjectRejected, match=r"nothing defines: \['tk_nope_kernel'\].*library"):
        Executable(emit_object(text), "tk_step",
                   {"buffers": [], "outputs": [], "writes": {}, "errors": {}})


def test_profile_times_every_kernel() -> None:
    ex = make("affine")
    prof = ex.profile({"x": np.ones((3, 4), np.float32)}, {"w": np.ones(4, np.float32)})
    assert [name for name, _ in prof] == ex.kernels and all(t >= 0 for _, t in prof)
