"""``tenkai.compile(model)``: a module whose forward runs compiled, everything else delegated
to the original module (``_orig_mod``, as PyTorch's OptimizedModule)."""

from __future__ import annotations

from typing import Any

from .nn.module import Module


class CompiledModule(Module):
    """Wraps ``module``; calls go through the compiled forward, state stays the module's."""

    def __init__(self, module: Module, compiled_forward: Any) -> None:
        super().__init__()
        self._orig_mod = module
        self.__dict__["_compiled_forward"] = compiled_forward

    @property
    def training(self) -> bool:  # type: ignore[override]
        return self._orig_mod.training

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled_forward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "_orig_mod":
            return self.__dict__["_modules"]["_orig_mod"]
        return getattr(self._orig_mod, name)

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod.state_dict(*args, **kwargs)

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod.load_state_dict(*args, **kwargs)

    def __repr__(self) -> str:
        return f"CompiledModule({self._orig_mod!r})"

    @property
    def stats(self) -> dict[str, int]:
        return self._compiled_forward.stats
