"""``tenkai.from_torch`` / ``tenkai.to_torch``: live PyTorch modules to tenkai modules and back.

Both directions work from one table of layer names (:data:`LAYERS`): tenkai's layers carry
PyTorch's names, constructor arguments and attribute names, so a layer is rebuilt by reading
each constructor argument from the source module's attribute of the same name (plus the few
overrides in :data:`OVERRIDES`) and then copying its state dict (recurrent layers included:
``weight_ih_l1_reverse`` and the other per-layer, per-direction names are the same on both
sides). Adding a layer is one more name in :data:`LAYERS`. A module whose class is not in the
table, e.g. a custom ``nn.Module`` with its own ``forward``, is reported by its path in the
module tree.

>>> import torch, tenkai
>>> model = tenkai.from_torch(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()))
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _creation, _dtype, nn
from ._tensor import Tensor

__all__ = ["from_torch", "to_torch", "LAYERS", "OVERRIDES"]

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
LAYERS: set[str] = set("""
    Linear Conv1d Conv2d BatchNorm1d BatchNorm2d LayerNorm Embedding Dropout Flatten Unflatten
    Identity MaxPool1d MaxPool2d AvgPool1d AvgPool2d AdaptiveAvgPool1d AdaptiveAvgPool2d
    CELU ELU GELU SELU Hardshrink Hardtanh LeakyReLU LogSigmoid LogSoftmax PReLU ReLU ReLU6
    RReLU Sigmoid Softmax Softmax2d Softmin Softplus Softshrink Softsign Tanh Tanhshrink
    Threshold MultiheadAttention AdaptiveLogSoftmaxWithLoss
    RNN LSTM GRU RNNCell LSTMCell GRUCell
    BCELoss BCEWithLogitsLoss CrossEntropyLoss HuberLoss KLDivLoss L1Loss MSELoss NLLLoss
    SmoothL1Loss
""".split())


def _has_bias(module: Any) -> bool:
    bias = getattr(module, "bias", None)
    if isinstance(bias, bool):  # recurrent layers keep ``bias`` as a flag
        return bias
    if bias is None and hasattr(module, "in_proj_bias"):
        return module.in_proj_bias is not None
    return bias is not None


# constructor arguments that are not stored under their own name
OVERRIDES: dict[str, dict[str, Callable[[Any], Any]]] = {
    "*": {"bias": _has_bias},
    "MultiheadAttention": {"add_bias_kv": lambda m: m.bias_k is not None},
    "AdaptiveLogSoftmaxWithLoss": {"cutoffs": lambda m: list(m.cutoffs[:-1])},
    "LayerNorm": {"bias": lambda m: m.bias is not None or not m.elementwise_affine},
}
SKIPPED_ARGS = {"device", "dtype", "size_average", "reduce", "self"}


def from_torch(module: Any) -> nn.Module:
    """The tenkai module equivalent to a PyTorch module, with the same weights and buffers.

    ``model = tenkai.from_torch(torch_model)``; ``model(x)`` then matches ``torch_model(x)``.
    """
    _check_tree(module, "torch.nn.modules", "from_torch")
    return _convert(module, nn, _to_tenkai_tensor)


def to_torch(module: nn.Module) -> Any:
    """The PyTorch module equivalent to a tenkai module (needs PyTorch installed)."""
    try:
        import torch
    except ImportError as err:
        raise ImportError("to_torch needs PyTorch: pip install torch") from err
    _check_tree(module, "tenkai.nn", "to_torch")
    return _convert(module, torch.nn, _to_torch_tensor)


def _check_tree(module: Any, home: str, caller: str) -> None:
    """Name every module of the tree that cannot be converted, all at once."""
    bad = []
    for path, sub in _named_modules(module, ""):
        cls = type(sub)
        name = cls.__name__
        if not cls.__module__.startswith(home) or name not in LAYERS | set(CONTAINERS):
            bad.append(f"'{path or '<root>'}' ({name})")
    if bad:
        raise NotImplementedError(
            f"{caller}: unsupported module {', '.join(bad)}: only containers and the layers in "
            "tenkai.interop.LAYERS convert; a custom module with its own forward must be "
            "written as a tenkai module, then given the weights with load_state_dict")


def _named_modules(module: Any, path: str) -> Any:
    yield path, module
    name = type(module).__name__
    if name in CONTAINERS:
        for child_name, child in module._modules.items():
            if child is not None:
                yield from _named_modules(child, f"{path}.{child_name}" if path else child_name)


def _convert(module: Any, target: Any, tensor: Callable[[Any, str], Any]) -> Any:
    name = type(module).__name__
    cls = getattr(target, name)
    if name in CONTAINERS:
        children = OrderedDict((k, _convert(v, target, tensor))
                               for k, v in module._modules.items() if v is not None)
        out = cls(children) if name != "ModuleList" else cls(list(children.values()))
    else:
        out = cls(**_constructor_args(module, cls, tensor))
        state = OrderedDict((k, tensor(v, k)) for k, v in module.state_dict().items())
        out.load_state_dict(state, strict=True)
        converted = dict(out.named_parameters())
        for pname, src in module.named_parameters():  # frozen layers stay frozen
            if pname in converted and converted[pname].requires_grad != src.requires_grad:
                converted[pname].requires_grad_(src.requires_grad)
    converted_modules = dict(out.named_modules())
    for mname, sub in module.named_modules():
        if mname in converted_modules:
            converted_modules[mname].train(sub.training)
    return out


def _constructor_args(module: Any, cls: Any, tensor: Callable[[Any, str], Any]) -> dict:
    name = type(module).__name__
    overrides = {**OVERRIDES["*"], **OVERRIDES.get(name, {})}
    kwargs: dict[str, Any] = {}
    signature = _signature(cls, module)
    for arg, param in signature.parameters.items():
        if arg in SKIPPED_ARGS or arg.startswith("_") or param.kind in (
                param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if arg in overrides and (arg != "bias" or _bias_applies(module)):
            kwargs[arg] = overrides[arg](module)
        elif hasattr(module, arg):
            value = getattr(module, arg)
            kwargs[arg] = tensor(value, arg) if _is_tensor(value) else value
    if "dtype" in signature.parameters:
        floats = [p for p in module.parameters() if p.is_floating_point()]
        if floats:
            kwargs["dtype"] = _dtype_for(cls, floats[0].dtype)
    return kwargs


def _signature(cls: Any, module: Any) -> inspect.Signature:
    """The constructor arguments to fill in. PyTorch's ``RNN``/``LSTM``/``GRU`` take
    ``(*args, **kwargs)``; their keywords are the tenkai layer's, so that signature is used."""
    signature = inspect.signature(cls.__init__)
    if any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values()):
        return inspect.signature(type(module).__init__)
    return signature


def _bias_applies(module: Any) -> bool:
    return hasattr(module, "bias") or hasattr(module, "in_proj_bias")


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "detach") and hasattr(value, "shape") and hasattr(value, "dtype")


def _dtype_for(cls: Any, dtype: Any) -> Any:
    name = str(dtype).rsplit(".", 1)[-1]
    if cls.__module__.startswith("torch"):
        import torch

        return getattr(torch, name)
    if name not in _dtype.BY_NAME:
        raise NotImplementedError(f"from_torch: parameters of dtype {dtype} have no tenkai "
                                  "equivalent; convert the module first, e.g. module.float()")
    return _dtype.BY_NAME[name]


def _to_tenkai_tensor(value: Any, name: str) -> Tensor:
    try:
        array = value.detach().cpu().numpy()
    except TypeError as err:  # bfloat16 and other dtypes numpy lacks
        raise NotImplementedError(f"from_torch: '{name}' has dtype {value.dtype}, which tenkai "
                                  "does not support") from err
    return _creation.from_numpy(np.array(array, copy=True))


def _to_torch_tensor(value: Tensor, name: str) -> Any:
    import torch

    return torch.from_numpy(np.array(value.detach().numpy(), copy=True))
