"""Naming and classifying the persistent state a traced step touches: module parameters and
buffers, gradients, optimizer state, and the learning rates that stay runtime inputs."""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _trace

LIVE_OPTIMIZERS: weakref.WeakSet = weakref.WeakSet()
_SCALAR_SOURCES: dict[str, tuple[weakref.ref, int, str]] = {}


def register_optimizer(opt: Any) -> None:
    """Called by ``Optimizer.__init__`` so compiled steps can find hyperparameters/state.

    Its serial is the smallest one no live optimizer holds: the runtime scalars' names
    (``lr.opt0.group0``) are part of the compile cache key, so a script that builds its
    optimizer after an earlier one was dropped (a second run in one process, a benchmark's
    reference copy) still finds the step another process compiled."""
    taken = {o._tenkai_serial for o in LIVE_OPTIMIZERS}
    opt.__dict__["_tenkai_serial"] = next(k for k in itertools.count() if k not in taken)
    LIVE_OPTIMIZERS.add(opt)


def _optimizers() -> list[Any]:
    return sorted(LIVE_OPTIMIZERS, key=lambda o: o._tenkai_serial)


def optimizer_tag(opt: Any, traced: dict[int, Any]) -> str:
    """How state names refer to an optimizer: ``optimizer`` when it is the only one the trace
    stepped (``traced``: the tracer's optimizers), else ``optimizer<serial>``.

    It depends only on what the trace did, never on how many optimizers happen to be alive
    (that changes with garbage collection, and the names are part of the compile cache key)."""
    if len(traced) == 1 and id(opt) in traced:
        return "optimizer"
    return f"optimizer{opt._tenkai_serial}"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@contextlib.contextmanager
def traced_hyperparameters() -> Iterator[None]:
    """Replace every numeric option of every optimizer group (``lr``, ``momentum``, ``betas``,
    ``eps``, ``weight_decay``...) by a TracedScalar for the duration of a trace, so each stays
    a runtime input of the compiled step (schedulers of any of them need no retrace)."""
    saved = []
    for opt in _optimizers():
        for gi, group in enumerate(opt.param_groups):
            for key, value in list(group.items()):
                if _is_number(value):
                    traced = _traced(opt, gi, key, None, value)
                elif isinstance(value, tuple) and value and all(map(_is_number, value)):
                    traced = tuple(_traced(opt, gi, key, i, v) for i, v in enumerate(value))
                else:
                    continue
                saved.append((group, key, value, traced))
                group[key] = traced
    try:
        yield
    finally:
        for group, key, value, traced in saved:
            now = group.get(key)
            if now is traced:
                group[key] = value
            elif isinstance(now, _trace.TracedScalar):  # the step assigned one (a scheduler)
                group[key] = float.__float__(now)


def _traced(opt: Any, gi: int, key: str, index: int | None, value: Any) -> Any:
    name = f"{key}{'' if index is None else index}.opt{opt._tenkai_serial}.group{gi}"
    _SCALAR_SOURCES[name] = (weakref.ref(opt), gi, key, index)
    plain = float.__float__(value) if isinstance(value, float) else float(value)
    return _trace.TracedScalar(plain, ("input", name))


def scalar_floats(names: list[str]) -> dict[str, float]:
    """Current values of runtime scalars (optimizer options), as Python floats."""
    out = {}
    for name in names:
        ref, gi, key, index = _SCALAR_SOURCES[name]
        opt = ref()
        if opt is None:
            raise RuntimeError(f"tenkai.compile: the optimizer behind '{name}' no longer exists")
        value = opt.param_groups[gi][key]
        out[name] = float(value if index is None else value[index])
    return out


def scalar_values(names: list[str]) -> dict[str, np.ndarray]:
    """Current values of runtime scalars for one replay (0-d float64 arrays)."""
    return {k: np.asarray(v, dtype=np.float64) for k, v in scalar_floats(names).items()}


def fingerprint() -> dict[int, tuple]:
    """Which optimizer state exists, per optimizer: a trace that changes it created state."""
    sig: dict[int, tuple] = {}
    for opt in _optimizers():
        sig[opt._tenkai_serial] = tuple(
            (id(p), tuple(sorted(opt.state.get(p, {}).keys())))
            for group in opt.param_groups for p in group["params"])
    return sig


def state_created(before: dict[int, tuple], after: dict[int, tuple]) -> bool:
    """True when an optimizer alive before and after gained or lost state entries (optimizers
    collected or created meanwhile do not count)."""
    return any(before[k] != after[k] for k in before.keys() & after.keys())


@dataclass
class StateNames:
    """What the trace touched, classified: updated state, new state, and problems."""

    names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> state name
    updated: list[tuple[Any, str]] = field(default_factory=list)
    new_state: list[tuple[Any, str, Any, str]] = field(default_factory=list)
    untraceable: list[_trace.Site] = field(default_factory=list)
    module_names: dict[int, str] = field(default_factory=dict)

    def module_name(self, module: Any) -> str:
        return self.module_names.get(id(module), type(module).__name__)


def roots(modules: list[Any]) -> list[Any]:
    inner = {id(sub) for m in modules for sub in m.modules() if sub is not m}
    return [m for m in modules if id(m) not in inner]


def _name_modules(tracer: _trace.Tracer, names: StateNames) -> dict[int, Any]:
    params: dict[int, Any] = {}
    roots_ = roots(list(tracer.modules.values()))
    for k, root in enumerate(roots_):
        prefix = "" if len(roots_) == 1 else f"{type(root).__name__}{k}."
        for sub_name, sub in root.named_modules():
            names.module_names[id(sub)] = prefix + (sub_name or type(root).__name__)
        for name, p in root.named_parameters():
            names.names[id(p)] = prefix + name
            params[id(p)] = p
        for name, b in root.named_buffers():
            names.names[id(b)] = prefix + name
    return params


def _name_optimizers(names: StateNames, params: dict[int, Any],
                     traced: dict[int, Any]) -> None:
    for opt in _optimizers():
        tag = optimizer_tag(opt, traced)
        index = 0
        for group in opt.param_groups:
            for p in group["params"]:
                names.names.setdefault(id(p), f"{tag}.param.{index}")
                params[id(p)] = p
                for key, value in opt.state.get(p, {}).items():
                    if hasattr(value, "_data"):
                        names.names[id(value)] = f"{tag}.state.{index}.{key}"
                index += 1


def name_state(tracer: _trace.Tracer) -> StateNames:
    """Name captured tensors by where they live and sort them into updated/new/untraceable."""
    names = StateNames()
    params = _name_modules(tracer, names)
    _name_optimizers(names, params, tracer.optimizers)
    for k, c in enumerate(tracer.captured.values()):
        t = c.tensor  # a leaf that requires grad (a global w): a parameter in all but name
        if id(t) not in params and t.requires_grad and t.is_leaf and id(t) not in names.names:
            names.names[id(t)] = f"captured{k}"
            params[id(t)] = t
    for p in params.values():
        if p._grad is not None:
            names.names[id(p._grad)] = names.names[id(p)] + ".grad"
    captured_ids = {id(c.tensor) for c in tracer.captured.values()}
    for c in tracer.captured.values():
        name = names.names.get(id(c.tensor))
        if name is not None:
            tracer.graph.nx.nodes[c.node]["name"] = name
        if tracer.node_of.get(id(c.tensor._data)) == c.node:
            continue  # read only
        if name is None:
            names.untraceable.append(_trace.Site(
                tracer.writes_at.get(c.node, "<unknown>"),
                "in-place mutation of a captured tensor that is not a parameter, buffer, "
                "gradient or optimizer state",
                "the compiled step only writes back model and optimizer state",
                "make the tensor a registered buffer (module.register_buffer) or pass it "
                "as an argument and return the new value"))
        else:
            names.updated.append((c.tensor, name))
    for p in params.values():
        grad = p._grad
        if grad is not None and id(grad) not in captured_ids and \
                id(grad._data) in tracer.node_of:
            names.new_state.append((p, "grad", grad, names.names[id(grad)]))
    return names


def live_state_ids() -> set[int]:
    """ids of the tensors a compiled step treats as persistent state when passed as arguments:
    the parameters of live optimizers."""
    return {id(p) for opt in list(LIVE_OPTIMIZERS) for group in opt.param_groups
            for p in group["params"]}
