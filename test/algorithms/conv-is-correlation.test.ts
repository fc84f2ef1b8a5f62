// The lesson the library comes from: a conv layer computes cross-correlation. F.conv2d on one channel
// equals signal.correlate2d ('valid' without padding, 'same' with the matching zero padding), and equals
// signal.convolve2d with the kernel flipped in both axes — for every convolution algorithm.
import { Tensor, F, signal, convAlgorithms } from '../../lib';

const matrix = (rows: number, cols: number, seed: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => Math.sin(1.3 * r + 0.7 * c + seed) + 0.25));
const flip = (k: number[][]): number[][] => k.slice().reverse().map((row) => row.slice().reverse());
const asTensor = (m: number[][]) => Tensor.from(m.flat(), [1, 1, m.length, m[0].length]);

function expectMatrixClose(got: Float32Array, want: number[][], tol: number): void {
  const flat = want.flat();
  expect(got.length).toBe(flat.length);
  let num = 0;
  let den = 0;
  flat.forEach((w, i) => {
    num += (got[i] - w) ** 2;
    den += w * w;
  });
  const err = Math.sqrt(num / den);
  if (!(err <= tol)) throw new Error(`relative L2 error ${err} exceeds ${tol}`);
}

describe('F.conv2d is cross-correlation', () => {
  const image = matrix(13, 17, 1);
  const kernel = matrix(3, 3, 2);
  const x = asTensor(image);
  const w = asTensor(kernel);
  const algos = convAlgorithms({ input: [1, 1, 13, 17], weight: [1, 1, 3, 3], padding: 1 })
    .filter((a) => a.supported)
    .map((a) => a.name);

  test('the 3×3 layer runs under several algorithms', () => {
    expect(algos).toEqual(expect.arrayContaining(['direct', 'im2col', 'winograd_2x2_3x3', 'winograd_4x4_3x3']));
  });

  for (const algo of ['direct', 'im2col', 'winograd_2x2_3x3', 'winograd_4x4_3x3'] as const) {
    const tol = algo.startsWith('winograd') ? 1e-4 : 1e-5;
    test(`${algo}: no padding = correlate2d 'valid' = convolve2d(flipped kernel) 'valid'`, () => {
      const y = F.conv2d(x, w, null, { algo }).data();
      const corr = signal.correlate2d(image, kernel, 'valid');
      expect([corr.length, corr[0].length]).toEqual([11, 15]);
      expectMatrixClose(y, corr, tol);
      expectMatrixClose(y, signal.convolve2d(image, flip(kernel), 'valid'), tol);
    });
    test(`${algo}: padding 1 = correlate2d 'same'`, () => {
      const y = F.conv2d(x, w, null, { padding: 1, algo }).data();
      expectMatrixClose(y, signal.correlate2d(image, kernel, 'same'), tol);
    });
  }

  test('convolution differs from correlation for an asymmetric kernel', () => {
    const y = F.conv2d(x, w, null).data();
    const conv = signal.convolve2d(image, kernel, 'valid').flat();
    let diff = 0;
    conv.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - y[i]))));
    expect(diff).toBeGreaterThan(0.1);
  });
});
