#!/usr/bin/env bash
# The one binary must run on any x86-64. Runs scripts/old-cpu-check.js under qemu as a Nehalem (SSE4.2,
# no AVX) and natively with CONVNETS_ISA=generic; the results must be identical. Needs dist/ (npm run build:ts).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v qemu-x86_64 >/dev/null; then
  apt-get install -y qemu-user >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y qemu-user >/dev/null; }
fi
[ -f dist/index.js ] || npm run build:ts
native=$(CONVNETS_ISA=generic node scripts/old-cpu-check.js)
old=$(qemu-x86_64 -cpu Nehalem "$(command -v node)" scripts/old-cpu-check.js)
echo "native (generic): $native"
echo "qemu Nehalem:     $old"
if [ "$native" != "$old" ]; then
  echo "test-old-cpu: results differ on a CPU without AVX" >&2
  exit 1
fi
echo "test-old-cpu: the addon runs on a CPU without AVX and gives the generic path's results"
