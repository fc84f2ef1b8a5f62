// batch.run (local mode): inputs (directory, glob, manifest), JSONL per image with top-k or features, a
// corrupt image recorded with its error while the shard goes on, resume after an interrupted run (finished
// shards skipped, the merged output exactly once per image), and clear errors for bad options.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { batch, io, models } from '../../lib';
import { makeImages } from './fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-batch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const N = 36;
const CORRUPT = 13;
let images: string[];
beforeAll(async () => {
  images = await makeImages(path.join(tmp, 'images'), N, [CORRUPT]);
});

const readLines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as batch.ImageResult);
const base = { model: 'resnet18', weights: null, imageSize: 32, batchSize: 4, shardSize: 10, top: 3 } as const;

test('inputs: a directory, a glob and a manifest give the images in order; bad inputs are clear errors', () => {
  const dir = path.join(tmp, 'images');
  expect(batch.resolveInputs(dir)).toEqual(images);
  expect(batch.resolveInputs(`${dir}/img-00*.png`)).toEqual(images.filter((f) => /img-00/.test(f)));
  expect(batch.resolveInputs(`${tmp}/**/*.png`)).toEqual(images);
  const manifest = path.join(tmp, 'list.txt');
  fs.writeFileSync(manifest, `# two images\nimages/${path.basename(images[1])}\n\n${images[0]}\n`);
  expect(batch.resolveInputs(manifest)).toEqual([images[1], images[0]]);
  fs.writeFileSync(manifest, `${images[0]}\n${images[0]}\n`);
  expect(() => batch.resolveInputs(manifest)).toThrow(/twice/);
  expect(() => batch.resolveInputs(path.join(tmp, 'nope'))).toThrow(/does not exist/);
  expect(() => batch.resolveInputs(`${tmp}/*.webp`)).toThrow(/matches no file/);
  expect(batch.globToRegExp('a/**/*.jpg').test('a/b/c/x.jpg')).toBe(true);
  expect(batch.globToRegExp('a/*.jpg').test('a/b/x.jpg')).toBe(false);
});

test('bad options are clear errors', async () => {
  const out = path.join(tmp, 'bad');
  await expect(batch.run({ ...base, input: images, out, model: 'resnet99' })).rejects.toThrow(/unknown model 'resnet99'/);
  await expect(batch.run({ ...base, input: images, out, features: 'nolayer' })).rejects.toThrow(/no layer 'nolayer'.*avgpool/);
  await expect(batch.run({ ...base, input: images, out, weights: '/no/such.pth' })).rejects.toThrow(/neither a weights name nor an existing file/);
  await expect(batch.run({ ...base, input: images, out, shardSize: 0 })).rejects.toThrow(/shardSize must be a positive integer/);
  await expect(batch.run({ ...base, input: [], out })).rejects.toThrow(/input is empty/);
});

test('an interrupted run resumes: finished shards are skipped, the merged file holds every image once, the corrupt one with its error', async () => {
  const out = path.join(tmp, 'run1', 'results.jsonl');
  const stop = new Error('interrupted');
  await expect(batch.run({ ...base, input: path.join(tmp, 'images'), out, onShard: (i) => { if (i === 1) throw stop; } })).rejects.toBe(stop);
  const shardDir = `${out}.shards`;
  const written = fs.readdirSync(shardDir).filter((f) => f.endsWith('.jsonl')).sort();
  expect(written).toEqual(['shard-00000.jsonl', 'shard-00001.jsonl']);
  expect(fs.readdirSync(shardDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  expect(fs.existsSync(out)).toBe(false);
  const before = fs.statSync(path.join(shardDir, 'shard-00000.jsonl')).mtimeMs;

  const progress: number[] = [];
  const s = await batch.run({ ...base, input: path.join(tmp, 'images'), out, onProgress: (p) => progress.push(p.done) });
  expect(s).toMatchObject({ images: N, shards: 4, shardsSkipped: 2, processed: N - 20, errors: 0 });
  expect(progress[progress.length - 1]).toBe(N - 20);
  expect(fs.statSync(path.join(shardDir, 'shard-00000.jsonl')).mtimeMs).toBe(before); // not rewritten

  const lines = readLines(out);
  expect(lines.map((l) => l.path)).toEqual(images);
  const bad = lines[CORRUPT];
  expect(bad.error).toMatch(/./);
  expect(bad.top).toBeUndefined();
  for (const [i, l] of lines.entries()) {
    if (i === CORRUPT) continue;
    expect(l.error).toBeUndefined();
    expect(l.top).toHaveLength(3);
    const ps = l.top!.map((t) => t.p);
    expect(ps).toEqual([...ps].sort((a, b) => b - a));
    expect(ps[0]).toBeGreaterThan(0);
    expect(ps[0]).toBeLessThanOrEqual(1);
    expect(typeof l.top![0].label).toBe('string');
  }
  // A third run has nothing left to do; another batch into the same output is refused.
  const again = await batch.run({ ...base, input: path.join(tmp, 'images'), out });
  expect(again).toMatchObject({ shardsSkipped: 4, processed: 0 });
  await expect(batch.run({ ...base, top: 5, input: path.join(tmp, 'images'), out })).rejects.toThrow(/another batch.*top/);
});

test('features: a named layer\'s output per image, equal to the eager network\'s (torchvision weights from a file)', async () => {
  const PTH = path.join(__dirname, '..', 'fixtures', 'pth', 'resnet18.legacy.pth');
  const out = path.join(tmp, 'feat');
  const s = await batch.run({ ...base, weights: PTH, input: images.slice(0, 6), out, features: 'avgpool', shardSize: 6 });
  expect(s.errors).toBe(0);
  const lines = readLines(path.join(out, 'results.jsonl'));
  expect(lines).toHaveLength(6);
  const model = await models.load('resnet18', { weights: PTH });
  const preset = io.presets.imagenet({ cropSize: 32, resizeSize: 37 });
  const f = batch.featureForward(model, 'avgpool');
  for (const [i, l] of lines.entries()) {
    expect(l.features).toHaveLength(512);
    const x = await io.loadImage(images[i], preset);
    const want = f(x).data();
    let err = 0;
    for (let j = 0; j < 512; j++) err = Math.max(err, Math.abs(want[j] - l.features![j]));
    expect(err).toBeLessThan(1e-3 * (1 + Math.max(...want)));
  }
  expect(new Set(lines.map((l) => l.features!.slice(0, 4).join())).size).toBe(6); // distinct images, distinct vectors
});
