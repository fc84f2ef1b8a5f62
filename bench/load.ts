// Load test of examples/server (`npm run load`): autocannon against the server on 127.0.0.1 only, bounded in
// time, at concurrency 1, 8, 32 and 128, the batched server (serve.batcher) beside the unbatched one (one batch-1
// plan run per request), then one row above the queue limit (every error must be a 503 QUEUE_FULL).
// Each server is a child process (`node examples/server`, the built dist/), started fresh per mode.
//
//   npm run load -- [--duration 10] [--warmup 2] [--concurrency 1,8,32,128] [--model resnet18] [--size 224]
//                   [--threads 2] [--max-queue-row 16] [--write]   (--write appends the table to bench/RESULTS-serving.md)
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// autocannon has no bundled types; the part used here is typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: object) => Promise<AutocannonResult>;

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}

const root = path.join(__dirname, '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const duration = Number(arg('--duration', '10'));
const warmup = Number(arg('--warmup', '2'));
const levels = arg('--concurrency', '1,8,32,128').split(',').map(Number);
const model = arg('--model', 'resnet18');
const size = Number(arg('--size', '224'));
const threads = arg('--threads', '2');
const fullQueue = Number(arg('--max-queue-row', '16'));
const write = process.argv.includes('--write');

function startServer(args: string[]): Promise<{ url: string; proc: ChildProcess; exit: Promise<number | null> }> {
  const proc = spawn(process.execPath, [path.join(root, 'examples', 'server'), '--port', '0', '--host', '127.0.0.1',
    '--model', model, '--size', String(size), '--threads', threads, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exit = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  let out = '';
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], proc, exit });
    });
    exit.then((c) => reject(new Error(`server exited ${c} before listening:\n${out}`)));
  });
}

async function hit(url: string, connections: number, seconds: number): Promise<AutocannonResult> {
  const body = Buffer.from(new Float32Array(3 * size * size).fill(0.5).buffer);
  return autocannon({
    url: `${url}/v1/classify`, method: 'POST', body, headers: { 'content-type': 'application/octet-stream' },
    connections, duration: seconds, pipelining: 1, timeout: 30,
  });
}

interface Row { mode: string; c: number; rps: number; p50: number; p99: number; max: number; ok: number; errors: string; meanBatch: string; batchMs: string }

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0; // a histogram appears once it has a sample: absent = 0
}

type Server = Awaited<ReturnType<typeof startServer>>;

async function measure(mode: string, s: Server, c: number): Promise<Row> {
  if (warmup > 0) await hit(s.url, c, warmup);
  const b0 = await metric(s.url, 'convnets_batch_size_count'), n0 = await metric(s.url, 'convnets_batch_size_sum');
  const t0 = await metric(s.url, 'convnets_batch_duration_seconds_sum');
  const r = await hit(s.url, c, duration);
  const b1 = await metric(s.url, 'convnets_batch_size_count'), n1 = await metric(s.url, 'convnets_batch_size_sum');
  const t1 = await metric(s.url, 'convnets_batch_duration_seconds_sum');
  const codes = Object.entries(r.statusCodeStats).filter(([k]) => k !== '200').map(([k, v]) => `${v.count}× ${k}`);
  if (r.errors) codes.push(`${r.errors} socket errors`);
  if (r.timeouts) codes.push(`${r.timeouts} timeouts`);
  const row: Row = {
    mode, c, rps: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max,
    ok: r.statusCodeStats['200']?.count ?? 0, errors: codes.length ? codes.join(', ') : '0',
    meanBatch: b1 > b0 ? ((n1 - n0) / (b1 - b0)).toFixed(1) : '–',
    batchMs: b1 > b0 ? ((1000 * (t1 - t0)) / (b1 - b0)).toFixed(0) : '–',
  };
  console.log(`${mode} c=${c}: ${row.rps.toFixed(1)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, max ${row.max} ms, ` +
    `errors ${row.errors}, mean batch ${row.meanBatch} (${row.batchMs} ms per batch run)`);
  return row;
}

async function stop(mode: string, s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  const code = await s.exit;
  if (code !== 0) console.log(`(${mode} server exited ${code} on SIGTERM)`);
}

async function main() {
  const started = new Date();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`load test: ${model} ${size}², ${threads} threads, ${duration} s per row (+${warmup} s warm-up), 1-min load average ${load}`);
  // Both servers run side by side and the modes alternate per concurrency level (batched first, then unbatched
  // first): on a shared, noisy machine each ratio then compares neighbouring minutes, not distant ones.
  const batched = await startServer(['--max-batch', '32', '--max-delay-ms', '2', '--max-queue', '1024']);
  const unbatched = await startServer(['--no-batching', '--max-queue', '1024']);
  const rows: Row[] = [];
  try {
    for (const [i, c] of levels.entries()) {
      const pair: [string, Server][] = [['batched', batched], ['unbatched', unbatched]];
      for (const [mode, s] of i % 2 ? pair.reverse() : pair) rows.push(await measure(mode, s, c));
    }
  } finally {
    await stop('batched', batched);
    await stop('unbatched', unbatched);
  }
  const full = await startServer(['--max-batch', '32', '--max-delay-ms', '2', '--max-queue', String(fullQueue)]);
  try {
    rows.push(await measure(`batched, max-queue ${fullQueue}`, full, 128));
  } finally {
    await stop('full', full);
  }
  rows.sort((a, b) => (a.mode === b.mode ? a.c - b.c : a.mode.localeCompare(b.mode)));
  const table = [
    '| server | concurrency | req/s | p50 ms | p99 ms | max ms | 200s | errors | mean batch | ms per batch run |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
    ...rows.map((r) => `| ${r.mode} | ${r.c} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.max} | ${r.ok} | ${r.errors} | ${r.meanBatch} | ${r.batchMs} |`),
  ].join('\n');
  const ratio = (c: number) => {
    const b = rows.find((r) => r.mode === 'batched' && r.c === c), u = rows.find((r) => r.mode === 'unbatched' && r.c === c);
    if (!b || !u) return '–';
    return u.rps > 0 ? (b.rps / u.rps).toFixed(2) : `∞ (unbatched: no response within the ${duration} s window)`;
  };
  const summary = levels.map((c) => `c=${c}: ${ratio(c)}×`).join(', ');
  console.log(`\n${table}\n\nbatched / unbatched throughput: ${summary}`);
  if (write) {
    const head = `\n## Load test, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC (\`npm run load\`)\n\n` +
      `${model} ${size}², CPU, ${threads} threads, autocannon on 127.0.0.1 in the same machine, ${duration} s per row after a ${warmup} s ` +
      `warm-up at the same concurrency; raw float32 bodies (${(3 * size * size * 4 / 1024).toFixed(0)} KiB). 1-min load average at the start: ${load} ` +
      `(${os.cpus().length} cores). Batched: maxBatch 32, maxDelayMs 2, maxQueue 1024. Unbatched: one batch-1 plan run per request. ` +
      'Both servers up at once, the modes alternating per level. ' +
      `Batched / unbatched throughput: ${summary}.\n\n`;
    fs.appendFileSync(path.join(root, 'bench', 'RESULTS-serving.md'), `${head}${table}\n`);
    console.log('appended to bench/RESULTS-serving.md');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
