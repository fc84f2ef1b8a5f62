// The direct NCHWc convolution on real layers (batch 1): 'direct_nchwc' NCHW → NCHW through a ConvPlan (gather,
// compute, transposed store), the current 'auto' choice through a ConvPlan, and the blocked → blocked form a
// compiled plan would run (dispatch's BlockedConv through the blockedConvProbe hook, weights prepared once),
// both with the direct NCHWc kernel forced and with the kernel BlockedConv picks (Winograd on wide 3×3/1 layers).
// Alternating A/B/C in one process, medians; GFLOP/s and % of the measured FMA peak.
//   npx tsx bench/conv-nchwc.ts [--threads N] [--filter TEXT] [--rounds N]
import { Tensor, ConvPlan, setNumThreads, cpuInfo, peakFlops } from '../lib';
import { native, NativeBlockedConvProbe } from '../lib/native';
import { median } from './stats';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const threads = Number(arg('--threads', '2'));
const filter = arg('--filter', '');
const minRounds = Number(arg('--rounds', '9'));

// parts: the blocked input as a channel concatenation of these parts; affine: a preceding BN + ReLU applied in the
// gather (DenseNet's pre-activation); both only change the blocked → blocked form.
interface Layer { name: string; C: number; K: number; H: number; k: number; stride: number; pad: number; parts?: number[]; affine?: boolean }
const p1 = (net: string, C: number, K: number, H: number, stride = 1): Layer =>
  ({ name: `${net} 1×1${stride > 1 ? '/' + stride : ''} ${C}→${K} ${stride > 1 ? 'from' : '@'}${H}²`, C, K, H, k: 1, stride, pad: 0 });
const g3 = (C: number, K: number, H: number): Layer => ({ name: `googlenet 3×3 ${C}→${K} @${H}²`, C, K, H, k: 3, stride: 1, pad: 1 });
const layers: Layer[] = [
  g3(16, 32, 28), g3(32, 96, 28), g3(16, 48, 14), g3(24, 64, 14), g3(32, 64, 14), g3(32, 128, 14), g3(32, 128, 7), g3(48, 128, 7),
  g3(96, 208, 14), g3(160, 320, 14), g3(160, 320, 7), g3(192, 384, 7),
  { name: 'googlenet 1×1 192→64 @28²', C: 192, K: 64, H: 28, k: 1, stride: 1, pad: 0 },
  { name: 'googlenet 1×1 480→192 @14²', C: 480, K: 192, H: 14, k: 1, stride: 1, pad: 0 },
  { name: 'googlenet 1×1 832→384 @7²', C: 832, K: 384, H: 7, k: 1, stride: 1, pad: 0 },
  { name: 'stem 7×7/2 3→64 @224²', C: 3, K: 64, H: 224, k: 7, stride: 2, pad: 3 },
  { name: 'alexnet 11×11/4 3→64 @224²', C: 3, K: 64, H: 224, k: 11, stride: 4, pad: 2 },
  { name: 'resnet 3×3 64→64 @56²', C: 64, K: 64, H: 56, k: 3, stride: 1, pad: 1 },
  { name: 'resnet 3×3 256→256 @14²', C: 256, K: 256, H: 14, k: 3, stride: 1, pad: 1 },
  { name: 'resnet 3×3 512→512 @7²', C: 512, K: 512, H: 7, k: 3, stride: 1, pad: 1 },
  { name: 'resnet 1×1 1024→256 @14²', C: 1024, K: 256, H: 14, k: 1, stride: 1, pad: 0 },
  { name: 'resnet 3×3/2 128→128 from 56²', C: 128, K: 128, H: 56, k: 3, stride: 2, pad: 1 },
  { name: 'vgg 3×3 256→256 @56²', C: 256, K: 256, H: 56, k: 3, stride: 1, pad: 1 },
  ...[56, 28, 14, 7].map((H) => ({ name: `densenet 3×3 128→32 @${H}²`, C: 128, K: 32, H, k: 3, stride: 1, pad: 1 })),
  p1('googlenet', 256, 128, 28),
  p1('resnet50', 64, 256, 56), p1('resnet50', 256, 64, 56), p1('resnet50', 2048, 512, 7), p1('resnet50', 512, 2048, 7),
  p1('resnet50', 256, 512, 56, 2),
  { ...p1('densenet121', 512, 128, 28), name: 'densenet121 1×1 512→128 @28² (BN+ReLU, 13 parts)', affine: true,
    parts: [128, ...Array(12).fill(32)] },
];

/** NCHW → blocked [N, ceil(C/B), H, W, B] (the bench's own reorder: the other helper owns ops::blocked::toBlocked). */
function blocked(x: Float32Array, [N, C, H, W]: number[], B: number): Tensor {
  const Cb = Math.ceil(C / B);
  const out = new Float32Array(N * Cb * H * W * B);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H * W; i++) out[((n * Cb + Math.floor(c / B)) * H * W + i) * B + (c % B)] = x[(n * C + c) * H * W + i];
  return Tensor.from(out, [N, Cb, H, W, B]);
}

function time(fn: () => { dispose(): void }): number {
  const t0 = performance.now();
  fn().dispose();
  return performance.now() - t0;
}

function main() {
  setNumThreads(threads);
  const peak = peakFlops(threads);
  const B = cpuInfo().active === 'avx512' ? 16 : 8;
  console.log(`ISA ${cpuInfo().active}, ${threads} threads, block ${B}; peak (FMA loop) ${(peak / 1e9).toFixed(0)} GFLOP/s`);
  console.log('| layer | GFLOP | auto: algo | ms | GF/s | direct_nchwc NCHW ms | GF/s | blocked→blocked direct ms | GF/s | % peak | ' +
    'blocked kernel | blocked→blocked ms | GF/s | blocked vs auto | vs blocked direct |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of layers.filter((x) => x.name.includes(filter))) {
    const shape = [1, l.C, l.H, l.H];
    const x = Tensor.rand(shape, { seed: 1, low: -1, high: 1 });
    const w = Tensor.rand([l.K, l.C, l.k, l.k], { seed: 2, low: -0.1, high: 0.1 });
    const b = Tensor.rand([l.K], { seed: 3 });
    const geo = { stride: l.stride, padding: l.pad };
    const auto = new ConvPlan(w, b, shape, { ...geo });
    const nchwc = new ConvPlan(w, b, shape, { ...geo, algo: 'direct_nchwc' });
    const xb = blocked(x.data(), shape, B);
    const scale = Tensor.rand([l.C], { seed: 4, low: 0.5, high: 1.5 }), shift = Tensor.rand([l.C], { seed: 5, low: -0.5, high: 0.5 });
    const xs = x.data();
    let c0 = 0;
    const parts = (l.parts ?? []).map((ci) => blocked(xs.subarray(c0 * l.H * l.H, (c0 += ci) * l.H * l.H), [1, ci, l.H, l.H], B));
    const probe: NativeBlockedConvProbe = {
      stride: [l.stride, l.stride], padding: [l.pad, l.pad], dilation: [1, 1], groups: 1, block: B as 8 | 16,
      inputBlocked: true, outputBlocked: true,
      ...(l.parts ? { parts: parts.map((p) => p.handle), channels: l.parts } : {}),
      ...(l.affine ? { inputAffine: { scale: scale.handle, shift: shift.handle, relu: true } } : {}) };
    const xin = l.parts ? null : xb.handle;
    const runBlocked = native.blockedConvProbe(xin, w.handle, b.handle, { ...probe, kernel: 'direct_nchwc', prepared: true });
    const runChosen = native.blockedConvProbe(xin, w.handle, b.handle, { ...probe, prepared: true });
    const chosen = native.blockedConvProbe(xin, w.handle, b.handle, { ...probe, kernelName: true });
    const runs = [() => auto.run(x), () => nchwc.run(x), () => new Tensor(runBlocked()), () => new Tensor(runChosen())];
    const OH = Math.floor((l.H + 2 * l.pad - l.k) / l.stride) + 1;
    const flop = 2 * l.K * l.C * l.k * l.k * OH * OH;
    const t: number[][] = runs.map(() => []);
    for (const r of runs) { time(r); time(r); }  // warm-up: caches, workspace blocks
    const start = performance.now();
    for (let round = 0; round < minRounds || (round < 61 && performance.now() - start < 600); round++)
      runs.forEach((r, i) => t[i].push(time(r)));
    const ms = t.map(median);
    const gf = ms.map((m) => flop / m / 1e6);
    console.log(`| ${l.name} | ${(flop / 1e9).toFixed(3)} | ${auto.algo} | ${ms[0].toFixed(3)} | ${gf[0].toFixed(0)} | ${ms[1].toFixed(3)} | ` +
      `${gf[1].toFixed(0)} | ${ms[2].toFixed(3)} | ${gf[2].toFixed(0)} | ${(100 * gf[2] * 1e9 / peak).toFixed(0)}% | ${chosen} | ` +
      `${ms[3].toFixed(3)} | ${gf[3].toFixed(0)} | ${(ms[0] / ms[3]).toFixed(2)}× | ${(ms[2] / ms[3]).toFixed(2)}× |`);
    auto.dispose(); nchwc.dispose(); x.dispose(); xb.dispose(); w.dispose(); b.dispose(); scale.dispose(); shift.dispose();
    parts.forEach((p) => p.dispose());
  }
}

main();
