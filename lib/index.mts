// The ESM entry point (package.json exports → import): the CommonJS build's exports, re-exported by name
// (Node reads them with cjs-module-lexer; test/package/exports.test.ts checks both lists match).
export * from './index.js';
