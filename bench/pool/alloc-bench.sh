#!/usr/bin/env bash
# Builds and runs bench/pool/alloc-bench.cc against the CPU allocator of this tree (CUDA stubbed out).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(mktemp -d)
g++ -O2 -std=c++17 -pthread -Inative bench/pool/alloc-bench.cc native/core/allocator.cc native/core/cuda_off.cc -o "$OUT/alloc"
"$OUT/alloc"
rm -rf "$OUT"
