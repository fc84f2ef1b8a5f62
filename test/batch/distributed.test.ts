// Distributed mode with a real Redis (redis-server from Debian's package on a free 127.0.0.1 port; .ci/run
// installs it): a producer and three worker processes over N generated images, one worker SIGKILLed
// mid-shard, one corrupt image. The merged output must hold every good image exactly once, the corrupt one
// with its error, and nothing else; the killed worker's shard is redone through BullMQ's stalled-job check.
// N = 240 (the 2 000 scaled to about a minute on CI's 2 shared cores: 12 shards of 20 at 32×32 input).
// Then a job that cannot succeed (weights file missing on the worker) lands in the failed set with its error,
// `--status` shows it and `--merge` refuses, naming it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { batch } from '../../lib';
import { Child, cli, makeImages, RedisServer, startRedis } from './fixtures';

jest.setTimeout(240000);

const N = 240;
const SHARD = 20;
const CORRUPT = 57;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-dist-'));
let redis: RedisServer;
let images: string[];
const children: Child[] = [];

beforeAll(async () => {
  [redis, images] = await Promise.all([startRedis(), makeImages(path.join(tmp, 'images'), N, [CORRUPT])]);
});
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function ok(c: Child): Promise<string> {
  const code = await c.exited;
  if (code !== 0) throw new Error(`exit ${code}: ${c.out()}`);
  return c.out();
}

test('producer + 3 workers, one SIGKILLed mid-shard, one corrupt image: every image exactly once in the merged output', async () => {
  const out = path.join(tmp, 'out');
  const q = ['--queue', redis.url, '--queue-name', 'dist'];
  const produced = await ok(cli(['batch', path.join(tmp, 'images'), '--model', 'resnet18', '--weights', 'none', '--size', '32', '--batch-size', '8', '--shard-size', String(SHARD), ...q, '--producer', '--out', out]));
  expect(produced).toMatch(new RegExp(`${N} images in ${N / SHARD} shards .*${N / SHARD} enqueued`));

  let killed = '';
  const victimStarts: string[] = [];
  const workerArgs = ['worker', ...q, '--until-empty', '--lock-ms', '4000'];
  // The victim is killed as it starts its first shard (it is spawned first, so it always gets one even when the
  // machine is loaded: waiting for a second shard let the survivors take them all in some runs), before it can finish it.
  const victim = cli(workerArgs, (line, c) => {
    const m = /\] (shard-\d+) started/.exec(line);
    if (!m) return;
    victimStarts.push(m[1]);
    if (victimStarts.length === 1 && !killed) {
      killed = m[1];
      c.proc.kill('SIGKILL');
    }
  });
  const others = [cli(workerArgs), cli(workerArgs)];
  children.push(victim, ...others);
  await victim.exited;
  expect(victim.proc.signalCode).toBe('SIGKILL');
  expect(killed).toMatch(/^shard-\d+$/);
  expect(victim.out()).not.toMatch(new RegExp(`${killed} done`));
  const logs = await Promise.all(others.map(ok));
  const status = await ok(cli(['batch', ...q, '--status']));
  if (!new RegExp(`${killed} done`).test(logs.join('\n'))) throw new Error(`${status}\nvictim:\n${victim.out()}`);
  // The killed shard was finished by a survivor.
  expect(logs.join('\n')).toMatch(new RegExp(`${killed} done`));
  expect(status).toMatch(new RegExp(`done ${N / SHARD}\\s+active 0\\s+waiting 0\\s+delayed 0\\s+failed 0`));

  const merged = await ok(cli(['batch', ...q, '--merge', '--out', out]));
  expect(merged).toMatch(new RegExp(`${N} images, 1 unreadable`));
  const lines = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as batch.ImageResult);
  expect(lines).toHaveLength(N);
  expect(lines.map((l) => l.path)).toEqual(images.map((f) => path.resolve(f))); // each once, in input order
  for (const [i, l] of lines.entries()) {
    if (i === CORRUPT) {
      expect(l.error).toMatch(/./);
      expect(l.top).toBeUndefined();
    } else {
      expect(l.error).toBeUndefined();
      expect(l.top).toHaveLength(5);
    }
  }
  expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
});

test('a job that keeps failing lands in the failed set with its error; --status shows it, --merge refuses and names it', async () => {
  const out = path.join(tmp, 'out-bad');
  const weights = path.join(tmp, 'weights.pth');
  fs.writeFileSync(weights, 'not a checkpoint');
  const q = { queue: redis.url, queueName: 'bad' };
  const p = await batch.produce({ ...q, input: images.slice(0, 4), model: 'resnet18', weights, imageSize: 32, out, shardSize: 4, attempts: 2, backoffMs: 100 });
  expect(p).toMatchObject({ images: 4, shards: 1, enqueued: 1 });
  // Producing the same batch again enqueues nothing new (job ids are the batch digest + shard).
  await batch.produce({ ...q, input: images.slice(0, 4), model: 'resnet18', weights, imageSize: 32, out, shardSize: 4, attempts: 2, backoffMs: 100 });
  const w = await batch.work({ ...q, untilEmpty: true, lockMs: 2000 });
  expect(w.shards).toBe(0);
  expect(w.failedAttempts).toBe(1); // a bad checkpoint is not retried (UnrecoverableError)
  const s = await batch.status(q);
  expect(s).toMatchObject({ done: 0, active: 0, waiting: 0, failed: 1 });
  expect(s.failures[0].shard).toBe('shard-00000');
  expect(s.failures[0].error).toMatch(/./);
  await expect(batch.merge({ ...q, out })).rejects.toThrow(/1 of 1 shards are not done.*1 failed.*shard-00000: loadPth.*not a torch checkpoint/);
  expect(await batch.retryFailed(q)).toBe(1);
  expect((await batch.status(q)).waiting + (await batch.status(q)).failed).toBe(1);
});

test('bad queue URLs are clear errors', async () => {
  await expect(batch.status({ queue: 'http://127.0.0.1:1' })).rejects.toThrow(/Redis URL/);
  await expect(batch.produce({ queue: redis.url, input: images, model: 'resnet18', out: path.join(tmp, 'x.jsonl') })).rejects.toThrow(/--out <dir>/);
});
