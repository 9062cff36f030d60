"""The memory plan printed before allocation is the allocation that runs: codegen places each
group output at the plan's arena offset and follows its in-place decisions, and refuses a plan
that the kernels as built contradict."""

from __future__ import annotations

import copy

import pytest

import tenkai
from tenkai.bench import WORKLOADS
from tenkai.codegen import lower_program


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
