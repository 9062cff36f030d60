"""``tenkai.utils.checkpoint`` (``torch.utils.checkpoint``): activation checkpointing.

``checkpoint(fn, *args, use_reentrant=True)`` (PyTorch's default, with its warning when
``use_reentrant`` is not passed) runs ``fn`` without recording, keeps only its inputs, and
runs it again with recording in the backward pass (the random state restored, so dropout
draws the same masks), backpropagating through the recomputed graph: the activations inside
``fn`` are not held between forward and backward. As in PyTorch, the outputs' grad_fn is
``CheckpointFunctionBackward``, keyword arguments are refused, and ``autograd.grad`` or
``backward(inputs=...)`` through it raise.

``use_reentrant=False`` records ``fn`` as usual: the same values, gradients and grad_fn graph as
PyTorch's non-reentrant checkpoint, and ``autograd.grad`` works; unlike PyTorch, the
activations inside ``fn`` are kept until backward and ``fn`` is not run again (tenkai has no
saved-tensor hooks to drop and recompute them): the memory is not saved.

Inside ``tenkai.compile`` both run ``fn`` inline: the compiler plans memory (and recomputes
cheap values) for the whole step itself. A reentrant checkpoint whose tensor inputs all
lack ``requires_grad`` gives an output without history, as PyTorch's (so the parameters used
inside get no gradient), eager and compiled alike.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import _random, _trace
from .._tensor import Tensor
from ..autograd import _core
from ..autograd.function import Function

__all__ = ["CheckpointFunction", "checkpoint", "checkpoint_sequential"]

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward without recording, recompute in backward."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        ctx.run_function, ctx.preserve_rng_state = run_function, preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_rng_state = _random.get_rng_state()
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        if not _core.ACCUMULATES_ALL[0]:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        saved = iter(ctx.saved_tensors)
        inputs = []
        for a in ctx.args:
            if a is None:
                t = next(saved)
                a = t.detach().requires_grad_(t.requires_grad)
            inputs.append(a)
        outer = _random.get_rng_state()
        if ctx.preserve_rng_state:
            _random.set_rng_state(ctx.fwd_rng_state)
        try:
            with _core.enable_grad():
                outputs = ctx.run_function(*inputs)
        finally:
            _random.set_rng_state(outer)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads, strict=False)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        _core.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *[a.grad if isinstance(a, Tensor) else None for a in inputs])


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` checkpointed (see the module docstring)."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    if use_reentrant:
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not use_reentrant:
        return function(*args, **kwargs)
    if _core.is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad
                                           for a in args):
        # PyTorch's pitfall, kept: the output has no history, so the parameters used inside
        # get no gradient (compiled steps included: they must mean what eager means)
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      UserWarning, stacklevel=2)
        with _core.no_grad():
            return function(*args)
    if _trace.active() is not None:
        return function(*args)
    return CheckpointFunction.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run a Sequential (or a list of modules) in ``segments`` chunks, checkpointing all but
    the last one, as PyTorch."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    fns: Sequence[Any] = list(functions.children()) if hasattr(functions, "children") \
        else list(functions)
    size = len(fns) // segments
    end = -1

    def run(start: int, stop: int) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, stop + 1):
                x = fns[j](x)
            return x
        return forward

    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(fns) - 1)(input)
