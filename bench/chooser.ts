// Does 'auto' pick the fastest algorithm? Every supported algorithm on every distinct conv layer of the five
// networks (batch 1, 224²), timed the way a layer runs inside a network: with its weights cold. Before each
// run a 64 MiB buffer is written, evicting L2 and most of L3, because in a network every layer's prepared
// weights were last touched a whole forward pass ago, and Winograd F(4×4)'s are 4× the layer's own.
// Algorithms run round-robin so that a noisy neighbour hurts them alike; medians.
//   npx tsx bench/chooser.ts [--threads N] [--filter TEXT] [--reps N]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, ConvPlan, convAlgorithms, setNumThreads } from '../lib';
import { distinctLayers, layerKey } from './layers';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const threads = Number(opt('--threads') ?? 2);
const filter = opt('--filter') ?? '';
const repsArg = Number(opt('--reps') ?? 0);
setNumThreads(threads);

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const evict = new Float32Array(16 << 20);
let evictValue = 0;
const coldCaches = () => evict.fill(++evictValue);

const rows: Record<string, unknown>[] = [];
let hits = 0, lossSum = 0;
for (const l of distinctLayers().filter((l) => !filter || l.uses.some((u) => u.includes(filter)) || layerKey(l).includes(filter))) {
  const input = [1, l.C, l.H, l.H], weight = [l.K, l.C, l.R, l.R];
  const x = Tensor.rand(input, { seed: 3, low: -1, high: 1 });
  const w = Tensor.rand(weight, { seed: 4, low: -0.1, high: 0.1 });
  const b = Tensor.rand([l.K], { seed: 5, low: -0.1, high: 0.1 });
  const opts = { stride: l.stride, padding: l.pad, activation: 'relu' as const };
  const names = convAlgorithms({ input, weight, stride: l.stride, padding: l.pad }).filter((a) => a.supported && (a.name !== 'direct' || l.C < 8)).map((a) => a.name);
  const plans = names.map((algo) => ({ algo, plan: new ConvPlan(w, b, input, { ...opts, algo }), times: [] as number[] }));
  const auto = new ConvPlan(w, b, input, { ...opts, algo: 'auto' }).algo;
  for (const p of plans) p.plan.run(x).dispose();
  const t0 = performance.now();
  plans[0].plan.run(x).dispose();
  const est = performance.now() - t0;
  const reps = repsArg || Math.max(7, Math.min(25, Math.ceil(40 / Math.max(est, 0.05))));
  for (let r = 0; r < reps; r++) {
    for (const p of plans) {
      coldCaches();
      const s = performance.now();
      p.plan.run(x).dispose();
      p.times.push(performance.now() - s);
    }
  }
  const med = Object.fromEntries(plans.map((p) => [p.algo, median(p.times)]));
  const best = plans.reduce((a, p) => (med[p.algo] < med[a.algo] ? p : a)).algo;
  const loss = med[auto] / med[best];
  if (auto === best) hits++;
  lossSum += Math.log(loss);
  console.log(`${l.uses[0].padEnd(30)} ${layerKey(l).padEnd(24)} ` + plans.map((p) => `${p.algo.replace('winograd_', 'w').replace('_3x3', '')} ${med[p.algo].toFixed(3)}`).join('  ') +
    ` | auto ${auto.replace('winograd_', 'w').replace('_3x3', '')}${auto === best ? '' : ` (best ${best}: auto ${loss.toFixed(2)}x slower)`}`);
  rows.push({ layer: layerKey(l), uses: l.uses, medianMs: med, auto, best, autoOverBest: loss, reps });
  for (const p of plans) p.plan.dispose();
  x.dispose(); w.dispose(); b.dispose();
}
console.log(`\nauto picked the fastest on ${hits} of ${rows.length} layers; geomean auto/best ${Math.exp(lossSum / Math.max(1, rows.length)).toFixed(3)}`);
const dir = path.join(__dirname, 'results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `chooser-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify({ threads, layers: rows }, null, 1));
console.log(`wrote ${path.relative(process.cwd(), file)}`);
