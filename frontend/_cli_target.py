"""What a ``tenkai`` command works on: a built-in workload (``tenkai bench``'s names) or a
user's model ``FILE.py:NAME`` with example inputs (``--input 64,784``), made into a step to
trace: the forward pass, or with ``--train`` a whole training step (loss, backward, optimizer).

NAME is an ``nn.Module`` subclass (built with no arguments), a factory function returning a
module, or a module instance defined in FILE. ``MODEL.onnx`` is imported with
``tenkai.onnx.load``; its graph's input shapes serve when ``--input`` is not given.
``--weights`` (``.pt``/``.pth`` through ``tenkai.load``, ``.safetensors`` through
``tenkai.safetensors.load_file``) is loaded into the model with ``load_state_dict`` (strict).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import bench

DTYPES = {"f32": "float32", "float32": "float32", "f64": "float64", "float64": "float64",
          "f16": "float16", "float16": "float16", "i64": "int64", "int64": "int64",
          "i32": "int32", "int32": "int32"}
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = {"sgd": ("SGD", {"lr": 0.01}), "momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
              "adam": ("Adam", {"lr": 1e-3}), "adamw": ("AdamW", {"lr": 1e-3}),
              "rmsprop": ("RMSprop", {"lr": 1e-3}), "adagrad": ("Adagrad", {"lr": 1e-2})}


class TargetError(ValueError):
    """A bad command-line argument: a missing file, a NAME not in it, a malformed shape."""


class ModelCallError(RuntimeError):
    """The user's model raised while running on the example inputs (its own error inside)."""


@dataclass
class Target:
    """A step to trace: ``step(*args)`` runs it; ``model`` is the module when there is one."""

    label: str
    step: Callable[..., Any]
    args: tuple[Any, ...]
    model: Any = None
    train: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    loss_fn: Any = None  # with --train: loss_fn(model(*args[:-1]), args[-1])


def parse_shape(text: str) -> tuple[int, ...]:
    """``"64,784"`` (or ``64x784``) -> ``(64, 784)``."""
    parts = re.split(r"\s*[,x]\s*", text.strip())
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(d <= 0 for d in shape):
        raise TargetError(f"--input {text!r}: expected a shape of positive integers such as "
                          "64,784")
    return shape


def load_model(spec: str, weights: str | None = None) -> tuple[Any, str]:
    """The module named by ``FILE.py:NAME`` or ``MODEL.onnx``, with ``weights`` loaded into
    it (``load_state_dict``, strict), and a label for it."""
    path, _, name = spec.partition(":")
    if path.endswith(".onnx"):
        model, label = _load_onnx(spec, path, name)
    else:
        model, label = _load_python(spec, path, name)
    if weights is not None:
        load_weights(model, weights, label)
    return model, label


def _load_python(spec: str, path: str, name: str) -> tuple[Any, str]:
    if not path.endswith(".py"):
        raise TargetError(f"{spec!r}: expected FILE.py:NAME (a Python file and a module class, "
                          f"factory or instance in it), MODEL.onnx or a built-in workload: "
                          f"{', '.join(bench.WORKLOADS)}")
    if not os.path.isfile(path):
        raise TargetError(f"{spec}: no such file {path!r}")
    module = _import_file(path)
    if not name:
        raise TargetError(f"{spec}: name the model after a colon, FILE.py:NAME; candidates in "
                          f"{path}: {', '.join(_candidates(module)) or 'none'}")
    if not hasattr(module, name):
        raise TargetError(f"{spec}: {path} defines no {name!r}; candidates: "
                          f"{', '.join(_candidates(module)) or 'none'}")
    return _instantiate(getattr(module, name), spec), f"{os.path.basename(path)}:{name}"


def _load_onnx(spec: str, path: str, name: str) -> tuple[Any, str]:
    import tenkai.onnx

    if name:
        raise TargetError(f"{spec}: an ONNX file holds one model; give the path alone, "
                          f"{path}")
    if not os.path.isfile(path):
        raise TargetError(f"{spec}: no such file {path!r}")
    try:
        return tenkai.onnx.load(path), os.path.basename(path)
    except ImportError:
        raise
    except Exception as err:  # onnx's parser raises its own types for a damaged file
        raise TargetError(f"{spec}: cannot import the ONNX model: {type(err).__name__}: "
                          f"{err}") from err


WEIGHT_SUFFIXES = (".pt", ".pth", ".safetensors")
_NESTED_KEYS = ("state_dict", "model_state_dict", "model")


def load_weights(model: Any, path: str, label: str) -> None:
    """``model.load_state_dict(...)`` (strict) from a ``.pt``/``.pth`` checkpoint (through
    ``tenkai.load``, weights only) or a ``.safetensors`` file."""
    import tenkai
    import tenkai.safetensors

    if not path.endswith(WEIGHT_SUFFIXES):
        raise TargetError(f"--weights {path}: expected a state dict file ending in "
                          f"{', '.join(WEIGHT_SUFFIXES)}")
    if not os.path.isfile(path):
        raise TargetError(f"--weights {path}: no such file")
    try:
        if path.endswith(".safetensors"):
            state = tenkai.safetensors.load_file(path)
        else:
            state = tenkai.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt, truncated or refused (unsafe pickle)
        raise TargetError(f"--weights {path}: cannot read it: {type(err).__name__}: "
                          f"{err}") from err
    state = _state_dict_in(state, path)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:  # PyTorch's missing/unexpected/size-mismatch message
        raise TargetError(f"--weights {path} does not fit {label}: {err}") from err


def _state_dict_in(obj: Any, path: str) -> dict[str, Any]:
    """The state dict in a loaded file: the file's dict itself, or the usual training
    checkpoint layout ``{"model_state_dict": ..., "optimizer_state_dict": ...}``."""
    from ._tensor import Tensor

    def is_state(value: Any) -> bool:
        return isinstance(value, dict) and all(isinstance(v, Tensor) for v in value.values())

    if is_state(obj):
        return obj
    if isinstance(obj, dict):
        for key in _NESTED_KEYS:
            if is_state(obj.get(key)):
                return obj[key]
        keys = ", ".join(repr(k) for k in list(obj)[:8])
        raise TargetError(f"--weights {path}: expected a state dict (names -> tensors); the "
                          f"file holds a dict with keys {keys} and no "
                          f"{' / '.join(_NESTED_KEYS)} entry holding one")
    raise TargetError(f"--weights {path}: expected a state dict (names -> tensors); the file "
                      f"holds a {type(obj).__name__}")


def onnx_inputs(model: Any, batch: int | None) -> list[tuple[tuple[int, ...], Any]]:
    """The shapes and dtypes an ONNX model's graph declares for its inputs, for when no
    ``--input`` is given; a dynamic first (batch) dim takes ``--batch``."""
    out = []
    for name, dims, dtype in model.input_info():
        if dims and dims[0] is None and batch:
            dims[0] = batch
        if dims is None or None in dims:
            shown = "unknown" if dims is None else \
                "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"
            names = ", ".join(n for n, _, _ in model.input_info())
            hint = " (or its batch size with --batch N)" if dims and None not in dims[1:] \
                else ""
            raise TargetError(f"the ONNX graph's input {name!r} has shape {shown}, not fully "
                              f"static: give the example shape(s) with --input (one per input, "
                              f"in order: {names}){hint}")
        out.append((tuple(dims), dtype))
    return out


def _import_file(path: str) -> Any:
    mod_name = "_tenkai_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise ModelCallError(f"importing {path} failed: {type(err).__name__}: {err}") from err
    finally:
        sys.path.pop(0)
    return module


def _candidates(module: Any) -> list[str]:
    """Names in ``module`` a command can use: module instances, and the Module classes and
    functions defined there (not imported)."""
    import inspect

    from .nn import Module

    out = []
    for key, value in vars(module).items():
        if key.startswith("_"):
            continue
        local = getattr(value, "__module__", None) == module.__name__
        is_class = inspect.isclass(value) and issubclass(value, Module)
        if isinstance(value, Module) or (local and (is_class or inspect.isfunction(value))):
            out.append(key)
    return out


def _instantiate(obj: Any, spec: str) -> Any:
    from .nn import Module

    if isinstance(obj, Module):
        return obj
    if not callable(obj):
        raise TargetError(f"{spec}: {type(obj).__name__} is not an nn.Module class, factory or "
                          "instance")
    try:
        model = obj()
    except TypeError as err:
        raise TargetError(f"{spec}: calling {getattr(obj, '__name__', obj)}() with no arguments "
                          f"failed ({err}); give a class or factory that needs none") from err
    if not isinstance(model, Module):
        raise TargetError(f"{spec}: {getattr(obj, '__name__', obj)}() returned a "
                          f"{type(model).__name__}, expected an nn.Module")
    return model


def build(spec: str, inputs: list[str] | None = None, dtype: str | None = None,
          train: bool = False, loss: str = "cross_entropy", optim: str = "sgd",
          batch: int | None = None, weights: str | None = None) -> Target:
    """The step for a command: a built-in workload, or FILE.py:NAME / MODEL.onnx with
    ``inputs`` shapes and optional ``weights``."""
    import tenkai

    if spec in bench.WORKLOADS:
        if weights is not None:
            raise TargetError(f"--weights {weights}: the built-in workload {spec} makes its own "
                              "weights; give a model file (FILE.py:NAME or MODEL.onnx)")
        try:
            fn, args = bench.WORKLOADS[spec](tenkai, batch) if batch else \
                bench.WORKLOADS[spec](tenkai)
        except bench.Unavailable as why:
            raise TargetError(f"workload {spec}: {why}") from why
        return Target(spec, fn, args, train=True)
    return build_model(spec, inputs, dtype, train, loss, optim, batch, weights)


def build_model(spec: str, inputs: list[str] | None = None, dtype: str | None = None,
                train: bool = False, loss: str = "cross_entropy", optim: str = "sgd",
                batch: int | None = None, weights: str | None = None) -> Target:
    """The step of a model file ``FILE.py:NAME`` or ``MODEL.onnx`` (see :func:`build`)."""
    model, label = load_model(spec, weights)
    xs = _example_inputs(spec, model, inputs, dtype, batch)
    out = _call_model(model, xs, label)
    params = dict(model.named_parameters())
    if not train:
        return Target(label, _forward_step(model), xs, model, False, params)
    step, args, loss_fn = _train_step(model, xs, out, loss, optim)
    return Target(label, step, args, model, True, params, loss_fn)


def _example_inputs(spec: str, model: Any, inputs: list[str] | None, dtype: str | None,
                    batch: int | None) -> tuple[Any, ...]:
    """Random example inputs: ``--input`` shapes in ``--dtype`` (f32 by default), or for an
    ONNX model without ``--input`` the shapes and dtypes its graph declares."""
    import tenkai

    if dtype is not None and dtype not in DTYPES:
        raise TargetError(f"--dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    if inputs:
        default = getattr(tenkai, DTYPES[dtype or "f32"])
        shapes = [parse_shape(s) for s in inputs]
        specs = [((batch, *s[1:]) if batch else s, default) for s in shapes]
    elif hasattr(model, "input_info"):  # an imported ONNX model
        specs = [(s, getattr(tenkai, DTYPES[dtype]) if dtype else dt)
                 for s, dt in onnx_inputs(model, batch)]
    else:
        raise TargetError(f"{spec}: give the example input shape(s), e.g. --input 64,784")
    tenkai.manual_seed(0)
    return tuple(tenkai.randn(*s).to(dt) if dt.is_floating_point else
                 tenkai.randint(0, 10, s, dtype=dt) for s, dt in specs)


def _call_model(model: Any, xs: tuple[Any, ...], label: str) -> Any:
    from tenkai.ir.printer import type_str

    try:
        return model(*xs)
    except Exception as err:
        types = ", ".join(type_str(tuple(x.shape), _short(x)) for x in xs)
        raise ModelCallError(f"{label} rejected the input(s) {types}: "
                             f"{type(err).__name__}: {err}") from err


def _short(x: Any) -> str:
    from tenkai.ir.dtypes import from_numpy

    return from_numpy(x._data.dtype)


def _forward_step(model: Any) -> Callable[..., Any]:
    def forward(*xs: Any) -> Any:
        return model(*xs)
    return forward


def _train_step(model: Any, xs: tuple[Any, ...], out: Any, loss: str,
                optim: str) -> tuple[Callable[..., Any], tuple[Any, ...], Any]:
    import tenkai

    F = tenkai.nn.functional
    if loss not in LOSSES:
        raise TargetError(f"--loss {loss!r}: expected one of {', '.join(LOSSES)}")
    if optim not in OPTIMIZERS:
        raise TargetError(f"--optim {optim!r}: expected one of {', '.join(OPTIMIZERS)}")
    if not hasattr(out, "shape"):
        raise TargetError(f"--train: the model returned a {type(out).__name__}, expected one "
                          "tensor to compute the loss on")
    if loss == "cross_entropy":
        if out.dim() != 2:
            raise TargetError(f"--loss cross_entropy: the model's output has shape "
                              f"{tuple(out.shape)}; expected (batch, classes) (or use --loss "
                              "mse)")
        target = tenkai.randint(0, out.shape[1], (out.shape[0],))
        loss_fn = F.cross_entropy
    else:
        target = tenkai.randn(*out.shape)
        loss_fn = F.mse_loss
    cls, kwargs = OPTIMIZERS[optim]
    opt = getattr(tenkai.optim, cls)(model.parameters(), **kwargs)
    n = len(xs)

    def train_step(*args: Any) -> Any:
        opt.zero_grad()
        value = loss_fn(model(*args[:n]), args[n])
        value.backward()
        opt.step()
        return value
    return train_step, (*xs, target), loss_fn
