// The output directory of a batch: batch.json (what was asked: model, weights, shard size, the list's digest,
// shard count), inputs.txt (the image list, one per line), one <shard-id>.jsonl per finished shard — written
// to a temporary name, fsync'ed, then renamed, so a shard file is whole or absent, whoever wrote it and
// however often — and, once merged, results.jsonl.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ImageResult } from './engine';
import { shardId } from './inputs';

export interface BatchManifest {
  version: 1;
  model: string;
  weights: string | null | undefined;
  features: string | null;
  top: number;
  imageSize: number | null;
  shardSize: number;
  shards: number;
  images: number;
  digest: string;
}

export const MANIFEST = 'batch.json';
export const INPUTS = 'inputs.txt';
export const MERGED = 'results.jsonl';

/** Writes `data` to `file` atomically: a temporary file in the same directory, fsync, rename. */
export function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export const shardFile = (dir: string, index: number) => path.join(dir, `${shardId(index)}.jsonl`);

export function writeShard(dir: string, index: number, results: readonly ImageResult[]): void {
  writeAtomic(shardFile(dir, index), results.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function readManifest(dir: string): BatchManifest | null {
  const f = path.join(dir, MANIFEST);
  if (!fs.existsSync(f)) return null;
  return JSON.parse(fs.readFileSync(f, 'utf8')) as BatchManifest;
}

/**
 * Records what this batch is in `dir`, or checks that the batch already there is the same one (a resume);
 * a different one is an Error rather than a mix of two runs' shards.
 */
export function claimDir(dir: string, m: BatchManifest, paths: readonly string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const old = readManifest(dir);
  if (old) {
    const diff = (['model', 'weights', 'features', 'top', 'imageSize', 'shardSize', 'digest'] as const).filter((k) => (old[k] ?? null) !== (m[k] ?? null));
    if (diff.length) {
      throw new Error(`batch: ${dir} holds the shards of another batch (${diff.map((k) => `${k}: ${String(old[k])} there, ${String(m[k])} now`).join('; ')}); use another output or delete it`);
    }
    return;
  }
  writeAtomic(path.join(dir, INPUTS), paths.join('\n') + '\n');
  writeAtomic(path.join(dir, MANIFEST), JSON.stringify(m, null, 1) + '\n');
}

export function finishedShards(dir: string, shards: number): Set<number> {
  const done = new Set<number>();
  for (let i = 0; i < shards; i++) if (fs.existsSync(shardFile(dir, i))) done.add(i);
  return done;
}

export interface MergeSummary {
  file: string;
  images: number;
  errors: number;
  /** The image paths that failed to decode, with their errors. */
  failed: { path: string; error: string }[];
}

/**
 * Concatenates the shards of `dir` in order into `out` (default <dir>/results.jsonl), atomically, after
 * checking that every shard is there and that the lines are exactly the batch's images, each once.
 */
export function mergeShards(dir: string, out = path.join(dir, MERGED)): MergeSummary {
  const m = readManifest(dir);
  if (!m) throw new Error(`batch: ${dir} has no ${MANIFEST}: not a batch output directory`);
  const missing: string[] = [];
  for (let i = 0; i < m.shards; i++) if (!fs.existsSync(shardFile(dir, i))) missing.push(shardId(i));
  if (missing.length) {
    throw new Error(`batch: cannot merge ${dir}: ${missing.length} of ${m.shards} shards are not done (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
  }
  const expected = fs.readFileSync(path.join(dir, INPUTS), 'utf8').split('\n').filter((l) => l !== '');
  const want = new Set(expected);
  const seen = new Set<string>();
  const failed: { path: string; error: string }[] = [];
  const parts: string[] = [];
  for (let i = 0; i < m.shards; i++) {
    const text = fs.readFileSync(shardFile(dir, i), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as ImageResult;
      if (!want.has(r.path)) throw new Error(`batch: ${shardId(i)} holds '${r.path}', which is not in the batch's input list`);
      if (seen.has(r.path)) throw new Error(`batch: '${r.path}' appears twice in the shards (${shardId(i)})`);
      seen.add(r.path);
      if (r.error !== undefined) failed.push({ path: r.path, error: r.error });
    }
    parts.push(text);
  }
  if (seen.size !== want.size) throw new Error(`batch: the shards hold ${seen.size} images, the batch has ${want.size}`);
  writeAtomic(out, parts.join(''));
  return { file: out, images: seen.size, errors: failed.length, failed };
}
