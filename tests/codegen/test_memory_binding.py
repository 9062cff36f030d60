"""The memory plan printed before allocation is the allocation that runs: codegen places each
group output at the plan's arena offset and follows its in-place decisions, and refuses a plan
that the kernels as built contradict."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tenkai
from tenkai.bench import WORKLOADS, optimizer_of
from tenkai.codegen import lower_program
from tenkai.runtime.host import pointer


def _lowered(name: str):
    step, args = WORKLOADS[name](tenkai)
    step(*args)  # the first step creates optimizer state; trace the steady state
    return tenkai.trace(step, *args).lower()


@pytest.mark.parametrize("name", ["two_layer", "mlp", "cnn"])
def test_program_uses_the_planned_offsets_and_writes(name: str) -> None:
    lowered = _lowered(name)
    plan, program = lowered.fused.meta["memory"], lowered.program
    by_node = {int(b.name[1:].split("_")[0]): b for b in program.buffers
               if b.role == "scratch" and b.name[0] == "n" and b.name[1].isdigit()}
    arena = [s for s in plan.slots if s.offset is not None]
    assert arena and {s.node for s in arena} == set(by_node)
    for s in arena:
        assert by_node[s.node].offset == s.offset, s.name
    assert program.arena_size >= plan.arena_bytes
    planned_copies = {w["param"] for w in plan.writes if w["mode"] == "copy"}
    assert {dst for _, dst in program.copies} == planned_copies
    inplace = {w["param"] for w in plan.writes if w["mode"] == "inplace"}
    assert inplace and inplace <= set(program.outputs)  # stored straight into the param


def test_cnn_backward_masks_are_recomputed_not_stored() -> None:
    lowered = _lowered("cnn")
    fused = lowered.fused
    masks = {v: r for v, r in fused.meta["recompute"].items() if r["op"] == "gt"}
    assert len(masks) == 2 and all(r["dropped"] for r in masks.values())
    names = {b.name for b in lowered.program.buffers}
    assert not any(name.startswith(f"n{v}_") for v in masks for name in names)


def test_a_plan_the_kernels_contradict_is_refused() -> None:
    fused = _lowered("mlp").fused
    broken = copy.copy(fused)
    broken.meta = dict(fused.meta)
    plan = copy.deepcopy(fused.meta["memory"])
    victim = next(s for s in plan.slots if s.role == "scratch" and s.end > s.start)
    victim.end = victim.start  # as if nobody read it later
    broken.meta["memory"] = plan
    with pytest.raises(AssertionError, match="outside its planned lifetime"):
        lower_program(broken)
    plan = copy.deepcopy(fused.meta["memory"])
    plan.slots.remove(next(s for s in plan.slots if s.role == "scratch"))
    broken.meta["memory"] = plan
    with pytest.raises(AssertionError, match="no arena slot"):
        lower_program(broken)


def _two_layer_compiled():
    step, args = WORKLOADS["two_layer"](tenkai)
    compiled = tenkai.compile(step)
    for _ in range(2):
        compiled(*args)
    return compiled, args, compiled.steps[-1].program.executable


def test_scratch_lives_in_the_dead_gradient_and_the_step_still_matches_eager() -> None:
    """two_layer's zero_grad frees w1.grad: the forward activations and the small backward
    temporaries sit inside its buffer until w1's gradient kernel writes it, so the arena holds
    only what is live then. Compiled losses and state stay those of the eager step."""
    compiled, args, exe = _two_layer_compiled()
    hosts = {s.within for s in exe.specs if s.within}
    assert hosts == {"optimizer.param.0.grad"}
    host = exe.slot["optimizer.param.0.grad"]
    for slot, offset in exe._borrowed["optimizer.param.0.grad"]:
        assert exe._table[slot] == exe._table[host] + offset
    assert exe.arena.size < sum(s.nbytes for s in exe.specs if s.role == "scratch")
    step, eager_args = WORKLOADS["two_layer"](tenkai)
    for _ in range(2):
        step(*eager_args)
    for _ in range(3):
        got, want = compiled(*args), step(*eager_args)
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5)


def test_borrowed_scratch_moves_out_of_a_param_that_overlaps_another_buffer() -> None:
    """A gradient buffer that shares bytes with another bound buffer cannot hold scratch (the
    step would change what it reads): its scratch moves to a private stand-in, and back when
    the gradient is bound to bytes of its own again."""
    _, _, exe = _two_layer_compiled()
    name, host = "optimizer.param.0.grad", exe.slot["optimizer.param.0.grad"]
    shared = np.zeros(100_000 + 64_000, np.float32)
    exe.bind_one("arg0", shared[:64_000].reshape(64, 1000))
    exe.bind_one(name, shared[32_000:132_000].reshape(1000, 100))
    spill = exe._spills[name]
    for slot, offset in exe._borrowed[name]:
        assert exe._table[slot] == pointer(spill) + offset
    exe.bind_one(name, np.zeros((1000, 100), np.float32))
    for slot, offset in exe._borrowed[name]:
        assert exe._table[slot] == exe._table[host] + offset


def test_a_failed_index_check_leaves_gradients_with_borrowed_scratch_as_they_were() -> None:
    """mlp's cross-entropy checks its targets in the forward: scratch moves into a gradient
    buffer only after that check, so a step with a bad target changes no state."""
    step, args = WORKLOADS["mlp"](tenkai)
    compiled = tenkai.compile(step)
    for _ in range(3):
        compiled(*args)
    exe = compiled.steps[-1].program.executable
    assert any(s.within for s in exe.specs)
    assert not exe.guarded  # nothing to snapshot: no scratch lands in state before the check
    params = [p for group in optimizer_of(step).param_groups for p in group["params"]]
    before = [(p.detach().numpy().copy(), p.grad.numpy().copy()) for p in params]
    bad = args[1].clone()
    bad[3] = 10
    with pytest.raises(IndexError):
        compiled(args[0], bad)
    for p, (value, grad) in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), value)
        np.testing.assert_array_equal(p.grad.numpy(), grad)
