#!/usr/bin/env bash
# The device test files (test/devices/*.test.ts, compiled by scripts/gpu-bundle.sh into .gpu/t) on a GPU box
# without jest, through scripts/mini-jest.js, then compute-sanitizer memcheck over the harness. Carry: .gpu,
# build/Release/convnets.node, dist, node_modules/node-gyp-build. Output to $OUT (default ./gpu-check-out).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
export PATH="$PATH:/usr/local/cuda/bin"
if ! command -v node >/dev/null; then
  xz -d -c .gpu/node.xz > /tmp/node && chmod +x /tmp/node && export PATH="/tmp:$PATH"
fi
# The addon travels xz-compressed (.gpu/convnets.node.xz: its fatbins compress 10×) when build/ is not carried.
if [[ ! -f build/Release/convnets.node && -f .gpu/convnets.node.xz ]]; then
  mkdir -p build/Release && xz -d -c .gpu/convnets.node.xz > build/Release/convnets.node
fi
# The compiled lib/ loads the addon from .gpu/t/build (node-gyp-build relative to the package root).
ln -sfn "$PWD/build" .gpu/t/build
status=0
files=(.gpu/t/test/devices/*.test.js)
timeout "${SUITE_LIMIT_S:-240}" node scripts/mini-jest.js "${files[@]}" > "$OUT/suite.txt" 2>&1 || status=1
grep -E "^(FAILED|[0-9]+ passed)" "$OUT/suite.txt" | tail -20
if command -v compute-sanitizer >/dev/null && [[ -n "${SANITIZE:-1}" ]]; then
  timeout "${SANITIZER_LIMIT_S:-120}" compute-sanitizer --tool memcheck --error-exitcode 97 node scripts/mini-jest.js \
    .gpu/t/test/devices/harness.test.js -t 'device cuda.*interpolate' > "$OUT/memcheck-suite.txt" 2>&1 || status=1
  tail -2 "$OUT/memcheck-suite.txt"
fi
echo "done: status $status after $SECONDS s"
exit $status
