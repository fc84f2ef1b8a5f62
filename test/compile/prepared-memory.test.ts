// memory() counts prepared weights (packed GEMM panels, Winograd-transformed kernels) while a ConvPlan or a
// compiled plan holds them, and drops them when it is disposed.
import { ConvPlan, Tensor, compile, memory, models } from '../../lib';
import { settleGc } from './gc';

const prepared = () => memory().cpu.preparedBytes;

describe('prepared weights in memory()', () => {
  // Each test starts after a GC: prepared weights an earlier file left to the garbage collector (jest runs
  // several files per worker process, and the counters are the process's) must not be freed mid-test.
  beforeEach(settleGc);

  test('a Winograd F(4x4) plan holds (6/3)² = 4x its weight bytes, counted until dispose', () => {
    const start = prepared();
    const w = Tensor.rand([64, 32, 3, 3], { seed: 1 });
    const plan = new ConvPlan(w, null, [1, 32, 20, 20], { padding: 1, algo: 'winograd_4x4_3x3' });
    const held = prepared() - start;
    expect(held).toBeGreaterThanOrEqual(4 * w.numel * 4);
    expect(held).toBeLessThan(6 * w.numel * 4);  // padding of the packed panels, not another copy
    plan.dispose();
    expect(prepared()).toBe(start);
    w.dispose();
  });

  test('a GEMM plan holds about its weight bytes; a compiled network all of its layers', async () => {
    const start = prepared();
    const w = Tensor.rand([48, 40, 1, 1], { seed: 2 });
    const plan = new ConvPlan(w, null, [1, 40, 9, 9], { algo: 'gemm_1x1' });
    expect(prepared() - start).toBeGreaterThanOrEqual(w.numel * 4);
    plan.dispose();
    w.dispose();
    expect(prepared()).toBe(start);

    const m = models.resnet18().eval();
    const weights = m.parameters().reduce((a, p) => a + p.numel * 4, 0);
    const net = compile(m, { inputShape: [1, 3, 32, 32] });
    // Every conv's weights, prepared (ResNet-18: 11.7 M parameters, of which the fc layer's 0.5 M are not a conv's).
    expect(prepared() - start).toBeGreaterThan(0.9 * weights);
    net.dispose();
    m.dispose();
    await settleGc();
    expect(prepared()).toBe(start);
  });
});
