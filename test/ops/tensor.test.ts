import { Tensor, memory, cpuInfo, setIsa, getNumThreads, setNumThreads, cuda } from '../../lib';

describe('Tensor', () => {
  test('from copies data and keeps the shape', () => {
    const src = [1.5, -2, 3, 4.25, 5, -6];
    const t = Tensor.from(src, [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.device).toBe('cpu');
    expect(t.numel).toBe(6);
    expect(Array.from(t.data())).toEqual(src);
    t.dispose();
  });

  test('data() is a zero-copy view: writes are seen by ops', () => {
    const t = Tensor.from([1, 2, 3], [3]);
    t.data()[1] = -7;
    const { F } = require('../../lib');
    expect(Array.from(F.relu(t).data())).toEqual([1, 0, 3]);
  });

  test('zeros, reshape with -1 shares storage', () => {
    const z = Tensor.zeros([2, 3, 4]);
    expect(Array.from(z.data()).every((v) => v === 0)).toBe(true);
    const r = z.reshape([4, -1]);
    expect(r.shape).toEqual([4, 6]);
    r.data()[5] = 9;
    expect(z.data()[5]).toBe(9);
    expect(() => z.reshape([5, -1])).toThrow(/cannot view a tensor of shape \[2, 3, 4\]/);
    expect(() => z.reshape([7, 3])).toThrow(/reshape: cannot view a tensor of shape \[2, 3, 4\] \(24 elements\) as \[7, 3\]/);
  });

  test('rand is seeded, in range and not constant; randn has the right moments', () => {
    const a = Tensor.rand([1000], { seed: 42, low: -2, high: 3 });
    const b = Tensor.rand([1000], { seed: 42, low: -2, high: 3 });
    const c = Tensor.rand([1000], { seed: 43, low: -2, high: 3 });
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
    expect(Array.from(a.data())).not.toEqual(Array.from(c.data()));
    const d = a.data();
    expect(Math.min(...d)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...d)).toBeLessThan(3);
    const n = Tensor.randn([20001], { seed: 7, mean: 1, std: 2 }).data();
    let mean = 0;
    for (const v of n) mean += v;
    mean /= n.length;
    let vr = 0;
    for (const v of n) vr += (v - mean) ** 2;
    vr /= n.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(vr) - 2)).toBeLessThan(0.05);
  });

  test('the same seed gives the same values on any thread count', () => {
    const before = getNumThreads();
    setNumThreads(1);
    const one = Array.from(Tensor.randn([50000], { seed: 3 }).data());
    setNumThreads(2);
    const two = Array.from(Tensor.randn([50000], { seed: 3 }).data());
    setNumThreads(before);
    expect(one).toEqual(two);
  });

  test('dispose frees now and memory() counts it; Symbol.dispose works', () => {
    const before = memory().cpu;
    const t = Tensor.zeros([256, 256]);
    expect(memory().cpu.tensors).toBe(before.tensors + 1);
    expect(memory().cpu.bytes).toBe(before.bytes + 256 * 256 * 4);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(memory().cpu).toMatchObject({ tensors: before.tensors, bytes: before.bytes });
    const u = Tensor.zeros([10]);
    (u as unknown as { [Symbol.dispose](): void })[Symbol.dispose]();
    expect(u.disposed).toBe(true);
    expect(() => u.data()).toThrow(/disposed/);
  });

  test('bad shapes and data are errors naming what was wrong', () => {
    expect(() => Tensor.from([1, 2, 3], [2, 2])).toThrow('Tensor.from: shape [2, 2] needs 4 values but data has 3');
    expect(() => Tensor.zeros([2, -1])).toThrow(/non-negative integers/);
    expect(() => Tensor.zeros([1.5])).toThrow(/non-negative integers/);
    expect(() => Tensor.zeros([2], { device: 'gpu' as never })).toThrow(/expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'/);
    expect(() => Tensor.zeros([1e6, 1e6, 1e6, 1e6])).toThrow(/too many elements/);
  });
});

describe('runtime', () => {
  test('thread count can be set and read; bad values are errors', () => {
    const before = getNumThreads();
    setNumThreads(3);
    expect(getNumThreads()).toBe(3);
    setNumThreads(before);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expected an integer from 1 to 1024, got 0/);
  });

  test('ISA: every available ISA can be selected; an unknown one is an error', () => {
    const info = cpuInfo();
    expect(info.available[0]).toBe('generic');
    expect(info.available).toContain(info.detected);
    for (const isa of info.available) {
      setIsa(isa);
      expect(cpuInfo().active).toBe(isa);
    }
    setIsa(info.active);
    expect(() => setIsa('sse9' as never)).toThrow(/expected 'generic', 'avx2' or 'avx512', got 'sse9'/);
  });

  test('CUDA reports unavailability with a reason instead of crashing', () => {
    if (cuda.isAvailable()) {
      expect(cuda.deviceCount()).toBeGreaterThan(0);
      return;
    }
    expect(cuda.unavailableReason().length).toBeGreaterThan(10);
    expect(cuda.deviceCount()).toBe(0);
    expect(() => Tensor.zeros([2]).to('cuda')).toThrow(/CUDA is not available/);
    expect(() => cuda.deviceInfo(0)).toThrow(/CUDA is not available/);
  });
});
