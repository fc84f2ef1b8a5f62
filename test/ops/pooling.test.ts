import { F, Tensor, convOutputSize } from '../../lib';
import { expectClose, expectNonTrivial } from '../helpers/check';
import { randomInput } from '../helpers/gen';
import { forEachIsa } from '../helpers/isa';
import * as R from '../reference/ops';

type P2 = [number, number];
const pair = (v: number | P2): P2 => (typeof v === 'number' ? [v, v] : v);

// Awkward shapes: batch 3, odd H/W, channels 5 / 17 / 33, a 1-row image.
const shapes = [[3, 5, 11, 13], [2, 17, 9, 7], [1, 33, 6, 5], [3, 5, 1, 9], [2, 3, 7, 71]]; // 71: rows of 35+ outputs (vector row kernels)

interface Win { k: number | P2; s?: number | P2; p?: number | P2; d?: number | P2; ceil?: boolean }
const maxWindows: Win[] = [
  { k: 3, s: 2 },
  { k: 3, s: 2, ceil: true },
  { k: 3, s: 2, p: 1, ceil: true },
  { k: 2 }, // stride defaults to the kernel
  { k: 2, ceil: true },
  { k: [3, 2], s: [1, 2], p: [1, 1], d: [2, 1] },
  { k: [3, 2], s: [1, 2], p: [1, 1], d: [2, 1], ceil: true },
  { k: [1, 5], s: [1, 3], p: [0, 2], d: [1, 2], ceil: true },
  { k: 1, s: 1 },
  { k: [1, 3], s: [2, 1], p: [0, 1], d: [3, 3], ceil: true },
  // "Same" stride-1 windows (GoogLeNet's branch pools) take a whole-plane path with exact row ends.
  { k: 3, s: 1, p: 1 },
  { k: 3, s: 1, p: 1, ceil: true },
  { k: 5, s: 1, p: 2 },
];

function fits(shape: number[], w: Win): boolean {
  const [k, s, p, d] = [pair(w.k), pair(w.s ?? w.k), pair(w.p ?? 0), pair(w.d ?? 1)];
  return [0, 1].every((i) => convOutputSize(shape[2 + i], k[i], s[i], p[i], d[i], w.ceil ?? false) > 0);
}

forEachIsa(() => {
  describe('maxPool2d', () => {
    let seed = 100;
    for (const shape of shapes) {
      for (const w of maxWindows) {
        if (!fits(shape, w)) continue;
        test(`[${shape}] ${JSON.stringify(w)}`, () => {
          const { t, r } = randomInput(shape, seed++);
          const y = F.maxPool2d(t, { kernelSize: w.k, stride: w.s, padding: w.p, dilation: w.d, ceilMode: w.ceil });
          const ref = R.maxPool2d(r, pair(w.k), pair(w.s ?? w.k), pair(w.p ?? 0), pair(w.d ?? 1), w.ceil ?? false);
          expectNonTrivial(ref.data);
          expectClose(y, ref, 0, 'maxPool2d'); // a max is exact
          // The output shape is convOutputSize's, dimension by dimension.
          const [k, s, p, d] = [pair(w.k), pair(w.s ?? w.k), pair(w.p ?? 0), pair(w.d ?? 1)];
          expect(y.shape.slice(2)).toEqual([0, 1].map((i) => convOutputSize(shape[2 + i], k[i], s[i], p[i], d[i], w.ceil ?? false)));
        });
      }
    }

    test('NaN anywhere in a window gives NaN, like torch', () => {
      const x = Tensor.from([1, NaN, 3, -1, NaN, 0, 2, 5], [1, 2, 1, 4]);
      const y = Array.from(F.maxPool2d(x, { kernelSize: [1, 2] }).data());
      expect(y[0]).toBeNaN();
      expect(y[1]).toBe(3);
      expect(y[2]).toBeNaN();
      expect(y[3]).toBe(5);
    });

    test('NaN propagates through the 2- and 3-wide stride-2 row kernels, in every lane position', () => {
      // One row of 41 columns, NaN at columns 0, 17 and 40; k-wide /2 pad p windows cover columns 2o−p..2o−p+k−1.
      const v = Array.from({ length: 41 }, (_, i) => ((i * 7) % 11) - 5);
      for (const i of [0, 17, 40]) v[i] = NaN;
      for (const [k, p] of [[3, 1], [2, 1], [2, 0]]) {
        const y = Array.from(F.maxPool2d(Tensor.from(v, [1, 1, 1, 41]), { kernelSize: [1, k], stride: [1, 2], padding: [0, p], ceilMode: true }).data());
        // Ceil mode (torch): ⌈(41 + 2p − k) / 2⌉ + 1 windows, less one that would start in the right padding.
        let out = Math.ceil((41 + 2 * p - k) / 2) + 1;
        if ((out - 1) * 2 >= 41 + p) out -= 1;
        expect(y.length).toBe(out);
        for (let o = 0; o < y.length; o++) {
          const win = Array.from({ length: k }, (_, j) => 2 * o - p + j).filter((c) => c >= 0 && c < 41).map((c) => v[c]);
          if (win.some((t) => Number.isNaN(t))) expect(y[o]).toBeNaN();
          else expect(y[o]).toBe(Math.max(...win));
        }
      }
    });

    test('NaN propagates through the whole-plane "same" path, at row ends too', () => {
      // 3×4 plane, NaN at (0, 3) (a row end) and (2, 1): every window containing one is NaN.
      const v = [1, 2, 3, NaN, 4, 5, 6, 7, 8, NaN, 9, 10];
      const y = Array.from(F.maxPool2d(Tensor.from(v, [1, 1, 3, 4]), { kernelSize: 3, stride: 1, padding: 1 }).data());
      const nan = (h: number, w: number) => [[0, 3], [2, 1]].some(([a, b]) => Math.abs(a - h) <= 1 && Math.abs(b - w) <= 1);
      for (let h = 0; h < 3; h++) {
        for (let w = 0; w < 4; w++) {
          if (nan(h, w)) { expect(y[h * 4 + w]).toBeNaN(); continue; }
          let m = -Infinity;
          for (let i = Math.max(0, h - 1); i <= Math.min(2, h + 1); i++) for (let j = Math.max(0, w - 1); j <= Math.min(3, w + 1); j++) m = Math.max(m, v[i * 4 + j]);
          expect(y[h * 4 + w]).toBe(m);
        }
      }
    });

    test('a dilated window with no input element gives -inf, like torch', () => {
      // taps at columns -1 and 2 of a 2-wide row: both outside
      const y = F.maxPool2d(Tensor.from([1, 2], [1, 1, 1, 2]), { kernelSize: [1, 2], stride: 1, padding: [0, 1], dilation: [1, 3], ceilMode: true });
      expect(Array.from(y.data())).toEqual([-Infinity]);
    });
  });

  describe('avgPool2d', () => {
    const windows: Win[] = [
      { k: 3, s: 2 },
      { k: 3, s: 2, p: 1, ceil: true },
      { k: 2, ceil: true },
      { k: [3, 2], s: [2, 1], p: [1, 1] },
      { k: [3, 5], s: [2, 3], p: [1, 2], ceil: true },
      { k: 3, s: 3, p: 1, ceil: true },
    ];
    let seed = 200;
    for (const shape of shapes) {
      for (const w of windows) {
        if (!fits(shape, w)) continue;
        for (const countIncludePad of [true, false]) {
          test(`[${shape}] ${JSON.stringify(w)} countIncludePad=${countIncludePad}`, () => {
            const { t, r } = randomInput(shape, seed++);
            const y = F.avgPool2d(t, { kernelSize: w.k, stride: w.s, padding: w.p, ceilMode: w.ceil, countIncludePad });
            const ref = R.avgPool2d(r, pair(w.k), pair(w.s ?? w.k), pair(w.p ?? 0), w.ceil ?? false, countIncludePad);
            expectNonTrivial(ref.data);
            expectClose(y, ref, 1e-6, 'avgPool2d');
          });
        }
      }
    }

    test('divisors by hand: 3×3 ones, kernel 2, stride 2, padding 1, ceil mode', () => {
      // Padded rows span [-1, 4); windows start at -1 and 1 (a third at 3 would start in the right padding).
      // Window rows: [-1, 1) → 1 inside, 2 counting pad; [1, 3) → 2 inside, 2 counting pad.
      const x = Tensor.from(new Array(9).fill(1), [1, 1, 3, 3]);
      const incl = Array.from(F.avgPool2d(x, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true }).data());
      expect(incl).toEqual([1 / 4, 2 / 4, 2 / 4, 4 / 4]);
      const excl = Array.from(F.avgPool2d(x, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).data());
      expect(excl).toEqual([1, 1, 1, 1]);
      // Ceil mode without padding: a 3-wide row, kernel 2 → windows [0, 2) and [2, 4) clipped to [2, 3):
      // the clipped window divides by its clipped size even with countIncludePad.
      const row = Tensor.from([2, 4, 9], [1, 1, 1, 3]);
      expect(Array.from(F.avgPool2d(row, { kernelSize: [1, 2], ceilMode: true }).data())).toEqual([3, 9]);
    });
  });

  describe('adaptiveAvgPool2d', () => {
    const cases: [number[], number | P2][] = [
      [[3, 5, 13, 13], 5], [[2, 17, 7, 7], 7], [[1, 33, 13, 10], [5, 3]], [[3, 5, 5, 6], [7, 4]], [[2, 5, 9, 11], 1], [[1, 5, 224, 3], [7, 2]],
    ];
    let seed = 300;
    for (const [shape, size] of cases) {
      test(`[${shape}] → ${JSON.stringify(size)}`, () => {
        const { t, r } = randomInput(shape, seed++);
        const [oh, ow] = pair(size);
        const ref = R.adaptiveAvgPool2d(r, oh, ow);
        expectNonTrivial(ref.data);
        expectClose(F.adaptiveAvgPool2d(t, size), ref, 1e-6, 'adaptiveAvgPool2d');
      });
    }

    test('13 → 5 windows by hand', () => {
      // start = floor(i·13/5) = 0, 2, 5, 7, 10; end = ceil((i+1)·13/5) = 3, 6, 8, 11, 13
      const x = Tensor.from(Array.from({ length: 13 }, (_, i) => i), [1, 1, 1, 13]);
      const y = Array.from(F.adaptiveAvgPool2d(x, [1, 5]).data());
      expect(y).toEqual([1, 3.5, 6, 8.5, 11].map(Math.fround));
    });
  });
});

describe('pooling: bad arguments are errors that name the op and the argument', () => {
  const x = Tensor.rand([2, 3, 8, 8], { seed: 1 });
  test('maxPool2d', () => {
    expect(() => F.maxPool2d(x, { kernelSize: [0, 3] })).toThrow('maxPool2d: kernelSize must be positive, got [0, 3]');
    expect(() => F.maxPool2d(Tensor.rand([3, 4], { seed: 1 }), { kernelSize: 2 })).toThrow('maxPool2d: expected a 4-D input (N, C, H, W), got [3, 4]');
    expect(() => F.maxPool2d(x, { kernelSize: 2, stride: [1, 0] })).toThrow('maxPool2d: stride must be positive, got [1, 0]');
    expect(() => F.maxPool2d(x, { kernelSize: 2, dilation: 0 })).toThrow('maxPool2d: dilation must be positive, got [0, 0]');
    expect(() => F.maxPool2d(x, { kernelSize: 2, padding: -1 })).toThrow('maxPool2d: padding must be non-negative, got [-1, -1]');
    expect(() => F.maxPool2d(x, { kernelSize: 3, padding: 2 })).toThrow('maxPool2d: padding must be at most half the kernel size, got padding [2, 2] for kernelSize [3, 3]');
    expect(() => F.maxPool2d(Tensor.rand([1, 1, 2, 2], { seed: 1 }), { kernelSize: 3 })).toThrow(
      'maxPool2d: output size would be empty (input 2×2, kernel 3×3, stride 3×3, padding 0×0, dilation 1×1, ceilMode false give 0×0)');
    expect(() => F.maxPool2d(x, { kernelSize: 1.5 })).toThrow('maxPool2d: kernelSize must be an integer or a pair of integers [h, w], got 1.5');
    expect(() => F.maxPool2d(x, { kernelSize: [2, 2, 2] as never })).toThrow(/maxPool2d: kernelSize must be an integer or a pair/);
    expect(() => F.maxPool2d(x, {} as never)).toThrow('maxPool2d: options.kernelSize is required');
    expect(() => F.maxPool2d(x, { kernelSize: 2, ceilMode: 1 as never })).toThrow('maxPool2d: ceilMode must be a boolean, got 1');
    expect(() => F.maxPool2d([1, 2] as never, { kernelSize: 2 })).toThrow('maxPool2d: input must be a Tensor, got [1, 2]');
  });
  test('avgPool2d and adaptiveAvgPool2d', () => {
    expect(() => F.avgPool2d(x, { kernelSize: 2, padding: [0, 2] })).toThrow('avgPool2d: padding must be at most half the kernel size, got padding [0, 2] for kernelSize [2, 2]');
    expect(() => F.avgPool2d(x, { kernelSize: 2, countIncludePad: 'no' as never })).toThrow("avgPool2d: countIncludePad must be a boolean, got 'no'");
    expect(() => F.avgPool2d(Tensor.rand([1, 1, 2, 9], { seed: 1 }), { kernelSize: 3 })).toThrow(/avgPool2d: output size would be empty \(input 2×9, kernel 3×3/);
    expect(() => F.adaptiveAvgPool2d(x, [0, 5])).toThrow('adaptiveAvgPool2d: outputSize must be positive, got [0, 5]');
    expect(() => F.adaptiveAvgPool2d(Tensor.rand([8, 8], { seed: 1 }), 2)).toThrow('adaptiveAvgPool2d: expected a 4-D input (N, C, H, W), got [8, 8]');
    expect(() => F.adaptiveAvgPool2d(Tensor.zeros([1, 2, 0, 3]), 2)).toThrow(/adaptiveAvgPool2d: input has an empty spatial size 0×3/);
  });
  test('a disposed input is an error, not a crash', () => {
    const t = Tensor.rand([1, 1, 4, 4], { seed: 2 });
    t.dispose();
    expect(() => F.maxPool2d(t, { kernelSize: 2 })).toThrow('maxPool2d: input was disposed');
  });
});
