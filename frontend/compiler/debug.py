"""What a compile shows: per-kernel summaries, stage dumps and timing lines (see tenkai.config).

* :func:`kernel_summaries` describes every kernel of a lowered program as plain data (name,
  source ops, output shapes, estimated flops and bytes), stored with cached steps too.
* :class:`StageLog` receives the text of every compile stage; it prints the stages
  ``TENKAI_PRINT_AFTER`` / ``TENKAI_DEBUG=2`` ask for and writes the numbered files of
  ``TENKAI_DUMP_DIR``.
* :func:`kernel_line` / :func:`timing_line` are the one-line forms ``TENKAI_DEBUG`` prints.
* :func:`code_files`: the files of a target's generated code (a GPU target's PTX per kernel and
  its launch table too), for ``TENKAI_DUMP_DIR`` and ``tenkai dump --all``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable
from typing import Any

from tenkai.codegen.target import Target, codegen_module
from tenkai.ir.graph import Graph
from tenkai.ir.ops import REGISTRY
from tenkai.ir.printer import format_node, type_str, value_names

PREFIX = "[tenkai]"

# stage -> file name under TENKAI_DUMP_DIR/<step>-<hash>/
DUMP_FILES = {"traced": "00_traced.txt", "backward": "01_backward.txt",
              "simplify": "02_simplified.txt", "fuse": "03_fused.txt",
              "recompute": "04_recomputed.txt", "plan_memory": "05_memory_plan.txt",
              "lower": "06_kernels.txt", "llvm": "07_llvm.ll", "llvm_opt": "08_llvm_opt.ll",
              "asm": "09_asm.s"}
# a GPU target's files besides those: its module's PTX replaces 09_asm.s, one file per kernel
# (the PTX of its launches, generated alone) and the launch tables (JSON and text)
GPU_ASM_FILE = "09_asm.ptx"
KERNEL_FILE = "10_{kernel}.ptx"
LAUNCH_FILES = {"json": "11_launches.json", "text": "11_launches.txt"}
CODE_KINDS = ("llvm", "llvm_opt", "asm")
# the passes of ir.passes.pipeline.DEFAULT
PASS_STAGES = ("simplify", "fuse", "recompute", "plan_memory")
_CONV = ("conv2d", "conv2d_grad_input", "conv2d_grad_weight")


def say(text: str) -> None:
    """Print one debug line (or block) with the tenkai prefix."""
    print(f"{PREFIX} {text}", flush=True)


# ---------------------------------------------------------------- kernel summaries


def node_flops(g: Graph, n: int) -> int:
    """Estimated floating-point operations of node ``n``: 2*M*N*K for a matmul, 2 * output
    * (weight elements per output channel) for a convolution, input elements for a
    reduction, output elements for other arithmetic, 0 for data movement."""
    op, out = g.op(n), math.prod(g.shape(n))
    operands = g.operands(n)
    if op == "matmul":
        return 2 * out * (g.shape(operands[0])[-1] if g.shape(operands[0]) else 1)
    if op in _CONV:  # each pays one multiply-add per (conv output, weight-per-channel) pair
        conv_out, weight = {"conv2d": (out, g.shape(operands[1])),
                            "conv2d_grad_input": (math.prod(g.shape(operands[0])),
                                                  g.shape(operands[1])),
                            "conv2d_grad_weight": (math.prod(g.shape(operands[1])),
                                                   g.shape(n))}[op]
        return 2 * conv_out * math.prod(weight[1:])
    kind = REGISTRY[op].kind
    if kind in ("movement", "indexing", "source"):
        return 0
    if kind in ("reduction", "window") and operands:
        return math.prod(g.shape(operands[0]))
    return out


def kernel_summaries(fused: Graph, program: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """One JSON-able dict per kernel in launch order: ``name, kind, ops, outputs`` (type
    strings of the graph values it leaves in buffers), ``flops`` and ``bytes`` (every buffer
    it touches, read or written once)."""
    by_name = {b.name: b for b in program.buffers}
    node_of = info.get("group_outputs", {})
    out = []
    for k in program.kernels:
        nodes = info.get("kernel_nodes", {}).get(k.name, [])
        outputs = [type_str(fused.shape(node_of[p]), fused.dtype(node_of[p]))
                   for p in k.params if p in node_of and node_of[p] in nodes]
        if not nodes:  # output copies / write-back: what they store
            outputs = [type_str(by_name[p].shape, by_name[p].dtype) for p in k.params
                       if by_name[p].role in ("output", "param")]
        out.append({"name": k.name, "kind": k.kind, "ops": list(k.source_ops),
                    "outputs": outputs,
                    "flops": sum(node_flops(fused, n) for n in nodes),
                    "bytes": sum(by_name[p].nbytes for p in k.params)})
    return out


def _si(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.1f}{unit}"
    return f"{value:.0f}"


def kernel_line(k: dict[str, Any]) -> str:
    """The stable compile-time line of one kernel (no timings, no addresses)."""
    return (f"kernel {k['name']} {k['kind']} ops=[{','.join(k['ops'])}] "
            f"out={','.join(k['outputs']) or '-'} flops={_si(k['flops'])} "
            f"bytes={_si(k['bytes'])}")


def timing_line(k: dict[str, Any], seconds: float) -> str:
    """A per-call line: kernel, ops, outputs, time, GFLOP/s, GB/s."""
    s = max(seconds, 1e-9)
    return (f"time {k['name']} ops=[{','.join(k['ops'])}] out={','.join(k['outputs']) or '-'} "
            f"{seconds * 1e6:.1f} us {k['flops'] / s / 1e9:.2f} GFLOP/s "
            f"{k['bytes'] / s / 1e9:.2f} GB/s")


def report_compile(name: str, timings: dict[str, float], kernels: list[dict[str, Any]],
                   cached: str | None = None) -> None:
    """TENKAI_DEBUG>=1: pass/stage timings and one line per kernel."""
    if cached:
        say(f"compile {name}: {cached}: passes, lowering and LLVM skipped "
            f"(load {timings.get('load', 0.0) * 1e3:.1f} ms)")
    for stage, seconds in timings.items():
        if stage != "load":
            kind = "pass" if stage in PASS_STAGES else "stage"
            say(f"compile {name}: {kind} {stage} {seconds * 1e3:.2f} ms")
    say(f"compile {name}: {len(kernels)} kernels")
    for k in kernels:
        say(kernel_line(k))


# ---------------------------------------------------------------- stage text


def backward_text(g: Graph) -> str:
    """The traced nodes the returned values do not depend on (backward pass, optimizer and
    other state updates), named as in the whole graph's text."""
    results = [g.operands(o)[0] for o in g.outputs if g.attrs(o)["index"] not in
               g.meta.get("writes", {})]
    forward: set[int] = set()
    stack = list(results)
    while stack:
        n = stack.pop()
        if n not in forward:
            forward.add(n)
            stack.extend(g.operands(n))
    names = value_names(g)
    lines = [f"// {g.name}: the traced graph holds forward, backward and the state updates in "
             "one graph.", "// Below: the nodes the returned values do not depend on (the "
             "backward pass, the optimizer update,", "// other state updates), named as in "
             "00_traced.txt."]
    lines += ["  " + format_node(g, n, names) for n in g.topo_order()
              if n not in forward and g.op(n) not in ("input", "param", "output")]
    return "\n".join(lines)


def dump_path(root: str, graph_name: str, graph_hash: str, target: Target | None = None
              ) -> str:
    """Where one compile's files go: ``root/<step>-<hash12>`` (``-<target>`` appended for a
    target other than the CPU, so a step dumped for two targets keeps both)."""
    suffix = "" if target is None or target.name == "cpu" else f"-{target.name}"
    return os.path.join(root, f"{graph_name}-{graph_hash[:12]}{suffix}")


def stage_file(stage: str, target: Target | None = None) -> str:
    """The file name of ``stage`` (a GPU target's assembly is PTX: ``09_asm.ptx``)."""
    if stage == "asm" and target is not None and target.launch == "grid":
        return GPU_ASM_FILE
    return DUMP_FILES[stage]


def launch_json(code: Any, target: Target) -> str:
    """A GPU target's launch tables as JSON: per entry its buffers and its launches (PTX
    function, kernel, mapping, grid, block, dynamic and static shared memory, params)."""
    def rows(items: list[Any]) -> str:  # one compact object per line
        return ",\n".join("    " + json.dumps(x, default=str) for x in items)

    entries = [f'  {json.dumps(entry)}: {{\n   "buffers": [\n{rows(table["buffers"])}\n   ],\n'
               f'   "launches": [\n{rows(table["launches"])}\n   ]\n  }}'
               for entry, table in code.entries.items()]
    return (f'{{\n "target": {json.dumps(target.key())},\n "entries": {{\n'
            + ",\n".join(entries) + "\n }\n}\n")


def code_files(code: Any, program: Any, target: Target) -> dict[str, Callable[[], str]]:
    """``{file name: text maker}`` of a target's generated code: 07_llvm.ll, 08_llvm_opt.ll
    and the assembly; for a GPU target (``launch == "grid"``) also one PTX file per kernel
    (its launches generated alone, so each assembles by itself) and the launch tables."""
    files = {stage_file(kind, target): (lambda kind=kind: code.as_text(kind))
             for kind in CODE_KINDS}
    if target.launch != "grid":
        return files
    generate = codegen_module(target.name).generate
    for k in program.kernels:
        files[KERNEL_FILE.format(kernel=k.name)] = (
            lambda k=k: generate(dataclasses.replace(program, kernels=[k]), target)
            .as_text("asm"))
    files[LAUNCH_FILES["json"]] = lambda: launch_json(code, target)
    files[LAUNCH_FILES["text"]] = lambda: code.as_text("launch")
    return files


class StageLog:
    """Collects stage text: prints the wanted stages, writes them all under ``dump_dir``."""

    def __init__(self, name: str, print_stages: set[str], dump_dir: str | None) -> None:
        self.name, self.print_stages, self.dump_dir = name, print_stages, dump_dir
        self.target: Target | None = None

    @property
    def active(self) -> bool:
        return bool(self.print_stages or self.dump_dir)

    def wants(self, stage: str) -> bool:
        return stage in self.print_stages or self.dump_dir is not None

    def add(self, stage: str, text: str | Callable[[], str]) -> None:
        """Record ``stage``'s text (a callable is only called when the text is wanted)."""
        if not self.wants(stage):
            return
        body = text() if callable(text) else text
        if stage in self.print_stages:
            say(f"IR after {stage} ({self.name}):\n{body}")
        if self.dump_dir is not None:
            self.write(stage_file(stage, self.target), body)

    def write(self, name: str, body: str) -> None:
        """Write one file under ``dump_dir`` (ending with a newline)."""
        assert self.dump_dir is not None
        os.makedirs(self.dump_dir, exist_ok=True)
        with open(os.path.join(self.dump_dir, name), "w") as f:
            f.write(body if body.endswith("\n") else body + "\n")

    def add_code(self, code: Any, program: Any, target: Target) -> None:
        """The generated code's stages (``llvm``, ``llvm_opt``, ``asm``), and when dumping,
        a GPU target's per-kernel PTX and launch tables (:func:`code_files`)."""
        self.target = target
        for kind in CODE_KINDS:
            self.add(kind, lambda kind=kind: code.as_text(kind))
        if self.dump_dir is not None:
            names = {stage_file(kind, target) for kind in CODE_KINDS}
            for name, text in code_files(code, program, target).items():
                if name not in names:
                    self.write(name, text())

    def pass_dump(self, text: str) -> None:
        """``run_pipeline``'s dump callback: ``"// IR after <pass>\\n<text>"``."""
        header, _, body = text.partition("\n")
        self.add(header.removeprefix("// IR after ").strip(), body)
