// The compiled plans' activation layout, measured: each network compiled with layout 'nchw', 'auto' and
// 'blocked' (compile()'s option), plus onnxruntime-node on the same weights, timed in alternating blocks in one
// process (each engine alone on the cores while it runs; ORT spins only inside a run), medians.
//   npx tsx bench/layout.ts [--nets googlenet,resnet18] [--threads 2] [--batch 1] [--rounds 7] [--block 10]
//     [--layouts nchw,auto,blocked]
// Needs the ONNX exports `npm run bench:networks` caches in bench/.cache (for --batch N: `-- --batch N`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor, compile, cpuInfo, setNumThreads } from '../lib';
import { CACHE, loadModel } from './nets';
import { ortSessionOptions, settle } from './fair-timing';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const nets = (opt('--nets') ?? 'alexnet,vgg16,googlenet,resnet18,resnet50,densenet121').split(',');
const threads = Number(opt('--threads') ?? 2);
const batch = Number(opt('--batch') ?? 1);
const rounds = Number(opt('--rounds') ?? 7);
const block = Number(opt('--block') ?? 10);
const layouts = (opt('--layouts') ?? 'nchw,auto,blocked').split(',') as ('nchw' | 'auto' | 'blocked')[];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main() {
  setNumThreads(threads);
  console.log(`layout bench: batch ${batch}, 224², ${threads} threads, ISA ${cpuInfo().active}; ${new Date().toISOString()}; ` +
    `blocks of ${block} runs, ${rounds} rounds, medians of per-block medians; ORT ${ort.env.versions?.common ?? ''}`);
  console.log(`| network | ${layouts.map((l) => `${l} ms`).join(' | ')} | ort ms | ${layouts.map((l) => `ort/${l}`).join(' | ')} |`);
  console.log(`|---|${layouts.map(() => '---|').join('')}---|${layouts.map(() => '---|').join('')}`);
  for (const net of nets) {
    const model = loadModel(net);
    const shape = [batch, 3, 224, 224];
    const x = Tensor.rand(shape, { seed: 7, low: -1, high: 1 });
    const engines: { name: string; run: () => Promise<void>; blocks: number[] }[] = [];
    const plans = layouts.map((layout) => compile(model, { inputShape: shape, layout, warmup: 2 }));
    for (const [i, layout] of layouts.entries()) {
      const plan = plans[i];
      engines.push({ name: layout, run: async () => (await plan.run(x)).dispose(), blocks: [] });
    }
    const onnx = path.join(CACHE, batch === 1 ? `${net}.onnx` : `${net}.b${batch}.onnx`);
    let session: ort.InferenceSession | null = null;
    if (fs.existsSync(onnx)) {
      const s = session = await ort.InferenceSession.create(onnx, ortSessionOptions(threads, args));
      const feeds = { x: new ort.Tensor('float32', x.data(), shape) };
      await s.run(feeds);
      engines.push({ name: 'ort', run: async () => { await s.run(feeds); }, blocks: [] });
    }
    for (let r = 0; r < rounds; r++) {
      for (const e of engines) {
        const t: number[] = [];
        for (let i = 0; i < block; i++) {
          const s = performance.now();
          await e.run();
          t.push(performance.now() - s);
        }
        e.blocks.push(median(t));
        await settle();
      }
    }
    const ms = Object.fromEntries(engines.map((e) => [e.name, median(e.blocks)]));
    const ortMs = ms.ort;
    console.log(`| ${net} | ${layouts.map((l) => ms[l].toFixed(2)).join(' | ')} | ${ortMs?.toFixed(2) ?? '-'} | ` +
      `${layouts.map((l) => (ortMs ? (ortMs / ms[l]).toFixed(2) : '-')).join(' | ')} |`);
    plans.forEach((p) => p.dispose());
    await session?.release();
    x.dispose();
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
