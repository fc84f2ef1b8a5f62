// The channel-blocked (NCHWc) ops against their NCHW counterparts at batch 1: the reorders a compiled plan
// pays at its blocked region's edges, and the GoogLeNet / ResNet max pools and the DenseNet / adaptive average
// pools in each layout. Median of repeated runs; 2 threads unless CONVNETS_NUM_THREADS says otherwise.
// Run: npx tsx bench/blocked-ops.ts
import { F, Tensor, cpuInfo, getNumThreads, setNumThreads } from '../lib';
import { native, NativeBlockedOp } from '../lib/native';

const blockedOp = (op: NativeBlockedOp, xs: Tensor[], options: Record<string, unknown> = {}): Tensor =>
  new Tensor(native.blockedOp(op, xs.map((t) => t.handle), options));

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn: () => Tensor): number {
  for (let i = 0; i < 3; i++) fn().dispose();
  const times: number[] = [];
  const deadline = performance.now() + 300;
  while (times.length < 9 || (performance.now() < deadline && times.length < 300)) {
    const t0 = performance.now();
    const y = fn();
    times.push(performance.now() - t0);
    y.dispose();
  }
  return median(times);
}

if (!process.env.CONVNETS_NUM_THREADS) setNumThreads(2);
const B = Number(process.env.BLOCK ?? 0) || (cpuInfo().active === 'avx512' ? 16 : 8);
console.log(`threads: ${getNumThreads()}, isa: ${cpuInfo().active}, block: ${B}`);
const row = (name: string, nchw: number, blocked: number) =>
  console.log(`${name.padEnd(46)} NCHW ${nchw.toFixed(3).padStart(7)} ms   blocked ${blocked.toFixed(3).padStart(7)} ms   ${(nchw / blocked).toFixed(2)}x`);

for (const shape of [[1, 64, 112, 112], [1, 192, 56, 56], [1, 480, 14, 14]]) {
  const x = Tensor.rand(shape, { seed: 1, low: -1, high: 1 });
  const xb = blockedOp('toBlocked', [x], { block: B });
  const copy = time(() => F.relu(x)); // a same-size read + write pass, the yardstick of a reorder
  console.log(`reorders [${shape}]: toBlocked ${time(() => blockedOp('toBlocked', [x], { block: B })).toFixed(3)} ms, ` +
    `fromBlocked ${time(() => blockedOp('fromBlocked', [xb], { channels: shape[1] })).toFixed(3)} ms (NCHW relu pass: ${copy.toFixed(3)} ms)`);
  xb.dispose();
  x.dispose();
}

const pools: { name: string; shape: number[]; op: 'maxPool2d' | 'avgPool2d'; o: Record<string, unknown> }[] = [
  { name: 'ResNet max 3x3/2 pad 1 [1,64,112,112]', shape: [1, 64, 112, 112], op: 'maxPool2d', o: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], ceilMode: false } },
  { name: 'GoogLeNet max 3x3/2 ceil [1,64,112,112]', shape: [1, 64, 112, 112], op: 'maxPool2d', o: { kernelSize: [3, 3], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: true } },
  { name: 'GoogLeNet max 3x3/2 ceil [1,192,56,56]', shape: [1, 192, 56, 56], op: 'maxPool2d', o: { kernelSize: [3, 3], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: true } },
  { name: 'GoogLeNet branch max 3x3/1 p1 [1,192,28,28]', shape: [1, 192, 28, 28], op: 'maxPool2d', o: { kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], ceilMode: true } },
  { name: 'GoogLeNet branch max 3x3/1 p1 [1,832,7,7]', shape: [1, 832, 7, 7], op: 'maxPool2d', o: { kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], ceilMode: true } },
  { name: 'DenseNet avg 2x2/2 [1,256,56,56]', shape: [1, 256, 56, 56], op: 'avgPool2d', o: { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true } },
];
for (const p of pools) {
  const x = Tensor.rand(p.shape, { seed: 2, low: -1, high: 1 });
  const xb = blockedOp('toBlocked', [x], { block: B });
  const { dilation, ...avgO } = p.o;
  const nchw = p.op === 'maxPool2d' ? time(() => F.maxPool2d(x, p.o as never)) : time(() => F.avgPool2d(x, avgO as never));
  row(p.name, nchw, time(() => blockedOp(p.op, [xb], p.o)));
  void dilation;
}
const a = Tensor.rand([1, 1024, 7, 7], { seed: 3, low: -1, high: 1 });
const ab = blockedOp('toBlocked', [a], { block: B });
row('adaptive avg → 1x1 [1,1024,7,7]', time(() => F.adaptiveAvgPool2d(a, [1, 1])),
  time(() => blockedOp('adaptiveAvgPool2d', [ab], { outputSize: [1, 1] })));
