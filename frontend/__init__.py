"""tenkai: a graph-compiling tensor DSL with PyTorch's API (``import tenkai as torch``).

Tensors execute eagerly with the registry's numpy references and record what they do into
the graph IR; ``backward()`` derives the backward graph symbolically.
"""

from __future__ import annotations

import builtins as _builtins
import sys as _sys
import typing as _typing
import warnings as _warnings

# Floating-point overflow/invalid in the numpy references gives inf/nan silently, as in
# PyTorch: the filter covers only warnings raised from tenkai's own modules.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tenkai(\.|$)")

from . import _contract, _math, _methods, _out, _scan, _sorting  # _methods: Tensor's methods
from . import (_api_tensor, _api_tensor_index, _api_tensor_math, _api_tensor_shape,
               _api_tensor_signal, _api_tensor_special)
from . import autograd, backends, cuda, datasets, functional, linalg, nn, optim, return_types
from . import func, profiler, safetensors, serialization, special, testing, transforms, utils
from ._composite import cumsum, exp2, flip, log_softmax, norm, softmax
from ._creation import (LEGACY_TYPES, arange, as_tensor, empty, empty_like, eye, from_numpy,
                        full, full_like, linspace, ones, ones_like, rand, rand_like,
                        randint, randint_like, randn, randn_like, randperm, tensor, zeros,
                        zeros_like)
from ._defaults import (are_deterministic_algorithms_enabled, can_cast, get_default_device,
                        get_deterministic_debug_mode, get_float32_matmul_precision, is_complex,
                        is_deterministic_algorithms_warn_only_enabled, is_floating_point,
                        is_nonzero, is_same_size, is_signed, is_warn_always_enabled,
                        promote_types, result_type, set_default_device,
                        set_deterministic_debug_mode, set_float32_matmul_precision,
                        set_warn_always, typename, use_deterministic_algorithms)
from ._device import device
from ._dtype import (bool_, dtype, float16, float32, float64, get_default_dtype, int8, int16,
                     int32, int64, set_default_dtype, uint8)
from ._linalg_top import (cholesky, cholesky_inverse, cholesky_solve, det, frobenius_norm,
                          inverse, logdet, matrix_exp, matrix_power, nuclear_norm, pinverse, qr,
                          slogdet, svd, triangular_solve, vander)
from ._ops import (abs, absolute, add, allclose, ceil, clamp, clip, clone, cos, div, divide, eq,
                   equal, erf, exp, expm1, floor, floor_divide, ge, greater, greater_equal, gt,
                   is_tensor, isclose, le, less, less_equal, log, log1p, logical_and,
                   logical_not, logical_or, lt, masked_fill, maximum, minimum, mul, multiply, ne,
                   neg, negative, nonzero, not_equal, numel, pow, reciprocal, relu, remainder,
                   round, rsqrt, sigmoid, sign, sin, sqrt, square, sub, subtract, tanh,
                   true_divide, trunc, where)
from ._printing import get_printoptions, set_printoptions
from ._random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed,
                      manual_seed, seed, set_rng_state)
from ._random_dists import multinomial, normal, poisson
from ._reduce import (all, amax, amin, any, argmax, argmin, logsumexp, max, mean, min, prod, std,
                      sum, var)
from ._shape import (bmm, cat, chunk, concat, concatenate, dot, flatten, gather, ger, index_add,
                     index_select, matmul, mm, mv, outer, permute, reshape, scatter_add, split,
                     squeeze, stack, swapaxes, swapdims, t, transpose, unbind, unflatten, unsqueeze)
from ._tensor import Size, Tensor
from ._threads import (get_num_interop_threads, get_num_threads, set_num_interop_threads,
                       set_num_threads)
from ._version import __version__
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .compile import compile
from .functional import broadcast_shapes, chain_matmul
from .interop import from_torch, to_torch
from .nn._rnn_functional import (gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell,
                                 rnn_tanh, rnn_tanh_cell)
from .serialization import load, save
from .staged import trace as _staged_trace

# The functions that _math, _contract, _scan and _sorting list (none of them is imported above),
# tenkai.sin_ & co., then the ``out=`` forms over all of them.
globals().update({_name: getattr(_m, _name) for _m in (_math, _contract, _scan, _sorting)
                  for _name in _m.FUNCTIONS})
globals().update({_name + "_": _methods.module_inplace(_name) for _name in _math.MODULE_INPLACE})
globals().update({_name: _out.with_out(globals()[_name]) for _name in _out.OUT_FUNCTIONS})
# Issue 13's Tensor-method breadth (_api_tensor*): the torch.X functions and in-place forms.
globals().update({_name: getattr(_m, _name) for _m in (_api_tensor, _api_tensor_shape,
                                                       _api_tensor_index, _api_tensor_math,
                                                       _api_tensor_signal, _api_tensor_special)
                  for _name in _m.FUNCTIONS})
globals().update({_name + "_": _methods.module_inplace(_name)
                  for _name in ["erf", "negative", *_api_tensor_index.MODULE_INPLACE,
                                *_api_tensor_special.MODULE_INPLACE]})

# PyTorch's top-level names for functional ops, *_copy views, windows, flags (issue 13)
from . import (_api_amp, _api_copy, _api_flags, _api_lowrank, _api_nn, _api_stats,  # noqa: E402
               _api_windows)
from .autograd._core import is_inference_mode_enabled  # noqa: E402
from . import accelerator, amp, jit, random  # noqa: E402  (torch.accelerator, .amp, ...)
from .cuda import amp as _cuda_amp  # noqa: E402, F401  (torch.cuda.amp)

globals().update({_name: getattr(_m, _name) for _m in (_api_amp, _api_copy, _api_flags,
                                                        _api_lowrank, _api_nn, _api_stats,
                                                        _api_windows)
                  for _name in _m.NAMES if _name not in globals()})  # earlier definitions win


def trace(fn: _typing.Any, *example_args: _typing.Any) -> _typing.Any:
    """``tenkai.trace(fn, *args)`` traces ``fn`` into a graph (see ``tenkai.staged``);
    ``tenkai.trace(matrix)`` is PyTorch's sum of the diagonal."""
    if isinstance(fn, Tensor):
        return _contract.trace(fn, *example_args)
    return _staged_trace(fn, *example_args)


# PyTorch's dtype aliases; assigned through globals() so this module keeps the builtins.
globals().update({"float": float32, "double": float64, "half": float16, "long": int64,
                  "int": int32, "short": int16, "bool": bool_, "uint8": uint8})
globals().update(LEGACY_TYPES)


def __getattr__(name: str) -> object:
    # tenkai.onnx imports lazily: it needs the optional onnx package only when used;
    # tenkai.distributions is built on the whole tenkai namespace, so it loads on first use
    if name in ("onnx", "distributions"):
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'tenkai' has no attribute {name!r}")


del _builtins, _warnings

# eager cuda tensors: the ops computed on the host run as explicit round trips (_cuda_host),
# routed once the first cuda tensor is made
from . import _cuda_host as _cuda_host  # noqa: E402
from ._device import ON_CUDA as _ON_CUDA  # noqa: E402

_ON_CUDA.append(lambda: _cuda_host.install((_sys.modules[__name__], nn.functional, Tensor)))
