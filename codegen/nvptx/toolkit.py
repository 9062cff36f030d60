"""Where the CUDA tools the NVPTX target uses live: ``ptxas`` (PTX -> SASS, what the tests use
to check generated PTX) and ``libdevice.10.bc`` (NVIDIA's math library as LLVM bitcode, for
``math_library="libdevice"``).

Both come with NVIDIA's ``nvidia-cuda-nvcc`` wheel (CUDA 13: ``nvidia/cu13/bin/ptxas``; its
``nvidia-nvvm`` dependency ships ``nvidia/cu13/nvvm/libdevice/libdevice.10.bc``), which the
``test`` extra installs, so a fresh machine without a CUDA toolkit has them too. The search
order: ``$PATH`` (ptxas only), the wheels of the running Python, ``$CUDA_HOME`` /
``$CUDA_PATH``, ``/usr/local/cuda``. Nothing here needs a GPU or a driver.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from pathlib import Path

# layouts inside the ``nvidia`` namespace package: CUDA 13 wheels, then CUDA 12 ones
WHEEL_DIRS = ("cu13", "cuda_nvcc", "cuda_nvvm")
PTXAS_MISSING = ("ptxas was not found: not on PATH, not in the nvidia-cuda-nvcc wheel, not "
                 "under $CUDA_HOME or /usr/local/cuda; pip install nvidia-cuda-nvcc "
                 "(or the 'test' extra: pip install -e '.[test]')")
LIBDEVICE_MISSING = ("libdevice.10.bc was not found: not in the nvidia-cuda-nvcc wheel's "
                     "nvvm/libdevice, not under $CUDA_HOME/nvvm/libdevice or /usr/local/cuda; "
                     "pip install nvidia-cuda-nvcc")


def wheel_roots() -> list[Path]:
    """The CUDA roots inside installed NVIDIA wheels (``.../site-packages/nvidia/cu13``)."""
    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(loc) / d for loc in spec.submodule_search_locations for d in WHEEL_DIRS
            if (Path(loc) / d).is_dir()]


def toolkit_roots() -> list[Path]:
    """Wheel roots, then ``$CUDA_HOME``, ``$CUDA_PATH`` and ``/usr/local/cuda``."""
    env = [os.environ.get(v) for v in ("CUDA_HOME", "CUDA_PATH")]
    return [*wheel_roots(), *[Path(p) for p in env if p], Path("/usr/local/cuda")]


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@functools.cache
def find_ptxas() -> str | None:
    """The path of a runnable ``ptxas``, or None."""
    on_path = shutil.which("ptxas")
    if on_path:
        return on_path
    for root in toolkit_roots():
        if _executable(root / "bin" / "ptxas"):
            return str(root / "bin" / "ptxas")
    return None


def ptxas() -> str:
    """:func:`find_ptxas`, or FileNotFoundError saying how to get it."""
    path = find_ptxas()
    if path is None:
        raise FileNotFoundError(PTXAS_MISSING)
    return path


@functools.cache
def find_libdevice() -> str | None:
    """The path of ``libdevice.10.bc``, or None."""
    for root in toolkit_roots():
        path = root / "nvvm" / "libdevice" / "libdevice.10.bc"
        if path.is_file():
            return str(path)
    return None


def libdevice_path() -> str:
    """:func:`find_libdevice`, or FileNotFoundError saying how to get it."""
    path = find_libdevice()
    if path is None:
        raise FileNotFoundError(LIBDEVICE_MISSING)
    return path
