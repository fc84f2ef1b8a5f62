import { F, Tensor } from '../../lib';
import { expectClose } from '../helpers/check';
import { randomInput } from '../helpers/gen';
import { forEachIsa } from '../helpers/isa';
import * as R from '../reference/ops';

forEachIsa(() => {
  describe('cat', () => {
    const cases: [number[][], number][] = [
      [[[3, 5, 7, 9], [3, 17, 7, 9], [3, 1, 7, 9]], 1], // DenseNet / Inception channel joins
      [[[3, 5, 7, 9], [2, 5, 7, 9]], 0],
      [[[3, 5, 7, 9], [3, 5, 7, 2], [3, 5, 7, 1]], -1],
      [[[2, 3, 5], [2, 4, 5], [2, 0, 5], [2, 33, 5]], -2], // an empty piece
      [[[7]], 0],
      [[[64, 200, 3], [64, 100, 3]], 1], // enough rows to split over threads
    ];
    let seed = 700;
    for (const [shapes, dim] of cases) {
      test(`${JSON.stringify(shapes)} dim=${dim}`, () => {
        const ins = shapes.map((s) => randomInput(s, seed++));
        const y = F.cat(ins.map((i) => i.t), dim);
        expectClose(y, R.cat(ins.map((i) => i.r), dim), 0, 'cat'); // a copy is exact
      });
    }
  });

  describe('flatten', () => {
    test('default startDim 1 keeps the batch; storage is shared (a reshape)', () => {
      const x = Tensor.rand([3, 5, 7, 9], { seed: 1 });
      const y = F.flatten(x);
      expect(y.shape).toEqual([3, 315]);
      expect(Array.from(y.data())).toEqual(Array.from(x.data()));
      expect(F.flatten(x, 0).shape).toEqual([945]);
      expect(F.flatten(x, 1, 2).shape).toEqual([3, 35, 9]);
      expect(F.flatten(x, -3, -2).shape).toEqual([3, 35, 9]);
      expect(F.flatten(x, 2, 2).shape).toEqual([3, 5, 7, 9]);
      expect(F.flatten(Tensor.from([4], []), 0).shape).toEqual([1]);
    });
  });
});

describe('shape ops: bad arguments', () => {
  const a = Tensor.rand([3, 4, 5], { seed: 1 });
  test('cat', () => {
    expect(() => F.cat([a, a, Tensor.rand([3, 2, 6], { seed: 2 })], 1)).toThrow(
      'cat: tensors[2] has shape [3, 2, 6] but tensors[0] has shape [3, 4, 5]; they must match except in dimension 1');
    expect(() => F.cat([a, Tensor.rand([3, 4], { seed: 2 })], 0)).toThrow(
      'cat: tensors[1] has shape [3, 4] but tensors[0] has shape [3, 4, 5]; they must match except in dimension 0');
    expect(() => F.cat([a], 3)).toThrow('cat: dim 3 is out of range for a 3-D input (shape [3, 4, 5]); expected a value in [-3, 2]');
    expect(() => F.cat([], 0)).toThrow('cat: expected a non-empty list of tensors');
    expect(() => F.cat([a, 5 as never], 0)).toThrow('cat: tensors[1] must be a Tensor, got 5');
  });
  test('flatten', () => {
    expect(() => F.flatten(a, 2, 1)).toThrow('flatten: startDim 2 comes after endDim 1 for a 3-D input');
    expect(() => F.flatten(a, 3)).toThrow('flatten: startDim 3 is out of range for a 3-D input (shape [3, 4, 5])');
  });
});
