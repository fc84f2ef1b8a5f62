#!/usr/bin/env bash
# The release binary that `npm pack` / `npm publish` carry (run by the prepack script): a clean Release
# build in its own folder (build-release-cuda/; a developer's build/ is left alone), CUDA required
# (sm_75, 80, 86, 89 as cubins, sm_90 as cubin + PTX, static cudart), stripped, copied to
# prebuilds/<platform>-<arch>/convnets.<libc>.node where node-gyp-build finds it, then checked by
# scripts/check-prebuild.js (architectures, size, no CUDA library needed at load time).
# CONVNETS_PACK_CPU_ONLY=1 packs a CPU-only binary instead (for a machine without nvcc; not for release).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tuple=$(node -p 'process.platform + "-" + process.arch')
libc=glibc
[ -f /etc/alpine-release ] && libc=musl
if [ "${CONVNETS_PACK_CPU_ONLY:-}" = 1 ]; then
  mode=cpu; export CONVNETS_CUDA=0
else
  mode=cuda; export CONVNETS_CUDA=1  # CMakeLists.txt stops with an actionable message when nvcc is missing
fi
out="build-release-$mode"
start=$(date +%s)
echo "prebuildify: building $tuple ($mode) in $out/"
"$root/node_modules/.bin/cmake-js" compile --out "$out" --log-level warn
dest="prebuilds/$tuple"
rm -rf "$dest"
mkdir -p "$dest"
cp "$out/Release/convnets.node" "$dest/convnets.$libc.node"
strip --strip-all "$dest/convnets.$libc.node"
echo "prebuildify: $dest/convnets.$libc.node in $(( $(date +%s) - start )) s"
check=()
[ "$mode" = cuda ] && check+=(--cuda)
node scripts/check-prebuild.js "${check[@]}" "$dest/convnets.$libc.node"
