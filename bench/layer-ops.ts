// Layer ops on typical network shapes: median time and effective bandwidth (bytes read + written per
// second; these ops are memory-bound, so ~the machine's copy bandwidth is the yardstick).
// Run: npx tsx bench/layer-ops.ts   (CONVNETS_NUM_THREADS to pin the threads)
import { F, Tensor, getNumThreads } from '../lib';

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function bench(name: string, bytes: number, fn: () => Tensor): void {
  for (let i = 0; i < 3; i++) fn().dispose(); // warm the allocator cache and the pool
  const times: number[] = [];
  const deadline = performance.now() + 400;
  while (times.length < 7 || (performance.now() < deadline && times.length < 200)) {
    const t0 = performance.now();
    const y = fn();
    times.push(performance.now() - t0);
    y.dispose();
  }
  const ms = median(times);
  console.log(`${name.padEnd(52)} ${ms.toFixed(3).padStart(8)} ms  ${(bytes / ms / 1e6).toFixed(1).padStart(6)} GB/s`);
}

const f32 = (shape: number[]) => shape.reduce((a, b) => a * b, 1) * 4;

console.log(`threads: ${getNumThreads()}`);
const r1 = Tensor.rand([1, 64, 112, 112], { seed: 1, low: -1, high: 1 });
bench('maxPool2d [1,64,112,112] k3 s2 p1 (ResNet)', f32([1, 64, 112, 112]) + f32([1, 64, 56, 56]),
  () => F.maxPool2d(r1, { kernelSize: 3, stride: 2, padding: 1 }));
const g1 = Tensor.rand([1, 192, 56, 56], { seed: 2, low: -1, high: 1 });
bench('maxPool2d [1,192,56,56] k3 s2 ceil (GoogLeNet)', f32([1, 192, 56, 56]) + f32([1, 192, 28, 28]),
  () => F.maxPool2d(g1, { kernelSize: 3, stride: 2, ceilMode: true }));
const d1 = Tensor.rand([1, 256, 56, 56], { seed: 3, low: -1, high: 1 });
bench('avgPool2d [1,256,56,56] k2 s2 (DenseNet transition)', f32([1, 256, 56, 56]) + f32([1, 256, 28, 28]),
  () => F.avgPool2d(d1, { kernelSize: 2, stride: 2 }));
const a1 = Tensor.rand([1, 2048, 7, 7], { seed: 4, low: -1, high: 1 });
bench('adaptiveAvgPool2d [1,2048,7,7] → 1', f32([1, 2048, 7, 7]), () => F.adaptiveAvgPool2d(a1, 1));
const l1 = Tensor.rand([1, 96, 55, 55], { seed: 5, low: -1, high: 1 });
bench('localResponseNorm [1,96,55,55] size 5 (AlexNet)', 2 * f32([1, 96, 55, 55]), () => F.localResponseNorm(l1, { size: 5, k: 2 }));
const c64 = Tensor.rand([64], { seed: 6, low: 0.5, high: 1 });
bench('batchNorm+relu [1,64,112,112]', 2 * f32([1, 64, 112, 112]), () => F.batchNorm(r1, c64, c64, c64, c64, { relu: true }));
const s1 = Tensor.rand([64, 1000], { seed: 7, low: -5, high: 5 });
bench('softmax [64,1000] dim -1', 2 * f32([64, 1000]), () => F.softmax(s1, -1));
bench('softmax [1,64,112,112] dim 1 (strided)', 2 * f32([1, 64, 112, 112]), () => F.softmax(r1, 1));
const parts = [64, 32, 32, 32].map((c, i) => Tensor.rand([1, c, 56, 56], { seed: 10 + i }));
bench('cat 4 × [1,c,56,56] dim 1 (Inception)', 2 * f32([1, 160, 56, 56]), () => F.cat(parts, 1));
bench('dropout training [1,64,112,112]', 2 * f32([1, 64, 112, 112]), () => F.dropout(r1, { p: 0.5, training: true, seed: 1 }));
bench('relu [1,64,112,112] (reference: the simplest op)', 2 * f32([1, 64, 112, 112]), () => F.relu(r1));
