#!/usr/bin/env bash
# Tensor cores and CUDA graphs on a machine with an NVIDIA GPU, in one bounded run (the device box: no Node,
# no node_modules beyond what is carried). Carry: .gpu/node.xz (a node binary, xz), build/Release/convnets.node
# (built elsewhere, CUDA archs including this GPU's), dist/ (npm run build:ts), node_modules/node-gyp-build.
#   1. correctness + network timings of ours (scripts/gpu-tc-check.js) → $OUT/tc.json
#   2. PyTorch at the same precisions with CUDA graphs (scripts/gpu_torch_precision.py) → $OUT/torch-precision.json
#   3. compute-sanitizer memcheck and racecheck over the correctness part (no benchmarks), when present.
# Budget: GPU_CHECK_BUDGET_S (default 420). GPU_CHECK_QUICK=1: batch 1 only.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
budget="${GPU_CHECK_BUDGET_S:-420}"
quick=(); [[ "${GPU_CHECK_QUICK:-0}" == 1 ]] && quick=(--quick)
export PATH="$PATH:/usr/local/cuda/bin"
if ! command -v node >/dev/null; then
  xz -d -c .gpu/node.xz > /tmp/node && chmod +x /tmp/node && export PATH="/tmp:$PATH"
fi
nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader | tee "$OUT/machine.txt"
left() { echo $((budget - SECONDS)); }
status=0
timeout $(( $(left) * 6 / 10 )) node scripts/gpu-tc-check.js "$OUT/tc.json" "${quick[@]}" 2>&1 | tee "$OUT/tc.txt" || status=1
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  timeout $(( $(left) * 7 / 10 )) python3 scripts/gpu_torch_precision.py "$OUT/torch-precision.json" "${quick[@]}" 2>&1 |
    tee "$OUT/torch.txt" || true
fi
if command -v compute-sanitizer >/dev/null && (( $(left) > 40 )); then
  timeout $(( $(left) - 10 )) compute-sanitizer --tool memcheck --error-exitcode 97 node scripts/gpu-tc-check.js \
    "$OUT/memcheck.json" --no-bench > "$OUT/memcheck.txt" 2>&1 || status=1
  tail -5 "$OUT/memcheck.txt"
fi
if command -v compute-sanitizer >/dev/null && (( $(left) > 30 )); then
  timeout $(( $(left) - 5 )) compute-sanitizer --tool racecheck --error-exitcode 97 node scripts/gpu-tc-check.js \
    "$OUT/racecheck.json" --ops-only > "$OUT/racecheck.txt" 2>&1 || status=1
  tail -5 "$OUT/racecheck.txt"
fi
echo "done: status $status after $SECONDS s"
exit $status
