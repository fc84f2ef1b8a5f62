#!/usr/bin/env bash
# Builds bench/pool/pool-bench.cc against the thread pool of this tree and against the pool at a git
# ref (default: the commit before the per-region thread count), then runs both, alternating per thread
# count so machine phases hit both alike. JSON lines on stdout.
#   bench/pool/pool-bench.sh [REF] [THREAD COUNTS…]
set -euo pipefail
cd "$(dirname "$0")/../.."
REF=${1:-b5e13b5}
shift || true
COUNTS=("${@:-1 2 3 4 7 8 16 32 64}")
OUT=$(mktemp -d)
mkdir -p "$OUT/old/core"
git show "$REF:native/core/threadpool.cc" > "$OUT/old/core/threadpool.cc"
git show "$REF:native/core/threadpool.h" > "$OUT/old/core/threadpool.h"
cp native/core/error.h "$OUT/old/core/error.h"
FLAGS="-O2 -std=c++17 -pthread"
g++ $FLAGS -Inative bench/pool/pool-bench.cc native/core/threadpool.cc -o "$OUT/new"
g++ $FLAGS -I"$OUT/old" bench/pool/pool-bench.cc "$OUT/old/core/threadpool.cc" -o "$OUT/old/bench"
export POOL_BENCH_ITERS_PER_US=$("$OUT/new" calibrate)
for t in ${COUNTS[@]}; do
  "$OUT/old/bench" "old" "$t"
  "$OUT/new" "new" "$t"
done
rm -rf "$OUT"
