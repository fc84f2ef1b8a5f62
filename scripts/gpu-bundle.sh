#!/usr/bin/env bash
# Prepares .gpu/ for a device box without jest, tsx or a compiler: the node binary (xz), the test suite's
# device-relevant files compiled to CommonJS (lib/ and test/ with tsc), and the closure of `expect`'s
# dependencies from node_modules. Then on the device: node scripts/mini-jest.js .gpu/t/test/devices/*.test.js
# (the build/Release/convnets.node and dist/ are carried beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu
[[ -f .gpu/node.xz ]] || xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
rm -rf .gpu/t
npx tsc -p tsconfig.json --noEmit false --outDir .gpu/t --declaration false --sourceMap false 2>&1 | tail -5 || true
# lib/native.ts loads the addon relative to the repository root: point the compiled copy at it.
node -e '
  const fs = require("fs"), path = require("path");
  const seen = new Set();
  const copy = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const src = path.join("node_modules", name);
    if (!fs.existsSync(src)) return;
    fs.cpSync(src, path.join(".gpu/t/node_modules", name), { recursive: true, dereference: true });
    const pkg = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8"));
    for (const d of Object.keys(pkg.dependencies || {})) copy(d);
  };
  copy("expect");
  copy("node-gyp-build");
  copy("fflate");  // lib/io/pth.ts imports it at load time (sharp is required lazily: image tests need it, device tests do not)
'
# Type-only packages are not needed at run time (and would not fit the device's carry limit).
rm -rf .gpu/t/node_modules/@types .gpu/t/node_modules/undici-types
[[ -f build/Release/convnets.node ]] && xz -T2 -3 -c build/Release/convnets.node > .gpu/convnets.node.xz
du -sh .gpu/t .gpu/node.xz .gpu/convnets.node.xz 2>/dev/null
