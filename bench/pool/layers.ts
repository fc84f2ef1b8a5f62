// Work inflation per layer: the CPU time a layer's partitioning for T threads costs, run serially
// (poolTrace serial mode: chunks split as for T threads, all run by the caller, so a 2-core machine
// measures what 16 or 64 cores would each do, without oversubscription). Ideal: 1.00× at every T;
// repacking B per row block or redoing a transform per task shows up as > 1.
//   npx tsx bench/pool/layers.ts [--threads 2,16,64] [--runs 21]
import { Tensor, ConvPlan, ConvAlgorithmName, F, setNumThreads, getNumThreads } from '../../lib';
import { native } from '../../lib/native';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const counts = (opt('--threads') ?? '2,16,64').split(',').map(Number);
const runs = Number(opt('--runs') ?? 21);

interface Layer { name: string; input: number[]; weight: number[]; stride?: number; padding?: number; algo: ConvAlgorithmName }
export const LAYERS: Layer[] = [
  { name: 'resnet50 1×1 512→2048 7²', input: [1, 512, 7, 7], weight: [2048, 512, 1, 1], algo: 'gemm_1x1' },
  { name: 'resnet50 3×3 512→512 7²', input: [1, 512, 7, 7], weight: [512, 512, 3, 3], padding: 1, algo: 'im2col' },
  { name: 'resnet50 3×3 256→256 14²', input: [1, 256, 14, 14], weight: [256, 256, 3, 3], padding: 1, algo: 'winograd_4x4_3x3' },
  { name: 'resnet50 3×3 256→256 14² im2col', input: [1, 256, 14, 14], weight: [256, 256, 3, 3], padding: 1, algo: 'im2col' },
  { name: 'resnet50 1×1 1024→256 14²', input: [1, 1024, 14, 14], weight: [256, 1024, 1, 1], algo: 'gemm_1x1' },
  { name: 'resnet50 1×1/2 512→1024 28²', input: [1, 512, 28, 28], weight: [1024, 512, 1, 1], stride: 2, algo: 'gemm_1x1' },
  { name: 'googlenet 1×1 832→384 7²', input: [1, 832, 7, 7], weight: [384, 832, 1, 1], algo: 'gemm_1x1' },
  { name: 'googlenet 3×3 160→320 14²', input: [1, 160, 14, 14], weight: [320, 160, 3, 3], padding: 1, algo: 'winograd_4x4_3x3' },
  { name: 'googlenet 3×3 32→128 7² (5×5 branch)', input: [1, 32, 7, 7], weight: [128, 32, 3, 3], padding: 1, algo: 'im2col' },
  { name: 'googlenet 3×3 48→128 7² implicit', input: [1, 48, 7, 7], weight: [128, 48, 3, 3], padding: 1, algo: 'implicit_gemm' },
  { name: 'vgg16 3×3 512→512 14²', input: [1, 512, 14, 14], weight: [512, 512, 3, 3], padding: 1, algo: 'winograd_2x2_3x3' },
];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
function cpuMs(run: () => void): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    native.poolTrace(true, true);
    run();
    t.push(native.poolTrace(false).reduce((a, r) => a + r[5], 0) / 1e6);
  }
  return median(t);
}

const before = getNumThreads();
console.log(`layer work (CPU ms of all chunks, serial) at 1 / ${counts.join(' / ')} threads' partitioning, and ratio to 1 thread`);
const rows: unknown[] = [];
for (const l of LAYERS) {
  const x = Tensor.rand(l.input, { seed: 1, low: -1, high: 1 });
  const w = Tensor.rand(l.weight, { seed: 2, low: -0.1, high: 0.1 });
  const plan = new ConvPlan(w, null, l.input, { stride: l.stride ?? 1, padding: l.padding ?? 0, algo: l.algo });
  const ms = [1, ...counts].map((T) => {
    setNumThreads(T);
    for (let i = 0; i < 3; i++) plan.run(x).dispose();
    return cpuMs(() => plan.run(x).dispose());
  });
  console.log(`  ${(l.name + ' ' + l.algo).padEnd(52)} ${ms.map((v) => v.toFixed(3)).join(' / ')}   ` +
    ms.slice(1).map((v) => `${(v / ms[0]).toFixed(2)}×`).join(' '));
  rows.push({ layer: l.name, algo: l.algo, threads: [1, ...counts], cpuMs: ms });
  plan.dispose();
  [x, w].forEach((t) => t.dispose());
}
const p = Tensor.rand([1, 832, 14, 14], { seed: 3 });
const ms = [1, ...counts].map((T) => {
  setNumThreads(T);
  return cpuMs(() => F.maxPool2d(p, { kernelSize: 3, stride: 2, ceilMode: true }).dispose());
});
console.log(`  ${'googlenet maxPool 3×3/2 832×14²'.padEnd(52)} ${ms.map((v) => v.toFixed(3)).join(' / ')}   ` +
  ms.slice(1).map((v) => `${(v / ms[0]).toFixed(2)}×`).join(' '));
setNumThreads(before);
if (opt('--json')) require('node:fs').writeFileSync(opt('--json')!, JSON.stringify(rows));
