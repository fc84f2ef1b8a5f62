#!/usr/bin/env bash
# Runs the CUDA kernels' logic on the CPU (emu.h): for machines without a GPU. Needs g++ (C++20) and a
# CPU-only build of the addon, whose CPU kernel objects are linked in as the reference:
#   CONVNETS_CUDA=0 npx cmake-js compile -O build-cpu && bash scripts/cuda-emu/run.sh
# (interpolate.cu has its own self-contained run, run-interp.sh; the tensor-core kernels run-tc.sh.)
set -euo pipefail
cd "$(dirname "$0")/../.."
obj=""
for d in build-cpu build; do
  [[ -f "$d/CMakeFiles/convnets.dir/native/core/cuda_off.cc.o" ]] && { obj="$d/CMakeFiles/convnets.dir/native"; break; }
done
[[ -n "$obj" ]] || { echo "needs a CPU-only build: CONVNETS_CUDA=0 npx cmake-js compile -O build-cpu"; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The kernels of a .cu: the text of its anonymous namespace (the launchers outside it are host code).
kernels() {
  python3 - "$@" <<'PY'
import sys
for f in sys.argv[1:]:
    s = open(f).read()
    a = s.index("namespace {") + len("namespace {")
    b = s.index("}  // namespace\n")
    name = f.rsplit("/", 1)[-1].split(".")[0]
    print("namespace k_%s {\n%s\n}" % (name, s[a:b]))
PY
}
# sgemm: only the device part (its namespace ends with the host launchers, which sgemm_emu.cc mirrors).
awk '/^constexpr int BM/,/^bool aligned16/' native/cuda/sgemm.cu | sed '$d' > "$tmp/sgemm.inc"
kernels native/cuda/{elementwise,pool,lrn,norm,softmax,concat,conv_direct}.cu > "$tmp/ops.inc"
flags=(-std=c++20 -O1 -pthread -w -Inative -Iscripts/cuda-emu -I"$tmp")
g++ "${flags[@]}" scripts/cuda-emu/sgemm_emu.cc -o "$tmp/sgemm_emu"
# Every object below napi: the CPU reference kernels dispatch to their ISA files at run time.
g++ "${flags[@]}" scripts/cuda-emu/ops_emu.cc "$obj"/{core,cpu,dispatch,graph}/*.o \
  -o "$tmp/ops_emu"
status=0
"$tmp/sgemm_emu" > "$tmp/sgemm.txt" || status=1
"$tmp/ops_emu" > "$tmp/ops.txt" || status=1
grep -h -E "FAIL|failures" "$tmp/sgemm.txt" "$tmp/ops.txt"
exit $status
