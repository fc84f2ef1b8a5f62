// Every op on every available accelerator against the CPU result on the same inputs
// (test/helpers/devices.ts). Without a GPU the cases are reported as skipped with the reason.
// Table-driven: an op that gains a device kernel adds its cases here. Shapes are awkward on purpose (odd
// sizes, batch 3, channels not multiples of 4/16, sizes that end mid-tile) and inputs random, non-zero.
import { DeviceCase, forEachAccelerator, checkOnDevice, rnd, rndPos } from '../helpers/devices';
import { ConvPlan } from '../../lib/functional/conv';
import * as F from '../../lib/functional';
import { expectNonTrivial } from '../helpers/check';

// Tolerances (relative L2 to the CPU result). Elementwise, copies, max pooling and dropout do the same
// float operations on both devices; reductions differ only in summation order; GEMM and direct
// convolution use DESIGN.md's 1e-5.
const SAME = 1e-6;
const REDUCE = 1e-5;
const GEMM = 1e-5;

const elementwise: DeviceCase[] = [
  { name: 'relu [3, 5, 7, 9]', make: () => [rnd([3, 5, 7, 9], 1)], run: (F, [x]) => F.relu(x), tol: SAME },
  { name: 'relu [4099] (float4 body + tail)', make: () => [rnd([4099], 2)], run: (F, [x]) => F.relu(x), tol: SAME },
  { name: 'add [2, 3, 17, 5]', make: () => [rnd([2, 3, 17, 5], 3), rnd([2, 3, 17, 5], 4)], run: (F, [a, b]) => F.add(a, b), tol: SAME },
  { name: 'add + relu [3, 7, 11, 13]', make: () => [rnd([3, 7, 11, 13], 5), rnd([3, 7, 11, 13], 6)], run: (F, [a, b]) => F.add(a, b, { relu: true }), tol: SAME },
  { name: 'add [1]', make: () => [rnd([1], 7), rnd([1], 8)], run: (F, [a, b]) => F.add(a, b), tol: SAME },
  { name: 'dropout eval = copy [3, 5, 7]', make: () => [rnd([3, 5, 7], 9)], run: (F, [x]) => F.dropout(x, { p: 0.5 }), tol: 0 },
  { name: 'dropout training p=0.3 seed 5 [3, 17, 33] (same mask)', make: () => [rnd([3, 17, 33], 10)], run: (F, [x]) => F.dropout(x, { p: 0.3, training: true, seed: 5 }), tol: SAME },
];

const pooling: DeviceCase[] = [
  { name: 'maxPool2d k3 s2 [3, 5, 13, 11]', make: () => [rnd([3, 5, 13, 11], 11)], run: (F, [x]) => F.maxPool2d(x, { kernelSize: 3, stride: 2 }), tol: 0 },
  { name: 'maxPool2d k3 s2 p1 ceil [3, 5, 14, 9]', make: () => [rnd([3, 5, 14, 9], 12)], run: (F, [x]) => F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), tol: 0 },
  { name: 'maxPool2d k[3,2] s[1,2] p[1,1] d[2,3] [2, 3, 11, 12]', make: () => [rnd([2, 3, 11, 12], 13)], run: (F, [x]) => F.maxPool2d(x, { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], dilation: [2, 3] }), tol: 0 },
  { name: 'avgPool2d k3 s2 p1 ceil countIncludePad [3, 4, 10, 13]', make: () => [rnd([3, 4, 10, 13], 14)], run: (F, [x]) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), tol: REDUCE },
  { name: 'avgPool2d k3 s2 p1 ceil !countIncludePad [3, 4, 10, 13]', make: () => [rnd([3, 4, 10, 13], 15)], run: (F, [x]) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), tol: REDUCE },
  { name: 'avgPool2d k[2,3] s[2,1] [2, 3, 9, 7]', make: () => [rnd([2, 3, 9, 7], 16)], run: (F, [x]) => F.avgPool2d(x, { kernelSize: [2, 3], stride: [2, 1] }), tol: REDUCE },
  { name: 'adaptiveAvgPool2d [3, 5] from [3, 6, 7, 11]', make: () => [rnd([3, 6, 7, 11], 17)], run: (F, [x]) => F.adaptiveAvgPool2d(x, [3, 5]), tol: REDUCE },
  { name: 'adaptiveAvgPool2d 1 from [2, 9, 5, 5]', make: () => [rnd([2, 9, 5, 5], 18)], run: (F, [x]) => F.adaptiveAvgPool2d(x, 1), tol: REDUCE },
  { name: 'adaptiveAvgPool2d [6, 6] from [1, 3, 4, 5] (upsampling)', make: () => [rnd([1, 3, 4, 5], 19)], run: (F, [x]) => F.adaptiveAvgPool2d(x, [6, 6]), tol: REDUCE },
];

const normalization: DeviceCase[] = [
  { name: 'localResponseNorm size 5 [3, 7, 6, 5]', make: () => [rnd([3, 7, 6, 5], 20, 3)], run: (F, [x]) => F.localResponseNorm(x, { size: 5, alpha: 1e-2, beta: 0.75, k: 2 }), tol: REDUCE },
  { name: 'localResponseNorm size 4 beta 0.6 [2, 9, 5, 3]', make: () => [rnd([2, 9, 5, 3], 21, 3)], run: (F, [x]) => F.localResponseNorm(x, { size: 4, alpha: 1e-1, beta: 0.6 }), tol: REDUCE },
  {
    name: 'batchNorm + weight, bias, relu [3, 13, 7, 5]',
    make: () => [rnd([3, 13, 7, 5], 22), rnd([13], 23), rndPos([13], 24), rnd([13], 25), rnd([13], 26)],
    run: (F, [x, m, v, w, b]) => F.batchNorm(x, m, v, w, b, { eps: 1e-3, relu: true }),
    tol: REDUCE,
  },
  {
    name: 'batchNorm + relu [2, 7, 4, 9] (planes of whole float4s)',
    make: () => [rnd([2, 7, 4, 9], 70), rnd([7], 71), rndPos([7], 72), rnd([7], 73), rnd([7], 74)],
    run: (F, [x, m, v, w, b]) => F.batchNorm(x, m, v, w, b, { eps: 1e-3, relu: true }),
    tol: REDUCE,
  },
  { name: 'batchNorm no weight/bias [5, 13]', make: () => [rnd([5, 13], 27), rnd([13], 28), rndPos([13], 29)], run: (F, [x, m, v]) => F.batchNorm(x, m, v), tol: REDUCE },
];

const softmaxAndShape: DeviceCase[] = [
  { name: 'softmax dim -1 [3, 1000]', make: () => [rnd([3, 1000], 30, 4)], run: (F, [x]) => F.softmax(x, -1), tol: REDUCE },
  { name: 'softmax dim 1 [2, 5, 3, 7] (strided)', make: () => [rnd([2, 5, 3, 7], 31, 4)], run: (F, [x]) => F.softmax(x, 1), tol: REDUCE },
  { name: 'logSoftmax dim -1 [7, 33]', make: () => [rnd([7, 33], 32, 4)], run: (F, [x]) => F.logSoftmax(x, -1), tol: REDUCE },
  { name: 'logSoftmax dim 0 [5, 3, 4]', make: () => [rnd([5, 3, 4], 33, 4)], run: (F, [x]) => F.logSoftmax(x, 0), tol: REDUCE },
  { name: 'cat dim 1 of 3 [3, c, 4, 5] (float4 path)', make: () => [rnd([3, 2, 4, 5], 75), rnd([3, 5, 4, 5], 76), rnd([3, 1, 4, 5], 77)], run: (F, xs) => F.cat(xs, 1), tol: 0 },
  { name: 'cat dim 1 of 3 [3, c, 5, 7]', make: () => [rnd([3, 2, 5, 7], 34), rnd([3, 5, 5, 7], 35), rnd([3, 1, 5, 7], 36)], run: (F, xs) => F.cat(xs, 1), tol: 0 },
  { name: 'flatten [3, 4, 5, 6] from dim 1 (a view on the device)', make: () => [rnd([3, 4, 5, 6], 39)], run: (F, [x]) => F.flatten(x, 1), tol: 0 },
  { name: 'cat dim -1 [2, 3, 5] + [2, 3, 4]', make: () => [rnd([2, 3, 5], 37), rnd([2, 3, 4], 38)], run: (F, xs) => F.cat(xs, -1), tol: 0 },
  {
    name: 'cat of 40 tensors dim 1 (more than one launch)',
    make: () => Array.from({ length: 40 }, (_, i) => rnd([3, 1 + (i % 4), 3, 2], 100 + i)),
    run: (F, xs) => F.cat(xs, 1),
    tol: 0,
  },
];

// Resizing: the same tap formula on both devices (core/interp_desc.h), sums of at most a few dozen taps.
const interpolate: DeviceCase[] = [
  { name: 'interpolate bilinear antialias down [2, 3, 37, 53] -> [9, 14]', make: () => [rnd([2, 3, 37, 53], 140)], run: (F, [x]) => F.interpolate(x, { size: [9, 14], mode: 'bilinear', antialias: true }), tol: REDUCE },
  { name: 'interpolate bicubic antialias far down [1, 3, 97, 131] -> [5, 7]', make: () => [rnd([1, 3, 97, 131], 141)], run: (F, [x]) => F.interpolate(x, { size: [5, 7], mode: 'bicubic', antialias: true }), tol: REDUCE },
  { name: 'interpolate bilinear up alignCorners [3, 2, 5, 7] -> [11, 16]', make: () => [rnd([3, 2, 5, 7], 142)], run: (F, [x]) => F.interpolate(x, { size: [11, 16], mode: 'bilinear', alignCorners: true }), tol: REDUCE },
  { name: 'interpolate bicubic up [1, 5, 6, 9] -> [13, 20]', make: () => [rnd([1, 5, 6, 9], 143)], run: (F, [x]) => F.interpolate(x, { size: [13, 20], mode: 'bicubic' }), tol: REDUCE },
  { name: 'interpolate nearest scaleFactor [0.45, 2.3] [2, 3, 11, 9]', make: () => [rnd([2, 3, 11, 9], 144)], run: (F, [x]) => F.interpolate(x, { scaleFactor: [0.45, 2.3] }), tol: SAME },
  { name: 'interpolate nearest-exact width only [1, 3, 7, 10] -> [7, 4]', make: () => [rnd([1, 3, 7, 10], 145)], run: (F, [x]) => F.interpolate(x, { size: [7, 4], mode: 'nearest-exact' }), tol: SAME },
  { name: 'interpolate bilinear antialias height only [1, 3, 40, 6] -> [11, 6]', make: () => [rnd([1, 3, 40, 6], 146)], run: (F, [x]) => F.interpolate(x, { size: [11, 6], mode: 'bilinear', antialias: true }), tol: REDUCE },
  { name: 'interpolate same size (copy) [2, 2, 5, 5]', make: () => [rnd([2, 2, 5, 5], 147)], run: (F, [x]) => F.interpolate(x, { size: [5, 5], mode: 'bilinear' }), tol: 0 },
];

const gemm: DeviceCase[] = [
  { name: 'linear M=3 (small-M path) [3, 123] x [65, 123]^T + b', make: () => [rnd([3, 123], 40), rnd([65, 123], 41), rnd([65], 42)], run: (F, [x, w, b]) => F.linear(x, w, b), tol: GEMM },
  { name: 'linear M=37 K=123 (scalar loads) + relu', make: () => [rnd([37, 123], 43), rnd([65, 123], 44), rnd([65], 45)], run: (F, [x, w, b]) => F.linear(x, w, b, { activation: 'relu' }), tol: GEMM },
  { name: 'linear M=130 K=128 N=257 (float4, several tiles), no bias', make: () => [rnd([130, 128], 46), rnd([257, 128], 47)], run: (F, [x, w]) => F.linear(x, w), tol: GEMM },
  { name: 'matmul [130, 67] x [67, 129]', make: () => [rnd([130, 67], 48), rnd([67, 129], 49)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
  { name: 'matmul [257, 132] x [132, 260] (float4 paths)', make: () => [rnd([257, 132], 50), rnd([132, 260], 51)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
  { name: 'matmul [5, 300] x [300, 77] (small-M, B not transposed)', make: () => [rnd([5, 300], 52), rnd([300, 77], 53)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
  { name: 'matmul batched [3, 19, 33] x [3, 33, 21]', make: () => [rnd([3, 19, 33], 54), rnd([3, 33, 21], 55)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
  { name: 'linear M=4 K=1028 (small-M float4 rows) + relu', make: () => [rnd([4, 1028], 58), rnd([70, 1028], 59), rnd([70], 60)], run: (F, [x, w, b]) => F.linear(x, w, b, { activation: 'relu' }), tol: GEMM },
  { name: 'linear M=37 K=1200 N=70 (split K: 1 tile) + relu', make: () => [rnd([37, 1200], 61), rnd([70, 1200], 62), rnd([70], 63)], run: (F, [x, w, b]) => F.linear(x, w, b, { activation: 'relu' }), tol: GEMM },
  { name: 'matmul batched [3, 19, 700] x [3, 700, 21] (split K, batch)', make: () => [rnd([3, 19, 700], 64), rnd([3, 700, 21], 65)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
  { name: 'matmul [130, 611] x [611, 66] (split K, odd N: scalar stores)', make: () => [rnd([130, 611], 66), rnd([611, 66], 67)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
  { name: 'matmul batched [3, 140, 9] x [3, 9, 131]', make: () => [rnd([3, 140, 9], 56), rnd([3, 9, 131], 57)], run: (F, [a, b]) => F.matmul(a, b), tol: GEMM },
];

type ConvCase = { name: string; x: number[]; w: number[]; bias: boolean; opts: Record<string, unknown> };
const convShapes: ConvCase[] = [
  { name: '3x3 p1', x: [3, 5, 9, 11], w: [7, 5, 3, 3], bias: true, opts: { padding: 1 } },
  { name: '3x3 s2 d2 p[1,2] relu', x: [3, 5, 13, 12], w: [6, 5, 3, 3], bias: true, opts: { stride: 2, dilation: 2, padding: [1, 2], activation: 'relu' } },
  { name: 'groups 2, 3 out channels per group', x: [2, 6, 8, 7], w: [6, 3, 3, 3], bias: true, opts: { groups: 2, padding: 1 } },
  { name: 'depthwise 5 channels s2', x: [3, 5, 10, 9], w: [5, 1, 3, 3], bias: true, opts: { groups: 5, stride: 2, padding: 1 } },
  { name: "'same' with even kernel 4x2 (asymmetric)", x: [2, 3, 9, 8], w: [5, 3, 4, 2], bias: false, opts: { padding: 'same' } },
  { name: '1x1 no bias', x: [3, 17, 5, 7], w: [19, 17, 1, 1], bias: false, opts: {} },
  { name: '7x7 s2 p3 (stem-like)', x: [2, 3, 23, 21], w: [9, 3, 7, 7], bias: true, opts: { stride: 2, padding: 3, activation: 'relu' } },
  { name: '5x3 s[2,1] p[2,0] d[1,2] groups 3', x: [3, 9, 11, 13], w: [6, 3, 5, 3], bias: true, opts: { stride: [2, 1], padding: [2, 0], dilation: [1, 2], groups: 3 } },
];

const conv: DeviceCase[] = [
  ...convShapes.map((c, i): DeviceCase => ({
    name: `conv2d ${c.name} x${JSON.stringify(c.x)} w${JSON.stringify(c.w)}`,
    make: () => [rnd(c.x, 60 + i), rnd(c.w, 80 + i, 0.5), ...(c.bias ? [rnd([c.w[0]], 90 + i)] : [])],
    run: (F, [x, w, b]) => F.conv2d(x, w, b ?? null, c.opts),
    tol: GEMM,
  })),
  {
    name: 'ConvPlan (prepared once) 3x3 p1 relu, run on its device',
    make: () => [rnd([3, 5, 9, 11], 70), rnd([7, 5, 3, 3], 71), rnd([7], 72)],
    run: (_F, [x, w, b]) => new ConvPlan(w, b, x.shape, { padding: 1, activation: 'relu' }).run(x),
    tol: GEMM,
    keepsDeviceMemory: true, // the plan shares the weights until it is collected
  },
];

export const cases: DeviceCase[] = [...elementwise, ...pooling, ...normalization, ...softmaxAndShape, ...interpolate, ...gemm, ...conv];

// The table itself is checked on the CPU everywhere (each case runs and gives finite, non-constant
// values), so a broken case shows up without a GPU. This says nothing about the devices.
describe('case table runs on the CPU', () => {
  for (const c of cases) {
    test(c.name, () => {
      const inputs = c.make();
      const out = c.run(F, inputs);
      const d = out.data();
      expect(d.length).toBeGreaterThan(0);
      expect(d.every(Number.isFinite)).toBe(true);
      if (d.length > 1) expectNonTrivial(d);
    });
  }
});

forEachAccelerator((device) => {
  for (const c of cases) test(c.name, () => checkOnDevice(c, device));
});
