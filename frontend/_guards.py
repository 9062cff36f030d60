"""Guards of a compiled step: every Python-level fact a trace depended on.

A trace is only valid while what it read stays the same. :func:`build_guard` records, at the
end of a trace, one :class:`Fact` per such fact, and a call replays only when all hold
(:meth:`Guard.matches`); otherwise the step retraces and :meth:`Guard.explain` says what
changed, old vs new. What is guarded (docs/compiler.md lists the same):

* the call: tensor arguments' shapes, dtypes, ``requires_grad`` and whether their ``.grad``
  exists; parameters passed as arguments by identity; other arguments by value; grad mode;
  the default dtype;
* modules the step called: ``training``, the identity of every parameter, buffer and
  submodule they hold (a replaced ``model[0].weight`` or ``model[0]``), their plain Python
  attributes (numbers, strings, tuples...), ``requires_grad`` of every parameter;
* every captured tensor's shape and dtype (its values are read live at each replay, so
  in-place changes and ``.data`` rebinding with the same layout need no retrace);
* the ``.grad`` of each tensor whose ``.grad`` the step read before writing it: ``None``, or
  which tensor (gradient accumulation reads and updates that one);
* optimizers whose ``step()`` ran: the number of param groups, the parameters of each group
  (``add_param_group``), their non-numeric options (``nesterov``, ``amsgrad``...), and the
  identity of each parameter's state tensors (``load_state_dict`` replaces them). Numeric
  options (``lr``, ``momentum``, ``betas``, ``eps``...) are runtime inputs instead; the outcome
  of every comparison the step made on them (``if momentum != 0``) is a guard (a
  :class:`~tenkai._trace.TracedScalar` records it), and so is the exact value of one used as a
  plain number (``float(lr)``) or an op attribute;
* globals and closure variables the traced function itself loads (``LOAD_GLOBAL`` /
  ``LOAD_DEREF``, also in nested code objects, and in plain Python functions it calls by a
  global name, two levels deep): numbers, strings and small containers of them by value,
  anything else (tensors, modules, functions) by identity; the plain fields of config
  objects among them (``SimpleNamespace``, ``argparse.Namespace``, dataclass instances) by
  value.
"""

from __future__ import annotations

import argparse
import dataclasses
import dis
import functools
import itertools
import operator
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _trace
from ._dtype import get_default_dtype
from ._state import optimizer_tag, roots

_PLAIN = (int, float, complex, str, bytes, bool, type(None))


@dataclass(eq=False)
class FastTest:
    """A boolean expression (placeholders as :attr:`Fact.source`) that is true only when every
    fact it covers holds; it may use the local ``_t`` as a temporary."""

    test: str
    env: dict[str, Any]


@dataclass
class Fact:
    """``read()`` must still give ``expected`` (``is`` when ``same``, else ``==``)."""

    label: str
    read: Callable[[], Any]
    expected: Any
    same: bool = False
    text: str | None = None  # the disk-cache key text, when ``expected`` holds object ids
    # ``read`` as a Python expression, for the generated check of a replay's fast path
    # (frontend/_fast_step.py): ``{name}`` placeholders stand for the objects in ``env`` (a
    # str, int, float or tuple of them as a literal: so never an operand of ``is``); it must
    # compute what ``read()`` returns. None: the check calls ``read``.
    source: str | None = None
    env: dict[str, Any] = field(default_factory=dict)
    # or a boolean expression (same placeholders) that is true only when the fact holds; it
    # may be stricter than ``holds()`` (``is`` for ``==``): a fast path that misses falls back
    # to the full check
    test: str | None = None
    # a test shared by several facts (checked once for all of them), in place of ``test``
    covered_by: FastTest | None = None

    def holds(self) -> bool:
        try:
            value = self.read()
        except Exception:  # noqa: BLE001 - a fact that cannot be read no longer holds
            return False
        return value is self.expected or (not self.same and value == self.expected)

    def change(self) -> str:
        try:
            now = _show(self.read())
        except Exception as err:  # noqa: BLE001
            now = f"<{type(err).__name__}>"
        if self.same:
            return f"{self.label} was replaced ({_show(self.expected)} -> {now})"
        return f"{self.label}: {_show(self.expected)} -> {now}"

    def key(self) -> str:
        """The fact as text without object ids (part of the disk-cache key)."""
        if self.text is not None:
            return f"{self.label}={self.text}"
        return self.label if self.same else f"{self.label}={self.expected!r}"


def _show(value: Any) -> str:
    if hasattr(value, "_data") and hasattr(value, "shape"):
        return f"<tensor {list(value.shape)} at {id(value):#x}>"
    if isinstance(value, _PLAIN + (tuple, list)):
        text = repr(value)
        return text if len(text) < 80 else text[:77] + "..."
    return f"<{type(value).__name__} at {id(value):#x}>"


@dataclass
class Guard:
    """What a trace assumed: argument signature, grad mode, module modes, facts, and the
    outcomes of comparisons on runtime scalars."""

    args: tuple
    grad_mode: bool
    modules: tuple[tuple[str, Any, bool], ...] = ()
    facts: list[Fact] = field(default_factory=list)
    predicates: list[tuple] = field(default_factory=list)
    scalars: Callable[[list[str]], dict[str, float]] | None = None
    keep: list[Any] = field(default_factory=list)  # objects whose ids the signature holds
    arg_grads: tuple[tuple[int, bool], ...] = ()  # (argument, had .grad) where it was read

    def __post_init__(self) -> None:
        self._check = _compile_checks(self.facts)
        self._scalar_names = sorted(set().union(*(
            _trace.expr_inputs(p[0]) | _trace.expr_inputs(p[2]) for p in self.predicates)))
        self._passed: tuple | None = None  # scalar values the predicates last held for

    def matches(self, sig: tuple, grad_mode: bool, args: tuple) -> bool:
        """True when the call satisfies every guard (the replay path: kept cheap, mostly
        C-level readers and identity compares)."""
        if self.args != sig or self.grad_mode != grad_mode:
            return False
        for k, had in self.arg_grads:
            if (args[k]._grad is not None) != had:
                return False
        for _, m, flag in self.modules:
            if m.training != flag:
                return False
        try:
            if not self._check():
                return False
        except Exception:  # noqa: BLE001 - a fact that cannot be read no longer holds
            return False
        return not self.predicates or self._predicates_hold()

    def _predicates_hold(self) -> bool:
        try:
            values = self.scalars(self._scalar_names) if self.scalars else {}
        except (RuntimeError, LookupError, TypeError, ValueError):
            return False
        key = tuple(values.values())
        if key == self._passed:
            return True
        if self._failed_predicates():
            return False
        self._passed = key
        return True

    def _failed_predicates(self) -> list[str]:
        try:
            values = self.scalars(self._scalar_names) if self.scalars else {}
        except (RuntimeError, LookupError, TypeError, ValueError) as err:
            return [f"runtime scalars unreadable ({err})"]
        out = []
        for left, op, right, result in self.predicates:
            a, b = _trace.evaluate(left, values), _trace.evaluate(right, values)
            if _trace._COMPARE[op](a, b) != result:
                out.append(f"{_expr_text(left)} {op} {_expr_text(right)}: {result} -> "
                           f"{not result} (now {a!r} vs {b!r})")
        return out

    def explain(self, sig: tuple, grad_mode: bool, args: tuple = ()) -> list[str]:
        """Human-readable differences between this guard and a new call."""
        out = []
        for k, (old, new) in enumerate(zip(self.args, sig, strict=False)):
            if old != new:
                out.append(f"argument {k}: {describe(old)} -> {describe(new)}")
        if len(self.args) != len(sig):
            out.append(f"number of arguments: {len(self.args)} -> {len(sig)}")
        for k, had in self.arg_grads:
            if k < len(args) and (args[k]._grad is not None) != had:
                out.append(f"argument {k}.grad: {'tensor' if had else 'None'} -> "
                           f"{'None' if had else 'tensor'}")
        if self.grad_mode != grad_mode:
            out.append(f"grad mode: {self.grad_mode} -> {grad_mode}")
        for name, m, flag in self.modules:
            if m.training != flag:
                out.append(f"{name}.training: {flag} -> {m.training}")
        out += [f.change() for f in self.facts if not f.holds()]
        return out + (self._failed_predicates() if self.predicates else [])

    def keys(self) -> list[str]:
        """The guard set as text without ids (enters the disk-cache key)."""
        return ([f.key() for f in self.facts] + [f"{n}.training={t}" for n, _, t in self.modules]
                + [f"argument {k}.grad exists={had}" for k, had in self.arg_grads]
                + [f"{_expr_text(a)} {op} {_expr_text(b)} is {r}"
                   for a, op, b, r in self.predicates])


def _compile_checks(facts: list[Fact]) -> Callable[[], bool]:
    """One function testing every fact in a single expression (no per-fact loop or call
    overhead beyond the reader itself); raises when a reader does."""
    terms = []
    for k, f in enumerate(facts):
        terms.append(f"r{k}() is e{k}" if f.same else f"((v := r{k}()) is e{k} or v == e{k})")
    params = ", ".join(f"r{k}=r{k}, e{k}=e{k}" for k in range(len(facts)))
    source = (f"def check({params}):\n    return " + (" and ".join(terms) or "True") + "\n")
    namespace = {f"r{k}": f.read for k, f in enumerate(facts)}
    namespace.update({f"e{k}": f.expected for k, f in enumerate(facts)})
    exec(compile(source, "<tenkai guards>", "exec"), namespace)  # noqa: S102 - our own text
    return namespace["check"]


def _expr_text(expr: tuple) -> str:
    kind = expr[0]
    if kind in ("input", "const"):
        return str(expr[1])
    if kind in ("neg", "abs"):
        return f"{kind}({_expr_text(expr[1])})"
    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}[kind]
    return f"({_expr_text(expr[1])} {sym} {_expr_text(expr[2])})"


def describe(sig: Any) -> str:
    """One argument's signature entry, for messages."""
    if isinstance(sig, tuple) and sig and sig[0] == "tensor":
        _, shape, dtype, rg = sig
        return f"tensor {list(shape)} {dtype}" + (" requires_grad" if rg else "")
    if isinstance(sig, tuple) and sig and sig[0] == "state":
        return f"parameter/state tensor at {sig[1]:#x}"
    return repr(sig)


# ---------------------------------------------------------------- building the facts


def _layout(t: Any) -> tuple:
    """A captured tensor's shape, dtype and device (None: the CPU; a cuda tensor's storage
    names its GPU): a parameter moved between devices retraces, as eager would change."""
    data = t._data
    return data.shape, data.dtype, None if type(data) is np.ndarray else data.tk_device


_grad_of = operator.attrgetter("_grad")
_requires_grad = operator.attrgetter("requires_grad")


def _module_facts(name: str, m: Any, out: list[Fact]) -> None:
    d = m.__dict__
    for kind in ("_parameters", "_buffers", "_modules"):
        for key, obj in d[kind].items():
            out.append(Fact(f"{name}.{key}", functools.partial(d[kind].get, key), obj, True,
                            source="{d}[{key}]", env={"d": d[kind], "key": key}))
    keys = [k for k, _ in plain_attrs(m)]
    if keys:
        get = _attrs_reader(keys)
        read = functools.partial(get, d)
        out.append(Fact(f"{name} attributes {keys}", read, read(), source="{get}({d})",
                        env={"get": get, "d": d}))
    for key, p in d["_parameters"].items():
        if p is not None:
            out.append(Fact(f"{name}.{key}.requires_grad",
                            functools.partial(_requires_grad, p), p.requires_grad,
                            source="{p}.requires_grad", env={"p": p}))


def _attrs_reader(keys: list[str]) -> Callable[[dict], Any]:
    """A C-level reader of ``keys`` from a dict (always a tuple)."""
    if len(keys) == 1:
        get = operator.itemgetter(keys[0])
        return lambda d: (get(d),)
    return operator.itemgetter(*keys)


def plain_attrs(m: Any) -> tuple:
    """A module's plain-valued attributes (``self.scale = 2.0``), as a comparable tuple."""
    return tuple((k, v) for k, v in m.__dict__.items()
                 if k != "training" and isinstance(v, _PLAIN))


def _group_params(opt: Any, gi: int) -> tuple:
    return tuple(map(id, opt.param_groups[gi]["params"]))


def _group_options(opt: Any, gi: int, keys: list[str] | None = None) -> tuple:
    group = opt.param_groups[gi]
    if keys is None:  # at trace time: which options are not runtime scalars
        keys = [k for k, v in group.items()
                if k not in ("params", "param_names") and not _numeric(v)]
    return tuple(zip(keys, _attrs_reader(keys)(group), strict=True)) if keys else ()


def _numeric(v: Any) -> bool:
    if isinstance(v, tuple):
        return bool(v) and all(_numeric(x) for x in v)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_EMPTY: dict = {}


def _state_ids(opt: Any, p: Any) -> tuple:
    return tuple(map(id, opt.state.get(p, _EMPTY).values()))


def _optimizer_facts(tag: str, opt: Any, out: list[Fact], keep: list[Any]) -> None:
    out.append(Fact(f"{tag}: number of param_groups",
                    lambda: len(opt.param_groups), len(opt.param_groups),
                    source="len({o}.param_groups)", env={"o": opt}))
    state_test = _state_test(opt)
    for gi, group in enumerate(opt.param_groups):
        keep += group["params"]
        params = tuple(group["params"])
        out.append(Fact(f"{tag}.param_groups[{gi}] parameters",
                        functools.partial(_group_params, opt, gi), _group_params(opt, gi),
                        text=f"{len(group['params'])} tensors", test=_params_test(params),
                        env={"o": opt, "gi": gi, "n": len(params), "is_": operator.is_,
                             "params": params, **{f"p{k}": p for k, p in enumerate(params)}}))
        options = _group_options(opt, gi)
        keys = [k for k, _ in options]
        read = functools.partial(_group_options, opt, gi, keys)
        get = _attrs_reader(keys) if keys else None
        out.append(Fact(f"{tag}.param_groups[{gi}] options", read, options,
                        test=_options_test(options),
                        env={"o": opt, "gi": gi, "get": get,
                             "values": tuple(v for _, v in options),
                             **{f"k{j}": k for j, (k, _) in enumerate(options)},
                             **{f"v{j}": v for j, (_, v) in enumerate(options)}}))
        for k, p in enumerate(group["params"]):
            state = opt.state.get(p, {})
            keep += list(state.values())
            out.append(Fact(f"{tag}.state of param_groups[{gi}] parameter {k} ({list(state)})",
                            functools.partial(_state_ids, opt, p), _state_ids(opt, p),
                            text="same tensors", covered_by=state_test))


def _params_test(params: tuple) -> str:
    """The fast test that a group holds ``params``: item by item when they are few."""
    test = "len(_t := {o}.param_groups[{gi}]['params']) == {n} and "
    if len(params) > 8:
        return test + "all(map({is_}, _t, {params}))"
    return test + " and ".join(f"_t[{k}] is {{p{k}}}" for k in range(len(params)))


def _options_test(options: tuple) -> str:
    """The fast test of a group's non-numeric options: key by key where each is None, a bool
    (``is``: stricter than the full check's ``==``) or a str (``==``), else all at once as the
    full check compares them."""
    if not options:
        return "True"
    if len(options) > 12 or not all(v is None or type(v) in (bool, str) for _, v in options):
        return "{get}({o}.param_groups[{gi}]) == {values}"
    tests = [f"_t[{{k{j}}}] is {v}" if v is None or v is True or v is False
             else f"_t[{{k{j}}}] == {{v{j}}}" for j, (_, v) in enumerate(options)]
    return " and ".join(tests).replace("_t", "(_t := {o}.param_groups[{gi}])", 1)


def _state_test(opt: Any) -> FastTest:
    """One test that ``opt.state`` holds what it holds now: the same keys in the same order,
    each with a dict of the same objects (implies every per-parameter state fact)."""
    state = opt.state
    if not state:
        return FastTest("not {o}.state", {"o": opt})
    if not all(type(v) is dict for v in state.values()):
        return FastTest("False", {})  # the per-parameter facts decide
    return FastTest(
        "len(_t := {o}.state) == {n} and all(map({is_}, _t, {keys})) and "
        "tuple(map(len, _t.values())) == {lens} and "
        "all(map({is_}, {chain}(map({values}, _t.values())), {objects}))",
        {"o": opt, "n": len(state), "is_": operator.is_, "keys": tuple(state),
         "lens": tuple(map(len, state.values())), "chain": itertools.chain.from_iterable,
         "values": dict.values, "objects": tuple(x for v in state.values() for x in v.values())})


def snapshot(value: Any, depth: int = 0) -> Any:
    """A comparable copy of a plain value or small container of plain values; ``None``-marker
    ``_OPAQUE`` when it holds anything else (then it is guarded by identity)."""
    if isinstance(value, _PLAIN):
        return value
    if depth < 3 and isinstance(value, (tuple, list, set, frozenset, dict)) and len(value) <= 32:
        items = value.items() if isinstance(value, dict) else value
        if isinstance(value, (set, frozenset)):
            items = sorted(value, key=repr)
        out = []
        for item in items:
            s = snapshot(item, depth + 1)
            if s is _OPAQUE:
                return _OPAQUE
            out.append(s)
        return (type(value).__name__, tuple(out))
    return _OPAQUE


_OPAQUE = object()


def _config_object(value: Any) -> bool:
    """A namespace or dataclass instance: the usual holders of a step's Python settings."""
    return (isinstance(value, (types.SimpleNamespace, argparse.Namespace))
            or (dataclasses.is_dataclass(value) and not isinstance(value, type)
                and isinstance(getattr(value, "__dict__", None), dict)))


def _read_global(namespace: dict, name: str) -> Any:
    return namespace.get(name, _MISSING)


def _read_cell(cell: Any) -> Any:
    return cell.cell_contents


_MISSING = object()


def _variable_fact(label: str, read: Callable[[], Any]) -> Fact:
    value = read()
    snap = snapshot(value)
    source, env = _reader_source(read)
    if snap is _OPAQUE:
        return Fact(label, read, value, True, source=source, env=env)
    if isinstance(value, _PLAIN):
        return Fact(label, read, value, source=source, env=env)
    return Fact(label, lambda: snapshot(read()), snap)


def _reader_source(read: Callable[[], Any]) -> tuple[str | None, dict[str, Any]]:
    """``read`` (a reader of :func:`code_reads`) as a Fact source, or None."""
    func, args = getattr(read, "func", None), getattr(read, "args", ())
    if func is _read_global:
        return "{ns}.get({name}, {missing})", {"ns": args[0], "name": args[1],
                                               "missing": _MISSING}
    if func is _read_cell:
        return "{cell}.cell_contents", {"cell": args[0]}
    return None, {}


def code_reads(fn: Any) -> list[tuple[str, Callable[[], Any]]]:
    """``(label, reader)`` for each global/closure variable ``fn`` loads (see module doc)."""
    out: list[tuple[str, Callable[[], Any]]] = []
    seen: set[tuple[int, str]] = set()
    _collect_reads(fn, out, seen, 0)
    return out


def _collect_reads(fn: Any, out: list, seen: set, depth: int) -> None:
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None or code.co_filename.startswith(_trace.PACKAGE_DIRS):
        return
    namespace = fn.__globals__
    cells = dict(zip(code.co_freevars, fn.__closure__ or (), strict=False))
    for name, kind in _loaded_names(code):
        if kind == "global" and name in namespace and (id(namespace), name) not in seen:
            seen.add((id(namespace), name))
            out.append((f"global '{name}'", functools.partial(_read_global, namespace, name)))
            value = namespace[name]
            if depth < 2 and isinstance(value, types.FunctionType):
                _collect_reads(value, out, seen, depth + 1)
        elif kind == "cell" and name in cells and (id(cells[name]), name) not in seen:
            seen.add((id(cells[name]), name))
            try:
                _read_cell(cells[name])
            except ValueError:
                continue  # not yet assigned
            out.append((f"closure variable '{name}'", functools.partial(_read_cell,
                                                                         cells[name])))


def _loaded_names(code: Any) -> list[tuple[str, str]]:
    names = []
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.append((ins.argval, "global"))
        elif ins.opname in ("LOAD_DEREF", "LOAD_CLASSDEREF"):
            names.append((ins.argval, "cell"))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _loaded_names(const)
    return names


def build_facts(fn: Any, tracer: _trace.Tracer, names: Any, keep: list[Any]) -> list[Fact]:
    """Every fact the trace depended on (the call's own signature is checked separately)."""
    facts = [Fact("default dtype", get_default_dtype, get_default_dtype())]
    if tracer.modules:  # a hook added or removed since changes what calling them means
        facts.append(Fact("module hooks", functools.partial(operator.getitem,
                                                            _trace.HOOKS_VERSION, 0),
                          _trace.HOOKS_VERSION[0], text="unchanged", source="{v}[0]",
                          env={"v": _trace.HOOKS_VERSION}))
    for root in roots(list(tracer.modules.values())):
        for _, sub in root.named_modules():
            _module_facts(names.module_name(sub), sub, facts)
    for label, read in code_reads(fn):
        facts.append(_variable_fact(label, read))
        value = read()
        keys = [k for k, _ in plain_attrs(value)] if _config_object(value) else []
        if keys:  # a config object (namespace, dataclass): its plain fields by value
            get = _attrs_reader(keys)
            attrs = functools.partial(get, value.__dict__)
            facts.append(Fact(f"{label} attributes {keys}", attrs, attrs(),
                              source="{get}({d})", env={"get": get, "d": value.__dict__}))
    for c in tracer.captured.values():
        name = names.names.get(id(c.tensor), "a captured tensor")
        shape, dtype, device = layout = _layout(c.tensor)
        test = ("type(_t := {t}._data) is {kind}" if device is None
                else "(_t := {t}._data).tk_device == {dev}") + (
            " and _t.shape == {shape} and _t.dtype is {dtype}")
        facts.append(Fact(f"{name} shape/dtype/device", functools.partial(_layout, c.tensor),
                          layout, test=test,
                          env={"t": c.tensor, "shape": shape, "dtype": dtype, "dev": device,
                               "kind": np.ndarray}))
    args = tracer.arg_index
    for tensor, read, grad in tracer.grad_touch.values():
        if read and id(tensor) not in args:  # arguments: in the signature
            label = f"{names.names.get(id(tensor), 'a tensor')}.grad"
            facts.append(Fact(label, functools.partial(_grad_of, tensor), grad, True,
                              source="{t}._grad", env={"t": tensor}))
            keep.append(tensor)
    for opt in tracer.optimizers.values():
        _optimizer_facts(optimizer_tag(opt, tracer.optimizers), opt, facts, keep)
    return facts


