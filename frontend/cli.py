"""The ``tenkai`` command line: ``tenkai bench`` runs the training-step benchmarks;
``tenkai cache info|explain|clear`` inspects the compiled-step cache."""

from __future__ import annotations

import argparse
import os
import sys

from . import bench


def _bench(args: argparse.Namespace) -> int:
    workloads = args.workload or ["two_layer", "mlp"]
    unknown = [w for w in workloads if w not in bench.WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {sorted(bench.WORKLOADS)}",
              file=sys.stderr)
        return 2
    modes = args.mode or list(bench.MODES)
    if args.no_torch:
        modes = [m for m in modes if m != "torch"]
    results = bench.run(workloads, modes, args.steps, args.repeats, args.threads,
                        args.backend)
    print(bench.format_results(results))
    return 0


def _cache(args: argparse.Namespace) -> int:
    from tenkai.runtime.cache import DiskCache

    from .config import cache_dir

    cache = DiskCache(args.dir or cache_dir())
    if os.path.exists(cache.directory) and not os.path.isdir(cache.directory):
        print(f"tenkai cache: {cache.directory} is not a directory (check TENKAI_CACHE_DIR or "
              "--dir); compiled steps ignore it", file=sys.stderr)
        return 2
    if args.action == "info":
        info = cache.info()
        print(f"dir: {info['dir']}\nentries: {info['entries']} (+{info['libraries']} "
              f"library)\nsize: {info['bytes'] / 1e6:.2f} MB ({info['bytes']} bytes)")
    elif args.action == "explain":
        print(cache.explain())
    else:
        print(f"removed {cache.clear()} cached files from {cache.directory}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tenkai", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bench", help="time eager training steps, tenkai vs PyTorch eager")
    p.add_argument("workload", nargs="*", help=f"workloads: {', '.join(bench.WORKLOADS)}")
    p.add_argument("--steps", type=int, default=100, help="steps per timed repeat")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats (median reported)")
    p.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--mode", action="append", choices=bench.MODES,
                   help="run only these modes (repeatable; default: all)")
    p.add_argument("--backend", default="tenkai", choices=["tenkai", "interp"],
                   help="backend of the compiled mode")
    p.set_defaults(func=_bench)
    c = sub.add_parser("cache", help="the compiled-step cache: info, explain the last miss, "
                       "clear")
    c.add_argument("action", choices=["info", "explain", "clear"],
                   help="info: dir, entries, size; explain: why the last lookup hit or "
                   "missed; clear: delete every entry")
    c.add_argument("--dir", help="cache directory (default: TENKAI_CACHE_DIR or "
                   "~/.cache/tenkai)")
    c.set_defaults(func=_cache)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
