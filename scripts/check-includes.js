#!/usr/bin/env node
// The native layering, checked over every `#include "…"` line (native/README.md draws it):
//
//   core  ←  cpu, cuda  ←  dispatch  ←  graph  ←  napi  ←  lib/ (TypeScript)
//
// A folder may include itself and the folders below it; never one above, and never a sibling
// (cpu ↔ cuda). dispatch/cuda_bridge/ is dispatch's half that nvcc builds: it is dispatch and may
// include cuda/. Usage: node scripts/check-includes.js [root]  (exit 1 and one line per violation).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// What each folder may include (itself included).
const ALLOWED = {
  core: ['core'],
  cpu: ['core', 'cpu'],
  cuda: ['core', 'cuda'],
  dispatch: ['core', 'cpu', 'cuda', 'dispatch'],
  graph: ['core', 'dispatch', 'graph'],
  napi: ['core', 'dispatch', 'graph', 'napi'],
};

// files: [{ file: 'native/core/ops.cc', text }] → ['native/core/ops.cc:10 includes "cpu/pool.h": core may include core only']
function checkIncludes(files) {
  const problems = [];
  for (const { file, text } of files) {
    const parts = file.split('/');
    const layer = parts[0] === 'native' ? parts[1] : undefined;
    if (!layer || parts.length < 3) continue;
    const allowed = ALLOWED[layer];
    if (!allowed) {
      problems.push(`${file}: folder native/${layer} is not in the layering (scripts/check-includes.js)`);
      continue;
    }
    text.split('\n').forEach((line, i) => {
      const m = /^\s*#\s*include\s+"([^"]+)"/.exec(line);
      if (!m) return;
      const target = m[1];
      const slash = target.indexOf('/');
      // A bare "x.h" is the file's own folder (none are written that way today, but it would be legal).
      const to = slash < 0 ? layer : target.slice(0, slash);
      if (!allowed.includes(to))
        problems.push(`${file}:${i + 1} includes "${target}": native/${layer} may include ${allowed.join(', ')} only`);
    });
  }
  return problems;
}

function nativeFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cc|h|cu|cuh)$/.test(e.name))
        out.push({ file: path.relative(root, p).split(path.sep).join('/'), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(path.join(root, 'native'));
  return out;
}

module.exports = { checkIncludes, nativeFiles, ALLOWED };

if (require.main === module) {
  const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
  const files = nativeFiles(root);
  const problems = checkIncludes(files);
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(`native layering ok: ${files.length} files`);
}
