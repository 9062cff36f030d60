"""``tenkai.compile(model)``: a module whose forward runs compiled, everything else delegated
to the original module (``_orig_mod``, as PyTorch's OptimizedModule).

A compiled module trains like the module: its replays run the compiled forward, and each
output that requires grad gets a ``CompiledFunctionBackward`` grad_fn whose backward runs the
traced forward graph differentiated and compiled (:mod:`tenkai._compiled_backward`), so
``loss.backward()`` fills the parameters' ``.grad`` as eager. Where a replay cannot do that (a
forward that also updates state, as BatchNorm's running statistics in training mode) its
outputs' backward raises a clear error; an output without the history it should have carries
a ``NO_BACKWARD`` node whose backward raises :data:`TRAINING_HINT`, which shows how to compile
a whole training step instead. Inside a compiled training step (``tenkai.compile(train_step)``)
the module's original forward is traced inline.
"""

from __future__ import annotations

from typing import Any

from . import _trace
from ._node import GRAD_MODE, NO_BACKWARD, Node
from ._step import TRAIN_STEP_EXAMPLE
from ._tensor import Tensor
from .nn.module import Module

TRAINING_HINT = (
    "tenkai.compile(model): this output of the compiled forward keeps no gradient history "
    "(inference-only), so backward() cannot reach the model's parameters. To train compiled, "
    "compile the whole training step (forward, loss, backward, optimizer step):\n\n"
    f"{TRAIN_STEP_EXAMPLE}\n"
    "or train the uncompiled module (compiled._orig_mod) and compile it for inference.")


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
        if _trace.active() is not None:  # part of a compiled step: trace the module inline
            return self._orig_mod(*args, **kwargs)
        result = self._compiled_forward(*args, **kwargs)
        if GRAD_MODE.enabled and self._wants_grad(args):
            return _mark_inference_only(result)
        return result

    def _wants_grad(self, args: tuple) -> bool:
        return (any(p.requires_grad for p in self._orig_mod.parameters())
                or any(isinstance(a, Tensor) and a.requires_grad for a in args))

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


def _mark_inference_only(result: Any) -> Any:
    """``result`` with each floating tensor replaced by one whose history is the marker node
    (PyTorch names the node of a compiled forward ``CompiledFunctionBackward``)."""
    if isinstance(result, Tensor):
        if result._data.dtype.kind != "f" or result.requires_grad:
            return result  # no gradient, or a history of its own (a compiled backward)
        node = Node(NO_BACKWARD, {"message": TRAINING_HINT}, (), result._data, [0])
        node.name = "CompiledFunctionBackward"
        return Tensor._make(result._data, node)
    if isinstance(result, (tuple, list)):
        return type(result)(_mark_inference_only(r) for r in result)
    if isinstance(result, dict):
        return {k: _mark_inference_only(v) for k, v in result.items()}
    return result
