"""``tenkai.jit``: PyTorch's TorchScript entry points, for model code that calls them.

tenkai has no TorchScript: its compiler is ``tenkai.compile`` (docs/compiler.md). What this
module gives is the part of ``torch.jit`` that model and training code uses without needing a
TorchScript program: ``script`` and ``trace`` return the function or module itself, which runs
as Python with exactly the eager semantics (``trace`` runs it once on ``example_inputs``, as
PyTorch's tracer does); the annotations (``ignore``, ``unused``, ``export``, ``Final``,
``annotate``, ``interface``) leave code as it is; ``is_scripting()``/``is_tracing()`` are
False; ``fork``/``wait`` run the call at ``fork``. What needs a TorchScript archive raises
``NotImplementedError`` naming the alternative: ``save``/``load`` (save a ``state_dict`` with
``tenkai.save``, or export with ``tenkai.onnx.export``).

    >>> import tenkai as torch
    >>> torch.jit.script(torch.nn.ReLU())
    ReLU()
"""

from __future__ import annotations

import typing
import warnings
from typing import Any

__all__ = ["Final", "Future", "ScriptFunction", "ScriptModule", "annotate", "export", "fork",
           "freeze", "ignore", "interface", "is_scripting", "is_tracing", "load",
           "optimize_for_inference", "save", "script", "trace", "trace_module", "unused",
           "wait"]

Final = typing.Final


class ScriptModule:
    """PyTorch's class of scripted modules (``isinstance`` checks; tenkai makes none)."""


class ScriptFunction:
    """PyTorch's class of scripted functions (``isinstance`` checks; tenkai makes none)."""


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``obj`` itself: tenkai runs it as Python (compile with ``tenkai.compile``)."""
    return obj


def _run_example(func: Any, example_inputs: Any, example_kwarg_inputs: Any) -> None:
    if example_kwarg_inputs is not None:
        func(**example_kwarg_inputs)
    elif example_inputs is not None:
        func(*(example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)))


def trace(func: Any, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-05, strict: bool = True,
          _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> Any:
    """``func`` itself, after one run on the example inputs (errors surface here, as they do
    when PyTorch traces)."""
    if example_inputs is None and not isinstance(example_kwarg_inputs, dict):
        raise RuntimeError("example_kwarg_inputs should be a dict")
    _run_example(func, example_inputs, example_kwarg_inputs)
    return func


def trace_module(mod: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """``mod`` itself, after running each named method once on its example inputs."""
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method, example in inputs.items():
        _run_example(getattr(mod, method), example, None)
    return mod


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """``@ignore`` / ``@ignore(drop=True)``: leaves the function as it is."""
    if callable(drop):
        return drop
    if drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning,
                      stacklevel=2)
    return lambda fn: fn


def unused(fn: Any) -> Any:
    return fn


def export(fn: Any) -> Any:
    return fn


def interface(obj: Any) -> Any:
    return obj


def annotate(the_type: Any, the_value: Any) -> Any:
    return the_value


def is_scripting() -> bool:
    """False: tenkai code never runs as TorchScript."""
    return False


def is_tracing() -> bool:
    """False: ``tenkai.jit.trace`` runs Python (inside ``tenkai.compile``, see
    ``tenkai.compiler.is_compiling``)."""
    return False


class Future:
    """The result of :func:`fork`, computed when it was forked."""

    def __init__(self, value: Any):
        self._value = value

    def wait(self) -> Any:
        return self._value

    def done(self) -> bool:
        return True

    def value(self) -> Any:
        return self._value


def fork(func: Any, *args: Any, **kwargs: Any) -> Future:
    return Future(func(*args, **kwargs))


def wait(future: Future) -> Any:
    return future.wait()


def freeze(mod: Any, preserved_attrs: Any = None, optimize_numerics: bool = True) -> Any:
    """``mod`` itself, in eval mode as PyTorch requires."""
    if getattr(mod, "training", False):
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    return mod


def optimize_for_inference(mod: Any, other_methods: Any = None) -> Any:
    """``mod`` itself, switched to eval mode (PyTorch freezes it first)."""
    if getattr(mod, "training", False):
        mod.eval()
    return mod


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    raise NotImplementedError(
        "tenkai.jit.save: tenkai has no TorchScript archives; save the weights with "
        "tenkai.save(model.state_dict(), f), or export the model with tenkai.onnx.export")


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    raise NotImplementedError(
        "tenkai.jit.load: tenkai has no TorchScript archives; load weights with "
        "model.load_state_dict(tenkai.load(f)), or import an ONNX file with tenkai.onnx")
