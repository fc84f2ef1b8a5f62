// Where two threads lose against one: a compiled network's per-step medians (CompiledPlan.profile) at 1
// and at 2 threads, summed by op, and the steps with the most time lost against a perfect 2× (t2 − t1/2).
//   npx tsx bench/scaling.ts [--net resnet50] [--runs 15] [--top 15]
import { Tensor, compile, setNumThreads } from '../lib';
import { NETS } from './nets';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const net = (opt('--net') ?? 'resnet50') as keyof typeof NETS;
const runs = Number(opt('--runs') ?? 15);
const top = Number(opt('--top') ?? 15);

if (!NETS[net]) throw new Error(`--net: expected one of ${Object.keys(NETS).join(', ')}, got ${net}`);
const model = NETS[net]().eval();
const shape = [1, 3, 224, 224];
const x = Tensor.rand(shape, { seed: 7 });
const plan = compile(model, { inputShape: shape });
const prof: Record<number, { op: string; ms: number }[]> = {};
for (const t of [1, 2]) {
  setNumThreads(t);
  for (let i = 0; i < 3; i++) plan.runSync(x).dispose();
  prof[t] = plan.profile(x, runs);
}
const rows = prof[1].map((p, i) => ({ i, op: p.op, t1: p.ms, t2: prof[2][i].ms, lost: prof[2][i].ms - p.ms / 2 }));
const sum = (k: 't1' | 't2') => rows.reduce((a, r) => a + r[k], 0);
console.log(`${net}: sum of step medians 1 thread ${sum('t1').toFixed(2)} ms, 2 threads ${sum('t2').toFixed(2)} ms ` +
  `(ideal ${(sum('t1') / 2).toFixed(2)}, lost ${(sum('t2') - sum('t1') / 2).toFixed(2)})`);
const byOp = new Map<string, { n: number; t1: number; t2: number; lost: number }>();
for (const r of rows) {
  const e = byOp.get(r.op) ?? { n: 0, t1: 0, t2: 0, lost: 0 };
  e.n++; e.t1 += r.t1; e.t2 += r.t2; e.lost += r.lost;
  byOp.set(r.op, e);
}
for (const [op, e] of [...byOp].sort((a, b) => b[1].lost - a[1].lost))
  console.log(`  ${op.padEnd(34)} ${String(e.n).padStart(3)} steps  1T ${e.t1.toFixed(2)}  2T ${e.t2.toFixed(2)}  speedup ${(e.t1 / e.t2).toFixed(2)}  lost ${e.lost.toFixed(2)} ms`);
console.log(`steps losing most against 2x:`);
for (const r of [...rows].sort((a, b) => b.lost - a.lost).slice(0, top))
  console.log(`  #${String(r.i).padStart(3)} ${r.op.padEnd(30)} 1T ${r.t1.toFixed(3)}  2T ${r.t2.toFixed(3)}  speedup ${(r.t1 / r.t2).toFixed(2)}  lost ${r.lost.toFixed(3)} ms`);
