import { F, Tensor, getNumThreads, setNumThreads } from '../../lib';
import { forEachIsa } from '../helpers/isa';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: Float32Array, b: Float32Array) => bytes(a).equals(bytes(b));

forEachIsa(() => {
  describe('dropout', () => {
    const n = 100003;
    const x = Tensor.rand([n], { seed: 9, low: 0.5, high: 2 }); // strictly positive, so 0 means dropped
    const xs = x.data();

    for (const p of [0.1, 0.5, 0.9]) {
      test(`training, p=${p}: drops ≈ p of the elements and scales the rest by 1/(1-p)`, () => {
        const y = F.dropout(x, { p, training: true, seed: 123 }).data();
        let dropped = 0;
        let misScaled = 0;
        for (let i = 0; i < n; i++) {
          if (y[i] === 0) dropped++;
          else if (!(Math.abs(y[i] - xs[i] / (1 - p)) <= 1e-6 * y[i])) misScaled++;
        }
        expect(misScaled).toBe(0);
        // Binomial(n, p): 6 standard deviations is ~0.01 here; a wrong p or a constant mask fails.
        const sd = Math.sqrt(p * (1 - p) / n);
        expect(Math.abs(dropped / n - p)).toBeLessThan(6 * sd);
      });
    }

    test('the mask depends only on the seed: same on any thread count, different for another seed', () => {
      const before = getNumThreads();
      setNumThreads(1);
      const one = F.dropout(x, { training: true, seed: 77 }).data();
      setNumThreads(2);
      const two = F.dropout(x, { training: true, seed: 77 }).data();
      setNumThreads(before);
      expect(same(one, two)).toBe(true);
      expect(same(F.dropout(x, { training: true, seed: 78 }).data(), one)).toBe(false);
    });

    test('p = 0 and p = 1 in training; not training is a copy', () => {
      expect(same(F.dropout(x, { p: 0, training: true }).data(), xs)).toBe(true);
      expect(F.dropout(x, { p: 1, training: true }).data().every((v) => v === 0)).toBe(true);
      const copy = F.dropout(x, { p: 0.5 });
      expect(same(copy.data(), xs)).toBe(true);
      copy.data()[0] = -1;
      expect(xs[0]).not.toBe(-1); // a new tensor, not a view
    });
  });
});

describe('dropout: bad arguments', () => {
  test('p out of range, bad seed', () => {
    const x = Tensor.rand([4], { seed: 1 });
    expect(() => F.dropout(x, { p: 1.5 })).toThrow('dropout: p must be between 0 and 1, got 1.5');
    expect(() => F.dropout(x, { p: -0.1, training: true })).toThrow('dropout: p must be between 0 and 1, got -0.1');
    expect(() => F.dropout(x, { training: true, seed: 1.5 })).toThrow('dropout: seed must be an integer, got 1.5');
    expect(() => F.dropout(x, { training: true, seed: -3 })).toThrow('dropout: seed must be a non-negative integer, got -3');
  });
});
