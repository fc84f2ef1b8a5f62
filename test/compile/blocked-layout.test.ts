// compile()'s channel-blocked layout (issue 16): inside a CPU plan the activations live in NCHWc between the
// first conv and the last, with reorders only where a step needs NCHW. Every blocked plan is checked against
// the same model in eager mode (NCHW kernels, tested against PyTorch elsewhere) on channel counts that are not
// multiples of 8 or 16, on every ISA path (block 16 on AVX-512, 8 on the others), at several thread counts,
// and with two plans running at once.
import { F, Tensor, compile, getNumThreads, setNumThreads, models } from '../../lib';
import { relErr, expectNonTrivial } from '../helpers/check';
import { fillModel, counterInput } from '../helpers/counter_rng';
import { forEachIsa } from '../helpers/isa';

const rand = (shape: number[], seed: number, low = -0.5, high = 0.5) => Tensor.rand(shape, { seed, low, high });

/**
 * Odd channel counts through every op the blocked pass handles: a 7×7/2 stem (3 → 17), BN folded, max pool 3×3/2
 * ceil mode, a 3×3 branch (17 → 33) and a 1×1 branch (17 → 5) joined by cat (38 channels: the 5-channel part shifts
 * lanes), a 1×1 conv with a residual add, an unfolded BN + ReLU, average pool, adaptive pool, then flatten + linear.
 */
function oddNet() {
  let seed = 1;
  const w = (shape: number[]) => rand(shape, seed++);
  const p = {
    stem: w([17, 3, 7, 7]), stemB: w([17]),
    bnM: w([17]), bnV: rand([17], seed++, 0.5, 1.5), bnG: rand([17], seed++, 0.5, 1.5), bnB: w([17]),
    b3: w([33, 17, 3, 3]), b3B: w([33]), b1: w([5, 17, 1, 1]), b1B: w([5]),
    mix: w([38, 38, 1, 1]), mixB: w([38]),
    n2M: w([38]), n2V: rand([38], seed++, 0.5, 1.5), n2G: rand([38], seed++, 0.5, 1.5), n2B: w([38]),
    fc: w([10, 38 * 4]), fcB: w([10]),
  };
  const forward = (x: Tensor) => {
    let y = F.conv2d(x, p.stem, p.stemB, { stride: 2, padding: 3 });
    y = F.batchNorm(y, p.bnM, p.bnV, p.bnG, p.bnB, { activation: 'relu' });
    y = F.maxPool2d(y, { kernelSize: 3, stride: 2, ceilMode: true });
    const a = F.relu(F.conv2d(y, p.b3, p.b3B, { padding: 1 }));
    const b = F.conv2d(y, p.b1, p.b1B);
    const c = F.cat([a, b], 1);
    const m = F.add(F.conv2d(c, p.mix, p.mixB), c, { activation: 'relu' });
    const n = F.batchNorm(F.maxPool2d(m, { kernelSize: 3, stride: 1, padding: 1 }), p.n2M, p.n2V, p.n2G, p.n2B, { activation: 'relu' });
    const q = F.adaptiveAvgPool2d(F.avgPool2d(n, { kernelSize: 2, ceilMode: true }), [2, 2]);
    return F.linear(q.reshape([q.shape[0], 38 * 4]), p.fc, p.fcB);
  };
  return { forward, dispose: () => Object.values(p).forEach((t) => t.dispose()) };
}

function runPlan(forward: (x: Tensor) => Tensor, x: Tensor, layout: 'blocked' | 'nchw' | 'auto') {
  const plan = compile(forward, { inputShape: [...x.shape], layout });
  const y = plan.runSync(x);
  const out = Float32Array.from(y.data());
  const ops = plan.ops();
  y.dispose();
  plan.dispose();
  return { out, ops };
}

describe('odd channel counts', () => {
  forEachIsa(() => {
    test.each([[1, 3, 37, 41], [2, 3, 30, 29]])('input %p×%p×%p×%p: blocked plan = eager', (...shape) => {
      const net = oddNet();
      const x = rand(shape, 77, -1, 1);
      const eager = net.forward(x);
      const ref = Float32Array.from(eager.data());
      expectNonTrivial(ref);
      const blocked = runPlan(net.forward, x, 'blocked');
      const plain = runPlan(net.forward, x, 'nchw');
      expect(blocked.ops.filter((o) => o === 'reorder').length).toBeGreaterThanOrEqual(1);
      expect(plain.ops).not.toContain('reorder');
      expect(relErr(blocked.out, ref)).toBeLessThanOrEqual(2e-6);
      expect(relErr(plain.out, ref)).toBeLessThanOrEqual(2e-6);
      [x, eager].forEach((t) => t.dispose());
      net.dispose();
    });
  });

  test('reorders only at the edges: one before the flatten, none between blocked ops', () => {
    const net = oddNet();
    const x = rand([1, 3, 37, 41], 5, -1, 1);
    const { ops } = runPlan(net.forward, x, 'blocked');
    // The stem reads NCHW itself (its gather is the reorder); the only NCHW reader is the reshape before linear.
    expect(ops.filter((o) => o === 'reorder')).toEqual(['reorder']);
    expect(ops.indexOf('reorder')).toBe(ops.indexOf('reshape') - 1);
    x.dispose();
    net.dispose();
  });

  test('a layout that is not one of the three is an Error naming it', () => {
    const net = oddNet();
    expect(() => compile(net.forward, { inputShape: [1, 3, 16, 16], layout: 'nhwc' as never })).toThrow(/layout must be 'auto', 'nchw' or 'blocked', got "nhwc"/);
    net.dispose();
  });
});

describe('the torchvision networks, blocked against eager', () => {
  // Counter-filled weights (test/helpers/counter_rng: calibrated so activations neither vanish nor explode).
  const cases: [string, () => unknown, number[]][] = [
    ['googlenet', () => models.googlenet(), [1, 3, 64, 64]],
    ['resnet18', () => models.resnet18(), [2, 3, 48, 48]],
    ['densenet121', () => models.densenet121(), [1, 3, 64, 64]],
  ];
  test.each(cases)('%s', (_name, make, shape) => {
    const model = make() as unknown as { forward(x: Tensor): Tensor; eval(): unknown; dispose(): void };
    fillModel(model as never);
    model.eval();
    const x = counterInput(shape);
    const eager = model.forward(x);
    const ref = Float32Array.from(eager.data());
    for (const layout of ['blocked', 'auto'] as const) {
      const { out, ops } = runPlan((t) => model.forward(t), x, layout);
      expect([layout, relErr(out, ref) <= 1e-5]).toEqual([layout, true]);
      if (layout === 'blocked') expect(ops.filter((o) => o === 'reorder').length).toBeLessThanOrEqual(2);
    }
    [x, eager].forEach((t) => t.dispose());
    model.dispose();
  });
});

test('blocked GoogLeNet gives the same bits at 1, 2, 3, 7, 16 and 64 threads, and two plans at once', async () => {
  const model = models.googlenet() as unknown as { forward(x: Tensor): Tensor; eval(): unknown; dispose(): void };
  fillModel(model as never);
  model.eval();
  const x = counterInput([1, 3, 64, 64]);
  const plan = compile(model, { inputShape: [1, 3, 64, 64], layout: 'blocked' });
  const before = getNumThreads();
  const outs: Buffer[] = [];
  try {
    for (const n of [1, 2, 3, 7, 16, 64]) {
      setNumThreads(n);
      const y = plan.runSync(x);
      outs.push(Buffer.from(Float32Array.from(y.data()).buffer));
      y.dispose();
    }
  } finally {
    setNumThreads(before);
  }
  outs.forEach((o, i) => expect([i, o.equals(outs[0])]).toEqual([i, true]));
  const other = compile(model, { inputShape: [1, 3, 64, 64], layout: 'nchw' });
  const alone = other.runSync(x);
  const [a, b] = await Promise.all([plan.run(x), other.run(x)]);
  expect(Buffer.from(Float32Array.from(a.data()).buffer).equals(outs[0])).toBe(true);
  expect(Buffer.from(Float32Array.from(b.data()).buffer).equals(Buffer.from(Float32Array.from(alone.data()).buffer))).toBe(true);
  [a, b, alone, x].forEach((t) => t.dispose());
  plan.dispose();
  other.dispose();
  model.dispose();
});
