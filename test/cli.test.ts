// The command line end to end on fixtures: classify (--json parsed), convert, weights list, summary, bench,
// viz, and the one-line error with exit status 1 (in a child process).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, models, F } from '../lib';
import { main, SAMPLE_IMAGE } from '../lib/cli';

const ROOT = path.join(__dirname, '..');
const PTH = path.join(ROOT, 'test', 'fixtures', 'pth', 'resnet18.legacy.pth');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI in this process; returns what it printed and the exit status it set. */
async function run(...argv: string[]): Promise<{ out: string; err: string; code: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const saved = process.exitCode;
  process.exitCode = 0;
  try {
    await main(argv);
    return { out: out.join('\n'), err: err.join('\n'), code: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = saved;
    log.mockRestore();
    error.mockRestore();
  }
}

test('classify --json: top-k per image, the same as the library computes', async () => {
  const img2 = path.join(ROOT, 'test', 'fixtures', 'images', 'coffee.jpg');
  const r = await run('classify', 'resnet18', SAMPLE_IMAGE, img2, '--weights', PTH, '--top', '3', '--json');
  expect(r.code).toBe(0);
  const res = JSON.parse(r.out);
  expect(res.map((x: { image: string }) => x.image)).toEqual([SAMPLE_IMAGE, img2]);
  const m = await models.load('resnet18', { weights: PTH });
  const cats = models.imagenetCategories();
  for (const [i, file] of [SAMPLE_IMAGE, img2].entries()) {
    const p = F.softmax(m.forward(await io.loadImage(file, io.presets.imagenet())), 1).data();
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, 3);
    expect(res[i].top.map((t: { index: number }) => t.index)).toEqual(order);
    expect(res[i].top.map((t: { label: string }) => t.label)).toEqual(order.map((k) => cats[k]));
    for (const [j, k] of order.entries()) expect(res[i].top[j].probability).toBeCloseTo(p[k], 6);
  }
});

test('convert writes a safetensors file with the checkpoint\'s tensors', async () => {
  const src = path.join(ROOT, 'test', 'fixtures', 'pth', 'tensors.legacy.pth');
  const out = path.join(tmp, 't.safetensors');
  const r = await run('convert', src, out);
  expect(r.out).toMatch(/14 tensors \(legacy format, 8 converted to float32\)/);
  const a = io.loadPth(src);
  const b = io.loadSafetensors(out);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [k, t] of a) expect(Array.from(b.get(k)!.data())).toEqual(Array.from(t.data()));
});

test('weights list, summary', async () => {
  const w = await run('weights', 'list', 'resnet50');
  expect(w.out).toMatch(/resnet50\s+IMAGENET1K_V2\s+DEFAULT\s+top-1 80\.86%\s+232\/224/);
  expect(w.out).toMatch(/IMAGENET1K_V1 .*256\/224 .*resnet50-0676ba61\.pth/);
  const s = await run('summary', 'resnet18');
  expect(s.out).toMatch(/11,689,512/);
});

test('bench (eager and compiled) and viz', async () => {
  const b = await run('bench', 'alexnet', '--runs', '2');
  expect(b.out).toMatch(/alexnet eager on cpu, batch 1: [\d.]+ ms median of 2/);
  const c = await run('bench', 'alexnet', '--runs', '2', '--compiled');
  expect(c.out).toMatch(/alexnet compiled on cpu/);
  const dir = path.join(tmp, 'viz');
  const v = await run('viz', 'alexnet', SAMPLE_IMAGE, '--out', dir, '--weights', 'none');
  expect(v.code).toBe(0);
  const sharp = require('sharp');
  const f = await sharp(path.join(dir, 'filters.png')).metadata();
  expect([f.width, f.height]).toEqual([8 * (11 + 1) * 4 + 4, 8 * (11 + 1) * 4 + 4]); // 64 filters 11x11, 8x8 grid, x4
  expect(fs.existsSync(path.join(dir, 'feature_maps.png')) && fs.existsSync(path.join(dir, 'input.png'))).toBe(true);
});

test('errors: one line, exit status 1 (child process); usage errors from commander', () => {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, ['lib/cli.ts', 'classify', 'resnet99', 'x.jpg'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe(`convnets: unknown model 'resnet99' (one of ${models.modelNames.join(', ')})`);
  const u = spawnSync(tsx, ['lib/cli.ts', 'classify'], { cwd: ROOT, encoding: 'utf8' });
  expect(u.status).toBe(1);
  expect(u.stderr).toMatch(/missing required argument 'model'/);
}, 30000);
