"""tenkai.distributed over MPI: each test starts ``mpiexec -n N python script.py`` (loopback).

Skipped with a reason when the ``distributed`` extra (mpi4py + MPICH) is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="the distributed extra is not installed "
                    "(pip install 'tenkai[distributed]')")

SCRIPTS = Path(__file__).parent / "scripts"
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) \
    or shutil.which("mpiexec")
if MPIEXEC is None:
    pytest.skip("no mpiexec on PATH (pip install 'tenkai[distributed]' brings MPICH's)",
                allow_module_level=True)


def mpirun(script: str, n: int, timeout: float = 120,
           args: tuple | list = ()) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", TENKAI_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    return subprocess.run([MPIEXEC, "-n", str(n), sys.executable, str(SCRIPTS / script), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def ok(result: subprocess.CompletedProcess, n: int, word: str = "OK") -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(line for line in result.stdout.split("\n") if line.startswith(word + " ")) \
        == [f"{word} {r}" for r in range(n)], result.stdout + result.stderr


@pytest.mark.parametrize("n", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_collectives_match_numpy(n: int) -> None:
    ok(mpirun("collectives.py", n), n)


@pytest.mark.parametrize("n", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_ddp_eager_training_equals_single_process_on_concatenated_batch(n: int) -> None:
    ok(mpirun("ddp_train.py", n), n)


@pytest.mark.parametrize("mode", ["two_reductions", "inner_no_sync", "outer_no_sync"])
@pytest.mark.parametrize("backend", ["interp", pytest.param("tenkai", marks=pytest.mark.slow)])
def test_ddp_compiled_gradient_accumulation_equals_single_process(backend: str,
                                                                  mode: str) -> None:
    ok(mpirun("ddp_compiled_accumulate.py", 2, args=[backend, mode], timeout=240), 2)


@pytest.mark.parametrize("backend", ["interp", pytest.param("tenkai", marks=pytest.mark.slow)])
def test_ddp_compiled_training_equals_single_process(backend: str) -> None:
    ok(mpirun("ddp_compiled.py", 2, args=[backend], timeout=240), 2)


@pytest.mark.parametrize("backend", ["interp", pytest.param("tenkai", marks=pytest.mark.slow)])
def test_ddp_compiled_broadcasts_buffers_like_eager(backend: str) -> None:
    ok(mpirun("ddp_compiled_buffers.py", 2, args=[backend], timeout=240), 2)


def test_ddp_rejects_different_models_naming_the_rank() -> None:
    ok(mpirun("mismatch_model.py", 2), 2)


def test_raising_rank_aborts_the_job_naming_the_rank() -> None:
    start = time.monotonic()
    result = mpirun("raising_rank.py", 2, timeout=60)
    assert result.returncode != 0
    assert "rank 1 raised ValueError: boom on purpose; aborting all 2 ranks" in result.stderr
    assert "should not happen" not in result.stdout
    assert time.monotonic() - start < 30


def test_stuck_peer_times_out_with_the_group_timeout() -> None:
    result = mpirun("slow_rank.py", 2, timeout=60)
    assert result.returncode != 0
    assert "barrier on rank 0 timed out after 1 s" in result.stderr, result.stderr


def test_rank_watcher_describes_how_a_rank_ended() -> None:
    from tenkai.distributed._rank import describe, rank_of

    assert describe(3) == "exited with code 3"
    assert describe(-11) == "was killed by SIGSEGV"
    assert rank_of({"PMI_RANK": "2"}) == "2" and rank_of({}) == "?"


def test_dead_rank_ends_the_job() -> None:
    result = mpirun("dead_rank.py", 2, timeout=60)
    assert result.returncode != 0


@pytest.mark.slow
def test_tenkai_run_launches_ranks_and_reports_failure() -> None:
    def tenkai_run(script: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tenkai", "run", "-n", "2",
                               str(SCRIPTS / script)], capture_output=True, text=True,
                              timeout=60)

    ok(tenkai_run("mismatch_model.py"), 2)
    failed = tenkai_run("raising_rank.py")
    assert failed.returncode != 0
    assert "rank 1 raised ValueError" in failed.stderr
    assert "tenkai run: the job ended with exit code" in failed.stderr
    dead = tenkai_run("dead_rank.py")  # os._exit(3): no Python error, the watcher names it
    assert dead.returncode != 0  # MPICH returns the dead rank's code or the killed peer's
    assert "tenkai run: rank 1 exited with code 3" in dead.stderr, dead.stderr
    killed = tenkai_run("killed_rank.py")
    assert killed.returncode != 0 and "should not happen" not in killed.stdout
    assert "tenkai run: rank 1 was killed by SIGSEGV" in killed.stderr, killed.stderr
    missing = subprocess.run([sys.executable, "-m", "tenkai", "run", "-n", "2", "nope.py"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no script 'nope.py'" in missing.stderr
