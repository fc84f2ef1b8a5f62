#!/usr/bin/env bash
# The tensor-core kernels' logic on the CPU (tc_emu.cc over emu.h and mma.cuh's emulated mma.sync), for
# machines without a GPU: bash scripts/cuda-emu/run-tc.sh (needs g++ with C++20; no CUDA, no addon build).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The kernels of each .cu: the text of its first anonymous namespace (the launchers after it are host code).
python3 - native/cuda/{conv_implicit_gemm_tc,gemm_tc}.cu > "$tmp/tc.inc" <<'PY'
import sys
for f in sys.argv[1:]:
    s = open(f).read()
    a = s.index("namespace {") + len("namespace {")
    b = s.index("}  // namespace\n")
    print("namespace k_%s {\n%s\n}" % (f.rsplit("/", 1)[-1].split(".")[0], s[a:b]))
PY
g++ -std=c++20 -O1 -pthread -w -Inative -Iscripts/cuda-emu -I"$tmp" scripts/cuda-emu/tc_emu.cc -o "$tmp/tc_emu"
status=0
"$tmp/tc_emu" > "$tmp/tc.txt" || status=1
grep -c " OK$" "$tmp/tc.txt" | sed "s/$/ checks OK/"
grep -E "FAIL|failures" "$tmp/tc.txt" || true
[[ "${VERBOSE:-0}" == 1 ]] && cat "$tmp/tc.txt"
exit $status
