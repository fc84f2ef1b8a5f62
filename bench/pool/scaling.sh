#!/usr/bin/env bash
# Compiled GoogLeNet and ResNet-50 at batch 1 over thread counts, the pool and kernels of this tree
# against a built copy of an older tree (BASE: a repository root with its build/), in alternating
# processes (ROUNDS rounds) so machine phases hit both alike. JSON lines; bench/pool/model.ts summarises.
#   bench/pool/scaling.sh BASE [ROUNDS] [THREADS] > bench/pool/scaling.jsonl
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=$1
ROUNDS=${2:-3}
THREADS=${3:-1,2,3,4,8,16}
for r in $(seq "$ROUNDS"); do
  npx tsx bench/pool/scaling.ts --lib "$BASE" --label before --threads "$THREADS" --runs 9
  npx tsx bench/pool/scaling.ts --label after --threads "$THREADS" --runs 9
done
