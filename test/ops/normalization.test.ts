import { F, Tensor } from '../../lib';
import { expectClose, expectNonTrivial } from '../helpers/check';
import { randomInput } from '../helpers/gen';
import { forEachIsa } from '../helpers/isa';
import * as R from '../reference/ops';

forEachIsa(() => {
  describe('localResponseNorm', () => {
    const cases: [number[], { size: number; alpha?: number; beta?: number; k?: number }][] = [
      [[3, 5, 7, 9], { size: 5 }], // torch's defaults for alpha, beta, k
      [[3, 17, 5, 3], { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }], // AlexNet's
      [[2, 33, 3, 7], { size: 4, alpha: 0.9, beta: 0.6, k: 1.5 }], // even size: window [c-2, c+1]
      [[1, 5, 1, 300], { size: 1, alpha: 2, beta: 1, k: 0.5 }], // > one 256-pixel tile
      [[2, 3, 4, 5], { size: 9, alpha: 3, beta: 0.75, k: 1 }], // window wider than the channels
      [[2, 6, 11], { size: 3, alpha: 1, beta: 0.5, k: 1 }], // 3-D (N, C, L)
    ];
    let seed = 400;
    for (const [shape, o] of cases) {
      test(`[${shape}] ${JSON.stringify(o)}`, () => {
        const { t, r } = randomInput(shape, seed++, 2);
        const ref = R.localResponseNorm(r, o.size, o.alpha ?? 1e-4, o.beta ?? 0.75, o.k ?? 1);
        expectNonTrivial(ref.data);
        expectClose(F.localResponseNorm(t, o), ref, 1e-6, 'localResponseNorm');
      });
    }
  });

  describe('batchNorm (inference)', () => {
    let seed = 500;
    for (const shape of [[3, 5, 7, 9], [2, 17, 3, 5], [3, 33, 1, 1], [4, 6], [2, 5, 13]]) {
      for (const [affine, relu, eps] of [[true, false, 1e-5], [false, false, 1e-3], [true, true, 1e-5]] as const) {
        test(`[${shape}] affine=${affine} relu=${relu} eps=${eps}`, () => {
          const C = shape[1];
          const { t, r } = randomInput(shape, seed++, 3);
          const mean = randomInput([C], seed++);
          const vr = Tensor.rand([C], { seed: seed++, low: 0.1, high: 2 });
          const w = affine ? randomInput([C], seed++, 2) : null;
          const b = affine ? randomInput([C], seed++) : null;
          const y = F.batchNorm(t, mean.t, vr, w?.t ?? null, b?.t ?? null, { eps, relu });
          const ref = R.batchNorm(r, mean.r.data, vr.data(), w?.r.data ?? null, b?.r.data ?? null, eps, relu);
          expectNonTrivial(ref.data);
          expectClose(y, ref, 1e-6, 'batchNorm');
        });
      }
    }
  });
});

describe('normalisation: bad arguments', () => {
  const x = Tensor.rand([2, 4, 3, 3], { seed: 1 });
  const c4 = Tensor.rand([4], { seed: 2, low: 0.5, high: 1 });
  test('batchNorm', () => {
    expect(() => F.batchNorm(x, Tensor.rand([5], { seed: 3 }), c4)).toThrow('batchNorm: runningMean has 5 elements but input has 4 channels');
    expect(() => F.batchNorm(x, c4, Tensor.rand([3], { seed: 3 }))).toThrow('batchNorm: runningVar has 3 elements but input has 4 channels');
    expect(() => F.batchNorm(x, c4, c4, Tensor.rand([2], { seed: 3 }))).toThrow('batchNorm: weight has 2 elements but input has 4 channels');
    expect(() => F.batchNorm(x, c4, c4, null, Tensor.rand([8], { seed: 3 }))).toThrow('batchNorm: bias has 8 elements but input has 4 channels');
    expect(() => F.batchNorm(Tensor.rand([4], { seed: 3 }), c4, c4)).toThrow('batchNorm: expected an input with at least 2 dimensions (N, C, ...), got [4]');
    expect(() => F.batchNorm(x, c4, c4, null, null, { eps: -1 })).toThrow('batchNorm: eps must be a non-negative number, got -1');
    expect(() => F.batchNorm(x, c4, 'var' as never)).toThrow("batchNorm: runningVar must be a Tensor, got 'var'");
  });
  test('localResponseNorm', () => {
    expect(() => F.localResponseNorm(x, { size: 0 })).toThrow('localResponseNorm: size must be positive, got 0');
    expect(() => F.localResponseNorm(Tensor.rand([2, 4], { seed: 1 }), { size: 3 })).toThrow(
      'localResponseNorm: expected an input with at least 3 dimensions (N, C, ...), got [2, 4]');
    expect(() => F.localResponseNorm(x, { size: 2.5 })).toThrow('localResponseNorm: size must be an integer, got 2.5');
    expect(() => F.localResponseNorm(x, {} as never)).toThrow('localResponseNorm: options.size is required');
    expect(() => F.localResponseNorm(x, { size: 3, beta: NaN })).toThrow('localResponseNorm: beta must be a number, got NaN');
  });
});
