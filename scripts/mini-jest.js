#!/usr/bin/env node
// A jest-compatible runner for the device box, which has Node (carried) but not jest and its compiler: the
// tests are compiled to CommonJS by scripts/gpu-bundle.sh, `expect` is jest's own package, and this file
// supplies describe / describe.skip / test / test.skip / beforeAll / afterAll with jest's order (a file's
// tests run one at a time, hooks of enclosing blocks around them; a skipped block's tests count as skipped).
// Usage: node scripts/mini-jest.js FILE.test.js... [-t REGEX]; ends with "N passed, N failed, N skipped".
'use strict';
const path = require('path');
const args = process.argv.slice(2);
const tIdx = args.indexOf('-t');
const filter = tIdx >= 0 ? new RegExp(args[tIdx + 1]) : null;
const files = args.filter((a, i) => i !== tIdx && i !== tIdx + 1);
process.env.CONVNETS_POISON = process.env.CONVNETS_POISON ?? '1';

// jest's own `expect`: from node_modules, or from the bundle (.gpu/t/node_modules) on the device box.
function loadExpect() {
  const where = [process.cwd(), path.join(process.cwd(), '.gpu', 't'), __dirname];
  return require(require.resolve('expect', { paths: where })).expect;
}

let passed = 0, failed = 0, skipped = 0;
const failures = [];

function block(name, parent, skip) {
  return { name, parent, skip: skip || (parent && parent.skip), children: [], beforeAll: [], afterAll: [] };
}
let current;
function define(fileRoot) {
  current = fileRoot;
  const add = (skip) => (name, fn) => {
    const b = block(name, current, skip);
    current.children.push(b);
    const prev = current;
    current = b;
    try {
      fn();
    } finally {
      current = prev;
    }
  };
  global.describe = add(false);
  global.describe.skip = add(true);
  const addTest = (skip) => (name, fn, timeout) => current.children.push({ test: true, name, fn, skip: skip || current.skip, timeout });
  global.test = addTest(false);
  global.test.skip = addTest(true);
  global.it = global.test;
  global.beforeAll = (fn) => current.beforeAll.push(fn);
  global.afterAll = (fn) => current.afterAll.push(fn);
  global.expect = loadExpect();
}
const fullName = (b, n) => {
  const parts = [n];
  for (let p = b; p && p.name; p = p.parent) parts.unshift(p.name);
  return parts.join(' › ');
};
function withTimeout(p, ms) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}
async function run(b) {
  const tests = [];
  const collect = (x) => x.children.forEach((c) => (c.test ? tests.push(c) : collect(c)));
  collect(b);
  const any = tests.some((t) => !t.skip && (!filter || filter.test(fullName(b, t.name))));
  if (any) for (const h of b.beforeAll) await h();
  for (const c of b.children) {
    if (!c.test) {
      await run(c);
      continue;
    }
    const name = fullName(b, c.name);
    if (filter && !filter.test(name)) continue;
    if (c.skip) {
      skipped++;
      continue;
    }
    const t0 = Date.now();
    try {
      await withTimeout(Promise.resolve().then(() => c.fn()), c.timeout ?? 120000);
      passed++;
      console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      failures.push(`${name}\n    ${(e && e.stack) || e}`);
      console.log(`  ✕ ${name}`);
    }
  }
  if (any) for (const h of b.afterAll) await h();
}
(async () => {
  for (const f of files) {
    const root = block('', null, false);
    define(root);
    console.log(f);
    try {
      require(path.resolve(f));
      await run(root);
    } catch (e) {
      failed++;
      failures.push(`${f} (loading)\n    ${(e && e.stack) || e}`);
    }
  }
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed ? 1 : 0);
})();
