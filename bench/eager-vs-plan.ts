// Eager F.conv2d against a ConvPlan on every distinct conv layer of AlexNet, VGG16, GoogLeNet, ResNet-18,
// ResNet-50 and DenseNet-121 (batch 1, 224², bias + ReLU, algo 'auto'), in one process.
//   npx tsx bench/eager-vs-plan.ts [--threads N] [--rounds R] [--filter TEXT] [--json FILE]
// Columns: the plan; eager with its prepared-weight cache warm (the loop a user writes: the same weight every
// call); eager uncached (a weight whose data() view is held, so every call prepares: the chooser's cold
// case); the first eager call on a fresh weight (prepare + cache + run). The three steady kinds alternate
// call by call (plan, eager, uncached, plan, …), so a noisy phase of this shared machine hits all of them;
// ratios are medians of the per-triple ratios, times are medians.
import * as fs from 'node:fs';
import { Tensor, F, ConvPlan, setNumThreads, cpuInfo, clearConvCache } from '../lib';
import { distinctLayers, layerKey, layerOperands } from './layers';
import { median } from './stats';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const threads = Number(opt('--threads', '2'));
const rounds = Number(opt('--rounds', '7'));
const filter = opt('--filter', '');
const jsonFile = opt('--json', '');
setNumThreads(threads);

function main() {
  const info = cpuInfo();
  console.log(`ISA ${info.active}, ${threads} threads, ${rounds} rounds; medians in ms`);
  let layers = distinctLayers({ resnet18: true });
  if (filter) layers = layers.filter((l) => l.uses.some((u) => u.includes(filter)) || layerKey(l).includes(filter));
  console.log('layer (first use)               shape                     algo             |   plan   eager  e/plan | uncached  u/plan | first call');
  const rows: Record<string, unknown>[] = [];
  for (const l of layers) {
    const { input, weight, opts, x, w, bias: b } = layerOperands(l);
    const plan = new ConvPlan(w, b, input, opts);
    // The same values in a weight JavaScript holds a view of: never cached (it could be written any time).
    const wU = Tensor.rand(weight, { seed: 4, low: -0.1, high: 0.1 });
    const view = wU.data();
    const time = (f: () => Tensor) => { const t0 = performance.now(); const y = f(); const dt = performance.now() - t0; y.dispose(); return dt; };
    // Triples per round: about 30 ms of work, at least 2.
    time(() => plan.run(x));
    const per = Math.max(2, Math.min(20, Math.round(30 / Math.max(0.01, time(() => plan.run(x)) + time(() => F.conv2d(x, wU, b, opts))))));
    const t = { plan: [] as number[], eager: [] as number[], uncached: [] as number[], first: [] as number[] };
    const ratio = { eager: [] as number[], uncached: [] as number[] };
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
    }
    if (view.length !== wU.numel) throw new Error('unreachable: keeps the view alive to here');
    const m = { plan: median(t.plan), eager: median(t.eager), uncached: median(t.uncached), first: median(t.first) };
    const re = median(ratio.eager), ru = median(ratio.uncached);
    console.log(`${l.uses[0].padEnd(31)} ${layerKey(l).padEnd(25)} ${plan.algo.padEnd(16)} | ${m.plan.toFixed(3).padStart(6)} ${m.eager.toFixed(3).padStart(7)} ` +
      `${re.toFixed(2).padStart(6)}x | ${m.uncached.toFixed(3).padStart(8)} ${ru.toFixed(2).padStart(6)}x | ${m.first.toFixed(3).padStart(8)}`);
    rows.push({ layer: layerKey(l), uses: l.uses, algo: plan.algo, ...m, eagerOverPlan: re, uncachedOverPlan: ru, samples: per * rounds });
    plan.dispose(); x.dispose(); w.dispose(); b.dispose(); wU.dispose();
    clearConvCache();
  }
  const ratios = rows.map((r) => r.eagerOverPlan as number);
  const unc = rows.map((r) => r.uncachedOverPlan as number);
  const geo = (v: number[]) => Math.exp(v.reduce((a, c) => a + Math.log(c), 0) / Math.max(1, v.length));
  console.log(`\n${rows.length} layers. eager/plan: max ${Math.max(...ratios).toFixed(2)}x, geomean ${geo(ratios).toFixed(2)}x, ` +
    `${ratios.filter((r) => r > 1.5).length} over 1.5x. uncached/plan: max ${Math.max(...unc).toFixed(2)}x, geomean ${geo(unc).toFixed(2)}x.`);
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ date: new Date().toISOString(), isa: info.active, threads, rounds, rows }, null, 1));
}

main();
