"""One compiled specialization of a traced step: building it from a finished trace
(:func:`finish_trace`) and replaying it (:func:`replay`).

A replay reads and writes the live frontend tensors: arguments and captured state are fed by
buffer, state updates (``graph.meta["writes"]``) are copied back into parameters, gradients,
optimizer state and BatchNorm statistics, arguments mutated in place are written back, and
arguments that require grad get their ``.grad`` (created, or accumulated into, as eager).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import getrefcount
from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError

from . import _trace
from ._autograd import FREED_MESSAGE, check_saved, plan_for
from ._gradfn import display_name
from ._guards import Guard, build_facts
from ._node import GRAD_MODE, NO_BACKWARD, Node, collect, is_function_output
from ._state import StateNames, scalar_floats, scalar_values
from ._tensor import Tensor


@dataclass
class ArgIO:
    """How a replay feeds the arguments and writes them back (indices are positions in the
    call's ``args``; ``out`` indices are graph outputs)."""

    feeds: list[tuple[str, int]] = field(default_factory=list)  # input node name, arg index
    grad_feeds: list[tuple[str, int]] = field(default_factory=list)  # ... of args[k].grad
    writes: list[tuple[int, int]] = field(default_factory=list)  # out, arg (in-place mutation)
    grad_writes: list[tuple[int, int, bool]] = field(default_factory=list)  # out, arg, new?
    grad_clears: list[int] = field(default_factory=list)  # args whose .grad the step cleared


@dataclass
class CompiledStep:
    """One traced-and-compiled specialization of the function."""

    guard: Guard
    program: Any  # backend callable: feeds dict -> list of arrays
    graph: Any
    io: ArgIO
    captured: list[tuple[str, Tensor]]
    scalars: list[str]
    rng: list[Any]
    result_spec: Any
    n_results: int
    writes: list[tuple[int, Tensor]]
    rebinds: list[tuple[Tensor, str, Tensor]]
    compile_seconds: dict[str, float] = field(default_factory=dict)
    # run before each replay, as the traced call ran them before any traced op read the state
    # they touch (DistributedDataParallel's broadcast of buffers from rank 0)
    before_replay: list[Any] = field(default_factory=list)
    # one 0-d float64 buffer per runtime scalar, refilled by every replay (so the native step
    # sees the same array object each call and binds it once): views of one block, in the
    # order of ``scalars`` (see :func:`scalar_buffers`)
    scalar_buffers: dict[str, np.ndarray] = field(default_factory=dict)
    scalar_block: np.ndarray | None = None
    # the generated fast path of a replay (frontend/_fast_step.py): ``fast(args)`` replays
    # or returns ``MISS``; None until built, False where it is not used
    fast: Any = None
    # per result tensor: None (no history, as traced) or what makes the replayed result with
    # its history (:func:`history_maker` of :func:`result_history`)
    result_grads: list[Any] = field(default_factory=list)
    # the .grad tensors the step makes anew (zero_grad(set_to_none=True) inside): indices into
    # ``rebinds``, and per index the reference counts of the tensor (less its owner's .grad)
    # and of its buffer when only the step's own structures hold them (None: not known yet);
    # see :func:`fresh_grads`
    fresh: list[int] = field(default_factory=list)
    fresh_base: list[int] | None = None
    # the .grad tensors the step overwrites that existed before it (zero_grad(set_to_none=
    # False) inside): indices into ``rebinds``; a replay writes the owner's current .grad
    kept: list[int] = field(default_factory=list)
    # results that a replay connects to a compiled backward (_compiled_backward.plan_aot)
    aot: dict[str, Any] | None = None


def scalar_buffers(step: CompiledStep) -> dict[str, np.ndarray]:
    """The step's runtime-scalar buffers by name (made on first use): 0-d views of
    ``step.scalar_block``, one float64 per name of ``step.scalars``."""
    if step.scalar_block is None:
        block = np.zeros(len(step.scalars), dtype=np.float64)
        step.scalar_buffers = {name: block[k:k + 1].reshape(())
                               for k, name in enumerate(step.scalars)}
        step.scalar_block = block
    return step.scalar_buffers


def flatten(result: Any, out: list[Tensor]) -> Any:
    """A spec of ``result``'s structure; the tensors it holds are appended to ``out``."""
    if isinstance(result, Tensor):
        out.append(result)
        return ("tensor", len(out) - 1)
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, [flatten(r, out) for r in result])
    if isinstance(result, dict):
        return ("dict", {k: flatten(v, out) for k, v in result.items()})
    return ("value", result)


def unflatten(spec: Any, values: list[Tensor]) -> Any:
    kind, payload = spec
    if kind == "tensor":
        return values[payload]
    if kind in ("tuple", "list"):
        items = [unflatten(s, values) for s in payload]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: unflatten(s, values) for k, s in payload.items()}
    return payload


def _arg_io(tracer: _trace.Tracer, args: tuple) -> ArgIO:
    """Feeds and write-backs of the arguments; adds the write-back outputs to the graph."""
    g, io = tracer.graph, ArgIO()
    for k, nid in tracer.arg_nodes.items():
        a = args[k]
        io.feeds.append((g.node_name(nid), k))
        if tracer.node_of.get(id(a._data)) != nid:  # mutated in place by the step
            io.writes.append((len(g.outputs), k))
            g.add_output(tracer.node_for(a))
    for k, nid in tracer.arg_grad_nodes.items():
        io.grad_feeds.append((g.node_name(nid), k))
    for k in tracer.arg_nodes:
        touch = tracer.grad_touch.get(id(args[k]))
        if touch is None:
            continue  # .grad untouched by the step
        grad, before = args[k]._grad, tracer.arg_grad_nodes.get(k)
        if grad is None:
            io.grad_clears.append(k)
            continue
        nid = tracer.node_of.get(id(grad._data))
        if nid is None or nid == before:
            continue  # not computed by the step (or unchanged)
        # accumulated into the .grad it had (read first): in place; otherwise a new tensor
        fresh = not (before is not None and grad is touch[2])
        io.grad_writes.append((len(g.outputs), k, fresh))
        g.add_output(nid)
    return io


def _arg_grads(tracer: _trace.Tracer) -> tuple[tuple[int, bool], ...]:
    """(argument, had .grad) for each tensor argument whose .grad the step read first."""
    out = []
    for tensor, read, grad in tracer.grad_touch.values():
        k = tracer.arg_index.get(id(tensor))
        if read and k is not None:
            out.append((k, grad is not None))
    return tuple(sorted(out))


def finish_trace(fn: Any, tracer: _trace.Tracer, names: StateNames, result: Any,
                 args: tuple, sig: tuple, grad_mode: bool) -> CompiledStep:
    """Add the graph's outputs (results, then state updates, then argument write-backs),
    collect what a replay needs and the guard; the returned step has no program yet."""
    g = tracer.graph
    tensors: list[Tensor] = []
    spec = flatten(result, tensors)
    for t in tensors:
        g.add_output(tracer.node_for(t))
    writes, rebinds, meta_writes = [], [], {}
    for tensor, name in names.updated:
        meta_writes[len(g.outputs)] = name
        writes.append((len(g.outputs), tensor))
        g.add_output(tracer.node_for(tensor))
    captured = [(g.node_name(c.node), c.tensor) for c in tracer.captured.values()]
    for owner, attr, tensor, name in names.new_state:
        # state born in this step (a gradient after zero_grad(set_to_none=True)): the tensor
        # becomes a persistent buffer of its own, written by every replay
        value = tracer.node_for(tensor)
        g.add("param", shape=g.shape(value), dtype=g.dtype(value), name=name)
        captured.append((name, tensor))
        meta_writes[len(g.outputs)] = name
        writes.append((len(g.outputs), tensor))
        rebinds.append((owner, attr, tensor))
        g.add_output(value)
    io = _arg_io(tracer, args)
    g.meta["writes"] = meta_writes
    keep = [a for a, s in zip(args, sig, strict=True) if s[0] == "state"]
    predicates = list(dict.fromkeys(tracer.predicates))
    guard = Guard(sig, grad_mode, tuple((names.module_name(m), m, m.training)
                                        for m in tracer.modules.values()),
                  build_facts(fn, tracer, names, keep), predicates, scalar_floats, keep,
                  _arg_grads(tracer))
    g.meta["guards"] = guard.keys()
    step = CompiledStep(guard, None, g, io, captured, list(tracer.scalars), tracer.rng, spec,
                        len(tensors), writes, rebinds)
    name = getattr(fn, "__name__", "the function")
    histories = [result_history(t, name) for t in tensors]
    aot = [k for k, h in enumerate(histories) if h is AOT]
    if aot and (writes or rebinds or io.writes or io.grad_writes or io.grad_clears):
        # the step also updates state: a recomputed forward would read the updated values
        histories = [("CompiledFunctionBackward", no_history(name)) if h is AOT
                     else h for h in histories]
    elif aot:
        from ._compiled_backward import plan_aot

        step.aot = plan_aot(step, args, sig, aot)
    step.result_grads = [None if h is None or h is AOT else history_maker(*h)
                         for h in histories]
    return _fresh_and_kept(step, tracer, rebinds)


def drop_aot(step: CompiledStep, fn_name: str) -> None:
    """Replays of ``step`` cannot run a compiled backward (a step on a GPU, a distributed
    step): their results with history raise the clear error of :data:`NO_HISTORY`."""
    if step.aot is None:
        return
    for k in step.aot["results"]:
        step.result_grads[k] = history_maker("CompiledFunctionBackward",
                                             no_history(fn_name))
    step.aot = None


def _fresh_and_kept(step: CompiledStep, tracer: Any, rebinds: list) -> CompiledStep:
    """Sort the .grad tensors the step rebinds into ``step.fresh`` and ``step.kept``."""
    for k, (owner, attr, t) in enumerate(rebinds):
        if attr == "grad" and isinstance(owner, Tensor) and type(t._data) is np.ndarray:
            touch = tracer.grad_touch.get(id(owner))  # (owner, read first?, .grad before)
            (step.kept if touch is not None and touch[2] is t else step.fresh).append(k)
    return step


# ---------------------------------------------------------------- fresh gradients
#
# With ``opt.zero_grad()`` (set_to_none=True) inside the step, every eager step gives each
# parameter a NEW .grad tensor: one the user kept from an earlier step keeps its values. A
# replay writes the gradient into one persistent buffer instead (bound to the native step by
# pointer) and rebinds ``p.grad`` to the same tensor. So that a kept reference is never
# overwritten, each replay first checks whether anything besides the step's own structures
# holds the tensor or its buffer (their reference counts above what they were when only the
# step held them: a kept ``p.grad``, a ``p.grad.detach()``, a view, a ``.numpy()``); if so
# the step takes a new tensor and buffer (copy on escape) and the old ones stay with whoever
# holds them, as in eager mode. Nobody holding them, the replay costs two refcount reads per
# gradient. The traced tensor was seen by the user, so the first replay always takes new ones.
#
# A .grad that existed before the step and that the step overwrites in place (zero_grad(
# set_to_none=False), then backward) stays the same object in eager mode: a replay writes into
# whatever tensor is the owner's .grad when it starts (one the user assigned in between is
# adopted; after ``p.grad = None`` the step takes a new one, as eager's backward makes one).


def grads_escaped(step: CompiledStep) -> bool:
    """Whether a .grad tensor the step makes anew (or its buffer) is held outside the step,
    or the owner of one it overwrites has another .grad now."""
    base, rebinds = step.fresh_base, step.rebinds
    for k in step.kept:
        if rebinds[k][0]._grad is not rebinds[k][2]:
            return True
    if not step.fresh:
        return False
    if base is None:
        return True
    for j, k in enumerate(step.fresh):
        # no local names for the tensor or its buffer: counted as the fast path counts them
        if (getrefcount(rebinds[k][2]) - (rebinds[k][0]._grad is rebinds[k][2]) > base[2 * j]
                or getrefcount(rebinds[k][2]._data) > base[2 * j + 1]):
            return True
    return False


def take_fresh_grads(step: CompiledStep) -> None:
    """Give the step a new tensor and buffer for each of its new .grad tensors held outside
    it (every one when nothing is known yet), and the owner's current .grad for each it
    overwrites (see above); the step forgets the old ones."""
    base, rebinds = step.fresh_base, step.rebinds
    for k in step.kept:
        owner, attr, old = rebinds[k]
        now = owner._grad
        if now is old:
            continue
        if (now is None or type(now._data) is not np.ndarray or now.shape != old.shape
                or now._data.dtype != old._data.dtype):
            now = type(old)._make(np.array(old._data, copy=True))
        _retarget(step, k, now)
    for j, k in enumerate(step.fresh):
        owner, attr, old = rebinds[k]
        if (base is not None and getrefcount(old) - 1 - (owner._grad is old) <= base[2 * j]
                and getrefcount(old._data) <= base[2 * j + 1]):
            continue  # (the local name ``old`` holds one more reference to the tensor)
        _retarget(step, k, type(old)._make(np.array(old._data, copy=True)))
    if step.fresh:
        step.fresh_base = None


def _retarget(step: CompiledStep, k: int, new: Tensor) -> None:
    """Make ``new`` the tensor the step writes and rebinds in place of ``rebinds[k]``'s."""
    owner, attr, old = step.rebinds[k]
    step.rebinds[k] = (owner, attr, new)
    step.captured = [(n, new if t is old else t) for n, t in step.captured]
    step.writes = [(i, new if t is old else t) for i, t in step.writes]
    fast = step.fast
    if fast:  # the generated replay names the tensor: rebind its global
        names = fast.__globals__
        for name in [name for name, value in names.items() if value is old]:
            names[name] = new


def count_fresh_grads(step: CompiledStep) -> None:
    """Record the reference counts of the step's .grad tensors and buffers as they are now,
    when only the step holds them (right after :func:`take_fresh_grads` and the replay that
    bound the new buffers, before the caller sees them); the generated fast path reads them
    from its globals (see :func:`_fast_step.build_fast`)."""
    rebinds, base = step.rebinds, []
    fast = step.fast
    if fast and getattr(fast, "binding", None) is not None:
        fast.binding.refresh()  # the bindings it knows hold the new buffers
    for k in step.fresh:
        base.append(getrefcount(rebinds[k][2]) - (rebinds[k][0]._grad is rebinds[k][2]))
        base.append(getrefcount(rebinds[k][2]._data))
    step.fresh_base = base
    if fast and getattr(fast, "fresh_names", None):
        for name, value in zip(fast.fresh_names, base, strict=True):
            fast.__globals__[name] = value


TRAIN_STEP_EXAMPLE = (  # the fix that error messages about compiled training show
    "    @tenkai.compile\n"
    "    def train_step(x, y):\n"
    "        opt.zero_grad()\n"
    "        loss = loss_fn(model(x), y)\n"
    "        loss.backward()\n"
    "        opt.step()\n"
    "        return loss\n")

NO_HISTORY = (
    "tenkai.compile: a result of a replayed call of {fn} has no gradient history: the "
    "compiled function does not run its own backward, and its replays cannot run a compiled "
    "backward graph for it (it also updates state, as BatchNorm's running statistics in "
    "training mode; or its graph holds a custom autograd.Function; or it runs on a GPU or "
    "across processes). Only the call that traced it can be differentiated. To train "
    "compiled, compile the whole training step (forward, loss, backward, optimizer step):"
    "\n\n{example}\nor call the function uncompiled where you need its gradients.")



def no_history(fn_name: str) -> str:
    """:data:`NO_HISTORY` for the compiled function ``fn_name``."""
    return NO_HISTORY.format(fn=fn_name, example=TRAIN_STEP_EXAMPLE)

def result_history(tensor: Tensor, fn_name: str) -> tuple[str, str] | None:
    """What a replayed copy of the traced result ``tensor`` carries: None when it has no
    gradient history; else its grad_fn's name and the error a backward through it raises.

    A step that ran its own backward (``retain_graph=False``) freed the graph, so eager's
    backward through the result raises "Trying to backward through the graph a second
    time..." (checked here as the eager engine checks it); a result whose graph is intact
    gets a compiled backward graph (:data:`AOT`), except through a custom autograd.Function
    (:data:`NO_HISTORY`: a clear error instead of a silent wrong gradient)."""
    node = tensor._node
    if node is None or node.op is None or not node.requires_grad:
        return None  # a leaf, an autograd.Function output or no grad: kept as traced
    name = display_name(node)
    try:
        freed = _backward_error(node)
    except AutogradError as err:
        return name, str(err)
    if freed is not None:
        return name, freed
    if any(is_function_output(n) for n in collect([node])):
        return "CompiledFunctionBackward", no_history(fn_name)
    return AOT  # intact: a replay's result gets a compiled backward (_compiled_backward)


AOT = ("CompiledFunctionBackward", "")  # result_history: differentiable through the replay


def _backward_error(node: Any) -> str | None:
    """The error ``backward()`` from ``node`` raises now (eager's checks), or None."""
    order = collect([node])
    for n in order:
        if n.op == NO_BACKWARD:
            return str(n.attrs["message"])
        if is_function_output(n) and getattr(n.fn, "_freed", False):
            return FREED_MESSAGE
    if not any(n.freed for n in order):
        return None
    from .autograd._core import leaves

    plan = plan_for(order, [node], leaves(order))
    check_saved(order, plan.saved)  # raises the eager error
    return None


class _ResultNode(Node):
    """The history of a replay's result (see :func:`result_history`): a node whose backward
    raises ``attrs["message"]``, with every slot but the value and version counter a class
    default, so a replay makes one for a few attribute stores (the fast path returns one per
    call). One subclass per traced result sets ``name`` and ``attrs``."""

    op, inputs, in_versions, requires_grad, freed = NO_BACKWARD, (), (), True, False
    leaf = retain = fn = owner = None
    out_version = seq = 0


def history_maker(name: str, message: str) -> Any:
    """``make(data)``: ``data`` as a non-leaf tensor that requires grad, whose grad_fn is
    named ``name`` and whose backward raises ``message``."""
    cls = type("ResultNode", (_ResultNode,), {"name": name, "attrs": {"message": message}})
    new = object.__new__

    def make(data: Any) -> Tensor:  # Tensor._make(data) with the node, written out (per call)
        t, node, vc = new(Tensor), new(cls), [0]
        node.value, node.vc = data, vc
        t._data, t._node, t._vc, t._base = data, node, vc, None
        t._grad, t._retains_grad = None, False
        return t

    make.history = (name, message)  # type: ignore[attr-defined]
    return make


def feeds_for(step: CompiledStep, args: tuple, rng: Any = None, reuse: bool = False
              ) -> dict[str, np.ndarray]:
    """The buffers one replay reads, by input/param name (the live arrays, not copies).
    ``rng(use) -> (seed, offset)`` supplies random operands; by default the generators
    advance as in a replay. ``reuse``: runtime scalars are written into the step's own
    buffers (``scalar_buffers``) instead of fresh arrays (the replay path)."""
    g, io = step.graph, step.io
    feeds: dict[str, np.ndarray] = {}
    for name, k in io.feeds:
        feeds[name] = args[k]._data
    for name, k in io.grad_feeds:
        feeds[name] = args[k]._grad._data
    for name, tensor in step.captured:
        feeds[name] = tensor._data
    if step.scalars and reuse:
        buffers = scalar_buffers(step)
        for name, value in scalar_floats(step.scalars).items():
            buffer = buffers[name]
            buffer.fill(value)
            feeds[name] = buffer
    elif step.scalars:
        feeds.update(scalar_values(step.scalars))
    for use in step.rng:
        seed, offset = (use.generator.take(use.count) if rng is None else rng(use))
        feeds[g.node_name(use.seed_node)] = getattr(seed, "_data", seed)
        feeds[g.node_name(use.offset_node)] = getattr(offset, "_data", offset)
    return feeds


def replay(step: CompiledStep, args: tuple, draws: list[tuple[Any, Any]] | None = None,
           check: bool = True) -> Any:
    """Run the compiled step on ``args``; write every update back; return the results.
    ``draws``: the ``(seed, offset)`` of each of ``step.rng``, already taken from the
    generators for this replay (by default they are taken here). ``check``: first give the
    step new .grad tensors for those held outside it (False: the caller checked)."""
    if check and (step.fresh or step.kept) and grads_escaped(step):
        take_fresh_grads(step)
        out = _replay(step, args, draws)
        count_fresh_grads(step)
        return out
    return _replay(step, args, draws)


def _replay(step: CompiledStep, args: tuple, draws: list[tuple[Any, Any]] | None) -> Any:
    g, io = step.graph, step.io
    for hook in step.before_replay:
        hook()
    taken = None if draws is None else iter(draws)
    feeds = feeds_for(step, args, None if taken is None else lambda use: next(taken),
                      reuse=True)
    program = step.program
    outputs = program({g.find(k): v for k, v in feeds.items()}
                      if getattr(program, "by_node", False) else feeds)
    for index, tensor in step.writes:
        _write(tensor, outputs[index])
    for owner, attr, tensor in step.rebinds:
        # a .grad the last replay already bound to this tensor needs no setter call
        if attr != "grad" or not isinstance(owner, Tensor) or owner._grad is not tensor:
            setattr(owner, attr, tensor)
    for index, k in io.writes:
        _write(args[k], outputs[index])
    for index, k, fresh in io.grad_writes:
        a = args[k]
        if fresh:
            a._grad = Tensor._make(_fresh(outputs[index]))
        else:
            _write(a._grad, outputs[index])
    for k in io.grad_clears:
        args[k]._grad = None
    values = []
    for k, make in enumerate(step.result_grads or [None] * step.n_results):
        data = _fresh(outputs[k])
        values.append(Tensor._make(data) if make is None else make(data))
    if step.aot is not None and GRAD_MODE.enabled:
        from ._compiled_backward import connect

        connect(step, args, feeds, values)
    return unflatten(step.result_spec, values)


def _fresh(value: Any) -> Any:
    """A result of its own: a copy of a host array (the runtime reuses it); a device array
    (a step on cuda tensors) is new already."""
    if type(value) is not np.ndarray and hasattr(value, "tk_device"):
        return value
    return np.array(value, copy=True)


def _write(tensor: Tensor, value: np.ndarray) -> None:
    if value is not tensor._data:
        np.copyto(tensor._data, value, casting="unsafe")
    tensor._vc[0] += 1
