"""``torch.backends.cpu``: the SIMD level tenkai's LLVM code generator targets on this host."""

from __future__ import annotations


def get_cpu_capability() -> str:
    """"AVX512", "AVX2" or "DEFAULT", as PyTorch names them (read from the host's CPU flags)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return "DEFAULT"
    if " avx512f" in flags:
        return "AVX512"
    return "AVX2" if " avx2" in flags else "DEFAULT"
