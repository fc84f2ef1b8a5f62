// Weights by name: the table made from torchvision's metadata, the cache, and downloads from a loopback
// HTTP server (good file, wrong hash, truncated body, 404, 500, a stalled server, concurrent loads, offline).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { models, Tensor } from '../../lib';
import { genF32 } from '../helpers/gen';
import { relErr } from '../helpers/check';

const PTH = path.join(__dirname, '..', 'fixtures', 'pth', 'resnet18.legacy.pth');
const body = fs.readFileSync(PTH);
const prefix = createHash('sha256').update(body).digest('hex').slice(0, 8);

type Mode = 'good' | 'truncated' | '404' | '500' | 'stall';
let mode: Mode = 'good';
let hits = 0;
const server = http.createServer((req, res) => {
  hits++;
  if (mode === '404') return res.writeHead(404).end('no');
  if (mode === '500') return res.writeHead(500).end('boom');
  res.writeHead(200, { 'content-length': String(body.length) });
  if (mode === 'truncated') {
    res.write(body.subarray(0, body.length >> 1));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  if (mode === 'stall') {
    res.write(body.subarray(0, 1000)); // then nothing
    return;
  }
  // two chunks apart in time, so progress is reported more than once
  res.write(body.subarray(0, 50_000));
  setTimeout(() => res.end(body.subarray(50_000)), 100);
});
let base = '';
let home = '';
const saved = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'convnets-home-'));
  process.env.CONVNETS_HOME = home;
  process.env.CONVNETS_WEIGHTS_MIRROR = `${base}/mirror/`;
  delete process.env.CONVNETS_OFFLINE;
  mode = 'good';
  hits = 0;
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  for (const k of ['CONVNETS_HOME', 'CONVNETS_WEIGHTS_MIRROR', 'CONVNETS_OFFLINE']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const cacheFiles = () => (fs.existsSync(path.join(home, 'checkpoints')) ? fs.readdirSync(path.join(home, 'checkpoints')) : []);
const spec = () => ({ url: 'https://example.invalid/never-used.pth', file: `tiny-${prefix}.pth`, sha256Prefix: prefix });

describe('the weights table (generated from torchvision 0.14)', () => {
  test('every architecture with torchvision weights, DEFAULT and the presets torchvision lists', () => {
    const r50 = models.weightsInfo('resnet50');
    expect(r50.name).toBe('IMAGENET1K_V2');
    expect(r50.url).toBe('https://download.pytorch.org/models/resnet50-11ad3fa6.pth');
    expect(r50.sha256Prefix).toBe('11ad3fa6');
    expect([r50.preset.resizeSize, r50.preset.cropSize]).toEqual([232, 224]);
    expect(r50.numParams).toBe(25557032);
    expect(r50.metrics['ImageNet-1K'].acc1).toBeCloseTo(80.858, 3);
    expect(models.weightsInfo('resnet50', 'IMAGENET1K_V1').preset.resizeSize).toBe(256);
    expect(models.weightsInfo('googlenet').preset.resizeSize).toBe(256);
    const cats = models.imagenetCategories();
    expect(cats.length).toBe(1000);
    expect(cats[0]).toBe('tench');
    expect(cats[281]).toBe('tabby');
    for (const arch of models.modelNames.filter((n) => n !== 'alexnetOriginal')) expect(models.listWeights(arch).length).toBeGreaterThan(0);
    expect(models.listWeights('alexnetOriginal')).toEqual([]);
  });
  test('unknown names are errors listing the choices', () => {
    expect(() => models.weightsInfo('resnet99')).toThrow(/unknown architecture 'resnet99'.*resnet50/);
    expect(() => models.weightsInfo('resnet50', 'IMAGENET1K_V9')).toThrow(/has no weights 'IMAGENET1K_V9' \(one of DEFAULT, IMAGENET1K_V1, IMAGENET1K_V2\)/);
  });
});

describe('downloads', () => {
  test('a good file: streamed, sha256-checked, renamed into the cache, progress reported', async () => {
    const progress: [number, number][] = [];
    const p = await models.fetchCheckpoint(spec(), { onProgress: (r, t) => progress.push([r, t]) });
    expect(p).toBe(path.join(home, 'checkpoints', `tiny-${prefix}.pth`));
    expect(fs.readFileSync(p).equals(body)).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress[progress.length - 1]).toEqual([body.length, body.length]);
    expect(cacheFiles()).toEqual([`tiny-${prefix}.pth`]); // no temporary file left
    await models.fetchCheckpoint(spec());
    expect(hits).toBe(1); // cached: no second request
  });
  test('a wrong hash is an Error naming the URL; nothing stays in the cache', async () => {
    await expect(models.fetchWeights('resnet18')).rejects.toThrow(new RegExp(`download of ${base}/mirror/resnet18-f37072fd\\.pth failed: sha256 .* does not start with f37072fd`));
    expect(cacheFiles()).toEqual([]);
    expect(hits).toBe(1); // a hash mismatch is not retried
  });
  test('a truncated body fails after the retries; nothing stays in the cache', async () => {
    mode = 'truncated';
    await expect(models.fetchCheckpoint(spec(), { retries: 1 })).rejects.toThrow(new RegExp(`download of ${base}/mirror/tiny-${prefix}\\.pth failed: .*\\(after 2 tries\\)`));
    expect(hits).toBe(2);
    expect(cacheFiles()).toEqual([]);
  });
  test('404 is not retried; 500 is', async () => {
    mode = '404';
    await expect(models.fetchCheckpoint(spec())).rejects.toThrow(/failed: HTTP 404/);
    expect(hits).toBe(1);
    mode = '500';
    hits = 0;
    await expect(models.fetchCheckpoint(spec(), { retries: 2 })).rejects.toThrow(/failed: HTTP 500 .*\(after 3 tries\)/);
    expect(hits).toBe(3);
    expect(cacheFiles()).toEqual([]);
  });
  test('a server that stalls past the timeout', async () => {
    mode = 'stall';
    await expect(models.fetchCheckpoint(spec(), { timeoutMs: 300, retries: 0 })).rejects.toThrow(/failed: timed out \(no data for 300 ms\)/);
    expect(cacheFiles()).toEqual([]);
  });
  test('two concurrent loads of one file download it once', async () => {
    const [a, b] = await Promise.all([models.fetchCheckpoint(spec()), models.fetchCheckpoint(spec())]);
    expect(a).toBe(b);
    expect(hits).toBe(1);
    expect(fs.readFileSync(a).equals(body)).toBe(true);
  });
  test('CONVNETS_OFFLINE=1 never touches the network and says where to put the file', async () => {
    process.env.CONVNETS_OFFLINE = '1';
    delete process.env.CONVNETS_WEIGHTS_MIRROR;
    await expect(models.load('resnet50')).rejects.toThrow(/resnet50-11ad3fa6\.pth is not cached and CONVNETS_OFFLINE=1 forbids downloading it: fetch https:\/\/download\.pytorch\.org\/models\/resnet50-11ad3fa6\.pth and place it at .*checkpoints\/resnet50-11ad3fa6\.pth/);
    expect(hits).toBe(0);
  });
});

describe('models.load', () => {
  test('a checkpoint placed in the cache by hand loads offline into an eval-mode network with its metadata', async () => {
    process.env.CONVNETS_OFFLINE = '1';
    fs.mkdirSync(path.join(home, 'checkpoints'), { recursive: true });
    fs.copyFileSync(PTH, path.join(home, 'checkpoints', 'resnet18-f37072fd.pth'));
    const m = await models.load('resnet18', { weights: 'IMAGENET1K_V1' });
    expect(m.training).toBe(false);
    expect(m.weights!.name).toBe('IMAGENET1K_V1');
    expect(m.weights!.categories.length).toBe(1000);
    expect(m.weights!.preset.cropSize).toBe(224);
    const nets = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'pth', 'networks.json'), 'utf8'));
    const x = Tensor.from(genF32(3 * 64 * 64, nets.input.seed, nets.input.scale), nets.input.shape);
    expect(relErr(m.forward(x).data(), nets.logits.resnet18)).toBeLessThan(1e-4);
    expect(models.listWeights('resnet18')[0].cached).toBe(true);
  });
  test('weights from a file path, and null for random weights', async () => {
    const m = await models.load('resnet18', { weights: PTH });
    expect(m.weights!.file).toBe('resnet18.legacy.pth');
    const r = await models.load('resnet18', { weights: null });
    expect(r.weights).toBeNull();
    await expect(models.load('resnet18', { weights: 'nope.pth' })).rejects.toThrow(/'nope\.pth' is neither a weights name of resnet18 \(DEFAULT, IMAGENET1K_V1\) nor an existing file/);
  });
});
