#!/usr/bin/env bash
# Packs the package with a prebuild and installs it into an empty folder with no build/: the addon must
# load from prebuilds/ through node-gyp-build, without compiling, and must not need libcudart.so.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
npm run build:ts
npm run prebuildify
prebuild=$(ls prebuilds/linux-x64/*.node | head -n 1)
if readelf -d "$prebuild" | grep -E 'NEEDED.*(cudart|cublas|cudnn)'; then
  echo "test-pack: $prebuild needs a CUDA library at load time" >&2
  exit 1
fi
tarball="$root/$(npm pack --silent | tail -n 1)"
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$tarball"' EXIT
cd "$dir"
# The consumer allows convnets' install script, so the check covers it: it must find the prebuild, not compile.
echo '{"name":"consumer","version":"1.0.0","private":true,"allowScripts":{"convnets":true}}' > package.json
npm install --prefer-offline --no-audit --no-fund "$tarball" >/dev/null
if [ -d node_modules/convnets/build ]; then
  echo "test-pack: installing compiled from source although a prebuild was packed" >&2
  exit 1
fi
node -e "
const path = require('path');
const where = require('node-gyp-build').resolve(path.dirname(require.resolve('convnets/package.json')));
if (!where.includes('prebuilds')) throw new Error('loaded ' + where + ', not the prebuild');
const { Tensor, F, cuda } = require('convnets');
const y = F.relu(Tensor.from([-1, 2], [2]));
if (y.data()[0] !== 0 || y.data()[1] !== 2) throw new Error('relu gave ' + y.data());
console.log('test-pack: loaded ' + path.relative(process.cwd(), where) + '; cuda available: ' + cuda.isAvailable());
"
