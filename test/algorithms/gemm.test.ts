// GEMM through F.matmul and F.linear against the float64 reference: odd sizes (edge tiles in both
// directions), K beyond KC (accumulating blocks), M beyond MC, bias/ReLU epilogues, every ISA.
import { Tensor, F } from '../../lib';
import { expectClose } from '../helpers/check';
import { forEachIsa } from '../helpers/isa';
import { refMatmul, transpose } from '../reference/conv';

const sizes: [number, number, number][] = [[1, 1, 1], [2, 37, 19], [4, 130, 9], [1, 300, 70], [17, 33, 65], [129, 257, 31], [5, 700, 40], [700, 20, 33], [64, 64, 64], [3, 0, 5],
  // Edge panels of 1–8 columns (row-vectorised, split k sums) with odd K, and 16 + 2 / 3 columns.
  [9, 31, 35], [6, 13, 18], [7, 45, 6], [13, 299, 66],
  // linear's blocking (linear.cc): several x-row blocks (32 rows) with a ragged last group, K over one
  // 1024-slice with a scalar tail, several 96-feature W super-blocks with a ragged last tile; fewer rows
  // than the register tile; K below one vector.
  [37, 2100, 101], [3, 1030, 200], [70, 40, 197], [6, 7, 13]];

forEachIsa(() => {
  for (const [M, K, N] of sizes) {
    test(`matmul ${M}×${K}×${N}`, () => {
      const a = Tensor.rand([M, K], { seed: M * 7 + K, low: -1, high: 1 });
      const b = Tensor.rand([K, N], { seed: N * 11 + K, low: -1, high: 1 });
      const y = F.matmul(a, b);
      expectClose(y, { shape: [M, N], data: refMatmul(a.data(), b.data(), M, K, N) }, 1e-5, `matmul ${M}x${K}x${N}`);
    });
    if (K === 0) continue;
    test(`linear ${M}×${K}→${N} with bias and ReLU`, () => {
      const x = Tensor.rand([M, K], { seed: 3 + M, low: -1, high: 1 });
      const w = Tensor.rand([N, K], { seed: 5 + N, low: -1, high: 1 });
      const b = Tensor.rand([N], { seed: 9, low: -1, high: 1 });
      const wt = transpose(w.data(), N, K);
      expectClose(F.linear(x, w, b), { shape: [M, N], data: refMatmul(x.data(), wt, M, K, N, b.data()) }, 1e-5, 'linear');
      const relu = refMatmul(x.data(), wt, M, K, N, b.data(), true);
      expectClose(F.linear(x, w, b, { activation: 'relu' }), { shape: [M, N], data: relu }, 1e-5, 'linear relu');
      expectClose(F.linear(x, w, null), { shape: [M, N], data: refMatmul(x.data(), wt, M, K, N) }, 1e-5, 'linear no bias');
    });
  }
  test('batched 3-D matmul', () => {
    const a = Tensor.rand([3, 13, 21], { seed: 1, low: -1, high: 1 });
    const b = Tensor.rand([3, 21, 9], { seed: 2, low: -1, high: 1 });
    const y = F.matmul(a, b);
    expect(y.shape).toEqual([3, 13, 9]);
    const ref = new Float64Array(3 * 13 * 9);
    for (let i = 0; i < 3; i++) ref.set(refMatmul(a.data().subarray(i * 273, (i + 1) * 273), b.data().subarray(i * 189, (i + 1) * 189), 13, 21, 9), i * 117);
    expectClose(y, { shape: [3, 13, 9], data: ref }, 1e-5, 'bmm');
  });
});

test('matmul and linear check their operands', () => {
  const a = Tensor.rand([4, 5]);
  expect(() => F.matmul(a, Tensor.rand([4, 5]))).toThrow('matmul: cannot multiply [4, 5] by [4, 5] (inner dimensions 5 and 4 differ)');
  expect(() => F.matmul(a, Tensor.rand([5]))).toThrow(/matmul: expected two 2-D or two 3-D tensors, got \[4, 5\] and \[5\]/);
  expect(() => F.matmul(Tensor.rand([2, 4, 5]), Tensor.rand([3, 5, 2]))).toThrow(/matmul: batch sizes differ: 2 and 3/);
  expect(() => F.linear(a, Tensor.rand([3, 4]))).toThrow('linear: input has 5 features but weight expects 4');
  expect(() => F.linear(Tensor.rand([5]), Tensor.rand([3, 5]))).toThrow(/linear: expected a 2-D input \[N, in_features\], got \[5\]/);
  expect(() => F.linear(a, Tensor.rand([3, 5]), Tensor.rand([4]))).toThrow(/linear: bias has shape \[4\] but weight has 3 output features/);
  expect(() => F.linear(a, Tensor.rand([3, 5]), null, { activation: 'tanh' as 'relu' })).toThrow(/activation must be 'none' or 'relu'/);
  expect(() => F.matmul(a, 3 as unknown as Tensor)).toThrow();
});
