// batch.run(opts): local mode. Resolves the input, cuts shards, skips those already written (resume), runs
// the rest through one Engine and writes each shard atomically; then merges them into the output file.
// `out` ending in .jsonl: shards go to <out>.shards/ and the merged result to <out>; otherwise `out` is a
// directory holding the shards and results.jsonl.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { Engine, EngineOptions } from './engine';
import { listDigest, makeShards, resolveInputs } from './inputs';
import { claimDir, finishedShards, mergeShards, MERGED, writeShard } from './shards';

export interface BatchProgress {
  /** Images finished in this run, and the images this run has to do (skipped shards excluded). */
  done: number;
  total: number;
  errors: number;
  imagesPerSec: number;
  /** Seconds left at the current rate (NaN before the first image). */
  etaSec: number;
}

export interface BatchOptions extends EngineOptions {
  /** A directory, a glob or a manifest file; or the list of image paths itself. */
  input: string | readonly string[];
  /** A .jsonl file, or a directory. */
  out: string;
  /** Images per shard (default 1000). */
  shardSize?: number;
  onProgress?: (p: BatchProgress) => void;
  /** Called after each shard is written (tests use it to interrupt a run). */
  onShard?: (shard: number) => void;
  signal?: AbortSignal;
}

export interface BatchSummary {
  /** The merged JSONL file and the shard directory. */
  out: string;
  shardDir: string;
  images: number;
  shards: number;
  /** Shards found finished from an earlier run and not redone. */
  shardsSkipped: number;
  /** Images this run processed, and how many of them failed to decode. */
  processed: number;
  errors: number;
  seconds: number;
  imagesPerSec: number;
  weights: string | null;
}

export function outputLayout(out: string): { shardDir: string; merged: string } {
  if (typeof out !== 'string' || out === '') throw new TypeError('batch: out must be a .jsonl file or a directory');
  return /\.jsonl$/i.test(out) ? { shardDir: `${out}.shards`, merged: out } : { shardDir: out, merged: path.join(out, MERGED) };
}

export function manifestFor(opts: BatchOptions | (EngineOptions & { shardSize?: number }), paths: readonly string[], shardSize: number) {
  return {
    version: 1 as const, model: opts.model, weights: opts.weights, features: opts.features ?? null, top: opts.top ?? 5,
    imageSize: opts.imageSize ?? null, shardSize, shards: Math.ceil(paths.length / shardSize), images: paths.length, digest: listDigest(paths, shardSize),
  };
}

export async function run(opts: BatchOptions): Promise<BatchSummary> {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('batch.run: options {input, model, out} are required');
  const { shardDir, merged } = outputLayout(opts.out);
  const paths = typeof opts.input === 'string' ? resolveInputs(opts.input) : [...(opts.input ?? [])];
  if (paths.length === 0) throw new TypeError('batch.run: input is empty');
  const shardSize = opts.shardSize ?? 1000;
  const shards = makeShards(paths, shardSize);
  const t0 = performance.now();
  const engine = await Engine.create(opts);
  try {
    claimDir(shardDir, manifestFor(opts, paths, shardSize), paths);
    const done = finishedShards(shardDir, shards.length);
    const todo = shards.filter((s) => !done.has(s.index));
    const total = todo.reduce((a, s) => a + s.paths.length, 0);
    let n = 0;
    let errors = 0;
    const tRun = performance.now();
    for (const s of todo) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('batch.run: aborted');
      const results = await engine.runShard(s.paths, (r) => {
        n++;
        if (r.error !== undefined) errors++;
        if (opts.onProgress) {
          const rate = n / ((performance.now() - tRun) / 1000);
          opts.onProgress({ done: n, total, errors, imagesPerSec: rate, etaSec: rate > 0 ? (total - n) / rate : NaN });
        }
      });
      writeShard(shardDir, s.index, results);
      opts.onShard?.(s.index);
    }
    const seconds = (performance.now() - t0) / 1000;
    mergeShards(shardDir, merged);
    return {
      out: merged, shardDir, images: paths.length, shards: shards.length, shardsSkipped: shards.length - todo.length, processed: n, errors,
      seconds, imagesPerSec: n / ((performance.now() - tRun) / 1000 || 1), weights: engine.weightsName,
    };
  } finally {
    await engine.close();
  }
}
