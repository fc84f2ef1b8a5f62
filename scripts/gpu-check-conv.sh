#!/usr/bin/env bash
# The CUDA convolution part of the GPU check (to be folded into scripts/gpu-check.sh by the lead; it
# reuses that script's conventions). On a machine with an NVIDIA GPU and no network, from the repo root:
#   1. builds the addon for the GPU present unless SKIP_BUILD=1 (gpu-check.sh has built it already);
#   2. runs the conv device tests (test/devices/conv.test.ts: every CUDA algorithm vs the CPU on awkward
#      shapes; test/algorithms/cuda-registry.test.ts, whose find test runs only with a GPU) — a skipped
#      case on a GPU machine counts as a failure — and compute-sanitizer memcheck over the conv cases;
#   3. times every distinct conv layer of the five networks at batch 1 and 32, 224², ours ('auto' and each
#      algorithm) and PyTorch + cuDNN (fp32, TF32 off, cudnn.benchmark) in the same run, then the five
#      networks whole where lib/models and torchvision exist, and prints a short table.
# Budget: ~4 minutes of the 8 (each step has a hard limit; the layer sweep times every algorithm for 90 s,
# then only auto). Results go to $OUT (default ./gpu-check-out).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
LOG="$OUT/gpu-check-conv.log"
: > "$LOG"
status=0
say() { echo "== $*" | tee -a "$LOG"; }
step() {
  local name="$1" limit="$2"; shift 2
  say "$name: $*"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  tail -n 30 "$OUT/$name.txt" | tee -a "$LOG"
  say "$name: exit $rc after $((SECONDS - t0)) s"
  return $rc
}
export PATH="$PATH:/usr/local/cuda/bin"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
  [[ "$arch" =~ ^[0-9]+$ ]] || arch=native
  if ! step conv-configure 120 npx cmake-js configure --CDCMAKE_CUDA_ARCHITECTURES="$arch" ||
     ! step conv-build 300 npx cmake-js build; then
    say "BUILD FAILED: see $OUT/conv-build.txt"
    exit 1
  fi
fi

# 2. Tests: nothing may be skipped on a GPU machine.
if step conv-tests 150 npx jest test/devices/conv.test.ts test/algorithms/cuda-registry.test.ts --verbose; then :; else status=1; fi
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$OUT/conv-tests.txt" | tail -1)"
say "conv tests: ${summary:-no summary line}"
# Expected skips with a GPU, exactly two: the networks placeholder (until lib/models is on main; its title
# says so) and cuda-registry's "without CUDA" test.
if [[ "$summary" =~ ,\ ([0-9]+)\ skipped ]] && (( BASH_REMATCH[1] > 2 )); then
  say "conv tests: ${BASH_REMATCH[1]} skipped on a GPU machine: counted as a failure"
  status=1
fi
if command -v compute-sanitizer >/dev/null; then
  step conv-memcheck 120 compute-sanitizer --tool memcheck --target-processes all --error-exitcode 97 \
    node node_modules/jest/bin/jest.js test/devices/conv.test.ts --runInBand -t 'device cuda.*(N3 C5 9x11|N2 C33|g3|s2|same)' ||
    status=1
  step conv-racecheck 60 compute-sanitizer --tool racecheck --target-processes all --error-exitcode 97 \
    node node_modules/jest/bin/jest.js test/devices/conv.test.ts --runInBand -t 'device cuda.*implicit_gemm N2 C33' || status=1
else
  say "compute-sanitizer not found: sanitizer checks NOT run"
fi

# 3. Benchmarks: ours, then PyTorch on the shapes ours wrote, on the same warm GPU.
step bench-conv-convnets 150 npx tsx bench/gpu-conv.ts --out "$OUT" --budget-s 90 || true
PY="${PYTHON:-python3}"
if [[ -f "$OUT/conv-cases.json" ]] && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  step bench-conv-torch 120 "$PY" scripts/gpu_torch_conv.py --cases "$OUT/conv-cases.json" --json "$OUT/bench-conv-torch.json" || true
else
  say "PyTorch with CUDA not found for $PY (or no cases): no cuDNN column"
fi
node -e '
  const fs = require("fs");
  const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
  const ours = read(process.argv[1]), torch = read(process.argv[2]);
  if (!ours) { console.log("no convnets conv results"); process.exit(0); }
  const tms = new Map((torch ? torch.results : []).map((r) => [r.name, r.ms]));
  const f = (v) => (v == null ? "-" : v.toFixed(2));
  // Per network and batch: Σ over the conv layers it uses (a shape used n times counts n times; 
  // lists the repeated VGG16 shapes once) of auto, of the best algorithm per layer, and of cuDNN.
  const rows = [["net (conv layers)", "N", "auto ms", "best-algo ms", "cudnn ms", "cudnn/auto"]];
  const nets = [...new Set(ours.results.flatMap((r) => (r.uses || [r.net + "."]).map((u) => u.split(".")[0])))];
  for (const batch of [1, 32]) for (const net of nets) {
    const rs = ours.results.filter((r) => r.batch === batch);
    let auto = 0, best = 0, cud = 0, haveT = true;
    for (const n of [...new Set(rs.map((r) => r.name))]) {
      const mine = rs.filter((r) => r.name === n);
      const cnt = (mine[0].uses || [mine[0].net + "."]).filter((u) => u.startsWith(net + ".")).length;
      if (!cnt) continue;
      const a = mine.find((r) => r.algo === "auto");
      auto += cnt * (a && a.ms != null ? a.ms : NaN);
      best += cnt * Math.min(...mine.filter((r) => r.ms != null).map((r) => r.ms));
      if (tms.has(n)) cud += cnt * tms.get(n); else haveT = false;
    }
    rows.push([net, String(batch), f(auto), f(best), haveT ? f(cud) : "-", haveT ? (cud / auto).toFixed(2) : "-"]);
  }
  const tn = new Map((torch ? torch.networks : []).map((r) => [r.name, r.ms]));
  for (const r of ours.networks || []) rows.push([r.name + " (whole)", String(r.batch), r.ms == null ? "error" : f(r.ms), "", f(tn.get(r.name)), tn.has(r.name) && r.ms ? (tn.get(r.name) / r.ms).toFixed(2) : "-"]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`${ours.device}; ${torch ? torch.library : "no torch"} (cudnn/auto > 1: convnets faster)`);
  for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  "));
  // Per layer: which algorithm won, for tuning the auto rules (full list in the JSON).
  const lost = [];
  for (const n of [...new Set(ours.results.map((r) => r.name))]) {
    const rs = ours.results.filter((r) => r.name === n && r.ms != null);
    const a = rs.find((r) => r.algo === "auto"), b = rs.filter((r) => r.algo !== "auto").sort((p, q) => p.ms - q.ms)[0];
    if (a && b && b.ms < 0.8 * a.ms) lost.push(`${n}: auto=${a.chosen} ${f(a.ms)} ms, ${b.algo} ${f(b.ms)} ms`);
  }
  console.log(`auto ≥ 25% slower than the best algorithm on ${lost.length} layers:`);
  for (const l of lost.slice(0, 15)) console.log("  " + l);
' "$OUT/bench-conv-convnets.json" "$OUT/bench-conv-torch.json" | tee "$OUT/conv-table.txt" | tee -a "$LOG"

say "conv done: status $status; results in $OUT"
exit $status
