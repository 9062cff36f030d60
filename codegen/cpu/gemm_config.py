"""The GEMM's register and cache blocking (:class:`GemmConfig`) and its defaults per host: the
register tile from the vector width, the cache blocks from the cache sizes the OS reports.

The design notes (blocking scheme, register budget, cache sizes) are in the docstring of
:mod:`tenkai.codegen.cpu.gemm`.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from tenkai.codegen.cpu.machine import CacheSizes, host_caches, host_cpu, host_vector_bits
from tenkai.codegen.llvm.gemm_ref import GEMM_DTYPE
from tenkai.codegen.scalar.templates import llvm_type
from tenkai.ir import dtypes

TUNED_DTYPES = ("f32", "f64")  # GEMM suffixes (llvm.gemm_ref.GEMM_SUFFIX) with a tuned GEMM
ZEN_TILE = (8, 2)  # AVX-512 register tile on AMD Zen cores (register_tile)


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


def register_tile(vector_bits: int, cpu: str = "") -> tuple[int, int]:
    """(MR, NR in vectors) of the micro-kernel for ``vector_bits``-wide registers on LLVM CPU
    ``cpu`` (``znver4``, ``icelake-server``, ...).

    MR = 8 rows with 32 registers (AVX-512), 6 with 16 (AVX2); NR takes as many vectors as
    leave a register for each B vector and one for the broadcast A element:
    ``(registers - 1) // (MR + 1)``, i.e. 8 x 3 vectors (24 zmm accumulators, 28 registers in
    use) and 6 x 2 (12 ymm accumulators, 15 registers). AMD Zen cores with AVX-512 take 8 x 2
    (:data:`ZEN_TILE`): there the 8 x 3 tile's B micro-panel (KC x 48 floats) only fits Zen's
    32 KiB L1d with KC = 160, so K = 256 runs as two passes over C, where 8 x 2 keeps KC = 256
    (one pass). On Zen 4 (2 threads, the five GEMMs of mlp_large's step, interleaved) 8 x 2
    with KC = 256, MC = 192 took 11.3-11.7 ms against 11.6-12.3 for 8 x 3 (KC = 160 or 256),
    12.3 for 6 x 4 and 12.2 for 14 x 2.
    """
    if vector_bits >= 512 and cpu.startswith("znver"):
        return ZEN_TILE
    registers = 32 if vector_bits >= 512 else 16
    mr = 8 if vector_bits >= 512 else 6
    return mr, (registers - 1) // (mr + 1)


def default_config(dtype: str, vector_bits: int | None = None,
                   tile: tuple[int, int] | None = None, caches: CacheSizes | None = None,
                   cpu: str | None = None) -> GemmConfig:
    """Blocking for ``dtype`` on CPU ``cpu`` (an LLVM CPU name) with ``vector_bits``-wide
    registers and ``caches`` (each by default the host's, read at run time).

    ``tile`` (MR, NR vectors) defaults to :func:`register_tile` for ``cpu``: ``(8, 2)`` on Zen
    4/5, where the GEMM was tuned with it. The cache blocks follow from the sizes, in bytes, so f64
    gets the same footprints: KC makes one B micro-panel (KC x NR) fill L1d (it streams
    through L1 while the tile's A rows come from L2), at most 256 (where the GEMM was tuned;
    196..384 measure the same) and a multiple of 16; MC makes the A block (MC x KC) take 3/16
    of L2; NC makes the B panel (KC x NC) take a tenth of L3. On Zen 4 (L1d 32 KiB, L2 1 MiB)
    the 8 x 2 tile gets the KC = 256, MC = 192 it was tuned with there.
    """
    if vector_bits is None:
        vector_bits = host_vector_bits()
    check_dtype(dtype)
    caches = caches if caches is not None else host_caches()
    size = element_size(dtype)
    lanes = max(vector_bits // (8 * size), 1)
    if tile is None:
        tile = register_tile(vector_bits, host_cpu().name if cpu is None else cpu)
    mr, nr_vectors = tile
    nr = nr_vectors * lanes
    kc = min(max(caches.l1d // (nr * size) // 16 * 16, 64), 256)
    mc = max(caches.l2 * 3 // 16 // (kc * size) // mr * mr, mr)
    nc = max(caches.l3 // 10 // (kc * size) // nr * nr, nr)
    config = GemmConfig(dtype, lanes, mr, nr_vectors, kc=kc, mc=mc, nc=nc)
    config.validate()
    return config
