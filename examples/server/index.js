#!/usr/bin/env node
// Example HTTP inference service on convnets: `node examples/server` (from a clone after `npm ci`, which builds
// dist/). POST a [3, 224, 224] float32 tensor or a 224×224 PPM to /v1/classify and get the top-5 classes:
//   curl -s --data-binary @x.f32 -H 'content-type: application/octet-stream' http://127.0.0.1:8080/v1/classify
// Flags: config.js. SIGTERM / SIGINT: stop accepting, finish what is in flight, exit 0.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const { parseConfig } = require('./config');

function loadLibrary() {
  const root = path.join(__dirname, '..', '..');
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm ci` (or `npm run build:ts`) in the repository first');
  }
  return require(root);
}

async function main() {
  const cfg = parseConfig(process.argv.slice(2));
  const convnets = loadLibrary();
  const { Engine } = require('./engine');
  const { makeMetrics } = require('./metrics');
  const { buildApp } = require('./app');

  let engine;
  const metrics = makeMetrics(convnets, () => engine.stats());
  const t0 = performance.now();
  engine = new Engine(convnets, cfg, { onBatch: (info) => metrics.onBatch(info) });
  const app = buildApp(convnets, cfg, engine, metrics);
  const address = await app.listen({ port: cfg.port, host: cfg.host });
  const mode = cfg.batching ? `batching up to ${cfg.maxBatch} within ${cfg.maxDelayMs} ms` : 'unbatched';
  console.log(`convnets server: ${cfg.model} ${cfg.size}² on ${cfg.devices.join(', ')}, ${mode}` +
    `${engine.randomWeights ? ', RANDOM weights (pass --weights)' : ''}; ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`listening on ${address}`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining`);
    const t = performance.now();
    try {
      await app.drain();
      console.log(`drained in ${(performance.now() - t).toFixed(0)} ms; bye`);
      process.exit(0);
    } catch (e) {
      console.error(e);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  console.error(`convnets server: ${e.message}`);
  process.exit(1);
});
