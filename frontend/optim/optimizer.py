"""``tenkai.optim.Optimizer``: parameter groups, per-parameter state, state dicts.

Subclasses implement :meth:`Optimizer._update`, the update of one parameter, written with
registry ops on tenkai tensors (``mul``, ``add``, ``div``, ``sqrt``, in-place ``add_``/``copy_``)
so that ``tenkai.compile`` can trace ``optimizer.step()`` into the training graph. The
hyperparameters stay Python numbers read from ``param_groups`` at every step, so learning-rate
schedulers (which rewrite ``group["lr"]``) work.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from .. import _ops, _trace
from .._creation import zeros_like
from .._dtype import float32, float64, get_default_dtype
from .._state import register_optimizer
from .._tensor import Tensor
from ..autograd import enable_grad, no_grad
from . import _fused

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]

# Keys of a state entry that stay as they are on load (PyTorch keeps ``step`` in its own dtype).
_KEEP_DTYPE = frozenset({"step"})


class Optimizer:
    """Base class of all optimizers: holds ``param_groups``, ``state`` and ``defaults``.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.ones(2))
        >>> opt = tenkai.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.8000, 0.8000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        register_optimizer(self)  # so compiled steps can name its state and read its lr
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ parameter groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group (``{"params": [...], "lr": ...}``); missing options take defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        _collect_params(param_group)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                names = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {names} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to ``None`` (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None  # also when None: a compiled step need not guard on it
                    continue
                if p.grad is None:
                    continue
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    # ------------------------------------------------------------ stepping
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a ``.grad``; returns ``closure()``'s loss if given."""
        loss = None
        tracer = _trace.active()
        if tracer is not None:  # a compiled step guards on this optimizer's structure
            tracer.saw_optimizer(self)
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            # eager: the fused native update where it applies (optim/_fused.py)
            fused: dict[tuple, Any] | None = {} if tracer is None and _fused.available() \
                else None
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._step_param(p, group, fused)
        return loss

    def _step_param(self, param: Tensor, group: dict[str, Any],
                    fused: dict[tuple, Any] | None = None) -> None:
        # Read without inserting, so an optimizer that keeps no state (plain SGD) leaves
        # ``state`` empty, as PyTorch's does.
        state = self.state.get(param, {})
        if fused is not None and self._fused_update(param, state, group, fused):
            return
        grad = param.grad
        if group.get("maximize", False):
            grad = _ops.neg(grad)
        self._update(param, grad, state, group)
        if state:
            self.state[param] = state

    def _update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Apply one step to ``param`` in place, given its (sign-adjusted) gradient."""
        raise NotImplementedError

    def _fused_update(self, param: Tensor, state: dict[str, Any], group: dict[str, Any],
                      cache: dict[tuple, Any]) -> bool:
        """Eager only: apply :meth:`_update`'s exact step with one native kernel and return
        True, or return False (nothing done) to run :meth:`_update`; ``cache`` lives for one
        ``step()``. The base class never fuses."""
        return False

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what :meth:`state_dict` returned; state tensors are copied (never aliased)."""
        groups, saved = self.param_groups, [dict(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved, strict=True)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved),
                          chain.from_iterable(g["params"] for g in groups), strict=True))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = {k: _cast_state(param, k, v) for k, v in value.items()}
            else:
                state[key] = value
        _reuse_live_state(self.state, state)
        for group, new_group in zip(groups, saved, strict=True):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved})

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for group in self.param_groups:  # state saved by an older version lacks new options
            for name, default in self.defaults.items():
                group.setdefault(name, default)
        for entry in self.state.values():
            if "step" in entry and not isinstance(entry["step"], Tensor):
                entry["step"] = _ops.tensor_of(float(entry["step"]), scalar_dtype())

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


# ---------------------------------------------------------------- helpers


def _typename(obj: Any) -> str:
    """``torch.typename``: ``'torch.FloatTensor'`` for tensors, the qualified type otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def _collect_params(param_group: dict[str, Any]) -> None:
    """Normalize ``param_group['params']`` to a list of leaf tensors (names split off)."""
    params = param_group["params"]
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                        "the ordering of tensors in sets will change between runs. Please use a "
                        "list instead.")
    params = list(params)
    names = [p[0] for p in params if isinstance(p, tuple)]
    tensors = [p[1] if isinstance(p, tuple) else p for p in params]
    if names:
        if len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        param_group["param_names"] = names
    for p in tensors:
        if not isinstance(p, Tensor):
            raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                            + _typename(p))
        if not (p.is_leaf or p.retains_grad):
            raise ValueError("can't optimize a non-leaf Tensor")
    param_group["params"] = tensors


def _reuse_live_state(live: Any, loaded: dict[Any, dict[str, Any]]) -> None:
    """Load into the state tensors that already exist (same shape and dtype) in place.

    A compiled training step reads and writes the live state buffers it captured; loading a
    checkpoint into them (instead of swapping in new tensors) keeps such a step in sync."""
    with no_grad():
        for param, entry in loaded.items():
            current = live.get(param) if isinstance(param, Tensor) else None
            if not current:
                continue
            for key, value in entry.items():
                old = current.get(key)
                if isinstance(old, Tensor) and isinstance(value, Tensor) \
                        and old.shape == value.shape and old.dtype == value.dtype:
                    old.copy_(value)
                    entry[key] = old


def _cast_state(param: Tensor, key: str, value: Any) -> Any:
    """A loaded state value, as a fresh tensor in the parameter's dtype (``step`` kept)."""
    if isinstance(value, Tensor):
        if key not in _KEEP_DTYPE and param.is_floating_point():
            value = _ops.cast(value, param._ir_dtype)
        return _ops.clone(value)
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    if isinstance(value, list):  # LBFGS's history: fresh lists, never shared with the dict
        return [_cast_state(param, key, v) for v in value]
    return value


def scalar_dtype() -> str:
    """dtype of the ``step`` counters: float64 when that is the default dtype, else float32."""
    return "float64" if get_default_dtype() == float64 else float32.name


def new_step() -> Tensor:
    """A fresh 0-d ``step`` counter (``tensor(0.)``), kept as a tensor like PyTorch's."""
    return _ops.tensor_of(0.0, scalar_dtype())


def count_step(state: dict[str, Any]) -> Tensor:
    """Increment ``state['step']`` in place; return it as float64 for bias corrections."""
    return _ops.cast(state["step"].add_(1), "float64")


def lerp_(start: Tensor, end: Tensor, weight: float) -> Tensor:
    """``start.lerp_(end, weight)`` with PyTorch's two-sided formula (the same rounding)."""
    diff = _ops.sub(end, start)
    if abs(weight) < 0.5:
        return start.add_(_ops.mul(diff, weight))
    return start.copy_(_ops.sub(end, _ops.mul(diff, 1 - weight)))


def addcmul(base: Tensor, t1: Tensor, t2: Tensor, value: Any = 1) -> Tensor:
    """``base + value * t1 * t2`` (``torch.addcmul``), evaluated left to right as PyTorch does."""
    return _ops.add(base, _ops.mul(_ops.mul(t1, value), t2))


def addcmul_(base: Tensor, t1: Tensor, t2: Tensor, value: Any = 1) -> Tensor:
    """In-place :func:`addcmul` (``base.addcmul_(t1, t2, value=value)``); returns ``base``."""
    return base.add_(_ops.mul(_ops.mul(t1, value), t2))


def addcdiv_(base: Tensor, t1: Tensor, t2: Tensor, value: Any = 1) -> Tensor:
    """In-place ``base + value * t1 / t2`` (``base.addcdiv_(t1, t2, value=value)``)."""
    return base.add_(_ops.div(_ops.mul(t1, value), t2))


def check_nonnegative(**values: Any) -> None:
    """Raise PyTorch's ``ValueError('Invalid <name> value: <v>')`` for a negative option."""
    for name, value in values.items():
        if not value >= 0.0:  # NaN fails too
            label = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise ValueError(f"Invalid {label}: {value}")


def check_flags(differentiable: bool) -> None:
    """Reject options whose semantics tenkai does not implement (instead of ignoring them)."""
    if differentiable:
        raise NotImplementedError("tenkai optimizers do not support differentiable=True: the "
                                  "step runs under no_grad")


def check_betas(betas: tuple[float, float]) -> None:
    """PyTorch's ``ValueError`` for a beta outside ``[0, 1)``."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def scalar_state(value: float) -> Tensor:
    """A 0-d state scalar (``mu_product``, ``eta``, ``mu``) in the ``step`` counters' dtype."""
    return _ops.tensor_of(float(value), scalar_dtype())


def fresh_state(param: Tensor, *zeros: str, **scalars: float) -> dict[str, Any]:
    """A first step's state, in PyTorch's key order: ``step``, the 0-d ``scalars``, then a
    zero tensor like ``param`` for each name in ``zeros``."""
    state: dict[str, Any] = {"step": new_step()}
    state.update({name: scalar_state(value) for name, value in scalars.items()})
    state.update({name: zeros_like(param) for name in zeros})
    return state
