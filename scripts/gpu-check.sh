#!/usr/bin/env bash
# One-shot check on a machine with an NVIDIA GPU and no network, run from the repository root with
# node_modules and the build tools present (nothing is downloaded):
#   1. builds the addon for the GPU present (its compute capability from nvidia-smi, else CMake's "native");
#   2. runs the device tests (jest test/devices: every op on the GPU against the CPU, runtime checks);
#   3. times SGEMM 4096³ and each op against PyTorch on this GPU in the same run (fp32, TF32 off), and
#      prints a table;
#   4. convolution: the CUDA registry test (find with CUDA events), every distinct conv layer of the five
#      networks at batch 1 and 32, 224², ours ('auto' and each algorithm) vs PyTorch + cuDNN (TF32 off,
#      cudnn.benchmark), the five networks whole, and a short table;
#   then the whole jest suite with the GPU present;
#   5. last, when compute-sanitizer exists: memcheck over the device harness and the conv cases, racecheck
#      over the shared-memory kernels (SGEMM, softmax, implicit GEMM).
# Finishes in well under 8 minutes on a current GPU. Results go to $OUT (default ./gpu-check-out).
# GPU_CHECK_BUDGET_S (default 420) caps the whole run: each step's limit is cut to what is left, and a step
# that would start with under 15 s left is reported as not run. With CONVNETS_PREBUILT=1 an existing
# build/Release/convnets.node is used as it is (built elsewhere for this GPU's architecture). With
# GPU_CHECK_SKIP_BENCH=1 the benchmarks (steps 3 and the timing half of 4) are left out: a correctness run.
# Exit status: 0 when the build, the tests and the sanitizers passed (benchmarks never fail the run).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
LOG="$OUT/gpu-check.log"
: > "$LOG"
status=0
say() { echo "== $*" | tee -a "$LOG"; }
# step NAME SECONDS CMD...: runs CMD with a time limit, output to the log and $OUT/NAME.txt.
budget="${GPU_CHECK_BUDGET_S:-420}"
step() {
  local name="$1" limit="$2"; shift 2
  local left=$((budget - SECONDS))
  if (( left < 15 )); then say "$name: NOT RUN, the run's budget of $budget s is spent"; return 124; fi
  (( limit > left )) && limit=$left
  say "$name (limit $limit s): $*"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  tail -n 40 "$OUT/$name.txt" | tee -a "$LOG"
  say "$name: exit $rc after $((SECONDS - t0)) s"
  return $rc
}

export PATH="$PATH:/usr/local/cuda/bin"
say "machine"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv 2>&1 | tee -a "$LOG" || true
command -v nvcc >/dev/null && nvcc --version | tail -1 | tee -a "$LOG"
node --version | tee -a "$LOG"

# 1. Build for this GPU only (a fraction of the 5-architecture build time).
arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
[[ "$arch" =~ ^[0-9]+$ ]] || arch=native
# configure, then build: an existing build folder is re-configured for this architecture (compile alone
# would keep whatever it was configured with).
if [[ "${CONVNETS_PREBUILT:-0}" == 1 && -f build/Release/convnets.node ]]; then
  say "build: using the prebuilt build/Release/convnets.node"
elif ! step configure 120 npx cmake-js configure --CDCMAKE_CUDA_ARCHITECTURES="$arch" ||
   ! step build 300 npx cmake-js build; then
  say "BUILD FAILED: see $OUT/build.txt"
  exit 1
fi
jestjs=(node node_modules/jest/bin/jest.js)
step cuda-info 60 node -e '
  const b = require("node-gyp-build")(process.cwd());
  const a = b.cudaAvailability();
  console.log(JSON.stringify(a));
  if (!a.available) process.exit(1);
  for (let i = 0; i < b.cudaDeviceCount(); i++) console.log(JSON.stringify(b.cudaDeviceInfo(i)));' || {
  say "CUDA NOT AVAILABLE to the addon: nothing else can run"
  exit 1
}

# 2. Device tests. No case may be skipped here: a skip would mean the GPU was not seen.
if step tests 150 "${jestjs[@]}" test/devices --verbose; then :; else status=1; fi
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$OUT/tests.txt" | tail -1)"
say "tests: ${summary:-no summary line}"
if [[ "$summary" =~ ,\ ([0-9]+)\ skipped ]] && [[ "${BASH_REMATCH[1]}" != 0 ]]; then
  say "tests: ${BASH_REMATCH[1]} skipped on a GPU machine: counted as a failure"
  status=1
fi

skipBench="${GPU_CHECK_SKIP_BENCH:-0}"
PY="${PYTHON:-python3}"
# 3. Benchmarks, ours then PyTorch's, on the same warm GPU.
if [[ "$skipBench" == 1 ]]; then say "benchmarks: skipped (GPU_CHECK_SKIP_BENCH=1)"; else
step bench-convnets 90 node --import tsx bench/gpu-ops.ts --json "$OUT/bench-convnets.json" || true
if "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  step bench-torch 60 "$PY" scripts/gpu_torch_bench.py --json "$OUT/bench-torch.json" || true
else
  say "PyTorch with CUDA not found for $PY: no PyTorch column"
fi
node -e '
  const fs = require("fs");
  const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
  const ours = read(process.argv[1]), torch = read(process.argv[2]);
  if (!ours) { console.log("no convnets benchmark results"); process.exit(0); }
  const t = new Map((torch ? torch.results : []).map((r) => [r.name, r]));
  const rows = [["case", "convnets ms", "torch ms", "torch/convnets", "convnets GFLOP/s", "torch GFLOP/s"]];
  for (const r of ours.results) {
    const p = t.get(r.name);
    rows.push([r.name, r.ms.toFixed(4), p ? p.ms.toFixed(4) : "-", p ? (p.ms / r.ms).toFixed(2) : "-",
      r.gflops ? r.gflops.toFixed(0) : "", p && p.gflops ? p.gflops.toFixed(0) : ""]);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`${ours.device}; ${torch ? torch.library : "no torch"} (torch/convnets > 1: convnets faster)`);
  for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  "));
' "$OUT/bench-convnets.json" "$OUT/bench-torch.json" | tee "$OUT/table.txt" | tee -a "$LOG"
fi

# 4. Convolution. The registry test runs find on the GPU; its one no-GPU test is the only skip allowed.
if step conv-registry 60 "${jestjs[@]}" test/algorithms/cuda-registry.test.ts --verbose; then :; else status=1; fi
grep -E '^[0-9]+ passed, [0-9]+ failed, 1 skipped$' "$OUT/conv-registry.txt" >/dev/null || {
  say "conv-registry: expected exactly the no-GPU test skipped"; status=1; }
# Every algorithm is timed for 45 s, then only 'auto' (so the network sums stay complete).
if [[ "$skipBench" != 1 ]]; then
step bench-conv-convnets 120 node --import tsx bench/gpu-conv.ts --out "$OUT" --budget-s 70 || true
if [[ -f "$OUT/conv-cases.json" ]] && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  step bench-conv-torch 60 "$PY" scripts/gpu_torch_conv.py --cases "$OUT/conv-cases.json" \
    --json "$OUT/bench-conv-torch.json" || true
fi
node --import tsx bench/gpu-conv-table.ts "$OUT/bench-conv-convnets.json" "$OUT/bench-conv-torch.json" |
  tee "$OUT/conv-table.txt" | tee -a "$LOG"
fi

# The whole suite with the GPU present: every test with a CUDA branch (compiled plans on the device, ...).
# Skips are reported, not failed: some tests are for machines without a GPU.
if step all-tests 200 "${jestjs[@]}"; then :; else status=1; fi
say "all-tests: $(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$OUT/all-tests.txt" | tail -1)"

# 5. Sanitizers, last: the slowest steps, and the budget cuts them first (jest in-band: one process, so the sanitizer sees every kernel).
if command -v compute-sanitizer >/dev/null; then
  jest=(node node_modules/jest/bin/jest.js test/devices/harness.test.ts --runInBand)
  step memcheck 120 compute-sanitizer --tool memcheck --target-processes all --error-exitcode 97 "${jest[@]}" \
    -t 'device cuda' || status=1
  step racecheck 60 compute-sanitizer --tool racecheck --target-processes all --error-exitcode 97 "${jest[@]}" \
    -t 'device cuda.*(matmul|linear|softmax)' || status=1
  convjest=(node node_modules/jest/bin/jest.js test/devices/conv.test.ts --runInBand)
  step conv-memcheck 60 compute-sanitizer --tool memcheck --target-processes all --error-exitcode 97 "${convjest[@]}" \
    -t 'device cuda.*(im2col|implicit_gemm|winograd.*|gemm_1x1) (N3 C5 9x11|N2 C6 13x7|N3 C17 10x13 K19 1x1 s2)' || status=1
  step conv-racecheck 40 compute-sanitizer --tool racecheck --target-processes all --error-exitcode 97 "${convjest[@]}" \
    -t 'device cuda.*implicit_gemm N2 C33' || status=1
else
  say "compute-sanitizer not found: sanitizer checks NOT run"
fi

say "done: status $status; results in $OUT"
exit $status
