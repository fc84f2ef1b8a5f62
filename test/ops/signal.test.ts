import { signal, convOutputSize } from '../../lib';
import { fullConvolve, fullConvolve2d, reversed, flipped } from '../reference/signal';

const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  let worst = 0; // NaN anywhere makes this NaN, which fails below
  want.forEach((w, i) => (worst = Math.max(worst, Math.abs(got[i] - w) / (1 + Math.abs(w)))));
  expect(worst).toBeLessThan(1e-12);
};
const close2d = (got: number[][], want: number[][]) => {
  expect(got.length).toBe(want.length);
  want.forEach((row, r) => close(got[r], row));
};
const randomVector = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) + 0.1 * seed);
const randomMatrix = (r: number, c: number, seed: number) => Array.from({ length: r }, (_, i) => randomVector(c, seed + 13 * i));

describe('signal.convolve / correlate (numpy semantics)', () => {
  test('numpy documentation examples, checked by hand', () => {
    // out[n] = Σ a[m] v[n-m]: [1·0, 1·1 + 2·0, 1·.5 + 2·1 + 3·0, 2·.5 + 3·1, 3·.5]
    expect(signal.convolve([1, 2, 3], [0, 1, 0.5])).toEqual([0, 1, 2.5, 4, 1.5]);
    expect(signal.convolve([1, 2, 3], [0, 1, 0.5], 'same')).toEqual([1, 2.5, 4]);
    expect(signal.convolve([1, 2, 3], [0, 1, 0.5], 'valid')).toEqual([2.5]);
    // correlate's default mode is 'valid': Σ a[n] v[n] = 0 + 2 + 1.5
    expect(signal.correlate([1, 2, 3], [0, 1, 0.5])).toEqual([3.5]);
    expect(signal.correlate([1, 2, 3], [0, 1, 0.5], 'same')).toEqual([2, 3.5, 3]);
    expect(signal.correlate([1, 2, 3], [0, 1, 0.5], 'full')).toEqual([0.5, 2, 3.5, 3, 0]);
    // with the arguments swapped, numpy's full correlation is reversed
    expect(signal.correlate([0, 1, 0.5], [1, 2, 3], 'full')).toEqual([0, 3, 3.5, 2, 0.5]);
  });

  test("'same' with an even-length kernel, and a kernel longer than the signal", () => {
    // full convolution with [1, -1] is the first difference: [1, 1, 1, 1, 1, -5]; 'same' keeps from index floor((2-1)/2) = 0
    expect(signal.convolve([1, 2, 3, 4, 5], [1, -1], 'same')).toEqual([1, 1, 1, 1, 1]);
    // correlation lags -1..3 for 'same' (numpy centres at -floor(2/2)): a[t-1] - a[t]
    expect(signal.correlate([1, 2, 3, 4, 5], [1, -1], 'same')).toEqual([-1, -1, -1, -1, -1]);
    // a = [1, 2], v = [3, 4, 5, 6]: c[k] = Σ a[n+k] v[n] for k = -3..1 is [6, 17, 14, 11, 6]; numpy's 'same'
    // (computed the other way round, then reversed) keeps the last four.
    expect(signal.correlate([1, 2], [3, 4, 5, 6], 'full')).toEqual([6, 17, 14, 11, 6]);
    expect(signal.correlate([1, 2], [3, 4, 5, 6], 'same')).toEqual([17, 14, 11, 6]);
    // convolution commutes, so the longer operand may come second; 'valid' has max - min + 1 values
    expect(signal.convolve([1, 2], [3, 4, 5, 6], 'valid')).toEqual([10, 13, 16]);
  });

  test('a box [1,1,1,1] convolved with a ramp 0..n-1 matches the closed form', () => {
    for (const n of [4, 10, 37]) {
      const ramp = Array.from({ length: n }, (_, k) => k);
      const out = signal.convolve([1, 1, 1, 1], ramp);
      expect(out.length).toBe(n + 3);
      // out[m] = Σ of the ramp values k with max(0, m-3) <= k <= min(n-1, m):
      //   head m < 3:            0 + 1 + ... + m          = m(m+1)/2
      //   interior 3 <= m <= n-1: (m-3) + (m-2) + (m-1) + m = 4m - 6
      //   tail m >= n:           (m-3) + ... + (n-1)      = (n-m+3)(m-3+n-1)/2
      const expected = (m: number) => (m < 3 ? (m * (m + 1)) / 2 : m <= n - 1 ? 4 * m - 6 : ((n - m + 3) * (m + n - 4)) / 2);
      expect(out).toEqual(out.map((_, m) => expected(m)));
      // 'valid' is exactly the interior; 'same' starts at index floor((4-1)/2) = 1
      expect(signal.convolve(ramp, [1, 1, 1, 1], 'valid')).toEqual(Array.from({ length: n - 3 }, (_, i) => 4 * (i + 3) - 6));
      expect(signal.convolve(ramp, [1, 1, 1, 1], 'same')).toEqual(Array.from({ length: n }, (_, i) => expected(i + 1)));
      // the box is symmetric, so correlation gives the same sums: window k..k+3 of the ramp = 4k + 6
      expect(signal.correlate(ramp, [1, 1, 1, 1])).toEqual(Array.from({ length: n - 3 }, (_, k) => 4 * k + 6));
    }
  });

  test('random lengths: full is the definition, same and valid are its documented slices', () => {
    for (const [na, nv] of [[1, 1], [7, 3], [3, 7], [64, 6], [5000, 33], [40, 40]]) {
      const a = randomVector(na, na);
      const v = randomVector(nv, nv + 100);
      const full = fullConvolve(a, v);
      const [long, short] = [Math.max(na, nv), Math.min(na, nv)];
      close(signal.convolve(a, v), full);
      close(signal.convolve(a, v, 'same'), full.slice((short - 1) >> 1, ((short - 1) >> 1) + long));
      close(signal.convolve(a, v, 'valid'), full.slice(short - 1, long));
      // correlation = convolution with the reversed v (full mode, either order)
      close(signal.correlate(a, v, 'full'), fullConvolve(a, reversed(v)));
      // Float64Array in → Float64Array out
      const f = signal.convolve(Float64Array.from(a), Float64Array.from(v));
      expect(Object.prototype.toString.call(f)).toBe('[object Float64Array]');
      close(f, full);
    }
  });

  test('bad arguments', () => {
    expect(() => signal.convolve([], [1])).toThrow('signal.convolve: a is empty');
    expect(() => signal.correlate([1], [])).toThrow('signal.correlate: v is empty');
    expect(() => signal.convolve([1], [1], 'circular' as never)).toThrow("signal.convolve: mode must be 'full', 'same' or 'valid', got 'circular'");
    expect(() => signal.convolve(['x'] as never, [1])).toThrow('signal.convolve: a must be a number[] or a Float64Array');
  });
});

describe('signal.convolve2d / correlate2d (scipy.signal semantics)', () => {
  test('hand-checked 2×2 example in every mode', () => {
    // full[r][c] = Σ in1[r-i][c-j]: the 2×2 sums of [[1,2],[3,4]] under a 2×2 box
    expect(signal.convolve2d([[1, 2], [3, 4]], [[1, 1], [1, 1]])).toEqual([[1, 3, 2], [4, 10, 6], [3, 7, 4]]);
    expect(signal.convolve2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], 'same')).toEqual([[1, 3], [4, 10]]);
    expect(signal.convolve2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], 'valid')).toEqual([[10]]);
  });

  test("'same' centring with an even kernel differs between convolve2d and correlate2d, as in scipy", () => {
    const img = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    const k = [[1, 0], [0, -1]];
    // correlate2d 'same' starts at lag -floor((2-1)/2) = 0: out[r][c] = img[r][c] - img[r+1][c+1]
    expect(signal.correlate2d(img, k, 'same')).toEqual([[-4, -4, 3], [-4, -4, 6], [7, 8, 9]]);
    // convolve2d 'same' keeps full[r + floor((2-1)/2)] = full[r]: out[r][c] = img[r][c] - img[r-1][c-1]
    expect(signal.convolve2d(img, k, 'same')).toEqual([[1, 2, 3], [4, 4, 4], [7, 4, 4]]);
  });

  test("'valid' takes the larger input as the image; correlate2d then reverses", () => {
    // correlate2d([[1, 2]], [[1, 2, 3, 4]]): scipy correlates the larger with the smaller: [1+4, 2+6, 3+8], reversed
    expect(signal.correlate2d([[1, 2]], [[1, 2, 3, 4]], 'valid')).toEqual([[11, 8, 5]]);
    expect(signal.convolve2d([[1, 2]], [[1, 2, 3, 4]], 'valid')).toEqual([[4, 7, 10]]);
    expect(() => signal.convolve2d([[1, 2, 3], [4, 5, 6]], [[1, 2], [3, 4], [5, 6]], 'valid')).toThrow(
      "signal.convolve2d: in 'valid' mode one input must be at least as large as the other in every dimension, got 2×3 and 3×2");
  });

  test('random shapes: full is the definition, same and valid are its slices; correlate2d flips the kernel', () => {
    const cases: [number, number, number, number][] = [[5, 7, 3, 3], [6, 5, 4, 2], [2, 3, 5, 4], [40, 33, 5, 6], [1, 9, 1, 4]];
    for (const [h, w, kh, kw] of cases) {
      const a = randomMatrix(h, w, h * w);
      const k = randomMatrix(kh, kw, kh + kw);
      const full = fullConvolve2d(a, k);
      close2d(signal.convolve2d(a, k), full);
      const [r0, c0] = [(kh - 1) >> 1, (kw - 1) >> 1];
      close2d(signal.convolve2d(a, k, 'same'), full.slice(r0, r0 + h).map((row) => row.slice(c0, c0 + w)));
      if (h >= kh && w >= kw) {
        close2d(signal.convolve2d(a, k, 'valid'), full.slice(kh - 1, h).map((row) => row.slice(kw - 1, w)));
      }
      close2d(signal.correlate2d(a, k), fullConvolve2d(a, flipped(k)));
      // the Float64Array form gives the same numbers and keeps its kind
      const flat = signal.convolve2d({ data: Float64Array.from(a.flat()), shape: [h, w] }, k);
      expect(flat.shape).toEqual([h + kh - 1, w + kw - 1]);
      close(flat.data, full.flat());
    }
  });

  test('bad arguments', () => {
    expect(() => signal.convolve2d([[1, 2], [3]], [[1]])).toThrow('signal.convolve2d: in1 is ragged: row 1 has 1 values but row 0 has 2');
    expect(() => signal.correlate2d([[1]], [])).toThrow('signal.correlate2d: in2 is empty (0×0)');
    expect(() => signal.convolve2d({ data: new Float64Array(5), shape: [2, 3] }, [[1]])).toThrow(
      'signal.convolve2d: in1 has 5 values, which does not fit the shape [2, 3]');
    expect(() => signal.convolve2d([1, 2] as never, [[1]])).toThrow('signal.convolve2d: in1[0] must be a number[]');
  });
});

describe('convOutputSize (torch formula)', () => {
  test('hand-checked layer sizes', () => {
    expect(convOutputSize(224, 7, 2, 3)).toBe(112); // ResNet stem: floor((224 + 6 - 6 - 1) / 2) + 1
    expect(convOutputSize(112, 3, 2, 1)).toBe(56); // ResNet max pool
    expect(convOutputSize(227, 11, 4)).toBe(55); // AlexNet 2012 conv1
    expect(convOutputSize(10, 3, 1, 0, 2)).toBe(6); // dilation 2: the window spans 5
    expect(convOutputSize(112, 3, 2, 0, 1, false)).toBe(55);
    expect(convOutputSize(112, 3, 2, 0, 1, true)).toBe(56); // GoogLeNet's ceil-mode pools round up
    expect(convOutputSize(3, 2, 2, 1, 1, false)).toBe(2);
    // ceil mode would give ceil(3/2) + 1 = 3, but the third window would start at 4 = in + padding,
    // inside the right padding only, so torch drops it
    expect(convOutputSize(3, 2, 2, 1, 1, true)).toBe(2);
    expect(convOutputSize(5, 2, 2, 0, 1, true)).toBe(3); // here the last window starts at 4 < 5: kept
    expect(convOutputSize(2, 3)).toBe(0); // nothing fits
  });
  test('bad arguments', () => {
    expect(() => convOutputSize(10, 0)).toThrow('convOutputSize: kernel must be an integer ≥ 1, got 0');
    expect(() => convOutputSize(10, 3, 1.5)).toThrow('convOutputSize: stride must be an integer ≥ 1, got 1.5');
  });
});
