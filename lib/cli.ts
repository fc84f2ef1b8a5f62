#!/usr/bin/env node
// convnets command line (commander; progress bars from cli-progress, shown only on a TTY):
//   convnets classify <model> <images...> [--weights name|file] [--top 5] [--device cuda] [--json]
//   convnets weights list [model] | convnets weights fetch <model> [--weights name]
//   convnets convert <in.pth> <out.safetensors>
//   convnets summary <model> [--size 224]
//   convnets bench <model> [--batch 1] [--device cpu] [--compiled] [--runs 10]
//   convnets viz <model> <image> --out <dir> [--weights name|file|none]
//   convnets demo                       (npm start: the real pipeline, offline, on the image the package ships)
//   convnets batch <input> --model <name> --out <file.jsonl|dir> [--features layer] [--top k] [--batch-size n] [--shard-size n]
//   convnets batch <input> --model <name> --queue redis://host:port --producer --out <dir>
//   convnets batch --queue redis://… --status | --merge --out <dir> | --retry-failed
//   convnets worker --queue redis://… [--device cuda:0] [--until-empty]
// Exit status 0 on success, 1 on an error, printed as one line (the stack with --verbose).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, Option } from 'commander';
import * as cliProgress from 'cli-progress';

import * as batch from './batch';
import { compile } from './compile';
import { relu } from './functional/elementwise';
import { softmax } from './functional/softmax';
import { loadImage, loadImages, saveImage } from './io/image';
import { presets } from './io/presets';
import { loadPth } from './io/pth';
import { saveSafetensors } from './io/safetensors';
import { imagenetCategories, listWeights, load, LoadedModel, modelNames, weightsInfo } from './models/load';
import { cacheDir, fetchCheckpoint } from './models/hub';
import { cpuInfo, getNumThreads } from './runtime';
import { summary } from './summary';
import { Device, Tensor } from './tensor';
import * as viz from './viz';

/** The image the package ships: skimage's "Chelsea the cat" (CC0, Stefan van der Walt). */
export const SAMPLE_IMAGE = path.join(__dirname, '..', 'assets', 'chelsea.jpg');

const tty = () => Boolean(process.stderr.isTTY);

function bar(label: string, total: number, unit = ''): cliProgress.SingleBar | null {
  if (!tty()) return null;
  const b = new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total}${unit}`, stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  b.start(total, 0);
  return b;
}

/** A download progress callback drawing one bar (MB) on a TTY. */
function downloadProgress(label: string): (received: number, total: number) => void {
  let b: cliProgress.SingleBar | null = null;
  return (received, total) => {
    if (!tty()) return;
    if (!b) b = bar(`downloading ${label}`, Math.max(1, Math.round(total / 1e6)), ' MB');
    b?.update(Math.round(received / 1e6));
    if (total && received >= total) b?.stop();
  };
}

function checkModel(name: string): string {
  if (!modelNames.includes(name)) throw new Error(`unknown model '${name}' (one of ${modelNames.join(', ')})`);
  return name;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

const weightsArg = (w: string | undefined): string | null | undefined => (w === 'none' || w === 'random' ? null : w);

async function loadModel(name: string, weights: string | null | undefined, device?: Device): Promise<LoadedModel> {
  return load(checkModel(name), { weights, device, onProgress: downloadProgress(name) });
}

function topK(probs: Float32Array, k: number): { index: number; p: number }[] {
  return Array.from(probs, (p, index) => ({ index, p })).sort((a, b) => b.p - a.p).slice(0, k);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface ClassifyResult { image: string; top: { index: number; label: string; probability: number }[] }

/** Classifies images in batches with a loaded network; returns the top-k per image. */
export async function classify(model: LoadedModel, images: string[], opts: { top: number; batch: number; device?: Device }): Promise<ClassifyResult[]> {
  const preset = model.weights?.preset ?? presets.imagenet();
  const labels = model.weights?.categories.length ? model.weights.categories : imagenetCategories();
  const results: ClassifyResult[] = [];
  const b = images.length > 1 ? bar('images', images.length) : null;
  for (let i = 0; i < images.length; i += opts.batch) {
    const chunk = images.slice(i, i + opts.batch);
    const cpu = await loadImages(chunk, preset);
    const x = opts.device && opts.device !== 'cpu' ? cpu.to(opts.device) : cpu;
    const logits = model.forward(x) as Tensor;
    const probs = softmax(logits, 1);
    const data = probs.data();
    const classes = probs.shape[1];
    chunk.forEach((image, j) => {
      const row = data.subarray(j * classes, (j + 1) * classes);
      results.push({ image, top: topK(row, opts.top).map(({ index, p }) => ({ index, label: labels[index] ?? String(index), probability: p })) });
    });
    for (const t of new Set([cpu, x, logits, probs])) t.dispose();
    b?.update(Math.min(images.length, i + opts.batch));
  }
  b?.stop();
  return results;
}

function printResults(results: ClassifyResult[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(results, null, 1));
    return;
  }
  for (const r of results) {
    console.log(r.image);
    for (const t of r.top) console.log(`  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${String(t.index).padStart(4)}  ${t.label}`);
  }
}

async function timeRuns(runs: number, fn: () => Promise<void> | void): Promise<number[]> {
  const times: number[] = [];
  const b = bar('bench', runs);
  await fn(); // warm-up (packs weights, fills caches)
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    b?.update(i + 1);
  }
  b?.stop();
  return times;
}

/** npm start: the real pipeline offline on the shipped photo; labels when resnet50's weights are cached. */
async function demo(name: string): Promise<void> {
  const image = SAMPLE_IMAGE;
  const info = weightsInfo(name);
  const cached = listWeights(name).find((w) => w.name === info.name)!;
  let model: LoadedModel;
  if (cached.cached) {
    model = await load(name, { weights: info.name });
    console.log(`weights ${info.name} from ${cached.path}`);
  } else {
    console.log(`weights ${info.name} are not cached: \`npx convnets weights fetch ${name}\` downloads them (${info.url} → ${cached.path}).`);
    console.log('running with random weights instead: the labels below mean nothing, the timings do.');
    model = await load(name, { weights: null });
  }
  console.log(`${name}: ${summary(model, [1, 3, 224, 224]).totalParams.toLocaleString()} parameters; CPU ${cpuInfo().active}, ${getNumThreads()} threads`);
  const t0 = performance.now();
  const x = await loadImage(image, info.preset);
  const tLoad = performance.now() - t0;
  const times: number[] = [];
  let out: Tensor | undefined;
  for (let i = 0; i < 4; i++) {
    out?.dispose();
    const t1 = performance.now();
    out = model.forward(x) as Tensor;
    times.push(performance.now() - t1);
  }
  console.log(`${path.relative(process.cwd(), image)}: decode + ${info.preset.name} ${tLoad.toFixed(1)} ms; forward ${median(times.slice(1)).toFixed(1)} ms (median of 3, batch 1)`);
  const probs = softmax(out as Tensor, 1).data();
  const labels = imagenetCategories();
  for (const { index, p } of topK(probs, 5)) console.log(`  ${(p * 100).toFixed(2).padStart(6)}%  ${labels[index]}`);
}

interface BatchCliOptions {
  model?: string; weights?: string; out?: string; features?: string; top: number; batchSize: number; shardSize: number; size?: number; device: Device;
  queue?: string; queueName: string; producer?: boolean; attempts: number; status?: boolean; merge?: boolean; retryFailed?: boolean;
}

async function batchCommand(input: string | undefined, o: BatchCliOptions): Promise<void> {
  const q = { queue: o.queue ?? '', queueName: o.queueName };
  const modes = [o.producer, o.status, o.merge, o.retryFailed].filter(Boolean).length;
  if (modes > 1) throw new Error('batch: choose one of --producer, --status, --merge, --retry-failed');
  if (modes === 1 && !o.queue) throw new Error('batch: --producer, --status, --merge and --retry-failed need --queue redis://host:port');
  if (o.status) {
    const s = await batch.status(q);
    console.log(`done ${s.done}  active ${s.active}  waiting ${s.waiting}  delayed ${s.delayed}  failed ${s.failed}`);
    for (const f of s.failures) console.log(`failed ${f.shard} after ${f.attempts} attempts: ${f.error}`);
    return;
  }
  if (o.retryFailed) {
    console.log(`${await batch.retryFailed(q)} failed shards moved back to waiting`);
    return;
  }
  if (!o.out) throw new Error('batch: --out is required');
  if (o.merge) {
    const m = await batch.merge({ ...q, out: o.out });
    console.log(`${m.file}: ${m.images} images, ${m.errors} unreadable`);
    for (const f of m.failed) console.log(`  ${f.path}: ${f.error}`);
    return;
  }
  if (!input) throw new Error('batch: an input (directory, glob or manifest) is required');
  if (!o.model) throw new Error('batch: --model is required');
  checkModel(o.model);
  const weights = o.weights === undefined ? undefined : weightsArg(o.weights);
  const common = { input, model: o.model, weights, out: o.out, features: o.features, top: o.top, batchSize: o.batchSize, shardSize: o.shardSize, imageSize: o.size };
  if (o.queue) {
    if (!o.producer) throw new Error('batch: with --queue, say what to do: --producer, --status, --merge or --retry-failed (workers: convnets worker)');
    const p = await batch.produce({ ...common, ...q, attempts: o.attempts });
    console.log(`${p.images} images in ${p.shards} shards → ${p.outDir}: ${p.enqueued} enqueued on ${o.queueName}, ${p.skipped} already done`);
    return;
  }
  let b: cliProgress.SingleBar | null = null;
  const s = await batch.run({
    ...common, device: o.device,
    onWarning: (m) => console.error(`warning: ${m}`),
    onProgress: (p) => {
      if (!tty()) return;
      if (!b) {
        b = new cliProgress.SingleBar({ format: 'batch [{bar}] {percentage}% {value}/{total} | {speed} images/s | ETA {eta_formatted} | {errors} unreadable', stream: process.stderr, clearOnComplete: true, etaBuffer: 200 }, cliProgress.Presets.shades_classic);
        b.start(p.total, 0, { speed: '0', errors: 0 });
      }
      b.update(p.done, { speed: p.imagesPerSec.toFixed(1), errors: p.errors });
    },
  });
  (b as cliProgress.SingleBar | null)?.stop();
  console.log(`${s.out}: ${s.images} images in ${s.shards} shards (${s.shardsSkipped} done before), ${s.processed} run now at ${s.imagesPerSec.toFixed(1)} images/s, ${s.errors} unreadable; weights ${s.weights ?? 'random'}`);
}

export function program(): Command {
  const cli = new Command('convnets').description('CNNs for Node.js: torchvision networks, weights and presets without Python').option('--verbose', 'print stacks with errors');
  cli.configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cli.command('classify').description('top-k ImageNet labels for images')
    .argument('<model>').argument('<images...>')
    .option('--weights <name|file>', "weights name (e.g. IMAGENET1K_V2), a .pth/.safetensors file, or 'none'", 'DEFAULT')
    .option('--top <k>', 'labels per image', positiveInt('--top'), 5)
    .option('--batch <n>', 'images per forward pass', positiveInt('--batch'), 8)
    .addOption(new Option('--device <device>', 'cpu or cuda[:N]').default('cpu'))
    .option('--json', 'print JSON')
    .action(async (name: string, images: string[], o: { weights: string; top: number; batch: number; device: Device; json?: boolean }) => {
      const model = await loadModel(name, weightsArg(o.weights), o.device);
      printResults(await classify(model, images, { top: o.top, batch: o.batch, device: o.device }), Boolean(o.json));
    });

  const weights = cli.command('weights').description('torchvision checkpoints: list them, fetch them into the cache');
  weights.command('list').argument('[model]').description('the weights of one model (or all), with their cache state')
    .action((name?: string) => {
      console.log(`cache: ${path.join(cacheDir(), 'checkpoints')}`);
      for (const arch of name ? [checkModel(name)] : modelNames) {
        for (const w of listWeights(arch)) {
          const acc = w.metrics['ImageNet-1K'];
          console.log(`${arch.padEnd(12)} ${w.name.padEnd(20)}${w.isDefault ? ' DEFAULT' : '        '} ${acc?.acc1 !== undefined ? `top-1 ${acc.acc1.toFixed(2)}%` : '           '}  ${w.preset.resizeSize}/${w.preset.cropSize}  ${w.cached ? 'cached' : 'not cached'}  ${w.file}`);
        }
      }
    });
  weights.command('fetch').argument('<model>').option('--weights <name>', 'weights name', 'DEFAULT').description('download a checkpoint into the cache')
    .action(async (name: string, o: { weights: string }) => {
      const info = weightsInfo(checkModel(name), o.weights);
      const p = await fetchCheckpoint({ url: info.url!, file: info.file, sha256Prefix: info.sha256Prefix }, { onProgress: downloadProgress(info.file) });
      console.log(p);
    });

  cli.command('convert').argument('<in>', '.pth file (zip or legacy)').argument('<out>', '.safetensors file').description('a torch checkpoint to safetensors (F32)')
    .action((input: string, output: string) => {
      const dict = loadPth(input);
      saveSafetensors(output, dict);
      const widened = [...dict.dtypes].filter(([, d]) => d !== 'float32').length;
      console.log(`${dict.size} tensors (${dict.format} format${widened ? `, ${widened} converted to float32` : ''}) → ${output}`);
      for (const t of dict.values()) t.dispose();
    });

  cli.command('summary').argument('<model>').option('--size <n>', 'input side', positiveInt('--size'), 224).description('per-layer shapes, parameters and MACs')
    .action(async (name: string, o: { size: number }) => {
      console.log(summary(await load(checkModel(name), { weights: null }), [1, 3, o.size, o.size]).text);
    });

  cli.command('bench').argument('<model>').description('time a forward pass (random weights)')
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 1)
    .option('--runs <n>', 'timed runs', positiveInt('--runs'), 10)
    .option('--device <device>', 'cpu or cuda[:N]', 'cpu')
    .option('--compiled', 'compile the network into a plan first')
    .action(async (name: string, o: { batch: number; runs: number; device: Device; compiled?: boolean }) => {
      const model = await load(checkModel(name), { weights: null, device: o.device });
      const size = name === 'alexnetOriginal' ? 227 : 224;
      const shape = [o.batch, 3, size, size];
      const x = Tensor.rand(shape, { seed: 1 }).to(o.device);
      const s = summary(model, shape);
      let times: number[];
      if (o.compiled) {
        const plan = compile(model, { inputShape: shape, device: o.device });
        times = await timeRuns(o.runs, async () => (await plan.run(x)).dispose());
        plan.dispose();
      } else {
        times = await timeRuns(o.runs, () => (model.forward(x) as Tensor).dispose());
      }
      const ms = median(times);
      console.log(`${name} ${o.compiled ? 'compiled' : 'eager'} on ${o.device}, batch ${o.batch}: ${ms.toFixed(2)} ms median of ${o.runs} (min ${Math.min(...times).toFixed(2)}), ${((2 * s.totalMacs) / ms / 1e6).toFixed(1)} GFLOP/s, ${(o.batch * 1000 / ms).toFixed(1)} images/s`);
    });

  cli.command('viz').argument('<model>').argument('<image>').requiredOption('--out <dir>', 'folder for the PNGs')
    .option('--weights <name|file>', "weights name, file, or 'none'", 'DEFAULT')
    .description("pictures: the first conv layer's filters, its feature maps on the image, the preprocessed input")
    .action(async (name: string, image: string, o: { out: string; weights: string }) => {
      const model = await loadModel(name, weightsArg(o.weights));
      fs.mkdirSync(o.out, { recursive: true });
      const preset = model.weights?.preset ?? presets.imagenet();
      const x = await loadImage(image, preset);
      const conv = viz.firstConv(model);
      const files = [path.join(o.out, 'filters.png'), path.join(o.out, 'feature_maps.png'), path.join(o.out, 'input.png')];
      await viz.filters(conv, files[0]);
      const y = relu(conv.forward(x));
      await viz.featureMaps(y, files[1]);
      await saveImage(x, files[2], { preset });
      for (const f of files) console.log(f);
    });

  cli.command('batch').argument('[input]', 'a directory, a glob (quoted) or a manifest file (one path or URL per line)')
    .description('batch inference into JSONL, one line per image: locally, or over a BullMQ queue on Redis')
    .option('--model <name>', 'architecture (e.g. resnet50)')
    .option('--weights <name|file>', "weights name, .pth/.safetensors file, or 'none' (default: the default weights if cached, else random with a warning)")
    .option('--out <file.jsonl|dir>', 'output: a .jsonl file (shards beside it in <file>.shards/) or a directory (shards + results.jsonl)')
    .option('--features <layer>', "write this layer's output (e.g. avgpool) instead of labels")
    .option('--top <k>', 'labels per image', positiveInt('--top'), 5)
    .option('--batch-size <n>', 'largest batch the batcher forms', positiveInt('--batch-size'), 16)
    .option('--shard-size <n>', 'images per shard (the unit of output, resume and distribution)', positiveInt('--shard-size'), 1000)
    .option('--size <n>', "network input side (default: the weights' crop size)", positiveInt('--size'))
    .addOption(new Option('--device <device>', 'cpu or cuda[:N] (local mode)').default('cpu'))
    .option('--queue <redis-url>', 'distributed mode: the Redis of the BullMQ queue, e.g. redis://10.0.0.5:6379')
    .option('--queue-name <name>', 'BullMQ queue name', batch.DEFAULT_QUEUE_NAME)
    .option('--producer', 'enqueue the shards (workers run them)')
    .option('--attempts <n>', 'tries per shard before the failed set', positiveInt('--attempts'), 3)
    .option('--status', 'print done/active/waiting/failed')
    .option('--merge', 'merge the finished shards of --out into <out>/results.jsonl')
    .option('--retry-failed', 'move the failed shards back to waiting')
    .action(async (input: string | undefined, o: BatchCliOptions) => batchCommand(input, o));

  cli.command('worker').description('run shards from a BullMQ queue (convnets batch --producer fills it)')
    .requiredOption('--queue <redis-url>', 'the Redis of the queue, e.g. redis://10.0.0.5:6379')
    .option('--queue-name <name>', 'BullMQ queue name', batch.DEFAULT_QUEUE_NAME)
    .addOption(new Option('--device <device>', 'cpu or cuda[:N]').default('cpu'))
    .option('--until-empty', 'exit once no job is waiting, delayed or active')
    .option('--lock-ms <ms>', "job lock and stalled-check interval: how soon a dead worker's shard is redone", positiveInt('--lock-ms'), 30000)
    .action(async (o: { queue: string; queueName: string; device: Device; untilEmpty?: boolean; lockMs: number }) => {
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const s = await batch.work({ queue: o.queue, queueName: o.queueName, device: o.device, untilEmpty: Boolean(o.untilEmpty), lockMs: o.lockMs, signal: ac.signal, log: (l) => console.log(`[worker ${process.pid}] ${l}`) });
      console.log(`[worker ${process.pid}] exiting: ${s.shards} shards, ${s.images} images (${s.errors} unreadable), ${s.failedAttempts} failed attempts`);
    });

  cli.command('demo').argument('[model]', 'network', 'resnet50').description('the real pipeline offline on the shipped photo (npm start)')
    .action(async (name: string) => demo(checkModel(name)));
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    await program().exitOverride().parseAsync(argv, { from: 'user' });
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code?.startsWith('commander.')) {
      process.exitCode = err.exitCode ?? 1;
      return; // commander printed its own message (usage, --help, unknown option)
    }
    console.error(verbose ? err.stack : `convnets: ${err.message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main(process.argv.slice(2));
