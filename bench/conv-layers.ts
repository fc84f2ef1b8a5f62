// Conv layer benchmark: measured peak FLOP/s, GEMM 1024³, then every distinct conv layer of alexnet,
// vgg16, googlenet, resnet50 and densenet121 (batch 1, 224²) for each supported algorithm and 'auto',
// side by side with onnxruntime-node on the same layer in the same run (alternating, medians).
//   npm run bench:conv [-- --quick] [--threads N] [--filter TEXT] [--cpu-time] [--ort-no-spin]
// --cpu-time measures process CPU time instead of wall time: on a shared, oversubscribed machine it
// is the stable measure, but only meaningful with --threads 1 (with more threads it counts spinning).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor, F, ConvPlan, convAlgorithms, setNumThreads, getNumThreads, cpuInfo, peakFlops } from '../lib';
import { distinctLayers, layerKey, layerOperands } from './layers';
import { onnxConvModel } from './onnx-conv';
import { median, relativeL2 } from './stats';
import { benchClock, ortSessionOptions, ortSpinMode, settle } from './fair-timing';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threads = Number(args[args.indexOf('--threads') + 1] ?? 0) || 2;
const filter = args.includes('--filter') ? args[args.indexOf('--filter') + 1] : '';
const cpuTime = args.includes('--cpu-time');
setNumThreads(threads);

const now = benchClock(cpuTime);

async function main() {
  const info = cpuInfo();
  const peak1 = peakFlops(1);
  const peak = peakFlops(threads);
  setNumThreads(threads);
  console.log(`${cpuTime ? 'CPU time' : 'wall time'}; ${ortSpinMode(args)}; ISA ${info.active}, ${threads} threads; peak (FMA loop) ${(peak1 / 1e9).toFixed(0)} GFLOP/s on 1 thread, ${(peak / 1e9).toFixed(0)} GFLOP/s on ${threads}`);

  // GEMM 1024³ through F.matmul (packs both operands each call, as any caller would pay).
  const n = 1024;
  const a = Tensor.rand([n, n], { seed: 1 });
  const b = Tensor.rand([n, n], { seed: 2 });
  F.matmul(a, b).dispose();
  const gt: number[] = [];
  for (let i = 0; i < 15; i++) { const t0 = now(); F.matmul(a, b).dispose(); gt.push(now() - t0); }
  const gemmMs = median(gt);
  const gemmGflops = 2 * n ** 3 / gemmMs / 1e6;
  const gemmBest = 2 * n ** 3 / Math.min(...gt) / 1e6;
  console.log(`GEMM ${n}³: median ${gemmMs.toFixed(2)} ms, ${gemmGflops.toFixed(0)} GFLOP/s = ${(100 * gemmGflops * 1e9 / peak).toFixed(1)}% of peak ` +
    `(best run ${gemmBest.toFixed(0)} GFLOP/s = ${(100 * gemmBest * 1e9 / peak).toFixed(1)}%)\n`);

  let layers = distinctLayers();
  if (quick) {
    const pick = new Set(['alexnet.conv1', 'alexnet.conv2', 'alexnet.conv3', 'vgg16.conv2', 'vgg16.conv4', 'vgg16.conv6', 'vgg16.conv8', 'vgg16.conv9',
      'googlenet.conv1', 'googlenet.conv3', 'googlenet.3a.b2', 'googlenet.4a.b1', 'resnet50.layer1.0.conv2', 'resnet50.layer1.0.conv3',
      'resnet50.layer2.0.conv2', 'resnet50.layer3.1.conv2', 'resnet50.layer4.1.conv1', 'resnet50.layer4.1.conv2', 'densenet121.block1.0.conv2',
      'densenet121.block3.10.conv1']);
    layers = layers.filter((l) => l.uses.some((u) => pick.has(u)));
  }
  if (filter) layers = layers.filter((l) => l.uses.some((u) => u.includes(filter)) || layerKey(l).includes(filter));

  const rows: Record<string, unknown>[] = [];
  const header = 'layer (first use)              shape                    GFLOP | ' +
    'direct   im2col   implicit 1x1      wino2x2  wino4x4  (ms) | auto: algo        ms      GF/s  %peak |  ort ms   auto/ort';
  console.log(header);
  for (const l of layers) {
    const { input, weight, opts, x, w, bias, OH } = layerOperands(l);
    const flops = 2 * l.K * l.C * l.R * l.R * OH * OH;
    const supported = convAlgorithms({ input, weight, stride: l.stride, padding: l.pad }).filter((s) => s.supported).map((s) => s.name);
    const plans = new Map<string, ConvPlan>();
    for (const algo of [...supported, 'auto' as const]) plans.set(algo, new ConvPlan(w, bias, input, { ...opts, algo }));
    const autoAlgo = plans.get('auto')!.algo;

    const model = onnxConvModel({ input, weight, stride: [l.stride, l.stride], pads: [l.pad, l.pad, l.pad, l.pad], dilation: [1, 1], groups: 1,
      output: [1, l.K, OH, OH] }, w.data(), bias.data(), true);
    const session = await ort.InferenceSession.create(model, ortSessionOptions(threads, args));
    const feeds = { X: new ort.Tensor('float32', x.data(), input) };

    // Check once that both agree (a benchmark of a wrong answer is worthless).
    const ours = plans.get('auto')!.run(x);
    const theirs = (await session.run(feeds)).Y.data as Float32Array;
    const agree = relativeL2(ours.data(), theirs);
    ours.dispose();

    // Warm up, then alternate ours/ort; repetitions scale with the layer's size (≥ 5).
    for (const p of plans.values()) p.run(x).dispose();
    await session.run(feeds);
    const times = new Map<string, number[]>([...plans.keys(), 'ort'].map((k) => [k, []]));
    const t0 = now();
    plans.get('auto')!.run(x).dispose();
    const est = now() - t0;
    const reps = Math.max(5, Math.min(31, Math.ceil(60 / Math.max(est, 0.01))));
    // Each algorithm's own plan first (the table's columns), then 'auto' alternating with ORT on its own:
    // cycling five plans' prepared weights (up to 4x the layer's, for Winograd 4x4) through the cache
    // between ORT runs would evict ORT's single copy and ours alike, which is not how either runs a network.
    const timeRun = async (k: string, run: () => unknown) => {
      const s = now();
      await run();
      times.get(k)!.push(now() - s);
      await settle();
    };
    for (const [k, p] of plans) {
      if (k === 'auto') continue;
      for (let r = 0; r < reps; r++) await timeRun(k, () => p.run(x).dispose());
    }
    const autoPlan = plans.get('auto')!;
    autoPlan.run(x).dispose();
    await session.run(feeds);
    const alternate = async (n: number) => {
      for (let r = 0; r < n; r++) {
        await timeRun('auto', () => autoPlan.run(x).dispose());
        await timeRun('ort', () => session.run(feeds));
      }
    };
    await alternate(reps);
    // A close call (auto/ORT within 0.8–1.15x) is measured again, twice as long, and the medians are taken
    // over all its samples: on this shared VM one alternation of a sub-millisecond layer swings by ±40 %
    // between runs, and every layer near 1x gets the same second look, whichever side it first fell on.
    const closeRatio = median(times.get('ort')!) / median(times.get('auto')!);
    const extraReps = closeRatio >= 0.8 && closeRatio < 1.15 ? 2 * reps : 0;
    await alternate(extraReps);
    await session.release();
    const med = Object.fromEntries([...times].map(([k, v]) => [k, median(v)]));
    const autoMs = med.auto;
    const gf = flops / autoMs / 1e6;
    const col = (name: string) => (med[name] !== undefined ? med[name].toFixed(3).padStart(8) : '      - ');
    console.log(`${l.uses[0].padEnd(30)} ${layerKey(l).padEnd(24)} ${(flops / 1e9).toFixed(3).padStart(6)} | ` +
      `${col('direct')} ${col('im2col')} ${col('implicit_gemm')} ${col('gemm_1x1')} ${col('winograd_2x2_3x3')} ${col('winograd_4x4_3x3')}      | ` +
      `${autoAlgo.padEnd(16)} ${autoMs.toFixed(3).padStart(7)} ${gf.toFixed(0).padStart(6)} ${(100 * gf * 1e9 / peak).toFixed(0).padStart(5)}% | ` +
      `${med.ort.toFixed(3).padStart(7)}   ${(med.ort / autoMs).toFixed(2)}x${extraReps ? ` (first ${closeRatio.toFixed(2)}x, +${extraReps} reps)` : ''}${agree > 1e-3 ? `  MISMATCH ${agree.toExponential(1)}` : ''}`);
    rows.push({ layer: layerKey(l), uses: l.uses, flops, timesMs: med, auto: autoAlgo, autoGflops: gf, autoPctPeak: 100 * gf * 1e9 / peak,
      ortMs: med.ort, speedupVsOrt: med.ort / autoMs, relDiffVsOrt: agree, reps, extraReps, firstSpeedupVsOrt: closeRatio });
    x.dispose(); w.dispose(); bias.dispose();
  }
  const s3 = rows.filter((r) => / 3x3\/1 /.test(` ${r.layer as string} `));
  const ratios = rows.map((r) => r.speedupVsOrt as number);
  const geo = (v: number[]) => Math.exp(v.reduce((a, b) => a + Math.log(b), 0) / Math.max(1, v.length));
  console.log(`\nauto vs ort: geomean ${geo(ratios).toFixed(2)}x over ${rows.length} layers (min ${Math.min(...ratios).toFixed(2)}x); ` +
    `3x3 stride-1 layers geomean ${geo(s3.map((r) => r.speedupVsOrt as number)).toFixed(2)}x (min ${Math.min(...s3.map((r) => r.speedupVsOrt as number)).toFixed(2)}x)`);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `conv-layers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ clock: cpuTime ? 'cpu' : 'wall', isa: info.active, threads: getNumThreads(), peakFlops1: peak1, peakFlops: peak,
    gemm1024: { ms: gemmMs, gflops: gemmGflops, pctPeak: 100 * gemmGflops * 1e9 / peak, bestGflops: gemmBest }, quick, layers: rows }, null, 1));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
