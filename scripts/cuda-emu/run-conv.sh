#!/usr/bin/env bash
# The CUDA conv kernels' logic on the CPU (conv_emu.cc over emu.h), for machines without a GPU:
#   bash scripts/cuda-emu/run-conv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# emu.h (the emulator) comes with the cuda helper's scripts/cuda-emu/run.sh.
[[ -f scripts/cuda-emu/emu.h ]] || { echo "needs scripts/cuda-emu/emu.h (from the cuda branch)"; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The kernels of each .cu: the text of its anonymous namespace (the launchers outside it are host code).
python3 - native/cuda/conv_{implicit_gemm,im2col,gemm_1x1,winograd}.cu > "$tmp/conv.inc" <<'PY'
import sys
for f in sys.argv[1:]:
    s = open(f).read()
    a = s.index("namespace {") + len("namespace {")
    b = s.index("}  // namespace\n")
    print("namespace k_%s {\n%s\n}" % (f.rsplit("/", 1)[-1].split(".")[0], s[a:b]))
PY
g++ -std=c++20 -O1 -pthread -w -Iscripts/cuda-emu -I"$tmp" scripts/cuda-emu/conv_emu.cc -o "$tmp/conv_emu"
"$tmp/conv_emu" > "$tmp/conv.txt" || status=1
grep -c " OK$" "$tmp/conv.txt" | sed "s/$/ checks OK/"
grep -E "FAIL|failures" "$tmp/conv.txt"
exit ${status:-0}
