"""The GEMM's register and cache blocking (:class:`GemmConfig`) and its defaults per host.

The design notes (blocking scheme, register budget, cache sizes) are in the docstring of
:mod:`tenkai.codegen.cpu.gemm`.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from tenkai.codegen.cpu.machine import host_vector_bits
from tenkai.codegen.llvm.gemm_ref import GEMM_DTYPE
from tenkai.codegen.scalar.templates import llvm_type
from tenkai.ir import dtypes

TUNED_DTYPES = ("f32", "f64")  # GEMM suffixes (llvm.gemm_ref.GEMM_SUFFIX) with a tuned GEMM


@dataclass(frozen=True)
class GemmConfig:
    """Register and cache blocking for one dtype and vector width (see the module docstring)."""

    dtype: str  # GEMM suffix: "f32" or "f64"
    vector_width: int  # lanes per SIMD register
    mr: int  # micro-tile rows: broadcast A elements per k step
    nr_vectors: int  # micro-tile columns, in vectors
    kc: int  # k depth of a packed block
    mc: int  # rows of a packed A block (multiple of mr)
    nc: int  # columns of a packed B panel (multiple of nr)

    @property
    def nr(self) -> int:
        return self.nr_vectors * self.vector_width

    @property
    def element_type(self) -> ir.Type:
        return llvm_type(GEMM_DTYPE[self.dtype])

    @property
    def element_size(self) -> int:
        return element_size(self.dtype)

    @property
    def vector_type(self) -> ir.VectorType:
        return ir.VectorType(self.element_type, self.vector_width)

    @property
    def buffer_elements(self) -> int:
        """Elements of one partition's packing buffer: the A block then the B panel."""
        return self.mc * self.kc + self.kc * self.nc

    def validate(self) -> None:
        check_dtype(self.dtype)
        if self.mc % self.mr or self.nc % self.nr or min(self.kc, self.mc, self.nc) < 1:
            raise ValueError(f"gemm: MC must be a multiple of MR and NC of NR: {self}")


def check_dtype(dtype: str) -> None:
    if dtype not in TUNED_DTYPES:
        raise ValueError(f"gemm: unsupported dtype {dtype!r}; expected f32 or f64")


def element_size(dtype: str) -> int:
    """Bytes per element of GEMM suffix ``dtype``."""
    return dtypes.itemsize(GEMM_DTYPE[dtype])


def default_config(dtype: str, vector_bits: int | None = None) -> GemmConfig:
    """Blocking for ``dtype`` on a CPU with ``vector_bits``-wide registers (default: the host).

    512-bit (AVX-512, 32 registers): MR=8, NR=2 vectors (16 zmm accumulators). 256-bit (AVX2,
    16 registers): MR=6, NR=2 vectors (12 ymm accumulators). Cache blocks target the Zen 5
    sizes in the module docstring and are kept in bytes across dtypes.
    """
    if vector_bits is None:
        vector_bits = host_vector_bits()
    check_dtype(dtype)
    size = element_size(dtype)
    lanes = max(vector_bits // (8 * size), 1)
    mr = 8 if vector_bits >= 512 else 6
    nr = 2 * lanes
    mc = (768 // size) // mr * mr  # A block: MC x KC = 192 KiB
    nc = (12288 // size) // nr * nr  # B panel: KC x NC = 3 MiB
    config = GemmConfig(dtype, lanes, mr, 2, kc=256, mc=max(mc, mr), nc=max(nc, nr))
    config.validate()
    return config
