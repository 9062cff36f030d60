"""``tenkai bench --first-compile``: the first compiled step in fresh processes (an empty
cache, the library present, a disk hit), next to JAX's first jit call."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tenkai import _bench_first


@pytest.mark.slow
def test_first_compile_cases_run_in_fresh_processes(tmp_path) -> None:
    out = tmp_path / "first.json"
    proc = subprocess.run([sys.executable, "-m", "tenkai.cli", "bench", "--first-compile",
                           "overhead", "--no-jax", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads(out.read_text())["overhead"]
    assert list(rows) == list(_bench_first.CASES)
    for case in ("empty", "library"):  # compiled from scratch: the passes and LLVM ran
        assert {"trace", "fuse", "llvm_optimize", "jit"} <= set(rows[case]["phases"]), case
    hit = rows["disk hit"]["phases"]  # loaded from the first process's entry: no LLVM
    assert "load" in hit and "llvm_optimize" not in hit, hit
    assert all(r["steps"] == 1 and r["first_s"] > 0 for r in rows.values())
    assert "overhead:" in proc.stdout and "disk hit" in proc.stdout


def test_rows_show_the_ratio_to_jax_and_the_phases() -> None:
    rows = {"empty": {"first_s": 2.0, "import_s": 0.1, "build_s": 0.2,
                      "phases": {"trace": 0.5, "llvm_optimize": 1.5, "jit": 0.0001}},
            "disk hit": {"error": "exit 1: boom"},
            "jax": {"first_s": 0.5, "import_s": 0.1, "build_s": 3.0, "phases": {}}}
    lines = _bench_first.format_rows("mlp", rows)
    assert lines[0] == "mlp:"
    assert "2000 ms" in lines[1] and "4.00x jax" in lines[1]
    assert "[trace 500, llvm_optimize 1500 ms]" in lines[1]  # under half a ms: left out
    assert lines[2].split() == ["disk", "hit", "exit", "1:", "boom"]
    assert "x jax" not in lines[3] and "500 ms" in lines[3]


def test_unknown_workload_is_an_error(capsys) -> None:
    from tenkai import cli

    assert cli.main(["bench", "--first-compile", "nope"]) == 2
    assert "unknown workload(s) ['nope']" in capsys.readouterr().err
