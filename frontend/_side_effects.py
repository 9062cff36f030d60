"""Python side effects inside a traced step: they run once, while tracing, and never on replays.

As with ``torch.compile``, only tensor work becomes part of the compiled graph. While a step
traces, :func:`watch_side_effects` notices

* calls of ``print`` from user code;
* mutating method calls (``append``, ``update``, ``add``...) on containers the function reaches
  through its globals and closure variables (a global list of losses, a dict of counters);
* rebinding of globals / closure variables by the function (``global counter; counter += 1``);
* changed plain attributes of the modules the step called (``self.calls += 1`` in forward);

and warns once per site with a :class:`SideEffectWarning` naming the line and saying it will
not run on replays.
"""

from __future__ import annotations

import builtins
import contextlib
import dis
import linecache
import sys
import types
import warnings
from collections.abc import Iterator
from typing import Any

from . import _trace
from ._guards import code_reads, plain_attrs

_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update",
                       "setdefault", "popitem", "add", "discard", "sort", "reverse",
                       "__setitem__", "__delitem__", "write"})


class SideEffectWarning(UserWarning):
    """A Python side effect in a compiled function ran while tracing and will not replay."""


def _where(frame: Any) -> str:
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} ({line})"


def _reachable(fn: Any) -> tuple[set[int], list[tuple[str, Any, Any]]]:
    """ids of mutable containers the function reaches, and its variables' current values."""
    ids: set[int] = set()
    values = []
    for label, read in code_reads(fn):
        try:
            value = read()
        except ValueError:
            continue
        values.append((label, read, value))
        for obj in [value, *_items(value)]:
            if isinstance(obj, (list, dict, set, bytearray)) or hasattr(obj, "write"):
                ids.add(id(obj))
    return ids, values


def _items(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())[:64]
    if isinstance(value, (list, tuple)):
        return list(value)[:64]
    return []


def _store_lines(fn: Any, name: str, opnames: tuple[str, ...]) -> list[int]:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None:
        return []
    return _lines_in(code, name, opnames)


def _lines_in(code: Any, name: str, opnames: tuple[str, ...]) -> list[int]:
    lines = []
    for ins in dis.get_instructions(code):
        if ins.opname in opnames and ins.argval == name and ins.positions is not None:
            lines.append(ins.positions.lineno)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            lines += _lines_in(const, name, opnames)
    return lines


@contextlib.contextmanager
def watch_side_effects(fn: Any, tracer: _trace.Tracer) -> Iterator[None]:
    """Run the traced call under a profile hook; warn about what will not replay."""
    watched, values = _reachable(fn)
    objects = [(label, obj, plain_attrs(obj)) for label, _, obj in values if _plain_object(obj)]
    sites: dict[str, str] = {}

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event != "c_call" or frame.f_code.co_filename.startswith(_trace.PACKAGE_DIRS):
            return
        if arg is builtins.print:
            sites.setdefault(_where(frame), "print()")
        elif getattr(arg, "__name__", None) in _MUTATORS and \
                id(getattr(arg, "__self__", None)) in watched:
            sites.setdefault(_where(frame), f"{arg.__name__}() on an object that outlives "
                                            "the call")

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
    _rebound(fn, values, sites)
    _module_attrs(tracer, sites)
    _object_attrs(fn, objects, sites)
    name = getattr(fn, "__qualname__", "the function")
    for where, what in sites.items():
        warnings.warn(
            f"tenkai.compile: {where}: {what} in {name} ran while tracing and will NOT run "
            "when the compiled step is replayed (as with torch.compile, Python side effects "
            "are not part of the compiled graph); move it outside the compiled function, or "
            "return the value and act on it outside", SideEffectWarning, stacklevel=6)


def _rebound(fn: Any, values: list[tuple[str, Any, Any]], sites: dict[str, str]) -> None:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    for label, read, old in values:
        try:
            new = read()
        except ValueError:
            continue
        if new is old:
            continue
        var = label.split("'")[1]
        lines = _store_lines(fn, var, ("STORE_GLOBAL", "STORE_DEREF", "STORE_NAME"))
        where = (f"{code.co_filename}:{lines[0]} "
                 f"({linecache.getline(code.co_filename, lines[0]).strip()})"
                 if lines and code is not None else label)
        sites.setdefault(where, f"assignment to {label}")


def _module_attrs(tracer: _trace.Tracer, sites: dict[str, str]) -> None:
    for key, before in tracer.module_attrs.items():
        m = tracer.modules[key]
        after = dict(plain_attrs(m))
        for attr, old in before:
            if attr in after and after[attr] is not old and after[attr] != old:
                forward = type(m).forward
                lines = _store_lines(forward, attr, ("STORE_ATTR",))
                code = forward.__code__
                where = (f"{code.co_filename}:{lines[0]} "
                         f"({linecache.getline(code.co_filename, lines[0]).strip()})"
                         if lines else f"{type(m).__name__}.{attr}")
                sites.setdefault(where, f"change of module attribute '{attr}' "
                                        f"({old!r} -> {after[attr]!r})")


def _plain_object(obj: Any) -> bool:
    """An object whose plain attributes are compared before/after the trace (a scheduler, a
    config object); modules are handled by the tracer, tensors and functions are not."""
    return (isinstance(getattr(obj, "__dict__", None), dict) and not hasattr(obj, "_data")
            and not hasattr(obj, "_parameters")
            and not isinstance(obj, (type, types.ModuleType, types.FunctionType,
                                     types.MethodType, types.BuiltinFunctionType)))


def _object_attrs(fn: Any, objects: list[tuple[str, Any, tuple]],
                  sites: dict[str, str]) -> None:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    where = (f"{code.co_filename}:{code.co_firstlineno} ({fn.__qualname__})" if code
             else repr(fn))
    for label, obj, before in objects:
        after = dict(plain_attrs(obj))
        changed = [f"{k} ({old!r} -> {after[k]!r})" for k, old in before
                   if k in after and after[k] is not old and after[k] != old]
        if changed:
            sites.setdefault(f"{where}, {label}",
                             f"change of attribute(s) {', '.join(changed)} of "
                             f"{type(obj).__name__}")
