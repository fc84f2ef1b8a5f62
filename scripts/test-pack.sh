#!/usr/bin/env bash
# The package as users get it. Usage: scripts/test-pack.sh [convnets-x.y.z.tgz]   (without one, runs `npm pack`)
#  1. the tarball's binary: all five CUDA architectures, under the size limit (scripts/check-prebuild.js);
#  2. installs the tarball into an empty project with cmake, g++ and make hidden from PATH: it must load from
#     prebuilds/ without compiling, and run;
#  3. the source fallback, from the same tarball with prebuilds/ removed: without the toolchain, one actionable
#     line and no stack trace; with it (CONVNETS_CUDA=0, to keep CI short), a build with no stack trace first.
# Prints how long each install took.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ $# -ge 1 ]; then
  tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  tarball="$root/$(npm pack --silent | tail -n 1)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "test-pack: $*"; }
fail() { echo "test-pack: FAILED: $*" >&2; exit 1; }
say "$(basename "$tarball"): $(du -k "$tarball" | cut -f1) kB"

# 1. the binary inside the tarball
mkdir "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked"
bin=$(ls "$work"/unpacked/package/prebuilds/linux-x64/*.node 2>/dev/null | head -n 1) || true
[ -n "$bin" ] || fail "the tarball has no prebuilds/linux-x64/*.node (prepack did not run?)"
node scripts/check-prebuild.js --cuda "$bin"

# A PATH with node and npm but no compiler, cmake or make.
nocc="$work/nocc-bin"
mkdir "$nocc"
for tool in node npm npx sh env; do ln -s "$(command -v "$tool")" "$nocc/$tool"; done
for tool in cmake g++ c++ gcc make ninja; do
  if PATH="$nocc" command -v "$tool" >/dev/null; then fail "could not hide $tool"; fi
done

consumer() {  # consumer <dir>: an empty project that approves convnets' install script (npm 11 allowScripts)
  mkdir -p "$1"
  echo '{"name":"consumer","version":"1.0.0","private":true,"allowScripts":{"convnets":true}}' > "$1/package.json"
}
load_check='
const path = require("path");
const where = require("node-gyp-build").path(path.dirname(require.resolve("convnets/package.json")));
const { Tensor, F, cuda } = require("convnets");
const y = F.relu(Tensor.from([-1, 2], [2]));
if (y.data()[0] !== 0 || y.data()[1] !== 2) throw new Error("relu gave " + y.data());
console.log(path.relative(process.cwd(), where) + "; cuda.isAvailable() " + cuda.isAvailable() + " (" + (cuda.unavailableReason() || "ok") + ")");
'

# 2. install with the prebuild, no toolchain
consumer "$work/app"
cd "$work/app"
start=$(node -p "Date.now() / 1000")
PATH="$nocc" npm install --no-audit --no-fund "$tarball" > install.log 2>&1 || { cat install.log; fail "npm install of the tarball failed without a toolchain"; }
secs=$(node -p "(Date.now() / 1000 - $start).toFixed(1)")
[ ! -d node_modules/convnets/build ] || fail "the install compiled from source although a prebuild was packed"
loaded=$(PATH="$nocc" node -e "$load_check")
case "$loaded" in node_modules/convnets/prebuilds/*) ;; *) fail "loaded $loaded, not the prebuild" ;; esac
say "installed in ${secs} s without cmake/g++/make; loaded $loaded"
echo 'import { Tensor } from "convnets"; if (Tensor.zeros([2]).numel !== 2) throw new Error("esm");' > esm.mjs
PATH="$nocc" node esm.mjs || fail "import from 'convnets' (ESM) failed"

# 3. source fallback: the same package without prebuilds/
cd "$work/unpacked/package"
rm -rf prebuilds/linux-x64
tar -czf "$work/noprebuild.tgz" -C "$work/unpacked" package
consumer "$work/src-nocc"
cd "$work/src-nocc"
if PATH="$nocc" npm install --no-audit --no-fund "$work/noprebuild.tgz" > install.log 2>&1; then
  fail "install without a prebuild and without a toolchain succeeded?"
fi
line=$(grep -E '^(npm error )?convnets:' install.log | sed 's/^npm error //' || true)
[ "$(echo "$line" | grep -c .)" = 1 ] || { cat install.log; fail "expected one 'convnets:' line explaining the missing toolchain"; }
echo "$line" | grep -q 'needs cmake (>= 3.18), a C++17 compiler (g++ or clang++), make' || fail "the message does not name the tools: $line"
echo "$line" | grep -q 'npm rebuild convnets' || fail "the message does not say what to run: $line"
if grep -qE 'No native build was found|^\s+at ' install.log; then cat install.log; fail "a stack trace was printed"; fi
say "without a prebuild or toolchain: $line"

consumer "$work/src"
cd "$work/src"
start=$(node -p "Date.now() / 1000")
CONVNETS_CUDA=0 npm install --no-audit --no-fund --foreground-scripts "$work/noprebuild.tgz" > install.log 2>&1 || { tail -30 install.log; fail "the source build failed"; }
secs=$(node -p "(Date.now() / 1000 - $start).toFixed(1)")
if grep -qE 'No native build was found|^\s+at ' install.log; then cat install.log; fail "a stack trace was printed before the source build"; fi
grep -q 'convnets: no prebuilt binary for linux-x64' install.log || { cat install.log; fail "the source build did not say why it compiles"; }
loaded=$(node -e "$load_check")
case "$loaded" in node_modules/convnets/build/*) ;; *) fail "loaded $loaded, not the source build" ;; esac
say "source build (CONVNETS_CUDA=0) in ${secs} s, no stack trace; loaded $loaded"
