"""The shared LLVM layer (codegen/llvm) and the CPU target's use of it: the parallel-loop hook,
the two counted-loop shapes, the one optimization pipeline, the layering rules (llvm/ never
imports a target; only cpu/machine.py picks the host CPU, in codegen and runtime alike), and
object code from codegen.cpu loaded by the runtime, which has no code generator."""

from __future__ import annotations

import ast
import ctypes
import hashlib
from pathlib import Path

import numpy as np
import pytest
from cpu_harness import single_group
from jit_harness import compile_module
from llvmlite import ir

import tenkai.ir as tir
from tenkai.codegen.cpu.codegen import gemm_function, generate, parallel_for_function
from tenkai.codegen.cpu.contraction import GemmContractions
from tenkai.codegen.cpu.library import library
from tenkai.codegen.cpu.outline import OutlinedLoops
from tenkai.codegen.kir.nodes import Loop, walk
from tenkai.codegen.llvm.emit import KernelEmitter
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I64, PTR, VOID
from tenkai.codegen.lower.program import lower_program
from tenkai.ir.passes.pipeline import run_pipeline
from tenkai.runtime.cpu import CPUExecutable as Executable
from tenkai.runtime.cpu.jit import load_object

ROOT = Path(__file__).resolve().parents[2]
CODEGEN = ROOT / "codegen"


def _big_elementwise() -> tir.Graph:
    g = tir.Graph("big")
    x = g.add("input", shape=(512, 1024), dtype="float32", name="x")
    g.add_output(g.add("relu", [g.add("mul", [x, x])]))
    return single_group(g)


class Recorder:
    """A ParallelLoops strategy that records what it is offered and declines (or delegates)."""

    def __init__(self, inner: OutlinedLoops | None = None) -> None:
        self.offered: list[Loop] = []
        self.inner = inner

    def emit(self, emitter: KernelEmitter, loop: Loop) -> bool:
        self.offered.append(loop)
        return self.inner.emit(emitter, loop) if self.inner is not None else False


def _emit(strategy: object) -> tuple[str, list[Loop]]:
    program = lower_program(_big_elementwise())
    (kernel,) = program.kernels
    module = ir.Module(name="t")
    buffers = {b.name: b for b in program.buffers}
    KernelEmitter(module, kernel, buffers, GemmContractions(gemm_function),
                  strategy).emit()  # type: ignore[arg-type]
    return str(module), [s for s in walk(kernel.body) if isinstance(s, Loop) and s.parallel]


def test_parallel_hook_gets_top_level_parallel_loops_and_may_decline() -> None:
    recorder = Recorder()
    declined, parallel_loops = _emit(recorder)
    assert parallel_loops, "the elementwise kernel should have a parallel loop"
    assert recorder.offered == [parallel_loops[0]]
    serial, _ = _emit(None)
    assert declined == serial  # declining leaves the plain serial loop
    assert "tk_parallel_for" not in serial


def test_cpu_strategy_outlines_onto_the_pool() -> None:
    recorder = Recorder(OutlinedLoops(parallel_for_function))
    text, _ = _emit(recorder)
    assert len(recorder.offered) == 1
    assert 'call void @"tk_parallel_for"' in text
    assert '.par0.task"' in text and '.par0"(' in text


@pytest.mark.parametrize("rotated", [False, True])
def test_counted_loop_shapes_run(rotated: bool) -> None:
    """sum(start..stop) by both shapes, natively, including empty and one-trip ranges."""
    module = ir.Module(name=f"loops_{rotated}")
    fn = ir.Function(module, ir.FunctionType(I64, [I64, I64]), "span_sum")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    total = b.alloca(I64)
    b.store(I64(0), total)
    with counted_loop(b, fn.args[0], fn.args[1], "i", rotated=rotated) as i:
        b.store(b.add(b.load(total, typ=I64), i), total)
    b.ret(b.load(total, typ=I64))
    span_sum = compile_module(module).ctypes_function("span_sum", ctypes.c_int64,
                                                      ctypes.c_int64, ctypes.c_int64)
    for start, stop in [(0, 0), (3, 3), (5, 2), (0, 1), (2, 10), (-4, 4)]:
        assert span_sum(start, stop) == sum(range(start, stop)), (start, stop)


def test_counted_loop_step() -> None:
    module = ir.Module(name="loops_step")
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, I64]), "mark")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    with counted_loop(b, I64(0), fn.args[1], "i", I64(3)) as i:
        b.store(I64(1), b.gep(fn.args[0], [i], source_etype=I64))
    b.ret_void()
    mark = compile_module(module).ctypes_function("mark", None, ctypes.c_void_p, ctypes.c_int64)
    out = (ctypes.c_int64 * 10)()
    mark(out, 10)
    assert list(out) == [1 if k % 3 == 0 else 0 for k in range(10)]
    with pytest.raises(ValueError, match="rotated loop steps by 1"), \
            counted_loop(b, I64(0), I64(1), "j", I64(2), rotated=True):
        pass


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_llvm_layer_imports_no_target_and_no_runtime() -> None:
    for path in sorted((CODEGEN / "llvm").glob("*.py")):
        bad = {m for m in _imports(path)
               if m.startswith(("tenkai.codegen.cpu", "tenkai.runtime", "tenkai.codegen.nvptx"))}
        assert not bad, f"{path.name} imports {bad}: codegen/llvm is shared by every target"


def test_only_cpu_machine_picks_the_host_cpu() -> None:
    pickers = sorted(str(p.relative_to(ROOT)) for folder in (CODEGEN, ROOT / "runtime")
                     for p in folder.rglob("*.py")
                     if "get_host_cpu_name" in p.read_text()
                     or "get_host_cpu_features" in p.read_text())
    assert pickers == ["codegen/cpu/machine.py"]


def test_one_optimization_pipeline() -> None:
    users = sorted(str(p.relative_to(CODEGEN)) for p in CODEGEN.rglob("*.py")
                   if "create_pass_builder" in p.read_text())
    assert users == ["llvm/pipeline.py"]


def _matmul_relu() -> tir.Graph:
    g = tir.Graph("mm")
    x = g.add("input", shape=(64, 32), dtype="float32", name="x")
    w = g.add("param", shape=(32, 16), dtype="float32", name="w")
    g.add_output(g.add("relu", [g.add("matmul", [x, w])]))
    return g


def test_object_code_from_codegen_runs_in_the_runtime() -> None:
    """The object path: codegen.cpu emits object code with its target machine, the runtime
    loads and runs exactly those bytes (the tuned GEMM of the shared library included)."""
    module = generate(lower_program(run_pipeline(_matmul_relu())))
    assert "tk_gemm_f32" in module.optimized_ir
    exe = Executable(module.object_code(), module.entry, module.buffer_table)
    assert exe.module is load_object(module.object_code())
    assert exe.module.key == hashlib.sha256(module.object_code()).hexdigest()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32)).astype(np.float32)
    w = rng.standard_normal((32, 16)).astype(np.float32)
    (out,) = exe.run_feeds({"x": x, "w": w})
    np.testing.assert_allclose(out, np.maximum(x @ w, 0), rtol=1e-5, atol=1e-5)


def test_library_object_code_loads() -> None:
    lib = library()
    assert lib is not None
    assert lib.symbols == sorted(lib.functions) and "tk_get_num_threads" in lib.symbols
    assert lib.object_code() is lib.object_code()  # emitted once per process
    threads = load_object(lib.object_code()).address("tk_get_num_threads")
    assert ctypes.CFUNCTYPE(ctypes.c_int64)(threads)() >= 1


def _llvm_calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)]


def test_the_runtime_has_no_code_generator() -> None:
    """What the runtime loads is codegen's object code: runtime/ emits no object code or
    assembly, parses no IR but MCJIT's empty module, optimizes nothing, and its one target
    machine (MCJIT's loader) names no CPU and no features."""
    machines, parsed = [], []
    for path in sorted((ROOT / "runtime").rglob("*.py")):
        for call in _llvm_calls(path):
            name = call.func.attr  # type: ignore[attr-defined]
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            assert name not in ("emit_object", "emit_assembly", "create_pass_builder",
                                "compile_ir"), f"{where} calls {name}: code generation"
            if name == "create_target_machine":
                machines.append(where)
                assert not {k.arg for k in call.keywords} & {"cpu", "features"}, where
                assert not call.args, where
            if name == "parse_assembly":
                parsed.append(where)
                [arg] = call.args
                assert isinstance(arg, ast.Constant) and arg.value == "", where
    assert machines == [m for m in machines if m.startswith("runtime/cpu/jit.py")]
    assert len(machines) == 1 and len(parsed) == 1
