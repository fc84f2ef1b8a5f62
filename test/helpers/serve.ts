// Helpers for the serving tests: a seeded input of a request's shape, and what a request's slice must equal.
import { Tensor } from '../../lib/tensor';

export const seededInput = (seed: number, shape: readonly number[]) => Tensor.rand(shape, { seed, low: -1, high: 1 });

/** The model run eagerly on one sample of shape `sample` (given with or without its leading 1). */
export function eagerSample(model: (x: Tensor) => Tensor, sample: readonly number[], x: Tensor): Float32Array {
  const b = x.reshape([1, ...sample]);
  const y = model(b);
  const d = Float32Array.from(y.data());
  y.dispose(); b.dispose();
  return d;
}
