"""The ``tenkai`` subcommands that work on a step: trace, dump, viz, report, demo (``cli.py``
builds the parser; ``_cli_bench.py`` runs ``tenkai bench``).

  tenkai demo                                   eager vs compiled on a built-in step
  tenkai trace  TARGET [--input 64,784] [--train]   summary + the traced graph
  tenkai dump   TARGET --stage fused | --all -o DIR  IR of a compile stage
  tenkai viz    TARGET -o graph.svg [--stage traced|fused|autograd]
  tenkai report TARGET -o report.html            one self-contained HTML page
  tenkai bench  [WORKLOAD... | FILE.py:NAME --input ...] [--compare torch,numpy]
  tenkai cache  info|list|explain|clear

TARGET is a built-in workload (two_layer, one_neuron, mlp, mlp_large, cnn, cnn_bn, digits,
overhead), FILE.py:NAME (an nn.Module class, factory or instance in FILE.py) or MODEL.onnx;
``--weights FILE.pt|.safetensors`` loads a state dict into a model file's module.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import bench
from ._cli_target import LOSSES, OPTIMIZERS, ModelCallError, TargetError

EPILOG = {
    "demo": "example:\n  tenkai demo            # two_layer: eager vs compiled, ~10 s",
    "trace": "examples:\n  tenkai trace two_layer\n  tenkai trace model.py:Net --input 64,784 "
             "--train --optim adam\n  tenkai trace model.py:Net --input 64,784 --weights net.pt\n"
             "  tenkai trace mlp.onnx --train          # input shapes from the ONNX graph\n"
             "  tenkai trace model.py:Net --input 8,4 --untraceable",
    "dump": "examples:\n  tenkai dump mlp --stage fused\n  tenkai dump model.py:Net --input "
            "64,784 --train --stage llvm -o step.ll\n  tenkai dump mlp --all -o dumps/mlp\n"
            "  tenkai dump cnn.onnx --stage fused --weights cnn.safetensors",
    "viz": "examples:\n  tenkai viz mlp -o mlp.svg --stage fused\n  tenkai viz model.py:Net "
           "--input 1,2 --stage autograd -o net.svg\n  tenkai viz mlp -o mlp.graphml\n"
           "  tenkai viz mlp.onnx --stage traced -o mlp.svg",
    "report": "examples:\n  tenkai report mlp -o report.html\n  tenkai report mlp.onnx --train "
              "-o mlp.html",
    "bench": "examples:\n  tenkai bench two_layer mlp --compare torch,numpy\n  tenkai bench "
             "model.py:Net --input 64,784 --steps 50 --json out.json --plot loss.png\n"
             "  tenkai bench mlp.onnx --weights mlp.safetensors --steps 20\n"
             "  tenkai bench two_layer mlp mlp_large cnn overhead --mode compiled --threads 2",
    "cache": "examples:\n  tenkai cache info\n  tenkai cache list\n  tenkai cache explain",
}


def _fail(command: str, message: str, code: int = 2) -> int:
    print(f"tenkai {command}: error: {message}", file=sys.stderr)
    return code


def _target(args: argparse.Namespace) -> Any:
    from ._cli_target import build

    return build(args.target, args.input, args.dtype, args.train, args.loss, args.optim,
                 args.batch, args.weights)


def _traced(target: Any) -> Any:
    """Trace the target's step (a training step runs once first: its optimizer state)."""
    import tenkai

    if target.train:
        target.step(*target.args)
    return tenkai.trace(target.step, *target.args)


# ---------------------------------------------------------------- trace


def summary(traced: Any) -> str:
    """Ops by kind, parameters, kernels and memory plan totals of a traced step."""
    import math
    from collections import Counter

    from tenkai.ir.ops import REGISTRY

    g = traced.graph
    kinds = Counter(REGISTRY[g.op(n)].kind for n in g.nodes()
                    if g.op(n) not in ("input", "param", "output"))
    params = [n for n in g.params if not g.node_name(n).endswith(".grad")
              and not g.node_name(n).startswith("optimizer.")]
    numel = sum(math.prod(g.shape(n)) for n in params)
    lowered = traced.lower()
    plan = lowered.fused.meta.get("memory")
    lines = [f"step {g.name}: {g.nx.number_of_nodes()} nodes, {len(g.inputs)} inputs, "
             f"{len(g.params)} params/state, {len(g.outputs)} outputs",
             "ops by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
             f"parameters and buffers: {len(params)} tensors, {numel:,} elements",
             f"kernels: {len(lowered.program.kernels)} "
             f"({len(lowered.fused.meta.get('groups', {}))} fusion groups)"]
    if plan is not None:
        lines += plan.as_text().splitlines()[:10]
    return "\n".join(lines)


def _trace(args: argparse.Namespace) -> int:
    from .compile import UntraceableError

    target = _target(args)
    try:
        traced = _traced(target)
    except UntraceableError as err:
        print(str(err))
        return 1
    if args.untraceable:
        print(f"{target.label}: every construct can be traced and replayed")
        return 0
    print(summary(traced))
    print()
    print(traced.as_text())
    return 0


# ---------------------------------------------------------------- dump


def _dump(args: argparse.Namespace) -> int:
    from ._cli_stages import STAGES, dump_all, stage_texts

    if args.all and not args.output:
        return _fail("dump", "--all writes one file per stage: give the directory with -o DIR")
    if not args.all and not args.stage:
        return _fail("dump", f"give --stage ({'|'.join(STAGES)}) or --all -o DIR")
    target = _target(args)
    traced = _traced(target)
    if args.all:
        for path in dump_all(traced, target.args, args.output, target.label, args.codegen):
            print(path)
        return 0
    stage = STAGES[args.stage]
    text = stage_texts(traced, stage, args.codegen)[stage]
    if args.output:
        with open(args.output, "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        print(f"wrote {args.stage} of {target.label} to {args.output}")
    else:
        print(text)
    return 0


# ---------------------------------------------------------------- viz / report


VIZ_SUFFIXES = ("svg", "png", "pdf", "dot", "gv", "graphml", "json")


def _viz(args: argparse.Namespace) -> int:
    from . import viz

    out = args.output
    suffix = out.rsplit(".", 1)[-1].lower() if "." in os.path.basename(out) else ""
    if suffix not in VIZ_SUFFIXES:
        return _fail("viz", f"-o {out}: the suffix says what to write; expected one of "
                     f"{', '.join('.' + s for s in VIZ_SUFFIXES)}")
    target = _target(args)
    if args.stage == "autograd":
        loss = target.step(*target.args) if not target.train else _autograd_root(target)
        picture = viz.make_dot(loss, params=target.params or None)
        picture.render(out)
    else:
        traced = _traced(target)
        obj = traced if args.stage == "traced" else traced.lower()
        if out.endswith(".graphml"):
            viz.to_graphml(obj, out)
        elif out.endswith(".json"):
            viz.to_json(obj, out)
        else:
            viz.draw(obj, out)
    print(f"wrote {out}")
    return 0


def _autograd_root(target: Any) -> Any:
    """The loss of one forward pass, recorded (for make_dot), without a backward."""
    if target.model is None:
        raise TargetError("--stage autograd needs a model file (FILE.py:NAME); built-in "
                          "workloads close over their step: use --stage traced")
    return target.loss_fn(target.model(*target.args[:-1]), target.args[-1])


def _report(args: argparse.Namespace) -> int:
    import tenkai

    from . import viz

    target = _target(args)
    if target.train:
        target.step(*target.args)  # optimizer state first
    compiled = tenkai.compile(target.step)
    compiled(*target.args)
    compiled(*target.args)
    viz.report(compiled, args.output)
    print(f"wrote {args.output}")
    return 0


# ---------------------------------------------------------------- demo


def _demo(args: argparse.Namespace) -> int:
    """Eager vs compiled on one built-in workload, then the dumps, picture and report."""
    from ._cli_stages import dump_all

    if args.workload not in bench.WORKLOADS:
        return _fail("demo", f"unknown workload {args.workload!r}; choose from "
                     f"{', '.join(bench.WORKLOADS)}")
    plan = bench.Plan(steps=args.steps, repeats=3, trajectory=5)
    print(f"tenkai demo: {args.workload} ({bench.DESCRIPTIONS[args.workload]})")
    results, _ = bench.run_all([args.workload], ["eager", "compiled"], plan)
    eager, compiled = results
    print(f"  eager     {eager.step_ms:9.3f} ms/step (median of {plan.steps * plan.repeats})")
    print(f"  compiled  {compiled.step_ms:9.3f} ms/step, {eager.step_ms / compiled.step_ms:.1f}x "
          f"faster; first call (trace + compile) {compiled.first_ms:.0f} ms; "
          f"{compiled.kernels} kernels per step")
    same = all(abs(a - b) <= 1e-3 * abs(b) + 1e-6
               for a, b in zip(eager.losses, compiled.losses, strict=False))
    print(f"  losses    {' '.join(f'{v:.5g}' for v in compiled.losses[:5])} "
          f"({'match eager' if same else 'DIFFER from eager'})")
    target = _target(argparse.Namespace(target=args.workload, input=None, dtype=None,
                                        train=True, loss="cross_entropy", optim="sgd",
                                        batch=None, weights=None))
    traced = _traced(target)
    out = args.output
    files = dump_all(traced, target.args, os.path.join(out, "dump"), target.label)
    print(f"  dumps     {os.path.join(out, 'dump')}/ ({len(files)} files: "
          f"{', '.join(os.path.basename(f) for f in files[:3])}, ..., repro.py)")
    print("  pictures  " + _demo_pictures(traced, out))
    return 0 if same else 1


def _demo_pictures(traced: Any, out: str) -> str:
    from . import viz

    lowered = traced.lower()
    report = viz.report(lowered, os.path.join(out, "report.html"), time_kernels=False)
    try:
        ext = "svg" if viz.have_dot() else "dot"
        viz.draw(traced, os.path.join(out, f"traced.{ext}"))
        viz.draw(lowered, os.path.join(out, f"fused.{ext}"))
    except ImportError as err:
        return f"{report} (graph pictures: {err})"
    hint = "" if ext == "svg" else " (for SVG install Graphviz's dot: apt-get install graphviz)"
    return f"{out}/traced.{ext}, {out}/fused.{ext}, {report}{hint}"


# ---------------------------------------------------------------- the parsers


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def add_target_args(p: argparse.ArgumentParser, target_help: str | None = None) -> None:
    p.add_argument("target", help=target_help or "a built-in workload "
                   f"({', '.join(bench.WORKLOADS)}), FILE.py:NAME (an nn.Module class, "
                   "factory or instance) or MODEL.onnx")
    p.add_argument("--input", action="append", metavar="SHAPE",
                   help="example input shape for a model file, e.g. 64,784 (repeat per input; "
                   "for MODEL.onnx the graph's static input shapes by default)")
    p.add_argument("--dtype", help="input dtype: f32 (default; for MODEL.onnx what the graph "
                   "declares), f64, f16, i64")
    p.add_argument("--train", action="store_true",
                   help="trace a whole training step (loss, backward, optimizer), not forward")
    p.add_argument("--loss", default="cross_entropy", choices=LOSSES, help="with --train")
    p.add_argument("--optim", default="sgd", choices=sorted(OPTIMIZERS), help="with --train")
    p.add_argument("--batch", type=int, help="batch size (replaces the first input dim)")
    p.add_argument("--weights", metavar="FILE", help="a state dict (.pt/.pth via tenkai.load, "
                   ".safetensors) loaded into the model with load_state_dict (strict)")


def register(sub: Any) -> None:
    """Add trace, dump, viz, report and demo to the ``tenkai`` parser."""
    from ._cli_stages import STAGES

    def parser(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, epilog=EPILOG[name],
                              formatter_class=_formatter)

    p = parser("demo", "eager vs compiled on a built-in step, then its dumps and pictures")
    p.add_argument("workload", nargs="?", default="two_layer",
                   help=f"one of {', '.join(bench.WORKLOADS)} (default two_layer)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per repeat (3 repeats)")
    p.add_argument("-o", "--output", default="tenkai-demo", help="where dumps/pictures go")
    p.set_defaults(func=_demo)
    p = parser("trace", "trace a step: summary (ops, parameters, kernels, memory) and graph")
    add_target_args(p)
    p.add_argument("--untraceable", action="store_true",
                   help="only report the constructs a replay cannot reproduce, all at once")
    p.set_defaults(func=_trace)
    p = parser("dump", "print or write the IR of a compile stage (or every stage)")
    add_target_args(p)
    p.add_argument("--stage", choices=list(STAGES), help="the stage to print")
    p.add_argument("--all", action="store_true", help="every stage as numbered files + "
                   "repro.py under -o DIR")
    p.add_argument("-o", "--output", help="file (one stage) or directory (--all)")
    p.add_argument("--target", dest="codegen", default="cpu", metavar="NAME",
                   help="the code generator's target: cpu (default) or cuda (PTX, per-kernel "
                   "PTX and launch tables; no GPU needed)")
    p.set_defaults(func=_dump)
    p = parser("viz", "draw a step's graph (svg/png/pdf/dot by suffix; .graphml, .json)")
    add_target_args(p)
    p.add_argument("-o", "--output", required=True, help="the picture or export to write")
    p.add_argument("--stage", default="fused", choices=["traced", "fused", "autograd"],
                   help="traced graph, fused groups + memory plan, or make_dot's autograd view")
    p.set_defaults(func=_viz)
    p = parser("report", "write one self-contained HTML report of a compiled step")
    add_target_args(p)
    p.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    p.set_defaults(func=_report)


def run_command(command: str, func: Any, args: argparse.Namespace) -> int:
    """Run a subcommand; bad arguments exit 2 with the argument named, the model's own
    errors exit 1 with the command that failed."""
    from .viz._render import GraphvizMissingError

    try:
        return func(args)
    except BrokenPipeError:  # `tenkai dump ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except TargetError as err:
        return _fail(command, str(err))
    except (NotImplementedError, GraphvizMissingError, ImportError) as err:
        return _fail(command, str(err))
    except ModelCallError as err:
        cmd = " ".join(["tenkai", *sys.argv[1:]]) if sys.argv[1:] else f"tenkai {command}"
        return _fail(command, f"{err}\n  command: {cmd}", 1)
