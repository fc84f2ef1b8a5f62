// The deterministic input generator shared with the fixture scripts (scripts/fixtures_ops.py implements the
// same formula): value i of stream `seed` is ((i·7919 + seed·104729) mod 10007) / 5003.5 − 1, in [−1, 1)
// and never 0. Only integer arithmetic and one correctly rounded division, so Python and JavaScript produce
// the same doubles, and Math.fround / numpy.float32 round them identically: fixtures store only outputs.
import { Tensor } from '../../lib/tensor';

export function genValues(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 7919 + seed * 104729) % 10007) / 5003.5 - 1;
  return out;
}

/** genValues(n, seed) · scale, rounded to float32 (scale should be a power of two to stay exact). */
export function genF32(n: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from(genValues(n, seed), (v) => v * scale);
}

/** A random CPU tensor, uniform in [-1, 1) (non-zero almost surely), and its float64 copy for references. */
export function randomInput(shape: number[], seed: number, scale = 1): { t: Tensor; r: { shape: number[]; data: Float64Array } } {
  const t = Tensor.rand(shape, { seed, low: -scale, high: scale });
  return { t, r: { shape: shape.slice(), data: Float64Array.from(t.data()) } };
}
