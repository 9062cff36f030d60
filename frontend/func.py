"""``tenkai.func``: PyTorch's function transforms over tenkai's autograd, for the simple cases.

* :func:`grad`, :func:`grad_and_value`, :func:`vjp`, :func:`jvp`, :func:`jacrev`,
  :func:`jacfwd`, :func:`hessian`: built on ``tenkai.autograd`` (reverse mode; ``jvp`` and
  ``jacfwd`` use the double-vjp identity), with ``create_graph`` so that they nest
  (``grad(grad(f))``).
* :func:`vmap`: runs the function once per index of the mapped dims and stacks the results.
  It means what PyTorch's vmap means for functions without in-place updates of captured
  tensors and without randomness (``randomness="error"`` is not checked), at the speed of a
  Python loop, not a batched kernel.
* :func:`functional_call`: a module's forward with other parameter and buffer tensors.

Example::

    >>> import tenkai as torch
    >>> torch.func.grad(lambda x: (x ** 3).sum())(torch.tensor([2.0]))
    tensor([12.])
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from . import _shape
from ._tensor import Tensor
from .autograd import _core
from .autograd import functional as _F

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "vjp", "vmap"]


def _argnums(argnums: int | tuple[int, ...], n: int, fn: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError(f"{fn}(f, argnums): argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs")
    return tuple(a % n for a in nums)


def _tracked(args: tuple, nums: tuple[int, ...]) -> list:
    out = list(args)
    for a in nums:
        if not isinstance(out[a], Tensor):
            raise RuntimeError(f"grad: argument {a} must be a Tensor, got "
                               f"{type(out[a]).__name__}")
        out[a] = out[a].detach().requires_grad_(True) if not out[a].requires_grad \
            else out[a].view_as(out[a])
    return out


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """``f -> (grad of f w.r.t. args[argnums], f(args))`` for a scalar-valued ``f``."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), "grad_and_value")
        with _core.enable_grad():
            ins = _tracked(args, nums)
            result = func(*ins, **kwargs)
            out, aux = result if has_aux else (result, None)
            if has_aux and not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError("grad_and_value(f)(*args): output of function f should be a "
                                   "tuple: (output, aux) if has_aux is True")
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor, got tensor with "
                                   f"{out.dim() if isinstance(out, Tensor) else '?'} dims. "
                                   "Maybe you wanted to use the vjp or jacrev APIs instead?")
            wrt = [ins[a] for a in nums]
            grads = _core.grad(out, wrt, create_graph=True, allow_unused=True,
                               materialize_grads=True)
        g = grads[0] if isinstance(argnums, int) else grads
        return (g, (out, aux)) if has_aux else (g, out)
    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """``f -> grad of f`` w.r.t. ``args[argnums]`` (``f`` returns a one-element tensor)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` gives one gradient per primal."""
    with _core.enable_grad():
        ins = _tracked(primals, tuple(range(len(primals))))
        result = func(*ins)
        out, aux = result if has_aux else (result, None)

    def vjp_fn(*cotangents: Any) -> tuple:
        outs = out if isinstance(out, (tuple, list)) else (out,)
        cts = cotangents if isinstance(out, (tuple, list)) else cotangents[:1]
        return _core.grad(list(outs), ins, grad_outputs=list(cts), retain_graph=True,
                          create_graph=True, allow_unused=True, materialize_grads=True)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents)`` (forward-mode product, via two vjps)."""
    if has_aux:
        raise NotImplementedError("tenkai.func.jvp: has_aux=True is not supported yet")
    out, product = _F.jvp(func, tuple(primals), tuple(tangents), create_graph=True)
    return out, product


def _jacobian(func: Callable, argnums: int | tuple[int, ...], name: str,
              has_aux: bool) -> Callable:
    if has_aux:
        raise NotImplementedError(f"tenkai.func.{name}: has_aux=True is not supported yet")

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = _argnums(argnums, len(args), name)

        def partial(*chosen: Tensor) -> Any:
            full = list(args)
            for a, t in zip(nums, chosen, strict=True):
                full[a] = t
            return func(*full)
        jac = _F.jacobian(partial, tuple(args[a] for a in nums), create_graph=True)
        return jac[0] if isinstance(argnums, int) else jac
    return wrapper


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    return _jacobian(func, argnums, "jacrev", has_aux)


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    return _jacobian(func, argnums, "jacfwd", has_aux)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------- vmap


def _flatten(tree: Any) -> tuple[list, Callable[[list], Any]]:
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        sizes = [len(p[0]) for p in parts]

        def build(leaves: list) -> Any:
            out, start = [], 0
            for (_, b), n in zip(parts, sizes, strict=True):
                out.append(b(leaves[start:start + n]))
                start += n
            return type(tree)(out)
        return [x for p in parts for x in p[0]], build
    if isinstance(tree, dict):
        keys = list(tree)
        flat, build = _flatten([tree[k] for k in keys])
        return flat, lambda leaves: dict(zip(keys, build(leaves), strict=True))
    return [tree], lambda leaves: leaves[0]


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over dim ``in_dims`` of its inputs (None: not mapped), the results
    stacked along ``out_dims`` (see the module docstring for what this vmap is)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             f"compatible with the structure of `inputs`. in_dims has "
                             f"{len(dims)} elements, but inputs has {len(args)} elements")
        size = None
        mapped: list[list[tuple[Tensor | Any, int | None]]] = []
        for arg, d in zip(args, dims, strict=True):
            leaves, _ = _flatten(arg)
            ds = [d] * len(leaves) if not isinstance(d, (tuple, list, dict)) \
                else _flatten(d)[0]
            row = []
            for leaf, dd in zip(leaves, ds, strict=True):
                if dd is not None:
                    if not isinstance(leaf, Tensor):
                        raise ValueError(f"vmap(f, in_dims={in_dims}, ...): Got in_dim={dd} "
                                         f"for an input but the input is of type "
                                         f"{type(leaf).__name__}. We cannot vmap over "
                                         "non-Tensor arguments")
                    n = leaf.shape[dd]
                    if size is not None and n != size:
                        raise ValueError("vmap: Expected all tensors to have the same size in "
                                         f"the mapped dimension, got sizes {size} and {n} for "
                                         "the mapped dimension")
                    size = n
                row.append((leaf, dd))
            mapped.append(row)
        if size is None:
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...): at least one input must be "
                             "mapped over (got all in_dims None)")
        results = []
        for i in range(size):
            call = []
            for arg, row in zip(args, mapped, strict=True):
                _, build = _flatten(arg)
                call.append(build([leaf[(slice(None),) * (dd % leaf.dim()) + (i,)]
                                   if dd is not None else leaf for leaf, dd in row]))
            results.append(func(*call, **kwargs))
        flat0, build = _flatten(results[0])
        outs = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(flat0)
        columns = [[_flatten(r)[0][j] for r in results] for j in range(len(flat0))]
        stacked = [_shape.stack(col, dim=od) if od is not None else col[0]
                   for col, od in zip(columns, outs, strict=True)]
        return build(stacked)
    return wrapper


# ---------------------------------------------------------------- functional_call


@contextlib.contextmanager
def _swapped(module: Any, tensors: dict[str, Tensor]) -> Iterator[None]:
    saved = []
    try:
        for name, value in tensors.items():
            *path, leaf = name.split(".")
            owner = module
            for p in path:
                owner = getattr(owner, p)
            table = next((t for t in ("_parameters", "_buffers")
                          if leaf in owner.__dict__[t]), None)
            if table is None:
                raise AttributeError(f"functional_call: the module has no parameter or buffer "
                                     f"named '{name}'")
            saved.append((owner.__dict__[table], leaf, owner.__dict__[table][leaf]))
            owner.__dict__[table][leaf] = value
        yield
    finally:
        for table, leaf, old in reversed(saved):
            table[leaf] = old


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the named parameters/buffers replaced by the given
    tensors (the module is unchanged afterwards)."""
    dicts = parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts,
                                                      (tuple, list)) \
        else [parameter_and_buffer_dicts]
    merged: dict[str, Tensor] = {}
    for d in dicts:
        dup = set(merged) & set(d)
        if dup:
            raise ValueError(f"{sorted(dup)[0]} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        merged.update(d)
    if strict:
        expected = {n for n, _ in module.named_parameters()} | \
            {n for n, _ in module.named_buffers()}
        missing, unexpected = expected - set(merged), set(merged) - expected
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: "
                               f"missing keys {sorted(missing)}, unexpected keys "
                               f"{sorted(unexpected)}")
    call_args = args if isinstance(args, tuple) else (() if args is None else (args,))
    with _swapped(module, merged):
        return module(*call_args, **(kwargs or {}))
