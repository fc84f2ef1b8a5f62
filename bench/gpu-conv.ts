// CUDA convolution benchmark (run by scripts/gpu-check.sh on a GPU machine): every distinct conv layer
// of the five networks (bench/layers.ts) at batch 1 and 32, 224², for 'auto' and each supported CUDA
// algorithm (prepared plans, steady state), then the five networks whole (when lib/models exists).
// Writes the cases for scripts/gpu_torch_conv.py (PyTorch + cuDNN on the same shapes) and our results.
//   tsx bench/gpu-conv.ts --out DIR [--budget-s 180] [--quick]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, ConvPlan, compile, convAlgorithms, chooseConvAlgorithm } from '../lib';
import { cuda } from '../lib/runtime';
import { distinctLayers } from './layers';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const outDir = opt('--out', 'gpu-check-out');
const budgetMs = Number(opt('--budget-s', '180')) * 1000;
const quick = args.includes('--quick');
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const t0 = performance.now();
const elapsed = () => performance.now() - t0;

/** Median ms per call of `fn` on the GPU: warm-up, then 5 samples of k calls between synchronizes (~10 ms each). */
function timeGpu(fn: () => Tensor): number {
  fn().dispose();
  cuda.synchronize();
  let s = performance.now();
  fn().dispose();
  cuda.synchronize();
  const once = Math.max(performance.now() - s, 1e-3);
  const k = Math.max(1, Math.min(100, Math.round(10 / once)));
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    s = performance.now();
    for (let j = 0; j < k; j++) fn().dispose();
    cuda.synchronize();
    samples.push((performance.now() - s) / k);
  }
  return median(samples);
}

interface Result {
  name: string; net: string; uses?: string[]; batch: number; algo: string; chosen?: string; ms: number | null; error?: string;
}

function main() {
  if (!cuda.isAvailable()) {
    console.error(`gpu-conv: CUDA is not available: ${cuda.unavailableReason()}`);
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const info = cuda.deviceInfo(0);
  console.log(`convnets on ${info.name} (sm ${info.computeCapability})`);
  const layers = quick ? distinctLayers().slice(0, 8) : distinctLayers();
  const cases = [];
  const results: Result[] = [];
  for (const batch of [1, 32]) {
    for (const l of layers) {
      const name = `${l.uses[0]} ${l.C}x${l.H}→${l.K} ${l.R}x${l.R}/${l.stride} N${batch}`;
      const desc = { input: [batch, l.C, l.H, l.H], weight: [l.K, l.C, l.R, l.R], stride: l.stride, padding: l.pad };
      cases.push({ name, net: l.net, uses: l.uses, ...desc });
      const x = Tensor.rand(desc.input, { seed: 1, low: -1, high: 1 }).to('cuda');
      const w = Tensor.rand(desc.weight, { seed: 2, low: -0.1, high: 0.1 }).to('cuda');
      const b = Tensor.rand([l.K], { seed: 3, low: -0.1, high: 0.1 }).to('cuda');
      const algos = ['auto' as const, ...convAlgorithms(desc, { device: 'cuda' }).filter((a) => a.supported).map((a) => a.name)];
      for (const algo of algos) {
        // Past the budget only 'auto' is timed, so the network sums stay complete.
        if (algo !== 'auto' && elapsed() > budgetMs) continue;
        const r: Result = { name, net: l.net, uses: l.uses, batch, algo, ms: null };
        try {
          const plan = new ConvPlan(w, b, desc.input, { stride: l.stride, padding: l.pad, activation: 'relu', algo });
          if (algo === 'auto') r.chosen = plan.algo;
          r.ms = timeGpu(() => plan.run(x));
        } catch (e) {
          r.error = String((e as Error).message ?? e);
        }
        results.push(r);
        console.log(`${name.padEnd(52)} ${(r.chosen ? `auto=${r.chosen}` : algo).padEnd(22)} ${r.ms === null ? r.error : r.ms.toFixed(4) + ' ms'}`);
      }
      x.dispose(); w.dispose(); b.dispose();
    }
  }
  // Sanity: auto's choice is what chooseConvAlgorithm reports for the same shape.
  const d0 = cases[0];
  console.log(`chooser check: ${d0.name} → ${chooseConvAlgorithm(d0, 'auto', { device: 'cuda' })}`);

  // Whole networks (lib/models is another helper's work; loaded at run time so this file builds without it).
  const nets: Result[] = [];
  const compiled: Result[] = [];
  let models: Record<string, () => { eval(): unknown; to(d: string): unknown; forward(x: Tensor): Tensor }> | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    models = require(path.join(__dirname, '..', 'lib', 'models'));
  } catch (e) {
    console.log(`networks: lib/models not loadable (${(e as Error).message.split('\n')[0]}): skipped`);
  }
  if (models) {
    for (const net of ['alexnet', 'vgg16', 'googlenet', 'resnet50', 'densenet121']) {
      for (const batch of [1, 32]) {
        const r: Result = { name: `${net} N${batch}`, net, batch, algo: 'auto', ms: null };
        try {
          const m = models[net]();
          m.eval();
          m.to('cuda');
          const x = Tensor.rand([batch, 3, 224, 224], { seed: 4 }).to('cuda');
          r.ms = timeGpu(() => m.forward(x));
          // The production path: compile() folds batch norm into the convs, fuses ReLU and frees each
          // activation after its last use; runSync queues the plan's kernels like an eager call.
          const c: Result = { name: `${net} N${batch} compiled`, net, batch, algo: 'auto', ms: null };
          try {
            const plan = compile(m as never, { inputShape: [batch, 3, 224, 224], device: 'cuda' });
            c.ms = timeGpu(() => plan.runSync(x));
            plan.dispose();
          } catch (e) {
            c.error = String((e as Error).message ?? e);
          }
          compiled.push(c);
          x.dispose();
        } catch (e) {
          r.error = String((e as Error).message ?? e);
        }
        nets.push(r);
        console.log(`${r.name.padEnd(52)} ${'network'.padEnd(22)} ${r.ms === null ? r.error : r.ms.toFixed(3) + ' ms'}`);
        const c = compiled[compiled.length - 1];
        if (c && c.name.startsWith(r.name)) console.log(`${c.name.padEnd(52)} ${'compiled'.padEnd(22)} ${c.ms === null ? c.error : c.ms.toFixed(3) + ' ms'}`);
      }
    }
  }
  fs.writeFileSync(path.join(outDir, 'conv-cases.json'), JSON.stringify({ cases }, null, 1));
  fs.writeFileSync(path.join(outDir, 'bench-conv-convnets.json'),
    JSON.stringify({ device: info.name, results, networks: nets, compiled, seconds: elapsed() / 1000 }, null, 1));
  console.log(`done in ${(elapsed() / 1000).toFixed(0)} s`);
}

main();
