"""The ``tenkai`` command line (also ``python -m tenkai``).

  tenkai demo                                    eager vs compiled, dumps and pictures
  tenkai trace  TARGET [--input 64,784] [--train]   summary and the traced graph
  tenkai dump   TARGET --stage fused | --all -o DIR  the IR of a compile stage
  tenkai viz    TARGET -o graph.svg [--stage traced|fused|autograd]
  tenkai report TARGET -o report.html             one self-contained HTML page
  tenkai bench  [WORKLOAD... | FILE.py:NAME --input 64,784] [--compare torch,numpy]
  tenkai cache  info|list|explain|clear
  tenkai run    -n 4 train.py [args...]          the script on 4 MPI ranks (distributed)

TARGET is a built-in workload (two_layer, one_neuron, mlp, mlp_large, cnn, cnn_bn, digits,
overhead), FILE.py:NAME (an nn.Module class, factory or instance defined in FILE.py) or
MODEL.onnx; --weights FILE.pt|FILE.safetensors loads a state dict into the model.
Each command's --help has examples.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import _cli_bench, _cli_commands, _cli_run


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
              f"library, +{info['eager_kernels']} eager kernels)\n"
              f"size: {info['bytes'] / 1e6:.2f} MB ({info['bytes']} bytes)")
    elif args.action == "list":
        entries = cache.entries()
        for key, components in entries:
            what = (f"eager kernel {components['eager_kernel'][:12]}"
                    if "eager_kernel" in components
                    else f"graph {str(components.get('graph', '?'))[:12]}")
            print(f"{key[:16]}  {what}  "
                  f"{components.get('triple', '?')}  {cache.path(key)}")
        print(f"{len(entries)} entries in {cache.directory}")
    elif args.action == "explain":
        print(cache.explain())
    else:
        print(f"removed {cache.clear()} cached files from {cache.directory}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tenkai", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    _cli_commands.register(sub)
    _cli_bench.register(sub, _cli_commands._formatter, _cli_commands.EPILOG["bench"])
    _cli_run.register(sub, _cli_commands._formatter)
    c = sub.add_parser("cache", help="the compiled-step cache: info, list, explain the last "
                       "miss, clear", epilog=_cli_commands.EPILOG["cache"],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("action", choices=["info", "list", "explain", "clear"],
                   help="info: dir, entries, size; list: one line per entry; explain: why the "
                   "last lookup hit or missed; clear: delete every entry")
    c.add_argument("--dir", help="cache directory (default: TENKAI_CACHE_DIR or "
                   "~/.cache/tenkai)")
    c.set_defaults(func=_cache)
    args = parser.parse_args(argv)
    return _cli_commands.run_command(args.command, args.func, args)


if __name__ == "__main__":
    sys.exit(main())
