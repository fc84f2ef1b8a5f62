// A model of the thread pool: what a compiled network at batch 1 costs on C cores with one thread per
// core, region by region, for the pool and kernels before and after issue 16 part 3. Inputs, all
// measured here (bench/pool/*.ts, *.sh):
//   regions-before.json / regions-after.json (bench/pool/regions.ts): every parallel region of one
//     inference — items n, grain, and the CPU time of its chunks when split for T threads, run serially
//     (so the work includes whatever extra work the T-thread partitioning causes: repacking, slivers);
//   pool-bench.jsonl (bench/pool/pool-bench.sh): the cost of an empty region on 2 real cores;
//   scaling.jsonl (bench/pool/scaling.sh): measured network times on this machine, to fit the one free
//     parameter (the cost of a region that needs every core: a stall when anything else wants one).
// Per region, with p participants (old pool: every thread; new pool: splitRegion) and c chunks:
//   compute = W_T / c · ⌈c / p⌉                       (the slowest participant's chunks)
//   sync    = s0 + L · (p − 1) + L · c                 (post to and join p − 1 workers, c claims on one line)
//   stall   = σ when p = C                             (no spare core: another runnable thread takes one)
// and the old pool also pays L per idle worker it woke (T − 1 of them, every region).
//   npx tsx bench/pool/model.ts [--cores 16] [--L 0.1]
import * as fs from 'node:fs';
import * as path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const dir = __dirname;
const L = Number(opt('--L') ?? 0.1);  // µs per cross-core cache-line transfer (a Xeon's mesh: ~0.07–0.12 µs)

type Row = number[];  // [n, grain, p(new split), chunks(new split), cpuUs at T's partitioning]
interface NetTrace { work: number[][]; byThreads: Record<string, Row[]> }
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, NetTrace>;
const before = load('regions-before.json'), after = load('regions-after.json');
const lines = (f: string) => fs.existsSync(path.join(dir, f))
  ? fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) : [];

// s0: an empty region's fixed cost on 2 real cores (hand-off, claims, join), median over the runs.
const bench = lines('pool-bench.jsonl');
const medianOf = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const s0 = bench.length ? medianOf(bench.filter((b) => b.pool === 'new' && b.threads === 2).map((b) => b.emptyUs)) : 0.25;

function splitRegion(n: number, grain: number, threads: number): [number, number] {
  const units = Math.max(1, Math.floor(n / Math.max(1, grain)));
  const p0 = Math.min(threads, units), c0 = Math.min(units, 4 * p0);
  const chunk = Math.ceil(n / c0), chunks = Math.ceil(n / chunk);
  const p = Math.min(p0, chunks), rounds = Math.ceil(chunks / p);
  return [Math.ceil(chunks / rounds), chunks];
}

/** Predicted ms of one inference on `cores` cores, and how many regions need every core. */
function predict(trace: NetTrace, T: number, cores: number, oldPool: boolean, sigma: number) {
  const key = String([64, 16, 4, 2].find((t) => t <= T && trace.byThreads[String(t)]) ?? '');
  const rows: Row[] = T === 1 ? trace.work.map((w) => [w[0], w[1], 1, 1, w[2]]) : trace.byThreads[key];
  let us = 0, full = 0;
  for (const [n, grain, , , W] of rows) {
    let p: number, c: number;
    if (T === 1 || n <= grain) [p, c] = [1, 1];
    else if (oldPool) [p, c] = [T, Math.min(Math.ceil(n / grain), 4 * T)];
    else [p, c] = splitRegion(n, grain, T);
    const busy = Math.min(p, c);  // old pool: threads beyond c are woken but find nothing
    us += (W / c) * Math.ceil(c / busy);
    if (p > 1) us += s0 + L * (p - 1) + L * c;
    if (p >= cores && cores > 1) { us += sigma; full++; }
  }
  return { ms: us / 1e3, full };
}

// The 16-core Xeon of issue 16 (ours compiled, batch 1, before this change): ms at 1, 2, 4, 8, 16 threads.
const XEON: Record<string, Record<number, number>> = {
  googlenet: { 1: 34.5, 2: 17.5, 4: 12.1, 8: 13.1, 16: 33.1 },
  resnet50: { 1: 90.8, 2: 48.6, 4: 27.4, 8: 19.2, 16: 19.2 },
};
// Work there: the traced work here scaled by the 1-thread ratio (that CPU runs these kernels slower).
const scaled = (tr: NetTrace, f: number): NetTrace => ({
  work: tr.work.map((w) => [w[0], w[1], w[2] * f]),
  byThreads: Object.fromEntries(Object.entries(tr.byThreads).map(([k, rows]) => [k, rows.map((r) => [...r.slice(0, 4), r[4] * f])])),
});
const factor = (net: string, tr: NetTrace) => XEON[net][1] / predict(tr, 1, 1, true, 0).ms;
// σ, the one free parameter: fitted on a single point, GoogLeNet at 16 threads before (33.1 ms); the
// other points of the table check it.
const gB = scaled(before.googlenet, factor('googlenet', before.googlenet));
const sigma = Number(opt('--sigma') ?? ((XEON.googlenet[16] - predict(gB, 16, 16, true, 0).ms) * 1e3) / predict(gB, 16, 16, true, 0).full);
console.log(`pool model: s0 = ${s0.toFixed(2)} µs (empty region, 2 cores here), L = ${L} µs per line transfer, ` +
  `σ = ${sigma.toFixed(0)} µs per region that needs every core (fitted on GoogLeNet, 16 threads, before)`);

const cores = Number(opt('--cores') ?? 16);
const measured = lines('scaling.jsonl');
const med = (tree: string, net: string, T: number) => {
  const v = measured.filter((m) => m.tree === tree && m.net === net && m.threads === T).map((m) => m.ms);
  return v.length ? medianOf(v) : NaN;
};
for (const net of Object.keys(XEON)) {
  const b = scaled(before[net], factor(net, before[net])), a = scaled(after[net], factor(net, after[net]));
  console.log(`\n${net}, batch 1, one thread per core on a ${cores}-core machine: ms (model; regions that need every core)`);
  console.log(`| threads | Xeon measured before | model before | model before, σ = 0 | model after | model after, σ = 0 |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const T of [1, 2, 4, 8, 16, 32, 64].filter((t) => t <= Math.max(cores, 16))) {
    const C = Math.max(cores, T);
    const pb = predict(b, T, C, true, sigma), pa = predict(a, T, C, false, sigma);
    const x = XEON[net][T];
    console.log(`| ${T} | ${x ?? '—'} | ${pb.ms.toFixed(1)} (${pb.full}) | ${predict(b, T, C, true, 0).ms.toFixed(1)} | ` +
      `${pa.ms.toFixed(1)} (${pa.full}) | ${predict(a, T, C, false, 0).ms.toFixed(1)} |`);
  }
  if (measured.length) {
    console.log(`this machine (2 cores, loaded), medians of bench/pool/scaling.jsonl, before / after (ms):`);
    console.log('  ' + [1, 2, 3, 4, 8, 16].map((T) => `${T}T ${med('before', net, T).toFixed(1)} / ${med('after', net, T).toFixed(1)}`).join(' · '));
  }
}
