"""``tenkai bench --script FILE.py``: an unchanged PyTorch script timed end to end, as a user
meets it: under PyTorch (``python FILE.py``) and under tenkai (``python -m tenkai.as_torch
FILE.py``) in fresh processes, wall time from start to exit, imports included.

tenkai runs twice: first with an empty compile cache (``TENKAI_CACHE_DIR`` set to a new
folder: a fresh machine, every first-use compile included), then again with the cache that run
left (a second run on the same machine). The last line each run prints is shown, so the runs
can be seen to agree; a run that fails is reported with its exit code and the tail of its
error output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass


@dataclass
class ScriptRun:
    label: str
    seconds: float
    returncode: int
    last_line: str
    error_tail: str = ""


def _run(label: str, command: list[str], env: dict[str, str], timeout: float) -> ScriptRun:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return ScriptRun(label, seconds, done.returncode, lines[-1].strip() if lines else "",
                     "\n".join(done.stderr.strip().splitlines()[-6:]))


def have_torch() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("torch") is not None
    except ValueError:
        return False


def time_script(path: str, threads: int | None = None, torch: bool = True,
                timeout: float = 1800.0) -> list[ScriptRun]:
    """The runs of one script: PyTorch (when installed and ``torch``), tenkai with an empty
    cache, tenkai with the cache the first run left. ``threads`` sets ``OMP_NUM_THREADS``
    for both (PyTorch's intra-op pool and tenkai's) when given."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"tenkai bench --script: no such file {path!r}")
    base = dict(os.environ, PYTHONUNBUFFERED="1")
    if threads:
        base["OMP_NUM_THREADS"] = str(threads)
    runs = []
    if torch and have_torch():
        runs.append(_run("PyTorch", [sys.executable, path], base, timeout))
    with tempfile.TemporaryDirectory(prefix="tenkai-bench-cache-") as cache:
        env = dict(base, TENKAI_CACHE_DIR=cache, TENKAI_CACHE="1")
        command = [sys.executable, "-m", "tenkai.as_torch", path]
        runs.append(_run("tenkai, empty cache", command, env, timeout))
        runs.append(_run("tenkai, warm cache", command, env, timeout))
    return runs


def format_runs(path: str, runs: list[ScriptRun]) -> list[str]:
    """The table for one script: seconds, ratio to PyTorch, exit code and last line."""
    torch_s = next((r.seconds for r in runs if r.label == "PyTorch" and r.returncode == 0),
                   None)
    out = [f"{path}:", f"  {'run':<20} {'seconds':>8} {'vs PyTorch':>10}  last line"]
    for r in runs:
        ratio = f"{r.seconds / torch_s:.2f}x" if torch_s else "-"
        status = "" if r.returncode == 0 else f"  FAILED (exit {r.returncode})"
        out.append(f"  {r.label:<20} {r.seconds:>8.2f} {ratio:>10}  {r.last_line[:60]}{status}")
        if r.returncode != 0 and r.error_tail:
            out += ["    " + line for line in r.error_tail.splitlines()]
    return out
