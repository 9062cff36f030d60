#!/usr/bin/env bash
# The GPU target's checks (issue #10) on a machine with an NVIDIA GPU, in under 8 minutes:
#   1. the tests marked `gpu` (the same differential tests the fake driver runs, on the GPU);
#   2. the kernel sweep (tests/codegen/test_nvptx_device.py): every registry op forward and
#      backward, fused chains, reductions up to 10^7, GEMMs, convolutions, run on the GPU
#      against the interpreter (pytest-xdist over the CPU cores: code generation is CPU work);
#   3. tenkai bench --device cuda two_layer mlp mlp_large cnn: tenkai compiled for the cuda
#      target vs PyTorch CUDA eager, in one run, loss trajectories compared;
#   4. a float32 4096x4096x4096 GEMM, tenkai vs torch.matmul (goal: >= 50% of its throughput).
# Usage: examples/gpu_check.sh [OUT_DIR]   (logs, bench JSON, summary.txt; default gpu-check;
# through the device tool: `examples/gpu_check.sh $OUT` brings them back)
# PYTHON picks the interpreter (default python3). Without a GPU it fails at once, saying why.
# Each stage has a time limit (STAGE_TESTS_S, STAGE_SWEEP_S, STAGE_BENCH_S, STAGE_GEMM_S:
# 120+150+100+45 s); SWEEP_WORKERS sets the sweep's pytest-xdist workers (default 12).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu-check}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TENKAI_CACHE_DIR=${TENKAI_CACHE_DIR:-/tmp/tenkai-gpu-check-cache}

die() { echo "gpu_check: FAIL: $*" | tee -a "$OUT/summary.txt" >&2; exit 1; }

command -v nvidia-smi >/dev/null 2>&1 || die "no nvidia-smi: this machine has no NVIDIA driver"
nvidia-smi -L 2>&1 | grep -q "GPU 0" || die "nvidia-smi lists no GPU: $(nvidia-smi -L 2>&1)"
if ! "$PY" -c "import tenkai" >/dev/null 2>&1; then  # a bare machine: install this checkout
  "$PY" -m pip install -q --no-deps --no-build-isolation --no-index --target /tmp/tenkai-site . \
    >"$OUT/install.log" 2>&1 || die "cannot install tenkai (see $OUT/install.log)"
  export PYTHONPATH=/tmp/tenkai-site${PYTHONPATH:+:$PYTHONPATH}
fi
"$PY" - <<'EOF' 2>&1 | tee "$OUT/summary.txt" || die "the GPU is not usable from Python (above)"
import sys
import tenkai
import torch
import llvmlite
print(f"tenkai {tenkai.__file__}, torch {torch.__version__}, llvmlite {llvmlite.__version__}, "
      f"python {sys.version.split()[0]}")
if not tenkai.cuda.is_available():
    sys.exit("tenkai.cuda.is_available() is False (no libcuda.so.1 or no device)")
if not torch.cuda.is_available():
    sys.exit("torch.cuda.is_available() is False: no PyTorch CUDA to compare with")
print(f"GPU: {tenkai.cuda.get_device_name()} (torch: {torch.cuda.get_device_name()}), "
      f"capability {tenkai.cuda.get_device_capability()}")
EOF

status=0
stage() {  # stage NAME SECONDS COMMAND...: run it with a limit, log it, record PASS/FAIL
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  # SIGINT at the limit: pytest still prints its summary of what failed so far
  timeout -s INT -k 15 "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local verdict=PASS
  if [ $rc -eq 124 ]; then verdict="FAIL (time limit ${limit}s)"; elif [ $rc -ne 0 ]; then
    verdict="FAIL (exit $rc)"; fi
  [ "$verdict" = PASS ] || status=1
  echo "== $name: $verdict in $((SECONDS - start)) s" | tee -a "$OUT/summary.txt"
  tail -n 40 "$OUT/$name.log" | tee -a "$OUT/summary.txt"
}

# a hung test is reported by name (pytest-timeout, where installed) instead of eating the stage
PER_TEST=()
"$PY" -c "import pytest_timeout" >/dev/null 2>&1 && PER_TEST=(-p timeout --timeout 90)
stage gpu_tests "${STAGE_TESTS_S:-120}" "$PY" -m pytest -q -m gpu -p no:cacheprovider -rs \
  "${PER_TEST[@]}" -n 4 tests/runtime/test_cuda_gpu.py tests/runtime/test_cuda_tensors.py \
  tests/frontend/test_bench_cuda.py
stage sweep "${STAGE_SWEEP_S:-150}" "$PY" -m pytest -q -m gpu -p no:cacheprovider -rs \
  "${PER_TEST[@]}" -n "${SWEEP_WORKERS:-12}" --dist loadgroup tests/codegen/test_nvptx_device.py
stage bench "${STAGE_BENCH_S:-100}" "$PY" -m tenkai bench two_layer mlp mlp_large cnn \
  --device cuda --mode compiled --mode torch --steps 20 --repeats 3 --trajectory 5 --quiet \
  --json "$OUT/bench.json"
stage gemm "${STAGE_GEMM_S:-45}" "$PY" examples/bench_gemm_cuda.py --size 4096 --repeats 10
echo "gpu_check: $([ $status -eq 0 ] && echo all stages passed || echo FAILED); see $OUT/" \
  | tee -a "$OUT/summary.txt"
exit $status
