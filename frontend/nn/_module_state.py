"""``nn.Module``'s state dicts, as PyTorch's: ``state_dict`` with its pre- and post-hooks,
``_save_to_state_dict`` / ``_load_from_state_dict`` (which subclasses override to rename or
convert keys), extra state (``get_extra_state`` / ``set_extra_state``), ``load_state_dict``
with its pre- and post-hooks and ``assign=True``.

One difference, on purpose: PyTorch copies tensors as it walks the modules, so a failing
load leaves a model half loaded; tenkai's ``_load_from_state_dict`` queues the copies and
``load_state_dict`` applies them only when the whole state dict loads.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Mapping
from typing import Any

from .._tensor import Tensor
from ..autograd import no_grad
from ._module_hooks import RemovableHandle, add_hook
from .parameter import Parameter

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _LoadErrors(list):
    """``error_msgs`` of one ``load_state_dict``; also carries the copies and assignments
    that ``_load_from_state_dict`` queues until the whole state dict has loaded."""

    def __init__(self) -> None:
        super().__init__()
        self.copies: list[tuple[Tensor, Tensor]] = []
        self.assigns: list[tuple[Any, str, Tensor]] = []

    def apply(self) -> None:
        with no_grad():
            for target, src in self.copies:
                target.copy_(src)
        for module, name, value in self.assigns:
            setattr(module, name, value)


class ModuleState:
    """The state-dict half of ``nn.Module`` (mixed into it)."""

    _version: int = 1  # stored per module in ``state_dict()._metadata``, as PyTorch's

    # ------------------------------------------------------------ saving
    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> Any:
        """Parameters, persistent buffers and extra state by dotted name (``'fc.weight'``)."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.state_dict for details.", FutureWarning,
                          stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                                 keep_vars=keep_vars)
        for hook in list(self._state_dict_hooks.values()):
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        """Put this module's own state (no submodules) into ``destination``."""
        for name, value in self._local_state().items():
            destination[prefix + name] = value if keep_vars else value.detach()
        if _overrides(self, "get_extra_state"):
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def _local_state(self) -> OrderedDict:
        """This module's own parameters and persistent buffers (no submodules)."""
        local = OrderedDict((n, p) for n, p in self._parameters.items() if p is not None)
        local.update((n, b) for n, b in self._buffers.items()
                     if b is not None and n not in self._non_persistent_buffers_set)
        return local

    def get_extra_state(self) -> Any:
        """Override (with ``set_extra_state``) to save non-tensor state in the state dict."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called. Please file an issue at https://github.com/pytorch/"
                           "pytorch/issues/new?template=bug-report.yml to report this bug.")

    def set_extra_state(self, state: Any) -> None:
        """Override (with ``get_extra_state``) to restore what ``get_extra_state`` saved."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called. Please file an issue at https://github.com/pytorch/"
                           "pytorch/issues/new?template=bug-report.yml to report this bug.")

    # ------------------------------------------------------------ loading
    def _optional_state_keys(self, version: int | None) -> set[str]:
        """Local names a checkpoint written by an older ``_version`` may lack."""
        return set()

    def _load_from_state_dict(self, state_dict: Any, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        """Load this module's own state from ``state_dict`` (PyTorch's signature)."""
        for hook in list(self._load_state_dict_pre_hooks.values()):
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        local = self._local_state()
        optional = self._optional_state_keys(local_metadata.get("version"))
        assign = local_metadata.get("assign_to_params_buffers", False)
        queued = error_msgs if isinstance(error_msgs, _LoadErrors) else _LoadErrors()
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict and name not in optional:
                    missing_keys.append(key)
                continue
            src = state_dict[key]
            if not isinstance(src, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(src)}")
                continue
            if target.dim() == 0 and src.dim() == 1 and src.shape[0] == 1:
                src = src[0]  # PyTorch accepts a one-element vector for a 0-d tensor
            if tuple(src.shape) != tuple(target.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {src.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}.")
            elif assign:
                if isinstance(target, Parameter):
                    src = Parameter(src, requires_grad=target.requires_grad) \
                        if not isinstance(src, Parameter) else src.requires_grad_(
                            target.requires_grad)
                queued.assigns.append((self, name, src))
            else:
                queued.copies.append((target, src))
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if _overrides(self, "set_extra_state"):
            if extra_key in state_dict:
                queued.assigns.append((_ExtraState(self), "state", state_dict[extra_key]))
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if not key.startswith(prefix) or key == extra_key:
                    continue
                head, *rest = key[len(prefix):].split(".", 1)
                if (head not in self._modules) if rest else (head not in local):
                    unexpected_keys.append(key)
        if queued is not error_msgs:  # called directly, not from load_state_dict
            error_msgs.extend(queued)
            queued.apply()

    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy tensors from ``state_dict`` into this module's parameters and buffers
        (``assign=True``: make the state dict's tensors the parameters and buffers)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors = _LoadErrors()
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata  # type: ignore[attr-defined]
        post: list[tuple[Any, Callable]] = []

        def load(module: Any, local: Any, prefix: str) -> None:
            meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                meta["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local, prefix, meta, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    sub = f"{prefix}{name}."
                    load(child, {k: v for k, v in local.items() if k.startswith(sub)}, sub)
            post.extend((module, h) for h in module._load_state_dict_post_hooks.values())

        load(self, state_dict, "")
        keys = _IncompatibleKeys(missing, unexpected)
        for module, hook in post:  # (PyTorch runs them as it returns from each module)
            if hook(module, keys) is not None:
                raise AssertionError(
                    "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                    "expected to return new values, if incompatible_keys need to be modified,"
                    "it should be done inplace.")
        messages = list(errors)
        if strict:
            if unexpected:
                messages.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                messages.insert(0, "Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ". ")
        if messages:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(messages))
        errors.apply()
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ hooks
    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before ``state_dict`` saves this module."""
        return add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after; it edits the
        state dict in place and returns None."""
        hook._from_public_api = True  # type: ignore[attr-defined]
        return add_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via "
                               "register_state_dict_post_hook")
        return add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before this module loads its state."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook: Callable[..., Any],
                                           with_module: bool = False) -> RemovableHandle:
        if with_module:
            bound, module = hook, self

            def hook(*args: Any) -> Any:
                return bound(module, *args)
        return add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after ``load_state_dict``; it may edit
        ``incompatible_keys`` in place."""
        return add_hook(self._load_state_dict_post_hooks, hook)


class _ExtraState:
    """Defers ``set_extra_state`` to the end of a load, like the tensor copies."""

    def __init__(self, module: Any) -> None:
        self.__dict__["module"] = module

    def __setattr__(self, name: str, value: Any) -> None:
        self.module.set_extra_state(value)


def _overrides(module: Any, name: str) -> bool:
    return getattr(type(module), name) is not getattr(ModuleState, name)
