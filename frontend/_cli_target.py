"""What a ``tenkai`` command works on: a built-in workload (``tenkai bench``'s names) or a
user's model ``FILE.py:NAME`` with example inputs (``--input 64,784``), made into a step to
trace: the forward pass, or with ``--train`` a whole training step (loss, backward, optimizer).

NAME is an ``nn.Module`` subclass (built with no arguments), a factory function returning a
module, or a module instance defined in FILE. ``.onnx`` files and ``--weights`` files are
recognised and refused with :class:`NotImplementedError` until ONNX import and checkpoint
loading land (``load_model`` is where they plug in).
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
    """The module named by ``FILE.py:NAME`` (or ``.onnx``), and a label for it."""
    if weights is not None:
        raise NotImplementedError(f"--weights {weights}: loading checkpoints (.pt, "
                                  ".safetensors) needs tenkai.load / tenkai.safetensors, which "
                                  "are not in this build yet; initialise in FILE.py instead")
    path, _, name = spec.partition(":")
    if path.endswith(".onnx"):
        raise NotImplementedError(f"{spec}: importing ONNX models needs tenkai.onnx.load, which "
                                  "is not in this build yet; use FILE.py:NAME")
    if not path.endswith(".py"):
        raise TargetError(f"{spec!r}: expected FILE.py:NAME (a Python file and a module class, "
                          f"factory or instance in it) or a built-in workload: "
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


def build(spec: str, inputs: list[str] | None = None, dtype: str = "f32", train: bool = False,
          loss: str = "cross_entropy", optim: str = "sgd", batch: int | None = None,
          weights: str | None = None) -> Target:
    """The step for a command: a built-in workload, or FILE.py:NAME with ``inputs`` shapes."""
    import tenkai

    if spec in bench.WORKLOADS:
        try:
            fn, args = bench.WORKLOADS[spec](tenkai, batch) if batch else \
                bench.WORKLOADS[spec](tenkai)
        except bench.Unavailable as why:
            raise TargetError(f"workload {spec}: {why}") from why
        return Target(spec, fn, args, train=True)
    return build_model(spec, inputs, dtype, train, loss, optim, batch, weights)


def build_model(spec: str, inputs: list[str] | None = None, dtype: str = "f32",
                train: bool = False, loss: str = "cross_entropy", optim: str = "sgd",
                batch: int | None = None, weights: str | None = None) -> Target:
    """The step of a model file ``FILE.py:NAME`` (see :func:`build`)."""
    import tenkai

    model, label = load_model(spec, weights)
    if not inputs:
        raise TargetError(f"{spec}: give the example input shape(s), e.g. --input 64,784")
    if dtype not in DTYPES:
        raise TargetError(f"--dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    shapes = [parse_shape(s) for s in inputs]
    if batch:
        shapes = [(batch, *s[1:]) for s in shapes]
    tenkai.manual_seed(0)
    dt = getattr(tenkai, DTYPES[dtype])
    xs = tuple(tenkai.randn(*s).to(dt) if dt.is_floating_point else
               tenkai.randint(0, 10, s, dtype=dt) for s in shapes)
    out = _call_model(model, xs, label)
    params = dict(model.named_parameters())
    if not train:
        return Target(label, _forward_step(model), xs, model, False, params)
    step, args, loss_fn = _train_step(model, xs, out, loss, optim)
    return Target(label, step, args, model, True, params, loss_fn)


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
