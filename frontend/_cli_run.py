"""``tenkai run -n N train.py [args...]``: start a script on N MPI ranks (``tenkai.distributed``).

It runs the MPI launcher of the ``distributed`` extra (MPICH's ``mpiexec`` next to this
Python, else the first on PATH) with defaults that suit one machine: one BLAS/OpenMP thread
per rank, unbuffered output, and, for Open MPI, permission to run as root and to place more
ranks than cores. ``--hostfile`` spreads the ranks over several machines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._cli_target import TargetError

EPILOG = ("examples:\n  tenkai run -n 2 train.py --epochs 3\n  tenkai run -n 8 --hostfile hosts "
          "train.py      # hosts: one 'name:slots' per line (MPICH)")


def find_mpiexec(explicit: str | None = None) -> str:
    """The MPI launcher: --mpiexec, this environment's bin/, then PATH."""
    found = explicit or shutil.which("mpiexec", path=str(Path(sys.executable).parent)) \
        or shutil.which("mpiexec")
    if not found:
        raise TargetError("no mpiexec found; pip install 'tenkai[distributed]' "
                                "(mpi4py and MPICH) or pass --mpiexec PATH")
    return found


def launcher_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The mpiexec command line and environment for ``args`` (built, not run)."""
    mpiexec = find_mpiexec(args.mpiexec)
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    command = [mpiexec, "-n", str(args.n)]
    if "Open MPI" in version or "OpenRTE" in version:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        command.append("--oversubscribe")
        if args.hostfile:
            command += ["--hostfile", args.hostfile]
    elif args.hostfile:  # MPICH (Hydra) and Intel MPI
        command += ["-f", args.hostfile]
    # each rank runs under a watcher that names the rank if it dies without a Python error
    return command + [sys.executable, "-m", "tenkai.distributed._rank", args.script,
                      *args.script_args], env


def run(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise TargetError(f"-n must be at least 1, got {args.n}")
    if not Path(args.script).is_file():
        raise TargetError(f"no script {args.script!r}")
    command, env = launcher_command(args)
    code = subprocess.run(command, env=env).returncode
    if code != 0:
        print(f"tenkai run: the job ended with exit code {code} (a rank failed; its message, "
              "naming the rank, is above)", file=sys.stderr)
    return code


def register(sub: Any, formatter: Any) -> None:
    p = sub.add_parser("run", help="run a script on N MPI ranks (tenkai.distributed)",
                       description=__doc__, epilog=EPILOG, formatter_class=formatter)
    p.add_argument("-n", "--nproc", dest="n", type=int, default=2, help="number of ranks")
    p.add_argument("--hostfile", help="MPI hostfile: run the ranks on several machines")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per rank")
    p.add_argument("--mpiexec", help="the MPI launcher to use (default: the extra's)")
    p.add_argument("script", help="the Python script every rank runs")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    p.set_defaults(func=run)


def bench_ranks(args: argparse.Namespace) -> int:
    """``tenkai bench --ranks N WORKLOAD...``: compiled data-parallel step time on 1 and N
    ranks of this machine (same global batch) and the scaling efficiency T1 / (N * TN)."""
    import json

    from . import bench

    workloads = args.workload or ["mlp", "cnn"]
    unknown = [w for w in workloads if w not in bench.WORKLOADS]
    if unknown or args.ranks < 1:
        raise TargetError(f"--ranks needs built-in workloads (not {unknown}) and N >= 1")
    mpiexec = find_mpiexec(None)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    rows = []
    for name in workloads:
        times = {}
        for n in sorted({1, args.ranks}):
            command = [mpiexec, "-n", str(n), sys.executable, "-m", "tenkai.distributed._bench",
                       name, str(args.steps), str(args.repeats), str(args.rank_threads)]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stdout + done.stderr, file=sys.stderr)
                return done.returncode
            times[n] = json.loads(done.stdout.strip().splitlines()[-1])["step_s"]
        t1, tn = times[1], times[args.ranks]
        rows.append({"workload": name, "ranks": args.ranks, "step_ms_1": t1 * 1e3,
                     "step_ms_n": tn * 1e3, "speedup": t1 / tn,
                     "efficiency": t1 / (args.ranks * tn)})
        print(f"{name:10s} ({args.rank_threads} thread/rank) 1 rank {t1 * 1e3:8.2f} ms/step   "
              f"{args.ranks} ranks {tn * 1e3:8.2f} ms/step   speedup {t1 / tn:5.2f}x   "
              f"scaling efficiency {100 * t1 / (args.ranks * tn):5.1f}%", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0
