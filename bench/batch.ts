// Batch inference throughput (issue 19): local mode (decode + serve.batcher + JSONL shards) against the bare
// batcher on preloaded tensors (the ceiling), then 2 worker processes over a BullMQ queue (a redis-server on a
// free 127.0.0.1 port) against local mode. Images: generated 320×240 JPEGs (decoded, resized 256, cropped 224).
// Rounds alternate the modes; the medians are printed. Worker throughput is the steady state: from the moment
// both workers finished their first shard (model load and plan compiles behind them) to the
// earlier of their last shards (both busy throughout).
//
//   npx tsx bench/batch.ts [--model resnet18] [--images 192] [--batch 16] [--shard 32] [--rounds 2] [--size 224]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';

import { batch, io, models, serve, Tensor } from '../lib';
import { cli, startRedis } from '../test/batch/fixtures';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const MODEL = arg('--model', 'resnet18');
const N = Number(arg('--images', '192'));
const BATCH = Number(arg('--batch', '16'));
const SHARD = Number(arg('--shard', '32'));
const ROUNDS = Number(arg('--rounds', '2'));
const SIZE = Number(arg('--size', '224'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function makeJpegs(dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < N; i++) {
    const w = 320, h = 240;
    const px = Buffer.alloc(w * h * 3);
    for (let j = 0; j < px.length; j++) px[j] = (j * 31 + i * 17 + ((j / 960) | 0) * 7) & 255;
    const f = path.join(dir, `im-${String(i).padStart(5, '0')}.jpg`);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(f);
    files.push(f);
  }
  return files;
}

/** Decode + preset alone (no network), as local mode runs it: 32 at once. */
async function decodeOnly(files: string[]): Promise<number> {
  const preset = io.presets.imagenet({ cropSize: SIZE, resizeSize: Math.round((SIZE * 256) / 224) });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 2 * BATCH }, async () => {
    while (next < files.length) (await io.loadImage(files[next++], preset)).dispose();
  }));
  return files.length / ((performance.now() - t0) / 1000);
}

async function bare(files: string[]): Promise<number> {
  const model = await models.load(MODEL, { weights: null });
  const preset = io.presets.imagenet({ cropSize: SIZE, resizeSize: Math.round((SIZE * 256) / 224) });
  const xs: Tensor[] = [];
  for (const f of files) xs.push(await io.loadImage(f, preset));
  const b = serve.batcher(model, { inputShape: [3, SIZE, SIZE], maxBatch: BATCH, maxDelayMs: 5, maxQueue: 1 << 20 });
  const t0 = performance.now();
  const ys = await Promise.all(xs.map((x) => b.run(x)));
  const s = (performance.now() - t0) / 1000;
  for (const t of [...xs, ...ys]) t.dispose();
  await b.close();
  return N / s;
}

async function local(files: string[], out: string): Promise<number> {
  fs.rmSync(out, { recursive: true, force: true });
  // Engine.create (model load + plan compiles) is outside the timed part, as in bare().
  const s = await batch.run({ input: files, model: MODEL, weights: null, out, batchSize: BATCH, shardSize: SHARD, imageSize: SIZE === 224 ? undefined : SIZE });
  return s.imagesPerSec;
}

async function distributed(dir: string, out: string, url: string, name: string): Promise<number> {
  fs.rmSync(out, { recursive: true, force: true });
  const q = ['--queue', url, '--queue-name', name];
  const p = cli(['batch', dir, '--model', MODEL, '--weights', 'none', '--batch-size', String(BATCH), '--shard-size', String(SHARD), ...(SIZE === 224 ? [] : ['--size', String(SIZE)]), ...q, '--producer', '--out', out]);
  if ((await p.exited) !== 0) throw new Error(p.out());
  const dones: number[][] = [[], []];
  const workers = [0, 1].map((k) => cli(['worker', ...q, '--until-empty'], (line) => {
    if (/ done: /.test(line)) dones[k].push(performance.now());
  }));
  const codes = await Promise.all(workers.map((w) => w.exited));
  if (codes.some((c) => c !== 0)) throw new Error(workers.map((w) => w.out()).join('\n'));
  // Steady state with both workers busy: from the later of their first shards to the earlier of their last.
  const t0 = Math.max(dones[0][0], dones[1][0]);
  const t1 = Math.min(dones[0][dones[0].length - 1], dones[1][dones[1].length - 1]);
  const shards = dones.flat().filter((t) => t > t0 && t <= t1).length;
  return (shards * SHARD) / ((t1 - t0) / 1000);
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-bench-batch-'));
  const redis = await startRedis();
  try {
    const dir = path.join(tmp, 'images');
    const files = await makeJpegs(dir);
    const r: Record<string, number[]> = { decode: [], bare: [], local: [], workers2: [] };
    for (let i = 0; i < ROUNDS; i++) {
      r.decode.push(await decodeOnly(files));
      r.bare.push(await bare(files));
      r.local.push(await local(files, path.join(tmp, 'local')));
      r.workers2.push(await distributed(dir, path.join(tmp, `dist${i}`), redis.url, `bench${i}`));
      console.log(`round ${i + 1}: decode only ${r.decode[i].toFixed(1)}, bare ${r.bare[i].toFixed(1)}, local ${r.local[i].toFixed(1)}, 2 workers ${r.workers2[i].toFixed(1)} images/s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    }
    const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]));
    console.log(`${MODEL} ${SIZE}px, ${N} JPEG 320x240, batch ${BATCH}, shard ${SHARD}, ${ROUNDS} rounds, ${os.cpus().length} CPUs: median images/s decode only ${m.decode.toFixed(1)}, bare ${m.bare.toFixed(1)}, local ${m.local.toFixed(1)} (${((100 * m.local) / m.bare).toFixed(0)} % of bare), 2 workers ${m.workers2.toFixed(1)} (${((100 * m.workers2) / m.local).toFixed(0)} % of local)`);
  } finally {
    await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
