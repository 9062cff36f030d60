"""``tenkai.backends``: PyTorch's backend switches, as settable no-ops with PyTorch's defaults.

tenkai generates its own kernels (LLVM), so cuDNN, MPS, MKL-DNN and friends are never used:
the ``is_available()`` probes answer False and the flags only remember what scripts set::

    >>> import tenkai as torch
    >>> torch.backends.cudnn.benchmark = True   # accepted, has no effect
    >>> torch.backends.mps.is_available()
    False
"""

from __future__ import annotations

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
