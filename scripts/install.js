#!/usr/bin/env node
// npm's install step for convnets. A prebuilt binary for this platform (prebuilds/, shipped in the npm
// package for linux-x64 glibc) that loads: nothing to do. Otherwise build from source with cmake-js, after
// checking that the toolchain exists, so a missing one is one actionable line instead of a stack trace.
// CONVNETS_BUILD_FROM_SOURCE=1 (or npm's --build-from-source) builds even when a prebuild loads.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const target = `${process.platform}-${process.arch} (Node ${process.versions.node})`;

function prebuildLoads() {
  try {
    require(require('node-gyp-build').resolve(root));  // resolve throws when nothing matches this platform
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd);
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What is missing to build from source, as package names a user recognises. */
function missingTools() {
  const missing = [];
  const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  const v = /cmake version (\d+)\.(\d+)/.exec(cmake.stdout || '');
  if (!v) missing.push('cmake (>= 3.18)');
  else if (Number(v[1]) < 3 || (Number(v[1]) === 3 && Number(v[2]) < 18)) missing.push(`cmake >= 3.18 (found ${v[1]}.${v[2]})`);
  const cxx = process.env.CXX ? [process.env.CXX.split(' ')[0]] : ['c++', 'g++', 'clang++'];
  if (!cxx.some(onPath)) missing.push('a C++17 compiler (g++ or clang++)');
  if (process.platform !== 'win32' && !onPath('make') && !onPath('ninja')) missing.push('make');
  return missing;
}

function main() {
  const forced = process.env.CONVNETS_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true';
  if (!forced && prebuildLoads()) return 0;
  const why = forced ? 'building from source as asked' : `no prebuilt binary for ${target}`;
  const missing = missingTools();
  if (missing.length) {
    console.error(`convnets: ${why}, and building one needs ${missing.join(', ')}: install them ` +
      '(Debian/Ubuntu: apt-get install cmake g++ make; Fedora: dnf install cmake gcc-c++ make; macOS: xcode-select --install ' +
      '&& brew install cmake), then run `npm rebuild convnets`.');
    return 1;
  }
  console.error(`convnets: ${why}; building from source with cmake-js (CUDA too when nvcc is found; CONVNETS_CUDA=0 skips it)`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', root], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('convnets: the source build failed (its output is above). Without CUDA it needs only cmake and g++: ' +
      'CONVNETS_CUDA=0 npm rebuild convnets');
    return r.status || 1;
  }
  return 0;
}

process.exitCode = main();
