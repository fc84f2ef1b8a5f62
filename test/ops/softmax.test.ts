import { F, Tensor } from '../../lib';
import { expectClose, expectNonTrivial } from '../helpers/check';
import { randomInput } from '../helpers/gen';
import { forEachIsa } from '../helpers/isa';
import * as R from '../reference/ops';

forEachIsa(() => {
  describe('softmax / logSoftmax', () => {
    const cases: [number[], number][] = [
      [[3, 1000], -1], [[3, 1000], 0], [[3, 5, 7, 9], 1], [[3, 5, 7, 9], -1], [[3, 5, 7, 9], 0], [[3, 5, 7, 9], -2],
      [[2, 17, 300], 1], [[33], 0], [[3, 5, 1], -1], [[1, 600, 3], 1],
    ];
    let seed = 600;
    for (const [shape, dim] of cases) {
      for (const log of [false, true]) {
        test(`${log ? 'logSoftmax' : 'softmax'} [${shape}] dim=${dim}`, () => {
          const { t, r } = randomInput(shape, seed++, 6);
          const y = log ? F.logSoftmax(t, dim) : F.softmax(t, dim);
          const ref = R.softmax(r, dim, log);
          if (shape.at(dim)! > 1) expectNonTrivial(ref.data); // over one element softmax is 1, logSoftmax 0
          expectClose(y, ref, 1e-6, log ? 'logSoftmax' : 'softmax');
        });
      }
    }

    test('stable for large logits (a naive exp would overflow to Infinity)', () => {
      const x = Tensor.from([1000, 999, 998, -1000], [1, 4]);
      const e = [1, Math.exp(-1), Math.exp(-2), 0];
      const sum = e.reduce((a, b) => a + b);
      expectClose(F.softmax(x, 1), { shape: [1, 4], data: e.map((v) => v / sum) }, 1e-6);
      const ls = Array.from(F.logSoftmax(x, 1).data());
      expect(ls[0]).toBeCloseTo(-Math.log(sum), 5);
      expect(ls[3]).toBeCloseTo(-2000 - Math.log(sum), 2);
    });
  });
});

describe('softmax: bad arguments', () => {
  test('dims out of range and bad types', () => {
    const x = Tensor.rand([2, 3], { seed: 1 });
    expect(() => F.softmax(x, 2)).toThrow('softmax: dim 2 is out of range for a 2-D input (shape [2, 3]); expected a value in [-2, 1]');
    expect(() => F.logSoftmax(x, -3)).toThrow('logSoftmax: dim -3 is out of range for a 2-D input (shape [2, 3]); expected a value in [-2, 1]');
    expect(() => F.softmax(x, 0.5)).toThrow('softmax: dim must be an integer, got 0.5');
    expect(() => F.softmax(x, undefined as never)).toThrow('softmax: dim must be an integer, got undefined');
  });
});
