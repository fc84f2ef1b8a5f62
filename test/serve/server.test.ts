// examples/server end to end: started as `node examples/server` (the built dist/, as from a fresh clone), over
// real HTTP on 127.0.0.1: raw float32 and PPM bodies, top-5 JSON, 400 / 413 / 415 / 503 QUEUE_FULL / 504
// timeout, /healthz, /metrics, batching under concurrency, and a SIGTERM that drains and exits 0.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

interface Server { url: string; proc: ChildProcess; out: () => string; exit: Promise<number | null> }

function start(args: string[]): Promise<Server> {
  const proc = spawn(process.execPath, [path.join(root, 'examples', 'server'), '--port', '0', ...args],
    { cwd: root, env: { ...process.env, CONVNETS_NUM_THREADS: '2' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve({ url: m[1], proc, out: () => out, exit });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    exit.then((code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
}

const tensorBody = (size: number, value = 0.25) => Buffer.from(new Float32Array(3 * size * size).fill(value).buffer);
function ppm(size: number): Buffer {
  const header = Buffer.from(`P6\n# test\n${size} ${size}\n255\n`);
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  return Buffer.concat([header, pixels]);
}
const post = (url: string, body: Buffer, type = 'application/octet-stream') =>
  fetch(`${url}/v1/classify`, { method: 'POST', body, headers: { 'content-type': type } });

describe('examples/server', () => {
  let s: Server;
  beforeAll(async () => { s = await start(['--size', '32', '--max-batch', '8', '--max-delay-ms', '20']); });
  afterAll(() => { if (s.proc.exitCode === null) s.proc.kill('SIGKILL'); });

  test('a raw [3, S, S] float32 body → top-5 classes, most probable first', async () => {
    const r = await post(s.url, tensorBody(32));
    expect(r.status).toBe(200);
    const j = await r.json() as { top5: { index: number; label: string; probability: number }[]; ms: number };
    expect(j.top5).toHaveLength(5);
    const p = j.top5.map((t) => t.probability);
    expect(p).toEqual([...p].sort((a, b) => b - a));
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    expect(j.top5[0].label).toBe(`class ${j.top5[0].index}`);
  });

  test('a PPM image of the model\'s size works; other bodies get the status that says why', async () => {
    expect((await post(s.url, ppm(32), 'image/x-portable-pixmap')).status).toBe(200);
    // A JPEG goes through sharp and the model's preset (resize the shorter side, center crop) to 32×32.
    const jpeg = await post(s.url, fs.readFileSync(path.join(root, 'assets', 'chelsea.jpg')), 'image/jpeg');
    expect(jpeg.status).toBe(200);
    expect(((await jpeg.json()) as { top5: unknown[] }).top5).toHaveLength(5);
    expect((await post(s.url, Buffer.from('not a jpeg'), 'image/jpeg')).status).toBe(400);
    const wrongSize = await post(s.url, tensorBody(31));
    expect(wrongSize.status).toBe(400);
    expect(((await wrongSize.json()) as { error: string }).error).toBe('expected 12288 bytes (a [3, 32, 32] float32 tensor), got 11532');
    const badPpm = await post(s.url, ppm(16), 'image/x-portable-pixmap');
    expect(badPpm.status).toBe(400);
    expect(((await badPpm.json()) as { error: string }).error).toMatch('expected a 32×32 image, got 16×16');
    expect((await post(s.url, Buffer.from('hello'), 'text/plain')).status).toBe(415);
  });

  test('concurrent requests are batched; /healthz and /metrics report it', async () => {
    const rs = await Promise.all(Array.from({ length: 16 }, () => post(s.url, tensorBody(32, 0.5))));
    expect(rs.map((r) => r.status)).toEqual(Array(16).fill(200));
    const health = await (await fetch(`${s.url}/healthz`)).json() as { status: string; batches: number };
    expect(health.status).toBe('ok');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const num = (re: RegExp) => Number(re.exec(metrics)?.[1]);
    const batches = num(/^convnets_batch_size_count\{device="cpu"\} (\d+)/m);
    const samples = num(/^convnets_batch_size_sum\{device="cpu"\} (\d+)/m);
    expect(samples).toBeGreaterThanOrEqual(18); // this test's 16 and the earlier successes
    expect(batches).toBeLessThan(samples);      // some requests shared a batch
    expect(metrics).toMatch(/^convnets_http_requests_total\{route="\/v1\/classify",status="200"\} \d+/m);
    expect(metrics).toMatch(/^convnets_http_request_duration_seconds_bucket/m);
    expect(metrics).toMatch(/^convnets_queue_depth 0/m);
    expect(metrics).toMatch(/^convnets_memory_bytes\{device="cpu"\} \d+/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes/m);
  });

  test('SIGTERM: requests in flight finish, then the process exits 0', async () => {
    const inFlight = Array.from({ length: 6 }, () => post(s.url, tensorBody(32)));
    await new Promise((r) => setTimeout(r, 5)); // inside the 20 ms batching window
    s.proc.kill('SIGTERM');
    const statuses = await Promise.all(inFlight.map((p) => p.then((r) => r.status, () => 'refused')));
    expect(statuses).toEqual(Array(6).fill(200));
    expect(await s.exit).toBe(0);
    expect(s.out()).toMatch(/SIGTERM: draining\ndrained in \d+ ms; bye/);
  });
});

test('examples/server: a full queue answers 503 at once, a late result 504, an oversized body 413', async () => {
  const s = await start(['--size', '32', '--max-batch', '32', '--max-delay-ms', '2000', '--max-queue', '2', '--timeout-ms', '300',
    '--body-limit', '20000']);
  try {
    expect((await post(s.url, Buffer.alloc(30000))).status).toBe(413);
    const rs = await Promise.all(Array.from({ length: 5 }, () => post(s.url, tensorBody(32))));
    const bodies = await Promise.all(rs.map((r) => r.json())) as { code: string }[];
    const byStatus = rs.map((r, i) => `${r.status} ${bodies[i].code}`).sort();
    // Two wait in the queue (the batch would go after 2 s) and time out; three find it full.
    expect(byStatus).toEqual(['503 QUEUE_FULL', '503 QUEUE_FULL', '503 QUEUE_FULL', '504 ABORT_ERR', '504 ABORT_ERR']);
    expect(rs.find((r) => r.status === 503)!.headers.get('retry-after')).toBe('1');
  } finally {
    s.proc.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  }
});
