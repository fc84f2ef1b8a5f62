// Distributed mode on BullMQ over Redis. The producer resolves the input, records the batch in the output
// directory (batch.json, inputs.txt) and enqueues one job per unfinished shard; the job carries the model,
// weights, options, the shard's paths and the output directory (a shared or network mount). Job ids are
// <digest>-<shard-id>: enqueuing the same batch twice adds nothing. Workers (any number, any machine) pull
// jobs, run the shard and write its JSONL atomically (temp + rename), so a shard redone after a retry or a
// stall replaces the file whole: the merged result holds each image exactly once whatever the retries.
// Failures retry with exponential backoff; a bad model or weights fails at once (UnrecoverableError); a job
// that keeps failing stays in the failed set with its error. A worker killed mid-shard stops renewing its
// lock; BullMQ's stalled-job check moves the job back to waiting for another worker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';

import type { Device } from '../tensor';
import { BatchConfigError, Engine, EngineOptions } from './engine';
import { makeShards, resolveInputs } from './inputs';
import { manifestFor } from './local';
import { claimDir, finishedShards, mergeShards, MergeSummary, readManifest, shardFile, writeShard } from './shards';

export const DEFAULT_QUEUE_NAME = 'convnets-batch';

export interface QueueOptions {
  /** redis://host:port[/db] (rediss:// for TLS). */
  queue: string;
  /** The BullMQ queue's name (default 'convnets-batch'). */
  queueName?: string;
}

export interface ShardJob {
  engine: Omit<EngineOptions, 'onWarning' | 'device'>;
  outDir: string;
  shard: number;
  paths: string[];
}

/** An ioredis connection for BullMQ (maxRetriesPerRequest null, as BullMQ's workers require). */
export function connect(url: string): IORedis {
  if (typeof url !== 'string' || !/^rediss?:\/\/[^/]+/.test(url)) {
    throw new TypeError(`batch: --queue must be a Redis URL such as redis://127.0.0.1:6379, got '${String(url)}'`);
  }
  return new IORedis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

function queueName(o: QueueOptions): string {
  const n = o.queueName ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new TypeError(`batch: queue name must be letters, digits, '_', '.' or '-', got '${n}'`);
  return n;
}

async function withQueue<T>(o: QueueOptions, fn: (q: Queue) => Promise<T>): Promise<T> {
  const connection = connect(o.queue);
  const q = new Queue(queueName(o), { connection });
  try {
    return await fn(q);
  } finally {
    await q.close();
    connection.disconnect();
  }
}

export interface ProduceOptions extends QueueOptions, Omit<EngineOptions, 'onWarning' | 'device' | 'concurrency'> {
  input: string | readonly string[];
  /** The output directory, seen at the same path by every worker. */
  out: string;
  shardSize?: number;
  /** Tries per shard before it lands in the failed set (default 3), and the first backoff (default 2000 ms, doubling). */
  attempts?: number;
  backoffMs?: number;
}

export interface ProduceSummary {
  outDir: string;
  images: number;
  shards: number;
  enqueued: number;
  /** Shards already written by an earlier run, not enqueued again. */
  skipped: number;
}

export async function produce(o: ProduceOptions): Promise<ProduceSummary> {
  if (typeof o?.out !== 'string' || o.out === '' || /\.jsonl$/i.test(o.out)) throw new TypeError('batch: distributed mode needs --out <dir> (a directory every worker can write to)');
  if (typeof o.model !== 'string') throw new TypeError('batch: --model is required');
  const attempts = o.attempts ?? 3;
  const backoffMs = o.backoffMs ?? 2000;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`batch: attempts must be a positive integer, got ${String(attempts)}`);
  const paths = typeof o.input === 'string' ? resolveInputs(o.input) : [...o.input];
  if (paths.length === 0) throw new TypeError('batch: input is empty');
  const shardSize = o.shardSize ?? 1000;
  const outDir = path.resolve(o.out);
  // Workers on other machines read these paths as written: make relative ones absolute.
  const abs = paths.map((p) => (/^https?:\/\//i.test(p) ? p : path.resolve(p)));
  const shards = makeShards(abs, shardSize);
  const manifest = manifestFor(o, abs, shardSize);
  claimDir(outDir, manifest, abs);
  const done = finishedShards(outDir, shards.length);
  const engine: ShardJob['engine'] = { model: o.model, weights: o.weights, features: o.features, top: o.top, batchSize: o.batchSize, imageSize: o.imageSize };
  const todo = shards.filter((s) => !done.has(s.index));
  await withQueue(o, async (q) => {
    for (let i = 0; i < todo.length; i += 500) {
      await q.addBulk(todo.slice(i, i + 500).map((s) => ({
        name: s.id,
        data: { engine, outDir, shard: s.index, paths: s.paths } satisfies ShardJob,
        opts: { jobId: `${manifest.digest}-${s.id}`, attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: false, removeOnFail: false },
      })));
    }
  });
  return { outDir, images: paths.length, shards: shards.length, enqueued: todo.length, skipped: shards.length - todo.length };
}

export interface WorkerOptions extends QueueOptions {
  device?: Device;
  /** Exit once the queue holds no waiting, delayed or active job (default false: wait for work forever). */
  untilEmpty?: boolean;
  /** Shards run at once by this worker (default 1: one shard keeps the batcher full). */
  concurrency?: number;
  /** BullMQ's lock duration and stalled-job check interval (default 30000 ms): how soon a dead worker's shard is redone. */
  lockMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface WorkerSummary {
  shards: number;
  images: number;
  errors: number;
  failedAttempts: number;
}

function engineKey(e: ShardJob['engine']): string {
  return JSON.stringify([e.model, e.weights ?? null, e.features ?? null, e.top ?? 5, e.batchSize ?? 16, e.imageSize ?? null]);
}

/** Runs shards from the queue until `signal` aborts or, with untilEmpty, the queue has nothing left. */
export async function work(o: WorkerOptions): Promise<WorkerSummary> {
  const log = o.log ?? (() => {});
  const lockMs = o.lockMs ?? 30000;
  if (!Number.isInteger(lockMs) || lockMs < 1000) throw new RangeError(`batch: lockMs must be an integer ≥ 1000, got ${String(lockMs)}`);
  const connection = connect(o.queue);
  const name = queueName(o);
  const engines = new Map<string, Promise<Engine>>();
  const summary: WorkerSummary = { shards: 0, images: 0, errors: 0, failedAttempts: 0 };
  const engineFor = (e: ShardJob['engine']): Promise<Engine> => {
    const k = engineKey(e);
    let p = engines.get(k);
    if (!p) {
      p = Engine.create({ ...e, device: o.device, onWarning: (m) => log(`warning: ${m}`) });
      p.catch(() => engines.delete(k));
      engines.set(k, p);
    }
    return p;
  };
  const processor = async (job: Job<ShardJob>, token?: string) => {
    const d = job.data;
    log(`${job.name} started (attempt ${job.attemptsMade + 1}, ${d.paths.length} images)`);
    // Loading a network and compiling its plans holds the event loop for seconds (tens on a loaded machine),
    // when BullMQ cannot renew the lock: take a long one first, lest the job be declared stalled meanwhile.
    if (!engines.has(engineKey(d.engine)) && token) await job.extendLock(token, Math.max(10 * lockMs, 120000));
    let engine: Engine;
    try {
      engine = await engineFor(d.engine);
    } catch (e) {
      if (e instanceof BatchConfigError) throw new UnrecoverableError(e.message);
      throw e;
    }
    if (!fs.existsSync(d.outDir) || !readManifest(d.outDir)) throw new Error(`output directory ${d.outDir} is not reachable from this worker (or has no batch.json)`);
    let n = 0;
    const results = await engine.runShard(d.paths, () => {
      if (++n % 16 === 0) void job.updateProgress(Math.round((100 * n) / d.paths.length)).catch(() => {});
    });
    writeShard(d.outDir, d.shard, results);
    const errors = results.filter((r) => r.error !== undefined).length;
    summary.shards++;
    summary.images += results.length;
    summary.errors += errors;
    log(`${job.name} done: ${results.length} images, ${errors} unreadable → ${shardFile(d.outDir, d.shard)}`);
    return { images: results.length, errors };
  };
  const worker = new Worker<ShardJob>(name, processor, {
    connection, concurrency: o.concurrency ?? 1, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 2,
  });
  worker.on('failed', (job, err) => {
    summary.failedAttempts++;
    log(`${job?.name ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message}`);
  });
  worker.on('error', (err) => log(`worker error: ${err.message}`));
  try {
    await worker.waitUntilReady();
    log(`worker ready on ${name} (${o.device ?? 'cpu'})`);
    await new Promise<void>((resolve) => {
      if (o.signal?.aborted) return resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
      if (!o.untilEmpty) return;
      const q = new Queue(name, { connection });
      const timer = setInterval(() => {
        void q.getJobCounts('waiting', 'delayed', 'active', 'prioritized').then((c) => {
          if (Object.values(c).every((v) => v === 0)) {
            clearInterval(timer);
            void q.close().then(resolve, resolve);
          }
        }, () => {});
      }, 500);
    });
  } finally {
    await worker.close();
    for (const p of engines.values()) await p.then((e) => e.close(), () => {});
    connection.disconnect();
  }
  return summary;
}

export interface QueueStatus {
  done: number;
  active: number;
  waiting: number;
  delayed: number;
  failed: number;
  /** The failed jobs (up to 20) with their last error. */
  failures: { shard: string; error: string; attempts: number }[];
}

export async function status(o: QueueOptions): Promise<QueueStatus> {
  return withQueue(o, async (q) => {
    const c = await q.getJobCounts('completed', 'active', 'waiting', 'prioritized', 'delayed', 'failed');
    const failed = await q.getFailed(0, 19);
    return {
      done: c.completed ?? 0, active: c.active ?? 0, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, failed: c.failed ?? 0,
      failures: failed.map((j) => ({ shard: j.name, error: j.failedReason ?? '', attempts: j.attemptsMade })),
    };
  });
}

/** Moves every failed job back to waiting (after fixing its cause); returns how many. */
export async function retryFailed(o: QueueOptions): Promise<number> {
  return withQueue(o, async (q) => {
    const n = (await q.getJobCounts('failed')).failed ?? 0;
    if (n) await q.retryJobs({ state: 'failed', count: 1000 });
    return n;
  });
}

/** Merges the finished shards of `out` (every shard must be done); failed shards are named with their errors. */
export async function merge(o: QueueOptions & { out: string }): Promise<MergeSummary> {
  const m = readManifest(o.out);
  if (!m) throw new Error(`batch: ${o.out} has no batch.json: not a batch output directory`);
  const missing = makeShards(new Array(m.images).fill(''), m.shardSize).filter((s) => !fs.existsSync(shardFile(o.out, s.index)));
  if (missing.length) {
    const st = await status(o);
    const why = st.failures.length ? `; failed: ${st.failures.slice(0, 3).map((f) => `${f.shard}: ${f.error}`).join('; ')} (\`convnets batch --queue … --retry-failed\` requeues them)` : '';
    throw new Error(`batch: cannot merge: ${missing.length} of ${m.shards} shards are not done (queue: ${st.done} done, ${st.active} active, ${st.waiting + st.delayed} waiting, ${st.failed} failed)${why}`);
  }
  return mergeShards(o.out);
}
