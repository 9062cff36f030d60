"""The text of every compile stage of a traced step, for ``tenkai dump`` (one stage, or all
of them as numbered files plus a ``repro.py`` that rebuilds the graph and runs it with the
reference interpreter), for the CPU or another registered target (``--target cuda``: the
code stages are PTX, per-kernel PTX and the launch tables; no GPU needed)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from tenkai.codegen.target import Target, describe
from tenkai.compiler.debug import DUMP_FILES, PASS_STAGES, backward_text, code_files

from ._cli_target import TargetError

# command-line stage name -> the pipeline's stage name (keys of DUMP_FILES)
STAGES = {"traced": "traced", "backward": "backward", "simplified": "simplify",
          "fused": "fuse", "recomputed": "recompute", "memory": "plan_memory",
          "kernels": "lower", "llvm": "llvm", "llvm_opt": "llvm_opt", "asm": "asm",
          "ptx": "ptx", "launch": "launch"}
NATIVE = ("llvm", "llvm_opt", "asm")
GPU_ONLY = ("ptx", "launch")  # stages of a GPU target's code


def stage_texts(traced: Any, upto: str = "asm", target: str | Target = "cpu"
                ) -> dict[str, str]:
    """``{pipeline stage: text}`` for every stage up to ``upto`` (a pipeline stage name), the
    kernels and code being those of ``target``."""
    return generate_stages(traced, upto, target)[0]


def generate_stages(traced: Any, upto: str = "asm", target: str | Target = "cpu"
                    ) -> tuple[dict[str, str], Any, Any]:
    """:func:`stage_texts`, the kernel program and the generated code (None when ``upto``
    comes before them)."""
    try:
        resolved = describe(target)
    except ValueError as err:  # an unknown target name: a bad argument
        raise TargetError(str(err)) from None
    if upto in GPU_ONLY and resolved.launch != "grid":
        raise TargetError(f"--stage {upto} needs the GPU (NVPTX) target, not "
                          f"{resolved.name!r}: add --target cuda")
    from tenkai.compiler.backend import generate, lower
    from tenkai.ir.passes.pipeline import run_pipeline

    g = traced.graph
    texts = {"traced": g.dump(), "backward": backward_text(g)}
    order = list(DUMP_FILES)
    last = order.index("asm" if upto in GPU_ONLY else upto)
    if last <= order.index("backward"):
        return texts, None, None

    def collect(text: str) -> None:
        header, _, body = text.partition("\n")
        texts[header.removeprefix("// IR after ").strip()] = body

    fused = run_pipeline(g, dump_after=list(PASS_STAGES), dump=collect)
    if last < order.index("plan_memory"):
        return texts, None, None
    try:
        program = lower(fused, resolved)
    except NotImplementedError as err:  # the plan still prints; no code for this step
        if "plan_memory" in texts:
            texts["plan_memory"] += f"\n  as lowered: not lowered ({err})"
        if last <= order.index("plan_memory"):
            return texts, None, None
        raise
    if "plan_memory" in texts:
        texts["plan_memory"] += "\n" + allocation_text(program, resolved.name)
    if last <= order.index("plan_memory"):
        return texts, None, None
    texts["lower"] = program.as_text()
    if last <= order.index("lower"):
        return texts, program, None
    module = generate(program, resolved)
    texts.update({kind: module.as_text(kind) for kind in NATIVE})
    if resolved.launch == "grid":
        texts.update({"ptx": module.as_text("asm"), "launch": module.as_text("launch")})
    return texts, program, module


def allocation_text(program: Any, target: str) -> str:
    """What the executable of ``program`` allocates, for the memory stage: the arena as lowered
    (the plan's slots plus the kernel scratch lowering adds: im2col column tiles, operands
    materialized for a contraction, ...) and the persistent buffers outside it."""
    from tenkai.ir.passes.memory import human as _human

    scratch = [b for b in program.buffers if b.role == "scratch"]
    users: dict[str, list[str]] = {}
    for kern in program.kernels:
        for name in kern.params:
            users.setdefault(name, []).append(kern.name)
    local = [b for b in scratch if b.name.startswith("t") and b.name in users]
    lines = [f"  as lowered for {target} (what the executable allocates): "
             f"arena {_human(program.arena_size)}"]
    if local:
        lines.append(f"  kernel scratch added by lowering: {len(local)} buffers, "
                     f"{_human(sum(b.nbytes for b in local))} (placed in bytes free at "
                     "their kernel's time)")
        for b in sorted(local, key=lambda b: -b.nbytes):
            lines.append(f"    {b.name:<16} {b.dtype}{list(b.shape)!s:<14} {b.nbytes:>10} B "
                         f"@{b.offset}  in {', '.join(users[b.name])}")
    for role, label in (("output", "outputs"), ("const", "constants"), ("status", "status")):
        own = [b for b in program.buffers if b.role == role]
        if own:
            lines.append(f"  outside the arena: {label} {len(own)} buffers, "
                         f"{_human(sum(b.nbytes for b in own))}")
    return "\n".join(lines)


def feeds_of(traced: Any, args: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """The values one replay of the traced step reads, by input/param name (copies; random
    operands get a fixed seed so the repro is deterministic)."""
    from ._step import feeds_for

    def fixed(use: Any) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((), np.int64), np.zeros((), np.int64)

    feeds = feeds_for(traced.step, args, rng=fixed)
    return {name: np.array(value, copy=True) for name, value in feeds.items()}


REPRO = '''"""Rebuild the traced graph of {label} and run it with tenkai's reference interpreter.

    python repro.py

Inputs and parameters come from repro_inputs.npz next to this file (written by
`tenkai dump --all`); any missing one is filled with seeded random values.
"""

import os

import numpy as np

from tenkai.ir import Plan
from tenkai.ir.dtypes import to_numpy
from tenkai.ir.parser import parse

GRAPH = {graph!r}


def main():
    g = parse(GRAPH)
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "repro_inputs.npz")
    saved = dict(np.load(path)) if os.path.exists(path) else {{}}
    rng = np.random.default_rng(0)
    feeds = {{}}
    for n in g.inputs + g.params:
        name = g.node_name(n)
        if name in saved:
            feeds[n] = saved[name]
        else:
            feeds[n] = rng.standard_normal(g.shape(n)).astype(to_numpy(g.dtype(n)))
    outputs = Plan(g, g.outputs, set(feeds)).run(dict(feeds))
    for k, value in enumerate(outputs):
        value = np.asarray(value)
        print(f"output {{k}}: {{value.dtype}}{{list(value.shape)}} "
              f"sum={{float(value.astype(np.float64).sum()):.6g}}")
    return outputs


if __name__ == "__main__":
    main()
'''


def dump_all(traced: Any, args: tuple[Any, ...], directory: str, label: str,
             target: str | Target = "cpu") -> list[str]:
    """Write every stage as its numbered file (for a GPU target also one PTX file per kernel
    and the launch tables: :func:`tenkai.compiler.debug.code_files`), ``repro.py`` and
    ``repro_inputs.npz``."""
    texts, program, module = generate_stages(traced, "asm", target)
    resolved = module.target or describe(target)
    files = {DUMP_FILES[stage]: (lambda stage=stage: texts[stage])
             for stage in DUMP_FILES if stage in texts and stage not in NATIVE}
    files.update(code_files(module, program, resolved))
    os.makedirs(directory, exist_ok=True)
    written = []
    for name, text in sorted(files.items()):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            body = text()
            f.write(body if body.endswith("\n") else body + "\n")
        written.append(path)
    repro = os.path.join(directory, "repro.py")
    with open(repro, "w") as f:
        f.write(REPRO.format(label=label, graph=traced.graph.dump()))
    np.savez(os.path.join(directory, "repro_inputs.npz"), **feeds_of(traced, args))
    return [*written, repro, os.path.join(directory, "repro_inputs.npz")]
