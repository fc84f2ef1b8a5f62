// Eager F.conv2d against a ConvPlan on every distinct conv layer of AlexNet, VGG16, GoogLeNet, ResNet-18,
// ResNet-50 and DenseNet-121 (batch 1, 224², bias + ReLU, algo 'auto'), in one process.
//   npx tsx bench/eager-vs-plan.ts [--threads N] [--rounds R] [--filter TEXT] [--json FILE] [--cpu-time]
// --cpu-time: process CPU time instead of wall time, immune to preemption on an oversubscribed machine but
// only meaningful with --threads 1 (with more threads it counts the workers' spinning).
// Columns: the plan; eager with its prepared-weight cache warm (the loop a user writes: the same weight every
// call); eager on a weight whose data() view is held (never cached: every call prepares for auto's choice);
// eager with the cache off (setConvCacheLimit(0): every call prepares, and auto counts it in its choice);
// the first eager call on a fresh weight (prepare + cache + run). Plan, warm and exposed alternate call by
// call (plan, eager, exposed, plan, …), then plan and cache-off likewise, so a noisy phase of this shared
// machine hits all of them; ratios are medians of the per-call ratios to the plan call before, times medians.
import * as fs from 'node:fs';
import { Tensor, F, ConvPlan, setNumThreads, cpuInfo, convCacheStats, setConvCacheLimit, clearConvCache } from '../lib';
import type { Conv2dOptions, ConvAlgorithmName } from '../lib';
import { distinctLayers, layerKey, layerOperands } from './layers';
import { median } from './stats';
import { benchClock } from './fair-timing';

const quantile = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.floor(q * (v.length - 1))];

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const threads = Number(opt('--threads', '2'));
const rounds = Number(opt('--rounds', '7'));
const filter = opt('--filter', '');
const jsonFile = opt('--json', '');
const cpuTime = args.includes('--cpu-time');
setNumThreads(threads);

const now = benchClock(cpuTime);

// Which algorithm eager 'auto' ran with the cache off: the one whose forced output has the same bits.
function offChoice(x: Tensor, w: Tensor, b: Tensor, opts: Conv2dOptions, planAlgo: ConvAlgorithmName): string {
  const limit = convCacheStats().limitBytes;
  setConvCacheLimit(0);
  const bitsOf = (o: Conv2dOptions) => { const y = F.conv2d(x, w, b, o); const v = Buffer.from(Float32Array.from(y.data()).buffer); y.dispose(); return v; };
  const off = bitsOf(opts);
  const candidates: ConvAlgorithmName[] = [planAlgo, 'implicit_gemm', 'winograd_2x2_3x3', 'winograd_4x4_3x3', 'im2col'];
  const hit = candidates.find((a) => { try { return bitsOf({ ...opts, algo: a }).equals(off); } catch { return false; } });
  setConvCacheLimit(limit);
  return hit ?? '?';
}

function main() {
  const info = cpuInfo();
  const limit = convCacheStats().limitBytes;
  console.log(`ISA ${info.active}, ${threads} threads, ${rounds} rounds; ${cpuTime ? 'CPU' : 'wall'} time, medians in ms`);
  let layers = distinctLayers({ resnet18: true });
  if (filter) layers = layers.filter((l) => l.uses.some((u) => u.includes(filter)) || layerKey(l).includes(filter));
  console.log('layer (first use)               shape                     algo             |   plan   eager  e/plan  p10 |  exposed  x/plan |  cache off  o/plan (its algo)  | first call');
  const rows: Record<string, unknown>[] = [];
  for (const l of layers) {
    const { input, weight, opts, x, w, bias: b } = layerOperands(l);
    const plan = new ConvPlan(w, b, input, opts);
    // The same values in a weight JavaScript holds a view of: never cached (it could be written any time).
    const wU = Tensor.rand(weight, { seed: 4, low: -0.1, high: 0.1 });
    const view = wU.data();
    const time = (f: () => Tensor) => { const t0 = now(); const y = f(); const dt = now() - t0; y.dispose(); return dt; };
    // Triples per round: about 30 ms of work, at least 2.
    time(() => plan.run(x));
    const per = Math.max(2, Math.min(20, Math.round(30 / Math.max(0.01, time(() => plan.run(x)) + time(() => F.conv2d(x, wU, b, opts))))));
    const t = { plan: [] as number[], eager: [] as number[], uncached: [] as number[], off: [] as number[], first: [] as number[] };
    const ratio = { eager: [] as number[], uncached: [] as number[], off: [] as number[] };
    F.conv2d(x, w, b, opts).dispose();  // warm the cache (and the workspaces)
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < per; i++) {
        const p = time(() => plan.run(x)), e = time(() => F.conv2d(x, w, b, opts)), u = time(() => F.conv2d(x, wU, b, opts));
        t.plan.push(p); t.eager.push(e); t.uncached.push(u);
        ratio.eager.push(e / p); ratio.uncached.push(u / p);
      }
      // A fresh weight (same values): the call prepares, caches and runs; its entry dies with it.
      const w2 = Tensor.rand(weight, { seed: 4, low: -0.1, high: 0.1 });
      t.first.push(time(() => F.conv2d(x, w2, b, opts)));
      w2.dispose();
      setConvCacheLimit(0);
      for (let i = 0; i < per; i++) {
        const p = time(() => plan.run(x)), o = time(() => F.conv2d(x, w, b, opts));
        t.plan.push(p); t.off.push(o); ratio.off.push(o / p);
      }
      setConvCacheLimit(limit);
      F.conv2d(x, w, b, opts).dispose();  // warm again
    }
    if (view.length !== wU.numel) throw new Error('unreachable: keeps the view alive to here');
    const m = { plan: median(t.plan), eager: median(t.eager), uncached: median(t.uncached), off: median(t.off), first: median(t.first) };
    const re = median(ratio.eager), ru = median(ratio.uncached), ro = median(ratio.off);
    // Preemption on this shared machine only adds time: the 10th percentiles are the least disturbed.
    const p10 = { plan: quantile(t.plan, 0.1), eager: quantile(t.eager, 0.1) };
    const offAlgo = offChoice(x, w, b, opts, plan.algo);
    console.log(`${l.uses[0].padEnd(31)} ${layerKey(l).padEnd(25)} ${plan.algo.padEnd(16)} | ${m.plan.toFixed(3).padStart(6)} ${m.eager.toFixed(3).padStart(7)} ` +
      `${re.toFixed(2).padStart(6)}x ${(p10.eager / p10.plan).toFixed(2).padStart(5)}x | ${m.uncached.toFixed(3).padStart(8)} ${ru.toFixed(2).padStart(6)}x | ${m.off.toFixed(3).padStart(8)} ${ro.toFixed(2).padStart(6)}x ${offAlgo.padEnd(16)} | ${m.first.toFixed(3).padStart(8)}`);
    rows.push({ layer: layerKey(l), uses: l.uses, algo: plan.algo, ...m, eagerOverPlan: re, uncachedOverPlan: ru, offOverPlan: ro, offAlgo,
      p10Plan: p10.plan, p10Eager: p10.eager, p10EagerOverPlan: p10.eager / p10.plan, samples: per * rounds });
    plan.dispose(); x.dispose(); w.dispose(); b.dispose(); wU.dispose();
    clearConvCache();
  }
  const ratios = rows.map((r) => r.eagerOverPlan as number);
  const p10s = rows.map((r) => r.p10EagerOverPlan as number);
  const unc = rows.map((r) => r.uncachedOverPlan as number);
  const off = rows.map((r) => r.offOverPlan as number);
  const geo = (v: number[]) => Math.exp(v.reduce((a, c) => a + Math.log(c), 0) / Math.max(1, v.length));
  console.log(`\n${rows.length} layers. eager/plan: max ${Math.max(...ratios).toFixed(2)}x, geomean ${geo(ratios).toFixed(2)}x, ` +
    `${ratios.filter((r) => r > 1.5).length} over 1.5x; ` +
    `p10 eager/p10 plan: max ${Math.max(...p10s).toFixed(2)}x, geomean ${geo(p10s).toFixed(2)}x, ${p10s.filter((r) => r > 1.5).length} over 1.5x. exposed/plan: max ${Math.max(...unc).toFixed(2)}x, geomean ${geo(unc).toFixed(2)}x. ` +
    `cache off/plan: max ${Math.max(...off).toFixed(2)}x, geomean ${geo(off).toFixed(2)}x.`);
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ date: new Date().toISOString(), isa: info.active, threads, rounds, cpuTime, rows }, null, 1));
}

main();
