"""``math_library="libdevice"`` on the cuda target (codegen/scalar/library.py,
codegen/nvptx/libdevice.py) and the CUDA tool lookup (codegen/nvptx/toolkit.py).

Every scalar template is built with the libdevice library for the NVPTX triple; its module may
declare only native intrinsics and ``__nv_<fn>f`` / ``__nv_<fn>`` of :data:`LIBDEVICE` (float
and double; half through float), and after linking ``libdevice.10.bc`` and optimizing, the PTX
calls nothing (everything inlined, ``__nvvm_reflect`` resolved) and assembles with ``ptxas``
for sm_80 and sm_90. Values: the CPU simulator (gpu_sim.py) does not run libdevice's code, so
libdevice_host.py does: the linked and NVPTX-optimized code of each template, with libdevice's
NVVM intrinsics and inline PTX replaced by host functions of the same meaning (approximate
instructions by exact ones, directed rounding emulated in double), is JIT-compiled on the
host and compared with float64 references for float and double. That checks the mapping and
libdevice's algorithms, not the GPU's own approximate instructions (which need a GPU).
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pytest
import torch
from test_scalar_targets import OPS, _build, _target_machine

import tenkai
from tenkai.codegen import target as targets
from tenkai.codegen.nvptx import libdevice, toolkit
from tenkai.codegen.scalar.library import LIBDEVICE, math_library
from tenkai.codegen.scalar.templates import RANDOM_OPS

CUDA_LD = targets.describe("cuda", math="libdevice")
needs_ptxas = pytest.mark.skipif(toolkit.find_ptxas() is None, reason=toolkit.PTXAS_MISSING)
needs_libdevice = pytest.mark.skipif(toolkit.find_libdevice() is None,
                                     reason=toolkit.LIBDEVICE_MISSING)
# ops whose templates are plain arithmetic (no math function) or random bits
NO_MATH = set(RANDOM_OPS) | {"bernoulli"}


def assemble(ptx: str, tmp_path: Path) -> None:
    path = tmp_path / "k.ptx"
    path.write_text(ptx)
    for arch in ("sm_80", "sm_90"):
        run = subprocess.run([toolkit.ptxas(), f"-arch={arch}", str(path), "-o", "/dev/null"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"ptxas -arch={arch} rejects the PTX:\n{run.stderr[-3000:]}"


def test_libdevice_is_selected_by_option_or_field() -> None:
    assert dict(CUDA_LD.options) == {"math": "libdevice"}
    assert CUDA_LD.key()["target.math"] == "libdevice"  # a separate cache key
    assert math_library(CUDA_LD).libdevice
    assert math_library(replace(targets.describe("cuda"), math_library="libdevice")).libdevice
    assert not math_library(targets.describe("cuda")).libdevice
    with pytest.raises(NotImplementedError, match="cpu: math library 'libdevice' is NVIDIA's"):
        math_library(targets.describe("cpu", math="libdevice"))
    with pytest.raises(NotImplementedError, match="cuda: math library 'nvmath' is not "
                       "implemented .* use one of 'tenkai', 'tenkai\\+libm', 'libdevice'"):
        math_library(targets.describe("cuda", math="nvmath"))


@needs_libdevice
def test_every_template_declares_libdevice_or_native_only() -> None:
    lib = math_library(CUDA_LD)
    seen: set[str] = set()
    for op in OPS:
        module, _ = _build(op, lib, CUDA_LD.triple, kernel=True)
        for f in module.functions:
            if not f.is_declaration:
                continue
            if f.name.startswith("llvm."):
                assert f.name.split(".")[1] in CUDA_LD.native_math, f"{op} calls {f.name}"
                continue
            ret = str(f.function_type.return_type)
            assert ret in ("float", "double"), f"{op}: {f.name} returns {ret}"
            fn = f.name.removeprefix("__nv_")
            fn = fn.removesuffix("f") if ret == "float" else fn
            assert f.name == f"__nv_{fn}{'f' if ret == 'float' else ''}" and fn in LIBDEVICE, \
                f"{op} calls {f.name} on {ret}"
            seen.add(f.name)
    # every libdevice function tenkai maps is used by some template, float and double
    fns = {"__nv_" + fn + suffix for fn in LIBDEVICE for suffix in ("", "f")}
    assert fns - seen <= {"__nv_sinpif", "__nv_sinpi"}, sorted(fns - seen)


@needs_libdevice
def test_half_goes_through_float_and_native_stays_native() -> None:
    lib = math_library(CUDA_LD)
    sin, _ = _build("sin", lib, CUDA_LD.triple, kernel=True)
    half = next(f for f in sin.functions if f.name.startswith("case") and "float16" in f.name)
    text = str(half)
    assert "__nv_sinf" in text and "fpext half" in text and "fptrunc float" in text
    sqrt, _ = _build("sqrt", lib, CUDA_LD.triple, kernel=True)
    assert not [f.name for f in sqrt.functions if f.name.startswith("__nv_")]


@needs_ptxas
@needs_libdevice
@pytest.mark.slow
def test_every_template_links_libdevice_and_assembles(tmp_path: Path) -> None:
    lib = math_library(CUDA_LD)
    tm = _target_machine(CUDA_LD)
    combined = None
    for op in sorted(set(OPS) - NO_MATH):
        module, _ = _build(op, lib, CUDA_LD.triple, kernel=True)
        ref = llvm.parse_assembly(str(module))
        ref.verify()
        if combined is None:
            combined = ref
        else:
            combined.link_in(ref)
    assert combined is not None
    combined.data_layout = str(tm.target_data)
    linked = libdevice.link(combined)
    assert "__nv_expf" in linked and "__nv_lgamma" in linked
    builder = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=2))
    builder.getModulePassManager().run(combined, builder)
    leftover = [f.name for f in combined.functions if f.name.startswith("__nv")]
    assert not leftover, f"libdevice functions left after optimizing: {leftover[:5]}"
    ptx = tm.emit_assembly(combined)
    assert "call" not in re.sub(r"//.*", "", ptx).replace("call.uni", "")  # all inlined
    assert "__nvvm_reflect" not in ptx
    assemble(ptx, tmp_path)


@needs_ptxas
@needs_libdevice
def test_traced_function_with_libdevice_math_assembles(tmp_path: Path) -> None:
    x = tenkai.randn(1000)

    def f(x):
        y = tenkai.exp(x) + tenkai.sin(x) * tenkai.tanh(x) + tenkai.erf(x) - tenkai.log1p(x.abs())
        return y.half().sigmoid().float().sum()

    own = tenkai.trace(f, x).lower(target="cuda").generate()
    code = tenkai.trace(f, x).lower(target=CUDA_LD).generate()
    assert "__nv_expf" in code.ir_text and "__nv_" not in own.ir_text
    ptx = code.as_text("ptx")
    assert "__nv_" not in ptx and "__nvvm_reflect" not in ptx and ptx != own.as_text("ptx")
    assemble(ptx, tmp_path)


def test_missing_libdevice_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit, "find_libdevice", lambda: None)
    with pytest.raises(FileNotFoundError, match="libdevice.10.bc was not found.*pip install "
                       "nvidia-cuda-nvcc"):
        toolkit.libdevice_path()


def test_ptxas_is_found_in_the_wheel_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = [r / "bin" / "ptxas" for r in toolkit.wheel_roots() if (r / "bin" / "ptxas").is_file()]
    if not wheel:
        pytest.skip("the nvidia-cuda-nvcc wheel is not installed (pip install -e '.[test]')")
    toolkit.find_ptxas.cache_clear()
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CUDA_HOME", raising=False)
    monkeypatch.delenv("CUDA_PATH", raising=False)
    try:
        found = toolkit.find_ptxas()
        assert found == str(wheel[0])
        run = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "Cuda compilation tools" in run.stdout
        assert toolkit.find_libdevice() is not None
        assert os.path.basename(toolkit.find_libdevice() or "") == "libdevice.10.bc"
    finally:
        toolkit.find_ptxas.cache_clear()


# ---------------------------------------------------------------- values, on the host

# inputs per op (uniform in the interval; binary ops: one per argument)
DOMAINS = {"acos": [(-0.99, 0.99)], "asin": [(-0.99, 0.99)], "atanh": [(-0.99, 0.99)],
           "erfinv": [(-0.99, 0.99)], "acosh": [(1.0, 10.0)], "log": [(0.05, 10.0)],
           "log10": [(0.05, 10.0)], "log2": [(0.05, 10.0)], "rsqrt": [(0.05, 10.0)],
           "lgamma": [(0.05, 10.0)], "digamma": [(0.05, 10.0)], "trigamma": [(0.05, 10.0)],
           "log1p": [(-0.9, 10.0)], "pow": [(0.1, 5.0), (-3.0, 3.0)],
           "fmod": [(-10.0, 10.0), (0.5, 3.0)], "atan2": [(-5.0, 5.0), (-5.0, 5.0)],
           "hypot": [(-5.0, 5.0), (-5.0, 5.0)]}
REFERENCE = {"reciprocal": lambda x: 1.0 / x, "trigamma": lambda x: torch.polygamma(1, x),
             "fmod": torch.fmod, "atan2": torch.atan2, "hypot": torch.hypot, "pow": torch.pow}
# (op, dtype) whose libdevice code libdevice_host cannot run (none today)
NOT_EMULATED: set[tuple[str, str]] = set()
VALUE_OPS = sorted((LIBDEVICE - {"sinpi"}) | {"sigmoid", "digamma", "trigamma", "reciprocal"})


def _reference(op: str, args: list[np.ndarray]) -> np.ndarray:
    fn = REFERENCE.get(op) or getattr(torch, op, None) or getattr(torch.special, op)
    return fn(*[torch.from_numpy(a.astype(np.float64)) for a in args]).numpy()


@needs_libdevice
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", VALUE_OPS)
def test_libdevice_values_on_the_host(op: str, dtype: str) -> None:
    """libdevice's code (emulated NVVM intrinsics, libdevice_host.py) through the templates
    agrees with float64 references within a few ulp."""
    from libdevice_host import Unsupported, host_text, load, scalar_function

    lib = math_library(CUDA_LD)
    module, _ = _build(op, lib, CUDA_LD.triple, kernel=False)
    [case] = [f.name for f in module.functions if f.name.startswith("case")
              and f.name.endswith(f"_{dtype}_{dtype}")]
    for f in [f for f in module.functions if f.name.startswith("case") and f.name != case]:
        module.globals.pop(f.name)
    try:
        engine = load(host_text(str(module), _target_machine(CUDA_LD)))
    except Unsupported as why:
        assert (op, dtype) in NOT_EMULATED, f"{op} {dtype}: {why}"
        return
    assert (op, dtype) not in NOT_EMULATED
    np_dtype = np.dtype(dtype)
    rng = np.random.default_rng(7)
    domains = DOMAINS.get(op, [(-5.0, 5.0)] * (2 if op in ("pow", "atan2") else 1))
    args = [rng.uniform(lo, hi, 300).astype(np_dtype) for lo, hi in domains]
    call = scalar_function(engine, case, ctypes.c_float if dtype == "float32"
                           else ctypes.c_double, len(args))
    got = np.array([call(*[float(a[k]) for a in args]) for k in range(300)])
    want = _reference(op, args)
    rtol, atol = (2e-6, 2e-7) if dtype == "float32" else (2e-14, 1e-15)
    if op == "trigamma" and dtype == "float64":  # tenkai's own series (on libdevice calls)
        rtol = 1e-9
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{op} {dtype}")
