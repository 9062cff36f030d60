"""``torch.backends.cuda``: matmul precision flags and attention-kernel switches with PyTorch's
defaults. ``matmul.allow_tf32`` is ``tenkai.get_float32_matmul_precision() != "highest"``, as in
PyTorch (setting it sets the precision to "high" or "highest"; the cuda target then runs
float32 matmuls as TF32); the other flags are remembered, not used."""

from __future__ import annotations

from .._defaults import get_float32_matmul_precision, set_float32_matmul_precision
from .._device import cuda_device_count


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: rejects unknown names as PyTorch does."""

    _names = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction")

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict.fromkeys(self._names, True))
        self._values["allow_tf32"] = False

    def __getattr__(self, name: str) -> bool:
        if name == "allow_tf32":
            return get_float32_matmul_precision() != "highest"
        if name in self._names:
            return self._values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value: bool) -> None:
        if name not in self._names:
            raise AttributeError(f"Unknown attribute {name}")
        if name == "allow_tf32":
            set_float32_matmul_precision("high" if value else "highest")
        self._values[name] = bool(value)


matmul = _MatmulFlags()
_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """True when a CUDA driver is present (tenkai emits PTX itself; no toolkit needed)."""
    return cuda_device_count() > 0


def flash_sdp_enabled() -> bool:
    return _SDP["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    _SDP["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _SDP["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _SDP["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _SDP["math"]


def enable_math_sdp(enabled: bool) -> None:
    _SDP["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _SDP["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _SDP["cudnn"] = bool(enabled)
