// The activation arena of compiled CPU plans (native/core/arena.h): planned on the first run, then every
// run's intermediates live at planned offsets in one block. Results must not change at all: the same bits
// run after run, the eager result, new inputs computed afresh (no stale data from the previous run shows;
// the suite runs with CONVNETS_POISON, so a block handed out unwritten would show as NaN), and runs that
// overlap (one on the run queue, one on this thread) agree.
import { F, Tensor, compile, memory, models } from '../../lib';
import { native } from '../../lib/native';
import { relErr } from '../helpers/check';
import { settleGc } from './gc';
import { makeNet } from './net';

const shape = [2, 3, 13, 11];

function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.data(), y = b.data();
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

describe('activation arena', () => {
  test('planned on the first run; later runs use it and give the same bits; new inputs are computed afresh', () => {
    const net = makeNet();
    const plan = compile(net.forward, { inputShape: shape });
    expect(plan.arenaBytes).toBe(0);
    const x1 = Tensor.rand(shape, { seed: 1 }), x2 = Tensor.rand(shape, { seed: 2 });
    const first = plan.runSync(x1);
    const stats = plan.arenaStats;
    expect(stats.bytes).toBeGreaterThan(0);
    expect(stats.allocations).toBeGreaterThan(5);
    expect(stats.bytes % 64).toBe(0);
    for (let i = 0; i < 3; i++) {
      const again = plan.runSync(x1);
      expect(sameBits(again, first)).toBe(true);
      again.dispose();
    }
    const e2 = net.forward(x2);
    const y2 = plan.runSync(x2);
    expect(relErr(y2.data(), e2.data())).toBeLessThan(1e-5);
    const y1 = plan.runSync(x1);
    expect(sameBits(y1, first)).toBe(true);
    expect(plan.arenaStats).toEqual({ ...stats, fallbackRuns: 0 });
    for (const t of [first, e2, y2, y1, x1, x2]) t.dispose();
    plan.dispose();
    net.dispose();
  });

  test('smaller than the sum of the intermediates: lifetimes that do not overlap share memory (ResNet-18 at 64²)', async () => {
    const m = models.resnet18().eval();
    const s = [1, 3, 64, 64];
    const plan = compile(m, { inputShape: s });
    const x = Tensor.rand(s, { seed: 5 });
    await settleGc();
    const before = memory().cpu.tensors;
    const y = plan.runSync(x);
    // Every step of a run allocates at least its output; the arena holds all but the plan's output.
    const { bytes, allocations } = plan.arenaStats;
    expect(allocations).toBeGreaterThan(plan.ops().length / 2);
    // The stem's output alone is 64·32·32 floats; the arena must be far below the sum of all activations.
    expect(bytes).toBeGreaterThanOrEqual(64 * 32 * 32 * 4);
    expect(bytes).toBeLessThan(4 * 64 * 32 * 32 * 4);
    const yd = Float32Array.from(y.data());
    y.dispose();
    await settleGc();  // the Float32Array view of y's data holds its storage until collected
    expect(memory().cpu.tensors).toBe(before);  // the run leaves nothing behind (its intermediates were in the arena)
    const ye = m.forward(x);
    expect(relErr(yd, ye.data())).toBeLessThan(1e-5);
    ye.dispose();
    x.dispose();
    plan.dispose();
    m.dispose();
  });

  test('overlapping runs (the run queue and this thread) agree with each other and with a run alone', async () => {
    const net = makeNet();
    const plan = compile(net.forward, { inputShape: shape, warmup: 1 });
    const xs = [3, 4, 5, 6].map((seed) => Tensor.rand(shape, { seed }));
    const alone = xs.map((x) => plan.runSync(x));
    const queued = xs.map((x) => plan.run(x));
    const here = xs.map((x) => plan.runSync(x));
    const served = await Promise.all(queued);
    for (let i = 0; i < xs.length; i++) {
      expect(sameBits(served[i], alone[i])).toBe(true);
      expect(sameBits(here[i], alone[i])).toBe(true);
    }
    for (const t of [...xs, ...alone, ...served, ...here]) t.dispose();
    plan.dispose();
    net.dispose();
  });

  test('a run that fails plans nothing: the arena stays unplanned, and the plan keeps failing cleanly', () => {
    // testFailingOp passes its first call (the trace) and fails on every later one, after relu has allocated.
    const failing = (x: Tensor) => F.softmax(new Tensor(native.testFailingOp(F.relu(x).handle, 1)), 1);
    const plan = compile(failing, { inputShape: [2, 3] });
    const x = Tensor.rand([2, 3], { seed: 1 });
    expect(() => plan.runSync(x)).toThrow('failing on purpose (call 2)');
    expect(plan.arenaStats).toEqual({ bytes: 0, allocations: 0, fallbackRuns: 0 });
    expect(() => plan.runSync(x)).toThrow('failing on purpose (call 3)');
    expect(plan.arenaBytes).toBe(0);
    x.dispose();
    plan.dispose();
  });
});
