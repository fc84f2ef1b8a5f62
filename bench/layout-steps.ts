// Where a blocked plan gains or loses against the NCHW one, step by step: one network compiled with layout 'nchw'
// and 'blocked', each step's best-of-3 median time (plan.profile), summed by op and listed side by side
// (reorder steps skipped in the pairing). Batch 1, 224², 2 threads.
//   npx tsx bench/layout-steps.ts [googlenet|resnet50|densenet121|...]
import { Tensor, compile, setNumThreads } from '../lib';
import { loadModel } from './nets';
setNumThreads(2);
const net = process.argv[2] ?? 'googlenet';
const m = loadModel(net);
const x = Tensor.rand([1, 3, 224, 224], { seed: 7, low: -1, high: 1 });
const a = compile(m, { inputShape: [1, 3, 224, 224], layout: 'nchw', warmup: 3 });
const b = compile(m, { inputShape: [1, 3, 224, 224], layout: 'blocked', warmup: 3 });
let pa = a.profile(x, 9), pb = b.profile(x, 9);
for (let r = 0; r < 2; r++) { const qa = a.profile(x, 9), qb = b.profile(x, 9); pa = pa.map((p, i) => ({ op: p.op, ms: Math.min(p.ms, qa[i].ms) })); pb = pb.map((p, i) => ({ op: p.op, ms: Math.min(p.ms, qb[i].ms) })); }
const sa = pa.reduce((s, p) => s + p.ms, 0), sb = pb.reduce((s, p) => s + p.ms, 0);
console.log(`sum nchw ${sa.toFixed(2)} blocked ${sb.toFixed(2)}`);
const bySum = (ps: { op: string; ms: number }[]) => { const m = new Map<string, number>(); ps.forEach((p) => { const k = p.op.includes('conv') ? 'conv' : p.op; m.set(k, (m.get(k) ?? 0) + p.ms); }); return m; };
console.log(bySum(pa), bySum(pb));
let j = 0;
for (let i = 0; i < pa.length; i++) {
  while (pb[j] && pb[j].op === 'reorder' && pa[i].op !== 'reorder') j++;
  if (pb[j]) console.log(i, pa[i].op.padEnd(34), pa[i].ms.toFixed(3), pb[j].ms.toFixed(3), (pb[j].ms / pa[i].ms).toFixed(2));
  j++;
}
