// Argument validation (ConvDesc messages), the chooser (auto/find/forced), prepared plans and memory.
import { Tensor, F, ConvPlan, convAlgorithms, findConvAlgorithm, chooseConvAlgorithm, memory, emptyCache, ConvAlgo } from '../../lib';

describe('conv2d validates before computing', () => {
  const x = Tensor.rand([2, 4, 8, 8], { seed: 1 });
  test.each([
    [[3, 224], [64, 3, 3, 3], {}, 'conv2d: expected a 4-D input (N, C, H, W), got [3, 224]'],
    [[2, 4, 8, 8], [64, 3, 3, 3], {}, 'conv2d: weight has 3 input channels per group but input has 4'],
    [[2, 6, 8, 8], [64, 2, 3, 3], { groups: 3 }, 'conv2d: groups=3 does not divide 64 output channels'],
    [[2, 4, 8, 8], [6, 2, 3, 3], { groups: 3 }, 'conv2d: groups=3 does not divide 4 input channels'],
    [[2, 4, 8, 8], [6, 4, 3], {}, 'conv2d: expected a 4-D weight (K, C/groups, R, S), got [6, 4, 3]'],
    [[2, 4, 8, 8], [6, 4, 3, 3], { stride: 2, padding: 'same' as const }, "conv2d: padding='same' is not supported for strided convolutions"],
    [[2, 4, 2, 2], [6, 4, 3, 3], {}, 'conv2d: input [2, 4, 2, 2] with padding [0, 0] is smaller than the (dilated) kernel 3x3'],
    [[2, 4, 8, 8], [6, 4, 3, 3], { stride: 0 }, 'conv2d: stride must be at least 1, got [0, 0]'],
    [[2, 4, 8, 8], [6, 4, 3, 3], { dilation: [1, 0] as [number, number] }, 'conv2d: dilation must be at least 1, got [1, 0]'],
    [[2, 4, 8, 8], [6, 4, 3, 3], { padding: -1 }, 'conv2d: padding must be non-negative, got [-1, -1]'],
    [[2, 4, 8, 8], [6, 4, 3, 3], { groups: 0 }, 'conv2d: groups must be at least 1, got 0'],
  ])('input %j weight %j %j', (xs, ws, opts, msg) => {
    const xx = Tensor.rand(xs);
    const w = Tensor.rand(ws);
    expect(() => F.conv2d(xx, w, null, opts)).toThrow(msg);
    expect(() => convAlgorithms({ input: xs, weight: ws, ...opts })).toThrow(msg);
  });
  test('bias length, activation, algorithm names, option shapes', () => {
    const w = Tensor.rand([64, 4, 3, 3]);
    expect(() => F.conv2d(x, w, Tensor.rand([10]))).toThrow('conv2d: bias has 10 elements but weight has 64 output channels');
    expect(() => F.conv2d(x, w, null, { activation: 'gelu' as 'relu' })).toThrow("conv2d: activation must be 'none' or 'relu', got 'gelu'");
    expect(() => F.conv2d(x, w, null, { algo: 'fft' as ConvAlgo })).toThrow(
      "conv2d: unknown algorithm 'fft' (expected 'auto', 'find' or one of: direct, im2col, implicit_gemm, gemm_1x1, winograd_2x2_3x3, winograd_4x4_3x3, direct_nchwc)");
    expect(() => F.conv2d(x, w, null, { stride: [1, 2, 3] as unknown as [number, number] })).toThrow(/stride must be a number or \[h, w\]/);
    expect(() => F.conv2d(x, w, null, { padding: 'full' as 'same' })).toThrow(/padding must be a number, \[h, w\], 'same' or 'valid', got 'full'/);
    expect(() => F.conv2d(x, w, null, { groups: 1.5 })).toThrow(/groups must be an integer/);
  });
  test('forcing an unsupported algorithm throws its reason', () => {
    const w = Tensor.rand([8, 4, 3, 3]);
    expect(() => F.conv2d(x, w, null, { stride: 2, algo: 'winograd_4x4_3x3' }))
      .toThrow("conv2d: algorithm 'winograd_4x4_3x3' cannot run this convolution: winograd_4x4_3x3 needs stride 1");
    expect(() => F.conv2d(x, w, null, { dilation: 2, algo: 'winograd_2x2_3x3' })).toThrow(/needs dilation 1/);
    expect(() => F.conv2d(x, w, null, { algo: 'gemm_1x1' })).toThrow(/gemm_1x1 needs a 1x1 kernel, got 3x3/);
    expect(() => new ConvPlan(w, null, [2, 4, 8, 8], { stride: 2, algo: 'winograd_2x2_3x3' })).toThrow(/needs stride 1/);
  });
  test("padding 'valid' is padding 0", () => {
    const w = Tensor.rand([8, 4, 3, 3], { seed: 2 });
    const a = F.conv2d(x, w, null, { padding: 'valid' });
    expect(a.shape).toEqual([2, 8, 6, 6]);
    expect(Array.from(a.data())).toEqual(Array.from(F.conv2d(x, w, null, { padding: 0 }).data()));
  });
});

describe('ConvPlan', () => {
  test('checks each input against its weights and reports its algorithm', () => {
    const w = Tensor.rand([16, 64, 3, 3], { seed: 3 });
    const plan = new ConvPlan(w, null, [1, 64, 9, 9], { padding: 1 });
    expect(plan.algo).toBe('winograd_4x4_3x3');
    expect(() => plan.run(Tensor.rand([1, 5, 9, 9]))).toThrow('conv2d: weight has 64 input channels per group but input has 5');
    expect(() => plan.run(Tensor.rand([64, 9, 9]))).toThrow('conv2d: expected a 4-D input (N, C, H, W), got [64, 9, 9]');
    // Another batch and image size reuse the same prepared weights.
    const x = Tensor.rand([3, 64, 6, 7], { seed: 4 });
    expect(Array.from(plan.run(x).data())).toEqual(Array.from(F.conv2d(x, w, null, { padding: 1, algo: 'winograd_4x4_3x3' }).data()));
  });
});

describe('chooser', () => {
  test('auto picks the expected algorithm families', () => {
    const pick = (input: number[], weight: number[], o: object = {}) => chooseConvAlgorithm({ input, weight, ...o });
    expect(pick([1, 64, 56, 56], [256, 64, 1, 1])).toBe('gemm_1x1');
    expect(pick([1, 256, 56, 56], [512, 256, 1, 1], { stride: 2 })).toBe('gemm_1x1');
    expect(pick([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 })).toMatch(/^winograd_/);
    expect(pick([1, 64, 56, 56], [64, 1, 3, 3], { padding: 1, groups: 64 })).toBe('direct');
    expect(pick([1, 3, 224, 224], [64, 3, 11, 11], { stride: 4, padding: 2 })).toBe('implicit_gemm');
    expect(pick([1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 })).toBe('implicit_gemm');
    expect(pick([1, 192, 7, 7], [384, 192, 3, 3], { padding: 1 })).toBe('winograd_2x2_3x3');
    expect(pick([1, 512, 7, 7], [512, 512, 3, 3], { padding: 1 })).toBe('winograd_2x2_3x3');
    expect(pick([1, 128, 56, 56], [128, 128, 3, 3], { stride: 2, padding: 1 })).toBe('im2col');
    // C3: GoogLeNet's 3×3 branches with 16–63 input channels on ≤ 28² maps; not from 64 channels, nor with groups.
    expect(pick([1, 16, 28, 28], [32, 16, 3, 3], { padding: 1 })).toBe('direct_nchwc');
    expect(pick([1, 48, 7, 7], [128, 48, 3, 3], { padding: 1 })).toBe('direct_nchwc');
    expect(pick([1, 64, 28, 28], [128, 64, 3, 3], { padding: 1 })).toBe('winograd_4x4_3x3');
    expect(pick([1, 32, 56, 56], [64, 32, 3, 3], { padding: 1 })).toBe('winograd_4x4_3x3');
    expect(pick([1, 96, 14, 14], [256, 48, 3, 3], { padding: 1, groups: 2 })).toBe('implicit_gemm');
  });
  test('find times every supported algorithm, fastest first, and caches a supported winner', () => {
    const d = { input: [1, 16, 12, 12], weight: [16, 16, 3, 3], padding: 1 };
    const supported = convAlgorithms(d).filter((a) => a.supported).map((a) => a.name);
    const times = findConvAlgorithm(d);
    expect(times.map((t) => t.algo).sort()).toEqual([...supported].sort());
    for (let i = 1; i < times.length; i++) expect(times[i].timeMs).toBeGreaterThanOrEqual(times[i - 1].timeMs);
    for (const t of times) expect(t.timeMs).toBeGreaterThan(0);
    expect(chooseConvAlgorithm(d, 'find')).toBe(times[0].algo);
    const unsupported = { input: [1, 16, 12, 12], weight: [16, 16, 1, 1], padding: 1 };
    expect(findConvAlgorithm(unsupported).map((t) => t.algo)).not.toContain('gemm_1x1');
  });
});

describe('memory', () => {
  test('repeated F.conv2d, plans, linear and matmul do not grow live memory', () => {
    const x = Tensor.rand([2, 16, 14, 14], { seed: 4 });
    const w = Tensor.rand([24, 16, 3, 3], { seed: 5 });
    const b = Tensor.rand([24], { seed: 6 });
    const lw = Tensor.rand([5, 16 * 14 * 14], { seed: 7 });
    const xf = x.reshape([2, -1]);
    const plans = (['direct', 'im2col', 'winograd_2x2_3x3', 'winograd_4x4_3x3'] as const).map((algo) => new ConvPlan(w, b, x.shape, { padding: 1, algo }));
    const round = () => {
      for (const algo of ['auto', 'direct', 'im2col', 'winograd_2x2_3x3', 'winograd_4x4_3x3'] as const) F.conv2d(x, w, b, { padding: 1, algo }).dispose();
      for (const p of plans) p.run(x).dispose();
      F.linear(xf, lw, null).dispose();
      F.matmul(xf, lw.reshape([16 * 14 * 14, 5])).dispose();
    };
    emptyCache(); // a cache filled to its bound by earlier suites would drop blocks instead of keeping them
    for (let i = 0; i < 5; i++) round();
    const before = memory().cpu;
    for (let i = 0; i < 20; i++) round();
    const after = memory().cpu;
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    // The cache keeps a high-water mark per block size: per-thread workspaces taken at the same moment on
    // both threads can add a block once. A block kept per round would add 20 of them.
    expect(after.cachedBytes - before.cachedBytes).toBeLessThanOrEqual(64 * 1024);
  });
  test('dispose() frees a plan\'s prepared weights at once; the plan then refuses to run', () => {
    const x = Tensor.rand([1, 24, 9, 9], { seed: 1 });
    const w = Tensor.rand([40, 24, 3, 3], { seed: 2 });
    const plan = new ConvPlan(w, null, x.shape, { padding: 1, algo: 'winograd_4x4_3x3' });
    const bytes = plan.preparedBytes;
    expect(bytes).toBeGreaterThanOrEqual(40 * 24 * 36 * 4); // 6×6 transformed taps per (out, in) pair
    emptyCache();
    const before = memory().cpu.cachedBytes;
    plan.dispose();
    // The freed block goes back to the CPU cache, so the cache grows by (at least) the prepared bytes.
    expect(memory().cpu.cachedBytes - before).toBeGreaterThanOrEqual(bytes);
    expect(() => plan.run(x)).toThrow('conv2d: the ConvPlan was disposed');
    plan.dispose(); // a second dispose is a no-op
    x.dispose(); w.dispose();
  });
  test('plans and outputs are counted exactly: disposed outputs leave nothing behind', () => {
    const x = Tensor.rand([1, 8, 10, 10], { seed: 1 });
    const w = Tensor.rand([8, 8, 3, 3], { seed: 2 });
    const plan = new ConvPlan(w, null, x.shape, { padding: 1, algo: 'winograd_4x4_3x3' });
    expect(plan.preparedBytes).toBeGreaterThan(0);
    emptyCache();
    for (let i = 0; i < 5; i++) {
      plan.run(x).dispose();
      F.conv2d(x, w, null, { padding: 1 }).dispose();
    }
    const before = memory().cpu;
    for (let i = 0; i < 50; i++) {
      plan.run(x).dispose();
      F.conv2d(x, w, null, { padding: 1 }).dispose();
    }
    const after = memory().cpu;
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
    // As above: the cache is a high-water mark per size (workspaces taken on both threads at once may add
    // a block once); a block kept per round would add 50 of them.
    expect(after.cachedBytes - before.cachedBytes).toBeLessThanOrEqual(64 * 1024);
  });
});
