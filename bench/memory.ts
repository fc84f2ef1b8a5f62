// Memory of a compiled network against onnxruntime-node: the resident set each engine adds, measured in a
// process of its own (RSS is per process), from just before it loads the network to after N runs.
//   npx tsx bench/memory.ts [--nets resnet50,densenet121] [--threads 2] [--runs 5]
// Ours: load the weights (bench/.cache/<net>.safetensors), compile(), dispose the module (the plan keeps what it
// needs: prepared weights, biases), run. ORT: create a session from bench/.cache/<net>.onnx, run. Both files
// come from `npm run bench:networks` (run it once first). Also prints memory() of ours: prepared weights, the
// activation arena, and what the allocator cache holds.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const CACHE = path.join(__dirname, '.cache');
const MiB = 1024 * 1024;

async function child(engine: string, net: string, threads: number, runs: number): Promise<Record<string, number>> {
  const rss = () => process.memoryUsage().rss;
  if (engine === 'ours') {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Tensor, compile, memory, setNumThreads, emptyCache } = require('../lib') as typeof import('../lib');
    const { loadModel } = require('./nets') as typeof import('./nets');
    setNumThreads(threads);
    const x = Tensor.rand([1, 3, 224, 224], { seed: 7 });
    global.gc?.();
    const start = rss();
    const model = loadModel(net);
    const plan = compile(model, { inputShape: [1, 3, 224, 224] });
    model.dispose();
    for (let i = 0; i < runs; i++) (await plan.run(x)).dispose();
    global.gc?.();
    const m = memory().cpu;
    const rssMiB = (rss() - start) / MiB;
    // What loading left in the allocator's reuse cache (the state dict, the module's weights) goes back to the
    // system: a server does this once after compile().
    emptyCache();
    for (let i = 0; i < runs; i++) (await plan.run(x)).dispose();
    return { rssMiB, rssAfterEmptyCacheMiB: (rss() - start) / MiB, preparedMiB: m.preparedBytes / MiB,
      arenaMiB: plan.arenaBytes / MiB, liveMiB: m.bytes / MiB, cachedMiB: m.cachedBytes / MiB };
  }
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const data = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i));
  global.gc?.();
  const start = rss();
  const s = await ort.InferenceSession.create(path.join(CACHE, `${net}.onnx`), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feeds = { x: new ort.Tensor('float32', data, [1, 3, 224, 224]) };
  for (let i = 0; i < runs; i++) await s.run(feeds);
  global.gc?.();
  return { rssMiB: (rss() - start) / MiB };
}

function main() {
  const nets = (opt('--nets') ?? 'resnet50,densenet121,googlenet').split(',');
  const threads = Number(opt('--threads') ?? 2), runs = Number(opt('--runs') ?? 5);
  const rows: string[] = ['| network | ours: RSS added (MiB) | after emptyCache() | live tensors / prepared weights / arena / cache (MiB) | ORT: RSS added (MiB) | ours / ORT (after emptyCache) |', '|---|---|---|---|---|---|'];
  for (const net of nets) {
    if (!fs.existsSync(path.join(CACHE, `${net}.onnx`))) throw new Error(`bench/.cache/${net}.onnx is missing: run npm run bench:networks -- --nets ${net} first`);
    const r: Record<string, Record<string, number>> = {};
    for (const engine of ['ours', 'ort']) {
      const p = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, '--child', engine, net, String(threads), String(runs)], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`${engine} ${net} failed: ${p.stderr}`);
      r[engine] = JSON.parse(p.stdout.trim().split('\n').pop()!);
    }
    const o = r.ours;
    rows.push(`| ${net} | ${o.rssMiB.toFixed(0)} | ${o.rssAfterEmptyCacheMiB.toFixed(0)} | ${o.liveMiB.toFixed(0)} / ${o.preparedMiB.toFixed(0)} / ` +
      `${o.arenaMiB.toFixed(1)} / ${o.cachedMiB.toFixed(0)} | ${r.ort.rssMiB.toFixed(0)} | ` +
      `${(o.rssMiB / r.ort.rssMiB).toFixed(2)} (${(o.rssAfterEmptyCacheMiB / r.ort.rssMiB).toFixed(2)}) |`);
    console.log(net, JSON.stringify(r));
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}, batch 1, 224², ${threads} threads, ${runs} runs\n${rows.join('\n')}`);
}

if (args[0] === '--child') {
  child(args[1], args[2], Number(args[3]), Number(args[4])).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
} else {
  main();
}
