"""Every scalar template compiles for every registered target (codegen/scalar/library.py).

For each target in ``tenkai.codegen.target.registered()``, each op with a template and each
dtype its CPU template supports: a small kernel ``void @case(ptr out, args...)`` calls the
template through the target's math library; the module may declare only intrinsics the target
lists as native (checked before LLVM sees it: NVPTX aborts the process on ``llvm.exp.f16``) and
only C functions the target's runtime provides; it then compiles to the target's assembly, and
PTX also assembles with ``ptxas`` (on PATH or from the nvidia-cuda-nvcc wheel). Numerics:
test_scalar_numerics.py.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import llvmlite.binding as llvm
import pytest
from llvmlite import ir

from tenkai.codegen import target as targets
from tenkai.codegen.nvptx.toolkit import find_ptxas
from tenkai.codegen.scalar.library import CPU_MATH, MathLibrary, math_library
from tenkai.codegen.scalar.templates import RANDOM_OPS, TEMPLATES, llvm_type, template_for
from tenkai.ir.ops import REGISTRY
from tenkai.runtime.cpu import jit
from tenkai.runtime.cpu.jit import LIBM_SYMBOLS
from tenkai.runtime.objcheck import check_object

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
I64 = ir.IntType(64)


def _operands(op: str, dtype: str) -> list[ir.Type]:
    """LLVM types of the operands the emitter passes to ``op``'s template."""
    if op in RANDOM_OPS:
        return [I64, I64]  # seed, counter
    if op == "bernoulli":
        return [llvm_type(dtype), I64, I64]
    if op == "where":
        return [ir.IntType(1), llvm_type(dtype), llvm_type(dtype)]
    arity = 2 if op in ("idiv", "imod") else REGISTRY[op].arity
    return [llvm_type(dtype)] * arity


def _cases(op: str) -> list[tuple[str, str, dict]]:
    """(dtype, out_dtype, attrs) combinations to build for ``op``."""
    if op in ("idiv", "imod"):
        return [("int64", "int64", {})]
    if op == "cast":
        return [(src, dst, {}) for src in DTYPES for dst in DTYPES]
    attrs = {"min": 0, "max": 1} if op == "clamp" else {"n": 3} if op == "polygamma" else {}
    if op in ("uniform", "normal", "bernoulli"):
        return [(dt, dt, attrs) for dt in ("float16", "float32", "float64")]
    if op == "randint":
        return [(dt, dt, {"low": -3, "high": 9}) for dt in ("int32", "int64", "float32")]
    return [(dt, dt, attrs) for dt in DTYPES]


def _build(op: str, lib: MathLibrary, triple: str, kernel: bool) -> tuple[ir.Module, list[str]]:
    """One module with a case function per supported dtype; also the dtypes the template
    declined (NotImplementedError) on this library."""
    module = ir.Module(name=f"scalar_{op}")
    module.triple = triple
    declined = []
    for k, (dtype, out_dtype, attrs) in enumerate(_cases(op)):
        types = _operands(op, dtype)
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.PointerType(), *types]),
                         name=f"case{k}_{op}_{dtype}_{out_dtype}")
        if kernel:
            fn.calling_convention = "ptx_kernel"
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        try:
            value = template_for(op, dtype, lib)(b, *fn.args[1:], dtype=dtype,
                                                 out_dtype=out_dtype, **attrs)
        except NotImplementedError:
            declined.append(f"{dtype}->{out_dtype}")
            module.globals.pop(fn.name)
            continue
        b.store(value, fn.args[0])
        b.ret_void()
    return module, declined


def _declared(module: ir.Module) -> list[str]:
    return sorted(f.name for f in module.functions if f.is_declaration)


def _target_machine(t: targets.Target) -> llvm.TargetMachine:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    return llvm.Target.from_triple(t.triple).create_target_machine(cpu=t.arch,
                                                                   features=t.features)


def _optimize(module_ref: llvm.ModuleRef, tm: llvm.TargetMachine) -> None:
    tuning = llvm.create_pipeline_tuning_options(speed_level=2)
    builder = llvm.create_pass_builder(tm, tuning)
    builder.getModulePassManager().run(module_ref, builder)


# one target per distinct code generator: cuda-sim compiles the cuda target's templates
TARGETS = [n for n in targets.registered() if n != "cuda-sim"]
OPS = sorted(TEMPLATES)


def test_registry_has_cpu_and_cuda() -> None:
    assert {"cpu", "cuda"} <= set(TARGETS)
    cuda = targets.describe("nvptx")
    assert (cuda.name, cuda.triple, cuda.arch, cuda.kind) == \
        ("cuda", "nvptx64-nvidia-cuda", "sm_80", "gpu")
    assert (cuda.launch, cuda.alignment, cuda.contraction, cuda.convolution, cuda.parallel) == \
        ("grid", 256, "tiled", "implicit_gemm", "grid")
    assert targets.describe("cuda", arch="sm_90").arch == "sm_90"
    with pytest.raises(ValueError, match="cuda: unknown GPU architecture 'sm_7'"):
        targets.describe("cuda", arch="sm_7")
    assert targets.runtime_module("cuda").__name__ == "tenkai.runtime.cuda"


def test_math_library_follows_the_target() -> None:
    cpu = targets.describe("cpu")
    assert math_library(cpu).native == CPU_MATH.native == cpu.native_math
    assert math_library(cpu).libm and not math_library(targets.describe("cuda")).libm
    libdevice = replace(targets.describe("cuda"), math_library="libdevice")
    assert math_library(libdevice).libdevice  # tests/codegen/test_nvptx_libdevice.py
    with pytest.raises(NotImplementedError, match="cuda: math library 'libmx' is not"):
        math_library(replace(libdevice, math_library="libmx"))


def test_unknown_math_function_names_target_and_function() -> None:
    lib = math_library(targets.describe("cuda"))
    b = ir.IRBuilder(ir.Function(ir.Module(), ir.FunctionType(ir.VoidType(), []),
                                 "f").append_basic_block())
    with pytest.raises(NotImplementedError, match="cuda: no math function 'zeta' for float"):
        lib.call(b, "zeta", [ir.Constant(ir.FloatType(), 1.0)])
    with pytest.raises(NotImplementedError, match="cuda: no template for sin on int32"):
        template_for("sin", "int32", lib)(b, ir.Constant(ir.IntType(32), 1), dtype="int32",
                                          out_dtype="int32")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("name", TARGETS)
def test_template_compiles_for_target(name: str, op: str, tmp_path: Path) -> None:
    t = targets.describe(name)
    lib = math_library(t)
    gpu = t.kind == "gpu"
    module, declined = _build(op, lib, t.triple, kernel=gpu)
    _, cpu_declined = _build(op, CPU_MATH, t.triple, kernel=False)
    assert declined == cpu_declined, f"{name}: {op} has no template for {declined} " \
        f"where the CPU has one"
    assert any(f.name.startswith("case") for f in module.functions), f"{op}: no dtype builds"
    for fn in _declared(module):  # before LLVM sees it: an unknown intrinsic may abort
        if fn.startswith("llvm."):
            assert fn.split(".")[1] in t.native_math, f"{name}: {op} calls {fn}, not native"
        else:
            assert lib.libm and fn in LIBM_SYMBOLS, f"{name}: {op} calls C's {fn}"
    module_ref = llvm.parse_assembly(str(module))
    module_ref.verify()
    tm = _target_machine(t)
    module_ref.data_layout = str(tm.target_data)
    _optimize(module_ref, tm)
    asm = tm.emit_assembly(module_ref)
    assert asm
    if name == "cpu":  # LLVM's own calls (e.g. __truncdfhf2 for double -> half) must resolve
        jit.initialize()
        check_object(tm.emit_object(module_ref), lambda s: bool(llvm.address_of_symbol(s)))
    if gpu and find_ptxas():
        path = tmp_path / f"{op}.ptx"
        path.write_text(asm)
        for arch in ("sm_80", "sm_90"):
            run = subprocess.run([find_ptxas(), f"-arch={arch}", str(path), "-o", "/dev/null"],
                                 capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, f"ptxas -arch={arch} rejects {op}:\n{run.stderr}"
