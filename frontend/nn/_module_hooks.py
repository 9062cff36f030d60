"""Module hooks as in PyTorch's ``nn.Module``: forward pre-hooks and hooks (``with_kwargs``,
``prepend``, ``always_call``), full backward pre-hooks and hooks, the process-wide
``register_module_*`` hooks, and the handles that remove them.

A module call with any hook goes through :func:`call`, which mirrors PyTorch's
``Module._call_impl``. Backward hooks wrap the module's tensor inputs and outputs in an
identity :class:`BackwardHookFunction` (grad_fn ``BackwardHookFunctionBackward``, as in
PyTorch); its backward is where the hooks see (and may replace) ``grad_output`` and
``grad_input``. They run Python code during backward, which a compiled step cannot replay,
so tracing a module call with backward hooks reports an untraceable site.
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .. import _trace
from .._node import GRAD_MODE
from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["BackwardHookFunction", "RemovableHandle", "register_module_backward_hook",
           "register_module_buffer_registration_hook", "register_module_forward_hook",
           "register_module_forward_pre_hook", "register_module_full_backward_hook",
           "register_module_full_backward_pre_hook",
           "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]


class RemovableHandle:
    """A handle that removes a hook from its dictionaries (``handle.remove()``, or on leaving
    ``with handle:``), as ``torch.utils.hooks.RemovableHandle``."""

    id: int
    next_id: int = 0
    _ids = itertools.count()

    _guarded = False  # a call hook: compiled steps guard on the set of call hooks

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id = next(RemovableHandle._ids)
        extras = [] if extra_dict is None else \
            extra_dict if isinstance(extra_dict, list) else [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        if self._guarded:
            _trace.HOOKS_VERSION[0] += 1
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            table = ref()
            if table is not None:
                table.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def __getstate__(self) -> tuple:
        tables = (self.hooks_dict_ref(), *(r() for r in self.extra_dict_ref))
        return (tables[0], self.id, tables[1:])

    def __setstate__(self, state: tuple) -> None:
        hooks, self.id, extras = state
        self.hooks_dict_ref = weakref.ref(OrderedDict() if hooks is None else hooks)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras if d is not None)


def add_hook(table: OrderedDict, hook: Callable[..., Any], prepend: bool = False,
             flags: tuple[OrderedDict, ...] = (), call: bool = False) -> RemovableHandle:
    """Put ``hook`` into ``table`` (first when ``prepend``) and mark it in ``flags``;
    ``call``: a hook that runs when modules are called (compiled steps guard on those)."""
    handle = RemovableHandle(table, extra_dict=list(flags))
    if call:
        handle._guarded = True
        _trace.HOOKS_VERSION[0] += 1
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    for flag in flags:
        flag[handle.id] = True
    return handle


class GlobalHooks:
    """The process-wide hooks of every module (``torch.nn.modules.module``'s globals)."""

    def __init__(self) -> None:
        self.forward_pre: OrderedDict = OrderedDict()
        self.forward: OrderedDict = OrderedDict()
        self.forward_with_kwargs: OrderedDict = OrderedDict()
        self.forward_always: OrderedDict = OrderedDict()
        self.backward: OrderedDict = OrderedDict()
        self.backward_pre: OrderedDict = OrderedDict()
        self.is_full_backward: bool | None = None
        self.parameter_registration: OrderedDict = OrderedDict()
        self.buffer_registration: OrderedDict = OrderedDict()
        self.module_registration: OrderedDict = OrderedDict()

    def any_call_hook(self) -> bool:
        return bool(self.forward_pre or self.forward or self.backward or self.backward_pre)


GLOBAL = GlobalHooks()


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, args)`` before every module's forward (before its own hooks)."""
    return add_hook(GLOBAL.forward_pre, hook, call=True)


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after every module's forward."""
    flags = ((GLOBAL.forward_with_kwargs,) if with_kwargs else ()) + \
        ((GLOBAL.forward_always,) if always_call else ())
    return add_hook(GLOBAL.forward, hook, flags=flags, call=True)


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """The deprecated non-full global backward hook (see ``Module.register_backward_hook``)."""
    if GLOBAL.is_full_backward is True:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as "
                           "a global Module hook. Please use only one of them.")
    GLOBAL.is_full_backward = False
    return add_hook(GLOBAL.backward, hook, call=True)


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, grad_output)`` when the gradients of every module's outputs are
    computed; a returned tuple replaces ``grad_output``."""
    return add_hook(GLOBAL.backward_pre, hook, call=True)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, grad_input, grad_output)`` for every module's backward."""
    if GLOBAL.is_full_backward is False:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as "
                           "a global Module hook. Please use only one of them.")
    GLOBAL.is_full_backward = True
    return add_hook(GLOBAL.backward, hook, call=True)


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, name, param)`` on every ``register_parameter``; a returned value
    is registered instead."""
    return add_hook(GLOBAL.parameter_registration, hook)


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, name, buffer)`` on every ``register_buffer``."""
    return add_hook(GLOBAL.buffer_registration, hook)


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, name, submodule)`` on every submodule registration."""
    return add_hook(GLOBAL.module_registration, hook)


def registered(table: OrderedDict, module: Any, name: str, value: Any) -> Any:
    """Run the global registration hooks of ``table`` on ``value``; what is registered."""
    for hook in list(table.values()):
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


# ---------------------------------------------------------------- backward hooks
class BackwardHookFunction(Function):
    """Identity on a module's tensor inputs or outputs; its backward runs the hooks."""

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        ctx.set_materialize_grads(False)
        return args

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        on_grads = getattr(ctx, "on_grads", None)
        return grads if on_grads is None else on_grads(grads)


class BackwardHook:
    """One module call's backward hooks: captures ``grad_output`` at the outputs, calls the
    hooks with ``grad_input`` at the inputs (PyTorch's ``torch.utils.hooks.BackwardHook``)."""

    def __init__(self, module: Any, hooks: list, pre_hooks: list) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = self.n_outputs = -1
        self.input_index: list[int] | None = None
        self.output_index: list[int] | None = None

    @staticmethod
    def _wrap(args: tuple, on_grads: Callable[[tuple], tuple]) -> tuple[tuple, list | None]:
        index = [k for k, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[k] for k in index]
        if not (GRAD_MODE.enabled and any(t.requires_grad for t in tensors)):
            return args, None
        new = BackwardHookFunction.apply(*tensors)
        ctx = next(t.grad_fn for t in new if t.grad_fn is not None)
        ctx.on_grads = on_grads
        out = list(args)
        for k, t in zip(index, new, strict=True):
            out[k] = t
        return tuple(out), index

    def setup_input_hook(self, args: tuple) -> tuple:
        res, self.input_index = self._wrap(args, self._input_grads)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result: Any) -> Any:
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        res, self.output_index = self._wrap(outs, self._output_grads)
        self.n_outputs = len(outs)
        return res[0] if single else res

    @staticmethod
    def _pack(index: list[int], values: tuple, size: int) -> tuple:
        out: list[Any] = [None] * size
        for k, v in zip(index, values, strict=True):
            out[k] = v
        return tuple(out)

    def _output_grads(self, grads: tuple) -> tuple:
        assert self.output_index is not None
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for pre in self.pre_hooks:
            out = pre(self.module, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(out)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(out)
        local = self.grad_outputs
        if self.input_index is None:  # no input requires grad: the hooks run now
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            nones = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, nones, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(g is None for g in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(local[k] for k in self.output_index)

    def _input_grads(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:  # reached the inputs without passing the outputs
            return grads
        assert self.input_index is not None
        res = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = tuple(out)
        self.grad_outputs = None
        return tuple(res[k] for k in self.input_index)


def _untraceable_backward_hooks(module: Any) -> None:
    tracer = _trace.active()
    if tracer is not None:
        tracer.sites.append(_trace.Site(
            _trace.user_frame(), f"a backward hook on {type(module).__name__}",
            "module backward hooks run Python code while gradients are computed, which a "
            "compiled step cannot replay",
            "remove the hook inside the compiled step, or compile with "
            "on_untraceable='eager'"))


# ---------------------------------------------------------------- the call
def call(module: Any, forward: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``module(*args, **kwargs)`` with its hooks and the global ones (``_call_impl``)."""
    d = module.__dict__
    backward_pre = [*GLOBAL.backward_pre.values(), *d["_backward_pre_hooks"].values()]
    full, non_full = [], []
    if d["_backward_hooks"] or GLOBAL.backward:
        for is_full, table in ((GLOBAL.is_full_backward, GLOBAL.backward),
                               (d["_is_full_backward_hook"], d["_backward_hooks"])):
            (full if is_full else non_full).extend(table.values())
    if backward_pre or full or non_full:
        _untraceable_backward_hooks(module)
    forward_hooks = [*GLOBAL.forward.items(), *d["_forward_hooks"].items()]
    kw_ids = (GLOBAL.forward_with_kwargs, d["_forward_hooks_with_kwargs"])
    always_ids = (GLOBAL.forward_always, d["_forward_hooks_always_called"])
    done: set[int] = set()
    result = bw_hook = None
    try:  # (PyTorch's always_call hooks run when anything below raises)
        args, kwargs = _pre_hooks(module, args, kwargs)
        if full or non_full or backward_pre:
            bw_hook = BackwardHook(module, full + non_full, backward_pre)
            args = bw_hook.setup_input_hook(args)
        result = forward(*args, **kwargs)
        for hook_id, hook in forward_hooks:
            done.add(hook_id)
            res = hook(module, args, kwargs, result) if any(hook_id in t for t in kw_ids) \
                else hook(module, args, result)
            if res is not None:
                result = res
    except Exception:
        for hook_id, hook in forward_hooks:
            if hook_id in done or not any(hook_id in t for t in always_ids):
                continue
            try:
                res = hook(module, args, kwargs, result) if any(hook_id in t for t in kw_ids) \
                    else hook(module, args, result)
                if res is not None:
                    result = res
            except Exception as e:  # noqa: BLE001  (PyTorch silences it with a warning)
                warnings.warn("module forward hook with ``always_call=True`` raised an "
                              "exception that was silenced as another error was raised in "
                              f"forward: {e}", stacklevel=2)
        raise
    if bw_hook is not None:
        if not isinstance(result, (Tensor, tuple)):
            warnings.warn("For backward hooks to be called, module output should be a Tensor "
                          f"or a tuple of Tensors but received {type(result)}", stacklevel=2)
        else:
            if non_full:
                _check_non_full(module, args, result)
            result = bw_hook.setup_output_hook(result)
    return result


def _pre_hooks(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    with_kwargs = module.__dict__["_forward_pre_hooks_with_kwargs"]
    for hook_id, hook in (*GLOBAL.forward_pre.items(),
                          *module.__dict__["_forward_pre_hooks"].items()):
        if hook_id in with_kwargs:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {res}.")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    return args, kwargs


def _check_non_full(module: Any, args: tuple, result: Any) -> None:
    """``register_backward_hook`` (non-full) hooks see the gradients of the last autograd
    node's inputs in PyTorch; tenkai gives them the module's inputs, which is the same only
    when the forward records one node whose inputs are the module's tensor inputs."""
    out = result[0] if isinstance(result, tuple) and len(result) == 1 else result
    fn = out.grad_fn if isinstance(out, Tensor) else None
    inputs = {id(a) for a in args if isinstance(a, Tensor) and a.requires_grad}
    nexts = [] if fn is None else [f for f, _ in fn.next_functions if f is not None]
    ok = fn is not None and len(nexts) == len(inputs) and all(
        id(getattr(f, "variable", None)) in inputs
        or any(isinstance(a, Tensor) and a.grad_fn is f for a in args) for f in nexts)
    if not ok:
        raise NotImplementedError(
            f"register_backward_hook on {type(module).__name__}: its forward records more than "
            "one autograd node (or nodes with inputs other than the module's), where PyTorch's "
            "deprecated non-full hook sees only the last node's gradients; tenkai does not "
            "reproduce that. Use register_full_backward_hook.")
