#!/usr/bin/env bash
# prebuildify always calls `node-gyp rebuild ...`; this shim runs cmake-js instead (TOOLCHAIN.md).
# `compile` reuses an existing build/ (npm ci already built it), so CI does not build twice.
# prebuildify then copies build/Release/*.node into prebuilds/<platform>-<arch>/.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/node_modules/.bin/cmake-js" compile --directory "$here"
