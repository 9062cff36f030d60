"""Python side effects inside a traced step: they run once, while tracing, and never on replays.

As with ``torch.compile``, only tensor work becomes part of the compiled graph. While a step
traces, :func:`watch_side_effects` notices

* calls of ``print`` from user code;
* mutating method calls (``append``, ``update``, ``add``...) on containers the function reaches
  through its globals and closure variables (a global list of losses, a dict of counters);
* rebinding of globals / closure variables by the function (``global counter; counter += 1``);
* changed plain attributes of the modules the step called (``self.calls += 1`` in forward);

and records them (``tracer.side_effects``: where -> what). A replay runs only the compiled
graph, so a step with such effects would not mean what it means uncompiled (a scheduler that
never steps again, a log that stops growing): :class:`~tenkai.compile.CompiledFunction` runs
such a function eagerly from then on, with one :class:`SideEffectWarning` naming each line and
the fix, as ``torch.compile`` falls back to Python at a graph break (``fullgraph=True``: an
error instead).
"""

from __future__ import annotations

import builtins
import contextlib
import dis
import linecache
import random
import sys
import types
from collections.abc import Iterator
from typing import Any

from . import _trace
from ._guards import code_reads, plain_attrs

_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update",
                       "setdefault", "popitem", "add", "discard", "sort", "reverse",
                       "__setitem__", "__delitem__", "write"})


class SideEffectWarning(UserWarning):
    """A compiled function has Python side effects a replay cannot repeat: it runs eagerly."""


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
def watch_side_effects(fn: Any, tracer: _trace.Tracer, args: tuple = ()) -> Iterator[None]:
    """Run the traced call under a profile hook; record in ``tracer.side_effects`` (where ->
    what) the effects a replay would not repeat."""
    watched, values = _reachable(fn)
    objects = [(label, obj, plain_attrs(obj)) for label, _, obj in values if _plain_object(obj)]
    # modules known before the call: their attributes at the start of the call, so that a
    # change the function makes and undoes (``with ddp.no_sync():``) is no net effect
    start = {id(sub): dict(plain_attrs(sub))
             for root in [*(obj for _, _, obj in values), *args] if hasattr(root, "_parameters")
             for sub in root.modules()}
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
    tracer.profile_hook = hook
    try:
        yield
    finally:
        tracer.profile_hook = None
        _restore_profiler(previous)
    _rebound(fn, values, sites)
    _module_attrs(tracer, start, sites)
    _object_attrs(fn, objects, sites)
    tracer.side_effects = sites


def _restore_profiler(previous: Any) -> None:
    """Put back the profiler that was active before the trace. ``cProfile`` installs itself in
    C and ``sys.getprofile()`` returns its ``Profile`` object, which is not callable (so
    ``sys.setprofile`` refuses it): its ``enable()`` installs it again, its statistics kept
    (the traced call itself is missing from them: only one hook can run)."""
    if previous is None or callable(previous):
        sys.setprofile(previous)
    elif callable(getattr(previous, "enable", None)):
        previous.enable()
    else:
        sys.setprofile(None)


def python_random_state() -> tuple:
    """The state of Python's ``random`` and of numpy's global generator (``numpy.random``'s
    legacy ``RandomState``: its key, position and cached normal, so that every draw shows),
    or None for numpy's when ``numpy.random`` is not imported yet: importing it only to
    read its state costs ~40 ms of every first trace (a disk-cache hit's largest cost)."""
    module = sys.modules.get("numpy.random")
    if module is None:
        return random.getstate(), None
    _, key, pos, has_gauss, gauss = module.get_state(legacy=True)
    return random.getstate(), (key.tobytes(), pos, has_gauss, gauss)


def python_random_used(before: tuple) -> bool:
    """Whether the traced call drew from Python's or numpy's global generators since
    ``before`` (:func:`python_random_state`). When ``numpy.random`` was first imported during
    the call, its generator was seeded then: position 624 and no cached normal is that fresh
    state (a draw of exactly a multiple of 624 words would look the same)."""
    after = python_random_state()
    if after[0] != before[0]:
        return True
    if after[1] is None:
        return False
    if before[1] is None:
        return after[1][1] != 624 or bool(after[1][2])
    return after[1] != before[1]


def side_effects_message(fn: Any, sites: dict[str, str], fullgraph: bool) -> str:
    """What a compiled function does that a replay would not repeat, and the fixes."""
    name = getattr(fn, "__qualname__", "the function")
    report = "\n".join(f"  {k + 1}. {where}: {what}"
                       for k, (where, what) in enumerate(sites.items()))
    then = ("fullgraph=True asks for one compiled graph, so this is an error" if fullgraph
            else f"{name} runs eagerly (uncompiled) from now on, so that every call does what "
                 "it does uncompiled")
    return (f"tenkai.compile: {name} has Python side effects that a compiled replay would NOT "
            f"repeat (a replay runs only the traced tensor graph):\n{report}\n{then}. To "
            "compile it, move them outside the compiled function (e.g. call sched.step() "
            "after the compiled step) or return the values and act on them outside.")


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


def _module_attrs(tracer: _trace.Tracer, start: dict[int, dict[str, Any]],
                  sites: dict[str, str]) -> None:
    for key, first_call in tracer.module_attrs.items():
        m = tracer.modules[key]
        after = dict(plain_attrs(m))
        before = start[key].items() if key in start else first_call
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
