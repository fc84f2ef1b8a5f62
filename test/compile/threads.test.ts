// Thread counts and concurrency (issue 16, "scaling to many cores"). The pool picks a thread count per
// region from its work and the kernels split batch-1 layers two ways (output-channel blocks × spatial
// tiles), so the layers that matter at batch 1 — the five networks' 7×7 and 14×14 convs and pools at
// their real channel counts — run here at 1, 2, 3, 7, 16 and 64 threads (oversubscribed on a small
// machine: fine for correctness). Every split keeps each output element's reduction order, so results
// must be bit-identical at every thread count, and match the float64 reference.
// Then a compiled GoogLeNet (small input) at every thread count, and two compiled plans running at
// once on the one pool (Promise.all) giving exactly what each gives alone.
import { Tensor, F, ConvPlan, ConvAlgorithmName, compile, getNumThreads, setNumThreads, models } from '../../lib';
import { expectClose, expectNonTrivial, relErr } from '../helpers/check';
import { fillModel, counterInput } from '../helpers/counter_rng';
import { refConv2d } from '../reference/conv';
import { tolerance } from '../algorithms/cases';
import * as R from '../reference/ops';
import { randomInput } from '../helpers/gen';

const THREADS = [1, 2, 3, 7, 16, 64];
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** fn() at every thread count (restoring the count after), as copies of the outputs. */
function atEveryCount<T>(fn: () => T, counts = THREADS): T[] {
  const before = getNumThreads();
  try {
    return counts.map((n) => {
      setNumThreads(n);
      return fn();
    });
  } finally {
    setNumThreads(before);
  }
}

function expectSameBits(outs: Float32Array[], what: string): void {
  outs.slice(1).forEach((o, i) => {
    if (!bytes(o).equals(bytes(outs[0]))) throw new Error(`${what}: ${THREADS[i + 1]} threads differ from 1 thread (rel err ${relErr(o, outs[0])})`);
  });
}

interface Layer { name: string; input: number[]; weight: number[]; stride?: number; padding?: number; algo: ConvAlgorithmName }
// Batch-1 layers of the five networks where the image is too small for one-dimensional splits.
const layers: Layer[] = [
  { name: 'resnet50 layer4 1×1 512→2048 at 7×7', input: [1, 512, 7, 7], weight: [2048, 512, 1, 1], algo: 'gemm_1x1' },
  { name: 'resnet50 layer4 3×3 512→512 at 7×7', input: [1, 512, 7, 7], weight: [512, 512, 3, 3], padding: 1, algo: 'im2col' },
  { name: 'resnet50 layer4 3×3/2 256→256 from 14×14', input: [1, 256, 14, 14], weight: [256, 256, 3, 3], stride: 2, padding: 1, algo: 'im2col' },
  { name: 'resnet50 layer3 downsample 1×1/2 512→1024 from 28×28', input: [1, 512, 28, 28], weight: [1024, 512, 1, 1], stride: 2, algo: 'gemm_1x1' },
  { name: 'googlenet 5b 1×1 832→384 at 7×7', input: [1, 832, 7, 7], weight: [384, 832, 1, 1], algo: 'gemm_1x1' },
  { name: 'googlenet 4e 3×3 160→320 at 14×14 (F(4×4))', input: [1, 160, 14, 14], weight: [320, 160, 3, 3], padding: 1, algo: 'winograd_4x4_3x3' },
  { name: 'googlenet 5b 3×3 48→128 at 7×7 (implicit)', input: [1, 48, 7, 7], weight: [128, 48, 3, 3], padding: 1, algo: 'implicit_gemm' },
  { name: 'vgg16 3×3 512→512 at 14×14 (F(2×2))', input: [1, 512, 14, 14], weight: [512, 512, 3, 3], padding: 1, algo: 'winograd_2x2_3x3' },
  { name: 'densenet121 1×1 odd channels 1013→128 at 7×7, batch 2', input: [2, 1013, 7, 7], weight: [128, 1013, 1, 1], algo: 'gemm_1x1' },
  { name: 'alexnet stem 11×11/4 3→64 at 63×63', input: [1, 3, 63, 63], weight: [64, 3, 11, 11], stride: 4, padding: 2, algo: 'im2col' },
];

describe('batch-1 layers of the five networks at 1, 2, 3, 7, 16 and 64 threads', () => {
  layers.forEach((l, i) => {
    test(`${l.name} (${l.algo})`, () => {
      const x = Tensor.rand(l.input, { seed: 1600 + i, low: -1, high: 1 });
      const w = Tensor.rand(l.weight, { seed: 1700 + i, low: -0.1, high: 0.1 });
      const b = Tensor.rand([l.weight[0]], { seed: 1800 + i, low: -0.5, high: 0.5 });
      const opts = { stride: l.stride ?? 1, padding: l.padding ?? 0, algo: l.algo, activation: 'relu' as const };
      const plan = new ConvPlan(w, b, l.input, opts);
      expect(plan.algo).toBe(l.algo);
      const outs = atEveryCount(() => {
        const y = plan.run(x);
        const d = Float32Array.from(y.data());
        y.dispose();
        return d;
      });
      plan.dispose();
      expectSameBits(outs, l.name);
      const ref = refConv2d(x.data(), l.input, w.data(), l.weight, b.data(),
        { stride: [opts.stride, opts.stride], pad: [opts.padding, opts.padding, opts.padding, opts.padding], dilation: [1, 1], groups: 1, relu: true });
      expectNonTrivial(ref.data);
      expect(relErr(outs[0], ref.data)).toBeLessThanOrEqual(tolerance[l.algo]);
      [x, w, b].forEach((t) => t.dispose());
    });
  });

  test('googlenet pools at 14×14×832 and 7×7×1024', () => {
    const { t: x, r: xr } = randomInput([1, 832, 14, 14], 1900);
    const outs = atEveryCount(() => F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 0, ceilMode: true }).data());
    expectSameBits(outs, 'maxPool2d');
    expectClose(F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 0, ceilMode: true }),
      R.maxPool2d(xr, [3, 3], [2, 2], [0, 0], [1, 1], true), 0);
    const { t: z, r: zr } = randomInput([1, 1024, 7, 7], 1901);
    const avg = atEveryCount(() => F.adaptiveAvgPool2d(z, [1, 1]).data());
    expectSameBits(avg, 'adaptiveAvgPool2d');
    expectClose(F.adaptiveAvgPool2d(z, [1, 1]), R.adaptiveAvgPool2d(zr, 1, 1), 1e-6);
  });
});

type Net = ReturnType<typeof models.googlenet>;
function net(make: () => Net): Net {
  const m = make();
  fillModel(m);
  return m.eval() as Net;
}

describe('compiled networks on the shared pool', () => {
  const shapeG = [1, 3, 64, 64], shapeR = [1, 3, 48, 48];
  const googlenet = net(() => models.googlenet({ auxLogits: false, transformInput: false }));
  const resnet = net(() => models.resnet18() as unknown as Net);
  const xg = counterInput(shapeG), xr = counterInput(shapeR);
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));

  test('GoogLeNet compiled: identical at 1, 2, 3, 7, 16 and 64 threads, and equal to eager mode', () => {
    setNumThreads(1);
    const plan = compile(googlenet, { inputShape: shapeG });  // algorithms fixed once, for every count
    const outs = atEveryCount(() => {
      const y = plan.runSync(xg);
      const d = Float32Array.from(y.data());
      y.dispose();
      return d;
    });
    expectSameBits(outs, 'googlenet');
    expectNonTrivial(outs[0]);
    const eager = googlenet.forward(xg);
    expect(relErr(outs[0], eager.data())).toBeLessThanOrEqual(1e-3);
    eager.dispose();
    plan.dispose();
  });

  test.each([2, 3, 16])('two plans run at once (Promise.all, %i threads) give what each gives alone', async (n) => {
    setNumThreads(n);
    const a = compile(googlenet, { inputShape: shapeG });
    const b = compile(resnet, { inputShape: shapeR });
    const alone = async (p: typeof a, x: Tensor) => {
      const y = await p.run(x);
      const d = Float32Array.from(y.data());
      y.dispose();
      return d;
    };
    const refA = await alone(a, xg), refB = await alone(b, xr);
    for (let round = 0; round < 3; round++) {
      const outs = await Promise.all([alone(a, xg), alone(b, xr), alone(a, xg), alone(b, xr)]);
      expectSameBits([refA, outs[0], outs[2]], `googlenet concurrent, round ${round}`);
      expectSameBits([refB, outs[1], outs[3]], `resnet18 concurrent, round ${round}`);
    }
    a.dispose();
    b.dispose();
  });
});
