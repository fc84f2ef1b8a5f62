// Shapes big enough that every op splits its work into many chunks over the thread pool: the result
// must match the float64 reference and be bit-identical whatever the thread count.
import { F, Tensor, getNumThreads, setNumThreads } from '../../lib';
import { expectClose } from '../helpers/check';
import { randomInput } from '../helpers/gen';
import * as R from '../reference/ops';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function onThreads(fn: () => Tensor): Float32Array[] {
  const before = getNumThreads();
  try {
    return [1, 2, 5].map((n) => {
      setNumThreads(n);
      return fn().data();
    });
  } finally {
    setNumThreads(before);
  }
}

function check(name: string, run: () => Tensor, ref: () => R.Ref, tol: number): void {
  test(name, () => {
    const outs = onThreads(run);
    for (const o of outs.slice(1)) expect(bytes(o).equals(bytes(outs[0]))).toBe(true);
    expectClose(run(), ref(), tol, name);
  });
}

describe('large shapes split over the thread pool', () => {
  const { t: x, r: xr } = randomInput([3, 33, 37, 41], 900);
  const { t: c, r: cr } = randomInput([33], 901);
  const vr = Tensor.rand([33], { seed: 902, low: 0.2, high: 1.5 });
  check('maxPool2d', () => F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    () => R.maxPool2d(xr, [3, 3], [2, 2], [1, 1], [1, 1], true), 0);
  check('avgPool2d', () => F.avgPool2d(x, { kernelSize: 2, ceilMode: true, countIncludePad: false }),
    () => R.avgPool2d(xr, [2, 2], [2, 2], [0, 0], true, false), 1e-6);
  check('adaptiveAvgPool2d', () => F.adaptiveAvgPool2d(x, [5, 7]), () => R.adaptiveAvgPool2d(xr, 5, 7), 1e-6);
  check('localResponseNorm', () => F.localResponseNorm(x, { size: 5, alpha: 0.5 }), () => R.localResponseNorm(xr, 5, 0.5, 0.75, 1), 1e-6);
  check('batchNorm', () => F.batchNorm(x, c, vr, c, c, { relu: true }), () => R.batchNorm(xr, cr.data, vr.data(), cr.data, cr.data, 1e-5, true), 1e-6);
  check('softmax dim 1', () => F.softmax(x, 1), () => R.softmax(xr, 1), 1e-6);
  check('logSoftmax dim -1', () => F.logSoftmax(x, -1), () => R.softmax(xr, -1, true), 1e-6);
  const { t: y, r: yr } = randomInput([3, 20, 37, 41], 903);
  check('cat dim 1', () => F.cat([x, y, x], 1), () => R.cat([xr, yr, xr], 1), 0);
  check('cat dim 0', () => F.cat([x, x], 0), () => R.cat([xr, xr], 0), 0);
});
