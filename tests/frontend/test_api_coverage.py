"""API presence against PyTorch (issue 13): which public names of ``torch``, ``torch.Tensor``,
``torch.nn``, ``torch.nn.functional`` and ``torch.linalg`` tenkai has.

Run with ``-s`` to see the table and the missing names; the same text is written to
``api_coverage.txt`` in the test's tmp dir. Left out, as the issue says: private names,
quantization, sparse layouts, complex dtypes, named tensors, cuDNN/MKLDNN/FBGEMM and other
backend internals, distributed, JIT/TorchScript internals. The floors are the coverage measured
when the test was written (and raised since): coverage may only go up.
"""

from __future__ import annotations

import inspect
import re
import types

import pytest

import tenkai

torch = pytest.importorskip("torch")

# Substrings (case-insensitive) of names left out of the count.
_EXCLUDED = (
    # quantization
    "quant", "qint", "quint", "qscheme", "per_channel", "per_tensor", "int_repr", "q_scale",
    "q_zero_point", "q_per", "fake_", "packed", "fbgemm", "observer",
    # sparse layouts
    "sparse", "coo", "csr", "csc", "bsr", "bsc", "to_dense", "coalesce", "crow_indices",
    "col_indices", "row_indices", "ccol_indices", "dense_dim", "nnz", "sspaddmm",
    "smm", "hspmm", "saddmm",
    # complex dtypes
    "complex", "conj", "real", "imag", "angle", "polar", "chalf", "cfloat", "cdouble",
    "is_neg", "resolve_neg",
    # named tensors
    "names", "rename", "align_as", "align_to", "align_tensors",
    # backend internals
    "cudnn", "mkldnn", "miopen", "mps", "xpu", "nnpack", "vulkan", "onednn", "cufft", "fbgemm",
    "mtia", "hpu", "ipu", "xla", "lazy_", "meta", "ltc", "_cuda", "cuda", "pin_memory",
    "is_pinned", "share_memory", "storage", "untyped", "data_ptr", "record_stream", "nested",
    "native_", "vmap", "functorch", "dlpack", "__dlpack",
    # distributed
    "distributed", "dataparallel", "rpc", "process_group",
    # JIT / TorchScript / export internals
    "jit", "script", "onnx", "export", "fx", "compiled_with", "graph", "symint",
    "symfloat", "symbool", "sym_", "guard", "tracing", "inductor", "dynamo", "compiler",
)
_EXCLUDED_EXACT = {
    "Tensor.H", "Tensor.mH", "Tensor.mT", "indices", "values",
    # TorchScript's IR and its helpers, exported at the top of ``torch``
    "parse_ir", "parse_schema", "parse_type_comment", "import_ir_module",
    "import_ir_module_from_buffer", "merge_type_from_type_comment", "unify_type_list", "fork",
    "wait", "classproperty", "BufferDict", "AcceleratorError", "FatalError",
}
# Classes of ``torch._C`` a user meets as ``torch.X``; the other ``torch._C`` classes are
# TorchScript/dispatcher internals (AliasDb, FunctionSchema, TupleType, ...).
_C_CLASSES_KEPT = {"Generator", "Size", "device", "dtype", "finfo", "iinfo", "layout",
                   "memory_format", "OutOfMemoryError"}

# Floors (percent, rounded down): measured when this test was added (torch 25.8, Tensor 35.9,
# nn 33.7, functional 56.6, linalg 0) and raised since; raise them again as coverage grows.
FLOORS = {"torch": 99.0, "torch.Tensor": 98.4, "torch.nn": 100.0, "torch.nn.functional": 97.2,
          "torch.linalg": 100.0}


def _excluded(name: str) -> bool:
    low = name.lower()
    return (name.startswith("_") or name in _EXCLUDED_EXACT
            or any(part in low for part in _EXCLUDED))


def _public(namespace: object, *, classes_only: bool = False) -> list[str]:
    names = []
    for name in dir(namespace):
        if _excluded(name):
            continue
        try:
            obj = getattr(namespace, name)
        except Exception:  # noqa: BLE001  (deprecated attributes may raise on access)
            continue
        if isinstance(obj, types.ModuleType):
            continue
        if (inspect.isclass(obj) and namespace is torch and hasattr(torch._C, name)
                and name not in _C_CLASSES_KEPT):
            continue
        if classes_only:
            if inspect.isclass(obj) and re.match(r"[A-Z]", name):
                names.append(name)
        elif callable(obj) and not isinstance(obj, torch.dtype):
            names.append(name)
    return sorted(names)


def _tensor_names() -> list[str]:
    out = []
    for name in dir(torch.Tensor):
        if _excluded(name) or f"Tensor.{name}" in _EXCLUDED_EXACT:
            continue
        out.append(name)
    return sorted(out)


def _has(namespace: object, name: str) -> bool:
    try:
        return hasattr(namespace, name)
    except Exception:  # noqa: BLE001
        return False


def _namespaces() -> list[tuple[str, list[str], object]]:
    linalg = getattr(tenkai, "linalg", None)
    return [
        ("torch", _public(torch), tenkai),
        ("torch.Tensor", _tensor_names(), tenkai.Tensor),
        ("torch.nn", _public(torch.nn, classes_only=True), tenkai.nn),
        ("torch.nn.functional", _public(torch.nn.functional), tenkai.nn.functional),
        ("torch.linalg", _public(torch.linalg), linalg),
    ]


def coverage_table() -> tuple[str, dict[str, float]]:
    """The table text (namespace, present/total, percent, missing names) and the percents."""
    lines = [f"{'namespace':<22}{'present':>9}{'total':>7}{'percent':>9}"]
    missing_lines, percents = [], {}
    for label, names, ours in _namespaces():
        have = [n for n in names if ours is not None and _has(ours, n)]
        pct = 100.0 * len(have) / max(len(names), 1)
        percents[label] = pct
        lines.append(f"{label:<22}{len(have):>9}{len(names):>7}{pct:>8.1f}%")
        missing = [n for n in names if n not in set(have)]
        missing_lines.append(f"\nmissing from {label} ({len(missing)}):\n  " + " ".join(missing))
    return "\n".join(lines + missing_lines), percents


def test_api_coverage_does_not_drop(tmp_path):
    text, percents = coverage_table()
    print("\n" + text)
    (tmp_path / "api_coverage.txt").write_text(text + "\n")
    for label, floor in FLOORS.items():
        assert percents[label] >= floor, (
            f"{label}: API coverage dropped to {percents[label]:.1f}% (floor {floor}%)")


def test_exclusions_leave_out_what_the_issue_says():
    for name in ("quantize_per_tensor", "sparse_coo_tensor", "view_as_complex", "_foo",
                 "cudnn_convolution", "mkldnn_convolution", "fbgemm_linear_int8_weight"):
        assert _excluded(name), name
    for name in ("add", "matmul", "LSTM", "softmax", "cross_entropy", "norm"):
        assert not _excluded(name), name
