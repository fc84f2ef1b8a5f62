// convnets' CUDA kernels on the cases of bench/gpu-cases.json (PyTorch runs the same file:
// scripts/gpu_torch_bench.py; scripts/gpu-check.sh runs both and prints them side by side).
// Ops queue asynchronously on the device's stream, so each sample times a batch of calls followed by one
// synchronize, and reports the median per call (host overhead of each call included, as in PyTorch).
// Run on a machine with a GPU: node --import tsx bench/gpu-ops.ts [--json out.json] [--device cuda:0]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { F, Tensor, cuda, emptyCache } from '../lib';
import type { Device } from '../lib';

interface BenchCase {
  name: string;
  op: string;
  inputs: number[][];
  args?: Record<string, number>;
  flops?: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function run(c: BenchCase, x: Tensor[]): Tensor {
  const a = c.args ?? {};
  switch (c.op) {
    case 'matmul': return F.matmul(x[0], x[1]);
    case 'linear': return F.linear(x[0], x[1], x[2]);
    case 'conv2d': return F.conv2d(x[0], x[1], x[2], { stride: a.stride ?? 1, padding: a.padding ?? 0, groups: a.groups ?? 1, algo: 'direct' });
    case 'maxPool2d': return F.maxPool2d(x[0], { kernelSize: a.kernelSize, stride: a.stride, padding: a.padding ?? 0 });
    case 'avgPool2d': return F.avgPool2d(x[0], { kernelSize: a.kernelSize, stride: a.stride, padding: a.padding ?? 0 });
    case 'adaptiveAvgPool2d': return F.adaptiveAvgPool2d(x[0], a.outputSize);
    case 'localResponseNorm': return F.localResponseNorm(x[0], { size: a.size, alpha: a.alpha, beta: a.beta, k: a.k });
    case 'batchNormRelu': return F.batchNorm(x[0], x[1], x[2], x[3], x[4], { relu: true });
    case 'relu': return F.relu(x[0]);
    case 'addRelu': return F.add(x[0], x[1], { relu: true });
    case 'softmax': return F.softmax(x[0], a.dim);
    case 'cat': return F.cat(x, a.dim);
    default: throw new Error(`gpu-ops: unknown op ${c.op}`);
  }
}

function main(): void {
  if (!cuda.isAvailable()) {
    console.error(`gpu-ops: CUDA is not available: ${cuda.unavailableReason()}`);
    process.exit(2);
  }
  const device = (arg('--device') ?? 'cuda:0') as Device;
  const file = path.join(__dirname, 'gpu-cases.json');
  const cases = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: BenchCase[] }).cases;
  const info = cuda.deviceInfo(Number(device.split(':')[1] ?? 0));
  console.log(`convnets on ${info.name} (sm_${info.computeCapability.replace('.', '')})`);
  const results: { name: string; ms: number; gflops?: number }[] = [];
  for (const c of cases) {
    // Positive inputs where an op needs them (variances); uniform [-1, 1) otherwise.
    const x = c.inputs.map((s, i) => Tensor.rand(s, { seed: 1 + i, low: c.op === 'batchNormRelu' && i === 2 ? 0.5 : -1, high: 1, device }));
    for (let i = 0; i < 3; i++) run(c, x).dispose(); // warm-up: pool, first-launch costs
    cuda.synchronize(device);
    // Calls per sample: enough for ~20 ms, estimated from one synchronised call.
    let t0 = performance.now();
    run(c, x).dispose();
    cuda.synchronize(device);
    const once = Math.max(performance.now() - t0, 1e-3);
    const reps = Math.max(1, Math.min(200, Math.round(20 / once)));
    const samples: number[] = [];
    for (let s = 0; s < 7; s++) {
      t0 = performance.now();
      for (let r = 0; r < reps; r++) run(c, x).dispose();
      cuda.synchronize(device);
      samples.push((performance.now() - t0) / reps);
    }
    const ms = median(samples);
    const gflops = c.flops ? c.flops / ms / 1e6 : undefined;
    results.push({ name: c.name, ms, gflops });
    console.log(`${c.name.padEnd(46)} ${ms.toFixed(4).padStart(10)} ms${gflops ? `  ${gflops.toFixed(0).padStart(7)} GFLOP/s` : ''}`);
    for (const t of x) t.dispose();
  }
  emptyCache();
  const out = arg('--json');
  if (out) fs.writeFileSync(out, JSON.stringify({ library: 'convnets', device: info.name, results }, null, 1));
}

main();
