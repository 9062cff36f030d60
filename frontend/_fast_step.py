"""The fast path of a compiled step's replay: one generated Python function per specialization.

A replay must check every guard of its specialization (:class:`tenkai._guards.Guard`) and then
feed the live buffers, run the native step and write the state back (:func:`_step.replay`).
Done generically that is a few dozen small calls, dicts and lists per step; :func:`build_fast`
writes the same work for one specialization as straight-line Python source, compiled once with
``compile()``: the call's signature, grad mode, module modes, every fact and the comparisons on
runtime scalars become identity and int compares on objects bound into the function; the
runtime scalars are read once and written into their buffers; each buffer the step feeds is
compared with the object the executable has bound (an array object is checked once by the
runtime, so the same object needs no check) and only a new one is bound; the state updates are
the version bumps they would be; the results are copied out as the generic replay does.

The generated function returns :data:`MISS` when any check fails or cannot be read (before any
effect): the caller then runs the full guard check and the generic replay, which decide, warn
and retrace exactly as without a fast path. The fast path may be stricter than the full check
(``is`` where the full check uses ``==``) but never looser. Past the guard it has the generic
replay's effects in the same order; where a buffer is new and cannot be bound by pointer, or the
executable was rebound by someone else (its ``_epoch`` moved), it runs the generic replay.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from sys import getrefcount
from typing import Any

import numpy as np

from ._autograd import GRAD_MODE
from ._guards import Guard
from ._state import _SCALAR_SOURCES, live_state_ids
from ._step import CompiledStep, replay, scalar_buffers
from ._tensor import Tensor
from .nn.parameter import Parameter

MISS = object()  # what a fast path returns when it does not apply to the call


class _Source:
    """Lines of one generated function and the objects its names stand for."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {"MISS": MISS}
        self._names: dict[int, str] = {}
        self.binding: _Binding | None = None  # the inline replay's view of the bindings
        self.fresh_names: list[str] = []  # globals holding the step's fresh_base counts

    def name(self, obj: Any, hint: str = "c") -> str:
        """A global name of the generated function bound to ``obj`` (one per object)."""
        known = self._names.get(id(obj))
        if known is not None and self.env[known] is obj:
            return known
        name = f"{hint}{len(self.env)}"
        self.env[name] = obj
        self._names[id(obj)] = name
        return name

    def literal(self, obj: Any) -> str:
        """``obj`` written as a literal where it is a str, an int, a finite float or a tuple of
        them (a constant of the code: cheaper than a global), else :meth:`name`. Only for
        operands of ``==``, arithmetic, subscripts and calls: ``is`` takes :meth:`name`."""
        return repr(obj) if _literal(obj) else self.name(obj)

    def add(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + line)

    def miss_unless(self, condition: str, indent: int = 2) -> None:
        self.add(f"if not ({condition}): return MISS", indent)

    def function(self, label: str) -> Any:
        text = "def fast(args):\n" + "\n".join(self.lines) + "\n"
        namespace = dict(self.env)
        exec(compile(text, f"<tenkai fast step {label}>", "exec"), namespace)  # noqa: S102
        fast = namespace["fast"]
        fast.source = text  # for debugging: print(step.fast.source)
        return fast


def _literal(obj: Any) -> bool:
    kind = type(obj)
    return (kind is str or kind is int or (kind is float and math.isfinite(obj))
            or (kind is tuple and all(map(_literal, obj))))


def build_fast(step: CompiledStep, args: tuple, signature: Callable[[tuple], tuple]) -> Any:
    """The fast path of ``step`` (see the module docstring), built after a replay of it with
    ``args`` (so the executable has bound every buffer); ``signature`` is the full check's
    (``compile.signature``), used as it is for arguments on another device. Past the guard,
    a step that is not a native CPU step (the interpreter, another target) or needs what
    only the generic replay does (hooks, arguments written back) runs :func:`_step.replay`."""
    src = _Source()
    src.add("try:")
    _signature(src, step.guard, args, signature)
    _guard(src, step.guard)
    scalars = _scalars(src, step.guard, step.scalars)
    src.add("except Exception:")
    src.add("return MISS", 2)
    inline = _inline_replay(src, step, scalars)
    if not inline:  # (the generic replay checks the step's .grad tensors itself)
        src.add(f"return {src.name(replay)}({src.name(step)}, args)")
    fast = src.function(getattr(step.graph, "name", "step"))
    fast.binding = src.binding
    fast.fresh_names = src.fresh_names
    return fast


# ---------------------------------------------------------------- the guard


def _signature(src: _Source, guard: Guard, args: tuple,
               signature: Callable[[tuple], tuple]) -> None:
    """The checks of ``compile.signature(args) == guard.args``, one per argument."""
    n = len(guard.args)
    src.miss_unless(f"len(args) == {n}")
    if not n:
        return
    src.add(", ".join(f"a{k}" for k in range(n)) + ("," if n == 1 else "") + " = args", 2)
    for k, (entry, a) in enumerate(zip(guard.args, args, strict=True)):
        kind, arg = entry[0], f"a{k}"
        if kind == "tensor":
            if type(a._data) is not np.ndarray:  # another device's array: the full check
                src.miss_unless(f"{src.name(signature)}(args) == {src.name(guard.args)}")
                return
            _, shape, _, requires_grad = entry
            src.miss_unless(f"type({arg}) is {src.name(type(a), 'T')}")
            src.add(f"d{k} = {arg}._data", 2)
            src.miss_unless(f"type(d{k}) is {src.name(np.ndarray)} and d{k}.shape == "
                            f"{src.literal(shape)} and d{k}.dtype is {src.name(a._data.dtype)}")
            # a leaf that requires grad may be optimizer state: the full check decides
            src.miss_unless(f"{arg}.requires_grad and not {arg}.is_leaf" if requires_grad
                            else f"{arg}._node is None or not {arg}.requires_grad")
        elif kind == "state":
            src.miss_unless(f"{arg} is {src.name(a, 'P')} and {arg}.requires_grad and "
                            f"{arg}.is_leaf")
            if not isinstance(a, Parameter):
                src.miss_unless(f"id({arg}) in {src.name(live_state_ids)}()")
        else:
            value = src.name(entry[2], "v")
            src.miss_unless(f"type({arg}) is {src.name(type(a), 'T')} and "
                            f"({arg} is {value} or {arg} == {value})")


def _guard(src: _Source, guard: Guard) -> None:
    """Grad mode, argument .grad presence, module modes and every fact."""
    src.miss_unless(f"{src.name(GRAD_MODE)}.enabled is {bool(guard.grad_mode)}")
    for k, had in guard.arg_grads:
        src.miss_unless(f"a{k}._grad is {'not ' if had else ''}None")
    for _, module, flag in guard.modules:
        src.miss_unless(f"{src.name(module, 'M')}.training is {bool(flag)}")
    covered: set[int] = set()
    for fact in guard.facts:
        if fact.covered_by is not None:
            test = fact.covered_by
            if id(test) not in covered:
                covered.add(id(test))
                src.miss_unless(test.test.format(**{k: src.literal(v)
                                                    for k, v in test.env.items()}))
            continue
        names = {key: src.literal(value) for key, value in fact.env.items()}
        if fact.test is not None:
            src.miss_unless(fact.test.format(**names))
            continue
        read = (f"{src.name(fact.read, 'r')}()" if fact.source is None
                else fact.source.format(**names))
        if fact.expected is True or fact.expected is False or fact.expected is None:
            src.miss_unless(f"{read} is {fact.expected}")  # (stricter for == True)
            continue
        expected = src.name(fact.expected, "e")
        if fact.same:
            src.miss_unless(f"{read} is {expected}")
        else:
            src.add(f"v = {read}", 2)
            src.miss_unless(f"v is {expected} or v == {expected}")


def _scalars(src: _Source, guard: Guard, step_scalars: list[str]) -> dict[str, str]:
    """Read every runtime scalar the step or its predicates use (once), then check the
    predicates; returns the local variable of each scalar."""
    local: dict[str, str] = {}
    groups: dict[tuple[int, int], str] = {}
    for name in dict.fromkeys([*step_scalars, *guard._scalar_names]):
        ref, gi, key, index = _SCALAR_SOURCES[name]
        group = groups.get((id(ref()), gi))
        if group is None:  # a collected optimizer: ref() is None, the read raises (a miss)
            group = groups[id(ref()), gi] = f"g{len(groups)}"
            src.add(f"{group} = {src.name(ref, 'R')}().param_groups[{gi}]", 2)
        var = local[name] = f"s{len(local)}"
        item = "" if index is None else f"[{index}]"
        src.add(f"{var} = float({group}[{src.literal(key)}]{item})", 2)
    for left, op, right, result in guard.predicates:  # (floats compared: a bool)
        test = f"{_expr(src, left, local)} {op} {_expr(src, right, local)}"
        src.miss_unless(test if result else f"not ({test})")
    return local


def _divide(a: float, b: float) -> float:
    return a / b if b else float("inf")  # as _trace.evaluate


_BINARY = {"add": "+", "sub": "-", "mul": "*", "pow": "**"}


def _expr(src: _Source, expr: tuple, local: dict[str, str]) -> str:
    """A TracedScalar expression as Python source (as :func:`_trace.evaluate` computes it)."""
    kind = expr[0]
    if kind == "input":
        return local[expr[1]]
    if kind == "const":
        return src.literal(expr[1])
    if kind == "neg":
        return f"(-{_expr(src, expr[1], local)})"
    if kind == "abs":
        return f"abs({_expr(src, expr[1], local)})"
    a, b = _expr(src, expr[1], local), _expr(src, expr[2], local)
    if kind == "div":
        return f"{src.name(_divide)}({a}, {b})"
    return f"({a} {_BINARY[kind]} {b})"



# ---------------------------------------------------------------- the replay


def _inline_replay(src: _Source, step: CompiledStep, scalars: dict[str, str]) -> bool:
    """The replay of a native CPU step written out (False: the step needs the generic one:
    hooks, arguments or their .grad written back, a validated or profiled program)."""
    from .compiler.backend import NativeStep

    program, io = step.program, step.io
    exe = getattr(program, "executable", None)
    if (type(program) is not NativeStep or program.validator is not None
            or program.stats["calls"] < program.profile_calls or not hasattr(exe, "run_bound")
            or step.before_replay or io.writes or io.grad_writes or io.grad_clears
            or step.aot is not None):
        return False
    captured = dict(step.captured)
    if any(captured.get(exe.writes.get(index)) is not tensor for index, tensor in step.writes):
        return False  # a state update that is not its tensor's own buffer
    feeds = ([(name, f"a{k}._data") for name, k in io.feeds]
             + [(name, f"a{k}._grad._data") for name, k in io.grad_feeds]
             + [(name, f"{src.name(t, 't')}._data") for name, t in step.captured])
    data = src.name(getattr)
    for j, use in enumerate(step.rng):  # drawn below, as the generic replay draws them
        for part, node in enumerate((use.seed_node, use.offset_node)):
            feeds.append((step.graph.node_name(node), f"{data}(r[{j}][{part}], '_data', "
                                                      f"r[{j}][{part}])"))
    buffers = scalar_buffers(step)
    fixed = [(name, buffers[name]) for name in step.scalars]
    names, bound, epoch = [name for name, _ in feeds], [None] * len(feeds), [-1]
    binding = src.binding = _Binding(step, exe, names, bound, epoch, fixed)
    binding.refresh()
    _fresh_grads(src, step)
    block = src.name(memoryview(step.scalar_block), "S")
    for j, name in enumerate(step.scalars):
        src.add(f"{block}[{j}] = {scalars[name]}")
    draws = "None"
    if step.rng:  # taken once: a fallback to the generic replay feeds these same draws
        src.add("r = [" + ", ".join(
            f"{src.name(use.generator, 'G')}.take({src.name(use.count, 'n')})"
            for use in step.rng) + "]")
        draws = "r"
    e, b, slow = src.name(exe, "E"), src.name(bound, "B"), src.name(binding.slow)
    src.add(f"if {e}._epoch != {src.name(epoch)}[0]: return {slow}(args, {draws})")
    rebind = src.name(binding.rebind)
    for j, (_, source) in enumerate(feeds):
        src.add(f"x = {source}")
        src.add(f"if x is not {b}[{j}] and not {rebind}({j}, x): "
                f"return {slow}(args, {draws})")
    src.add(f"{src.name(program.stats)}['calls'] += 1")
    _native_call(src, exe, e)
    for _, tensor in step.writes:  # updated in place by the native step (checked above)
        src.add(f"{src.name(tensor, 't')}._vc[0] += 1")
    for owner, attr, tensor in step.rebinds:
        o, t = src.name(owner, "o"), src.name(tensor, "t")
        if attr == "grad" and isinstance(owner, Tensor):
            src.add(f"if {o}._grad is not {t}: {o}.grad = {t}")
        else:
            src.add(f"setattr({o}, {src.literal(attr)}, {t})")
    src.add(f"return {_result(src, step.result_spec, step.result_grads)}")
    return True


def _native_call(src: _Source, exe: Any, e: str) -> None:
    """``outs = exe.run_bound()`` written out (:meth:`CPUExecutable.native_call`: every
    binding is by pointer here, the epoch check above saw to it)."""
    parts = exe.native_call() if hasattr(exe, "native_call") else None
    if parts is None:
        src.add(f"outs = {e}.run_bound()")
        return
    fn, address, status, stats = parts
    if status is not None:
        src.add(f"{src.name(status, 'W')}[0] = 0")
    src.add(f"{src.name(fn, 'F')}({address})")
    src.add(f"{src.name(stats)}['calls'] += 1")
    if status is not None:
        src.add(f"if {src.name(status, 'W')}[0]: {e}._raise_status()")
    src.add(f"outs = {e}._outs or {e}._outputs()")


def _fresh_grads(src: _Source, step: CompiledStep) -> None:
    """The check of :func:`_step.grads_escaped` written out: a new .grad tensor of the step
    (or its buffer) held outside it runs the generic replay, which gives the step new ones.
    The counts are globals (``fresh_names``) that :func:`_step.count_fresh_grads` sets."""
    # (a .grad it overwrites in place, ``step.kept``, was read first: the guard holds its
    # identity, so another .grad there is a miss before this check)
    tests, count = [], src.name(getrefcount)
    base = step.fresh_base or [-1] * (2 * len(step.fresh))  # unknown: always the generic one
    for j, k in enumerate(step.fresh):
        owner, _, tensor = step.rebinds[k]
        o, t = src.name(owner, "o"), src.name(tensor, "t")
        kt, kd = f"fresh{2 * j}", f"fresh{2 * j + 1}"
        src.env[kt], src.env[kd] = base[2 * j], base[2 * j + 1]
        src.fresh_names += [kt, kd]
        tests.append(f"{count}({t}) - ({o}._grad is {t}) > {kt} or {count}({t}._data) > {kd}")
    if tests:
        src.add(f"if {' or '.join(tests)}: return {src.name(replay)}({src.name(step)}, args)")


def _result(src: _Source, spec: Any, grads: list[Any]) -> str:
    """The expression that builds the step's result (as :func:`_step.unflatten`; a result
    with history as :func:`_step.history_maker` makes it)."""
    kind, payload = spec
    if kind == "tensor":
        make = grads[payload] if grads else None
        return f"{src.name(Tensor._make if make is None else make)}(outs[{payload}].copy())"
    if kind in ("tuple", "list"):
        items = [_result(src, s, grads) for s in payload]
        if kind == "list":
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if kind == "dict":
        return "{" + ", ".join(f"{src.literal(k)}: {_result(src, s, grads)}"
                               for k, s in payload.items()) + "}"
    return src.name(payload)


class _Binding:
    """What the generated replay knows of the executable's bindings: ``bound[j]`` is the
    object bound to feed ``names[j]`` while ``exe._epoch == epoch[0]`` (-1: unknown)."""

    def __init__(self, step: CompiledStep, exe: Any, names: list[str], bound: list[Any],
                 epoch: list[int], fixed: list[tuple[str, Any]]) -> None:
        self.step, self.exe, self.names, self.bound, self.epoch = step, exe, names, bound, epoch
        self.fixed = fixed  # (name, buffer): fed the same object every call

    def refresh(self) -> None:
        """Read the bindings back after a generic replay bound them."""
        exe = self.exe
        self.epoch[0] = -1
        if not exe.by_pointer or any(exe.bound(n) is not b for n, b in self.fixed):
            return  # per-call copies, or the fixed buffers not bound: the generic replay
        for j, name in enumerate(self.names):
            self.bound[j] = exe.bound(name)
        self.epoch[0] = exe._epoch

    def rebind(self, j: int, arr: Any) -> bool:
        """Bind a new object to feed j (checked by the runtime); False when it needs the
        generic replay (a per-call copy)."""
        if self.exe.bind_one(self.names[j], arr):
            self.bound[j] = arr
            self.epoch[0] = self.exe._epoch
            return True
        self.epoch[0] = -1
        return False

    def slow(self, args: tuple, draws: list[tuple[Any, Any]] | None) -> Any:
        """The generic replay (the guard held, the .grad tensors checked) with the random
        draws already taken, then read the bindings back."""
        out = replay(self.step, args, draws, check=False)
        self.refresh()
        return out
