// The engine that runs one shard: a pool of decodes (sharp on libuv's threads, io.loadImage with the
// weights' preset) feeding serve.batcher (compiled plans on the library's run thread), so neither the
// decodes nor the network block the event loop (a BullMQ worker keeps renewing its lock meanwhile).
// A shard's result is one JSON object per image, in the shard's order: {path, top: [{index, label, p}]}
// or {path, features: [...]} — or {path, error} for an image that could not be read; the rest goes on.
import * as fs from 'node:fs';

import { loadImage } from '../io/image';
import { imagenet, ImagePreset } from '../io/presets';
import { imagenetCategories, listWeights, load, LoadedModel, modelNames } from '../models/load';
import { Module } from '../nn/module';
import { Batcher, batcher } from '../serve/batcher';
import { Device, Tensor } from '../tensor';
import { isUrl } from './inputs';

export interface EngineOptions {
  model: string;
  /** A weights name, a .pth/.safetensors file, null for random weights; undefined: the architecture's
   *  default weights if they are in the cache, else random weights with a warning (never a download). */
  weights?: string | null;
  /** A layer name (e.g. 'avgpool'): each line carries that layer's output, flattened, instead of labels. */
  features?: string;
  /** Labels per image (default 5). */
  top?: number;
  /** Largest batch the batcher forms (default 16). */
  batchSize?: number;
  /** Side of the network's input (default: the weights' crop size, 224); the resize scales with it. */
  imageSize?: number;
  device?: Device;
  /** Images decoded or queued at once (default 2 × batchSize). */
  concurrency?: number;
  onWarning?: (message: string) => void;
}

export interface ImageResult {
  path: string;
  top?: { index: number; label: string; p: number }[];
  features?: number[];
  error?: string;
}

/** Errors that retrying cannot fix (a BullMQ worker fails the job at once). */
export class BatchConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchConfigError';
  }
}

const CAPTURED = Symbol('captured');

/** A forward that returns `layer`'s output as [N, features]: the layer's forward is wrapped for the call,
 *  and the rest of the network is cut off by unwinding (the plan's tracer drops the unused steps). */
export function featureForward(model: Module, layer: string): (x: Tensor) => Tensor {
  const named = new Map(model.namedModules());
  const m = layer === '' ? undefined : named.get(layer);
  if (!m) {
    const names = [...named.keys()].filter((n) => n && !n.includes('.'));
    throw new BatchConfigError(`batch: the model has no layer '${layer}' (top-level layers: ${names.join(', ')})`);
  }
  return (x: Tensor) => {
    const orig = m.forward;
    let out: Tensor | undefined;
    m.forward = (t: Tensor) => {
      const y = orig.call(m, t) as Tensor;
      out = y.reshape([y.shape[0], -1]);
      throw CAPTURED;
    };
    try {
      (model.forward(x) as Tensor).dispose();
    } catch (e) {
      if (e !== CAPTURED) throw e;
    } finally {
      m.forward = orig;
    }
    if (!out) throw new Error(`batch: layer '${layer}' did not run in the model's forward pass`);
    return out;
  };
}

function resolveWeights(arch: string, weights: string | null | undefined, warn: (m: string) => void): string | null {
  if (weights !== undefined) return weights;
  const def = listWeights(arch).find((w) => w.isDefault);
  if (def?.cached) return def.name;
  warn(def
    ? `batch: ${arch}'s default weights ${def.name} are not cached (${def.path}); running RANDOM weights — the labels mean nothing. \`convnets weights fetch ${arch}\` downloads them.`
    : `batch: ${arch} has no published weights; running RANDOM weights.`);
  return null;
}

function topK(row: Float32Array, k: number): { index: number; p: number }[] {
  // softmax over the row, then the k largest (k is small: insertion into a short sorted list)
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const best: { index: number; p: number }[] = [];
  for (let i = 0; i < row.length; i++) {
    const p = Math.exp(row[i] - max) / sum;
    if (best.length < k || p > best[best.length - 1].p) {
      let j = best.length < k ? best.length : k - 1;
      while (j > 0 && best[j - 1].p < p) j--;
      best.splice(j, 0, { index: i, p });
      if (best.length > k) best.pop();
    }
  }
  return best;
}

async function readSource(p: string): Promise<string | Buffer> {
  if (!isUrl(p)) return p;
  const r = await fetch(p);
  if (!r.ok) throw new Error(`HTTP ${r.status} ${r.statusText}`);
  return Buffer.from(await r.arrayBuffer());
}

export class Engine {
  readonly preset: ImagePreset;
  readonly weightsName: string | null;
  private readonly labels: readonly string[];
  private readonly top: number;
  private readonly concurrency: number;
  private constructor(readonly model: LoadedModel, private readonly batcher: Batcher, preset: ImagePreset, private readonly opts: EngineOptions) {
    this.preset = preset;
    this.weightsName = model.weights?.name ?? null;
    this.labels = model.weights?.categories.length ? model.weights.categories : imagenetCategories();
    this.top = opts.top ?? 5;
    this.concurrency = opts.concurrency ?? 2 * (opts.batchSize ?? 16);
  }

  static async create(opts: EngineOptions): Promise<Engine> {
    if (typeof opts?.model !== 'string' || !modelNames.includes(opts.model)) {
      throw new BatchConfigError(`batch: unknown model '${String(opts?.model)}' (one of ${modelNames.join(', ')})`);
    }
    const top = opts.top ?? 5;
    if (!Number.isInteger(top) || top < 1 || top > 1000) throw new BatchConfigError(`batch: top must be an integer from 1 to 1000, got ${String(opts.top)}`);
    const batchSize = opts.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) throw new BatchConfigError(`batch: batchSize must be an integer from 1 to 1024, got ${String(opts.batchSize)}`);
    if (opts.imageSize !== undefined && (!Number.isInteger(opts.imageSize) || opts.imageSize < 32 || opts.imageSize > 1024)) {
      throw new BatchConfigError(`batch: imageSize must be an integer from 32 to 1024, got ${String(opts.imageSize)}`);
    }
    if (opts.weights && !/^[A-Z0-9_]+$/.test(opts.weights) && !fs.existsSync(opts.weights)) {
      throw new BatchConfigError(`batch: weights '${opts.weights}' is neither a weights name nor an existing file`);
    }
    const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m));
    const weights = resolveWeights(opts.model, opts.weights, warn);
    let model: LoadedModel;
    try {
      model = await load(opts.model, { weights, device: opts.device });
    } catch (e) {
      throw new BatchConfigError((e as Error).message);
    }
    const base = model.weights?.preset ?? imagenet();
    const preset = opts.imageSize === undefined ? base
      : imagenet({ cropSize: opts.imageSize, resizeSize: Math.round((opts.imageSize * base.resizeSize) / base.cropSize), mean: base.mean, std: base.std, interpolation: base.interpolation, antialias: base.antialias });
    const forward = opts.features !== undefined ? featureForward(model, opts.features) : model;
    const b = batcher(forward, { inputShape: [3, preset.cropSize, preset.cropSize], maxBatch: batchSize, maxDelayMs: 5, maxQueue: 1 << 20, device: opts.device });
    return new Engine(model, b, preset, opts);
  }

  /** One image → its result line (errors become {path, error}). */
  private async one(p: string): Promise<ImageResult> {
    let x: Tensor | undefined;
    try {
      x = await loadImage(await readSource(p), this.preset);
    } catch (e) {
      return { path: p, error: String((e as Error).message).replace(/\s*\n\s*/g, ' ').trim() };
    }
    let y: Tensor | undefined;
    try {
      y = await this.batcher.run(x);
      const cpu = y.device === 'cpu' ? y : y.to('cpu');
      const row = cpu.data();
      if (cpu !== y) cpu.dispose();
      if (this.opts.features !== undefined) return { path: p, features: Array.from(row) };
      return { path: p, top: topK(row, this.top).map(({ index, p: prob }) => ({ index, label: this.labels[index] ?? String(index), p: prob })) };
    } finally {
      x.dispose();
      y?.dispose();
    }
  }

  /** The shard's results in its order; `onImage` after each image. Network failures reject (the shard is redone). */
  async runShard(paths: readonly string[], onImage?: (r: ImageResult) => void): Promise<ImageResult[]> {
    const out: ImageResult[] = new Array(paths.length);
    let next = 0;
    const lane = async () => {
      while (next < paths.length) {
        const i = next++;
        out[i] = await this.one(paths[i]);
        onImage?.(out[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, paths.length) }, lane));
    return out;
  }

  async close(): Promise<void> {
    await this.batcher.close();
  }
}
