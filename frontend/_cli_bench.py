"""``tenkai bench``: built-in workloads or ``FILE.py:NAME --input ...``, compared side by side
(see ``bench.py``), with loss trajectories checked, per-kernel tables, JSON and plots."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import sys
from typing import Any

from . import _bench_report, _cli_run, bench

COMPARE = ("eager", "numpy", "torch", "torch-compile", "jax")


def _modes(args: argparse.Namespace) -> list[str] | str:
    """The modes to run (compiled always), or an error message."""
    if args.compare:
        asked = [m.strip() for m in args.compare.split(",") if m.strip()]
        bad = [m for m in asked if m not in COMPARE]
        if bad:
            return f"--compare {','.join(bad)}: expected names from {','.join(COMPARE)}"
        modes = ["compiled", *[m for m in asked if m != "compiled"]]
    else:
        modes = list(args.mode or bench.DEFAULT_MODES)
    if args.no_torch:
        modes = [m for m in modes if m not in ("torch", "torch-compile")]
    return list(dict.fromkeys(modes))


def _user_workload(args: argparse.Namespace) -> str:
    """Register ``FILE.py:NAME`` or ``MODEL.onnx`` as a workload (a training step); returns
    its name."""
    from ._cli_target import build_model

    target = build_model(args.workload[0], args.input, args.dtype, True, args.loss, args.optim,
                         None, args.weights)
    label = target.label
    shapes = " ".join(args.input) if args.input else " ".join(
        ",".join(map(str, x.shape)) for x in target.args[:-1])

    def make(torch: Any, batch: int | None = None) -> Any:
        if torch.__name__ != "tenkai":
            raise bench.Unavailable("a model file is written for tenkai; only eager and "
                                    "compiled run it")
        fresh = build_model(args.workload[0], args.input, args.dtype, True, args.loss,
                            args.optim, batch, args.weights)
        return fresh.step, fresh.args
    bench.WORKLOADS[label] = make
    bench.DESCRIPTIONS[label] = f"{label}, inputs {shapes}, {args.optim}"
    return label


def cuda_missing(backend: str = "tenkai") -> str | None:
    """Why ``--device cuda`` cannot run here (no driver, no GPU, no CUDA runtime in this
    build, a backend that runs no generated code), or None."""
    import tenkai
    from tenkai.codegen.target import runnable

    if backend != "tenkai":
        return (f"--backend {backend} runs no generated code; the cuda target needs the "
                "native compiler (--backend tenkai)")
    if not tenkai.cuda.is_available():
        name = ctypes.util.find_library("cuda") or "libcuda.so.1"
        try:
            ctypes.CDLL(name)
        except OSError:
            return ("CUDA is not available: no NVIDIA driver (libcuda.so.1 cannot be loaded); "
                    "run on a machine with an NVIDIA GPU and its driver, or use --device cpu")
        return ("CUDA is not available: the NVIDIA driver is installed but reports no usable "
                "GPU (cuInit failed or no device: check nvidia-smi and "
                "CUDA_VISIBLE_DEVICES), or use --device cpu")
    if "cuda" not in runnable():
        return ("a GPU was found, but this build of tenkai has no runtime for the cuda target "
                "(it generates PTX only: tenkai dump --target cuda); use --device cpu")
    return None


def run_bench(args: argparse.Namespace) -> int:
    if args.first_compile_child:  # one fresh process of --first-compile (_bench_first)
        import json

        from ._bench_first import child

        print(json.dumps(child(*args.first_compile_child.split(":"))))
        return 0
    if args.first_compile:
        return _first_compile(args)
    if args.eager_ops:  # op-by-op eager dispatch vs PyTorch (_bench_eager)
        from . import _bench_eager

        return _bench_eager.main(args)
    if args.ranks:  # data-parallel scaling over MPI ranks (_cli_run.bench_ranks)
        return _cli_run.bench_ranks(args)
    if args.script:  # unchanged PyTorch scripts end to end (_bench_script)
        return _run_scripts(args)
    modes = _modes(args)
    if isinstance(modes, str):
        print(f"tenkai bench: error: {modes}", file=sys.stderr)
        return 2
    backend = args.backend
    if args.device == "cuda":
        missing = cuda_missing(args.backend)
        if missing:
            print(f"tenkai bench: error: --device cuda: {missing}", file=sys.stderr)
            return 2
        backend = "cuda"  # the compiled mode runs code generated for the cuda target
    user = None
    if args.workload and (":" in args.workload[0] or args.workload[0].endswith(".onnx")):
        workloads = [user := _user_workload(args)]
    else:
        workloads = args.workload or ["two_layer", "mlp"]
        unknown = [w for w in workloads if w not in bench.WORKLOADS]
        if unknown:
            print(f"tenkai bench: error: unknown workload(s) {unknown}; choose from "
                  f"{sorted(bench.WORKLOADS)}, or give FILE.py:NAME --input SHAPE or "
                  "MODEL.onnx",
                  file=sys.stderr)
            return 2
    plan = bench.Plan(args.steps, args.repeats, args.trajectory, args.threads, backend,
                      args.batch, device=args.device)
    progress = _bench_report.progress_factory(args.quiet, plan.steps, plan.repeats)
    try:
        results, skipped = bench.run_all(workloads, modes, plan, progress)
    finally:
        if user is not None:  # registered for this run only
            bench.WORKLOADS.pop(user, None)
            bench.DESCRIPTIONS.pop(user, None)
    print(_bench_report.format_results(results))
    for line in skipped:
        print(f"skipped {line}")
    checks = _bench_report.check_trajectories(results)
    if checks:
        print("\n".join(checks))
    kernels = _bench_report.format_kernels(results)
    if kernels and not args.quiet:
        print(kernels)
    if args.json:
        peak = bench.machine_peak() if any(r.kernel_table for r in results) else None
        _bench_report.write_json(args.json, results, skipped, checks,
                                 {"machine_peak_gflops_gbs": peak, "modes": modes,
                                  "steps": plan.steps, "repeats": plan.repeats})
        print(f"wrote {args.json}")
    if args.plot:
        _bench_report.plot(args.plot, results)
        print(f"wrote {args.plot}")
    return 1 if any(c.startswith("FAIL") for c in checks) else 0


def _first_compile(args: argparse.Namespace) -> int:
    from . import _bench_first

    workloads = args.workload or ["two_layer", "mlp", "mlp_large", "cnn", "overhead"]
    unknown = [w for w in workloads if w not in bench.WORKLOADS]
    if unknown:
        print(f"tenkai bench: error: --first-compile: unknown workload(s) {unknown}; choose "
              f"from {sorted(bench.WORKLOADS)}", file=sys.stderr)
        return 2
    return _bench_first.main(workloads, not args.no_jax, args.json)


def _run_scripts(args: argparse.Namespace) -> int:
    from . import _bench_script

    failed = False
    for path in args.script:
        try:
            runs = _bench_script.time_script(path, args.threads, not args.no_torch)
        except FileNotFoundError as err:
            print(f"tenkai bench: error: {err}", file=sys.stderr)
            return 2
        print("\n".join(_bench_script.format_runs(path, runs)))
        failed |= any(r.returncode != 0 for r in runs)
    return 1 if failed else 0


def register(sub: Any, formatter: Any, epilog: str) -> None:
    from ._cli_target import LOSSES, OPTIMIZERS

    text = ("time training steps: tenkai compiled vs eager, numpy, PyTorch, torch.compile, "
            "JAX; loss trajectories checked")
    p = sub.add_parser("bench", help=text, description=text, epilog=epilog,
                       formatter_class=formatter)
    p.add_argument("workload", nargs="*", help="built-in workloads: " + "; ".join(
        f"{k} ({v})" for k, v in bench.DESCRIPTIONS.items()) + "; or one FILE.py:NAME or "
        "MODEL.onnx")
    p.add_argument("--input", action="append", metavar="SHAPE",
                   help="input shape for FILE.py:NAME, e.g. 64,784 (repeat per input; for "
                   "MODEL.onnx the graph's static input shapes by default)")
    p.add_argument("--dtype", help="input dtype for a model file (default f32, or what "
                   "MODEL.onnx declares)")
    p.add_argument("--loss", default="cross_entropy", choices=LOSSES)
    p.add_argument("--optim", default="sgd", choices=sorted(OPTIMIZERS))
    p.add_argument("--weights", metavar="FILE", help="a state dict (.pt/.pth via tenkai.load, "
                   ".safetensors) loaded into the model with load_state_dict")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: model and batch on the GPU for tenkai (eager: each op a "
                   "kernel; compiled: code generated for the cuda target) and PyTorch, each "
                   "step timed to its synchronize (needs an NVIDIA GPU, its driver and "
                   "tenkai's CUDA runtime); numpy and jax run on the CPU")
    p.add_argument("--eager-ops", action="store_true",
                   help="time eager ops one by one against PyTorch eager (elementwise, "
                   "reductions, indexing, stack/cat, creation, random, item, iteration, "
                   "matmul, backward) at --sizes")
    p.add_argument("--script", action="append", metavar="FILE.py",
                   help="time an unchanged PyTorch script end to end in fresh processes: "
                   "under PyTorch, and under tenkai (import torch -> tenkai) with an empty "
                   "and then a warm compile cache (repeatable)")
    p.add_argument("--first-compile", action="store_true",
                   help="time the first compiled step, each case in a fresh process: empty "
                   "cache (no library, no prebuild), library present, disk-cache hit; next "
                   "to JAX's first jit call (default workloads two_layer, mlp, mlp_large, "
                   "cnn, overhead)")
    p.add_argument("--no-jax", action="store_true", help="--first-compile without JAX")
    p.add_argument("--first-compile-child", help=argparse.SUPPRESS)
    p.add_argument("--sizes", help="element counts for --eager-ops, comma-separated "
                   "(default 1,100,10000,1000000)")
    p.add_argument("--ops", help="only these --eager-ops cases, comma-separated")
    p.add_argument("--suite", default="ops", choices=["ops", "api"],
                   help="--eager-ops cases: ops (small-op dispatch, at --sizes) or api (the "
                   "API-breadth ops of issue 13 at a small and a medium size, with backward)")
    p.add_argument("--steps", type=int, default=100, help="steps per timed repeat")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats")
    p.add_argument("--trajectory", type=int, default=10,
                   help="first steps whose losses are recorded and compared")
    p.add_argument("--batch", type=int, help="batch size (default: the workload's)")
    p.add_argument("--threads", type=int, default=2,
                   help="threads of tenkai's pool and PyTorch's intra-op pool")
    p.add_argument("--compare", help=f"comma-separated runs besides tenkai compiled: "
                   f"{','.join(COMPARE)} (missing ones are reported, not fatal)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--mode", action="append", choices=bench.MODES,
                   help="run only these modes (repeatable; default: eager, compiled, torch)")
    p.add_argument("--backend", default="tenkai", choices=["tenkai", "interp"],
                   help="backend of the compiled mode")
    p.add_argument("--json", metavar="OUT.json", help="write every figure as JSON")
    p.add_argument("--plot", metavar="LOSS.png", help="loss curves and step-time bars "
                   "(needs matplotlib: pip install 'tenkai[plot]')")
    p.add_argument("--quiet", action="store_true", help="no progress bars or kernel tables")
    p.add_argument("--ranks", type=int, metavar="N", help="compiled data-parallel step time "
                   "on 1 and N MPI ranks and the scaling efficiency (distributed extra)")
    p.add_argument("--rank-threads", type=int, default=1, help="native threads per rank "
                   "with --ranks (default 1)")
    p.set_defaults(func=run_bench)
