// Counts the parallel regions a compiled network issues per inference and how much work each holds:
// per region its items n and grain (hence how many chunks it can feed), recorded by the pool's trace at
// each thread count (the kernels split their work by getNumThreads(), so the regions differ), plus the
// region's time at 1 thread (its work). Writes bench/pool/regions.json for bench/pool/model.ts.
//   npx tsx bench/pool/regions.ts [--nets googlenet,resnet50] [--threads 2,16,64] [--runs 7] [--out FILE]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, compile, setNumThreads, getNumThreads } from '../../lib';
import { native } from '../../lib/native';
import { NETS } from '../nets';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const nets = (opt('--nets') ?? 'googlenet,resnet50').split(',');
const counts = (opt('--threads') ?? '2,16,64').split(',').map(Number);
const runs = Number(opt('--runs') ?? 7);
const outFile = opt('--out') ?? path.join(__dirname, 'regions.json');

type Row = number[];  // [n, grain, threads, chunks, ns, cpuNs]
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

// serial: regions split for getNumThreads() threads, every chunk run by the caller (no oversubscription).
function trace(plan: ReturnType<typeof compile>, x: Tensor, reps: number, serial = false): Row[][] {
  for (let i = 0; i < 2; i++) plan.runSync(x).dispose();
  const perRun: Row[][] = [];
  for (let r = 0; r < reps; r++) {
    native.poolTrace(true, serial);
    plan.runSync(x).dispose();
    perRun.push(native.poolTrace(false));
  }
  return perRun;
}

const before = getNumThreads();
const out: Record<string, unknown> = {};
for (const net of nets) {
  const model = NETS[net]().eval();
  const x = Tensor.rand([1, 3, 224, 224], { seed: 7 });
  const plan = compile(model, { inputShape: [1, 3, 224, 224] });
  setNumThreads(1);
  const one = trace(plan, x, runs);
  // Work per region: its median CPU time at 1 thread over the runs (same regions in the same order).
  const work = one[0].map((r, i) => [r[0], r[1], median(one.map((run) => run[i][5])) / 1e3]);
  const total = work.reduce((a, r) => a + r[2], 0);
  const byT: Record<number, Row[]> = {};
  console.log(`${net}: ${work.length} regions per inference at 1 thread, ${(total / 1e3).toFixed(2)} ms of region work`);
  for (const T of counts) {
    setNumThreads(T);
    const reps = trace(plan, x, 3, true);
    const rows = reps[0];
    // Work done: CPU time summed over the chunks of each region (median over the runs), against 1 thread.
    const cpu = rows.map((_, i) => median(reps.map((run) => run[i]?.[5] ?? 0)) / 1e3);
    byT[T] = rows.map((r, i) => [...r.slice(0, 4), cpu[i]]);
    const cpuSum = cpu.reduce((a, b) => a + b, 0);
    const units = rows.map((r) => Math.max(1, Math.floor(r[0] / r[1])));
    const oldChunks = rows.map((r) => (r[0] <= r[1] ? 1 : Math.min(Math.ceil(r[0] / r[1]), 4 * T)));
    const fewer = (k: number) => units.filter((u) => u < k).length;
    console.log(`  ${T} threads: ${rows.length} regions; units (n/grain) < 4: ${fewer(4)}, < ${T}: ${fewer(T)}, ` +
      `< ${4 * T}: ${fewer(4 * T)}; old pool woke all ${T - 1} workers on ${oldChunks.filter((c) => c > 1).length} regions ` +
      `(median ${median(oldChunks.filter((c) => c > 1))} chunks); new pool's threads per region: median ` +
      `${median(rows.map((r) => r[2]))}, ${rows.filter((r) => r[2] < T).length} regions use fewer than ${T}; ` +
      `work done (CPU time of all chunks) ${(cpuSum / 1e3).toFixed(2)} ms = ${(cpuSum / total).toFixed(2)}× the 1-thread work`);
  }
  // Per step, by op: the work of the partitioning for each thread count, run serially (profile() times
  // steps one by one; with the serial trace on, each step's time is its work on one core).
  const prof: Record<number, { op: string; ms: number }[]> = {};
  for (const T of [1, ...counts]) {
    setNumThreads(T);
    native.poolTrace(true, true);
    prof[T] = plan.profile(x, runs);
    native.poolTrace(false);
  }
  const byOp = new Map<string, number[]>();
  prof[1].forEach((p, i) => {
    const e = byOp.get(p.op) ?? [0, ...counts.map(() => 0)];
    e[0] += p.ms;
    counts.forEach((T, j) => (e[j + 1] += prof[T][i].ms));
    byOp.set(p.op, e);
  });
  console.log(`  work by op (ms, serial): ${['1', ...counts].join(' / ')} threads' partitioning`);
  for (const [op, e] of [...byOp].sort((a, b) => b[1][b[1].length - 1] - a[1][a[1].length - 1]).slice(0, 8))
    console.log(`    ${op.padEnd(32)} ${e.map((v) => v.toFixed(2)).join(' / ')}`);
  const small = (us: number) => work.filter((r) => r[2] < us).length;
  console.log(`  1-thread work per region: < 10 µs ${small(10)}, < 50 µs ${small(50)}, < 200 µs ${small(200)}, median ${median(work.map((r) => r[2])).toFixed(1)} µs`);
  out[net] = { work, byThreads: byT, stepsByThreads: prof };
  plan.dispose?.();
}
setNumThreads(before);
fs.writeFileSync(outFile, JSON.stringify(out));
console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
