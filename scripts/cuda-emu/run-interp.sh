#!/usr/bin/env bash
# interpolate.cu's kernels on the CPU (interp_emu.cc over emu.h), for machines without a GPU:
# bash scripts/cuda-emu/run-interp.sh (needs g++ with C++20 and python3; no CUDA, no addon build).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - native/cuda/interpolate.cu > "$tmp/interp.inc" <<'PY'
import sys
for f in sys.argv[1:]:
    s = open(f).read()
    a = s.index("namespace {") + len("namespace {")
    b = s.index("}  // namespace\n")
    print("namespace k_%s {\n%s\n}" % (f.rsplit("/", 1)[-1].split(".")[0], s[a:b]))
PY
g++ -std=c++20 -O1 -pthread -w -Inative -Iscripts/cuda-emu -I"$tmp" scripts/cuda-emu/interp_emu.cc native/core/interp_desc.cc -o "$tmp/interp_emu"
status=0
"$tmp/interp_emu" > "$tmp/interp.txt" || status=1
grep -E "FAIL|failures" "$tmp/interp.txt" || true
[[ "${VERBOSE:-0}" == 1 ]] && cat "$tmp/interp.txt"
exit $status
